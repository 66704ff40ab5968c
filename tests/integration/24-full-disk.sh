#!/bin/bash
# 24-full-disk: the output directory fills up (a 4 KiB tmpfs) during apply: the run fails with
# a message naming the file, leaves no partial or temporary file, and the state is unchanged,
# so that the next apply, with room, writes the change still owed.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
P=ou=people,dc=chu-exemple,dc=fr
sample_server
OUT=$MS_TMP/out
CONF=$MS_TMP/medimail-sync.conf
slapd_sample_conf "$CONF" "$OUT" "$MS_TMP/state.db"
dump() { state_dump "$MS_TMP/state.db"; }
ms_run -c "$CONF" apply
exit_is 4 "a first apply with room completes"
printf 'dn: uid=tgarnier,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 04 67 00 44 55\n' \
	"$P" >"$MS_TMP/ch.ldif"
slapd_modify "$MS_TMP/ch.ldif" || bail "modify"

mount -t tmpfs -o size=4k,mode=0700 tmpfs "$OUT" || bail "mount a 4 KiB tmpfs on $OUT (needs root)"
at_exit "umount '$OUT' 2>/dev/null"
dump >"$MS_TMP/before"
ms_run -c "$CONF" apply
exit_is 1 "apply on a full output directory exits 1"
like "$MS_ERR" "$OUT/loadusers-[0-9-]+\.xlsx: .*No space left on device" "the error names the loadusers file and the cause"
is "$(ls -A "$OUT" | wc -l)" 0 "no partial or temporary file is left"
dump >"$MS_TMP/after"
check "the state is unchanged (SQL dump)" cmp "$MS_TMP/before" "$MS_TMP/after"
umount "$OUT" || bail "umount"

ms_run -c "$CONF" apply
exit_is 4 "with room again, apply completes"
like "$MS_OUT" "^  update +1 +0 +0 +0 +1\$" "... and writes the update still owed"
done_testing
