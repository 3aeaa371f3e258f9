/* SPDX-License-Identifier: MIT */
/*
 * The guest model's painter (see guest-model.h).
 *
 * The painter builds the rows scene_row() defines, faster (paint_row(): a
 * vectorised background from a per-column table, windows copied from row
 * patterns made once per mode, span fills for the block code), one tile
 * row (band) at a time, and then scatters the band into the tiled layout
 * in whole 512-byte (X) or 16-byte (Y, Yf) spans.  test-guest-model
 * compares every painted pixel with the expected values, in every format
 * and tiling.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "gvtsim_hw.h"
#include "guest-model.h"
#include "guest-model-private.h"

/* ---- the live guest -------------------------------------------------- */

/* Window row patterns, made once per mode: for each window its four kinds
 * of rows (kind * width + lx), as scene_row() colours them. */
enum { WROW_FRAME, WROW_TITLE, WROW_BODY0, WROW_BODY1, N_WROWS };

static size_t win_rows_size(uint32_t w)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < N_WINDOWS; i++)
		n += (size_t)N_WROWS * window_w(w, i);
	return n;
}

static void init_win_rows(uint32_t *rows, uint32_t w)
{
	unsigned int i;
	uint32_t lx;

	for (i = 0; i < N_WINDOWS; i++) {
		uint32_t ww = window_w(w, i);

		for (lx = 0; lx < ww; lx++) {
			bool edge = lx < BORDER || lx >= ww - BORDER;
			bool dark = (lx >> 3) & 1;

			rows[WROW_FRAME * ww + lx] = FRAME;
			rows[WROW_TITLE * ww + lx] = edge ? FRAME : win_title[i];
			/* body phase p for (ly >> 3) & 1 == p */
			rows[WROW_BODY0 * ww + lx] = edge ? FRAME : dark ? win_body_dark[i] : win_body[i];
			rows[WROW_BODY1 * ww + lx] = edge ? FRAME : dark ? win_body[i] : win_body_dark[i];
		}
		rows += (size_t)N_WROWS * ww;
	}
}

int gvtsim_guest_init(struct gvtsim_guest *g, const struct gvtsim_guest_config *cfg,
		      gvtsim_guest_write_reg_fn write_reg,
		      gvtsim_guest_read_reg_fn read_reg, void *user,
		      void *gm, uint64_t gm_size)
{
	struct gvtsim_guest_layout layout;
	uint8_t *band = NULL;
	uint32_t *argb_row = NULL, *bg_base = NULL, *win_rows = NULL;
	uint32_t x;
	int ret;

	ret = gvtsim_guest_compute_layout(cfg, &layout);
	if (ret)
		goto error;
	if (!write_reg || !gm || gm_size < layout.gm_size) {
		ret = -EINVAL;
		goto error;
	}
	/* calloc: the padding at the end of each band row stays zero */
	band = calloc(layout.tile_height, layout.stride);
	argb_row = calloc(cfg->width, sizeof(*argb_row));
	bg_base = calloc(cfg->width, sizeof(*bg_base));
	win_rows = calloc(win_rows_size(cfg->width), sizeof(*win_rows));
	if (!band || !argb_row || !bg_base || !win_rows) {
		ret = -ENOMEM;
		goto error;
	}
	/* scene_row()'s red ramp (x * rstep as it accumulates) and x's low
	 * byte, to which paint_row() adds the row's blue offset */
	for (x = 0; x < cfg->width; x++)
		bg_base[x] = (((x * ((255u << 16) / (cfg->width - 1))) >> 16) << 16) | (x & 0xffu);
	init_win_rows(win_rows, cfg->width);

	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	g->layout = layout;
	g->write_reg = write_reg;
	g->read_reg = read_reg;
	g->user = user;
	g->gm = gm;
	g->gm_size = gm_size;
	g->band = band;
	g->argb_row = argb_row;
	g->bg_base = bg_base;
	g->win_rows = win_rows;
	return 0;

error:
	free(band);
	free(argb_row);
	free(bg_base);
	free(win_rows);
	return ret;
}

void gvtsim_guest_finish(struct gvtsim_guest *g)
{
	if (!g)
		return;
	free(g->band);
	free(g->argb_row);
	free(g->bg_base);
	free(g->win_rows);
	g->band = NULL;
	g->argb_row = NULL;
	g->bg_base = NULL;
	g->win_rows = NULL;
}

unsigned int gvtsim_guest_buffer_of(const struct gvtsim_guest *g, uint64_t frame)
{
	return (unsigned int)(frame % g->cfg.n_buffers);
}

/* Four pixels at a time; GCC and clang turn this into SSE2/NEON (GCC's
 * -O2 does not vectorise loops of unknown length by itself). */
typedef uint32_t v4u32 __attribute__((vector_size(16)));
typedef int32_t v4i32 __attribute__((vector_size(16)));

static void fill32(uint32_t *p, uint32_t n, uint32_t v)
{
	const v4u32 vv = { v, v, v, v };
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		memcpy(p + i, &vv, sizeof(vv));
	for (; i < n; i++)
		p[i] = v;
}

/* scene_row() of a whole row y, as ARGB8888 into out[0 .. width). */
static void paint_row(const struct gvtsim_guest *g, const struct scene *s, uint16_t crc,
		      uint32_t y, uint32_t *out)
{
	const uint32_t w = s->w;
	const uint32_t gb = 0xff000000u | (((y * s->gstep) >> 16) << 8);
	const uint32_t c8 = (y + s->bshift) & 0xffu;
	const v4u32 vgb = { gb, gb, gb, gb }, vc = { c8, c8, c8, c8 };
	const v4u32 vmask = { 0x00ff00ffu, 0x00ff00ffu, 0x00ff00ffu, 0x00ff00ffu };
	const uint32_t *rows = g->win_rows;
	uint32_t x, i;

	/* background: red | ((x + y + bshift) & 0xff) from the per-column
	 * table (the low byte's carry lands in the masked-off green byte) */
	for (x = 0; x + 4 <= w; x += 4) {
		v4u32 v;

		memcpy(&v, g->bg_base + x, sizeof(v));
		v = ((v + vc) & vmask) | vgb;
		memcpy(out + x, &v, sizeof(v));
	}
	for (; x < w; x++)
		out[x] = ((g->bg_base[x] + c8) & 0x00ff00ffu) | gb;

	/* windows in stacking order, each row a copy of its pattern */
	for (i = 0; i < N_WINDOWS; i++) {
		const struct window *wi = &s->win[i];
		uint32_t ly, kind;

		if (y >= wi->y && y < wi->y + wi->h) {
			ly = y - wi->y;
			if (ly < BORDER || ly >= wi->h - BORDER)
				kind = WROW_FRAME;
			else if (ly < TITLE_HEIGHT)
				kind = WROW_TITLE;
			else
				kind = WROW_BODY0 + ((ly >> 3) & 1);
			memcpy(out + wi->x, rows + (size_t)kind * wi->w, (size_t)wi->w * 4);
		}
		rows += (size_t)N_WROWS * wi->w;
	}

	if (y < GVTSIM_BLOCKCODE_HEIGHT) {
		uint32_t row = y / GVTSIM_BLOCKCODE_CELL, col;

		for (col = 0; col < GVTSIM_BLOCKCODE_COLS; col++)
			fill32(out + col * GVTSIM_BLOCKCODE_CELL, GVTSIM_BLOCKCODE_CELL,
			       blockcode_cell(s->frame, s->time_us, crc, col, row) ? WHITE : BLACK);
	}
}

/* dst[0 .. 512) = src[0 .. 512) in 16-byte moves: GCC expands a memcpy of
 * a constant 512 bytes into "rep movsq", several times slower here. */
static void copy512(uint8_t *dst, const uint8_t *src)
{
	v4u32 a, b, c, d;
	uint32_t i;

	for (i = 0; i < 512; i += 64) {
		memcpy(&a, src + i, 16);
		memcpy(&b, src + i + 16, 16);
		memcpy(&c, src + i + 32, 16);
		memcpy(&d, src + i + 48, 16);
		memcpy(dst + i, &a, 16);
		memcpy(dst + i + 16, &b, 16);
		memcpy(dst + i + 32, &c, 16);
		memcpy(dst + i + 48, &d, 16);
	}
}

/* convert_row() for the painter, 4 pixels at a time where the format
 * allows (the same integer arithmetic; test-guest-model compares every
 * painted pixel with the expected values in every format). */
static void convert_row_fast(uint32_t fourcc, const uint32_t *argb, uint32_t n, uint8_t *dst)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const v4u32 ff = { 0xff, 0xff, 0xff, 0xff };
	const v4u32 ag = { 0xff00ff00u, 0xff00ff00u, 0xff00ff00u, 0xff00ff00u };
	const v4u32 x2 = { 3u << 30, 3u << 30, 3u << 30, 3u << 30 };
	const v4u32 m565r = { 0xf800, 0xf800, 0xf800, 0xf800 };
	const v4u32 m565g = { 0x07e0, 0x07e0, 0x07e0, 0x07e0 };
	const v4u32 m565b = { 0x001f, 0x001f, 0x001f, 0x001f };
	uint32_t x = 0;

	switch (fourcc) {
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		for (; x + 4 <= n; x += 4) {
			v4u32 v;

			memcpy(&v, argb + x, sizeof(v));
			v = (v & ag) | ((v >> 16) & ff) | ((v & ff) << 16);
			memcpy(dst + 4 * x, &v, sizeof(v));
		}
		break;
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_XBGR2101010:
		for (; x + 4 <= n; x += 4) {
			v4u32 v, r, g, b;

			memcpy(&v, argb + x, sizeof(v));
			r = (v >> 16) & ff;
			g = (v >> 8) & ff;
			b = v & ff;
			/* to_10(): bit replication */
			r = (r << 2) | (r >> 6);
			g = (g << 2) | (g >> 6);
			b = (b << 2) | (b >> 6);
			if (fourcc == DRM_FORMAT_XRGB2101010)
				v = x2 | (r << 20) | (g << 10) | b;
			else
				v = x2 | (b << 20) | (g << 10) | r;
			memcpy(dst + 4 * x, &v, sizeof(v));
		}
		break;
	case DRM_FORMAT_RGB565:
		for (; x + 4 <= n; x += 4) {
			v4u32 v;
			uint32_t lo, hi;

			memcpy(&v, argb + x, sizeof(v));
			v = ((v >> 8) & m565r) | ((v >> 5) & m565g) | ((v >> 3) & m565b);
			lo = v[0] | v[1] << 16;
			hi = v[2] | v[3] << 16;
			memcpy(dst + 2 * x, &lo, sizeof(lo));
			memcpy(dst + 2 * x + 4, &hi, sizeof(hi));
		}
		break;
	case DRM_FORMAT_YUYV:
		for (; x + 4 <= n; x += 4) {
			/* rgb_to_yuv() of every pixel; a pair keeps both lumas
			 * and the even pixel's chroma */
			v4i32 v, r, g, b, y, u, w;
			uint32_t p0, p1;

			memcpy(&v, argb + x, sizeof(v));
			r = (v >> 16) & 0xff;
			g = (v >> 8) & 0xff;
			b = v & 0xff;
			y = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) & 0xff;
			u = ((-38 * r - 74 * g + 112 * b + 128 + (128 << 8)) >> 8) & 0xff;
			w = ((112 * r - 94 * g - 18 * b + 128 + (128 << 8)) >> 8) & 0xff;
			p0 = (uint32_t)(y[0] | u[0] << 8 | y[1] << 16) | (uint32_t)w[0] << 24;
			p1 = (uint32_t)(y[2] | u[2] << 8 | y[3] << 16) | (uint32_t)w[2] << 24;
			memcpy(dst + 2 * x, &p0, sizeof(p0));
			memcpy(dst + 2 * x + 4, &p1, sizeof(p1));
		}
		break;
	default:
		break;
	}
	/* the rest (fewer than 4 pixels, or a format done here as before) */
	if (x < n)
		convert_row(fourcc, argb + x, n - x, dst + (size_t)x * format_cpp(fourcc));
#else
	convert_row(fourcc, argb, n, dst);
#endif
}

/* Scatter the band's n rows (of tile row y0 / tile_height) into the
 * framebuffer fb in the tiled layout (no bit-6 swizzling: the vGPU has
 * none), in whole spans: destination tiles are written in order. */
static void store_band(struct gvtsim_guest *g, uint8_t *fb, uint32_t y0, uint32_t n)
{
	const uint32_t stride = g->layout.stride;
	const uint8_t *band = g->band;
	uint8_t *base = fb + (size_t)y0 * stride;	/* y0 starts a tile row */
	uint64_t mod = g->cfg.modifier;
	uint32_t t, c, r;

	if (mod == I915_FORMAT_MOD_X_TILED) {
		/* 512 bytes x 8 rows per 4 KiB tile */
		for (t = 0; t < stride / 512; t++)
			for (r = 0; r < n; r++)
				copy512(base + (size_t)t * 4096 + r * 512u,
					band + (size_t)r * stride + t * 512u);
	} else if (mod == I915_FORMAT_MOD_Y_TILED) {
		/* 128 bytes x 32 rows per tile, stored as 8 columns of
		 * 16-byte x 32-row OWord stacks */
		for (t = 0; t < stride / 128; t++) {
			for (c = 0; c < 8; c++) {
				uint8_t *d = base + (size_t)t * 4096 + c * 512u;
				const uint8_t *src = band + t * 128u + c * 16u;

				for (r = 0; r < n; r++)
					memcpy(d + r * 16u, src + (size_t)r * stride, 16);
			}
		}
	} else {
		/* Yf: 128 bytes x 32 rows; above the low 4 bits (x within the
		 * OWord) the address bits 4..11 interleave y0 y1 y2 x0 y3 x1
		 * y4 x2 (x in OWords; gmmlib's INTEL_TILE_YF_32/16) */
		for (t = 0; t < stride / 128; t++) {
			for (c = 0; c < 8; c++) {
				uint32_t xbits = (c & 1u) << 7 | ((c >> 1) & 1u) << 9 |
						 ((c >> 2) & 1u) << 11;
				uint8_t *d = base + (size_t)t * 4096 + xbits;
				const uint8_t *src = band + t * 128u + c * 16u;

				for (r = 0; r < n; r++) {
					uint32_t ybits = (r & 7u) << 4 | ((r >> 3) & 1u) << 8 |
							 ((r >> 4) & 1u) << 10;

					memcpy(d + ybits, src + (size_t)r * stride, 16);
				}
			}
		}
	}
}

void gvtsim_guest_paint(struct gvtsim_guest *g, uint64_t frame, uint64_t time_us)
{
	const struct gvtsim_guest_layout *l = &g->layout;
	const struct gvtsim_guest_config *cfg = &g->cfg;
	uint8_t *fb = g->gm + l->fb_offset[gvtsim_guest_buffer_of(g, frame)];
	const bool linear = cfg->modifier == DRM_FORMAT_MOD_LINEAR;
	const bool direct = native_is_argb(cfg->fourcc);
	const size_t row_bytes = (size_t)cfg->width * l->cpp;
	uint16_t crc = blockcode_crc(frame, time_us);
	struct scene s;
	uint32_t y0, r, n;

	scene_init(&s, cfg, frame, time_us);
	for (y0 = 0; y0 < cfg->height; y0 += l->tile_height) {
		n = cfg->height - y0 < l->tile_height ? cfg->height - y0 : l->tile_height;
		for (r = 0; r < n; r++) {
			/* linear rows go straight to the framebuffer, tiled
			 * ones to the band; both aligned for uint32_t */
			uint8_t *dst = linear ? fb + (size_t)(y0 + r) * l->stride :
						g->band + (size_t)r * l->stride;

			if (direct) {
				paint_row(g, &s, crc, y0 + r, (uint32_t *)(void *)dst);
			} else {
				paint_row(g, &s, crc, y0 + r, g->argb_row);
				convert_row_fast(cfg->fourcc, g->argb_row, cfg->width, dst);
			}
			/* the padding of a row is zero, whatever was there */
			if (linear && l->stride > row_bytes)
				memset(dst + row_bytes, 0, l->stride - row_bytes);
		}
		if (!linear)
			store_band(g, fb, y0, n);
	}
}
