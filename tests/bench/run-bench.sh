#!/bin/bash
# run-bench.sh - the performance benchmark of issue 9 (see tests/bench/README).
#
#   tests/bench/run-bench.sh [--runs R] [N...]   full table for each N (default 100000), R runs
#                                                 each (default 5), medians; a scaling table when
#                                                 more than one N is given
#   tests/bench/run-bench.sh --scaling            N = 10000 30000 100000 300000
#   tests/bench/run-bench.sh --smoke              N = 2000, 1 run each: TAP only, for CI; checks
#                                                 that every step completes (exit 0 or 4), never
#                                                 a timing
#
# For each N: gen-people.py --bench (5,000 groups, 500 ORG, nesting depth 4, one group of
# 20,000) loaded with slapadd into a private slapd (tests/lib/slapd.sh), then against that one
# server, each step timed with /usr/bin/time (wall, user+sys, peak RSS):
#   baseline   the ldapsearch command lines the tool logs at debug level (same URI, bind DN,
#              base, filter, attributes, -E pr=1000/noprompt), people then groups, to /dev/null
#   plan       on an empty state
#   apply1     first apply: fresh state and output directory each run (XLSX + state)
#   nochange   apply on a copy of the state apply1 left, nothing changed
#   churn      apply on a copy of that state after gen-people.py --churn 1 was applied with
#              ldapmodify; the directory is restored from a copy of its pristine mdb files
#              after each run (slapd stopped, files copied back, slapd started, warmed up)
# Each run of a step is preceded by one more run of the baseline searches; x_base is the
# step's median over the median of those adjacent baselines (base_s), so that the drift of a
# shared machine over the minutes of a benchmark does not bias the ratios.
# The tool binds as cn=reader (tests/lib/slapd.sh) with SLAPD_READER_LIMIT=unlimited, over
# plain ldap:// on loopback, with tests/bench/bench.conf.in; the baseline binds the same way.
#
# Environment: MS_BIN (the binary; see tests/lib/common.sh), SLAPD_PORT / SLAPD_TLS_PORT
# (default: the first free pair from 3890/6360), BENCH_OUT (the results file; default
# /tmp/medimail-sync-bench-DATE.txt), MS_KEEP_TMP=1 (keep the work directory).
# Output: TAP lines for every step ("ok N - ..."), the tables, "1..N"; exit 0 when every step
# completed.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"

BENCH_DIR=$MS_SRC/tests/bench
GEN=$MS_SRC/tests/fixtures/gen-people.py
RUNS=5
SMOKE=0
NS=()
ARGS="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1; RUNS=1; NS=(2000) ;;
	--scaling) NS=(10000 30000 100000 300000) ;;
	--runs) RUNS=$2; shift ;;
	--runs=*) RUNS=${1#--runs=} ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	[0-9]*) NS+=("$1") ;;
	*) echo "run-bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ ${#NS[@]} -gt 0 ] || NS=(100000)
export SLAPD_READER_LIMIT=unlimited
BENCH_OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/medimail-sync-bench-$(date +%Y%m%d-%H%M%S).txt}
TABLE=$MS_TMP/table.txt
SCALE=$MS_TMP/scale.txt
: >"$TABLE"
: >"$SCALE"

need_bin
HAVE_TIME=1
if [ ! -x /usr/bin/time ]; then
	[ "$SMOKE" = 1 ] || bail "/usr/bin/time (package time) is needed"
	HAVE_TIME=0         # the smoke test checks completion only
fi
. "$BENCH_DIR/bench-lib.sh"     # median, timed, medians

# near_baseline STEP RUN: the baseline searches once more, right before a run of STEP, into
# base_STEP.rec; the step's ratio is taken against these (a shared machine drifts over the
# minutes a step takes: a baseline measured at the start only would follow the drift)
near_baseline() {
	local rc
	timed "$W/base_$1.rec" bash "$W/searches.sh"
	rc=$?
	if [ $rc -eq 0 ]; then ok "N=$N baseline before $1 run $2"; else
		not_ok "N=$N baseline before $1 run $2 (exit $rc)"; diag_file "$W/last.err"; fi
}

# step_ok NAME RUN RC: a TAP line; 0 and 4 (rejected entries) are completions
step_ok() {
	case $3 in
	0|4) ok "N=$N $1 run $2 completes (exit $3)" ;;
	*) not_ok "N=$N $1 run $2 completes (exit $3)"; diag_file "$W/last.err" ;;
	esac
}

restore_directory() {
	slapd_stop &&
	rm -rf "$SLAPD_DIR/db" &&
	cp -a --sparse=always "$W/db.pristine" "$SLAPD_DIR/db" &&
	slapd_start &&
	bash -c "$BASE_PEOPLE" >/dev/null 2>&1      # warm up, as for the other steps
}

bench_one() {
	N=$1
	W=$MS_TMP/n$N
	mkdir -p "$W"
	local conf=$W/bench.conf r rc t0 t1 maxsize

	diag "N=$N: generating the directory and the 1 % churn"
	"$MS_PY" "$GEN" --bench -n "$N" >"$W/dir.ldif" &&
	"$MS_PY" "$GEN" --bench -n "$N" --churn 1 >"$W/churn.ldif"
	result $? "N=$N gen-people.py --bench (+ --churn 1)" || return 1

	# slapd_setup's maxsize is 1 GB: raise it (the map is virtual) before loading the data
	maxsize=$(( (N / 50000 + 2) * 1073741824 ))
	t0=$(date +%s.%N)
	slapd_setup "$W/ldap" &&
	printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\nreplace: olcDbMaxSize\nolcDbMaxSize: %s\n-\n' \
		"$maxsize" >"$W/maxsize.ldif" &&
	slapmodify -q -n0 -F "$SLAPD_DIR/slapd.d" -l "$W/maxsize.ldif" >>"$SLAPD_DIR/setup.log" 2>&1 &&
	slapadd -q -F "$SLAPD_DIR/slapd.d" -b "$SLAPD_SUFFIX" -l "$W/dir.ldif" >>"$SLAPD_DIR/setup.log" 2>&1 &&
	cp -a --sparse=always "$SLAPD_DIR/db" "$W/db.pristine" &&
	slapd_start
	rc=$?
	t1=$(date +%s.%N)
	result $rc "N=$N slapd loaded with slapadd ($(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s, $(du -sm "$SLAPD_DIR/db" | cut -f1) MB)" || {
		diag_file "$SLAPD_DIR/setup.log"
		return 1
	}
	subst_conf "$BENCH_DIR/bench.conf.in" "$conf" "URI=$SLAPD_URI" \
		"PWFILE=$SLAPD_READER_PWFILE" "STATE=$W/state.db" "OUTDIR=$W/out"

	# warm-up plan at debug level: it gives the tool's own search command lines
	mkdir -p "$W/out" && chmod 0700 "$W/out"
	"$MS_BIN" -c "$conf" -l debug plan >"$W/debug.out" 2>"$W/debug.err" </dev/null
	rc=$?
	sed -n 's/.*\(ldapsearch -LLL .*\)$/\1/p' "$W/debug.err" >"$W/searches.sh"
	BASE_PEOPLE=$(grep -m1 -F "'(objectClass=inetOrgPerson)'" "$W/searches.sh")
	if [ "$rc" -gt 4 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ] ||
	   [ -z "$BASE_PEOPLE" ]; then
		not_ok "N=$N warm-up plan -l debug logs its searches (exit $rc)"
		diag_file "$W/debug.err"
		return 1
	fi
	ok "N=$N warm-up plan -l debug logs its $(wc -l <"$W/searches.sh") searches"
	diag "$(cat "$W/searches.sh")"

	# baseline: the same searches with ldapsearch
	for ((r = 1; r <= RUNS; r++)); do
		timed "$W/baseline.rec" bash "$W/searches.sh"
		rc=$?
		if [ $rc -eq 0 ]; then ok "N=$N baseline ldapsearch run $r"; else
			not_ok "N=$N baseline ldapsearch run $r (exit $rc)"; diag_file "$W/last.err"; fi
	done

	# plan on an empty state
	for ((r = 1; r <= RUNS; r++)); do
		rm -rf "$W/state.db" "$W/out" && mkdir -m 0700 "$W/out"
		near_baseline plan "$r"
		timed "$W/plan.rec" "$MS_BIN" -c "$conf" plan
		step_ok plan "$r" $?
	done
	cp "$W/last.out" "$W/plan.summary"

	# first apply: fresh state and output directory
	for ((r = 1; r <= RUNS; r++)); do
		rm -rf "$W/state.db" "$W/out" && mkdir -m 0700 "$W/out"
		near_baseline apply1 "$r"
		timed "$W/apply1.rec" "$MS_BIN" -c "$conf" apply
		step_ok "first apply" "$r" $?
	done
	cp "$W/last.out" "$W/apply1.summary"
	[ -s "$W/state.db" ] && [ "$(count_files "$W/out" 'loadusers-*.xlsx')" = 1 ]
	result $? "N=$N first apply wrote the state and one XLSX file" || return 1
	cp "$W/state.db" "$W/state.after-apply1"

	# apply with no change
	for ((r = 1; r <= RUNS; r++)); do
		cp "$W/state.after-apply1" "$W/state.db" && rm -rf "$W/out" && mkdir -m 0700 "$W/out"
		near_baseline nochange "$r"
		timed "$W/nochange.rec" "$MS_BIN" -c "$conf" apply
		step_ok "no-change apply" "$r" $?
	done
	cp "$W/last.out" "$W/nochange.summary"

	# apply after 1 % churn; the directory restored after each run
	for ((r = 1; r <= RUNS; r++)); do
		ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" \
			-f "$W/churn.ldif" >"$W/churn.log" 2>&1
		rc=$?
		result $rc "N=$N churn LDIF applied ($(grep -c '^changetype' "$W/churn.ldif") changes)" || {
			diag_file "$W/churn.log"
			return 1
		}
		cp "$W/state.after-apply1" "$W/state.db" && rm -rf "$W/out" && mkdir -m 0700 "$W/out"
		near_baseline churn "$r"
		timed "$W/churn.rec" "$MS_BIN" -c "$conf" apply
		step_ok "apply after 1 % churn" "$r" $?
		cp "$W/last.out" "$W/churn.summary"
		restore_directory
		result $? "N=$N directory restored" || return 1
	done
	slapd_stop
	report_one
	rm -rf "$W/db.pristine" "$SLAPD_DIR/db"     # a 300k directory is a few GB
}

report_one() {
	local step label target bw nb w c m x row
	read -r bw _ <<<"$(medians baseline)"
	{
		echo "N=$N people, $(grep -c '^dn: cn=' "$W/dir.ldif") groups" \
		     "($(grep -c '^dn: cn=bal-' "$W/dir.ldif") ORG), $RUNS run(s) each, medians;" \
		     "$(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
		printf '%-24s %8s %8s %8s %8s %8s %7s %6s\n' step wall_s cpu_s rss_MB base_s \
			x_base target exit
		for step in baseline plan apply1 nochange churn; do
			case $step in
			baseline) label="baseline ldapsearch"; target=- ;;
			plan) label="plan (empty state)"; target="<=2" ;;
			apply1) label="first apply"; target="<=5" ;;
			nochange) label="apply, no change"; target="<=2" ;;
			churn) label="apply after 1% churn"; target=- ;;
			esac
			read -r w c m x <<<"$(medians $step)"
			nb=$bw
			[ "$step" = baseline ] || read -r nb _ <<<"$(medians base_$step)"
			printf '%-24s %8s %8s %8s %8s %8s %7s %6s\n' "$label" "$w" "$c" "$m" "$nb" \
				"$(awk -v a="$w" -v b="$nb" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')" \
				"$target" "$x"
		done
		echo "peak RSS target at 100,000 people: <= 150 MB"
		for step in plan apply1 nochange churn; do
			[ -s "$W/$step.summary" ] || continue
			printf '%-9s' "$step:"
			for row in create update unchanged expire rename rejected; do
				printf ' %s=%s' "$row" "$(summary_count "$W/$step.summary" $row total)"
			done
			echo
		done
		echo
	} | tee -a "$TABLE" | sed 's/^/# /'
	{
		printf '%s' "$N"
		for step in baseline plan apply1 nochange churn; do
			read -r w c m x <<<"$(medians $step)"
			printf ' %s %s' "$w" "$m"
		done
		echo
	} >>"$SCALE"
}

report_scaling() {
	[ "$(wc -l <"$SCALE")" -gt 1 ] || return 0
	awk '
	{ n[NR] = $1; for (i = 2; i <= NF; i++) v[NR, i] = $i; rows = NR }
	END {
		printf "time per person (microseconds, wall), by N\n"
		printf "%-8s %9s %9s %9s %9s %9s %10s\n", "N", "baseline", "plan", "apply1", \
			"nochange", "churn", "apply1_MB"
		for (r = 1; r <= rows; r++) {
			printf "%-8s", n[r]
			for (i = 2; i <= 10; i += 2) printf " %9.2f", v[r, i] * 1e6 / n[r]
			printf " %10s\n", v[r, 7]
			if (n[r] == 30000) a = r
			if (n[r] == 300000) b = r
		}
		if (a && b) {
			printf "%-8s", "300k/30k"
			for (i = 2; i <= 10; i += 2)
				printf " %9.2f", (v[b, i] / n[b]) / (v[a, i] / n[a])
			printf "   (target: plan, applies <= 1.3)\n"
		}
	}' "$SCALE" | tee -a "$TABLE" | sed 's/^/# /'
}

at_exit slapd_stop
diag "medimail-sync bench: $MS_BIN, N = ${NS[*]}, $RUNS run(s) each"
for n in "${NS[@]}"; do
	bench_one "$n" || diag "N=$n: stopped"
done
report_scaling
if [ "$SMOKE" = 0 ]; then
	{
		echo "# medimail-sync benchmark: tests/bench/run-bench.sh $ARGS"
		echo "# binary: $MS_BIN ($("$MS_BIN" --version 2>/dev/null))"
		cat "$TABLE"
	} >"$BENCH_OUT"
	diag "results written to $BENCH_OUT"
fi
done_testing
