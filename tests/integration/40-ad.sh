#!/bin/bash
# 40-ad.sh - Active Directory: a Samba 4.17 AD DC on loopback (tests/lib/samba.sh) loaded with
# tests/fixtures/ad (README there lists the expected results), read by the real binary.
# TAP on stdout. Needs root-free ports 88/135/389/464/636/3268/3269 on 127.0.0.1 (one DC at a
# time), samba, ldap-utils, krb5-user, openssl, /usr/bin/python3 with openpyxl.
#
# Config: conf/active-directory.conf itself, pointed at the DC by ad_conf below, so that the
# shipped example is what runs. The clock is fixed: MEDIMAIL_SYNC_NOW=1796083200
# (2026-12-01 00:00:00 UTC, "26-12-01"), TZ=UTC.

. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/samba.sh"

export TZ=UTC
export MEDIMAIL_SYNC_NOW=1796083200
NOW_AAMMJJ=26-12-01
FIX=$MS_SRC/tests/fixtures/ad
EXAMPLE=$MS_SRC/conf/active-directory.conf
BIG=1600

need_bin
samba_lock || bail "the Samba DC lock"
for port in 389 636 88; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		bail "port $port on 127.0.0.1 is busy: another DC or slapd is running"
	fi
done

# ---- the domain controller ------------------------------------------------------------------
samba_setup "$MS_TMP/samba" || bail "samba provision"
diag "provision: ${SAMBA_SETUP_TIME}s"
at_exit samba_stop
samba_start || bail "samba start"
diag "start: ${SAMBA_START_TIME}s"

t0=$(date +%s.%N)
samba_ldapadd "$FIX/hospital.ldif" || bail "load hospital.ldif"
"$FIX/gen-big-group.sh" "$BIG" | samba_ldapmodify -a - || bail "load the $BIG-member group"
diag "fixture load: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"

SVC_PW='Svc-Medimail-Passw0rd'
KEYTAB=$SAMBA_DIR/svc.keytab
samba_service_account svc-medimail "$SVC_PW" "$KEYTAB" || bail "service account and keytab"
SVC_PWFILE=$SAMBA_DIR/svc.pw
(umask 077 && printf '%s' "$SVC_PW" >"$SVC_PWFILE")

# ---- configs derived from the shipped example -----------------------------------------------
OUT=$MS_TMP/out
STATE=$MS_TMP/state.db
mkdir -p "$OUT" && chmod 0700 "$OUT"

# ad_conf OUT [OPTION=VALUE...]: conf/active-directory.conf with the DC's names, the test paths
# and range-size = 1000; each OPTION=VALUE replaces that option's line in the directory section
# (VALUE "-" deletes it; an option not present is added after the uri line). VALUE is written
# as is: quote strings yourself.
ad_conf() {
	local out=$1 kv
	shift
	local -a sets=(
		"uri=\"$SAMBA_LDAPS_URI\""
		"ca-file=\"$SAMBA_CA\""
		"bind-dn=\"$SAMBA_ADMIN\""
		"bind-password-file=\"$SAMBA_ADMINPW_FILE\""
		"range-size=1000"
		"page-size=500"
		"$@"
	)
	{
		printf '%s\n' "${sets[@]}"
		# the options the example sets in its directory section
		sed -n '/^directory "/,/^}/s/^[[:space:]]*\([a-z0-9-]*\)[[:space:]]*=.*/present \1/p' \
			"$EXAMPLE"
		echo "@@"
		sed -e 's/DC=chu,DC=example/DC=test,DC=lan/g' \
			-e "s|^state-file *=.*|state-file = \"$STATE\"|" \
			-e "s|^\\([[:space:]]*directory[[:space:]]*=\\).*|\\1 \"$OUT\"|" \
			"$EXAMPLE"
	} | awk '
		!body && $0 == "@@" { body = 1; next }
		!body && $0 ~ /^present / { present[substr($0, 9)] = 1; next }
		!body {
			k = $0; sub(/=.*/, "", k); v = $0; sub(/^[^=]*=/, "", v)
			set[k] = v; order[++n] = k; next
		}
		/^directory "/ { indir = 1 }
		indir && /^}/ { indir = 0 }
		indir && /^[[:space:]]*[a-z0-9-]+[[:space:]]*=/ {
			k = $0; sub(/^[[:space:]]*/, "", k); sub(/[[:space:]]*=.*/, "", k)
			if (k in set) {
				if (set[k] != "-")
					print "\t" k " = " set[k]
				# a list over several lines: skip to its closing brace
				if ($0 ~ /{/ && $0 !~ /}/)
					while ((getline line) > 0 && line !~ /}/) ;
			} else {
				print
			}
			if (k == "uri")
				for (i = 1; i <= n; i++)
					if (!(order[i] in present) && set[order[i]] != "-")
						print "\t" order[i] " = " set[order[i]]
			next
		}
		{ print }' >"$out"
}

CONF=$MS_TMP/ad.conf
ad_conf "$CONF"

# summary_total FILE ACTION: the total column of an action line of the summary table
summary_total() {
	awk -v a="$2" '$1 == a && NF == 6 { print $6; f = 1 } END { if (!f) print "none" }' "$1"
}

# xlsx_written: the loadusers XLSX named by the last run's "wrote" lines
xlsx_written() {
	sed -n 's/^wrote \(.*\.xlsx\)$/\1/p' "$MS_OUT" | grep -v -i report | head -1
}

# xlsx_query FILE EXPR: prints EXPR evaluated with rows = {address: {header: value}} (python)
xlsx_query() {
	"$MS_PY" - "$1" "$2" <<'EOF'
import sys
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
ws = wb.worksheets[0]
it = ws.iter_rows(values_only=True)
head = [h for h in next(it)]
rows = {}
allrows = []
for r in it:
    d = {h: ("" if v is None else str(v)) for h, v in zip(head, r)}
    allrows.append(d)
    rows.setdefault(d.get("Adresse mail", ""), d)
def conn(addr):
    v = rows.get(addr, {}).get("Compte(s) de connexion", "")
    return [x for x in v.split(";") if x]
print(eval(sys.argv[2]))
EOF
}

# ---- config ---------------------------------------------------------------------------------
# as shipped, but for its output directory, which check-config wants to exist
sed 's|^\tdirectory = "/var/lib/medimail-sync/out"|\tdirectory = "'"$OUT"'"|' "$EXAMPLE" \
	>"$MS_TMP/example.conf"
ms_run -c "$MS_TMP/example.conf" check-config
exit_is 0 "conf/active-directory.conf passes check-config (with an output directory that exists)"

ms_run -c "$CONF" check-config
exit_is 0 "check-config on the test config (derived from conf/active-directory.conf)"

# ---- binds ----------------------------------------------------------------------------------
NPEOPLE=$((12 + BIG))
ms_run -c "$CONF" check-config --connect
exit_is 0 "ldaps simple bind as a UPN ($SAMBA_ADMIN)"
like "$MS_OUT" " $NPEOPLE people" "check-config --connect counts $NPEOPLE people (paged)"

ad_conf "$MS_TMP/dn.conf" "bind-dn=\"$SAMBA_ADMIN_DN\""
ms_run -c "$MS_TMP/dn.conf" check-config --connect
exit_is 0 "ldaps simple bind as a DN"

ad_conf "$MS_TMP/netbios.conf" 'bind-dn="TEST\\Administrator"'
ms_run -c "$MS_TMP/netbios.conf" check-config --connect
exit_is 0 "ldaps simple bind as DOMAIN\\user (TEST\\Administrator)"

ad_conf "$MS_TMP/svc.conf" 'bind-dn="svc-medimail@test.lan"' "bind-password-file=\"$SVC_PWFILE\""
ms_run -c "$MS_TMP/svc.conf" check-config --connect
exit_is 0 "ldaps simple bind as an ordinary service account (svc-medimail@test.lan)"

ad_conf "$MS_TMP/starttls.conf" "uri=\"$SAMBA_LDAP_URI\"" "starttls=true"
ms_run -c "$MS_TMP/starttls.conf" check-config --connect
exit_is 0 "StartTLS simple bind over ldap://127.0.0.1"

ad_conf "$MS_TMP/plain.conf" "uri=\"$SAMBA_LDAP_URI\"" "ca-file=-"
ms_run -c "$MS_TMP/plain.conf" check-config --connect
if [ "$MS_RC" -ne 0 ] && [ "$MS_RC" -ne 2 ]; then
	ok "plain ldap:// simple bind fails (exit $MS_RC)"
else
	not_ok "plain ldap:// simple bind fails (exit $MS_RC)"
fi
if grep -q "TLS" "$MS_ERR" "$MS_OUT"; then
	ok "the refused plain bind says TLS is required"
else
	not_ok "the refused plain bind says TLS is required"
	diag_file "$MS_ERR"
fi

# GSSAPI with the exported keytab. The DC's principal is ldap/dc1.test.lan plus the alias
# ldap/127.0.0.1; SASL_NOCANON keeps libldap from replacing 127.0.0.1 by this host's name.
# The ticket cache is private to the test.
export LDAPSASL_NOCANON=on
# the bench itself first: a ticket from the keytab, and ldapsearch with it (Samba has no
# "who am I" extended operation, so no ldapwhoami)
if KRB5CCNAME=FILE:$MS_TMP/krb5cc-bench kinit -k -t "$KEYTAB" "svc-medimail@$SAMBA_REALM" \
	>"$MS_TMP/kinit.log" 2>&1 &&
	KRB5CCNAME=FILE:$MS_TMP/krb5cc-bench LDAPTLS_CACERT=$SAMBA_CA ldapsearch -Q -LLL \
		-Y GSSAPI -O maxssf=0 -H "$SAMBA_LDAPS_URI" -b "$SAMBA_BASE" \
		"(sAMAccountName=svc-medimail)" dn >>"$MS_TMP/kinit.log" 2>&1; then
	ok "bench: kinit with the exported keytab, ldapsearch -Y GSSAPI over ldaps"
else
	not_ok "bench: kinit with the exported keytab, ldapsearch -Y GSSAPI over ldaps"
	diag_file "$MS_TMP/kinit.log"
fi
for variant in "ldaps:$SAMBA_LDAPS_URI:\"maxssf=0\"" "starttls:$SAMBA_LDAP_URI:\"maxssf=0\"" \
	"ldap:$SAMBA_LDAP_URI:-"; do
	name=${variant%%:*}
	rest=${variant#*:}
	secprops=${rest##*:}
	uri=${rest%:*}
	st=false
	[ "$name" = starttls ] && st=true
	ad_conf "$MS_TMP/gssapi-$name.conf" "uri=\"$uri\"" "starttls=$st" "bind-dn=-" \
		"bind-password-file=-" 'sasl-mech="GSSAPI"' "krb5-keytab=\"$KEYTAB\"" \
		"krb5-ccache=\"FILE:$MS_TMP/krb5cc-$name\"" "sasl-secprops=$secprops"
	ms_run -c "$MS_TMP/gssapi-$name.conf" check-config --connect
	exit_is 0 "GSSAPI bind with the keytab over $name ($uri, sasl-secprops $secprops)"
done

# ---- run 1: apply ---------------------------------------------------------------------------
# Each run a minute after the last, same day: the loadusers file is named after the run's time.
export MEDIMAIL_SYNC_NOW=1796083200
ms_run -c "$CONF" -l debug apply
if [ "$MS_RC" = 0 ] || [ "$MS_RC" = 4 ]; then
	ok "apply (run 1) completes (exit $MS_RC)"
else
	exit_is 0 "apply (run 1) completes"
fi
cp "$MS_OUT" "$MS_TMP/run1.out"
cp "$MS_ERR" "$MS_TMP/run1.err"
if grep -q 'range=1000-' "$MS_TMP/run1.err"; then
	ok "the $BIG-member group is read in ranges (member;range=0-999, then from 1000)"
else
	not_ok "the $BIG-member group is read in ranges (member;range=0-999, then from 1000)"
	grep -i 'range' "$MS_TMP/run1.err" | head -5 | sed 's/^/#   /'
fi
X1=$(xlsx_written)
if [ -n "$X1" ] && [ -s "$X1" ]; then
	cp "$X1" "$MS_TMP/run1.xlsx"
	X1=$MS_TMP/run1.xlsx
	ok "run 1 wrote a loadusers XLSX"
else
	not_ok "run 1 wrote a loadusers XLSX"
	diag_file "$MS_OUT"
	done_testing
fi

is "$(xlsx_query "$X1" 'len(conn("pool.ide@chu-test.example"))')" "$BIG" \
	"the $BIG-member ORG has $BIG connexion accounts"
is "$(xlsx_query "$X1" 'len(set(conn("pool.ide@chu-test.example")))')" "$BIG" \
	"... all distinct"
is "$(xlsx_query "$X1" 'rows["pool.ide@chu-test.example"]["Type BAL"]')" "ORG" \
	"the big group is an ORG row"
is "$(xlsx_query "$X1" 'rows["pool.ide@chu-test.example"]["Identifiant resp"]')" "10003456034" \
	"its responsible (managedBy) gives the RPPS"
is "$(xlsx_query "$X1" '";".join(conn("urgences@chu-test.example"))')" \
	"anne.roux@chu-test.example;julie.lambert@chu-test.example;luc.petit@chu-test.example;sophie.moreau@chu-test.example" \
	"nested groups (two levels) give the Urgences ORG its connexion accounts"
is "$(xlsx_query "$X1" 'rows["secretariat.cardio@chu-test.example"]["Nom resp"] + "/" + rows["secretariat.cardio@chu-test.example"]["Identifiant resp"]')" \
	"MARTIN/10003456018" "ORG responsible from managedBy: name and RPPS"
is "$(xlsx_query "$X1" 'rows["paul.girard@chu-test.example"]["Date de péremption"]')" "27-01-15" \
	"a future accountExpires is written ahead as Date de péremption 27-01-15"
is "$(xlsx_query "$X1" '"marc.fontaine@chu-test.example" in rows')" "False" \
	"a user disabled from the start is not created"
is "$(xlsx_query "$X1" 'rows["francois.dupont@chu-test.example"]["RPPS"]')" "10003456026" \
	"RPPS from employeeID in the 8+RPPS form"
is "$(xlsx_query "$X1" 'rows["helene.martin@chu-test.example"]["Type BAL"] + " " + rows["julie.lambert@chu-test.example"]["Type BAL"] + " " + rows["claire.fournier@chu-test.example"]["Type BAL"]')" \
	"PER INT MED" "BAL types: RPPS -> PER, employeeType interne -> INT, else MED"
is "$(xlsx_query "$X1" '" ".join(rows[a]["Téléphone (1)"] for a in ("helene.martin@chu-test.example", "francois.dupont@chu-test.example", "anne.roux@chu-test.example", "sophie.moreau@chu-test.example"))')" \
	"0467330101 0467330202 0467330808 0467330505" "telephoneNumber in mixed formats -> 10 digits"
is "$(xlsx_query "$X1" 'rows["nadia.chevalier@chu-test.example"]["CP"] + " " + rows["nadia.chevalier@chu-test.example"]["VILLE"] + " " + rows["claire.fournier@chu-test.example"]["CP"]')" \
	"34400 LUNEL 34000" "address from postalCode/l, else the structure's"
is "$(xlsx_query "$X1" 'rows["sophie.moreau@chu-test.example"]["Date de péremption"]')" "" \
	"an enabled user has no Date de péremption"

# ---- run 2: a user disabled in AD gets an expiry row ----------------------------------------
samba_ldapmodify - <<EOF || bail "ldapmodify (disable)"
dn: CN=Sophie Moreau,OU=Soignants,DC=test,DC=lan
changetype: modify
replace: userAccountControl
userAccountControl: 546
-
EOF
export MEDIMAIL_SYNC_NOW=1796083260
ms_run -c "$CONF" apply
if [ "$MS_RC" = 0 ] || [ "$MS_RC" = 4 ]; then
	ok "apply (run 2) completes (exit $MS_RC)"
else
	exit_is 0 "apply (run 2) completes"
fi
cp "$MS_OUT" "$MS_TMP/run2.out"
is "$(summary_total "$MS_TMP/run2.out" expire)" "1" "run 2 summary: one expiry"
X2=$(xlsx_written)
if [ -n "$X2" ] && [ -s "$X2" ] && [ "$X2" != "$X1" ]; then
	is "$(xlsx_query "$X2" 'rows["sophie.moreau@chu-test.example"]["Date de péremption"]')" \
		"$NOW_AAMMJJ" "the disabled user's expiry row has Date de péremption $NOW_AAMMJJ"
	is "$(xlsx_query "$X2" '";".join(conn("urgences@chu-test.example"))')" \
		"anne.roux@chu-test.example;julie.lambert@chu-test.example;luc.petit@chu-test.example" \
		"the disabled user leaves the ORG's connexion accounts"
else
	not_ok "run 2 wrote a new loadusers XLSX"
	diag_file "$MS_OUT"
fi

# ---- plan 3: renaming sAMAccountName and mail keeps the identity (objectGUID) ---------------
samba_ldapmodify - <<EOF || bail "ldapmodify (rename)"
dn: CN=Anne Roux,OU=Soignants,DC=test,DC=lan
changetype: modify
replace: sAMAccountName
sAMAccountName: aroux-blanc
-
replace: mail
mail: anne.roux-blanc@chu-test.example
-
EOF
export MEDIMAIL_SYNC_NOW=1796083320
ms_run -c "$CONF" plan
if [ "$MS_RC" = 0 ] || [ "$MS_RC" = 4 ]; then
	ok "plan (run 3) completes (exit $MS_RC)"
else
	exit_is 0 "plan (run 3) completes"
fi
cp "$MS_OUT" "$MS_TMP/run3.out"
is "$(summary_total "$MS_TMP/run3.out" rename)" "1" "the renamed user is one rename"
is "$(summary_total "$MS_TMP/run3.out" create)" "0" "... not a create"
is "$(summary_total "$MS_TMP/run3.out" expire)" "0" "... nor an unrelated expiry"
unlike "$MS_OUT" '^wrote .*loadusers' "plan writes no loadusers file"

done_testing
