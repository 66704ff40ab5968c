/*
 * reconcile.h - Medimail's export against the state, for "medimail-sync reconcile", at any
 * time after an import: what medimail-sync wrote that Medimail does not have (a file not
 * imported, an import that failed), values changed by hand in the console (or refused by an
 * import), expiries Medimail did not apply, accounts created in the console; and what
 * --commit changes in the state so that the next apply puts things right. Also the values
 * kept by hand (hand-edits = keep), applied to each run's accounts. Pure: no I/O.
 */
#ifndef MS_RECONCILE_H
#define MS_RECONCILE_H

#include <stdbool.h>
#include "adopt.h"
#include "state_types.h"

enum recon_cat {
	RECON_OK,           /* Medimail holds what was written; or expired and gone, inactive,
			       or not past its date yet */
	RECON_MISSING,      /* written, active in the state, absent from Medimail */
	RECON_MOVED,        /* absent at its address, and one Medimail account unknown to the
			       state has its RPPS (else ADELI): changed in the console? Listed,
			       never touched */
	RECON_DIFFERS,      /* present, some cells differ (or inactive in Medimail) */
	RECON_NOT_EXPIRED,  /* expired by medimail-sync, still active in Medimail after its Date
			       de péremption, or without it */
	RECON_UNKNOWN,      /* in Medimail, unknown to the state: created in the console */
	RECON_NCATS
};
const char *recon_cat_name(enum recon_cat c);   /* "ok", "missing"... (JSON keys) */

/* What --commit does with an item (reconcile_decide()). */
enum recon_outcome {
	RO_NONE,           /* nothing */
	RO_REQUEUE,        /* removed from the state: the next apply creates it again */
	RO_REPLACE,        /* Medimail's values (and state) recorded as last written: the next
			      apply writes the directory's values over them */
	RO_KEEP,           /* Medimail's values recorded and kept (hand-edits = keep) */
	RO_REEXPIRE,       /* active again in the state: the next apply writes its expiry */
	RO_NOUTCOMES
};

struct recon_item {
	enum recon_cat cat;
	const struct state_account *s;       /* NULL for UNKNOWN */
	const struct medimail_account *m;    /* NULL for MISSING */
	enum mm_state mstate;
	enum adopt_by by;                    /* MOVED: BY_RPPS or BY_ADELI */
	unsigned long long diff;             /* DIFFERS: column bits and DIFF_STATE */
	bool passed;                         /* NOT_EXPIRED: its Date de péremption has passed
						(else Medimail shows another date, or none) */
	/* filled by reconcile_decide() */
	enum recon_outcome outcome;
	struct row rec;                      /* RO_REPLACE, RO_KEEP, RO_REEXPIRE: the row */
	enum acct_status status;             /* ... and the status to record */
};

struct recon_result {
	struct recon_item *items;            /* by category, then by address */
	size_t n;
	size_t count[RECON_NCATS];
	size_t count_type[RECON_NCATS][BAL_NTYPES + 1];   /* [BAL_NTYPES]: type unknown */
	size_t outcome[RO_NOUTCOMES];        /* after reconcile_decide() */
	struct kept_value *kept;             /* RO_KEEP: the values to keep */
	size_t nkept;
};

/* Compare the state's accounts st (rows loaded) with Medimail's; now (epoch s) tells which
 * dates have passed. Both stay owned by the caller and must outlive the result. Every state
 * account and every Medimail account gets one item, except expired accounts that Medimail no
 * longer has and expired accounts whose address an active account of the state uses again
 * (both RECON_OK, no item). Free with reconcile_result_free(). */
void reconcile_compare(const struct state_account *st, size_t nst,
		       const struct medimail_list *mm, long long now, struct recon_result *out);

enum hand_edits { HAND_OVERWRITE, HAND_KEEP };

/* Decide what --commit changes: MISSING re-queued; DIFFERS recorded with Medimail's values
 * (the next apply overwrites them with the directory's) or, with HAND_KEEP, recorded and
 * kept (a change of state alone is left as it is); NOT_EXPIRED active again so that the next
 * apply expires it. MOVED and UNKNOWN are left to the admin. */
void reconcile_decide(struct recon_result *r, enum hand_edits h);

/* Anything but RECON_OK: the admin should look (exit status 4). */
bool reconcile_needs_admin(const struct recon_result *r);

void reconcile_result_free(struct recon_result *r);

/* Give this run's accounts the values kept by hand (kept_value): for each, where the account
 * with that key still has base in that column, the cell takes value. Returns the number of
 * cells changed. */
size_t reconcile_keep_apply(struct account *acc, size_t nacc, const struct kept_value *k,
			    size_t nk);

#endif
