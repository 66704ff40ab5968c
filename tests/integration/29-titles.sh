#!/bin/bash
# 29-titles.sh - shape "free-text titles through a table" (tests/fixtures/titles, README
# there), on a private slapd: the Profession from title through table "profession" (entry pairs,
# then titles.tsv), the civilité of interns through map-type "INT", interns found by title
# (if-match), by table (if-table), by OU and by group. The plan's findings, its list of the
# values no key matched (summary, JSON, XLSX report) and every cell of the loadusers file are
# compared with what the README works out by hand; then table-unmatched raised to a warning,
# and the configuration errors of tables.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export TZ=UTC
export MEDIMAIL_SYNC_NOW=1772445600     # 2026-03-02 10:00:00 UTC
FIX=$MS_SRC/tests/fixtures/titles
P=ou=people,dc=chu-exemple,dc=fr

CONF=$MS_TMP/conf/titles.conf
shape_server "$FIX" "$CONF"
cp "$FIX/titles.tsv" "$MS_TMP/conf/"

ms_run -c "$CONF" check-config
exit_is 0 "check-config accepts the tables, map-type, if-match and if-table"
if grep -qiE "titles\.tsv:10:.*\<IDE\>" "$MS_ERR"; then
	ok "check-config warns that titles.tsv:10 repeats the key IDE"
else
	not_ok "check-config warns that titles.tsv:10 repeats the key IDE"
	diag_file "$MS_ERR"
fi

ms_run -c "$CONF" plan --json "$MS_TMP/plan.json"
exit_is 4 "plan exits 4 (five people without a Profession)"
cp "$MS_OUT" "$MS_TMP/plan.out"
findings_check "$MS_TMP/plan.out" "$FIX/expected-findings.tsv" --sub "P=$P" \
	--label "plan (default severities)"
is "$(summary_count "$MS_TMP/plan.out" create PER)/$(summary_count "$MS_TMP/plan.out" create INT)/$(summary_count "$MS_TMP/plan.out" create MED)" \
	7/5/3 "plan creates 7 PER, 5 INT (by title, table, OU, group), 3 MED"
is "$(summary_count "$MS_TMP/plan.out" rejected MED)" 5 "plan rejects 5 MED (no Profession)"
REPORT=$(sed -n 's/^report \(.*\.xlsx\)$/\1/p' "$MS_TMP/plan.out" | tail -1)
[ -n "$REPORT" ] || REPORT=$MS_TMP/no-report.xlsx
py_tap unmatched_check.py "$FIX/expected-unmatched.tsv" --sub "P=$P" \
	--stdout "$MS_TMP/plan.out" --json "$MS_TMP/plan.json" --report "$REPORT"

ms_run -c "$CONF" apply
exit_is 4 "apply exits 4"
X=$(loadusers_written)
if [ -n "$X" ] && [ -s "$X" ]; then
	xlsx_check "$X" --expected "$FIX/expected-rows.tsv" --rows 15 --types PER=7,INT=5,MED=3 \
		--absent "jacques.marchal@ch-exemple.fr,karine.noel@ch-exemple.fr,louis.paris@ch-exemple.fr,manon.renard@ch-exemple.fr,rose.xavier@ch-exemple.fr" \
		--strict
else
	not_ok "apply wrote a loadusers XLSX"
	diag_file "$MS_OUT"
fi

# table-unmatched raised to a warning: one per entry whose value no key matched
sed 's/^map {/severity = { "table-unmatched:warning" }\n\nmap {/' "$CONF" >"$MS_TMP/conf/warn.conf"
ms_run -c "$MS_TMP/conf/warn.conf" plan
exit_is 4 "plan with table-unmatched:warning exits 4"
findings_check "$MS_OUT" "$FIX/expected-findings-unmatched.tsv" --sub "P=$P" \
	--label "plan with table-unmatched:warning"

# Configuration errors of tables: file and line, or the name.
printf '# a comment\nIDE Infirmier\n' >"$MS_TMP/conf/bad.tsv"
sed 's/file = "titles.tsv"/file = "bad.tsv"/' "$CONF" >"$MS_TMP/conf/bad-tsv.conf"
ms_run -c "$MS_TMP/conf/bad-tsv.conf" check-config
exit_is 2 "a TSV line without a tab is a configuration error"
like "$MS_ERR" "bad\.tsv:2:" "... named as bad.tsv:2"
sed 's/table:specialite/table:specialites/' "$CONF" >"$MS_TMP/conf/unknown.conf"
ms_run -c "$MS_TMP/conf/unknown.conf" check-config
exit_is 2 "an unknown table in a template is a configuration error"
like "$MS_ERR" "specialites" "... naming the table"
sed 's/^bal-rule "int-ffi".*$//' "$CONF" >"$MS_TMP/conf/unused.conf"
ms_run -c "$MS_TMP/conf/unused.conf" check-config
exit_is 0 "a table nothing uses is not an error"
like "$MS_ERR" "ffi" "... but a warning naming it"

done_testing
