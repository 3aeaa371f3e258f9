# SPDX-License-Identifier: MIT
# Sourced by vm-init.sh (busybox sh) on 6.12: the reader's GPU path.
# run-vm.sh built the library, the tool and test-reader inside the Debian 13
# tree (TREE_ROOT, TREE_BUILDDIR: build-in-tree.sh), whose Mesa 25 llvmpipe
# imports dma-bufs; here /dev/udmabuf gives the sim backend real dma-bufs,
# and vgem is loaded, so the reader must pass over its render node (Mesa's
# kms_swrast on vgem reads zeros) and take the software device.
t=/host$TREE_ROOT
tree_run() {	# tree_run NAME WANT_RC PROGRAM ARGS...: runs in the tree
	name=$1 want=$2; shift 2
	rm -f /tmp/rc
	{ timeout -s KILL "$TEST_TIMEOUT" chroot "$t" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LD_LIBRARY_PATH="$TREE_BUILDDIR/lib" HOME=/tmp XDG_CACHE_HOME=/tmp \
		GVT_TEST_REQUIRE_EGL=1 "$@" 2>/tmp/tree.err; echo $? >/tmp/rc; } |
		while IFS= read -r line; do say "$line"; done
	rc=$(cat /tmp/rc)
	if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"
	else notok "$name: exit $rc, expected $want: $(tail -n 5 /tmp/tree.err | tr '\n' ' ')"; fi
}
if [ -z "${TREE_BUILDDIR:-}" ]; then
	notok "reader GPU path: not built in the Debian 13 tree ($TREE_STATUS)"
elif [ ! -c /dev/udmabuf ]; then
	notok "reader GPU path: no /dev/udmabuf on $KVER"
else
	mount --bind /dev "$t/dev" && mount -t proc proc "$t/proc" &&
		mount -t sysfs sysfs "$t/sys" && mount -t tmpfs tmpfs "$t/tmp" ||
		notok "reader GPU path: mounts in the tree"
	[ -e /sys/module/vgem ] && say "# vgem is loaded: $(ls /dev/dri 2>/dev/null | tr '\n' ' ')"
	tree_run "test-reader through EGL (Mesa of the Debian 13 tree)" 0 \
		"$TREE_BUILDDIR/tests/unit/test-reader"
	tool=$TREE_BUILDDIR/service/tool/gvt-dmabuf
	spec=sim:640x360,buffers=3,sprite=on,clock=manual
	tree_run "snapshot --read egl of a udmabuf" 0 "$tool" snapshot "$spec" /tmp/egl.png --read egl --frame 5
	tree_run "snapshot --read mmap of a udmabuf" 0 "$tool" snapshot "$spec" /tmp/mmap.png --read mmap --frame 5
	if [ -s "$t/tmp/egl.png" ] && chroot "$t" cmp -s /tmp/egl.png /tmp/mmap.png; then
		ok "the EGL and the mmap snapshot are the same picture"
	else
		notok "the EGL and the mmap snapshot are the same picture"
	fi
	tree_run "snapshot --read egl of an X-tiled udmabuf is refused" 1 \
		"$tool" snapshot sim:640x360,xtiled /tmp/x.png --read egl
	if grep -q 'I915_X_TILED' /tmp/tree.err; then
		ok "the refusal names the modifier: $(tr '\n' ' ' </tmp/tree.err)"
	else
		notok "the refusal names the modifier: $(tr '\n' ' ' </tmp/tree.err)"
	fi
	umount "$t/tmp" "$t/sys" "$t/proc" "$t/dev" 2>/dev/null
fi
