#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside the 6.12 VM (chrooted into the Debian 13 tree, run by
# run-gst-vm.sh), with a private PipeWire 1.4 + WirePlumber:
#
# First gvt-streamd on the boot's gvtsim vGPU (UUID), on which a guest
# (vm-gst paint) left a still frame: GStreamer 1.26's pipewiresrc takes
# gvtsim's own dma-bufs (DMA_DRM XR24 linear; the consumer's fds name
# gvtsim as their exporter) with dmabuf_mmap=0, as on i915, where nothing
# can map them; with dmabuf_mmap=1 a filesink consumer's frames are the
# guest model's, pixel-exact; the daemon read none (frames-read 0); SIGTERM
# ends it with status 0 and the guest can open the vGPU again.
#
# Then gvt-streamd on a sim vGPU whose surfaces are real dma-bufs
# (/dev/udmabuf): pipewiresrc takes them as dma-bufs (frames arrive; their
# pixels only reported, see below) and the daemon read none of them for the
# node.  Meanwhile an RTSP viewer (ffmpeg) decodes the same frames, which
# the encode branch read itself.  Then a shared-memory consumer on the same
# node gets pixel-exact frames.
#
#   vm-streamd.sh BUILD SRC [UUID]   (TAP lines; re-runs itself under dbus-run-session;
#                                     no UUID: no gvtsim part)
set -uo pipefail
B=$1 S=$2 GVT_UUID=${3:-}
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }
. "$S/tests/service/pw-session.sh"
# Not pw_session_reexec: the VM's /dev has no /dev/fd for its process
# substitution.
if [ -z "${GVT_VM_STREAMD_DBUS:-}" ]; then
	export GVT_VM_STREAMD_DBUS=1
	exec dbus-run-session -- bash "$0" "$@"
fi

T=$(mktemp -d /tmp/vm-streamd-XXXXXX)
export XDG_CONFIG_HOME=$T/config
mkdir -p "$XDG_CONFIG_HOME"
pw_session_start "$T" || { fail "a private PipeWire starts"; exit 0; }
status() { gdbus call --session -d org.gvtdmabuf.Streamd1 -o /org/gvtdmabuf/Streamd1 \
	-m org.gvtdmabuf.Streamd1.GetStatus 2>&1; }
field() { status | grep -o "'$1': <[^>]*>" | head -n1 | sed -E 's/.*<(uint64 |uint32 )?//; s/>$//'; }
# sfield NAME: the same from $st, a status already taken (no fork).
sfield() { [[ $st =~ "'$1': <"(uint64 |uint32 )?([^>]*)">" ]] && echo "${BASH_REMATCH[2]}"; }

# wait_log FILE PATTERN SECONDS PID: until FILE has PATTERN; a bounded wait
# that gives up early when PID (the daemon) has ended.
wait_log() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "$2" "$1" 2>/dev/null
}
# stop_daemon PID LOG: SIGTERM, at most 30 s for it to end, then the
# threads' kernel stacks and SIGKILL (status 137); returns its status.
stop_daemon() {
	local i t
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then
		echo "# gvt-streamd $1 still runs 30 s after SIGTERM; its threads:"
		for t in /proc/$1/task/*; do
			echo "# $(cat "$t/comm" 2>/dev/null) ($(cat "$t/wchan" 2>/dev/null)):" \
				"$(tr '\n' ' ' <"$t/stack" 2>/dev/null | head -c 300)"
		done
		tail -n 5 "$2" | sed 's/^/#   /'
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1"
}

# ---- gvtsim: the module's own dma-buf through the daemon ------------------
# The boot's gvtsim vGPU (UUID), on which a guest (vm-gst paint) left frame
# GFRAME: linear XR24 640x480, no cursor, a still picture (no repaint can
# race a reader).  The daemon opens it as a configured [vgpu UUID] section
# with discover-mdev = false: a configured mdev is streamed without
# discovery of every mdev (gvt-streamd.conf(5)).  keepalive re-sends the
# still frame (the guest sends one, then nothing).
gvtsim_part() {
	local P=/sys/module/gvtsim/parameters/dmabuf_mmap UUID=$GVT_UUID GFRAME=123
	local old_mmap GNODE rc fd fd1 rd G p f k v exp nap st held line
	local L=$T/gvtsim.log s0 marks=
	s0=$(date +%s)
	# where the time went, printed at the end
	mark() { marks="$marks, $1 $(($(date +%s) - s0)) s"; }
	[ -n "$UUID" ] || return 0
	old_mmap=$(cat $P)
	# i915's behaviour: the CPU cannot map the dma-bufs at all.
	echo 0 >$P
	if ! timeout 30 "$B/tests/vm/vm-gst" paint "$UUID" $GFRAME >"$T/paint.log" 2>&1; then
		fail "gvtsim: vm-gst paint $UUID $GFRAME: $(grep -v '^#' "$T/paint.log" | tail -2)"
		echo "$old_mmap" >$P
		return
	fi
	grep '^ok' "$T/paint.log" | sed 's/^ok [0-9]* - /ok - gvtsim: /'
	mark painted
	printf '[daemon]\nrtsp-port = 0\ndiscover-mdev = false\ndiscover-vms = false\n[vgpu %s]\nname = Gvtsim Desk\nrtsp = false\nwebrtc = false\nkeepalive = 250\n' \
		"$UUID" >"$T/gvtsim.conf"
	"$B/service/streamd/gvt-streamd" --user --config "$T/gvtsim.conf" >"$L" 2>&1 &
	SD=$!
	GNODE=gvt-streamd.$UUID	# a UUID's characters are all kept
	# The daemon's log, not pw-dump (under TCG a pw-dump and its python3
	# took about 10 s): "node N paused" is the stream's state from the
	# PipeWire server, so the node is in its registry and a consumer can
	# name it as target-object.
	if wait_log "$L" "PipeWire node $GNODE" 60 $SD && wait_log "$L" "$UUID: node [0-9]* paused" 20 $SD; then
		ok "gvtsim: gvt-streamd found $UUID and published its node ($(grep -o "$UUID: PipeWire node.*" "$L" | head -n1 | sed "s/^$UUID: //"))"
	else
		fail "gvtsim: node $GNODE published within 60 s: $(grep -E "$UUID|running \(|discovery|CRITICAL" "$L" | tail -n 4 | tr '\n' ' ')"
		sed 's/^/# gvtsim streamd: /' "$L" | tail -n 12
		stop_daemon $SD "$L"
		echo "$old_mmap" >$P
		return
	fi
	mark "node up"
	# dmabuf_mmap=0: a consumer that does not map (fakesink) gets the
	# dma-bufs; the daemon cannot have read them (nothing can mmap them).
	# The consumer's dma-buf fds name their exporter (fdinfo exp_name):
	# gvtsim's own buffers, not a copy.
	timeout 60 gst-launch-1.0 -q pipewiresrc target-object="$GNODE" num-buffers=3 ! \
		'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! fakesink >"$T/gvtsim-fake.log" 2>&1 &
	G=$!
	# gst-launch (timeout's child) holds the fds from the negotiation to
	# its end, about a second: read with bash alone (a fork per fd under
	# TCG took longer than that window).
	# (nap: a 20 ms sleep without a fork, on a FIFO nobody writes)
	mkfifo "$T/nap" && exec {nap}<>"$T/nap"
	p=
	while [ -z "$p" ] && kill -0 $G 2>/dev/null; do p=$(pgrep -P $G); done
	: >"$T/gexp"
	while [ -n "$p" ] && [ -d /proc/$p ]; do
		for f in /proc/$p/fdinfo/*; do
			while read -r k v; do
				[ "$k" = exp_name: ] && echo "$f $v"
			done <"$f"
		done >>"$T/gexp" 2>/dev/null
		read -r -t 0.02 -u $nap
	done
	exec {nap}>&-
	wait $G
	rc=$?
	exp=$(awk '{print $2}' "$T/gexp" | sort -u | tr '\n' ' ')
	mark "fakesink consumer"
	st=$(status)
	fd1=$(sfield frames-dmabuf) rd=$(sfield frames-read)
	if [ $rc -eq 0 ] && grep -q "$UUID: consumer negotiated dma-buf" "$L" && [ "${fd1:-0}" -ge 3 ] &&
	   [ "${rd:-x}" = 0 ]; then
		ok "gvtsim, dmabuf_mmap=0 (as i915): pipewiresrc took 3 frames as dma-bufs ($(grep -o 'consumer negotiated dma-buf.*' "$L" | head -n1 | sed 's/consumer negotiated //'); frames-dmabuf=$fd1, frames-read=0)"
	else
		fail "gvtsim, dmabuf_mmap=0, DMA_DRM consumer: exit $rc ($(tail -n 2 "$T/gvtsim-fake.log" | tr '\n' ' ')); frames-dmabuf=${fd1:-?} frames-read=${rd:-?}; $(grep "$UUID" "$L" | tail -n 3 | tr '\n' ' ')"
	fi
	if [ "$exp" = "gvtsim " ]; then
		ok "gvtsim: the consumer's dma-buf fds were exported by gvtsim (fdinfo exp_name), none by anything else"
	else
		fail "gvtsim: the consumer's dma-buf exporters: '${exp}' (expected only gvtsim; $(wc -l <"$T/gexp") fdinfo lines seen)"
	fi
	# filesink maps each buffer to write it: pipewiresrc wraps the fds as
	# GstDmaBufMemory, whose map is a mmap of the fd, which gvtsim refuses
	# with its default (as i915 does).  Tried here with dmabuf_mmap=0:
	# gst-launch exits 0 with an empty file and a GStreamer-CRITICAL
	# "gst_memory_unmap: assertion 'mem != NULL' failed" per buffer (no
	# error), so this consumer needs dmabuf_mmap=1, and the file's size
	# is checked.
	echo 1 >$P
	rm -f "$T/gvtsim.raw"
	timeout 60 gst-launch-1.0 -q pipewiresrc target-object="$GNODE" num-buffers=3 ! \
		'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! \
		filesink location="$T/gvtsim.raw" >"$T/gvtsim-file.log" 2>&1
	rc=$?
	mark "filesink consumer"
	if [ $rc -eq 0 ] && "$B/tests/service/frame-check" "$T/gvtsim.raw" 640 480 BGRx 1 unordered \
		>"$T/gcheck.log" 2>&1 && grep -q "guest frames $GFRAME\.\.$GFRAME" "$T/gcheck.log" &&
	   [ "$(stat -c %s "$T/gvtsim.raw")" = $((3 * 640 * 480 * 4)) ]; then
		ok "gvtsim, dmabuf_mmap=1: 3 dma-buf frames through filesink, each frame $GFRAME of the guest model, pixel-exact ($(tail -n 1 "$T/gcheck.log"))"
	else
		fail "gvtsim, dmabuf_mmap=1, dma-buf frames against the guest model: exit $rc ($(tail -n 2 "$T/gvtsim-file.log" | tr '\n' ' ')); $(stat -c %s "$T/gvtsim.raw" 2>&1) bytes; $(tail -n 2 "$T/gcheck.log" 2>/dev/null | tr '\n' ' ')"
	fi
	st=$(status)
	fd=$(sfield frames-dmabuf) rd=$(sfield frames-read)
	if [ $((${fd:-0} - ${fd1:-0})) -ge 3 ] && [ "${rd:-x}" = 0 ]; then
		ok "gvtsim: daemon counters: frames-dmabuf=$fd, frames-read=0 (nothing read by the CPU)"
	else
		fail "gvtsim: daemon counters: frames-dmabuf ${fd1:-?} -> ${fd:-?}, frames-read=${rd:-?} (${st:0:300})"
	fi
	# What the daemon holds now (the VFIO group: one opener at a time),
	# and must let go of at its end.  ls -l, not a readlink per fd (a
	# fork each under TCG).
	ls -l /proc/$SD/fd/ >"$T/sd-fds" 2>&1
	held=
	while read -r line; do
		[[ $line == *" -> /dev/vfio/"* ]] && held="$held ${line##* -> }"
	done <"$T/sd-fds"
	if [ -n "$held" ]; then
		ok "gvtsim: gvt-streamd holds the vGPU's VFIO files:$held"
	else
		fail "gvtsim: gvt-streamd holds no /dev/vfio file ($(grep -c . "$T/sd-fds") fds)"
	fi
	mark "counters"
	stop_daemon $SD "$L"
	rc=$?
	mark SIGTERM
	[ $rc -eq 0 ] && ok "gvt-streamd on gvtsim, SIGTERM: exit 0 ($(grep -c "$UUID: capture closed" "$L") capture closed)" ||
		fail "gvt-streamd on gvtsim, SIGTERM: exit $rc: $(tail -n 3 "$L" | tr '\n' ' ')"
	if timeout 30 "$B/tests/vm/vm-gst" paint "$UUID" $((GFRAME + 1)) >"$T/paint3.log" 2>&1; then
		ok "gvtsim: the daemon released $UUID: a guest opens it again and paints"
	else
		fail "gvtsim: $UUID released after gvt-streamd ended: $(grep -v '^#' "$T/paint3.log" | tail -n 2 | tr '\n' ' ')"
	fi
	echo "$old_mmap" >$P
	sed "s/^/# gvtsim streamd: /" "$L" | tail -n 8
	mark "released check"
	echo "# gvtsim part: ${marks#, }"
}

gvtsim_part
# GVT_VM_ONLY=gvtsim (run-gst-vm.sh): only the part above.
if [ "${GVT_VM_ONLY:-}" = gvtsim ]; then
	pw_session_stop
	exit 0
fi

# ---- sim: real udmabuf dma-bufs, a moving picture -------------------------
# A dma-buf consumer reads the guest's own framebuffer, which the guest
# paints again two flips later (no fences, as on GVT-g): under TCG the
# consumer here was later than that even at 2 fps with three framebuffers
# (a torn or later frame), so the sim's dma-buf frames are not compared
# pixel by pixel in the VM (test-pw-dmabuf.sh does that on the host).
DEV="sim:320x240,fps=5,buffers=3,cursor=off"
NODE="gvt-streamd.sim-320x240-fps-5-buffers-3-cursor-off"
# RTSP on (the default): an RTSP viewer beside the dma-buf consumer shows
# that the encode reads the dma-bufs itself and leaves the node zero-copy.
printf '[vgpu %s]\nname = VM Desk\n' "$DEV" >"$XDG_CONFIG_HOME/gvt-streamd.conf"
# Only the sim: the VM's gvtsim vGPU is vm-gst's and vm-hotplug's.
"$B/service/streamd/gvt-streamd" --user --set daemon.rtsp-port=0 --set daemon.discover-mdev=false \
	>"$T/streamd.log" 2>&1 &
SD=$!

if n=$(pw_wait_node "$NODE" 150); then
	ok "node $NODE published in the VM"
else
	fail "node $NODE published: $(tail -5 "$T/streamd.log")"
	pw_session_stop; kill $SD; exit 0
fi
IFS='|' read -r SERIAL _ <<<"$n"

# ---- the dma-buf consumer -------------------------------------------------
# pipewiresrc 1.4 drops memory:DMABuf caps that name no format; a linear
# XR24 surface is drm-format=XR24 (the modifier 0 is left out).  filesink
# maps the consumer's own dma-bufs to write them: the pixels checked are
# what came through the fds.
rm -f "$T/dma.raw"
timeout 60 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=12 ! \
	'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! \
	filesink location="$T/dma.raw" >"$T/dma.log" 2>&1 &
G=$!
pw_watch_inodes $G dmabuf "$T/cons.ino"
wait $G
rc=$?
if [ $rc -eq 0 ] && grep -q "consumer negotiated dma-buf" "$T/streamd.log"; then
	ok "pipewiresrc (memory:DMABuf, DMA_DRM XR24) got 12 frames; $(grep -o 'consumer negotiated dma-buf.*' "$T/streamd.log" | head -n1)"
else
	fail "pipewiresrc dma-buf: exit $rc: $(tail -3 "$T/dma.log") | $(grep pipewire "$T/streamd.log" | tail -4)"
	# With GVT_GST_DEBUG=gvtdmabufsrc:5 (run-gst-vm.sh), what the capture chose.
	grep -aE "gvtdmabufsrc.*(dma-buf:|system memory:)" "$T/streamd.log" | head -n 12 | sed 's/^/# /'
	pw-dump "$SERIAL" 2>/dev/null | grep -A3 '"modifier"' | head -n 20 | sed 's/^/# node: /'
	pw-dump 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    p = o.get("info", {}).get("props", {}) or {}
    if p.get("node.name") == sys.argv[1]:
        print("# EnumFormat:", json.dumps(o["info"]["params"].get("EnumFormat"))[:1500])
' "$NODE"
fi
"$B/tests/service/frame-check" "$T/dma.raw" 320 240 BGRx 12 >"$T/dmacheck.log" 2>&1
echo "# the sim's dma-buf frames against the guest model (not a check, see above): $(tail -1 "$T/dmacheck.log")"
# The consumer's dma-buf inodes are compared with the daemon's on the host
# (test-pw-dmabuf.sh); here, in full boots, stat of the consumer's fds gave
# nothing while ls showed them (not traced), so that check is not made.
rm -f "$T/cons.ino"

# ---- an RTSP viewer and a dma-buf consumer at once ------------------------
# Apart from the pixel check above: under TCG, x264 and ffmpeg beside the
# consumer make it read the guest's framebuffers late (a later or torn
# frame; no fences), which says nothing about the daemon.  Checked here:
# the encode reads the dma-bufs itself and the node stays on them.  The
# encode's own read can race the guest's repaint too when TCG holds the
# capture thread back (seen once on a loaded machine: the first frame
# after the encoder started, PSNR 17 dB): one such frame is reported as
# torn, not failed.
fd0=$(field frames-dmabuf)
timeout 60 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=8 ! \
	'video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24' ! fakesink >"$T/dma2.log" 2>&1 &
G=$!
PORT=$(sed -n 's/.*RTSP server listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$T/streamd.log")
R=
if [ -n "$PORT" ] && command -v ffmpeg >/dev/null; then
	timeout 60 ffmpeg -nostdin -v error -rtsp_transport tcp -i "rtsp://127.0.0.1:$PORT/VM-Desk" \
		-frames:v 8 -fps_mode passthrough -f rawvideo -pix_fmt bgr0 -y "$T/rtsp.raw" >"$T/rtsp.log" 2>&1 &
	R=$!
fi
wait $G || fail "the dma-buf consumer beside the RTSP viewer: $(tail -2 "$T/dma2.log")"
if [ -z "$R" ]; then
	fail "RTSP viewer: no port in the log or no ffmpeg ($(grep -i rtsp "$T/streamd.log" | tail -2))"
elif wait $R && "$B/tests/service/frame-check" "$T/rtsp.raw" 320 240 BGRx 8 psnr=30,lead=3,torn=1 \
	>"$T/rtspcheck.log" 2>&1; then
	ok "RTSP viewer meanwhile (x264 from the same dma-bufs): $(tail -1 "$T/rtspcheck.log")"
else
	fail "RTSP viewer: $(tail -2 "$T/rtsp.log") $(tail -2 "$T/rtspcheck.log" 2>/dev/null)"
fi
er=$(field encode-frames-read)
[ "${er:-0}" -ge 8 ] && ok "the encode read $er dma-buf frames into system memory itself" ||
	fail "encode-frames-read: ${er:-?}"
fd=$(field frames-dmabuf) rd=$(field frames-read)
[ $((${fd:-0} - ${fd0:-0})) -ge 8 ] && ok "the node stayed on dma-bufs while encoding ($((fd - fd0)) frames)" ||
	fail "frames-dmabuf while encoding: ${fd0:-?} -> ${fd:-?}"
if [ "${fd:-0}" -ge 12 ] && [ "${rd:-x}" = 0 ]; then
	ok "daemon: $fd frames published as dma-bufs, 0 read by the CPU"
else
	fail "daemon counters: frames-dmabuf=${fd:-?} frames-read=${rd:-?} ($(status | head -c 400))"
fi

# ---- a shared-memory consumer: pixels against the guest model -------------
rm -f "$T/frames.raw"
if timeout 30 gst-launch-1.0 -q pipewiresrc target-object="$SERIAL" num-buffers=10 always-copy=true ! \
	"video/x-raw,format=BGRx,width=320,height=240" ! filesink location="$T/frames.raw" >"$T/shm.log" 2>&1 &&
   "$B/tests/service/frame-check" "$T/frames.raw" 320 240 BGRx 10 >"$T/check.log" 2>&1; then
	ok "pipewiresrc BGRx (shared memory, read from the dma-buf): $(tail -1 "$T/check.log")"
else
	fail "shared-memory consumer: $(tail -3 "$T/shm.log") $(tail -3 "$T/check.log" 2>/dev/null)"
fi
rd=$(field frames-read)
[ "${rd:-0}" -ge 10 ] && ok "daemon read $rd dma-buf frames for it (the reader)" ||
	fail "frames-read after the shared-memory consumer: ${rd:-?}"
stop_daemon $SD "$T/streamd.log"
rc=$?
[ $rc -eq 0 ] && ok "gvt-streamd SIGTERM: exit 0" || fail "gvt-streamd exit $rc: $(tail -5 "$T/streamd.log")"
sed 's/^/# streamd: /' "$T/streamd.log" | tail -n 15

pw_session_stop
