#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd end to end: bad configurations, then a private D-Bus session,
# PipeWire and WirePlumber in a fresh XDG_RUNTIME_DIR, gvt-streamd on a sim
# vGPU, and consumers not written here: pw-dump (node properties),
# pipewiresrc (frames, checked against the guest model by frame-check),
# gdbus (the control interface); then PipeWire restarted, then SIGTERM.
#
# Usage: test-streamd.sh PATH/TO/gvt-streamd PATH/TO/frame-check
set -u
SD=$1
CHECK=$2
METACHECK=$3

. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_STREAMD_IN_SESSION:-}" ]; then
	need_programs dbus-run-session pipewire wireplumber pw-dump gst-launch-1.0 gst-inspect-1.0 gdbus python3
	need_elements pipewiresrc
fi
. "$(dirname "$0")/pw-session.sh"
pw_session_reexec GVT_STREAMD_IN_SESSION "$0" "$@"

test_dir streamd

# ---- bad configurations: each refused with its message, non-zero exit ----
bad_config "unknown key" "bad.conf:3: [vgpu sim] colour: unknown key" $'[vgpu sim]\nname = A\ncolour = red'
bad_config "value out of range" "bad.conf:2: [vgpu sim:640x480] max-framerate: '500' is not a whole number from 0 to 240" $'[vgpu sim:640x480]\nmax-framerate = 500'
bad_config "not a boolean" "bad.conf:4: [daemon] pipewire: 'yes' is not a boolean" $'# comment\n\n[daemon]\npipewire = yes'
bad_config "unknown section" "bad.conf:1: [vgpus sim]: unknown section" $'[vgpus sim]\nname = x'
bad_config "not a vGPU" "bad.conf:1: [vgpu not-a-uuid]: 'not-a-uuid' is not a vGPU" $'[vgpu not-a-uuid]'
bad_config "push not a URL" "[vgpu sim] push: 'true' is not an rtsp://, rtsps:// or srt:// URL" $'[vgpu sim]\npush = true'
bad_config "input without a QEMU display" "bad.conf:2: [vgpu sim] input: 'sim' has no input (a simulated vGPU)" $'[vgpu sim]\ninput = true'
bad_config "unknown io-mode" "bad.conf:2: [vgpu sim] io-mode: 'mmap' is not one of auto, system, dmabuf" $'[vgpu sim]\nio-mode = mmap'
bad_config "empty name" "[vgpu sim] name: empty value" $'[vgpu sim]\nname ='
bad_config "syntax" "bad.conf: " $'[daemon\npipewire = true'
bad_config "override" "--set 'daemon.rescan-interval': '0' is not a whole number" $'[daemon]' --set daemon.rescan-interval=0
bad_config "override syntax" "expected SECTION.KEY=VALUE" $'[daemon]' --set nodot=1
"$SD" --check --config "$T/missing.conf" >"$T/out" 2>&1
[ $? -ne 0 ] && grep -q "missing.conf" "$T/out" && ok "missing --config file refused" || fail "missing --config: $(cat "$T/out")"
"$SD" --bogus >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q "bogus" "$T/out" && ok "unknown option refused" || fail "unknown option: $(cat "$T/out")"

# ---- no PipeWire at all: the daemon runs, captures and says so ----
"$SD" --user --no-dbus --config /dev/null --set daemon.rtsp-port=0 --set daemon.webrtc-port=0 --set 'vgpu sim:256x160.name=Alone' >"$T/nopw.log" 2>&1 &
NP=$!
sleep 2
if kill -0 $NP 2>/dev/null && grep -q "no PipeWire daemon" "$T/nopw.log"; then
	ok "without PipeWire the daemon keeps running and says so"
else
	fail "without PipeWire: $(cat "$T/nopw.log")"
fi
kill -TERM $NP
wait $NP
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM without PipeWire: exit 0" || fail "SIGTERM without PipeWire: exit $rc"

# ---- a private PipeWire ----
pw_session_start "$T"
PW=$PW_SESSION_PID WP=$WP_SESSION_PID
pids+=($PW $WP)

DEV="sim:320x240,fps=30,cursor=off"
NODE="gvt-streamd.sim-320x240-fps-30-cursor-off"
CDEV="sim:256x160,fps=30,cursor=64"
CNODE="gvt-streamd.sim-256x160-fps-30-cursor-64"
YDEV="sim:320x240,yuyv,fps=30,cursor=off"	# a guest in packed YUV 4:2:2
YNODE="gvt-streamd.sim-320x240-yuyv-fps-30-cursor-off"
cat >"$XDG_CONFIG_HOME/gvt-streamd.conf" <<CONF
[vgpu $DEV]
name = Test Desk

[vgpu $CDEV]
name = Cursor Desk

[vgpu $YDEV]
name = YUV Desk
CONF
# rtsp-port=0, webrtc-port=0: any free ports, not 8554 and 8080 (test-rtsp.sh
# and test-webrtc.sh test them)
G_MESSAGES_DEBUG= "$SD" --user --set daemon.rtsp-port=0 --set daemon.webrtc-port=0 >"$T/streamd.log" 2>&1 &
SDPID=$!
pids+=($SDPID)

node_json() { pw_node_json "${1:-$NODE}"; }	# [NODE] "serial|class|role|description"
wait_node() { pw_wait_node "$NODE" "$1"; }	# TIMEOUT-TENTHS
n=$(wait_node 100) && ok "node $NODE published" || fail "no node $NODE in pw-dump"
IFS='|' read -r SERIAL CLASS ROLE DESC <<<"$n"
[ "$CLASS" = Video/Source ] && ok "media.class=Video/Source" || fail "media.class is '$CLASS'"
[ "$ROLE" = Camera ] && ok "media.role=Camera" || fail "media.role is '$ROLE'"
[ "$DESC" = "Test Desk" ] && ok "node.description from the configured name" || fail "node.description is '$DESC'"

# Formats offered: shared memory, the guest's own layout first (BGRx for
# an XRGB guest, YUY2 for a YUYV one), variable frame rate.
enum_formats() {	# NODE WIDTH HEIGHT FORMAT,FORMAT,...
	pw-dump 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    p = o.get("info", {}).get("props", {}) or {}
    if p.get("node.name") == sys.argv[1]:
        fmts = o["info"]["params"].get("EnumFormat", [])
        names = [f.get("format") for f in fmts]
        assert names == sys.argv[4].split(","), names
        for f in fmts:
            assert f["size"] == {"width": int(sys.argv[2]), "height": int(sys.argv[3])}, f
            assert f["framerate"] == {"num": 0, "denom": 1}, f
            assert "maxFramerate" in f, f
            assert "modifier" not in f, f	# no dma-buf variant yet
        sys.exit(0)
sys.exit(1)
' "$@"
}
enum_formats "$NODE" 320 240 BGRx,RGBA && ok "EnumFormat (XRGB guest): BGRx, RGBA at 320x240, framerate 0/1 with maxFramerate" ||
	fail "EnumFormat params (XRGB guest)"

# ---- consumers: pipewiresrc, shared memory, two formats ----
for fmt in BGRx RGBA; do
	rm -f "$T/frames.raw"
	timeout 20 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=10 always-copy=true ! \
		"video/x-raw,format=$fmt,width=320,height=240" ! filesink location="$T/frames.raw" >"$T/gst.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && "$CHECK" "$T/frames.raw" 320 240 $fmt 10 >"$T/check.log"; then
		ok "pipewiresrc $fmt: 10 frames, block codes increasing, pixels equal the guest model ($(tail -1 "$T/check.log"))"
	else
		fail "pipewiresrc $fmt: rc=$rc $(cat "$T/gst.log") $(cat "$T/check.log" 2>/dev/null | tail -3)"
	fi
done

# ---- a YUYV guest: YUY2 as it is (OBS's camera source before OBS 32 takes
# RGBA or YUY2 over MemPtr), RGBA converted; no YUY2 for the XRGB guest ----
yn=$(pw_wait_node "$YNODE" 50)
YSERIAL=${yn%%|*}
if [ -n "$yn" ] && enum_formats "$YNODE" 320 240 YUY2,BGRx,RGBA; then
	ok "EnumFormat (YUYV guest): YUY2 first, then BGRx and RGBA"
else
	fail "EnumFormat params (YUYV guest): node '$yn'"
fi
# pw_consume SERIAL FORMAT [FRAME-CHECK-MODE]: 10 frames of 320x240 through
# pipewiresrc, checked by frame-check.
pw_consume() {
	local serial=$1 fmt=$2
	shift 2
	rm -f "$T/frames.raw"
	timeout 20 gst-launch-1.0 -q pipewiresrc target-object="$serial" num-buffers=10 always-copy=true ! \
		"video/x-raw,format=$fmt,width=320,height=240" ! filesink location="$T/frames.raw" >"$T/gst.log" 2>&1 &&
		"$CHECK" "$T/frames.raw" 320 240 "$fmt" 10 "$@" >"$T/check.log"
}
# Converted by videoconvert (4:2:2 chroma and its BT.601 matrix against
# the model's): measured 34 dB, bound 30 dB.
if pw_consume "$YSERIAL" RGBA psnr=30; then
	ok "pipewiresrc RGBA from the YUYV guest: block codes increasing, $(tail -1 "$T/check.log")"
else
	fail "pipewiresrc RGBA (YUYV guest): $(cat "$T/gst.log") $(tail -3 "$T/check.log" 2>/dev/null)"
fi
if pw_consume "$YSERIAL" YUY2; then
	ok "pipewiresrc YUY2 from the YUYV guest: block codes increasing, every byte equals the guest's ($(tail -1 "$T/check.log"))"
else
	fail "pipewiresrc YUY2 (YUYV guest): $(cat "$T/gst.log") $(tail -3 "$T/check.log" 2>/dev/null)"
fi
grep -q "$YDEV: consumer negotiated YUY2 320x240" "$T/streamd.log" &&
	ok "the daemon logged the YUY2 negotiation" || fail "no YUY2 negotiation in the daemon's log"
# YUY2 from the XRGB guest is not offered (a lossy CPU conversion that V4L2
# apps, which prefer YUYV, would then pick over BGRx): the EnumFormat check
# above says so (exactly BGRx, RGBA).  A pipewiresrc asking for it there is
# not linked: by hand, pw-dump shows its link in "error: no more input
# formats" and pipewiresrc 0.3.65 just waits; not run here, because
# WirePlumber 0.4.13 then took ~16 s to drop the failed link, and in one run
# of three linked nothing at all, stalling the consumers after it.
# The Buffers param the node answered its last (YUY2) consumer with, on its
# port (pw-dump keeps it after the consumer went): dataType flags
# MemPtr (1) | MemFd (2) = 6, which OBS (MemPtr) needs.
pw-dump 2>/dev/null | python3 -c '
import json, sys
objs = json.load(sys.stdin)
node = [o["id"] for o in objs if (o.get("info", {}).get("props", {}) or {}).get("node.name") == sys.argv[1]]
ports = [o for o in objs if o.get("type") == "PipeWire:Interface:Port" and
         o["info"]["props"].get("node.id") in node and o["info"].get("direction") == "output"]
bufs = [b for p in ports for b in p["info"]["params"].get("Buffers", [])]
assert bufs, ports
for b in bufs:
    dt = b["dataType"]
    dt = dt.get("default", dt) if isinstance(dt, dict) else dt
    assert dt == (1 << 1) | (1 << 2), b	# SPA_DATA_MemPtr = 1, SPA_DATA_MemFd = 2
    assert b["stride"] == 640 and b["size"] == 640 * 240, b	# YUY2: 2 bytes a pixel
print(bufs)
' "$YNODE" >"$T/bufs.log" 2>&1 && ok "Buffers param: dataType MemFd|MemPtr, YUY2 stride 640" ||
	fail "Buffers param: $(cat "$T/bufs.log")"

# ---- metadata: Header, VideoDamage, Cursor (a consumer written with pw_stream) ----
cn=$(for i in $(seq 50); do n=$(node_json "$CNODE"); [ -n "$n" ] && { echo "$n"; break; }; sleep 0.1; done)
CSERIAL=${cn%%|*}
timeout 30 "$METACHECK" "$CSERIAL" 256 160 30 >"$T/meta.log" 2>&1
rc=$?
case $rc in
0) ok "metas: $(tail -1 "$T/meta.log")" ;;
3) fail "metas: no buffer carried a cursor (does gvtdmabufsrc attach its cursor meta to system memory?): $(tail -1 "$T/meta.log")" ;;
*) fail "metas: rc=$rc $(tail -5 "$T/meta.log")" ;;
esac

# ---- pw-v4l2: the node as V4L2 applications see it (ffmpeg -f v4l2) ----
if command -v pw-v4l2 >/dev/null && command -v ffmpeg >/dev/null; then
	rm -f "$T/v4l2.raw"
	PIPEWIRE_V4L2_TARGET=$SERIAL timeout 30 pw-v4l2 ffmpeg -hide_banner -loglevel error -f v4l2 -i /dev/video0 -frames:v 8 \
		-fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$T/v4l2.raw" >"$T/ff.log" 2>&1
	rc=$?
	# pw-v4l2 0.3.65 under ffmpeg gives buffers back out of order and
	# now and then twice (its QBUF errors, seen with any producer order):
	# the order is not checked here (pipewiresrc above checks it), the
	# pixels of every frame are.
	if [ $rc -eq 0 ] && "$CHECK" "$T/v4l2.raw" 320 240 BGRx 4 unordered >"$T/check.log"; then
		ok "pw-v4l2 ffmpeg -f v4l2: $(tail -1 "$T/check.log"), pixels equal the guest model"
	else
		fail "pw-v4l2 ffmpeg: rc=$rc $(cat "$T/ff.log") $(tail -3 "$T/check.log" 2>/dev/null)"
	fi
else
	echo "# pw-v4l2 or ffmpeg missing: V4L2 check skipped (pipewire-v4l2, ffmpeg)"
fi

# ---- control interface ----
st=$(gdbus call --session -d org.gvtdmabuf.Streamd1 -o /org/gvtdmabuf/Streamd1 -m org.gvtdmabuf.Streamd1.GetStatus 2>&1)
if grep -q "'device': <'$DEV'>" <<<"$st" && grep -q "'width': <uint32 320>" <<<"$st" && grep -q "'state': <'streaming'>" <<<"$st" && grep -q "'pipewire': <true>" <<<"$st"; then
	ok "D-Bus GetStatus shows the vGPU streaming at 320x240"
else
	fail "GetStatus: $st"
fi

# gvt-dmabuf status, as a user reads it and as JSON
if [ -n "${GVT_DMABUF_TOOL:-}" ]; then
	"$GVT_DMABUF_TOOL" status --session >"$T/status.txt" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q "^$DEV (Test Desk)" "$T/status.txt" && grep -q "state: streaming, 320x240" "$T/status.txt" &&
		grep -q "PipeWire node [0-9]* $NODE" "$T/status.txt" &&
		ok "gvt-dmabuf status" || fail "gvt-dmabuf status: rc=$rc $(cat "$T/status.txt")"
	"$GVT_DMABUF_TOOL" status --session --json >"$T/status.json" 2>&1
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["daemon"]["pipewire"] is True, s
v, = [x for x in s["vgpus"] if x["device"] == sys.argv[2]]
assert v["device"] == sys.argv[2] and v["name"] == "Test Desk" and v["width"] == 320 and v["height"] == 240, v
assert v["node-id"] >= 0 and v["node-name"] == sys.argv[3] and v["state"] == "streaming", v
' "$T/status.json" "$DEV" "$NODE" && ok "gvt-dmabuf status --json" || fail "status --json: $(cat "$T/status.json")"
fi

# ---- 200 consumer connect/disconnect cycles: fd count and RSS stay flat ----
fds() { ls /proc/$SDPID/fd | wc -l; }
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$SDPID/status; }
cycle() { timeout 10 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=1 ! video/x-raw,format=BGRx ! fakesink >/dev/null 2>&1; }
for i in $(seq 20); do cycle; done	# warm-up: pools and caches reach their size
fd0=$(fds) rss0=$(rss) failed=0 retried=0
# One in a few hundred pipewiresrc (0.3.65) starts on this loaded machine
# got no frame within 10 s (not understood yet: see the log line below);
# such a consumer is run once more and counted, two failures in a row fail.
for i in $(seq 200); do
	cycle && continue
	rc=$?
	retried=$((retried + 1))
	echo "# cycle $i: pipewiresrc got no frame (rc $rc) at $(date +%T.%N), run again"
	cycle || failed=$((failed + 1))
done
sleep 0.5
fd1=$(fds) rss1=$(rss)
echo "# after 20 warm-up cycles: $fd0 fds, RSS $rss0 KiB; after 200 more: $fd1 fds, RSS $rss1 KiB; $retried consumers run twice, $failed got no frame twice"
[ "$failed" -eq 0 ] && ok "200 consumers each got a frame ($retried needed a second start)" || fail "$failed of 200 consumers got no frame, twice"
[ "$fd1" -le "$fd0" ] && ok "fd count flat over 200 consumer cycles ($fd0 -> $fd1)" || fail "fd count grew over 200 cycles: $fd0 -> $fd1"
[ $((rss1 - rss0)) -lt 2048 ] && ok "RSS flat over 200 consumer cycles ($rss0 -> $rss1 KiB, bound +2 MiB)" ||
	fail "RSS grew over 200 cycles: $rss0 -> $rss1 KiB"

# ---- SIGHUP: a bad reload keeps the running configuration ----
echo "bogus = 1" >>"$XDG_CONFIG_HOME/gvt-streamd.conf"
kill -HUP $SDPID
sleep 1
grep -q "reload refused, the running configuration stays: .*gvt-streamd.conf:9: \[vgpu $YDEV\] bogus: unknown key" "$T/streamd.log" &&
	ok "bad reload refused with file, line and key" || fail "bad reload: $(tail -3 "$T/streamd.log")"
[ -n "$(node_json)" ] && kill -0 $SDPID && ok "node still there after the bad reload" || fail "node gone after bad reload"

# ---- SIGHUP: a good reload applies (the renamed vGPU restarts, the other stays) ----
sed -i -e '/^bogus = 1$/d' -e 's/^name = Test Desk$/name = Renamed Desk/' "$XDG_CONFIG_HOME/gvt-streamd.conf"
cserial_before=$(node_json "$CNODE" | cut -d'|' -f1)
kill -HUP $SDPID
renamed=no
for i in $(seq 50); do
	IFS='|' read -r SERIAL CLASS ROLE DESC <<<"$(node_json)"
	[ "$DESC" = "Renamed Desk" ] && { renamed=yes; break; }
	sleep 0.1
done
[ $renamed = yes ] && ok "SIGHUP applied the new name (node.description 'Renamed Desk')" || fail "SIGHUP: name not applied: $(tail -3 "$T/streamd.log")"
[ "$(node_json "$CNODE" | cut -d'|' -f1)" = "$cserial_before" ] && ok "the unchanged vGPU kept its node over the reload" ||
	fail "the unchanged vGPU's node changed over the reload"

# ---- PipeWire restarted: the node comes back within 2 s ----
kill $WP $PW
wait $WP $PW 2>/dev/null
pipewire >>"$T/pipewire.log" 2>&1 &
PW=$!
pids+=($PW)
start=$(date +%s%N)
for i in $(seq 50); do [ -S "$XDG_RUNTIME_DIR/pipewire-0" ] && break; sleep 0.05; done
wireplumber >>"$T/wireplumber.log" 2>&1 &
WP=$!
pids+=($WP)
wait_node 20 >/dev/null && back=$(( ($(date +%s%N) - start) / 1000000 )) && ok "node back ${back} ms after PipeWire restarted" ||
	fail "node not back within 2 s of the PipeWire restart"
kill -0 $SDPID && ok "daemon survived the PipeWire restart" || fail "daemon died with PipeWire"

# ---- a running VM with a QEMU D-Bus display is found, streamed and let go ----
if command -v qemu-system-x86_64 >/dev/null && qemu-system-x86_64 -display help 2>/dev/null | grep -qx dbus; then
	VMNODE="gvt-streamd.vm-0b5e1c7e-5d2f-4c1a-9a57-3f0c2d9e8a11"
	qemu-system-x86_64 -machine q35 -accel tcg -m 64 -nodefaults -name "Test VM" \
		-uuid 0b5e1c7e-5d2f-4c1a-9a57-3f0c2d9e8a11 -device VGA -display dbus >"$T/qemu.log" 2>&1 &
	QPID=$!
	pids+=($QPID)
	vn=$(for i in $(seq 150); do n=$(node_json "$VMNODE"); [ -n "$n" ] && { echo "$n"; break; }; sleep 0.1; done)
	IFS='|' read -r VSERIAL VCLASS VROLE VDESC <<<"$vn"
	[ -n "$vn" ] && [ "$VDESC" = "Test VM" ] && ok "VM found on the session bus: node $VMNODE ($VDESC)" ||
		fail "no node for the VM: $(grep -i qemu "$T/streamd.log" | tail -3)"
	if [ -n "$vn" ]; then
		timeout 20 gst-launch-1.0 -q pipewiresrc target-object="$VSERIAL" num-buffers=3 ! video/x-raw,format=BGRx ! fakesink >"$T/gst.log" 2>&1 &&
			ok "pipewiresrc reads the VM's console (through QEMU's D-Bus display)" || fail "VM node: $(cat "$T/gst.log")"
	fi
	kill $QPID
	wait $QPID 2>/dev/null
	gone=no
	for i in $(seq 60); do [ -z "$(node_json "$VMNODE")" ] && { gone=yes; break; }; sleep 0.1; done
	[ $gone = yes ] && kill -0 $SDPID && ok "VM stopped: its node went, the daemon stays" || fail "VM node still there after QEMU ended"
else
	echo "# qemu-system-x86_64 with -display dbus missing: VM discovery not checked"
fi

# ---- SIGTERM ends cleanly ----
fds_before=$(ls /proc/$SDPID/fd | wc -l)
kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0 (had $fds_before fds open)" || fail "SIGTERM: exit $rc; log: $(tail -5 "$T/streamd.log")"
grep -q "capture closed" "$T/streamd.log" && ok "capture closed on SIGTERM" || fail "no 'capture closed' in the log"

echo "# daemon log:"; sed 's/^/#   /' "$T/streamd.log"
[ $fails -eq 0 ]
