#!/bin/bash
# 35-duplicates-case: two addresses that differ only by case, with mail-lowercase turned down to
# a warning: validate (on a CSV holding the two rows) and apply (on an LDIF holding the two
# people) agree, both report the duplicate; apply rejects both holders and writes neither.
. "$(dirname "$0")/../lib/common.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
OUT=$MS_TMP/out
mkdir -p "$OUT"
person() {   # uid uuid mail
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\nentryUUID: %s\n' "$1" "$P" "$1" "$2"
	printf 'cn: Martin\nsn: Martin\ngivenName: Anne\nmail: %s\n' "$3"
	printf 'employeeType: Personnel administratif\n\n'
}
{
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\n' "$P"
	person amartin 00000000-0000-4000-8000-000000000001 "anne.martin@chu-exemple.fr"
	person amartin2 00000000-0000-4000-8000-000000000002 "Anne.Martin@chu-exemple.fr"
	person jbon 00000000-0000-4000-8000-000000000003 "jean.bon@chu-exemple.fr"
} >"$MS_TMP/export.ldif"
{
	ldif_conf_head "$MS_TMP/state.db" "$OUT" "$MS_TMP/export.ldif" "$P"
	cat <<EOF2
severity = { "mail-lowercase:warning" }
map {
	# the addresses as they are (the default lowers them): the case reaches the rules
	adresse-mail = "{mail|trim}"
	profession = "{employeeType}"
}
EOF2
} >"$MS_TMP/dup.conf"

# validate: the clean file's first row, and the same row with the address in mixed case
CSV=$MS_TMP/two.csv
head -n 2 "$MS_SRC/tests/fixtures/validate/clean.csv" >"$CSV"
sed -n 2p "$MS_SRC/tests/fixtures/validate/clean.csv" | sed 's/^jean\.dupont@/Jean.Dupont@/' >>"$CSV"
is "$(cut -d';' -f1 "$CSV" | tail -n 2 | tr 'A-Z' 'a-z' | sort -u | wc -l)" 1 \
	"the CSV holds one address twice, differing only by case"
ms_run -c "$MS_TMP/dup.conf" validate "$CSV"
like "$MS_OUT" "mail-duplicate" "validate reports the duplicate"
like "$MS_OUT" "mail-lowercase" "validate reports the upper-case address (as a warning)"
unlike "$MS_OUT" "error.*mail-lowercase|mail-lowercase.*error" "mail-lowercase is no error in validate"

# apply: both holders rejected, the third person written
ms_run -c "$MS_TMP/dup.conf" apply
exit_is 4 "apply completes with rejected entries"
like "$MS_OUT" "^rejected: uid=amartin2,$P: Adresse mail: mail-duplicate: " \
	"apply rejects the second holder as a duplicate"
like "$MS_OUT" "^rejected: uid=amartin,$P: Adresse mail: mail-duplicate: " \
	"apply rejects the first holder too"
like "$MS_OUT" "Anne\\.Martin@chu-exemple\\.fr" "apply kept the address as written (mixed case)"
X=$(ls "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
is "$("$MS_PY" -c 'import sys,openpyxl; print(",".join(r[0] for r in list(openpyxl.load_workbook(sys.argv[1]).active.iter_rows(values_only=True))[1:]))' "$X")" \
	"jean.bon@chu-exemple.fr" "only the third person is written"
done_testing
