#!/bin/bash
# SPDX-License-Identifier: MIT
# vm-gst-6.12: gvtdmabufsrc on real dma-bufs into a dma-buf importer that
# nobody here wrote.  Builds the library, the plugin and tests/vm/vm-gst in
# the Debian 13 tree (chroot: GStreamer 1.26, Mesa 25), builds gvtsim.ko
# for its 6.12 kernel, boots that kernel in QEMU (TCG) with VFIO and mdev
# but without vgem (with vgem Mesa would pick kms_swrast on it, whose
# imports read zeros), mounts the host's root read-only over 9p and runs
# vm-gst chrooted into the tree: glupload ! gldownload on llvmpipe through
# surfaceless EGL, for a gvtsim vGPU that a guest painted through VFIO and
# for the sim backend on /dev/udmabuf.  GStreamer sees only the few plugins
# it needs (GST_PLUGIN_SYSTEM_PATH) and a private registry.
#
#   tests/vm/run-gst-vm.sh SRCDIR
#
# Environment: GVT_VM_KEEP=1 keeps the work dirs, GVT_VM_ONLY=streamd runs
# only vm-streamd.sh in the VM and GVT_VM_ONLY=gvtsim only its gvtsim part
# (by hand, while working on them), GVT_DMABUF_DEBIAN13_ROOT overrides the
# Debian 13 tree.
# Output is TAP; exit status 0 pass or skip ("1..0 # SKIP" naming the
# missing piece), 1 fail.
set -uo pipefail

src=$(cd "${1:?usage: run-gst-vm.sh SRCDIR}" && pwd)
. "$(dirname "${BASH_SOURCE[0]}")/initramfs-lib.sh"
tag=vm-gst-6.12
log() { echo "# $tag: $*"; }
# A TAP test says "skipped" with its plan; meson reads a non-zero exit
# status of a TAP test as an error, 77 included.
skip() { echo "1..0 # SKIP $*"; exit 0; }
fail() { echo "not ok - $*"; echo "1..1"; exit 1; }

[ "$(id -u)" = 0 ] || skip "chroot and the tree's build need root"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v unshare >/dev/null || skip "no unshare (util-linux)"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip "no static /bin/busybox (busybox-static)"
root=$("$src/tests/vm/mkroot-debian13.sh") || skip "no Debian 13 tree (tests/vm/mkroot-debian13.sh failed)"
kver=$(cd "$root/lib/modules" 2>/dev/null && ls -d 6.12*-amd64 2>/dev/null | sort -V | tail -n1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] || skip "the Debian 13 tree has no 6.12 kernel"
[ -x "$root/usr/bin/meson" ] || skip "the Debian 13 tree has no meson"
gstlib=/usr/lib/x86_64-linux-gnu/gstreamer-1.0
for p in coreelements app opengl; do
	[ -f "$root$gstlib/libgst$p.so" ] ||
		skip "the Debian 13 tree has no $gstlib/libgst$p.so (gstreamer1.0-plugins-base, gstreamer1.0-gl)"
done

work=$(mktemp -d /tmp/gvt-gstvm-XXXXXX)
# The build lives in the tree, so that the VM sees it over 9p below the
# tree's root (the VM's /tmp is its own).
bld=$(mktemp -d "$root/var/tmp/gvt-gstvm-XXXXXX")
inside=${bld#"$root"}
cleanup() {
	if [ "${GVT_VM_KEEP:-0}" = 1 ]; then log "kept $work and $bld"; else rm -rf "$work" "$bld"; fi
}
trap cleanup EXIT

# ---- build in the tree ---------------------------------------------------
t0=$(date +%s)
mkdir "$bld/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$bld/src"
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -xf - -C "$bld/src"
fi
if ! unshare --mount --propagation private sh -c '
	set -e
	mount -t proc proc "$1/proc"
	exec chroot "$1" env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp LANG=C.UTF-8 sh -c "
		cd $2/src &&
		meson setup $2/build -Dgst=enabled -Dvm_tests=enabled -Dkernel=disabled \
			-Dfuzz=disabled -Dservice=enabled -Ddocs=disabled -Dtool=disabled \
			-Dqemu_dbus=disabled >$2/build.log 2>&1 &&
		ninja -C $2/build -j2 gst-plugin/libgstgvtdmabuf.so tests/vm/vm-gst \
			service/streamd/gvt-streamd tests/service/frame-check >>$2/build.log 2>&1"
' sh "$root" "$inside"; then
	sed 's/^/#   /' "$bld/build.log" | tail -n 40
	fail "build the library, the plugin and vm-gst in the Debian 13 tree"
fi
echo "ok - built libgvtdmabuf, gvtdmabufsrc and vm-gst against the tree's $(grep -o 'gstreamer-1.0 found: YES [0-9.]*' "$bld/build.log" | head -n1)"
if ! "$src/kernel/build-module.sh" --chroot "$root" "/usr/src/linux-headers-$kver" "$work/ko" >"$work/module.log" 2>&1; then
	sed 's/^/#   /' "$work/module.log" | tail -n 30
	fail "build gvtsim.ko for $kver"
fi
echo "ok - built gvtsim.ko for $kver"
log "builds took $(($(date +%s) - t0)) s"

# ---- initramfs: VFIO, mdev, 9p and gvtsim; no vgem -------------------------
ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,host,lib/modules}
cp /bin/busybox "$ird/bin/"
for a in sh mount insmod poweroff cat echo sleep chroot ip; do ln -s busybox "$ird/bin/$a"; done
want="vfio vfio_iommu_type1 mdev 9p 9pnet_virtio virtio_pci"
for d in $(modinfo -F depends "$work/ko/gvtsim.ko" | tr ',' ' '); do want="$want $d"; done
initramfs_add_modules "$ird" "$kver" "$root" $want || fail "could not put the modules into the initramfs"
grep -q '^vgem' "$ird/modules.list" && fail "vgem must not be in the initramfs"
cp "$work/ko/gvtsim.ko" "$ird/lib/modules/gvtsim.ko"

uuid=6a3c5b1e-4f0a-4c1b-9d3e-0000000000a1
# Runs in the Debian 13 tree.
cat >"$ird/inner.sh" <<INNER
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8
B=$inside/build
mkdir -p /tmp/gst-plugins
for p in coreelements app opengl pipewire; do ln -s $gstlib/libgst\$p.so /tmp/gst-plugins/; done
ln -s \$B/gst-plugin/libgstgvtdmabuf.so /tmp/gst-plugins/
export GST_PLUGIN_SYSTEM_PATH=/tmp/gst-plugins GST_PLUGIN_PATH=/tmp/gst-plugins
export GST_REGISTRY=/tmp/registry.bin GST_REGISTRY_FORK=no
# Surfaceless EGL on Mesa's software rasteriser; no DRM device exists.
export GST_GL_PLATFORM=egl GST_GL_WINDOW=surfaceless EGL_PLATFORM=surfaceless
export LIBGL_ALWAYS_SOFTWARE=1 MESA_LOADER_DRIVER_OVERRIDE=llvmpipe
export LD_LIBRARY_PATH=\$B/lib
[ -n "${GVT_GST_DEBUG:-}" ] && export GST_DEBUG="${GVT_GST_DEBUG:-}"
if grep -q '^vgem ' /proc/modules || [ -e /dev/dri ]; then
	echo "not ok - no vgem and no DRM device in the VM (\$(ls /dev/dri 2>&1))"
else
	echo "ok - no vgem and no DRM device in the VM: Mesa can only pick llvmpipe"
fi
[ -c /dev/udmabuf ] && echo "ok - /dev/udmabuf exists" || echo "not ok - /dev/udmabuf exists"
export GVT_VM_ONLY='${GVT_VM_ONLY:-}'
if [ -z "\$GVT_VM_ONLY" ]; then
s=\$(date +%s)
timeout -s KILL 300 \$B/tests/vm/vm-gst gvtsim $uuid 2>&1
echo "# vm-gst gvtsim exit \$? (\$((\$(date +%s) - s)) s)"
s=\$(date +%s)
timeout -s KILL 300 \$B/tests/vm/vm-gst sim 2>&1
echo "# vm-gst sim exit \$? (\$((\$(date +%s) - s)) s)"
# ---- hotplug: gvt-streamd follows mdevs through udev (vm-hotplug.sh) ----
for p in videoconvertscale; do ln -s $gstlib/libgst\$p.so /tmp/gst-plugins/; done
timeout -s KILL 300 sh $inside/src/tests/vm/vm-hotplug.sh \$B $uuid 2>&1
# ---- end of hotplug ----
fi
# D-Bus wants a machine id; the tree's /etc/machine-id is empty (and
# read-only over 9p).
echo 6a3c5b1e4f0a4c1b9d3e0000000000a1 >/tmp/machine-id && mount --bind /tmp/machine-id /etc/machine-id
# The daemon's encode and RTSP server (vm-streamd.sh has an RTSP viewer).
for p in videoconvertscale x264 videoparsersbad rtp rtpmanager udp; do ln -sf $gstlib/libgst\$p.so /tmp/gst-plugins/; done
s=\$(date +%s)
timeout -s KILL 300 bash $inside/src/tests/vm/vm-streamd.sh \$B $inside/src $uuid 2>&1
echo "# vm-streamd exit \$? (\$((\$(date +%s) - s)) s)"
echo GVT-GST-VM-DONE
INNER
cat >"$ird/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "/lib/modules/$m" || echo "# insmod $m failed" >/dev/ttyS1; done
. /vm.conf
if ! insmod /lib/modules/gvtsim.ko; then
	echo "not ok - insmod gvtsim.ko" >/dev/ttyS1
	poweroff -f
fi
echo "$UUID" >/sys/devices/virtual/gvtsim/gvtsim/mdev_supported_types/gvtsim-GVTg_V5_4/create ||
	echo "not ok - create vGPU $UUID" >/dev/ttyS1
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host
ip link set lo up	# loopback for vm-streamd.sh's RTSP viewer
D=/host$ROOT
mount -t tmpfs tmp "$D/tmp"
mount -t tmpfs run "$D/run"
mount -o bind /dev "$D/dev"
mount -t proc proc "$D/proc"
mount -t sysfs sys "$D/sys"
cat /inner.sh >"$D/tmp/inner.sh"
chroot "$D" /bin/sh /tmp/inner.sh >/dev/ttyS1 2>&1
poweroff -f
INIT
chmod 755 "$ird/init"
printf "ROOT='%s'\nUUID='%s'\n" "$root" "$uuid" >"$ird/vm.conf"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz" || fail "could not pack the initramfs"

# ---- boot ----------------------------------------------------------------
log "booting $kver (TCG) without vgem"
t0=$(date +%s)
timeout --foreground -k 10 700 qemu-system-x86_64 \
	-machine q35 -cpu max -smp 2 -m 2048 -display none -monitor none -no-reboot \
	-serial "file:$work/console.log" -serial "file:$work/out.log" \
	-kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot </dev/null
log "VM ran $(($(date +%s) - t0)) s"

# The programs number their lines each from 1: pass them on unnumbered.
tr -d '\r' <"$work/out.log" | sed -E 's/^(not )?ok [0-9]+ -/\1ok -/' >"$work/tap"
# Anything else the programs printed (a wrapped message, the end marker)
# goes on as a TAP comment.
sed -E '/^((not )?ok |#|1\.\.)/!s/^/# /' "$work/tap"
n=$(grep -cE '^(not )?ok ' "$work/tap")
n=$((n + 2))	# the two build lines
for p in gvtsim sim; do
	if ! grep -q "^# vm-gst $p exit 0 " "$work/tap"; then
		echo "not ok - vm-gst $p ran to the end and exited 0"
		n=$((n + 1))
	fi
done
for p in vm-hotplug vm-streamd; do
	if ! grep -q "^# $p exit 0 " "$work/tap"; then
		echo "not ok - $p ran to the end and exited 0 ($(grep "^# $p exit" "$work/tap" || echo 'no exit line'))"
		n=$((n + 1))
	fi
done
if ! grep -q '^GVT-GST-VM-DONE' "$work/tap"; then
	echo "not ok - the VM finished its run"
	log "console:"; tr -d '\r' <"$work/console.log" | tail -n 25 | sed 's/^/#   /'
	n=$((n + 1))
fi
if grep -E 'WARNING:|BUG:|Oops|Call Trace' "$work/console.log" | sed 's/^/# /' | grep .; then
	echo "not ok - kernel log is clean"
	n=$((n + 1))
fi
echo "1..$n"
