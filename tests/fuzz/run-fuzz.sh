#!/bin/bash
# run-fuzz.sh - fuzz the harnesses of tests/fuzz with libFuzzer, each for SECONDS.
#
#   tests/fuzz/run-fuzz.sh [-t SECONDS] [-j PARALLEL] [-o DIR] [-s SEED] [NAME...]
#
# NAME: sheet_csv sheet_xlsx sheet_xls export ldif national conf template check state
# (default: all); SECONDS default $FUZZ_SECONDS, else 60; PARALLEL (harnesses at once)
# default 2, DIR default _build-fuzz in the source tree; SEED: libFuzzer's -seed (default: a
# new one each run). "make fuzz" runs it (FUZZ_SECONDS, FUZZ_JOBS); CI (tests/test-all.sh)
# runs every harness for 30 s with seed 1 from a new DIR, so that what it finds is found again
# by "run-fuzz.sh -s 1 -o NEWDIR". Needs clang and libclang-rt-14-dev (Debian 12, in
# MS_PACKAGES). "make check" replays the committed corpus.
#
# Builds DIR/fuzz_NAME with -fsanitize=fuzzer,address,undefined: DIR is configured with clang,
# the core library is made there, and each harness links it ("make fuzz-harnesses"). The
# corpus grows in DIR/corpus/NAME, seeded from tests/fuzz/corpus/NAME; a crash stops the
# harness and is saved as DIR/crashes/NAME-*. The last lines give, per harness, the inputs run,
# the coverage (edges, features), the corpus size, the crashes, and the faults of libfreexl's
# child processes that the harness survived (tests/fuzz/README; libFuzzer may
# still save those inputs in DIR/crashes as oom-*). Exit 1 when a harness crashed.
# To add what a run found to the committed corpus (only inputs with new coverage):
#   DIR/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME DIR/corpus/NAME
set -u
MS_SRC=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-60}
par=2
out=$MS_SRC/_build-fuzz
seed=
while getopts t:j:o:s: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	j) par=$OPTARG ;;
	o) out=$OPTARG ;;
	s) seed=$OPTARG ;;
	*) sed -n '2,22s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
names=${*:-sheet_csv sheet_xlsx sheet_xls export ldif national conf template check state}

if ! command -v clang >/dev/null; then
	echo "run-fuzz.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
mkdir -p "$out/crashes" "$out/corpus" || exit 1
out=$(cd "$out" && pwd)
for n in $names; do
	[ -f "$MS_SRC/tests/fuzz/fuzz_$n.c" ] || { echo "run-fuzz.sh: unknown harness $n" >&2; exit 2; }
done
# DIR is a build tree of its own: the core library (libmedimail.a, Makefile.am) compiled with
# libFuzzer's coverage and the sanitizers, then each harness linked with it (make
# fuzz-harnesses); the module lists are Makefile.am's.
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"
cflags+=" -fno-sanitize-recover=undefined"
if [ ! -f "$out/Makefile" ] || ! grep -q -e "-fsanitize=fuzzer-no-link" "$out/config.status" ||
	[ "$MS_SRC/configure" -nt "$out/config.status" ]; then
	[ -x "$MS_SRC/configure" ] || (cd "$MS_SRC" && autoreconf -fi) || exit 1
	(cd "$out" && "$MS_SRC/configure" -q CC=clang CFLAGS="$cflags" --disable-tests) || exit 1
fi
echo "== building fuzz_${names// /, fuzz_}" >&2
make -s -C "$out" -j"$par" libmedimail.a >&2 &&
	make -s -C "$out" fuzz-harnesses FUZZ_NAMES="$names" >&2 || exit 1

# fuzz NAME: one harness for secs seconds; its log in DIR/fuzz-NAME.log
fuzz() {
	local n=$1 opts=()
	[ -f "$MS_SRC/tests/fuzz/dict/$n.dict" ] && opts=(-dict="$MS_SRC/tests/fuzz/dict/$n.dict")
	[ "$n" = export ] && opts=(-dict="$MS_SRC/tests/fuzz/dict/sheet_csv.dict")
	mkdir -p "$out/corpus/$n"
	# the config's messages go to stderr: closed (-close_fd_mask=2; libFuzzer's output and
	# the sanitizers' reports still show). Not for the others: libfreexl's child processes
	# would then write their reports to files named .PID in the current directory.
	[ "$n" = conf ] && opts+=(-close_fd_mask=2)
	[ -n "$seed" ] && opts+=(-seed="$seed")
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
		"$out/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/crashes/$n-" "${opts[@]}" \
		"$out/corpus/$n" "$MS_SRC/tests/fuzz/corpus/$n" >"$out/fuzz-$n.log" 2>&1
	echo $? >"$out/fuzz-$n.rc"
}

running=0
for n in $names; do
	echo "== fuzzing $n for ${secs}s (log: $out/fuzz-$n.log)" >&2
	fuzz "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$par" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

status=0
printf '%-11s %12s %9s %8s %8s %7s %8s %s\n' harness runs exec/s cov ft corpus crashes \
	"in child"
for n in $names; do
	log=$out/fuzz-$n.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
	rc=$(cat "$out/fuzz-$n.rc")
	reports=$(grep -c '^SUMMARY: ' "$log")
	# libFuzzer stops at its first crash; every other report came from a child process of
	# libfreexl that the harness survived (tests/fuzz/README)
	crashes=$((rc == 0 ? 0 : 1))
	child=$((reports - crashes > 0 ? reports - crashes : 0))
	printf '%-11s %12s %9s %8s %8s %7s %8s %s\n' "$n" "${runs:-?}" "${eps:-?}" "${cov:-?}" \
		"${ft:-?}" "${corp:-?}" "$crashes" "$child"
	[ "$crashes" -eq 0 ] || status=1
done
exit $status
