#!/bin/bash
# 51-man-options.sh - every configuration option of src/conf_opts.c (and every column key of the
# map section, src/columns.c) is documented in medimail-sync.conf(5); every command and every
# command-line option of src/main.c is documented in medimail-sync(8). One test per name, so
# the TAP log lists each undocumented one. Needs only the source tree ($MS_SRC).
. "$(dirname "$0")/../lib/common.sh"

man5=$MS_SRC/man/medimail-sync.conf.5
man8=$MS_SRC/man/medimail-sync.8

# terms MANPAGE: the words a page sets as terms: the arguments of the request lines (.B, .BR,
# .TP, .IP, .SS...) and of every \fB...\f span, one per line. A name only mentioned in running
# text does not count as documented.
terms() {
	sed -e 's/\\-/-/g' -e 's/\\(.[a-z]//g' -e 's/\\&//g' "$1" |
		awk '/^\.(B|BR|RB|BI|IB|TP|IP|SS|SH|It|Fl|Cm)( |$)/ { sub(/^\.[A-Za-z]+/, ""); print }
		     { s = $0
		       while ((i = index(s, "\\fB")) > 0) {
			       s = substr(s, i + 3); j = index(s, "\\f")
			       print (j ? substr(s, 1, j - 1) : s)
		       } }' |
		tr -s ' \t"=,;:()[]{}' '\n' | sed -e 's/^\.//' -e 's/\.$//' | grep -v '^$' | sort -u
}

# documented NAME TERMSFILE: NAME, or a dotted SECTION.NAME ending in it, is a term of the page.
documented() {
	grep -qxF -- "$1" "$2" || grep -qE -- "\\.${1//./\\.}\$" "$2"
}

for f in "$man5" "$man8" "$MS_SRC/src/conf_opts.c" "$MS_SRC/src/columns.c" "$MS_SRC/src/main.c"; do
	[ -f "$f" ] || bail "$f exists"
done
terms "$man5" >"$MS_TMP/terms5"
terms "$man8" >"$MS_TMP/terms8"

# Configuration options: the names in the option tables of src/conf_opts.c (its O_* macros, or
# libconfuse's CFG_* ones), then the map section's keys from the columns table. type-bal is not
# an option: bal-rule sections set it (conf_opts.c skips it in conf_option_names()).
grep -oE '\<(O_STR|O_LIST|O_INT|O_PCT|O_BOOL|O_SEC|CFG_STR|CFG_STR_LIST|CFG_INT|CFG_INT_LIST|CFG_BOOL|CFG_FLOAT|CFG_FLOAT_LIST|CFG_SEC|CFG_FUNC)\("[^"]+"' \
	"$MS_SRC/src/conf_opts.c" | sed 's/.*("//; s/"$//' >"$MS_TMP/conf-names"
sed -n 's/^[[:space:]]*{ *"[^"]*", *"\([a-z0-9-]*\)".*/\1/p' "$MS_SRC/src/columns.c" |
	grep -vx 'type-bal' >>"$MS_TMP/conf-names"
nconf=$(sort -u "$MS_TMP/conf-names" | wc -l)
[ "$nconf" -gt 40 ] || bail "found the option tables in src/conf_opts.c and src/columns.c ($nconf names)"
while read -r name; do
	if documented "$name" "$MS_TMP/terms5"; then
		ok "medimail-sync.conf(5) documents $name"
	else
		not_ok "medimail-sync.conf(5) documents $name"
	fi
done < <(awk '!seen[$0]++' "$MS_TMP/conf-names")

# Commands: the strcmp(cmd, "...") of src/main.c.
grep -oE 'strcmp\(cmd, "[a-z-]+"\)' "$MS_SRC/src/main.c" | sed 's/.*, "//; s/")//' |
	awk '!seen[$0]++' >"$MS_TMP/commands"
[ -s "$MS_TMP/commands" ] || bail "found the commands in src/main.c"
while read -r name; do
	result "$(documented "$name" "$MS_TMP/terms8"; echo $?)" "medimail-sync(8) documents command $name"
done <"$MS_TMP/commands"

# Command-line options: the struct option arrays of src/main.c, as --long (and -x when the
# option has a short form in a getopt string).
sed -n '/struct option [a-z_]*\[\] *=/,/};/p' "$MS_SRC/src/main.c" |
	sed -n "s/^[[:space:]]*{ *\"\([a-z0-9-]*\)\", *[a-z_]*, *NULL, *'\(.\)' *}.*/\1 \2/p" \
	>"$MS_TMP/options"
shorts=$(grep -oE 'getopt_long\([^"]*"[^"]*"' "$MS_SRC/src/main.c" | sed 's/.*"\(.*\)"/\1/' | tr -d '+:')
[ -s "$MS_TMP/options" ] || bail "found the struct option arrays in src/main.c"
while read -r long short; do
	result "$(documented "--$long" "$MS_TMP/terms8"; echo $?)" "medimail-sync(8) documents --$long"
	case $shorts in
	*"$short"*)
		result "$(documented "-$short" "$MS_TMP/terms8"; echo $?)" \
			"medimail-sync(8) documents -$short"
		;;
	esac
done <"$MS_TMP/options"

# Rules: every id of check_rules[] (src/check*.c) is listed in the RULES section of
# medimail-sync.conf(5) with its default severity (E error, W warning, OFF off).
sed -n '/check_rules\[\] = {/,/^};/p' "$MS_SRC"/src/check*.c |
	sed -n 's/.*= *{ *"\([a-z0-9-]*\)", *\(E\|W\|OFF\),.*/\1 \2/p' >"$MS_TMP/rules"
[ "$(wc -l <"$MS_TMP/rules")" -ge 60 ] || bail "found the rules of check_rules[] in src/check*.c"
sed -e 's/\\-/-/g' "$man5" | sed -n '/^\.SH RULES/,/^\.SH /p' >"$MS_TMP/rules-man"
while read -r id sev; do
	case $sev in E) word=error ;; W) word=warning ;; *) word=off ;; esac
	grep -qxF "\\fB$id\\fR ($word)" "$MS_TMP/rules-man"
	result $? "medimail-sync.conf(5) lists rule $id ($word)"
done <"$MS_TMP/rules"

done_testing
