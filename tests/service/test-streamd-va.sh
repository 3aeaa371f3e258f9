#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's H.264 encode on VA-API, fed the capture's dma-bufs by the va
# plugin's vapostproc (issue 10 §1): a sim vGPU on real dma-bufs
# (/dev/udmabuf), the encoder chosen automatically (vah264enc where the va
# plugin has it), an RTSP viewer (ffmpeg) whose decoded frames are checked
# against the guest model (block codes in order, PSNR above 30 dB), and the
# daemon's counters: encode-feed vapostproc, every encoded frame imported
# as a dma-buf (encode-frames-imported), none read by the CPU
# (encode-frames-read 0).  Then encoder = vaapih264enc the same way where
# gstreamer1.0-vaapi has it.
#
# Needs a VA-API device (/dev/dri/renderD*), /dev/udmabuf and the va
# plugin's vah264enc and vapostproc; skips (77) naming what is missing.
# None of these machines has a VA device: this test has only been seen to
# skip here.
#
# With --standin DIR the same runs against va-standin.c's stand-ins from
# DIR (a postproc that takes dma-bufs in iHD's VPP formats and converts
# them on the CPU, x264enc behind the VA caps feature), on the sim's memfd
# (io-mode = dmabuf) where /dev/udmabuf is missing.  That runs the daemon's
# VA-API branch here: the automatic choice, the dma-buf feed (an XR24 guest
# reaches the postproc as BGRA, its alpha twin), the counters and
# `gvt-dmabuf status`.  It says nothing of a real device's import.
#
# Usage: test-streamd-va.sh PATH/TO/gvt-streamd PATH/TO/frame-check [--standin DIR]
set -u
SD=$1
CHECK=$2
STANDIN=
[ "${3:-}" = --standin ] && STANDIN=${4:?--standin needs the directory of the stand-in plugin}
. "$(dirname "$0")/test-lib.sh"
if [ -z "${GVT_VA_IN_SESSION:-}" ]; then
	need_programs dbus-run-session gdbus gst-inspect-1.0 ffmpeg
	if [ -n "$STANDIN" ]; then
		gst-inspect-1.0 vapostproc >/dev/null 2>&1 && gst-inspect-1.0 vah264enc >/dev/null 2>&1 &&
			{ echo "SKIP: the va plugin's own vapostproc and vah264enc are here: streamd-va runs them"; exit 77; }
		gst-inspect-1.0 x264enc >/dev/null 2>&1 || { echo "SKIP: no x264enc (gstreamer1.0-plugins-ugly) for the stand-in encoders"; exit 77; }
		export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:+$GST_PLUGIN_PATH:}$STANDIN"
		gst-inspect-1.0 vapostproc >/dev/null 2>&1 || { echo "not ok - the stand-ins in $STANDIN do not load"; exit 1; }
	else
		ls /dev/dri/renderD* >/dev/null 2>&1 || { echo "SKIP: no VA-API device (/dev/dri/renderD*)"; exit 77; }
		[ -c /dev/udmabuf ] && [ -w /dev/udmabuf ] ||
			{ echo "SKIP: no writable /dev/udmabuf: the sim's surfaces would not be real dma-bufs"; exit 77; }
		gst-inspect-1.0 vah264enc >/dev/null 2>&1 && gst-inspect-1.0 vapostproc >/dev/null 2>&1 ||
			{ echo "SKIP: the va plugin has no vah264enc/vapostproc for this device"; exit 77; }
	fi
	export GVT_VA_IN_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi

test_dir streamd-va

# va_run ENCODER(config value) EXPECTED-ENCODER POSTPROC
va_run() {
	local cfg=$1 enc=$2 post=$3 feed imp rd io= st line n
	# the sim's memfd as dma-buf memory where udmabuf cannot make real ones
	[ -n "$STANDIN" ] && ! [ -w /dev/udmabuf ] && io='io-mode = dmabuf\n'
	printf "[daemon]\nrtsp-port = 0\npipewire = false\ndiscover-mdev = false\ndiscover-vms = false\n[vgpu sim:320x240,fps=15,buffers=3,cursor=off]\nname = VA Desk\nencoder = %s\nwebrtc = false\n$io" \
		"$cfg" >"$T/$enc.conf"
	start_streamd "$T/$enc.conf" "$T/$enc.log"
	if ! wait_log_port "$T/$enc.log" '.*RTSP server listening on 127\.0\.0\.1 port \([0-9]*\).*' "/VA-Desk ("; then
		fail "$enc: no RTSP mount: $(tail -3 "$T/$enc.log")"
		kill $SDPID
		return
	fi
	grep -q "H.264 encode with $enc, dma-bufs imported by $post" "$T/$enc.log" &&
		ok "encoder = $cfg: $enc, fed by $post" ||
		fail "encoder = $cfg: not $enc fed by $post: $(grep -o 'H.264 encode.*' "$T/$enc.log")"
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
	if [ -n "${GVT_DMABUF_TOOL:-}" ]; then
		st=$("$GVT_DMABUF_TOOL" status --session 2>&1)
		echo "$st" | grep -qE "H.264 encode $enc, .* units; feed $post, [0-9]+ frames imported, 0 read" &&
			ok "$enc: gvt-dmabuf status names the encoder and its feed" ||
			fail "$enc: gvt-dmabuf status: $st"
	fi
	kill -TERM $SDPID
	wait $SDPID || fail "$enc: gvt-streamd exit $?: $(tail -3 "$T/$enc.log")"
	if [ -n "$STANDIN" ]; then
		# what reached the stand-in postproc: dma-bufs only (it fails on
		# anything else), as the alpha twin of the guest's XR24, from the
		# guest's 3 surfaces at most
		line=$(grep -o "va-standin: $post: .*" "$T/$enc.log" | tail -1)
		n=$(echo "$line" | sed -n 's/.*: \([0-9]*\) frames of BGRA, all dma-buf, \([1-3]\) inodes$/\1/p')
		[ -n "$n" ] && [ "$n" -ge 25 ] &&
			ok "$enc: the stand-in $post took the dma-bufs as BGRA: ${line#va-standin: }" ||
			fail "$enc: stand-in $post: ${line:-no summary in the log}"
	fi
}

va_run auto vah264enc vapostproc
if gst-inspect-1.0 vaapih264enc >/dev/null 2>&1 && gst-inspect-1.0 vaapipostproc >/dev/null 2>&1; then
	va_run vaapih264enc vaapih264enc vaapipostproc
else
	echo "# vaapih264enc/vaapipostproc not installed (gstreamer1.0-vaapi): that feed not run"
fi
exit $((fails > 0))
