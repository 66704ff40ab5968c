# bench-lib.sh - helpers of the benchmark scripts (run-bench.sh, national-bench.sh), sourced
# after tests/lib/common.sh. They use $W (the work directory of the measure) and HAVE_TIME (0:
# /usr/bin/time is missing, the smoke modes then record zeros).

# median of a column of numbers on stdin
median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) print "nan";
		else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# timed REC CMD...: run CMD (stdin /dev/null, output to $W/last.out / last.err) under
# /usr/bin/time; append "wall cpu rss_kb exit" to REC. Returns CMD's exit status.
timed() {
	local rec=$1 rc e u s m
	shift
	if [ "$HAVE_TIME" = 1 ]; then
		/usr/bin/time -f '%e %U %S %M' -o "$W/time.out" "$@" >"$W/last.out" 2>"$W/last.err" </dev/null
		rc=$?
		read -r e u s m < <(tail -n 1 "$W/time.out")
	else
		"$@" >"$W/last.out" 2>"$W/last.err" </dev/null
		rc=$?
		e=0 u=0 s=0 m=0
	fi
	echo "$e $(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}') $m $rc" >>"$rec"
	return $rc
}

# medians STEP: the medians of $W/STEP.rec, "wall cpu rss_MB exits"
medians() {
	local rec=$W/$1.rec
	[ -s "$rec" ] || { echo "nan nan nan -"; return; }
	echo "$(cut -d' ' -f1 "$rec" | median) $(cut -d' ' -f2 "$rec" | median)" \
	     "$(cut -d' ' -f3 "$rec" | median | awk '{printf "%.1f", $1 / 1024}')" \
	     "$(cut -d' ' -f4 "$rec" | sort -u | paste -sd, -)"
}
