/* SPDX-License-Identifier: MIT */
/*
 * CPU detiling of i915 surfaces (the fallback when an importer cannot take
 * the dma-buf as it is; reader.c reads mapped dma-bufs through it).
 *
 * Layouts (no bit-6 swizzling: GVT-g platforms, SKL and later, do not
 * swizzle).  Every tile is 4 KiB; tiles of one tile row follow each other,
 * tile rows are src_stride * tile height bytes apart.
 *   X:  512 B x 8 rows, each row's 512 bytes contiguous.
 *   Y:  128 B x 32 rows, made of 16-byte columns (OWORDs) of 32 rows:
 *       offset = (x / 16) * 512 + y * 16 + x % 16.
 *   Yf: the Gen9 "standard" 4 KiB tile.  Its shape depends on the pixel
 *       size; its low 4 address bits are x bits 0-3 as in Y, the next 8
 *       interleave x and y (Intel's gmmlib INTEL_TILE_YF_* patterns):
 *         cpp 1:     64 B x 64 rows,  bits 4..11 = y y y y y x y x
 *         cpp 2, 4: 128 B x 32 rows,  bits 4..11 = y y y x y x y x
 *         cpp 8:    256 B x 16 rows,  bits 4..11 = y y x x y x y x
 *       Y fits the same scheme with bits 4..11 = y y y y y x x x.
 * So Y and Yf are both copied 16 bytes at a time, Yf through a per-tile
 * table of OWORD offsets built from its pattern.
 */
#include <errno.h>
#include <string.h>
#include <drm_fourcc.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "backend.h"

#define TILE_SIZE 4096u
#define OWORD 16u

enum tile_kind {
	TILE_LINEAR,
	TILE_X,
	TILE_Y,		/* 16-byte columns of 32 rows */
	TILE_OWORD,	/* Yf: table of 16-byte column offsets */
};

struct tile_layout {
	enum tile_kind kind;
	uint32_t width;		/* bytes */
	uint32_t height;	/* rows */
	/* Yf tiles: address bits 4..11, least significant first */
	const char *pattern;
};

/* Streaming (non-temporal) stores pay off once the output outgrows the
 * caches: full lines go out without being read for ownership first.
 * Small outputs (cursors, thumbnails) are better left warm in the cache.
 * (glibc's memcpy streams only far above a frame's size, so it is no
 * baseline for this: bench-detile compares with a copy that streams above
 * the same threshold, on cold caches.) */
#ifndef STREAM_MIN_BYTES
#define STREAM_MIN_BYTES (2u << 20)
#endif

static inline void copy16(uint8_t *dst, const uint8_t *src, bool stream)
{
#if defined(__SSE2__)
	__m128i v = _mm_loadu_si128((const __m128i *)src);

	if (stream)
		_mm_stream_si128((__m128i *)dst, v);
	else
		_mm_storeu_si128((__m128i *)dst, v);
#else
	memcpy(dst, src, OWORD);
#endif
}

/* Always inlined: left to the inliner, GCC 12 judged this wrapper "const"
 * and dropped its calls from walk_tiles' inlined copies as dead code. */
static inline __attribute__((always_inline)) void prefetch(const void *p)
{
#if defined(__SSE2__)
	_mm_prefetch((const char *)p, _MM_HINT_T0);
#else
	__builtin_prefetch(p);
#endif
}

static inline void stream_done(bool stream)
{
#if defined(__SSE2__)
	if (stream)
		_mm_sfence();
#endif
}

/* Constants, so that the X and Y loops are compiled for their fixed tile
 * sizes. */
static const struct tile_layout x_layout = { TILE_X, 512, 8, NULL };
static const struct tile_layout y_layout = { TILE_Y, 128, 32, NULL };

static int layout_for(uint64_t modifier, uint32_t cpp, struct tile_layout *ret)
{
	int r = 0;

	switch (modifier) {
	case DRM_FORMAT_MOD_LINEAR:
		*ret = (struct tile_layout){ TILE_LINEAR, 1, 1, NULL };
		break;
	case I915_FORMAT_MOD_X_TILED:
		*ret = x_layout;
		break;
	case I915_FORMAT_MOD_Y_TILED:
		*ret = y_layout;
		break;
	case I915_FORMAT_MOD_Yf_TILED:
		if (cpp == 1)
			*ret = (struct tile_layout){ TILE_OWORD, 64, 64, "yyyyyxyx" };
		else if (cpp == 2 || cpp == 4)
			*ret = (struct tile_layout){ TILE_OWORD, 128, 32, "yyyxyxyx" };
		else
			*ret = (struct tile_layout){ TILE_OWORD, 256, 16, "yyxxyxyx" };
		break;
	default:
		r = -ENOTSUP;
		break;
	}
	return r;
}

/* Fill off[row * (width / 16) + col] with the byte offset of OWORD col of
 * row in the tile, by depositing the x (col) and y (row) bits where the
 * pattern says. */
static void build_oword_table(const struct tile_layout *l, uint16_t *off)
{
	uint32_t cols = l->width / OWORD;
	uint32_t row, col;

	for (row = 0; row < l->height; row++) {
		for (col = 0; col < cols; col++) {
			uint32_t x = col, y = row, o = 0;
			unsigned int bit;

			for (bit = 0; bit < 8; bit++) {
				uint32_t v;

				if (l->pattern[bit] == 'x') {
					v = x & 1;
					x >>= 1;
				} else {
					v = y & 1;
					y >>= 1;
				}
				o |= v << (4 + bit);
			}
			off[row * cols + col] = (uint16_t)o;
		}
	}
}

static void detile_linear(const uint8_t *src, uint32_t src_stride,
			  uint32_t row_bytes, uint32_t height,
			  uint8_t *dst, uint32_t dst_stride)
{
	uint32_t y;

	for (y = 0; y < height; y++)
		memcpy(dst + (size_t)y * dst_stride,
		       src + (size_t)y * src_stride, row_bytes);
}

/* A tiling's copier: row r of the tile at tile, its first n bytes, to d. */
typedef void copy_row_fn(const struct tile_layout *l, const uint16_t *off,
			 const uint8_t *tile, uint32_t r, uint8_t *d,
			 uint32_t n, bool stream);

/*
 * The walk over the tiles shared by X, Y and Yf: tiles of a tile row are
 * copied one after the other, so the source is read in order, 4 KiB at a
 * time, and while a tile's rows are written out the next tile is
 * prefetched a slice per row (the hardware prefetcher does not follow the
 * jumps between tile rows by itself).  Always inlined, so that copy_row
 * and the layout are constants in each tiling's loop.
 */
static inline __attribute__((always_inline)) void
walk_tiles(const struct tile_layout *l, const uint16_t *off,
	   copy_row_fn *copy_row, const uint8_t *src, uint32_t src_stride,
	   uint32_t row_bytes, uint32_t height,
	   uint8_t *dst, uint32_t dst_stride, bool stream)
{
	/* A local copy: the stores to dst could alias *l, this cannot, so
	 * the layout stays in registers through the loops. */
	const struct tile_layout lc = *l;
	const uint32_t tw = lc.width, th = lc.height;
	const uint32_t pf_slice = TILE_SIZE / th;	/* next tile's bytes per row */
	uint32_t n_cols = (row_bytes + tw - 1) / tw;
	uint32_t ty, col, r, k;

	for (ty = 0; ty * th < height; ty++) {
		const uint8_t *tile_row = src + (size_t)ty * th * src_stride;
		uint32_t rows = height - ty * th < th ? height - ty * th : th;
		uint8_t *drow = dst + (size_t)ty * th * dst_stride;

		for (col = 0; col < n_cols; col++) {
			const uint8_t *tile = tile_row + (size_t)col * TILE_SIZE;
			uint32_t x0 = col * tw;
			uint32_t n = row_bytes - x0 < tw ? row_bytes - x0 : tw;
			bool last = col + 1 == n_cols;

			for (r = 0; r < rows; r++) {
				uint8_t *d = drow + (size_t)r * dst_stride + x0;

				if (!last)
					for (k = 0; k < pf_slice; k += 64)
						prefetch(tile + TILE_SIZE + r * pf_slice + k);
				copy_row(&lc, off, tile, r, d, n, stream);
			}
		}
	}
	stream_done(stream);
}

/* X: each tile row's 512 bytes are contiguous in the source. */
static inline __attribute__((always_inline)) void
copy_row_x(const struct tile_layout *l, const uint16_t *off,
	   const uint8_t *tile, uint32_t r, uint8_t *d, uint32_t n, bool stream)
{
	const uint8_t *s = tile + r * l->width;
	uint32_t full = n / OWORD, tail = n % OWORD, k;

	if (!stream) {
		memcpy(d, s, n);
		return;
	}
	for (k = 0; k < full; k++)
		copy16(d + k * OWORD, s + k * OWORD, true);
	if (tail)
		memcpy(d + full * OWORD, s + full * OWORD, tail);
}

/* Y: OWORD k of row r is at k * 512 + r * 16 (what the table would say
 * for Y's pattern); with constant offsets the compiler unrolls a whole
 * row's 8 columns. */
static inline __attribute__((always_inline)) void
copy_row_y(const struct tile_layout *l, const uint16_t *off,
	   const uint8_t *tile, uint32_t r, uint8_t *d, uint32_t n, bool stream)
{
	const uint32_t col_bytes = OWORD * 32;	/* one column of the tile */
	const uint8_t *s = tile + r * OWORD;
	uint32_t full = n / OWORD, tail = n % OWORD, k;

	if (full == 8) {
		for (k = 0; k < 8; k++)
			copy16(d + k * OWORD, s + k * col_bytes, stream);
		return;
	}
	for (k = 0; k < full; k++)
		copy16(d + k * OWORD, s + k * col_bytes, stream);
	if (tail)
		memcpy(d + full * OWORD, s + full * col_bytes, tail);
}

/* Yf: 16 bytes at a time through the offset table. */
static inline __attribute__((always_inline)) void
copy_row_oword(const struct tile_layout *l, const uint16_t *off,
	       const uint8_t *tile, uint32_t r, uint8_t *d, uint32_t n,
	       bool stream)
{
	const uint16_t *o = off + r * (l->width / OWORD);
	uint32_t full = n / OWORD, tail = n % OWORD, k;

	for (k = 0; k < full; k++)
		copy16(d + k * OWORD, tile + o[k], stream);
	if (tail)
		memcpy(d + full * OWORD, tile + o[full], tail);
}

/* One function per tiling, each compiled with its own constant copier (and
 * for X and Y their constant tile sizes). */
static __attribute__((noinline)) void
detile_x(const uint8_t *src, uint32_t src_stride, uint32_t row_bytes,
	 uint32_t height, uint8_t *dst, uint32_t dst_stride, bool stream)
{
	walk_tiles(&x_layout, NULL, copy_row_x, src, src_stride, row_bytes,
		   height, dst, dst_stride, stream);
}

static __attribute__((noinline)) void
detile_y(const uint8_t *src, uint32_t src_stride, uint32_t row_bytes,
	 uint32_t height, uint8_t *dst, uint32_t dst_stride, bool stream)
{
	walk_tiles(&y_layout, NULL, copy_row_y, src, src_stride, row_bytes,
		   height, dst, dst_stride, stream);
}

static __attribute__((noinline)) void
detile_oword(const struct tile_layout *l, const uint16_t *off,
	     const uint8_t *src, uint32_t src_stride, uint32_t row_bytes,
	     uint32_t height, uint8_t *dst, uint32_t dst_stride, bool stream)
{
	walk_tiles(l, off, copy_row_oword, src, src_stride, row_bytes,
		   height, dst, dst_stride, stream);
}

/**
 * Convert a tiled surface to linear rows (CPU).
 *
 * The tiled source holds whole tiles: a tile row is src_stride * tile height
 * bytes, and only the tiles that hold requested pixels must lie within
 * src_size.  No bit-6 swizzling is applied (none on Gen9+).
 *
 * @param modifier DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED,
 *                 I915_FORMAT_MOD_Y_TILED or I915_FORMAT_MOD_Yf_TILED
 * @param cpp bytes per pixel (1, 2, 4 or 8)
 * @param src tiled source; src_stride bytes per tile row pitch
 * @param src_stride bytes per row, a multiple of the tile width
 * @param src_size bytes readable at src (checked: never read past it)
 * @param width,height pixels to convert (0 converts nothing)
 * @param dst,dst_stride linear destination, dst_stride >= width * cpp
 * @return 0, -ENOTSUP for an unknown modifier, -EINVAL for a NULL pointer,
 *         a cpp other than 1, 2, 4, 8, or geometry that does not fit
 *         (stride not a multiple of the tile width or narrower than a row,
 *         src too small)
 */
GVTDMABUF_EXPORT int gvtdmabuf_detile(uint64_t modifier, uint32_t cpp,
				      const void *src, uint32_t src_stride,
				      size_t src_size,
				      uint32_t width, uint32_t height,
				      void *dst, uint32_t dst_stride)
{
	uint16_t off[TILE_SIZE / OWORD];
	struct tile_layout l;
	uint64_t row_bytes, need, n_cols, tile_rows;
	bool stream;
	int r;

	r = layout_for(modifier, cpp, &l);
	if (r < 0)
		goto out;
	r = -EINVAL;
	if (!src || !dst || (cpp != 1 && cpp != 2 && cpp != 4 && cpp != 8))
		goto out;
	if (width == 0 || height == 0) {
		r = 0;
		goto out;
	}
	row_bytes = (uint64_t)width * cpp;
	if (row_bytes > UINT32_MAX || row_bytes > src_stride ||
	    row_bytes > dst_stride || src_stride % l.width != 0)
		goto out;
	/* Bytes read: up to the end of the last row (linear) or of the last
	 * needed tile of the last tile row.  With 32-bit inputs these 64-bit
	 * sums cannot wrap; checked anyway so they stay safe if types change. */
	if (l.kind == TILE_LINEAR) {
		if (__builtin_mul_overflow((uint64_t)(height - 1), src_stride, &need))
			goto out;
		need += row_bytes;
	} else {
		tile_rows = ((uint64_t)height + l.height - 1) / l.height;
		n_cols = (row_bytes + l.width - 1) / l.width;
		if (__builtin_mul_overflow((tile_rows - 1) * l.height,
					   (uint64_t)src_stride, &need))
			goto out;
		if (__builtin_add_overflow(need, n_cols * TILE_SIZE, &need))
			goto out;
	}
	if (need > src_size)
		goto out;
	/* The destination must be addressable too (matters on 32-bit). */
	if ((uint64_t)(height - 1) * dst_stride + row_bytes > SIZE_MAX)
		goto out;

	/* Streaming stores need 16-byte aligned destinations. */
	stream = row_bytes * height >= STREAM_MIN_BYTES &&
		 ((uintptr_t)dst % OWORD) == 0 && dst_stride % OWORD == 0;

	switch (l.kind) {
	case TILE_LINEAR:
		detile_linear(src, src_stride, (uint32_t)row_bytes, height,
			      dst, dst_stride);
		break;
	case TILE_X:
		detile_x(src, src_stride, (uint32_t)row_bytes, height,
			 dst, dst_stride, stream);
		break;
	case TILE_Y:
		detile_y(src, src_stride, (uint32_t)row_bytes, height,
			 dst, dst_stride, stream);
		break;
	case TILE_OWORD:
		build_oword_table(&l, off);
		detile_oword(&l, off, src, src_stride, (uint32_t)row_bytes,
			     height, dst, dst_stride, stream);
		break;
	}
	r = 0;
out:
	return r;
}
