#!/bin/bash
# 15-binds: the other ways in to OpenLDAP: StartTLS on ldap:// (certificate verified), SASL
# EXTERNAL over ldapi://, and StartTLS refused when the CA is not the server's.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
sample_server
slapd_sample_conf "$MS_TMP/base.conf" "$MS_TMP/out" "$MS_TMP/state.db"

# StartTLS on the plain port
sed -e "s|uri *= *\"[^\"]*\"|uri = \"$SLAPD_URI\"\n\tstarttls = true|" "$MS_TMP/base.conf" >"$MS_TMP/starttls.conf"
ms_run -c "$MS_TMP/starttls.conf" check-config --connect
exit_is 0 "StartTLS on $SLAPD_URI with the CA binds"
like "$MS_OUT" ": 21 people\$" "... and counts the 21 people"

# StartTLS with a CA that did not sign the server's certificate
tls_make_ca "$MS_TMP/otherca" "Other CA" || bail "other CA"
sed -e "s|ca-file *= *\"[^\"]*\"|ca-file = \"$MS_TMP/otherca/ca.crt\"|" "$MS_TMP/starttls.conf" >"$MS_TMP/badca.conf"
ms_run -c "$MS_TMP/badca.conf" check-config --connect
exit_is 1 "StartTLS with an untrusted certificate fails"
like "$MS_ERR" "$SLAPD_URI.*not trusted" "... naming the URI and the untrusted certificate"

# SASL EXTERNAL over ldapi: no password at all
sed -e "s|uri *= *\"[^\"]*\"|uri = \"$SLAPD_LDAPI_URI\"\n\tsasl-mech = \"EXTERNAL\"|" \
	-e '/bind-dn\|bind-password-file\|ca-file/d' "$MS_TMP/base.conf" >"$MS_TMP/external.conf"
ms_run -c "$MS_TMP/external.conf" check-config --connect
exit_is 0 "SASL EXTERNAL over ldapi binds"
like "$MS_OUT" ": 21 people\$" "... and counts the 21 people"
ms_run -c "$MS_TMP/external.conf" plan
case $MS_RC in 0|4) ok "plan over ldapi with SASL EXTERNAL completes" ;; *) not_ok "plan over ldapi (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
done_testing
