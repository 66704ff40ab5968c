#!/bin/bash
# 28-enddates.sh - shape "end dates" on OpenLDAP (tests/fixtures/enddates, README there):
# shadowExpire past, future, never and unreadable, read by flavor openldap's defaults, on a
# private slapd. Run 1 (2026-03-02): ended people are never written, future dates are written
# ahead, unreadable dates reject the entry. Run 2 (2026-10-05): a date that passed and a date
# set in the past expire the rows written by run 1; a person written active by run 1 whose date
# became unreadable is rejected and written neither active nor expired.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export TZ=UTC
NOW1=1772445600     # 2026-03-02 10:00:00 UTC
NOW2=1791194400     # 2026-10-05 10:00:00 UTC
FIX=$MS_SRC/tests/fixtures/enddates
P=ou=people,dc=chu-exemple,dc=fr
D=ch-exemple.fr
NEVER="eva.typee@$D,fabien.grand@$D"          # unreadable end date from the start
ENDED="anne.passe@$D,helene.jour@$D"          # ended before (or on the day of) run 1

CONF=$MS_TMP/enddates.conf
shape_server "$FIX" "$CONF"
OUT=$SHAPE_OUT

ms_run -c "$CONF" check-config
exit_is 0 "check-config: shadowExpire is the default end date of flavor openldap"

# ---- run 1 ----------------------------------------------------------------------------------
export MEDIMAIL_SYNC_NOW=$NOW1
ms_run -c "$CONF" plan --json "$MS_TMP/plan1.json"
exit_is 4 "plan (run 1) exits 4: two unreadable end dates"
findings_check "$MS_OUT" "$FIX/expected-findings-run1.tsv" --sub "P=$P" --label "plan (run 1)"
is "$(summary_count "$MS_OUT" create PER)/$(summary_count "$MS_OUT" create MED)" 4/2 \
	"plan (run 1): 4 PER and 2 MED to create (the ended and the unreadable are not)"
is "$(summary_count "$MS_OUT" skipped MED)" 2 \
	"plan (run 1): apast and hjour, ended before they were ever written, are skipped"
like "$MS_OUT" "skipped: 0 disabled, 2 past their end date" "plan (run 1): skipped, by reason"
is "$(jq -c '[.counts.create, .counts.skipped, .counts.rejected, .counts.errors]' \
	"$MS_TMP/plan1.json" 2>&1)" "[6,2,2,2]" \
	"plan --json (run 1): create 6, skipped 2, rejected 2, errors 2"

ms_run -c "$CONF" apply
exit_is 4 "apply (run 1) exits 4"
findings_check "$MS_OUT" "$FIX/expected-findings-run1.tsv" --sub "P=$P" --label "apply (run 1)"
X1=$(loadusers_written)
if [ -n "$X1" ] && [ -s "$X1" ]; then
	xlsx_check "$X1" --expected "$FIX/expected-rows-run1.tsv" --rows 6 --types PER=4,MED=2 \
		--absent "$NEVER,$ENDED" --strict
else
	not_ok "apply (run 1) wrote a loadusers XLSX"
	diag_file "$MS_OUT"
fi

# ---- run 2: cjamais gets a past end date; jbascule's becomes unreadable (and his telephone
# changes, so that a program ignoring the date would write an update) ----------------------------
cat >"$MS_TMP/run2.ldif" <<EOF
dn: uid=cjamais,$P
changetype: modify
replace: shadowExpire
shadowExpire: 20619

dn: uid=jbascule,$P
changetype: modify
replace: shadowExpire
shadowExpire: 20261231
-
replace: telephoneNumber
telephoneNumber: 04 66 27 02 99
EOF
slapd_modify "$MS_TMP/run2.ldif" || bail "ldapmodify for run 2"
export MEDIMAIL_SYNC_NOW=$NOW2
ms_run -c "$CONF" apply --json "$MS_TMP/apply2.json"
exit_is 4 "apply (run 2) exits 4"
findings_check "$MS_OUT" "$FIX/expected-findings-run2.tsv" --sub "P=$P" --label "apply (run 2)"
is "$(jq -c '[.counts.expire, .counts.create, .counts.update, .counts.rejected, .counts.stale]' \
	"$MS_TMP/apply2.json" 2>&1)" "[2,0,0,3,1]" \
	"apply --json (run 2): expire 2, create 0, update 0, rejected 3 (jbascule stale)"
X2=$(loadusers_written)
if [ -n "$X2" ] && [ -s "$X2" ] && [ "$X2" != "$X1" ]; then
	xlsx_check "$X2" --expected "$FIX/expected-rows-run2.tsv" --rows 2 --types PER=2 \
		--absent "julien.bascule@$D,$NEVER,$ENDED"
else
	not_ok "apply (run 2) wrote a new loadusers XLSX"
	diag_file "$MS_OUT"
fi

# Never exported as active: the people whose end date cannot be read are in no file at all,
# and jbascule only in run 1's, when his date was readable.
is "$(count_files "$OUT" 'loadusers-*')" 2 "two loadusers files in all"
loadusers_without "$OUT" "^(eva\.typee|fabien\.grand)@" \
	"no loadusers file holds a person whose end date never could be read"
loadusers_without "$OUT" "^julien\.bascule@" \
	"no file after run 1's rewrites jbascule, whose end date became unreadable" "$X1"

done_testing
