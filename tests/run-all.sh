#!/bin/bash
# run-all.sh - run the tests of "make check" in one or more builds, and count them.
#
#   tests/run-all.sh [BUILD-DIR[:PREFIX]...]   (default: $MS_BUILD or _build in the source tree)
#
# In each (configured) build: make all, then every test of make check's TESTS, MS_JOBS at once
# (default 2): the cmocka unit tests and fuzz replays (check_PROGRAMS) and the integration
# scripts (tests/integration/*.sh, TAP; a sanitizer build runs the end-to-end ones only, with
# its own binary: Makefile.am). The tests are made one by one (make -k on their .log files, as
# "make check" does through check-TESTS), so that a unit test that does not build leaves the
# others to run; Makefile.am's check-local (every script listed) runs too. Then each test is
# counted from its .log and .trs:
#   - unit test: its "[  PASSED  ] N test(s)" and "[  FAILED  ] N test(s)" lines;
#   - script: its TAP "ok" and "not ok" results (automake's tap-driver.sh), plus one failure
#     when it exits non-zero without a "not ok", stops before its plan or breaks it;
#   - a test that did not build or run, ran nothing, or was skipped is one failure: a skip is
#     not a pass (with MS_REQUIRE_SERVERS=1, as in tests/test-all.sh, a script whose server is
#     missing fails instead of skipping).
# PREFIX names a build's tests in the table (tests/test-all.sh: "asan:"). The last line is
# "N passed, M failed"; the exit status is non-zero when M > 0 or N = 0.
MS_SRC=$(cd "$(dirname "$0")/.." && pwd)
PASS=0
FAIL=0

line() {
	printf '%-44s %5s passed %5s failed%s\n' "$1" "$2" "$3" "${4:+  ($4)}"
	PASS=$((PASS + $2))
	FAIL=$((FAIL + $3))
}

# mkvar DIR NAME: the expanded value of a make variable of the build DIR
mkvar() {
	make -s --no-print-directory -C "$1" -f Makefile \
		-f <(printf 'ms-print-%%:\n\t@echo $(%s)\n' '$*') "ms-print-$2" 2>/dev/null
}

# count LOG TRS NAME: one line of the table for one test
count() {
	local log=$1 trs=$2 name=$3 p f note= err tap=0
	if [ ! -f "$trs" ] || [ ! -f "$log" ]; then
		line "$name" 0 1 "did not run: see make-check.log"
		return
	fi
	case $log in */tests/integration/*) tap=1 ;; esac
	if grep -q '^:test-result: SKIP' "$trs" && ! grep -q '^:test-result: [^S]' "$trs"; then
		line "$name" 0 1 "skipped: $(sed -n 's/^1\.\.0 # SKIP *//p' "$log" | head -1)"
		return
	fi
	if [ "$tap" = 1 ]; then
		p=$(grep -c '^:test-result: \(PASS\|XFAIL\)' "$trs")
		f=$(grep -c '^:test-result: \(FAIL\|XPASS\|SKIP\)' "$trs")
		# the driver's own errors: exit status (counted only without a "not ok", as a
		# script that failed a test exits 1), no plan, a broken plan, "Bail out!"
		while IFS= read -r err; do
			case $err in
			*" - exited with status "*) [ "$f" -gt 0 ] && continue ;;
			esac
			f=$((f + 1))
			note=${err#ERROR: * - }
		done < <(grep '^ERROR: ' "$log")
	else
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		if grep -q '^:global-test-result: \(FAIL\|ERROR\)' "$trs" && [ "$f" -eq 0 ]; then
			f=1
			note="exit status: see $log"
		fi
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		note="no test ran"
	fi
	[ "$f" -gt 0 ] && [ -z "$note" ] && note="see $log"
	line "$name" "$p" "$f" "$note"
}

# run_build DIR PREFIX: the tests of one build
run_build() {
	local dir=$1 prefix=$2 logs l base name
	if [ ! -f "$dir/Makefile" ]; then
		line "${prefix}tests in $dir" 0 1 "not configured"
		return
	fi
	dir=$(cd "$dir" && pwd)
	logs=$(mkvar "$dir" TEST_LOGS)
	if [ -z "$logs" ]; then
		line "${prefix}tests in $dir" 0 1 "no TESTS: configured with --disable-tests?"
		return
	fi
	for l in $logs; do
		rm -f "$dir/$l" "$dir/${l%.log}.trs"
	done
	echo "== make check (in $dir): the log in $dir/make-check.log" >&2
	{
		make -C "$dir" -k -j"${MS_JOBS:-2}" all &&
			make -C "$dir" -k -j"${MS_JOBS:-2}" $logs
	} >"$dir/make-check.log" 2>&1
	if ! make -s -C "$dir" check-local >/dev/null 2>"$dir/check-local.err"; then
		line "${prefix}make check-local" 0 1 "$(head -1 "$dir/check-local.err")"
	fi
	for l in $logs; do
		base=${l%.log}
		case $base in
		tests/integration/*) name=${prefix}integration/${base##*/}.sh ;;
		*) name=$prefix$base ;;
		esac
		count "$dir/$l" "$dir/$base.trs" "$name"
	done
}

[ $# -eq 0 ] && set -- "${MS_BUILD:-$MS_SRC/_build}"
for spec in "$@"; do
	case $spec in
	*:*) run_build "${spec%%:*}" "${spec#*:}" ;;
	*) run_build "$spec" "" ;;
	esac
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
