#!/bin/bash
# 31-adopt: "adopt" on the sample hospital (private slapd, pierre.lambert disabled) against a
# Medimail export made by hand (tests/fixtures/medimail-export, README line by line): every
# account in its category, the same result from CSV, XLSX and XLS (the latter two written by
# LibreOffice), "--commit" then a first apply that writes exactly the rows worked out by hand
# (and no creation for an adopted account), the merge on a state that manages accounts,
# rollback, --expire-orphans through the safety limits, and the errors.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
. "$MS_LIB/adopt.sh"
need_bin
adopt_setup
adopt_leaver

# sheet REPORT NAME: the data rows of one sheet, tab-separated; the cells filled in colour
# are marked "*"
sheet() {
	"$MS_PY" - "$1" "$2" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
if sys.argv[2] not in wb.sheetnames:
    print("no sheet " + sys.argv[2]); sys.exit(0)
for r in list(wb[sys.argv[2]].iter_rows())[1:]:
    print("\t".join(("*" if c.fill.fill_type else "") + ("" if c.value is None else str(c.value))
                    for c in r))
PY
}

# --- the dry run ----------------------------------------------------------------------------
ms_run -c "$CONF" adopt "$E/export.csv" --json "$MS_TMP/csv.json"
exit_is 4 "adopt (dry run) exits 4: renames, conflicts, Medimail-only accounts to decide"
cp "$MS_OUT" "$MS_TMP/csv.out"
[ ! -e "$STATE" ]
result $? "a dry run creates no state"
is "$(count "$MS_TMP/csv.json" identical)" 9 "9 identical accounts"
is "$(count "$MS_TMP/csv.json" differs)" 4 "4 accounts differ"
is "$(count "$MS_TMP/csv.json" rename)" 1 "1 rename"
is "$(count "$MS_TMP/csv.json" leaving)" 1 "1 leaver with a mailbox"
is "$(count "$MS_TMP/csv.json" rejected)" 1 "1 rejected entry with a mailbox"
is "$(count "$MS_TMP/csv.json" new)" 3 "3 accounts in the directory only"
is "$(count "$MS_TMP/csv.json" skipped)" 6 "6 rejected entries without a mailbox"
is "$(count "$MS_TMP/csv.json" medimail-only)" 4 "4 accounts in Medimail only"
is "$(count "$MS_TMP/csv.json" conflict)" 1 "1 conflict"
is "$(jq -r '.run_id' "$MS_TMP/csv.json")" null "the dry run records no run"
like "$MS_OUT" "^  elodie\.bernard@$D: Téléphone \(1\) \"0467330303\" in the directory, \"0467339999\" in Medimail\$" \
	"differs: elodie.bernard's changed phone, both values"
like "$MS_OUT" "^  sophie\.moreau@$D: Téléphone \(2\) \"0698765432\" in the directory, \"0600000000\" in Medimail\$" \
	"differs: sophie.moreau's changed mobile"
like "$MS_OUT" "^  equipe\.nuit@$D: Compte\(s\) de connexion .*\"j\.mercier@$D;lucas" \
	"differs: equipe.nuit's connexion accounts"
like "$MS_OUT" "^  pharmacie@$D: Compte\(s\) de connexion " "differs: pharmacie's connexion accounts"
like "$MS_OUT" "^  j\.mercier@$D \(Medimail, line 7\) is julien\.mercier@$D \(uid=jmercier,$P\), same RPPS\$" \
	"rename: j.mercier@ found by RPPS"
like "$MS_OUT" "^  pierre\.lambert@$D \(line 12, Actif\): uid=plambert,$P\$" "leaving: pierre.lambert"
like "$MS_OUT" "^  sylvie\.marchand@$D \(line 17, Actif\): uid=smarchand,$P\$" \
	"rejected: sylvie.marchand holds a mailbox"
for a in chloe.girard thomas.garnier reeducation; do
	like "$MS_OUT" "^  $a@$D: (uid|cn)=" "new: $a"
done
like "$MS_OUT" "^  accueil@$D: ORG, line 19, Actif\$" "Medimail only: accueil@, with its type"
like "$MS_OUT" "^  stagiaire\.urgences@$D: MED, line 20, Préinscrit\$" "Medimail only: stagiaire.urgences@"
like "$MS_OUT" "^  jean\.ancien@$D: PER, line 21, Actif\$" "Medimail only: the departed jean.ancien@"
like "$MS_OUT" "^  paul\.parti@$D: PER, line 22, Désactivé\$" "Medimail only: paul.parti@, inactive"
like "$MS_OUT" "^  several Medimail accounts for one directory entry: uid=mlefebvre,$P; marc\.lefebvre@$D \(line 5\), pharmacien\.lefebvre@$D \(line 18\)\$" \
	"conflict: one person twice"
like "$MS_OUT" "^dry run: --commit would record 15 added, 0 replaced, 0 left alone\$" \
	"the dry run says what --commit would record"
R=$(jq -r '.report' "$MS_TMP/csv.json")
case ${R##*/} in
adopt-[0-9]*-[0-9]*.xlsx) ok "the report is OUTDIR/adopt-YYYYMMDD-HHMMSS.xlsx" ;;
*) not_ok "the report is OUTDIR/adopt-YYYYMMDD-HHMMSS.xlsx (got '$R')" ;;
esac
is "$([ -f "$R" ] && file_mode "$R")" 600 "the report has mode 0600"
sheet "$R" Identical | cut -f1 | sort >"$MS_TMP/identical"
is "$(tr '\n' ' ' <"$MS_TMP/identical")" \
	"amelie.roux@$D celine.guerin@$D francois.dupont@$D helene.martin@$D isabelle.fontaine@$D lucas.faure@$D marc.lefebvre@$D nathalie.blanc@$D secretariat.cardiologie@$D " \
	"the report's Identical sheet lists the 9 identical accounts"
sheet "$R" Differences >"$MS_TMP/differences"
like "$MS_TMP/differences" "^elodie\.bernard@$D	directory	uid=ebernard.*	\*0467330303	" \
	"Differences: the directory's phone, filled in colour"
like "$MS_TMP/differences" "^elodie\.bernard@$D	Medimail \(line 4\)	.*	\*0467339999	" \
	"Differences: Medimail's phone, filled in colour"
unlike "$MS_TMP/differences" "\*BERNARD" "Differences: the cells that are equal are not filled"
sheet "$R" Conflicts >"$MS_TMP/conflicts"
like "$MS_TMP/conflicts" "pharmacien\.lefebvre@$D \(line 18\)" "the report's Conflicts sheet"
sheet "$R" "Medimail only" >"$MS_TMP/orphans"
like "$MS_TMP/orphans" "^jean\.ancien@$D	PER	" "the report's Medimail only sheet"

# --- the same export from XLSX and XLS, written by LibreOffice -------------------------------
norm() { sed -E -e "s|$E/export\.[a-z]+|EXPORT|" -e 's/\((line|row) ([0-9]+)/(N \2/g' \
	-e 's/, (line|row) ([0-9]+)/, N \2/g' -e '/^report /d' "$1"; }
for f in xlsx xls; do
	ms_run -c "$CONF" adopt "$E/export.$f" --json "$MS_TMP/$f.json"
	exit_is 4 "adopt export.$f exits 4 too"
	cp "$MS_OUT" "$MS_TMP/$f.out"
	if diff <(norm "$MS_TMP/csv.out") <(norm "$MS_TMP/$f.out") >"$MS_TMP/$f.diff"; then
		ok "export.$f gives the same summary as export.csv"
	else
		not_ok "export.$f gives the same summary as export.csv"
		diag_file "$MS_TMP/$f.diff"
	fi
	is "$(jq -c .counts "$MS_TMP/$f.json")" "$(jq -c .counts "$MS_TMP/csv.json")" \
		"export.$f gives the same counts"
	like "$MS_OUT" "^  j\.mercier@$D \(Medimail, row 7\)" "export.$f names rows, not lines"
done

# --- commit, then the first apply -------------------------------------------------------------
ms_run -c "$CONF" adopt "$E/export.csv" --commit --accept-renames
exit_is 4 "adopt --commit --accept-renames exits 4 (conflict, Medimail-only accounts)"
like "$MS_OUT" '^recorded in the state \(run 1\): 16 added, 0 replaced, 0 left alone' \
	"16 accounts recorded in run 1"
is "$([ -f "$STATE" ] && file_mode "$STATE")" 600 "the state is created with mode 0600"
ms_run -c "$CONF" state runs
like "$MS_OUT" "^1 .* adopt +16 +0 +0 .*$E/export\.csv\$" "state runs: run 1 is an adopt, the export as its file"
ms_run -c "$CONF" state list
is "$(grep -c "@$D" "$MS_OUT")" 16 "state list: 16 accounts"
like "$MS_OUT" "PER +active +j\.mercier@$D +1\$" "the rename is recorded under Medimail's address"
unlike "$MS_OUT" "(accueil|jean\.ancien|stagiaire|paul\.parti|pharmacien\.lefebvre|thomas\.garnier)@" \
	"Medimail-only, conflicting and new accounts are not recorded"
cp "$MS_OUT" "$MS_TMP/list-after-adopt"

ms_run -c "$CONF" apply
exit_is 4 "the first apply exits 4 (the sample's rejected entries)"
is "$(summary_count "$MS_OUT" create PER)" 1 "the first apply creates 1 PER (thomas.garnier)"
is "$(summary_count "$MS_OUT" unchanged PER)" 4 "... and leaves the identical PER unchanged"
X=$(ls -t "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
if [ -n "$X" ]; then
	xlsx_check "$X" --expected "$E/expected-first-apply.tsv" --rows 10 \
		--absent "helene.martin@$D,francois.dupont@$D,marc.lefebvre@$D,amelie.roux@$D,lucas.faure@$D,nathalie.blanc@$D,celine.guerin@$D,isabelle.fontaine@$D,secretariat.cardiologie@$D,sylvie.marchand@$D,accueil@$D,jean.ancien@$D"
else
	not_ok "the first apply writes a loadusers file"
fi
like "$MS_OUT" "stale-account" "sylvie.marchand's mailbox keeps Medimail's values (stale-account)"

# --- the merge on a state that manages accounts, and rollback --------------------------------
ms_run -c "$CONF" state list
cp "$MS_OUT" "$MS_TMP/list-before-merge"
ms_run -c "$CONF" adopt "$E/export.csv" --commit
exit_is 4 "adopt --commit on a managed state exits 4"
like "$MS_OUT" '^recorded in the state \(run 3\): 0 added, 5 replaced, 10 left alone' \
	"the merge says what it changed: Medimail's older values replace 5 rows, 10 left alone"
ms_run -c "$CONF" state rollback
exit_is 0 "state rollback undoes the adopt run"
like "$MS_OUT" "rolled back run 3: 5 account\(s\) restored, 0 removed" "... restoring the 5 rows"
ms_run -c "$CONF" state list
if diff "$MS_TMP/list-before-merge" "$MS_OUT" >/dev/null; then
	ok "the state is as before the merge"
else
	not_ok "the state is as before the merge"
fi

# --- --expire-orphans: the next apply expires them through the safety limits -----------------
S2=$MS_TMP/state2.db
sed -e "s|$STATE|$S2|" "$CONF" >"$MS_TMP/c2.conf"
ms_run -c "$MS_TMP/c2.conf" adopt "$E/export.csv" --commit --accept-renames --expire-orphans
like "$MS_OUT" '^recorded in the state \(run 1\): 19 added' \
	"--expire-orphans records the 3 active Medimail-only accounts too"
ms_run -c "$MS_TMP/c2.conf" state list
like "$MS_OUT" "^medimail:jean\.ancien@$D +PER +active " "... under a key of their own"
unlike "$MS_OUT" "paul\.parti@" "... not the inactive one"
n=$(count_files "$OUT" 'loadusers-*')
ms_run -c "$MS_TMP/c2.conf" apply
exit_is 3 "the next apply trips the expire-percent limit (4 expiries of 19)"
is "$(count_files "$OUT" 'loadusers-*')" "$n" "... and writes nothing"
ms_run -c "$MS_TMP/c2.conf" apply --force
exit_is 4 "apply --force writes the expiries"
X=$(ls -t "$OUT"/loadusers-*.xlsx | head -1)
"$MS_PY" "$MS_LIB/xlsx_check.py" "$X" --dump | awk -F'\t' 'NR > 2 && $33 != "" { print $1, $33 }' |
	sort >"$MS_TMP/expiries"
is "$(tr '\n' ',' <"$MS_TMP/expiries")" \
	"accueil@$D 24-06-10,j.mercier@$D 24-06-10,jean.ancien@$D 24-06-10,pierre.lambert@$D 24-06-10,stagiaire.urgences@$D 24-06-10," \
	"the orphans, the leaver and the renamed address are expired"

# --- errors --------------------------------------------------------------------------------
ms_run -c "$CONF" adopt "$MS_TMP/no-such-file.csv"
exit_is 1 "a missing export: exit 1"
like "$MS_ERR" "no-such-file\.csv" "... the error names the file"
printf 'Nom;Prénom;Etat\nDUPONT;Jean;Actif\n' >"$MS_TMP/no-address.csv"
ms_run -c "$CONF" adopt "$MS_TMP/no-address.csv"
exit_is 1 "an export without \"Adresse mail\": exit 1"
like "$MS_ERR" "no-address\.csv.*Adresse mail" "... the reader's error, with the file"
ms_run -c "$CONF" adopt
exit_is 2 "adopt without a file: usage error"
ms_run -c "$CONF" adopt "$E/export.csv" --frobnicate
exit_is 2 "an unknown option: usage error"

# another run holding the lock: one process, so that killing it frees the lock
"$MS_PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close()
time.sleep(60)' "$STATE.lock" "$MS_TMP/locked" &
LOCKER=$!
at_exit "kill $LOCKER 2>/dev/null"
for _ in $(seq 50); do [ -e "$MS_TMP/locked" ] && break; sleep 0.1; done
state_dump "$STATE" >"$MS_TMP/before-lock"
ms_run -c "$CONF" adopt "$E/export.csv" --commit
exit_is 5 "adopt --commit while another run holds the lock: exit 5"
like "$MS_ERR" "another medimail-sync run holds the lock" "... and says so"
kill "$LOCKER" 2>/dev/null
wait "$LOCKER" 2>/dev/null
is "$(state_dump "$STATE" | md5sum)" "$(md5sum <"$MS_TMP/before-lock")" "... the state is unchanged"

sed -e "s|^\(\s*uri\s*=\s*\).*|\1\"ldap://127.0.0.1:1\"|" "$CONF" >"$MS_TMP/down.conf"
state_dump "$STATE" >"$MS_TMP/before-down"
ms_run -c "$MS_TMP/down.conf" adopt "$E/export.csv" --commit --accept-renames
exit_is 1 "adopt --commit when the directory cannot be read: exit 1"
is "$(state_dump "$STATE" | md5sum)" "$(md5sum <"$MS_TMP/before-down")" "... the state is unchanged"
done_testing
