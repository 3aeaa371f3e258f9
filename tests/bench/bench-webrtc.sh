#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's WebRTC page (issue 11 §3) beside its RTSP, one daemon on a
# 1280x720 30 fps sim vGPU with x264enc, no D-Bus and no PipeWire:
#  - WebRTC glass-to-glass in headless chromium: the page's GVT-FRAME
#    lines, each the flip time of the block code against the frame's
#    expected display time (requestVideoFrameCallback), in the daemon's
#    CLOCK_MONOTONIC through the page's min-RTT ping offset; 90 start-up
#    frames skipped (the first seconds run up to 200 ms while chromium's
#    receiver settles), median and p99 over the next 300 (10 s), and the
#    page's split: flip to the packets' arrival (daemon, encode, network)
#    against flip to display (its GVT-STATS lines, medians of 60);
#  - RTSP glass-to-glass of the same daemon, as bench-rtsp measures it
#    (rtspsrc latency=0 over TCP ! avdec_h264, then bench-rtsp-latency).
# chromium decodes in software here, with no GPU: its figure includes
# its decode and compositing.  Figures only; #result lines feed run.sh.
#
#   bench-webrtc.sh BUILDDIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
sd=$build/service/streamd/gvt-streamd
lat=$build/tests/bench/bench-rtsp-latency
for p in gst-launch-1.0 gst-inspect-1.0 chromium python3; do
	command -v "$p" >/dev/null || { echo "bench-webrtc: $p is not installed: skipped"; exit 77; }
done
for e in webrtcbin nicesrc sctpenc rtspsrc rtph264depay avdec_h264 x264enc videocrop; do
	gst-inspect-1.0 "$e" >/dev/null 2>&1 || { echo "bench-webrtc: GStreamer element $e missing: skipped"; exit 77; }
done
[ -x "$sd" ] || { echo "bench-webrtc: $sd not built: skipped"; exit 77; }
[ -x "$lat" ] || { echo "bench-webrtc: $lat not built: skipped"; exit 77; }

export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
T=$(mktemp -d /tmp/gvt-bench-webrtc.XXXXXX)
sdpid=
cleanup() {
	[ -n "$sdpid" ] && kill "$sdpid" 2>/dev/null && wait "$sdpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/sd.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
rtsp-port = 0
webrtc-port = 0

[vgpu sim:1280x720,fps=30,cursor=off]
name = Bench
encoder = x264enc
CONF
G_MESSAGES_DEBUG= "$sd" --no-dbus --config "$T/sd.conf" >"$T/sd.log" 2>&1 &
sdpid=$!
rport= wport=
for i in $(seq 100); do
	rport=$(sed -n 's/.*RTSP server listening on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$T/sd.log")
	wport=$(sed -n 's/.*WebRTC server listening on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$T/sd.log")
	[ -n "$rport" ] && [ -n "$wport" ] && grep -q "WebRTC page" "$T/sd.log" && break
	sleep 0.1
done
[ -n "$wport" ] || { echo "bench-webrtc: no WebRTC server: $(cat "$T/sd.log")" >&2; exit 1; }

# ---- WebRTC ----
python3 "$here/../service/cdp-pipe.py" --user-data-dir "$T/chromium" --frames 390 --timeout 60 \
	"http://127.0.0.1:$wport/Bench" >"$T/web.log" 2>&1
grep '^console GVT-FRAME ' "$T/web.log" | awk 'NR > 90 && $4 != "nan" { print $4 }' | sort -n >"$T/web.lat"
wn=$(wc -l <"$T/web.lat")
[ "$wn" -gt 0 ] || { echo "bench-webrtc: no frames in chromium: $(tail -5 "$T/web.log")" >&2; exit 1; }
pick() { sed -n "$1p" "$T/web.lat"; }
wmed=$(pick $(( (wn + 1) / 2 )))
wp99=$(pick $(( (wn * 99 + 99) / 100 )))
wmin=$(pick 1)
wmax=$(pick "$wn")
recv=$(sed -n 's/^console GVT-STATS flip-to-receive \([0-9.]*\) .*/\1/p' "$T/web.log" | tail -n +2 | sort -n |
	awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }')

# ---- RTSP, the same daemon ----
timeout 30 gst-launch-1.0 -q rtspsrc location="rtsp://127.0.0.1:$rport/Bench" protocols=tcp latency=0 ! \
	rtph264depay ! avdec_h264 thread-type=slice ! videocrop right=$((1280 - 256)) bottom=$((720 - 160)) ! \
	videoconvert ! video/x-raw,format=BGRx ! identity eos-after=181 ! fdsink fd=1 sync=false \
	2>"$T/rtsp.log" | "$lat" 256 160 30 >"$T/rtsp.out"
read -r _ rn _ rbad _ rmed _ rp99 _ rmin _ rmax <"$T/rtsp.out"

echo "gvt-streamd WebRTC and RTSP, 1280x720 30 fps sim, x264enc (zerolatency, ultrafast), loopback"
echo "  glass-to-glass, ms:"
echo "    WebRTC (chromium, flip to expected display): median $wmed, p99 $wp99 (min $wmin, max $wmax) over $wn frames"
echo "      of which flip to the packets' arrival in chromium: median $recv (daemon, encode, network)"
echo "    RTSP (rtspsrc + avdec_h264, flip to decoded): median ${rmed:-?}, p99 ${rp99:-?} (min ${rmin:-?}, max ${rmax:-?}) over ${rn:-0} frames"
printf '#result\t%s\t%s\t%s\t%s\n' \
	"WebRTC glass-to-glass 720p x264 (ms)" "$wmed" "$wmin" "-" \
	"WebRTC glass-to-glass 720p x264, p99 (ms)" "$wp99" "$wp99" "-" \
	"WebRTC flip to arrival in chromium 720p (ms)" "$recv" "$recv" "-" \
	"RTSP same run, 720p x264 (ms)" "${rmed:-?}" "${rmin:-?}" "-" \
	"RTSP same run, 720p x264, p99 (ms)" "${rp99:-?}" "${rp99:-?}" "-"
