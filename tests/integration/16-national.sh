#!/bin/bash
# 16-national: the national directory with the real binary: "national index" on extracts
# written by tests/fixtures/gen-extract.py (the sample hospital's RPPS and ADELI holders first,
# then generated people), "national show" checked against the generator's input (the sample
# LDIF), a truncated download and a foreign index file refused, the configuration's errors,
# and the download script of packaging/national run against file:// archives.
. "$(dirname "$0")/../lib/common.sh"
need_bin
GEN=$MS_SRC/tests/fixtures/gen-extract.py
LDIF=$MS_SRC/tests/fixtures/sample/hospital.ldif
FETCH=$MS_SRC/packaging/national/medimail-sync-fetch-national
N=$MS_TMP/national
mkdir -p "$N"
X=$N/PS_LibreAcces_Personne_activite_202501010000.txt
M=$N/Extraction_Correspondance_MSSante_202501010000.txt
"$MS_PY" "$GEN" -n 3000 --seed 5 --from-ldif "$LDIF" --extract "$X" --mssante "$M"
result $? "gen-extract.py writes the extracts" || done_testing

conf() {   # conf FILE [national-directory lines...]
	local f=$1
	shift
	{
		echo "state-file = \"$MS_TMP/state.db\""
		echo "directory \"sample\" { ldif = \"$LDIF\" base = \"dc=chu-exemple,dc=fr\" }"
		if [ $# -gt 0 ]; then
			echo "national-directory {"
			printf '\t%s\n' "$@"
			echo "}"
		fi
	} >"$f"
}
conf "$MS_TMP/n.conf" "extract = \"$N/PS_LibreAcces_Personne_activite_*.txt\"" \
	"mssante-extract = \"$N/Extraction_Correspondance_MSSante_*.txt\""
IDX=$MS_TMP/national.idx

# --- index --------------------------------------------------------------------------------
ms_run -c "$MS_TMP/n.conf" national index
exit_is 0 "national index builds the index"
like "$MS_OUT" "^$IDX: built in [0-9.]+ s \\(no index yet\\)" "it says it built it, and why"
rows=$(($(wc -l <"$X") - 1))
people=$(tail -n +2 "$X" | cut -d'|' -f1,2 | sort -u | wc -l)
mrows=$(($(wc -l <"$M") - 1))
maddr=$(tail -n +2 "$M" | cut -d'|' -f4 | grep -c .)
like "$MS_OUT" "extract: $X: $rows rows, $people people, " "rows and people counted ($rows, $people)"
like "$MS_OUT" "MSSanté extract: $M: $mrows rows, $maddr addresses of people" \
	"MSSanté rows and person addresses counted ($mrows, $maddr)"
is "$(file_mode "$IDX")" 600 "the index is created with mode 0600"
ms_run -c "$MS_TMP/n.conf" national index
exit_is 0 "national index again"
like "$MS_OUT" "^$IDX: up to date" "the index is reused"
ms_run -c "$MS_TMP/n.conf" -l info national index
like "$MS_ERR" "national directory: $IDX up to date, mapped in" "at info level it logs what it did"

# --- show: the sample's people, as the LDIF gives them ---------------------------------------
ms_run -c "$MS_TMP/n.conf" national show 10003456018
exit_is 0 "national show an RPPS"
like "$MS_OUT" "^RPPS 10003456018$" "the identifier"
like "$MS_OUT" "national id +810003456018$" "the national id"
like "$MS_OUT" "nom d'exercice +MARTIN \\(folded \"martin\", key \"martin\"\\)$" "the nom d'exercice"
like "$MS_OUT" "prénom d'exercice +HÉLÈNE \\(folded \"helene\"" "the prénom, accents kept"
like "$MS_OUT" "profession +10 Médecin \\(catégorie C Civil\\)$" "the profession"
like "$MS_OUT" "savoir-faire +S Spécialité ordinale: SM04 Cardiologie et Maladies vasculaires$" \
	"the spécialité of the LDIF's medimailSpecialite"
like "$MS_OUT" "CHU D'EXEMPLE; 34090 MONTPELLIER" "the activity's site"
ms_run -c "$MS_TMP/n.conf" national show 810003456026
exit_is 0 "national show a national id (8 + RPPS)"
like "$MS_OUT" "nom d'exercice +DUPONT " "it is the RPPS stored as 8+RPPS in the LDIF (fdupont)"
ms_run -c "$MS_TMP/n.conf" national show "34 96 0027 0"
exit_is 0 "national show an ADELI written with spaces"
like "$MS_OUT" "^ADELI 349600270$" "the ADELI"
like "$MS_OUT" "profession +96 Psychomotricien" "its profession"
# a generated person with an MSSanté address, from the MSSanté extract
mline=$(grep -m1 '^PER|[^|]*|8|' "$M")
mid=$(cut -d'|' -f4 <<<"$mline")
ms_run -c "$MS_TMP/n.conf" national show "$mid"
exit_is 0 "national show a person with an MSSanté address ($mid)"
like "$MS_OUT" "MSSanté +$(cut -d'|' -f2 <<<"$mline" | sed 's/[.]/[.]/g') \\(PER;" "the address"
ms_run -c "$MS_TMP/n.conf" national show 10000000009
exit_is 1 "an RPPS not in the extract: exit 1"
like "$MS_ERR" "RPPS 10000000009 is not in the national directory \\($X\\)" "it says so"
ms_run -c "$MS_TMP/n.conf" national show 12345
exit_is 2 "an identifier that is none: usage error"
ms_run -c "$MS_TMP/n.conf" national
exit_is 2 "national without a sub-command: usage error"

# --- a newer extract, then a truncated one -----------------------------------------------------
X2=$N/PS_LibreAcces_Personne_activite_202501020000.txt
head -c $(($(stat -c %s "$X") - 100)) "$X" >"$X2"
lines=$(($(wc -l <"$X2") + 1))
ms_run -c "$MS_TMP/n.conf" national index
exit_is 1 "a truncated newer extract: national index fails"
like "$MS_ERR" "$X2:$lines: [0-9]+ fields where the header has 53: the file is truncated" \
	"the error names the file and the line ($lines)"
ms_run -c "$MS_TMP/n.conf" national show 10003456018
exit_is 1 "and the old index is not used in its place"
rm -f "$X2"
ms_run -c "$MS_TMP/n.conf" national index
exit_is 0 "the truncated file removed: national index works again"
like "$MS_OUT" "^$IDX: up to date" "with the index of the older extract, left whole by the failure"

# --- configuration ----------------------------------------------------------------------------
conf "$MS_TMP/bad.conf" "mssante-extract = \"$M\"" "max-age = 4000"
ms_run -c "$MS_TMP/bad.conf" check-config
exit_is 2 "a national-directory section without extract: configuration error"
like "$MS_ERR" "^$MS_TMP/bad.conf:5: max-age: 4000 is out of range \\(0 to 3650" "max-age checked"
like "$MS_ERR" "^$MS_TMP/bad.conf:6: national-directory: extract is required" "extract required"
conf "$MS_TMP/none.conf"
ms_run -c "$MS_TMP/none.conf" national index
exit_is 2 "national index without the section: usage error"
like "$MS_ERR" "no national-directory section" "it says why"
# a foreign file where the index should be
printf 'SQLite format 3\0 not an index' >"$MS_TMP/foreign.db"
conf "$MS_TMP/foreign.conf" "extract = \"$X\"" "index = \"$MS_TMP/foreign.db\""
sum=$(md5sum <"$MS_TMP/foreign.db")
ms_run -c "$MS_TMP/foreign.conf" national index
exit_is 1 "an index path naming another file: refused"
like "$MS_ERR" "foreign.db: exists and is not a medimail-sync national index: not replaced" \
	"the error says why"
is "$(md5sum <"$MS_TMP/foreign.db")" "$sum" "the file is untouched"
# the default index: next to the state file
conf "$MS_TMP/default.conf" "extract = \"$X\""
ms_run -c "$MS_TMP/default.conf" national index
exit_is 0 "without index, the index goes next to the state file"
like "$MS_OUT" "^$MS_TMP/national.idx: " "at $MS_TMP/national.idx"

# --- the download script, against file:// archives ------------------------------------------------
SRV=$MS_TMP/srv
DL=$MS_TMP/dl
mkdir -p "$SRV" "$DL"
# serve STAMP: the two archives of one day, as the ANS's service gives them (other files too)
serve() {
	"$MS_PY" - "$SRV" "$X" "$M" "$1" <<'PY'
import sys, zipfile
srv, x, m, stamp = sys.argv[1:]
with zipfile.ZipFile(srv + "/PS_LibreAcces", "w", zipfile.ZIP_DEFLATED) as z:
    z.write(x, "PS_LibreAcces_Personne_activite_%s.txt" % stamp)
    z.writestr("PS_LibreAcces_Dipl_AutExerc_%s.txt" % stamp, "x|\n")
    z.writestr("PS_LibreAcces_SavoirFaire_%s.txt" % stamp, "x|\n")
with zipfile.ZipFile(srv + "/Extraction_Correspondance_MSSante", "w") as z:
    z.write(m, "Extraction_Correspondance_MSSante_%s.txt" % stamp)
PY
}
fetch() {
	MEDIMAIL_NATIONAL_URL=file://$SRV MEDIMAIL_NATIONAL_CACERT=/nonexistent \
		MEDIMAIL_NATIONAL_KEEP=2 sh "$FETCH" "$DL" >"$MS_TMP/fetch.out" 2>&1
}
check "sh -n on the download script" sh -n "$FETCH"
for stamp in 202502010000 202502020000 202502030000; do
	serve $stamp
	fetch
	result $? "the download script fetches the extracts of $stamp"
done
is "$(cd "$DL" && ls -A | tr '\n' ' ')" \
	"Extraction_Correspondance_MSSante_202502020000.txt Extraction_Correspondance_MSSante_202502030000.txt PS_LibreAcces_Personne_activite_202502020000.txt PS_LibreAcces_Personne_activite_202502030000.txt " \
	"the two newest of each kind are kept, nothing else (no temporary directory)"
cmp -s "$X" "$DL/PS_LibreAcces_Personne_activite_202502030000.txt"
result $? "the activity extract arrived whole"
rm -f "$SRV/Extraction_Correspondance_MSSante"
serve_x_only=$(ls "$DL")
fetch
rc=$?
result "$([ $rc -ne 0 ]; echo $?)" "a missing archive fails the download (exit $rc)"
is "$(ls "$DL")" "$serve_x_only" "and changes nothing on disk"
conf "$MS_TMP/dl.conf" "extract = \"$DL/PS_LibreAcces_Personne_activite_*.txt\"" \
	"mssante-extract = \"$DL/Extraction_Correspondance_MSSante_*.txt\"" \
	"index = \"$MS_TMP/dl.idx\""
ms_run -c "$MS_TMP/dl.conf" national index
exit_is 0 "national index on the downloaded files"
like "$MS_OUT" "extract: $DL/PS_LibreAcces_Personne_activite_202502030000.txt: $rows rows" \
	"the glob picks the newest extract"

done_testing
