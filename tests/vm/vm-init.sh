#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the vm suite's initramfs (busybox sh).  run-vm.sh writes
# /vm.conf (KERNEL, KVER, SRCDIR, BUILDDIR, MODULE_STATUS) beside it.
#
# Test lines ("ok N - ..." / "not ok N - ...") go to the console and to
# /dev/ttyS1, which run-vm.sh counts; the last line there is GVT-VM-DONE.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
. /vm.conf
TEST_TIMEOUT=240	# seconds for one test program

exec 3>/dev/ttyS1
n=0
failed=0
say() { echo "$*"; echo "$*" >&3; }
ok() { n=$((n + 1)); say "ok $n - init: $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); say "not ok $n - init: $*"; }
check() {	# check "name" command...: ok when the command succeeds
	name=$1; shift
	if out=$("$@" 2>&1); then ok "$name"; else notok "$name: $out"; fi
}
finish() {
	dmesg >/tmp/dmesg.txt
	if grep -E 'WARNING:|BUG:|Oops|refcount|general protection|KASAN|UBSAN|list_add corruption|kernel BUG|Call Trace' \
		/tmp/dmesg.txt >/tmp/dmesg.bad; then
		notok "kernel log is clean: $(head -n 3 /tmp/dmesg.bad | tr '\n' ' ')"
	else
		ok "kernel log is clean (no WARNING, BUG, Oops, refcount...)"
	fi
	if [ "$failed" != 0 ]; then
		echo "---- dmesg ----"
		cat /tmp/dmesg.txt
		echo "---- end of dmesg ----"
	fi
	say "# vm-$KERNEL: $failed failed checks in init"
	say "GVT-VM-DONE"
	sync
	poweroff -f
	sleep 10
}

say "# vm-$KERNEL: kernel $(cat /proc/sys/kernel/osrelease)"

# ---- modules: VFIO, mdev, 9p --------------------------------------------
for m in $(cat /modules.list); do
	if ! out=$(insmod "/lib/modules/$m" 2>&1); then
		notok "insmod $m: $out"
	fi
done
[ "$failed" = 0 ] && ok "VFIO, mdev and 9p modules load"
[ -c /dev/vfio/vfio ] && ok "/dev/vfio/vfio exists" || notok "/dev/vfio/vfio exists"

# ---- the host's root, read-only, as /host ----------------------------------
if ! out=$(mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host 2>&1); then
	notok "mount the host root over 9p: $out"
	finish
fi
ok "host root mounted over 9p"
mount --bind /dev /host/dev
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
# A fresh /tmp for the tests; directories of the build or source tree that
# live below the host's /tmp are bound back into it.
mkdir -p /keep
i=0
for d in "$BUILDDIR" "$SRCDIR"; do
	case "$d" in /tmp/*)
		i=$((i + 1)); mkdir -p /keep/$i; mount --bind "/host$d" /keep/$i ;;
	esac
done
mount -t tmpfs tmpfs /host/tmp
i=0
for d in "$BUILDDIR" "$SRCDIR"; do
	case "$d" in /tmp/*)
		i=$((i + 1)); mkdir -p "/host$d"; mount --bind /keep/$i "/host$d" ;;
	esac
done

# Run a program inside the host root with the build dir's library; its own
# test lines are passed on, and its exit status becomes one more line.
run_test() {	# run_test NAME PROGRAM ARGS...
	name=$1; shift
	rm -f /tmp/rc
	{ timeout -s KILL "$TEST_TIMEOUT" chroot /host /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$BUILDDIR/lib" \
		GVT_VM_KERNEL="$KERNEL" "$@" 2>&1; echo $? >/tmp/rc; } |
		while IFS= read -r line; do say "$line"; done
	rc=$(cat /tmp/rc)
	if [ "$rc" = 0 ]; then ok "$name exits 0"
	elif [ "$rc" = 137 ]; then notok "$name killed after ${TEST_TIMEOUT}s"
	elif [ "$rc" = 77 ]; then ok "$name # SKIP exit 77"
	else notok "$name exits $rc"; fi
}

# Run a program inside the host root, its output to a file: the exit status
# is in $rc (no test line of its own).
run_out() {	# run_out OUTFILE PROGRAM ARGS...
	outf=$1; shift
	timeout -s KILL "$TEST_TIMEOUT" chroot /host /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$BUILDDIR/lib" \
		GVT_VM_KERNEL="$KERNEL" "$@" >"$outf" 2>&1
	rc=$?
}
# gvtsim's run-time parameters (kernel/README.md); all 0 is i915's behaviour.
param() {	# param NAME 0|1
	echo "$2" >/sys/module/gvtsim/parameters/$1 || notok "set gvtsim parameter $1=$2"
}
params() {	# params DMABUF_MMAP MONOTONIC_IDS DISABLED_PLANE_ENODEV
	param dmabuf_mmap "$1"; param monotonic_ids "$2"; param disabled_plane_enodev "$3"
	say "# gvtsim parameters: dmabuf_mmap=$1 monotonic_ids=$2 disabled_plane_enodev=$3"
}

# ---- gvtsim ---------------------------------------------------------------------
if [ ! -f /lib/modules/gvtsim.ko ]; then
	notok "gvtsim.ko: $MODULE_STATUS"
	finish
fi
if ! out=$(insmod /lib/modules/gvtsim.ko 2>&1); then
	notok "insmod gvtsim.ko: $out"
	finish
fi
ok "insmod gvtsim.ko"
parent=/sys/devices/virtual/gvtsim/gvtsim
types=$parent/mdev_supported_types
if [ -d "$types" ]; then
	ok "parent $parent has mdev_supported_types: $(ls "$types" | tr '\n' ' ')"
else
	notok "parent $parent has no mdev_supported_types"
	finish
fi

tests=$BUILDDIR/tests/vm
for p in vm-uapi; do
	if [ -x "/host$tests/$p" ]; then
		run_test "$p" "$tests/$p"
	else
		notok "$p: not built ($tests/$p)"
	fi
done

# Two vGPUs for the library and the tool.
U1=6a3c5b1e-4f0a-4c1b-9d3e-000000000001
U2=6a3c5b1e-4f0a-4c1b-9d3e-000000000002
check "create vGPU $U1 (GVTg_V5_4)" sh -c "echo $U1 > $types/gvtsim-GVTg_V5_4/create"
check "create vGPU $U2 (GVTg_V4_4)" sh -c "echo $U2 > $types/gvtsim-GVTg_V4_4/create"
[ -d /sys/bus/mdev/devices/$U1 ] && ok "$U1 in /sys/bus/mdev/devices" ||
	notok "$U1 in /sys/bus/mdev/devices"

# ---- pass 1: i915's behaviour, gvtsim's defaults --------------------------------
# The library and the tool over a guest that blanks and un-blanks its
# screen and hides its cursor, with no CPU mapping of dma-bufs and the
# lowest free dmabuf id.
tool=$BUILDDIR/service/tool/gvt-dmabuf
params 0 0 0
if [ -x "/host$tests/vm-lib" ]; then
	run_test "vm-lib --i915 $U1 (defaults)" "$tests/vm-lib" --i915 "$U1"
fi
if [ -x "/host$tool" ] && [ -x "/host$tests/vm-lib" ]; then
	run_test "vm-lib --blank $U1" "$tests/vm-lib" --blank "$U1"
	for enodev in 0 1; do
		param disabled_plane_enodev $enodev
		how="blank screen, disabled_plane_enodev=$enodev"
		run_out /tmp/t.out "$tool" info "$U1"
		if [ $rc = 0 ] && grep -q '^Plane primary: disabled' /tmp/t.out &&
			grep -q '^Plane cursor: disabled' /tmp/t.out; then
			ok "gvt-dmabuf info, $how: exit 0, primary and cursor disabled"
		else
			notok "gvt-dmabuf info, $how: exit $rc: $(grep -i 'plane\|error' /tmp/t.out | tr '\n' ' ')"
		fi
		run_out /tmp/t.out "$tool" watch "$U1" --duration 1.5 --interval 0.5
		if [ $rc = 0 ] && grep -q 'blank (primary disabled)' /tmp/t.out &&
			grep -q '^Summary.*blank 1 time for' /tmp/t.out; then
			ok "gvt-dmabuf watch, $how: goes on, reports blank, summary counts it"
		else
			notok "gvt-dmabuf watch, $how: exit $rc: $(tail -n 3 /tmp/t.out | tr '\n' ' ')"
		fi
		run_out /tmp/t.out "$tool" snapshot "$U1" /tmp/blank.png
		if [ $rc = 6 ] && grep -q 'primary plane of .* is disabled' /tmp/t.out; then
			ok "gvt-dmabuf snapshot, $how: exit 6, no picture, says the plane is disabled"
		else
			notok "gvt-dmabuf snapshot, $how: exit $rc: $(cat /tmp/t.out | tr '\n' ' ')"
		fi
	done
	param disabled_plane_enodev 0
	# The screen back, no CPU mapping: a GPU readback where there is one,
	# else a clear error, never a wrong picture.
	run_test "vm-lib paint $U1 (defaults)" "$tests/vm-lib" --paint "$U1"
	rm -f /host/tmp/i915.png
	run_out /tmp/t.out "$tool" snapshot "$U1" /tmp/i915.png
	if [ $rc = 0 ]; then
		ok "gvt-dmabuf snapshot without CPU mapping: read through a GPU path"
		run_test "snapshot pixels (defaults)" "$tests/vm-lib" --check-png /tmp/i915.png
	elif grep -q "cannot read the primary plane's pixels" /tmp/t.out && [ ! -s /host/tmp/i915.png ]; then
		ok "gvt-dmabuf snapshot without CPU mapping fails clearly (exit $rc): $(head -n 1 /tmp/t.out)"
	else
		notok "gvt-dmabuf snapshot without CPU mapping: exit $rc: $(cat /tmp/t.out | tr '\n' ' ')"
	fi
fi

# ---- pass 2: the convenience parameters on -------------------------------------
# CPU mapping and ids that never come back: what the checks below were
# written for, and what CPU importers of gvtsim's buffers need.
params 1 1 0
if [ -x "/host$tests/vm-lib" ]; then
	run_test vm-lib "$tests/vm-lib" "$U1" "$U2"
else
	notok "vm-lib: not built ($tests/vm-lib)"
fi

tool=$BUILDDIR/service/tool/gvt-dmabuf
if [ -x "/host$tool" ]; then
	# The tool needs a painted screen: vm-lib's guest keeps one on $U1.
	run_test "vm-lib paint $U1" "$tests/vm-lib" --paint "$U1"
	run_test "gvt-dmabuf list" "$tool" list
	run_test "gvt-dmabuf info" "$tool" info "$U1"
	run_test "gvt-dmabuf snapshot" "$tool" snapshot "$U1" /tmp/x.png
	if [ -s /host/tmp/x.png ] && [ "$(head -c 4 /host/tmp/x.png | tail -c 3)" = PNG ]; then
		ok "snapshot wrote a PNG ($(wc -c </host/tmp/x.png) bytes)"
		run_test "snapshot pixels" "$tests/vm-lib" --check-png /tmp/x.png
	else
		notok "snapshot wrote a PNG"
	fi
	# The guest hides its cursor: the snapshot is the screen without it,
	# whichever way the kernel says the cursor is off.
	run_test "vm-lib paint $U1, cursor hidden" "$tests/vm-lib" --paint-nocursor "$U1"
	for enodev in 0 1; do
		param disabled_plane_enodev $enodev
		rm -f /host/tmp/nocursor.png
		run_test "gvt-dmabuf snapshot, cursor hidden, disabled_plane_enodev=$enodev" \
			"$tool" snapshot "$U1" /tmp/nocursor.png
		run_test "snapshot pixels, cursor hidden" "$tests/vm-lib" --check-png-nocursor /tmp/nocursor.png
	done
	param disabled_plane_enodev 0
else
	say "# gvt-dmabuf tool not built: tool checks skipped"
fi

# ---- gvt-dmabuf watch on gvtsim, and letting go of a vGPU being removed ----
if [ -x "/host$tool" ]; then
	run_test "gvt-dmabuf watch" "$tool" watch "$U2" --count 2 --interval 0.5
	U3=6a3c5b1e-4f0a-4c1b-9d3e-000000000003
	check "create vGPU $U3 (GVTg_V5_4)" sh -c "echo $U3 > $types/gvtsim-GVTg_V5_4/create"
	g3=$(basename "$(readlink /sys/bus/mdev/devices/$U3/iommu_group)")
	rm -f /tmp/watch.rc
	( chroot /host /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$BUILDDIR/lib" \
		"$tool" watch "$U3" --duration 120 --interval 0.5 >/tmp/watch.out 2>&1
	  echo $? >/tmp/watch.rc ) &
	# Wait until watch holds the vGPU's group node open.
	i=0 held=no
	while [ $i -lt 300 ] && [ ! -f /tmp/watch.rc ]; do
		for l in /proc/[0-9]*/fd/*; do
			# seen from here, the chrooted process's node is below /host
			case "$(readlink "$l" 2>/dev/null)" in
			/dev/vfio/$g3 | /host/dev/vfio/$g3) held=yes; break ;;
			esac
		done
		[ $held = yes ] && break
		sleep 0.1; i=$((i + 1))
	done
	[ $held = yes ] && ok "gvt-dmabuf watch holds $U3 open" ||
		notok "gvt-dmabuf watch holds $U3 open: $(cat /tmp/watch.out)"
	# The kernel signals the device request; watch must let go so that the
	# removal completes instead of blocking.
	check "remove $U3 while gvt-dmabuf watch holds it" \
		timeout 60 sh -c "echo 1 > /sys/bus/mdev/devices/$U3/remove"
	i=0
	while [ ! -f /tmp/watch.rc ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if [ "$(cat /tmp/watch.rc 2>/dev/null)" = 1 ] && grep -q '^Summary' /tmp/watch.out; then
		ok "gvt-dmabuf watch ends with its summary (exit 1) when the vGPU is taken away"
	else
		notok "gvt-dmabuf watch ends when the vGPU is taken away: exit $(cat /tmp/watch.rc 2>/dev/null), $(tail -n 3 /tmp/watch.out)"
	fi
fi

# ---- the udev helper of the packages, against the real sysfs ---------------
helper=$SRCDIR/packaging/udev/gvt-dmabuf-mdev-group
if [ -x "/host$helper" ]; then
	g=$(basename "$(readlink /sys/bus/mdev/devices/$U1/iommu_group)")
	check "udev helper: group $g of mdev $U1 is an mdev group" \
		chroot /host "$helper" "$g"
	if chroot /host "$helper" 4242 >/dev/null 2>&1; then
		notok "udev helper: a group that does not exist is refused"
	else
		ok "udev helper: a group that does not exist is refused"
	fi
fi

# ---- the sim backend where the kernel has udmabuf ----------------------------
# The host has no /dev/udmabuf: only here do the sim's udmabuf export and
# read_linear's DMA_BUF_IOCTL_SYNC path run (test-sim expects a dma-buf
# exactly when /dev/udmabuf is usable; test-detile reads the sim's frames
# back through read_linear and compares every pixel).
if [ -c /dev/udmabuf ]; then
	for p in test-sim test-detile; do
		run_test "$p with /dev/udmabuf" "$BUILDDIR/tests/unit/$p"
	done
else
	say "# no /dev/udmabuf on this kernel: the sim's udmabuf export is not tested here"
fi

# ---- the reader's GPU path (EGL), in the Debian 13 tree ----------------------
[ -n "${TREE_ROOT:-}" ] && . "/host$SRCDIR/tests/vm/vm-reader.sh"

# ---- teardown: remove the vGPUs while a process still holds a dma-buf -----
if [ -x "/host$tests/vm-lib" ]; then
	rm -f /host/tmp/removed /host/tmp/release
	( chroot /host /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$BUILDDIR/lib" \
		"$tests/vm-lib" --hold "$U1" >/tmp/hold.out 2>&1; echo $? >/tmp/hold.rc ) &
	i=0
	while ! grep -q '^# holding' /tmp/hold.out 2>/dev/null && [ ! -f /tmp/hold.rc ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q '^# holding' /tmp/hold.out && ok "a process holds a dma-buf of $U1" ||
		notok "a process holds a dma-buf of $U1: $(cat /tmp/hold.out)"
fi
check "remove vGPU $U1" sh -c "echo 1 > /sys/bus/mdev/devices/$U1/remove"
check "remove vGPU $U2" sh -c "echo 1 > /sys/bus/mdev/devices/$U2/remove"
[ ! -e /sys/bus/mdev/devices/$U1 ] && ok "$U1 is gone" || notok "$U1 is gone"
if [ -x "/host$tests/vm-lib" ]; then
	touch /host/tmp/removed
	i=0
	while ! grep -q '^# verified' /tmp/hold.out 2>/dev/null && [ ! -f /tmp/hold.rc ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if [ ! -f /tmp/hold.rc ] && rmmod gvtsim 2>/dev/null; then
		notok "rmmod gvtsim is refused while a dma-buf is held"
	else
		ok "rmmod gvtsim is refused while a dma-buf is held"
	fi
	touch /host/tmp/release
	i=0
	while [ ! -f /tmp/hold.rc ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	while IFS= read -r line; do say "$line"; done </tmp/hold.out
	[ "$(cat /tmp/hold.rc 2>/dev/null)" = 0 ] && ok "vm-lib --hold exits 0" ||
		notok "vm-lib --hold exits $(cat /tmp/hold.rc 2>/dev/null)"
fi
if grep -q '^gvtsim ' /proc/modules; then
	check "rmmod gvtsim" rmmod gvtsim
fi
grep -q '^gvtsim ' /proc/modules && notok "gvtsim unloaded" || ok "gvtsim unloaded"

# Load again: the unload left nothing behind (sysfs names, class, ids).
if ! grep -q '^gvtsim ' /proc/modules; then
	check "insmod gvtsim.ko a second time" insmod /lib/modules/gvtsim.ko
	check "create a vGPU after the reload" sh -c "echo $U1 > $types/gvtsim-GVTg_V5_4/create"
	check "remove it" sh -c "echo 1 > /sys/bus/mdev/devices/$U1/remove"
	check "rmmod gvtsim again" rmmod gvtsim
fi
finish
