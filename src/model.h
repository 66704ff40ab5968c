/*
 * model.h - the data every stage shares: the 36 loadusers columns (their table is in
 * src/columns.c), a row, a directory entry and the findings of validation and mapping. An
 * account (a row plus where it came from) is in plan.h, an account as the state remembers it
 * in state_types.h.
 *
 * Ownership: a struct owns every pointer inside it; the matching *_free() releases them.
 */
#ifndef MS_MODEL_H
#define MS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define NCOLS 36

/* Column indexes, in file order (the table: src/columns.c). */
enum col {
	COL_MAIL, COL_NOM, COL_PRENOM, COL_RPPS, COL_ADELI, COL_RAISON_SOCIALE, COL_SERVICE,
	COL_ADRESSE1, COL_ADRESSE2, COL_CP, COL_VILLE, COL_DEPARTEMENT, COL_REGION, COL_TEL1,
	COL_TEL2, COL_PROFESSION, COL_SPECIALITE, COL_DIPLOME, COL_LIBERAL, COL_TYPE_BAL,
	COL_TYPE_ID_STRUCT, COL_ID_STRUCT, COL_ADRESSE_RETOUR, COL_NOM_RESP, COL_PRENOM_RESP,
	COL_PROFESSION_RESP, COL_ID_RESP, COL_DESCRIPTION, COL_CIVILITE, COL_MSSANTE,
	COL_APICRYPT, COL_APICRYPT_SPECIALITE, COL_PEREMPTION, COL_ALIAS, COL_CONNEXION,
	COL_STRUCTURE
};

enum bal_type { BAL_PER, BAL_INT, BAL_ORG, BAL_MED, BAL_NTYPES, BAL_NONE = -1 };

/* Requirement of a column for a BAL type (guide, section 3). */
enum req { REQ_O, REQ_OSC, REQ_R, REQ_F, REQ_NC };

struct column {
	const char *header;       /* exact header text of the guide, UTF-8 */
	const char *key;          /* config name in the map section, e.g. "adresse-mail" */
	enum req req[BAL_NTYPES]; /* indexed by enum bal_type */
};

/* src/columns.c: the table, line for line with the guide's (section 3) */
extern const struct column columns[NCOLS];
const char *bal_type_name(enum bal_type t);      /* "PER" ... ; "?" for BAL_NONE */
enum bal_type bal_type_parse(const char *s);     /* exact "PER"/"INT"/"ORG"/"MED", else BAL_NONE */
int column_by_key(const char *key);              /* index or -1 */
int column_by_header(const char *header);        /* exact header text, index or -1 */
/* The requirement the program applies: the table's, except Structure, which the guide marks
 * NC for every type but which an administrator who manages several structures fills (F).
 * The mapper (what it clears), the checker and the reports all ask here. */
enum req column_req(int col, enum bal_type type);

/* One loadusers row: 36 cells, each empty or a UTF-8 string. Read cells with row_get() and
 * change them with row_set()/row_take(); the representation is private to model.c.
 * An unpacked row has an array of NCOLS allocated cells (NULL = empty). A packed row
 * (row_pack) holds its cells in one allocation, blob, at the offsets off[] (0 = empty, else
 * 1 + the offset): the 100,000 rows a run keeps cost one malloc each, and 88 bytes besides.
 * A zero-initialised row is an empty row. */
struct row {
	char **cell;
	char *blob;
	uint16_t off[NCOLS];
};
void row_free(struct row *r);
void row_copy(struct row *dst, const struct row *src);
bool row_equal(const struct row *a, const struct row *b);
static inline const char *row_get(const struct row *r, enum col c)
{
	if (r->cell)
		return r->cell[c] ? r->cell[c] : "";
	return r->off[c] ? r->blob + r->off[c] - 1 : "";
}
void row_set(struct row *r, enum col c, const char *v);   /* copies v (NULL clears) */
/* 64-bit FNV-1a over the cells, each followed by 0x1f: equal rows give equal digests. The state
 * computes the same digest from its encoded rows (state_load_digests). */
uint64_t row_digest(const struct row *r);
uint64_t digest_add(uint64_t h, const char *p, size_t n);
#define DIGEST_INIT 1469598103934665603ULL
#define DIGEST_SEP 0x1f
/* Move the cells into one allocation: rows kept for the whole run cost one malloc, not 36. */
void row_pack(struct row *r);
/* Set every cell at once, packed: v[i] (len[i] bytes, NUL not needed) or empty when len[i] is
 * 0. The row is emptied first. */
void row_fill(struct row *r, const char *const *v, const size_t *len);
void row_take(struct row *r, enum col c, char *v);        /* takes ownership of v */

/* A directory entry as read from LDAP or LDIF. Attribute names keep the case the server sent;
 * look-ups are case-insensitive and ignore options (";binary", ";range=..."). */
struct attr {
	char *name;
	size_t namelen;
	char **vals;     /* NUL-terminated copies; binary values may contain NULs, see lens */
	size_t *lens;
	size_t nvals;
};
/* Names, values and value arrays live in the entry's arena: reading an entry costs a few
 * allocations, not a few per value. Only model.c changes an entry. */
struct entry {
	char *dn;
	struct attr *attrs;
	size_t nattrs, capattrs;
	struct arena ar;
};
const struct attr *entry_attr(const struct entry *e, const char *name);
const char *entry_get(const struct entry *e, const char *name);   /* first value or NULL */
void entry_add_value(struct entry *e, const char *name, const char *val, size_t len);
/* The same in two steps, for many values: the attribute named by the len bytes at name
 * (options after ';' ignored; no NUL needed), added if new, then its values. The pointer
 * holds until the next attribute is added. */
struct attr *entry_attr_add(struct entry *e, const char *name, size_t len);
void attr_add_value(struct entry *e, struct attr *a, const char *val, size_t len);
void entry_free(struct entry *e);
/* Empty the entry for the next one, keeping some of its memory. */
void entry_clear(struct entry *e);

/* Findings of validation and mapping. */
enum severity { SEV_OFF, SEV_WARNING, SEV_ERROR };
struct finding {
	enum severity sev;
	char *where;       /* DN, "group DN", or "line N" for validate */
	int col;           /* enum col, or -1 when no single column is at fault */
	const char *rule;  /* stable rule id, e.g. "rpps-key", static string */
	char *value;       /* the offending value, may be NULL */
	char *message;     /* one sentence in plain words */
};
struct findings {
	struct finding *v;
	size_t n, cap;
};
void findings_add(struct findings *f, enum severity sev, const char *where, int col,
		  const char *rule, const char *value, const char *fmt, ...) PRINTF(7, 8);
void findings_free(struct findings *f);
/* Append every finding of src to dst, leaving src empty (and its storage freed). */
void findings_move(struct findings *dst, struct findings *src);
size_t findings_count(const struct findings *f, enum severity sev);

#endif
