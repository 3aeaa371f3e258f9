#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's push (issue 10 §3): one daemon, two sim vGPUs.  One has
# push = rtsp://user:password@... and sends its encode by RTSP RECORD
# (rtspclientsink) to ffmpeg listening (-rtsp_flags listen); the other has
# push = srt://... and sends MPEG-TS over SRT (srtsink, caller) to ffmpeg
# as an SRT listener.  Both receivers are Debian's ffmpeg, not written
# here; the frames they decode are checked against the guest model by
# frame-check (block codes increase, PSNR above PSNR_BOUND).  Then both
# receivers go away and come back: the daemon logs each loss, reconnects
# (push-reconnects >= 1, push-state recording in the status) and the
# second recordings have good frames too.  gvt-dmabuf status prints both
# pushes; the password never shows in the log or the status.  Bad push URLs are refused naming file, line
# and key.
#
# ffmpeg (5.1 here, and its current source) accepts a RECORD SETUP only
# with a lower-case "mode=record" in the Transport header, and answers
# "mode=receive"; rtspclientsink sends "mode=RECORD" as RFC 2326 writes
# it and takes ffmpeg's answer for a PLAY transport (it then sends
# nothing).  So the RTSP receiver is ffmpeg behind a relay (below) that
# changes that one token each way and passes every other byte unchanged.
#
# Usage: test-push.sh PATH/TO/gvt-streamd PATH/TO/frame-check
set -u
SD=$1
CHECK=$2
PSNR_BOUND=30
FRAMES=30

. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_PUSH_IN_SESSION:-}" ]; then
	need_programs dbus-run-session gdbus gst-inspect-1.0 ffmpeg python3 ss
	need_elements rtspclientsink srtsink mpegtsmux h264parse appsrc x264enc
	ffmpeg -hide_banner -protocols 2>/dev/null | grep -qx ' *srt' ||
		{ echo "SKIP: this ffmpeg has no srt protocol"; exit 77; }
	export GVT_PUSH_IN_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi

test_dir push

# ---- configurations refused ----
bad_config "push over http" "bad.conf:3: [vgpu sim] push: 'http://127.0.0.1/live' is not an rtsp://, rtsps:// or srt:// URL with a host" \
	$'[vgpu sim]\nname = A\npush = http://127.0.0.1/live'
bad_config "push without a host" "bad.conf:2: [vgpu sim] push: 'rtsp:///live' is not an rtsp://, rtsps:// or srt:// URL" \
	$'[vgpu sim]\npush = rtsp:///live'
bad_config "push not a URL" "[vgpu sim] push: 'media-server' is not an rtsp://, rtsps:// or srt:// URL" \
	$'[vgpu sim]\npush = media-server'
bad_config "srt without a port" "bad.conf:2: [vgpu sim] push: 'srt://media.example' needs a host and a port" \
	$'[vgpu sim]\npush = srt://media.example'
bad_config "srt without a host" "push: 'srt://:9000' needs a host and a port" \
	$'[vgpu sim]\npush = srt://:9000'
bad_config "srt with an unknown option" "push: 'srt://media.example:9000?mode=listener': the only srt:// option is latency=MS (0 to 10000)" \
	$'[vgpu sim]\npush = srt://media.example:9000?mode=listener'
bad_config "srt latency out of range" "the only srt:// option is latency=MS" \
	$'[vgpu sim]\npush = srt://media.example:9000?latency=99999'
bad_config "srt with a path" "push: 'srt://media.example:9000/live': an srt:// URL has no user and no path" \
	$'[vgpu sim]\npush = srt://media.example:9000/live'
bad_config "password hidden in the complaint" "push: 'http://u@media.example/x' is not" \
	$'[vgpu sim]\npush = http://u:Hidden99@media.example/x'
grep -q Hidden99 "$T/out" && fail "the password is in the complaint: $(cat "$T/out")"
for url in rtsps://media.example:8322/vm1 rtsp://u:pw@media.example/vm1 srt://media.example:9000 \
	   'srt://192.0.2.1:9000?latency=200'; do
	printf '[vgpu sim]\npush = %s\n' "$url" >"$T/good.conf"
	"$SD" --check --config "$T/good.conf" >"$T/out" 2>&1 && ok "push = $url accepted" ||
		fail "push = $url refused: $(cat "$T/out")"
done

# ---- the receiving servers ----
free_port() {	# tcp|udp
	python3 -c 'import socket, sys
s = socket.socket(type=socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
RPORT=$(free_port tcp)	# the relay: what the daemon pushes to
FPORT=$(free_port tcp)	# ffmpeg behind it
SPORT=$(free_port udp)	# ffmpeg's SRT listener
SECRET=Pw4push-$$
RTSP_PUSH=rtsp://pusher:$SECRET@127.0.0.1:$RPORT/live
RTSP_SHOWN=rtsp://pusher@127.0.0.1:$RPORT/live
SRT_PUSH=srt://127.0.0.1:$SPORT
SRT_SHOWN=$SRT_PUSH?latency=120
RDEV="sim:320x240,fps=30,cursor=off"
SDEV="sim:256x192,fps=30,cursor=off"

# Each client connection to ffmpeg on FPORT, the Transport mode token
# changed each way (see the top).
python3 -u - "$RPORT" "$FPORT" >"$T/relay.log" 2>&1 <<'PY' &
import socket, sys, threading
lsn = socket.socket()
lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsn.bind(("127.0.0.1", int(sys.argv[1])))
lsn.listen(4)
def pump(a, b, fix):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d.replace(b";mode=RECORD", b";mode=record") if fix else
                      d.replace(b";mode=receive", b";mode=RECORD"))
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = lsn.accept()
    try:
        f = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    except OSError as e:
        print("ffmpeg not there:", e)
        c.close()
        continue
    threading.Thread(target=pump, args=(c, f, True), daemon=True).start()
    threading.Thread(target=pump, args=(f, c, False), daemon=True).start()
PY
pids+=($!)

wait_listen() {	# tcp|udp PORT LOG
	local i
	for i in $(seq 100); do
		ss -Hln "--$1" "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	fail "ffmpeg does not listen on $1 port $2: $(cat "$3")"
	exit 1
}
# ffmpeg decoding one pushed session into raw BGRx frames in OUT.
rtsp_receiver() {	# OUT
	ffmpeg -nostdin -v error -rtsp_flags listen -timeout 60 -i "rtsp://127.0.0.1:$FPORT/live" \
		-fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$1" >"$1.log" 2>&1 &
	RRX=$!
	pids+=($RRX)
	wait_listen tcp $FPORT "$1.log"
}
srt_receiver() {	# OUT
	ffmpeg -nostdin -v error -probesize 200000 -analyzeduration 500000 \
		-i "srt://127.0.0.1:$SPORT?mode=listener" \
		-fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$1" >"$1.log" 2>&1 &
	SRX=$!
	pids+=($SRX)
	wait_listen udp $SPORT "$1.log"
}
# Until OUT holds COUNT whole WxH BGRx frames.
wait_raw() {	# OUT COUNT W H
	local i
	for i in $(seq 200); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge $(($2 * $3 * $4 * 4)) ] && return 0
		sleep 0.1
	done
	return 1
}
# Stop ffmpeg (it writes out what it has) and keep whole frames only.
stop_receiver() {	# PID OUT W H
	kill -TERM $1 2>/dev/null
	wait $1 2>/dev/null
	python3 -c 'import os, sys; n = os.path.getsize(sys.argv[1]); os.truncate(sys.argv[1], n - n % int(sys.argv[2]))' \
		"$2" $(($3 * $4 * 4))
}
check_frames() {	# WHAT OUT W H
	if "$CHECK" "$2" $3 $4 BGRx $FRAMES psnr=$PSNR_BOUND >"$T/check.log" 2>&1; then
		ok "$1: $(cat "$T/check.log")"
	else
		fail "$1: $(cat "$T/check.log"; tail -n 3 "$2.log")"
	fi
}
rtsp_receiver "$T/rtsp1.raw"
srt_receiver "$T/srt1.raw"

cat >"$T/streamd.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
rtsp-port = 0

[vgpu $RDEV]
name = ByRTSP
gop = 15
push = $RTSP_PUSH

[vgpu $SDEV]
name = BySRT
gop = 15
push = $SRT_SHOWN
CONF
G_MESSAGES_DEBUG=all "$SD" --user --config "$T/streamd.conf" >"$T/streamd.log" 2>&1 &
SDPID=$!
pids+=($SDPID)

# Until DEVICE's push-state is STATE (the recording line comes first).
wait_state() {	# DEVICE STATE
	local i
	for i in $(seq 100); do
		[ "$(vgpu_field "$1" push-state)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# The tool's view, while both push (the password must not be in it either).
tool_status() {
	[ -n "${GVT_DMABUF_TOOL:-}" ] || return 0
	"$GVT_DMABUF_TOOL" status --session >"$T/tool.txt" 2>&1
	"$GVT_DMABUF_TOOL" status --session --json >>"$T/tool.txt" 2>&1
	grep -qx "  push to $RTSP_SHOWN: recording, [1-9][0-9]* reconnects\{0,1\}.*" "$T/tool.txt" &&
		grep -qF "  push to $SRT_SHOWN: recording, " "$T/tool.txt" &&
		ok "gvt-dmabuf status: $(grep -m1 "push to rtsp" "$T/tool.txt" | sed 's/^ *//')" ||
		fail "gvt-dmabuf status shows no push: $(cat "$T/tool.txt")"
}

for run in 1 2; do
	for x in "rtsp $RDEV 320 240 $RTSP_SHOWN" "srt $SDEV 256 192 $SRT_SHOWN"; do
		set -- $x
		if wait_raw "$T/$1$run.raw" $FRAMES $3 $4; then
			ok "$1 run $run: ffmpeg received the push"
		else
			fail "$1 run $run: no frames at the receiver: $(tail -n 5 "$T/$1$run.raw.log"; grep -v subscriber "$T/streamd.log" | tail -n 8)"
		fi
		url=$(vgpu_field $2 push-url) rec=$(vgpu_field $2 push-reconnects)
		if [ $run = 1 ]; then want_rec=$([ "$rec" = 0 ] && echo y); else want_rec=$([ "${rec:-0}" -ge 1 ] && echo y); fi
		if wait_state $2 recording && [ "$url" = "$5" ] && [ "$want_rec" = y ]; then
			ok "$1 run $run: status push-url $url, push-state recording, push-reconnects $rec"
		else
			fail "$1 run $run: status: url=$url reconnects=$rec state=$(vgpu_field $2 push-state)"
		fi
	done
	[ $run = 2 ] && grep -q "recording to $RTSP_SHOWN (reconnected)" "$T/streamd.log" &&
		grep -q "recording to $SRT_SHOWN (reconnected)" "$T/streamd.log" &&
		ok "both reconnects logged" || { [ $run = 1 ] || fail "no reconnect in the log"; }
	[ $run = 2 ] && tool_status
	stop_receiver $RRX "$T/rtsp$run.raw" 320 240
	stop_receiver $SRX "$T/srt$run.raw" 256 192
	check_frames "rtsp run $run, recorded by ffmpeg" "$T/rtsp$run.raw" 320 240
	check_frames "srt run $run, recorded by ffmpeg" "$T/srt$run.raw" 256 192
	[ $run = 2 ] && break

	# ---- the servers go away and come back ----
	# Back only once the daemon failed twice in a row for each, waiting
	# longer the second time: the backoff.
	for i in $(seq 400); do
		n=0
		for url in $RTSP_SHOWN $SRT_SHOWN; do
			grep -F "push to $url stopped: " "$T/streamd.log" | grep -q "retrying in 2000 ms" && n=$((n + 1))
		done
		[ $n = 2 ] && break
		sleep 0.1
	done
	for url in $RTSP_SHOWN $SRT_SHOWN; do
		grep -qF "push to $url stopped: " "$T/streamd.log" &&
			ok "the lost server logged: $(grep -m1 -F "push to $url stopped" "$T/streamd.log" | sed 's/.*: push to/push to/')" ||
			fail "no loss of $url in the log: $(tail -n 5 "$T/streamd.log")"
		delays=$(grep -F "push to $url stopped" "$T/streamd.log" | sed -n 's/.*retrying in \([0-9]*\) ms/\1/p' | tr '\n' ' ')
		case "$delays" in
		"1000 2000 "*) ok "${url%%:*} retries back off: $delays(ms)" ;;
		*) fail "${url%%:*} retry delays: '$delays'" ;;
		esac
	done
	rtsp_receiver "$T/rtsp2.raw"
	srt_receiver "$T/srt2.raw"
done

status >"$T/status.txt"
if grep -q "$SECRET" "$T/streamd.log" "$T/status.txt" "$T"/tool.txt*; then
	fail "the push password is in the log or the status: $(grep -h "$SECRET" "$T/streamd.log" "$T/status.txt" "$T"/tool.txt* | head -n 3)"
else
	ok "the push password is in neither the log ($(grep -c pusher@ "$T/streamd.log") lines name the URL) nor the status (GetStatus, gvt-dmabuf status and --json)"
fi

kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "daemon exits cleanly" || fail "daemon exit status $rc: $(tail -n 5 "$T/streamd.log")"
[ $fails -eq 0 ]
