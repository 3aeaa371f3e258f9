#!/bin/bash
# SPDX-License-Identifier: MIT
# A vGPU removed while streaming (issue 9 §5): gvt-streamd on two sim
# vGPUs in a private D-Bus session and PipeWire; one is removed 8 s after
# it opens (sim remove-after=, the device request the kernel sends) and
# returns 3 s after the daemon let go of it (return-after=).  Real clients:
# pw-dump (the node goes and comes back), pipewiresrc (a consumer during
# the removal ends; frames after the return, checked against the guest
# model), rtspsrc (a viewer during the removal ends), gdbus (the state).
# The daemon's pid stays, the other vGPU's node stays, and the fd count
# after the return is not above the one before the removal.  Beside it, a
# second daemon (no PipeWire, no D-Bus) gets SIGTERM while a removed
# vGPU's retry is pending: exit 0 and, under valgrind where installed,
# nothing of ours definitely lost.
#
# Usage: test-removal.sh PATH/TO/gvt-streamd PATH/TO/frame-check
set -u
SD=$1
CHECK=$2

. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_REMOVAL_IN_SESSION:-}" ]; then
	need_programs dbus-run-session pipewire wireplumber pw-dump gst-launch-1.0 gst-inspect-1.0 gdbus python3
	need_elements pipewiresrc
fi
. "$(dirname "$0")/pw-session.sh"
pw_session_reexec GVT_REMOVAL_IN_SESSION "$0" "$@"

test_dir removal
pw_session_start "$T"
pids+=($PW_SESSION_PID $WP_SESSION_PID)

DEV="sim:320x240,fps=30,cursor=off,remove-after=240,return-after=3000"
NODE="gvt-streamd.sim-320x240-fps-30-cursor-off-remove-after-240-return-after-3000"
ODEV="sim:256x160,fps=30,cursor=off"
ONODE="gvt-streamd.sim-256x160-fps-30-cursor-off"
cat >"$T/streamd.conf" <<CONF
[daemon]
discover-mdev = false
rtsp-port = 0
webrtc-port = 0

[vgpu $DEV]
name = Leaving Desk

[vgpu $ODEV]
name = Staying Desk
rtsp = false
CONF
G_MESSAGES_DEBUG= "$SD" --user --config "$T/streamd.conf" >"$T/streamd.log" 2>&1 &
SDPID=$!
pids+=($SDPID)

# The state of DEV in GetStatus.
state() { vgpu_field "$DEV" state; }
fds() { ls /proc/$SDPID/fd | wc -l; }

n=$(pw_wait_node "$NODE" 100) && ok "node $NODE published" || { fail "no node $NODE: $(cat "$T/streamd.log")"; exit 1; }
SERIAL=${n%%|*}
on=$(pw_wait_node "$ONODE" 50) && OSERIAL=${on%%|*} || fail "no node $ONODE"
PORT=$(sed -n 's/.*RTSP server listening on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$T/streamd.log")
URL=rtsp://127.0.0.1:$PORT/Leaving-Desk

# A consumer first, so that pools and caches have their size; then the
# fd count before the removal.
timeout 10 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=3 ! video/x-raw,format=BGRx ! fakesink >/dev/null 2>&1 ||
	fail "warm-up consumer got no frames"
fd0=$(fds)

# Consumers while the vGPU goes: pipewiresrc, and an RTSP viewer.
timeout 30 gst-launch-1.0 pipewiresrc target-object="$SERIAL" always-copy=true ! video/x-raw,format=BGRx ! \
	filesink location="$T/during.raw" >"$T/pwsrc.log" 2>&1 &
PWC=$!
pids+=($PWC)
RTC=
if [ -n "$PORT" ] && gst-inspect-1.0 rtspsrc >/dev/null 2>&1 && gst-inspect-1.0 avdec_h264 >/dev/null 2>&1; then
	timeout 30 gst-launch-1.0 rtspsrc location="$URL" protocols=tcp latency=100 ! rtph264depay ! \
		avdec_h264 ! videoconvert ! video/x-raw,format=BGRx ! filesink location="$T/rtsp-during.raw" \
		>"$T/rtsp.log" 2>&1 &
	RTC=$!
	pids+=($RTC)
else
	echo "# no RTSP port in the log, or rtspsrc/avdec_h264 missing: the RTSP viewer is not checked"
fi

gone=no
for i in $(seq 150); do [ -z "$(pw_node_json "$NODE")" ] && { gone=yes; break; }; sleep 0.1; done
[ $gone = yes ] && ok "removed while streaming: the node is gone from pw-dump" ||
	fail "node still there 15 s later: $(tail -5 "$T/streamd.log")"
st=$(state)
# The vGPU returns 3 s after it was closed: the node is gone, so it is
# either still waiting or (on a very slow machine) back.
case $st in
removed) ok "GetStatus shows the vGPU 'removed'" ;;
*) fail "GetStatus state is '$st', not 'removed': $(status)" ;;
esac
if [ -n "${GVT_DMABUF_TOOL:-}" ]; then
	"$GVT_DMABUF_TOOL" status --session >"$T/status.txt" 2>&1
	entry=$(grep -A2 "^$DEV (Leaving Desk)" "$T/status.txt")
	# no resolution for a vGPU that is gone: when it went and when it is
	# next tried instead of 0x0
	echo "$entry" | grep -q "state: removed [0-9.]* s ago, no picture, next open attempt in [0-9.]* s" &&
		! echo "$entry" | grep -q "0x0" && echo "$entry" | grep -q "no PipeWire node" &&
		ok "gvt-dmabuf status: removed N s ago, no picture, next attempt, no PipeWire node" ||
		fail "gvt-dmabuf status: $(cat "$T/status.txt")"
	"$GVT_DMABUF_TOOL" status --session --json >"$T/status.json" 2>&1
	python3 -c '
import json, sys
dev = sys.argv[2]
v = [v for v in json.load(open(sys.argv[1]))["vgpus"] if v["device"] == dev][0]
assert v["state"] == "removed", v
assert "width" not in v and "height" not in v and "fps" not in v, v
assert v["removed-seconds"] >= 0 and 0 <= v["retry-in-ms"] <= 5000 and v["node-id"] == -1, v
' "$T/status.json" "$DEV" 2>"$T/json.err" &&
		ok "gvt-dmabuf status --json: removed, removed-seconds, retry-in-ms, no width/height" ||
		fail "gvt-dmabuf status --json: $(cat "$T/json.err") $(cat "$T/status.json")"
fi
grep -q "$DEV: vGPU removed while streaming: vGPU $DEV is being removed" "$T/streamd.log" &&
	ok "the log names the vGPU that went" || fail "no removal line in the log: $(tail -5 "$T/streamd.log")"
kill -0 $SDPID 2>/dev/null && ok "the daemon stays up (pid $SDPID)" || fail "the daemon died: $(tail -5 "$T/streamd.log")"
[ "$(pw_node_json "$ONODE" | cut -d'|' -f1)" = "$OSERIAL" ] && ok "the other vGPU kept its node ($ONODE)" ||
	fail "the other vGPU's node changed or went"

# pipewiresrc 0.3.65 does not end when its target node goes (it waits,
# silently, and an EOS sent to it does not end it either): it is stopped
# here, and the whole frames it wrote must be right.
kill -TERM $PWC
wait $PWC
size=$(stat -c %s "$T/during.raw" 2>/dev/null || echo 0)
truncate -s $((size / (320 * 240 * 4) * 320 * 240 * 4)) "$T/during.raw"
if "$CHECK" "$T/during.raw" 320 240 BGRx 30 >"$T/check.log"; then
	ok "the pipewiresrc consumer during the removal: $(tail -1 "$T/check.log")"
else
	fail "pipewiresrc consumer during the removal: $(tail -3 "$T/check.log") $(tail -3 "$T/pwsrc.log")"
fi
if [ -n "$RTC" ]; then
	wait $RTC
	rc=$?
	[ $rc -eq 0 ] && grep -q "Got EOS from element" "$T/rtsp.log" && ok "the RTSP viewer got EOS when its mount went" ||
		fail "RTSP viewer: rc=$rc $(tail -5 "$T/rtsp.log")"
	# a viewer that joined mid-stream: a few frames before the key frame
	"$CHECK" "$T/rtsp-during.raw" 320 240 BGRx 10 psnr=30,lead=10 >"$T/check.log" &&
		ok "the RTSP viewer's frames until the EOS: $(tail -1 "$T/check.log")" ||
		fail "the RTSP viewer's frames: $(tail -3 "$T/check.log")"
fi

n=$(pw_wait_node "$NODE" 150) && ok "the node is back ($NODE)" || fail "node not back: $(tail -5 "$T/streamd.log")"
SERIAL=${n%%|*}
for i in $(seq 50); do [ "$(state)" = streaming ] && break; sleep 0.1; done
st=$(state)
[ "$st" = streaming ] && ok "GetStatus shows it streaming again" || fail "state after the return: '$st'"

# The second daemon: its vGPU is removed after 10 frames and never returns,
# so once the first reopen failed the next one is pending; then SIGTERM.
# Started once the first daemon's timed part (removal, return) is over, so
# that valgrind's load does not stretch it; it runs beside the consumers
# after the return.
RDEV="sim:256x160,fps=30,cursor=off,remove-after=10"
cat >"$T/retry.conf" <<CONF
[daemon]
discover-mdev = false
discover-vms = false
pipewire = false
rtsp-port = 0
webrtc-port = 0

[vgpu $RDEV]
rtsp = false
webrtc = false
CONF
VG=()
if command -v valgrind >/dev/null; then
	VG=(valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
	    --suppressions="$(dirname "$0")/valgrind.supp" --log-file="$T/retry-vg.log")
fi
(
	G_MESSAGES_DEBUG= G_SLICE=always-malloc "${VG[@]}" "$SD" --no-dbus --config "$T/retry.conf" \
		>"$T/retry.log" 2>&1 &
	rpid=$!
	for _ in $(seq 300); do grep -q "$RDEV: cannot open" "$T/retry.log" && break; sleep 0.1; done
	kill -TERM $rpid
	wait $rpid
	echo $? >"$T/retry.rc"
) &
RETRY=$!
pids+=($RETRY)

rm -f "$T/after.raw"
timeout 20 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=10 always-copy=true ! \
	video/x-raw,format=BGRx,width=320,height=240 ! filesink location="$T/after.raw" >"$T/gst.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && "$CHECK" "$T/after.raw" 320 240 BGRx 10 >"$T/check.log"; then
	ok "pipewiresrc after the return: $(tail -1 "$T/check.log")"
else
	fail "pipewiresrc after the return: rc=$rc $(tail -3 "$T/gst.log") $(tail -3 "$T/check.log" 2>/dev/null)"
fi
if [ -n "$RTC" ]; then
	[ "$(grep -c "RTSP mount $URL (" "$T/streamd.log")" = 2 ] &&
		ok "the RTSP mount is back ($URL)" || fail "no second RTSP mount $URL in the log"
	timeout 30 gst-launch-1.0 -q rtspsrc location="$URL" protocols=tcp latency=100 ! rtph264depay ! \
		avdec_h264 ! videoconvert ! video/x-raw,format=BGRx ! identity eos-after=21 ! \
		filesink location="$T/rtsp-after.raw" >"$T/rtsp-after.log" 2>&1
	rc=$?
	if { [ $rc -eq 0 ] || rtspsrc_shutdown_eof "$T/rtsp-after.log"; } &&
		"$CHECK" "$T/rtsp-after.raw" 320 240 BGRx 20 psnr=30 >"$T/check.log"; then
		ok "rtspsrc after the return: $(tail -1 "$T/check.log")"
	else
		fail "rtspsrc after the return: rc=$rc $(tail -3 "$T/rtsp-after.log") $(tail -3 "$T/check.log" 2>/dev/null)"
	fi
fi
owner=$(gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
	-m org.freedesktop.DBus.GetConnectionUnixProcessID org.gvtdmabuf.Streamd1 2>&1)
kill -0 $SDPID 2>/dev/null && [ "$owner" = "(uint32 $SDPID,)" ] &&
	ok "same daemon after the return (pid $SDPID owns org.gvtdmabuf.Streamd1)" ||
	fail "the daemon is gone or another owns the bus name: $owner"
sleep 0.5	# let the last consumer's stream close (not an assertion)
fd1=$(fds)
[ "$fd1" -le "$fd0" ] && ok "fd count after the return not above before the removal ($fd0 -> $fd1)" ||
	fail "fd count grew over the removal: $fd0 -> $fd1 ($(ls -l /proc/$SDPID/fd | tail -n +2 | awk '{print $NF}' | sort | uniq -c | sort -rn | head -5 | tr '\n' ';'))"

kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"

wait $RETRY
grep -q "$RDEV: cannot open" "$T/retry.log" && [ "$(cat "$T/retry.rc" 2>/dev/null)" = 0 ] &&
	ok "SIGTERM while a removed vGPU's retry is pending: exit 0" ||
	fail "SIGTERM during a pending retry: exit $(cat "$T/retry.rc" 2>/dev/null) $(tail -3 "$T/retry.log")"
if [ ${#VG[@]} -gt 0 ]; then
	# -q: the log holds only errors; the leak kinds asked for are definite
	if grep -q "definitely lost" "$T/retry-vg.log"; then
		fail "valgrind, SIGTERM during a pending retry: $(grep -A12 "definitely lost" "$T/retry-vg.log" | head -30)"
	else
		ok "valgrind: nothing definitely lost at a SIGTERM during a pending retry"
	fi
else
	echo "# valgrind not installed: the leak check of the SIGTERM during a retry is skipped"
fi
echo "# daemon log:"; sed 's/^/#   /' "$T/streamd.log"
[ $fails -eq 0 ]
