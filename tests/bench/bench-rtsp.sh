#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's RTSP (issue 10 §5), one daemon at a time on a 30 fps sim
# vGPU with x264enc, no D-Bus and no PipeWire:
#  - glass-to-glass latency at 1280x720 and 1920x1080: one viewer
#    (rtspsrc latency=0 over TCP ! rtph264depay ! avdec_h264, sliced
#    threads) whose decoded frames are cropped to the block code's corner
#    and piped to bench-rtsp-latency, which subtracts each frame's flip
#    time (the sim's CLOCK_MONOTONIC, in the block code) from the
#    CLOCK_MONOTONIC time the frame arrives: median and p99 over ~5 s;
#  - the daemon's CPU (utime+stime of /proc/PID/stat, all threads) over
#    5 s at 1280x720 with 1 viewer against 8 viewers (rtspsrc ! fakesink:
#    no decoding to compete with the daemon), and their ratio (the encode
#    is shared: 8 viewers should cost little more than 1).
# Figures only, no assertion; #result lines feed tests/bench/run.sh.
#
#   bench-rtsp.sh BUILDDIR
set -u
build=$1
sd=$build/service/streamd/gvt-streamd
lat=$build/tests/bench/bench-rtsp-latency
for p in gst-launch-1.0 gst-inspect-1.0; do
	command -v "$p" >/dev/null || { echo "bench-rtsp: $p is not installed: skipped"; exit 77; }
done
for e in rtspsrc rtph264depay avdec_h264 x264enc videocrop; do
	gst-inspect-1.0 "$e" >/dev/null 2>&1 || { echo "bench-rtsp: GStreamer element $e missing: skipped"; exit 77; }
done
[ -x "$sd" ] || { echo "bench-rtsp: $sd not built: skipped"; exit 77; }
[ -x "$lat" ] || { echo "bench-rtsp: $lat not built: skipped"; exit 77; }

export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
T=$(mktemp -d /tmp/gvt-bench-rtsp.XXXXXX)
sdpid=
viewers=()
cleanup() {
	local p
	for p in "${viewers[@]}" $sdpid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

start_daemon() {	# WxH: sets sdpid and url
	cat >"$T/sd.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
rtsp-port = 0
webrtc-port = 0

[vgpu sim:$1,fps=30,cursor=off]
name = Bench
encoder = x264enc
CONF
	G_MESSAGES_DEBUG= "$sd" --no-dbus --config "$T/sd.conf" >"$T/sd.log" 2>&1 &
	sdpid=$!
	local i port=
	for i in $(seq 100); do
		port=$(sed -n 's/.*RTSP server listening on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$T/sd.log" 2>/dev/null)
		[ -n "$port" ] && grep -q "/Bench (x264enc" "$T/sd.log" && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "bench-rtsp: no RTSP server: $(cat "$T/sd.log")" >&2; return 1; }
	url=rtsp://127.0.0.1:$port/Bench
}
stop_daemon() {
	kill -TERM "$sdpid"
	wait "$sdpid" 2>/dev/null
	sdpid=
}

latency() {	# W H: prints bench-rtsp-latency's line
	start_daemon "$1x$2" || return 1
	# 30 start-up frames skipped, then 150 (5 s at 30 fps)
	timeout 30 gst-launch-1.0 -q rtspsrc location="$url" protocols=tcp latency=0 ! rtph264depay ! \
		avdec_h264 thread-type=slice ! videocrop right=$(($1 - 256)) bottom=$(($2 - 160)) ! \
		videoconvert ! video/x-raw,format=BGRx ! identity eos-after=181 ! fdsink fd=1 sync=false \
		2>"$T/lat.log" | "$lat" 256 160 30
	stop_daemon
}

cpu() {	# VIEWERS: prints the daemon's CPU in ms over 5 s
	local i t0 t1
	viewers=()
	for i in $(seq "$1"); do
		gst-launch-1.0 -q rtspsrc location="$url" protocols=tcp latency=0 ! fakesink >"$T/v$i.log" 2>&1 &
		viewers+=($!)
	done
	sleep 2	# connections, the key frame, steady state
	t0=$(cpu_ticks "$sdpid")
	sleep 5
	t1=$(cpu_ticks "$sdpid")
	for i in "${viewers[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	viewers=()
	echo $(( (t1 - t0) * 1000 / hz ))
}

read -r _ n720 _ bad720 _ med720 _ p99_720 _ min720 _ max720 < <(latency 1280 720)
read -r _ n1080 _ bad1080 _ med1080 _ p99_1080 _ min1080 _ max1080 < <(latency 1920 1080)
start_daemon 1280x720 || exit 1
cpu1=$(cpu 1)
sleep 1	# the last viewer's teardown
cpu8=$(cpu 8)
stop_daemon
[ -n "${med720:-}" ] && [ -n "${cpu8:-}" ] || { echo "bench-rtsp: no figures" >&2; exit 1; }
ratio=$(awk -v a="$cpu8" -v b="$cpu1" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "gvt-streamd RTSP, 30 fps sim, x264enc (zerolatency, ultrafast), rtspsrc over TCP on loopback"
echo "  glass-to-glass (flip to decoded frame), ms:"
echo "    1280x720:  median $med720, p99 $p99_720 (min $min720, max $max720) over $n720 frames, $bad720 unreadable"
echo "    1920x1080: median $med1080, p99 $p99_1080 (min $min1080, max $max1080) over $n1080 frames, $bad1080 unreadable"
echo "  daemon CPU at 1280x720 over 5 s: 1 viewer $cpu1 ms, 8 viewers $cpu8 ms: ${ratio}x"
printf '#result\t%s\t%s\t%s\t%s\n' \
	"RTSP glass-to-glass 720p x264 (ms)" "$med720" "$min720" "-" \
	"RTSP glass-to-glass 720p x264, p99 (ms)" "$p99_720" "$p99_720" "-" \
	"RTSP glass-to-glass 1080p x264 (ms)" "$med1080" "$min1080" "-" \
	"RTSP glass-to-glass 1080p x264, p99 (ms)" "$p99_1080" "$p99_1080" "-" \
	"RTSP daemon CPU 720p, 1 viewer (ms/5 s)" "$cpu1" "$cpu1" "-" \
	"RTSP daemon CPU 720p, 8 viewers (ms/5 s)" "$cpu8" "$cpu8" "-" \
	"RTSP daemon CPU 8 viewers / 1 (ratio)" "$ratio" "$ratio" "~1"
