#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora (see the input layouts in fuzz-*.c): for the
decoder, register files of valid surfaces, so the fuzzer starts next to the
edges; for the sim, option strings and ioctl sequences that succeed."""
import os
import struct
import sys

# indices into interesting_regs[] of fuzz-decoder.c
PIPECONF, PIPESRC = 0, 1
CTL1, STRIDE1, POS1, SIZE1, SURF1, OFFSET1 = 2, 3, 4, 5, 6, 7
CTL2, STRIDE2, POS2, SIZE2, SURF2, OFFSET2 = 8, 9, 10, 11, 12, 13
CURCNTR, CURBASE, CURPOS = 16, 17, 18


def seed(gen8=False, truncated=False, gm_pages=16384, maxw=0, maxh=0, mmio=0, regs=()):
    out = struct.pack('<BIHH', (1 if gen8 else 0) | (2 if truncated else 0), gm_pages, maxw, maxh)
    out += struct.pack('<I', mmio)[:3]
    for idx, val in regs:
        out += struct.pack('<BI', idx, val & 0xffffffff)
    return out


def pipe(w, h):
    return [(PIPECONF, 1 << 31), (PIPESRC, ((w - 1) << 16) | (h - 1))]


seeds = {
    'gen9-linear-xrgb': seed(regs=pipe(1280, 720) + [(CTL1, 1 << 31 | 4 << 24), (STRIDE1, 80), (SURF1, 0x100000)]),
    'gen9-xtiled-argb': seed(regs=pipe(1920, 1080) + [(CTL1, 1 << 31 | 4 << 24 | 1 << 10 | 2 << 4), (STRIDE1, 15), (SURF1, 0)]),
    'gen9-ytiled-565': seed(regs=pipe(1366, 768) + [(CTL1, 1 << 31 | 0xe << 24 | 4 << 10), (STRIDE1, 22), (SURF1, 0x2000000)]),
    'gen9-yuyv-yf': seed(regs=pipe(640, 480) + [(CTL1, 1 << 31 | 0 << 24 | 1 << 16 | 5 << 10), (STRIDE1, 10), (SURF1, 0x3000)]),
    'gen9-edge-of-gm': seed(gm_pages=225, regs=pipe(1280, 720) + [(CTL1, 1 << 31 | 4 << 24), (STRIDE1, 80), (SURF1, 0)]),
    'gen9-maxmode': seed(maxw=1024, maxh=768, regs=pipe(1024, 768) + [(CTL1, 1 << 31 | 2 << 24 | 1 << 20), (STRIDE1, 64), (SURF1, 0)]),
    'cursor-negative': seed(regs=pipe(800, 600) + [(CURCNTR, 0x27), (CURBASE, 0x10000), (CURPOS, 0x8005 << 16 | 0x8007)]),
    'cursor-256': seed(regs=pipe(800, 600) + [(CURCNTR, 0x23), (CURBASE, 0x40000), (CURPOS, 300 << 16 | 200)]),
    'sprite-gen9': seed(regs=pipe(1280, 720) + [(CTL2, 1 << 31 | 4 << 24), (STRIDE2, 8), (POS2, 100 << 16 | 200), (SIZE2, 95 << 16 | 127), (SURF2, 0x200000)]),
    'gen8-linear': seed(gen8=True, regs=pipe(1280, 720) + [(CTL1, 1 << 31 | 6 << 26), (STRIDE1, 5120), (SURF1, 0)]),
    'gen8-xtiled-sprite': seed(gen8=True, regs=pipe(1280, 720) + [(CTL1, 1 << 31 | 0xe << 26 | 1 << 10), (STRIDE1, 5120), (SURF1, 0), (CTL2, 1 << 31 | 2 << 25), (STRIDE2, 512), (POS2, 0), (SIZE2, 47 << 16 | 127), (SURF2, 0x400000)]),
    'truncated': seed(truncated=True, mmio=0x70190, regs=pipe(1280, 720) + [(CTL1, 1 << 31 | 4 << 24), (STRIDE1, 80)]),
}


def sim_seed(opts, ops):
    tail = opts.encode()
    out = bytes([len(tail)]) + tail
    for op in ops:
        out += bytes(op).ljust(8, b'\0')
    return out


# ops: 0 query (args: mode bits, argsz/type u32, flags, type index),
# 1 get_dmabuf, 2 set_frame, 3 get_frame, 4 fds
QUERY_PRIMARY = [0, 0, 0, 0, 0, 0, 0, 0]
QUERY_CURSOR = [0, 0, 0, 0, 0, 0, 0, 1]
QUERY_SPRITE = [0, 0, 0, 0, 0, 0, 0, 2]
PROBE = [0, 0x40, 0, 0, 0, 0, 3, 0]
EXPORT = [1, 0, 0, 0, 0, 0, 0, 0]
sim_seeds = {
    'primary-export': sim_seed('xtiled', [QUERY_PRIMARY, EXPORT, [2, 1], QUERY_PRIMARY, EXPORT]),
    'cursor-sprite': sim_seed('sprite=on,cursor=128', [QUERY_CURSOR, EXPORT, QUERY_SPRITE, EXPORT, [3]]),
    'gen8': sim_seed('gen=8,xbgr8888,buffers=3', [PROBE, QUERY_PRIMARY, [2, 5], EXPORT, [4]]),
    'ytiled-565': sim_seed('ytiled,rgb565', [QUERY_PRIMARY, EXPORT]),
    'bad-spec': sim_seed('fps=0,', [QUERY_PRIMARY]),
}

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
for sub, entries in (('decoder', seeds), ('sim', sim_seeds)):
    outdir = os.path.join(root, sub)
    os.makedirs(outdir, exist_ok=True)
    for name, data in entries.items():
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)
