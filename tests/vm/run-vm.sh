#!/bin/bash
# SPDX-License-Identifier: MIT
# The vm suite: boot a Debian kernel in QEMU (software emulation) with an
# initramfs holding VFIO, mdev, 9p and gvtsim.ko, mount the host's root
# read-only over 9p and run the in-VM test programs of the meson build dir
# against the real kernel path.
#
#   tests/vm/run-vm.sh KERNEL BUILDDIR
#
#   KERNEL    "6.1"  Debian 12's kernel of this host (/boot, /lib/modules,
#                    /usr/src/linux-headers-6.1*)
#             "6.12" Debian 13's kernel from the tree mkroot-debian13.sh builds
#   BUILDDIR  meson build dir holding lib/libgvtdmabuf.so, tests/vm/vm-* and
#             service/tool/gvt-dmabuf
#
# Environment: GVT_VM_TIMEOUT (seconds for QEMU, default 600), GVT_VM_KEEP=1
# keeps the work dir, GVT_DMABUF_DEBIAN13_ROOT overrides the Debian 13 tree.
#
# Exit status: 0 pass, 1 fail, 77 skip (no QEMU or no kernel image).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
. "$here/initramfs-lib.sh"
kernel=${1:-${GVT_VM_KERNEL:-6.1}}
builddir=${2:-${GVT_VM_BUILDDIR:-}}
qemu_timeout=${GVT_VM_TIMEOUT:-600}
tag="vm-$kernel"

log() { echo "$tag: $*"; }
skip() { log "SKIP: $*"; exit 77; }
fail() { log "FAIL: $*"; log "0 passed, 1 failed"; exit 1; }

[ -n "$builddir" ] || fail "usage: run-vm.sh KERNEL BUILDDIR"
builddir=$(cd "$builddir" && pwd) || fail "no build dir $2"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v cpio >/dev/null || fail "cpio is not installed (apt-get install cpio)"
command -v modprobe >/dev/null || fail "modprobe is not installed (apt-get install kmod)"

# ---- the kernel -----------------------------------------------------------
# root: where /boot and /lib/modules of that kernel live ("" = this host);
# chroot_build: whether the module must be built inside that root.
case "$kernel" in
6.1)
	root=""
	kver=$(cd /lib/modules 2>/dev/null && ls -d 6.1.*-amd64 2>/dev/null | sort -V | tail -n1)
	[ -n "$kver" ] && [ -f "/boot/vmlinuz-$kver" ] ||
		skip "no Debian 6.1 kernel image (apt-get install linux-image-amd64 linux-headers-amd64)"
	;;
6.12)
	root=$("$here/mkroot-debian13.sh") || skip "could not build the Debian 13 tree (mkroot-debian13.sh)"
	kver=$(cd "$root/lib/modules" 2>/dev/null && ls -d 6.12*-amd64 2>/dev/null | sort -V | tail -n1)
	[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] ||
		skip "the Debian 13 tree $root has no 6.12 kernel image"
	;;
*)
	fail "unknown kernel '$kernel' (6.1 or 6.12)"
	;;
esac
vmlinuz="$root/boot/vmlinuz-$kver"
kdir="/usr/src/linux-headers-$kver"
[ -d "$root$kdir" ] || fail "no kernel headers at $root$kdir (apt-get install linux-headers-amd64)"
log "kernel $kver ($vmlinuz)"

work=$(mktemp -d /tmp/gvt-vm-XXXXXX)
cleanup() {
	[ -n "${modsrc_chroot:-}" ] && rm -rf "$modsrc_chroot"
	if [ "${GVT_VM_KEEP:-0}" = 1 ]; then log "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- gvtsim.ko --------------------------------------------------------------
# Built from a copy of kernel/ (and the public headers it includes) so the
# source tree stays clean.  For 6.12 the build runs inside the Debian 13
# tree: its kbuild helpers are linked against that tree's libc.
gvtsim_ko=""
build_module() {
	local msrc mlog="$work/module-build.log"
	if [ -x "$srcdir/kernel/build-module.sh" ]; then
		if [ -z "$root" ]; then
			"$srcdir/kernel/build-module.sh" "$kdir" "$work/ko" >"$mlog" 2>&1
		else
			"$srcdir/kernel/build-module.sh" --chroot "$root" "$kdir" "$work/ko" >"$mlog" 2>&1
		fi || { cat "$mlog"; return 1; }
		gvtsim_ko="$work/ko/gvtsim.ko"
	elif [ -f "$srcdir/kernel/Kbuild" ] || [ -f "$srcdir/kernel/Makefile" ]; then
		# No build script: make on a copy of kernel/ and the headers.
		if [ -z "$root" ]; then
			msrc="$work/src"
		else
			modsrc_chroot=$(mktemp -d "$root/tmp/gvtsim-XXXXXX")
			msrc="$modsrc_chroot"
		fi
		mkdir -p "$msrc"
		cp -a "$srcdir/kernel" "$srcdir/include" "$msrc/"
		if [ -z "$root" ]; then
			make -C "$kdir" M="$msrc/kernel" modules >"$mlog" 2>&1
		else
			chroot "$root" make -C "$kdir" M="${msrc#"$root"}/kernel" modules >"$mlog" 2>&1
		fi || { cat "$mlog"; return 1; }
		gvtsim_ko="$msrc/kernel/gvtsim.ko"
	else
		log "kernel/ has no Kbuild or Makefile yet: no gvtsim.ko"
		return 1
	fi
	[ -f "$gvtsim_ko" ] || { cat "$mlog"; return 1; }
	# The module must build warning-free on every kernel the suite boots.
	if grep -iE 'warning:' "$mlog" | sed "s/^/$tag: module build: /" | grep .; then
		build_warnings=1
	fi
	return 0
}
build_warnings=0
# Debian's kernels have no IOMMUFD, so the emulated iommufd ops (6.2+) are
# compiled out of the module that boots.  Compile gvtsim_main.c once more as
# if the kernel had it, warnings as errors, and check that the four ops are
# really referenced: the other half of the #if stays correct too.
iommufd_check=""
check_iommufd_build() {
	local d log="$work/iommufd-build.log" syms
	d=$(mktemp -d "$root/tmp/gvtsim-iommufd-XXXXXX") || return 1
	cp "$srcdir"/kernel/*.[ch] "$srcdir/kernel/Kbuild" "$srcdir/include/gvt-dmabuf/gvtsim-uapi.h" "$d/"
	if chroot "$root" make -C "$kdir" M="${d#"$root"}" \
		KCFLAGS="-DCONFIG_IOMMUFD=1 -Werror" gvtsim_main.o >"$log" 2>&1; then
		syms=$(nm "$d/gvtsim_main.o" | grep -c ' U vfio_iommufd_emulated_')
	else
		cat "$log"
		syms=0
	fi
	rm -rf "$d"
	[ "$syms" -ge 4 ]
}
if [ -n "$root" ]; then
	if check_iommufd_build; then
		iommufd_check="ok - gvtsim_main.c builds with CONFIG_IOMMUFD and uses the emulated iommufd ops ($kver)"
	else
		iommufd_check="not ok - gvtsim_main.c builds with CONFIG_IOMMUFD and uses the emulated iommufd ops ($kver)"
	fi
fi

module_status="ok"
if ! build_module; then
	module_status="could not build gvtsim.ko for $kver"
	gvtsim_ko=""
fi
[ -n "$gvtsim_ko" ] && log "built $gvtsim_ko"

# ---- initramfs ----------------------------------------------------------------
initrd_dir="$work/initramfs"
mkdir -p "$initrd_dir"/{bin,dev,proc,sys,host,tmp,lib/modules}
cp /bin/busybox "$initrd_dir/bin/busybox" 2>/dev/null || fail "busybox-static is not installed"
# The initramfs has no libc: ldd fails on a static binary.
! ldd /bin/busybox >/dev/null 2>&1 ||
	fail "/bin/busybox is not static (apt-get install busybox-static)"
for a in sh mount umount insmod rmmod mkdir cat echo sleep poweroff dmesg grep \
	chroot tee ls sed cut kill wc ps seq tr head tail lsmod timeout readlink basename; do
	ln -s busybox "$initrd_dir/bin/$a"
done

# Modules with their dependencies, in load order, decompressed (busybox
# insmod is not built with xz support everywhere).
# vgem: a DRM driver that imports dma-bufs (PRIME), the importer side.
modules_wanted="vfio vfio_iommu_type1 mdev 9p 9pnet_virtio virtio_pci vgem"
if [ -n "$gvtsim_ko" ]; then
	for d in $(modinfo -F depends "$gvtsim_ko" | tr ',' ' '); do
		modules_wanted="$modules_wanted $d"
	done
fi
# shellcheck disable=SC2086
initramfs_add_modules "$initrd_dir" "$kver" "${root:-/}" $modules_wanted ||
	fail "could not put the modules into the initramfs"
[ -n "$gvtsim_ko" ] && cp "$gvtsim_ko" "$initrd_dir/lib/modules/gvtsim.ko"

# 6.12: the reader's GPU path runs in the Debian 13 tree (Mesa 25).
tree_builddir="" tree_status="not a Debian 13 kernel"
if [ -n "$root" ]; then
	if tree_builddir=$("$here/build-in-tree.sh" "$root" 2>"$work/tree-build.log"); then
		tree_status=ok
		log "built the library in the Debian 13 tree: $tree_builddir"
	else
		tree_builddir="" tree_status="build-in-tree.sh failed: $(tail -n 3 "$work/tree-build.log" | tr '\n' ' ' | tr -d "'")"
		cat "$work/tree-build.log"
	fi
fi

cp "$here/vm-init.sh" "$initrd_dir/init"
chmod 755 "$initrd_dir/init"
cat >"$initrd_dir/vm.conf" <<EOF
KERNEL='$kernel'
KVER='$kver'
SRCDIR='$srcdir'
BUILDDIR='$builddir'
MODULE_STATUS='$module_status'
TREE_ROOT='$root'
TREE_BUILDDIR='$tree_builddir'
TREE_STATUS='$tree_status'
EOF

(cd "$initrd_dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz" ||
	fail "could not pack the initramfs"

# ---- boot -------------------------------------------------------------------------
# Serial 0 carries the kernel console (the readable log), serial 1 only the
# test lines, so printk can never garble what gets counted.
console="$work/console.log"
tap="$work/tap.log"
log "booting QEMU (TCG, 2 vCPUs, timeout ${qemu_timeout}s)"
timeout --foreground -k 10 "$qemu_timeout" qemu-system-x86_64 \
	-machine q35 -cpu max -smp 2 -m 2048 \
	-display none -monitor none -no-reboot \
	-serial "file:$console" -serial "file:$tap" \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	</dev/null
qemu_rc=$?

tr -d '\r' <"$console"
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	log "QEMU did not finish within ${qemu_timeout}s"
fi

passed=$(grep -c '^ok ' "$tap" 2>/dev/null)
failed=$(grep -c '^not ok ' "$tap" 2>/dev/null)
passed=${passed:-0}
failed=${failed:-0}
if ! grep -q '^GVT-VM-DONE' "$tap" 2>/dev/null; then
	log "the VM did not reach the end of its test run (QEMU exit $qemu_rc)"
	failed=$((failed + 1))
fi
if [ "$build_warnings" = 1 ]; then
	echo "not ok - gvtsim.ko builds without warnings for $kver" >>"$tap"
	failed=$((failed + 1))
else
	echo "ok - gvtsim.ko builds without warnings for $kver" >>"$tap"
	passed=$((passed + 1))
fi
case "$iommufd_check" in
ok*) echo "$iommufd_check" >>"$tap"; passed=$((passed + 1)) ;;
not*) echo "$iommufd_check" >>"$tap"; failed=$((failed + 1)) ;;
esac
echo "---- test lines ($tag) ----"
tr -d '\r' <"$tap" 2>/dev/null | grep -E '^(ok|not ok|#) '
echo "$tag: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
