#!/bin/bash
# 34-rejects: every error finding rejects its row, whichever stage raised it (issue 17): the
# rule ids come from the source (check_rules[] and the collector's own), each has an entry of
# an LDIF export that raises it (tests/lib/rejects.py); apply writes none of them, in CSV
# (windows-1252) and in XLSX, and the state does not hold them as active. Also: one name that
# Windows-1252 lacks rejects its row only, plan reports it, csv-transliterate writes it.
. "$(dirname "$0")/../lib/common.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1796083200
D=chu-exemple.fr
P=ou=people,dc=chu-exemple,dc=fr
"$MS_PY" "$MS_LIB/rejects.py" gen "$MS_TMP" || bail "rejects.py gen"

conf() {   # NAME FORMAT [OUTPUT OPTIONS...]
	local name=$1 fmt=$2
	shift 2
	mkdir -p "$MS_TMP/out-$name"
	chmod 700 "$MS_TMP/out-$name"
	cat >"$MS_TMP/$name.conf" <<EOF2
state-file = "$MS_TMP/state-$name.db"
output { directory = "$MS_TMP/out-$name" format = $fmt $* }
structure "chu" {
	raison-sociale = "CHU d'Exemple"
	adresse-1 = "1 avenue de l'Hôpital"
	cp = "34000"
	ville = "MONTPELLIER"
	id-type = "FINESS"
	id = "340780477"
}
directory "export" {
	ldif = "$MS_TMP/people.ldif"
	base = { "$P" }
	group-base = { "ou=groups,dc=chu-exemple,dc=fr" }
	group-filter = "(cn=org-*)"
	owner-attribute = "owner"
	end-date-attribute = "x-end"
	disabled-filter = "(x-flags:1.2.840.113556.1.4.803:=2)"
}
map {
	adresse-mail = "{x-mail}"
	nom = "{sn}"
	prenom = "{givenName}"
	rpps = "{x-rpps}"
	adeli = "{x-adeli}"
	adresse-1 = "{x-adresse-1/\$adresse-1}"
	adresse-2 = "{x-adresse-2|replace:/#/##########/g}"
	cp = "{x-cp/\$cp}"
	ville = "{x-ville/\$ville}"
	departement = "{x-departement}"
	region = "{x-region}"
	profession = "{x-profession}"
	specialite = "{x-specialite}"
	activite-liberale = "{x-liberal}"
	type-identifiant-structure-resp = "{x-idtype/\$id-type}"
	identifiant-structure-resp = "{x-id/\$id}"
	civilite-exercice = "{x-civilite}"
	mssante-adresse = "{x-mssante}"
	apicrypt-adresse = "{x-apicrypt}"
	apicrypt-specialite = "{x-apispe}"
	date-de-peremption = "{x-peremption}"
	telephone-1 = "{x-tel}"
}
bal-rule "int-title" { type = INT if-attribute = "title" if-match = "/^interne/i" }
bal-rule "per" { type = PER if-attribute = "x-type" if-value = "PER" }
bal-rule "int" { type = INT if-attribute = "x-type" if-value = "INT" }
bal-rule "med" { type = MED if-attribute = "x-type" if-value = "MED" }
org { nom = "{cn|upper}" prenom = "{cn}" description = "{description/cn}" }
EOF2
}

for run in csv xlsx; do
	if [ $run = csv ]; then
		conf $run csv 'csv-encoding = windows-1252'
	else
		conf $run xlsx
	fi
	ms_run -c "$MS_TMP/$run.conf" apply --force
	exit_is 4 "$run: apply completes with rejected entries (exit 4)"
	F=$(loadusers_written)
	R=$(sed -n 's/^report \(.*\.xlsx\)$/\1/p' "$MS_OUT")
	[ -n "$F" ] && [ -n "$R" ] || diag_file "$MS_OUT"
	py_tap rejects.py check $run "$R" "$F" "$MS_TMP/state-$run.db"
done

# Defect 4: plan says what apply does; the run is not failed by one name
conf plan1252 csv 'csv-encoding = windows-1252'
ms_run -c "$MS_TMP/plan1252.conf" plan
like "$MS_OUT" "^rejected: uid=lukasz,$P: NOM: windows-1252: NOM holds U\+0141" \
	"plan reports the name windows-1252 lacks, naming the DN and the column"
conf translit csv 'csv-encoding = windows-1252 csv-transliterate = true'
ms_run -c "$MS_TMP/translit.conf" apply --force
exit_is 4 "csv-transliterate: apply completes"
unlike "$MS_OUT" "uid=lukasz,.*windows-1252" "csv-transliterate: the name is not rejected"
F=$(loadusers_written)
is "$(iconv -f cp1252 -t utf-8 "$F" | grep '^lukasz@' | cut -d';' -f2,3)" "LUKASZ;Lukasz" \
	"csv-transliterate: the file holds LUKASZ;Lukasz"
is "$(sqlite3 "$MS_TMP/state-translit.db" "select mail from accounts where dn like 'uid=lukasz,%'")" \
	"lukasz@$D" "csv-transliterate: the state holds the account"
check "csv-transliterate: the state row holds what the file holds" \
	grep -q "6:LUKASZ6:Lukasz" <(sqlite3 "$MS_TMP/state-translit.db" \
	"select row from accounts where dn like 'uid=lukasz,%'")
done_testing
