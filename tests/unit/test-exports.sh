#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The shared library exports exactly what the version script lists, the
# version script is sorted, and it lists exactly the functions of the
# public header (libinput's check, done with nm).
#
# usage: test-exports.sh LIBGVTDMABUF.so libgvtdmabuf.sym gvt-dmabuf.h
set -eu

lib=$1
sym=$2
header=$3

if ! command -v nm >/dev/null 2>&1; then
	echo "SKIP: nm (binutils) not installed"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols that are code or data (not the version node,
# which nm shows as an absolute symbol).
nm -D --defined-only "$lib" | awk '$2 ~ /^[TtDdBbRrVWi]$/ { sub(/@.*/, "", $3); print $3 }' \
	| sort -u > "$tmp/exported"
# Names in the global: section of the version script.
sed -n '/global:/,/local:/p' "$sym" | sed -n 's/^[[:space:]]*\([A-Za-z0-9_]*\);.*/\1/p' \
	> "$tmp/listed"
sort -u "$tmp/listed" > "$tmp/listed.sorted"
# Function declarations of the public header (names followed by "(").
sed 's:/\*.*\*/::; /^[[:space:]]*\*/d; /^[[:space:]]*\/\*/d' "$header" \
	| grep -o 'gvtdmabuf_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:]]*(//' \
	| sort -u > "$tmp/declared"

fail=0
if ! cmp -s "$tmp/listed" "$tmp/listed.sorted"; then
	echo "FAIL: $sym is not sorted (or has duplicates):"
	diff "$tmp/listed" "$tmp/listed.sorted" || true
	fail=1
fi
missing=$(comm -13 "$tmp/exported" "$tmp/listed.sorted")
extra=$(comm -23 "$tmp/exported" "$tmp/listed.sorted")
if [ -n "$missing" ]; then
	echo "FAIL: listed in $(basename "$sym") but not exported by $(basename "$lib") (GVTDMABUF_EXPORT missing or not implemented):"
	echo "$missing" | sed 's/^/  /'
	fail=1
fi
if [ -n "$extra" ]; then
	echo "FAIL: exported by $(basename "$lib") but not listed in $(basename "$sym"):"
	echo "$extra" | sed 's/^/  /'
	fail=1
fi
undeclared=$(comm -23 "$tmp/listed.sorted" "$tmp/declared")
unlisted=$(comm -13 "$tmp/listed.sorted" "$tmp/declared")
if [ -n "$undeclared" ]; then
	echo "FAIL: listed in $(basename "$sym") but not declared in $(basename "$header"):"
	echo "$undeclared" | sed 's/^/  /'
	fail=1
fi
if [ -n "$unlisted" ]; then
	echo "FAIL: declared in $(basename "$header") but not listed in $(basename "$sym"):"
	echo "$unlisted" | sed 's/^/  /'
	fail=1
fi
if [ "$fail" = 0 ]; then
	echo "OK: $(wc -l < "$tmp/exported") symbols exported, listed and declared"
fi
exit $fail
