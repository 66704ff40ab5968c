#!/bin/bash
# 11-paging: 5,000 generated people behind a reader held to a size limit of 500: the search
# must page (RFC 2696), and apply writes 5,000 rows.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1718013600
N=${MS_PAGING_PEOPLE:-5000}
"$MS_PY" "$MS_SRC/tests/fixtures/gen-people.py" -n "$N" >"$MS_TMP/people.ldif" || bail "gen-people.py"
at_exit slapd_stop
slapd_setup "$MS_TMP/ldap" "$MS_TMP/people.ldif" || bail "slapd_setup"
slapd_start || bail "slapd_start"
export LDAPTLS_CACERT=$SLAPD_CA
R=(-x -H "$SLAPD_LDAPS_URI" -D "$SLAPD_READER_DN" -y "$SLAPD_READER_PWFILE" -LLL
	-b "ou=people,$SLAPD_SUFFIX" "(objectClass=inetOrgPerson)" 1.1)
ldapsearch "${R[@]}" >"$MS_TMP/nopage.out" 2>&1
is "$?" 4 "the reader's search without paging hits the size limit (rc 4)"
ldapsearch -E pr=200/noprompt "${R[@]}" >"$MS_TMP/page.out" 2>&1
is "$(grep -c '^dn:' "$MS_TMP/page.out")" "$N" "the reader's paged search returns $N entries"

CONF=$MS_TMP/medimail-sync.conf
OUT=$MS_TMP/out
slapd_sample_conf "$CONF" "$OUT" "$MS_TMP/state.db"
ms_run -c "$CONF" plan
exit_is 0 "plan over $N people exits 0"
is "$(summary_count "$MS_OUT" create total)" "$N" "plan summary: $N to create"
ms_run -c "$CONF" apply
exit_is 0 "apply over $N people exits 0"
is "$(count_files "$OUT" 'loadusers-*.xlsx')" 1 "apply writes one loadusers file"
X=$(ls "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
PER=$(grep -c -E '^medimail(RPPS|ADELI):' "$MS_TMP/people.ldif")
INT=$(grep -c '^employeeType: interne' "$MS_TMP/people.ldif")
MED=$((N - PER - INT))
if [ -n "$X" ]; then
	xlsx_check "$X" --rows "$N" --types "PER=$PER,INT=$INT,MED=$MED"
else
	not_ok "loadusers file read back with openpyxl"
fi
done_testing
