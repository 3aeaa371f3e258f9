#!/bin/bash
# SPDX-License-Identifier: MIT
# The OBS path (issue 9 §5) without OBS: pw-obs-check makes the requests of
# OBS Studio's "Video Capture Device (PipeWire)" source (30.1 to 31: RGBA
# then YUY2 EnumFormat with size and framerate ranges, Buffers MemPtr
# only, the node's global id as target, frames read at datas[0].data with
# line size width x bpp; see its header and the README for why OBS itself
# is not run).  gvt-streamd serves an XRGB sim guest and a YUYV one in a
# private D-Bus session and PipeWire (the host's, 0.3.65).  PipeWire takes
# the consumer's order, so OBS gets RGBA from both: the XRGB guest's must
# be pixel-exact against the guest model, read as OBS reads it; the YUYV
# guest's is converted by the daemon (4:2:2 chroma, BT.601), held to the
# same 30 dB bound as test-streamd.sh's RGBA from that guest.
#
# Usage: test-obs.sh PATH/TO/gvt-streamd PATH/TO/frame-check PATH/TO/pw-obs-check
set -u
SD=$1
CHECK=$2
OBS=$3

. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_OBS_IN_SESSION:-}" ]; then
	need_programs dbus-run-session pipewire wireplumber pw-dump python3
fi
. "$(dirname "$0")/pw-session.sh"
pw_session_reexec GVT_OBS_IN_SESSION "$0" "$@"

test_dir obs
pw_session_start "$T" || { echo "SKIP: no private PipeWire"; exit 77; }
pids+=($PW_SESSION_PID $WP_SESSION_PID)

DEV="sim:320x240,fps=30,cursor=off"
NODE="gvt-streamd.sim-320x240-fps-30-cursor-off"
YDEV="sim:320x240,yuyv,fps=30,cursor=off"
YNODE="gvt-streamd.sim-320x240-yuyv-fps-30-cursor-off"
cat >"$T/streamd.conf" <<CONF
[daemon]
discover-mdev = false
discover-vms = false
rtsp-port = 0

[vgpu $DEV]
name = OBS Desk
rtsp = false

[vgpu $YDEV]
name = OBS YUV Desk
rtsp = false
CONF
G_MESSAGES_DEBUG= "$SD" --user --no-dbus --config "$T/streamd.conf" >"$T/streamd.log" 2>&1 &
SDPID=$!
pids+=($SDPID)

for pair in "$NODE RGBA exact" "$YNODE RGBA psnr=30"; do
	read -r node fmt mode <<<"$pair"
	if ! pw_wait_node "$node" 100 >/dev/null; then
		fail "no node $node: $(cat "$T/streamd.log")"
		continue
	fi
	id=$(pw_node_id "$node")
	rm -f "$T/frames.raw"
	timeout 30 "$OBS" "$id" 10 "$T/frames.raw" >"$T/obs.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^format $fmt 320x240 framerate 0/1$" "$T/obs.log"; then
		ok "OBS's requests on $node (id $id): $(head -1 "$T/obs.log"), $(tail -1 "$T/obs.log")"
	else
		fail "OBS's requests on $node (id $id), $fmt expected: rc=$rc $(tr '\n' ';' <"$T/obs.log")"
		continue
	fi
	if [ "$mode" = exact ]; then
		"$CHECK" "$T/frames.raw" 320 240 "$fmt" 10 >"$T/check.log" 2>&1
	else
		"$CHECK" "$T/frames.raw" 320 240 "$fmt" 10 "$mode" >"$T/check.log" 2>&1
	fi
	if [ $? -eq 0 ]; then
		ok "$fmt from $node as OBS reads it ($mode): 10 frames, block codes increasing, $(tail -1 "$T/check.log")"
	else
		fail "$fmt from $node as OBS reads it ($mode): $(tail -3 "$T/check.log" | tr '\n' ';')"
	fi
done

kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
[ $fails -eq 0 ] || { echo "# daemon log:"; sed 's/^/#   /' "$T/streamd.log"; }
[ $fails -eq 0 ]
