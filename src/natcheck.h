/*
 * natcheck.h - the national directory's checks of a row (issue 15): the RPPS or ADELI number
 * of a row belongs to the person the row names, it is in the national directory, and the
 * row's profession is one of its holder's. Pure: a row and records (national.h, plain data)
 * in, findings out; the records are looked up through a nat_find_fn (nat_find() at run time).
 *
 * The rules are in check_rules[] (check.c), so that severity = { ... } changes them:
 *   national-rpps-absent, national-adeli-absent (warning): the number is not in the activity
 *     extract (which lags a few days behind the registers);
 *   national-name (error): the row's names are not its holder's: the number most likely
 *     belongs to someone else, and the row is rejected;
 *   national-profession (warning): the row's profession is none of its holder's.
 * Rows checked: PER, its RPPS and its ADELI cells against NOM, Prénom and Profession; ORG,
 * Identifiant resp against Nom resp, Prénom resp and Profession resp; INT, the record the
 * mapping read (from the directory's RPPS or ADELI, which the INT row does not carry) against
 * NOM and Prénom. MED rows are not checked.
 *
 * Names compare without regard to case, accents, blanks, hyphens, apostrophes and the
 * particles de, du, des, d' (nat_name_key()):
 *   NOM: the keys are equal, or every word of one is a word of the other (a compound name
 *     written in part: "Dumas" for DUMAS-HÉBERT, "Martin Dupont" for DUPONT-MARTIN);
 *   Prénom: the keys are equal, or the words of one are the first words of the other ("Jean"
 *     for JEAN-PIERRE, "Marie Hélène" for MARIE-HÉLÈNE; not "Pierre", nor "Jean-Paul");
 *   an empty name in the record is not compared.
 */
#ifndef MS_NATCHECK_H
#define MS_NATCHECK_H

#include <stdbool.h>
#include "check.h"
#include "model.h"
#include "national.h"

/* Whether the name of a row (NOM, Prénom) names the holder whose name in the national
 * directory is rec (as the extract writes it). */
bool natcheck_nom(const char *nom, const char *rec);
bool natcheck_prenom(const char *prenom, const char *rec);

struct natcheck {
	const struct checker *ck;      /* severities, and the profession list */
	nat_find_fn find;
	void *arg;
};

/* What natcheck_row found, whatever the severities of the rules. */
struct natcheck_result {
	const struct nat_person *rec;  /* the record reports show beside the row: the RPPS's, else
					  the ADELI's (PER); the responsible's (ORG); the mapped
					  one (INT); NULL when none */
	bool looked_up;                /* the row had a number to look up */
	bool absent, name, profession; /* a number absent, names or a profession not the
					  holder's */
	size_t errors;                 /* findings of severity error added */
};

/* Check row (of type type, read from where) and add the findings to f. mapped: the record
 * the mapping read (map_national.person), checked against an INT row, and taken without a
 * look-up when it is the record of the row's number; may be NULL. */
void natcheck_row(const struct natcheck *x, const struct row *row, enum bal_type type,
		  const struct nat_person *mapped, const char *where, struct findings *f,
		  struct natcheck_result *res);

#endif
