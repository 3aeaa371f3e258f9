#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's RTSP mounts, played by clients not written here: ffprobe
# (lists an H.264 stream), GStreamer's rtspsrc + avdec_h264 and ffmpeg
# (decoded frames checked against the guest model by frame-check: block
# code frame numbers increase, PSNR above PSNR_BOUND), two viewers at once
# on one shared media and encoder (the control interface's counters),
# the vGPU's one encode idle without a subscriber and subscribed once for
# both viewers,
# openh264enc by name, a missing encoder (vah264enc without VA) logged,
# bad configurations refused, malformed requests survived.
#
# The port is chosen by the kernel (rtsp-port = 0) and read from the log:
# free on every run, loopback only.
#
# Usage: test-rtsp.sh PATH/TO/gvt-streamd PATH/TO/frame-check
set -u
SD=$1
CHECK=$2
# x264 at 4 Mbit/s on a 320x240 desktop measures 40-50 dB here; 30 dB
# still catches a wrong frame, a colour swap or a shifted picture.
PSNR_BOUND=30

. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_RTSP_IN_SESSION:-}" ]; then
	need_programs dbus-run-session gdbus gst-launch-1.0 gst-inspect-1.0 ffprobe ffmpeg python3
	need_elements rtspsrc rtph264depay avdec_h264 x264enc
	export GVT_RTSP_IN_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi

test_dir rtsp

# ---- configurations refused ----
bad_config "any address without auth/TLS" \
	"bad.conf:2: [daemon] rtsp-address: refusing to listen on '0.0.0.0', which is not a loopback address: RTSP on the network needs authentication and TLS" \
	$'[daemon]\nrtsp-address = 0.0.0.0'
bad_config "LAN address without auth/TLS" "refusing to listen on '192.168.1.10', which is not a loopback address" \
	$'[daemon]\nrtsp-address = 192.168.1.10'
bad_config "IPv6 any without auth/TLS" "refusing to listen on '::', which is not a loopback address" \
	$'[daemon]\nrtsp-address = ::'
bad_config "address not an IP" "bad.conf:2: [daemon] rtsp-address: 'example.org' is not an IP address" \
	$'[daemon]\nrtsp-address = example.org'
bad_config "port out of range" "[daemon] rtsp-port: '70000' is not a whole number from 0 to 65535" \
	$'[daemon]\nrtsp-port = 70000'
bad_config "unknown encoder" "bad.conf:3: [vgpu sim] encoder: 'h265enc' is not one of auto, vah264enc, vaapih264enc, x264enc, openh264enc" \
	$'[vgpu sim]\nname = A\nencoder = h265enc'
bad_config "bitrate out of range" "[vgpu sim] bitrate: '5' is not a whole number from 100 to 100000" \
	$'[vgpu sim]\nbitrate = 5'
bad_config "gop out of range" "[vgpu sim] gop: '0' is not a whole number from 1 to 1000" $'[vgpu sim]\ngop = 0'
bad_config "rtsp not a boolean" "[vgpu sim] rtsp: 'on' is not a boolean" $'[vgpu sim]\nrtsp = on'
printf '[daemon]\nrtsp-address = ::1\n' >"$T/lo6.conf"
"$SD" --check --config "$T/lo6.conf" >"$T/out" 2>&1 && ok "::1 accepted" || fail "::1 refused: $(cat "$T/out")"
# The daemon itself (not only --check) refuses, before opening anything.
printf '[daemon]\nrtsp-address = 0.0.0.0\npipewire = false\n' >"$T/any.conf"
timeout 10 "$SD" --user --config "$T/any.conf" >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "not a loopback address" "$T/out" && ok "daemon on 0.0.0.0 refuses to start" ||
	fail "daemon on 0.0.0.0: rc=$rc: $(cat "$T/out")"

# ---- the daemon with two sim vGPUs ----
DEV="sim:320x240,fps=30,cursor=off"
DEV2="sim:256x160,fps=30,cursor=off"
DEV3="sim:256x160,fps=25,cursor=off"
DEV4="sim:256x160,fps=20,cursor=off"
cat >"$T/streamd.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
rtsp-port = 0
webrtc-port = 0

[vgpu $DEV]
name = Test Desk
gop = 30

[vgpu $DEV2]
name = Other
encoder = x264enc

[vgpu $DEV3]
name = Open
encoder = openh264enc
bitrate = 2000
gop = 30

[vgpu $DEV4]
name = VA
encoder = vah264enc
CONF
start_streamd "$T/streamd.conf" "$T/streamd.log"
# The name on the bus is owned after the mounts are made.
wait_log_port "$T/streamd.log" '.*RTSP server listening on 127\.0\.0\.1 port \([0-9]*\).*' "/Other (x264enc" \
	"control interface org.gvtdmabuf.Streamd1 on the session bus"
if [ -z "$PORT" ]; then
	fail "no RTSP server in the log: $(cat "$T/streamd.log")"
	exit 1
fi
URL=rtsp://127.0.0.1:$PORT/Test-Desk
URL2=rtsp://127.0.0.1:$PORT/Other
grep -q "RTSP mount $URL (" "$T/streamd.log" && ok "mount $URL from the configured name" ||
	fail "no mount $URL in the log: $(cat "$T/streamd.log")"

# KEY of the vGPU whose rtsp-url is URL, from GetStatus' text form.
field() {	# URL KEY
	status | python3 -c '
import re, sys
text, url, key = sys.stdin.read(), sys.argv[1], sys.argv[2]
for d in text.split("}, {"):
    if "<%r>" % url in d:
        m = re.search(r"%r: <(?:uint32 |uint64 |int64 )?([^>]*)>" % key, d)
        print(m.group(1).strip("\x27") if m else "")
' "$1" "$2"
}
enc=$(field "$URL" rtsp-encoder)
[ "$enc" = x264enc ] && ok "automatic encoder with no VA-API device: x264enc (in the status)" ||
	fail "rtsp-encoder is '$enc': $(status)"


# Nothing is encoded before anyone watches: the capture runs (frames
# grow), the encode has no subscriber and has made no access unit.
wait_frames() {	# URL COUNT: until the capture's frame counter reaches COUNT
	local f=0
	for i in $(seq 100); do
		f=$(field "$1" frames)
		[ "${f:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
f0=$(field "$URL" frames)
wait_frames "$URL" $((${f0:-0} + 10))
subs=$(field "$URL" encode-subscribers)
units=$(field "$URL" encode-units)
[ "$(field "$URL" encode-encoder)" = x264enc ] && [ "$subs" = 0 ] && [ "$units" = 0 ] &&
	ok "encode x264enc idle before any viewer: 0 subscribers, 0 units while the capture ran" ||
	fail "encode before viewers: encoder=$(field "$URL" encode-encoder) subscribers=$subs units=$units"

if [ -n "${GVT_DMABUF_TOOL:-}" ]; then
	"$GVT_DMABUF_TOOL" status --session >"$T/status" 2>&1
	grep -qF "RTSP $URL, x264enc, 0 viewers" "$T/status" &&
	grep -qF "H.264 encode x264enc, 0 subscribers, 0 units; feed system memory, 0 frames imported, 0 read" "$T/status" &&
		ok "gvt-dmabuf status shows the mount, its encoder and the idle encode" ||
		fail "gvt-dmabuf status: $(cat "$T/status")"
fi

# ---- ffprobe ----
timeout 30 ffprobe -v error -rtsp_transport tcp -select_streams v:0 \
	-show_entries stream=codec_name,width,height -of csv=p=0 "$URL" >"$T/probe" 2>"$T/probe.err"
[ "$(cat "$T/probe")" = "h264,320,240" ] && ok "ffprobe: h264 320x240" || fail "ffprobe: $(cat "$T/probe")"

# ---- decoded frames against the guest model ----
gst_decode() {	# URL OUT FRAMES
	timeout 60 gst-launch-1.0 -q rtspsrc location="$1" protocols=tcp latency=300 ! rtph264depay ! \
		avdec_h264 ! videoconvert ! video/x-raw,format=BGRx ! identity eos-after="$(($3 + 1))" ! \
		filesink location="$2" >"$2.log" 2>&1
}
gst_decode "$URL" "$T/gst.raw" 40
rc=$?
if [ $rc -eq 0 ] && "$CHECK" "$T/gst.raw" 320 240 BGRx 40 psnr=$PSNR_BOUND >"$T/check.log"; then
	ok "rtspsrc + avdec_h264: $(cat "$T/check.log")"
else
	fail "rtspsrc (rc=$rc): $(cat "$T/gst.raw.log" "$T/check.log" 2>/dev/null | tail -5)"
fi
timeout 60 ffmpeg -nostdin -v error -rtsp_transport tcp -i "$URL" -frames:v 40 -fps_mode passthrough \
	-f rawvideo -pix_fmt bgr0 -y "$T/ff.raw" >"$T/ff.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && "$CHECK" "$T/ff.raw" 320 240 BGRx 40 psnr=$PSNR_BOUND >"$T/check.log"; then
	ok "ffmpeg: $(cat "$T/check.log")"
else
	fail "ffmpeg (rc=$rc): $(cat "$T/ff.log" "$T/check.log" 2>/dev/null | tail -5)"
fi
# The second mount, another geometry, through the same server.
timeout 60 ffmpeg -nostdin -v error -rtsp_transport tcp -i "$URL2" -frames:v 20 -fps_mode passthrough \
	-f rawvideo -pix_fmt bgr0 -y "$T/ff2.raw" >"$T/ff2.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && "$CHECK" "$T/ff2.raw" 256 160 BGRx 20 psnr=$PSNR_BOUND >"$T/check.log"; then
	ok "second mount /Other: $(cat "$T/check.log")"
else
	fail "second mount (rc=$rc): $(cat "$T/ff2.log" "$T/check.log" 2>/dev/null | tail -5)"
fi

# Another encoder by name, and one that is not there (no VA device here).
if gst-inspect-1.0 openh264enc >/dev/null 2>&1; then
	timeout 60 ffmpeg -nostdin -v error -rtsp_transport tcp -i "rtsp://127.0.0.1:$PORT/Open" -frames:v 20 \
		-fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$T/ff3.raw" >"$T/ff3.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && "$CHECK" "$T/ff3.raw" 256 160 BGRx 20 psnr=$PSNR_BOUND >"$T/check.log"; then
		ok "encoder = openh264enc: $(cat "$T/check.log")"
	else
		fail "openh264enc mount (rc=$rc): $(cat "$T/ff3.log" "$T/check.log" 2>/dev/null | tail -5)"
	fi
else
	echo "# openh264enc not installed: that encoder is not tested"
fi
if ! gst-inspect-1.0 vah264enc >/dev/null 2>&1; then
	grep -qF "$DEV4: no RTSP mount: encoder 'vah264enc' is not available" "$T/streamd.log" &&
		ok "encoder = vah264enc without a VA device: no mount, logged" ||
		fail "vah264enc without VA: $(grep -F "$DEV4" "$T/streamd.log")"
fi

# ---- two viewers at once: one media, one encoder ----
# The one that joins second may start mid-picture: it may lose the frames
# before the key frame its PLAY forces, far fewer than a GOP (30 here).
JOIN_LEAD=10
made0=$(field "$URL" rtsp-medias-made)
gst_decode "$URL" "$T/v1.raw" 150 &
V1=$!
gst_decode "$URL" "$T/v2.raw" 150 &
V2=$!
viewers=0
for i in $(seq 100); do
	viewers=$(field "$URL" rtsp-viewers)
	[ "$viewers" = 2 ] && break
	sleep 0.1
done
medias=$(field "$URL" rtsp-medias)
made=$(field "$URL" rtsp-medias-made)
subs=$(field "$URL" encode-subscribers)
if [ "$viewers" = 2 ] && [ "$medias" = 1 ] && [ "$made" = $((made0 + 1)) ] && [ "$subs" = 1 ]; then
	ok "two viewers playing share one media, one subscriber of the vGPU's one encode"
else
	fail "two viewers: viewers=$viewers medias=$medias media made $made0 -> $made, encode subscribers=$subs"
fi
wait $V1
r1=$?
wait $V2
r2=$?
for v in 1 2; do
	eval "r=\$r$v"
	if [ "$r" -ne 0 ] && rtspsrc_shutdown_eof "$T/v$v.raw.log"; then
		echo "# viewer $v: rtspsrc's PAUSE at shutdown found the connection closed (frames checked anyway)"
		eval "r$v=0"
	fi
done
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] &&
   "$CHECK" "$T/v1.raw" 320 240 BGRx 140 psnr=$PSNR_BOUND,lead=$JOIN_LEAD >"$T/c1.log" &&
   "$CHECK" "$T/v2.raw" 320 240 BGRx 140 psnr=$PSNR_BOUND,lead=$JOIN_LEAD >"$T/c2.log"; then
	ok "both viewers decode: $(cat "$T/c1.log") / $(cat "$T/c2.log")"
else
	fail "viewers rc=$r1,$r2: $(head -4 "$T/c1.log"; tail -1 "$T/c1.log"; head -4 "$T/c2.log"; tail -1 "$T/c2.log"; cat "$T/v1.raw.log" "$T/v2.raw.log" 2>/dev/null | tail -4)"
fi
encoders=$(grep -c "RTSP mount $URL (x264enc" "$T/streamd.log")
encodes=$(grep -c "$DEV: H.264 encode with x264enc" "$T/streamd.log")
[ "$encodes" = 1 ] && ok "one encode built for the vGPU over every viewer so far" ||
	fail "encodes built for $DEV: $encodes: $(grep -F "$DEV" "$T/streamd.log" | tail -5)"
forced=$(field "$URL" rtsp-keyframes-forced)
[ "$encoders" = 1 ] && [ "${forced:-0}" -ge 2 ] && ok "one encoder for the mount, key frames forced on join ($forced)" ||
	fail "encoders in the log: $encoders, key frames forced: $forced"

# Both gone: the mount unsubscribes, and the encode stops while the
# capture goes on.
subs=
for i in $(seq 100); do
	subs=$(field "$URL" encode-subscribers)
	[ "$subs" = 0 ] && break
	sleep 0.1
done
u0=$(field "$URL" encode-units)
f0=$(field "$URL" frames)
wait_frames "$URL" $((${f0:-0} + 10))
u1=$(field "$URL" encode-units)
[ "$subs" = 0 ] && [ "${u0:-0}" -gt 0 ] && [ "$u0" = "$u1" ] &&
	ok "viewers gone: 0 subscribers, encoding stopped at $u0 units while the capture ran" ||
	fail "after the viewers: subscribers=$subs units $u0 -> $u1 over frames $f0 -> $(field "$URL" frames)"

# ---- bad clients ----
python3 - "$PORT" >"$T/bad.log" 2>&1 <<'PY'
import socket, sys
port = int(sys.argv[1])
def ask(data, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while b"\r\n\r\n" not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
        return out.split(b"\r\n", 1)[0].decode(errors="replace")
    except (ConnectionResetError, socket.timeout, BrokenPipeError) as e:
        return "closed (%s)" % type(e).__name__
    finally:
        s.close()
print("garbage:", ask(b"\x00\xff\xfe garbage \x01\x02\r\n\r\n"))
print("unknown mount:", ask(b"DESCRIBE rtsp://127.0.0.1:%d/nope RTSP/1.0\r\nCSeq: 1\r\n\r\n" % port))
print("huge header:", ask(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Big: " + b"A" * 200000 + b"\r\n\r\n"))
print("half request:", ask(b"DESCRIBE rtsp://127.0.0.1/", timeout=1))
PY
cat "$T/bad.log" | sed 's/^/# /'
grep -q "unknown mount: RTSP/1.0 404" "$T/bad.log" && ok "unknown mount answered 404" ||
	fail "unknown mount: $(cat "$T/bad.log")"
timeout 30 ffprobe -v error -rtsp_transport tcp -show_entries stream=codec_name -of csv=p=0 "$URL" >"$T/probe" 2>"$T/probe.err"
if kill -0 $SDPID 2>/dev/null && [ "$(cat "$T/probe")" = h264 ]; then
	ok "after garbage, a huge header and an unknown mount the daemon still serves"
else
	fail "daemon after bad clients: $(cat "$T/probe"; tail -5 "$T/streamd.log")"
fi

# ---- the port in use: a second daemon refuses to start, saying why ----
printf '[daemon]\npipewire = false\ndiscover-mdev = false\nrtsp-port = %s\nwebrtc-port = 0\n' "$PORT" >"$T/busy.conf"
timeout 10 "$SD" --no-dbus --config "$T/busy.conf" >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "cannot listen for RTSP on 127.0.0.1 port $PORT" "$T/out" &&
	ok "port in use: refused ($(head -1 "$T/out"))" || fail "port in use: rc=$rc: $(cat "$T/out")"

# ---- SIGTERM ----
kill -TERM $SDPID
for i in $(seq 100); do kill -0 $SDPID 2>/dev/null || break; sleep 0.1; done
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: clean exit" || fail "SIGTERM: exit $rc: $(tail -5 "$T/streamd.log")"

echo "# $fails failed"
[ $fails -eq 0 ]
