#!/bin/bash
# SPDX-License-Identifier: MIT
# Install the Debian packages gvt-dmabuf needs to build and test (Debian 12
# or later, as root).  Only what is missing is installed.
#
#   scripts/deps.sh build    library, tool, unit tests, benchmarks
#   scripts/deps.sh demo     build + what scripts/demo runs (PipeWire, GStreamer)
#   scripts/deps.sh test     build + kernel module, vm suite, fuzzing
set -euo pipefail

build_pkgs=(
	gcc libc6-dev make meson ninja-build pkg-config
	libdrm-dev libglib2.0-dev libpng-dev libspa-0.2-dev libva-dev
	libegl-dev libgles-dev
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
	# gvt-streamd
	libpipewire-0.3-dev libsystemd-dev libgudev-1.0-dev
	# gvt-streamd's RTSP server
	libgstrtspserver-1.0-dev
	# gvt-streamd's WebRTC server: webrtcbin's headers, libsoup 3, JSON
	libgstreamer-plugins-bad1.0-dev libsoup-3.0-dev libjson-glib-dev
)
test_pkgs=(
	"${build_pkgs[@]}"
	linux-headers-amd64 linux-image-amd64 kmod dkms
	qemu-system-x86 busybox-static cpio zstd xz-utils mmdebstrap
	clang libclang-rt-14-dev
	build-essential dpkg-dev debhelper dh-dkms fakeroot rpm lintian
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gstreamer1.0-plugins-ugly gstreamer1.0-libav ffmpeg openssl
	# gvt-streamd's push to a media server: rtspclientsink, srtsink and mpegtsmux
	gstreamer1.0-rtsp gstreamer1.0-plugins-bad
	# gst-play-1.0, one of the players the README names
	gstreamer1.0-plugins-base-apps
	# qemu suite: a private bus for QEMU's -display dbus
	dbus-daemon
	# service suite: a private PipeWire and its consumers; systemd-analyze
	dbus pipewire pipewire-bin wireplumber gstreamer1.0-pipewire pipewire-v4l2 systemd
	# service suite, WebRTC: webrtcbin (plugins-bad), libnice, a headless browser, curl
	gstreamer1.0-plugins-bad gstreamer1.0-nice chromium curl
	# service suite: test-removal.sh's leak check of a SIGTERM during a retry
	valgrind
)

# scripts/demo: gvt-streamd, a private PipeWire, gst-launch-1.0 recording MP4 and PNG
demo_pkgs=(
	"${build_pkgs[@]}"
	dbus pipewire pipewire-bin wireplumber python3
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gstreamer1.0-plugins-ugly gstreamer1.0-pipewire
)

case "${1:-build}" in
build) pkgs=("${build_pkgs[@]}") ;;
demo) pkgs=("${demo_pkgs[@]}") ;;
test) pkgs=("${test_pkgs[@]}") ;;
*) echo "deps.sh: unknown set '$1' (expected 'build', 'demo' or 'test')" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root (or install them with apt-get) and try again" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
