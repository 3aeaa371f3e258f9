#!/bin/bash
# SPDX-License-Identifier: MIT
# Build libgvtdmabuf, the tool and the reader test inside the Debian 13
# tree (Mesa 25, whose llvmpipe imports dma-bufs), with EGL required, so
# that the 6.12 VM can run the GPU readback path with the tree as root.
#
#   build-in-tree.sh ROOT      prints the build dir as seen inside ROOT
#
# The source is copied to ROOT/var/tmp/gvt-dmabuf-tree-<id>/src (id from
# the source path, so worktrees do not share one); the build is
# incremental.  Mounts for the chroot stay private (unshare -m).
set -euo pipefail

root=${1:?usage: build-in-tree.sh ROOT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
id=$(echo "$srcdir" | md5sum | cut -c1-12)
inside=/var/tmp/gvt-dmabuf-tree-$id
out=$root$inside
log=$out/build.log

[ -x "$root/usr/bin/meson" ] || { echo "no meson in $root" >&2; exit 1; }
rm -rf "$out/src"
mkdir -p "$out/src"
# Copy the source (not build dirs, not .git) so the chroot sees it.
(cd "$srcdir" && git ls-files -co --exclude-standard -z 2>/dev/null ||
	find . -path ./build -prune -o -type f -print0) |
	(cd "$srcdir" && tar --null -T - -cf -) | tar -C "$out/src" -xf -

unshare -m bash -c '
	set -e
	root=$1 inside=$2
	mount --bind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	cd /
	if [ ! -f "$root$inside/build/build.ninja" ]; then
		chroot "$root" meson setup "$inside/build" "$inside/src" \
			-Dkernel=disabled -Dgst=disabled -Dservice=disabled -Dvm_tests=disabled \
			-Dfuzz=disabled -Ddocs=disabled -Dtool=enabled -Degl=enabled
	fi
	chroot "$root" ninja -C "$inside/build" lib/libgvtdmabuf.so.0.1.0 \
		tests/unit/test-reader service/tool/gvt-dmabuf
' _ "$root" "$inside" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo "$inside/build"
