# examples.sh - run an example configuration of conf/ against a directory of its shape and fail
# on any finding and on any cell that breaks a rule. Source it after common.sh; used by
# tests/integration/61-examples.sh (OpenLDAP) and 41-ad-shapes.sh (Active Directory).
#
#   example_field NAME COL     column COL (1-5: conf script ldif rows types) of NAME's line of
#                              tests/fixtures/examples/examples.tsv
#   example_conf NAME OUT ARGS...
#                              conf/NAME with the test's state file and output directory
#                              ($MS_TMP/NAME/), plus the example_conf.py ARGS (--set, --replace)
#                              that point it at the test's server; the tables conf/*.tsv are
#                              copied next to OUT
#   example_check NAME CONF    check-config, plan and apply: no warning, no finding, no
#                              rejected entry; the loadusers file holds the rows and types of
#                              examples.tsv, every cell kept the rules (xlsx_check --strict);
#                              EXAMPLE_XLSX is that file (empty when none was written)

EXAMPLES_FIX=$MS_SRC/tests/fixtures/examples

example_field() {
	awk -F'\t' -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c; exit }' \
		"$EXAMPLES_FIX/examples.tsv"
}

example_conf() {
	local name=$1 out=$2 dir=$MS_TMP/${1%.conf} f
	shift 2
	mkdir -p "$dir/out" && chmod 0700 "$dir/out"
	for f in "$MS_SRC"/conf/*.tsv; do
		[ -e "$f" ] && cp "$f" "$(dirname "$out")/"
	done
	"$MS_PY" "$MS_LIB/example_conf.py" "$MS_SRC/conf/$name" "$out" \
		--set "state-file=\"$dir/state.db\"" --set "output.directory=\"$dir/out\"" "$@"
}

example_check() {
	local name=$1 conf=$2 rows types json x
	rows=$(example_field "$name" 4)
	types=$(example_field "$name" 5)
	json=$MS_TMP/${name%.conf}/plan.json
	if [ -z "$rows" ]; then
		not_ok "$name has a line in tests/fixtures/examples/examples.tsv"
		return
	fi
	ms_run -c "$conf" check-config
	exit_is 0 "$name: check-config"
	is "$(cat "$MS_ERR")" "" "$name: check-config prints no warning"
	ms_run -c "$conf" plan --json "$json"
	exit_is 0 "$name: plan exits 0 (nothing rejected)"
	unlike "$MS_OUT" '^(rejected|warning): ' "$name: plan reports no finding"
	is "$(jq -c '[.counts.errors, .counts.warnings, .counts.rejected, .counts.create]' \
		"$json" 2>&1)" "[0,0,0,$rows]" \
		"$name: plan --json: no error, no warning, nothing rejected, $rows to create"
	ms_run -c "$conf" apply
	exit_is 0 "$name: apply exits 0"
	x=$(loadusers_written)
	EXAMPLE_XLSX=$x
	if [ -n "$x" ] && [ -s "$x" ]; then
		xlsx_check "$x" --rows "$rows" --types "$types" --strict
	else
		not_ok "$name: apply wrote a loadusers XLSX"
		diag_file "$MS_OUT"
	fi
}
