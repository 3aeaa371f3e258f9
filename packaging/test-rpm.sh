#!/bin/bash
# SPDX-License-Identifier: MIT
# The RPM spec parses, builds a source RPM and builds its binary RPMs
# with Debian's rpm (rpmbuild --nodeps: the build dependencies are the
# Debian ones of build-deb.sh; test-macros stands in for Fedora's meson
# and systemd macros).  Checks the subpackages and what each holds, and
# that gst-inspect-1.0 finds gvtdmabufsrc in the unpacked plugin RPM, and
# gvt-streamd's requirements and scriptlets.
#
#   test-rpm.sh
set -uo pipefail

# grep for a pipeline's end: reads all its input, so the writer never
# dies of SIGPIPE (which pipefail would report as a failure).
has() { grep "$@" >/dev/null; }

top=$(cd "$(dirname "$0")/.." && pwd)
spec=$top/packaging/rpm/gvt-dmabuf.spec
for cmd in rpmspec rpmbuild; do
	command -v "$cmd" >/dev/null ||
		{ echo "SKIP: $cmd missing (apt-get install rpm)"; exit 77; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
rpmopts=(--load "$top/packaging/rpm/test-macros" --define "_topdir $tmp/rpm")

if rpmspec "${rpmopts[@]}" -P "$spec" >"$tmp/parsed" 2>"$tmp/err" &&
   ! grep -q '%meson\|%udev\|%{_udevrulesdir}' "$tmp/parsed"; then
	ok "rpmspec -P parses the spec and expands every macro"
else
	cat "$tmp/err"
	grep -n '%meson\|%udev\|%{_udevrulesdir}' "$tmp/parsed"
	not_ok "rpmspec -P"
fi

version=$(rpmspec "${rpmopts[@]}" -q --srpm --qf '%{VERSION}' "$spec" 2>/dev/null)
meson_version=$(sed -n "s/^[[:space:]]*version: '\(.*\)',$/\1/p" "$top/meson.build" | head -n 1)
[ "$version" = "$meson_version" ] && ok "spec Version $version is meson.build's" ||
	not_ok "spec Version '$version', meson.build $meson_version"

pkgs=$(rpmspec "${rpmopts[@]}" -q --builtrpms --qf '%{NAME}\n' "$spec" 2>/dev/null | sort | tr '\n' ' ')
want="gstreamer1-plugin-gvtdmabuf gvt-dmabuf-devel gvt-dmabuf-libs gvt-dmabuf-tools gvt-streamd gvtsim-dkms "
[ "$pkgs" = "$want" ] && ok "subpackages: $pkgs" || not_ok "subpackages '$pkgs', wanted '$want'"

# Source0: the working tree as git sees it, as a release tarball would be.
mkdir -p "$tmp/rpm/SOURCES" "$tmp/src/gvt-dmabuf-$version"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf -) | tar -C "$tmp/src/gvt-dmabuf-$version" -xf -
tar -C "$tmp/src" -cJf "$tmp/rpm/SOURCES/gvt-dmabuf-$version.tar.xz" "gvt-dmabuf-$version"

if rpmbuild "${rpmopts[@]}" --nodeps -bs "$spec" >"$tmp/bs.log" 2>&1 &&
   srpm=$(ls "$tmp"/rpm/SRPMS/gvt-dmabuf-"$version"-1.src.rpm 2>/dev/null) &&
   rpm -qpl "$srpm" 2>/dev/null | has -x "gvt-dmabuf-$version.tar.xz"; then
	ok "rpmbuild -bs: $(basename "$srpm")"
else
	cat "$tmp/bs.log"
	not_ok "rpmbuild -bs"
fi

if rpmbuild "${rpmopts[@]}" --nodeps -bb "$spec" >"$tmp/bb.log" 2>&1; then
	grep -E "^(Ok|Fail|Skipped):" "$tmp/bb.log"
	ok "rpmbuild -bb (meson build, unit suite in %check, no unpackaged files)"
else
	tail -n 40 "$tmp/bb.log"
	not_ok "rpmbuild -bb"
	exit 1
fi

libdir=$(rpm "${rpmopts[@]}" --eval '%{_libdir}')
declare -A expect=(
	[gvt-dmabuf-libs]="$libdir/libgvtdmabuf.so.0 $libdir/libgvtdmabuf.so.$version"
	[gvt-dmabuf-devel]="/usr/include/gvt-dmabuf/gvt-dmabuf.h /usr/include/gvt-dmabuf/gvtsim-uapi.h $libdir/libgvtdmabuf.so $libdir/pkgconfig/libgvtdmabuf.pc"
	[gvt-dmabuf-tools]="/usr/bin/gvt-dmabuf /usr/share/man/man1/gvt-dmabuf.1.gz /usr/lib/udev/rules.d/70-gvt-dmabuf.rules /usr/lib/udev/gvt-dmabuf-mdev-group"
	[gstreamer1-plugin-gvtdmabuf]="$libdir/gstreamer-1.0/libgstgvtdmabuf.so"
	[gvt-streamd]="/usr/sbin/gvt-streamd /usr/lib/systemd/system/gvt-streamd.service /usr/lib/systemd/user/gvt-streamd.service /usr/share/dbus-1/system.d/org.gvtdmabuf.Streamd1.conf /usr/lib/sysusers.d/gvt-streamd.conf /usr/share/man/man8/gvt-streamd.8.gz /usr/share/man/man5/gvt-streamd.conf.5.gz"
	[gvtsim-dkms]="/usr/src/gvtsim-$version/dkms.conf /usr/src/gvtsim-$version/Kbuild /usr/src/gvtsim-$version/Makefile /usr/src/gvtsim-$version/gvtsim_main.c /usr/src/gvtsim-$version/gvtsim-uapi.h"
)
for p in "${!expect[@]}"; do
	f=$(find "$tmp/rpm/RPMS" -name "$p-$version-1.*.rpm" | head -n 1)
	if [ -z "$f" ]; then
		not_ok "no $p RPM"
		continue
	fi
	rpm -qpl "$f" 2>/dev/null >"$tmp/$p.list"
	missing=()
	for x in ${expect[$p]}; do
		# Fedora compresses man pages; Debian's rpm may not.
		grep -qxF "$x" "$tmp/$p.list" || has -xF "${x%.gz}" "$tmp/$p.list" || missing+=("$x")
	done
	[ ${#missing[@]} -eq 0 ] && ok "$p holds its files" || not_ok "$p lacks ${missing[*]}"
done
dkms_rpm=$(find "$tmp/rpm/RPMS" -name "gvtsim-dkms-*.rpm" | head -n 1)
if [ -n "$dkms_rpm" ] && [ "$(rpm -qp --qf '%{ARCH}' "$dkms_rpm" 2>/dev/null)" = noarch ] &&
   rpm -qp --requires "$dkms_rpm" 2>/dev/null | has -x dkms &&
   rpm -qp --scripts "$dkms_rpm" 2>/dev/null | has 'dkms add -m gvtsim'; then
	ok "gvtsim-dkms: noarch, requires dkms, %post adds the module"
else
	not_ok "gvtsim-dkms: arch, Requires or scriptlets"
fi

sd_rpm=$(find "$tmp/rpm/RPMS" -name "gvt-streamd-$version-1.*.rpm" | head -n 1)
if [ -n "$sd_rpm" ]; then
	rpm -qp --requires "$sd_rpm" 2>/dev/null >"$tmp/sd.req"
	rpm -qp --scripts "$sd_rpm" 2>/dev/null >"$tmp/sd.scripts"
	has "^gvt-dmabuf-libs" "$tmp/sd.req" && has "^gstreamer1-plugin-gvtdmabuf" "$tmp/sd.req" &&
		ok "gvt-streamd requires gvt-dmabuf-libs and gstreamer1-plugin-gvtdmabuf" ||
		not_ok "gvt-streamd Requires: $(tr '\n' ' ' <"$tmp/sd.req")"
	awk '/^postinstall/ { p = 1 } p && /systemd-sysusers .*gvt-streamd.conf/ { s = NR } p && /systemctl .*preset gvt-streamd.service/ { u = NR }
		END { exit !(s && u && s < u) }' "$tmp/sd.scripts" &&
		ok "gvt-streamd %post creates its user and group, then presets the system unit" ||
		not_ok "gvt-streamd scriptlets: $(cat "$tmp/sd.scripts")"
else
	not_ok "no gvt-streamd RPM"
fi

# The plugin RPM and the libs RPM unpacked into one root: GStreamer finds
# the element there, on that library.
gst_rpm=$(find "$tmp/rpm/RPMS" -name "gstreamer1-plugin-gvtdmabuf-$version-1.*.rpm" | head -n 1)
libs_rpm=$(find "$tmp/rpm/RPMS" -name "gvt-dmabuf-libs-$version-1.*.rpm" | head -n 1)
if [ -n "$gst_rpm" ] && [ -n "$libs_rpm" ]; then
	mkdir -p "$tmp/root"
	for f in "$gst_rpm" "$libs_rpm"; do
		(cd "$tmp/root" && rpm2cpio "$f" | cpio -idm --quiet) || not_ok "unpacking $(basename "$f")"
	done
	rpm -qp --requires "$gst_rpm" 2>/dev/null | has "^gvt-dmabuf-libs" &&
		ok "gstreamer1-plugin-gvtdmabuf requires gvt-dmabuf-libs" ||
		not_ok "gstreamer1-plugin-gvtdmabuf Requires: $(rpm -qp --requires "$gst_rpm" 2>/dev/null | tr '\n' ' ')"
	"$top/packaging/check-gst-inspect.sh" "$tmp/root$libdir/gstreamer-1.0" "$tmp/root$libdir" "$tmp/gst" &&
		ok "gst-inspect-1.0 gvtdmabufsrc finds the element in the RPM's $libdir/gstreamer-1.0" ||
		not_ok "gst-inspect-1.0 gvtdmabufsrc from the RPM's $libdir/gstreamer-1.0"
else
	not_ok "no gstreamer1-plugin-gvtdmabuf or gvt-dmabuf-libs RPM to unpack"
fi

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
