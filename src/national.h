/*
 * national.h - the national directory of health professionals (Annuaire Santé, ANS): the daily
 * extract of the RPPS and ADELI registers (PS_LibreAcces_Personne_activite_*.txt, one row per
 * activity) and, optionally, the MSSanté address extract (Extraction_Correspondance_MSSante_*),
 * read from disk, aggregated per person and kept in an on-disk index that later runs map.
 * medimail-sync never downloads them: the administrator's timer does (packaging/README).
 *
 * nat_open() resolves the configured paths (globs: the last match in sorted order, i.e. the
 * newest of the ANS's time-stamped names) and compares them with the index: the index is used
 * only when it was built from files of the same path, size, modification time and header line,
 * and passes its own checks (magic, version, byte order, sizes, a checksum of its header block
 * and one of its body). Otherwise it is rebuilt from the extracts first: streamed (never the
 * whole file in memory), written to a temporary file, fsynced and renamed over the old one, so
 * that a crash leaves the old index or none. A stale or corrupt index is never used.
 *
 * The extracts: UTF-8, "|" between fields and after the last one, a header line naming the
 * columns; columns are found by name (case, accents and apostrophes aside; known variants of a
 * name accepted), extra columns are ignored. A missing column, a line whose number of fields
 * differs from the header's (a truncated file), invalid UTF-8 or a NUL byte, an empty or
 * overlong identifier is an error naming the file and the line. A UTF-8 byte order mark and
 * CR before LF are accepted; the last line may lack its LF when its field count is right.
 * Aggregation: a person is an identifier type (TRE_G08: 8 RPPS, 0 ADELI) and identifier. Each
 * person's civilités and names come from its first row; professions, savoir-faire, activities
 * and MSSanté addresses are the distinct values of all its rows, in file order.
 *
 * Errors: functions that can fail return NULL (or -1) and, when err is not NULL, set *err to
 * an allocated message naming the file (and line); the caller frees it.
 * Lifetime: everything a struct nat_db hands out lives until nat_close().
 * Threads: a struct nat_db is not thread-safe: look-ups fill a cache. (nat_open_background()
 * runs its check in a thread of its own, which only reads the map.)
 */
#ifndef MS_NATIONAL_H
#define MS_NATIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "conf.h"

/* TRE_G08 type of a person's identifier; the national id (idNat_PS) is this code followed by
 * the identifier: "8" + RPPS (12 characters), "0" + ADELI (10). Other codes are kept as read. */
enum nat_id_type { NAT_ADELI = 0, NAT_RPPS = 8 };

/* A code and its label as the extract writes them; "" (never NULL) when empty. */
struct nat_code {
	const char *code, *label;
};

struct nat_profession {
	struct nat_code profession;    /* TRE_G15: "10" "Médecin" */
	struct nat_code categorie;     /* "C" "Civil", "M" "Militaire", "E" "Etudiant" */
};

/* Type codes (TRE_R04): S spécialité ordinale (code from TRE_R38), C compétence, CEX
 * compétence exclusive, CAPA capacité, DNQ DESC non qualifiant, PAC, DEC, FQ, OP, SH, SST. */
struct nat_savoir_faire {
	struct nat_code type, savoir_faire;
};

struct nat_activity {
	struct nat_code mode;          /* "S" Salarié, "L" Libéral, "B" Bénévole */
	struct nat_code secteur;       /* secteur d'activité: "SA01" "Etablissement public..." */
	const char *siret, *siren, *finess, *finess_ej;   /* site; FINESS juridique */
	const char *structure_id;      /* identifiant technique de la structure */
	const char *raison_sociale, *cp, *commune_code, *commune;
};

struct nat_mssante {
	const char *address;
	const char *bal_type;          /* "PER" for a person's mailbox */
	const char *structure_id_type, *structure_id;    /* as the extract writes them */
	const char *service, *raison_sociale;
};

/* One person, every string "" when empty and never NULL. */
struct nat_person {
	enum nat_id_type type;
	const char *id;                /* RPPS (11 digits) or ADELI (9) */
	const char *idnat;             /* "Identification nationale PP": type code + id */
	bool in_extract;               /* false: only the MSSanté extract names this id */
	struct nat_code civilite_exercice;    /* TRE_R11: "DR" "Docteur" */
	struct nat_code civilite;             /* "M" "Monsieur", "MME" "Madame" */
	const char *nom, *prenom;             /* nom and prénom d'exercice as written */
	const char *nom_fold, *prenom_fold;   /* utf8_fold(): "de la fontaine" */
	const char *nom_key, *prenom_key;     /* nat_name_key(): "lafontaine" */
	const struct nat_profession *professions;     /* [0] is the first row's */
	size_t nprofessions;
	const struct nat_savoir_faire *savoir_faire;
	size_t nsavoir_faire;
	const struct nat_activity *activities;
	size_t nactivities;
	const struct nat_mssante *mssante;
	size_t nmssante;
};

/* How nat_open() and nat_open_background() checked the body of the index (a pass over all of
 * it: about 0.05 s of CPU and the whole file mapped for a national extract). */
enum nat_body {
	NAT_BODY_BUILT,        /* just built: checked on the way */
	NAT_BODY_READ,         /* read and checked before nat_open() returned */
	NAT_BODY_BACKGROUND,   /* being checked by a second thread: see nat_verified() */
	NAT_BODY_UNCHANGED,    /* not read: the file's modification time is still the one its
				* build set, so it is as it was written (nat_open_background) */
};

/* What nat_open() found or did. Strings are owned by the db. */
struct nat_info {
	const char *extract, *mssante, *index;   /* paths; mssante NULL when not configured */
	const char *rebuilt;          /* why the index was (re)built, or NULL when it was reused */
	enum nat_body body;           /* how its body was checked */
	double seconds;               /* building (or checking and mapping) the index */
	uint64_t rows;                /* data rows of the activity extract */
	uint64_t persons;             /* distinct identifiers in it */
	uint64_t activities;          /* distinct activities, per person, summed */
	uint64_t savoir_faire;        /* distinct savoir-faire, per person, summed */
	uint64_t mssante_rows;        /* data rows of the MSSanté extract */
	uint64_t mssante_addresses;   /* those with a person identifier (others: ORG, skipped) */
	uint64_t index_bytes;
	long long extract_mtime, built_at;    /* epoch seconds */
};

struct nat_db;

/* Open the national directory of c, building or refreshing its index first when needed (and
 * logging what it did at info level, with counts and time). NULL + *err on failure (no usable
 * index: a stale one is never used). Free with nat_close(). */
struct nat_db *nat_open(const struct conf_national *c, char **err) WUR;
/* The same for the runs, with the body checked only when the index was modified since it was
 * built: the build sets the file's modification time to a time a later write cannot give it
 * (a second in the past) and records it in the header. When the file's mtime is still that
 * one, the body is as it was written and not read again (NAT_BODY_UNCHANGED: a run reads only
 * the pages its look-ups touch). Otherwise (written to, touched, copied without its times) the
 * checksum of the body is computed by a second thread while the caller goes on, e.g. reading
 * its directories (NAT_BODY_BACKGROUND); nat_verified() waits for it. The header and the
 * extracts' identity are checked before it returns, as by nat_open(); look-ups work at once,
 * but nothing read from the index may be acted upon (written) before nat_verified() returned
 * 0. A damaged body makes nat_verified() return -1 + *err and remove the index, so that the
 * next open builds it again. nat_open() (the admin's commands) always reads the whole body. */
struct nat_db *nat_open_background(const struct conf_national *c, char **err) WUR;
/* 0 when the body of db's index is whole (at once after nat_open(), for an index just built
 * or unchanged since its build), -1 + *err when it is damaged. Waits for the check of
 * nat_open_background(); can be called again. */
int nat_verified(struct nat_db *db, char **err) WUR;
void nat_close(struct nat_db *db);
const struct nat_info *nat_info(const struct nat_db *db);

/* The person with identifier id of type t, or NULL when the national directory does not know
 * it. id is the bare identifier (11-digit RPPS, 9-digit ADELI), not the national id form: see
 * nat_parse_id(). The result lives until nat_close(); the same person gives the same pointer. */
const struct nat_person *nat_find(struct nat_db *db, enum nat_id_type t, const char *id);

/* A look-up as the pure stages take it (map.h, natcheck.h): the person with identifier id of
 * type t, or NULL; nat_find() behind it at run time. */
typedef const struct nat_person *(*nat_find_fn)(void *arg, enum nat_id_type t, const char *id);

/* The first savoir-faire of type "S" (spécialité ordinale), or NULL. Inline, so that the pure
 * stages read records without linking the reader. */
static inline const struct nat_savoir_faire *nat_specialite(const struct nat_person *p)
{
	for (size_t i = 0; i < p->nsavoir_faire; i++)
		if (p->savoir_faire[i].type.code[0] == 'S' && !p->savoir_faire[i].type.code[1])
			return &p->savoir_faire[i];
	return NULL;
}

/* Read an identifier as a person would type it: 11 digits (RPPS), 9 digits (ADELI), the
 * national id "8"+RPPS or "0"+ADELI, or "TYPE:ID" for any TRE_G08 type. Blanks are ignored.
 * 0 with *t and *id (allocated, caller frees), or -1. */
int nat_parse_id(const char *s, enum nat_id_type *t, char **id) WUR;

/* A name folded for matching: utf8_fold(), then the particles "de", "du", "des" and "d'" and
 * every blank, hyphen and apostrophe removed: "De La Fontaine", "LA FONTAINE" -> "lafontaine";
 * "D'ARC" -> "arc"; "Saint-Exupéry" -> "saintexupery". Caller frees. */
char *nat_name_key(const char *name);

/* Whether address (an MSSanté address) is in one of the n domains (compared without case);
 * inline for the pure stages. */
static inline bool nat_in_domains(const char *address, char *const *domains, size_t n)
{
	const char *at = strrchr(address, '@');

	for (size_t i = 0; at && at > address && i < n; i++)
		if (strcasecmp(at + 1, domains[i]) == 0)
			return true;
	return false;
}

/* Whether the n bytes at w are a particle of a folded name: "de", "du", "des", "d". */
bool nat_particle(const char *w, size_t n);

/* Test and fuzzing entry point: parse an extract held in memory (kind 0: activity extract,
 * 1: MSSanté) without writing an index. Returns the number of data rows, or -1 + *err. */
long nat_parse_buffer(const char *data, size_t len, int kind, char **err) WUR;

#endif
