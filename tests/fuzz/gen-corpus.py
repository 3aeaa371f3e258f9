#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz-decoder (see the input layout there):
register files of valid surfaces, so the fuzzer starts next to the edges."""
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

outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
os.makedirs(outdir, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(outdir, name), 'wb') as f:
        f.write(data)
