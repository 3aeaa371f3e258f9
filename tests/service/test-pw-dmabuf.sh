#!/bin/bash
# SPDX-License-Identifier: MIT
# The PipeWire node's dma-buf variant (issue 9 §2) against a consumer that
# negotiates modifiers: PipeWire 1.4's pipewiresrc (GStreamer 1.26) from the
# Debian 13 tree (chroot), on a private PipeWire 1.4 of the tree, fed by
# gvt-streamd (this build).  The host has no /dev/udmabuf, so the sim's
# surfaces are memfds, handed on as dma-bufs with `io-mode = dmabuf` (the
# documented test aid; the vm suite's vm-streamd.sh does the same with real
# udmabuf dma-bufs).  Checked:
#  - the consumer negotiates dma-buf (DMA_DRM, drm-format=XR24) and its
#    frames, written by filesink from the fds it got, are the guest model's,
#    pixel for pixel and in order;
#  - zero copy: the files behind the consumer's fds are the daemon's own
#    surfaces (the same inodes, a handful, none made per frame), and the
#    daemon read none of them (frames-read 0);
#  - an RTSP viewer (ffmpeg) meanwhile: the encode reads the dma-bufs
#    itself (encode-frames-read) and the node stays on dma-bufs;
#  - a shared-memory consumer after it: pixel-exact, read by the daemon;
#  - a second vGPU whose guest changes its mode (sim modeset=640x480@20):
#    the node offers the new mode's surfaces once they are known, and a
#    consumer then takes 640x480 dma-bufs, pixel-exact.  (A pipewiresrc of
#    PipeWire 1.2 to 1.4 that runs through the change does not survive its
#    renegotiation: "unhandled format", fixed upstream in 1.5.81.)
#
# Usage: test-pw-dmabuf.sh PATH/TO/gvt-streamd PATH/TO/frame-check
# Needs root and the Debian 13 tree (tests/vm/mkroot-debian13.sh); skips
# (77) without them.
set -u
SD=$1
CHECK=$2
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/pw-session.sh"
. "$(dirname "$0")/debian13-lib.sh"
pw_session_reexec GVT_PW_DMABUF_DBUS bash "$0" "$@"

[ "$(id -u)" = 0 ] || { echo "SKIP: chroot into the Debian 13 tree needs root"; exit 77; }
need_programs unshare ffmpeg pw-dump gdbus python3
ROOT=${GVT_DMABUF_DEBIAN13_ROOT:-/var/cache/gvt-dmabuf/debian13}
[ -f "$ROOT/.gvt-dmabuf-complete" ] && [ -x "$ROOT/usr/bin/gst-launch-1.0" ] ||
	{ echo "SKIP: no Debian 13 tree at $ROOT (the vm suite builds it: tests/vm/mkroot-debian13.sh)"; exit 77; }

test_dir pw-dmabuf
tree_pw_start || { fail "the tree's PipeWire starts: $(tail -3 "$T/pipewire.log")"; exit 1; }
pids+=($TREE_PW_PID)
# Three framebuffers at 5 fps: the consumer reads the guest's own
# framebuffer, which the guest paints again two flips later (no fences);
# at 15 fps a consumer on a loaded machine was once later than that.
DEV="sim:320x240,fps=5,buffers=3,cursor=off"
NODE="gvt-streamd.sim-320x240-fps-5-buffers-3-cursor-off"
MDEV="sim:320x240,fps=5,buffers=3,cursor=off,modeset=640x480@20"
MNODE="gvt-streamd.sim-320x240-fps-5-buffers-3-cursor-off-modeset-640x480-20"
printf '[daemon]\nrtsp-port = 0\ndiscover-mdev = false\ndiscover-vms = false\n[vgpu %s]\nname = DMA Desk\nio-mode = dmabuf\nwebrtc = false\n[vgpu %s]\nname = Mode Desk\nio-mode = dmabuf\nwebrtc = false\nrtsp = false\n' \
	"$DEV" "$MDEV" >"$T/streamd.conf"
start_streamd "$T/streamd.conf" "$T/streamd.log"
n=$(pw_wait_node "$NODE" 150) || { fail "node $NODE: $(tail -5 "$T/streamd.log")"; exit 1; }
SERIAL=${n%%|*}
# The node comes once the guest's flip cycle is known, so that a consumer
# that joins at once gets buffers for every surface: a new surface later
# means a renegotiation, which pipewiresrc 1.2 to 1.4 does not survive
# ("unhandled format"; it once failed this test that way).
grep -q "PipeWire node $NODE (DMA Desk), 320x240, dma-buf first: 3 surfaces" "$T/streamd.log" &&
	ok "the node appeared with the guest's three surfaces known" ||
	fail "node published before the guest's surfaces were known: $(grep -o 'PipeWire node.*' "$T/streamd.log")"

# ---- the dma-buf consumer, with an RTSP viewer meanwhile -----------------
tree_run timeout 40 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=20 ! \
	'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! \
	filesink location=/tmp/t/dma.raw >"$T/dma.log" 2>&1 &
G=$!
pids+=($G)
wait_log_port "$T/streamd.log" '.*RTSP server listening on 127.0.0.1 port \([0-9]*\).*'
R=
if [ -n "$PORT" ]; then
	timeout 40 ffmpeg -nostdin -v error -rtsp_transport tcp -i "rtsp://127.0.0.1:$PORT/DMA-Desk" \
		-frames:v 15 -fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$T/rtsp.raw" >"$T/rtsp.log" 2>&1 &
	R=$!
	pids+=($R)
fi
pw_watch_inodes $G 'dmabuf|^/memfd:' "$T/cons.ino"
wait $G
rc=$?
pw_fd_inodes $SDPID 'dmabuf|^/memfd:' >"$T/daemon.ino"
if grep -qF "$DEV: node offers" "$T/streamd.log"; then
	fail "the node renegotiated under its dma-buf consumer: $(grep -o "$DEV: node offers.*" "$T/streamd.log" | head -n2)"
else
	ok "no renegotiation while the dma-buf consumer ran"
fi
if [ $rc -eq 0 ] && grep -q "consumer negotiated dma-buf" "$T/streamd.log"; then
	ok "pipewiresrc 1.4 (DMA_DRM, XR24) took 20 frames: $(grep -o 'consumer negotiated dma-buf.*' "$T/streamd.log" | head -n1)"
else
	fail "dma-buf consumer: exit $rc: $(grep -E 'ERROR|error' "$T/dma.log" | head -n3) | $(grep -i pipewire "$T/streamd.log" | tail -3)"
fi
"$CHECK" "$T/dma.raw" 320 240 BGRx 20 >"$T/check.log" 2>&1 &&
	ok "its frames are the guest model's, in order: $(tail -1 "$T/check.log")" ||
	fail "dma-buf frames: $(tail -3 "$T/check.log")"
nc=$(wc -l <"$T/cons.ino")
foreign=$(comm -23 "$T/cons.ino" "$T/daemon.ino" | wc -l)
# The consumer also holds PipeWire's own memfds (the metas, the pool): the
# surfaces are the files it shares with the daemon.
shared=$(comm -12 "$T/cons.ino" "$T/daemon.ino" | wc -l)
if [ "$shared" -ge 1 ] && [ "$shared" -le 8 ]; then
	ok "the consumer's frames came in $shared of the daemon's own files (the surfaces), not one per frame"
else
	fail "files shared by consumer and daemon: $shared ($nc in the consumer, $foreign not the daemon's)"
fi
if [ -z "$R" ]; then
	fail "RTSP viewer: no port in the log ($(grep -i rtsp "$T/streamd.log" | tail -2))"
elif wait $R && "$CHECK" "$T/rtsp.raw" 320 240 BGRx 15 psnr=30,lead=5 >"$T/rcheck.log" 2>&1; then
	ok "an RTSP viewer meanwhile: $(tail -1 "$T/rcheck.log")"
else
	fail "RTSP viewer: $(tail -2 "$T/rtsp.log") $(tail -2 "$T/rcheck.log" 2>/dev/null)"
fi
fd=$(vgpu_field "$DEV" frames-dmabuf) rd=$(vgpu_field "$DEV" frames-read) er=$(vgpu_field "$DEV" encode-frames-read)
if [ "${fd:-0}" -ge 20 ] && [ "${rd:-x}" = 0 ] && [ "${er:-0}" -ge 15 ]; then
	ok "daemon: $fd frames published as dma-bufs, none read for the node; the encode read $er itself"
else
	fail "daemon counters: frames-dmabuf=${fd:-?} frames-read=${rd:-?} encode-frames-read=${er:-?}"
fi

# ---- then a shared-memory consumer: read by the daemon, pixel-exact -------
if (tree_run timeout 30 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=10 ! \
	video/x-raw,format=BGRx,width=320,height=240 ! filesink location=/tmp/t/shm.raw) >"$T/shm.log" 2>&1 &&
   "$CHECK" "$T/shm.raw" 320 240 BGRx 10 >"$T/check.log" 2>&1; then
	ok "a shared-memory consumer after it: $(tail -1 "$T/check.log")"
else
	fail "shared-memory consumer: $(tail -3 "$T/shm.log") $(tail -3 "$T/check.log" 2>/dev/null)"
fi
rd=$(vgpu_field "$DEV" frames-read)
[ "${rd:-0}" -ge 10 ] && ok "the daemon read $rd frames for it" || fail "frames-read: ${rd:-?}"
# ---- a guest's modeset on a dma-buf node ---------------------------------
for i in $(seq 150); do
	grep -qF "$MDEV: node offers 640x480, dma-buf first, now: 3 surfaces" "$T/streamd.log" && break
	sleep 0.1
done
grep -qF "$MDEV: node offers 640x480, dma-buf first, now: 3 surfaces" "$T/streamd.log" &&
	ok "after the guest's modeset the node offers 640x480 with its three new surfaces" ||
	fail "modeset on the dma-buf node: $(grep -F "$MDEV" "$T/streamd.log" | tail -3)"
if n=$(pw_wait_node "$MNODE" 50) &&
   (tree_run timeout 30 gst-launch-1.0 -q pipewiresrc target-object="${n%%|*}" num-buffers=10 ! \
	'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24,width=640,height=480' ! \
	filesink location=/tmp/t/mode.raw) >"$T/mode.log" 2>&1 &&
   "$CHECK" "$T/mode.raw" 640 480 BGRx 10 >"$T/mcheck.log" 2>&1; then
	ok "a dma-buf consumer after the modeset: 640x480, $(tail -1 "$T/mcheck.log")"
else
	fail "dma-buf consumer after the modeset: $(grep -E 'ERROR|error' "$T/mode.log" | head -n3) $(tail -2 "$T/mcheck.log" 2>/dev/null)"
fi

kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "gvt-streamd SIGTERM: exit 0" || fail "gvt-streamd exit $rc: $(tail -3 "$T/streamd.log")"
[ $fails -eq 0 ] || sed 's/^/# streamd: /' "$T/streamd.log" | tail -n 20
exit $((fails > 0))
