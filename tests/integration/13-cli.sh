#!/bin/bash
# 13-cli: --help, --version, usage errors, and the man pages render.
. "$(dirname "$0")/../lib/common.sh"
need_bin
ms_run --help
exit_is 0 "--help exits 0"
for w in plan apply check-config validate state; do
	like "$MS_OUT" "$w" "--help lists $w"
done
ms_run --version
exit_is 0 "--version exits 0"
V=$(sed -n 's/^AC_INIT(\[medimail-sync\], \[\([^]]*\)\].*/\1/p' "$MS_SRC/configure.ac")
like "$MS_OUT" "medimail-sync.*${V//./\\.}" "--version prints medimail-sync $V"
ms_run
exit_is 2 "no command exits 2"
ms_run frobnicate
exit_is 2 "an unknown command exits 2"
ms_run plan --no-such-option
exit_is 2 "an unknown option exits 2"
for m in man/medimail-sync.8 man/medimail-sync.conf.5; do
	if [ -s "$MS_SRC/$m" ]; then
		MANWIDTH=80 man -l "$MS_SRC/$m" >"$MS_TMP/man.txt" 2>"$MS_TMP/man.err" </dev/null
		is "$?" 0 "man -l $m renders"
		unlike "$MS_TMP/man.err" "warning|error" "man -l $m: no groff warning"
	else
		not_ok "$m exists"
	fi
done
MANWIDTH=80 man -l "$MS_SRC/man/medimail-sync.8" 2>/dev/null | grep -q "check-config"
is "$?" 0 "medimail-sync(8) documents check-config"
MANWIDTH=80 man -l "$MS_SRC/man/medimail-sync.8" 2>/dev/null >"$MS_TMP/man8.txt"
for c in 0 1 2 3 4 5; do
	like "$MS_TMP/man8.txt" "^ +$c( |$)" "medimail-sync(8) documents exit code $c"
done
done_testing
