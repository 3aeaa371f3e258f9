#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build-only check: each installed header compiles on its own as strict
# C99 (and as C++ when a C++ compiler is around), so users are free to pick
# their language level.
#
# usage: test-headers.sh INCLUDE_DIR CC [CC ARGS...]
set -eu

incdir=$1
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
for h in gvt-dmabuf/gvt-dmabuf.h gvt-dmabuf/gvtsim-uapi.h; do
	src="$tmp/check.c"
	printf '#include <%s>\n#include <%s>\nint main(void) { return 0; }\n' "$h" "$h" > "$src"
	if "$@" -std=c99 -pedantic -Werror -Wall -Wextra -I"$incdir" -c "$src" -o "$tmp/check.o"; then
		echo "OK: $h (C99)"
	else
		echo "FAIL: $h does not compile as -std=c99 -pedantic -Werror -Wall -Wextra"
		fail=1
	fi
	if command -v c++ >/dev/null 2>&1; then
		cp "$src" "$tmp/check.cc"
		if c++ -std=c++11 -pedantic -Werror -Wall -Wextra -I"$incdir" -c "$tmp/check.cc" -o "$tmp/check.o"; then
			echo "OK: $h (C++11)"
		else
			echo "FAIL: $h does not compile as C++11"
			fail=1
		fi
	fi
done
exit $fail
