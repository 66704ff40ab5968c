#!/bin/bash
# 41-ad-shapes.sh - Active Directory directories as hospitals run them, on ONE Samba 4.17 AD DC
# (tests/lib/samba.sh) started here:
#   - shape "AD employeeID with 11 or 9 digits" (tests/fixtures/ad-employeeid, README there);
#   - end dates in accountExpires, two runs (tests/fixtures/enddates, README there);
#   - the examples test for the Active Directory examples of conf/: active-directory.conf,
#     ad-employeeid.conf and several-structures.conf (whose second directory is an OpenLDAP
#     slapd started beside the DC), as 61-examples.sh does for the OpenLDAP ones
#     (tests/fixtures/examples, README there).
# TAP on stdout. Needs the ports of a DC on 127.0.0.1 (88, 135, 389, 464, 636, 3268, 3269: one
# DC at a time, samba.sh's lock), samba, ldap-utils, slapd, openssl, /usr/bin/python3 with
# openpyxl, jq.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/samba.sh"
. "$MS_LIB/slapd.sh"
. "$MS_LIB/examples.sh"
need_bin
export TZ=UTC
NOW1=1772445600     # 2026-03-02 10:00:00 UTC
NOW2=1791194400     # 2026-10-05 10:00:00 UTC
FIXB=$MS_SRC/tests/fixtures/ad-employeeid
FIXC=$MS_SRC/tests/fixtures/enddates
command -v samba >/dev/null 2>&1 && command -v samba-tool >/dev/null 2>&1 ||
	bail "samba and samba-tool are installed (tests/lib/build.sh lists them)"

# ---- the domain controller, loaded with every directory of this script ------------------------
samba_setup "$MS_TMP/samba" || bail "samba provision"
at_exit samba_stop
samba_start || bail "samba start"
diag "provision ${SAMBA_SETUP_TIME}s, start ${SAMBA_START_TIME}s"
for f in "$FIXB/people.ldif" "$FIXC/ad-people.ldif" "$EXAMPLES_FIX/active-directory.ldif" \
	"$EXAMPLES_FIX/ad-employeeid.ldif" "$EXAMPLES_FIX/several-structures-ch.ldif"; do
	samba_ldapadd "$f" || bail "load ${f#"$MS_SRC"/}"
done

# shape_conf IN OUT DIR: a fixture's .conf.in pointed at the DC, state and output under DIR
shape_conf() {
	mkdir -p "$3/out" && chmod 0700 "$3/out"
	subst_conf "$1" "$2" "OUTDIR=$3/out" "STATE=$3/state.db" "URI=$SAMBA_LDAPS_URI" \
		"CAFILE=$SAMBA_CA" "BINDDN=$SAMBA_ADMIN" "PWFILE=$SAMBA_ADMINPW_FILE"
}

# ---- shape b: employeeID with 11 or 9 digits --------------------------------------------------
export MEDIMAIL_SYNC_NOW=$NOW1
B=$MS_TMP/shape-b
shape_conf "$FIXB/medimail-sync.conf.in" "$MS_TMP/shape-b.conf" "$B"
ms_run -c "$MS_TMP/shape-b.conf" check-config
exit_is 0 "employeeID: check-config accepts replace:, match: and map-type"
ms_run -c "$MS_TMP/shape-b.conf" plan --json "$B/plan.json"
exit_is 4 "employeeID: plan exits 4 (two key errors)"
findings_check "$MS_OUT" "$FIXB/expected-findings.tsv" --label "employeeID: plan"
is "$(summary_count "$MS_OUT" create PER)/$(summary_count "$MS_OUT" create INT)/$(summary_count "$MS_OUT" create MED)" \
	5/1/4 "employeeID: plan creates 5 PER, 1 INT, 4 MED"
is "$(summary_count "$MS_OUT" skipped PER)" 1 "employeeID: the disabled Yves Durand is skipped"
is "$(jq -c '[.counts.create, .counts.skipped, .counts.rejected, .counts.errors, .counts.warnings]' \
	"$B/plan.json" 2>&1)" "[10,1,2,2,0]" \
	"employeeID: plan --json: create 10, skipped 1, rejected 2, no warning"
ms_run -c "$MS_TMP/shape-b.conf" apply
exit_is 4 "employeeID: apply exits 4"
X=$(loadusers_written)
if [ -n "$X" ] && [ -s "$X" ]; then
	xlsx_check "$X" --expected "$FIXB/expected-rows.tsv" --rows 10 --types PER=5,INT=1,MED=4 \
		--absent paul.girard@chu-test.example,sophie.moreau@chu-test.example,yves.durand@chu-test.example \
		--strict
else
	not_ok "employeeID: apply wrote a loadusers XLSX"
	diag_file "$MS_OUT"
fi

# ---- end dates in accountExpires: two runs ----------------------------------------------------
C=$MS_TMP/enddates
D=chu-test.example
shape_conf "$FIXC/ad.conf.in" "$MS_TMP/enddates-ad.conf" "$C"
ms_run -c "$MS_TMP/enddates-ad.conf" check-config
exit_is 0 "accountExpires: check-config (flavor ad reads accountExpires by default)"
ms_run -c "$MS_TMP/enddates-ad.conf" plan
exit_is 4 "accountExpires: plan (run 1) exits 4 (one unreadable end date)"
findings_check "$MS_OUT" "$FIXC/ad-expected-findings-run1.tsv" --label "accountExpires: plan (run 1)"
is "$(summary_count "$MS_OUT" create PER)/$(summary_count "$MS_OUT" create MED)" 3/2 \
	"accountExpires: plan (run 1) creates 3 PER and 2 MED"
is "$(summary_count "$MS_OUT" skipped MED)" 1 \
	"accountExpires: plan (run 1) skips Xavier Passé, ended before he was written"
ms_run -c "$MS_TMP/enddates-ad.conf" apply
exit_is 4 "accountExpires: apply (run 1) exits 4"
C1=$(loadusers_written)
if [ -n "$C1" ] && [ -s "$C1" ]; then
	xlsx_check "$C1" --expected "$FIXC/ad-expected-rows-run1.tsv" --rows 5 --types PER=3,MED=2 \
		--absent "xavier.passe@$D,berenice.negative@$D" --strict
else
	not_ok "accountExpires: apply (run 1) wrote a loadusers XLSX"
	diag_file "$MS_OUT"
fi
samba_ldapmodify - <<EOF || bail "ldapmodify for run 2"
dn: CN=Diane Départ,OU=Contrats,DC=test,DC=lan
changetype: modify
replace: accountExpires
accountExpires: 134259984000000000
-

dn: CN=Cyril Bascule,OU=Contrats,DC=test,DC=lan
changetype: modify
replace: accountExpires
accountExpires: -100
-
replace: telephoneNumber
telephoneNumber: 04 67 33 20 99
-
EOF
export MEDIMAIL_SYNC_NOW=$NOW2
ms_run -c "$MS_TMP/enddates-ad.conf" apply --json "$C/apply2.json"
exit_is 4 "accountExpires: apply (run 2) exits 4"
findings_check "$MS_OUT" "$FIXC/ad-expected-findings-run2.tsv" --label "accountExpires: apply (run 2)"
is "$(jq -c '[.counts.expire, .counts.create, .counts.update, .counts.rejected, .counts.stale]' \
	"$C/apply2.json" 2>&1)" "[2,0,0,2,1]" \
	"accountExpires: apply --json (run 2): expire 2, no create or update, rejected 2 (1 stale)"
C2=$(loadusers_written)
if [ -n "$C2" ] && [ -s "$C2" ] && [ "$C2" != "$C1" ]; then
	xlsx_check "$C2" --expected "$FIXC/ad-expected-rows-run2.tsv" --rows 2 --types PER=2 \
		--absent "cyril.bascule@$D,berenice.negative@$D,xavier.passe@$D"
else
	not_ok "accountExpires: apply (run 2) wrote a new loadusers XLSX"
	diag_file "$MS_OUT"
fi
is "$(count_files "$C/out" 'loadusers-*')" 2 "accountExpires: two loadusers files in all"
loadusers_without "$C/out" "^berenice\.negative@" \
	"accountExpires: no loadusers file holds Berenice Negative (end date never readable)"
loadusers_without "$C/out" "^cyril\.bascule@" \
	"accountExpires: no file after run 1's rewrites Cyril Bascule (end date now unreadable)" "$C1"

# ---- the examples test: conf/active-directory.conf, ad-employeeid.conf, several-structures.conf
export MEDIMAIL_SYNC_NOW=$NOW1
ad_example() {
	local name=$1 conf=$MS_TMP/${1%.conf}/$1 dir
	shift
	mkdir -p "$(dirname "$conf")"
	example_conf "$name" "$conf" --replace DC=chu,DC=example DC=test,DC=lan \
		--replace DC=ch-exemple,DC=local DC=test,DC=lan "$@"
	echo "$conf"
}
for name in active-directory.conf ad-employeeid.conf; do
	conf=$(ad_example "$name" \
		--set "directory:ad.uri=\"$SAMBA_LDAPS_URI\"" \
		--set "directory:ad.ca-file=\"$SAMBA_CA\"" \
		--set "directory:ad.bind-dn=\"$SAMBA_ADMIN\"" \
		--set "directory:ad.bind-password-file=\"$SAMBA_ADMINPW_FILE\"")
	example_check "$name" "$conf"
done

# several-structures.conf: "ch" on the DC, "ehpad" on a slapd (StartTLS, as the example says)
at_exit slapd_stop
slapd_suffix dc=ehpad-les-pins,dc=example
if slapd_setup "$MS_TMP/ldap-ehpad" "$EXAMPLES_FIX/several-structures-ehpad.ldif" &&
	slapd_start; then
	conf=$(ad_example several-structures.conf \
		--set "directory:ch.uri=\"$SAMBA_LDAPS_URI\"" \
		--set "directory:ch.ca-file=\"$SAMBA_CA\"" \
		--set "directory:ch.bind-dn=\"$SAMBA_ADMIN\"" \
		--set "directory:ch.bind-password-file=\"$SAMBA_ADMINPW_FILE\"" \
		--set "directory:ehpad.uri=\"$SLAPD_URI\"" \
		--set "directory:ehpad.ca-file=\"$SLAPD_CA\"" \
		--set "directory:ehpad.bind-dn=\"$SLAPD_READER_DN\"" \
		--set "directory:ehpad.bind-password-file=\"$SLAPD_READER_PWFILE\"")
	example_check several-structures.conf "$conf"
	# what the example is for: column Structure names each person's structure
	is "$([ -n "$EXAMPLE_XLSX" ] && "$MS_PY" "$MS_LIB/xlsx_check.py" "$EXAMPLE_XLSX" --dump |
		awk -F'\t' 'NR > 2 { print $1 "=" $36 }' | sort | paste -sd' ')" \
		"jean.morel@ch-exemple.example=CH Exemple marie.lopez@ch-exemple.example=CH Exemple rosa.garcia@ehpad-les-pins.example=EHPAD Les Pins sylvie.blanc@ehpad-les-pins.example=EHPAD Les Pins" \
		"several-structures.conf: column Structure tells the two structures apart"
else
	not_ok "several-structures.conf: a slapd for the EHPAD's directory"
fi

done_testing
