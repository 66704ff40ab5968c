#!/bin/bash
# 60-report: the dry-run report as an admin sees it, in French: the XLSX report read back with
# openpyxl (sheets, the old and new values of a changed phone number, the rejected cell's fill),
# the JSON summary against its documented schema, the French catalogue complete, the metrics
# file, retention and the post-command.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
sample_server
OUT=$MS_TMP/out
CONF=$MS_TMP/medimail-sync.conf
slapd_sample_conf "$CONF.in" "$OUT" "$MS_TMP/state.db"
# keep two files of each kind; the post-command records its arguments
sed -e "s|^\(\s*format *= *xlsx\)|\1\n\tkeep = 2\n\tpost-command = \"printf '%s\\\\\\\\n' \\\\\"\$1\\\\\" \\\\\"\$2\\\\\" >>$MS_TMP/post.log\"|" \
	"$CONF.in" >"$CONF"
ms_run -c "$CONF" check-config
exit_is 0 "config with keep and post-command is valid"
[ "$MS_RC" = 0 ] || diag_file "$MS_ERR"
export LANGUAGE=fr MEDIMAIL_SYNC_LOCALEDIR=$MS_BUILD/src/po
CHECK=$MS_SRC/tests/integration/lib-check-report.py

ms_run -c "$CONF" apply --json "$MS_TMP/apply.json" --metrics "$MS_TMP/metrics.prom"
exit_is 4 "apply (run 1) completes with the sample's rejected entries"
like "$MS_OUT" "^rejeté : uid=prousseau," "the terminal summary is in French"
check "the JSON summary matches its documented schema" \
	jq -e -f "$MS_SRC/tests/fixtures/json-summary.schema.jq" "$MS_TMP/apply.json"
is "$(jq -r '.counts.create' "$MS_TMP/apply.json")" 18 "the JSON summary counts 18 creations"
is "$(jq -r '.exit_status' "$MS_TMP/apply.json")" 4 "the JSON summary holds the exit status"
like "$MS_TMP/metrics.prom" '^medimail_sync_accounts\{action="create"\} 18$' "the metrics file counts the creations"
like "$MS_TMP/metrics.prom" '^medimail_sync_last_success_timestamp_seconds [0-9]+' "... and the time of the last success"
R1=$(ls -t "$OUT"/report-*.xlsx | head -1)
X1=$(ls -t "$OUT"/loadusers-*.xlsx | head -1)
like "$MS_TMP/post.log" "^$R1\$" "the post-command gets the report as \$1"
like "$MS_TMP/post.log" "^$X1\$" "... and the loadusers file as \$2"

# run 2: a phone number changes; the plan's report shows the old and new value
printf 'dn: uid=tgarnier,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 04 67 00 11 22\n' \
	"$P" >"$MS_TMP/ch.ldif"
slapd_modify "$MS_TMP/ch.ldif" || bail "modify"
ms_run -c "$CONF" plan --json "$MS_TMP/plan.json"
exit_is 4 "plan completes"
R2=$(sed -nE 's/^(report|rapport) :? ?(.*)$/\2/p' "$MS_OUT" | tail -1)
[ -f "$R2" ] || R2=$(ls -t "$OUT"/report-*.xlsx | head -1)
check "the report's sheets, the changed phone number and the highlighted rejected cell" \
	"$MS_PY" "$CHECK" "$R2" --update "Téléphone (1)" 0467330808 0467001122 \
	--rejected RPPS 10003456084 --count "Mises à jour" 1 --count Créations 0
is "$(jq -r '.counts.update' "$MS_TMP/plan.json")" 1 "the plan's JSON counts one update"
is "$(jq -r '.files | length' "$MS_TMP/plan.json")" 0 "plan writes no loadusers file"

# retention: keep = 2 after more applies; the newest loadusers file is always kept
for i in 1 2 3; do
	printf 'dn: uid=tgarnier,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 04 67 00 11 3%d\n' \
		"$P" "$i" >"$MS_TMP/ch.ldif"
	slapd_modify "$MS_TMP/ch.ldif" || bail "modify $i"
	ms_run -c "$CONF" apply
done
is "$(count_files "$OUT" 'loadusers-*.xlsx')" 2 "retention keeps 2 loadusers files"
is "$(count_files "$OUT" 'report-*.xlsx')" 2 "retention keeps 2 reports"
N=$(ls -t "$OUT"/loadusers-*.xlsx | head -1)
like <(sed -nE 's/^.* (\/.*loadusers-.*\.xlsx)$/\1/p' "$MS_OUT") "^$N\$" "the newest loadusers file is the one just written"

# the French catalogue is complete
st=$(LANGUAGE= LC_ALL=C msgfmt --statistics --check -o /dev/null "$MS_SRC/src/po/fr.po" 2>&1)
case $st in
*untranslated*|*fuzzy*) not_ok "fr.po is complete ($st)" ;;
*"translated messages"*) ok "fr.po is complete ($st)" ;;
*) not_ok "msgfmt --statistics ($st)" ;;
esac
done_testing
