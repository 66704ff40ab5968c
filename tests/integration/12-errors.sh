#!/bin/bash
# 12-errors: a wrong bind password, an unreachable server and an untrusted certificate each end
# with a non-zero exit, exactly one error line naming the URI and the cause, and no file
# written; a password file readable by others, a FIFO or a symbolic link is refused; config
# errors name FILE:LINE.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1718013600
SAMPLE=$MS_SRC/tests/fixtures/sample
at_exit slapd_stop
slapd_setup "$MS_TMP/ldap" "$SAMPLE/hospital.ldif" || bail "slapd_setup"
slapd_start || bail "slapd_start"
OUT=$MS_TMP/out

# mkconf NAME URI CAFILE PWFILE: a sample config pointing at URI
mkconf() {
	mkdir -p "$OUT" && chmod 0700 "$OUT"
	subst_conf "$SAMPLE/medimail-sync.conf.in" "$MS_TMP/$1.conf" "OUTDIR=$OUT" \
		"STATE=$MS_TMP/state.db" "URI=$2" "CAFILE=$3" "PWFILE=$4"
	echo "$MS_TMP/$1.conf"
}

# fails_once DESC URI CAUSE-REGEX CMD...: non-zero exit, one error line with URI and cause
fails_once() {
	local desc=$1 uri=$2 cause=$3 n line
	shift 3
	ms_run "$@"
	if [ "$MS_RC" -ne 0 ]; then ok "$desc: non-zero exit ($MS_RC)"; else not_ok "$desc: non-zero exit"; fi
	n=$(grep -c 'error:' "$MS_ERR")
	is "$n" 1 "$desc: exactly one error line"
	[ "$n" -eq 1 ] || diag_file "$MS_ERR"
	line=$(grep 'error:' "$MS_ERR" | head -1)
	case $line in
	*"$uri"*) ok "$desc: the error names $uri" ;;
	*) not_ok "$desc: the error names $uri"; diag "got: $line" ;;
	esac
	if grep -Eiq -- "$cause" <<<"$line"; then ok "$desc: the error gives the cause"; else
		not_ok "$desc: the error gives the cause (/$cause/)"; diag "got: $line"; fi
	is "$(count_files "$OUT" '*')" 0 "$desc: no file written"
}

# wrong bind password
(umask 077 && printf '%s' "not-the-password" >"$MS_TMP/wrong.pw")
C=$(mkconf wrongpw "$SLAPD_LDAPS_URI" "$SLAPD_CA" "$MS_TMP/wrong.pw")
fails_once "wrong password (apply)" "$SLAPD_LDAPS_URI" "invalid credentials" -c "$C" apply
unlike "$MS_ERR" "not-the-password" "wrong password: the password is not logged"
fails_once "wrong password (plan)" "$SLAPD_LDAPS_URI" "invalid credentials" -c "$C" plan

# unreachable server: a closed port
for ((p = 6399; p < 6450; p++)); do _port_busy "$p" || break; done
DEAD="ldaps://127.0.0.1:$p"
C=$(mkconf dead "$DEAD" "$SLAPD_CA" "$SLAPD_READER_PWFILE")
fails_once "unreachable server" "$DEAD" "contact|connect|refused|unreachable" -c "$C" apply

# untrusted certificate: the server's certificate is not signed by the configured CA
tls_make_ca "$MS_TMP/otherca" "another CA" || bail "openssl"
C=$(mkconf untrusted "$SLAPD_LDAPS_URI" "$MS_TMP/otherca/ca.crt" "$SLAPD_READER_PWFILE")
fails_once "untrusted certificate" "$SLAPD_LDAPS_URI" "certificate|cert|tls|trust|verif" -c "$C" apply

# password file readable by group or others
cp "$SLAPD_READER_PWFILE" "$MS_TMP/open.pw" && chmod 0644 "$MS_TMP/open.pw"
C=$(mkconf openpw "$SLAPD_LDAPS_URI" "$SLAPD_CA" "$MS_TMP/open.pw")
ms_run -c "$C" apply
if [ "$MS_RC" -ne 0 ]; then ok "password file 0644 refused: non-zero exit ($MS_RC)"; else
	not_ok "password file 0644 refused: non-zero exit"; fi
like "$MS_ERR" "open\.pw" "password file 0644: the message names the file"
like "$MS_ERR" "0?600|mode|permission|readable" "password file 0644: the message says why"
is "$(count_files "$OUT" '*')" 0 "password file 0644: no file written"
chmod 0640 "$MS_TMP/open.pw"
ms_run -c "$C" plan
if [ "$MS_RC" -ne 0 ]; then ok "password file 0640 refused too"; else not_ok "password file 0640 refused too"; fi

# a FIFO as password file: refused at once, not a run that waits for a writer forever
mkfifo -m 0600 "$MS_TMP/fifo.pw"
C=$(mkconf fifopw "$SLAPD_LDAPS_URI" "$SLAPD_CA" "$MS_TMP/fifo.pw")
timeout 20 "$MS_BIN" -c "$C" apply >"$MS_OUT" 2>"$MS_ERR" </dev/null
MS_RC=$?
exit_is 1 "password file is a FIFO: refused (exit 1, not a hang: 124)"
like "$MS_ERR" "fifo\.pw: the bind password file is not a regular file" \
	"password file is a FIFO: the message names the file and says why"
is "$(count_files "$OUT" '*')" 0 "password file is a FIFO: no file written"
# a symbolic link, even to a good file, is refused: the configuration names the file itself
ln -s "$SLAPD_READER_PWFILE" "$MS_TMP/link.pw"
C=$(mkconf linkpw "$SLAPD_LDAPS_URI" "$SLAPD_CA" "$MS_TMP/link.pw")
ms_run -c "$C" apply
exit_is 1 "password file is a symbolic link: refused (exit 1)"
like "$MS_ERR" "link\.pw: the bind password file is a symbolic link" \
	"password file is a symbolic link: the message names the file and says why"
is "$(count_files "$OUT" '*')" 0 "password file is a symbolic link: no file written"

# check-config: unknown option, bad value -> exit 2 and FILE:LINE
C=$(mkconf good "$SLAPD_LDAPS_URI" "$SLAPD_CA" "$SLAPD_READER_PWFILE")
L=$(grep -n '^output {' "$C" | cut -d: -f1)
sed "$((L + 1))i\\	frobnicate = 12" "$C" >"$MS_TMP/unknown.conf"
ms_run -c "$MS_TMP/unknown.conf" check-config
exit_is 2 "check-config: unknown option exits 2"
like "$MS_ERR" "$MS_TMP/unknown\.conf:$((L + 1)):" "check-config: unknown option names FILE:LINE ($((L + 1)))"
like "$MS_ERR" "frobnicate" "check-config: unknown option is named"
F=$(grep -n 'format *= *xlsx' "$C" | cut -d: -f1)
sed "${F}s/xlsx/docx/" "$C" >"$MS_TMP/badvalue.conf"
ms_run -c "$MS_TMP/badvalue.conf" check-config
exit_is 2 "check-config: bad value exits 2"
like "$MS_ERR" "$MS_TMP/badvalue\.conf:$F:" "check-config: bad value names FILE:LINE ($F)"
like "$MS_ERR" "format" "check-config: bad value names the option"
G=$(grep -n 'page-size' "$C" | cut -d: -f1)
sed "${G}s/=.*/= -5/" "$C" >"$MS_TMP/badint.conf"
ms_run -c "$MS_TMP/badint.conf" check-config
exit_is 2 "check-config: negative page-size exits 2"
like "$MS_ERR" "$MS_TMP/badint\.conf:$G:" "check-config: negative page-size names FILE:LINE ($G)"
ms_run -c "$MS_TMP/nonexistent.conf" check-config
exit_is 2 "check-config: a missing file exits 2"

# check-config refuses what apply would refuse (issue 17), each at FILE:LINE: a separator
# the CSV writer refuses, an LDIF export without a base (read as 0 people), an output
# directory that does not exist
O=$(grep -n 'format *= *xlsx' "$C" | cut -d: -f1)
sed "${O}s/.*/\tformat = csv\n\tcsv-separator = \"'\"/" "$C" >"$MS_TMP/sep.conf"
ms_run -c "$MS_TMP/sep.conf" check-config
exit_is 2 "check-config: csv-separator = \"'\" exits 2"
like "$MS_ERR" "^$MS_TMP/sep\.conf:$((O + 1)): csv-separator: must be exactly one ASCII character" \
	"check-config: the separator is refused at FILE:LINE ($((O + 1)))"
ms_run -c "$MS_TMP/sep.conf" apply
exit_is 2 "apply refuses the same separator before any work (exit 2)"
is "$(count_files "$OUT" '*')" 0 "the separator: no file written"
printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n' "ou=people,dc=chu-exemple,dc=fr" \
	>"$MS_TMP/export.ldif"
cat >"$MS_TMP/nobase.conf" <<EOF2
state-file = "$MS_TMP/nobase.db"
output { directory = "$OUT" }
directory "export" {
	ldif = "$MS_TMP/export.ldif"
}
EOF2
ms_run -c "$MS_TMP/nobase.conf" check-config
exit_is 2 "check-config: an LDIF directory without base exits 2"
like "$MS_ERR" "^$MS_TMP/nobase\.conf:5: directory \"export\": base: at least one base DN is needed" \
	"check-config: the LDIF directory without base is named at FILE:LINE"
ms_run -c "$MS_TMP/nobase.conf" apply
exit_is 2 "apply refuses it too (exit 2), instead of reading 0 people"
sed "s|^\tdirectory *=.*|\tdirectory = \"$MS_TMP/no-such-dir\"|" "$C" >"$MS_TMP/noout.conf"
L=$(grep -n "no-such-dir" "$MS_TMP/noout.conf" | cut -d: -f1)
ms_run -c "$MS_TMP/noout.conf" check-config
exit_is 2 "check-config: an output directory that does not exist exits 2"
like "$MS_ERR" "^$MS_TMP/noout\.conf:$L: output\.directory: $MS_TMP/no-such-dir does not exist" \
	"check-config: the missing output directory is named at FILE:LINE ($L)"
done_testing
