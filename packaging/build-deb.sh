#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the Debian packages from a copy of the tree, with packaging/debian
# as debian/, so the checkout is never written to.
#
#   packaging/build-deb.sh OUTDIR     -> OUTDIR/*.deb, OUTDIR/build.log
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/gvt-dmabuf-$version
mkdir "$src"
# The working tree as git sees it (tracked and new files, no build dirs);
# a plain copy when this is not a git checkout.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

cd "$src"
if ! dpkg-checkbuilddeps 2>"$tmp/deps"; then
	cat "$tmp/deps" >&2
	exit 77
fi
export DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}"
if ! dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1; then
	tail -n 60 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed, full log in $out/build.log" >&2
	exit 1
fi
mv "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/
