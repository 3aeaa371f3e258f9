#!/bin/bash
# SPDX-License-Identifier: MIT
# scripts/demo's core (no apt-get, no build: GVT_DEMO_BUILD points at this
# build): it must start its own D-Bus session, PipeWire and WirePlumber,
# record demo.mp4 and demo.png through pipewiresrc, stop all it started,
# and the files must hold what the guest showed: ffprobe reads N frames of
# 1280x720 H.264 from the MP4, the PNG's pixels (block code first) equal
# the guest model's frame (frame-check).
#
# Usage: test-demo.sh BUILDDIR PATH/TO/frame-check
set -u
BUILD=$1
CHECK=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
for p in dbus-run-session pipewire wireplumber pw-dump gst-launch-1.0 ffprobe python3; do
	command -v "$p" >/dev/null || { echo "SKIP: $p is not installed (scripts/deps.sh test)"; exit 77; }
done
for e in pipewiresrc x264enc mp4mux pngenc pngdec; do
	gst-inspect-1.0 "$e" >/dev/null 2>&1 || { echo "SKIP: GStreamer element $e missing (scripts/deps.sh demo)"; exit 77; }
done

fails=0
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }
T=$(mktemp -d /tmp/gvt-demo-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
N=45

# No PipeWire in sight, so the demo must bring its own.
env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS GVT_DEMO_BUILD="$BUILD" GVT_DEMO_OUT="$T" \
	GVT_DEMO_FRAMES=$N timeout 300 "$SRC/scripts/demo" >"$T/demo.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "scripts/demo exits 0" || fail "scripts/demo: rc=$rc: $(tail -20 "$T/demo.log")"
grep -q "^PipeWire node: name gvt-streamd.sim-1280x720-xtiled-fps-30-cursor-off, id [0-9]*, object.serial [0-9]*" "$T/demo.log" &&
	ok "demo prints the node's name and id" || fail "no node line in: $(cat "$T/demo.log")"
grep -q "state: streaming, 1280x720" "$T/demo.log" && ok "demo prints the daemon's status" || fail "no status in the demo's output"
grep -q "^wrote $T/demo.mp4" "$T/demo.log" && grep -q "^wrote $T/demo.png" "$T/demo.log" &&
	ok "demo says where its files are" || fail "demo does not say where it wrote"
# Everything the demo started inherits GVT_DEMO_OUT=$T: none may outlive it.
sleep 0.5
left=$(grep -lzx "GVT_DEMO_OUT=$T" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 |
	while read -r p; do printf '%s(%s) ' "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done)
[ -z "$left" ] && ok "nothing the demo started is left running (daemon, PipeWire, WirePlumber, D-Bus, consumers)" ||
	fail "left running: $left"
grep -q "trying once more" "$T/demo.log" && echo "# note: the PNG consumer needed a second attempt: $(grep -A3 "trying once more" "$T/demo.log" | tr "\n" " ")"
grep -q "no PipeWire runs: starting a private" "$T/demo.log" && ok "demo started its own PipeWire" || fail "demo did not start a private PipeWire"

# The MP4: N frames of 1280x720 H.264 (the container's sample count is
# exact; mp4mux's edit list may hide the first one from the decoder).
eval "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,width,height,nb_frames,nb_read_frames \
	-of default=nw=1 "$T/demo.mp4" 2>"$T/ffprobe.err")"
[ "${codec_name:-}" = h264 ] && [ "${width:-}" = 1280 ] && [ "${height:-}" = 720 ] &&
	ok "demo.mp4 is 1280x720 H.264" || fail "demo.mp4: codec '${codec_name:-}' ${width:-}x${height:-}: $(cat "$T/ffprobe.err")"
[ "${nb_frames:-}" = $N ] && [ "${nb_read_frames:-0}" -ge $((N - 1)) ] &&
	ok "demo.mp4 holds $nb_frames frames, $nb_read_frames decode" || fail "demo.mp4: ${nb_frames:-?} frames, ${nb_read_frames:-?} decode, wanted $N"

# The PNG: decoded by GStreamer's pngdec, compared with the guest model.
gst-launch-1.0 -q filesrc location="$T/demo.png" ! pngdec ! videoconvert ! video/x-raw,format=BGRx,width=1280,height=720 ! \
	filesink location="$T/png.raw" >"$T/pngdec.log" 2>&1 &&
	"$CHECK" "$T/png.raw" 1280 720 BGRx 1 >"$T/check.log" &&
	ok "demo.png: block code read, every pixel equals the guest model ($(tail -1 "$T/check.log"))" ||
	fail "demo.png: $(cat "$T/pngdec.log") $(tail -3 "$T/check.log")"
[ $fails -eq 0 ]
