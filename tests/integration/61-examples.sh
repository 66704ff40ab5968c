#!/bin/bash
# 61-examples.sh - the examples test: each example configuration of conf/ runs against a
# directory of the shape it describes (tests/fixtures/examples, README there), in which every
# person is valid, and must give no finding (no rejected entry, no warning) and a loadusers file
# whose every cell keeps the Medimail rules (read back with openpyxl, tests/lib/loadusers_rules.py).
# The OpenLDAP examples run here, each on its own private slapd under the example's suffix
# (dc=chu,dc=example); the Active Directory ones run in 41-ad-shapes.sh, on its Samba DC.
# Only the server, the bind, the state file and the output directory of a file are changed
# (tests/lib/example_conf.py): the rest runs as shipped.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
. "$MS_LIB/examples.sh"
need_bin
export TZ=UTC
export MEDIMAIL_SYNC_NOW=1772445600     # 2026-03-02 10:00:00 UTC

# Every example is run somewhere: a line in examples.tsv, naming a script that names the file.
for f in "$MS_SRC"/conf/*.conf; do
	name=${f##*/}
	script=$(example_field "$name" 2)
	if [ -n "$script" ] && [ -f "$MS_SRC/tests/integration/$script" ] &&
		grep -qF "$name" "$MS_SRC/tests/integration/$script"; then
		ok "conf/$name is run by $script"
	else
		not_ok "conf/$name is run by an examples test (tests/fixtures/examples/examples.tsv)"
	fi
done

at_exit slapd_stop
slapd_suffix dc=chu,dc=example
for name in medimail-sync.conf openldap-schema.conf openldap-idnat.conf; do
	ldif=$EXAMPLES_FIX/$(example_field "$name" 3)
	if ! slapd_setup "$MS_TMP/ldap-${name%.conf}" "$ldif" || ! slapd_start; then
		not_ok "$name: a slapd loaded with ${ldif##*/}"
		slapd_stop
		continue
	fi
	# openldap-schema.conf uses ldap:// with StartTLS; the others ldaps://
	uri=$SLAPD_LDAPS_URI
	grep -q '^[[:space:]]*starttls[[:space:]]*=[[:space:]]*true' "$MS_SRC/conf/$name" &&
		uri=$SLAPD_URI
	conf=$MS_TMP/${name%.conf}/$name
	mkdir -p "$(dirname "$conf")"
	example_conf "$name" "$conf" \
		--set "directory:annuaire.uri=\"$uri\"" \
		--set "directory:annuaire.ca-file=\"$SLAPD_CA\"" \
		--set "directory:annuaire.bind-dn=\"$SLAPD_READER_DN\"" \
		--set "directory:annuaire.bind-password-file=\"$SLAPD_READER_PWFILE\""
	example_check "$name" "$conf"
	slapd_stop
done

done_testing
