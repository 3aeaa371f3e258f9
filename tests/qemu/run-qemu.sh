#!/bin/bash
# SPDX-License-Identifier: MIT
# The qemu suite: a real QEMU (the host's, software emulation) runs Debian's
# kernel with a virtio-gpu display, virtio keyboard and tablet, and
# -display dbus on a private D-Bus bus.  The initramfs holds qemu-guest
# (KMS dumb buffers painted with the guest model, page flips, a cursor,
# evdev reports on a second serial port); qemu-client reads the VM through
# libgvtdmabuf's "qemu:bus=ADDRESS" device and checks it (TAP).
#
#   tests/qemu/run-qemu.sh BUILDDIR [TOOL]
#
# TOOL (the gvt-dmabuf tool) is checked on the running VM too when given.
#
# Environment: GVT_QEMU_KEEP=1 keeps the work dir.
# Output is TAP; exit status 0 pass or skip ("1..0 # SKIP" naming the
# missing tool), 1 fail.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../vm/initramfs-lib.sh"

builddir=$(cd "${1:?usage: run-qemu.sh BUILDDIR [TOOL]}" && pwd)
tool=${2:-}
[ -z "$tool" ] || [ -x "$tool" ] || { echo "not ok - no tool at $tool"; echo "1..1"; exit 1; }
tag=qemu-display
log() { echo "# $tag: $*"; }
# A TAP test says "skipped" with its plan; meson reads a non-zero exit
# status of a TAP test as an error, 77 included.
skip() { echo "1..0 # SKIP $*"; exit 0; }
fail() { echo "not ok - $*"; echo "1..1"; exit 1; }

guest="$builddir/tests/qemu/qemu-guest"
client="$builddir/tests/qemu/qemu-client"
[ -x "$guest" ] && [ -x "$client" ] || fail "qemu-guest or qemu-client not built in $builddir"
qemu_dbus_prereqs

work=$(mktemp -d /tmp/gvt-qemu-XXXXXX)
qemu_pid="" bus_pid=""
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
	wait 2>/dev/null
	if [ "${GVT_QEMU_KEEP:-0}" = 1 ]; then log "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- initramfs: busybox, the display/input modules, the guest program -------
ird="$work/initramfs"
mkdir -p "$ird"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$ird/bin/"
for a in sh mount insmod poweroff cat echo; do ln -s busybox "$ird/bin/$a"; done
initramfs_add_modules "$ird" "$kver" "" virtio_pci virtio_gpu virtio_input evdev || fail "could not put the modules into the initramfs"
cp "$guest" "$ird/qemu-guest"
cat >"$ird/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "/lib/modules/$m"; done
/qemu-guest /dev/ttyS1
echo "qemu-guest exited with $?"
poweroff -f
INIT
chmod 755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz" ||
	fail "could not pack the initramfs"

# ---- a private bus and the VM ------------------------------------------------
private_bus "$work" || fail "dbus-daemon printed no address: $(cat "$work/dbus.log")"
log "private bus $address"

DBUS_SESSION_BUS_ADDRESS="$address" qemu-system-x86_64 \
	-machine q35 -accel tcg -smp 1 -m 384 -nodefaults -no-reboot \
	-name gvt-qemu-test \
	-kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" \
	-serial "file:$work/console.log" -serial "file:$work/report.log" \
	-device virtio-gpu-pci,xres=640,yres=480 \
	-device virtio-keyboard-pci -device virtio-tablet-pci \
	-display dbus >"$work/qemu.log" 2>&1 &
qemu_pid=$!
disown "$qemu_pid"	# the client kills it: no "Killed" notice from bash
log "QEMU $(qemu-system-x86_64 --version | head -n1), pid $qemu_pid"

# The address holds commas (",guid="): bus= takes the rest of the name.
# The tool, when built, finds the VM on the session bus (the private one).
# gvtdmabufsrc's input (navigation and gvtdmabuf-input events), on the
# same boot: qemu-client runs it (QEMU_CLIENT_ALSO) before it kills QEMU.
gst_input="$builddir/tests/qemu/qemu-gst-input"
also=""
gst_env="GST_PLUGIN_PATH='$builddir/gst-plugin' GST_REGISTRY='$work/registry.bin'"
[ -x "$gst_input" ] && also="$gst_env timeout 120 '$gst_input' 'qemu:bus=$address' '$work/report.log'"
# and gvt-streamd's input path (SendInput -> streamd_input_message)
streamd="$builddir/service/streamd/gvt-streamd"
[ -x "$gst_input" ] && [ -x "$streamd" ] && command -v gdbus >/dev/null &&
	also="$also && $gst_env timeout 120 '$(dirname "${BASH_SOURCE[0]}")/qemu-streamd-input.sh' '$streamd' '$address' '$work/report.log' '$work'"
# and the same through the WebRTC page in chromium (DevTools key and click);
# it says "skipped" itself when chromium or webrtcbin are missing
[ -x "$gst_input" ] && [ -x "$streamd" ] && command -v gdbus >/dev/null &&
	also="$also && $gst_env GVT_DMABUF_TOOL='$tool' timeout 240 '$(dirname "${BASH_SOURCE[0]}")/qemu-webrtc-input.sh' '$streamd' '$address' '$work/report.log' '$work'"
tool_args=()
[ -n "$tool" ] && tool_args=("$tool" "$work")
DBUS_SESSION_BUS_ADDRESS="$address" DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/no-system-bus" \
	QEMU_CLIENT_ALSO="$also" timeout 480 "$client" "qemu:bus=$address" "$work/report.log" "$qemu_pid" "${tool_args[@]}"
rc=$?
for _ in $(seq 50); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
kill "$qemu_pid" 2>/dev/null
qemu_pid=""
if [ "$rc" != 0 ]; then
	log "client exit status $rc; guest report:"; sed 's/^/#   /' "$work/report.log" | tail -n 40
	log "console:"; sed 's/^/#   /' "$work/console.log" | tail -n 20
	log "QEMU:"; sed 's/^/#   /' "$work/qemu.log" | tail -n 20
	exit 1
fi
exit 0
