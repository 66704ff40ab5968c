#!/bin/bash
# 32-reconcile: "reconcile" on the sample hospital (private slapd) after a first apply, against
# the export Medimail would give after importing it (tests/fixtures/medimail-export/
# after-import.csv: one account missing, a phone changed by hand, an account made in the
# console): the run and file of the missing account named; --commit re-queues it (the next
# apply writes it again) and overwrites the hand edit; an expiry Medimail did not apply is
# written again; an address changed in the console is left alone; hand-edits = keep keeps the
# hand-made value while the directory's stays the same; rollback; the report and the errors.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
. "$MS_LIB/adopt.sh"
need_bin
adopt_setup

# rows FILE: "address<TAB>Téléphone (1)<TAB>Date de péremption" of each row, sorted
rows() {
	"$MS_PY" "$MS_LIB/xlsx_check.py" "$1" --dump |
		awk -F'\t' 'NR > 2 { print $1 "\t" $14 "\t" $33 }' | sort
}
newest() { ls -t "$OUT"/loadusers-*.xlsx | head -1; }

ms_run -c "$CONF" reconcile "$E/after-import.csv"
exit_is 4 "reconcile before any apply: every Medimail account is unknown to the state (exit 4)"
like "$MS_OUT" "^  unknown +[0-9 ]+ 18\$" "... all 18 of them"

ms_run -c "$CONF" apply
exit_is 4 "run 1: apply writes the sample"
F1=$(newest)

# --- the dry run ----------------------------------------------------------------------------
ms_run -c "$CONF" reconcile "$E/after-import.csv" --json "$MS_TMP/r.json"
exit_is 4 "reconcile exits 4 when Medimail and the state disagree"
is "$(count "$MS_TMP/r.json" ok)" 16 "16 accounts match"
is "$(count "$MS_TMP/r.json" missing)" 1 "1 missing"
is "$(count "$MS_TMP/r.json" differs)" 1 "1 changed by hand"
is "$(count "$MS_TMP/r.json" unknown)" 1 "1 made in the console"
is "$(count "$MS_TMP/r.json" not-expired)" 0 "no expiry missed yet"
like "$MS_OUT" "^  thomas\.garnier@$D: written by run 1 \(apply, 2024-06-10 [0-9:]+\), file $F1\$" \
	"missing: the run (id, date) and the file that wrote it"
like "$MS_OUT" "^  nathalie\.blanc@$D: Téléphone \(1\) \"0467331010\" written, \"0467339090\" in Medimail\$" \
	"differs: the cell, written and in Medimail"
like "$MS_OUT" "^  secretariat\.urgences@$D: ORG, line 19, Actif\$" "unknown: the console's account"
like "$MS_OUT" "^dry run: --commit would re-queue 1, record 1 changes by hand" "the dry run says what --commit does"
R=$(jq -r '.report' "$MS_TMP/r.json")
case ${R##*/} in
reconcile-[0-9]*-[0-9]*.xlsx) ok "the report is OUTDIR/reconcile-YYYYMMDD-HHMMSS.xlsx" ;;
*) not_ok "the report is OUTDIR/reconcile-YYYYMMDD-HHMMSS.xlsx (got '$R')" ;;
esac
is "$([ -f "$R" ] && file_mode "$R")" 600 "the report has mode 0600"
"$MS_PY" - "$R" >"$MS_TMP/report.txt" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
print("sheets:", ",".join(wb.sheetnames))
for r in list(wb["Missing"].iter_rows(values_only=True))[1:]:
    print("missing:", r[0], r[4], r[7])
for r in list(wb["Differences"].iter_rows())[1:]:
    print("differs:", r[0].value, r[1].value,
          ",".join("%s=%s" % (wb["Differences"].cell(1, c.column).value, c.value)
                   for c in r if c.fill.fill_type))
PY
like "$MS_TMP/report.txt" "^sheets: Summary,Matching,Missing,Moved,Differences,Not expired,Unknown,Findings\$" \
	"the report has one sheet per category"
like "$MS_TMP/report.txt" "^missing: thomas\.garnier@$D 1 $F1\$" "Missing: the run and its file"
like "$MS_TMP/report.txt" "^differs: nathalie\.blanc@$D written \(run 1\) Téléphone \(1\)=0467331010\$" \
	"Differences: the value written, filled in colour"
like "$MS_TMP/report.txt" "^differs: nathalie\.blanc@$D Medimail \(line 11\) Téléphone \(1\)=0467339090\$" \
	"Differences: Medimail's value, filled in colour"

# --- --commit: the next apply writes the missing account again and overwrites the hand edit --
ms_run -c "$CONF" reconcile "$E/after-import.csv" --commit
exit_is 4 "reconcile --commit exits 4 too"
like "$MS_OUT" '^recorded in the state \(run 2\): 1 re-queued, 1 changes by hand recorded' \
	"--commit records run 2"
ms_run -c "$CONF" state runs
like "$MS_OUT" "^2 .* reconcile .*$E/after-import\.csv\$" "state runs: a reconcile run, the export as its file"
ms_run -c "$CONF" state list
cp "$MS_OUT" "$MS_TMP/list-reconciled"
ms_run -c "$CONF" apply
exit_is 4 "run 3: apply"
is "$(rows "$(newest)" | tr '\n' ' ')" \
	"nathalie.blanc@$D	0467331010	 thomas.garnier@$D	0467330808	 " \
	"the missing account is written again, the hand edit overwritten by the directory's value"

# --- rollback of a reconcile run --------------------------------------------------------------
ms_run -c "$CONF" reconcile "$E/after-import.csv" --commit
ms_run -c "$CONF" state list
cp "$MS_OUT" "$MS_TMP/list-before"
ms_run -c "$CONF" state rollback
like "$MS_OUT" "rolled back run 4: 2 account\(s\) restored" "state rollback undoes a reconcile run"
ms_run -c "$CONF" apply
like "$MS_OUT" "^nothing to do\$" "... after which nothing is owed"

# --- an expiry Medimail did not apply ---------------------------------------------------------
printf 'dn: uid=ifontaine,%s\nchangetype: delete\n' "$P" >"$MS_TMP/del.ldif"
slapd_modify "$MS_TMP/del.ldif" || bail "delete ifontaine"
ms_run -c "$CONF" apply
is "$(rows "$(newest)" | tr '\n' ' ')" "isabelle.fontaine@$D	0467331313	24-06-10 " \
	"isabelle.fontaine leaves: expired on 24-06-10"
export MEDIMAIL_SYNC_NOW=$((1718013600 + 2 * 86400))
ms_run -c "$CONF" reconcile "$E/after-import.csv" --commit --json "$MS_TMP/r2.json"
is "$(count "$MS_TMP/r2.json" not-expired)" 1 "two days later Medimail still shows her active"
like "$MS_OUT" "^  isabelle\.fontaine@$D: Date de péremption \"24-06-10\" written, \"\" in Medimail \(Actif\)\$" \
	"not expired: the date written, Medimail's and its state"
ms_run -c "$CONF" apply
is "$(rows "$(newest)" | grep isabelle)" "isabelle.fontaine@$D	0467331313	24-06-10" \
	"the next apply writes her expiry again, with its date"

# --- an address changed in the console: listed, left alone -----------------------------------
sed "s/^julien\.mercier@/julien.mercier.ide@/" "$E/after-import.csv" >"$MS_TMP/moved.csv"
ms_run -c "$CONF" reconcile "$MS_TMP/moved.csv" --commit --json "$MS_TMP/r3.json"
is "$(count "$MS_TMP/r3.json" moved)" 1 "an address changed in the console is found by RPPS"
like "$MS_OUT" "^  julien\.mercier@$D: Medimail has julien\.mercier\.ide@$D \(line 7\), same RPPS\$" \
	"moved: both addresses"
ms_run -c "$CONF" apply
rows "$(newest)" >"$MS_TMP/after-moved"
unlike "$MS_TMP/after-moved" "julien" "... and --commit leaves it alone: nothing written for it"

# --- hand-edits = keep ------------------------------------------------------------------------
export MEDIMAIL_SYNC_NOW=1718013600
S2=$MS_TMP/keep.db
sed -e "s|$STATE|$S2|" -e 's|^output {|reconcile {\n\thand-edits = keep\n}\n\noutput {|' \
	"$CONF" >"$MS_TMP/keep.conf"
grep -q 'hand-edits = keep' "$MS_TMP/keep.conf" || bail "config edit"
ms_run -c "$MS_TMP/keep.conf" apply
exit_is 4 "keep: run 1 writes the sample"
ms_run -c "$MS_TMP/keep.conf" reconcile "$E/after-import.csv" --commit
like "$MS_OUT" '^recorded in the state \(run 2\): 1 re-queued, 0 changes by hand recorded, 1 kept' \
	"keep: the hand edit is recorded and kept"
ms_run -c "$MS_TMP/keep.conf" apply
is "$(rows "$(newest)" | cut -f1 | tr '\n' ' ')" "thomas.garnier@$D " \
	"keep: the next apply writes the missing account, not the hand-edited one"
printf 'dn: uid=nblanc,%s\nchangetype: modify\nreplace: mobile\nmobile: 06 11 11 11 11\n' "$P" \
	>"$MS_TMP/mobile.ldif"
slapd_modify "$MS_TMP/mobile.ldif" || bail "modify nblanc's mobile"
ms_run -c "$MS_TMP/keep.conf" apply
"$MS_PY" "$MS_LIB/xlsx_check.py" "$(newest)" --dump | awk -F'\t' 'NR > 2 { print $1, $14, $15 }' \
	>"$MS_TMP/kept"
is "$(cat "$MS_TMP/kept")" "nathalie.blanc@$D 0467339090 0611111111" \
	"keep: another change of hers is written with the phone kept from Medimail"
printf 'dn: uid=nblanc,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 04 67 00 00 01\n' \
	"$P" >"$MS_TMP/phone.ldif"
slapd_modify "$MS_TMP/phone.ldif" || bail "modify nblanc's phone"
ms_run -c "$MS_TMP/keep.conf" apply
is "$(rows "$(newest)" | tr '\n' ' ')" "nathalie.blanc@$D	0467000001	 " \
	"keep: once the directory's phone changes, the directory's wins"

# --- errors --------------------------------------------------------------------------------
ms_run -c "$CONF" reconcile "$MS_TMP/no-such-file.xlsx"
exit_is 1 "a missing export: exit 1"
like "$MS_ERR" "no-such-file\.xlsx" "... the error names the file"
ms_run -c "$CONF" reconcile "$E/after-import.csv" --accept-renames
exit_is 2 "reconcile has no --accept-renames: usage error"
done_testing
