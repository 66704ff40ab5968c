# slapd.sh - a private OpenLDAP slapd for tests and try-it, all under one directory.
# Source it after common.sh (or alone: it needs only bash, slapd, ldap-utils and openssl).
#
#   slapd_setup DIR [LDIF...]  CA + server certificate (SAN IP:127.0.0.1), slapd.conf converted
#                              to cn=config (DIR/slapd.d) with schema/medimail.ldif added as a
#                              cn=config entry, the suffix, ou=services and cn=reader, then the
#                              LDIFs loaded with slapadd (offline, fast; overlays do not run)
#   slapd_start / slapd_stop   start (polling until it answers) / stop (SIGTERM, wait)
#   slapd_add LDIF, slapd_modify LDIF   ldapadd / ldapmodify as the rootdn
#   slapd_search ARGS...       ldapsearch as the rootdn over ldapi
#   slapd_suffix SUFFIX        use another suffix (and rootdn, reader DN) for the next setup
#   shape_server FIXDIR CONF   a test directory of tests/fixtures: slapd with FIXDIR/people.ldif
#                              and CONF from FIXDIR/medimail-sync.conf.in (for test scripts)
#   tls_make_ca DIR NAME, tls_make_cert CADIR OUTDIR   (tls.sh: used by slapd_setup; reusable)
#
# Variables (set by slapd_setup; ports may be set before it):
#   SLAPD_DIR, SLAPD_SUFFIX=dc=chu-exemple,dc=fr, SLAPD_ROOTDN, SLAPD_ROOTPW
#   SLAPD_PORT (ldap, default 3890), SLAPD_TLS_PORT (ldaps, default 6360): when left unset and
#   the default is taken, the next free pair is used, so two scripts can run side by side.
#   SLAPD_URI (ldap://), SLAPD_LDAPS_URI, SLAPD_LDAPI_URI, SLAPD_CA (CA certificate file)
#   SLAPD_MEDIMAIL_LDIF: the schema LDIF loaded at setup ("none": not loaded)
#   SLAPD_READER_DN, SLAPD_READER_PW, SLAPD_READER_PWFILE (mode 0600): the account the tool
#   binds as, held to a size limit of SLAPD_READER_LIMIT (default 500) like an AD server.
# Never touches /etc/ldap/slapd.d nor port 389.

SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPD_SUFFIX=${SLAPD_SUFFIX:-dc=chu-exemple,dc=fr}
SLAPD_ROOTDN="cn=admin,$SLAPD_SUFFIX"
SLAPD_ROOTPW=${SLAPD_ROOTPW:-admin-secret}
SLAPD_READER_DN="cn=reader,ou=services,$SLAPD_SUFFIX"
SLAPD_READER_PW=${SLAPD_READER_PW:-reader-secret}
SLAPD_READER_LIMIT=${SLAPD_READER_LIMIT:-500}
SLAPD_SCHEMA_DIR=${SLAPD_SCHEMA_DIR:-/etc/ldap/schema}
SLAPD_MEDIMAIL_LDIF=${SLAPD_MEDIMAIL_LDIF:-${MS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/schema/medimail.ldif}

# slapd_suffix SUFFIX: the suffix of the next slapd_setup, e.g. the dc=chu,dc=example of the
# example configurations; the rootdn and the reader's DN follow it.
slapd_suffix() {
	SLAPD_SUFFIX=$1
	SLAPD_ROOTDN="cn=admin,$SLAPD_SUFFIX"
	SLAPD_READER_DN="cn=reader,ou=services,$SLAPD_SUFFIX"
}

_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _slapd_pick_ports [FROM]: a free pair at 3890+i / 6360+i (0 <= i < 60), unless the caller
# set SLAPD_PORT and SLAPD_TLS_PORT. The first i tried is FROM, else a random one: scripts that
# run side by side (make check runs two at once) then rarely want the same pair, even when one
# of them stops its slapd for a while and starts it again on the same ports.
_slapd_pick_ports() {
	local p=3890 t=6360 i k from=${1:-$((RANDOM % 60))}
	if [ -n "${SLAPD_PORT:-}" ] && [ -n "${SLAPD_TLS_PORT:-}" ] && [ -z "${_SLAPD_AUTO:-}" ]; then
		return 0
	fi
	for ((k = 0; k < 60; k++)); do
		i=$(((from + k) % 60))
		if ! _port_busy $((p + i)) && ! _port_busy $((t + i)); then
			SLAPD_PORT=$((p + i))
			SLAPD_TLS_PORT=$((t + i))
			_SLAPD_AUTO=$i
			return 0
		fi
	done
	echo "slapd.sh: no free port pair near 3890/6360" >&2
	return 1
}

. "$(dirname "${BASH_SOURCE[0]}")/tls.sh"

# in a test script (common.sh): skipped, or failed in CI, when slapd cannot start
if declare -F need_server >/dev/null; then
	need_server slapd "$SLAPD_BIN" slapadd slaptest ldapadd ldapsearch openssl
fi

_urlencode_path() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	echo "$out"
}

# slapd_setup DIR [LDIF...]
slapd_setup() {
	local dir=$1 f
	shift
	SLAPD_DIR=$(mkdir -p "$dir" && cd "$dir" && pwd) || return 1
	_slapd_pick_ports || return 1
	SLAPD_URI="ldap://127.0.0.1:$SLAPD_PORT"
	SLAPD_LDAPS_URI="ldaps://127.0.0.1:$SLAPD_TLS_PORT"
	SLAPD_LDAPI_URI="ldapi://$(_urlencode_path "$SLAPD_DIR/ldapi")"
	SLAPD_CA=$SLAPD_DIR/tls/ca.crt
	SLAPD_READER_PWFILE=$SLAPD_DIR/reader.pw
	export SLAPD_DIR SLAPD_PORT SLAPD_TLS_PORT SLAPD_URI SLAPD_LDAPS_URI SLAPD_LDAPI_URI SLAPD_CA

	rm -rf "$SLAPD_DIR/db" "$SLAPD_DIR/slapd.d"
	mkdir -p "$SLAPD_DIR/db" "$SLAPD_DIR/slapd.d" || return 1
	if [ ! -s "$SLAPD_DIR/tls/server.crt" ]; then
		tls_make_ca "$SLAPD_DIR/tls" "medimail-sync test CA" &&
		tls_make_cert "$SLAPD_DIR/tls" "$SLAPD_DIR/tls" || {
			echo "slapd.sh: openssl failed" >&2
			return 1
		}
	fi
	(umask 077 && printf '%s' "$SLAPD_READER_PW" >"$SLAPD_READER_PWFILE")
	chmod 0600 "$SLAPD_READER_PWFILE"

	cat >"$SLAPD_DIR/slapd.conf" <<EOF
# private test slapd (tests/lib/slapd.sh)
include $SLAPD_SCHEMA_DIR/core.schema
include $SLAPD_SCHEMA_DIR/cosine.schema
include $SLAPD_SCHEMA_DIR/inetorgperson.schema
include $SLAPD_SCHEMA_DIR/nis.schema
include $SLAPD_SCHEMA_DIR/dyngroup.schema
pidfile $SLAPD_DIR/slapd.pid
argsfile $SLAPD_DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
TLSCACertificateFile $SLAPD_DIR/tls/ca.crt
TLSCertificateFile $SLAPD_DIR/tls/server.crt
TLSCertificateKeyFile $SLAPD_DIR/tls/server.key

# root over ldapi (SASL EXTERNAL) manages cn=config: slapd_config_add, schema checks
database config
rootdn "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"

database mdb
directory $SLAPD_DIR/db
maxsize 1073741824
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ROOTDN"
rootpw $SLAPD_ROOTPW
index objectClass,entryUUID eq
index uid,mail,cn,memberUid eq
index member,uniqueMember,owner eq
limits dn.exact="$SLAPD_READER_DN" size=$SLAPD_READER_LIMIT size.prtotal=unlimited
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read
access to attrs=userPassword by self read by anonymous auth by * none
access to * by users read by * none
overlay ppolicy
EOF
	cat >"$SLAPD_DIR/base.ldif" <<EOF
dn: $SLAPD_SUFFIX
objectClass: dcObject
objectClass: organization
dc: $(echo "$SLAPD_SUFFIX" | sed 's/^dc=\([^,]*\).*/\1/')
o: CHU d'Exemple

dn: ou=services,$SLAPD_SUFFIX
objectClass: organizationalUnit
ou: services

dn: $SLAPD_READER_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
description: read-only account of medimail-sync, held to a size limit like an AD server
userPassword: $SLAPD_READER_PW
EOF
	# The base entries first (this creates the database), then slapd.conf -> cn=config, then
	# the project's schema as a cn=config entry (schema/medimail.ldif), then the data.
	slapadd -q -f "$SLAPD_DIR/slapd.conf" -l "$SLAPD_DIR/base.ldif" >"$SLAPD_DIR/setup.log" 2>&1 &&
	slaptest -Q -f "$SLAPD_DIR/slapd.conf" -F "$SLAPD_DIR/slapd.d" >>"$SLAPD_DIR/setup.log" 2>&1 &&
	{ [ "$SLAPD_MEDIMAIL_LDIF" = none ] ||
	slapadd -q -n0 -F "$SLAPD_DIR/slapd.d" -l "$SLAPD_MEDIMAIL_LDIF" >>"$SLAPD_DIR/setup.log" 2>&1; } || {
		echo "slapd.sh: configuration failed:" >&2
		cat "$SLAPD_DIR/setup.log" >&2
		return 1
	}
	for f in "$@"; do
		slapadd -q -F "$SLAPD_DIR/slapd.d" -b "$SLAPD_SUFFIX" -l "$f" >>"$SLAPD_DIR/setup.log" 2>&1 || {
			echo "slapd.sh: slapadd $f failed:" >&2
			tail -5 "$SLAPD_DIR/setup.log" >&2
			return 1
		}
	done
	return 0
}

# slapd_start: start the slapd of slapd_setup. When the ports were picked here (not set by
# the caller), a first start that fails because another process took them between the pick and
# the bind (scripts side by side) is retried on the next free pair, five times at most. A
# restart (after slapd_stop) keeps its ports, which the configurations written since name: it
# waits 10 s at most for them, then fails rather than serve elsewhere.
slapd_start() {
	local i try
	for ((try = 0; ; try++)); do
		"$SLAPD_BIN" -F "$SLAPD_DIR/slapd.d" \
			-h "$SLAPD_URI/ $SLAPD_LDAPS_URI/ $SLAPD_LDAPI_URI" >"$SLAPD_DIR/slapd.log" 2>&1 &&
			break
		# a restart keeps its ports: the configurations written since name them
		if [ -n "${_SLAPD_STARTED:-}" ] && [ "$try" -lt 50 ]; then
			sleep 0.2
			continue
		fi
		if [ -z "${_SLAPD_AUTO:-}" ] || [ -n "${_SLAPD_STARTED:-}" ] || [ "$try" -ge 5 ] ||
			! _slapd_pick_ports $((_SLAPD_AUTO + 1)); then
			echo "slapd.sh: slapd did not start:" >&2
			cat "$SLAPD_DIR/slapd.log" >&2
			return 1
		fi
		SLAPD_URI="ldap://127.0.0.1:$SLAPD_PORT"
		SLAPD_LDAPS_URI="ldaps://127.0.0.1:$SLAPD_TLS_PORT"
		export SLAPD_PORT SLAPD_TLS_PORT SLAPD_URI SLAPD_LDAPS_URI
	done
	for ((i = 0; i < 100; i++)); do
		if ldapsearch -x -H "$SLAPD_URI" -s base -b "" -LLL dn >/dev/null 2>&1; then
			_SLAPD_STARTED=1
			return 0
		fi
		sleep 0.1
	done
	echo "slapd.sh: slapd does not answer on $SLAPD_URI" >&2
	return 1
}

slapd_stop() {
	local pid i
	[ -n "${SLAPD_DIR:-}" ] && [ -s "$SLAPD_DIR/slapd.pid" ] || return 0
	pid=$(cat "$SLAPD_DIR/slapd.pid")
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	rm -f "$SLAPD_DIR/slapd.pid"
	return 0
}

slapd_add() {
	ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$1" >/dev/null
}

slapd_modify() {
	ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$1" >/dev/null
}

# slapd_config_add LDIF / slapd_config_search ARGS...: cn=config as root over ldapi
slapd_config_add() {
	ldapadd -Q -Y EXTERNAL -H "$SLAPD_LDAPI_URI" -f "$1" >/dev/null
}

slapd_config_search() {
	ldapsearch -Q -LLL -Y EXTERNAL -H "$SLAPD_LDAPI_URI" -b cn=config "$@"
}

slapd_search() {
	ldapsearch -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -b "$SLAPD_SUFFIX" "$@"
}

# slapd_sample_conf OUT [OUTDIR] [STATE]: the sample config pointed at this server over ldaps
slapd_sample_conf() {
	local out=$1 outdir=${2:-$SLAPD_DIR/out} state=${3:-$SLAPD_DIR/state.db}
	mkdir -p "$outdir" && chmod 0700 "$outdir"
	subst_conf "$MS_SRC/tests/fixtures/sample/medimail-sync.conf.in" "$out" \
		"OUTDIR=$outdir" "STATE=$state" "URI=$SLAPD_LDAPS_URI" "CAFILE=$SLAPD_CA" \
		"PWFILE=$SLAPD_READER_PWFILE"
}

# sample_server [LDIF...]: for test scripts (after common.sh): a private slapd loaded with the
# sample hospital and the LDIFs given, stopped at exit; a setup failure ends the script as one
# failure (bail).
sample_server() {
	at_exit slapd_stop
	slapd_setup "$MS_TMP/ldap" "$MS_SRC/tests/fixtures/sample/hospital.ldif" "$@" ||
		bail "slapd_setup"
	slapd_start || bail "slapd_start"
}

# shape_server FIXDIR CONF: for test scripts (after common.sh): a private slapd loaded with
# FIXDIR/people.ldif, stopped at exit (a setup failure ends the script as one failure), and CONF
# written from FIXDIR/medimail-sync.conf.in pointed at it over ldaps, with the state file
# $MS_TMP/state.db and the output directory SHAPE_OUT=$MS_TMP/out (mode 0700).
shape_server() {
	at_exit slapd_stop
	slapd_setup "$MS_TMP/ldap" "$1/people.ldif" || bail "slapd_setup with ${1##*/}/people.ldif"
	slapd_start || bail "slapd_start"
	SHAPE_OUT=$MS_TMP/out
	mkdir -p "$SHAPE_OUT" "$(dirname "$2")" && chmod 0700 "$SHAPE_OUT"
	subst_conf "$1/medimail-sync.conf.in" "$2" "OUTDIR=$SHAPE_OUT" "STATE=$MS_TMP/state.db" \
		"URI=$SLAPD_LDAPS_URI" "CAFILE=$SLAPD_CA" "PWFILE=$SLAPD_READER_PWFILE"
}
