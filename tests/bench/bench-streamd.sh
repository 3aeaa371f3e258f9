#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's CPU with one consumer attached (pipewiresrc ! fakesink, the
# shared-memory path), over 10 s: a still desktop (sim clock=manual: no
# frame ever changes) against a guest flipping at 60 fps, one daemon at a
# time, in a private D-Bus session, PipeWire and WirePlumber.  The daemon's
# utime+stime from /proc/PID/stat (all its threads, in clock ticks: 10 ms
# at CLK_TCK 100), sampled every second: median and best second, the 10 s
# totals and their ratio (an idle desktop should cost about nothing).
# Figures only, no assertion; #result lines feed tests/bench/run.sh.
#
#   bench-streamd.sh BUILDDIR
set -u
build=$1
sd=$build/service/streamd/gvt-streamd
tool=$build/service/tool/gvt-dmabuf
here=$(cd "$(dirname "$0")" && pwd)
for p in dbus-run-session pipewire wireplumber pw-dump gst-launch-1.0 python3; do
	command -v "$p" >/dev/null || { echo "bench-streamd: $p is not installed: skipped"; exit 77; }
done
[ -x "$sd" ] || { echo "bench-streamd: $sd not built: skipped"; exit 77; }
. "$here/../service/pw-session.sh"
pw_session_reexec GVT_BENCH_STREAMD_IN_SESSION "$0" "$@"

export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
T=$(mktemp -d /tmp/gvt-bench-streamd.XXXXXX)
sdpid= conspid=
cleanup() {
	for p in $conspid $sdpid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	pw_session_stop
	rm -rf "$T"
}
trap cleanup EXIT
pw_session_start "$T" || exit 1
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

measure() {	# LABEL DEVICE: prints "median-ms best-ms total-ms fps"
	local dev=$2 node n serial t0 t1 i samples=() fps
	node=gvt-streamd.$(printf '%s' "$dev" | sed 's/[^A-Za-z0-9-]/-/g')
	"$sd" --user --config /dev/null --set "vgpu $dev.name=$1" >"$T/sd.log" 2>&1 &
	sdpid=$!
	n=$(pw_wait_node "$node" 100) || { echo "bench-streamd: no node $node: $(cat "$T/sd.log")" >&2; return 1; }
	serial=${n%%|*}
	gst-launch-1.0 -q pipewiresrc target-object="$serial" ! video/x-raw,format=BGRx ! fakesink >"$T/cons.log" 2>&1 &
	conspid=$!
	sleep 2	# negotiation, pools, the first frame
	t0=$(cpu_ticks $sdpid)
	local start=$t0
	for i in $(seq 10); do
		sleep 1
		t1=$(cpu_ticks $sdpid)
		samples+=($(( (t1 - t0) * 1000 / hz )))
		t0=$t1
	done
	fps=$("$tool" status --session --json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["vgpus"][0].get("fps", "?"))' 2>/dev/null || echo "?")
	kill "$conspid"; wait "$conspid" 2>/dev/null; conspid=
	kill -TERM "$sdpid"; wait "$sdpid" 2>/dev/null; sdpid=
	printf '%s\n' "${samples[@]}" | sort -n | awk -v total=$(( (t1 - start) * 1000 / hz )) -v fps="$fps" '
		{ v[NR] = $1 } END { printf "%s %s %s %s\n", (v[5] + v[6]) / 2, v[1], total, fps }'
}

read -r idle_med idle_best idle_total idle_fps < <(measure "still desktop" "sim:1280x720,xtiled,cursor=off,clock=manual")
read -r busy_med busy_best busy_total busy_fps < <(measure "60 fps desktop" "sim:1280x720,xtiled,cursor=off,fps=60")
[ -n "${busy_total:-}" ] || { echo "bench-streamd: no figures" >&2; exit 1; }
echo "gvt-streamd, 1280x720 X-tiled sim, one pipewiresrc consumer (shared memory), $hz ticks/s"
echo "  still desktop (clock=manual): CPU ${idle_total} ms in 10 s (median ${idle_med} ms/s, best ${idle_best} ms/s), ${idle_fps} fps published"
echo "  60 fps desktop:               CPU ${busy_total} ms in 10 s (median ${busy_med} ms/s, best ${busy_best} ms/s), ${busy_fps} fps published"
ratio=$(awk -v a="$idle_total" -v b="$busy_total" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
echo "  still / 60 fps CPU: ${ratio}x"
printf '#result\t%s\t%s\t%s\t%s\n' \
	"streamd CPU, still desktop (ms/s)" "$idle_med" "$idle_best" "~0" \
	"streamd CPU, 60 fps desktop (ms/s)" "$busy_med" "$busy_best" "-" \
	"streamd CPU still/60fps, 10 s (ratio)" "$ratio" "$ratio" "~0"
