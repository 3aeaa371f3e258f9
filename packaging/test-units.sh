#!/bin/bash
# SPDX-License-Identifier: MIT
# gvt-streamd's systemd units pass 'systemd-analyze verify'; their
# 'systemd-analyze security' exposure is printed (README quotes it); the
# D-Bus policy and sysusers files parse.
#
# Usage: test-units.sh SRCDIR PATH/TO/gvt-streamd
set -u
src=$1
bin=$(realpath "$2")
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze missing (package systemd)"; exit 77; }
fails=0
T=$(mktemp -d /tmp/gvt-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/system" "$T/user"
# verify checks that ExecStart exists: point it at the built binary.
sed "s#/usr/sbin/gvt-streamd#$bin#" "$src/packaging/systemd/gvt-streamd.service" >"$T/system/gvt-streamd.service"
sed "s#/usr/sbin/gvt-streamd#$bin#" "$src/packaging/systemd/user/gvt-streamd.service" >"$T/user/gvt-streamd.service"
for u in system user; do
	args=()
	[ $u = user ] && args=(--user)
	# Only this unit's own complaints count (a container lacks other units).
	mkdir -p -m 700 "$T/run"
	XDG_RUNTIME_DIR=$T/run SYSTEMD_LOG_LEVEL=warning systemd-analyze "${args[@]}" verify --man=no "$T/$u/gvt-streamd.service" >"$T/verify.log" 2>&1
	rc=$?
	if grep "gvt-streamd.service" "$T/verify.log" | grep -v "Unit .* not found\|Failed to load\|Failed to connect" >"$T/own.log"; [ -s "$T/own.log" ]; then
		echo "not ok - $u unit: systemd-analyze verify: $(cat "$T/own.log")"; fails=$((fails + 1))
	elif [ $rc -ne 0 ] && ! grep -q "gvt-streamd.service" "$T/verify.log"; then
		echo "not ok - $u unit: systemd-analyze verify failed: $(cat "$T/verify.log")"; fails=$((fails + 1))
	else
		echo "ok - $u unit passes systemd-analyze verify"
	fi
done
if systemd-analyze security --offline=true "$T/system/gvt-streamd.service" >"$T/sec.log" 2>&1; then :; fi
score=$(grep -o "Overall exposure level for gvt-streamd.service: .*" "$T/sec.log")
if [ -n "$score" ]; then
	echo "ok - system unit: $score"
else
	echo "not ok - systemd-analyze security --offline: $(tail -3 "$T/sec.log")"; fails=$((fails + 1))
fi
if command -v xmllint >/dev/null; then
	xmllint --noout "$src/packaging/dbus/org.gvtdmabuf.Streamd1.conf" && echo "ok - D-Bus policy is well-formed XML" ||
		{ echo "not ok - D-Bus policy XML"; fails=$((fails + 1)); }
fi
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers --dry-run --root="$T" "$src/packaging/sysusers/gvt-streamd.conf" >"$T/su.log" 2>&1 &&
		echo "ok - sysusers entry parses" || { echo "not ok - sysusers: $(cat "$T/su.log")"; fails=$((fails + 1)); }
fi
[ $fails -eq 0 ]
