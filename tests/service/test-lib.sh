# SPDX-License-Identifier: MIT
# Shared by the service suite's test scripts (sourced into bash).
#
#   need_programs P...   skip (exit 77, naming it) when a program is missing
#   need_elements E...   the same for GStreamer elements
#   ok TEXT / fail TEXT  a TAP-style line; fail counts into $fails
#   test_dir NAME        a fresh 0700 $T with XDG_RUNTIME_DIR and
#                        XDG_CONFIG_HOME below it; on exit every pid in
#                        the array $pids is killed and $T removed (kept
#                        with KEEP_T=1 in the environment, for debugging)

need_programs() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || { echo "SKIP: $p is not installed (scripts/deps.sh test)"; exit 77; }
	done
}

need_elements() {
	local e
	for e in "$@"; do
		gst-inspect-1.0 "$e" >/dev/null 2>&1 ||
			{ echo "SKIP: GStreamer element $e missing (scripts/deps.sh test)"; exit 77; }
	done
}

fails=0
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }

# bad_config NAME EXPECTED-MESSAGE CONFIG-TEXT [ARGS...]: "$SD --check"
# must refuse CONFIG-TEXT (with ARGS) and say EXPECTED-MESSAGE.
bad_config() {
	local name=$1 want=$2 text=$3
	shift 3
	printf '%s\n' "$text" >"$T/bad.conf"
	"$SD" --check --config "$T/bad.conf" "$@" >"$T/out" 2>&1
	local rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$want" "$T/out"; then
		ok "bad config refused: $name"
	else
		fail "bad config $name: rc=$rc, wanted '$want', got: $(cat "$T/out")"
	fi
}

# start_streamd CONFIG LOG: gvt-streamd --user on CONFIG in the background,
# its output in LOG; SDPID is its pid, killed at exit.
start_streamd() {
	G_MESSAGES_DEBUG= "$SD" --user --config "$1" >"$2" 2>&1 &
	SDPID=$!
	pids+=($SDPID)
}

# wait_log_port LOG REGEX [PATTERN...]: PORT is group 1 of REGEX (sed) in
# LOG, once LOG also holds every PATTERN (grep; @PORT@ stands for the
# port); false after 10 s, PORT then as far as it was found.
wait_log_port() {
	local log=$1 re=$2 p ready
	shift 2
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n "s/$re/\1/p" "$log")
		ready=$PORT
		for p in "$@"; do
			[ -n "$ready" ] && grep -q -- "${p//@PORT@/$PORT}" "$log" || ready=
		done
		[ -n "$ready" ] && return 0
		sleep 0.1
	done
	return 1
}

pids=()
# The daemon's GetStatus on the session bus, in gdbus's text form.
status() {
	gdbus call --session -d org.gvtdmabuf.Streamd1 -o /org/gvtdmabuf/Streamd1 \
		-m org.gvtdmabuf.Streamd1.GetStatus 2>&1
}

# The first value of KEY in it (strings unquoted, numbers without their
# type): for a daemon with one vGPU (vgpu_field for one of several).
field() {	# KEY
	status | grep -o "'$1': <[^>]*>" | head -n1 | sed -E "s/.*<(uint64 |uint32 |int64 )?'?//; s/'?>$//"
}

# KEY of the vGPU DEVICE in it, the same way.
vgpu_field() {	# DEVICE KEY
	status | python3 -c '
import re, sys
text, dev, key = sys.stdin.read(), sys.argv[1], sys.argv[2]
for d in text.split("}, {"):
    if "%r: <%r>" % ("device", dev) in d:
        m = re.search(r"%r: <(?:uint32 |uint64 |int64 )?([^>]*)>" % key, d)
        print(m.group(1).strip("\x27") if m else "")
' "$1" "$2"
}

test_dir_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}

test_dir() {	# NAME
	T=$(mktemp -d "/tmp/gvt-$1-test.XXXXXX")
	chmod 700 "$T"
	export XDG_RUNTIME_DIR=$T/run XDG_CONFIG_HOME=$T/config
	mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
	trap test_dir_cleanup EXIT
}

# rtspsrc_shutdown_eof LOG: true when every error gst-launch logged is
# rtspsrc finding the server's end of the connection closed at shutdown
# ("Received end-of-file" from its PAUSE), after the frames (checked anyway).
rtspsrc_shutdown_eof() {
	grep -q "gst_rtspsrc_pause ()" "$1" &&
		[ "$(grep -c "^ERROR" "$1")" = "$(grep -c "Could not send message. (Received end-of-file)" "$1")" ]
}
