#!/bin/bash
# SPDX-License-Identifier: MIT
# The gst suite on Debian 13 (GStreamer 1.26: DMA_DRM caps, GstVideoInfoDmaDrm):
# copies the source tree into the Debian 13 tree that
# tests/vm/mkroot-debian13.sh keeps, builds the library and the plugin there
# (chroot, in a private mount namespace with its own /proc) and runs
# `meson test --suite gst` inside, then gvt-streamd's streamd-dmabufread
# test (its DMA_DRM caps: the VA-API import feed).  The host's 1.22 build
# runs the same tests; this run is what checks the >= 1.24 half.
#
#   tests/gst/run-debian13.sh SRCDIR
#
# Exit 77 (skipped) when not root or when the tree cannot be had.
set -euo pipefail

src=${1:?usage: run-debian13.sh SRCDIR}
src=$(cd "$src" && pwd)

skip() { echo "SKIP: $*"; exit 77; }

# The suite this script runs inside the tree holds this script too.
[ -z "${GVT_DMABUF_IN_DEBIAN13:-}" ] || skip "already running in the Debian 13 tree"
[ "$(id -u)" = 0 ] || skip "chroot needs root"
command -v unshare >/dev/null || skip "no unshare (util-linux)"
root=$("$src/tests/vm/mkroot-debian13.sh") || skip "could not build the Debian 13 tree (tests/vm/mkroot-debian13.sh)"
[ -x "$root/usr/bin/meson" ] || skip "$root has no meson (an old tree? run tests/vm/mkroot-debian13.sh)"

work=$(mktemp -d "$root/tmp/gvt-dmabuf-gst-XXXXXX")
trap '[ -n "${GVT_DMABUF_KEEP:-}" ] || rm -rf "$work"' EXIT
inside=${work#"$root"}

# The sources as git sees them (tracked and new files, no build dirs).
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$work"
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -xf - -C "$work"
fi

# A private mount namespace: our /proc mount goes away with us and never
# meets another run's.
unshare --mount --propagation private sh -c '
	set -e
	mount -t proc proc "$1/proc"
	exec chroot "$1" env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp LANG=C.UTF-8 \
		GVT_DMABUF_IN_DEBIAN13=1 \
		sh -c "cd \"$2\" &&
		meson setup build -Dgst=enabled -Dkernel=disabled -Dvm_tests=disabled \
			-Dfuzz=disabled -Dservice=enabled -Ddocs=disabled -Dtool=disabled >build.log 2>&1 ||
			{ cat build.log; exit 1; }
		grep -E \"GStreamer version\" build.log
		ninja -C build -j2 >>build.log 2>&1 || { tail -50 build.log; exit 1; }
		meson test -C build --suite gst --print-errorlogs --num-processes 1 &&
		meson test -C build --print-errorlogs streamd-dmabufread"
' sh "$root" "$inside"
