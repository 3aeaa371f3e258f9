#!/bin/bash
# SPDX-License-Identifier: MIT
# gst-inspect-1.0 finds gvtdmabufsrc in an unpacked package's plugin
# directory, loaded from there on the unpacked libgvtdmabuf: the plugin
# path is the only one GStreamer scans (GST_PLUGIN_SYSTEM_PATH, a private
# registry), so an installed or build-tree copy cannot answer instead.
#
#   check-gst-inspect.sh PLUGINDIR LIBDIR WORKDIR
#
# Exit 0 when the element is found there, documented and quiet; 1 with the
# reason otherwise.
set -uo pipefail

plugindir=${1:?usage: check-gst-inspect.sh PLUGINDIR LIBDIR WORKDIR}
libdir=${2:?}
work=${3:?}
plugin=$plugindir/libgstgvtdmabuf.so
fail() { echo "# check-gst-inspect: $*"; exit 1; }

command -v gst-inspect-1.0 >/dev/null ||
	fail "gst-inspect-1.0 is not installed (apt-get install gstreamer1.0-tools)"
[ -f "$plugin" ] || fail "no $plugin"
mkdir -p "$work"
run() {
	env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH_1_0 \
		GST_PLUGIN_SYSTEM_PATH="$plugindir" GST_REGISTRY="$work/registry.bin" \
		GST_REGISTRY_FORK=no LD_LIBRARY_PATH="$libdir" \
		gst-inspect-1.0 "$@"
}
run gvtdmabufsrc >"$work/inspect.out" 2>"$work/inspect.err"
rc=$?
if [ $rc -ne 0 ]; then
	cat "$work/inspect.out" "$work/inspect.err"
	fail "gst-inspect-1.0 gvtdmabufsrc exits $rc"
fi
# The element came from this file, and is the documented one.
grep -qE "^[[:space:]]*Filename[[:space:]]+$plugin\$" "$work/inspect.out" ||
	fail "the element was not loaded from $plugin: $(grep Filename "$work/inspect.out")"
for p in device cursor max-framerate keepalive wait poll-interval cache-size io-mode; do
	grep -qE "^[[:space:]]+$p[[:space:]]+:" "$work/inspect.out" ||
		fail "gst-inspect-1.0 shows no property '$p'"
done
grep -q 'memory:DMABuf' "$work/inspect.out" || fail "the pad template has no memory:DMABuf caps"
if grep -E 'CRITICAL|WARNING|ERROR' "$work/inspect.err"; then
	fail "gst-inspect-1.0 printed warnings"
fi
# The plugin resolves libgvtdmabuf from LIBDIR, not from elsewhere.
got=$(LD_LIBRARY_PATH="$libdir" ldd "$plugin" 2>/dev/null | awk '$1 == "libgvtdmabuf.so.0" { print $3 }')
[ -n "$got" ] && [ "$(readlink -f "$got")" = "$(readlink -f "$libdir/libgvtdmabuf.so.0")" ] ||
	fail "the plugin does not load libgvtdmabuf.so.0 from $libdir (ldd: ${got:-not found})"
# And the plugin's own check: gst-inspect on the file itself.
run "$plugin" >"$work/plugin.out" 2>&1 || { cat "$work/plugin.out"; fail "gst-inspect-1.0 $plugin fails"; }
grep -qE '^[[:space:]]+gvtdmabufsrc:' "$work/plugin.out" ||
	fail "plugin file $plugin does not list gvtdmabufsrc"
exit 0
