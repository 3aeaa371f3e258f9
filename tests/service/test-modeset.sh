#!/bin/bash
# SPDX-License-Identifier: MIT
# A guest that changes its mode while gvt-streamd streams it: a sim vGPU
# at 320x240 sets 480x360 at its frame 60 (sim modeset=, 4 s after it
# opens) and goes on animating.  In a private D-Bus session and PipeWire,
# clients not written here watch it across the change:
#  - pipewiresrc on the node (shared memory): every frame one file
#    (multifilesink); the frames before the change are 320x240, those after
#    480x360, each group pixel-exact against the guest model, rising, and
#    no old-mode frame after a new-mode one;
#  - rtspsrc ! avdec_h264 on the RTSP mount: the same, above 30 dB;
#  - after the change: GetStatus says 480x360, and a new ffprobe of the
#    mount reads a 480x360 H.264 stream;
#  - headless chromium on the WebRTC page of a second such vGPU (its
#    modeset at frame 180, while the page plays): the page decodes the
#    block codes of 320x240 frames, then of 480x360 ones, rising.
# The daemon stays up and exits 0 on SIGTERM.
#
# Usage: test-modeset.sh PATH/TO/gvt-streamd PATH/TO/frame-check
set -u
SD=$1
CHECK=$2

. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_MODESET_IN_SESSION:-}" ]; then
	need_programs dbus-run-session pipewire wireplumber pw-dump gst-launch-1.0 gst-inspect-1.0 gdbus ffprobe python3
	need_elements pipewiresrc multifilesink rtspsrc rtph264depay avdec_h264 x264enc
fi
. "$(dirname "$0")/pw-session.sh"
pw_session_reexec GVT_MODESET_IN_SESSION "$0" "$@"

test_dir modeset
pw_session_start "$T"
pids+=($PW_SESSION_PID $WP_SESSION_PID)

DEV="sim:320x240,fps=15,buffers=3,cursor=off,modeset=480x360@60"
NODE="gvt-streamd.sim-320x240-fps-15-buffers-3-cursor-off-modeset-480x360-60"
WDEV="sim:320x240,fps=15,cursor=off,modeset=480x360@180"
TOKEN=m0de
cat >"$T/streamd.conf" <<CONF
[daemon]
discover-mdev = false
discover-vms = false
rtsp-port = 0
webrtc-port = 0
webrtc-token = $TOKEN

[vgpu $DEV]
name = Resizing Desk
webrtc = false

[vgpu $WDEV]
name = Web Desk
rtsp = false
CONF
G_MESSAGES_DEBUG= "$SD" --user --config "$T/streamd.conf" >"$T/streamd.log" 2>&1 &
SDPID=$!
pids+=($SDPID)


n=$(pw_wait_node "$NODE" 100) && ok "node $NODE published" ||
	{ fail "no node $NODE: $(cat "$T/streamd.log")"; exit 1; }
SERIAL=${n%%|*}
if ! wait_log_port "$T/streamd.log" '.*RTSP server listening on 127\.0\.0\.1 port \([0-9]*\).*' \
	"/Resizing-Desk ("; then
	fail "no RTSP mount: $(tail -3 "$T/streamd.log")"
	exit 1
fi
URL=rtsp://127.0.0.1:$PORT/Resizing-Desk
[ "$(vgpu_field "$DEV" width)x$(vgpu_field "$DEV" height)" = 320x240 ] && ok "GetStatus before the modeset: 320x240" ||
	fail "GetStatus before the modeset: $(vgpu_field "$DEV" width)x$(vgpu_field "$DEV" height)"

# The browser on the second vGPU's page, from before its change (12 s
# after it opened) to after it: 200 decoded frames at 15 fps, so that a
# browser slow to start still sees both modes.
WEB=
if command -v chromium >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
   wait_log_port "$T/streamd.log" '.*WebRTC server listening on 127\.0\.0\.1 port \([0-9]*\).*' \
	"WebRTC page http://127.0.0.1:@PORT@/Web-Desk"; then
	python3 "$(dirname "$0")/cdp-pipe.py" --user-data-dir "$T/chromium" --frames 200 --timeout 60 \
		"http://127.0.0.1:$PORT/Web-Desk?token=$TOKEN" >"$T/web.log" 2>&1 &
	WEB=$!
	pids+=($WEB)
else
	echo "# no chromium, or no WebRTC page in the log: the WebRTC part is not run"
fi

# Both consumers from before the change (at 4 s) to well after it.
mkdir "$T/pw" "$T/rtsp"
timeout 30 gst-launch-1.0 pipewiresrc target-object="$SERIAL" always-copy=true num-buffers=75 ! \
	video/x-raw,format=BGRx ! multifilesink location="$T/pw/%05d.raw" >"$T/pw.log" 2>&1 &
PWC=$!
pids+=($PWC)
timeout 30 gst-launch-1.0 rtspsrc location="$URL" protocols=tcp latency=100 ! rtph264depay ! \
	avdec_h264 ! videoconvert ! video/x-raw,format=BGRx ! multifilesink location="$T/rtsp/%05d.raw" \
	>"$T/rtsp.log" 2>&1 &
RTC=$!
pids+=($RTC)

# After the change: the status and a new viewer.
for i in $(seq 150); do [ "$(vgpu_field "$DEV" width)" = 480 ] && break; sleep 0.1; done
[ "$(vgpu_field "$DEV" width)x$(vgpu_field "$DEV" height)" = 480x360 ] && ok "GetStatus after the modeset: 480x360" ||
	fail "GetStatus after the modeset: $(vgpu_field "$DEV" width)x$(vgpu_field "$DEV" height): $(tail -3 "$T/streamd.log")"
probe=$(timeout 30 ffprobe -v error -rtsp_transport tcp -select_streams v:0 \
	-show_entries stream=codec_name,width,height -of csv=p=0 "$URL" 2>&1)
[ "$probe" = "h264,480,360" ] && ok "a new RTSP viewer (ffprobe) reads H.264 480x360" ||
	fail "ffprobe after the modeset: $probe"

wait $PWC
rc=$?
[ $rc -eq 0 ] || fail "pipewiresrc consumer exit $rc: $(tail -3 "$T/pw.log")"
sleep 2
kill -INT $RTC 2>/dev/null
wait $RTC

# check_groups DIR WHAT OPTS: the files of DIR are frames of 320x240 then
# of 480x360 (by size), each group checked by frame-check with OPTS.
check_groups() {
	local dir=$1 what=$2 opts=$3 f size seen_new=no mixed=no n_old=0 n_new=0
	: >"$dir.old" ; : >"$dir.new"
	for f in "$dir"/*.raw; do
		[ -e "$f" ] || continue
		size=$(stat -c %s "$f")
		case $size in
		$((320 * 240 * 4))) cat "$f" >>"$dir.old"; n_old=$((n_old + 1)); [ $seen_new = yes ] && mixed=yes ;;
		$((480 * 360 * 4))) cat "$f" >>"$dir.new"; n_new=$((n_new + 1)); seen_new=yes ;;
		*) fail "$what: a frame of $size bytes, neither 320x240 nor 480x360 BGRx"; return ;;
		esac
	done
	[ $mixed = no ] && ok "$what: $n_old frames of 320x240, then $n_new of 480x360, none of the old mode after the new" ||
		fail "$what: a 320x240 frame after a 480x360 one"
	"$CHECK" "$dir.old" 320 240 BGRx 10 $opts >"$dir.old.check" 2>&1 &&
		ok "$what before the modeset: $(tail -1 "$dir.old.check")" ||
		fail "$what before the modeset: $(tail -2 "$dir.old.check")"
	"$CHECK" "$dir.new" 480 360 BGRx 10 $opts >"$dir.new.check" 2>&1 &&
		ok "$what after the modeset: $(tail -1 "$dir.new.check")" ||
		fail "$what after the modeset: $(tail -2 "$dir.new.check")"
	# the guest's frame numbers go on across the change
	local last first
	last=$(sed -n 's/.*guest frames [0-9]*\.\.\([0-9]*\).*/\1/p' "$dir.old.check")
	first=$(sed -n 's/.*guest frames \([0-9]*\)\.\..*/\1/p' "$dir.new.check")
	[ -n "$last" ] && [ -n "$first" ] && [ "$first" -gt "$last" ] &&
		ok "$what: guest frames rise across the change ($last, then $first)" ||
		fail "$what: guest frames across the change: ${last:-?} then ${first:-?}"
}
check_groups "$T/pw" "pipewiresrc (shared memory)" ""
check_groups "$T/rtsp" "rtspsrc ! avdec_h264" "psnr=30,lead=5,torn=1"

if [ -n "$WEB" ]; then
	wait $WEB
	grep '^console GVT-FRAME ' "$T/web.log" | awk '{ print $3, $5 }' >"$T/web.frames"
	# frames rising, every size 320x240 or 480x360, the old size never
	# after the new
	res=$(awk 'BEGIN { ok = 1; prev = -1; seen = 0; o = 0; n = 0 }
		{ if ($1 <= prev) ok = 0; prev = $1
		  if ($2 == "320x240") { o++; if (seen) ok = 0; last = $1 }
		  else if ($2 == "480x360") { if (!seen) first = $1; seen = 1; n++ }
		  else ok = 0 }
		END { printf "%d %d %d %s %s\n", ok, o, n, last, first }' "$T/web.frames")
	read -r wok wo wn wlast wfirst <<<"$res"
	if [ "$wok" = 1 ] && [ "$wo" -ge 10 ] && [ "$wn" -ge 10 ]; then
		ok "chromium (WebRTC) decoded $wo frames of 320x240 up to guest frame $wlast, then $wn of 480x360 from frame $wfirst, rising"
	else
		fail "chromium across the modeset: ok=$wok, $wo of 320x240, $wn of 480x360: $(tail -3 "$T/web.frames" | tr '\n' ' ') $(grep -v GVT-FRAME "$T/web.log" | tail -3)"
	fi
fi

kill -0 $SDPID 2>/dev/null && ok "the daemon stays up" || fail "the daemon died: $(tail -5 "$T/streamd.log")"
kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "gvt-streamd: SIGTERM, exit 0" || fail "gvt-streamd: SIGTERM, exit $rc: $(tail -3 "$T/streamd.log")"
exit $((fails > 0))
