# build.sh - shared by tests/test-all.sh and tests/try-it.sh: install the Debian 12 packages,
# stop the daemons their install may start, and build out of tree.
#
#   ms_install_packages        apt-get install what is missing (nothing when all is there)
#   ms_stop_packaged_daemons   stop a packaged slapd/samba started by the install
#   ms_build DIR [CONFIGURE-ARGS...]   autoreconf (once) + configure in DIR + make

MS_PACKAGES="autoconf automake libtool pkg-config build-essential libldap-dev libxlsxwriter-dev
libconfuse-dev libsqlite3-dev libcmocka-dev libjansson-dev libsasl2-dev libzip-dev libexpat1-dev
libfreexl-dev gettext
slapd ldap-utils samba samba-ad-provision samba-dsdb-modules samba-vfs-modules ldb-tools
krb5-user libsasl2-modules-gssapi-mit openssl
python3 python3-openpyxl python3-ldap3 jq valgrind man-db groff-base systemd bash-completion
curl unzip
clang libclang-rt-14-dev"

ms_log() {
	printf '== %s\n' "$*" >&2
}

ms_install_packages() {
	local missing=() p
	for p in $MS_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages (run as root to install them): ${missing[*]}" >&2
		return 1
	fi
	ms_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# slapd's and krb5's postinst ask questions: preseed harmless answers
	echo "slapd slapd/no_configuration boolean true" | debconf-set-selections 2>/dev/null || true
	echo "krb5-config krb5-config/default_realm string TEST.LAN" |
		debconf-set-selections 2>/dev/null || true
	apt-get update -qq >&2 || return 1
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || return 1
	ms_stop_packaged_daemons
}

ms_stop_packaged_daemons() {
	local s
	# only the system's own daemons, through their init scripts (never our private servers)
	if [ -s /var/run/slapd/slapd.pid ] && [ -x /etc/init.d/slapd ]; then
		/etc/init.d/slapd stop >/dev/null 2>&1 || true
	fi
	for s in samba-ad-dc smbd nmbd winbind; do
		if [ -x "/etc/init.d/$s" ] && /etc/init.d/"$s" status >/dev/null 2>&1; then
			/etc/init.d/"$s" stop >/dev/null 2>&1 || true
		fi
	done
	return 0
}

# _ms_configured_with DIR ARGS...: DIR was configured with (at least) every one of ARGS
_ms_configured_with() {
	local have a
	have=" $("$1/config.status" --config 2>/dev/null | tr -d "'") "
	shift
	for a in "$@"; do
		case $have in *" $a "*) ;; *) return 1 ;; esac
	done
	return 0
}

# ms_build DIR [CONFIGURE-ARGS...]: out-of-tree build of $MS_SRC in DIR (configured again when
# it was not with one of ARGS)
ms_build() {
	local dir=$1
	shift
	if [ ! -x "$MS_SRC/configure" ] || [ "$MS_SRC/configure.ac" -nt "$MS_SRC/configure" ] ||
		[ "$MS_SRC/Makefile.am" -nt "$MS_SRC/Makefile.in" ]; then
		ms_log "autoreconf -fi"
		(cd "$MS_SRC" && autoreconf -fi) >&2 || return 1
	fi
	mkdir -p "$dir" || return 1
	if [ ! -f "$dir/Makefile" ] || [ "$MS_SRC/configure" -nt "$dir/config.status" ] ||
		! _ms_configured_with "$dir" "$@"; then
		ms_log "configure $* (in $dir)"
		(cd "$dir" && "$MS_SRC/configure" -q "$@") >&2 || return 1
	fi
	ms_log "make (in $dir)"
	make -C "$dir" -j"${MS_JOBS:-2}" >&2 || return 1
}
