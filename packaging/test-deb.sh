#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the Debian packages from a copy of the tree (build-deb.sh, which
# also runs the unit suite in dh_auto_test) and check what lands where:
# library, headers, pkg-config file, tool, man page, udev rule, the
# GStreamer plugin, the DKMS source tree and gvt-streamd (daemon, units,
# D-Bus policy, sysusers entry, man pages).  The packaged tool and
# library must work together, a program must build against the packaged
# -dev files alone, and gst-inspect-1.0 must find gvtdmabufsrc in the
# packaged plugin directory.  Lintian
# runs when installed; an error fails, warnings are printed.
#
#   test-deb.sh [OUTDIR]     keeps the .debs in OUTDIR when given
set -uo pipefail

# grep for a pipeline's end: reads all its input, so the writer never
# dies of SIGPIPE (which pipefail would report as a failure).
has() { grep "$@" >/dev/null; }

top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
need="dpkg-dev debhelper dh-dkms fakeroot"
for cmd in dpkg-buildpackage dh dh_dkms fakeroot; do
	command -v "$cmd" >/dev/null ||
		{ echo "SKIP: $cmd missing (apt-get install $need)"; exit 77; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${1:-$tmp/out}
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }

"$top/packaging/build-deb.sh" "$out"
rc=$?
if [ $rc -eq 77 ]; then
	echo "SKIP: build dependencies missing (see above; apt-get install them)"
	exit 77
elif [ $rc -ne 0 ]; then
	echo "not ok - dpkg-buildpackage"
	exit 1
fi
ok "dpkg-buildpackage -b built $(cd "$out" && ls *.deb | tr '\n' ' ')"

version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
meson_version=$(sed -n "s/^[[:space:]]*version: '\(.*\)',$/\1/p" "$top/meson.build" | head -n 1)
dkms_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/kernel/dkms.conf")
if [ "$version" = "$meson_version" ] && [ "$version" = "$dkms_version" ]; then
	ok "debian/changelog, meson.build and dkms.conf agree on $version"
else
	not_ok "versions differ: debian/changelog $version, meson.build $meson_version, dkms.conf $dkms_version"
fi

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() {
	local f=$out/${1}_${version}_$2.deb
	[ -f "$f" ] || { not_ok "package $1 was not built"; return 1; }
	echo "$f"
}
lib=$(deb libgvtdmabuf0 "$arch") || exit 1
dev=$(deb libgvtdmabuf-dev "$arch") || exit 1
tools=$(deb gvt-dmabuf-tools "$arch") || exit 1
dkms=$(deb gvtsim-dkms all) || exit 1
gst=$(deb gstreamer1.0-gvtdmabuf "$arch") || exit 1
streamd=$(deb gvt-streamd "$arch") || exit 1

# Every listed path is in that package, and in no other of the four.
libdir=usr/lib/$multiarch
kfiles=$(cd "$top/kernel" && ls *.c *.h Kbuild Makefile dkms.conf)
declare -A expect=(
	[libgvtdmabuf0]="$libdir/libgvtdmabuf.so.0 $libdir/libgvtdmabuf.so.$version"
	[libgvtdmabuf-dev]="usr/include/gvt-dmabuf/gvt-dmabuf.h usr/include/gvt-dmabuf/gvtsim-uapi.h $libdir/libgvtdmabuf.so $libdir/pkgconfig/libgvtdmabuf.pc"
	[gvt-dmabuf-tools]="usr/bin/gvt-dmabuf usr/share/man/man1/gvt-dmabuf.1.gz lib/udev/rules.d/70-gvt-dmabuf.rules lib/udev/gvt-dmabuf-mdev-group"
	[gstreamer1.0-gvtdmabuf]="$libdir/gstreamer-1.0/libgstgvtdmabuf.so"
	[gvt-streamd]="usr/sbin/gvt-streamd lib/systemd/system/gvt-streamd.service usr/lib/systemd/user/gvt-streamd.service usr/share/dbus-1/system.d/org.gvtdmabuf.Streamd1.conf usr/lib/sysusers.d/gvt-streamd.conf usr/share/man/man8/gvt-streamd.8.gz usr/share/man/man5/gvt-streamd.conf.5.gz"
	[gvtsim-dkms]="$(for f in $kfiles gvtsim-uapi.h; do printf 'usr/src/gvtsim-%s/%s ' "$dkms_version" "$f"; done)"
)
declare -A file=([libgvtdmabuf0]=$lib [libgvtdmabuf-dev]=$dev [gvt-dmabuf-tools]=$tools [gvtsim-dkms]=$dkms
	[gstreamer1.0-gvtdmabuf]=$gst [gvt-streamd]=$streamd)
for p in "${!file[@]}"; do
	dpkg-deb -c "${file[$p]}" | awk '{ sub(/^\.\//, "", $6); print $6 }' | sort >"$tmp/$p.list"
done
for p in "${!expect[@]}"; do
	missing=() stray=()
	for f in ${expect[$p]}; do
		grep -qxF "$f" "$tmp/$p.list" || missing+=("$f")
		for q in "${!file[@]}"; do
			[ "$q" = "$p" ] && continue
			grep -qxF "$f" "$tmp/$q.list" && stray+=("$f in $q")
		done
	done
	if [ ${#missing[@]} -eq 0 ] && [ ${#stray[@]} -eq 0 ]; then
		ok "$p holds its $(echo ${expect[$p]} | wc -w) files"
	else
		not_ok "$p: missing ${missing[*]:-nothing}; elsewhere: ${stray[*]:-nothing}"
	fi
done

# The DKMS tree is exactly what stage-source.sh lays out (the tree that
# kernel/test-dkms.sh builds with dkms).
mkdir -p "$tmp/dkms-deb" "$tmp/staged"
dpkg-deb -x "$dkms" "$tmp/dkms-deb"
"$top/packaging/dkms/stage-source.sh" "$tmp/staged/gvtsim-$dkms_version"
if diff -r "$tmp/staged/gvtsim-$dkms_version" "$tmp/dkms-deb/usr/src/gvtsim-$dkms_version" >"$tmp/diff"; then
	ok "gvtsim-dkms's /usr/src/gvtsim-$dkms_version is the staged source tree"
else
	cat "$tmp/diff"
	not_ok "gvtsim-dkms's source tree differs from stage-source.sh's"
fi

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$dkms" Architecture)" = all ] && field "$dkms" Depends | has '\bdkms\b' &&
	dpkg-deb -I "$dkms" postinst 2>/dev/null | has "dkms" &&
	ok "gvtsim-dkms: Architecture all, depends on dkms, postinst registers the module" ||
	not_ok "gvtsim-dkms: Architecture $(field "$dkms" Architecture), Depends '$(field "$dkms" Depends)', or no dkms postinst"
field "$dev" Depends | has "libgvtdmabuf0 (= $version)" &&
	field "$dev" Depends | has 'libdrm-dev' &&
	ok "libgvtdmabuf-dev depends on libgvtdmabuf0 (= $version) and libdrm-dev" ||
	not_ok "libgvtdmabuf-dev Depends: $(field "$dev" Depends)"
field "$tools" Depends | has 'libgvtdmabuf0 (>= ' &&
	ok "gvt-dmabuf-tools depends on libgvtdmabuf0 through its symbols" ||
	not_ok "gvt-dmabuf-tools Depends: $(field "$tools" Depends)"

# Symbols: one line per name of the version script, nothing more.
dpkg-deb -I "$lib" symbols >"$tmp/symbols" 2>/dev/null || not_ok "libgvtdmabuf0 has no symbols file"
sed -n 's/^[[:space:]]*\(gvtdmabuf_[A-Za-z0-9_]*\);.*/\1/p' "$top/lib/libgvtdmabuf.sym" | sort >"$tmp/sym.want"
sed -n 's/^ \(gvtdmabuf_[A-Za-z0-9_]*\)@.*/\1/p' "$tmp/symbols" | sort >"$tmp/sym.got"
if [ -s "$tmp/sym.want" ] && cmp -s "$tmp/sym.want" "$tmp/sym.got"; then
	ok "libgvtdmabuf0's symbols file lists the $(wc -l <"$tmp/sym.want") symbols of libgvtdmabuf.sym"
else
	diff "$tmp/sym.want" "$tmp/sym.got"
	not_ok "libgvtdmabuf0's symbols file differs from lib/libgvtdmabuf.sym"
fi

field "$gst" Depends | has 'libgvtdmabuf0 (>= ' &&
	field "$gst" Depends | has 'libgstreamer1.0-0' &&
	ok "gstreamer1.0-gvtdmabuf depends on libgvtdmabuf0 and libgstreamer1.0-0" ||
	not_ok "gstreamer1.0-gvtdmabuf Depends: $(field "$gst" Depends)"

# gvt-streamd: its element and libraries, its group before its unit starts.
field "$streamd" Depends | has "gstreamer1.0-gvtdmabuf (= $version)" &&
	field "$streamd" Depends | has 'libgvtdmabuf0 (>= ' &&
	field "$streamd" Depends | has 'libpipewire-0.3-0' &&
	field "$streamd" Depends | has 'gstreamer1.0-plugins-base' &&
	field "$streamd" Depends | has 'systemd | systemd-standalone-sysusers' &&
	ok "gvt-streamd depends on gstreamer1.0-gvtdmabuf (= $version), libgvtdmabuf0, libpipewire-0.3-0, gstreamer1.0-plugins-base, systemd-sysusers" ||
	not_ok "gvt-streamd Depends: $(field "$streamd" Depends)"
dpkg-deb -I "$streamd" postinst >"$tmp/sd.postinst" 2>/dev/null
sysusers_line=$(grep -n 'systemd-sysusers.*gvt-streamd.conf' "$tmp/sd.postinst" | head -n 1 | cut -d: -f1)
unit_line=$(grep -n 'deb-systemd-helper.*gvt-streamd.service' "$tmp/sd.postinst" | head -n 1 | cut -d: -f1)
[ -n "$sysusers_line" ] && [ -n "$unit_line" ] && [ "$sysusers_line" -lt "$unit_line" ] &&
	ok "gvt-streamd postinst creates the user and group (systemd-sysusers) before it enables the system unit" ||
	not_ok "gvt-streamd postinst: sysusers at line '${sysusers_line}', unit at '${unit_line}': $(cat "$tmp/sd.postinst")"
# dh_installsystemduser --no-enable: the user unit is enabled again on
# upgrade only where someone enabled it (debian-installed), never on install.
grep -q "deb-systemd-helper --user debian-installed 'gvt-streamd.service'" "$tmp/sd.postinst" &&
	! grep -q 'systemctl --global enable' "$tmp/sd.postinst" &&
	ok "gvt-streamd postinst does not enable the user unit (it would fight the system one)" ||
	not_ok "gvt-streamd postinst enables the user unit: $(cat "$tmp/sd.postinst")"
dpkg-deb -x "$streamd" "$tmp/sd-root"
diff -u "$top/packaging/sysusers/gvt-streamd.conf" "$tmp/sd-root/usr/lib/sysusers.d/gvt-streamd.conf" >/dev/null &&
	grep -q '^ExecStart=/usr/sbin/gvt-streamd' "$tmp/sd-root/lib/systemd/system/gvt-streamd.service" &&
	ok "gvt-streamd ships packaging/'s sysusers entry and a unit that starts /usr/sbin/gvt-streamd" ||
	not_ok "gvt-streamd's sysusers entry or unit differ from packaging/"
for m in man8/gvt-streamd.8 man5/gvt-streamd.conf.5; do
	zcat "$tmp/sd-root/usr/share/man/$m.gz" | has '^\.TH GVT-STREAMD' &&
		ok "man page $m is a man page" || not_ok "man page $m has no .TH line"
done

# The packaged tool runs on the packaged library.
root=$tmp/root
for f in "$lib" "$dev" "$tools" "$gst" "$streamd"; do dpkg-deb -x "$f" "$root"; done
if LD_LIBRARY_PATH=$root/$libdir "$root/usr/bin/gvt-dmabuf" info sim >"$tmp/info" 2>&1 &&
   grep -q '^Backend: sim' "$tmp/info" &&
   LD_LIBRARY_PATH=$root/$libdir ldd "$root/usr/bin/gvt-dmabuf" >"$tmp/ldd" &&
   grep -qF "$root/$libdir/libgvtdmabuf.so.0" "$tmp/ldd"; then
	ok "packaged gvt-dmabuf info sim runs on the packaged libgvtdmabuf.so.0"
else
	cat "$tmp/info" "$tmp/ldd" 2>/dev/null
	not_ok "packaged gvt-dmabuf info sim"
fi
# The packaged daemon reads a configuration on the packaged library.
printf '[vgpu sim:320x240]\nname = Packaged\n' >"$tmp/sd.conf"
LD_LIBRARY_PATH=$root/$libdir "$root/usr/sbin/gvt-streamd" --check --config "$tmp/sd.conf" >"$tmp/sd.check" 2>&1 &&
	LD_LIBRARY_PATH=$root/$libdir ldd "$root/usr/sbin/gvt-streamd" | has -F "$root/$libdir/libgvtdmabuf.so.0" &&
	ok "packaged gvt-streamd --check runs on the packaged libgvtdmabuf.so.0" ||
	not_ok "packaged gvt-streamd --check: $(cat "$tmp/sd.check")"
if zcat "$root/usr/share/man/man1/gvt-dmabuf.1.gz" | has '^\.TH GVT-DMABUF 1'; then
	ok "man page gvt-dmabuf(1) is a man page"
else
	not_ok "man page gvt-dmabuf(1) has no .TH line"
fi

# GStreamer finds the element in the packaged plugin directory, on the
# packaged library, and nowhere else.
"$top/packaging/check-gst-inspect.sh" "$root/$libdir/gstreamer-1.0" "$root/$libdir" "$tmp/gst" &&
	ok "gst-inspect-1.0 gvtdmabufsrc finds the element in the package's $libdir/gstreamer-1.0" ||
	not_ok "gst-inspect-1.0 gvtdmabufsrc from the package's $libdir/gstreamer-1.0"

# A program builds against the -dev package alone, through pkg-config.
cat >"$tmp/user.c" <<'C'
#include <gvt-dmabuf/gvt-dmabuf.h>
#include <gvt-dmabuf/gvtsim-uapi.h>
#include <stdio.h>

int main(void)
{
	struct gvtdmabuf_context *ctx = NULL;
	int r = gvtdmabuf_context_create(&ctx);

	if (r < 0)
		return 1;
	gvtdmabuf_context_destroy(ctx);
	puts("context ok");
	return 0;
}
C
export PKG_CONFIG_PATH=$root/$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
if flags=$(pkg-config --cflags --libs libgvtdmabuf 2>"$tmp/pc.err") &&
   ${CC:-cc} -std=c99 -Werror -o "$tmp/user" "$tmp/user.c" $flags 2>"$tmp/cc.err" &&
   [ "$(LD_LIBRARY_PATH=$root/$libdir "$tmp/user")" = "context ok" ]; then
	ok "a program builds with pkg-config --cflags --libs libgvtdmabuf from the -dev package and runs"
else
	cat "$tmp/pc.err" "$tmp/cc.err" 2>/dev/null
	not_ok "building a program against libgvtdmabuf-dev (flags: ${flags:-none})"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

if command -v lintian >/dev/null; then
	lintian --pedantic "$out"/gvt-dmabuf_"$version"_"$arch".changes 2>&1 |
		grep -v 'running with root privileges' >"$tmp/lintian"
	cat "$tmp/lintian"
	if grep -q '^E:' "$tmp/lintian"; then
		not_ok "lintian reports errors"
	else
		ok "lintian: no errors ($(grep -c '^[WIP]:' "$tmp/lintian") warnings/notes)"
	fi
else
	echo "# lintian not installed: not run (apt-get install lintian)"
fi

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
