/*
 * ldif.h - the reader of the LDIF files that stand in for a directory server (the ldif option
 * of a directory section): RFC 2849 entries only. dir.c searches what it reads.
 */
#ifndef MS_LDIF_H
#define MS_LDIF_H

#include <stddef.h>
#include "model.h"

/* Caps of the LDIF reader, in bytes as written in the file: one attribute line once unfolded
 * (a base64 value takes a third more than its bytes), and one record. Beyond either, the file
 * is refused with its line. */
#define LDIF_LINE_MAX   ((size_t)2 << 20)
#define LDIF_RECORD_MAX ((size_t)32 << 20)

/* Read every entry of the LDIF file at path: change records, controls, ":<" URL values and
 * lines or records over the caps are refused. On success returns 0 and sets *ents (the *n
 * entries, in file order) and *ndns (their DNs through dn_normalise), both arrays and all
 * they hold owned by the caller (entry_free and free each, then free the arrays). On error
 * logs one line "FILE:LINE: cause" (or "FILE: cause"), returns -1 and sets nothing. */
int ldif_read(const char *path, struct entry **ents, char ***ndns, size_t *n) WUR;

#endif
