# SPDX-License-Identifier: MIT
# The Debian 13 tree (tests/vm/mkroot-debian13.sh) as a place to run
# clients newer than this host's: PipeWire 1.4, GStreamer 1.26.  Sourced
# into bash by tests and benchmarks that set ROOT (the tree) and T (a
# scratch directory, /tmp/t inside the tree).
#
#   tree_run CMD...     CMD in the tree (chroot, a private mount namespace
#                       with /proc, /dev and $T), XDG_RUNTIME_DIR=/tmp/t/run.
#                       It execs: call it in the background or in ( ), so
#                       that $! is CMD itself.  GStreamer there sees only
#                       the plugins in $TREE_GST_PLUGINS (default
#                       coreelements and pipewire): a scan of all of the
#                       tree's takes seconds per fresh registry.
#   tree_pw_start       the tree's pipewire and wireplumber on $T/run (this
#                       host's PipeWire 0.3.65 hands a 1.4 client no
#                       buffers, while a 0.3.65 client works on a 1.4
#                       daemon); exports XDG_RUNTIME_DIR; TREE_PW_PID is the
#                       pid to kill (it stops both).

tree_run() {
	local p
	if [ ! -d "$T/gst-plugins" ]; then
		mkdir -p "$T/gst-plugins"
		for p in ${TREE_GST_PLUGINS:-coreelements pipewire}; do
			ln -s "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgst$p.so" "$T/gst-plugins/"
		done
	fi
	exec unshare --mount --propagation private sh -c '
		root=$1 T=$2; shift 2
		mount -t proc proc "$root/proc" && mount --bind /dev "$root/dev" &&
		mkdir -p "$root/tmp/t" && mount --bind "$T" "$root/tmp/t" &&
		exec chroot "$root" env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/tmp \
			XDG_RUNTIME_DIR=/tmp/t/run GST_REGISTRY=/tmp/t/registry.bin \
			GST_PLUGIN_SYSTEM_PATH=/tmp/t/gst-plugins GST_REGISTRY_FORK=no "$@"
	' sh "$ROOT" "$T" "$@"
}

tree_pw_start() {
	mkdir -p -m 700 "$T/run"
	tree_run sh -c 'pipewire >/tmp/t/pipewire.log 2>&1 & p=$!; sleep 0.5
		wireplumber >/tmp/t/wireplumber.log 2>&1 & w=$!
		trap "kill \$w \$p; wait; exit 0" TERM; wait' &
	TREE_PW_PID=$!
	export XDG_RUNTIME_DIR=$T/run
	local i
	for i in $(seq 50); do [ -S "$T/run/pipewire-0" ] && break; sleep 0.1; done
	[ -S "$T/run/pipewire-0" ] || return 1
	sleep 1	# WirePlumber loads its policy
}
