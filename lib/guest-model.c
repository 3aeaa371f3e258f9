/* SPDX-License-Identifier: MIT */
/*
 * The guest model: programs gvtsim display registers and paints an
 * animated desktop (see guest-model.h).
 *
 * The picture is defined one row at a time by scene_row() from a small
 * "scene" (window rectangles, gradient steps) computed once per frame;
 * scene_row() answers the per-pixel expected-value queries.  The painter
 * builds the same rows faster (paint_row(): a vectorised background from a
 * per-column table, windows copied from row patterns made once per mode,
 * span fills for the block code), one tile row (band) at a time, and then
 * scatters the band into the tiled layout in whole 512-byte (X) or 16-byte
 * (Y, Yf) spans.  test-guest-model compares every painted pixel with the
 * expected values, in every format and tiling.
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

#define PAGE_SIZE_4K	4096u
#define N_WINDOWS	3u
#define TITLE_HEIGHT	20u
#define BORDER		2u

#define ARGB(r, g, b)	(0xff000000u | ((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))
#define WHITE		0xffffffffu
#define BLACK		0xff000000u
#define FRAME		ARGB(0x20, 0x20, 0x20)	/* window borders */

static uint64_t align_up64(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Triangle wave 0..range..0 with period 2 * range. */
static uint32_t tri(uint64_t t, uint32_t range)
{
	uint64_t p;

	if (range == 0)
		return 0;
	p = t % (2ull * range);
	return (uint32_t)(p < range ? p : 2ull * range - p);
}

/* ---- config and layout ---------------------------------------------- */

void gvtsim_guest_config_default(struct gvtsim_guest_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->width = 1280;
	cfg->height = 720;
	cfg->fourcc = DRM_FORMAT_XRGB8888;
	cfg->modifier = DRM_FORMAT_MOD_LINEAR;
	cfg->n_buffers = 2;
	cfg->gen = 9;
	cfg->cursor_size = 64;
	cfg->sprite = false;
	cfg->fps = 60;
}

static uint32_t format_cpp(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_XBGR2101010:
		return 4;
	case DRM_FORMAT_RGB565:
	case DRM_FORMAT_YUYV:
		return 2;
	default:
		return 0;
	}
}

/* Tile width in bytes and height in rows; stride unit of PLANE_STRIDE. */
static int modifier_tile(uint64_t modifier, uint32_t *tw, uint32_t *th)
{
	if (modifier == DRM_FORMAT_MOD_LINEAR) {
		*tw = 64;
		*th = 1;
	} else if (modifier == I915_FORMAT_MOD_X_TILED) {
		*tw = 512;
		*th = 8;
	} else if (modifier == I915_FORMAT_MOD_Y_TILED ||
		   modifier == I915_FORMAT_MOD_Yf_TILED) {
		/* Yf: 128 B x 32 rows for the 2- and 4-byte pixels painted here */
		*tw = 128;
		*th = 32;
	} else {
		return -1;
	}
	return 0;
}

int gvtsim_guest_config_check(const struct gvtsim_guest_config *cfg, const char **why)
{
	const char *reason = NULL;
	int ret = -EINVAL;
	uint32_t tw = 64, th = 1;

	if (cfg->width < GVTSIM_GUEST_MIN_WIDTH || cfg->height < GVTSIM_GUEST_MIN_HEIGHT)
		reason = "mode smaller than 256x160 (the block code would not fit)";
	else if (cfg->width > GVTSIM_GUEST_MAX_WIDTH || cfg->height > GVTSIM_GUEST_MAX_HEIGHT)
		reason = "mode larger than the hardware's 8192x8192";
	else if (cfg->gen != 8 && cfg->gen != 9)
		reason = "gen must be 8 or 9";
	else if (!format_cpp(cfg->fourcc))
		reason = "format not one of XRGB8888, ARGB8888, XBGR8888, ABGR8888, RGB565, XRGB2101010, XBGR2101010, YUYV";
	else if (cfg->fourcc == DRM_FORMAT_YUYV && cfg->gen == 8)
		reason = "gen 8 primary planes have no packed YUV";
	else if (cfg->fourcc == DRM_FORMAT_YUYV && (cfg->width & 1))
		reason = "YUYV needs an even width";
	else if (modifier_tile(cfg->modifier, &tw, &th))
		reason = "tiling must be linear, X, Y or Yf";
	else if (cfg->gen == 8 && (cfg->modifier == I915_FORMAT_MOD_Y_TILED ||
				   cfg->modifier == I915_FORMAT_MOD_Yf_TILED))
		reason = "gen 8 has no Y or Yf tiling (linear or X only)";
	else if (cfg->n_buffers < 2 || cfg->n_buffers > GVTSIM_GUEST_MAX_BUFFERS)
		reason = "buffers must be 2 or 3";
	else if (cfg->cursor_size != 0 && cfg->cursor_size != 64 &&
		 cfg->cursor_size != 128 && cfg->cursor_size != 256)
		reason = "cursor size must be 64, 128, 256 or 0 (off)";
	else
		ret = 0;

	if (ret && why)
		*why = reason;
	return ret;
}

int gvtsim_guest_compute_layout(const struct gvtsim_guest_config *cfg,
				struct gvtsim_guest_layout *ret_layout)
{
	struct gvtsim_guest_layout l;
	uint32_t tw = 64, th = 1;
	uint64_t off, stride;
	unsigned int i;
	int ret;

	ret = gvtsim_guest_config_check(cfg, NULL);
	if (ret)
		return ret;

	memset(&l, 0, sizeof(l));
	modifier_tile(cfg->modifier, &tw, &th);
	l.cpp = format_cpp(cfg->fourcc);
	stride = align_up64((uint64_t)cfg->width * l.cpp, tw);
	/* Gen9 PLANE_STRIDE has 10 bits of tile units, Gen8 DSPSTRIDE 16 bits
	 * of bytes: only the latter can run out (never for <= 8192 px). */
	if (cfg->gen == 8 && stride > GVTSIM_DSPSTRIDE_MASK)
		return -EINVAL;
	if (cfg->gen == 9 && stride / tw > GVTSIM_PLANE_STRIDE_MASK)
		return -EINVAL;
	l.stride = (uint32_t)stride;
	l.tile_height = th;
	l.fb_size = (uint32_t)align_up64(stride * align_up64(cfg->height, th), PAGE_SIZE_4K);

	off = 0;
	for (i = 0; i < cfg->n_buffers; i++) {
		l.fb_offset[i] = off;
		off += l.fb_size;
	}
	if (cfg->cursor_size) {
		l.cursor_offset = off;
		l.cursor_bytes = (uint32_t)align_up64((uint64_t)cfg->cursor_size *
						     cfg->cursor_size * 4, PAGE_SIZE_4K);
		off += l.cursor_bytes;
	}
	if (cfg->sprite) {
		l.sprite_offset = off;
		l.sprite_stride = GVTSIM_GUEST_SPRITE_WIDTH * 4;
		l.sprite_bytes = (uint32_t)align_up64((uint64_t)l.sprite_stride *
						     GVTSIM_GUEST_SPRITE_HEIGHT, PAGE_SIZE_4K);
		off += l.sprite_bytes;
	}
	l.gm_size = off;

	*ret_layout = l;
	return 0;
}

/* ---- the picture ----------------------------------------------------- */

struct window {
	uint32_t x, y, w, h;
	uint32_t title, body, body_dark;
};

static const uint32_t win_title[N_WINDOWS] = {
	ARGB(0x20, 0x40, 0x90), ARGB(0x90, 0x30, 0x30), ARGB(0x30, 0x80, 0x40),
};
static const uint32_t win_body[N_WINDOWS] = {
	ARGB(0xe8, 0xe8, 0xf0), ARGB(0xf8, 0xe0, 0xc0), ARGB(0xd0, 0xf0, 0xd0),
};
static const uint32_t win_body_dark[N_WINDOWS] = {
	ARGB(0xc8, 0xc8, 0xd8), ARGB(0xe0, 0xc0, 0xa0), ARGB(0xb0, 0xd8, 0xb0),
};

/* Window i's size: depends on the mode only. */
static uint32_t window_w(uint32_t w, unsigned int i)
{
	return w / 4 + i * (w / 16);
}

static uint32_t window_h(uint32_t h, unsigned int i)
{
	return h / 4 + i * (h / 16);
}

struct scene {
	uint32_t w, h;
	uint32_t rstep, gstep;	/* 16.16 gradient steps */
	uint32_t bshift;	/* blue ramp offset for this frame */
	uint64_t frame, time_us;
	struct window win[N_WINDOWS];
};

static void scene_init(struct scene *s, const struct gvtsim_guest_config *cfg,
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
static uint16_t blockcode_crc(uint64_t frame, uint64_t time_us)
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
static bool blockcode_cell(uint64_t frame, uint64_t time_us, uint16_t crc,
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

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Whether ARGB8888 rows can be painted straight into the native row. */
static bool native_is_argb(uint32_t fourcc)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return fourcc == DRM_FORMAT_XRGB8888 || fourcc == DRM_FORMAT_ARGB8888;
#else
	return false;
#endif
}

/* One loop per format: the switch stays out of the pixel loop. */
static void convert_row(uint32_t fourcc, const uint32_t *argb, uint32_t n, uint8_t *dst)
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

void gvtsim_guest_expected_cursor_pos(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, int32_t *ret_x, int32_t *ret_y)
{
	int32_t half = (int32_t)(cfg->cursor_size / 2);

	*ret_x = (int32_t)tri(frame * 7, cfg->width) - half;
	*ret_y = (int32_t)tri(frame * 5, cfg->height) - half;
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
	*ret_x = (int32_t)tri(frame * 3, cfg->width - GVTSIM_GUEST_SPRITE_WIDTH);
	*ret_y = (int32_t)tri(frame * 2, cfg->height - GVTSIM_GUEST_SPRITE_HEIGHT);
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

static void wr(struct gvtsim_guest *g, uint32_t off, uint32_t val)
{
	g->write_reg(g->user, off, val);
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

static uint32_t primary_ctl(const struct gvtsim_guest_config *cfg)
{
	uint32_t ctl;

	if (cfg->gen == 8) {
		ctl = GVTSIM_DISPPLANE_ENABLE;
		switch (cfg->fourcc) {
		case DRM_FORMAT_RGB565:
			ctl |= GVTSIM_DISPPLANE_BGRX565;
			break;
		case DRM_FORMAT_ARGB8888:
			ctl |= GVTSIM_DISPPLANE_BGRA888;
			break;
		case DRM_FORMAT_XBGR8888:
			ctl |= GVTSIM_DISPPLANE_RGBX888;
			break;
		case DRM_FORMAT_ABGR8888:
			ctl |= GVTSIM_DISPPLANE_RGBA888;
			break;
		case DRM_FORMAT_XRGB2101010:
			ctl |= GVTSIM_DISPPLANE_BGRX101010;
			break;
		case DRM_FORMAT_XBGR2101010:
			ctl |= GVTSIM_DISPPLANE_RGBX101010;
			break;
		default:
			ctl |= GVTSIM_DISPPLANE_BGRX888;
			break;
		}
		if (cfg->modifier == I915_FORMAT_MOD_X_TILED)
			ctl |= GVTSIM_DISPPLANE_TILED;
		return ctl;
	}

	ctl = GVTSIM_PLANE_CTL_ENABLE;
	switch (cfg->fourcc) {
	case DRM_FORMAT_RGB565:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_RGB_565;
		break;
	case DRM_FORMAT_ARGB8888:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY;
		break;
	case DRM_FORMAT_XBGR8888:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ORDER_RGBX;
		break;
	case DRM_FORMAT_ABGR8888:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ORDER_RGBX |
		       GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY;
		break;
	case DRM_FORMAT_XRGB2101010:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010;
		break;
	case DRM_FORMAT_XBGR2101010:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010 | GVTSIM_PLANE_CTL_ORDER_RGBX;
		break;
	case DRM_FORMAT_YUYV:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_YUYV;
		break;
	default:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888;
		break;
	}
	if (cfg->modifier == I915_FORMAT_MOD_X_TILED)
		ctl |= GVTSIM_PLANE_CTL_TILED_X;
	else if (cfg->modifier == I915_FORMAT_MOD_Y_TILED)
		ctl |= GVTSIM_PLANE_CTL_TILED_Y;
	else if (cfg->modifier == I915_FORMAT_MOD_Yf_TILED)
		ctl |= GVTSIM_PLANE_CTL_TILED_YF;
	return ctl;
}

static uint32_t cursor_mode(uint32_t size)
{
	switch (size) {
	case 64:
		return GVTSIM_CURSOR_MODE_64_ARGB_AX;
	case 128:
		return GVTSIM_CURSOR_MODE_128_ARGB_AX;
	case 256:
		return GVTSIM_CURSOR_MODE_256_ARGB_AX;
	default:
		return GVTSIM_CURSOR_MODE_DISABLE;
	}
}

static uint32_t curpos_field(int32_t v)
{
	return v < 0 ? GVTSIM_CURSOR_POS_SIGN | ((uint32_t)-v & GVTSIM_CURSOR_POS_MASK) :
		       ((uint32_t)v & GVTSIM_CURSOR_POS_MASK);
}

static void paint_cursor_and_sprite(struct gvtsim_guest *g)
{
	const struct gvtsim_guest_config *cfg = &g->cfg;
	uint32_t x, y;

	if (cfg->cursor_size) {
		uint8_t *p = g->gm + g->layout.cursor_offset;

		for (y = 0; y < cfg->cursor_size; y++)
			for (x = 0; x < cfg->cursor_size; x++)
				put_le32(p + ((size_t)y * cfg->cursor_size + x) * 4,
					 gvtsim_guest_expected_cursor_pixel(cfg, x, y));
	}
	if (cfg->sprite) {
		uint8_t *p = g->gm + g->layout.sprite_offset;

		for (y = 0; y < GVTSIM_GUEST_SPRITE_HEIGHT; y++)
			for (x = 0; x < GVTSIM_GUEST_SPRITE_WIDTH; x++)
				put_le32(p + (size_t)y * g->layout.sprite_stride + 4 * x,
					 gvtsim_guest_expected_sprite_pixel(cfg, x, y));
	}
}

void gvtsim_guest_program_mode(struct gvtsim_guest *g)
{
	const struct gvtsim_guest_config *cfg = &g->cfg;
	const struct gvtsim_guest_layout *l = &g->layout;
	/* PIPESRC is (w-1) << 16 | (h-1), PLANE_SIZE the other way round */
	uint32_t src = ((cfg->width - 1) << GVTSIM_PIPESRC_W_SHIFT) | (cfg->height - 1);
	uint32_t size = ((cfg->height - 1) << GVTSIM_PLANE_SIZE_H_SHIFT) | (cfg->width - 1);
	uint32_t tw = 64, th = 1;

	paint_cursor_and_sprite(g);
	modifier_tile(cfg->modifier, &tw, &th);

	wr(g, GVTSIM_PIPEASRC, src);
	wr(g, GVTSIM_PIPEACONF, GVTSIM_PIPECONF_ENABLE);

	if (cfg->gen == 9) {
		wr(g, GVTSIM_PLANE_OFFSET(1), 0);
		wr(g, GVTSIM_PLANE_POS(1), 0);
		wr(g, GVTSIM_PLANE_SIZE(1), size);
		wr(g, GVTSIM_PLANE_STRIDE(1), l->stride / tw);
		wr(g, GVTSIM_PLANE_CTL(1), primary_ctl(cfg));
	} else {
		wr(g, GVTSIM_DSPALINOFF, 0);
		wr(g, GVTSIM_DSPATILEOFF, 0);
		wr(g, GVTSIM_DSPASTRIDE, l->stride);
		wr(g, GVTSIM_DSPACNTR, primary_ctl(cfg));
	}

	if (cfg->sprite) {
		uint32_t ssize = ((GVTSIM_GUEST_SPRITE_HEIGHT - 1) << 16) |
				 (GVTSIM_GUEST_SPRITE_WIDTH - 1);

		if (cfg->gen == 9) {
			wr(g, GVTSIM_PLANE_OFFSET(2), 0);
			wr(g, GVTSIM_PLANE_SIZE(2), ssize);
			wr(g, GVTSIM_PLANE_STRIDE(2), l->sprite_stride / 64);
			wr(g, GVTSIM_PLANE_CTL(2), GVTSIM_PLANE_CTL_ENABLE |
			   GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_TILED_LINEAR);
		} else {
			wr(g, GVTSIM_SPRALINOFF, 0);
			wr(g, GVTSIM_SPRATILEOFF, 0);
			wr(g, GVTSIM_SPRASIZE, ssize);
			wr(g, GVTSIM_SPRASTRIDE, l->sprite_stride);
			wr(g, GVTSIM_SPRACTL, GVTSIM_SPRITE_ENABLE | GVTSIM_SPRITE_FORMAT_RGBX888);
		}
	}
	if (cfg->cursor_size)
		wr(g, GVTSIM_CURACNTR, cursor_mode(cfg->cursor_size));

	gvtsim_guest_move_cursor(g, 0);
}

void gvtsim_guest_disable(struct gvtsim_guest *g)
{
	if (g->cfg.gen == 9) {
		wr(g, GVTSIM_PLANE_CTL(1), 0);
		wr(g, GVTSIM_PLANE_CTL(2), 0);
	} else {
		wr(g, GVTSIM_DSPACNTR, 0);
		wr(g, GVTSIM_SPRACTL, 0);
	}
	wr(g, GVTSIM_CURACNTR, 0);
	wr(g, GVTSIM_PIPEACONF, 0);
	g->have_frame = false;
}

void gvtsim_guest_flip(struct gvtsim_guest *g, uint64_t frame)
{
	unsigned int buf = gvtsim_guest_buffer_of(g, frame);
	uint32_t surf = (uint32_t)g->layout.fb_offset[buf];

	wr(g, g->cfg.gen == 9 ? GVTSIM_PLANE_SURF(1) : GVTSIM_DSPASURF, surf);
	g->front = buf;
	g->frame = frame;
	g->have_frame = true;
}

void gvtsim_guest_move_cursor(struct gvtsim_guest *g, uint64_t frame)
{
	const struct gvtsim_guest_config *cfg = &g->cfg;
	int32_t x, y;

	if (cfg->cursor_size) {
		gvtsim_guest_expected_cursor_pos(cfg, frame, &x, &y);
		wr(g, GVTSIM_CURAPOS, (curpos_field(y) << GVTSIM_CURSOR_Y_SHIFT) |
		   (curpos_field(x) << GVTSIM_CURSOR_X_SHIFT));
		/* the CURBASE write latches the cursor update */
		wr(g, GVTSIM_CURABASE, (uint32_t)g->layout.cursor_offset);
	}
	if (cfg->sprite) {
		gvtsim_guest_expected_sprite_pos(cfg, frame, &x, &y);
		if (cfg->gen == 9) {
			wr(g, GVTSIM_PLANE_POS(2), ((uint32_t)y << 16) | (uint32_t)x);
			wr(g, GVTSIM_PLANE_SURF(2), (uint32_t)g->layout.sprite_offset);
		} else {
			wr(g, GVTSIM_SPRAPOS, ((uint32_t)y << 16) | (uint32_t)x);
			wr(g, GVTSIM_SPRASURF, (uint32_t)g->layout.sprite_offset);
		}
	}
}

void gvtsim_guest_show_frame(struct gvtsim_guest *g, uint64_t frame, uint64_t time_us)
{
	gvtsim_guest_paint(g, frame, time_us);
	gvtsim_guest_flip(g, frame);
	gvtsim_guest_move_cursor(g, frame);
}
