# samba.sh - a private Samba 4.17 Active Directory DC for tests, all under one directory.
# Source it after common.sh (or alone: it needs only bash, samba, ldap-utils, krb5-user, openssl).
#
#   samba_setup DIR       CA + server certificate (SAN IP:127.0.0.1, DNS:dc1.test.lan), a
#                         krb5.conf for the realm, and a DC provisioned into DIR (realm TEST.LAN,
#                         domain TEST, host dc1; no DNS server; rfc2307) with TLS
#   samba_start           start it (samba -i, stdin from /dev/null) and poll an ldaps bind
#   samba_stop            SIGTERM, wait for the process to go (call it from a trap)
#   samba_ldapadd FILE    ldapadd over ldaps as Administrator@test.lan (FILE or - for stdin)
#   samba_ldapmodify [-a] FILE  ldapmodify, the same way (-a: records without changetype add)
#   samba_search ARGS...  ldapsearch over ldaps as Administrator, base DC=test,DC=lan
#   samba_add_users OU PREFIX N [GROUP_DN]
#                         N passwordless enabled users PREFIX0001.. in OU (a DN), in one ldapadd;
#                         with GROUP_DN, they are also made members of it (15-45 ms a user here,
#                         depending on the load of the machine; the membership itself is fast)
#   samba_service_account SAM PASSWORD [KEYTAB]
#                         a user with a password (an account that binds), and with KEYTAB its
#                         keys exported there (samba-tool domain exportkeytab), for GSSAPI
#   samba_kinit KEYTAB PRINCIPAL   a ticket from the keytab into SAMBA_DIR/krb5cc
#
# Variables (set by samba_setup): SAMBA_DIR, SAMBA_REALM, SAMBA_DOMAIN, SAMBA_BASE,
# SAMBA_ADMIN (UPN), SAMBA_ADMIN_DN, SAMBA_ADMINPW, SAMBA_ADMINPW_FILE (mode 0600),
# SAMBA_CA (CA certificate), SAMBA_LDAPS_URI, SAMBA_LDAP_URI, SAMBA_FQDN,
# KRB5_CONFIG (exported: the realm's krb5.conf, KDC on 127.0.0.1), SAMBA_SETUP_TIME and
# SAMBA_START_TIME (seconds, set by samba_setup and samba_start).
#
# GSSAPI: the LDAP service principal is ldap/dc1.test.lan. A client connecting to
# ldap://127.0.0.1 looks for ldap/127.0.0.1 when SASL_NOCANON is on (LDAPSASL_NOCANON=on in
# the environment, or "SASL_NOCANON on" in ldap.conf), and for ldap/<reverse name of
# 127.0.0.1> otherwise (libldap gives a loopback peer the local host name: that fails).
# samba_setup adds the SPN ldap/127.0.0.1 to the DC's account, so ldap://127.0.0.1 with
# SASL_NOCANON works without touching /etc/hosts (ldap://dc1.test.lan would need SASL_NOCANON
# and an /etc/hosts line: not used). Like Windows AD ("ldap server require strong auth =
# allow_sasl_over_tls" here), the DC refuses a SASL security layer on top of TLS ("Sign or Seal
# are not allowed if TLS is used"): -O maxssf=0 over ldaps or StartTLS; plain ldap:// GSSAPI
# gets a layer (SSF 256); simple binds on plain ldap:// are refused ("Transport encryption
# required").
#
# The ports are fixed (88, 135, 389, 464, 636, 3268, 3269): one DC at a time on the machine.
# The DIR must be on a file system with xattrs and POSIX ACLs (ext4, xfs, tmpfs; not ramfs).
. "$(dirname "${BASH_SOURCE[0]}")/tls.sh"

# in a test script (common.sh): skipped, or failed in CI, when the DC cannot start
if declare -F need_server >/dev/null; then
	need_server "samba (AD DC)" samba samba-tool ldapadd openssl
fi

SAMBA_REALM=TEST.LAN
SAMBA_DOMAIN=TEST
SAMBA_HOST=dc1
SAMBA_FQDN=dc1.test.lan
SAMBA_BASE="DC=test,DC=lan"
SAMBA_ADMIN="Administrator@test.lan"
SAMBA_ADMIN_DN="CN=Administrator,CN=Users,$SAMBA_BASE"
SAMBA_ADMINPW=${SAMBA_ADMINPW:-Adm1n-Test-Passw0rd}
SAMBA_LDAPS_URI="ldaps://127.0.0.1"
SAMBA_LDAP_URI="ldap://127.0.0.1"

_samba_now() {
	date +%s.%N
}

_samba_elapsed() {
	awk -v a="$1" -v b="$(_samba_now)" 'BEGIN { printf "%.1f", b - a }'
}

# _samba_tls DIR: DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key (key mode 0600:
# samba refuses a key file others can read)
_samba_tls() {
	local d=$1
	tls_make_ca "$d" "Samba test CA" &&
	tls_make_cert "$d" "$d" "$SAMBA_FQDN" \
		"IP:127.0.0.1,DNS:$SAMBA_FQDN,DNS:$SAMBA_HOST,DNS:localhost" &&
	chmod 0600 "$d/server.key" "$d/ca.key"
}

# samba_setup DIR
samba_setup() {
	local dir=$1 t0 rc
	t0=$(_samba_now)
	SAMBA_DIR=$(mkdir -p "$dir" && cd "$dir" && pwd) || return 1
	SAMBA_CA=$SAMBA_DIR/tls/ca.crt
	SAMBA_ADMINPW_FILE=$SAMBA_DIR/admin.pw
	KRB5_CONFIG=$SAMBA_DIR/krb5.conf
	export SAMBA_DIR SAMBA_CA SAMBA_ADMINPW_FILE KRB5_CONFIG SAMBA_LDAPS_URI SAMBA_LDAP_URI

	if [ ! -s "$SAMBA_DIR/tls/server.crt" ]; then
		_samba_tls "$SAMBA_DIR/tls" || {
			echo "samba.sh: openssl failed" >&2
			return 1
		}
	fi
	(umask 077 && printf '%s' "$SAMBA_ADMINPW" >"$SAMBA_ADMINPW_FILE")
	chmod 0600 "$SAMBA_ADMINPW_FILE"

	# No DNS server here: the KDC is found from this file, never from DNS. The canonical
	# host name is the one given (no reverse lookups), so ldap/127.0.0.1 can be asked for.
	cat >"$KRB5_CONFIG" <<EOF
[libdefaults]
	default_realm = $SAMBA_REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 0
[realms]
	$SAMBA_REALM = {
		kdc = 127.0.0.1
		admin_server = 127.0.0.1
		kpasswd_server = 127.0.0.1
	}
[domain_realm]
	.test.lan = $SAMBA_REALM
	test.lan = $SAMBA_REALM
	127.0.0.1 = $SAMBA_REALM
	localhost = $SAMBA_REALM
EOF

	rm -rf "$SAMBA_DIR/etc" "$SAMBA_DIR/private" "$SAMBA_DIR/state" "$SAMBA_DIR/cache" \
		"$SAMBA_DIR/bind-dns" "$SAMBA_DIR/run"
	mkdir -p "$SAMBA_DIR/run" "$SAMBA_DIR/log" || return 1
	: >"$SAMBA_DIR/empty.conf"
	samba-tool domain provision -s "$SAMBA_DIR/empty.conf" \
		--realm="$SAMBA_REALM" --domain="$SAMBA_DOMAIN" --host-name="$SAMBA_HOST" \
		--adminpass="$SAMBA_ADMINPW" --server-role=dc --dns-backend=NONE --use-rfc2307 \
		--targetdir="$SAMBA_DIR" \
		--option="interfaces = lo" \
		--option="bind interfaces only = yes" \
		--option="server services = ldap, cldap, kdc, rpc" \
		--option="pid directory = $SAMBA_DIR/run" \
		--option="log file = $SAMBA_DIR/log/samba.log" \
		--option="winbindd socket directory = $SAMBA_DIR/run/winbindd" \
		--option="ntp signd socket directory = $SAMBA_DIR/run/ntp_signd" \
		--option="tls enabled = yes" \
		--option="tls keyfile = $SAMBA_DIR/tls/server.key" \
		--option="tls certfile = $SAMBA_DIR/tls/server.crt" \
		--option="tls cafile = $SAMBA_DIR/tls/ca.crt" \
		--option="ldap server require strong auth = allow_sasl_over_tls" \
		>"$SAMBA_DIR/provision.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "samba.sh: provision failed (exit $rc):" >&2
		tail -20 "$SAMBA_DIR/provision.log" >&2
		return 1
	fi
	# An extra SPN on the DC account: GSSAPI to ldap://127.0.0.1 without /etc/hosts.
	samba-tool spn add ldap/127.0.0.1 'DC1$' -s "$SAMBA_DIR/etc/smb.conf" \
		>>"$SAMBA_DIR/provision.log" 2>&1 || {
		echo "samba.sh: samba-tool spn add failed:" >&2
		tail -5 "$SAMBA_DIR/provision.log" >&2
		return 1
	}
	SAMBA_SETUP_TIME=$(_samba_elapsed "$t0")
	export SAMBA_SETUP_TIME
	return 0
}

_samba_ldap_env() {
	LDAPTLS_CACERT=$SAMBA_CA LDAPTLS_REQCERT=demand LDAPSASL_NOCANON=on "$@"
}

# samba_lock: wait for the lock that keeps two test scripts from running a DC at the same time
# (the ports are the machine's); it is released when the script that holds it exits. Take it
# before looking at the ports: another script's DC holds them until it stops.
# samba_start: start the DC (taking the lock first) and wait (30 s at most) for an ldaps bind.
samba_lock() {
	[ -n "${_samba_lock_fd:-}" ] && return 0
	exec {_samba_lock_fd}>"${TMPDIR:-/tmp}/medimail-sync-samba.lock" &&
		flock -w "${SAMBA_LOCK_WAIT:-1800}" "$_samba_lock_fd" || {
		echo "samba.sh: another test holds the Samba DC lock" >&2
		_samba_lock_fd=
		return 1
	}
}

samba_start() {
	local t0 i pid
	samba_lock || return 1
	t0=$(_samba_now)
	samba -i -s "$SAMBA_DIR/etc/smb.conf" -d 1 >"$SAMBA_DIR/samba.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$SAMBA_DIR/samba.pid"
	for ((i = 0; i < 300; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "samba.sh: samba exited at start:" >&2
			tail -20 "$SAMBA_DIR/samba.log" >&2
			rm -f "$SAMBA_DIR/samba.pid"
			return 1
		fi
		# (Samba has no "who am I" extended operation: a bound base search instead)
		if _samba_ldap_env ldapsearch -x -H "$SAMBA_LDAPS_URI" -D "$SAMBA_ADMIN" \
			-y "$SAMBA_ADMINPW_FILE" -s base -b "" -LLL dn >/dev/null 2>&1; then
			SAMBA_START_TIME=$(_samba_elapsed "$t0")
			export SAMBA_START_TIME
			return 0
		fi
		sleep 0.1
	done
	echo "samba.sh: no ldaps bind to $SAMBA_LDAPS_URI after 30 s:" >&2
	tail -20 "$SAMBA_DIR/samba.log" >&2
	samba_stop
	return 1
}

# samba_stop: SIGTERM to the samba started by samba_start; its children follow in about 1 s.
samba_stop() {
	local pid i
	[ -n "${SAMBA_DIR:-}" ] && [ -s "$SAMBA_DIR/samba.pid" ] || return 0
	pid=$(cat "$SAMBA_DIR/samba.pid")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$SAMBA_DIR/samba.pid"
	return 0
}

# samba_ldapadd FILE|-
samba_ldapadd() {
	local f=${1:--}
	[ "$f" = - ] && f=/dev/stdin
	_samba_ldap_env ldapadd -x -H "$SAMBA_LDAPS_URI" -D "$SAMBA_ADMIN" -y "$SAMBA_ADMINPW_FILE" \
		-f "$f" >/dev/null
}

# samba_ldapmodify [-a] FILE|-  (-a: records without a changetype are adds)
samba_ldapmodify() {
	local add= f
	if [ "${1:-}" = -a ]; then
		add=-a
		shift
	fi
	f=${1:--}
	[ "$f" = - ] && f=/dev/stdin
	_samba_ldap_env ldapmodify $add -x -H "$SAMBA_LDAPS_URI" -D "$SAMBA_ADMIN" \
		-y "$SAMBA_ADMINPW_FILE" -f "$f" >/dev/null
}

samba_search() {
	_samba_ldap_env ldapsearch -x -H "$SAMBA_LDAPS_URI" -D "$SAMBA_ADMIN" \
		-y "$SAMBA_ADMINPW_FILE" -b "$SAMBA_BASE" "$@"
}

# samba_add_users OU_DN PREFIX N [GROUP_DN]: passwordless enabled users (userAccountControl 544 =
# NORMAL_ACCOUNT | PASSWD_NOTREQD), with a mail and a profession, optionally members of GROUP_DN.
samba_add_users() {
	local ou=$1 prefix=$2 n=$3 group=${4:-} f
	f=$SAMBA_DIR/users-$prefix.ldif
	awk -v ou="$ou" -v p="$prefix" -v n="$n" -v g="$group" 'BEGIN {
		for (i = 1; i <= n; i++) {
			s = sprintf("%s%04d", p, i)
			printf "dn: CN=%s,%s\n", s, ou
			print "objectClass: user"
			printf "sAMAccountName: %s\n", s
			printf "givenName: Agent%04d\n", i
			printf "sn: %s\n", toupper(p)
			printf "displayName: Agent%04d %s\n", i, toupper(p)
			printf "mail: %s@chu-test.example\n", s
			print "title: Infirmier"
			print "userAccountControl: 544\n"
		}
		if (g != "") {
			printf "dn: %s\nchangetype: modify\nadd: member\n", g
			for (i = 1; i <= n; i++)
				printf "member: CN=%s%04d,%s\n", p, i, ou
			print "-\n"
		}
	}' >"$f" || return 1
	# users as adds, then the group modification: ldapmodify -a takes both
	_samba_ldap_env ldapmodify -a -x -H "$SAMBA_LDAPS_URI" -D "$SAMBA_ADMIN" \
		-y "$SAMBA_ADMINPW_FILE" -f "$f" >/dev/null
}

# samba_service_account SAM PASSWORD [KEYTAB]
samba_service_account() {
	local sam=$1 pw=$2 keytab=${3:-}
	# straight into the DC's database (samba-tool over ldaps would want a CRL file)
	samba-tool user create "$sam" "$pw" -s "$SAMBA_DIR/etc/smb.conf" \
		>>"$SAMBA_DIR/accounts.log" 2>&1 || {
		echo "samba.sh: cannot create $sam:" >&2
		tail -5 "$SAMBA_DIR/accounts.log" >&2
		return 1
	}
	samba-tool user setexpiry "$sam" --noexpiry -s "$SAMBA_DIR/etc/smb.conf" \
		>>"$SAMBA_DIR/accounts.log" 2>&1
	if [ -n "$keytab" ]; then
		rm -f "$keytab"
		samba-tool domain exportkeytab "$keytab" --principal="$sam@$SAMBA_REALM" \
			-s "$SAMBA_DIR/etc/smb.conf" >>"$SAMBA_DIR/accounts.log" 2>&1 || {
			echo "samba.sh: exportkeytab for $sam failed:" >&2
			tail -5 "$SAMBA_DIR/accounts.log" >&2
			return 1
		}
		chmod 0600 "$keytab"
	fi
	return 0
}

# samba_kinit KEYTAB PRINCIPAL: KRB5CCNAME=SAMBA_DIR/krb5cc (exported)
samba_kinit() {
	KRB5CCNAME=FILE:$SAMBA_DIR/krb5cc
	export KRB5CCNAME
	kinit -k -t "$1" "$2"
}
