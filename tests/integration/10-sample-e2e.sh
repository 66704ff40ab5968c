#!/bin/bash
# 10-sample-e2e: the sample hospital on a private slapd over ldaps (CA generated here), bound as
# a reader held to 500 entries: plan lists the rejected entries and writes nothing; apply writes
# one loadusers XLSX (0600) whose rows, read back with openpyxl, are the expected accounts.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1718013600     # 2024-06-10 10:00 UTC
SAMPLE=$MS_SRC/tests/fixtures/sample
sample_server
CONF=$MS_TMP/medimail-sync.conf
OUT=$MS_TMP/out
slapd_sample_conf "$CONF" "$OUT" "$MS_TMP/state.db"

ms_run -c "$CONF" check-config
exit_is 0 "check-config accepts the sample config"
ms_run -c "$CONF" check-config --connect
exit_is 0 "check-config --connect binds to $SLAPD_LDAPS_URI"

# plan: exit 4 (rejected entries), one line per rejected entry, nothing written
ms_run -c "$CONF" plan
exit_is 4 "plan exits 4 (completed with rejected entries)"
cp "$MS_OUT" "$MS_TMP/plan.out"
P=ou=people,dc=chu-exemple,dc=fr
like "$MS_OUT" "^rejected: uid=prousseau,$P: RPPS: " "plan: RPPS with a wrong key rejected (Paul Rousseau)"
like "$MS_OUT" "^rejected: uid=glemoine,$P: Adresse mail: " "plan: entry without mail rejected (Gérard Lemoine)"
like "$MS_OUT" "^rejected: uid=smarchand,$P: Adresse mail: .*Sylvie\.Marchand@CHU-Exemple\.fr" \
	"plan: upper-case address rejected with its value (Sylvie Marchand)"
like "$MS_OUT" "^rejected: uid=kbenali,$P: Adresse mail: " "plan: duplicate address rejected (kbenali)"
like "$MS_OUT" "^rejected: uid=kbenali2,$P: Adresse mail: " "plan: duplicate address rejected (kbenali2)"
like "$MS_OUT" "^rejected: uid=bchevalier,$P: Profession: " "plan: missing profession rejected (Bruno Chevalier)"
like "$MS_OUT" "^rejected: uid=erobin,$P: Civilité exercice: " \
	"plan: interne without civilité d'exercice rejected (Emma Robin)"
unlike "$MS_OUT" "^rejected: uid=(hmartin|fdupont|ebernard|mlefebvre|smoreau|jmercier|aroux|tgarnier|lfaure|cgirard|nblanc|cguerin|plambert|ifontaine)," \
	"plan: no valid sample account is rejected"
is "$(summary_count "$MS_OUT" create PER)" 8 "plan summary: 8 PER to create"
is "$(summary_count "$MS_OUT" create INT)" 2 "plan summary: 2 INT to create"
is "$(summary_count "$MS_OUT" create MED)" 4 "plan summary: 4 MED to create"
is "$(summary_count "$MS_OUT" create ORG)" 4 "plan summary: 4 ORG to create"
is "$(grep -c '^rejected: ' "$MS_OUT")" 7 "plan lists 7 rejected entries"
is "$(count_files "$OUT" 'loadusers-*')" 0 "plan writes no loadusers file"
[ ! -e "$MS_TMP/state.db" ]
result $? "plan does not create the state"
unlike "$MS_ERR" "reader-secret" "no password in the log"

ms_run -c "$CONF" plan --json "$MS_TMP/plan.json"
exit_is 4 "plan --json exits 4 too"
check "plan --json writes a JSON summary" jq -e . "$MS_TMP/plan.json"

# apply: one loadusers file, mode 0600, read back independently
ms_run -c "$CONF" apply
exit_is 4 "apply exits 4 (written, with rejected entries)"
cp "$MS_OUT" "$MS_TMP/apply.out"
is "$(count_files "$OUT" 'loadusers-*.xlsx')" 1 "apply writes one loadusers-*.xlsx"
X=$(ls "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
like "$MS_OUT" "^wrote $X\$" "apply prints 'wrote PATH'"
case ${X##*/} in
loadusers-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9].xlsx) ok "file name is loadusers-YYYYMMDD-HHMMSS.xlsx" ;;
*) not_ok "file name is loadusers-YYYYMMDD-HHMMSS.xlsx (got '${X##*/}')" ;;
esac
is "$([ -n "$X" ] && file_mode "$X")" 600 "the loadusers file has mode 0600"
is "$(count_files "$OUT" '*.tmp')$(count_files "$OUT" '.*.tmp')" 00 "no temporary file left"
if [ -n "$X" ]; then
	xlsx_check "$X" --expected "$SAMPLE/expected-rows.tsv" --rows 18 \
		--types PER=8,INT=2,MED=4,ORG=4 \
		--absent paul.rousseau@chu-exemple.fr,sylvie.marchand@chu-exemple.fr,k.benali@chu-exemple.fr,bruno.chevalier@chu-exemple.fr,emma.robin@chu-exemple.fr
else
	not_ok "loadusers file read back with openpyxl"
fi
done_testing
