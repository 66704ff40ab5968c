#!/bin/bash
# 22-state: the "state" commands on the sample: list, history, runs, forget (the account is
# created again by the next apply) and rollback (the last run's changes are owed again).
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
sample_server
CONF=$MS_TMP/medimail-sync.conf
OUT=$MS_TMP/out
slapd_sample_conf "$CONF" "$OUT" "$MS_TMP/state.db"
nfiles() { count_files "$OUT" 'loadusers-*.xlsx'; }
rows() {
	"$MS_PY" - "$1" <<'PY'
import sys, openpyxl
it = openpyxl.load_workbook(sys.argv[1], read_only=True).active.iter_rows(values_only=True)
next(it)
print("\n".join(sorted(r[0] for r in it)))
PY
}
newest() { ls -t "$OUT"/loadusers-*.xlsx | head -1; }

ms_run -c "$CONF" state list
exit_is 0 "state list on a missing state works (and creates nothing)"
is "$(count_files "$MS_TMP" 'state.db*')" 0 "... no state file created by a read"

ms_run -c "$CONF" apply
is "$(nfiles)" 1 "apply writes the first file"
ms_run -c "$CONF" state list
exit_is 0 "state list exits 0"
is "$(grep -c '@chu-exemple.fr' "$MS_OUT")" 18 "state list shows the 18 accounts written"
like "$MS_OUT" "PER +active +helene\.martin@chu-exemple\.fr" "state list shows type, status and address"
KEY=$(awk '/sophie\.moreau@/ { print $1 }' "$MS_OUT")
[ -n "$KEY" ] || bail "no key for sophie.moreau"
ms_run -c "$CONF" state history "$KEY"
exit_is 0 "state history KEY exits 0"
like "$MS_OUT" "create .*sophie\.moreau@chu-exemple\.fr" "history shows the creation"
ms_run -c "$CONF" state runs
like "$MS_OUT" "^1 .* apply +18 " "state runs shows run 1 with its 18 creations"
ms_run -c "$CONF" state history no-such-key
case $MS_RC in 1|2) ok "history of an unknown key fails" ;; *) not_ok "history of an unknown key fails (exit $MS_RC)" ;; esac
ms_run -c "$CONF" state frobnicate
exit_is 2 "an unknown state subcommand is a usage error"

# forget: the next apply creates the account again (one row)
ms_run -c "$CONF" state forget "$KEY"
exit_is 0 "state forget KEY exits 0"
ms_run -c "$CONF" apply
is "$(nfiles)" 2 "apply after forget writes a file"
is "$(rows "$(newest)")" "sophie.moreau@chu-exemple.fr" "... holding just the forgotten account"

# rollback: a run whose file was never imported is owed again
printf 'dn: uid=tgarnier,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 04 67 00 11 22\n' \
	"$P" >"$MS_TMP/ch.ldif"
slapd_modify "$MS_TMP/ch.ldif" || bail "modify"
ms_run -c "$CONF" apply
is "$(rows "$(newest)")" "thomas.garnier@chu-exemple.fr" "the change is written"
ms_run -c "$CONF" state rollback
exit_is 0 "state rollback exits 0"
ms_run -c "$CONF" state runs
like "$MS_OUT" "^3 .* yes " "state runs marks run 3 as rolled back"
ms_run -c "$CONF" apply
is "$(rows "$(newest)")" "thomas.garnier@chu-exemple.fr" "after rollback the next apply writes the change again"
ms_run -c "$CONF" apply
like "$MS_OUT" "^nothing to do\$" "... and then nothing is owed"
done_testing
