/*
 * i18n.h - message translation through gettext (glibc's libintl). _() marks and translates a
 * user-facing string; N_() only marks one for xgettext, for tables translated where used.
 * Log messages meant for grep (directory, config, state) stay in English and are not marked.
 */
#ifndef MS_I18N_H
#define MS_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
