#!/bin/bash
# 18-national-run: the national directory in plan, apply and explain, on a private slapd
# loaded with the sample hospital and tests/fixtures/national/extra.ldif, with extracts that
# gen-extract.py writes here (fixed seed: persons.tsv and the sample's RPPS and ADELI holders
# first, then generated people). The expected cells are worked out by hand in
# tests/fixtures/national/README: an RPPS of someone else rejected, an RPPS the extract does
# not list reported, Profession, Spécialité and MSSanté adresse filled from the national
# directory for a person with only a free-text title, names with accents and particles
# matched, the MSSanté addresses in the reports; then a changed extract rebuilds the index, a
# run reads the body of an index only when it was modified since its build (touched), a
# damaged index stops the run and is built again by the next, and a truncated extract or one
# with a renamed column stops plan and apply before anything is written. The findings, the
# summary, explain, national show and index and a refused extract are also read in French.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1718013600     # 2024-06-10 10:00 UTC
SAMPLE=$MS_SRC/tests/fixtures/sample
NAT=$MS_SRC/tests/fixtures/national
sample_server "$NAT/extra.ldif"
P=ou=people,dc=chu-exemple,dc=fr

N=$MS_TMP/national
mkdir -p "$N"
X=$N/PS_LibreAcces_Personne_activite_202501010000.txt
M=$N/Extraction_Correspondance_MSSante_202501010000.txt
"$MS_PY" "$MS_SRC/tests/fixtures/gen-extract.py" -n 400 --seed 18 --persons "$NAT/persons.tsv" \
	--from-ldif "$SAMPLE/hospital.ldif" --extract "$X" --mssante "$M"
result $? "gen-extract.py writes the extracts" || done_testing

# The sample configuration, its profession, spécialité and MSSanté adresse reading the national
# directory when the directory is silent, and the national-directory section.
CONF=$MS_TMP/medimail-sync.conf
OUT=$MS_TMP/out
STATE=$MS_TMP/state.db
IDX=$MS_TMP/national.idx
slapd_sample_conf "$CONF.sample" "$OUT" "$STATE"
sed -e 's|^\tprofession  *= .*|\tprofession = "{medimailProfession\|\|title\|table:titres\|\|national:profession}"|' \
	-e 's|^\tspecialite  *= .*|\tspecialite = "{medimailSpecialite\|\|national:specialite}"\n\tmssante-adresse = "{national:mssante-local}"|' \
	"$CONF.sample" >"$CONF"
cat >>"$CONF" <<EOF
table "titres" { entry = { "Secrétaire de direction => Secrétaire médical" } }
national-directory {
	extract         = "$N/PS_LibreAcces_Personne_activite_*.txt"
	mssante-extract = "$N/Extraction_Correspondance_MSSante_*.txt"
	mssante-domains = { "chu-exemple.mssante.fr" }
	index           = "$IDX"
	max-age         = 0
}
EOF
is "$(grep -c 'national:' "$CONF")" 3 "the configuration reads the national directory in 3 templates"
ms_run -c "$CONF" check-config
exit_is 0 "check-config accepts it"
# without the section, a template that reads national: is a configuration error with its line
sed '/^national-directory {/,/^}/d' "$CONF" >"$MS_TMP/no-section.conf"
ms_run -c "$MS_TMP/no-section.conf" check-config
exit_is 2 "without the national-directory section: configuration error"
line=$(grep -n '^	profession = ' "$MS_TMP/no-section.conf" | cut -d: -f1)
like "$MS_ERR" "^$MS_TMP/no-section.conf:$line: map.profession: position [0-9]+: national:profession needs a national-directory section" \
	"it names the file, the line ($line) and the template"

# --- plan --------------------------------------------------------------------------------------
ms_run -c "$CONF" -l info plan --json "$MS_TMP/plan.json"
exit_is 4 "plan exits 4 (rejected entries)"
cp "$MS_OUT" "$MS_TMP/plan.out"
like "$MS_ERR" "national directory: building the index $IDX \\(no index yet\\)" "the first run builds the index"
like "$MS_OUT" "^rejected: uid=pdurand,$P: RPPS: national-name: RPPS 20000000016 belongs to LEGRAND SOPHIE in the national directory, not DURAND Paul \\(value \"20000000016\"\\)$" \
	"an RPPS of someone else: rejected, the message names the number and both names"
like "$MS_OUT" "^warning: uid=nbenoit,$P: RPPS: national-rpps-absent: RPPS 20000000024 is not in the national directory" \
	"an RPPS the extract does not list: a warning"
unlike "$MS_OUT" "^(rejected|warning): uid=(jplafontaine|edarcy|hmartin|fdupont|ebernard|mlefebvre|smoreau|jmercier|aroux|tgarnier),.*national" \
	"no national finding for the holders of their numbers (accents, particles, a first given name)"
is "$(grep -c '^rejected: ' "$MS_OUT")" 8 "the sample's 7 rejected entries, and pdurand"
is "$(summary_count "$MS_OUT" create PER)" 11 "plan summary: 11 PER to create (8 + nbenoit, jplafontaine, edarcy)"
like "$MS_OUT" "^  18 rows checked: 1 with a number not in the extract, 1 with the names of another holder, 0 with another profession$" \
	"the summary: 18 rows checked (10 PER of the sample, 4 ORG responsibles, 4 new), 1 absent, 1 of another holder"
like "$MS_OUT" "^  2 professionals already have MSSanté addresses \\(3 addresses, 1 in the establishment's mssante-domains\\)$" \
	"the summary: 2 professionals with MSSanté addresses (3 addresses, 1 in the domain)"
like "$MS_OUT" "table \"titres\": \"Praticien hospitalier\"" "the free-text title matched no key of the table"
is "$(jq -c '.national | [.checked, .absent, .name, .profession, .mssante.people, .mssante.addresses, .mssante.own]' "$MS_TMP/plan.json")" \
	"[18,1,1,0,2,3,1]" "the JSON summary's national counts"
check "the JSON summary follows the schema" \
	jq -e -f "$MS_SRC/tests/fixtures/json-summary.schema.jq" "$MS_TMP/plan.json"
is "$(count_files "$OUT" 'loadusers-*')" 0 "plan writes no loadusers file"

# --- apply: the loadusers file, read back with openpyxl --------------------------------------------
ms_run -c "$CONF" apply
exit_is 4 "apply exits 4"
X1=$(ls "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
if [ -n "$X1" ]; then
	xlsx_check "$X1" --expected "$NAT/expected-rows.tsv" --rows 21 \
		--types PER=11,INT=2,MED=4,ORG=4 --absent paul.durand@chu-exemple.fr
else
	not_ok "apply writes a loadusers file"
fi
R=$(ls -t "$OUT"/report-*.xlsx | head -1)
"$MS_PY" - "$R" >"$MS_TMP/report.txt" 2>&1 <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
for r in list(wb["MSSanté"].iter_rows(values_only=True))[1:]:
    print("mss\t" + "\t".join(str(c or "") for c in r[:3]))
rows = list(wb["Creations"].iter_rows(values_only=True))
head = list(rows[0])
for r in rows[1:]:
    d = dict(zip(head, r))
    if d["Adresse mail"] in ("jean.delafontaine@chu-exemple.fr", "elodie.darcy@chu-exemple.fr"):
        print("creation\t%s\t%s\t%s\t%s" % (d["Adresse mail"],
              d["Nom d'exercice, when another"] or "", d["Prénom d'exercice, when another"] or "",
              d["National directory's profession, when another"] or ""))
for r in wb["Summary"].iter_rows(values_only=True):
    if r[0] == "National directory" and r[1] == "Professionals with MSSanté addresses":
        print("summary\t%s" % r[2])
PY
sort "$MS_TMP/report.txt" >"$MS_TMP/report.sorted"
# the national record beside a creation only where it is not the row's: JEAN-PIERRE for
# "Jean"; nothing for edarcy (her names fold alike)
printf '%s\n' \
	"creation	elodie.darcy@chu-exemple.fr			" \
	"creation	jean.delafontaine@chu-exemple.fr		JEAN-PIERRE	" \
	"mss	elodie.darcy@chu-exemple.fr	elodie.darcy@pharmacien.mssante.fr	no" \
	"mss	jean.delafontaine@chu-exemple.fr	jean-pierre.delafontaine@chu-exemple.mssante.fr	yes" \
	"mss	jean.delafontaine@chu-exemple.fr	jp.lafontaine@medecin.mssante.fr	no" \
	"summary	2" >"$MS_TMP/report.want"
cmp -s "$MS_TMP/report.sorted" "$MS_TMP/report.want"
result $? "the XLSX report: the MSSanté sheet (3 addresses), the national record beside a creation where it is another, the summary's count" ||
	diff "$MS_TMP/report.want" "$MS_TMP/report.sorted" | sed 's/^/# /'

# --- explain ----------------------------------------------------------------------------------------
ms_run -c "$CONF" explain "uid=jplafontaine,$P"
exit_is 0 "explain a person filled from the national directory"
like "$MS_OUT" "^national    RPPS 20000000032 \\(national id 820000000032\\)$" "explain: the record"
like "$MS_OUT" "^ +profession +10 Médecin$" "explain: its profession"
like "$MS_OUT" "^ +RPPS \"20000000032\": DE LA FONTAINE JEAN-PIERRE in the national directory$" \
	"explain: how the templates found it"
like "$MS_OUT" "^ +national:profession \\(RPPS 20000000032\\): \"10\" \"Médecin\" -> \"Médecin\"$" \
	"explain: the national field read for Profession"
like "$MS_OUT" "^ +checks: nothing to say$" "explain: no national check fired"
ms_run -c "$CONF" explain "uid=pdurand,$P"
exit_is 4 "explain a person rejected: exit 4"
like "$MS_OUT" "^ +error: national-name: RPPS 20000000016 belongs to LEGRAND SOPHIE" \
	"explain: the check that fired"

# --- in French: the national findings, summary, explain and national show -----------------------
# Each expected line is an English one above (or of 16-national), translated by hand: a message
# of the national directory that loses its translation fails here.
export LANGUAGE=fr MEDIMAIL_SYNC_LOCALEDIR=$MS_BUILD/src/po
ms_run -c "$CONF" plan
exit_is 4 "plan in French: exit 4"
like "$MS_OUT" "^rejeté : uid=pdurand,$P: RPPS: national-name: RPPS 20000000016 appartient à LEGRAND SOPHIE dans l'annuaire national, pas à DURAND Paul \\(valeur \"20000000016\"\\)$" \
	"fr: national-name, the finding in French"
like "$MS_OUT" "^avertissement : uid=nbenoit,$P: RPPS: national-rpps-absent: RPPS 20000000024 est absent de l'annuaire national : inscrit ces derniers jours " \
	"fr: national-rpps-absent, the finding in French"
like "$MS_OUT" "^annuaire national $X \\(index à jour\\) :$" "fr: the summary's national directory line"
like "$MS_OUT" "^  18 lignes contrôlées : 1 avec un numéro absent de l'extraction, 1 avec les noms d'un autre titulaire, 0 avec une autre profession$" \
	"fr: the summary's rows checked"
like "$MS_OUT" "^  2 professionnels ont déjà des adresses MSSanté \\(3 adresses, 1 dans les mssante-domains de l'établissement\\)$" \
	"fr: the summary's MSSanté line (plural)"
R=$(sed -nE 's/^rapport : (.*)$/\1/p' "$MS_OUT" | tail -1)
check "fr: the report's national summary lines and Creations columns are in French" \
	"$MS_PY" - "$R" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
got = {(r[0], r[1]): r[2] for r in wb["Résumé"].iter_rows(values_only=True)}
want = {("Annuaire national", "Lignes contrôlées"): 18,
        ("Annuaire national", "Noms d'un autre titulaire"): 1,
        ("Annuaire national", "Professionnels ayant des adresses MSSanté"): 2}
for k, v in want.items():
    if got.get(k) != v:
        sys.exit("Résumé %s: %r, expected %r" % (k, got.get(k), v))
head = list(next(wb["Créations"].iter_rows(values_only=True)))
if head[-3:] != ["Nom d'exercice, s'il diffère", "Prénom d'exercice, s'il diffère",
                 "Profession dans l'annuaire national, si elle diffère"]:
    sys.exit("Créations header: %s" % head)
head = list(next(wb["MSSanté"].iter_rows(values_only=True)))
if head != ["Adresse mail", "Adresse MSSanté", "Domaine de l'établissement"]:
    sys.exit("MSSanté header: %s" % head)
PY
ms_run -c "$CONF" explain "uid=jplafontaine,$P"
exit_is 0 "explain in French"
like "$MS_OUT" "^national    RPPS 20000000032 \\(identifiant national 820000000032\\)$" \
	"fr explain: the record, its label padded to 12 characters"
like "$MS_OUT" "^            civilité d'exercice  DR Docteur$" \
	"fr explain: a field of the record, its label padded to 20 characters (not bytes)"
like "$MS_OUT" "^ +RPPS \"20000000032\" : DE LA FONTAINE JEAN-PIERRE dans l'annuaire national$" \
	"fr explain: how the templates found it"
like "$MS_OUT" "^ +vide : on passe à la chaîne après \\|\\|$" "fr explain: the chain after ||"
like "$MS_OUT" "^ +contrôles : rien à signaler$" "fr explain: no national check fired"
ms_run -c "$CONF" explain "uid=pdurand,$P"
like "$MS_OUT" "^ +erreur : national-name: RPPS 20000000016 appartient à LEGRAND SOPHIE" \
	"fr explain: the check that fired"
ms_run -c "$CONF" national show 20000000032
exit_is 0 "national show in French"
like "$MS_OUT" "^  identifiant national   820000000032$" \
	"fr national show: a label, padded to 22 characters"
like "$MS_OUT" "^  nom d'exercice         DE LA FONTAINE \\(normalisé \"de la fontaine\", clé \"lafontaine\"\\)$" \
	"fr national show: the name, folded and its key"
like "$MS_OUT" "^  savoir-faire           S Spécialité ordinale : SM32 Neurologie$" \
	"fr national show: a savoir-faire"
ms_run -c "$CONF" national index
like "$MS_OUT" "^$IDX : à jour \\(vérifié en [0-9.]+ s\\)$" "fr national index: up to date"
unset LANGUAGE MEDIMAIL_SYNC_LOCALEDIR

# --- a changed extract rebuilds the index; the run uses the new one ---------------------------------
ms_run -c "$CONF" -l info plan
like "$MS_ERR" "national directory: $IDX up to date, mapped in [0-9.]+ s \\(unchanged since it was built: its body not read again\\)" \
	"a later run maps the index, its body not read again (the mtime its build set)"
touch "$IDX"
ms_run -c "$CONF" -l info plan
exit_is 4 "plan with the index touched"
like "$MS_ERR" "national directory: $IDX up to date, mapped in [0-9.]+ s \\(modified since it was built: its body checked meanwhile\\)" \
	"a touched index has its body checked by the run"
unlike "$MS_ERR" "building the index|corrupt index" "found whole, it is kept"
touch -d '2025-01-02 00:00' "$X"
ms_run -c "$CONF" -l info plan
exit_is 4 "plan after the extract's modification time changed"
like "$MS_ERR" "building the index $IDX \\(the extract changed \\(modification time\\)\\)" \
	"another modification time rebuilds the index"
tail -n 1 "$X" >>"$X"
ms_run -c "$CONF" -l info plan
like "$MS_ERR" "building the index $IDX \\(the extract changed \\(size\\)\\)" \
	"another size rebuilds the index"
# a newer extract in which LEGRAND SOPHIE's RPPS is DURAND PAUL's: pdurand is no longer rejected
X2=$N/PS_LibreAcces_Personne_activite_202501030000.txt
sed 's/^8|20000000016|820000000016|DR|Docteur|MME|Madame|LEGRAND|SOPHIE|/8|20000000016|820000000016|DR|Docteur|M|Monsieur|DURAND|PAUL|/' \
	"$X" >"$X2"
ms_run -c "$CONF" -l info plan
like "$MS_ERR" "building the index $IDX \\(a newer extract \\(another file name\\)\\)" \
	"a newer extract (the glob's last match) rebuilds the index"
unlike "$MS_OUT" "uid=pdurand,.*national-name" "the run reads the newer extract: pdurand's RPPS is now his"

# --- a damaged index: the run stops before writing, removes it; the next run builds it again ----
nfiles=$(ls "$OUT" | wc -l)
printf 'Z' | dd of="$IDX" bs=1 seek=5000 conv=notrunc 2>/dev/null
ms_run -c "$CONF" -l info plan
exit_is 1 "plan with a damaged index body: exit 1"
like "$MS_ERR" "modified since it was built: its body checked meanwhile" \
	"the write changed the index's modification time: the run checks its body"
like "$MS_ERR" "$IDX: corrupt index \\(body checksum\\): removed, the next run builds it again" \
	"the error says so"
is "$(ls "$OUT" | wc -l)" "$nfiles" "nothing written (no report either)"
[ ! -e "$IDX" ]
result $? "the damaged index is removed"
ms_run -c "$CONF" -l info plan
exit_is 4 "the next plan works"
like "$MS_ERR" "building the index $IDX \\(no index yet\\)" "it builds the index again"

# --- extracts that cannot be read: nothing is written, the state is unchanged -------------------
state_sum=$(state_dump "$STATE" | md5sum)
nfiles=$(ls "$OUT" | wc -l)
X3=$N/PS_LibreAcces_Personne_activite_202501040000.txt
head -c $(($(stat -c %s "$X2") - 100)) "$X2" >"$X3"
lines=$(($(wc -l <"$X3") + 1))
for cmd in plan apply; do
	ms_run -c "$CONF" $cmd
	exit_is 1 "$cmd with a truncated extract: exit 1"
	like "$MS_ERR" "$X3:$lines: [0-9]+ fields where the header has 53: the file is truncated" \
		"$cmd: the error names the file and the line ($lines)"
	is "$(ls "$OUT" | wc -l)" "$nfiles" "$cmd: no loadusers file, no report"
	is "$(state_dump "$STATE" | md5sum)" "$state_sum" "$cmd: the state is unchanged"
done
rm -f "$X3"
X4=$N/PS_LibreAcces_Personne_activite_202501050000.txt
sed "1s/|Nom d'exercice|/|Nom d'usage|/" "$X2" >"$X4"
for cmd in plan apply; do
	ms_run -c "$CONF" $cmd
	exit_is 1 "$cmd with a renamed column: exit 1"
	like "$MS_ERR" "$X4:1: column \"Nom d'exercice\" is missing from the header \\(columns not recognised: \"Nom d'usage\"" \
		"$cmd: the error names the file and the column"
	is "$(ls "$OUT" | wc -l)" "$nfiles" "$cmd: no loadusers file, no report"
	is "$(state_dump "$STATE" | md5sum)" "$state_sum" "$cmd: the state is unchanged"
done
ms_run -c "$CONF" explain "uid=jplafontaine,$P"
exit_is 1 "explain with a renamed column: exit 1 too"
# in French, the refused extract and the reason for a new index (hand-translated from above)
export LANGUAGE=fr MEDIMAIL_SYNC_LOCALEDIR=$MS_BUILD/src/po
ms_run -c "$CONF" plan
exit_is 1 "fr: plan with a renamed column: exit 1"
like "$MS_ERR" "$X4:1 : la colonne « Nom d'exercice » manque dans l'en-tête \\(colonnes non reconnues : \"Nom d'usage\"" \
	"fr: the renamed column, in French"
rm -f "$X4"
touch -d '2025-01-06 00:00' "$X2"
ms_run -c "$CONF" national index
exit_is 0 "fr: national index after the extract's modification time changed"
like "$MS_OUT" "^$IDX : construit en [0-9.]+ s \\(l'extraction a changé \\(date de modification\\)\\)$" \
	"fr: why the index was built again, in French"
unset LANGUAGE MEDIMAIL_SYNC_LOCALEDIR
done_testing
