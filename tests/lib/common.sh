# common.sh - shared helpers for the integration test scripts (bash). Source it first:
#
#   . "$(dirname "$0")/../lib/common.sh"
#
# It sets:
#   MS_SRC    the source tree (default: two levels above this file)
#   MS_BUILD  the build tree (default: $MS_SRC/_build)
#   MS_BIN    the binary under test (default: $MS_BUILD/medimail-sync)
#   MS_TMP    a private temporary directory, removed at exit (kept when MS_KEEP_TMP=1)
# and prints TAP (https://testanything.org): "ok N - desc" / "not ok N - desc", then "1..N"
# from done_testing. The script's exit status is 0 when every test passed, 1 otherwise.

MS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MS_SRC=${MS_SRC:-$(cd "$MS_LIB/../.." && pwd)}
MS_BUILD=${MS_BUILD:-$MS_SRC/_build}
MS_BIN=${MS_BIN:-$MS_BUILD/medimail-sync}
MS_PY=${MS_PY:-/usr/bin/python3}     # Debian's interpreter, with python3-openpyxl
export MS_SRC MS_BUILD MS_BIN MS_PY
# tests/lib's checkers import each other: no __pycache__ in the source tree (or the tarball)
export PYTHONDONTWRITEBYTECODE=1
export LC_ALL=C.UTF-8

MS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ms-test.XXXXXX")
MS_NTEST=0
MS_NFAIL=0
MS_CLEANUPS=()

# at_exit CMD...: run CMD at exit, most recent first (e.g. stopping a server).
at_exit() {
	MS_CLEANUPS+=("$*")
}

ms_cleanup() {
	local i
	for ((i = ${#MS_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${MS_CLEANUPS[i]}" || true
	done
	if [ "${MS_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $MS_TMP"
	else
		rm -rf "$MS_TMP"
	fi
}
trap ms_cleanup EXIT
trap 'exit 130' INT TERM

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# diag_file FILE [MAX]: show the first MAX lines (default 20) of FILE as TAP comments.
diag_file() {
	[ -s "$1" ] || return 0
	head -n "${2:-20}" "$1" | sed 's/^/#   /'
}

ok() {
	MS_NTEST=$((MS_NTEST + 1))
	echo "ok $MS_NTEST - $*"
}

not_ok() {
	MS_NTEST=$((MS_NTEST + 1))
	MS_NFAIL=$((MS_NFAIL + 1))
	echo "not ok $MS_NTEST - $*"
}

# result STATUS DESC: ok when STATUS is 0.
result() {
	local st=$1
	shift
	if [ "$st" -eq 0 ]; then ok "$@"; else not_ok "$@"; fi
}

# check DESC CMD...: ok when CMD exits 0 (its output goes to the TAP log as comments on failure).
check() {
	local desc=$1 out
	shift
	out=$("$@" 2>&1)
	if [ $? -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		[ -n "$out" ] && diag "$out"
	fi
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:      '$1'"
		diag "expected: '$2'"
	fi
}

# like FILE REGEX DESC: ok when a line of FILE matches the extended REGEX.
like() {
	if grep -Eq -- "$2" "$1"; then
		ok "$3"
	else
		not_ok "$3"
		diag "no line matches /$2/ in:"
		diag_file "$1"
	fi
}

# unlike FILE REGEX DESC: ok when no line of FILE matches.
unlike() {
	if grep -Eq -- "$2" "$1"; then
		not_ok "$3"
		grep -E -- "$2" "$1" | head -5 | sed 's/^/#   /'
	else
		ok "$3"
	fi
}

# ms_run ARGS...: run the binary; sets MS_RC and the files $MS_OUT and $MS_ERR.
MS_OUT=$MS_TMP/stdout
MS_ERR=$MS_TMP/stderr
ms_run() {
	"$MS_BIN" "$@" >"$MS_OUT" 2>"$MS_ERR" </dev/null
	MS_RC=$?
	return 0
}

# exit_is CODE DESC: checks MS_RC from the last ms_run, showing stderr on failure.
exit_is() {
	if [ "$MS_RC" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "exit status $MS_RC, expected $1; stderr:"
		diag_file "$MS_ERR"
		diag "stdout:"
		diag_file "$MS_OUT"
	fi
}

# need_bin: the binary must exist; otherwise one failure and stop.
need_bin() {
	if [ ! -x "$MS_BIN" ]; then
		not_ok "binary $MS_BIN exists (build first, or set MS_BIN)"
		done_testing
	fi
}

# need_server NAME PROGRAM...: the script needs the server NAME, whose PROGRAMs (names on PATH
# or paths) must be installed; slapd.sh and samba.sh call it when sourced. When one is missing,
# a developer's run skips the whole script ("1..0 # SKIP", exit 77, which "make check" reports
# as SKIP), but with MS_REQUIRE_SERVERS=1 (tests/test-all.sh, CI) the script fails: a test that
# needs a server starts it or fails. Only before the first test (a plan of 0 after tests is not
# TAP): later, a missing server is a failure too.
need_server() {
	local name=$1 p missing=
	shift
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || missing+=" $p"
	done
	[ -z "$missing" ] && return 0
	if [ "${MS_REQUIRE_SERVERS:-0}" = 1 ] || [ "$MS_NTEST" -gt 0 ]; then
		bail "$name is installed (missing:$missing; tests/lib/build.sh lists the packages)"
	fi
	echo "1..0 # SKIP $name is not installed (missing:$missing)"
	exit 77
}

# bail REASON: a setup step failed; counts as one failure and ends the script.
bail() {
	not_ok "setup: $*"
	done_testing
}

# done_testing: print the plan and exit with the status.
done_testing() {
	echo "1..$MS_NTEST"
	[ "$MS_NFAIL" -eq 0 ] && [ "$MS_NTEST" -gt 0 ]
	exit $?
}

# count_files DIR GLOB: number of files matching GLOB in DIR.
count_files() {
	local n=0 f
	for f in "$1"/$2; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# file_mode FILE: octal mode, e.g. 600.
file_mode() {
	stat -c '%a' "$1"
}

# ldif_conf_head STATE OUT LDIF BASE [OUTPUT-OPTIONS]: the first part of a configuration that
# reads an LDIF file (the samples' structure "chu", one directory "export" with base BASE);
# the caller adds its map section and any other option after it.
ldif_conf_head() {
	cat <<EOF
state-file = "$1"
output { directory = "$2"${5:+ $5} }
structure "chu" {
	raison-sociale = "CHU d'Exemple"
	cp = "34000"
	ville = "MONTPELLIER"
	id-type = "FINESS"
	id = "340780477"
}
directory "export" {
	ldif = "$3"
	base = { "$4" }
}
EOF
}

# subst_conf IN OUT VAR=VALUE...: replace @VAR@ in IN, write OUT.
subst_conf() {
	local in=$1 out=$2 kv k v expr=()
	shift 2
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		v=${v//\\/\\\\}
		v=${v//|/\\|}
		v=${v//&/\\&}
		expr+=(-e "s|@$k@|$v|g")
	done
	sed "${expr[@]}" "$in" >"$out"
}

# py_tap SCRIPT ARGS...: run a checker of tests/lib that prints "ok - ..." / "not ok - ..."
# lines (and "#" details), and number its checks; a checker that prints none is one failure.
py_tap() {
	local script=$1 line n=0
	shift
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }"; n=$((n + 1)) ;;
		"not ok - "*) not_ok "${line#not ok - }"; n=$((n + 1)) ;;
		*) echo "$line" ;;
		esac
	done < <("$MS_PY" "$MS_LIB/$script" "$@" 2>&1)
	[ "$n" -gt 0 ] || not_ok "$script $* printed no result"
}

# xlsx_check FILE.xlsx ARGS...: tests/lib/xlsx_check.py (openpyxl): rows, expected cells and,
# with --strict, every cell against the Medimail rules (loadusers_rules.py).
xlsx_check() {
	py_tap xlsx_check.py "$@"
}

# findings_check OUTPUT EXPECTED.tsv [--sub NAME=VALUE...] [--label TEXT]: the findings that
# a plan or apply printed are exactly those of EXPECTED.tsv (tests/lib/findings_check.py).
findings_check() {
	py_tap findings_check.py "$@"
}

# summary_count FILE ROW TYPE: the count in the plan/apply summary table, e.g.
#                  PER    INT    ORG    MED   total
#     create         8      2      4      4      18
# summary_count out create PER -> 8 (empty when not found).
summary_count() {
	awk -v row="$2" -v type="$3" '
		/(^|[[:space:]])PER([[:space:]]|$)/ && /(^|[[:space:]])MED([[:space:]]|$)/ {
			n = split($0, h); col = 0
			for (i = 1; i <= n; i++) if (h[i] == type) col = i
			off = n; next
		}
		col && $1 == row { print $(col + (NF - off)); exit }' "$1"
}

# loadusers_written: the loadusers file that the last ms_run of apply printed ("wrote PATH"),
# empty when it wrote none.
loadusers_written() {
	sed -n 's/^wrote \(.*\/loadusers-[^/]*\.\(xlsx\|csv\)\)$/\1/p' "$MS_OUT" | head -1
}

# loadusers_without DIR REGEX DESC [EXCEPT]: ok when no loadusers file of DIR (but the file
# EXCEPT) has a row whose address matches the extended REGEX; otherwise names the files.
loadusers_without() {
	local f bad=
	for f in "$1"/loadusers-*.xlsx; do
		[ -e "$f" ] && [ "$f" != "${4:-}" ] || continue
		"$MS_PY" "$MS_LIB/xlsx_check.py" "$f" --dump | cut -f1 | grep -qE "$2" &&
			bad+=" ${f##*/}"
	done
	if [ -z "$bad" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "rows matching /$2/ in:$bad"
	fi
}

# state_dump DB: the SQL dump of a state file, to compare "before" and "after" a failed run
# (the bytes of the file may change when SQLite checkpoints its WAL; the content may not).
state_dump() {
	"$MS_PY" -c 'import sqlite3,sys; print("\n".join(sqlite3.connect(sys.argv[1]).iterdump()))' "$1"
}
