# SPDX-License-Identifier: MIT
# Sourced by the scripts that boot a Debian kernel under QEMU with an
# initramfs of their own (tests/vm, tests/qemu, tests/bench).

# initramfs_add_modules DIR KVER ROOT MODULE...
# Copy MODULE... and everything they depend on, for kernel KVER whose
# /lib/modules lives under ROOT ("" or "/" for this host), into
# DIR/lib/modules, decompressed (busybox insmod may lack xz and zstd), and
# append their names in load order to DIR/modules.list.  On failure prints
# what went wrong on stderr and returns 1.
initramfs_add_modules() {
	local dir=$1 kver=$2 root=${3:-/} m deps kind path name
	shift 3
	mkdir -p "$dir/lib/modules"
	touch "$dir/modules.list"
	for m in "$@"; do
		deps=$(modprobe -S "$kver" -d "$root" --show-depends "$m" 2>&1) ||
			{ echo "module $m of $kver: $deps" >&2; return 1; }
		while read -r kind path _; do
			[ "$kind" = insmod ] || continue
			name=$(basename "$path")
			name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
			grep -qx "$name" "$dir/modules.list" && continue
			case "$path" in
			*.xz) xz -dc "$path" >"$dir/lib/modules/$name" ;;	# xz-utils
			*.zst) zstd -qdc "$path" >"$dir/lib/modules/$name" ;;
			*.gz) gzip -dc "$path" >"$dir/lib/modules/$name" ;;
			*) cp "$path" "$dir/lib/modules/$name" ;;
			esac || { echo "could not copy $path" >&2; return 1; }
			echo "$name" >>"$dir/modules.list"
		done <<<"$deps"
	done
}

# private_bus WORK: a session dbus-daemon of its own for a QEMU -display
# dbus VM; sets bus_pid and address (its address).  Returns 1 with
# WORK/dbus.log holding why when it printed no address.
private_bus() {
	exec 3>"$1/bus-address"
	dbus-daemon --session --nofork --nopidfile --print-address=3 2>"$1/dbus.log" &
	bus_pid=$!
	exec 3>&-
	for _ in $(seq 50); do [ -s "$1/bus-address" ] && break; sleep 0.1; done
	address=$(head -n1 "$1/bus-address")
	[ -n "$address" ]
}

# qemu_dbus_prereqs: what a QEMU -display dbus VM of Debian's 6.1 kernel
# needs on this host; sets kver, or calls skip REASON (the caller's).
qemu_dbus_prereqs() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	qemu-system-x86_64 -display help 2>/dev/null | grep -qx dbus ||
		skip "this QEMU has no -display dbus (Debian: the ui-dbus module of qemu-system-gui)"
	command -v dbus-daemon >/dev/null || skip "dbus-daemon is not installed (scripts/deps.sh)"
	command -v cpio >/dev/null || skip "cpio is not installed"
	kver=$(cd /lib/modules 2>/dev/null && ls -d 6.1.*-amd64 2>/dev/null | sort -V | tail -n1)
	[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] || skip "no Debian 6.1 kernel image in /boot"
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip "no static /bin/busybox (busybox-static)"
}
