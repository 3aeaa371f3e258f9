#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Build gvtsim.ko out of tree without touching the source tree: the sources
# are copied into a scratch directory, built there, and gvtsim.ko is copied
# to OUTDIR.
#
#   build-module.sh [--chroot ROOT] KDIR OUTDIR [MAKE ARGS...]
#
# KDIR is the kernel build directory (/lib/modules/$(uname -r)/build, or
# /usr/src/linux-headers-<version>).  With --chroot, KDIR is a path inside
# ROOT and the build runs there (e.g. Debian 13's tree from
# tests/vm/mkroot-debian13.sh).  Extra arguments go to make (W=1, V=1).
set -eu

root=
if [ "${1:-}" = --chroot ]; then
	root=$2
	shift 2
fi
if [ $# -lt 2 ]; then
	echo "usage: $0 [--chroot ROOT] KDIR OUTDIR [MAKE ARGS...]" >&2
	exit 2
fi
kdir=$1
outdir=$2
shift 2

srcdir=$(cd "$(dirname "$0")" && pwd)
uapi=$srcdir/../include/gvt-dmabuf/gvtsim-uapi.h
[ -f "$uapi" ] || uapi=$srcdir/gvtsim-uapi.h

if [ ! -f "$root$kdir/Makefile" ]; then
	echo "build-module.sh: no kernel build tree at $root$kdir (install the linux-headers package)" >&2
	exit 1
fi

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
if [ -n "$root" ]; then
	mkdir -p "$root/tmp"
	work=$(mktemp -d "$root/tmp/gvtsim-build.XXXXXX")
	inner=${work#"$root"}
else
	work=$(mktemp -d "$outdir/gvtsim-build.XXXXXX")
	inner=$work
fi
trap 'rm -rf "$work"' EXIT

cp "$srcdir"/*.c "$srcdir"/*.h "$srcdir/Kbuild" "$uapi" "$work/"

# Kbuild's note that BTF needs vmlinux (absent from headers packages) is
# noise; every other message is passed on.
rc=0
if [ -n "$root" ]; then
	chroot "$root" make -s -C "$kdir" M="$inner" "$@" modules 2>"$work/stderr" || rc=$?
else
	make -s -C "$kdir" M="$inner" "$@" modules 2>"$work/stderr" || rc=$?
fi
grep -v '^Skipping BTF generation' "$work/stderr" >&2 || true
[ "$rc" -eq 0 ] || exit "$rc"
cp "$work/gvtsim.ko" "$outdir/gvtsim.ko"
