/* SPDX-License-Identifier: MIT */
/*
 * The guest model's picture (see guest-model.h).
 *
 * The picture is defined one row at a time by scene_row() from a small
 * "scene" (window rectangles, gradient steps) computed once per frame;
 * scene_row() answers the per-pixel expected-value queries, including the
 * block code in the top-left corner that carries the frame number and
 * flip time, and the decoder that reads it back from a picture.
 *
 * Every pixel changes every frame (the background's blue ramp scrolls with
 * the frame number), so there is no damage to track: each frame is painted
 * whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "gvtsim_hw.h"
#include "guest-model.h"
#include "guest-model-private.h"

/* Triangle wave 0..range..0 with period 2 * range. */
static uint32_t tri(uint64_t t, uint32_t range)
{
	uint64_t p;

	if (range == 0)
		return 0;
	p = t % (2ull * range);
	return (uint32_t)(p < range ? p : 2ull * range - p);
}

/* ---- the picture ----------------------------------------------------- */
const uint32_t win_title[N_WINDOWS] = {
	ARGB(0x20, 0x40, 0x90), ARGB(0x90, 0x30, 0x30), ARGB(0x30, 0x80, 0x40),
};
const uint32_t win_body[N_WINDOWS] = {
	ARGB(0xe8, 0xe8, 0xf0), ARGB(0xf8, 0xe0, 0xc0), ARGB(0xd0, 0xf0, 0xd0),
};
const uint32_t win_body_dark[N_WINDOWS] = {
	ARGB(0xc8, 0xc8, 0xd8), ARGB(0xe0, 0xc0, 0xa0), ARGB(0xb0, 0xd8, 0xb0),
};

/* Window i's size: depends on the mode only. */
uint32_t window_w(uint32_t w, unsigned int i)
{
	return w / 4 + i * (w / 16);
}

uint32_t window_h(uint32_t h, unsigned int i)
{
	return h / 4 + i * (h / 16);
}

void scene_init(struct scene *s, const struct gvtsim_guest_config *cfg,
		uint64_t frame, uint64_t time_us)
{
	unsigned int i;

	s->w = cfg->width;
	s->h = cfg->height;
	s->rstep = (255u << 16) / (s->w - 1);
	s->gstep = (255u << 16) / (s->h - 1);
	s->bshift = (uint32_t)(frame * 4);
	s->frame = frame;
	s->time_us = time_us;
	for (i = 0; i < N_WINDOWS; i++) {
		struct window *wi = &s->win[i];

		wi->w = window_w(s->w, i);
		wi->h = window_h(s->h, i);
		wi->x = tri(frame * (3 + 2 * i) + i * 97u, s->w - wi->w);
		wi->y = tri(frame * (2 + i) + i * 53u, s->h - wi->h);
		wi->title = win_title[i];
		wi->body = win_body[i];
		wi->body_dark = win_body_dark[i];
	}
}

/* CRC-16/CCITT-FALSE over the 16 payload bytes (frame, time big-endian). */
uint16_t blockcode_crc(uint64_t frame, uint64_t time_us)
{
	uint16_t crc = 0xffff;
	unsigned int i, b;

	for (i = 0; i < 16; i++) {
		uint64_t v = i < 8 ? frame : time_us;
		uint8_t byte = (uint8_t)(v >> (56 - 8 * (i & 7)));

		crc ^= (uint16_t)byte << 8;
		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* Bit of cell (col, row): true = white. */
bool blockcode_cell(uint64_t frame, uint64_t time_us, uint16_t crc,
		    uint32_t col, uint32_t row)
{
	uint32_t bit;

	if (row == 0)
		return !(col & 1);
	if (row <= 4) {
		bit = (row - 1) * GVTSIM_BLOCKCODE_COLS + col;	/* 0 = MSB */
		return (frame >> (63 - bit)) & 1;
	}
	if (row <= 8) {
		bit = (row - 5) * GVTSIM_BLOCKCODE_COLS + col;
		return (time_us >> (63 - bit)) & 1;
	}
	return (crc >> (15 - col)) & 1;
}

bool gvtsim_guest_blockcode_bit(uint64_t frame, uint64_t time_us, uint32_t x, uint32_t y)
{
	if (x >= GVTSIM_BLOCKCODE_WIDTH || y >= GVTSIM_BLOCKCODE_HEIGHT)
		return false;
	return blockcode_cell(frame, time_us, blockcode_crc(frame, time_us),
			      x / GVTSIM_BLOCKCODE_CELL, y / GVTSIM_BLOCKCODE_CELL);
}

/* Row y, pixels [x0, x1) as ARGB8888 into out[0 .. x1 - x0). */
static void scene_row(const struct scene *s, uint32_t y, uint32_t x0, uint32_t x1,
		      uint32_t *out)
{
	uint32_t g = (y * s->gstep) >> 16;
	uint32_t x, i;

	/* background: red ramp left to right, green top to bottom, blue
	 * diagonal ramp that scrolls with the frame number */
	uint32_t rx = x0 * s->rstep, gb = 0xff000000u | (g << 8);

	for (x = x0; x < x1; x++, rx += s->rstep)
		out[x - x0] = gb | ((rx >> 16) << 16) | ((x + y + s->bshift) & 0xff);

	for (i = 0; i < N_WINDOWS; i++) {
		const struct window *wi = &s->win[i];
		uint32_t ly, a, b;

		if (y < wi->y || y >= wi->y + wi->h)
			continue;
		a = wi->x > x0 ? wi->x : x0;
		b = wi->x + wi->w < x1 ? wi->x + wi->w : x1;
		ly = y - wi->y;
		if (ly < BORDER || ly >= wi->h - BORDER) {
			for (x = a; x < b; x++)
				out[x - x0] = FRAME;
			continue;
		}
		for (x = a; x < b; x++) {
			uint32_t lx = x - wi->x, c;

			if (lx < BORDER || lx >= wi->w - BORDER)
				c = FRAME;
			else if (ly < TITLE_HEIGHT)
				c = wi->title;
			else
				c = ((lx >> 3) ^ (ly >> 3)) & 1 ? wi->body_dark : wi->body;
			out[x - x0] = c;
		}
	}

	if (y < GVTSIM_BLOCKCODE_HEIGHT && x0 < GVTSIM_BLOCKCODE_WIDTH) {
		uint16_t crc = blockcode_crc(s->frame, s->time_us);
		uint32_t row = y / GVTSIM_BLOCKCODE_CELL;
		uint32_t end = x1 < GVTSIM_BLOCKCODE_WIDTH ? x1 : GVTSIM_BLOCKCODE_WIDTH;

		for (x = x0; x < end; x++)
			out[x - x0] = blockcode_cell(s->frame, s->time_us, crc,
						     x / GVTSIM_BLOCKCODE_CELL, row) ?
				      WHITE : BLACK;
	}
}

/* ---- native formats -------------------------------------------------- */

static uint32_t to_10(uint32_t c)
{
	return (c << 2) | (c >> 6);
}

static void rgb_to_yuv(uint32_t argb, uint8_t *y, uint8_t *u, uint8_t *v)
{
	int32_t r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;

	/* BT.601 limited range; offsets added before the shift keep the
	 * intermediate values positive */
	*y = (uint8_t)(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
	*u = (uint8_t)((-38 * r - 74 * g + 112 * b + 128 + (128 << 8)) >> 8);
	*v = (uint8_t)((112 * r - 94 * g - 18 * b + 128 + (128 << 8)) >> 8);
}

static inline uint32_t pack_xbgr8888(uint32_t argb)
{
	return (argb & 0xff00ff00u) | ((argb >> 16) & 0xffu) | ((argb & 0xffu) << 16);
}

static inline uint32_t pack_xrgb2101010(uint32_t argb)
{
	return (3u << 30) | (to_10((argb >> 16) & 0xff) << 20) |
	       (to_10((argb >> 8) & 0xff) << 10) | to_10(argb & 0xff);
}

static inline uint32_t pack_xbgr2101010(uint32_t argb)
{
	return (3u << 30) | (to_10(argb & 0xff) << 20) |
	       (to_10((argb >> 8) & 0xff) << 10) | to_10((argb >> 16) & 0xff);
}

static inline uint32_t pack_rgb565(uint32_t argb)
{
	return ((argb >> 8) & 0xf800u) | ((argb >> 5) & 0x07e0u) | ((argb >> 3) & 0x001fu);
}

static uint32_t to_native32(uint32_t fourcc, uint32_t argb)
{
	switch (fourcc) {
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		return pack_xbgr8888(argb);
	case DRM_FORMAT_XRGB2101010:
		return pack_xrgb2101010(argb);
	case DRM_FORMAT_XBGR2101010:
		return pack_xbgr2101010(argb);
	case DRM_FORMAT_RGB565:
		return pack_rgb565(argb);
	default:
		return argb;
	}
}

/* One loop per format: the switch stays out of the pixel loop. */
void convert_row(uint32_t fourcc, const uint32_t *argb, uint32_t n, uint8_t *dst)
{
	uint32_t x;

	switch (fourcc) {
	case DRM_FORMAT_RGB565:
		for (x = 0; x < n; x++) {
			uint32_t v = pack_rgb565(argb[x]);

			dst[2 * x] = (uint8_t)v;
			dst[2 * x + 1] = (uint8_t)(v >> 8);
		}
		break;
	case DRM_FORMAT_YUYV:
		for (x = 0; x + 1 < n; x += 2) {
			uint8_t y0, y1, u, v, u1, v1;

			rgb_to_yuv(argb[x], &y0, &u, &v);
			rgb_to_yuv(argb[x + 1], &y1, &u1, &v1);
			dst[2 * x] = y0;
			dst[2 * x + 1] = u;
			dst[2 * x + 2] = y1;
			dst[2 * x + 3] = v;
		}
		break;
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		for (x = 0; x < n; x++)
			put_le32(dst + 4 * x, pack_xbgr8888(argb[x]));
		break;
	case DRM_FORMAT_XRGB2101010:
		for (x = 0; x < n; x++)
			put_le32(dst + 4 * x, pack_xrgb2101010(argb[x]));
		break;
	case DRM_FORMAT_XBGR2101010:
		for (x = 0; x < n; x++)
			put_le32(dst + 4 * x, pack_xbgr2101010(argb[x]));
		break;
	default:
		for (x = 0; x < n; x++)
			put_le32(dst + 4 * x, argb[x]);
		break;
	}
}

/* ---- pure expected values -------------------------------------------- */

static uint32_t expand565(uint32_t v)
{
	uint32_t r = (v >> 11) & 0x1f, g = (v >> 5) & 0x3f, b = v & 0x1f;

	return ARGB((r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2));
}

static uint32_t scene_pixel(const struct gvtsim_guest_config *cfg, uint64_t frame,
			    uint64_t time_us, uint32_t x, uint32_t y)
{
	struct scene s;
	uint32_t v;

	if (x >= cfg->width || y >= cfg->height || cfg->width < 2 || cfg->height < 2)
		return 0;
	scene_init(&s, cfg, frame, time_us);
	scene_row(&s, y, x, x + 1, &v);
	return v;
}

uint32_t gvtsim_guest_expected_argb(const struct gvtsim_guest_config *cfg,
				    uint64_t frame, uint64_t time_us,
				    uint32_t x, uint32_t y)
{
	uint32_t v = scene_pixel(cfg, frame, time_us, x, y);

	if (cfg->fourcc == DRM_FORMAT_RGB565)
		return expand565(to_native32(cfg->fourcc, v));
	/* 8888 and 2101010 (bit-replicated to 10 bits) round-trip exactly */
	return v;
}

uint32_t gvtsim_guest_expected_native(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, uint64_t time_us,
				      uint32_t x, uint32_t y)
{
	if (cfg->fourcc == DRM_FORMAT_YUYV) {
		uint32_t even = x & ~1u;
		uint32_t p[2];
		uint8_t buf[4];

		p[0] = scene_pixel(cfg, frame, time_us, even, y);
		p[1] = scene_pixel(cfg, frame, time_us, even + 1, y);
		convert_row(cfg->fourcc, p, 2, buf);
		return (x & 1) ? buf[2] | (uint32_t)buf[3] << 8 : buf[0] | (uint32_t)buf[1] << 8;
	}
	return to_native32(cfg->fourcc, scene_pixel(cfg, frame, time_us, x, y));
}

uint32_t gvtsim_guest_expected_cursor_pixel(const struct gvtsim_guest_config *cfg,
					    uint32_t x, uint32_t y)
{
	uint32_t shift, ux, uy;
	bool inside, shadow;

	if (!cfg->cursor_size || x >= cfg->cursor_size || y >= cfg->cursor_size)
		return 0;
	shift = cfg->cursor_size == 256 ? 2 : cfg->cursor_size == 128 ? 1 : 0;
	ux = x >> shift;
	uy = y >> shift;

	/* an arrow: triangle with a vertical left edge, tip at (0,0) */
	inside = uy < 36 && ux * 3 <= uy * 2;
	if (inside) {
		bool edge = ux == 0 || uy >= 34 || ux * 3 + 3 > uy * 2;

		return edge ? BLACK : WHITE;
	}
	shadow = ux >= 2 && uy >= 2 && uy - 2 < 36 && (ux - 2) * 3 <= (uy - 2) * 2;
	return shadow ? 0x80000000u : 0;
}

/* Keep a w x h rectangle at (*x, *y) out of the block code's corner, so
 * that a composited picture (a snapshot, an encoded stream) still carries
 * every frame's number and time: one that would overlap the code moves
 * just below it, or where the mode has no room below, just right of it.
 * @p fit: only where the whole rectangle stays on screen (the sprite
 * must: the decoder refuses a sprite outside the pipe); the cursor may
 * hang over the bottom or right edge.  Modes with no room at all (256x160,
 * the code's own size) keep the position. */
static void keep_off_blockcode(const struct gvtsim_guest_config *cfg, int32_t w, int32_t h,
			       bool fit, int32_t *x, int32_t *y)
{
	const int32_t bw = (int32_t)GVTSIM_BLOCKCODE_WIDTH, bh = (int32_t)GVTSIM_BLOCKCODE_HEIGHT;
	const int32_t sw = (int32_t)cfg->width, sh = (int32_t)cfg->height;

	if (*x >= bw || *y >= bh || *x + w <= 0 || *y + h <= 0)
		return;
	if (fit ? bh + h <= sh : bh < sh)
		*y = bh;
	else if (fit ? bw + w <= sw : bw < sw)
		*x = bw;
}

void gvtsim_guest_expected_cursor_pos(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, int32_t *ret_x, int32_t *ret_y)
{
	int32_t half = (int32_t)(cfg->cursor_size / 2);
	int32_t x = (int32_t)tri(frame * 7, cfg->width) - half;
	int32_t y = (int32_t)tri(frame * 5, cfg->height) - half;

	keep_off_blockcode(cfg, (int32_t)cfg->cursor_size, (int32_t)cfg->cursor_size, false, &x, &y);
	*ret_x = x;
	*ret_y = y;
}

uint32_t gvtsim_guest_expected_sprite_pixel(const struct gvtsim_guest_config *cfg,
					    uint32_t x, uint32_t y)
{
	static const uint32_t bars[8] = {
		ARGB(0xc0, 0xc0, 0xc0), ARGB(0xc0, 0xc0, 0x00), ARGB(0x00, 0xc0, 0xc0),
		ARGB(0x00, 0xc0, 0x00), ARGB(0xc0, 0x00, 0xc0), ARGB(0xc0, 0x00, 0x00),
		ARGB(0x00, 0x00, 0xc0), ARGB(0x10, 0x10, 0x10),
	};

	if (x >= GVTSIM_GUEST_SPRITE_WIDTH || y >= GVTSIM_GUEST_SPRITE_HEIGHT)
		return 0;
	if (y < GVTSIM_GUEST_SPRITE_HEIGHT * 3 / 4)
		return bars[x / (GVTSIM_GUEST_SPRITE_WIDTH / 8)];
	/* grey ramp below the bars */
	return ARGB(x * 2, x * 2, x * 2);
}

void gvtsim_guest_expected_sprite_pos(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, int32_t *ret_x, int32_t *ret_y)
{
	int32_t x = (int32_t)tri(frame * 3, cfg->width - GVTSIM_GUEST_SPRITE_WIDTH);
	int32_t y = (int32_t)tri(frame * 2, cfg->height - GVTSIM_GUEST_SPRITE_HEIGHT);

	keep_off_blockcode(cfg, GVTSIM_GUEST_SPRITE_WIDTH, GVTSIM_GUEST_SPRITE_HEIGHT, true, &x, &y);
	*ret_x = x;
	*ret_y = y;
}

static uint32_t blend(uint32_t dst, uint32_t src)
{
	uint32_t a = src >> 24, r, g, b;

	/* The cursor's coloured pixels are opaque and its translucent ones
	 * black, so straight and premultiplied alpha give the same result. */
	r = (((src >> 16) & 0xff) * a + ((dst >> 16) & 0xff) * (255 - a) + 127) / 255;
	g = (((src >> 8) & 0xff) * a + ((dst >> 8) & 0xff) * (255 - a) + 127) / 255;
	b = ((src & 0xff) * a + (dst & 0xff) * (255 - a) + 127) / 255;
	return ARGB(r, g, b);
}

uint32_t gvtsim_guest_expected_composited(const struct gvtsim_guest_config *cfg,
					  uint64_t frame, uint64_t time_us,
					  uint32_t x, uint32_t y)
{
	uint32_t v = gvtsim_guest_expected_argb(cfg, frame, time_us, x, y);
	int32_t px, py;
	int64_t lx, ly;

	if (cfg->sprite) {
		gvtsim_guest_expected_sprite_pos(cfg, frame, &px, &py);
		lx = (int64_t)x - px;
		ly = (int64_t)y - py;
		if (lx >= 0 && ly >= 0 && lx < GVTSIM_GUEST_SPRITE_WIDTH &&
		    ly < GVTSIM_GUEST_SPRITE_HEIGHT)
			v = gvtsim_guest_expected_sprite_pixel(cfg, (uint32_t)lx, (uint32_t)ly);
	}
	if (cfg->cursor_size) {
		gvtsim_guest_expected_cursor_pos(cfg, frame, &px, &py);
		lx = (int64_t)x - px;
		ly = (int64_t)y - py;
		if (lx >= 0 && ly >= 0 && lx < cfg->cursor_size && ly < cfg->cursor_size)
			v = blend(v, gvtsim_guest_expected_cursor_pixel(cfg, (uint32_t)lx,
									(uint32_t)ly));
	}
	return v;
}

/* ---- block code decoding --------------------------------------------- */

static uint32_t luma_at(const uint32_t *xrgb, uint32_t stride, uint32_t x, uint32_t y)
{
	uint32_t p = *(const uint32_t *)((const uint8_t *)xrgb + (size_t)y * stride + 4u * x);

	return (((p >> 16) & 0xff) * 77 + ((p >> 8) & 0xff) * 150 + (p & 0xff) * 29) >> 8;
}

int gvtsim_guest_decode_blockcode(const uint32_t *xrgb, uint32_t stride,
				  uint32_t w, uint32_t h,
				  uint64_t *ret_frame, uint64_t *ret_time_us)
{
	const uint32_t c = GVTSIM_BLOCKCODE_CELL;
	uint64_t frame = 0, time_us = 0;
	uint16_t crc = 0;
	uint32_t col, row, dx, dy;

	if (!xrgb || w < GVTSIM_BLOCKCODE_WIDTH || h < GVTSIM_BLOCKCODE_HEIGHT ||
	    stride < 4 * w)
		return -EINVAL;

	for (row = 0; row < GVTSIM_BLOCKCODE_ROWS; row++) {
		for (col = 0; col < GVTSIM_BLOCKCODE_COLS; col++) {
			uint32_t sum = 0;
			bool bit;

			/* average the central half of the cell */
			for (dy = c / 4; dy < c - c / 4; dy++)
				for (dx = c / 4; dx < c - c / 4; dx++)
					sum += luma_at(xrgb, stride, col * c + dx, row * c + dy);
			bit = sum >= 128u * (c / 2) * (c / 2);

			if (row == 0) {
				if (bit != !(col & 1))
					return -EBADMSG;
			} else if (row <= 4) {
				frame = (frame << 1) | bit;
			} else if (row <= 8) {
				time_us = (time_us << 1) | bit;
			} else {
				crc = (uint16_t)((crc << 1) | bit);
			}
		}
	}
	if (crc != blockcode_crc(frame, time_us))
		return -EBADMSG;

	if (ret_frame)
		*ret_frame = frame;
	if (ret_time_us)
		*ret_time_us = time_us;
	return 0;
}
