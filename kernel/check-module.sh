#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the built gvtsim.ko: it names the kernel it was built for, loads
# into the right namespace, depends on vfio and mdev, and has its
# parameters.  Cannot load it (the host has no VFIO); the vm suite does.
#
#   check-module.sh GVTSIM_KO KERNEL_RELEASE
ko=$1
release=${2:-}
fail=0 pass=0

check() {	# check NAME VALUE EXPECTED-REGEX
	if printf '%s\n' "$2" | grep -Eq "$3"; then
		echo "ok - $1: $2"
		pass=$((pass + 1))
	else
		echo "not ok - $1: got '$2', want /$3/"
		fail=$((fail + 1))
	fi
}

if ! command -v modinfo >/dev/null 2>&1 && [ -x /usr/sbin/modinfo ]; then
	PATH=$PATH:/usr/sbin:/sbin
fi
command -v modinfo >/dev/null 2>&1 || { echo "SKIP: modinfo not installed (apt-get install kmod)"; exit 77; }
[ -f "$ko" ] || { echo "not ok - $ko was not built"; exit 1; }

field() { modinfo -F "$1" "$ko" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

check name "$(field name)" '^gvtsim$'
check license "$(field license)" '^GPL$'
if [ -n "$release" ]; then
	rel_re=$(printf '%s' "$release" | sed 's/[.+]/\\&/g')
	check vermagic "$(field vermagic)" "^$rel_re "
else
	check vermagic "$(field vermagic)" '^[0-9]+\.[0-9]+'
fi
check depends "$(field depends | tr ',' '\n' | sort | tr '\n' ',')" '(^|,)mdev,.*vfio,|(^|,)mdev,vfio'
check import_ns "$(field import_ns)" 'DMA_BUF'
check parm "$(field parm)" 'max_vgpus:.*max_dmabufs:|max_dmabufs:.*max_vgpus:'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
