#!/bin/bash
# 50-packaging.sh - "make install DESTDIR=..." puts every file in place; the installed systemd
# units pass "systemd-analyze verify"; the bash completion parses. Cheap and CI-safe: no root,
# no package build (packaging/build-deb.sh and the RPM spec are proved by hand, see
# packaging/README).
. "$(dirname "$0")/../lib/common.sh"

dest=$MS_TMP/dest

# mkvar NAME: the fully expanded value of a make variable of the build tree.
mkvar() {
	make -s --no-print-directory -C "$MS_BUILD" -f Makefile \
		-f <(printf 'ms-print-%%:\n\t@echo $(%s)\n' '$*') "ms-print-$1"
}

[ -f "$MS_BUILD/Makefile" ] || bail "$MS_BUILD/Makefile exists (configure first)"
if make -C "$MS_BUILD" install DESTDIR="$dest" >"$MS_TMP/install.log" 2>&1; then
	ok "make install DESTDIR"
else
	not_ok "make install DESTDIR"
	diag "$(tail -n 20 "$MS_TMP/install.log")"
	done_testing
fi

sbindir=$(mkvar sbindir)
mandir=$(mkvar mandir)
sysconfdir=$(mkvar sysconfdir)
localstatedir=$(mkvar localstatedir)
datadir=$(mkvar datadir)
docdir=$(mkvar docdir)
unitdir=$(mkvar systemdsystemunitdir)
[ -n "$sbindir" ] && [ -n "$unitdir" ] || bail "read the installation paths from the Makefile"

bin=$dest$sbindir/medimail-sync
conf=$dest$sysconfdir/medimail-sync/medimail-sync.conf
completion=$dest$datadir/bash-completion/completions/medimail-sync
service=$dest$unitdir/medimail-sync.service
timer=$dest$unitdir/medimail-sync.timer

result "$([ -x "$bin" ]; echo $?)" "binary in $sbindir"
result "$([ -f "$dest$mandir/man8/medimail-sync.8" ]; echo $?)" "medimail-sync(8) in $mandir/man8"
result "$([ -f "$dest$mandir/man5/medimail-sync.conf.5" ]; echo $?)" \
	"medimail-sync.conf(5) in $mandir/man5"
result "$([ -f "$service" ] && [ -f "$timer" ]; echo $?)" "service and timer in $unitdir"
result "$([ -f "$completion" ]; echo $?)" "bash completion in $datadir/bash-completion/completions"
result "$([ -f "$conf" ]; echo $?)" "example configuration in $sysconfdir/medimail-sync"
[ -f "$conf" ] && is "$(file_mode "$conf")" 640 "configuration installed mode 0640"
result "$([ -f "$dest$docdir/examples/medimail-sync.conf" ] && [ -f "$dest$docdir/README" ]
	echo $?)" "README and examples in $docdir"
result "$([ -d "$dest$localstatedir/lib/medimail-sync" ]; echo $?)" \
	"state directory $localstatedir/lib/medimail-sync"

# A second install must keep an administrator's configuration.
if [ -f "$conf" ]; then
	echo "# edited by the admin" >>"$conf"
	make -C "$MS_BUILD" install DESTDIR="$dest" >"$MS_TMP/install2.log" 2>&1
	like "$conf" '^# edited by the admin' "make install keeps an existing configuration"
fi

# Units: configured paths substituted, no @placeholder@ left.
if [ -f "$service" ]; then
	unlike "$service" '@[a-z]+@' "service: every @path@ substituted"
	like "$service" "^ExecStart=$sbindir/medimail-sync -c $sysconfdir/medimail-sync/medimail-sync.conf --syslog apply\$" \
		"service: ExecStart with the configured paths"
	like "$service" "^ReadWritePaths=$localstatedir/lib/medimail-sync\$" \
		"service: ReadWritePaths is the state directory"
fi

# systemd-analyze verify needs ExecStart's binary at its real path: verify copies of the
# installed units that point into DESTDIR. Man pages are looked up in DESTDIR too.
if ! command -v systemd-analyze >/dev/null; then
	not_ok "systemd-analyze verify (systemd-analyze not found: install systemd)"
elif [ -f "$service" ] && [ -f "$timer" ]; then
	mkdir -p "$MS_TMP/units"
	sed "s|^ExecStart=$sbindir/|ExecStart=$dest$sbindir/|" "$service" \
		>"$MS_TMP/units/medimail-sync.service"
	cp "$timer" "$MS_TMP/units/medimail-sync.timer"
	out=$(MANPATH=$dest$mandir: SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
		"$MS_TMP/units/medimail-sync.service" "$MS_TMP/units/medimail-sync.timer" 2>&1)
	st=$?
	# verify exits 0 on some warnings: any line about our units is a failure too.
	if [ $st -eq 0 ] && ! grep -q 'medimail-sync\.\(service\|timer\)' <<<"$out"; then
		ok "systemd-analyze verify on the installed units"
	else
		not_ok "systemd-analyze verify on the installed units"
		diag "$out"
	fi
fi

if [ -f "$completion" ]; then
	check "bash -n on the completion" bash -n "$completion"
	# Load it and complete "medimail-sync ap" and "medimail-sync state f".
	if [ -f /usr/share/bash-completion/bash_completion ]; then
		got=$(bash -c '. /usr/share/bash-completion/bash_completion; . "$1"
			COMP_WORDS=(medimail-sync -l debug ap); COMP_CWORD=3
			COMP_LINE="medimail-sync -l debug ap"; COMP_POINT=${#COMP_LINE}
			_medimail_sync; echo "${COMPREPLY[*]}"
			COMP_WORDS=(medimail-sync state f); COMP_CWORD=2
			COMP_LINE="medimail-sync state f"; COMP_POINT=${#COMP_LINE}
			_medimail_sync; echo "${COMPREPLY[*]}"' _ "$completion" 2>&1)
		is "$got" $'apply\nforget' "completion: commands and state subcommands"
	fi
fi

# make uninstall removes what install added (the edited configuration stays).
make -C "$MS_BUILD" uninstall DESTDIR="$dest" >"$MS_TMP/uninstall.log" 2>&1
left=$(cd "$dest" && find . -type f ! -path "./${sysconfdir#/}/medimail-sync/medimail-sync.conf")
is "$left" "" "make uninstall removes every installed file but the edited configuration"

done_testing
