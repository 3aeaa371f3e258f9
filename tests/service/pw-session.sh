# SPDX-License-Identifier: MIT
# A private PipeWire for scripts that are sourced into bash (tests/service/
# test-streamd.sh, scripts/demo): a D-Bus session from dbus-run-session, a
# fresh 0700 XDG_RUNTIME_DIR, then pipewire and wireplumber, which is what
# a desktop session gives, without systemd.
#
#   pw_session_reexec MARKER "$0" "$@"  re-run the script under dbus-run-session
#                                      (once: MARKER names the env var that says so)
#   pw_session_start DIR               XDG_RUNTIME_DIR=DIR/run, start both daemons
#   pw_session_stop                    stop both (the script's own trap calls it)
#   pw_node_json NODE-NAME             "serial|media.class|media.role|description"
#   pw_wait_node NODE-NAME TENTHS      the same, once the node is there
#   pw_node_id NODE-NAME               the node's global id
#   pw_fd_inodes PID REGEX             inodes of the fds of PID and its
#                                      children whose link matches REGEX
#                                      (ERE, e.g. 'dmabuf|^/memfd:')
#   pw_watch_inodes PID REGEX FILE     pw_fd_inodes every 0.2 s while PID
#                                      runs, sorted into FILE
#
# PW_SESSION_PID and WP_SESSION_PID hold the daemons' pids.

pw_session_reexec() {	# MARKER SCRIPT ARGS...
	local marker=$1
	shift
	[ -n "${!marker:-}" ] && return 0
	export "$marker=1"
	# An unprivileged-looking dbus-daemon complains that it cannot raise
	# its fd limit (harmless for a private session): keep that line out.
	exec dbus-run-session -- "$@" 2> >(grep --line-buffered -v 'Failed to set fd limit' >&2)
}

pw_session_start() {	# DIR
	export XDG_RUNTIME_DIR=$1/run
	mkdir -p -m 700 "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
	pipewire >>"$1/pipewire.log" 2>&1 &
	PW_SESSION_PID=$!
	local i
	for i in $(seq 50); do [ -S "$XDG_RUNTIME_DIR/pipewire-0" ] && break; sleep 0.1; done
	if [ ! -S "$XDG_RUNTIME_DIR/pipewire-0" ]; then
		echo "pipewire did not start: $(tail -3 "$1/pipewire.log")" >&2
		return 1
	fi
	wireplumber >>"$1/wireplumber.log" 2>&1 &
	WP_SESSION_PID=$!
	# WirePlumber needs about a second to load its policy before nodes link.
	sleep 1
}

pw_session_stop() {
	local p
	for p in ${WP_SESSION_PID:-} ${PW_SESSION_PID:-}; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	WP_SESSION_PID= PW_SESSION_PID=
	return 0
}

_pw_node_field() {	# NODE-NAME FIELDS
	pw-dump 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    p = o.get("info", {}).get("props", {}) or {}
    if o.get("type") == "PipeWire:Interface:Node" and p.get("node.name") == sys.argv[1]:
        if sys.argv[2] == "id":
            print(o["id"])
        else:
            print(p.get("object.serial"), p.get("media.class"), p.get("media.role"), p.get("node.description"), sep="|")
' "$1" "$2"
}

pw_node_json() { _pw_node_field "$1" props; }
pw_node_id() { _pw_node_field "$1" id; }

pw_wait_node() {	# NODE-NAME TENTHS
	local i n
	for i in $(seq "$2"); do
		n=$(pw_node_json "$1")
		[ -n "$n" ] && { echo "$n"; return 0; }
		sleep 0.1
	done
	return 1
}

pw_fd_inodes() {	# PID REGEX
	local f c
	for f in /proc/$1/fd/* $(for c in $(pgrep -P "$1"); do echo /proc/$c/fd/*; done); do
		[[ $(readlink "$f" 2>/dev/null) =~ $2 ]] && stat -L -c %i "$f" 2>>"${PW_FD_ERRLOG:-/dev/null}"
	done | sort -u
}

pw_watch_inodes() {	# PID REGEX FILE
	: >"$3"
	while kill -0 "$1" 2>/dev/null; do
		pw_fd_inodes "$1" "$2" >>"$3"
		sleep 0.2
	done
	sort -u -o "$3" "$3"
}
