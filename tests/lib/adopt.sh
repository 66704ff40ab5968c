# adopt.sh - what the adopt and reconcile tests share (tests/integration/31-adopt.sh,
# 32-reconcile.sh). Source it after common.sh and slapd.sh.

# adopt_setup: the sample hospital on a private slapd (stopped at exit) and its config; sets
# P (the people's base), D (the mail domain), E (the hand-made Medimail exports), OUT, STATE,
# CONF (written), and the clock (2024-06-10 10:00 UTC).
adopt_setup() {
	export MEDIMAIL_SYNC_NOW=1718013600
	P=ou=people,dc=chu-exemple,dc=fr
	D=chu-exemple.fr
	E=$MS_SRC/tests/fixtures/medimail-export
	sample_server
	OUT=$MS_TMP/out
	STATE=$MS_TMP/state.db
	CONF=$MS_TMP/medimail-sync.conf
	slapd_sample_conf "$CONF" "$OUT" "$STATE"
}

# adopt_leaver: after adopt_setup, departmentNumber "parti" disables a person (the config's
# disabled-filter), and plambert is given it: the export's departed person.
adopt_leaver() {
	mv "$CONF" "$CONF.in"
	sed -e 's|^\(\s*structure\s*=\s*"chu"\)|\1\n\tdisabled-filter = "(departmentNumber=parti)"|' \
		"$CONF.in" >"$CONF"
	grep -q 'disabled-filter' "$CONF" || bail "config edit"
	printf 'dn: uid=plambert,%s\nchangetype: modify\nadd: departmentNumber\ndepartmentNumber: parti\n' \
		"$P" >"$MS_TMP/leaver.ldif"
	slapd_modify "$MS_TMP/leaver.ldif" || bail "disable plambert"
}

# count JSON CATEGORY: a count of the --json summary of adopt or reconcile
count() {
	jq -r ".counts[\"$2\"]" "$1"
}
