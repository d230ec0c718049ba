#!/usr/bin/env bash
# Builds the static libraries the daemon images link (hack/images.sh): a
# minimal libcurl (HTTP and HTTPS only, mbedTLS, zlib) and libmicrohttpd
# without HTTPS, from Debian's source packages of the machine's own release,
# and caches them outside the repository keyed by the source versions, the
# configure flags and the compiler. A cached key is never rebuilt. mbedTLS,
# zlib, jansson and libyaml are Debian's own static libraries (libmbedtls-dev,
# zlib1g-dev, libjansson-dev, libyaml-dev; hack/deps.sh installs them).
# Prints the install prefix on stdout (lib/pkgconfig under it); progress goes
# to stderr. See docs/architecture.md, "The daemon images".
#
# Usage: hack/build-lean-deps.sh [--print-path]
#   --print-path  print the prefix the current key maps to, build nothing
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
elif [[ $# -gt 0 && $1 != --print-path ]]; then
	echo "build-lean-deps: unknown argument '$1' (try --help)" >&2
	exit 2
fi

die() {
	echo "build-lean-deps: $*" >&2
	exit 1
}

# Everything the libcurl of the images leaves out: only http and https, one
# TLS library (mbedTLS), zlib for gzip'd lists; no HTTP/2, IDN, PSL, LDAP,
# SSH, RTMP, brotli, zstd, cookies, NTLM, alt-svc, HSTS, DoH, MIME, netrc.
# Proxies stay (HTTPS_PROXY for out-of-cluster kubeconfigs).
curl_flags=(
	--disable-shared --enable-static --with-pic --disable-dependency-tracking
	--with-mbedtls --with-zlib
	--without-nghttp2 --without-libidn2 --without-libpsl --without-brotli --without-zstd
	--without-librtmp --without-libssh2 --without-libssh --without-libgsasl --without-gssapi
	--without-hyper --without-ca-bundle --without-ca-path --without-ca-fallback
	--disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict
	--disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp
	--disable-gopher --disable-mqtt --disable-manual --disable-libcurl-option
	--disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-unix-sockets --disable-cookies
	--disable-doh --disable-mime --disable-netrc --disable-alt-svc --disable-hsts
	--disable-websockets --disable-dnsshuffle --disable-progress-meter --disable-ares
	--enable-threaded-resolver --enable-ipv6 --disable-docs
)
mhd_flags=(
	--disable-shared --enable-static --with-pic --disable-dependency-tracking
	--disable-https --without-gnutls --disable-curl --disable-doc --disable-examples
	--disable-nls --disable-postprocessor --disable-dauth --disable-bauth --disable-httpupgrade
	--disable-sendfile
)
cflags="-Os -ffunction-sections -fdata-sections"

for f in /usr/lib/x86_64-linux-gnu/libmbedtls.a /usr/include/mbedtls/ssl.h /usr/lib/x86_64-linux-gnu/libz.a; do
	[[ -e $f ]] || die "$f is missing: run hack/deps.sh (libmbedtls-dev, zlib1g-dev)"
done
command -v dpkg-source >/dev/null || die "dpkg-source not found: run hack/deps.sh (dpkg-dev)"

# The versions of the machine's own packages: the sources are those.
curl_ver=$(dpkg-query -W -f='${source:Version}' libcurl4-openssl-dev 2>/dev/null) ||
	die "libcurl4-openssl-dev is not installed: run hack/deps.sh"
mhd_ver=$(dpkg-query -W -f='${source:Version}' libmicrohttpd-dev 2>/dev/null) ||
	die "libmicrohttpd-dev is not installed: run hack/deps.sh"
mbed_ver=$(dpkg-query -W -f='${Version}' libmbedtls-dev)
key=$( {
	printf '%s\n' "curl=$curl_ver" "mhd=$mhd_ver" "mbedtls=$mbed_ver" "$cflags"
	printf '%s\n' "${curl_flags[@]}" "${mhd_flags[@]}"
	cc --version | head -n1
} | sha256sum | cut -c1-16)
cache=${SC_CACHE_DIR:-$HOME/.cache/stoppablecontainer}
prefix=$cache/lean/$key

if [[ ${1:-} == --print-path ]]; then
	echo "$prefix"
	exit 0
fi
if [[ -e $prefix/lib/libcurl.a && -e $prefix/lib/libmicrohttpd.a ]]; then
	echo "build-lean-deps: cached in $prefix" >&2
	echo "$prefix"
	exit 0
fi

tmp=$cache/lean/$key.tmp.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)

# apt-get source, with a private copy of the machine's own apt sources turned
# into deb-src entries and private lists: the machine's apt state is not
# touched. The source tarballs are kept in the cache for the next key.
srcdir=$cache/lean/src
apt_dir=$tmp/apt
mkdir -p "$apt_dir"/{parts,lists/partial,cache/archives/partial} "$srcdir"
n=0
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
	sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt_dir/parts/$n.sources"
	n=$((n + 1))
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[[ -f $f ]] && sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" >"$apt_dir/parts/$n.list"
	n=$((n + 1))
done
shopt -u nullglob
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o APT::Sandbox::User=root)
fetch() { # SOURCE-PACKAGE VERSION
	[[ -e $srcdir/$1_$2.dsc ]] && return 0
	if [[ ! -e $apt_dir/updated ]]; then
		echo "build-lean-deps: reading the source indexes of the machine's apt sources..." >&2
		apt-get "${apt_opts[@]}" update -qq >&2 ||
			die "apt-get update of the deb-src entries failed"
		touch "$apt_dir/updated"
	fi
	(cd "$srcdir" && apt-get "${apt_opts[@]}" source --download-only -qq "$1=$2" >&2) ||
		die "apt-get source $1=$2 failed"
}
fetch curl "$curl_ver"
fetch libmicrohttpd "$mhd_ver"
t1=$(date +%s)

jobs=$(nproc)
# build NAME DSC LIBDIR INCLUDEDIR CONFIGURE-FLAGS...: unpacks DSC (Debian's
# patches applied), configures, and installs only the library, its headers
# and its pkg-config file.
build() {
	local name=$1 dsc=$2 libdir=$3 incdir=$4 log=$tmp/$1.log
	shift 4
	echo "build-lean-deps: building $name..." >&2
	(
		dpkg-source -x "$dsc" "$tmp/$name" &&
			cd "$tmp/$name" &&
			CFLAGS="$cflags" ./configure --prefix="$prefix" "$@" &&
			make -j"$jobs" -C "$libdir" install &&
			make -C "$incdir" install &&
			make install-pkgconfigDATA
	) >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "building $name failed (the end of its log is above)"
	}
}
rm -rf "$prefix"
build curl "$srcdir/curl_$curl_ver.dsc" lib include "${curl_flags[@]}"
build libmicrohttpd "$srcdir/libmicrohttpd_$mhd_ver.dsc" src/microhttpd src/include "${mhd_flags[@]}"
t2=$(date +%s)
echo "build-lean-deps: sources in $((t1 - t0))s, built in $((t2 - t1))s: $prefix" >&2
rm -rf "$tmp"
trap - EXIT
echo "$prefix"
