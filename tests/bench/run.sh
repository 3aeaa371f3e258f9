#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the benchmarks of an existing build directory (builds nothing) and
# print their figures, then one summary table.
#   tests/bench/run.sh BUILDDIR [bench-detile options...]
set -u

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 BUILDDIR   (a meson build directory of gvt-dmabuf)" >&2
	exit 2
fi
build=$1
shift
bench="$build/tests/bench"
out=$(mktemp)
trap 'rm -f "$out" "$out.one"' EXIT
status=0

# bench-gst loads the plugin from the build tree, with a private registry
export GST_PLUGIN_PATH="$build/gst-plugin" GST_REGISTRY="$bench/registry.bin"

for b in bench-detile bench-query bench-paint bench-gst; do
	if [ "$b" = bench-gst ] && [ ! -x "$bench/$b" ]; then
		echo "$b: not built (GStreamer plugin disabled): skipped" >&2
		continue
	fi
	if [ ! -x "$bench/$b" ]; then
		echo "$b: not built in $bench (run ninja -C $build first)" >&2
		status=1
		continue
	fi
	echo "==== $b"
	if [ "$b" = bench-detile ]; then
		"$bench/$b" "$@" >"$out.one"
	else
		"$bench/$b" >"$out.one"
	fi
	rc=$?
	grep -v '^#result' "$out.one"
	cat "$out.one" >>"$out"
	[ $rc -eq 0 ] || { echo "$b failed (exit $rc)" >&2; status=1; }
	echo
done

# run_script NAME: tests/bench/NAME.sh BUILD, its figures into the table;
# 77 is a skip.
run_script() {
	echo "==== $1"
	"$(dirname "$0")/$1.sh" "$build" >"$out.one" 2>&1
	local rc=$?
	grep -v '^#result' "$out.one"
	cat "$out.one" >>"$out"
	[ $rc -eq 0 ] || [ $rc -eq 77 ] || { echo "$1 failed (exit $rc)" >&2; status=1; }
	echo
}

# gvt-streamd's benchmarks are scripts (bench-streamd starts a private
# PipeWire, bench-pwsink the Debian 13 tree's, bench-rtsp and bench-webrtc
# need none; bench-webrtc drives chromium); 77 is a skip.
for b in bench-streamd bench-pwsink bench-rtsp bench-webrtc; do
	if [ ! -x "$build/service/streamd/gvt-streamd" ]; then
		echo "$b: gvt-streamd not built (-Dservice): skipped" >&2
		continue
	fi
	run_script "$b"
done

# The QEMU D-Bus display source: bench-qemu-latency boots the host's QEMU
# twice (about 35 s); 77 is a skip (no QEMU, kernel image or static
# busybox).
if [ -x "$bench/bench-qemu-latency" ] && [ -x "$build/tests/qemu/qemu-guest" ]; then
	run_script bench-qemu-latency
else
	echo "bench-qemu-latency: not built (-Dqemu_dbus, qemu-system-x86_64, no sanitizer): skipped" >&2
fi

echo "==== summary ($(uname -n), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-50s %10s %10s %10s\n' "figure" "median" "best" "target"
grep '^#result' "$out" | while IFS="$(printf '\t')" read -r _ name med best target; do
	printf '%-50s %10s %10s %10s\n' "$name" "$med" "$best" "$target"
done
exit $status
