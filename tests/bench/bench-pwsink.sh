#!/bin/bash
# SPDX-License-Identifier: MIT
# Publishing CPU per frame (issue 9 §6): gvt-streamd's node on the dma-buf
# path against GStreamer's pipewiresink fed the same frames, in one run.
# Both producers capture the same sim guest (1920x1080 at 60 fps, linear)
# with gvtdmabufsrc and publish to a consumer that takes 150 frames:
#  - gvt-streamd, io-mode=dmabuf (the sim's memfd handed on as a dma-buf,
#    the test aid: no /dev/udmabuf here), to pipewiresrc 1.4 with DMA_DRM
#    caps from the Debian 13 tree;
#  - gvt-streamd's shared-memory path (io-mode=system), to pipewiresrc BGRx;
#  - gst-launch-1.0 gvtdmabufsrc io-mode=system ! pipewiresink mode=provide,
#    to pipewiresrc BGRx.  pipewiresink 0.3.65 cannot publish dma-bufs: fed
#    memory:DMABuf it offers modifiers and then fails ("error alloc
#    buffers: Invalid argument"), so system memory is what it can be fed.
# CPU is the producer's threads' time on CPU (/proc/PID/task/*/schedstat,
# ns) over the consumer's 150 frames, without the sim guest's own thread
# (gvtsim-guest paints the frames: the guest's work, not the publisher's).
# PipeWire 1.4 and WirePlumber run from the tree.  Figures only, no
# assertion; #result lines feed tests/bench/run.sh.  Needs root and the
# tree (skips, 77, without).
#
#   bench-pwsink.sh BUILDDIR
set -u
build=$1
sd=$build/service/streamd/gvt-streamd
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${GVT_DMABUF_DEBIAN13_ROOT:-/var/cache/gvt-dmabuf/debian13}
skip() { echo "bench-pwsink: $*: skipped"; exit 77; }
[ "$(id -u)" = 0 ] || skip "the Debian 13 tree's PipeWire needs root (chroot)"
[ -f "$ROOT/.gvt-dmabuf-complete" ] || skip "no Debian 13 tree at $ROOT (tests/vm/mkroot-debian13.sh)"
[ -x "$sd" ] || skip "$sd not built"
gst-inspect-1.0 pipewiresink >/dev/null 2>&1 || skip "no pipewiresink (gstreamer1.0-pipewire)"
. "$here/../service/pw-session.sh"
. "$here/../service/debian13-lib.sh"

export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
T=$(mktemp -d /tmp/gvt-bench-pwsink.XXXXXX)
prod=
cleanup() {
	[ -n "$prod" ] && kill "$prod" 2>/dev/null && wait "$prod" 2>/dev/null
	[ -n "${TREE_PW_PID:-}" ] && kill "$TREE_PW_PID" 2>/dev/null && wait "$TREE_PW_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
tree_pw_start || { echo "bench-pwsink: the tree's PipeWire did not start" >&2; exit 1; }
DEV="sim:1920x1080,fps=60,cursor=off"
FRAMES=150

cpu_ns() {	# PID: ns on CPU of its threads but the guest's
	local t sum=0 c
	for t in /proc/$1/task/*; do
		c=$(cat "$t/comm" 2>/dev/null)
		[ "$c" = gvtsim-guest ] && continue
		read -r ns _ <"$t/schedstat" 2>/dev/null && sum=$((sum + ns))
	done
	echo $sum
}

# measure NODE-NAME CAPS: µs of producer CPU per frame over FRAMES frames
measure() {
	local n i t0 t1 rc
	for i in $(seq 100); do
		n=$(pw_node_id "$1")
		[ -n "$n" ] && break
		sleep 0.1
	done
	[ -n "$n" ] || { echo "bench-pwsink: no node $1" >&2; return 1; }
	sleep 0.5	# the first frames, the pools
	t0=$(cpu_ns "$prod")
	(tree_run timeout 30 gst-launch-1.0 -q pipewiresrc target-object="$1" num-buffers=$FRAMES ! \
		"$2" ! fakesink) >"$T/cons.log" 2>&1
	rc=$?
	t1=$(cpu_ns "$prod")
	[ $rc -eq 0 ] || { echo "bench-pwsink: consumer of $1 failed: $(tail -2 "$T/cons.log")" >&2; return 1; }
	awk -v a="$t0" -v b="$t1" -v n=$FRAMES 'BEGIN { printf "%.1f\n", (b - a) / n / 1000 }'
}

streamd() {	# IO-MODE CAPS
	printf '[daemon]\nrtsp-port = 0\ndiscover-mdev = false\ndiscover-vms = false\n[vgpu %s]\nio-mode = %s\nrtsp = false\nwebrtc = false\n' \
		"$DEV" "$1" >"$T/sd.conf"
	G_MESSAGES_DEBUG= "$sd" --user --no-dbus --config "$T/sd.conf" >"$T/sd.log" 2>&1 &
	prod=$!
	measure "gvt-streamd.$(printf '%s' "$DEV" | sed 's/[^A-Za-z0-9-]/-/g')" "$2"
	local rc=$?
	kill -TERM "$prod"; wait "$prod" 2>/dev/null; prod=
	return $rc
}

ours=$(streamd dmabuf 'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24') || exit 1
grep -q "consumer negotiated dma-buf" "$T/sd.log" || { echo "bench-pwsink: the node did not go dma-buf" >&2; exit 1; }
shm=$(streamd system 'video/x-raw,format=BGRx') || exit 1
gst-launch-1.0 -q gvtdmabufsrc device="$DEV" io-mode=system ! pipewiresink mode=provide \
	stream-properties="props,node.name=bench-pwsink,media.class=Video/Source" >"$T/sink.log" 2>&1 &
prod=$!
sink=$(measure bench-pwsink 'video/x-raw,format=BGRx') || exit 1
kill "$prod"; wait "$prod" 2>/dev/null; prod=
ratio=$(awk -v a="$ours" -v b="$sink" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
echo "Publishing a 1920x1080 60 fps sim guest to a consumer of $FRAMES frames (producer CPU per frame,"
echo "capture included, the guest's painting thread not):"
echo "  gvt-streamd, dma-buf node (zero copy):        ${ours} us/frame"
echo "  gvt-streamd, shared memory (one read/copy):   ${shm} us/frame"
echo "  gvtdmabufsrc ! pipewiresink (system memory):  ${sink} us/frame"
echo "  dma-buf node / pipewiresink: ${ratio} (target <= 0.2)"
printf '#result\t%s\t%s\t%s\t%s\n' \
	"streamd dma-buf publish 1080p (us/frame)" "$ours" "$ours" "-" \
	"streamd dma-buf / pipewiresink (ratio)" "$ratio" "$ratio" "<=0.2"
