#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-dmabuf-mdev-group (the PROGRAM of 70-gvt-dmabuf.rules) against fake
# sysfs trees: it must accept an IOMMU group only when every device in it
# is on the mdev bus, so group kvm never gets a passed-through device.
#
#   test-udev-helper.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
helper=$top/packaging/udev/gvt-dmabuf-mdev-group
rules=$top/packaging/udev/70-gvt-dmabuf.rules
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sys=$tmp/sys
fails=0

# device NAME BUS GROUP: a device on BUS, listed in IOMMU group GROUP, the
# way sysfs links them.
device() {
	local d=$sys/devices/$1
	mkdir -p "$d" "$sys/bus/$2" "$sys/kernel/iommu_groups/$3/devices"
	ln -s "../../../bus/$2" "$d/subsystem"
	ln -s "../../../../devices/$1" "$sys/kernel/iommu_groups/$3/devices/${1##*/}"
}
device pci0000:00/0000:00:02.0 pci 1
device virtual/gvtsim/gvtsim/6e3b1f2a-0000-4000-8000-000000000001 mdev 12
device virtual/gvtsim/gvtsim/6e3b1f2a-0000-4000-8000-000000000002 mdev 13
device pci0000:00/0000:00:03.0 pci 13
mkdir -p "$sys/kernel/iommu_groups/14/devices"

check() {
	local want=$1 group=$2 why=$3
	"$helper" "$group" "$sys"
	local got=$?
	if { [ "$want" = yes ] && [ $got -eq 0 ]; } || { [ "$want" = no ] && [ $got -ne 0 ]; }; then
		echo "ok - group '$group' ($why): $want"
	else
		echo "not ok - group '$group' ($why): wanted $want, helper exited $got"
		fails=$((fails + 1))
	fi
}
check yes 12 "one mdev"
check no 1 "a PCI device (passthrough)"
check no 13 "an mdev and a PCI device"
check no 14 "empty group"
check no 15 "no such group"
check no noiommu-12 "not a number"
check no '../12' "path in the name"
check no '' "no name"

# The rule grants the group node only through the helper, and the device
# cdev only below an mdev; no other line changes permissions.
if grep -q '^SUBSYSTEM=="vfio", KERNEL=="\[0-9\]\*".*PROGRAM="gvt-dmabuf-mdev-group %k", GROUP="kvm", MODE="0660"$' "$rules" &&
   grep -q '^SUBSYSTEM=="vfio-dev", KERNEL=="vfio\[0-9\]\*", SUBSYSTEMS=="mdev", GROUP="kvm", MODE="0660"$' "$rules" &&
   [ "$(grep -c 'GROUP=\|MODE=\|OWNER=' "$rules")" -eq 2 ]; then
	echo "ok - 70-gvt-dmabuf.rules grants group kvm mdev nodes only"
else
	echo "not ok - 70-gvt-dmabuf.rules: expected exactly the two mdev-only lines"
	fails=$((fails + 1))
fi

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
