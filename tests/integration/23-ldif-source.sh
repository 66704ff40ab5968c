#!/bin/bash
# 23-ldif-source: an LDIF export (slapcat style, with entryUUID) standing in for a server, with
# garbage in it: invalid UTF-8, missing attributes, a missing stable id; and a malformed LDIF
# file, which fails the run with FILE:LINE and writes nothing.
. "$(dirname "$0")/../lib/common.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
OUT=$MS_TMP/out
mkdir -p "$OUT"
person() {   # uid uuid [extra lines...]
	local uid=$1 uuid=$2
	shift 2
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\nentryUUID: %s\n' "$uid" "$P" "$uid" "$uuid"
	printf '%s\n' "$@"
	echo
}
{
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\n' "$P"
	person good 00000000-0000-4000-8000-000000000001 "cn: Bon" "sn: Bon" "givenName: Jean" \
		"mail: jean.bon@chu-exemple.fr" "employeeType: Personnel administratif"
	# sn is "Ren\xe9" (Latin-1, not UTF-8), base64-encoded as LDIF requires
	person latin1 00000000-0000-4000-8000-000000000002 "cn: Rene" "sn:: UmVu6Q==" \
		"givenName: Rene" "mail: rene@chu-exemple.fr" "employeeType: Personnel administratif"
	person nomail 00000000-0000-4000-8000-000000000003 "cn: Sans" "sn: Sans" \
		"employeeType: Personnel administratif"
	person noid "" "cn: Anon" "sn: Anon" "givenName: A" "mail: anon@chu-exemple.fr" \
		"employeeType: Personnel administratif"
} | sed '/^entryUUID: $/d' >"$MS_TMP/export.ldif"

cat >"$MS_TMP/ldif.conf" <<EOF2
state-file = "$MS_TMP/state.db"
output { directory = "$OUT" }
structure "chu" {
	raison-sociale = "CHU d'Exemple"
	cp = "34000"
	ville = "MONTPELLIER"
	id-type = "FINESS"
	id = "340780477"
}
directory "export" {
	ldif = "$MS_TMP/export.ldif"
	base = { "$P" }
}
map {
	profession = "{employeeType}"
}
EOF2
ms_run -c "$MS_TMP/ldif.conf" check-config
exit_is 0 "a config with an LDIF source is valid"
ms_run -c "$MS_TMP/ldif.conf" apply
exit_is 4 "apply on the export completes with rejected entries"
like "$MS_OUT" "^rejected: uid=latin1,$P: NOM: invalid-utf8: " "invalid UTF-8 is rejected, naming the DN and the column"
like "$MS_OUT" "^rejected: uid=nomail,$P: Adresse mail: required: " "a missing address is rejected"
like "$MS_OUT" "^rejected: uid=noid,$P: -: missing-id: " "an entry without its stable id is rejected"
X=$(ls "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
is "$("$MS_PY" -c 'import sys,openpyxl; print(",".join(r[0] for r in list(openpyxl.load_workbook(sys.argv[1]).active.iter_rows(values_only=True))[1:]))' "$X")" \
	"jean.bon@chu-exemple.fr" "the one valid account is written"

# A malformed LDIF: the run fails with the file and line, and nothing is written
printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\nthis is not ldif\n' "$P" \
	>"$MS_TMP/export.ldif"
before=$(count_files "$OUT" 'loadusers-*')
dump() { state_dump "$MS_TMP/state.db"; }
dump >"$MS_TMP/state.before"
ms_run -c "$MS_TMP/ldif.conf" apply
exit_is 1 "a malformed LDIF fails the run (exit 1)"
like "$MS_ERR" "export\.ldif:[0-9]+:" "the error names the file and line"
is "$(count_files "$OUT" 'loadusers-*')" "$before" "no loadusers file written"
dump >"$MS_TMP/state.after"
check "the state is unchanged (SQL dump)" cmp "$MS_TMP/state.before" "$MS_TMP/state.after"
done_testing
