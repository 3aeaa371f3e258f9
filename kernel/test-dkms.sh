#!/bin/bash
# SPDX-License-Identifier: MIT
# DKMS builds gvtsim from the staged source tree (what a package installs
# into /usr/src), in private dkms/source trees so the system's DKMS state is
# untouched.
#
#   test-dkms.sh KERNEL_BUILD_DIR
set -uo pipefail

kdir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
command -v dkms >/dev/null || { echo "SKIP: dkms not installed (apt-get install dkms)"; exit 77; }

release=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$release" ] || { echo "not ok - cannot read the kernel release of $kdir"; exit 1; }
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/kernel/dkms.conf")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src dkmstree=$tmp/dkms
mkdir -p "$src" "$dkmstree"
"$top/packaging/dkms/stage-source.sh" "$src/gvtsim-$version" || exit 1

common=(--dkmstree "$dkmstree" --sourcetree "$src" -m gvtsim -v "$version")
if ! dkms add "${common[@]}" >"$tmp/log" 2>&1 ||
   ! dkms build "${common[@]}" -k "$release" --kernelsourcedir "$kdir" >>"$tmp/log" 2>&1; then
	cat "$tmp/log"
	find "$dkmstree" -name make.log -exec cat {} + 2>/dev/null
	echo "not ok - dkms build gvtsim/$version for $release"
	exit 1
fi
ko=$(find "$dkmstree" -name 'gvtsim.ko*' | head -n 1)
if [ -z "$ko" ]; then
	echo "not ok - dkms reported success but left no gvtsim.ko"
	exit 1
fi
log=$(find "$dkmstree" -name make.log | head -n 1)
if [ -z "$log" ]; then
	echo "not ok - dkms left no make.log"
	exit 1
fi
if grep -qi 'warning:' "$log"; then
	grep -i 'warning:' "$log"
	echo "not ok - the DKMS build has compiler warnings"
	exit 1
fi
echo "ok - dkms built $(basename "$ko") for $release"
