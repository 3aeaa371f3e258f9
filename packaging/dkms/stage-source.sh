#!/bin/sh
# SPDX-License-Identifier: MIT
# Lay out gvtsim's DKMS source tree: kernel/*.{c,h}, Kbuild, Makefile,
# dkms.conf and the uAPI header, flat, as packages install it into
# /usr/src/gvtsim-VERSION.
#
#   packaging/dkms/stage-source.sh DESTDIR     e.g. /usr/src/gvtsim-0.1.0
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DESTDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$1

mkdir -p "$dest"
cp "$top"/kernel/*.c "$top"/kernel/*.h "$top"/kernel/Kbuild \
   "$top"/kernel/Makefile "$top"/kernel/dkms.conf \
   "$top"/include/gvt-dmabuf/gvtsim-uapi.h "$dest"/
