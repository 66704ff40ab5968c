#!/bin/sh
# build-deb.sh - build the Debian package from a source tree or a "make dist" tarball.
#
#   packaging/build-deb.sh [SOURCE] [OUTDIR] [-- DPKG-BUILDPACKAGE-OPTIONS...]
#
# SOURCE: a source tree (default: the one holding this script) or medimail-sync-*.tar.xz;
# OUTDIR: where the .deb and .buildinfo/.changes go (default: the current directory).
# The tree is copied to a temporary directory and packaging/debian to debian/ there, so the
# source tree itself is never touched. Extra options go to dpkg-buildpackage (default -us -uc -b).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/..}
out=$(mkdir -p "${2:-.}" && cd "${2:-.}" && pwd)
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- -us -uc -b

work=$(mktemp -d "${TMPDIR:-/tmp}/medimail-sync-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/medimail-sync"
if [ -f "$src" ]; then
	tar -xf "$src" -C "$work/medimail-sync" --strip-components=1
elif [ -d "$src/.git" ]; then
	# The files git knows, as they are in the working tree (tracked and untracked, not ignored).
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ ! -e "$f" ] || cp --parents -a "$f" "$0"; done' \
			"$work/medimail-sync")
else
	cp -a "$src/." "$work/medimail-sync"
fi
rm -rf "$work/medimail-sync/debian"
cp -a "$work/medimail-sync/packaging/debian" "$work/medimail-sync/debian"
(cd "$work/medimail-sync" && dpkg-buildpackage "$@")
for f in "$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && cp "$f" "$out/"
done
ls -1 "$out"/medimail-sync*.deb
