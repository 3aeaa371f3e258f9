#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's WebRTC page (issue 11), in Debian's chromium, headless,
# driven over the DevTools protocol (cdp-pipe.py, on a pipe):
#  - bad [daemon] webrtc-*, stun-server and turn-server values refused;
#  - the page and its WebSocket: a missing or wrong ?token= is 403, an
#    unknown vGPU 404, a WebSocket from another origin 403 (curl), and the
#    daemon serves on afterwards with no fd more;
#  - the browser plays the stream, and again after a reload that restarts
#    the vGPU (the page reconnects by itself): the page reads the guest model's block
#    code from each presented frame (its CRC checked, so only real decoded
#    pictures count) and logs GVT-FRAME <n> <latency> <WxH>; the frame numbers
#    increase and the latencies are measured (clock offset known); the
#    page says "view only" (no input allowed) and sends nothing for a
#    DevTools key and click, while a message put on its data channel by
#    hand reaches the daemon and is refused back to the page; a screenshot
#    of the page goes to the log directory;
#  - status (GetStatus, gvt-dmabuf status) shows the page's URL and viewers;
#  - ten browser visit/leave cycles end every viewer and leave the
#    daemon's fd count, threads and RSS flat;
#  - with TLS (openssl's certificate): 0.0.0.0 accepted with a token, the
#    page over https and the WebSocket over wss (curl), no plain http;
#  - and there with [daemon] rtsp-users, the login (curl, HTTP basic): none
#    or a wrong password 401 with a basic challenge (an unknown vGPU too:
#    no names before the login), a user of the file 200 and 101, one not
#    in the vGPU's allowed-users 403, GetStatus webrtc-login-needed.
#    (The browser's login, and input-users, are in the qemu suite:
#    tests/qemu/qemu-webrtc-input.sh.)
#
# Usage: test-webrtc.sh PATH/TO/gvt-streamd
# (GVT_TEST_LOG_DIR: where the screenshot goes; GVT_DMABUF_TOOL: the tool)
set -u
SD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CYCLES=10
# RSS the daemon may gain over the ten cycles after two warm-up ones: a
# viewer's pipeline (webrtcbin, libnice, sctp) leaked per cycle passes it.
RSS_CYCLES_KIB=4096

. "$HERE/test-lib.sh"
if [ -z "${GVT_WEBRTC_IN_SESSION:-}" ]; then
	need_programs dbus-run-session gdbus gst-inspect-1.0 chromium python3 curl openssl
	need_elements webrtcbin nicesrc rtph264pay sctpenc x264enc
	export GVT_WEBRTC_IN_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi
t_start=$(date +%s%N)

test_dir webrtc
LOGDIR=${GVT_TEST_LOG_DIR:-$T}
mkdir -p "$LOGDIR"

# ---- configurations refused ----
bad_config "webrtc on the network without token and TLS" \
	"bad.conf:2: [daemon] webrtc-address: refusing to listen on '0.0.0.0', which is not a loopback address" \
	$'[daemon]\nwebrtc-address = 0.0.0.0'
bad_config "webrtc-address not an IP" "[daemon] webrtc-address: 'localhost' is not an IP address" \
	$'[daemon]\nwebrtc-address = localhost'
bad_config "webrtc-token with a space" "[daemon] webrtc-token: the token may only have" \
	$'[daemon]\nwebrtc-token = a b'
bad_config "webrtc-port out of range" "[daemon] webrtc-port: '70000' is not a whole number from 0 to 65535" \
	$'[daemon]\nwebrtc-port = 70000'
bad_config "stun-server not a stun URL" "bad.conf:2: [daemon] stun-server: 'http://x' is not a STUN server URL" \
	$'[daemon]\nstun-server = http://x'
bad_config "turn-server without a user" "[daemon] turn-server: 'turn://relay.example:3478' names no user and password" \
	$'[daemon]\nturn-server = turn://relay.example:3478'
bad_config "[vgpu] webrtc not a boolean" "[vgpu sim] webrtc: 'yes' is not a boolean" \
	$'[vgpu sim]\nwebrtc = yes'

# ---- the daemon ----
TOKEN=t0k-en_1
DEV="sim:640x360,fps=30,cursor=off"
cat >"$T/streamd.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
rtsp-port = 0
webrtc-port = 0
webrtc-token = $TOKEN
stun-server = stun://127.0.0.1:3478

[vgpu $DEV]
name = Desk
encoder = x264enc
CONF
start_streamd "$T/streamd.conf" "$T/streamd.log"
wait_log_port "$T/streamd.log" '.*WebRTC server listening on 127\.0\.0\.1 port \([0-9]*\).*' \
	"WebRTC page http://127.0.0.1:@PORT@/Desk"
if [ -z "$PORT" ] || ! grep -q "WebRTC page" "$T/streamd.log"; then
	fail "no WebRTC page in the log: $(cat "$T/streamd.log")"
	exit 1
fi
BASE=http://127.0.0.1:$PORT
URL=$BASE/Desk?token=$TOKEN

field() {	# KEY: of the vGPU, from GetStatus' text form
	status | python3 -c '
import re, sys
text, key = sys.stdin.read(), sys.argv[1]
m = re.search(r"%r: <(?:uint32 |uint64 |int64 )?([^>]*)>" % key, text)
print(m.group(1).strip("\x27") if m else "")
' "$1"
}
fds() { ls /proc/$SDPID/fd | wc -l; }
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$SDPID/status; }

# ---- refusals, by curl ----
code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@"; }
wscode() {	# URL [HEADER [CURL-OPTIONS...]]: the answer to a WebSocket upgrade
	local url=$1 hdr=${2:-}
	shift $(($# < 2 ? $# : 2))
	code -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' ${hdr:+-H "$hdr"} "$@" "$url"
}
check_code() {	# WHAT WANT GOT
	[ "$3" = "$2" ] && ok "$1: $3" || fail "$1: $3, not $2"
}
fd_start=$(fds)
check_code "page with the token" 200 "$(code "$URL")"
check_code "page without a token" 403 "$(code "$BASE/Desk")"
check_code "page with a wrong token" 403 "$(code "$BASE/Desk?token=wrong")"
check_code "unknown vGPU's page" 404 "$(code "$BASE/Nope?token=$TOKEN")"
check_code "WebSocket without a token" 403 "$(wscode "$BASE/Desk/ws")"
check_code "WebSocket with a wrong token" 403 "$(wscode "$BASE/Desk/ws?token=${TOKEN}x")"
check_code "unknown vGPU's WebSocket" 404 "$(wscode "$BASE/Nope/ws?token=$TOKEN")"
check_code "WebSocket from another origin" 403 "$(wscode "$BASE/Desk/ws?token=$TOKEN" "Origin: http://evil.example")"
check_code "POST" 405 "$(code -X POST "$URL")"
grep -q "WebSocket from 127.0.0.1 refused: wrong token" "$T/streamd.log" &&
	ok "refusals logged" || fail "no refusal in the log: $(tail -5 "$T/streamd.log")"
kill -0 $SDPID 2>/dev/null && [ "$(code "$URL")" = 200 ] &&
	ok "daemon serves on after the refusals" || fail "daemon gone or not serving after the refusals"
# Each answer closes its connection (libsoup 3.2 would keep every one that
# curl closed in CLOSE_WAIT: webrtc.c close_after()).
fd_end=$(fds)
[ "$fd_end" -le "$fd_start" ] && ok "no fd left by the 11 requests ($fd_start -> $fd_end)" ||
	fail "fds grew over 11 requests: $fd_start -> $fd_end: $(ls -l /proc/$SDPID/fd | grep -c socket) sockets"

# ---- the browser plays ----
SHOT=$LOGDIR/webrtc-page.png
FRAMES=60
rm -f "$SHOT"
python3 "$HERE/cdp-pipe.py" --user-data-dir "$T/chromium" --frames $FRAMES --timeout 40 \
	--screenshot "$SHOT" --eval 'document.getElementById("mode").textContent' \
	--during "sed -i 's/^encoder = x264enc/&\\nbitrate = 3000/' '$T/streamd.conf' && kill -HUP $SDPID" \
	--key KeyA --eval2 'input.send(JSON.stringify({type: "key", code: "KeyB", down: true})), input.readyState' \
	--wait-console GVT-INPUT-ERROR "$URL" >"$T/visit.log" 2>&1
rc=$?
# Before the reload; after it the vGPU starts again (its guest from frame 0).
sed '/^during$/q' "$T/visit.log" | grep '^console GVT-FRAME ' | awk '{ print $3, $4 }' >"$T/frames"
after=$(sed '1,/^during$/d' "$T/visit.log" | grep -c '^console GVT-FRAME ')
n=$(wc -l <"$T/frames")
read -r incr first last < <(awk '
	{ if (NR > 1 && $1 <= prev) bad = 1; prev = $1; if (NR == 1) first = $1 }
	END { printf "%d %d %d\n", !bad, first, prev }' "$T/frames")
awk '$2 != "nan" { print $2 }' "$T/frames" | sort -n >"$T/lat"
measured=$(wc -l <"$T/lat")
median=$(sed -n "$(( (measured + 1) / 2 ))p" "$T/lat")
if [ $rc -eq 0 ] && [ "$n" -ge $FRAMES ] && [ "$incr" = 1 ]; then
	ok "chromium decoded $n frames whose block codes increase (guest frames $first..$last)"
else
	fail "chromium (rc=$rc): $n GVT-FRAME lines, increasing=$incr: $(grep -v GVT-FRAME "$T/visit.log" | tail -5); the daemon: $(tail -5 "$T/streamd.log")"
fi
# The offset comes from pings before the first frame; a few early
# frames may come before the first pong.
[ "$measured" -ge $((n - 10)) ] && [ "$measured" -gt 0 ] &&
	ok "latency measured for $measured of $n frames (median $median ms, a figure only)" ||
	fail "latency measured for only $measured of $n frames"
# A reload that restarts the vGPU closes the page's signalling: the page
# reconnects by itself and plays again.
connects=$(grep -c "/Desk: viewer 1 (127.0.0.1) connected in" "$T/streamd.log")
grep -q '^during$' "$T/visit.log" && [ "$after" -ge $FRAMES ] && [ "$connects" = 2 ] &&
	grep -q "settings changed, restarting" "$T/streamd.log" &&
	ok "the page reconnected after the vGPU restarted (reload) and decoded $after more frames" ||
	fail "no reconnect after the reload: $after frames after it, $connects connects in the log: $(grep -E 'restarting|gone' "$T/streamd.log" | tail -3)"
grep -q '^eval "view only"' "$T/visit.log" && ok "the page says view only (input not allowed)" ||
	fail "the page's mode: $(grep '^eval' "$T/visit.log")"
# A key and a click from DevTools: the view-only page sends nothing.  A
# message put on the data channel by hand reaches the daemon, which
# refuses it (input.c: view only) and tells the page.
grep -q '^input sent' "$T/visit.log" && grep -q '^eval2 "open"' "$T/visit.log" &&
	grep -q '^console GVT-INPUT-ERROR .*view only' "$T/visit.log" &&
	ok "a message on the data channel is refused and the page told: $(sed -n 's/^console GVT-INPUT-ERROR //p' "$T/visit.log" | head -1)" ||
	fail "input over the data channel: $(grep -E '^(input|eval2|console GVT-INPUT|timeout)' "$T/visit.log")"
[ -s "$SHOT" ] && [ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] &&
	ok "screenshot of the page: $SHOT" || fail "no screenshot at $SHOT"
grep -q "/Desk: viewer 1 (127.0.0.1) connected" "$T/streamd.log" &&
	ok "the daemon saw the viewer connect" || fail "no viewer connected in the log: $(tail -5 "$T/streamd.log")"
grep -q "GVT-ERROR" "$T/visit.log" && fail "the page reported: $(grep GVT-ERROR "$T/visit.log" | head -3)"

# ---- status ----
wait_idle() {	# up to 10 s for the viewers to go
	local i
	for i in $(seq 100); do
		[ "$(field webrtc-viewers)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
wait_idle && [ "$(field webrtc-viewers-total)" = 1 ] && [ "$(field webrtc-url)" = "$BASE/Desk" ] &&
	ok "status: webrtc-url $BASE/Desk, the viewer ended (1 seen, 0 now)" ||
	fail "status after the visit: $(status)"
[ "$(field webrtc-inputs)" = 1 ] && [ "$(field webrtc-inputs-refused)" = 1 ] &&
	ok "status: 1 input message (the hand-made one), refused: nothing from the view-only page's key and click" ||
	fail "input messages: $(field webrtc-inputs), refused $(field webrtc-inputs-refused) (want 1 and 1)"
if [ -n "${GVT_DMABUF_TOOL:-}" ]; then
	"$GVT_DMABUF_TOOL" status --session >"$T/st" 2>&1
	grep -qF "WebRTC $BASE/Desk?token=..., no login, 0 viewers (0 connected)" "$T/st" &&
		ok "gvt-dmabuf status shows the WebRTC page" || fail "gvt-dmabuf status: $(cat "$T/st")"
fi

# ---- visit/leave cycles ----
# After each visit (5 frames, then about:blank) wait for the viewer to end
# and note fds and RSS; the first two visits warm up.  Connections the
# live browser holds open and idle (chromium preconnects to an origin it
# has seen: ESTABLISHED on the daemon's port) are not the daemon's to
# close and are not counted; one the browser closed and the daemon kept
# (CLOSE_WAIT) is.
cat >"$T/between.sh" <<SH
#!/bin/bash
for i in \$(seq 100); do
	gdbus call --session -d org.gvtdmabuf.Streamd1 -o /org/gvtdmabuf/Streamd1 \
		-m org.gvtdmabuf.Streamd1.GetStatus | grep -q "'webrtc-viewers': <uint32 0>" && break
	sleep 0.1
done
idle=\$(awk '\$2 ~ /:$(printf %04X "$PORT")\$/ && \$4 == "01"' /proc/net/tcp | wc -l)
echo "\$((\$(ls /proc/$SDPID/fd | wc -l) - idle)) \$(awk '/^VmRSS:/ { print \$2 }' /proc/$SDPID/status) \$(awk '/^Threads:/ { print \$2 }' /proc/$SDPID/status)" >>"$T/usage"
SH
chmod +x "$T/between.sh"
python3 "$HERE/cdp-pipe.py" --user-data-dir "$T/chromium" --frames 5 --timeout 20 \
	--visits $((CYCLES + 2)) --between "$T/between.sh" "$URL" >"$T/cycles.log" 2>&1
rc=$?
visits=$(grep -c '^visit' "$T/cycles.log")
timeouts=$(grep -c '^timeout' "$T/cycles.log")
[ $rc -eq 0 ] && [ "$visits" = $((CYCLES + 2)) ] && [ "$timeouts" = 0 ] &&
	ok "$((CYCLES + 2)) visits each decoded 5+ frames" ||
	fail "cycles (rc=$rc): $visits visits, $timeouts without frames: $(grep -v GVT-FRAME "$T/cycles.log" | tail -5)"
read -r fd0 rss0 th0 < <(sed -n 2p "$T/usage")
read -r fd1 rss1 th1 < <(tail -1 "$T/usage")
echo "# after 2 warm-up visits: $fd0 fds, $th0 threads, RSS $rss0 KiB; after $CYCLES more: $fd1 fds, $th1 threads, RSS $rss1 KiB"
[ "$(field webrtc-viewers)" = 0 ] && [ "$(field encode-subscribers)" = 0 ] &&
	ok "every viewer ended, the encode has no subscriber" ||
	fail "after the cycles: viewers=$(field webrtc-viewers) subscribers=$(field encode-subscribers)"
[ "$fd1" -le "$fd0" ] && ok "fd count flat over $CYCLES browser cycles ($fd0 -> $fd1)" ||
	fail "fd count grew over $CYCLES browser cycles: $fd0 -> $fd1: $(ls -l /proc/$SDPID/fd | tail -5)"
[ "$th1" -le "$th0" ] && ok "threads flat over $CYCLES browser cycles ($th0 -> $th1)" ||
	fail "threads grew over $CYCLES browser cycles: $th0 -> $th1"
[ $((rss1 - rss0)) -lt $RSS_CYCLES_KIB ] &&
	ok "RSS flat over $CYCLES browser cycles ($rss0 -> $rss1 KiB, bound +$RSS_CYCLES_KIB KiB)" ||
	fail "RSS grew over $CYCLES browser cycles: $rss0 -> $rss1 KiB (bound +$RSS_CYCLES_KIB KiB)"

kill -TERM $SDPID
wait $SDPID
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: clean exit" || fail "SIGTERM: exit $rc: $(tail -5 "$T/streamd.log")"

# ---- TLS: https and wss, and the network rule met ----
# (-m 1: curl keeps an upgraded connection, or a plain one the TLS port
# never answers, open until its time limit; the status is known before.)
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" >"$T/openssl.log" 2>&1; then
	printf '[daemon]\nwebrtc-address = 0.0.0.0\nwebrtc-token = %s\ntls-certificate = %s\ntls-key = %s\n' \
		"$TOKEN" "$T/cert.pem" "$T/key.pem" >"$T/net.conf"
	"$SD" --check --config "$T/net.conf" >"$T/out" 2>&1 &&
		ok "webrtc-address 0.0.0.0 accepted with a token and TLS" ||
		fail "0.0.0.0 with a token and TLS refused: $(cat "$T/out")"
	# and the users file: a password with a space and a colon
	printf 'alice:s3cret\nbob:pass word:2\n' >"$T/users"
	chmod 600 "$T/users"
	sed -e "s|^stun-server.*|tls-certificate = $T/cert.pem\ntls-key = $T/key.pem\nrtsp-users = $T/users|" \
		-e "s|^encoder = x264enc|&\nallowed-users = alice|" "$T/streamd.conf" >"$T/tls.conf"
	start_streamd "$T/tls.conf" "$T/tls.log"
	wait_log_port "$T/tls.log" '.*WebRTC server listening on 127\.0\.0\.1 port \([0-9]*\) (https, wss.*' \
		"WebRTC page https://127.0.0.1:@PORT@/Desk"
	TBASE=https://127.0.0.1:$PORT
	A=(--cacert "$T/cert.pem" -u alice:s3cret)
	check_code "https page with the token and alice's login" 200 "$(code "${A[@]}" "$TBASE/Desk?token=$TOKEN")"
	check_code "https page with alice's login, without a token" 403 "$(code "${A[@]}" "$TBASE/Desk")"
	check_code "wss upgrade with the token and alice's login" 101 \
		"$(wscode "$TBASE/Desk/ws?token=$TOKEN" "X-Test: 1" "${A[@]}" -m 1)"
	# the login
	curl -s -o /dev/null -D "$T/h401" -m 5 --cacert "$T/cert.pem" "$TBASE/Desk?token=$TOKEN"
	grep -qi '^WWW-Authenticate: Basic realm="\?gvt-streamd"\?' "$T/h401" && grep -q '^HTTP/1.1 401' "$T/h401" &&
		ok "no login: 401 with a basic challenge ($(grep -i '^WWW-Authenticate' "$T/h401" | tr -d '\r'))" ||
		fail "no login: $(tr -d '\r' <"$T/h401" | head -5 | tr '\n' '|')"
	check_code "alice with a wrong password" 401 "$(code --cacert "$T/cert.pem" -u alice:s3cre "$TBASE/Desk?token=$TOKEN")"
	check_code "a user not in the file" 401 "$(code --cacert "$T/cert.pem" -u eve:s3cret "$TBASE/Desk?token=$TOKEN")"
	check_code "WebSocket without a login" 401 "$(wscode "$TBASE/Desk/ws?token=$TOKEN" "X-Test: 1" --cacert "$T/cert.pem" -m 1)"
	check_code "bob (password with a space and a colon), not in allowed-users" 403 \
		"$(code --cacert "$T/cert.pem" -u 'bob:pass word:2' "$TBASE/Desk?token=$TOKEN")"
	check_code "unknown vGPU without a login (nothing told)" 401 "$(code --cacert "$T/cert.pem" "$TBASE/Nope?token=$TOKEN")"
	check_code "unknown vGPU with alice's login" 404 "$(code "${A[@]}" "$TBASE/Nope?token=$TOKEN")"
	grep -q "/Desk from 127.0.0.1: login refused: wrong user or password for 'alice'" "$T/tls.log" &&
		grep -q "user bob is not in allowed-users" "$T/tls.log" &&
		ok "the refused logins logged" || fail "refused logins not in the log: $(tail -5 "$T/tls.log")"
	[ "$(field webrtc-login-needed)" = true ] && ok "status: webrtc-login-needed true" ||
		fail "status: webrtc-login-needed is '$(field webrtc-login-needed)'"
	check_code "plain http on the TLS port" 000 "$(code -m 1 "http://127.0.0.1:$PORT/Desk?token=$TOKEN")"
	kill -TERM $SDPID
	wait $SDPID
else
	echo "# openssl cannot make a certificate here: TLS not checked ($(head -1 "$T/openssl.log"))"
fi
echo "# wall time $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
echo "# $fails failed"
[ $fails -eq 0 ]
