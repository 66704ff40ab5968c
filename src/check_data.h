/*
 * check_data.h - code lists and geography tables generated from the TSV files of src/data/ by
 * src/data/gen-tables.awk into check_data.c (see src/data/README for sources and licences).
 * Only check.c reads them; other modules go through check.h.
 *
 * Every string is a static UTF-8 literal that lives as long as the program.
 */
#ifndef MS_CHECK_DATA_H
#define MS_CHECK_DATA_H

#include <stddef.h>

/* flags of a code_entry */
#define CODE_DEPRECATED    0x1   /* marked deprecated in its nomenclature, still accepted */
#define CODE_MEDICO_SOCIAL 0x2   /* profession of the medico-social field (Diplôme for INT) */
#define CODE_ADMIN         0x4   /* administrative or IT staff (MED population) */

/* One value of a code list. code may be NULL (profession without a national code); alt is
 * another accepted spelling (short label, feminine form) or NULL; parent is the région code of
 * a département, NULL elsewhere. */
struct code_entry {
	const char *code;
	const char *label;
	const char *alt;
	const char *parent;
	int flags;
};

/* A postal code whose communes lie (also) in another département than its prefix says.
 * shared: the prefix département is valid too (and is the one derived from the CP). */
struct cp_exception {
	const char *cp;
	const char *dep;
	int shared;
};

extern const struct code_entry data_departements[];   /* departements.tsv, parent = région */
extern const size_t data_ndepartements;
extern const struct code_entry data_regions[];        /* regions.tsv */
extern const size_t data_nregions;
extern const struct cp_exception data_cp_exceptions[]; /* only those with a known département */
extern const size_t data_ncp_exceptions;
extern const struct code_entry data_professions[];    /* TRE_G15 + professions_extra.tsv */
extern const size_t data_nprofessions;
extern const struct code_entry data_civilites[];      /* TRE_R11 */
extern const size_t data_ncivilites;
extern const struct code_entry data_specialites[];    /* TRE_R38, alt = short label */
extern const size_t data_nspecialites;

#endif
