#!/bin/bash
# test-all.sh - the README's test command (and what .ci/run runs), as root on Debian 12:
# install the packages, build out of tree (_build/), run the unit tests, build again with
# ASan/UBSan (_build-asan/), then run-all.sh: every unit test of both builds, every integration
# script (they start their own servers), and the end-to-end scripts again with the ASan binary. Idempotent; works from a fresh
# clone. The last line is "N passed, M failed"; the exit status is non-zero when M > 0.
#
# Environment: MS_JOBS (make -j, default 2), MS_NO_ASAN=1 (skip the sanitizer build).
set -u
MS_SRC=$(cd "$(dirname "$0")/.." && pwd)
export MS_SRC
. "$MS_SRC/tests/lib/build.sh"
cd "$MS_SRC" || exit 1

ms_install_packages || { echo "0 passed, 1 failed"; exit 1; }
ms_stop_packaged_daemons
B=$MS_SRC/_build
A=$MS_SRC/_build-asan
setup_fail=0
ms_build "$B" || setup_fail=$((setup_fail + 1))
# the unit test binaries; run-all.sh runs and counts them
[ -f "$B/Makefile" ] && ms_build_unit "$B"
UNIT=
ASAN_BUILD=
if [ "${MS_NO_ASAN:-0}" != 1 ]; then
	ms_build "$A" --enable-sanitizers || setup_fail=$((setup_fail + 1))
	if [ -f "$A/Makefile" ]; then
		ms_build_unit "$A"
		UNIT="$A:asan:"
		ASAN_BUILD=$A
	fi
fi
if [ "$setup_fail" -gt 0 ]; then
	ms_log "$setup_fail build(s) failed; the tests that need them will fail"
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
MS_UNIT_BUILDS=$UNIT MS_ASAN_BUILD=$ASAN_BUILD MS_BUILD=$B "$MS_SRC/tests/run-all.sh" "$B" >"$B/run-all.out" 2>&1
rc=$?
head -n -1 "$B/run-all.out"
last=$(tail -n 1 "$B/run-all.out")
p=${last%% passed*}
f=${last#*, }
f=${f%% failed*}
case $p$f in
*[!0-9]* | "") p=0 f=1 ;;
esac
f=$((f + setup_fail))
[ "$setup_fail" -gt 0 ] && echo "build failures                                   0 passed $setup_fail failed"
echo "$p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
