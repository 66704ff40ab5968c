#!/bin/bash
# 30-validate.sh - "medimail-sync validate FILE": exit codes, the exact findings of a file with
# 20 planted errors (as CSV, and as XLSX and XLS saved by LibreOffice), and robustness (open
# quote, binary junk, wrong widths, damaged and hostile spreadsheets, a 100 MB file).
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
t "20 planted errors and the LF of line 2: the count line says 21 errors" \
	grep -q ' 21 errors, 0 warnings' "$tmp/out"

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

# Spreadsheets saved by LibreOffice (tests/fixtures/validate/README, convert.sh). Positions are
# rows: the record of CSV lines 2-3 is row 2, so CSV line N > 3 is row N - 1.
awk -F'\t' -v OFS='\t' '{ if ($1 > 3) $1 = $1 - 1; print }' "$fix/planted-20.expected" |
	sort >"$tmp/want-rows"
sort "$fix/planted-20-numbers.expected" >"$tmp/want-numbers"
for ext in xlsx xls; do
	run "$fix/planted-20.$ext"
	t "$ext, columns as text: exit 4" test "$rc" -eq 4
	findings "$fix/planted-20.$ext" >"$tmp/got"
	t "$ext, columns as text: the 20 planted errors (column, rule) on their rows" \
		diff -u "$tmp/want-rows" "$tmp/got"
	t "$ext, columns as text: the count line says 21 errors" \
		grep -q ' 21 rows, 21 errors, 0 warnings' "$tmp/out"
	t "$ext: a duplicate address names the row of the first" \
		grep -q 'already used on row 5 ' "$tmp/out"

	run "$fix/planted-20-numbers.$ext"
	t "$ext, numbers and dates: exit 4" test "$rc" -eq 4
	findings "$fix/planted-20-numbers.$ext" >"$tmp/got"
	t "$ext, numbers and dates: the 20 errors listed by hand" \
		diff -u "$tmp/want-numbers" "$tmp/got"

	run "$fix/clean-numbers.$ext"
	t "$ext, clean file saved with numbers: leading zeros restored, one finding" \
		test "$(findings "$fix/clean-numbers.$ext")" = \
		"$(printf '2\tDate de péremption\tdate-century')"
	t "$ext, clean file saved with numbers: 8 rows, exit 4" \
		eval 'grep -q " 8 rows, 1 errors, 0 warnings" "$tmp/out" && [ "$rc" -eq 4 ]'
done

# The format is the content's: a CSV named .xlsx is read as CSV
cp "$fix/clean.csv" "$tmp/clean.xlsx"
run "$tmp/clean.xlsx"
t "a CSV named .xlsx: read as CSV, exit 0" test "$rc" -eq 0

# Files that are no loadusers spreadsheet: no crash, exit 2, one line naming the file (in an
# ASan build, libfreexl's child process may print a sanitizer report too: not counted)
sheetfix=$MS_SRC/tests/fixtures/sheet
for f in truncated.xlsx not-xlsx.zip no-workbook.xls truncated.xls opendocument.ods dtd.xlsx \
	styles-bomb.xlsx; do
	run "$sheetfix/$f"
	t "$f: exit 2" test "$rc" -eq 2
	t "$f: one line on stderr naming the file" \
		eval '[ "$(grep -c "^medimail-sync: " "$tmp/err")" -eq 1 ] &&
			grep -q "^medimail-sync: $sheetfix/$f: " "$tmp/err"'
done
run "$sheetfix/truncated.xlsx"
t "truncated XLSX: says the archive is damaged or truncated" \
	grep -q 'ZIP archive is damaged or truncated' "$tmp/err"
run "$sheetfix/no-workbook.xls"
t "OLE2 file without a Workbook stream: says so" grep -q 'without a Workbook stream' "$tmp/err"
# an XLS on which libfreexl reads out of bounds (found by fuzzing): it runs in a child process,
# whose sanitizer report (ASan build only) may come before our one line
run "$MS_SRC/tests/fuzz/corpus/sheet_xls/regress-libfreexl-iconv-overread.xls"
t "XLS that makes libfreexl read out of bounds: exit 2, one line naming the file" \
	eval '[ "$rc" -eq 2 ] && [ "$(grep -c "^medimail-sync: " "$tmp/err")" -eq 1 ] &&
		grep -q "^medimail-sync: .*-iconv-overread.xls: not a readable XLS file" "$tmp/err"'
# 12 KB whose worksheet claims 301,989,888 rows of no column (found by fuzzing): libfreexl
# takes the claim, and every empty row went through the pipe (4 s of CPU, 2.4 GB); now refused
# before the first row, as beyond the format's 65536 rows and 256 columns
run "$MS_SRC/tests/fuzz/corpus/sheet_xls/regress-dimensions-302m-rows.xls"
t "XLS claiming 301989888 rows: exit 2, one line: the claimed dimensions and the format's" \
	eval '[ "$rc" -eq 2 ] && [ "$(grep -c "^medimail-sync: " "$tmp/err")" -eq 1 ] &&
		grep -q "^medimail-sync: .*-302m-rows.xls: not a readable XLS file: its worksheet claims 301989888 rows and 0 columns, more than the format.s 65536 and 256" "$tmp/err"'
run "$sheetfix/random.bin"
t "random bytes: exit 2" test "$rc" -eq 2
t "random bytes: one line naming the file: not a loadusers header" \
	eval '[ "$(wc -l <"$tmp/out")" -eq 1 ] &&
		grep -q "^$sheetfix/random.bin:1: -: csv-header: not a loadusers header" "$tmp/out"'
run "$tmp/empty.csv"
t "empty file: one line naming the file" \
	eval '[ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -q "^$tmp/empty.csv:1: .*empty file" "$tmp/out"'
run "$tmp/no-such-file.xlsx"
t "missing file: exit 1, one line naming the file" \
	eval '[ "$rc" -eq 1 ] &&
		grep -q "^medimail-sync: $tmp/no-such-file.xlsx: No such file" "$tmp/err"'

# issue 17: a 1 MB cell is reported with its real length (the reader keeps 131072 bytes of
# it); control characters (C0, C1, DEL, CR and LF in a quoted cell) are refused in any cell
"${MS_PY:-/usr/bin/python3}" - "$fix/clean.csv" "$tmp/hostile.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
row = lines[1].split(";")
out = [lines[0]]
def variant(mail, col, value):
    r = list(row)
    r[0], r[col] = mail, value
    out.append(";".join(r))
variant("big@chu-exemple.fr", 6, "\u00e9" * 1000000)
variant("c0@chu-exemple.fr", 2, "Je\x01an")
variant("c1@chu-exemple.fr", 2, "Je\u0085an")
variant("del@chu-exemple.fr", 2, "Je\x7fan")
variant("crlf@chu-exemple.fr", 7, '"1 rue\r\nB"')
open(sys.argv[2], "w", encoding="utf-8", newline="").write("\n".join(out) + "\n")
PY
run "$tmp/hostile.csv"
t "1 MB cell: exit 4" test "$rc" -eq 4
t "1 MB cell: its real length, 1000000 characters, is reported" \
	grep -q "^$tmp/hostile.csv:2: Service de rattachement: cell-too-long: .* holds 1000000 characters" "$tmp/out"
t "control characters: C0, C1, DEL and CR LF are each refused (control-character)" \
	eval '[ "$(grep -c ": control-character: " "$tmp/out")" -eq 4 ] &&
		grep -q "^$tmp/hostile.csv:3: Prénom: control-character: .*U+0001" "$tmp/out" &&
		grep -q "^$tmp/hostile.csv:4: Prénom: control-character: .*U+0085" "$tmp/out" &&
		grep -q "^$tmp/hostile.csv:5: Prénom: control-character: .*U+007F" "$tmp/out" &&
		grep -q "^$tmp/hostile.csv:6: Adresse (1): control-character: .*U+000D" "$tmp/out"'

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
# the memory bound holds for the production build; sanitizers' shadow memory and valgrind's
# own memory (tests/valgrind/run-valgrind.sh) inflate the RSS
if [ "${MS_SANITIZED:-0}" != 1 ] && [ "${MS_VALGRIND:-0}" != 1 ]; then
	t "100 MB file: max RSS ${rss:-?} kB < 100 MB" test "${rss:-999999}" -lt 102400
fi

echo "1..$n"
