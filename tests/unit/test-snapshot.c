/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf snapshot against the guest model: runs the tool on
 * "sim:...,clock=manual" with --frame N, reads the PNG back with libpng and
 * compares every pixel with what the guest model says the display shows
 * (gvtsim_guest_expected_composited() and friends).  Exact: any difference
 * in detiling, format conversion, cursor position or blending fails.
 *
 * The tool is the one meson built: GVT_DMABUF_TOOL in the environment.
 */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>
#include <drm_fourcc.h>

#include "guest-model.h"
#include "gvt-dmabuf-tool.h"

struct snap_case {
	const char *name;
	uint32_t width, height;
	uint32_t fourcc;
	uint64_t modifier;
	unsigned int gen;
	uint32_t cursor_size;
	bool sprite;
	uint64_t frame;
	const char *extra_arg;	/* e.g. "--no-cursor", "--plane=cursor" */
	bool want_offscreen;	/* the cursor must be partly off-screen */
};

static const char *tool_path;
static char *tmpdir;

static const char *fourcc_word(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888: return "xrgb8888";
	case DRM_FORMAT_ARGB8888: return "argb8888";
	case DRM_FORMAT_XBGR8888: return "xbgr8888";
	case DRM_FORMAT_ABGR8888: return "abgr8888";
	case DRM_FORMAT_RGB565: return "rgb565";
	case DRM_FORMAT_XRGB2101010: return "xrgb2101010";
	case DRM_FORMAT_XBGR2101010: return "xbgr2101010";
	case DRM_FORMAT_YUYV: return "yuyv";
	}
	g_assert_not_reached();
	return NULL;
}

static const char *modifier_word(uint64_t modifier)
{
	if (modifier == DRM_FORMAT_MOD_LINEAR)
		return "linear";
	if (modifier == I915_FORMAT_MOD_X_TILED)
		return "xtiled";
	if (modifier == I915_FORMAT_MOD_Y_TILED)
		return "ytiled";
	if (modifier == I915_FORMAT_MOD_Yf_TILED)
		return "yftiled";
	g_assert_not_reached();
	return NULL;
}

static void case_config(const struct snap_case *c, struct gvtsim_guest_config *cfg,
			char **ret_spec)
{
	gvtsim_guest_config_default(cfg);
	cfg->width = c->width;
	cfg->height = c->height;
	cfg->fourcc = c->fourcc;
	cfg->modifier = c->modifier;
	cfg->gen = c->gen;
	cfg->cursor_size = c->cursor_size;
	cfg->sprite = c->sprite;
	g_assert_cmpint(gvtsim_guest_config_check(cfg, NULL), ==, 0);

	*ret_spec = g_strdup_printf("sim:%ux%u,%s,%s,gen=%u,cursor=%s%u,sprite=%s,clock=manual",
				    c->width, c->height, fourcc_word(c->fourcc),
				    modifier_word(c->modifier), c->gen,
				    c->cursor_size ? "" : "off", c->cursor_size,
				    c->sprite ? "on" : "off");
	if (!c->cursor_size) {
		/* "cursor=off0" -> "cursor=off" */
		char *p = strstr(*ret_spec, "cursor=off0");

		memmove(p + 10, p + 11, strlen(p + 11) + 1);
	}
}

/* Run the tool; returns its exit status, stderr in *ret_err. */
static int run_tool(const char *const *args, char **ret_err)
{
	GPtrArray *argv = g_ptr_array_new();
	GError *error = NULL;
	int status = -1;
	char *out = NULL;
	size_t i;

	g_ptr_array_add(argv, (gpointer)tool_path);
	for (i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
			  NULL, &out, ret_err, &status, &error))
		g_error("cannot run %s: %s", tool_path, error->message);
	g_ptr_array_free(argv, TRUE);
	g_free(out);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Read a PNG as RGBA 8-bit; *ret_alpha tells whether the file had alpha. */
static uint8_t *read_png(const char *path, uint32_t *ret_w, uint32_t *ret_h,
			 bool *ret_alpha)
{
	png_image img;
	uint8_t *buf;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		g_error("cannot read %s: %s", path, img.message);
	*ret_alpha = img.format & PNG_FORMAT_FLAG_ALPHA;
	g_assert_false(img.format & PNG_FORMAT_FLAG_LINEAR);	/* 8-bit */
	img.format = PNG_FORMAT_RGBA;
	buf = g_malloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, NULL, buf, 0, NULL))
		g_error("cannot decode %s: %s", path, img.message);
	*ret_w = img.width;
	*ret_h = img.height;
	return buf;
}

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* The tool's documented YUV conversion: BT.601 limited range, 8.8 fixed
 * point.  Each pixel uses its own Y and its pair's U and V. */
static uint32_t yuyv_pixel(const struct gvtsim_guest_config *cfg, uint64_t frame,
			   uint64_t t, uint32_t x, uint32_t y)
{
	uint32_t even = gvtsim_guest_expected_native(cfg, frame, t, x & ~1u, y);
	uint32_t odd = gvtsim_guest_expected_native(cfg, frame, t, x | 1u, y);
	int yy = (int)((x & 1 ? odd : even) & 0xff) - 16;
	int u = (int)(even >> 8) - 128, v = (int)(odd >> 8) - 128;

	return 0xff000000u |
	       (uint32_t)clamp8((298 * yy + 409 * v + 128) >> 8) << 16 |
	       (uint32_t)clamp8((298 * yy - 100 * u - 208 * v + 128) >> 8) << 8 |
	       clamp8((298 * yy + 516 * u + 128) >> 8);
}

static uint32_t blend(uint32_t dst, uint32_t src)
{
	uint32_t a = src >> 24, out = 0xff000000u;
	int s;

	for (s = 0; s < 24; s += 8)
		out |= ((((src >> s) & 0xff) * a + ((dst >> s) & 0xff) * (255 - a) + 127) / 255) << s;
	return out;
}

/* What the snapshot must hold at (x, y). */
static uint32_t expected(const struct gvtsim_guest_config *cfg, uint64_t frame,
			 bool cursor, uint32_t x, uint32_t y)
{
	uint64_t t = frame * 1000000ull / cfg->fps;
	struct gvtsim_guest_config nc;
	uint32_t v;
	int32_t px, py;
	int64_t lx, ly;

	if (cfg->fourcc != DRM_FORMAT_YUYV) {
		if (cursor)
			return gvtsim_guest_expected_composited(cfg, frame, t, x, y);
		nc = *cfg;
		nc.cursor_size = 0;
		return gvtsim_guest_expected_composited(&nc, frame, t, x, y);
	}
	/* YUV: the model's composite starts from the RGB it converted, the
	 * tool from the YUV in memory: put the planes on the converted base
	 * the same way. */
	v = yuyv_pixel(cfg, frame, t, x, y);
	if (cfg->sprite) {
		gvtsim_guest_expected_sprite_pos(cfg, frame, &px, &py);
		lx = (int64_t)x - px;
		ly = (int64_t)y - py;
		if (lx >= 0 && ly >= 0 && lx < GVTSIM_GUEST_SPRITE_WIDTH &&
		    ly < GVTSIM_GUEST_SPRITE_HEIGHT)
			v = gvtsim_guest_expected_sprite_pixel(cfg, (uint32_t)lx, (uint32_t)ly);
	}
	if (cursor && cfg->cursor_size) {
		gvtsim_guest_expected_cursor_pos(cfg, frame, &px, &py);
		lx = (int64_t)x - px;
		ly = (int64_t)y - py;
		if (lx >= 0 && ly >= 0 && lx < cfg->cursor_size && ly < cfg->cursor_size)
			v = blend(v, gvtsim_guest_expected_cursor_pixel(cfg, (uint32_t)lx,
									(uint32_t)ly));
	}
	return v;
}

static void check_pixels(const char *name, const uint8_t *rgba, uint32_t w, uint32_t h,
			 uint32_t (*want)(const void *, uint32_t, uint32_t), const void *ctx,
			 bool compare_alpha)
{
	uint32_t x, y, bad = 0;

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			const uint8_t *p = rgba + ((size_t)y * w + x) * 4;
			uint32_t got = (uint32_t)p[3] << 24 | (uint32_t)p[0] << 16 |
				       (uint32_t)p[1] << 8 | p[2];
			uint32_t exp = want(ctx, x, y);

			if (!compare_alpha) {
				got |= 0xff000000u;
				exp |= 0xff000000u;
			}
			if (got != exp) {
				if (bad < 5)
					g_test_message("%s: pixel (%u,%u) is %08x, expected %08x",
						       name, x, y, got, exp);
				bad++;
			}
		}
	}
	if (bad)
		g_test_fail_printf("%s: %u of %u pixels differ", name, bad, w * h);
}

struct screen_ctx {
	const struct gvtsim_guest_config *cfg;
	uint64_t frame;
	bool cursor;
};

static uint32_t want_screen(const void *p, uint32_t x, uint32_t y)
{
	const struct screen_ctx *c = p;

	return expected(c->cfg, c->frame, c->cursor, x, y);
}

static uint32_t want_cursor(const void *p, uint32_t x, uint32_t y)
{
	return gvtsim_guest_expected_cursor_pixel(p, x, y);
}

static uint32_t want_sprite(const void *p, uint32_t x, uint32_t y)
{
	return gvtsim_guest_expected_sprite_pixel(p, x, y);
}

static void test_snapshot(gconstpointer data)
{
	const struct snap_case *c = data;
	struct gvtsim_guest_config cfg;
	char *spec, *path, *frame, *err = NULL;
	const char *args[8];
	uint8_t *rgba;
	uint32_t w, h;
	bool alpha, plane_cursor, plane_sprite, cursor;
	int status, n = 0;

	case_config(c, &cfg, &spec);
	path = g_build_filename(tmpdir, "snap.png", NULL);
	frame = g_strdup_printf("%" PRIu64, c->frame);
	plane_cursor = c->extra_arg && !strcmp(c->extra_arg, "--plane=cursor");
	plane_sprite = c->extra_arg && !strcmp(c->extra_arg, "--plane=sprite");
	cursor = !(c->extra_arg && !strcmp(c->extra_arg, "--no-cursor"));

	if (c->want_offscreen) {
		int32_t cx, cy;

		/* Make sure the case really covers a clipped cursor. */
		gvtsim_guest_expected_cursor_pos(&cfg, c->frame, &cx, &cy);
		g_assert_true(cx < 0 || cy < 0);
	}

	args[n++] = "snapshot";
	args[n++] = spec;
	args[n++] = path;
	args[n++] = "--frame";
	args[n++] = frame;
	if (c->extra_arg)
		args[n++] = c->extra_arg;
	args[n] = NULL;
	g_test_message("%s snapshot %s %s --frame %s %s", tool_path, spec, path, frame,
		       c->extra_arg ? c->extra_arg : "");
	status = run_tool(args, &err);
	if (status != 0)
		g_error("gvt-dmabuf snapshot exited %d: %s", status, err);

	rgba = read_png(path, &w, &h, &alpha);
	if (plane_cursor) {
		g_assert_cmpuint(w, ==, cfg.cursor_size);
		g_assert_cmpuint(h, ==, cfg.cursor_size);
		g_assert_true(alpha);
		check_pixels(c->name, rgba, w, h, want_cursor, &cfg, true);
	} else if (plane_sprite) {
		g_assert_cmpuint(w, ==, GVTSIM_GUEST_SPRITE_WIDTH);
		g_assert_cmpuint(h, ==, GVTSIM_GUEST_SPRITE_HEIGHT);
		g_assert_false(alpha);
		check_pixels(c->name, rgba, w, h, want_sprite, &cfg, false);
	} else {
		struct screen_ctx ctx = { &cfg, c->frame, cursor };

		g_assert_cmpuint(w, ==, cfg.width);
		g_assert_cmpuint(h, ==, cfg.height);
		/* The screen is opaque, even from an ARGB primary. */
		g_assert_false(alpha);
		check_pixels(c->name, rgba, w, h, want_screen, &ctx, false);
	}

	g_unlink(path);
	g_free(rgba);
	g_free(err);
	g_free(frame);
	g_free(path);
	g_free(spec);
}

/* The reference YUV conversion itself must be close to the RGB the model
 * started from where chroma belongs to the pixel (even x). */
static void test_yuv_reference(void)
{
	struct gvtsim_guest_config cfg;
	uint32_t x, y, a, b;
	int s, d, worst = 0;

	gvtsim_guest_config_default(&cfg);
	cfg.width = 320;
	cfg.height = 200;
	cfg.fourcc = DRM_FORMAT_YUYV;
	for (y = 0; y < cfg.height; y += 3) {
		for (x = 0; x < cfg.width; x += 2) {
			a = yuyv_pixel(&cfg, 7, 7 * 1000000ull / cfg.fps, x, y);
			b = gvtsim_guest_expected_argb(&cfg, 7, 7 * 1000000ull / cfg.fps, x, y);
			for (s = 0; s < 24; s += 8) {
				d = abs((int)((a >> s) & 0xff) - (int)((b >> s) & 0xff));
				if (d > worst)
					worst = d;
			}
		}
	}
	g_assert_cmpint(worst, <=, 3);
}

/* A disabled plane or a bad frame request fails with the documented code. */
static void test_errors(void)
{
	char *path = g_build_filename(tmpdir, "err.png", NULL);
	const char *sprite_off[] = { "snapshot", "sim:320x200,clock=manual", path,
				     "--plane", "sprite", NULL };
	const char *bad_frame[] = { "snapshot", "sim:320x200", path, "--frame", "x1", NULL };
	char *err = NULL;

	g_assert_cmpint(run_tool(sprite_off, &err), ==, 6);
	g_assert_nonnull(strstr(err, "sprite"));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_clear_pointer(&err, g_free);

	g_assert_cmpint(run_tool(bad_frame, &err), ==, 2);
	g_assert_nonnull(strstr(err, "--frame"));
	g_assert_nonnull(strstr(err, "x1"));
	g_free(err);
	g_free(path);
}

/* Formats the sim cannot produce: known values through the tool's
 * converter directly.  BT.601 limited range: Y 16 is black, 235 white;
 * (81, 90, 240) is red, (145, 54, 34) green, (41, 240, 110) blue. */
static void test_pixels_direct(void)
{
	static const struct {
		uint8_t y, u, v, r, g, b;
	} yuv[] = {
		{ 16, 128, 128, 0, 0, 0 },
		{ 235, 128, 128, 255, 255, 255 },
		{ 81, 90, 240, 255, 0, 0 },
		{ 145, 54, 34, 0, 255, 1 },
		{ 41, 240, 110, 0, 0, 255 },
	};
	static const struct {
		uint32_t fourcc;
		int y0, u, y1, v;
	} orders[] = {
		{ DRM_FORMAT_YUYV, 0, 1, 2, 3 },
		{ DRM_FORMAT_YVYU, 0, 3, 2, 1 },
		{ DRM_FORMAT_UYVY, 1, 0, 3, 2 },
		{ DRM_FORMAT_VYUY, 1, 2, 3, 0 },
	};
	uint8_t src[8], rgba[8];
	uint32_t p;
	size_t i, j;
	int c;

	for (i = 0; i < G_N_ELEMENTS(orders); i++) {
		g_assert_true(tool_pixels_supported(orders[i].fourcc));
		for (j = 0; j < G_N_ELEMENTS(yuv); j++) {
			src[orders[i].y0] = yuv[j].y;
			src[orders[i].y1] = 16;	/* second pixel black */
			src[orders[i].u] = yuv[j].u;
			src[orders[i].v] = yuv[j].v;
			g_assert_cmpint(gvtdmabuf_convert_row_rgba8(orders[i].fourcc, src, 2, rgba), ==, 0);
			for (c = 0; c < 3; c++) {
				int want = c == 0 ? yuv[j].r : c == 1 ? yuv[j].g : yuv[j].b;

				g_assert_cmpint(abs((int)rgba[c] - want), <=, 2);
			}
			g_assert_cmpuint(rgba[3], ==, 255);
		}
	}

	/* ARGB2101010: 2-bit alpha to 8 bits, 10-bit channels rounded to the
	 * nearest: 3 is 0.75 (1, truncating gives 0), 512 is 127.6 (128,
	 * flooring v * 255 / 1023 gives 127), 7 is 1.74 (2, not 1). */
	p = 2u << 30 | 3u << 20 | 512u << 10 | 7u;
	memcpy(src, &p, 4);
	g_assert_cmpint(gvtdmabuf_convert_row_rgba8(DRM_FORMAT_ARGB2101010, src, 1, rgba), ==, 0);
	g_assert_cmpuint(rgba[0], ==, 1);
	g_assert_cmpuint(rgba[1], ==, 128);
	g_assert_cmpuint(rgba[2], ==, 2);
	g_assert_cmpuint(rgba[3], ==, 170);
	/* every 10-bit value, in each channel of both orders, against the
	 * nearest 8-bit value (v * 255 / 1023 never ends in exactly .5) */
	{
		static uint8_t row[1024 * 4], out[1024 * 4];
		uint32_t v, k;

		for (k = 0; k < 2; k++) {
			uint32_t fourcc = k ? DRM_FORMAT_XBGR2101010 : DRM_FORMAT_XRGB2101010;

			for (v = 0; v < 1024; v++) {
				/* the three channels carry v, 1023 - v and v ^ 0x155 */
				p = 3u << 30 | v << 20 | (1023 - v) << 10 | (v ^ 0x155);
				memcpy(row + 4 * v, &p, 4);
			}
			g_assert_cmpint(gvtdmabuf_convert_row_rgba8(fourcc, row, 1024, out), ==, 0);
			for (v = 0; v < 1024; v++) {
				uint32_t hi = v, mid = 1023 - v, lo = v ^ 0x155;
				uint32_t want_r = (uint32_t)lround((k ? lo : hi) * 255.0 / 1023.0);
				uint32_t want_b = (uint32_t)lround((k ? hi : lo) * 255.0 / 1023.0);

				g_assert_cmpuint(out[4 * v], ==, want_r);
				g_assert_cmpuint(out[4 * v + 1], ==, (uint32_t)lround(mid * 255.0 / 1023.0));
				g_assert_cmpuint(out[4 * v + 2], ==, want_b);
				g_assert_cmpuint(out[4 * v + 3], ==, 255);
			}
		}
	}
	g_assert_true(tool_pixels_has_alpha(DRM_FORMAT_ARGB2101010));
	g_assert_false(tool_pixels_has_alpha(DRM_FORMAT_XRGB2101010));

	/* RGB565 full scale stays full scale. */
	src[0] = 0xff;
	src[1] = 0xff;
	g_assert_cmpint(gvtdmabuf_convert_row_rgba8(DRM_FORMAT_RGB565, src, 1, rgba), ==, 0);
	g_assert_cmpuint(rgba[0] & rgba[1] & rgba[2], ==, 255);

	g_assert_false(tool_pixels_supported(DRM_FORMAT_NV12));
	g_assert_cmpint(gvtdmabuf_convert_row_rgba8(DRM_FORMAT_NV12, src, 1, rgba), ==, -ENOTSUP);
}

/* Composition clips on every side and blends with rounding. */
static void test_compose_clip(void)
{
	uint8_t dst_px[4 * 4 * 4], top_px[2 * 2 * 4];
	struct tool_image dst = { 4, 4, false, dst_px }, top = { 2, 2, true, top_px };
	static const int64_t pos[][2] = {
		{ -1, -1 }, { 3, 3 }, { -2, 0 }, { 4, 0 }, { 1, -5 }, { 1, 1 },
	};
	size_t i;
	int64_t x, y;

	for (i = 0; i < G_N_ELEMENTS(pos); i++) {
		memset(dst_px, 100, sizeof(dst_px));
		for (y = 0; y < 2; y++)
			for (x = 0; x < 2; x++) {
				uint8_t *t = top_px + (y * 2 + x) * 4;

				t[0] = 200;
				t[1] = 0;
				t[2] = (uint8_t)(x * 2 + y);
				t[3] = x ? 255 : 128;
			}
		tool_image_compose(&dst, &top, pos[i][0], pos[i][1]);
		for (y = 0; y < 4; y++)
			for (x = 0; x < 4; x++) {
				const uint8_t *d = dst_px + (y * 4 + x) * 4;
				int64_t lx = x - pos[i][0], ly = y - pos[i][1];
				bool in = lx >= 0 && ly >= 0 && lx < 2 && ly < 2;

				if (!in) {
					g_assert_cmpuint(d[0], ==, 100);
					continue;
				}
				if (lx == 1) {
					g_assert_cmpuint(d[0], ==, 200);
					g_assert_cmpuint(d[2], ==, 2 + ly);
				} else {
					/* (200 * 128 + 100 * 127 + 127) / 255 */
					g_assert_cmpuint(d[0], ==, 150);
					g_assert_cmpuint(d[1], ==, 50);
				}
			}
	}
}

#define LIN DRM_FORMAT_MOD_LINEAR
#define XT I915_FORMAT_MOD_X_TILED
#define YT I915_FORMAT_MOD_Y_TILED
#define YF I915_FORMAT_MOD_Yf_TILED

static const struct snap_case cases[] = {
	/* Frame 0: the cursor's top-left is at minus half its size. */
	{ "linear-xrgb8888-offscreen", 320, 200, DRM_FORMAT_XRGB8888, LIN, 9, 64, false, 0, NULL, true },
	{ "linear-xrgb8888", 320, 200, DRM_FORMAT_XRGB8888, LIN, 9, 64, false, 13, NULL, false },
	{ "xtiled-xrgb8888", 400, 240, DRM_FORMAT_XRGB8888, XT, 9, 64, false, 21, NULL, false },
	{ "xtiled-xrgb8888-offscreen", 400, 240, DRM_FORMAT_XRGB8888, XT, 9, 64, false, 1, NULL, true },
	{ "ytiled-xrgb8888", 352, 224, DRM_FORMAT_XRGB8888, YT, 9, 128, false, 34, NULL, false },
	{ "ytiled-argb8888-sprite", 480, 272, DRM_FORMAT_ARGB8888, YT, 9, 64, true, 40, NULL, false },
	{ "xtiled-xbgr8888-gen8", 320, 200, DRM_FORMAT_XBGR8888, XT, 8, 64, false, 9, NULL, false },
	{ "linear-abgr8888", 320, 200, DRM_FORMAT_ABGR8888, LIN, 9, 256, false, 5, NULL, true },
	{ "linear-rgb565", 320, 200, DRM_FORMAT_RGB565, LIN, 9, 64, false, 17, NULL, false },
	{ "xtiled-rgb565", 336, 200, DRM_FORMAT_RGB565, XT, 9, 64, false, 2, NULL, true },
	{ "xtiled-xrgb2101010", 320, 200, DRM_FORMAT_XRGB2101010, XT, 9, 64, false, 11, NULL, false },
	{ "ytiled-xbgr2101010", 320, 200, DRM_FORMAT_XBGR2101010, YT, 9, 64, true, 6, NULL, false },
	{ "yftiled-xrgb8888-offscreen", 336, 200, DRM_FORMAT_XRGB8888, YF, 9, 64, false, 3, NULL, true },
	{ "yftiled-rgb565-sprite", 320, 208, DRM_FORMAT_RGB565, YF, 9, 128, true, 12, NULL, false },
	{ "linear-yuyv", 320, 200, DRM_FORMAT_YUYV, LIN, 9, 64, false, 19, NULL, false },
	{ "ytiled-yuyv-offscreen", 320, 200, DRM_FORMAT_YUYV, YT, 9, 64, false, 0, NULL, true },
	{ "no-cursor", 320, 200, DRM_FORMAT_XRGB8888, XT, 9, 64, false, 13, "--no-cursor", false },
	{ "cursor-off", 320, 200, DRM_FORMAT_XRGB8888, LIN, 9, 0, false, 13, NULL, false },
	{ "plane-cursor", 320, 200, DRM_FORMAT_XRGB8888, LIN, 9, 128, false, 3, "--plane=cursor", false },
	{ "plane-sprite", 320, 200, DRM_FORMAT_XRGB8888, LIN, 9, 64, true, 3, "--plane=sprite", false },
};

int main(int argc, char **argv)
{
	GError *error = NULL;
	char *name;
	size_t i;
	int ret;

	g_test_init(&argc, &argv, NULL);
	tool_path = g_getenv("GVT_DMABUF_TOOL");
	if (!tool_path || !*tool_path) {
		g_printerr("GVT_DMABUF_TOOL is not set (meson sets it): skipping\n");
		return 77;
	}
	tmpdir = g_dir_make_tmp("test-snapshot-XXXXXX", &error);
	g_assert_no_error(error);

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		name = g_strdup_printf("/tool/snapshot/%s", cases[i].name);
		g_test_add_data_func(name, &cases[i], test_snapshot);
		g_free(name);
	}
	g_test_add_func("/tool/snapshot/yuv-reference", test_yuv_reference);
	g_test_add_func("/tool/snapshot/errors", test_errors);
	g_test_add_func("/tool/pixels/direct", test_pixels_direct);
	g_test_add_func("/tool/pixels/compose-clip", test_compose_clip);
	ret = g_test_run();
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return ret;
}
