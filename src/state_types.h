/*
 * state_types.h - what the state remembers, as plain data: an account as last written, and a
 * value kept by hand. state.c stores and loads them; the plan, adopt and reconcile compare
 * this run's accounts with them. No I/O here.
 *
 * Ownership: a struct owns every pointer inside it; the matching *_free() releases them.
 */
#ifndef MS_STATE_TYPES_H
#define MS_STATE_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "model.h"

enum acct_status { ST_ACTIVE, ST_EXPIRED };

/* An account as the state remembers it. */
struct state_account {
	char *key;
	char *dn;
	struct row row;       /* the row last written; empty while lazy */
	long long run_id;
	long long written;    /* epoch s of the run that wrote the row (its start), 0 unknown */
	uint64_t digest;      /* row_digest() of the row last written, when lazy */
	enum bal_type type;
	enum acct_status status;
	bool lazy;            /* row not loaded yet: digest stands for it (plan_opts.fetch) */
};
void state_account_free(struct state_account *a);   /* frees the fields, not a itself */

/* A value changed by hand in the console and kept: while the directory still gives base (the
 * value medimail-sync had written) for this account's column, the row carries value. */
struct kept_value {
	char *key;
	int col;               /* enum col */
	char *value;           /* Medimail's */
	char *base;            /* what medimail-sync had written */
};
void kept_value_free(struct kept_value *k);    /* frees the fields, not k itself */

#endif
