#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's WebRTC page, input end to end (issue 11 §2), on the
# qemu-display boot (qemu-client runs it before it kills QEMU): two
# captures of the running VM, "View" view only and "In" with
# input = true; Debian's headless chromium (cdp-pipe.py, DevTools on a
# pipe) opens each page, waits for decoded frames (GVT-FRAME lines: the
# guest paints the guest model's block code), then presses a key and
# clicks the video with Input.dispatchKeyEvent / dispatchMouseEvent.
# From "In" the key, the click and the pointer's absolute position (the
# VM has a virtio tablet) reach the guest's evdev; from "View" the page
# says view only and nothing arrives.  After the DevTools events a bad
# message is put on the data channel by hand: its refusal, back on the
# page (GVT-INPUT-ERROR), says that the daemon has taken everything sent
# before it (the channel is ordered).  Lines are TAP comments; exit 0
# when all held or when chromium/webrtcbin are missing here (said so).
#
#   qemu-webrtc-input.sh GVT_STREAMD BUS_ADDRESS REPORT_LOG WORK_DIR
set -uo pipefail
sd=$1 address=$2 report=$3 work=$4
cdp=$(cd "$(dirname "${BASH_SOURCE[0]}")/../service" && pwd)/cdp-pipe.py
failed=0
say() { local t="$*"; echo "# webrtc-input: ${t//$'\n'/ }"; }
check() { if eval "$2"; then say "ok: $1"; else say "FAILED: $1"; failed=1; fi; }
for p in chromium python3 gst-inspect-1.0 gdbus; do
	command -v "$p" >/dev/null || { say "skipped: $p is not installed (scripts/deps.sh test)"; exit 0; }
done
for e in webrtcbin nicesrc rtph264pay sctpenc x264enc; do
	gst-inspect-1.0 "$e" >/dev/null 2>&1 ||
		{ say "skipped: GStreamer element $e missing (scripts/deps.sh test)"; exit 0; }
done
t_start=$(date +%s%N)
# console=0 names the same console as the default: two captures of one VM
cat >"$work/webrtc.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
discover-vms = false
rtsp-port = 0
webrtc-port = 0

[vgpu qemu:bus=$address]
name = In
encoder = x264enc
input = true

[vgpu qemu:bus=$address,console=0]
name = View
encoder = x264enc
CONF
G_MESSAGES_DEBUG= "$sd" --user --config "$work/webrtc.conf" >"$work/webrtc-streamd.log" 2>&1 &
sd_pid=$!
status() { gdbus call --session --dest org.gvtdmabuf.Streamd1 --object-path /org/gvtdmabuf/Streamd1 \
	--method org.gvtdmabuf.Streamd1.GetStatus 2>/dev/null; }
field() {	# NAME KEY: of the vGPU NAME, from GetStatus' text form
	status | python3 -c '
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

# visit NAME URL KEY: the page, its mode, the key and the click, then
# where the click fell in the video's pixels and the bad message
visit() {
	python3 "$cdp" --user-data-dir "$work/chromium-$1" --frames 3 --timeout 90 \
		--eval 'document.getElementById("mode").textContent' --key "$3" \
		--eval2 'input.send(JSON.stringify({type: "key", code: "Hyper", down: true})),
			 JSON.stringify([videoXY({clientX: 640, clientY: 400}), video.videoWidth, video.videoHeight])' \
		--wait-console GVT-INPUT-ERROR "$2" >"$work/webrtc-$1.log" 2>&1
}
frames() { grep -c '^console GVT-FRAME ' "$work/webrtc-$1.log"; }
tell() { grep -vE '^console GVT-FRAME ' "$work/webrtc-$1.log" | tail -n 5 | tr '\n' '|'; }
wait_ev() {	# LINE: in the report after $from, 10 s at most
	for _ in $(seq 100); do tail -c +$((from + 1)) "$report" | tr -d '\r' | grep -qx "$1" && return 0; sleep 0.1; done
	return 1
}

# ---- view only first: a later arrival of its events would fall in the
# window of the input page's, which is checked for them too
from=$(stat -c %s "$report")
visit View "$url_view" KeyG
check "chromium decoded $(frames View) frames of the view-only page ($(tell View))" "[ \$(frames View) -ge 3 ]"
check "the page says view only" "grep -q '^eval \"view only\"' '$work/webrtc-View.log'"
check "the view-only page's hand-made message refused as view only" \
	"grep -q '^console GVT-INPUT-ERROR .*view only' '$work/webrtc-View.log'"
check "the view-only page sent nothing for the key and the click (inputs $(field View webrtc-inputs), refused $(field View webrtc-inputs-refused))" \
	"[ \"\$(field View webrtc-inputs)\" = 1 ] && [ \"\$(field View webrtc-inputs-refused)\" = 1 ]"

mid=$(stat -c %s "$report")
check "no evdev event at all during the view-only visit" \
	"! head -c $mid '$report' | tail -c +$((from + 1)) | tr -d '\r' | grep -q '^ev '"

# ---- input allowed
visit In "$url_in" KeyH
check "chromium decoded $(frames In) frames of the input page ($(tell In))" "[ \$(frames In) -ge 3 ]"
check "the page says input on" "grep -q '^eval \"input on\"' '$work/webrtc-In.log'"
check "the daemon took the page's key and click before the bad message ($(grep '^console GVT-INPUT-ERROR' "$work/webrtc-In.log"))" \
	"grep -q '^console GVT-INPUT-ERROR .*unknown key code' '$work/webrtc-In.log'"
check "guest evdev saw KEY_H pressed (ev 1 35 1)" "wait_ev 'ev 1 35 1'"
check "guest evdev saw KEY_H released (ev 1 35 0)" "wait_ev 'ev 1 35 0'"
check "guest evdev saw BTN_LEFT pressed (ev 1 272 1)" "wait_ev 'ev 1 272 1'"
check "guest evdev saw BTN_LEFT released (ev 1 272 0)" "wait_ev 'ev 1 272 0'"
# The click's place in the video's pixels, as the page computed it; QEMU
# scales it to the tablet's 0..0x7fff over the console's size.
read -r cx cy vw vh < <(sed -n 's/^eval2 "\[{\\"x\\":\([0-9]*\),\\"y\\":\([0-9]*\)},\([0-9]*\),\([0-9]*\)\]"$/\1 \2 \3 \4/p' \
	"$work/webrtc-In.log")
ax=$(( ${cx:-0} * 0x7fff / ${vw:-1} )) ay=$(( ${cy:-0} * 0x7fff / ${vh:-1} ))
check "guest tablet saw the click's place, video pixel ${cx:-?},${cy:-?} of ${vw:-?}x${vh:-?} (ev 3 0 $ax, ev 3 1 $ay)" \
	"[ -n \"\${cx:-}\" ] && wait_ev 'ev 3 0 $ax' && wait_ev 'ev 3 1 $ay'"
in_n=$(field In webrtc-inputs) in_bad=$(field In webrtc-inputs-refused)
check "status: the input page's messages taken ($in_n, refused $in_bad: the bad one)" "[ \"\${in_n:-0}\" -ge 5 ] && [ \"\$in_bad\" = 1 ]"
to=$(stat -c %s "$report")
check "guest evdev never saw KEY_G (the view-only page's key)" \
	"! head -c $to '$report' | tail -c +$((from + 1)) | tr -d '\r' | grep -q '^ev 1 34 '"
kill "$sd_pid"; wait "$sd_pid" 2>/dev/null
say "wall time $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
[ "$failed" = 0 ] || sed 's/^/# webrtc-input: log: /' "$work/webrtc-streamd.log" | tail -n 20
exit "$failed"
