/* SPDX-License-Identifier: MIT */
/*
 * The guest model: config checks, layout, painting in every format and
 * tiling (read back with an independent tiled-address reference), purity,
 * the block code (also after noise and blur), cursor and sprite, and the
 * registers it programs as the decoder sees them.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <drm_fourcc.h>

#include "gvtsim_fb_decoder.h"
#include "guest-model.h"

static uint32_t *regs;

static void reg_write(void *user, uint32_t off, uint32_t v)
{
	g_assert_cmpuint(off % 4, ==, 0);
	g_assert_cmpuint(off, <, GVTSIM_MMIO_SIZE);
	regs[off / 4] = v;
	(*(unsigned int *)user)++;
}

static void base_config(struct gvtsim_guest_config *cfg)
{
	gvtsim_guest_config_default(cfg);
	cfg->width = 320;
	cfg->height = 200;
}

/* Byte offset of byte xb of row y in a tiled surface (no swizzle): the
 * reference the painter's row scatter is checked against. */
static size_t tiled_offset(uint64_t mod, uint32_t stride, uint32_t xb, uint32_t y)
{
	if (mod == I915_FORMAT_MOD_X_TILED)
		return (size_t)(y / 8) * stride * 8 + (xb / 512) * 4096 + (y % 8) * 512 + xb % 512;
	if (mod == I915_FORMAT_MOD_Y_TILED)
		return (size_t)(y / 32) * stride * 32 + (xb / 128) * 4096 +
		       ((xb % 128) / 16) * 512 + (y % 32) * 16 + xb % 16;
	if (mod == I915_FORMAT_MOD_Yf_TILED) {
		/* gmmlib INTEL_TILE_YF_32 (and _16): bits 15..0 =
		 * o o o o X Y X Y X Y Y Y X X X X */
		static const char pattern[] = "xxxxyyyxyxyx";	/* bit 0 first */
		uint32_t tx = xb % 128, ty = y % 32, off = 0;
		unsigned int bit, xi = 0, yi = 0;

		for (bit = 0; bit < 12; bit++) {
			if (pattern[bit] == 'x')
				off |= ((tx >> xi++) & 1u) << bit;
			else
				off |= ((ty >> yi++) & 1u) << bit;
		}
		return (size_t)(y / 32) * stride * 32 + (xb / 128) * 4096 + off;
	}
	return (size_t)y * stride + xb;
}

static uint32_t read_native(const uint8_t *fb, const struct gvtsim_guest_layout *l,
			    uint64_t mod, uint32_t x, uint32_t y)
{
	uint32_t v = 0, i;

	for (i = 0; i < l->cpp; i++)
		v |= (uint32_t)fb[tiled_offset(mod, l->stride, x * l->cpp + i, y)] << (8 * i);
	return v;
}

struct guest_fixture {
	struct gvtsim_guest g;
	uint8_t *gm;
	unsigned int writes;
};

static void guest_setup(struct guest_fixture *f, const struct gvtsim_guest_config *cfg)
{
	struct gvtsim_guest_layout l;

	memset(regs, 0, GVTSIM_MMIO_SIZE);
	g_assert_cmpint(gvtsim_guest_compute_layout(cfg, &l), ==, 0);
	f->gm = g_malloc0(l.gm_size);
	f->writes = 0;
	g_assert_cmpint(gvtsim_guest_init(&f->g, cfg, reg_write, NULL, &f->writes, f->gm,
					  l.gm_size), ==, 0);
	gvtsim_guest_program_mode(&f->g);
}

static void guest_teardown(struct guest_fixture *f)
{
	gvtsim_guest_finish(&f->g);
	g_free(f->gm);
}

static int decode(const struct guest_fixture *f, enum gvtsim_plane_id id, struct gvtsim_plane *p)
{
	struct gvtsim_decoder_input in = {
		.mmio = regs,
		.mmio_size = GVTSIM_MMIO_SIZE,
		.gm_size = f->g.layout.gm_size,
		.gen = f->g.cfg.gen == 8 ? GVTSIM_GEN8 : GVTSIM_GEN9,
		.max_width = f->g.cfg.width,
		.max_height = f->g.cfg.height,
	};

	return gvtsim_decode_plane(&in, id, p, NULL);
}

/* ---- config ------------------------------------------------------------ */

static void test_config_check(void)
{
	struct gvtsim_guest_config cfg;
	struct gvtsim_guest_layout l;
	const char *why;

	base_config(&cfg);
	g_assert_cmpint(gvtsim_guest_config_check(&cfg, NULL), ==, 0);

#define EXPECT(field_change, err)						\
	do {								\
		base_config(&cfg);					\
		field_change;						\
		why = NULL;						\
		g_assert_cmpint(gvtsim_guest_config_check(&cfg, &why), ==, err); \
		g_assert_nonnull(why);					\
		memset(&l, 0x5a, sizeof(l));				\
		g_assert_cmpint(gvtsim_guest_compute_layout(&cfg, &l), ==, err); \
		g_assert_cmphex(l.stride, ==, 0x5a5a5a5a);		\
	} while (0)

	EXPECT(cfg.width = 255, -EINVAL);
	EXPECT(cfg.height = 159, -EINVAL);
	EXPECT(cfg.width = 8193, -EINVAL);
	EXPECT(cfg.gen = 7, -EINVAL);
	EXPECT(cfg.fourcc = DRM_FORMAT_NV12, -EINVAL);
	EXPECT((cfg.fourcc = DRM_FORMAT_YUYV, cfg.gen = 8), -EINVAL);
	EXPECT((cfg.fourcc = DRM_FORMAT_YUYV, cfg.width = 321), -EINVAL);
	EXPECT((cfg.modifier = I915_FORMAT_MOD_Y_TILED, cfg.gen = 8), -EINVAL);
	EXPECT((cfg.modifier = I915_FORMAT_MOD_Yf_TILED, cfg.gen = 8), -EINVAL);
	EXPECT(cfg.modifier = 12345, -EINVAL);
	EXPECT(cfg.n_buffers = 1, -EINVAL);
	EXPECT(cfg.n_buffers = 4, -EINVAL);
	EXPECT(cfg.cursor_size = 32, -EINVAL);
#undef EXPECT
}

static void test_layout(void)
{
	static const uint64_t mods[] = { DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED,
					 I915_FORMAT_MOD_Y_TILED };
	static const uint32_t tw[] = { 64, 512, 128 }, th[] = { 1, 8, 32 };
	struct gvtsim_guest_config cfg;
	struct gvtsim_guest_layout l;
	size_t i;
	unsigned int b;

	for (i = 0; i < G_N_ELEMENTS(mods); i++) {
		base_config(&cfg);
		cfg.width = 1366;
		cfg.height = 771;
		cfg.modifier = mods[i];
		cfg.n_buffers = 3;
		cfg.cursor_size = 128;
		cfg.sprite = true;
		g_assert_cmpint(gvtsim_guest_compute_layout(&cfg, &l), ==, 0);
		g_assert_cmpuint(l.cpp, ==, 4);
		g_assert_cmpuint(l.stride % tw[i], ==, 0);
		g_assert_cmpuint(l.stride, >=, 1366 * 4);
		g_assert_cmpuint(l.stride, <, 1366 * 4 + tw[i]);
		g_assert_cmpuint(l.tile_height, ==, th[i]);
		g_assert_cmpuint(l.fb_size % 4096, ==, 0);
		g_assert_cmpuint(l.fb_size, >=, (uint64_t)l.stride * ((771 + th[i] - 1) / th[i] * th[i]));
		for (b = 0; b < 3; b++) {
			g_assert_cmpuint(l.fb_offset[b] % 4096, ==, 0);
			g_assert_cmpuint(l.fb_offset[b], ==, (uint64_t)b * l.fb_size);
		}
		g_assert_cmpuint(l.cursor_offset, >=, l.fb_offset[2] + l.fb_size);
		g_assert_cmpuint(l.cursor_offset % 4096, ==, 0);
		g_assert_cmpuint(l.cursor_bytes, ==, 128 * 128 * 4);
		g_assert_cmpuint(l.sprite_offset, >=, l.cursor_offset + l.cursor_bytes);
		g_assert_cmpuint(l.sprite_offset % 4096, ==, 0);
		g_assert_cmpuint(l.gm_size, ==, l.sprite_offset + l.sprite_bytes);
	}
}

/* ---- painting ---------------------------------------------------------- */

static void check_paint(const struct gvtsim_guest_config *cfg)
{
	struct guest_fixture f;
	struct gvtsim_plane p;
	const uint64_t frame = 13, time_us = 4242;
	const struct gvtsim_guest_layout *l;
	const uint8_t *fb;
	uint32_t x, y;

	guest_setup(&f, cfg);
	l = &f.g.layout;
	gvtsim_guest_show_frame(&f.g, frame, time_us);

	/* the decoder sees the surface the layout promised */
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p), ==, 0);
	g_assert_true(p.enabled);
	g_assert_cmphex(p.drm_format, ==, cfg->fourcc);
	g_assert_cmphex(p.modifier, ==, cfg->modifier);
	g_assert_cmpuint(p.width, ==, cfg->width);
	g_assert_cmpuint(p.height, ==, cfg->height);
	g_assert_cmpuint(p.stride, ==, l->stride);
	g_assert_cmpuint(p.size, ==, l->fb_size);
	g_assert_cmpuint(p.gm_offset, ==, l->fb_offset[frame % cfg->n_buffers]);

	fb = f.gm + p.gm_offset;
	for (y = 0; y < cfg->height; y++) {
		for (x = 0; x < cfg->width; x++) {
			uint32_t got = read_native(fb, l, cfg->modifier, x, y);
			uint32_t want = gvtsim_guest_expected_native(cfg, frame, time_us, x, y);

			if (got != want)
				g_error("fourcc %.4s mod %" G_GINT64_MODIFIER "x gen %u: pixel %u,%u "
					"is %08x, expected %08x", (const char *)&cfg->fourcc,
					cfg->modifier, cfg->gen, x, y, got, want);
		}
	}
	guest_teardown(&f);
}

static void test_paint_all(void)
{
	static const uint32_t fourccs[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
		DRM_FORMAT_ABGR8888, DRM_FORMAT_RGB565, DRM_FORMAT_XRGB2101010,
		DRM_FORMAT_XBGR2101010, DRM_FORMAT_YUYV,
	};
	static const uint64_t mods[] = { DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED,
					 I915_FORMAT_MOD_Y_TILED, I915_FORMAT_MOD_Yf_TILED };
	struct gvtsim_guest_config cfg;
	size_t i, j;
	unsigned int gen;

	for (gen = 8; gen <= 9; gen++) {
		for (i = 0; i < G_N_ELEMENTS(fourccs); i++) {
			for (j = 0; j < G_N_ELEMENTS(mods); j++) {
				base_config(&cfg);
				cfg.width = 300;	/* not a multiple of any tile width */
				cfg.height = 170;
				cfg.gen = gen;
				cfg.fourcc = fourccs[i];
				cfg.modifier = mods[j];
				if (gvtsim_guest_config_check(&cfg, NULL))
					continue;	/* gen 8: no Y, no YUV */
				check_paint(&cfg);
			}
		}
	}
}

/* Other modes (smallest, odd sizes, a wide one) and frames painted one
 * after another into the same buffers, as the sim's guest does: every
 * pixel is still the expected value, whatever the buffer held before. */
static void test_paint_sizes(void)
{
	static const struct {
		uint32_t w, h, fourcc;
		uint64_t mod;
	} cases[] = {
		{ 256, 160, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR },
		{ 256, 160, DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED },
		{ 256, 160, DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_Y_TILED },
		{ 256, 160, DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_Yf_TILED },
		{ 651, 347, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR },
		{ 651, 347, DRM_FORMAT_ARGB8888, I915_FORMAT_MOD_X_TILED },
		{ 651, 347, DRM_FORMAT_XBGR2101010, I915_FORMAT_MOD_Y_TILED },
		{ 651, 347, DRM_FORMAT_RGB565, I915_FORMAT_MOD_Yf_TILED },
		{ 650, 347, DRM_FORMAT_YUYV, I915_FORMAT_MOD_X_TILED },
		{ 1024, 600, DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_Y_TILED },
	};
	static const uint64_t frames[] = { 0, 1, 2, 77, 100001 };
	size_t i, k;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct gvtsim_guest_config cfg;
		struct guest_fixture f;
		const struct gvtsim_guest_layout *l;
		size_t n_frames = cases[i].w > 700 ? 2 : G_N_ELEMENTS(frames);

		base_config(&cfg);
		cfg.width = cases[i].w;
		cfg.height = cases[i].h;
		cfg.fourcc = cases[i].fourcc;
		cfg.modifier = cases[i].mod;
		guest_setup(&f, &cfg);
		l = &f.g.layout;
		/* garbage in the buffers first: a frame overwrites all of it */
		memset(f.gm, 0x5a, l->fb_offset[1] + l->fb_size);
		for (k = 0; k < n_frames; k++) {
			const uint64_t frame = frames[k], t = frame * 16667 + 3;
			const uint8_t *fb = f.gm + l->fb_offset[frame % cfg.n_buffers];
			uint32_t x, y;

			gvtsim_guest_show_frame(&f.g, frame, t);
			for (y = 0; y < cfg.height; y++) {
				for (x = 0; x < cfg.width; x++) {
					uint32_t got = read_native(fb, l, cfg.modifier, x, y);
					uint32_t want = gvtsim_guest_expected_native(&cfg, frame, t,
										     x, y);

					if (got != want)
						g_error("%ux%u %.4s mod %" G_GINT64_MODIFIER "x frame %"
							G_GUINT64_FORMAT ": pixel %u,%u is %08x, "
							"expected %08x", cfg.width, cfg.height,
							(const char *)&cfg.fourcc, cfg.modifier, frame,
							x, y, got, want);
				}
			}
			/* a linear row's padding is zero */
			if (cfg.modifier == DRM_FORMAT_MOD_LINEAR)
				for (y = 0; y < cfg.height; y++)
					for (x = cfg.width * l->cpp; x < l->stride; x++)
						g_assert_cmpuint(fb[(size_t)y * l->stride + x], ==, 0);
		}
		guest_teardown(&f);
	}
}

static void test_pure(void)
{
	struct gvtsim_guest_config cfg;
	struct guest_fixture a, b;
	size_t n;

	base_config(&cfg);
	cfg.modifier = I915_FORMAT_MOD_X_TILED;
	guest_setup(&a, &cfg);
	guest_setup(&b, &cfg);
	n = a.g.layout.fb_size;

	gvtsim_guest_paint(&a.g, 7, 1000);
	gvtsim_guest_paint(&b.g, 7, 1000);
	g_assert_cmpmem(a.gm + a.g.layout.fb_offset[1], n, b.gm + b.g.layout.fb_offset[1], n);

	/* painting over an older frame gives the same bytes as a fresh one */
	gvtsim_guest_paint(&b.g, 9, 5);
	gvtsim_guest_paint(&b.g, 7, 1000);
	g_assert_cmpmem(a.gm + a.g.layout.fb_offset[1], n, b.gm + b.g.layout.fb_offset[1], n);

	/* another frame or another time is another picture */
	gvtsim_guest_paint(&b.g, 9, 1000);
	g_assert_true(memcmp(a.gm + a.g.layout.fb_offset[1], b.gm + b.g.layout.fb_offset[1], n));
	gvtsim_guest_paint(&b.g, 7, 1001);
	g_assert_true(memcmp(a.gm + a.g.layout.fb_offset[1], b.gm + b.g.layout.fb_offset[1], n));

	/* the expected values do not depend on any painting */
	g_assert_cmphex(gvtsim_guest_expected_argb(&cfg, 7, 1000, 200, 150), ==,
			gvtsim_guest_expected_argb(&cfg, 7, 1000, 200, 150));
	guest_teardown(&a);
	guest_teardown(&b);
}

static void test_rgb565_expected(void)
{
	struct gvtsim_guest_config cfg;
	uint32_t x, y;

	base_config(&cfg);
	cfg.fourcc = DRM_FORMAT_RGB565;
	for (y = 0; y < cfg.height; y += 7) {
		for (x = 0; x < cfg.width; x += 5) {
			uint32_t n = gvtsim_guest_expected_native(&cfg, 3, 0, x, y);
			uint32_t a = gvtsim_guest_expected_argb(&cfg, 3, 0, x, y);
			uint32_t r = (n >> 11) & 0x1f, g = (n >> 5) & 0x3f, b = n & 0x1f;

			g_assert_cmpuint(n, <=, 0xffff);
			g_assert_cmphex(a, ==, 0xff000000u | ((r << 3 | r >> 2) << 16) |
					((g << 2 | g >> 4) << 8) | (b << 3 | b >> 2));
		}
	}
}

/* ---- block code --------------------------------------------------------- */

static uint32_t *render_xrgb(const struct gvtsim_guest_config *cfg, uint64_t frame,
			     uint64_t time_us)
{
	uint32_t *img = g_new(uint32_t, (size_t)cfg->width * cfg->height);
	uint32_t x, y;

	for (y = 0; y < cfg->height; y++)
		for (x = 0; x < cfg->width; x++)
			img[(size_t)y * cfg->width + x] =
				gvtsim_guest_expected_composited(cfg, frame, time_us, x, y);
	return img;
}

static void test_blockcode_roundtrip(void)
{
	static const uint64_t values[][2] = {
		{ 0, 0 }, { 1, 16666 }, { 123456789, 987654321012ull },
		{ UINT64_MAX, UINT64_MAX }, { 0x8000000000000001ull, 0x5555aaaa5555aaaaull },
	};
	struct gvtsim_guest_config cfg;
	size_t i;

	base_config(&cfg);
	cfg.cursor_size = 0;	/* the cursor would sit on the code */
	for (i = 0; i < G_N_ELEMENTS(values); i++) {
		uint32_t *img = render_xrgb(&cfg, values[i][0], values[i][1]);
		uint64_t frame = 1, t = 2;

		g_assert_cmpint(gvtsim_guest_decode_blockcode(img, cfg.width * 4, cfg.width,
							      cfg.height, &frame, &t), ==, 0);
		g_assert_cmpuint(frame, ==, values[i][0]);
		g_assert_cmpuint(t, ==, values[i][1]);
		g_free(img);
	}
}

/* Decode after the damage an encoder does: per-pixel noise, then a 5x5
 * box blur, then quantisation to 5 bits per channel. */
static void test_blockcode_lossy(void)
{
	struct gvtsim_guest_config cfg;
	uint32_t *img, *out;
	uint32_t x, y, w, h;
	uint64_t frame, t;
	GRand *rand = g_rand_new_with_seed(42);

	base_config(&cfg);
	cfg.cursor_size = 0;
	w = cfg.width;
	h = cfg.height;
	img = render_xrgb(&cfg, 777, 123456);
	out = g_new(uint32_t, (size_t)w * h);

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			uint32_t p = img[y * w + x], q = 0xff000000u, c;
			int shift;

			for (shift = 0; shift <= 16; shift += 8) {
				int v = (int)((p >> shift) & 0xff) + g_rand_int_range(rand, -60, 61);

				c = (uint32_t)CLAMP(v, 0, 255);
				q |= c << shift;
			}
			img[y * w + x] = q;
		}
	}
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			uint32_t sum[3] = { 0 }, n = 0, c;
			int dx, dy;

			for (dy = -2; dy <= 2; dy++) {
				for (dx = -2; dx <= 2; dx++) {
					int xx = (int)x + dx, yy = (int)y + dy;

					if (xx < 0 || yy < 0 || xx >= (int)w || yy >= (int)h)
						continue;
					for (c = 0; c < 3; c++)
						sum[c] += (img[yy * w + xx] >> (8 * c)) & 0xff;
					n++;
				}
			}
			out[y * w + x] = 0xff000000u;
			for (c = 0; c < 3; c++)
				out[y * w + x] |= ((sum[c] / n) & 0xf8) << (8 * c);
		}
	}
	g_assert_cmpint(gvtsim_guest_decode_blockcode(out, w * 4, w, h, &frame, &t), ==, 0);
	g_assert_cmpuint(frame, ==, 777);
	g_assert_cmpuint(t, ==, 123456);

	/* a stride larger than the row works too */
	{
		uint32_t *wide = g_new0(uint32_t, (size_t)(w + 8) * h);

		for (y = 0; y < h; y++)
			memcpy(wide + (size_t)y * (w + 8), out + (size_t)y * w, w * 4);
		g_assert_cmpint(gvtsim_guest_decode_blockcode(wide, (w + 8) * 4, w, h, &frame, &t),
				==, 0);
		g_assert_cmpuint(frame, ==, 777);
		g_free(wide);
	}

	g_free(img);
	g_free(out);
	g_rand_free(rand);
}

static void test_blockcode_errors(void)
{
	struct gvtsim_guest_config cfg;
	uint32_t *img;
	uint64_t frame = 99, t = 98;
	uint32_t x, y, w;

	base_config(&cfg);
	cfg.cursor_size = 0;
	w = cfg.width;
	img = render_xrgb(&cfg, 5, 6);

	/* too small */
	g_assert_cmpint(gvtsim_guest_decode_blockcode(img, w * 4, GVTSIM_BLOCKCODE_WIDTH - 1,
						      cfg.height, &frame, &t), ==, -EINVAL);
	g_assert_cmpint(gvtsim_guest_decode_blockcode(img, w * 4, w, GVTSIM_BLOCKCODE_HEIGHT - 1,
						      &frame, &t), ==, -EINVAL);
	g_assert_cmpint(gvtsim_guest_decode_blockcode(img, 4, w, cfg.height, &frame, &t), ==,
			-EINVAL);
	g_assert_cmpint(gvtsim_guest_decode_blockcode(NULL, w * 4, w, cfg.height, &frame, &t),
			==, -EINVAL);

	/* one flipped payload cell: the check value catches it */
	for (y = 3 * GVTSIM_BLOCKCODE_CELL; y < 4 * GVTSIM_BLOCKCODE_CELL; y++)
		for (x = 5 * GVTSIM_BLOCKCODE_CELL; x < 6 * GVTSIM_BLOCKCODE_CELL; x++)
			img[y * w + x] ^= 0x00ffffff;
	g_assert_cmpint(gvtsim_guest_decode_blockcode(img, w * 4, w, cfg.height, &frame, &t),
			==, -EBADMSG);
	g_assert_cmpuint(frame, ==, 99);
	g_assert_cmpuint(t, ==, 98);

	/* a grey picture has no code */
	for (y = 0; y < cfg.height; y++)
		for (x = 0; x < w; x++)
			img[y * w + x] = 0xff808080u;
	g_assert_cmpint(gvtsim_guest_decode_blockcode(img, w * 4, w, cfg.height, &frame, &t),
			==, -EBADMSG);
	g_free(img);
}

/* ---- cursor, sprite, compositing --------------------------------------- */

static void test_cursor(void)
{
	static const uint32_t sizes[] = { 64, 128, 256 };
	struct gvtsim_guest_config cfg;
	struct guest_fixture f;
	struct gvtsim_plane p;
	bool seen_neg_x = false, seen_neg_y = false;
	uint64_t frame;
	uint32_t x, y;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
		base_config(&cfg);
		cfg.cursor_size = sizes[i];
		guest_setup(&f, &cfg);

		/* the image in graphics memory */
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p), ==, 0);
		g_assert_true(p.enabled);
		g_assert_cmpuint(p.width, ==, sizes[i]);
		g_assert_cmpuint(p.gm_offset, ==, f.g.layout.cursor_offset);
		for (y = 0; y < sizes[i]; y++)
			for (x = 0; x < sizes[i]; x++)
				g_assert_cmphex(((uint32_t *)(f.gm + p.gm_offset))[y * sizes[i] + x],
						==, gvtsim_guest_expected_cursor_pixel(&cfg, x, y));
		/* opaque, translucent and transparent pixels all occur */
		g_assert_cmphex(gvtsim_guest_expected_cursor_pixel(&cfg, 0, 0) >> 24, ==, 0xff);
		g_assert_cmphex(gvtsim_guest_expected_cursor_pixel(&cfg, sizes[i] - 1, 0), ==, 0);

		/* positions through CURPOS, signs included */
		for (frame = 0; frame < 400; frame++) {
			int32_t ex, ey;

			gvtsim_guest_move_cursor(&f.g, frame);
			gvtsim_guest_expected_cursor_pos(&cfg, frame, &ex, &ey);
			g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p), ==, 0);
			g_assert_cmpint(p.x_pos, ==, ex);
			g_assert_cmpint(p.y_pos, ==, ey);
			g_assert_cmpint(ex, >=, -(int32_t)sizes[i]);
			g_assert_cmpint(ey, >=, -(int32_t)sizes[i]);
			g_assert_cmpint(ex, <, (int32_t)cfg.width);
			g_assert_cmpint(ey, <, (int32_t)cfg.height);
			seen_neg_x |= ex < 0;
			seen_neg_y |= ey < 0;
		}
		guest_teardown(&f);
	}
	g_assert_true(seen_neg_x);
	g_assert_true(seen_neg_y);

	/* no cursor: the plane is off */
	base_config(&cfg);
	cfg.cursor_size = 0;
	guest_setup(&f, &cfg);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p), ==, 0);
	g_assert_false(p.enabled);
	guest_teardown(&f);
}

static void test_sprite(void)
{
	struct gvtsim_guest_config cfg;
	struct guest_fixture f;
	struct gvtsim_plane p;
	unsigned int gen;
	uint64_t frame;
	uint32_t x, y;

	for (gen = 8; gen <= 9; gen++) {
		base_config(&cfg);
		cfg.gen = gen;
		cfg.sprite = true;
		guest_setup(&f, &cfg);
		for (frame = 0; frame < 50; frame += 7) {
			int32_t ex, ey;

			gvtsim_guest_show_frame(&f.g, frame, 0);
			gvtsim_guest_expected_sprite_pos(&cfg, frame, &ex, &ey);
			g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p), ==, 0);
			g_assert_true(p.enabled);
			g_assert_cmphex(p.drm_format, ==, DRM_FORMAT_XRGB8888);
			g_assert_cmpuint(p.width, ==, GVTSIM_GUEST_SPRITE_WIDTH);
			g_assert_cmpuint(p.height, ==, GVTSIM_GUEST_SPRITE_HEIGHT);
			g_assert_cmpint(p.x_pos, ==, ex);
			g_assert_cmpint(p.y_pos, ==, ey);
		}
		for (y = 0; y < GVTSIM_GUEST_SPRITE_HEIGHT; y++)
			for (x = 0; x < GVTSIM_GUEST_SPRITE_WIDTH; x++)
				g_assert_cmphex(*(uint32_t *)(f.gm + p.gm_offset + y * p.stride + 4 * x),
						==, gvtsim_guest_expected_sprite_pixel(&cfg, x, y));
		guest_teardown(&f);
	}
}

static void test_composited(void)
{
	struct gvtsim_guest_config cfg;
	const uint64_t frame = 40;
	int32_t cx, cy, sx, sy;
	uint32_t x, y, opaque = 0, clear = 0, shadow = 0;

	base_config(&cfg);
	cfg.width = 640;
	cfg.height = 480;
	cfg.sprite = true;
	gvtsim_guest_expected_cursor_pos(&cfg, frame, &cx, &cy);
	gvtsim_guest_expected_sprite_pos(&cfg, frame, &sx, &sy);

	for (y = 0; y < cfg.cursor_size; y++) {
		for (x = 0; x < cfg.cursor_size; x++) {
			int32_t px = cx + (int32_t)x, py = cy + (int32_t)y;
			uint32_t c = gvtsim_guest_expected_cursor_pixel(&cfg, x, y), below, got;

			if (px < 0 || py < 0 || px >= (int32_t)cfg.width || py >= (int32_t)cfg.height)
				continue;
			got = gvtsim_guest_expected_composited(&cfg, frame, 0, (uint32_t)px,
							       (uint32_t)py);
			if (px >= sx && py >= sy && px < sx + (int32_t)GVTSIM_GUEST_SPRITE_WIDTH &&
			    py < sy + (int32_t)GVTSIM_GUEST_SPRITE_HEIGHT)
				below = gvtsim_guest_expected_sprite_pixel(&cfg, (uint32_t)(px - sx),
									  (uint32_t)(py - sy));
			else
				below = gvtsim_guest_expected_argb(&cfg, frame, 0, (uint32_t)px,
								   (uint32_t)py);
			if (c >> 24 == 0xff) {
				g_assert_cmphex(got, ==, c);
				opaque++;
			} else if (c >> 24 == 0) {
				g_assert_cmphex(got, ==, below);
				clear++;
			} else {
				/* black at half alpha: each channel about halved */
				uint32_t k;

				for (k = 0; k < 24; k += 8) {
					int want = (int)(((below >> k) & 0xff) * 127 / 255);

					g_assert_cmpint(ABS((int)((got >> k) & 0xff) - want), <=, 1);
				}
				shadow++;
			}
		}
	}
	g_assert_cmpuint(opaque, >, 0);
	g_assert_cmpuint(clear, >, 0);
	g_assert_cmpuint(shadow, >, 0);

	/* far from cursor and sprite: the primary */
	for (y = 0; y < cfg.height; y += 37) {
		for (x = 0; x < cfg.width; x += 41) {
			int32_t px = (int32_t)x, py = (int32_t)y;

			if ((px >= cx - 1 && px < cx + 65 && py >= cy - 1 && py < cy + 65) ||
			    (px >= sx && px < sx + 128 && py >= sy && py < sy + 96))
				continue;
			g_assert_cmphex(gvtsim_guest_expected_composited(&cfg, frame, 0, x, y), ==,
					gvtsim_guest_expected_argb(&cfg, frame, 0, x, y));
		}
	}
}

/* The guest never paints the buffer on screen (the one the registers
 * scan out): painting frame N + 1 leaves every byte of frame N's buffer,
 * of the cursor and of the sprite as it was, with two and three buffers,
 * linear and tiled, over more frames than buffers. */
static void test_paint_off_screen(void)
{
	static const uint64_t mods[] = { DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_Y_TILED };
	unsigned int nb, m;

	for (nb = 2; nb <= 3; nb++) {
		for (m = 0; m < G_N_ELEMENTS(mods); m++) {
			struct gvtsim_guest_config cfg;
			struct guest_fixture f;
			struct gvtsim_plane p;
			uint8_t *screen;
			uint64_t frame;
			size_t n;

			base_config(&cfg);
			cfg.n_buffers = nb;
			cfg.modifier = mods[m];
			cfg.sprite = true;
			guest_setup(&f, &cfg);
			n = f.g.layout.gm_size;
			screen = g_malloc(n);
			gvtsim_guest_show_frame(&f.g, 0, 0);
			for (frame = 1; frame <= 7; frame++) {
				uint64_t on;

				g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p), ==, 0);
				g_assert_true(p.enabled);
				on = p.gm_offset;
				memcpy(screen, f.gm, n);
				gvtsim_guest_paint(&f.g, frame, frame * 1000);
				/* the scanned-out buffer is untouched... */
				g_assert_cmpint(memcmp(f.gm + on, screen + on, f.g.layout.fb_size), ==, 0);
				/* ...and so are the cursor and the sprite */
				g_assert_cmpint(memcmp(f.gm + f.g.layout.cursor_offset,
						       screen + f.g.layout.cursor_offset,
						       f.g.layout.cursor_bytes), ==, 0);
				g_assert_cmpint(memcmp(f.gm + f.g.layout.sprite_offset,
						       screen + f.g.layout.sprite_offset,
						       f.g.layout.sprite_bytes), ==, 0);
				/* ...while another buffer got the new frame */
				g_assert_cmpint(memcmp(f.gm, screen, n), !=, 0);
				gvtsim_guest_flip(&f.g, frame);
				gvtsim_guest_move_cursor(&f.g, frame);
				g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p), ==, 0);
				g_assert_cmpuint(p.gm_offset, !=, on);
			}
			g_free(screen);
			guest_teardown(&f);
		}
	}
}

/* The composited picture (primary, sprite, cursor: what a snapshot or an
 * encoded stream shows) carries every frame's number and time in its
 * block code: the cursor and the sprite keep out of its corner.  Frames 5
 * and 14 of 640x360 once read as 2^63 + 5 and 2^27 + 14. */
static void test_composited_blockcode(void)
{
	static const struct {
		uint32_t w, h, cursor;
		bool sprite;
	} modes[] = {
		{ 640, 360, 64, true },
		{ 320, 200, 128, false },	/* (no room for the sprite) */
		{ 400, 300, 128, true },
		{ 1280, 720, 256, true },
		{ 256, 400, 64, true },		/* no room right of the code */
		{ 600, 160, 64, false },	/* no room below it */
		{ 1920, 1080, 64, true },
	};
	const uint32_t bw = GVTSIM_BLOCKCODE_WIDTH, bh = GVTSIM_BLOCKCODE_HEIGHT;
	uint32_t *pic = g_malloc((size_t)bw * bh * 4);
	unsigned int m;

	for (m = 0; m < G_N_ELEMENTS(modes); m++) {
		struct gvtsim_guest_config cfg;
		uint64_t frame;

		base_config(&cfg);
		cfg.width = modes[m].w;
		cfg.height = modes[m].h;
		cfg.cursor_size = modes[m].cursor;
		cfg.sprite = modes[m].sprite;
		g_assert_cmpint(gvtsim_guest_config_check(&cfg, NULL), ==, 0);
		for (frame = 0; frame < 240; frame++) {
			uint64_t t = frame * 16667 + 12345, got_f = 0, got_t = 0;
			uint32_t x, y;
			int r;

			/* the decoder reads the central half of each cell only */
			for (y = 0; y < bh; y++)
				for (x = 0; x < bw; x++) {
					uint32_t cx = x % GVTSIM_BLOCKCODE_CELL, cy = y % GVTSIM_BLOCKCODE_CELL;
					bool centre = cx >= GVTSIM_BLOCKCODE_CELL / 4 &&
						      cx < GVTSIM_BLOCKCODE_CELL * 3 / 4 &&
						      cy >= GVTSIM_BLOCKCODE_CELL / 4 &&
						      cy < GVTSIM_BLOCKCODE_CELL * 3 / 4;

					pic[y * bw + x] = centre ?
						gvtsim_guest_expected_composited(&cfg, frame, t, x, y) : 0;
				}
			r = gvtsim_guest_decode_blockcode(pic, bw * 4, bw, bh, &got_f, &got_t);
			if (r != 0 || got_f != frame || got_t != t)
				g_error("%ux%u cursor %u%s frame %llu: decoded %d, frame %llu, time %llu",
					cfg.width, cfg.height, cfg.cursor_size,
					cfg.sprite ? " sprite" : "", (unsigned long long)frame, r,
					(unsigned long long)got_f, (unsigned long long)got_t);
		}
	}
	g_free(pic);
}

static void test_disable_and_flip(void)
{
	struct gvtsim_guest_config cfg;
	struct guest_fixture f;
	struct gvtsim_plane p;
	unsigned int before;

	base_config(&cfg);
	cfg.n_buffers = 3;
	guest_setup(&f, &cfg);
	gvtsim_guest_show_frame(&f.g, 4, 0);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p), ==, 0);
	g_assert_cmpuint(p.gm_offset, ==, f.g.layout.fb_offset[1]);
	g_assert_cmpuint(gvtsim_guest_buffer_of(&f.g, 4), ==, 1);
	g_assert_true(f.g.have_frame);
	g_assert_cmpuint(f.g.frame, ==, 4);
	g_assert_cmpuint(f.g.front, ==, 1);

	/* painting alone writes no register; flipping does */
	before = f.writes;
	gvtsim_guest_paint(&f.g, 5, 0);
	g_assert_cmpuint(f.writes, ==, before);
	gvtsim_guest_flip(&f.g, 5);
	g_assert_cmpuint(f.writes, ==, before + 1);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p), ==, 0);
	g_assert_cmpuint(p.gm_offset, ==, f.g.layout.fb_offset[2]);

	gvtsim_guest_disable(&f.g);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p), ==, 0);
	g_assert_false(p.enabled);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p), ==, 0);
	g_assert_false(p.enabled);
	guest_teardown(&f);

	/* init refuses too little graphics memory */
	{
		struct gvtsim_guest g;
		struct gvtsim_guest_layout l;
		uint8_t small[4096];
		unsigned int n = 0;

		g_assert_cmpint(gvtsim_guest_compute_layout(&cfg, &l), ==, 0);
		g_assert_cmpint(gvtsim_guest_init(&g, &cfg, reg_write, NULL, &n, small,
						  sizeof(small)), ==, -EINVAL);
		g_assert_cmpint(gvtsim_guest_init(&g, &cfg, NULL, NULL, &n, small,
						  l.gm_size), ==, -EINVAL);
	}
	gvtsim_guest_finish(NULL);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	regs = g_malloc0(GVTSIM_MMIO_SIZE);
	g_test_add_func("/guest-model/config-check", test_config_check);
	g_test_add_func("/guest-model/layout", test_layout);
	g_test_add_func("/guest-model/paint-all", test_paint_all);
	g_test_add_func("/guest-model/paint-sizes", test_paint_sizes);
	g_test_add_func("/guest-model/pure", test_pure);
	g_test_add_func("/guest-model/rgb565-expected", test_rgb565_expected);
	g_test_add_func("/guest-model/blockcode/roundtrip", test_blockcode_roundtrip);
	g_test_add_func("/guest-model/blockcode/lossy", test_blockcode_lossy);
	g_test_add_func("/guest-model/blockcode/errors", test_blockcode_errors);
	g_test_add_func("/guest-model/cursor", test_cursor);
	g_test_add_func("/guest-model/sprite", test_sprite);
	g_test_add_func("/guest-model/composited", test_composited);
	g_test_add_func("/guest-model/disable-and-flip", test_disable_and_flip);
	g_test_add_func("/guest-model/paint-off-screen", test_paint_off_screen);
	g_test_add_func("/guest-model/composited-blockcode", test_composited_blockcode);
	ret = g_test_run();
	g_free(regs);
	return ret;
}
