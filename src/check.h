/*
 * check.h - the Medimail rules (guide, section 3): identifiers, code lists, geography, per-type
 * column requirements. Pure: rows in, findings out.
 *
 * Each rule has a stable id (e.g. "rpps-key") and one default severity, in check_rules[]; the
 * config may change it (severity =).
 * Code lists are built from src/data/ (generated tables) and may be extended or replaced.
 */
#ifndef MS_CHECK_H
#define MS_CHECK_H

#include <stdbool.h>
#include "conf.h"
#include "model.h"

/* Identifier check keys. Input must be exactly the identifier (no blanks). */
bool check_luhn(const char *digits);
bool check_rpps(const char *s);       /* 11 digits, Luhn */
bool check_adeli(const char *s);      /* 9 digits, Luhn */
/* FINESS: 9 chars, Luhn. Returns 1 valid, 0 invalid, 2 unverifiable (2A/2B Corsica). */
int check_finess(const char *s);
bool check_siren(const char *s);      /* 9 digits, Luhn */
bool check_siret(const char *s);      /* 14 digits, Luhn, La Poste exception */
bool check_phone(const char *s);      /* 10 digits starting with 0 */
bool check_date(const char *s);       /* AA-MM-JJ, a real date */
bool check_mailbox(const char *s);    /* RFC 5321 mailbox, lower case */
bool check_local_part(const char *s); /* local part only, no '@' */

/* Département (code "01".."95","2A","2B","971".."976") expected for a 5-digit CP, or NULL. */
const char *check_cp_departement(const char *cp);
/* Région code for a département code, or NULL. */
const char *check_departement_region(const char *dep);

/* A validation context: code lists (with config extensions) and rule severities. */
struct checker;
struct checker *check_new(const struct config *c, char **err) WUR;   /* c may be NULL: defaults */
void check_free(struct checker *ck);

/* Normalise the cells of row in place where the rules allow a unique answer: derive Département
 * and Région from CP when empty, write list values (code, label or "code - label" accepted) in
 * the configured form (label by default); with csv-transliterate, check_transliterate() every
 * cell. Case is checked by check_row(), never changed here. */
void check_normalise(const struct checker *ck, struct row *row, enum bal_type type);

/* The value v (a code, a label or "code - label") of the code list named list
 * ("profession", "specialite", "civilite-exercice"... the names of the list sections) in the
 * form rows are written with (value-form), or NULL when the list has no such value (or there
 * is no such list). Caller frees. */
char *check_list_value(const struct checker *ck, const char *list, const char *v);

/* Validate one row of the given type. where names the source (DN or "line N").
 * Returns the number of error-severity findings added. Every cell, whatever its column, is
 * refused with a control character (C0, DEL, C1: control-character); with CSV output, when it
 * starts with = + - @ (csv-formula: the writer would have to change it); with csv-encoding
 * windows-1252, when it holds a character the code page lacks (windows-1252). */
size_t check_row(const struct checker *ck, const struct row *row, enum bal_type type,
		 const char *where, struct findings *f);
/* The same for a row read from a file whose reader kept only the start of long cells:
 * more[col] characters of column col were dropped (more may be NULL: none), so that the
 * length reported is the cell's real one. */
size_t check_row_cut(const struct checker *ck, const struct row *row, enum bal_type type,
		     const char *where, const size_t *more, struct findings *f);

/* v with the letters Windows-1252 lacks written without their marks ("Łukasz" -> "Lukasz",
 * "Ș" -> "S", U+2010 hyphen -> "-"); other characters are kept. Allocated. check_normalise()
 * applies it to every cell with output csv-encoding = windows-1252 and csv-transliterate. */
char *check_transliterate(const char *v);

/* Severity of a rule id after config overrides. */
enum severity check_severity(const struct checker *ck, const char *rule);

/* Duplicate addresses within a set of rows (mail-duplicate), the one decision for apply, plan
 * and validate: addresses compare without ASCII case (mail-lowercase reports the case). ck
 * gives the severity of the findings of check_unique_add (NULL: the rule's default); u keeps
 * a pointer to it. Linear time. Free with check_unique_free(). */
struct check_unique;
struct check_unique *check_unique_new(const struct checker *ck);
/* Record mail for holder (borrowed: it must outlive u). Returns NULL when mail is empty or
 * new, else the holder first recorded with that address (mail is not recorded again). */
const void *check_unique_put(struct check_unique *u, const char *mail, const void *holder);
/* check_unique_put() with a copy of where (NULL: "") as holder: NULL, or the where of the
 * first holder (owned by u, lives as long as u). */
const char *check_unique_where(struct check_unique *u, const char *mail, const char *where);
/* check_unique_where(), and on a duplicate a mail-duplicate finding on where naming the first
 * holder; returns false then. */
bool check_unique_add(struct check_unique *u, const char *mail, const char *where,
		      struct findings *f);
void check_unique_free(struct check_unique *u);

/* Table of rule ids, default severities and descriptions (for the man page and --help). */
struct check_rule_info {
	const char *id;
	enum severity sev;
	const char *description;
};
extern const struct check_rule_info check_rules[];
extern const size_t check_nrules;
/* The rule of check_rules[] with this id (static), or NULL when there is none. Every rule id a
 * module reports (the mapper's, validate's, the collector's) is in the table, so that
 * severity = reaches it and its default severity is the table's. */
const struct check_rule_info *check_rule_find(const char *id);

#endif
