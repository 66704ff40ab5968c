#!/bin/bash
# 71-national-bench-smoke: the national directory benchmark (tests/bench/national-bench.sh) at
# 20,000 rows and 2,000 people, one run of each step: checks that every step completes; never
# asserts a timing.
exec "$(dirname "$0")/../bench/national-bench.sh" --smoke
