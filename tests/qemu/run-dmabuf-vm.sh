#!/bin/bash
# SPDX-License-Identifier: MIT
# The qemu suite's real dma-buf path: QEMU's D-Bus display exports dma-bufs
# only with GL (-display dbus,gl=on), which needs a render node; the host
# has none.  So boot Debian 13's 6.12 kernel (tree of mkroot-debian13.sh)
# with vgem for /dev/dri/renderD128, and inside it run Debian 13's QEMU 10
# with -display dbus,gl=on and a VGA (SeaBIOS's screen, no guest kernel)
# next to qemu-dmabuf-check, which reads the ScanoutDMABUF buffer through
# libgvtdmabuf and compares it with QEMU's screendump.  The host's root is
# shared read-only over 9p; the programs of BUILDDIR run in the Debian 13
# tree (built on Debian 12, they need nothing newer).
#
#   tests/qemu/run-dmabuf-vm.sh BUILDDIR [vfio]
#
# With "vfio", the product's own path instead: gvtsim.ko (built for 6.12)
# with a vGPU, which QEMU 10 holds as -device vfio-pci,...,display=on and
# whose guest is vguest (a bare-metal program running the guest model over
# the vGPU's BARs); qemu-vfio-check reads QEMU's ScanoutDMABUF of it.
#
# Output is TAP; exit status 0 pass or skip ("1..0 # SKIP" naming the
# missing piece), 1 fail.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
. "$srcdir/tests/vm/initramfs-lib.sh"
builddir=$(cd "${1:?usage: run-dmabuf-vm.sh BUILDDIR [vfio]}" && pwd)
mode=${2:-gl}
tag=qemu-dmabuf-$mode
log() { echo "# $tag: $*"; }
# A TAP test says "skipped" with its plan; meson reads a non-zero exit
# status of a TAP test as an error, 77 included.
skip() { echo "1..0 # SKIP $*"; exit 0; }
fail() { echo "not ok - $*"; echo "1..1"; exit 1; }

case "$mode" in
gl) check_prog="$builddir/tests/qemu/qemu-dmabuf-check" ;;
vfio) check_prog="$builddir/tests/qemu/qemu-vfio-check"
      [ -f "$builddir/tests/qemu/vguest.bin" ] || fail "vguest.bin not built in $builddir" ;;
*) fail "unknown mode '$mode' (gl or vfio)" ;;
esac
[ -x "$check_prog" ] || fail "$(basename "$check_prog") not built in $builddir"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip "no static /bin/busybox"
root=$("$srcdir/tests/vm/mkroot-debian13.sh") || skip "no Debian 13 tree (tests/vm/mkroot-debian13.sh failed)"
kver=$(cd "$root/lib/modules" 2>/dev/null && ls -d 6.12*-amd64 2>/dev/null | sort -V | tail -n1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] || skip "the Debian 13 tree has no 6.12 kernel"
[ -x "$root/usr/bin/qemu-system-x86_64" ] || skip "the Debian 13 tree has no qemu-system-x86"
ls "$root"/usr/lib/x86_64-linux-gnu/qemu/ui-opengl.so >/dev/null 2>&1 ||
	skip "the Debian 13 tree has no qemu-system-modules-opengl (ui-dbus needs it)"
[ -x "$root/usr/bin/dbus-daemon" ] || skip "the Debian 13 tree has no dbus-daemon"
[ -x "$root/usr/bin/python3" ] || true

work=$(mktemp -d /tmp/gvt-qemu-dmabuf-XXXXXX)
trap 'rm -rf "$work"' EXIT
modules="9p 9pnet_virtio vgem"
if [ "$mode" = vfio ]; then
	[ -d "$root/usr/src/linux-headers-$kver" ] || skip "no headers for $kver in the Debian 13 tree"
	"$srcdir/kernel/build-module.sh" --chroot "$root" "/usr/src/linux-headers-$kver" "$work/ko" \
		>"$work/module.log" 2>&1 || { sed 's/^/# /' "$work/module.log"; fail "gvtsim.ko does not build for $kver"; }
	modules="$modules vfio vfio_iommu_type1 mdev"
fi
ird="$work/initramfs"
mkdir -p "$ird"/{bin,dev,proc,sys,host,lib/modules}
cp /bin/busybox "$ird/bin/"
for a in sh mount insmod poweroff cat echo sleep chroot; do ln -s busybox "$ird/bin/$a"; done
initramfs_add_modules "$ird" "$kver" "$root" $modules || fail "could not put the modules into the initramfs"
uuid=3d0e4c1a-5d2f-4e6b-8a7c-0123456789ab
if [ "$mode" = vfio ]; then
	cp "$work/ko/gvtsim.ko" "$ird/lib/modules/gvtsim.ko"
	cp "$builddir/tests/qemu/vguest.bin" "$ird/vguest.bin"
	qemu_args="-machine q35 -no-reboot -kernel /tmp/vguest.bin -debugcon file:/tmp/guest.log"
	qemu_args="$qemu_args -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,display=on,addr=03.0"
	check_cmd="/build/tests/qemu/qemu-vfio-check"
else
	qemu_args="-device VGA -qmp unix:/tmp/qmp,server=on,wait=off"
	check_cmd="/build/tests/qemu/qemu-dmabuf-check /tmp/qmp /tmp"
fi
# Runs in the Debian 13 tree: a bus, QEMU 10 with GL on vgem, the check.
cat >"$ird/inner.sh" <<INNER
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp XDG_RUNTIME_DIR=/tmp
dbus-daemon --session --nofork --nopidfile --print-address=3 3>/tmp/bus 2>/tmp/dbus.log &
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s /tmp/bus ] && break; sleep 0.5; done
export DBUS_SESSION_BUS_ADDRESS=\$(head -n1 /tmp/bus)
echo "# \$(qemu-system-x86_64 --version | head -n1)"
qemu-system-x86_64 -nodefaults -m 64 -display dbus,gl=on $qemu_args >/tmp/qemu.log 2>&1 &
qp=\$!
LD_LIBRARY_PATH=/build/lib timeout 300 $check_cmd
echo "# check exit status \$?"
sort /tmp/qemu.log | uniq -c | sed 's/^/# qemu: /'
[ -f /tmp/guest.log ] && tail -n 3 /tmp/guest.log | sed 's/^/# guest: /'
kill \$qp
INNER
cat >"$ird/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
. /vm.conf
for m in $(cat /modules.list); do insmod "/lib/modules/$m"; done
if [ -f /lib/modules/gvtsim.ko ]; then
	# The check reads the pixels with the CPU (i915, and gvtsim by
	# default, refuse to mmap a dma-buf).
	insmod /lib/modules/gvtsim.ko dmabuf_mmap=1
	echo "$UUID" >/sys/devices/virtual/gvtsim/gvtsim/mdev_supported_types/gvtsim-GVTg_V5_4/create
fi
mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /host
D=/host$ROOT
mount -t tmpfs tmp "$D/tmp"
mount -t tmpfs run "$D/run"
mount -o bind /dev "$D/dev"
mount -t proc proc "$D/proc"
mount -t sysfs sys "$D/sys"
mount -o bind "/host$BUILDDIR" "$D/mnt"
cat /inner.sh | sed 's|/build/|/mnt/|g' >"$D/tmp/inner.sh"
[ -f /vguest.bin ] && cat /vguest.bin >"$D/tmp/vguest.bin"
chroot "$D" /bin/sh /tmp/inner.sh >/dev/ttyS1 2>&1
poweroff -f
INIT
chmod 755 "$ird/init"
printf "ROOT='%s'\nBUILDDIR='%s'\nUUID='%s'\n" "$root" "$builddir" "$uuid" >"$ird/vm.conf"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz" || fail "could not pack the initramfs"

log "booting $kver with vgem; QEMU 10 -display dbus,gl=on inside ($mode)"
boot() {
	timeout --foreground -k 10 400 qemu-system-x86_64 \
		-machine q35 -cpu max -smp 2 -m 2048 -display none -monitor none -no-reboot \
		-serial "file:$work/console.log" -serial "file:$work/out.log" \
		-kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot </dev/null
}
boot
# Under TCG, Debian's 6.12 once panicked in its timer code a second into
# boot (a CI run), before anything of ours ran: boot once more then, and
# only then (the test printed nothing and the kernel panicked).
if [ ! -s "$work/out.log" ] && grep -q 'Kernel panic' "$work/console.log" 2>/dev/null; then
	log "the guest kernel panicked before the test started; booting once more:"
	grep -m1 -B2 'Kernel panic' "$work/console.log" | sed 's/^/#   /'
	boot
fi
tr -d '\r' <"$work/out.log"
grep -q '^# check exit status 0' "$work/out.log" || {
	log "console:"; tr -d '\r' <"$work/console.log" | tail -n 15 | sed 's/^/#   /'
	exit 1
}
exit 0
