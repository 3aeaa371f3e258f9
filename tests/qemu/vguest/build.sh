#!/bin/sh
# SPDX-License-Identifier: MIT
# Build vguest.bin, a freestanding x86-64 Multiboot image (see vguest.c),
# with the guest model's sources compiled in.
#
#   build.sh CC SRCDIR OUT GUEST_MODEL_SOURCE...
set -eu
cc=$1 src=$2 out=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags="-O2 -std=gnu11 -ffreestanding -fno-builtin -fno-stack-protector -mno-red-zone
	-fno-pic -fno-pie -mcmodel=small -fcf-protection=none
	-I$src/lib -I$src/kernel -I/usr/include/libdrm"
# shellcheck disable=SC2086
$cc $cflags -c "$src/tests/qemu/vguest/vguest.c" -o "$tmp/vguest.o"
objs="$tmp/vguest.o"
for f in "$@"; do
	o="$tmp/$(basename "$f" .c).o"
	# shellcheck disable=SC2086
	$cc $cflags -c "$f" -o "$o"
	objs="$objs $o"
done
$cc -c "$src/tests/qemu/vguest/boot.S" -o "$tmp/boot.o"
# shellcheck disable=SC2086
ld -nostdlib -static -z noexecstack -T "$src/tests/qemu/vguest/link.ld" \
	-o "$tmp/vguest.elf" "$tmp/boot.o" $objs
objcopy -O binary "$tmp/vguest.elf" "$out"
