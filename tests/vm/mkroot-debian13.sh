#!/bin/bash
# SPDX-License-Identifier: MIT
# Build (once, cached) a Debian 13 tree holding what the test suites need on
# Debian 13: the 6.12 kernel image, modules and headers (vm suite), and the
# build and test stack of the user-space parts (GStreamer 1.26, PipeWire 1.4,
# Mesa 25, QEMU 10), used by chroot or as the VM's root over 9p.
#
#   tests/vm/mkroot-debian13.sh [DIR]     (default /var/cache/gvt-dmabuf/debian13)
#
# Prints the tree's path.  A tree built before is reused; when the package
# list below has grown since, only the missing packages are installed into
# it (apt-get in the chroot), so adding a package costs seconds, not a
# rebuild.  The tree records the list it holds in .gvt-dmabuf-packages.
set -euo pipefail

dir=${1:-${GVT_DMABUF_DEBIAN13_ROOT:-/var/cache/gvt-dmabuf/debian13}}

# One package a line; keep it sorted by purpose.
packages=(
	# kernel: the 6.12 image, modules and headers; the module build
	linux-image-amd64 linux-headers-amd64 gcc make kmod libc6-dev
	# building the user-space parts
	meson ninja-build pkg-config libdrm-dev libglib2.0-dev libglib2.0-dev-bin
	libpng-dev libspa-0.2-dev libpipewire-0.3-dev libva-dev
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
	libgstreamer-plugins-bad1.0-dev
	libgstrtspserver-1.0-dev
	# gvt-streamd's WebRTC server and its viewers' input
	libsoup-3.0-dev libjson-glib-dev
	# gvt-streamd: mdev hotplug from udev (libgudev); udevd for the vm suite
	libgudev-1.0-dev udev
	libegl-dev libgles-dev libgbm-dev libepoxy-dev
	# running them: GStreamer, encoders, decoders, Mesa (llvmpipe), PipeWire
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
	gstreamer1.0-gl ffmpeg libegl-mesa0 libgl1-mesa-dri mesa-utils
	pipewire pipewire-bin wireplumber pipewire-v4l2 gstreamer1.0-pipewire
	dbus dbus-daemon
	# OBS Studio 30.2 headless (service test obs-studio): its camera source
	# (obs-plugins), Xvfb, the camera portal and its Access backend
	obs-studio obs-plugins xvfb xdg-desktop-portal xdg-desktop-portal-gtk
	# a nested QEMU with the D-Bus display (needs OpenGL for ui-dbus)
	qemu-system-x86 qemu-system-modules-opengl
)

want=$(printf '%s\n' "${packages[@]}" | sort -u)

# Two test runs at once must not build or extend the tree together.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9

if [ -f "$dir/.gvt-dmabuf-complete" ]; then
	have=$(cat "$dir/.gvt-dmabuf-packages" 2>/dev/null || true)
	missing=$(comm -23 <(echo "$want") <(echo "$have" | sort -u) | tr '\n' ' ')
	if [ -n "${missing// /}" ]; then
		echo "mkroot-debian13: adding to $dir: $missing" >&2
		# The tree's resolv.conf and /proc are what apt needs in a chroot.
		cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
		mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
		rc=0
		# shellcheck disable=SC2086
		chroot "$dir" env DEBIAN_FRONTEND=noninteractive sh -c \
			"apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing" >&2 || rc=$?
		umount "$dir/proc" 2>/dev/null || true
		[ "$rc" = 0 ] || { echo "mkroot-debian13: could not install $missing into $dir" >&2; exit 1; }
		echo "$want" >"$dir/.gvt-dmabuf-packages"
	fi
	echo "$dir"
	exit 0
fi

if ! command -v mmdebstrap >/dev/null; then
	echo "mkroot-debian13: installing mmdebstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >&2
fi

mirror=$(awk '/^deb / && $2 ~ /^http/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
mirror=${mirror:-http://deb.debian.org/debian}

rm -rf "$dir.tmp"
echo "mkroot-debian13: building $dir from $mirror (a few minutes, once)" >&2
mmdebstrap --variant=apt --include="$(echo "$want" | paste -sd, -)" \
	trixie "$dir.tmp" "$mirror" >&2
echo "$want" >"$dir.tmp/.gvt-dmabuf-packages"
touch "$dir.tmp/.gvt-dmabuf-complete"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
