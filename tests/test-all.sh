#!/bin/bash
# test-all.sh - the README's test command (and what .ci/run runs), as root on Debian 12:
# install the packages, build out of tree with -Werror (_build/), build again with ASan/UBSan
# (_build-asan/), then run-all.sh: "make check" of both builds, counted (the unit tests and fuzz
# replays of each, every integration script with the plain binary, the end-to-end scripts again
# with the ASan one; the scripts start their own servers, and with MS_REQUIRE_SERVERS=1, set
# here, a script whose server is not installed fails rather than skips); then every fuzz harness
# of tests/fuzz for MS_FUZZ_SECONDS under libFuzzer with ASan and UBSan (tests/fuzz/run-fuzz.sh;
# a crash, a leak, a timeout or a harness that does not build fails it); and a few end-to-end
# scripts again with the program under valgrind (tests/valgrind/run-valgrind.sh). Each test
# runs once.
# Idempotent; works from a fresh clone. The last line is "N passed, M failed"; the exit status
# is non-zero when M > 0.
#
# Environment: MS_JOBS (make -j, tests and harnesses at once, default 2), MS_NO_ASAN=1 (skip
# the sanitizer build), MS_FUZZ_SECONDS (per harness, default 30; 0 skips the fuzzing),
# MS_FUZZ_SEED (libFuzzer's seed, default 1: a finding of CI is found again by the same run here),
# MS_VALGRIND_SCRIPTS (the scripts run under valgrind, by number; "all", or "" to skip).
set -u
MS_SRC=$(cd "$(dirname "$0")/.." && pwd)
export MS_SRC
export MS_REQUIRE_SERVERS=1
. "$MS_SRC/tests/lib/build.sh"
cd "$MS_SRC" || exit 1

ms_install_packages || { echo "0 passed, 1 failed"; exit 1; }
ms_stop_packaged_daemons
B=$MS_SRC/_build
A=$MS_SRC/_build-asan
setup_fail=0
ms_build "$B" --enable-werror || setup_fail=$((setup_fail + 1))
builds=("$B")
if [ "${MS_NO_ASAN:-0}" != 1 ]; then
	ms_build "$A" --enable-sanitizers --enable-werror || setup_fail=$((setup_fail + 1))
	builds+=("$A:asan:")
fi
if [ "$setup_fail" -gt 0 ]; then
	ms_log "$setup_fail build(s) failed; the tests that need them will fail"
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
"$MS_SRC/tests/run-all.sh" "${builds[@]}" >"$B/run-all.out" 2>&1
rc=$?
head -n -1 "$B/run-all.out"
last=$(tail -n 1 "$B/run-all.out")
# memcheck on the program, through a few end-to-end scripts (tests/valgrind/run-valgrind.sh;
# MS_VALGRIND_SCRIPTS="" skips it, "all" runs every script)
vg_pass=0
vg_fail=0
vg_scripts=${MS_VALGRIND_SCRIPTS-10 12 20 21 23 33 34 63}
[ "$vg_scripts" = all ] && vg_scripts=
if [ -n "${MS_VALGRIND_SCRIPTS-x}" ]; then
	# shellcheck disable=SC2086 # a list of script numbers
	"$MS_SRC/tests/valgrind/run-valgrind.sh" -b "$B" -j "${MS_JOBS:-2}" $vg_scripts \
		>"$B/valgrind.out" 2>&1
	grep -v '^[0-9]* passed, [0-9]* failed$' "$B/valgrind.out"
	vg_last=$(tail -n 1 "$B/valgrind.out")
	case $vg_last in
	*" passed, "*" failed") vg_pass=${vg_last%% passed*} vg_fail=${vg_last#*, } vg_fail=${vg_fail%% failed*} ;;
	*) vg_fail=1; echo "valgrind                                         0 passed     1 failed  (see $B/valgrind.out)" ;;
	esac
fi
fuzz_pass=0
fuzz_fail=0
# fuzz_finding NAME: what a CI log must show of a harness's finding, the machine being gone
# afterwards: the report's first lines and frames, and the input (base64, to replay with
# "base64 -d >input; _build-fuzz/fuzz_NAME input")
fuzz_finding() {
	local log=$MS_SRC/_build-fuzz/fuzz-$1.log unit
	unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	grep -E '^==[0-9]+==.*(ERROR|WARNING)|^SUMMARY|^ *#[0-9]+ .* in [^ ]+ .*/(src|tests)/' \
		"$log" | head -n 20 | sed "s/^/  fuzz:$1: /"
	if [ -n "$unit" ] && [ -f "$unit" ]; then
		echo "  fuzz:$1: input ($(wc -c <"$unit") bytes, base64): $(basename "$unit")"
		head -c 4096 "$unit" | base64 -w 76 | sed "s/^/  fuzz:$1:   /"
	fi
}
if [ "${MS_FUZZ_SECONDS:-30}" != 0 ]; then
	"$MS_SRC/tests/fuzz/run-fuzz.sh" -t "${MS_FUZZ_SECONDS:-30}" -j "${MS_JOBS:-2}" \
		-s "${MS_FUZZ_SEED:-1}" \
		>"$B/fuzz.out" 2>&1
	frc=$?
	# the table run-fuzz.sh ends with: harness runs exec/s cov ft corpus crashes in-child
	while read -r n runs _ _ _ _ crashes _; do
		if [ "$crashes" = 0 ]; then
			fuzz_pass=$((fuzz_pass + 1))
			printf '%-44s %5s passed %5s failed  (%s runs)\n' "fuzz:$n" 1 0 "$runs"
		else
			fuzz_fail=$((fuzz_fail + 1))
			printf '%-44s %5s passed %5s failed  (see %s)\n' "fuzz:$n" 0 1 \
				"_build-fuzz/fuzz-$n.log, _build-fuzz/crashes/"
			fuzz_finding "$n"
		fi
	done < <(sed -n '/^harness /,$p' "$B/fuzz.out" | tail -n +2)
	if [ "$frc" -ne 0 ] && [ "$fuzz_fail" -eq 0 ]; then
		fuzz_fail=1      # it did not get as far as fuzzing
		printf '%-44s %5s passed %5s failed  (%s)\n' "fuzz" 0 1 "exit $frc: see $B/fuzz.out"
		tail -n 5 "$B/fuzz.out"
	fi
fi
p=${last%% passed*}
f=${last#*, }
f=${f%% failed*}
case $p$f in
*[!0-9]* | "") p=0 f=1 ;;
esac
p=$((p + vg_pass + fuzz_pass))
f=$((f + setup_fail + vg_fail + fuzz_fail))
[ "$setup_fail" -gt 0 ] && echo "build failures                                   0 passed $setup_fail failed"
echo "$p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
