#!/bin/bash
# SPDX-License-Identifier: MIT
# The QEMU D-Bus display source's latency (issue 8 §4), in host time.  The
# host's QEMU (TCG) boots Debian's 6.1 kernel twice, with -display dbus on
# a private bus, and tests/qemu/qemu-guest -l page-flips the guest model's
# frames every FRAME_MS and reports each flip on a serial port whose
# chardev is a unix socket; bench-qemu-latency reads that socket live and
# the frames through libgvtdmabuf's qemu:bus=ADDRESS device (see its
# header for the clocks):
#  - virtio-gpu: QEMU pushes a frame when the guest's RESOURCE_FLUSH is
#    handled (its display refresh hook does nothing);
#  - bochs-display: QEMU looks at the framebuffer on its display refresh
#    timer (30 ms, GUI_REFRESH_INTERVAL_DEFAULT), as it does for a vfio
#    vGPU with display=on, the product's case.
# Figures only, no assertion; #result lines feed tests/bench/run.sh.
# Exit status 77 (with a reason) where QEMU, its dbus display, the kernel
# image or static busybox are missing.
#
#   bench-qemu-latency.sh BUILDDIR
#
# Environment: GVT_BENCH_QEMU_SECONDS (measured per device, default 8),
# GVT_BENCH_QEMU_FRAME_MS (the guest's frame period, default 37: not a
# multiple of 30 ms, so flips fall at every phase of the refresh timer),
# GVT_BENCH_QEMU_KEEP=1 keeps the work dir (QEMU's and the consoles' logs).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../vm/initramfs-lib.sh"

build=$(cd "${1:?usage: bench-qemu-latency.sh BUILDDIR}" && pwd)
seconds=${GVT_BENCH_QEMU_SECONDS:-8}
frame_ms=${GVT_BENCH_QEMU_FRAME_MS:-37}
guest=$build/tests/qemu/qemu-guest
helper=$build/tests/bench/bench-qemu-latency
skip() { echo "bench-qemu-latency: $*: skipped"; exit 77; }

[ -x "$guest" ] || skip "$guest not built (-Dqemu_dbus, qemu-system-x86_64)"
[ -x "$helper" ] || skip "$helper not built"
qemu_dbus_prereqs

work=$(mktemp -d /tmp/gvt-bench-qemu-XXXXXX)
qemu_pid="" bus_pid=""
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
	wait 2>/dev/null
	if [ "${GVT_BENCH_QEMU_KEEP:-0}" = 1 ]; then echo "# work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$ird/bin/"
for a in sh mount insmod poweroff; do ln -s busybox "$ird/bin/$a"; done
initramfs_add_modules "$ird" "$kver" "" virtio_pci virtio_gpu bochs ||
	skip "could not put the display modules of $kver into the initramfs"
cp "$guest" "$ird/qemu-guest"
cat >"$ird/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in \$(cat /modules.list); do insmod "/lib/modules/\$m"; done
/qemu-guest -l -p $frame_ms /dev/ttyS1
poweroff -f
INIT
chmod 755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz" ||
	skip "could not pack the initramfs"

private_bus "$work" || skip "dbus-daemon printed no address: $(cat "$work/dbus.log")"

echo "# $(qemu-system-x86_64 --version | head -n1), TCG, 1 vCPU; guest kernel $kver;" \
	"640x480 XRGB8888 frames every $frame_ms ms, $seconds s per device"
# QEMU's own word on its display refresh interval, where its trace
# backend has the events (Debian's: log, to stderr)
trace=()
for e in console_refresh dbus_registered_listener; do
	qemu-system-x86_64 -trace help 2>/dev/null | grep -qx "$e" && trace+=(-trace "$e")
done
ran=0 failed=0
run() {	# LABEL DEVICE-ARGS
	local label=$1 dev=$2 t0 rc
	rm -f "$work/report.sock"
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	DBUS_SESSION_BUS_ADDRESS="$address" qemu-system-x86_64 \
		-machine q35 -accel tcg -smp 1 -m 384 -nodefaults -no-reboot \
		-name "gvt-bench-$label" \
		-kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" \
		-chardev "socket,id=report,path=$work/report.sock,server=on,wait=off" \
		-serial "file:$work/console-$label.log" -serial chardev:report \
		-device $dev -display dbus "${trace[@]}" >"$work/qemu-$label.log" 2>&1 &
	qemu_pid=$!
	timeout 200 "$helper" "qemu:bus=$address" "$work/report.sock" "$label" "$seconds"
	rc=$?
	kill "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	qemu_pid=""
	echo "# $label: $(( ($(date +%s%N) - t0) / 1000000 )) ms with the boot"
	# QEMU's own word on its refresh interval: console_refresh is traced
	# each time gui_update() sets a new one (the shortest any listener
	# asks for, 30 ms if none asks)
	refresh=$(sed -n 's/.*console_refresh interval \([0-9]*\) ms.*/\1/p' "$work/qemu-$label.log")
	if [ -n "$refresh" ]; then
		echo "$label display refresh interval (QEMU's console_refresh trace, with our listener):" \
			"$(echo "$refresh" | tr "\n" " ")ms"
		printf '#result\tqemu %s display refresh interval (ms)\t%s\t-\t-\n' "$label" \
			"$(echo "$refresh" | tail -n1)"
	else
		echo "$label display refresh interval: not traced (no console_refresh line from QEMU)"
	fi
	if [ $rc = 0 ]; then
		ran=1
	elif [ $rc != 77 ]; then
		echo "bench-qemu-latency: $label: exit status $rc"
		sed 's/^/#   /' "$work/qemu-$label.log" | tail -n 5
		sed 's/^/#   /' "$work/console-$label.log" | tail -n 10
		failed=1
	fi
}
run virtio-gpu "virtio-gpu-pci,xres=640,yres=480"
# a boot too slow for the first is as slow for the second
if [ $ran = 1 ] || [ $failed = 1 ]; then
	run bochs "bochs-display,xres=640,yres=480"
else
	echo "bench-qemu-latency: bochs: not run after virtio-gpu's skip"
fi
[ $failed = 1 ] && exit 1
[ $ran = 1 ] && exit 0
exit 77
