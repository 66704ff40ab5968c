#!/bin/bash
# 27-idnat.sh - shape "idNat_PS in employeeNumber" (tests/fixtures/idnat, README there): RPPS
# and ADELI both read from one attribute through idnat:rpps and idnat:adeli, on a private slapd.
# The plan's findings, the summary, the JSON counts and every cell of the loadusers file are
# compared with what the README works out by hand; then idnat-format raised to an error.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export TZ=UTC
export MEDIMAIL_SYNC_NOW=1772445600     # 2026-03-02 10:00:00 UTC
FIX=$MS_SRC/tests/fixtures/idnat
P=ou=people,dc=chu-exemple,dc=fr

CONF=$MS_TMP/idnat.conf
shape_server "$FIX" "$CONF"
OUT=$SHAPE_OUT

ms_run -c "$CONF" check-config
exit_is 0 "check-config accepts idnat:rpps and idnat:adeli"
is "$(cat "$MS_ERR")" "" "check-config prints no warning"

ms_run -c "$CONF" plan --json "$MS_TMP/plan.json"
exit_is 4 "plan exits 4 (three entries rejected)"
cp "$MS_OUT" "$MS_TMP/plan.out"
findings_check "$MS_TMP/plan.out" "$FIX/expected-findings.tsv" --sub "P=$P" \
	--label "plan (default severities)"
is "$(summary_count "$MS_TMP/plan.out" create PER)" 6 "plan: 6 PER to create"
is "$(summary_count "$MS_TMP/plan.out" create MED)" 5 "plan: 5 MED to create"
is "$(summary_count "$MS_TMP/plan.out" rejected PER)" 3 "plan: 3 PER rejected (key errors)"
is "$(jq -c '[.counts.create, .counts.rejected, .counts.errors, .counts.warnings]' \
	"$MS_TMP/plan.json" 2>&1)" "[11,3,3,4]" \
	"plan --json: create 11, rejected 3, errors 3, warnings 4"
is "$(count_files "$OUT" 'loadusers-*')" 0 "plan writes no loadusers file"

# idnat-format raised to an error (a plan, before any apply): the four people with a malformed
# value are rejected now, with the same finding (no second one for the ADELI column).
sed 's/^map {/severity = { "idnat-format:error" }\n\nmap {/' "$CONF" >"$MS_TMP/error.conf"
sed -e 's/^warning\t/rejected\t/' "$FIX/expected-findings.tsv" >"$MS_TMP/findings-error.tsv"
ms_run -c "$MS_TMP/error.conf" plan
exit_is 4 "plan with idnat-format:error exits 4"
findings_check "$MS_OUT" "$MS_TMP/findings-error.tsv" --sub "P=$P" \
	--label "plan with idnat-format:error"
is "$(summary_count "$MS_OUT" rejected MED)" 4 \
	"idnat-format:error: the 4 malformed values make 4 MED rejected"
is "$(summary_count "$MS_OUT" create MED)" 1 "idnat-format:error: 1 MED left to create (mthomas)"
is "$(summary_count "$MS_OUT" create PER)" 6 "idnat-format:error: the 6 PER still to create"

ms_run -c "$CONF" apply
exit_is 4 "apply exits 4 (written, with rejected entries)"
X=$(loadusers_written)
if [ -n "$X" ] && [ -s "$X" ]; then
	xlsx_check "$X" --expected "$FIX/expected-rows.tsv" --rows 11 --types PER=6,MED=5 \
		--absent ines.lambert@ch-exemple.fr,jules.morel@ch-exemple.fr,karim.roy@ch-exemple.fr \
		--strict
else
	not_ok "apply wrote a loadusers XLSX"
	diag_file "$MS_OUT"
fi

done_testing
