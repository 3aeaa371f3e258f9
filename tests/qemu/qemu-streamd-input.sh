#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's input path on the qemu-display boot (qemu-client runs it
# before it kills QEMU): two captures of the running VM, one with
# input = true and one view only; messages through the daemon's SendInput
# (streamd_input_message) reach the guest's evdev from the first and not
# from the second.  Lines are TAP comments; exit 0 when all held.
#
#   qemu-streamd-input.sh GVT_STREAMD BUS_ADDRESS REPORT_LOG WORK_DIR
set -uo pipefail
sd=$1 address=$2 report=$3 work=$4
failed=0
say() { local t="$*"; echo "# streamd-input: ${t//$'\n'/ }"; }
check() { if eval "$2"; then say "ok: $1"; else say "FAILED: $1"; failed=1; fi; }
on="qemu:bus=$address"
off="qemu:bus=$address,console=0"
cat >"$work/streamd.conf" <<CONF
[daemon]
pipewire = false
discover-mdev = false
discover-vms = false
rtsp-port = 0
webrtc-port = 0

[vgpu $on]
input = true

[vgpu $off]
CONF
"$sd" --user --config "$work/streamd.conf" >"$work/streamd.log" 2>&1 &
sd_pid=$!
call() { gdbus call --session --dest org.gvtdmabuf.Streamd1 --object-path /org/gvtdmabuf/Streamd1 \
	--method org.gvtdmabuf.Streamd1.SendInput "$1" "$2" 2>&1; }
# ready: both captures streaming (GetStatus), 60 s at most under TCG
for _ in $(seq 600); do
	st=$(gdbus call --session --dest org.gvtdmabuf.Streamd1 --object-path /org/gvtdmabuf/Streamd1 \
		--method org.gvtdmabuf.Streamd1.GetStatus 2>/dev/null)
	[ "$(grep -o "'state': <'streaming'>" <<<"$st" | wc -l)" = 2 ] && break
	sleep 0.1
done
check "gvt-streamd streams both captures of the VM" "[ \"\$(grep -o \"'state': <'streaming'>\" <<<\"\$st\" | wc -l)\" = 2 ]"
from=$(stat -c %s "$report")
wait_ev() { for _ in $(seq 100); do tail -c +$((from + 1)) "$report" | tr -d '\r' | grep -qx "$1" && return 0; sleep 0.1; done; return 1; }
r=$(call "$off" '{"type":"key","code":"KeyG","down":true}')
check "view-only capture refuses the key ($r)" "grep -q 'AccessDenied.*view only' <<<\"\$r\""
r=$(call "$on" '{"type":"key","code":"KeyH","down":true}'; call "$on" '{"type":"key","code":"KeyH","down":false}')
check "input capture takes KeyH ($r)" "[ \"\$r\" = \$'()\\n()' ]"
check "guest evdev saw KEY_H pressed (ev 1 35 1)" "wait_ev 'ev 1 35 1'"
check "guest evdev saw KEY_H released (ev 1 35 0)" "wait_ev 'ev 1 35 0'"
r=$(call "$on" '{"type":"button","button":0,"down":true}'; call "$on" '{"type":"button","button":0,"down":false}')
check "input capture takes button 0 ($r)" "[ \"\$r\" = \$'()\\n()' ]"
check "guest evdev saw BTN_LEFT pressed (ev 1 272 1)" "wait_ev 'ev 1 272 1'"
to=$(stat -c %s "$report")
check "guest evdev never saw KEY_G (view only)" "! head -c $to \"$report\" | tail -c +$((from + 1)) | tr -d '\r' | grep -qx 'ev 1 34 1'"
r=$(call "$on" '{"type":"key","code":"Hyper","down":true}')
check "a bad message is refused by name ($r)" "grep -q 'InvalidArgs.*unknown key code \"Hyper\"' <<<\"\$r\""
kill "$sd_pid"; wait "$sd_pid" 2>/dev/null
[ "$failed" = 0 ] || sed 's/^/# streamd-input: log: /' "$work/streamd.log" | tail -n 20
exit "$failed"
