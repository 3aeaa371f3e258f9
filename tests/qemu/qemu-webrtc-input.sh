#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's WebRTC page, input end to end (issue 11 §2), on the
# qemu-display boot (qemu-client runs it before it kills QEMU): two
# captures of the running VM, "In" with input = true and
# input-users = alice, and "View" (view only, allowed-users = alice),
# behind the login of a users file ([daemon] rtsp-users: alice and bob).
# curl: no login and a wrong password 401, bob on "View" 403.  Debian's
# headless chromium (cdp-pipe.py, DevTools on a pipe) logs in as bob and
# then as alice (Fetch.authRequired answered, as a user types into the
# browser's login dialog), opens "In", waits for decoded frames
# (GVT-FRAME lines: the guest paints the guest model's block code), then
# presses a key, clicks the video and turns the wheel up and down with
# Input.dispatchKeyEvent / dispatchMouseEvent.  For alice the key, the
# click, the pointer's absolute position (the VM has a virtio tablet) and
# the wheel reach the guest's evdev; bob's page says view only and nothing
# of his arrives.  After the DevTools events a bad message is put on the
# data channel by hand: its refusal, back on the page (GVT-INPUT-ERROR),
# says that the daemon has taken everything sent before it (the channel
# is ordered).  GetStatus during each visit names the viewer's user and
# whether its input is on.  Alice's visit ends with the browser killed
# (SIGKILL, no goodbye): the daemon ends the viewer (GetStatus back to 0
# viewers, no encode subscriber) and its fd count is back where it was.
# Lines are TAP comments; exit 0 when all held or when chromium/webrtcbin
# are missing here (said so).
#
#   qemu-webrtc-input.sh GVT_STREAMD BUS_ADDRESS REPORT_LOG WORK_DIR
# (GVT_DMABUF_TOOL: the tool, whose status is checked during the visits)
set -uo pipefail
sd=$1 address=$2 report=$3 work=$4
cdp=$(cd "$(dirname "${BASH_SOURCE[0]}")/../service" && pwd)/cdp-pipe.py
failed=0
say() { local t="$*"; echo "# webrtc-input: ${t//$'\n'/ }"; }
check() { if eval "$2"; then say "ok: $1"; else say "FAILED: $1"; failed=1; fi; }
for p in chromium python3 gst-inspect-1.0 gdbus curl; do
	command -v "$p" >/dev/null || { say "skipped: $p is not installed (scripts/deps.sh test)"; exit 0; }
done
for e in webrtcbin nicesrc rtph264pay sctpenc x264enc; do
	gst-inspect-1.0 "$e" >/dev/null 2>&1 ||
		{ say "skipped: GStreamer element $e missing (scripts/deps.sh test)"; exit 0; }
done
t_start=$(date +%s%N)
# console=0 names the same console as the default: two captures of one VM
printf 'alice:al1ce-pw\nbob:b0b-pw\n' >"$work/webrtc-users"
chmod 600 "$work/webrtc-users"
cat >"$work/webrtc.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
discover-vms = false
rtsp-port = 0
webrtc-port = 0
rtsp-users = $work/webrtc-users

[vgpu qemu:bus=$address]
name = In
encoder = x264enc
input = true
input-users = alice

[vgpu qemu:bus=$address,console=0]
name = View
encoder = x264enc
allowed-users = alice
CONF
G_MESSAGES_DEBUG= "$sd" --user --config "$work/webrtc.conf" >"$work/webrtc-streamd.log" 2>&1 &
sd_pid=$!
status() { gdbus call --session --dest org.gvtdmabuf.Streamd1 --object-path /org/gvtdmabuf/Streamd1 \
	--method org.gvtdmabuf.Streamd1.GetStatus 2>/dev/null; }
field() {	# NAME KEY [FILE]: of the vGPU NAME, from GetStatus' text form (or FILE's)
	{ if [ -n "${3:-}" ]; then cat "$3"; else status; fi; } | python3 -c '
import re, sys
text, name, key = sys.stdin.read(), sys.argv[1], sys.argv[2]
d = next((c for c in re.findall(r"\{[^{}]*\}", text) if "\x27name\x27: <\x27%s\x27>" % name in c), "")
m = re.search(r"\x27%s\x27: <(?:uint32 |uint64 |int64 )?([^>]*)>" % re.escape(key), d)
print(m.group(1).strip("\x27") if m else "")
' "$1" "$2"
}
# ready: both captures streaming, 60 s at most under TCG
for _ in $(seq 600); do
	st=$(status)
	[ "$(grep -o "'state': <'streaming'>" <<<"$st" | wc -l)" = 2 ] && break
	sleep 0.1
done
check "gvt-streamd streams both captures of the VM" "[ \"\$(grep -o \"'state': <'streaming'>\" <<<\"\$st\" | wc -l)\" = 2 ]"
url_in=$(field In webrtc-url) url_view=$(field View webrtc-url)
check "GetStatus names both pages ($url_in, $url_view)" \
	"[[ \$url_in =~ ^http://127\\.0\\.0\\.1:[0-9]+/In\$ && \$url_view = \${url_in%/In}/View ]]"

code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@"; }
check "no login: 401" "[ \"\$(code \"\$url_in\")\" = 401 ]"
check "alice with a wrong password: 401" "[ \"\$(code -u alice:b0b-pw \"\$url_in\")\" = 401 ]"
check "bob on View (allowed-users = alice): 403" "[ \"\$(code -u bob:b0b-pw \"\$url_view\")\" = 403 ]"

# visit USER KEY [CDP-OPTIONS]: USER logs in and opens "In": its user and
# mode, GetStatus during the visit, the key, the click and the wheel, then
# where the click fell in the video's pixels and the bad message
visit() {
	local u=$1 key=$2
	shift 2
	python3 "$cdp" --user-data-dir "$work/chromium-$u" --frames 3 --timeout 90 \
		--login "$u:${pw[$u]}" --run "gdbus call --session --dest org.gvtdmabuf.Streamd1 \
			--object-path /org/gvtdmabuf/Streamd1 --method org.gvtdmabuf.Streamd1.GetStatus \
			>'$work/webrtc-status-$u'; ${GVT_DMABUF_TOOL:+'$GVT_DMABUF_TOOL' status --session >'$work/webrtc-tool-$u'}" \
		--eval 'document.getElementById("user").textContent + " | " + document.getElementById("mode").textContent' \
		--key "$key" --wheel \
		--eval2 'input.send(JSON.stringify({type: "key", code: "Hyper", down: true})),
			 JSON.stringify([videoXY({clientX: 640, clientY: 400}), video.videoWidth, video.videoHeight])' \
		--wait-console GVT-INPUT-ERROR "$@" "$url_in" >"$work/webrtc-$u.log" 2>&1
}
declare -A pw=([alice]=al1ce-pw [bob]=b0b-pw)
port=${url_in##*:} port=${port%%/*}
# the daemon's fds once it holds no connection on its WebRTC port (5 s at
# most: one the browser closed and the daemon kept stays in CLOSE_WAIT);
# a socket with no inode (TIME_WAIT) is nobody's fd
fds() {
	for _ in $(seq 50); do
		awk -v p=":$(printf %04X "$port")" \
			'substr($2, length($2) - 4) == p && $4 != "0A" && $10 != 0 { n++ } END { exit n > 0 }' \
			/proc/net/tcp && break
		sleep 0.1
	done
	ls "/proc/$sd_pid/fd" | wc -l
}
wait_idle() {	# 10 s at most for the In page's viewers to go
	for _ in $(seq 100); do [ "$(field In webrtc-viewers)" = 0 ] && return 0; sleep 0.1; done
	return 1
}
frames() { grep -c '^console GVT-FRAME ' "$work/webrtc-$1.log"; }
tell() { grep -vE '^console GVT-FRAME ' "$work/webrtc-$1.log" | tail -n 5 | tr '\n' '|'; }
wait_ev() {	# LINE: in the report after $from, 10 s at most
	for _ in $(seq 100); do tail -c +$((from + 1)) "$report" | tr -d '\r' | grep -qx "$1" && return 0; sleep 0.1; done
	return 1
}

# ---- bob (not in input-users) first: a later arrival of his events would
# fall in the window of alice's, which is checked for them too
from=$(stat -c %s "$report")
visit bob KeyG
check "chromium logged in as bob and decoded $(frames bob) frames ($(tell bob))" "[ \$(frames bob) -ge 3 ]"
check "bob's page says who is logged in and view only" "grep -q '^eval \"logged in as bob | view only\"' '$work/webrtc-bob.log'"
u=$(field In webrtc-viewer-users "$work/webrtc-status-bob") i=$(field In webrtc-viewer-input "$work/webrtc-status-bob")
check "GetStatus during bob's visit: viewer bob, input off ($u $i)" "[ \"\$u\" = \"['bob']\" ] && [ \"\$i\" = '[false]' ]"
[ -z "${GVT_DMABUF_TOOL:-}" ] ||
	check "gvt-dmabuf status during bob's visit: $(grep -F "$url_in" "$work/webrtc-tool-bob" | sed 's/^ *//')" \
		"grep -qF '$url_in, login, 1 viewer (' '$work/webrtc-tool-bob' && grep -F '$url_in' '$work/webrtc-tool-bob' | grep -qF ': bob (view only)'"
check "bob's hand-made message refused: view only for user bob" \
	"grep -q '^console GVT-INPUT-ERROR .*and user bob (view only)' '$work/webrtc-bob.log'"
status >"$work/webrtc-status"
n=$(field In webrtc-inputs "$work/webrtc-status") bad=$(field In webrtc-inputs-refused "$work/webrtc-status")
check "bob's page sent nothing for the key, the click and the wheel (inputs $n, refused $bad)" \
	"[ '$n' = 1 ] && [ '$bad' = 1 ]"

mid=$(stat -c %s "$report")
check "no evdev event at all during bob's visit" \
	"! head -c $mid '$report' | tail -c +$((from + 1)) | tr -d '\r' | grep -q '^ev '"
check "bob's viewer ended" wait_idle
fd0=$(fds)

# ---- alice: input allowed; her browser is killed at the end
visit alice KeyH --kill
check "chromium logged in as alice and decoded $(frames alice) frames ($(tell alice))" "[ \$(frames alice) -ge 3 ]"
check "alice's page says who is logged in and input on" "grep -q '^eval \"logged in as alice | input on\"' '$work/webrtc-alice.log'"
u=$(field In webrtc-viewer-users "$work/webrtc-status-alice") i=$(field In webrtc-viewer-input "$work/webrtc-status-alice")
check "GetStatus during alice's visit: viewer alice, input on ($u $i)" "[ \"\$u\" = \"['alice']\" ] && [ \"\$i\" = '[true]' ]"
[ -z "${GVT_DMABUF_TOOL:-}" ] ||
	check "gvt-dmabuf status during alice's visit: $(grep -F "$url_in" "$work/webrtc-tool-alice" | sed 's/^ *//')" \
		"grep -F '$url_in' '$work/webrtc-tool-alice' | grep -qF ': alice (input)'"
check "the daemon took alice's key, click and wheel before the bad message ($(grep '^console GVT-INPUT-ERROR' "$work/webrtc-alice.log"))" \
	"grep -q '^console GVT-INPUT-ERROR .*unknown key code' '$work/webrtc-alice.log'"
check "guest evdev saw KEY_H pressed (ev 1 35 1)" "wait_ev 'ev 1 35 1'"
check "guest evdev saw KEY_H released (ev 1 35 0)" "wait_ev 'ev 1 35 0'"
check "guest evdev saw BTN_LEFT pressed (ev 1 272 1)" "wait_ev 'ev 1 272 1'"
check "guest evdev saw BTN_LEFT released (ev 1 272 0)" "wait_ev 'ev 1 272 0'"
check "guest evdev saw the wheel turn up (ev 2 8 1)" "wait_ev 'ev 2 8 1'"
check "guest evdev saw the wheel turn down (ev 2 8 -1)" "wait_ev 'ev 2 8 -1'"
# The click's place in the video's pixels, as the page computed it; QEMU
# scales it to the tablet's 0..0x7fff over the console's size.
read -r cx cy vw vh < <(sed -n 's/^eval2 "\[{\\"x\\":\([0-9]*\),\\"y\\":\([0-9]*\)},\([0-9]*\),\([0-9]*\)\]"$/\1 \2 \3 \4/p' \
	"$work/webrtc-alice.log")
ax=$(( ${cx:-0} * 0x7fff / ${vw:-1} )) ay=$(( ${cy:-0} * 0x7fff / ${vh:-1} ))
check "guest tablet saw the click's place, video pixel ${cx:-?},${cy:-?} of ${vw:-?}x${vh:-?} (ev 3 0 $ax, ev 3 1 $ay)" \
	"[ -n \"\${cx:-}\" ] && wait_ev 'ev 3 0 $ax' && wait_ev 'ev 3 1 $ay'"
in_n=$(field In webrtc-inputs) in_bad=$(field In webrtc-inputs-refused)
check "status: alice's messages taken ($in_n in all, refused $in_bad: bob's and alice's bad one)" \
	"[ \"\${in_n:-0}\" -ge 9 ] && [ \"\$in_bad\" = 2 ]"
to=$(stat -c %s "$report")
check "guest evdev never saw KEY_G (bob's key)" \
	"! head -c $to '$report' | tail -c +$((from + 1)) | tr -d '\r' | grep -q '^ev 1 34 '"
# The killed browser: the daemon ends its viewer and frees what it held.
check "alice's browser killed mid-session" "grep -qx killed '$work/webrtc-alice.log'"
wait_idle
idle=$?
check "the daemon ended the killed browser's viewer ($(grep -o '/In: viewer [0-9]* (127.0.0.1) gone: [^;]*' "$work/webrtc-streamd.log" | tail -n 1))" \
	"[ $idle = 0 ] && [ \"\$(field In encode-subscribers)\" = 0 ]"
fd1=$(fds)
check "the daemon's fds back after the killed viewer ($fd0 -> $fd1)" "[ $fd1 -le $fd0 ]"
kill "$sd_pid"; wait "$sd_pid" 2>/dev/null
say "wall time $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
[ "$failed" = 0 ] || sed 's/^/# webrtc-input: log: /' "$work/webrtc-streamd.log" | tail -n 20
exit "$failed"
