#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a libFuzzer target with clang straight from the sources (the
# project compiler is gcc) and run it for ${FUZZ_SECONDS:-30} seconds over
# its committed seed corpus (corpus/TARGET/).  Exit 77 (skip) without clang
# or its fuzzer runtime.
#
# usage: run-fuzz.sh TARGET [OUTDIR]
#   TARGET  decoder (gvtsim_decode_plane), sim (sim backend ioctls, spec) or
#           spec (the sim spec parser alone, on any bytes)
#   OUTDIR  binary, new inputs and crash-* files; default a temp dir
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
clang=${CLANG:-clang}
seconds=${FUZZ_SECONDS:-30}

if ! command -v "$clang" >/dev/null 2>&1; then
	echo "SKIP: $clang not found (apt-get install clang)"
	exit 77
fi
resdir=$("$clang" -print-resource-dir)
arch=$(uname -m)
if [ ! -e "$resdir/lib/linux/libclang_rt.fuzzer-$arch.a" ]; then
	echo "SKIP: clang's libFuzzer runtime is missing (apt-get install libclang-rt-dev or libclang-rt-14-dev)"
	exit 77
fi

target=${1:-decoder}
out=${2:-}
case "$target" in
decoder)
	srcs="$here/fuzz-decoder.c $src/kernel/gvtsim_fb_decoder.c"
	incs="-I$src/kernel -I$src/include"
	libs=""
	;;
sim)
	srcs="$here/fuzz-sim.c $src/lib/sim.c $src/lib/sim-spec.c $src/lib/guest-model-*.c $src/lib/context.c $src/kernel/gvtsim_fb_decoder.c"
	incs="-I$src/lib -I$src/include -I$src/kernel"
	libs="-lpthread"
	;;
spec)
	srcs="$here/fuzz-spec.c $src/lib/sim-spec.c $src/lib/guest-model-layout.c $src/lib/context.c"
	incs="-I$src/lib -I$src/include -I$src/kernel"
	libs=""
	;;
*)
	echo "unknown target '$target' (decoder, sim, spec)" >&2
	exit 2
	;;
esac

if [ -z "$out" ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out/new-inputs"

drm_cflags=$(pkg-config --cflags libdrm)
# shellcheck disable=SC2086
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -std=gnu11 \
	$incs $drm_cflags $srcs $libs -o "$out/fuzz-$target"

# New inputs go to the first (scratch) directory; the committed corpus is
# only read.  Crashes land in $out as crash-*.
cd "$out"
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"./fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 "$out/new-inputs" "$here/corpus/$target"
