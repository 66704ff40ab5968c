#!/bin/bash
# national-bench.sh - the benchmark of the national directory's index (issue 15; see
# tests/bench/README).
#
#   tests/bench/national-bench.sh [--runs R] [--rows N] [--plan P]
#   tests/bench/national-bench.sh --smoke      N = 20,000 rows, P = 2,000 people, 1 run each:
#                                               TAP only, for CI; never asserts a timing
#
# A synthetic activity extract of N rows (default 2,000,000) and its MSSanté extract are
# written by tests/fixtures/gen-extract.py (fixed seed), read once into the page cache, then
# each step is timed R times (default 5) with /usr/bin/time (wall, user+sys, peak RSS), each
# run right after one run of its baseline, and reported as medians:
#   build      "medimail-sync national index" with no index (built from the activity
#              extract), against its baseline: cut -d'|' -f1-17 EXTRACT > /dev/null
#   build+mss  the same with the MSSanté extract too, against cut -d'|' -f1-17 on both files
#   warm       "national index" again with the index up to date (checks, maps, exits), for
#              each configuration: the peak RSS a build adds is build's minus warm's
# With --plan P (the third target): gen-people.py --bench -n P loaded into a private slapd as
# in run-bench.sh, the extract generated with those people first (--from-ldif), and
# "medimail-sync plan" timed without the national-directory section, with it (its index warm,
# every row checked against it, the MSSanté addresses in the report: the target, with /
# without, in wall and in CPU time), and with it and four templates reading it (profession,
# spécialité, civilité d'exercice where the directory is silent, MSSanté adresse), in turn.
#
# Environment: MS_BIN (the binary; see tests/lib/common.sh), SLAPD_PORT / SLAPD_TLS_PORT,
# BENCH_OUT (the results file; default /tmp/medimail-sync-national-bench-DATE.txt),
# MS_KEEP_TMP=1 (keep the work directory: the extracts are about 0.8 GB at 2,000,000 rows).
# Output: TAP lines for every run ("ok N - ..."), the table as "# " lines, "1..N"; exit 0 when
# every run completed.
. "$(dirname "$0")/../lib/common.sh"

BENCH_DIR=$MS_SRC/tests/bench
GEN=$MS_SRC/tests/fixtures/gen-extract.py
GENP=$MS_SRC/tests/fixtures/gen-people.py
RUNS=5
ROWS=2000000
PLAN=0
SMOKE=0
ARGS="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1; RUNS=1; ROWS=20000; PLAN=2000 ;;
	--runs) RUNS=$2; shift ;;
	--rows) ROWS=$2; shift ;;
	--plan) PLAN=$2; shift ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "national-bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
BENCH_OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/medimail-sync-national-bench-$(date +%Y%m%d-%H%M%S).txt}
W=$MS_TMP/w
mkdir -p "$W"
TABLE=$MS_TMP/table.txt
: >"$TABLE"

need_bin
HAVE_TIME=1
if [ ! -x /usr/bin/time ]; then
	[ "$SMOKE" = 1 ] || bail "/usr/bin/time (package time) is needed"
	HAVE_TIME=0
fi
. "$BENCH_DIR/bench-lib.sh"     # median, timed, medians

# run_ok DESC RC [ACCEPTED...]: a TAP line; the command must exit with an accepted status
run_ok() {
	local desc=$1 rc=$2 a
	shift 2
	for a in "${@:-0}"; do
		[ "$rc" = "$a" ] && { ok "$desc (exit $rc)"; return 0; }
	done
	not_ok "$desc (exit $rc)"
	diag_file "$W/last.err"
	return 1
}

# step REC DESC CMD...: one timed run of CMD into $W/REC.rec, and its TAP line; the exit
# statuses accepted are those of $ACCEPT
ACCEPT=0
step() {
	local rec=$1 desc=$2
	shift 2
	timed "$W/$rec.rec" "$@"
	# shellcheck disable=SC2086
	run_ok "$desc" $? $ACCEPT
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'
}

# national_conf FILE INDEX [MSSANTE]: a configuration with only what "national index" needs
national_conf() {
	{
		echo "state-file = \"$W/state.db\""
		echo "directory \"none\" { ldif = \"/dev/null\" base = \"dc=none\" }"
		national_section "$2" "${3:-}"
	} >"$1"
}

national_section() {
	echo "national-directory {"
	echo "	extract = \"$W/PS_LibreAcces_Personne_activite_*.txt\""
	[ -n "$2" ] && echo "	mssante-extract = \"$W/Extraction_Correspondance_MSSante_*.txt\""
	echo "	index = \"$1\""
	echo "	max-age = 0"
	echo "}"
}

# --- the plan step's directory (first: the extract lists its people) -------------------------
if [ "$PLAN" -gt 0 ]; then
	. "$MS_LIB/slapd.sh"
	export SLAPD_READER_LIMIT=unlimited
	at_exit slapd_stop
	"$MS_PY" "$GENP" --bench -n "$PLAN" >"$W/dir.ldif"
	result $? "gen-people.py --bench -n $PLAN" || done_testing
	maxsize=$(( (PLAN / 50000 + 2) * 1073741824 ))
	slapd_setup "$W/ldap" &&
	printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\nreplace: olcDbMaxSize\nolcDbMaxSize: %s\n-\n' \
		"$maxsize" >"$W/maxsize.ldif" &&
	slapmodify -q -n0 -F "$SLAPD_DIR/slapd.d" -l "$W/maxsize.ldif" >>"$SLAPD_DIR/setup.log" 2>&1 &&
	slapadd -q -F "$SLAPD_DIR/slapd.d" -b "$SLAPD_SUFFIX" -l "$W/dir.ldif" >>"$SLAPD_DIR/setup.log" 2>&1 &&
	slapd_start
	result $? "slapd loaded with $PLAN people" || { diag_file "$SLAPD_DIR/setup.log"; done_testing; }
fi

# --- the extracts ---------------------------------------------------------------------------
EXTRACT=$W/PS_LibreAcces_Personne_activite_202501010000.txt
MSS=$W/Extraction_Correspondance_MSSante_202501010000.txt
listed=()
[ "$PLAN" -gt 0 ] && listed=(--from-ldif "$W/dir.ldif" --ldif-mssante 40)
t0=$(date +%s.%N)
"$MS_PY" "$GEN" -n "$ROWS" --seed 20241201 --extract "$EXTRACT" --mssante "$MSS" "${listed[@]}"
rc=$?
t1=$(date +%s.%N)
result $rc "gen-extract.py -n $ROWS: $(($(wc -l <"$EXTRACT") - 1)) rows ($(du -m "$EXTRACT" | cut -f1) MB)," \
	"MSSanté $(($(wc -l <"$MSS") - 1)) rows, in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", b - a}') s" ||
	done_testing
cat "$EXTRACT" "$MSS" >/dev/null        # in the page cache, as for the baseline
national_conf "$W/x.conf" "$W/x.idx"
national_conf "$W/b.conf" "$W/b.idx" mss
"$MS_BIN" -c "$W/x.conf" national index >"$W/first.out" 2>&1
run_ok "warm-up build: $(head -1 "$W/first.out")" $?

# --- build and warm, each after its baseline --------------------------------------------------
for ((r = 1; r <= RUNS; r++)); do
	step base_build "baseline cut, run $r" cut -d'|' -f1-17 "$EXTRACT"
	rm -f "$W/x.idx"
	step build "build from the extract, run $r" "$MS_BIN" -c "$W/x.conf" national index
	step warm "index up to date, run $r" "$MS_BIN" -c "$W/x.conf" national index
	step base_buildmss "baseline cut on both files, run $r" cut -d'|' -f1-17 "$EXTRACT" "$MSS"
	rm -f "$W/b.idx"
	step buildmss "build from both extracts, run $r" "$MS_BIN" -c "$W/b.conf" national index
	step warmmss "index of both up to date, run $r" "$MS_BIN" -c "$W/b.conf" national index
done
grep -q "up to date" "$W/last.out"
result $? "the last run found the index up to date"
cp "$W/last.out" "$W/index.out"

# --- plan with and without the national directory ---------------------------------------------
if [ "$PLAN" -gt 0 ]; then
	subst_conf "$BENCH_DIR/bench.conf.in" "$W/plan-without.conf" "URI=$SLAPD_URI" \
		"PWFILE=$SLAPD_READER_PWFILE" "STATE=$W/plan-state.db" "OUTDIR=$W/out"
	# with: the same run, the section added (every row checked against the national
	# directory, the MSSanté addresses in the report)
	{
		cat "$W/plan-without.conf"
		national_section "$W/b.idx" mss | sed 's|^\tmax-age = 0$|&\n\tmssante-domains = { "medecin.mssante.fr" }|'
	} >"$W/plan-with.conf"
	# fill: besides, templates reading the national directory where the directory is silent
	# (the bench directory fills profession and spécialité: a look-up and little more) and
	# the MSSanté adresse from it
	sed -e 's|^\tprofession  *= .*|\tprofession = "{medimailProfession\|\|national:profession}"|' \
	    -e 's|^\tspecialite  *= .*|\tspecialite = "{medimailSpecialite\|\|national:specialite}"\n\tmssante-adresse = "{national:mssante-local}"|' \
	    -e 's|^\tcivilite-exercice  *= .*|\tcivilite-exercice = "{medimailCiviliteExercice\|\|national:civilite-exercice}"|' \
		"$W/plan-with.conf" >"$W/plan-fill.conf"
	[ "$(grep -c 'national:' "$W/plan-fill.conf")" = 4 ]
	run_ok "the fill configuration reads the national directory in 4 templates" $?
	mkdir -p -m 0700 "$W/out"
	"$MS_BIN" -c "$W/plan-with.conf" national index >/dev/null 2>&1
	run_ok "index for the plan step" $?
	"$MS_BIN" -c "$W/plan-without.conf" plan >/dev/null 2>&1    # warm-up (slapd's cache)
	ACCEPT="0 4"        # 4: completed with rejected entries (the bench directory has one)
	for ((r = 1; r <= RUNS; r++)); do
		for conf in without with fill; do
			rm -rf "$W/plan-state.db" "$W/out" && mkdir -m 0700 "$W/out"
			step "plan_$conf" "plan $conf the national directory, run $r" \
				"$MS_BIN" -c "$W/plan-$conf.conf" plan
		done
	done
	# the runs with the national directory checked the rows and found no one to reject
	"$MS_BIN" -c "$W/plan-fill.conf" plan >"$W/fill.out" 2>&1
	grep -q "rows checked: 0 with a number not in the extract, 0 with the names of another holder, 0 with another profession" "$W/fill.out"
	run_ok "plan with the national directory: $(grep -o '[0-9]* rows checked' "$W/fill.out"), none absent or of another holder" $?
fi

# --- report ---------------------------------------------------------------------------------
{
	echo "national directory: $(($(wc -l <"$EXTRACT") - 1)) rows" \
	     "($(du -m "$EXTRACT" | cut -f1) MB), MSSanté $(($(wc -l <"$MSS") - 1)) rows" \
	     "($(du -m "$MSS" | cut -f1) MB); $RUNS run(s) each, medians; $(nproc) cores;" \
	     "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '%-28s %8s %8s %8s %8s %8s %7s %6s\n' step wall_s cpu_s rss_MB base_s x_base \
		target exit
	for step in build warm buildmss warmmss; do
		case $step in
		build) label="build (extract)"; base=base_build; target="<=2" ;;
		warm) label="index up to date"; base=; target=- ;;
		buildmss) label="build (+ MSSante extract)"; base=base_buildmss; target="<=2" ;;
		warmmss) label="up to date (+ MSSante)"; base=; target=- ;;
		esac
		read -r w c m x <<<"$(medians $step)"
		bw=- xb=-
		if [ -n "$base" ]; then
			read -r bw _ <<<"$(medians $base)"
			xb=$(ratio "$w" "$bw")
		fi
		printf '%-28s %8s %8s %8s %8s %8s %7s %6s\n' "$label" "$w" "$c" "$m" "$bw" "$xb" \
			"$target" "$x"
	done
	read -r _ _ mb _ <<<"$(medians build)"
	read -r _ _ mw _ <<<"$(medians warm)"
	read -r _ _ mbm _ <<<"$(medians buildmss)"
	read -r _ _ mwm _ <<<"$(medians warmmss)"
	echo "peak RSS added by a build (target <= 100 MB): extract" \
	     "$(awk -v a="$mb" -v b="$mw" 'BEGIN {printf "%.1f", a - b}') MB," \
	     "with the MSSanté extract $(awk -v a="$mbm" -v b="$mwm" 'BEGIN {printf "%.1f", a - b}') MB"
	sed 's/^/index: /' "$W/index.out"
	if [ "$PLAN" -gt 0 ]; then
		read -r w c m x <<<"$(medians plan_without)"
		read -r w2 c2 m2 x2 <<<"$(medians plan_with)"
		read -r w3 c3 m3 x3 <<<"$(medians plan_fill)"
		printf '%-28s %8s %8s %8s %8s %8s %7s %6s\n' "plan, $PLAN people" "$w" "$c" "$m" - - \
			- "$x"
		printf '%-28s %8s %8s %8s %8s %8s %7s %6s\n' "plan + national directory" "$w2" \
			"$c2" "$m2" "$w" "$(ratio "$w2" "$w")" "<=1.10" "$x2"
		printf '%-28s %8s %8s %8s %8s %8s %7s %6s\n' "  + 4 templates reading it" "$w3" \
			"$c3" "$m3" "$w" "$(ratio "$w3" "$w")" - "$x3"
		echo "plan's CPU time with / without the national directory (target <= 1.10):" \
		     "$(ratio "$c2" "$c"), with 4 templates reading it $(ratio "$c3" "$c")"
	fi
	echo
} | tee -a "$TABLE" | sed 's/^/# /'
if [ "$SMOKE" = 0 ]; then
	{
		echo "# medimail-sync national directory benchmark: tests/bench/national-bench.sh $ARGS"
		echo "# binary: $MS_BIN ($("$MS_BIN" --version 2>/dev/null))"
		cat "$TABLE"
	} >"$BENCH_OUT"
	diag "results written to $BENCH_OUT"
fi
done_testing
