#!/bin/sh
# SPDX-License-Identifier: MIT
# Build vguest.bin, a freestanding x86-64 Multiboot image (see vguest.c).
#
#   build.sh CC SRCDIR OUT
set -eu
cc=$1 src=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags="-O2 -std=gnu11 -ffreestanding -fno-builtin -fno-stack-protector -mno-red-zone
	-fno-pic -fno-pie -mcmodel=small -fcf-protection=none
	-I$src/lib -I$src/kernel -I/usr/include/libdrm"
# shellcheck disable=SC2086
$cc $cflags -c "$src/tests/qemu/vguest/vguest.c" -o "$tmp/vguest.o"
# shellcheck disable=SC2086
$cc $cflags -c "$src/lib/guest-model.c" -o "$tmp/guest-model.o"
$cc -c "$src/tests/qemu/vguest/boot.S" -o "$tmp/boot.o"
ld -nostdlib -static -z noexecstack -T "$src/tests/qemu/vguest/link.ld" \
	-o "$tmp/vguest.elf" "$tmp/boot.o" "$tmp/vguest.o" "$tmp/guest-model.o"
objcopy -O binary "$tmp/vguest.elf" "$out"
