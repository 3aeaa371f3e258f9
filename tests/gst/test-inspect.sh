#!/bin/sh
# SPDX-License-Identifier: MIT
# gst-inspect-1.0 finds gvtdmabufsrc in the build tree, prints no warning
# or critical (its checks of a plugin's metadata, properties and enums),
# and documents every property of the element's own and example launch lines.
#   test-inspect.sh  (GST_PLUGIN_PATH and GST_REGISTRY set by meson)
set -u

command -v gst-inspect-1.0 >/dev/null || { echo "SKIP: no gst-inspect-1.0 (gstreamer1.0-tools)"; exit 77; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail=0

G_DEBUG=fatal-warnings gst-inspect-1.0 gvtdmabufsrc >"$out" 2>"$err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: gst-inspect-1.0 gvtdmabufsrc exited $rc"; cat "$err"; exit 1
fi
if [ -s "$err" ]; then
	echo "FAIL: gst-inspect-1.0 wrote to stderr:"; cat "$err"; fail=1
fi
for p in device cursor max-framerate keepalive wait poll-interval cache-size io-mode \
	 x-as-alpha implicit-modifier; do
	# the property line, its blurb, and a range or default
	if ! grep -qE "^  $p +: [A-Z]" "$out"; then
		echo "FAIL: property $p is missing or has no blurb"; fail=1
	fi
done
n=$(grep -c 'gst-launch-1.0 gvtdmabufsrc' "$out")
[ "$n" -ge 3 ] || { echo "FAIL: $n example launch lines (want at least 3)"; fail=1; }
for e in GstGvtDmabufSrcCursor GstGvtDmabufSrcWait GstGvtDmabufSrcIoMode; do
	grep -q "Enum \"$e\"" "$out" || { echo "FAIL: enum $e not shown"; fail=1; }
done
# the plugin as a whole, too
G_DEBUG=fatal-warnings gst-inspect-1.0 gvtdmabuf >/dev/null 2>"$err" || { echo "FAIL: gst-inspect-1.0 gvtdmabuf"; cat "$err"; fail=1; }
[ -s "$err" ] && { echo "FAIL: gst-inspect-1.0 gvtdmabuf wrote to stderr:"; cat "$err"; fail=1; }
[ $fail -eq 0 ] && echo "ok: gst-inspect-1.0 gvtdmabufsrc documents every property, $n example lines, no warning"
exit $fail
