#!/bin/bash
# SPDX-License-Identifier: MIT
# Build (once, cached) a Debian 13 tree holding what the vm suite needs to
# test on Debian 13's kernel: the 6.12 image and modules, its headers, and
# gcc/make to build gvtsim.ko against them inside a chroot.
#
#   tests/vm/mkroot-debian13.sh [DIR]     (default /var/cache/gvt-dmabuf/debian13)
#
# Prints the tree's path.  A tree that was built completely before is reused.
set -euo pipefail

dir=${1:-${GVT_DMABUF_DEBIAN13_ROOT:-/var/cache/gvt-dmabuf/debian13}}
if [ -f "$dir/.gvt-dmabuf-complete" ]; then
	echo "$dir"
	exit 0
fi

if ! command -v mmdebstrap >/dev/null; then
	echo "mkroot-debian13: installing mmdebstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >&2
fi

mirror=$(awk '/^deb / && $2 ~ /^http/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
mirror=${mirror:-http://deb.debian.org/debian}

rm -rf "$dir.tmp"
mkdir -p "$(dirname "$dir")"
echo "mkroot-debian13: building $dir from $mirror (a few minutes, once)" >&2
mmdebstrap --variant=apt \
	--include=linux-image-amd64,linux-headers-amd64,gcc,make,kmod,libc6-dev \
	trixie "$dir.tmp" "$mirror" >&2
touch "$dir.tmp/.gvt-dmabuf-complete"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
