/*
 * adopt.h - Medimail's own account list (the console's export) against the accounts read from
 * the directory, for "medimail-sync adopt": which mailboxes exist already, which differ, which
 * are new, which belong to nobody, and what --commit records in the state. Pure: no I/O.
 *
 * Matching order: the address (trimmed, lower case), then the RPPS, then the ADELI. A Medimail
 * account is matched to one directory account at most; anything ambiguous (one address twice
 * in the export, one Medimail account claimed by two entries, two Medimail accounts for one
 * person) is a conflict that names everyone involved, never a guess.
 *
 * Leavers (disabled, or past their end date) and rejected entries take part in the matching:
 * a leaver who still has a mailbox is matched (category LEAVING: the next apply expires it once
 * recorded), a rejected entry that has a mailbox is told (category REJECTED: recorded, its
 * mailbox keeps Medimail's values until the entry is fixed). Without a mailbox they are
 * SKIPPED: the next apply creates nothing for them.
 */
#ifndef MS_ADOPT_H
#define MS_ADOPT_H

#include <stdbool.h>
#include "plan.h"

/* One account of Medimail's export, as the export reader gives it. Borrowed: the matcher
 * keeps pointers to it, so it must outlive the result. */
struct medimail_account {
	const struct row *row;     /* its cells, normalised (address trimmed, lower case) */
	const char *state;         /* the export's account state text ("Actif"...), "" if none */
	long line;                 /* its line (CSV) or row (XLSX, XLS) in the export */
};

/* The whole export. */
struct medimail_list {
	const struct medimail_account *acc;
	size_t n;
	unsigned long long cols;   /* bit i: the export has column i (enum col) */
	bool has_state;            /* the export has a state column */
};

/* The account state Medimail shows, read from the export's state text (a word list as data:
 * "Actif", "Préinscrit"... are active; "Inactif", "Désactivé", "Expiré"... are not). */
enum mm_state { MM_ACTIVE, MM_INACTIVE, MM_UNKNOWN };
enum mm_state medimail_state(const char *text);

/* An address as matching compares it: trimmed, lower case. Caller frees. */
char *medimail_mail_key(const char *mail);

/* Bit of a difference mask that stands for the account's state (active here, inactive in
 * Medimail), beside the column bits 0 .. NCOLS - 1. */
#define DIFF_STATE (1ULL << NCOLS)

/* The cells of ours and theirs that differ, among the columns in cols: trimmed text compared
 * exactly, except the address (without regard to case), "Compte(s) de connexion" (as a set
 * of addresses, whatever their order) and "Date de péremption" (AA-MM-JJ, YYYY-MM-DD and
 * DD/MM/YYYY compare as dates). Shared by adopt and reconcile. */
unsigned long long medimail_diff(const struct row *ours, const struct row *theirs,
				 unsigned long long cols);

enum adopt_cat {
	ADOPT_IDENTICAL,   /* matched, the export's columns all equal */
	ADOPT_DIFFERS,     /* matched, some cells differ (or inactive in Medimail): the next
			      apply writes an update */
	ADOPT_RENAME,      /* matched by RPPS or ADELI under another address: to be confirmed */
	ADOPT_LEAVING,     /* matched, disabled or past its end date in the directory */
	ADOPT_REJECTED,    /* matched, rejected by our rules */
	ADOPT_NEW,         /* in the directory only: the next apply creates it */
	ADOPT_SKIPPED,     /* in the directory only, leaving or rejected: nothing to create */
	ADOPT_ORPHAN,      /* in Medimail only: no directory entry accounts for it */
	ADOPT_CONFLICT,    /* ambiguous: listed, never matched */
	ADOPT_NCATS
};
const char *adopt_cat_name(enum adopt_cat c);   /* "identical", "differs"... (JSON keys) */

enum adopt_by { BY_NONE, BY_MAIL, BY_RPPS, BY_ADELI };
const char *adopt_by_name(enum adopt_by b);     /* "address", "RPPS", "ADELI" */

enum adopt_conflict {
	CONFLICT_NONE,
	CONFLICT_EXPORT_TWICE,   /* one address twice in the export */
	CONFLICT_CLAIMED,        /* one Medimail account claimed by two directory entries */
	CONFLICT_TWO_ACCOUNTS,   /* two Medimail accounts for one directory entry */
};

/* What --commit does with an item (adopt_decide()). */
enum adopt_outcome {
	OUT_NONE,          /* nothing to record: new, skipped, conflict, inactive orphan */
	OUT_UNCONFIRMED,   /* matched by RPPS or ADELI: recorded with --accept-renames only */
	OUT_NOT_ASKED,     /* in Medimail only: recorded with --expire-orphans only */
	OUT_ADDED,         /* new in the state */
	OUT_REPLACED,      /* the state had this account with another row or status */
	OUT_SAME,          /* left alone: the state holds exactly this already */
	OUT_MANAGED,       /* left alone: the state manages this address under another key */
};

struct adopt_item {
	enum adopt_cat cat;
	enum adopt_by by;                    /* how d and m were matched; BY_NONE otherwise */
	const struct account *d;             /* the directory account; NULL for ORPHAN, CONFLICT */
	const struct medimail_account *m;    /* the Medimail account; NULL for NEW, SKIPPED,
						CONFLICT */
	enum mm_state mstate;                /* of m, when there is one */
	unsigned long long diff;             /* DIFFERS: column bits and DIFF_STATE */
	/* CONFLICT: everyone involved, in input order (allocated). An entry matched on its own
	 * (by address) may be named here too, beside its own item. */
	enum adopt_conflict conflict;
	const struct account **dv;
	size_t nd;
	const struct medimail_account **mv;
	size_t nm;
	/* filled by adopt_decide() */
	enum adopt_outcome outcome;
	char *key;                           /* the state key to record (orphans: "medimail:"
						and the address) */
	struct row rec;                      /* the row to record as last written */
	enum acct_status status;             /* the status to record */
	const struct state_account *prev;    /* the state's entry for key, or NULL */
	const struct state_account *other;   /* OUT_MANAGED: the entry that manages it */
};

struct adopt_result {
	struct adopt_item *items;            /* by category, then by address */
	size_t n;
	size_t count[ADOPT_NCATS];
	size_t count_type[ADOPT_NCATS][BAL_NTYPES + 1];   /* [BAL_NTYPES]: type unknown */
	size_t outcome[OUT_MANAGED + 1];     /* items per outcome, after adopt_decide() */
};

/* Match the directory's accounts with Medimail's. now (epoch s) tells who is past their end
 * date. acc and mm stay owned by the caller and must outlive the result. Every account of
 * both sides gets exactly one item (CONFLICT items may name some twice, see above). Free with
 * adopt_result_free(). */
void adopt_match(const struct account *acc, size_t nacc, const struct medimail_list *mm,
		 long long now, struct adopt_result *out);

struct adopt_opts {
	bool accept_renames;       /* record the matches by RPPS or ADELI */
	bool expire_orphans;       /* record Medimail-only active accounts, for the next apply
				      to expire them */
};

/* Decide what --commit records, against the state's accounts prev (from state_load(): rows
 * loaded), which must outlive r. Recorded rows hold Medimail's values for the export's
 * columns that differ, and the directory's values elsewhere, so that the next apply writes
 * only the real differences. Sets each item's outcome, key, rec, status, prev and other, and
 * r->outcome. */
void adopt_decide(struct adopt_result *r, const struct medimail_list *mm,
		  const struct state_account *prev, size_t nprev, const struct adopt_opts *o);

/* True when the admin has something to decide (exit status 4): a rename not accepted, a
 * conflict, a Medimail-only account not handled by --expire-orphans, a rejected entry that
 * has a mailbox. Call it after adopt_decide(). */
bool adopt_needs_admin(const struct adopt_result *r);

void adopt_result_free(struct adopt_result *r);

#endif
