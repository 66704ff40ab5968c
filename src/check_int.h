/*
 * check_int.h - what the files of the checker share (check.c: the rule table and the row
 * checks; check_list.c: the code lists; check_ident.c: the shapes of single values). Private:
 * callers use check.h.
 */
#ifndef MS_CHECK_INT_H
#define MS_CHECK_INT_H

#include <stdint.h>
#include <string.h>

#include "check.h"
#include "check_data.h"

/* A code list: built-in entries and config extensions, indexed by folded spellings. */
enum list_id {
	L_PROFESSION, L_SPECIALITE, L_CIVILITE, L_DEPARTEMENT, L_REGION, L_DIPLOME, L_TYPE_BAL,
	L_ID_TYPE, L_LIBERAL, L_NLISTS
};

/* config name, built-in table, exact (case-sensitive, no other form) */
struct list_def {
	const char *name;
	const struct code_entry *builtin;
	const size_t *nbuiltin;
	size_t nfixed;
	bool exact;
};
extern const struct list_def check_list_defs[L_NLISTS];

struct clist {
	struct code_entry *items;
	size_t n;
	struct hmap *index;      /* folded spelling (exact value for exact lists) -> item */
	struct hmap *spelt;      /* the list's own spellings, unfolded -> what index gives */
	bool exact;
};
struct checker {
	struct clist lists[L_NLISTS];
	enum severity *sev;      /* per check_rules[] entry */
	enum value_form form;
	bool xlsx;               /* the cell length limit applies (not to CSV output) */
	bool csv;                /* CSV output: a cell may not start a formula */
	bool cp1252;             /* CSV in windows-1252: every character must be in it */
	bool translit;           /* csv-transliterate: check_normalise makes letters fit */
	char **owned;            /* strings of config extensions */
	size_t nowned, cap_owned;
};
static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return strlen(s) == n;
}

/* check_ident.c */
bool check_mailbox_syntax(const char *s);      /* RFC 5321 mailbox, any case */
bool check_has_ascii_upper(const char *s);
bool check_cp_accepts(const char *cp, const char *dep);   /* dep fits cp (or an exception) */
/* The code point at s (valid UTF-8, not at its end) into *cp; returns its length in bytes. */
size_t check_next_cp(const char *s, uint32_t *cp);

/* check_list.c: the list named name (enum list_id), or -1; build list li of ck from the
 * built-in table and c (may be NULL); the entry v (code, label, "code - label") is in list
 * li, or NULL (owned by ck). */
int check_list_by_name(const char *name);
void check_list_build(struct checker *ck, int li, const struct config *c);
const struct code_entry *check_list_find(const struct checker *ck, int li, const char *v);

#endif
