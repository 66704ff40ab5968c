#!/bin/sh
# tap-run.sh - how "make check" runs an integration script (Makefile.am, SH_LOG_COMPILER): under
# bash, stopped after MS_INTEGRATION_TIMEOUT seconds (default 900: exit 124, an error). A script
# whose server is not installed printed "1..0 # SKIP ..." and exits 77 (tests/lib/common.sh,
# need_server): automake's TAP driver takes any other status than 0 for an error, so 77 is
# passed on as 0 and the plan alone says "skipped".
timeout "${MS_INTEGRATION_TIMEOUT:-900}" bash "$@"
rc=$?
[ "$rc" -eq 77 ] && rc=0
exit "$rc"
