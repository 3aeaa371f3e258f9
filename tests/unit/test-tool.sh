#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Command-line behaviour of gvt-dmabuf: help, exit codes, messages naming
# the bad argument, and the commands on the sim vGPU.
#
# Usage: test-tool.sh PATH/TO/gvt-dmabuf PATH/TO/gvt-dmabuf.1
set -u

T=${1:?usage: test-tool.sh TOOL MANPAGE}
MAN=${2:?usage: test-tool.sh TOOL MANPAGE}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-tool.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

# A small sim with a known geometry; options are in 'gvt-dmabuf help device'.
SIM="sim:320x200"

failures=0
n=0

fail() {
	echo "not ok - $*"
	failures=$((failures + 1))
}

ok() {
	echo "ok - $*"
}

# run EXPECTED_EXIT NAME CMD...: runs CMD, output in $TMP/out, $TMP/err.
run() {
	want=$1
	name=$2
	shift 2
	n=$((n + 1))
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name: exit $got, expected $want ($*)"
		sed 's/^/#   out: /' "$TMP/out" | head -n 20
		sed 's/^/#   err: /' "$TMP/err" | head -n 20
		return 1
	fi
	return 0
}

# expect FILE TEXT NAME: FILE ($TMP/out or $TMP/err) contains TEXT.
expect() {
	if grep -qF -- "$2" "$1"; then
		ok "$3"
	else
		fail "$3: '$2' not in $(basename "$1")"
		sed 's/^/#   /' "$1" | head -n 20
	fi
}

# --- global ---------------------------------------------------------------
run 0 "--help" "$T" --help && {
	for c in list info snapshot watch help; do
		expect "$TMP/out" "  $c " "--help lists command $c"
	done
	expect "$TMP/out" "Exit status" "--help documents exit codes"
	expect "$TMP/out" "sim" "--help describes the sim DEVICE"
}
cp "$TMP/out" "$TMP/main-help"
run 0 "help" "$T" help && {
	cmp -s "$TMP/out" "$TMP/main-help" && ok "help == --help" || fail "help differs from --help"
}
run 0 "--version" "$T" --version && expect "$TMP/out" "gvt-dmabuf " "--version prints the name"
run 2 "no command" "$T" && expect "$TMP/err" "Usage:" "no command prints usage"
# GVT-g runs on Broadwell to Comet Lake (Gen8 to Gen9.5), not on Gen10.
if run 0 "list with no mdev bus" env GVT_DMABUF_SYSFS_ROOT=/nonexistent "$T" list; then
	if grep -q "Gen10" "$TMP/out" || ! grep -q "Broadwell to Comet Lake" "$TMP/out"; then
		fail "list: GVT-g runs on Broadwell to Comet Lake, not Gen10"
	else
		ok "list: GVT-g runs on Broadwell to Comet Lake, not Gen10"
	fi
fi
run 2 "unknown command" "$T" frobnicate && expect "$TMP/err" "frobnicate" "unknown command named"
run 2 "unknown global option" "$T" --frobnicate && expect "$TMP/err" "--frobnicate" "unknown global option named"
run 2 "help of unknown command" "$T" help frobnicate && expect "$TMP/err" "frobnicate" "help: unknown command named"
run 0 "help device" "$T" help device && expect "$TMP/out" "sim" "help device describes sim"

# Options of each command: in its --help, in 'help CMD' and in the man page.
man_text="$TMP/man.txt"
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$MAN" >"$man_text"
for spec in "list:--no-probe --json" "info:--json" \
	    "snapshot:--no-cursor --no-sprite --plane --frame --read" \
	    "watch:--interval --count --duration --poll"; do
	c=${spec%%:*}
	opts=${spec#*:}
	run 0 "$c --help" "$T" "$c" --help || continue
	cp "$TMP/out" "$TMP/help-$c"
	expect "$TMP/out" "Usage: gvt-dmabuf $c" "$c --help shows usage"
	for o in $opts; do
		expect "$TMP/help-$c" "$o" "$c --help mentions $o"
		expect "$man_text" "$o" "man page mentions $c $o"
	done
	# Every option the help text shows must be in the man page.
	for o in $(grep -o -- '--[a-z][a-z-]*' "$TMP/help-$c" | sort -u); do
		grep -qF -- "$o" "$man_text" || fail "man page lacks $c option $o"
	done
	run 0 "help $c" "$T" help "$c" && {
		cmp -s "$TMP/out" "$TMP/help-$c" && ok "help $c == $c --help" ||
			fail "help $c differs from $c --help"
	}
	run 0 "$c -h" "$T" "$c" -h
	run 2 "$c unknown option" "$T" "$c" --bogus-option sim && \
		expect "$TMP/err" "--bogus-option" "$c: unknown option named"
done
# The sim spec the library documents is the one in the man page.
"$T" help device | tail -n +3 | tr -s ' ' >"$TMP/simhelp"
tr -s ' ' <"$man_text" >"$TMP/man-squeezed"
missing=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	grep -qF -- "$line" "$TMP/man-squeezed" || { echo "# not in man page: $line"; missing=1; }
done <"$TMP/simhelp"
[ "$missing" -eq 0 ] && ok "man page DEVICE matches 'help device'" || fail "man page DEVICE out of date: run doc/update-sim-spec.sh BUILDDIR/service/tool/gvt-dmabuf"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS DEVICE "EXIT STATUS" EXAMPLES "SEE ALSO"; do
	grep -q "^\.SH \"*$s" "$MAN" && ok "man page has $s" || fail "man page lacks section $s"
done
# Exit codes: every one in --help is in the man page.
for code in 0 1 2 3 4 5 6; do
	grep -q "^  $code  " "$TMP/main-help" || fail "--help lacks exit code $code"
	grep -q "^\.B $code\$" "$MAN" || fail "man page lacks exit code $code"
done
if command -v groff >/dev/null 2>&1; then
	w=$(groff -man -ww -z "$MAN" 2>&1)
	[ -z "$w" ] && ok "man page formats without warnings" || fail "groff warnings: $w"
fi

# --- bad arguments ----------------------------------------------------------
run 2 "info without DEVICE" "$T" info && expect "$TMP/err" "DEVICE" "info: missing DEVICE named"
run 2 "info extra argument" "$T" info sim extra && expect "$TMP/err" "extra" "info: extra argument named"
run 2 "snapshot without FILE" "$T" snapshot sim && expect "$TMP/err" "FILE" "snapshot: missing FILE named"
run 2 "snapshot bad --plane" "$T" snapshot sim "$TMP/x.png" --plane overlay && \
	expect "$TMP/err" "overlay" "snapshot: bad --plane value named"
run 2 "snapshot bad --frame" "$T" snapshot sim "$TMP/x.png" --frame -3 && \
	expect "$TMP/err" "--frame" "snapshot: bad --frame named"
run 2 "snapshot bad --read" "$T" snapshot sim "$TMP/x.png" --read gpu && \
	expect "$TMP/err" "'gpu'" "snapshot: bad --read value named"
run 0 "snapshot --read mmap" "$T" snapshot sim "$TMP/x.png" --read mmap
# The sim's buffers are memfds here (no /dev/udmabuf): no GPU imports them,
# and the error says so instead of a bare errno.
if [ ! -c /dev/udmabuf ]; then
	run 1 "snapshot --read egl of a memfd" "$T" snapshot sim "$TMP/x.png" --read egl && \
		expect "$TMP/err" "memfd" "snapshot --read egl: says the buffer is a memfd"
fi
run 2 "watch bad --interval" "$T" watch sim --interval abc && {
	expect "$TMP/err" "--interval" "watch: bad --interval named"
	expect "$TMP/err" "abc" "watch: bad --interval value quoted"
}
run 2 "watch --interval 0" "$T" watch sim --interval 0 && expect "$TMP/err" "--interval" "watch: zero interval refused"
run 2 "watch bad --count" "$T" watch sim --count 1x && expect "$TMP/err" "--count" "watch: bad --count named"
run 2 "watch missing value" "$T" watch sim --count && expect "$TMP/err" "--count" "watch: missing value named"
# strtoull() skips blanks and negates "-1" into 2^64-1: a sign must not get
# through behind a blank, and a leading 0 is not octal.
run 2 "watch --count ' -1'" "$T" watch sim --duration 0.2 --count " -1" && expect "$TMP/err" "--count" "watch: blank then minus refused"
run 2 "watch --count '+5'" "$T" watch sim --duration 0.2 --count "+5" && expect "$TMP/err" "--count" "watch: plus sign refused"
run 2 "snapshot --frame ' -1'" "$T" snapshot sim "$TMP/x.png" --frame " -1" && \
	expect "$TMP/err" "--frame" "snapshot: blank then minus refused"
run 2 "snapshot --frame 99999999999999999999" "$T" snapshot sim "$TMP/x.png" --frame 99999999999999999999 && \
	expect "$TMP/err" "--frame" "snapshot: out-of-range frame refused"
run 0 "snapshot --frame 010 is ten" "$T" snapshot "$SIM,clock=manual" "$TMP/f10.png" --frame 010 && \
	run 0 "snapshot --frame 10" "$T" snapshot "$SIM,clock=manual" "$TMP/f10b.png" --frame 10 && {
	cmp -s "$TMP/f10.png" "$TMP/f10b.png" && ok "snapshot: --frame 010 means frame 10, not octal 8" || \
		fail "snapshot: --frame 010 is not frame 10"
	run 0 "snapshot --frame 0xa" "$T" snapshot "$SIM,clock=manual" "$TMP/f10c.png" --frame 0xa && {
		cmp -s "$TMP/f10.png" "$TMP/f10c.png" && ok "snapshot: --frame 0xa is frame 10" || \
			fail "snapshot: --frame 0xa is not frame 10"
	}
}
run 2 "value for a flag" "$T" list --no-probe=yes && expect "$TMP/err" "--no-probe" "list: flag given a value named"
run 2 "unknown short option" "$T" info -q sim && expect "$TMP/err" "'-q'" "info: unknown short option named"
run 2 "bad sim spec" "$T" info "sim:bogus_option=1" && expect "$TMP/err" "bogus_option" "bad sim option named"
run 3 "unknown mdev" "$T" info 00000000-0000-0000-0000-000000000000 && \
	[ -s "$TMP/err" ] && ok "unknown mdev: message printed"

# --- list -------------------------------------------------------------------
if [ -z "$(ls /sys/bus/mdev/devices 2>/dev/null)" ]; then
	run 0 "list" "$T" list && {
		expect "$TMP/out" "No mediated devices found" "list: none line"
		expect "$TMP/out" "sim" "list: mentions sim"
	}
	run 0 "list --no-probe" "$T" list --no-probe
	run 0 "list --json" "$T" list --json && {
		[ "$(tr -d ' \n' <"$TMP/out")" = "[]" ] && ok "list --json: empty array" ||
			fail "list --json: expected [], got $(cat "$TMP/out")"
	}
else
	echo "# this machine has mdevs: skipping the 'none' checks"
	run 0 "list" "$T" list && expect "$TMP/out" "UUID" "list: table header"
fi

# A fake sysfs with one gvtsim mdev (no VFIO behind it).
R="$TMP/fake"
U=10000000-0000-4000-8000-0000000000aa
P="$R/sys/devices/virtual/gvtsim/gvtsim"
mkdir -p "$P/mdev_supported_types/gvtsim-GVTg_V5_4" "$P/$U" "$R/sys/kernel/iommu_groups/7" \
	"$R/sys/bus/mdev/devices" "$R/sys/class/mdev_bus" "$R/dev"
echo GVTg_V5_4 >"$P/mdev_supported_types/gvtsim-GVTg_V5_4/name"
ln -s ../mdev_supported_types/gvtsim-GVTg_V5_4 "$P/$U/mdev_type"
ln -s ../../../../../kernel/iommu_groups/7 "$P/$U/iommu_group"
ln -s "../../../devices/virtual/gvtsim/gvtsim/$U" "$R/sys/bus/mdev/devices/$U"
ln -s ../../devices/virtual/gvtsim/gvtsim "$R/sys/class/mdev_bus/gvtsim"
export GVT_DMABUF_SYSFS_ROOT="$R/sys" GVT_DMABUF_DEV_ROOT="$R/dev"
run 0 "list fake mdev" "$T" list --no-probe && {
	grep -Eq "^$U +gvtsim +gvtsim-GVTg_V5_4 +GVTg_V5_4 +7 +\?\$" "$TMP/out" &&
		ok "list: mdev row" || { fail "list: mdev row"; sed 's/^/#   /' "$TMP/out"; }
	expect "$TMP/out" "UUID" "list: header"
}
run 0 "list fake mdev probed" "$T" list && \
	expect "$TMP/out" "no-vfio" "list: probe without VFIO says so"
if command -v python3 >/dev/null 2>&1; then
	run 0 "list --json fake mdev" "$T" list --json --no-probe && {
		python3 - "$TMP/out" "$U" <<'EOF' && ok "list --json: fields" || fail "list --json fields"
import json, sys
d = json.load(open(sys.argv[1]))
d = [e for e in d if e.get("kind") != "qemu-dbus"]
assert len(d) == 1, d
m = d[0]
assert m == {"kind": "mdev", "uuid": sys.argv[2], "parent": "gvtsim", "type": "gvtsim-GVTg_V5_4",
             "type_name": "GVTg_V5_4", "iommu_group": 7, "display": None}, m
EOF
	}
fi
run 3 "info on an mdev without VFIO" "$T" info "$U" && expect "$TMP/err" "VFIO" "info: no VFIO explained"
rm "$R/sys/bus/mdev/devices/$U"
run 0 "list no mdev, a parent" "$T" list && {
	expect "$TMP/out" "No mediated devices found" "list: none line with a parent"
	expect "$TMP/out" "$R/sys/class/mdev_bus/gvtsim/mdev_supported_types/gvtsim-GVTg_V5_4/create" \
		"list: says where to create one"
}
run 2 "relative sysfs root" env GVT_DMABUF_SYSFS_ROOT=relative "$T" list && \
	expect "$TMP/err" "GVT_DMABUF_SYSFS_ROOT" "bad root variable named"
unset GVT_DMABUF_SYSFS_ROOT GVT_DMABUF_DEV_ROOT

# --- info -------------------------------------------------------------------
run 0 "info sim" "$T" info "$SIM" && {
	expect "$TMP/out" "Backend: sim" "info: backend"
	expect "$TMP/out" "Plane primary: enabled" "info: primary enabled"
	expect "$TMP/out" "size:      320x200" "info: primary geometry"
	expect "$TMP/out" "Plane cursor: enabled" "info: cursor enabled"
	expect "$TMP/out" "size:      64x64" "info: cursor geometry"
	expect "$TMP/out" "format:    XRGB8888 (0x34325258 'XR24')" "info: fourcc name and code"
	expect "$TMP/out" "modifier:  LINEAR" "info: modifier name"
	expect "$TMP/out" "hotspot:" "info: hotspot line"
	expect "$TMP/out" "dmabuf_id:" "info: dmabuf_id"
	expect "$TMP/out" "Plane sprite:" "info: sprite line"
}
if command -v python3 >/dev/null 2>&1; then
	run 0 "info --json" "$T" info "$SIM" --json && {
		python3 - "$TMP/out" <<'EOF' && ok "info --json: valid, primary 320x200" || fail "info --json content"
import json, sys
d = json.load(open(sys.argv[1]))
p = [x for x in d["planes"] if x["plane"] == "primary"][0]
assert d["backend"] == "sim", d
assert p["state"] == "enabled" and p["width"] == 320 and p["height"] == 200, p
assert p["format"] == "XRGB8888" and p["dmabuf_id"] >= 1, p
EOF
	}
fi

# --- snapshot ---------------------------------------------------------------
run 1 "snapshot unwritable" "$T" snapshot "$SIM" "$TMP/no/such/dir/x.png" && {
	expect "$TMP/err" "$TMP/no/such/dir/x.png" "snapshot: unwritable FILE named"
	expect "$TMP/err" "No such file or directory" "snapshot: unwritable FILE reason"
}
run 0 "snapshot" "$T" snapshot "$SIM" "$TMP/shot.png" && {
	# PNG signature and IHDR size (320x200).
	head -c 24 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n' >"$TMP/hdr"
	expect "$TMP/hdr" "89504e470d0a1a0a" "snapshot: PNG signature"
	expect "$TMP/hdr" "49484452000001400000" "snapshot: PNG width 320"
	ls "$TMP"/shot.png.tmp-* >/dev/null 2>&1 && fail "snapshot: temporary file left behind" || ok "snapshot: no temporary file left"
}
run 0 "snapshot to stdout" "$T" snapshot "$SIM" - && {
	head -c 8 "$TMP/out" | od -An -tx1 | tr -d ' \n' >"$TMP/hdr"
	expect "$TMP/hdr" "89504e470d0a1a0a" "snapshot -: PNG on stdout"
}
run 0 "snapshot --plane cursor" "$T" snapshot "$SIM" "$TMP/cur.png" --plane cursor && {
	head -c 26 "$TMP/cur.png" | od -An -tx1 | tr -d ' \n' >"$TMP/hdr"
	# 64x64, 8 bits, colour type 6 (RGBA)
	expect "$TMP/hdr" "494844520000004000000040" "snapshot --plane cursor: 64x64"
	expect "$TMP/hdr" "4948445200000040000000400806" "snapshot --plane cursor: 8-bit RGBA"
}
run 6 "snapshot --plane sprite (disabled)" "$T" snapshot "$SIM" "$TMP/spr.png" --plane sprite && \
	expect "$TMP/err" "sprite" "snapshot: disabled sprite named"
[ -e "$TMP/spr.png" ] && fail "snapshot: failed snapshot left a file" || ok "snapshot: failed snapshot leaves no file"

# --- watch ------------------------------------------------------------------
start=$(date +%s)
run 0 "watch --count 3" "$T" watch "$SIM" --count 3 --interval 0.3 && {
	lines=$(grep -c "flips/s" "$TMP/out")
	# 3 reports and the summary
	[ "$lines" -eq 4 ] && ok "watch: 3 reports and a summary" || fail "watch: $lines report lines"
	expect "$TMP/out" "query us" "watch: latency figures"
	expect "$TMP/out" "Summary" "watch: summary"
	# Frames are counted from dmabuf ids: no dma-buf is ever taken.
	expect "$TMP/out" "hit 0 miss 0" "watch: counts frames without taking a dma-buf"
	# The sim flips at its frame rate: some flips and frames were seen.
	awk '/^ *[0-9.]+s/ { if ($3 + 0 > 0) f++; if ($5 + 0 > 0) g++ } END { exit !(f > 0 && g > 0) }' "$TMP/out" &&
		ok "watch: non-zero flips/s and fps" || { fail "watch: no flips counted"; sed 's/^/#   /' "$TMP/out"; }
}
[ $(($(date +%s) - start)) -le 10 ] && ok "watch --count 3 ended in time" || fail "watch --count 3 too slow"
run 0 "watch --duration" "$T" watch "$SIM" --duration 0.5 --interval 0.2 --poll 2 && \
	expect "$TMP/out" "Summary" "watch --duration: summary"
run 0 "watch clock=manual" "$T" watch "$SIM,clock=manual" --count 2 --interval 0.2 && \
	expect "$TMP/out" "Summary: " "watch on a still sim ends too"

# SIGINT ends it cleanly with a summary.
"$T" watch "$SIM" --interval 0.2 >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] && ok "watch: SIGINT exits 0" || fail "watch: SIGINT exit $rc"
expect "$TMP/out" "Summary (interrupted)" "watch: SIGINT prints the summary"

# SIGTERM too.
"$T" watch "$SIM" --interval 0.2 >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] && ok "watch: SIGTERM exits 0" || fail "watch: SIGTERM exit $rc"
expect "$TMP/out" "Summary (interrupted)" "watch: SIGTERM prints the summary"

# On a terminal: one line rewritten in place (carriage return, erase line).
if command -v script >/dev/null 2>&1; then
	script -qec "'$T' watch '$SIM' --count 2 --interval 0.2" /dev/null >"$TMP/out" 2>&1 </dev/null
	if grep -q "failed to create pseudo-terminal" "$TMP/out"; then
		# A chroot or container without /dev/pts: nothing to test here.
		echo "# skip - watch on a tty: script(1) cannot create a pseudo-terminal"
	elif [ "$(grep -c "$(printf '\r\033\[K')" "$TMP/out")" -ge 1 ] &&
	   [ "$(grep -c "flips/s" "$TMP/out")" -eq 2 ]; then
		ok "watch on a tty: live line"
	else
		fail "watch on a tty: no live line"
		od -c "$TMP/out" | head -n 10 | sed 's/^/#   /'
	fi
fi

echo "# $n commands run, $failures checks failed"
[ "$failures" -eq 0 ]
