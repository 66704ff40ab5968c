#!/bin/bash
# run-all.sh - run every unit test binary and every integration script, and count.
#
#   tests/run-all.sh [BUILD-DIR]     (default: $MS_BUILD or _build in the source tree)
#
# Unit tests: the cmocka binaries of "make check" (check_PROGRAMS), run directly; their
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" lines are counted. Set
# MS_UNIT_BUILDS="DIR:prefix ..." to count other builds too (test-all.sh adds the ASan one).
# Integration tests: tests/integration/*.sh, TAP; "ok" and "not ok" lines are counted, and a
# script that exits non-zero without a "not ok", prints no test or breaks its plan counts as
# one more failure. A skip is not a pass. With MS_ASAN_BUILD=DIR, the end-to-end scripts run
# a second time with DIR's sanitizer binary (prefix "asan:"). The last line is
# "N passed, M failed"; the exit status is non-zero when M > 0 or N = 0.
MS_SRC=$(cd "$(dirname "$0")/.." && pwd)
MS_BUILD=$(cd "${1:-${MS_BUILD:-$MS_SRC/_build}}" 2>/dev/null && pwd || echo "${1:-${MS_BUILD:-$MS_SRC/_build}}")
MS_BIN=${MS_BIN:-$MS_BUILD/medimail-sync}
export MS_SRC MS_BUILD MS_BIN
LOGDIR=${MS_LOGDIR:-$MS_BUILD/test-logs}
mkdir -p "$LOGDIR"
PASS=0
FAIL=0

line() {
	printf '%-44s %5s passed %5s failed%s\n' "$1" "$2" "$3" "${4:+  ($4)}"
	PASS=$((PASS + $2))
	FAIL=$((FAIL + $3))
}

# unit tests of one build: unit_build DIR PREFIX
unit_build() {
	local dir=$1 prefix=$2 t name log p f rc note progs
	progs=$(make -s -C "$dir" -f Makefile -f - print-check-programs 2>/dev/null <<'MK'
print-check-programs:
	@echo $(check_PROGRAMS)
MK
)
	if [ -z "$progs" ]; then
		line "${prefix}unit tests in $dir" 0 1 "no check_PROGRAMS: not built?"
		return
	fi
	for t in $progs; do
		name=$prefix$t
		log=$LOGDIR/${name//[\/:]/_}.log
		if [ ! -x "$dir/$t" ]; then
			line "$name" 0 1 "not built"
			continue
		fi
		(cd "$dir" && CMOCKA_MESSAGE_OUTPUT=stdout timeout "${MS_UNIT_TIMEOUT:-300}" "./$t") \
			>"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		note=
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			note="exit $rc"
		fi
		if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
			f=1
			note="no test ran"
		fi
		[ "$f" -gt 0 ] && [ -z "$note" ] && note="see $log"
		line "$name" "$p" "$f" "$note"
	done
}

for spec in "$MS_BUILD:" ${MS_UNIT_BUILDS:-}; do
	unit_build "${spec%%:*}" "${spec#*:}"
done

# integration scripts: integ PREFIX SCRIPT... (MS_BIN and MS_BUILD say which build they test)
integ() {
	local prefix=$1 s name log rc p f plan note
	shift
	for s in "$@"; do
		[ -e "$s" ] || continue
		name=${prefix}integration/${s##*/}
		log=$LOGDIR/${prefix//:/_}${s##*/}.log
		timeout "${MS_INTEGRATION_TIMEOUT:-900}" bash "$s" >"$log" 2>&1 </dev/null
		rc=$?
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | tail -1)
		note=
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			note="exit $rc"
		elif [ $((p + f)) -eq 0 ]; then
			f=1
			note="no test ran"
		elif [ -z "$plan" ]; then
			f=$((f + 1))
			note="no plan: stopped early"
		elif [ "$plan" -ne $((p + f)) ]; then
			f=$((f + 1))
			note="planned $plan, ran $((p + f - 1)) tests"
		fi
		[ "$f" -gt 0 ] && [ -z "$note" ] && note="see $log"
		line "$name" "$p" "$f" "$note"
	done
}

integ "" "$MS_SRC"/tests/integration/*.sh

# The end-to-end paths again with the ASan+UBSan binary (MS_ASAN_BUILD): every script but the
# slow Samba one and those that test the build and packaging rather than the program.
if [ -n "${MS_ASAN_BUILD:-}" ] && [ -x "$MS_ASAN_BUILD/medimail-sync" ]; then
	asan_scripts=()
	for s in "$MS_SRC"/tests/integration/*.sh; do
		case ${s##*/} in 4[0-9]-* | 5[0-9]-* | 7[0-9]-*) ;; *) asan_scripts+=("$s") ;; esac
	done
	MS_BIN=$MS_ASAN_BUILD/medimail-sync MS_BUILD=$MS_ASAN_BUILD MS_SANITIZED=1 \
		integ asan: "${asan_scripts[@]}"
fi

echo "logs in $LOGDIR"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
