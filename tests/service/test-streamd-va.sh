#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's H.264 encode on VA-API, fed the capture's dma-bufs by the va
# plugin's vapostproc (issue 10 §1): a sim vGPU on real dma-bufs
# (/dev/udmabuf), encoder = vah264enc, an RTSP viewer (ffmpeg) whose decoded
# frames are checked against the guest model (block codes in order, PSNR
# above 30 dB), and the daemon's counters: encode-feed vapostproc, every
# encoded frame imported as a dma-buf (encode-frames-imported), none read
# by the CPU (encode-frames-read 0).  Then encoder = vaapih264enc the same
# way where gstreamer1.0-vaapi has it.
#
# Needs a VA-API device (/dev/dri/renderD*), /dev/udmabuf and the va
# plugin's vah264enc and vapostproc; skips (77) naming what is missing.
# None of these machines has a VA device: this test has only been seen to
# skip here.
#
# Usage: test-streamd-va.sh PATH/TO/gvt-streamd PATH/TO/frame-check
set -u
SD=$1
CHECK=$2
. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_VA_IN_SESSION:-}" ]; then
	need_programs dbus-run-session gdbus gst-inspect-1.0 ffmpeg
	ls /dev/dri/renderD* >/dev/null 2>&1 || { echo "SKIP: no VA-API device (/dev/dri/renderD*)"; exit 77; }
	[ -c /dev/udmabuf ] && [ -w /dev/udmabuf ] ||
		{ echo "SKIP: no writable /dev/udmabuf: the sim's surfaces would not be real dma-bufs"; exit 77; }
	gst-inspect-1.0 vah264enc >/dev/null 2>&1 && gst-inspect-1.0 vapostproc >/dev/null 2>&1 ||
		{ echo "SKIP: the va plugin has no vah264enc/vapostproc for this device"; exit 77; }
	export GVT_VA_IN_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi

test_dir streamd-va
status() { gdbus call --session -d org.gvtdmabuf.Streamd1 -o /org/gvtdmabuf/Streamd1 \
	-m org.gvtdmabuf.Streamd1.GetStatus 2>&1; }
field() { status | grep -o "'$1': <[^>]*>" | head -n1 | sed -E "s/.*<(uint64 |uint32 )?'?//; s/'?>$//"; }

# va_run ENCODER POSTPROC
va_run() {
	local enc=$1 post=$2 feed imp rd
	printf '[daemon]\nrtsp-port = 0\npipewire = false\ndiscover-mdev = false\ndiscover-vms = false\n[vgpu sim:320x240,fps=15,buffers=3,cursor=off]\nname = VA Desk\nencoder = %s\nwebrtc = false\n' \
		"$enc" >"$T/$enc.conf"
	start_streamd "$T/$enc.conf" "$T/$enc.log"
	if ! wait_log_port "$T/$enc.log" '.*RTSP mount rtsp://127.0.0.1:\([0-9]*\)/VA-Desk.*'; then
		fail "$enc: no RTSP mount: $(tail -3 "$T/$enc.log")"
		kill $SDPID
		return
	fi
	grep -q "H.264 encode with $enc, dma-bufs imported by $post" "$T/$enc.log" &&
		ok "$enc: the encode is fed by $post" ||
		fail "$enc: not fed by $post: $(grep -o 'H.264 encode.*' "$T/$enc.log")"
	if timeout 60 ffmpeg -nostdin -v error -rtsp_transport tcp -i "rtsp://127.0.0.1:$PORT/VA-Desk" \
		-frames:v 30 -fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$T/$enc.raw" >"$T/$enc.ff" 2>&1 &&
	   "$CHECK" "$T/$enc.raw" 320 240 BGRx 25 psnr=30,lead=5 >"$T/$enc.check" 2>&1; then
		ok "$enc: an RTSP viewer decodes the guest's frames: $(tail -1 "$T/$enc.check")"
	else
		fail "$enc: RTSP viewer: $(tail -2 "$T/$enc.ff") $(tail -2 "$T/$enc.check" 2>/dev/null)"
	fi
	feed=$(field encode-feed) imp=$(field encode-frames-imported) rd=$(field encode-frames-read)
	if [ "$feed" = "$post" ] && [ "${imp:-0}" -ge 25 ] && [ "${rd:-x}" = 0 ]; then
		ok "$enc: $imp frames imported by $post as dma-bufs, none read by the CPU"
	else
		fail "$enc: encode-feed=${feed:-?} encode-frames-imported=${imp:-?} encode-frames-read=${rd:-?}"
	fi
	kill -TERM $SDPID
	wait $SDPID || fail "$enc: gvt-streamd exit $?: $(tail -3 "$T/$enc.log")"
}

va_run vah264enc vapostproc
if gst-inspect-1.0 vaapih264enc >/dev/null 2>&1 && gst-inspect-1.0 vaapipostproc >/dev/null 2>&1; then
	va_run vaapih264enc vaapipostproc
else
	echo "# vaapih264enc/vaapipostproc not installed (gstreamer1.0-vaapi): that feed not run"
fi
exit $((fails > 0))
