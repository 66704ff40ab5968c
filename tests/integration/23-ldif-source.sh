#!/bin/bash
# 23-ldif-source: an LDIF export (slapcat style, with entryUUID) standing in for a server, with
# garbage in it: invalid UTF-8, missing attributes, a missing stable id; and malformed LDIF
# files (the crashes of issue 17, ":<" URL values, values and records over the caps), each of
# which fails the run with FILE:LINE and writes nothing.
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

{
	ldif_conf_head "$MS_TMP/state.db" "$OUT" "$MS_TMP/export.ldif" "$P"
	cat <<EOF2
map {
	profession = "{employeeType}"
}
EOF2
} >"$MS_TMP/ldif.conf"
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

# refused LDIF (issue 17): LINE WHY TEXT. The first three crashed libldap's parser or were
# skipped by it; a ":<" URL value made it read a local file into the entry (a password into
# the loadusers file), or /dev/zero until memory ran out.
(umask 077 && printf 'not-a-name-s3cret\n' >"$MS_TMP/bind.pw")
refused() {
	local line=$1 why=$2 name
	shift 2
	name="line $line: $why"
	printf '%b' "$@" >"$MS_TMP/export.ldif"
	ms_run -c "$MS_TMP/ldif.conf" apply
	exit_is 1 "$name: the run fails (exit 1)"
	like "$MS_ERR" "^medimail-sync: error: $MS_TMP/export\.ldif:$line: $why" \
		"$name: FILE:LINE and why"
	is "$(count_files "$OUT" 'loadusers-*')" "$before" "$name: no loadusers file written"
	dump >"$MS_TMP/state.after"
	check "$name: the state is unchanged" cmp "$MS_TMP/state.before" "$MS_TMP/state.after"
	cat "$MS_OUT" "$MS_ERR" >"$MS_TMP/shown"
	unlike "$MS_TMP/shown" "s3cret" "$name: nothing of the local file is shown"
}
refused 1 "malformed LDIF record" '6\n'
refused 1 "malformed LDIF record" '6\ndn: %s\nobjectClass: organizationalUnit\nou: people\n' "$P"
refused 2 "malformed LDIF record" 'dn: uid=x,dc=example,dc=org\n-\n'
refused 2 "malformed LDIF record" 'dn:\n:\n'
refused 3 "malformed LDIF record" "dn: $P\nobjectClass: organizationalUnit\n-\n"
refused 2 'a value given as a URL \(":<"\) is refused' \
	"dn: $P\ngivenName:< file://$MS_TMP/bind.pw\nobjectClass: organizationalUnit\n"
refused 2 'a value given as a URL \(":<"\) is refused' "dn: $P\ncn:< file:///dev/zero\n"
# the caps: one attribute line over 2 MiB, and an LDIF that is /dev/zero
{
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\ndescription: ' "$P"
	head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' x
	echo
} >"$MS_TMP/big.ldif"
sed "s|$MS_TMP/export\.ldif|$MS_TMP/big.ldif|" "$MS_TMP/ldif.conf" >"$MS_TMP/big.conf"
ms_run -c "$MS_TMP/big.conf" apply
exit_is 1 "a 2 MiB value: the run fails (exit 1)"
like "$MS_ERR" "big\.ldif:4: attribute line longer than 2097152 bytes: refused" \
	"a 2 MiB value: FILE:LINE and the cap"
is "$(count_files "$OUT" 'loadusers-*')" "$before" "a 2 MiB value: no loadusers file written"
sed "s|$MS_TMP/export\.ldif|/dev/zero|" "$MS_TMP/ldif.conf" >"$MS_TMP/zero.conf"
timeout 60 "$MS_BIN" -c "$MS_TMP/zero.conf" apply >"$MS_OUT" 2>"$MS_ERR" </dev/null
MS_RC=$?
exit_is 1 "ldif = /dev/zero: the run fails at once (exit 1, not a hang: 124)"
like "$MS_ERR" "/dev/zero:1: malformed LDIF record: a NUL byte" "ldif = /dev/zero: FILE:LINE and why"
dump >"$MS_TMP/state.after"
check "caps: the state is unchanged" cmp "$MS_TMP/state.before" "$MS_TMP/state.after"
done_testing
