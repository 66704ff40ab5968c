#!/bin/bash
# 63-terminal-escape: directory values cannot drive the terminal or forge lines (issue 17,
# defect 9). An LDIF export holds a DN, a cn and an sn made of ESC, BEL, CR LF and a forged
# "rejected: forged"; plan (with debug logging) and explain print them escaped as \xNN, no raw
# control byte reaches stdout or stderr, and no line starts with the forged text. validate
# does the same with a loadusers file whose cells hold them.
. "$(dirname "$0")/../lib/common.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
OUT=$MS_TMP/out
mkdir -p "$OUT"
chmod 700 "$OUT"
evil=$(printf 'x\033[31mRED\007\r\nrejected: forged')
b64() { printf '%s' "$1" | base64 -w0; }
{
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\n' "$P"
	# no mail: rejected, the finding names the DN
	printf 'dn:: %s\nobjectClass: inetOrgPerson\nuid: evil\nentryUUID: %s\ncn:: %s\nsn:: %s\n' \
		"$(b64 "uid=$evil,$P")" 00000000-0000-4000-8000-000000000009 "$(b64 "$evil")" \
		"$(b64 "$evil")"
	printf 'givenName: Jean\nemployeeType: Personnel administratif\n\n'
	printf 'dn: uid=e2,%s\nobjectClass: inetOrgPerson\nuid: e2\nentryUUID: %s\ncn:: %s\n' \
		"$P" 00000000-0000-4000-8000-00000000000a "$(b64 "$evil")"
	printf 'sn:: %s\ngivenName: Jean\nmail: jean@chu-exemple.fr\n' "$(b64 "$evil")"
	printf 'employeeType: Personnel administratif\n\n'
} >"$MS_TMP/export.ldif"
{
	ldif_conf_head "$MS_TMP/state.db" "$OUT" "$MS_TMP/export.ldif" "$P"
	cat <<EOF
map {
	profession = "{employeeType}"
}
EOF
} >"$MS_TMP/ldif.conf"

# raw FILE DESC: ok when FILE holds no control byte but LF (C0, DEL, C1 as UTF-8 or raw)
raw() {
	if LC_ALL=C grep -aqP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"; then
		not_ok "$2"
		od -c "$1" | grep -E '033|007|\\r' | head -5 | sed 's/^/#   /'
	else
		ok "$2"
	fi
}

ms_run -c "$MS_TMP/ldif.conf" -l debug plan
exit_is 4 "plan completes with a rejected entry"
like "$MS_OUT" '^rejected: uid=x\\x1b\[31mRED\\x07\\x0d\\x0arejected: forged,ou=people,[^:]*: Adresse mail: required: ' \
	"the rejected DN is shown escaped, on one line"
unlike "$MS_OUT" '^rejected: forged' "no forged rejected: line"
raw "$MS_OUT" "no raw control byte on stdout (plan)"
raw "$MS_ERR" "no raw control byte on stderr (plan, debug log)"

ms_run -c "$MS_TMP/ldif.conf" explain "uid=e2,$P"
# 0 while control characters pass the rules, 4 once a rule rejects them (defect 8)
check "explain of the entry with the forged cn and sn (exit 0 or 4)" \
	test "$MS_RC" = 0 -o "$MS_RC" = 4
like "$MS_OUT" '"X\\x1b\[31MRED\\x07\\x0d\\x0aREJECTED: FORGED"' "the cell is shown escaped"
like "$MS_OUT" 'sn: "x\\x1b\[31mRED\\x07\\x0d\\x0arejected: forged"' \
	"the attribute value is shown escaped"
raw "$MS_OUT" "no raw control byte on stdout (explain)"
raw "$MS_ERR" "no raw control byte on stderr (explain)"

ms_run -c "$MS_TMP/ldif.conf" explain "uid=$evil,$P"
exit_is 4 "explain of the entry with the forged DN (rejected: exit 4)"
like "$MS_OUT" 'uid=x\\x1b\[31mRED\\x07\\x0d\\x0arejected: forged,ou=people' "the DN is shown escaped"
raw "$MS_OUT" "no raw control byte on stdout (explain, DN)"

# validate: a loadusers file whose address and NOM cells hold the same bytes
fix=$MS_SRC/tests/fixtures/validate/clean.csv
{
	head -n 1 "$fix"
	sed -n 2p "$fix" | awk -F';' -v OFS=';' -v e="$evil" '{ $1 = "\"" e "@chu-exemple.fr\""; $2 = "\"" e "\""; print }'
} >"$MS_TMP/evil.csv"
"$MS_BIN" validate "$MS_TMP/evil.csv" >"$MS_TMP/v.out" 2>"$MS_TMP/v.err"
is "$?" 4 "validate finds the address invalid (exit 4)"
like "$MS_TMP/v.out" 'value "x\\x1b\[31mRED\\x07\\x0d\\x0arejected: forged@chu-exemple\.fr"' \
	"validate shows the cell escaped"
raw "$MS_TMP/v.out" "no raw control byte on stdout (validate)"
raw "$MS_TMP/v.err" "no raw control byte on stderr (validate)"
done_testing
