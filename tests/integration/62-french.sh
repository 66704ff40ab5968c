#!/bin/bash
# 62-french: the messages that came with explain, the mapping language, the leavers and adopt,
# as a French admin reads them (LANGUAGE=fr, the build tree's catalogue), on the sample
# hospital (private slapd, pierre.lambert disabled) and the hand-made Medimail export of
# tests/fixtures/medimail-export. Each expected line is the English one of 26-explain,
# 25-leavers, 17-config-lang or 31-adopt, translated by hand: a message that loses its
# translation, or a label that loses its alignment, fails here.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
. "$MS_LIB/adopt.sh"
need_bin
adopt_setup
adopt_leaver
export LANGUAGE=fr MEDIMAIL_SYNC_LOCALEDIR=$MS_BUILD/src/po

# chars FILE REGEX: the length in characters (not bytes) of the first line matching REGEX
chars() {
	"$MS_PY" -c 'import re, sys
for l in open(sys.argv[1], encoding="utf-8"):
    if re.search(sys.argv[2], l):
        print(len(l.rstrip("\n"))); break' "$1" "$2"
}

# --- plan: the leaver never written is skipped, and the summary says why ------------------
ms_run -c "$CONF" plan
exit_is 4 "plan (dry run) completes with the sample's rejected entries"
cp "$MS_OUT" "$MS_TMP/plan.out"
like "$MS_OUT" "^  écarté +0 +0 +0 +1 +1$" "the summary table: one person skipped (écarté), a MED"
is "$(chars "$MS_OUT" '^  écarté ')" "$(chars "$MS_OUT" '^  création ')" \
	"... its row as long as the others (an 11-column label, counted in characters)"
like "$MS_OUT" "^  écartés : désactivés 1, après leur date de fin 0 \(jamais écrits : aucune BAL à créer\)$" \
	"the skipped line of the summary, in French"

# --- explain: labels, the BAL rules' trace, what the next apply does ------------------------
ms_run -c "$CONF" explain "uid=fdupont,$P"
exit_is 0 "explain a valid PER: exit 0"
cp "$MS_OUT" "$MS_TMP/explain-per.out"
like "$MS_OUT" "^entrée      uid=fdupont,$P\$" \
	"the label \"entrée\" padded to 12 characters (not bytes)"
like "$MS_OUT" "^départ      non\$" "not leaving: départ non"
like "$MS_OUT" "^    if-column \"rpps\": cellule \"10003456026\" -> oui\$" \
	"the trace of a rule's condition, in French"
like "$MS_OUT" "^    règle vérifiée\$" "... and the rule that holds"
like "$MS_OUT" "^apply       création : la ligne ci-dessous sera écrite\$" \
	"the next apply creates the row"
like "$MS_OUT" "^ 5 ADELI +\(vide\)\$" "an empty cell"
like "$MS_OUT" "^          medimailADELI: aucune valeur\$" "... an attribute without a value"

ms_run -c "$CONF" explain "uid=plambert,$P"
exit_is 0 "explain the disabled person: exit 0"
cp "$MS_OUT" "$MS_TMP/explain-leaver.out"
like "$MS_OUT" "^départ      oui : désactivé dans l'annuaire\$" "leaving: disabled in the directory"
like "$MS_OUT" "^apply       écarté \(disabled\) : jamais écrit, rien à signaler à Medimail\$" \
	"the next apply skips the person"

# --- a finding of the mapping language: a value no key of its table matches ---------------
sed -e 's|{medimailSpecialite}|{medimailSpecialite\|table:specialites}|' "$CONF" >"$MS_TMP/table.conf"
cat >>"$MS_TMP/table.conf" <<'EOF'
table "specialites" {
	entry = { "pneumologie => Pneumologie (SM)" }
}
severity = { "table-unmatched:warning" }
EOF
grep -q 'table:specialites' "$MS_TMP/table.conf" || bail "config edit (table)"
ms_run -c "$MS_TMP/table.conf" plan
cp "$MS_OUT" "$MS_TMP/table.out"
like "$MS_OUT" "^avertissement : uid=hmartin,$P: Spécialité: table-unmatched: medimailSpecialite « Cardiologie et Maladies vasculaires » ne correspond à aucune clé de la table « specialites » \(valeur \"Cardiologie et Maladies vasculaires\"\)\$" \
	"table-unmatched: the finding in French"
like "$MS_OUT" "^2 valeurs ne correspondent à aucune clé de leur table " \
	"the summary of the values no key matches, in French (plural)"

# --- adopt: the categories, a rename found by RPPS, the report's sheets ---------------------
ms_run -c "$CONF" adopt "$E/export.csv"
exit_is 4 "adopt (dry run) exits 4"
cp "$MS_OUT" "$MS_TMP/adopt.out"
like "$MS_OUT" "^  Medimail seul +2 +0 +1 +1 +4\$" "the table: 4 accounts in Medimail only"
is "$(chars "$MS_OUT" '^  Medimail seul ')" "$(chars "$MS_OUT" '^  identique ')" \
	"... its row as long as the others"
like "$MS_OUT" "^renommage \(1\) : trouvés par RPPS ou ADELI sous une autre adresse : à confirmer \(--accept-renames\)" \
	"the rename category and what it means"
like "$MS_OUT" "^  j\.mercier@$D \(Medimail, ligne 7\) est julien\.mercier@$D \(uid=jmercier,$P\), même RPPS\$" \
	"rename: j.mercier@ found by RPPS, in French"
like "$MS_OUT" "^  elodie\.bernard@$D: Téléphone \(1\) « 0467330303 » dans l'annuaire, « 0467339999 » dans Medimail\$" \
	"differs: both values of the phone"
like "$MS_OUT" "^non enregistré : 1 rapprochement par RPPS ou ADELI à confirmer \(--accept-renames\)\$" \
	"the rename not recorded: one, in the singular"
R=$(sed -nE 's/^rapport : (.*)$/\1/p' "$MS_OUT" | tail -1)
[ -f "$R" ]
result $? "adopt's report is named on the rapport line"
check "the adopt report's sheets are in French" "$MS_PY" - "$R" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
want = ["Résumé", "Identiques", "Différences", "Renommages", "Départs", "Rejetés", "Nouveaux",
        "Écartés", "Medimail seul", "Conflits", "Constats"]
if wb.sheetnames != want:
    sys.exit("sheets %s, expected %s" % (wb.sheetnames, want))
head = [c.value for c in wb["Renommages"][1]]
if "Rapproché par" not in head or "Ligne de l'export" not in head:
    sys.exit("Renommages header: %s" % head)
rows = [[c.value for c in r] for r in wb["Renommages"].iter_rows(min_row=2)]
if not any("RPPS" in r and "non enregistré : confirmez avec --accept-renames" in r for r in rows):
    sys.exit("Renommages rows: %s" % rows)
PY
# --- the catalogue's width limits: summary labels, XLSX sheet names -----------------------
check "the French labels and sheet names fit their limits" "$MS_PY" - "$MS_BUILD/src/po" <<'PY'
import gettext, re, sys
t = gettext.translation("medimail-sync", localedir=sys.argv[1], languages=["fr"])
bad = []
def fit(ids, n, why):
    for m in ids:
        f = t.gettext(m)
        if f == m and m not in ("type", "connexion"):      # the same word in French
            bad.append("%r is not translated" % m)
        if len(f) > n:
            bad.append("%r -> %r: more than %d characters (%s)" % (m, f, n, why))
# plan's summary table (report.c), explain's labels (explain.c), adopt and reconcile's table
fit(["create", "update", "unchanged", "expire", "reactivate", "rename", "skipped", "rejected"],
    11, "plan's table")
fit(["entry", "directory", "stable id", "leaving", "next apply", "type", "findings",
     "responsible", "connexion"], 11, "explain's labels")
fit(["identical", "differs", "rename", "leaving", "rejected", "new", "skipped", "Medimail only",
     "conflict", "matching", "missing", "moved", "not expired", "unknown"], 15,
    "adopt and reconcile's table")
sheets = ["Summary", "Creations", "Updates", "Expiries", "Skipped", "Renames", "Rejections",
          "Warnings", "Unmatched values", "Coverage", "Identical", "Differences", "Leavers",
          "Rejected", "New", "Medimail only", "Conflicts", "Findings", "Matching", "Missing",
          "Moved", "Not expired", "Unknown"]
fit(sheets, 31, "an XLSX sheet name")
for m in sheets:
    if re.search(r"[:\\/?*\[\]]", t.gettext(m)):
        bad.append("%r -> %r: a character a sheet name cannot hold" % (m, t.gettext(m)))
if bad:
    sys.exit("\n".join(bad))
PY

# --- the catalogue covers the source: every _() message of src/po/POTFILES's files is in
# fr.po and translated (a message added without "make update-po" and its translation was
# written in English to a French admin)
if command -v xgettext >/dev/null && command -v msgmerge >/dev/null; then
	(cd "$MS_SRC" && xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
		-f src/po/POTFILES -o "$MS_TMP/now.pot") &&
		msgmerge --quiet --no-fuzzy-matching -o "$MS_TMP/fr-now.po" "$MS_SRC/src/po/fr.po" \
			"$MS_TMP/now.pot" &&
		LANGUAGE= LC_ALL=C msgfmt --statistics -o /dev/null "$MS_TMP/fr-now.po" >"$MS_TMP/stats" 2>&1
	like "$MS_TMP/stats" '^[0-9]+ translated messages\.$' \
		"every message of the source has its French translation in src/po/fr.po"
	msgattrib --untranslated --no-obsolete --no-wrap "$MS_TMP/fr-now.po" 2>/dev/null |
		grep '^msgid "[^"]' | head -n 5 | while IFS= read -r l; do diag "$l"; done
	check "POTFILES lists every source file with a message to translate" \
		test -z "$(cd "$MS_SRC" && grep -l '[^a-z_]_("' src/*.c | grep -vxFf src/po/POTFILES)"
else
	not_ok "xgettext and msgmerge (gettext) are needed to check the catalogue"
fi
done_testing
