#!/bin/bash
# 16-config-lang: the mapping language on the real binary. check-config names FILE:LINE for
# every template, table, rule and map-type error at once (and the TSV file's own lines); the
# quoting the man page recommends for regular expressions works; and a plan on an LDIF export
# maps one idNat_PS attribute to RPPS and ADELI, titles through a table, interns by title,
# shadowExpire (days) to Date de péremption, and keeps out an unreadable shadowExpire. The
# expected cells are worked out by hand in the comments.
. "$(dirname "$0")/../lib/common.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1718013600      # 2024-06-10 10:00 UTC
P=ou=people,dc=chu-exemple,dc=fr
OUT=$MS_TMP/out
mkdir -p "$OUT" && chmod 0700 "$OUT"

# --- check-config: every error with its file and line -------------------------------------
printf 'ide\tInfirmier\nno tab on this line\n/^sage(/\tSage-Femme\n' >"$MS_TMP/bad.tsv"
cat >"$MS_TMP/bad.conf" <<EOF
directory "d" { ldif = "x.ldif" base = "dc=x" }
map {
	rpps = '{employeeNumber|match:/^8([0-9]{11}\$/}'
	profession = "{title|table:profession}"
	specialite = "{title|table:specialites}"
}
map-type "ORG" { nom = "{cn}" }
bal-rule "interne" {
	type = INT
	if-match = '/^interne/i'
}
table "profession" {
	entry = { "IDE => Infirmier", "Infirmière de bloc" }
	file = "bad.tsv"
}
EOF
ms_run -c "$MS_TMP/bad.conf" check-config
exit_is 2 "check-config: errors in templates, tables, rules and map-type exit 2"
C=$MS_TMP/bad.conf
like "$MS_ERR" "^$C:3: map\.rpps: position 17: bad regular expression '\^8\(\[0-9\]\{11\}\\\$': " \
	"a regex that does not compile: FILE:LINE, column, position and regerror's text"
like "$MS_ERR" "^$C:5: map\.specialite: position 8: unknown table 'specialites'" \
	"an unknown table in a template: FILE:LINE"
like "$MS_ERR" "^$C:7: map-type: \"ORG\": ORG mailboxes come from groups" "map-type ORG: FILE:LINE"
like "$MS_ERR" "^$C:10: bal-rule \"interne\": if-match needs exactly one of if-attribute and if-column" \
	"if-match without the values it tests: FILE:LINE"
like "$MS_ERR" "^$C:13: table \"profession\": entry \"Infirmière de bloc\": no => between key and value" \
	"an entry without =>: FILE:LINE"
like "$MS_ERR" "^$MS_TMP/bad\.tsv:2: table \"profession\": no tab between key and value" \
	"a TSV line without a tab: its own FILE:LINE (path relative to the config)"
# the TSV's regex key is checked by the mapper, which only runs on a config that loads
sed -i -e '/^map-type/d' -e 's/, "Infirmière de bloc"//' -e '/^\tif-match/d' \
	-e 's/{11}\$/{11})$/' -e '/specialite/d' "$C"
sed -i '/^no tab/d' "$MS_TMP/bad.tsv"
ms_run -c "$C" check-config
exit_is 2 "check-config: a regex key that does not compile exits 2"
like "$MS_ERR" "^$MS_TMP/bad\.tsv:2: table \"profession\": key /\^sage\(/: bad regular expression" \
	"a regex key that does not compile: the TSV's FILE:LINE"

# a table nothing uses is a warning, not an error
cat >"$MS_TMP/warn.conf" <<EOF
directory "d" { ldif = "x.ldif" base = "dc=x" }
table "spare" {
	entry = { "a => b" }
}
output { directory = "$OUT" }
EOF
ms_run -c "$MS_TMP/warn.conf" check-config
exit_is 0 "check-config: an unused table is only a warning"
like "$MS_ERR" "^$MS_TMP/warn\.conf:3: table \"spare\": warning: no template" \
	"the unused table is named with FILE:LINE"

# --- the man page's quoting examples compile ----------------------------------------------
cat >"$MS_TMP/quotes.conf" <<'EOF'
directory "d" { ldif = "x.ldif" base = "dc=x" }
map {
	rpps  = '{employeeNumber|match:/^8([0-9]{11})$/}'
	adeli = "{employeeNumber|match:/^0([0-9]{9})$/}"
	mssante-adresse = '{mail|match:/^([^@]+)@mssante\.fr$/i}'
	service-de-rattachement = '{department|replace:/\//-/g}'
	alias = "{mail|match:/^([^@]+)@chu\\.fr$/}"
}
EOF
echo "output { directory = \"$OUT\" }" >>"$MS_TMP/quotes.conf"
ms_run -c "$MS_TMP/quotes.conf" check-config
exit_is 0 "the quoting examples of medimail-sync.conf(5) are a valid configuration"

# --- a plan on an export ------------------------------------------------------------------
person() {   # uid uuid [extra lines...]
	local uid=$1 uuid=$2
	shift 2
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nobjectClass: shadowAccount\n' "$uid" "$P"
	printf 'uid: %s\nentryUUID: %s\ncn: %s\nsn: %s\ngivenName: Jean\nmail: %s@chu-exemple.fr\n' \
		"$uid" "$uuid" "$uid" "$uid" "$uid"
	printf '%s\n' "$@"
	echo
}
{
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\n' "$P"
	# idNat_PS 8 + RPPS; shadowExpire 20849 days = 2027-01-31 (1801353600 / 86400)
	person rpps 00000000-0000-4000-8000-000000000001 "employeeNumber: 810001045367" \
		"title: Médecin" "shadowExpire: 20849"
	# idNat_PS 0 + ADELI, with blanks; "IDE" matches the key /^ide( |$)/
	person adeli 00000000-0000-4000-8000-000000000002 "employeeNumber: 0 012 600 631" \
		"title: IDE" "shadowExpire: -1"
	# neither: one idnat-format warning (RPPS and ADELI read the same value); a title no
	# key matches: the default, and a table-unmatched warning
	person other 00000000-0000-4000-8000-000000000003 "employeeNumber: 8123" \
		"title: Brancardier"
	# intern by title (if-match); map-type "INT" sets profession and civilité
	person interne 00000000-0000-4000-8000-000000000004 "title: Interne en médecine"
	# shadowExpire 20261231: a YYYYMMDD typed into days, year 57,000: kept out
	person typo 00000000-0000-4000-8000-000000000005 "employeeNumber: 810001045367" \
		"title: Médecin" "shadowExpire: 20261231"
} >"$MS_TMP/export.ldif"
printf '# title\tprofession\nmedecin\tMédecin\n' >"$MS_TMP/professions.tsv"
{
	ldif_conf_head "$MS_TMP/state.db" "$OUT" "$MS_TMP/export.ldif" "$P" "format = csv"
	cat <<EOF
map {
	rpps       = "{employeeNumber|idnat:rpps}"
	adeli      = "{employeeNumber|idnat:adeli}"
	profession = "{title|table:profession}"
	date-de-peremption = "{shadowExpire|date:days}"
}
map-type "INT" {
	profession        = "Médecin"
	civilite-exercice = "Docteur"
}
bal-rule "per-rpps"  { type = PER  if-column = "rpps" }
bal-rule "per-adeli" { type = PER  if-column = "adeli" }
bal-rule "interne"   { type = INT  if-attribute = "title"  if-match = '/^interne/i' }
bal-rule "autres"    { type = MED }
table "profession" {
	entry   = { "/^ide( |\$)/ => Infirmier" }
	file    = "professions.tsv"
	default = "Personnel administratif"
}
severity = { "table-unmatched:warning" }
EOF
} >"$MS_TMP/lang.conf"
ms_run -c "$MS_TMP/lang.conf" apply
exit_is 4 "apply completes, with the unreadable end date rejected"
like "$MS_OUT" "^rejected: uid=typo,$P: Date de péremption: end-date-unreadable: .*shadowExpire" \
	"shadowExpire 20261231 is unreadable as days: the entry is kept out"
like "$MS_OUT" "^warning: uid=other,$P: RPPS: idnat-format: employeeNumber \"8123\" is neither an RPPS" \
	"a national identifier of no known shape: a warning"
is "$(grep -c 'idnat-format' "$MS_OUT")" 1 "one idnat-format finding for RPPS and ADELI read from one attribute"
like "$MS_OUT" "^warning: uid=other,$P: Profession: table-unmatched: title \"Brancardier\" \
matches no key of table \"profession\"" "a title no key matches: a warning (raised from off)"
F=$(ls "$OUT"/loadusers-*.csv 2>/dev/null | head -1)
[ -n "$F" ] || bail "a loadusers CSV was written"
# uid, RPPS, ADELI, Profession, Type BAL, Civilité exercice, Date de péremption
cells() {
	"$MS_PY" - "$F" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig"), delimiter=";"))
h = rows[0]
want = ["Adresse mail", "RPPS", "ADELI", "Profession", "Type BAL", "Civilité exercice",
        "Date de péremption"]
idx = [h.index(w) for w in want]
for r in sorted(rows[1:]):
    print("|".join(r[i] for i in idx))
PY
}
want=(
	"adeli@chu-exemple.fr||012600631|Infirmier|PER||"
	"interne@chu-exemple.fr|||Médecin|INT|Docteur|"
	"other@chu-exemple.fr|||Personnel administratif|MED||"
	"rpps@chu-exemple.fr|10001045367||Médecin|PER||27-01-31"
)
is "$(cells)" "$(printf '%s\n' "${want[@]}")" "the cells worked out by hand"

# raised to error, an unmatched title rejects the person: the row is not written
sed -i 's/table-unmatched:warning/table-unmatched:error/' "$MS_TMP/lang.conf"
rm -f "$OUT"/loadusers-* "$MS_TMP/state.db"
ms_run -c "$MS_TMP/lang.conf" apply
exit_is 4 "apply with table-unmatched:error completes with rejected entries"
like "$MS_OUT" "^rejected: uid=other,$P: Profession: table-unmatched: " \
	"table-unmatched:error: the finding is an error"
F=$(ls "$OUT"/loadusers-*.csv 2>/dev/null | head -1)
[ -n "$F" ] || bail "a loadusers CSV was written"
unlike "$F" "other@chu-exemple\.fr" "table-unmatched:error: the person is not written"
like "$F" "rpps@chu-exemple\.fr" "table-unmatched:error: the others are"
done_testing
