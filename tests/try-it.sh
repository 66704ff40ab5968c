#!/bin/bash
# try-it.sh - the README's try-it command, as root on Debian 12: install the packages, build
# (out of tree, in _build/), start a throwaway slapd on 127.0.0.1 loaded with the sample
# "CHU d'Exemple" directory (tests/fixtures/sample), run "medimail-sync plan" and then
# "apply" with the sample config, and print where the loadusers file is. The slapd is stopped
# at the end; its files, the config and the output stay in $MS_TRY (/tmp/medimail-sync-try).
set -u
MS_SRC=$(cd "$(dirname "$0")/.." && pwd)
export MS_SRC
MS_TRY=${MS_TRY:-/tmp/medimail-sync-try}
. "$MS_SRC/tests/lib/build.sh"
ms_install_packages || exit 1
ms_stop_packaged_daemons
ms_build "$MS_SRC/_build" || exit 1
. "$MS_SRC/tests/lib/common.sh"
. "$MS_LIB/slapd.sh"
at_exit slapd_stop

rm -rf "$MS_TRY/ldap" "$MS_TRY/out" "$MS_TRY/state.db"*
mkdir -p "$MS_TRY"
ms_log "starting a throwaway slapd with the sample hospital (tests/fixtures/sample)"
slapd_setup "$MS_TRY/ldap" "$MS_SRC/tests/fixtures/sample/hospital.ldif" || exit 1
slapd_start || exit 1
CONF=$MS_TRY/medimail-sync.conf
slapd_sample_conf "$CONF" "$MS_TRY/out" "$MS_TRY/state.db"
export MEDIMAIL_SYNC_NOW=${MEDIMAIL_SYNC_NOW:-$(date +%s)}

echo
echo "\$ medimail-sync -c $CONF plan"
"$MS_BIN" -c "$CONF" plan
rc=$?
echo "(plan exit status $rc: 4 means completed with rejected entries, as the sample has)"
echo
echo "\$ medimail-sync -c $CONF apply"
"$MS_BIN" -c "$CONF" apply
rc=$?
echo "(apply exit status $rc)"
echo
slapd_stop
f=$(ls -t "$MS_TRY"/out/loadusers-*.xlsx 2>/dev/null | head -1)
if [ -z "$f" ]; then
	echo "no loadusers file was written in $MS_TRY/out" >&2
	exit 1
fi
echo "Rows in the file (Adresse mail, Type BAL, Compte(s) de connexion for ORG):"
"$MS_PY" "$MS_LIB/xlsx_check.py" --dump "$f" | awk -F'\t' 'NR > 1 { print "  " $1 "  " $20 (($35 != "") ? "  " $35 : "") }'
echo
echo "The sample's rejected entries and why: tests/fixtures/sample/README"
echo "To read the file back: /usr/bin/python3 $MS_LIB/xlsx_check.py --dump $f"
echo "The loadusers file is: $f"
