#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Copy the sim spec help of libgvtdmabuf ('gvt-dmabuf help device') into the
# DEVICE section of gvt-dmabuf.1, between the SIM-SPEC markers.  The unit
# test tool-cli fails when the two differ: run this after changing
# gvtdmabuf_sim_spec_help().
#
# Usage: doc/update-sim-spec.sh BUILDDIR/service/tool/gvt-dmabuf [doc/gvt-dmabuf.1]
set -eu

tool=${1:?usage: update-sim-spec.sh PATH/TO/gvt-dmabuf [MANPAGE]}
man=${2:-$(dirname "$0")/gvt-dmabuf.1}
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.block"' EXIT

# The first two lines are the tool's own preamble.  Escape roff: backslash
# first, then hyphens (so they print as hyphen-minus), then a leading dot
# or quote.
{
	echo '.RS'
	echo '.nf'
	"$tool" help device | tail -n +3 |
		sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
	echo '.fi'
	echo '.RE'
} >"$tmp.block"

awk -v block="$tmp.block" '
	/^\.\\" SIM-SPEC-BEGIN/ { print; while ((getline l < block) > 0) print l; skip = 1; next }
	/^\.\\" SIM-SPEC-END/ { skip = 0 }
	!skip { print }
' "$man" >"$tmp"
cat "$tmp" >"$man"
