/*
 * national_util.c - the national directory's small helpers: the body checksum, the slow
 * paths of the byte buffer and of the varint reader, the first error, the clock. See
 * national_int.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "national_int.h"

#define CSUM_P1 HASH_P1
#define CSUM_P2 HASH_P2

void nat_csum_init(struct csum *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 4; i++)
		c->lane[i] = CSUM_P1 * (uint64_t)(i + 1);
}

static inline void csum_block(struct csum *c, const unsigned char *p)
{
	for (int i = 0; i < 4; i++)
		c->lane[i] = rotl64(c->lane[i] ^ (ld64(p + 8 * i) * CSUM_P2), 31) * CSUM_P1;
}

void nat_csum_add(struct csum *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	c->len += n;
	if (c->ntail) {
		size_t k = 32 - c->ntail < n ? 32 - c->ntail : n;

		memcpy(c->tail + c->ntail, p, k);
		c->ntail += k;
		p += k;
		n -= k;
		if (c->ntail < 32)
			return;
		csum_block(c, c->tail);
		c->ntail = 0;
	}
	for (; n >= 32; p += 32, n -= 32)
		csum_block(c, p);
	memcpy(c->tail, p, n);
	c->ntail = n;
}

uint64_t nat_csum_final(struct csum *c)
{
	uint64_t h = c->len * CSUM_P2;

	memset(c->tail + c->ntail, 0, 32 - c->ntail);
	csum_block(c, c->tail);
	for (int i = 0; i < 4; i++)
		h = rotl64(h ^ mix64(c->lane[i]), 27) * CSUM_P1;
	return mix64(h);
}

uint64_t nat_csum_of(const void *p, size_t n)
{
	struct csum c;

	nat_csum_init(&c);
	nat_csum_add(&c, p, n);
	return nat_csum_final(&c);
}

void nat_by_grow(struct bytes *b, size_t n)
{
	size_t cap = b->cap ? 2 * b->cap : 256;

	while (cap - b->len < n)
		cap *= 2;
	b->buf = xrealloc(b->buf, cap);
	b->cap = cap;
}

uint64_t nat_get_varint_long(struct cur *c)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (!c->ok || c->p >= c->end)
			break;
		v |= (uint64_t)(*c->p & 0x7f) << shift;
		if (!(*c->p++ & 0x80))
			return v;
	}
	c->ok = false;
	return 0;
}

void nat_set_err(char **err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!err || *err)
		return;         /* the first error is the one reported */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup(fmt);
	va_end(ap);
	*err = msg;
}

double nat_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

