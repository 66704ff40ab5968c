#!/bin/bash
# run-valgrind.sh - integration scripts with the program under valgrind's memcheck.
#
#   tests/valgrind/run-valgrind.sh [-b BUILD-DIR] [-j PARALLEL] [-o DIR] [SCRIPT...]
#
# SCRIPT: a script of tests/integration, by number or name (10, 23-ldif-source.sh), default
# every one. BUILD-DIR (default _build in the source tree) holds the medimail-sync to check;
# PARALLEL scripts at once (default 1); DIR (default BUILD-DIR/valgrind) keeps, per script,
# its TAP (NAME.tap) and one valgrind log per process (NAME/PID.log).
#
# Each script runs with MS_BIN set to a wrapper that starts the program under memcheck, so
# that every process it starts (and the child process that reads an XLS file) is checked. A
# finding is an invalid read or write, a jump on an uninitialised value, a bad free, or a
# block definitely or indirectly lost (not for a process that the crash hook of 20-incremental
# kills on purpose). Blocks still reachable or possibly lost are not findings. The
# suppressions (medimail-sync.supp, beside this script) name library defects only, each with
# how it was shown to be the library's. A script passes when its TAP has no "not ok" and no
# log holds a finding. MS_VALGRIND=1 is exported: 30-validate then leaves out its memory
# bound, which valgrind's own memory would break.
#
# Prints one line per script, "valgrind:NAME  1 passed 0 failed  (N processes)", the log of
# each finding, and last "N passed, M failed"; exit 1 when M > 0. Needs valgrind and what
# the scripts need (tests/lib/build.sh installs both). tests/test-all.sh runs a few scripts
# this way (MS_VALGRIND_SCRIPTS).
set -u
MS_SRC=$(cd "$(dirname "$0")/../.." && pwd)
build=$MS_SRC/_build
par=1
out=
while getopts b:j:o: opt; do
	case $opt in
	b) build=$OPTARG ;;
	j) par=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '2,23s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run-valgrind.sh: no build directory" >&2; exit 2; }
out=${out:-$build/valgrind}
if ! command -v valgrind >/dev/null; then
	echo "run-valgrind.sh: valgrind is needed (apt-get install valgrind)" >&2
	exit 2
fi
if [ ! -x "$build/medimail-sync" ]; then
	echo "run-valgrind.sh: $build/medimail-sync: not built" >&2
	exit 2
fi

scripts=()
for s in "${@:-}"; do
	if [ -z "$s" ]; then
		for f in "$MS_SRC"/tests/integration/[0-9][0-9]-*.sh; do scripts+=("$f"); done
		break
	fi
	f=$(ls "$MS_SRC"/tests/integration/"$s"*.sh 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "run-valgrind.sh: no integration script $s" >&2; exit 2; }
	scripts+=("$f")
done

mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
wrapper=$out/medimail-sync
# the log directory is the wrapper's environment, so that scripts can run side by side. A
# process that the crash hook kills (MEDIMAIL_SYNC_CRASH_AT, 20-incremental) is checked for
# invalid accesses, not for leaks: killed in mid-write on purpose, it leaves its blocks behind,
# and which ones depends on where each thread was (a libxlsxwriter file name was reported
# "definitely lost" in one run out of two).
cat >"$wrapper" <<EOF
#!/bin/sh
leaks="--leak-check=full --show-leak-kinds=definite,indirect"
leaks="\$leaks --errors-for-leak-kinds=definite,indirect"
[ -n "\${MEDIMAIL_SYNC_CRASH_AT:-}" ] && leaks=--leak-check=no
exec valgrind -q \$leaks --num-callers=30 \\
	--suppressions="$MS_SRC/tests/valgrind/medimail-sync.supp" \\
	--log-file="\$MS_VALGRIND_LOGS/%p.log" "$build/medimail-sync" "\$@"
EOF
chmod 755 "$wrapper" || exit 1

# one SCRIPT: its TAP in DIR/NAME.tap, its logs in DIR/NAME/; the verdict in DIR/NAME.result
check_script() {
	local f=$1 name logs notok procs bad
	name=$(basename "$f" .sh)
	logs=$out/$name
	rm -rf "$logs" && mkdir -p "$logs" || return 1
	MS_VALGRIND_LOGS=$logs MS_VALGRIND=1 MS_BUILD=$build MS_SRC=$MS_SRC MS_BIN=$wrapper \
		bash "$f" >"$out/$name.tap" 2>&1 </dev/null
	notok=$(grep -c '^not ok' "$out/$name.tap")
	procs=$(find "$logs" -name '*.log' | wc -l)
	bad=$(find "$logs" -name '*.log' -size +0 | wc -l)
	if ! grep -q '^ok' "$out/$name.tap"; then
		notok=$((notok + 1))   # a script that bailed out before its first test
	fi
	echo "$name $notok $procs $bad" >"$out/$name.result"
}
export -f check_script
export out MS_SRC build wrapper

printf '%s\n' "${scripts[@]}" |
	xargs -r -d '\n' -P "$par" -I{} bash -c 'check_script "$1"' _ {}

pass=0
fail=0
for f in "${scripts[@]}"; do
	name=$(basename "$f" .sh)
	read -r _ notok procs bad <"$out/$name.result" 2>/dev/null || { notok=1 procs=0 bad=0; }
	if [ "$notok" = 0 ] && [ "$bad" = 0 ]; then
		pass=$((pass + 1))
		printf '%-44s %5s passed %5s failed  (%s processes)\n' "valgrind:$name" 1 0 "$procs"
	else
		fail=$((fail + 1))
		printf '%-44s %5s passed %5s failed  (%s processes; %s not ok, %s with findings: %s)\n' \
			"valgrind:$name" 0 1 "$procs" "$notok" "$bad" "$out/$name"
		grep '^not ok' "$out/$name.tap" | head -n 5
		find "$out/$name" -name '*.log' -size +0 | head -n 2 | xargs -r head -n 30
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
