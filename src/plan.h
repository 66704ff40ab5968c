/*
 * plan.h - the incremental plan: this run's accounts against the state of earlier runs.
 * Pure: no I/O. Sorts every account into create, update, unchanged, expire, reactivate,
 * rename or rejected, computes the rows to write and checks the safety limits.
 */
#ifndef MS_PLAN_H
#define MS_PLAN_H

#include <stdbool.h>
#include "model.h"
#include "state_types.h"

struct nat_person;

/* An account of this run, as mapped and validated. */
struct account {
	char *key;            /* stable id (entryUUID, objectGUID text): the state's key */
	char *dn;
	const char *source;   /* directory section name (borrowed from the config) */
	struct row row;       /* the full row this run would write */
	long long end_time;   /* directory end date (epoch s), 0 = none */
	enum bal_type type;
	bool disabled;        /* disabled in the directory: to expire */
	bool rejected;        /* invalid this run: never written, never expired for that */
	const struct nat_person *national;   /* its record in the national directory (the
					       collection's, borrowed; see natcheck.h), or NULL */
};
void account_free(struct account *a);      /* frees the fields, not a itself */

/* ACT_SKIPPED: a person who is disabled or past their end date and was never written (the
 * reason says which): nothing to tell Medimail, but the admin sees why there is no mailbox. */
enum action {
	ACT_CREATE, ACT_UPDATE, ACT_UNCHANGED, ACT_EXPIRE, ACT_REACTIVATE, ACT_RENAME,
	ACT_SKIPPED, ACT_REJECTED, ACT_NACTIONS
};
const char *action_name(enum action a);   /* "create", "update", ... */

enum expire_reason { EXP_NONE, EXP_GONE, EXP_DISABLED, EXP_END_DATE };
const char *expire_reason_name(enum expire_reason r);

struct plan_item {
	enum action act;
	const struct account *cur;          /* NULL for expire of a gone account */
	const struct state_account *prev;   /* NULL for create */
	struct row *dated;                  /* ACT_EXPIRE, and the old address of ACT_RENAME: the
					       last written row with its Date de péremption
					       (allocated); the account's own row is written
					       otherwise, without a copy: see plan_item_row() */
	unsigned long long changed;         /* ACT_UPDATE/REACTIVATE: bit i = column i changed */
	enum expire_reason reason;          /* ACT_EXPIRE and ACT_SKIPPED */
	bool stale;                         /* ACT_REJECTED of an account that an earlier run
					       wrote and left active: its mailbox keeps the
					       values last written */
	char *expire_date;                  /* "AA-MM-JJ" for expiries */
	enum acct_status new_status;        /* what the state will hold after apply (for written
					       items; state_commit ignores the others) */
};

struct plan_opts {
	long long now;               /* epoch s (tests set it) */
	int grace_days;
	int max_expire_count;        /* <0: no limit */
	double max_expire_percent;   /* <0: no limit */
	double max_org_loss_percent; /* <0: no limit */
	bool override_limits;
	/* A base that gave no people (borrowed, NULL: none): the empty-source limit trips
	 * with this detail, whatever the count of accounts. */
	const char *empty_source;
	/* Loads a lazy state account's row (the plan needs it for an update, an expiry or a
	 * rename); 0 on success. Unused when no account is lazy. */
	int (*fetch)(void *arg, struct state_account *a);
	void *fetch_arg;
};

enum limit_id { LIMIT_EMPTY_SOURCE, LIMIT_EXPIRE_COUNT, LIMIT_EXPIRE_PERCENT, LIMIT_ORG_LOSS,
		LIMIT_N };

/* A limit trips when value > max (max < 0: no limit). LIMIT_EMPTY_SOURCE: value = accounts
 * read, trips at 0. LIMIT_ORG_LOSS: value = the largest loss in % among updated or renamed ORGs;
 * detail names each ORG over the limit. Tripped limits are reported even when overridden. */
struct plan_limit {
	bool tripped;
	double value, max;           /* observed and allowed */
	char *detail;                /* e.g. the ORG that lost members */
};

struct plan {
	struct plan_item *items;
	size_t n;
	size_t count[ACT_NACTIONS];
	size_t count_type[ACT_NACTIONS][BAL_NTYPES];
	size_t managed;              /* active accounts in the state before the run */
	size_t stale;                /* rejected items with stale set */
	struct plan_limit limit[LIMIT_N];
	bool limits_tripped;         /* any tripped and not overridden */
};

/* Build the plan. accounts and prev stay owned by the caller and must outlive the plan.
 * Items come out in a deterministic order (by address, then key). Every account gets one item,
 * unchanged, skipped and rejected ones included (a disabled or ended account never written
 * before is skipped; one already expired stays unchanged); an expired account still absent
 * gets none. On success free with plan_free(). */
int plan_build(const struct account *acc, size_t nacc, struct state_account *prev,
	       size_t nprev, const struct plan_opts *o, struct plan *out) WUR;
void plan_free(struct plan *p);
/* The row an item writes: the account's own row for create, update, reactivate and the new
 * address of a rename, the dated last row for an expiry; NULL when it writes nothing. */
const struct row *plan_item_row(const struct plan_item *it);
/* Rows to write, in order (a rename gives two rows: the old expiry first). *rows is a new array
 * (NULL when there is none) that the caller frees with free(); the rows it points to belong to
 * p. Returns the number of rows. */
size_t plan_rows(const struct plan *p, const struct row ***rows);
/* "AA-MM-JJ" for epoch seconds t (local date). Caller frees. */
char *plan_date(long long t);

#endif
