#!/bin/bash
# 33-hostile-fs: hostile neighbours and a hostile file system (issue 17, defects 5, 6, 11, 13).
# An output or state directory others may write into is refused; a planted symlink for the
# state or its lock is refused and its target left alone; a state at 0644 is tightened to
# 0600; a file size limit (ulimit -f) fails the run with a message, no partial file and the
# state unchanged; a state commit that fails after the loadusers file was renamed into place
# removes the file; a failed run's summary line claims nothing; --json - leaves stdout to the
# JSON. An LDIF export stands in for the directory: the writers and the state are real.
. "$(dirname "$0")/../lib/common.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
OUT=$MS_TMP/out
ST=$MS_TMP/st
mkdir -m 0755 "$OUT" "$ST"
# people FIRST COUNT: COUNT valid people, uids FIRST...
people() {
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		printf 'dn: uid=u%d,%s\nobjectClass: inetOrgPerson\nuid: u%d\n' "$i" "$P" "$i"
		printf 'entryUUID: 00000000-0000-4000-8000-%012d\ncn: P%d\nsn: NOM%d\n' "$i" "$i" "$i"
		printf 'givenName: Jean\nmail: jean.u%d@chu-exemple.fr\n' "$i"
		printf 'employeeType: Personnel administratif\n\n'
	done
}
{ printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\n' "$P"; people 1 35; } >"$MS_TMP/small.ldif"
{
	ldif_conf_head "$ST/state.db" "$OUT" "$MS_TMP/export.ldif" "$P"
	cat <<EOF
map {
	profession = "{employeeType}"
}
EOF
} >"$MS_TMP/ms.conf"
CONF=$MS_TMP/ms.conf
cp "$MS_TMP/small.ldif" "$MS_TMP/export.ldif"
nout() { ls -A "$OUT" | wc -l; }
dump() { state_dump "$ST/state.db"; }

# --- defect 5: directories others may write into
chmod 0777 "$OUT"
ms_run -c "$CONF" apply
exit_is 1 "apply with an output directory writable by others exits 1"
like "$MS_ERR" "output directory $OUT: writable by group or others \(mode 0777\)" "... naming the directory and its mode"
is "$(nout)" 0 "... nothing is written there"
is "$(ls -A "$ST" | wc -l)" 0 "... and no state is created"
ms_run -c "$CONF" plan
exit_is 1 "plan refuses it too (its report goes there)"
chmod 0755 "$OUT"
chown 65534 "$OUT"
ms_run -c "$CONF" apply
exit_is 1 "an output directory owned by another user is refused"
like "$MS_ERR" "output directory $OUT: owned by uid 65534" "... naming the owner"
chown 0 "$OUT"
chmod 0775 "$ST"
ms_run -c "$CONF" apply
exit_is 1 "a state directory writable by its group is refused"
like "$MS_ERR" "state directory $ST: writable by group or others \(mode 0775\)" "... naming it"
is "$(nout)" 0 "... nothing is written"
chmod 0755 "$ST"

# --- defect 6: planted symlinks
echo "not a database" >"$MS_TMP/victim"
ln -s "$MS_TMP/victim" "$ST/state.db"
ms_run -c "$CONF" apply
exit_is 1 "a state.db symlink is refused"
like "$MS_ERR" "state file $ST/state.db is a symbolic link: refused" "... with a message naming it"
is "$(cat "$MS_TMP/victim")" "not a database" "... its target is untouched"
ms_run -c "$CONF" plan
exit_is 1 "plan refuses it too"
rm -f "$ST/state.db" "$ST/state.db.lock"
ln -s "$MS_TMP/lock-victim" "$ST/state.db.lock"
ms_run -c "$CONF" apply
exit_is 1 "a lock file symlink is refused"
like "$MS_ERR" "lock file $ST/state.db.lock is a symbolic link" "... with a message naming it"
check "... its target is not created" test ! -e "$MS_TMP/lock-victim"
is "$(nout)" 0 "... nothing is written"
rm -f "$ST/state.db.lock"

ms_run -c "$CONF" apply
exit_is 0 "apply in private directories completes"
is "$(count_files "$OUT" 'loadusers-*.xlsx')" 1 "... and writes the loadusers file"
is "$(ls -A "$OUT" | grep -c '^\.')" 0 "... leaving no temporary file or directory"
chmod 0644 "$ST/state.db"
ms_run -c "$CONF" plan
exit_is 0 "plan on a state at 0644 works"
is "$(file_mode "$ST/state.db")" 600 "... and tightens it to 0600"
like "$MS_ERR" "$ST/state.db: mode 0644 tightened to 0600" "... saying so"

# a run killed before its rename leaves its private directory: the next apply removes it
mkdir -m 0700 "$OUT/.loadusers-20000101-000000.xlsx.AbCdEf"
echo partial >"$OUT/.loadusers-20000101-000000.xlsx.AbCdEf/loadusers-20000101-000000.xlsx"
ms_run -c "$CONF" apply
exit_is 0 "apply after an interrupted run"
check "... removes the interrupted run's private directory" test ! -e "$OUT/.loadusers-20000101-000000.xlsx.AbCdEf"

# --- defect 11: a file size limit (ulimit -f 64: 64 KiB). 3000 new people make a loadusers
# file of about 130 KB: its write fails with EFBIG instead of SIGXFSZ killing the run.
rm -f "$OUT"/*
{ cat "$MS_TMP/small.ldif"; people 1000 3000; } >"$MS_TMP/export.ldif"
dump >"$MS_TMP/before"
ms_run_limited() { (ulimit -f 64; exec "$MS_BIN" "$@") >"$MS_OUT" 2>"$MS_ERR" </dev/null; MS_RC=$?; }
ms_run_limited -c "$CONF" apply
exit_is 1 "apply over the file size limit exits 1 (not 153, killed by SIGXFSZ)"
like "$MS_ERR" "error: $OUT/loadusers-[0-9-]+\.xlsx: writing .*(incomplete|File too large)" "... with a message naming the loadusers file"
is "$(count_files "$OUT" 'loadusers-*')" 0 "... no loadusers file"
is "$(ls -A "$OUT" | grep -c '^\.')" 0 "... no temporary file or directory"
dump >"$MS_TMP/after"
check "... the state is unchanged (SQL dump)" cmp -s "$MS_TMP/before" "$MS_TMP/after"
like "$MS_ERR" "apply did not complete \(exit status 1\), the state is unchanged; the plan was: create 3000," "the summary line says the run did not complete"
unlike "$MS_ERR" "created 3000" "... and never claims \"created 3000\""
like "$MS_OUT" "^nothing written: the run failed" "the terminal summary says nothing was written"
unlike "$MS_OUT" "^wrote " "... and names no file as written"

# --- defect 13: 100 new people: the loadusers file (about 10 KB) fits, the state's commit
# (its WAL grows past 64 KiB) does not, after the file was renamed into place
{ cat "$MS_TMP/small.ldif"; people 1000 100; } >"$MS_TMP/export.ldif"
ms_run_limited -c "$CONF" apply
exit_is 1 "a state commit that fails after the rename exits 1"
like "$MS_ERR" "state $ST/state.db: .*the loadusers file $OUT/loadusers-[0-9-]+\.xlsx was removed: nothing was written, the state is unchanged" "... says the file was removed"
is "$(count_files "$OUT" 'loadusers-*')" 0 "... and it is gone"
dump >"$MS_TMP/after"
check "... the state is unchanged (SQL dump)" cmp -s "$MS_TMP/before" "$MS_TMP/after"
unlike "$MS_ERR" "created 100" "... the summary line does not claim \"created 100\""

# --json -: stdout holds the JSON alone, the summary goes to stderr
ms_run -c "$CONF" apply --json -
exit_is 0 "apply --json - with room completes"
check "stdout is one JSON document" "$MS_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["counts"]["create"] == 100, d["counts"]' "$MS_OUT"
like "$MS_ERR" "^medimail-sync apply\$" "... the text summary goes to stderr"
like "$MS_ERR" "^wrote $OUT/loadusers-" "... with the file written"
is "$(count_files "$OUT" 'loadusers-*.xlsx')" 1 "... which is there"

# --json FILE names people (unmatched values and their DNs): 0600 under umask 000, as every
# output, written whole through a private temporary file (it was written in place), and a
# failure says why
umask 000
ms_run -c "$CONF" plan --json "$MS_TMP/plan.json" --metrics "$MS_TMP/plan.prom"
umask 022
exit_is 0 "plan --json FILE --metrics FILE under umask 000 completes"
is "$([ -f "$MS_TMP/plan.json" ] && file_mode "$MS_TMP/plan.json")" 600 "... the JSON summary has mode 0600"
check "... and is one JSON document" "$MS_PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$MS_TMP/plan.json"
is "$([ -f "$MS_TMP/plan.prom" ] && file_mode "$MS_TMP/plan.prom")" 644 "... the metrics stay 0644 (node_exporter reads them; counts only)"
is "$(ls -A "$MS_TMP" | grep -c '^\.plan\.json\.')" 0 "... no private temporary directory is left"
ms_run -c "$CONF" plan --json "$MS_TMP/no-such-dir/plan.json"
like "$MS_ERR" "$MS_TMP/no-such-dir/plan\.json: cannot write the JSON summary: No such file or directory" \
	"--json into a missing directory: the message names the file and says why"
# a FIFO (as /dev/stdout, a stream the admin names) is written into, never replaced by a file:
# the temporary file's rename put a regular file in its place (as root, in place of
# /dev/stdout itself), and the reader waited for ever
mkfifo "$MS_TMP/json.fifo" "$MS_TMP/prom.fifo"
timeout 60 cat "$MS_TMP/json.fifo" >"$MS_TMP/json.read" &
jr=$!
timeout 60 cat "$MS_TMP/prom.fifo" >"$MS_TMP/prom.read" &
pr=$!
ms_run -c "$CONF" plan --json "$MS_TMP/json.fifo" --metrics "$MS_TMP/prom.fifo"
wait $jr
jrc=$?
wait $pr
prc=$?
exit_is 0 "plan --json FIFO --metrics FIFO completes"
check "... the JSON went through the FIFO to its reader" test "$jrc" -eq 0 -a -s "$MS_TMP/json.read"
check "... as one JSON document" "$MS_PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$MS_TMP/json.read"
check "... the metrics too" grep -q '^medimail_sync_exit_status{command="plan"} 0$' "$MS_TMP/prom.read"
check "... both are still FIFOs" test -p "$MS_TMP/json.fifo" -a -p "$MS_TMP/prom.fifo" -a "$prc" -eq 0
done_testing
