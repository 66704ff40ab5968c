#!/bin/bash
# 30-validate.sh - "medimail-sync validate FILE": exit codes, the exact findings of a file with
# 20 planted errors, and robustness (open quote, binary junk, wrong widths, a 100 MB file).
# Needs MS_BIN (the program) and MS_SRC (the source tree). Prints TAP.
set -u
: "${MS_BIN:?MS_BIN must name the medimail-sync binary}"
: "${MS_SRC:?MS_SRC must name the source directory}"
fix=$MS_SRC/tests/fixtures/validate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

t() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
	fi
}

# run FILE: output in $tmp/out, exit code in $rc; 120 s at most, a crash shows as rc >= 124
run() {
	timeout 120 "$MS_BIN" validate "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# LINE<TAB>HEADER<TAB>RULE of every finding printed for file $1
findings() {
	awk -v p="$1:" 'index($0, p) == 1 {
		rest = substr($0, length(p) + 1)
		if (split(rest, a, ": ") >= 4)
			print a[1] "\t" a[2] "\t" a[3]
	}' "$tmp/out" | sort
}

header() {
	head -n 1 "$fix/clean.csv"
}

run "$fix/clean.csv"
t "clean file: exit 0" test "$rc" -eq 0
t "clean file: no finding" test -z "$(findings "$fix/clean.csv")"

run "$fix/clean-cp1252-comma.csv"
t "Windows-1252, comma separated: exit 0" test "$rc" -eq 0
t "Windows-1252, comma separated: no finding" \
	test -z "$(findings "$fix/clean-cp1252-comma.csv")"

{ printf '\xef\xbb\xbf'; cat "$fix/clean.csv"; } >"$tmp/bom.csv"
run "$tmp/bom.csv"
t "UTF-8 with BOM: exit 0" test "$rc" -eq 0

run "$fix/planted-20.csv"
t "20 planted errors: exit 4" test "$rc" -eq 4
findings "$fix/planted-20.csv" >"$tmp/got"
sort "$fix/planted-20.expected" >"$tmp/want"
t "20 planted errors: exactly the expected line, column and rule" \
	diff -u "$tmp/want" "$tmp/got"
t "20 planted errors: the count line says 20 errors" grep -q ' 20 errors, 0 warnings' "$tmp/out"

{ header; sed -n 2p "$fix/clean.csv" | sed 's/;Jean;/;"Jean;/'; sed -n 4,5p "$fix/clean.csv"; } \
	>"$tmp/quote.csv"
run "$tmp/quote.csv"
t "open quote: exit 4, no crash" test "$rc" -eq 4
t "open quote: csv-quote reported on line 2" grep -q '^[^:]*:2: [^:]*: csv-quote:' "$tmp/out"

{
	header
	echo 'a;b;c'
	sed -n 2p "$fix/clean.csv" | sed 's/$/;x;y;z/'
	sed -n 3p "$fix/clean.csv"
} >"$tmp/width.csv"
run "$tmp/width.csv"
t "wrong column counts: exit 4" test "$rc" -eq 4
t "wrong column counts: two csv-columns findings" \
	test "$(grep -c ': -: csv-columns:' "$tmp/out")" -eq 2

head -c 100000 /dev/urandom >"$tmp/junk.bin"
run "$tmp/junk.bin"
t "binary junk: refused as not a loadusers file (exit 2)" test "$rc" -eq 2
{ header; head -c 100000 /dev/urandom; } >"$tmp/junk.csv"
run "$tmp/junk.csv"
t "header then binary junk: exit 4, no crash" test "$rc" -eq 4
t "header then binary junk: output bounded" test "$(wc -l <"$tmp/out")" -le 1002

: >"$tmp/empty.csv"
run "$tmp/empty.csv"
t "empty file: exit 2" test "$rc" -eq 2

{ header; for i in $(seq 1 1500); do echo "x$i;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;"; done; } \
	>"$tmp/many.csv"
run "$tmp/many.csv"
t "1500 bad rows: exit 4" test "$rc" -eq 4
t "1500 bad rows: at most 1000 findings printed, plus the total" \
	test "$(wc -l <"$tmp/out")" -le 1002
t "1500 bad rows: the total counts them all" grep -q ' 1500 rows, ' "$tmp/out"

# ~100 MB of valid rows with distinct addresses
{
	header
	tail -n +2 "$fix/clean.csv" | grep -v '"' | awk -v target=$((100 * 1024 * 1024)) '
		{ at = index($0, "@"); pre[NR] = substr($0, 1, at - 1)
		  post[NR] = substr($0, at); len[NR] = length($0) + 8 }
		END {
			for (i = 0; size < target; i++) {
				k = i % NR + 1
				print pre[k] "." i post[k]
				size += len[k]
			}
		}'
} >"$tmp/big.csv"
/usr/bin/time -v -o "$tmp/time" timeout 300 "$MS_BIN" validate "$tmp/big.csv" >"$tmp/out" 2>&1
rc=$?
t "100 MB file: finishes with exit 0" test "$rc" -eq 0
rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
# the memory bound holds for the production build; sanitizers' shadow memory inflates the RSS
if [ "${MS_SANITIZED:-0}" != 1 ]; then
	t "100 MB file: max RSS ${rss:-?} kB < 100 MB" test "${rss:-999999}" -lt 102400
fi

echo "1..$n"
