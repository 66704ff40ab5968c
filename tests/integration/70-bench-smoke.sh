#!/bin/bash
# 70-bench-smoke: the benchmark (tests/bench/run-bench.sh) at N = 2,000, one run of each step:
# checks that every step completes (exit 0 or 4); never asserts a timing.
exec "$(dirname "$0")/../bench/run-bench.sh" --smoke
