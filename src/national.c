/*
 * national.c - the national directory's look-ups: the fragments of one person found in the
 * table of slots of the mapped index, decoded and merged into a struct nat_person
 * kept in the db's arena; identifiers and names as people type them. See national.h; the
 * index's layout is in national_int.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "national_int.h"

/* ---------------------------------------------------------------------------------------
 * Look-ups: decode the fragments of one person and merge them.
 */
static const char *dict_str(const struct nat_db *db, uint64_t ref, struct cur *c)
{
	uint32_t a, b;

	if (ref == 0 || !c->ok)
		return "";
	if (ref >= db->dict_count) {
		c->ok = false;
		return "";
	}
	a = ld32(db->dict_off + ref * 4);
	b = ld32(db->dict_off + (ref + 1) * 4);
	if (a >= b || b > db->dict_bytes_len || db->dict_bytes[b - 1] != '\0') {
		c->ok = false;
		return "";
	}
	return (const char *)db->dict_bytes + a;
}

static struct nat_code get_code(const struct nat_db *db, struct cur *c)
{
	struct nat_code k;

	k.code = dict_str(db, get_varint(c), c);
	k.label = dict_str(db, get_varint(c), c);
	return k;
}

_Static_assert(sizeof(struct nat_profession) == 4 * sizeof(char *) &&
	       sizeof(struct nat_savoir_faire) == 4 * sizeof(char *) &&
	       sizeof(struct nat_activity) == (4 + SITE_FIELDS) * sizeof(char *) &&
	       sizeof(struct nat_mssante) == 6 * sizeof(char *),
	       "the records of a person are made of strings only");
_Static_assert(offsetof(struct nat_profession, categorie) == sizeof(struct nat_code) &&
	       offsetof(struct nat_savoir_faire, savoir_faire) == sizeof(struct nat_code),
	       "professions and savoir-faire are two codes");

/* Append the record x (size bytes of string pointers) unless an equal one is there. */
static void recs_add(struct recs *l, const void *x, size_t size)
{
	const char *p, *q;
	size_t k, i;

	for (k = 0; k < l->n; k++) {
		const char *r = (const char *)l->v + k * size;

		for (i = 0; i < size; i += sizeof(p)) {
			memcpy(&p, r + i, sizeof(p));
			memcpy(&q, (const char *)x + i, sizeof(q));
			if (strcmp(p, q) != 0)
				break;
		}
		if (i == size)
			return;
	}
	xgrow(&l->v, &l->cap, l->n + 1, size);
	memcpy((char *)l->v + l->n++ * size, x, size);
}

static void get_site(struct cur *c, struct nat_activity *a)
{
	const char **f[SITE_FIELDS] = {
		&a->siret, &a->siren, &a->finess, &a->finess_ej, &a->structure_id,
		&a->raison_sociale, &a->cp, &a->commune_code, &a->commune
	};

	for (size_t i = 0; i < SITE_FIELDS; i++)
		*f[i] = get_str(c);
}

/* A count, then that many records of two codes (struct nat_profession, nat_savoir_faire). */
static void get_code_pairs(const struct nat_db *db, struct cur *c, struct recs *r)
{
	uint64_t n = get_varint(c);

	for (uint64_t i = 0; c->ok && i < n; i++) {
		struct nat_code x[2];

		x[0] = get_code(db, c);
		x[1] = get_code(db, c);
		if (c->ok)
			recs_add(r, x, sizeof(x));
	}
}

/* Decode the kind-1 body of a fragment into p and m. */
static void decode_act(const struct nat_db *db, struct cur *c, struct nat_person *p,
		       struct merge *m, bool first)
{
	const char *idnat = get_str(c);
	struct nat_code civex = get_code(db, c), civ = get_code(db, c);
	const char *nom = get_str(c), *prenom = get_str(c);
	uint64_t n;

	if (first) {
		p->idnat = idnat;
		p->civilite_exercice = civex;
		p->civilite = civ;
		p->nom = nom;
		p->prenom = prenom;
		p->in_extract = true;
	}
	get_code_pairs(db, c, &m->prof);        /* profession, catégorie */
	get_code_pairs(db, c, &m->sf);          /* type, savoir-faire */
	n = get_varint(c);
	for (uint64_t i = 0; c->ok && i < n; i++) {
		struct nat_activity x;

		x.mode = get_code(db, c);
		x.secteur = get_code(db, c);
		if (get_u8(c) == 1) {
			uint64_t ref = get_varint(c);
			const char *s = dict_str(db, ref, c);
			struct cur sc;

			if (!c->ok || ref == 0) {
				c->ok = false;
				break;
			}
			sc.p = (const unsigned char *)s;
			sc.end = db->dict_bytes + ld32(db->dict_off + (ref + 1) * 4) - 1;
			sc.ok = true;
			get_site(&sc, &x);
			c->ok = sc.ok;
		} else {
			get_site(c, &x);
		}
		if (c->ok)
			recs_add(&m->act, &x, sizeof(x));
	}
}

static void decode_mss(const struct nat_db *db, struct cur *c, struct merge *m)
{
	uint64_t n = get_varint(c);

	for (uint64_t i = 0; c->ok && i < n; i++) {
		struct nat_mssante x;

		x.bal_type = dict_str(db, get_varint(c), c);
		x.address = get_str(c);
		x.structure_id_type = dict_str(db, get_varint(c), c);
		x.structure_id = get_str(c);
		x.service = dict_str(db, get_varint(c), c);
		x.raison_sociale = dict_str(db, get_varint(c), c);
		if (c->ok)
			recs_add(&m->mss, &x, sizeof(x));
	}
}

static void *arena_copy(struct arena *ar, const void *p, size_t n)
{
	void *q;

	if (n == 0)
		return NULL;
	q = arena_alloc(ar, n);
	memcpy(q, p, n);
	return q;
}

static char *name_key_of_fold(const char *fold, char *key);

/* s copied into db's arena ("" kept as it is). */
static const char *keep_str(struct nat_db *db, const char *s)
{
	return *s ? arena_strndup(&db->ar, s, strlen(s)) : "";
}

/* A name as nat_person holds it, and its utf8_fold(), in db's arena (built in db's scratch
 * buffer). */
static void keep_name(struct nat_db *db, const char **name, const char **fold)
{
	*name = keep_str(db, *name);
	db->fold.len = 0;
	sb_add_fold(&db->fold, *name);
	*fold = arena_strndup(&db->ar, db->fold.buf, db->fold.len);
}

/* The national id: the type code (up to 3 digits) and the identifier. */
static const char *make_idnat(struct nat_db *db, unsigned type, const char *id)
{
	size_t n = strlen(id), k = 0;
	char *q = arena_alloc(&db->ar, n + 4);

	if (type >= 100)
		q[k++] = (char)('0' + type / 100);
	if (type >= 10)
		q[k++] = (char)('0' + type / 10 % 10);
	q[k++] = (char)('0' + type % 10);
	memcpy(q + k, id, n + 1);
	return q;
}

/* The cache's slot for table slot i: the one holding it, or the free one where it goes. */
static size_t cache_slot(const struct nat_cache *k, size_t i)
{
	size_t mask = k->cap - 1, s = (size_t)mix64(i) & mask;

	while (k->key[s] && k->key[s] != i + 1)
		s = (s + 1) & mask;
	return s;
}

/* The person kept for table slot i, or NULL. */
static struct nat_person *cache_get(const struct nat_cache *k, size_t i)
{
	return k->cap ? k->val[cache_slot(k, i)] : NULL;
}

/* Keep p for table slot i (not there yet); the cache grows at half full. */
static void cache_put(struct nat_cache *k, size_t i, struct nat_person *p)
{
	size_t s;

	if (2 * (k->n + 1) > k->cap) {
		struct nat_cache old = *k;

		k->cap = old.cap ? 2 * old.cap : 1024;
		k->key = xcalloc(k->cap, sizeof(*k->key));
		k->val = xcalloc(k->cap, sizeof(*k->val));
		for (size_t j = 0; j < old.cap; j++)
			if (old.key[j]) {
				s = cache_slot(k, old.key[j] - 1);
				k->key[s] = old.key[j];
				k->val[s] = old.val[j];
			}
		free(old.key);
		free(old.val);
	}
	s = cache_slot(k, i);
	k->key[s] = (uint32_t)(i + 1);
	k->val[s] = p;
	k->n++;
}

static uint64_t slot_hash(const struct nat_db *db, size_t s)
{
	return ld64(db->table + s * sizeof(struct idx_entry));
}

static uint64_t slot_pos(const struct nat_db *db, size_t s)
{
	return ld64(db->table + s * sizeof(struct idx_entry) + 8);
}

/* The first slot from h's home holding an entry of hash >= h (entries of a smaller hash that
 * were pushed past their home come first); db->table_len when there is none. */
static size_t table_first(const struct nat_db *db, uint64_t h)
{
	size_t s = slot_home(h, db->nslots);

	while (s < db->table_len && slot_pos(db, s) != SLOT_EMPTY && slot_hash(db, s) < h)
		s++;
	return s;
}

/* The fragment of table entry pos: *c over its body, its kind, identifier type and
 * identifier read. false when it is damaged. */
static bool fragment_open(const struct nat_db *db, uint64_t pos, struct cur *c, unsigned *kind,
			  unsigned *type, const char **fid)
{
	uint64_t off = pos & ((1ULL << 56) - 1), len;

	*c = (struct cur){ db->blob + (off < db->blob_len ? off : db->blob_len),
			   db->blob + db->blob_len, off < db->blob_len };
	len = get_varint(c);
	if (c->ok && len > (uint64_t)(c->end - c->p))
		c->ok = false;
	if (c->ok)
		c->end = c->p + len;
	*kind = get_u8(c);
	*type = get_u8(c);
	*fid = get_str(c);
	return c->ok && *kind == (pos >> 56);
}

/* The person found (the fields of its first activity-extract fragment), its records merged
 * in m, as nat_find() returns it: in db's arena, its names folded, its national id made
 * when the extract left it out. What the checks and the reports read of it (names, folded
 * names, professions, MSSanté addresses) is copied next to it, out of the map: a few cache
 * lines of one page to read per person, not one page of the map per string. */
static struct nat_person *person_keep(struct nat_db *db, const struct nat_person *found,
				      const struct merge *m)
{
	struct nat_person *p = arena_alloc(&db->ar, sizeof(*p));
	struct nat_mssante *mss;

	*p = *found;
	if (!p->in_extract) {
		p->idnat = p->nom = p->prenom = "";
		p->civilite_exercice = p->civilite = (struct nat_code){ "", "" };
	}
	keep_name(db, &p->nom, &p->nom_fold);
	keep_name(db, &p->prenom, &p->prenom_fold);
	p->professions = arena_copy(&db->ar, m->prof.v, m->prof.n * sizeof(*p->professions));
	p->nprofessions = m->prof.n;
	mss = arena_copy(&db->ar, m->mss.v, m->mss.n * sizeof(*p->mssante));
	for (size_t i = 0; i < m->mss.n; i++)
		mss[i].address = keep_str(db, mss[i].address);
	p->mssante = mss;
	p->nmssante = m->mss.n;
	p->nom_key = name_key_of_fold(p->nom_fold, arena_alloc(&db->ar, strlen(p->nom_fold) + 1));
	p->prenom_key = name_key_of_fold(p->prenom_fold,
					 arena_alloc(&db->ar, strlen(p->prenom_fold) + 1));
	if (!*p->idnat)
		p->idnat = make_idnat(db, (unsigned)p->type, p->id);
	p->savoir_faire = arena_copy(&db->ar, m->sf.v, m->sf.n * sizeof(*p->savoir_faire));
	p->nsavoir_faire = m->sf.n;
	p->activities = arena_copy(&db->ar, m->act.v, m->act.n * sizeof(*p->activities));
	p->nactivities = m->act.n;
	return p;
}

const struct nat_person *nat_find(struct nat_db *db, enum nat_id_type t, const char *id)
{
	size_t idlen = strlen(id), i;
	uint64_t h = key_hash((unsigned)t, id, idlen);
	struct nat_person tmp, *found;
	struct merge *m = &db->scratch;     /* reused: no allocation per look-up */
	size_t first = SIZE_MAX;
	bool damaged = false;

	if (idlen == 0 || idlen > NAT_ID_MAX || (unsigned)t > 255)
		return NULL;
	m->prof.n = m->sf.n = m->act.n = m->mss.n = 0;
	memset(&tmp, 0, sizeof(tmp));
	for (i = table_first(db, h);
	     i < db->table_len && slot_pos(db, i) != SLOT_EMPTY && slot_hash(db, i) == h; i++) {
		uint64_t pos = slot_pos(db, i);
		/* read before the fragment: the two reads miss the cache at the same time */
		struct nat_person *kept = first == SIZE_MAX ? cache_get(&db->cache, i) : NULL;
		unsigned kind, type;
		const char *fid;
		struct cur c;

		if (!fragment_open(db, pos, &c, &kind, &type, &fid)) {
			damaged = true;
			continue;
		}
		if (type != (unsigned)t || strcmp(fid, id) != 0)
			continue;       /* another person with the same hash */
		if (first == SIZE_MAX) {
			first = i;
			if (kept)
				return kept;
		}
		tmp.type = (enum nat_id_type)type;
		tmp.id = fid;
		if (kind == KIND_ACT)
			decode_act(db, &c, &tmp, m, !tmp.in_extract);
		else
			decode_mss(db, &c, m);
		if (!c.ok)
			damaged = true;
	}
	if (damaged && !db->damaged) {
		db->damaged = true;
		log_err("%s: damaged index data (person %u:%s): rebuild it with \"medimail-sync "
			"national index\" after removing it", db->index_path, (unsigned)t, id);
	}
	if (first == SIZE_MAX)
		return NULL;
	found = person_keep(db, &tmp, m);
	cache_put(&db->cache, first, found);
	return found;
}

/* ---------------------------------------------------------------------------------------
 * Identifiers and names, for matching.
 */
int nat_parse_id(const char *s, enum nat_id_type *t, char **id)
{
	struct strbuf sb = { 0 };
	const char *colon;
	size_t n;
	int rc = -1;

	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			sb_addc(&sb, *s);
	if (!sb.buf)
		return -1;
	n = sb.len;
	colon = strchr(sb.buf, ':');
	if (colon) {
		char *end;
		long v = strtol(sb.buf, &end, 10);

		if (end != colon || colon == sb.buf || v < 0 || v > 255 || !colon[1] ||
		    strlen(colon + 1) > NAT_ID_MAX)
			goto out;
		*t = (enum nat_id_type)v;
		*id = xstrdup(colon + 1);
		rc = 0;
		goto out;
	}
	if (strspn(sb.buf, "0123456789") != n)
		goto out;
	if (n == 11 || (n == 12 && sb.buf[0] == '8')) {
		*t = NAT_RPPS;
		*id = xstrdup(sb.buf + n - 11);
		rc = 0;
	} else if (n == 9 || (n == 10 && sb.buf[0] == '0')) {
		*t = NAT_ADELI;
		*id = xstrdup(sb.buf + n - 9);
		rc = 0;
	}
out:
	sb_free(&sb);
	return rc;
}

bool nat_particle(const char *w, size_t n)
{
	static const char *const particles[] = { "de", "du", "des", "d" };

	for (size_t i = 0; i < ARRAY_SIZE(particles); i++)
		if (strlen(particles[i]) == n && memcmp(w, particles[i], n) == 0)
			return true;
	return false;
}

/* The key of a name already folded (words separated by one space): the words but the
 * particles, joined, into key (room for strlen(fold) + 1 bytes). Returns key. */
static char *name_key_of_fold(const char *fold, char *key)
{
	char *q = key;
	const char *w = fold, *e;
	size_t n;

	for (; *w; w = *e ? e + 1 : e) {
		e = strchr(w, ' ');
		if (!e)
			e = w + strlen(w);
		n = (size_t)(e - w);
		if (!nat_particle(w, n)) {
			memcpy(q, w, n);
			q += n;
		}
	}
	*q = '\0';
	return key;
}

char *nat_name_key(const char *name)
{
	char *fold = utf8_fold(name), *key = name_key_of_fold(fold, xmalloc(strlen(fold) + 1));

	free(fold);
	return key;
}
