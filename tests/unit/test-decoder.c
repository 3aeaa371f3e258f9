/* SPDX-License-Identifier: MIT */
/*
 * gvtsim_decode_plane(): every format, tiling, stride and size rule, Gen8
 * and Gen9 layouts, cursor signs, the sprite, and every hostile register
 * value.  The register file is allocated at exactly mmio_size bytes so an
 * out-of-bounds read shows up under ASan.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <drm_fourcc.h>

#include <linux/vfio.h>

#include "gvtsim_fb_decoder.h"
#include "gvt-dmabuf/gvtsim-uapi.h"

#define GM_SIZE (64u * 1024 * 1024)

struct fixture {
	uint32_t *mmio;
	struct gvtsim_decoder_input in;
};

static void wr(struct fixture *f, uint32_t off, uint32_t v)
{
	g_assert_cmpuint(off + 4, <=, f->in.mmio_size);
	f->mmio[off / 4] = v;
}

static void fixture_init(struct fixture *f, enum gvtsim_gen gen, uint32_t mmio_size)
{
	f->mmio = g_malloc0(mmio_size);
	f->in.mmio = f->mmio;
	f->in.mmio_size = mmio_size;
	f->in.gm_size = GM_SIZE;
	f->in.gen = gen;
	f->in.max_width = 0;
	f->in.max_height = 0;
}

static void fixture_finish(struct fixture *f)
{
	g_free(f->mmio);
}

/* A 1280x720 pipe with plane 1 enabled. */
static void setup_gen9(struct fixture *f, uint32_t ctl, uint32_t stride_reg, uint32_t surf)
{
	fixture_init(f, GVTSIM_GEN9, GVTSIM_MMIO_SIZE);
	wr(f, GVTSIM_PIPEACONF, GVTSIM_PIPECONF_ENABLE);
	wr(f, GVTSIM_PIPEASRC, (1279u << 16) | 719u);
	wr(f, GVTSIM_PLANE_CTL(1), GVTSIM_PLANE_CTL_ENABLE | ctl);
	wr(f, GVTSIM_PLANE_STRIDE(1), stride_reg);
	wr(f, GVTSIM_PLANE_SURF(1), surf);
}

static void setup_gen8(struct fixture *f, uint32_t ctl, uint32_t stride, uint32_t surf)
{
	fixture_init(f, GVTSIM_GEN8, GVTSIM_MMIO_SIZE);
	wr(f, GVTSIM_PIPEACONF, GVTSIM_PIPECONF_ENABLE);
	wr(f, GVTSIM_PIPEASRC, (1279u << 16) | 719u);
	wr(f, GVTSIM_DSPACNTR, GVTSIM_DISPPLANE_ENABLE | ctl);
	wr(f, GVTSIM_DSPASTRIDE, stride);
	wr(f, GVTSIM_DSPASURF, surf);
}

static int decode(struct fixture *f, enum gvtsim_plane_id id, struct gvtsim_plane *p,
		  const char **why)
{
	*why = NULL;
	return gvtsim_decode_plane(&f->in, id, p, why);
}

static void assert_disabled(const struct gvtsim_plane *p)
{
	g_assert_false(p->enabled);
	g_assert_cmpuint(p->drm_format, ==, 0);
	g_assert_cmpuint(p->width, ==, 0);
	g_assert_cmpuint(p->height, ==, 0);
	g_assert_cmpuint(p->size, ==, 0);
	g_assert_cmpuint(p->stride, ==, 0);
	g_assert_cmpuint(p->gm_offset, ==, 0);
}

/* ---- Gen9 primary ---------------------------------------------------- */

static void test_gen9_formats(void)
{
	static const struct {
		uint32_t ctl;
		uint32_t fourcc;
		uint32_t cpp;
	} cases[] = {
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, DRM_FORMAT_XRGB8888, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY,
		  DRM_FORMAT_ARGB8888, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ALPHA_HW_PREMULTIPLY,
		  DRM_FORMAT_ARGB8888, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ORDER_RGBX,
		  DRM_FORMAT_XBGR8888, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ORDER_RGBX |
		  GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY, DRM_FORMAT_ABGR8888, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010, DRM_FORMAT_XRGB2101010, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010 | GVTSIM_PLANE_CTL_ORDER_RGBX,
		  DRM_FORMAT_XBGR2101010, 4 },
		{ GVTSIM_PLANE_CTL_FORMAT_RGB_565, DRM_FORMAT_RGB565, 2 },
		{ GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_YUYV, DRM_FORMAT_YUYV, 2 },
		{ GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_UYVY, DRM_FORMAT_UYVY, 2 },
		{ GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_YVYU, DRM_FORMAT_YVYU, 2 },
		{ GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_VYUY, DRM_FORMAT_VYUY, 2 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct fixture f;
		struct gvtsim_plane p;
		const char *why;

		/* 1280 * 4 = 5120 bytes = 80 units of 64 */
		setup_gen9(&f, cases[i].ctl, 80, 0x100000);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
		g_assert_null(why);
		g_assert_true(p.enabled);
		g_assert_cmphex(p.drm_format, ==, cases[i].fourcc);
		g_assert_cmpuint(p.cpp, ==, cases[i].cpp);
		g_assert_cmpuint(p.width, ==, 1280);
		g_assert_cmpuint(p.height, ==, 720);
		g_assert_cmpuint(p.stride, ==, 5120);
		g_assert_cmphex(p.modifier, ==, DRM_FORMAT_MOD_LINEAR);
		g_assert_cmpuint(p.gm_offset, ==, 0x100000);
		g_assert_cmpuint(p.size, ==, 5120 * 720);
		g_assert_cmpint(p.x_pos, ==, 0);
		g_assert_cmpint(p.y_pos, ==, 0);
		fixture_finish(&f);
	}
}

static void test_gen9_tiling(void)
{
	static const struct {
		uint32_t ctl;
		uint32_t stride_reg;
		uint64_t modifier;
		uint32_t stride;
		uint32_t tile_h;
	} cases[] = {
		{ GVTSIM_PLANE_CTL_TILED_LINEAR, 81, DRM_FORMAT_MOD_LINEAR, 81 * 64, 1 },
		{ GVTSIM_PLANE_CTL_TILED_X, 10, I915_FORMAT_MOD_X_TILED, 10 * 512, 8 },
		{ GVTSIM_PLANE_CTL_TILED_Y, 41, I915_FORMAT_MOD_Y_TILED, 41 * 128, 32 },
		{ GVTSIM_PLANE_CTL_TILED_YF, 40, I915_FORMAT_MOD_Yf_TILED, 40 * 128, 32 },
	};
	/* heights that are and are not multiples of every tile height */
	static const uint32_t heights[] = { 720, 721, 1, 33 };
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		for (j = 0; j < G_N_ELEMENTS(heights); j++) {
			struct fixture f;
			struct gvtsim_plane p;
			const char *why;
			uint64_t rows, size;

			setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | cases[i].ctl,
				   cases[i].stride_reg, 0x2345678);
			wr(&f, GVTSIM_PIPEASRC, (1279u << 16) | (heights[j] - 1));
			g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
			g_assert_cmphex(p.modifier, ==, cases[i].modifier);
			g_assert_cmpuint(p.stride, ==, cases[i].stride);
			g_assert_cmpuint(p.height, ==, heights[j]);
			rows = (heights[j] + cases[i].tile_h - 1) / cases[i].tile_h * cases[i].tile_h;
			size = (rows * cases[i].stride + 4095) / 4096 * 4096;
			g_assert_cmpuint(p.size, ==, size);
			/* the surface address drops the low 12 bits */
			g_assert_cmphex(p.gm_offset, ==, 0x2345000);
			fixture_finish(&f);
		}
	}
}

static void test_disabled(void)
{
	struct fixture f;
	struct gvtsim_plane p;
	const char *why;
	int id;

	/* plane off */
	setup_gen9(&f, 0, 80, 0);
	wr(&f, GVTSIM_PLANE_CTL(1), GVTSIM_PLANE_CTL_FORMAT_XRGB_8888);
	memset(&p, 0xff, sizeof(p));
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	assert_disabled(&p);
	fixture_finish(&f);

	/* pipe off: every plane reads disabled, even with garbage planes */
	for (id = GVTSIM_PLANE_PRIMARY; id <= GVTSIM_PLANE_SPRITE; id++) {
		setup_gen9(&f, 0xdeadbeef, 0xffffffff, 0xffffffff);
		wr(&f, GVTSIM_PIPEACONF, 0);
		wr(&f, GVTSIM_CURACNTR, 0x3f);
		wr(&f, GVTSIM_PLANE_CTL(2), 0xffffffff);
		memset(&p, 0xff, sizeof(p));
		g_assert_cmpint(decode(&f, id, &p, &why), ==, 0);
		assert_disabled(&p);
		fixture_finish(&f);
	}

	/* empty register file */
	fixture_init(&f, GVTSIM_GEN9, GVTSIM_MMIO_SIZE);
	for (id = GVTSIM_PLANE_PRIMARY; id <= GVTSIM_PLANE_SPRITE; id++) {
		g_assert_cmpint(decode(&f, id, &p, &why), ==, 0);
		assert_disabled(&p);
	}
	fixture_finish(&f);
}

/* ---- Gen8 ---------------------------------------------------------------- */

static void test_gen8(void)
{
	static const struct {
		uint32_t ctl;
		uint32_t fourcc;
	} cases[] = {
		{ GVTSIM_DISPPLANE_BGRX565, DRM_FORMAT_RGB565 },
		{ GVTSIM_DISPPLANE_BGRX888, DRM_FORMAT_XRGB8888 },
		{ GVTSIM_DISPPLANE_BGRA888, DRM_FORMAT_ARGB8888 },
		{ GVTSIM_DISPPLANE_RGBX888, DRM_FORMAT_XBGR8888 },
		{ GVTSIM_DISPPLANE_RGBA888, DRM_FORMAT_ABGR8888 },
		{ GVTSIM_DISPPLANE_RGBX101010, DRM_FORMAT_XBGR2101010 },
		{ GVTSIM_DISPPLANE_BGRX101010, DRM_FORMAT_XRGB2101010 },
	};
	struct fixture f;
	struct gvtsim_plane p;
	const char *why;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		setup_gen8(&f, cases[i].ctl, 5120, 0x10000);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
		g_assert_cmphex(p.drm_format, ==, cases[i].fourcc);
		g_assert_cmpuint(p.stride, ==, 5120);	/* bytes, not units */
		g_assert_cmphex(p.modifier, ==, DRM_FORMAT_MOD_LINEAR);
		g_assert_cmpuint(p.size, ==, 5120 * 720);
		fixture_finish(&f);
	}

	/* X tiling: stride in bytes, rows rounded to 8 */
	setup_gen8(&f, GVTSIM_DISPPLANE_BGRX888 | GVTSIM_DISPPLANE_TILED, 5120, 0);
	wr(&f, GVTSIM_PIPEASRC, (1279u << 16) | 720u);	/* 721 rows */
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	g_assert_cmphex(p.modifier, ==, I915_FORMAT_MOD_X_TILED);
	g_assert_cmpuint(p.size, ==, 5120 * 728);
	fixture_finish(&f);

	/* X-tiled stride that is no whole number of tiles */
	setup_gen8(&f, GVTSIM_DISPPLANE_BGRX888 | GVTSIM_DISPPLANE_TILED, 5120 + 64, 0);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, -EINVAL);
	g_assert_nonnull(why);
	assert_disabled(&p);
	fixture_finish(&f);

	/* reserved / unsupported pixel formats: 8bpp, 555, 16161616, 0x1, 0xd */
	for (i = 0; i < 16; i++) {
		uint32_t fmt = (uint32_t)i << 26;
		bool ok = false;
		size_t k;

		for (k = 0; k < G_N_ELEMENTS(cases); k++)
			ok |= cases[k].ctl == fmt;
		if (ok)
			continue;
		setup_gen8(&f, fmt, 5120, 0);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, -EINVAL);
		g_assert_nonnull(strstr(why, "DSPCNTR"));
		fixture_finish(&f);
	}

	/* panning offsets are rejected */
	setup_gen8(&f, GVTSIM_DISPPLANE_BGRX888, 5120, 0);
	wr(&f, GVTSIM_DSPATILEOFF, (4u << 16) | 4u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, -EINVAL);
	fixture_finish(&f);
}

/* ---- cursor ------------------------------------------------------------ */

static void setup_cursor(struct fixture *f, uint32_t mode, uint32_t pos)
{
	setup_gen9(f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, 0);
	wr(f, GVTSIM_CURACNTR, mode);
	wr(f, GVTSIM_CURABASE, 0x400000);
	wr(f, GVTSIM_CURAPOS, pos);
}

static void test_cursor(void)
{
	static const struct {
		uint32_t mode;
		uint32_t dim;
	} modes[] = {
		{ GVTSIM_CURSOR_MODE_64_ARGB_AX, 64 },
		{ GVTSIM_CURSOR_MODE_128_ARGB_AX, 128 },
		{ GVTSIM_CURSOR_MODE_256_ARGB_AX, 256 },
	};
	static const struct {
		uint32_t pos;
		int32_t x, y;
	} positions[] = {
		{ (20u << 16) | 10u, 10, 20 },
		{ (GVTSIM_CURSOR_POS_SIGN << 16) | (7u << 16) | GVTSIM_CURSOR_POS_SIGN | 5u, -5, -7 },
		{ (3u << 16) | GVTSIM_CURSOR_POS_SIGN | 63u, -63, 3 },
		{ (GVTSIM_CURSOR_POS_SIGN << 16) | (1u << 16) | 1279u, 1279, -1 },
		{ 0, 0, 0 },
	};
	struct fixture f;
	struct gvtsim_plane p;
	const char *why;
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(modes); i++) {
		for (j = 0; j < G_N_ELEMENTS(positions); j++) {
			setup_cursor(&f, modes[i].mode, positions[j].pos);
			g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
			g_assert_true(p.enabled);
			g_assert_cmphex(p.drm_format, ==, DRM_FORMAT_ARGB8888);
			g_assert_cmphex(p.modifier, ==, DRM_FORMAT_MOD_LINEAR);
			g_assert_cmpuint(p.width, ==, modes[i].dim);
			g_assert_cmpuint(p.height, ==, modes[i].dim);
			g_assert_cmpuint(p.stride, ==, modes[i].dim * 4);
			g_assert_cmpuint(p.size, ==, modes[i].dim * modes[i].dim * 4);
			g_assert_cmphex(p.gm_offset, ==, 0x400000);
			g_assert_cmpint(p.x_pos, ==, positions[j].x);
			g_assert_cmpint(p.y_pos, ==, positions[j].y);
			/* PV info hotspot never written: (0, 0), as i915 */
			g_assert_cmphex(p.x_hot, ==, 0);
			g_assert_cmphex(p.y_hot, ==, 0);
			fixture_finish(&f);
		}
	}

	/* disabled cursor */
	setup_cursor(&f, GVTSIM_CURSOR_MODE_DISABLE, 0);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
	assert_disabled(&p);
	fixture_finish(&f);

	/* every other mode value (legacy 2-colour, reserved) is -EINVAL */
	for (i = 1; i <= GVTSIM_CURSOR_MODE_MASK; i++) {
		if ((i & ~GVTSIM_CURSOR_MODE_MASK) || i == GVTSIM_CURSOR_MODE_64_ARGB_AX ||
		    i == GVTSIM_CURSOR_MODE_128_ARGB_AX || i == GVTSIM_CURSOR_MODE_256_ARGB_AX)
			continue;
		setup_cursor(&f, (uint32_t)i, 0);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, -EINVAL);
		g_assert_nonnull(strstr(why, "CURCNTR"));
		assert_disabled(&p);
		fixture_finish(&f);
	}

	/* cursor image beyond graphics memory */
	setup_cursor(&f, GVTSIM_CURSOR_MODE_256_ARGB_AX, 0);
	wr(&f, GVTSIM_CURABASE, GM_SIZE - 4096);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, -EFAULT);
	g_assert_nonnull(strstr(why, "CURBASE"));
	wr(&f, GVTSIM_CURABASE, GM_SIZE - 256 * 256 * 4);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
	/* an address outside graphics memory is -EINVAL (i915's
	 * vgpu_gmadr_is_valid), one that runs past its end -EFAULT */
	wr(&f, GVTSIM_CURABASE, 0xfffff000);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, -EINVAL);
	wr(&f, GVTSIM_CURABASE, GM_SIZE);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, -EINVAL);
	fixture_finish(&f);
}

/* The hotspot from the PV info page, with i915's validate_hotspot() rule:
 * inside the cursor means x_hot <= width and y_hot <= height. */
static void test_cursor_hotspot(void)
{
	static const struct {
		uint32_t x, y, want_x, want_y;
	} cases[] = {
		{ 0, 0, 0, 0 },
		{ 10, 20, 10, 20 },
		{ 64, 64, 64, 64 },		/* <=, as i915 */
		{ 65, 3, 0xffffffffu, 0xffffffffu },
		{ 3, 65, 0xffffffffu, 0xffffffffu },	/* y alone decides too */
		{ 0xffffffffu, 0, 0xffffffffu, 0xffffffffu },
	};
	struct fixture f;
	struct gvtsim_plane p;
	const char *why;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		setup_cursor(&f, GVTSIM_CURSOR_MODE_64_ARGB_AX, 0);
		wr(&f, GVTSIM_PVINFO_CURSOR_X_HOT, cases[i].x);
		wr(&f, GVTSIM_PVINFO_CURSOR_Y_HOT, cases[i].y);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
		g_assert_cmphex(p.x_hot, ==, cases[i].want_x);
		g_assert_cmphex(p.y_hot, ==, cases[i].want_y);
		fixture_finish(&f);
	}
	/* a 256 cursor takes a hotspot a 64 one refuses */
	setup_cursor(&f, GVTSIM_CURSOR_MODE_256_ARGB_AX, 0);
	wr(&f, GVTSIM_PVINFO_CURSOR_X_HOT, 200);
	wr(&f, GVTSIM_PVINFO_CURSOR_Y_HOT, 256);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
	g_assert_cmphex(p.x_hot, ==, 200);
	g_assert_cmphex(p.y_hot, ==, 256);
	fixture_finish(&f);
}

/* gvtsim_plane_info_fill(): what gvtsim.ko and the sim answer. */
static void test_plane_info_fill(void)
{
	struct vfio_device_gfx_plane_info info, orig;
	struct gvtsim_plane p;
	struct fixture f;
	const char *why;

	/* enabled: 800x600 linear XRGB: i915's size is stride x height, not
	 * page aligned; the buffer (p.size) is */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 50, 0x10000);
	wr(&f, GVTSIM_PIPEASRC, (799u << 16) | 599u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	memset(&info, 0x5a, sizeof(info));
	info.argsz = sizeof(info);
	info.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	info.drm_plane_type = 1;
	gvtsim_plane_info_fill(&p, 7, &info);
	g_assert_cmpuint(info.argsz, ==, sizeof(info));
	g_assert_cmpuint(info.flags, ==, VFIO_GFX_PLANE_TYPE_DMABUF);
	g_assert_cmpuint(info.drm_plane_type, ==, 1);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_XRGB8888);
	g_assert_cmphex(info.drm_format_mod, ==, DRM_FORMAT_MOD_LINEAR);
	g_assert_cmpuint(info.width, ==, 800);
	g_assert_cmpuint(info.height, ==, 600);
	g_assert_cmpuint(info.stride, ==, 3200);
	g_assert_cmpuint(info.size, ==, 3200 * 600);
	g_assert_cmpuint(p.size, ==, (3200 * 600 + 4095) / 4096 * 4096);
	g_assert_cmpuint(info.x_pos, ==, 0);
	g_assert_cmpuint(info.y_pos, ==, 0);
	g_assert_cmpuint(info.x_hot, ==, 0);	/* primary: 0, as i915 */
	g_assert_cmpuint(info.y_hot, ==, 0);
	g_assert_cmpuint(info.dmabuf_id, ==, 7);
	fixture_finish(&f);

	/* X-tiled: size covers whole tile rows (8) */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_TILED_X, 7, 0);
	wr(&f, GVTSIM_PIPEASRC, (799u << 16) | 597u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	gvtsim_plane_info_fill(&p, 1, &info);
	g_assert_cmpuint(info.size, ==, 3584 * 600);
	fixture_finish(&f);

	/* cursor off the top-left edge: two's complement positions */
	setup_cursor(&f, GVTSIM_CURSOR_MODE_64_ARGB_AX,
		     GVTSIM_CURSOR_POS_SIGN | 5 | ((GVTSIM_CURSOR_POS_SIGN | 9) << 16));
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
	gvtsim_plane_info_fill(&p, 2, &info);
	g_assert_cmpuint(info.x_pos, ==, (uint32_t)-5);
	g_assert_cmpuint(info.y_pos, ==, (uint32_t)-9);
	g_assert_cmpuint(info.size, ==, 64 * 64 * 4);
	fixture_finish(&f);

	/* disabled: the caller's struct comes back byte for byte */
	setup_cursor(&f, GVTSIM_CURSOR_MODE_DISABLE, 0);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_CURSOR, &p, &why), ==, 0);
	memset(&info, 0xa5, sizeof(info));
	orig = info;
	gvtsim_plane_info_fill(&p, 3, &info);
	g_assert_cmpmem(&info, sizeof(info), &orig, sizeof(orig));
	fixture_finish(&f);
}

/* ---- sprite ------------------------------------------------------------ */

static void test_sprite_gen9(void)
{
	struct fixture f;
	struct gvtsim_plane p;
	const char *why;

	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, 0);
	wr(&f, GVTSIM_PLANE_CTL(2), GVTSIM_PLANE_CTL_ENABLE |
	   GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_UYVY |
	   GVTSIM_PLANE_CTL_TILED_X);
	wr(&f, GVTSIM_PLANE_STRIDE(2), 1);			/* 512 bytes */
	wr(&f, GVTSIM_PLANE_POS(2), (100u << 16) | 200u);	/* y, x */
	wr(&f, GVTSIM_PLANE_SIZE(2), (99u << 16) | 255u);	/* h-1, w-1 */
	wr(&f, GVTSIM_PLANE_SURF(2), 0x800000);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, 0);
	g_assert_true(p.enabled);
	g_assert_cmphex(p.drm_format, ==, DRM_FORMAT_UYVY);
	g_assert_cmphex(p.modifier, ==, I915_FORMAT_MOD_X_TILED);
	g_assert_cmpuint(p.width, ==, 256);
	g_assert_cmpuint(p.height, ==, 100);
	g_assert_cmpuint(p.stride, ==, 512);
	g_assert_cmpuint(p.size, ==, 512 * 104);
	g_assert_cmpint(p.x_pos, ==, 200);
	g_assert_cmpint(p.y_pos, ==, 100);
	g_assert_cmphex(p.gm_offset, ==, 0x800000);

	/* the primary is unaffected by the sprite */
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	g_assert_cmphex(p.drm_format, ==, DRM_FORMAT_XRGB8888);

	/* touching the right and bottom edges is fine, one past is not */
	wr(&f, GVTSIM_PLANE_POS(2), (620u << 16) | 1024u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, 0);
	wr(&f, GVTSIM_PLANE_POS(2), (620u << 16) | 1025u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "sprite"));
	wr(&f, GVTSIM_PLANE_POS(2), (621u << 16) | 1024u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, -EINVAL);
	wr(&f, GVTSIM_PLANE_POS(2), (0u << 16) | 8000u);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, -EINVAL);

	/* sprite stride too small for its width */
	wr(&f, GVTSIM_PLANE_POS(2), 0);
	wr(&f, GVTSIM_PLANE_SIZE(2), (99u << 16) | 256u);	/* 257 px * 2 > 512 */
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, -EINVAL);

	/* disabled sprite */
	wr(&f, GVTSIM_PLANE_CTL(2), 0);
	g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, 0);
	assert_disabled(&p);
	fixture_finish(&f);
}

static void test_sprite_gen8(void)
{
	static const struct {
		uint32_t ctl;
		uint32_t fourcc;
	} cases[] = {
		{ GVTSIM_SPRITE_FORMAT_RGBX888, DRM_FORMAT_XRGB8888 },
		{ GVTSIM_SPRITE_FORMAT_RGBX888 | GVTSIM_SPRITE_RGB_ORDER_RGBX, DRM_FORMAT_XBGR8888 },
		{ GVTSIM_SPRITE_FORMAT_RGBX101010, DRM_FORMAT_XRGB2101010 },
		{ GVTSIM_SPRITE_FORMAT_RGBX101010 | GVTSIM_SPRITE_RGB_ORDER_RGBX,
		  DRM_FORMAT_XBGR2101010 },
		{ GVTSIM_SPRITE_FORMAT_YUV422 | GVTSIM_SPRITE_YUV_ORDER_YUYV, DRM_FORMAT_YUYV },
		{ GVTSIM_SPRITE_FORMAT_YUV422 | GVTSIM_SPRITE_YUV_ORDER_VYUY, DRM_FORMAT_VYUY },
	};
	struct fixture f;
	struct gvtsim_plane p;
	const char *why;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		setup_gen8(&f, GVTSIM_DISPPLANE_BGRX888, 5120, 0);
		wr(&f, GVTSIM_SPRACTL, GVTSIM_SPRITE_ENABLE | cases[i].ctl);
		wr(&f, GVTSIM_SPRASTRIDE, 1024);
		wr(&f, GVTSIM_SPRAPOS, (10u << 16) | 20u);
		wr(&f, GVTSIM_SPRASIZE, (47u << 16) | 127u);
		wr(&f, GVTSIM_SPRASURF, 0x900000);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, 0);
		g_assert_cmphex(p.drm_format, ==, cases[i].fourcc);
		g_assert_cmpuint(p.width, ==, 128);
		g_assert_cmpuint(p.height, ==, 48);
		g_assert_cmpuint(p.stride, ==, 1024);
		g_assert_cmpint(p.x_pos, ==, 20);
		g_assert_cmpint(p.y_pos, ==, 10);
		g_assert_cmpuint(p.size, ==, 1024 * 48);
		fixture_finish(&f);
	}

	/* reserved sprite formats (161616, YUV444, others) */
	for (i = 3; i < 8; i++) {
		setup_gen8(&f, GVTSIM_DISPPLANE_BGRX888, 5120, 0);
		wr(&f, GVTSIM_SPRACTL, GVTSIM_SPRITE_ENABLE | ((uint32_t)i << 25));
		wr(&f, GVTSIM_SPRASTRIDE, 1024);
		g_assert_cmpint(decode(&f, GVTSIM_PLANE_SPRITE, &p, &why), ==, -EINVAL);
		g_assert_nonnull(strstr(why, "SPRCTL"));
		fixture_finish(&f);
	}
}

/* ---- hostile values ---------------------------------------------------- */

static void expect_error(struct fixture *f, enum gvtsim_plane_id id, int err, const char *needle)
{
	struct gvtsim_plane p;
	const char *why;

	memset(&p, 0xa5, sizeof(p));
	g_assert_cmpint(decode(f, id, &p, &why), ==, err);
	g_assert_nonnull(why);
	if (needle && !strstr(why, needle))
		g_error("reason '%s' does not mention '%s'", why, needle);
	assert_disabled(&p);
}

static void test_hostile_gen9(void)
{
	static const uint32_t bad_formats[] = { 0x1, 0x3, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xb,
						0xc, 0xd, 0xf };
	static const uint32_t bad_tilings[] = { 2, 3, 6, 7 };
	struct fixture f;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad_formats); i++) {
		setup_gen9(&f, bad_formats[i] << 24, 80, 0);
		expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "PLANE_CTL");
		fixture_finish(&f);
	}
	for (i = 0; i < G_N_ELEMENTS(bad_tilings); i++) {
		setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | (bad_tilings[i] << 10), 80, 0);
		expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "tiling");
		fixture_finish(&f);
	}

	/* stride: zero, too small for the width */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 0, 0);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "stride");
	wr(&f, GVTSIM_PLANE_STRIDE(1), 79);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "too small");
	fixture_finish(&f);

	/* PIPESRC beyond the mode limit and the hardware limit */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, 0);
	f.in.max_width = 1024;
	f.in.max_height = 768;
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "PIPESRC");
	expect_error(&f, GVTSIM_PLANE_CURSOR, -EINVAL, "PIPESRC");
	f.in.max_width = 1280;
	f.in.max_height = 719;
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "PIPESRC");
	f.in.max_height = 720;
	{
		struct gvtsim_plane p;
		const char *why;

		g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	}
	f.in.max_width = 0;
	f.in.max_height = 0;
	wr(&f, GVTSIM_PIPEASRC, 0xffffffff);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "PIPESRC");
	fixture_finish(&f);

	/* the largest surface the registers can describe (X stride
	 * 1023 * 512, 8192 rows) still fits the 32-bit size field, and is
	 * far beyond graphics memory */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_TILED_X, 1023, 0);
	wr(&f, GVTSIM_PIPEASRC, (8191u << 16) | 8191u);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EFAULT, "graphics memory");
	f.in.gm_size = 1ull << 40;
	{
		struct gvtsim_plane p;
		const char *why;

		g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
		g_assert_cmpuint(p.size, ==, 1023u * 512u * 8192u);
	}
	fixture_finish(&f);

	/* surface outside graphics memory */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, GM_SIZE - 4096);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EFAULT, "graphics memory");
	wr(&f, GVTSIM_PLANE_SURF(1), 0xfffff000);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "address outside");
	wr(&f, GVTSIM_PLANE_SURF(1), GM_SIZE);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "address outside");
	wr(&f, GVTSIM_PLANE_SURF(1), GM_SIZE - 5120 * 720);	/* exactly fits */
	{
		struct gvtsim_plane p;
		const char *why;

		g_assert_cmpint(decode(&f, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
		g_assert_cmpuint(p.gm_offset + p.size, ==, GM_SIZE);
	}
	f.in.gm_size = 0;
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, NULL);
	fixture_finish(&f);

	/* panning offset */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, 0);
	wr(&f, GVTSIM_PLANE_OFFSET(1), 8);
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "PLANE_OFFSET");
	fixture_finish(&f);

	/* unknown generation, unknown plane, NULL arguments */
	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, 0);
	f.in.gen = 7;
	expect_error(&f, GVTSIM_PLANE_PRIMARY, -EINVAL, "generation");
	f.in.gen = GVTSIM_GEN9;
	expect_error(&f, (enum gvtsim_plane_id)3, -EINVAL, "plane");
	expect_error(&f, (enum gvtsim_plane_id)-1, -EINVAL, "plane");
	{
		struct gvtsim_plane p;

		g_assert_cmpint(gvtsim_decode_plane(NULL, GVTSIM_PLANE_PRIMARY, &p, NULL), ==, -EINVAL);
		g_assert_cmpint(gvtsim_decode_plane(&f.in, GVTSIM_PLANE_PRIMARY, NULL, NULL), ==, -EINVAL);
	}
	fixture_finish(&f);
}

/* A register file smaller than the display block: reads outside it are 0
 * (so the pipe is off), never out of bounds (ASan watches the exact-size
 * allocation). */
static void test_small_mmio(void)
{
	static const uint32_t sizes[] = { 0, 4, 0x1000, GVTSIM_PIPEACONF, GVTSIM_PIPEACONF + 2,
					  GVTSIM_PIPEACONF + 4, GVTSIM_PLANE_CTL(1) + 4,
					  GVTSIM_PLANE_SURF(1) };
	size_t i;
	int id;

	for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
		struct fixture f;
		struct gvtsim_plane p;
		const char *why;
		uint32_t n = sizes[i];

		fixture_init(&f, GVTSIM_GEN9, n ? n : 4);
		f.in.mmio_size = n;
		/* fill whatever exists with "everything enabled" */
		memset(f.mmio, 0xff, n ? n : 4);
		for (id = GVTSIM_PLANE_PRIMARY; id <= GVTSIM_PLANE_SPRITE; id++) {
			int r = decode(&f, id, &p, &why);

			g_assert_true(r == 0 || r == -EINVAL || r == -EFAULT);
			if (n <= GVTSIM_PIPEACONF + 3) {
				/* PIPECONF itself is outside: pipe off */
				g_assert_cmpint(r, ==, 0);
				assert_disabled(&p);
			}
		}
		f.in.gen = GVTSIM_GEN8;
		for (id = GVTSIM_PLANE_PRIMARY; id <= GVTSIM_PLANE_SPRITE; id++)
			(void)decode(&f, id, &p, &why);
		fixture_finish(&f);
	}

	/* no register file at all */
	{
		struct gvtsim_decoder_input in = { .mmio = NULL, .mmio_size = GVTSIM_MMIO_SIZE,
						   .gm_size = GM_SIZE, .gen = GVTSIM_GEN9 };
		struct gvtsim_plane p;

		g_assert_cmpint(gvtsim_decode_plane(&in, GVTSIM_PLANE_PRIMARY, &p, NULL), ==, 0);
		assert_disabled(&p);
	}
}

static void test_why_untouched_on_success(void)
{
	struct fixture f;
	struct gvtsim_plane p;
	const char *why = "sentinel";

	setup_gen9(&f, GVTSIM_PLANE_CTL_FORMAT_XRGB_8888, 80, 0);
	g_assert_cmpint(gvtsim_decode_plane(&f.in, GVTSIM_PLANE_PRIMARY, &p, &why), ==, 0);
	g_assert_cmpstr(why, ==, "sentinel");
	g_assert_cmpint(gvtsim_decode_plane(&f.in, GVTSIM_PLANE_PRIMARY, &p, NULL), ==, 0);
	fixture_finish(&f);
}

/* QUERY_GFX_PLANE's argument rules, shared by gvtsim.ko and the sim. */
static void
test_query_args(void)
{
	const uint32_t probe = VFIO_GFX_PLANE_TYPE_PROBE, dmabuf = VFIO_GFX_PLANE_TYPE_DMABUF,
		       region = VFIO_GFX_PLANE_TYPE_REGION;
	const uint32_t bad_flags[] = { 0, probe, region, probe | region, dmabuf | region,
				       probe | dmabuf | region, dmabuf | (1u << 31), 1u << 3 };
	const uint32_t bad_types[] = { 0 /* overlay */, 3, 99, 0x47560001u, 0xffffffffu };
	enum gvtsim_plane_id id = GVTSIM_PLANE_SPRITE;
	unsigned int i;

	/* PROBE|DMABUF answers "supported" whatever the plane type */
	g_assert_cmpint(gvtsim_query_args(probe | dmabuf, 0, &id), ==, 1);
	g_assert_cmpint(gvtsim_query_args(probe | dmabuf, 12345, &id), ==, 1);
	g_assert_cmpint(id, ==, GVTSIM_PLANE_SPRITE);	/* untouched */

	g_assert_cmpint(gvtsim_query_args(dmabuf, GVTSIM_DRM_PLANE_TYPE_PRIMARY, &id), ==, 0);
	g_assert_cmpint(id, ==, GVTSIM_PLANE_PRIMARY);
	g_assert_cmpint(gvtsim_query_args(dmabuf, GVTSIM_DRM_PLANE_TYPE_CURSOR, &id), ==, 0);
	g_assert_cmpint(id, ==, GVTSIM_PLANE_CURSOR);
	g_assert_cmpint(gvtsim_query_args(dmabuf, GVTSIM_GFX_PLANE_TYPE_SPRITE, &id), ==, 0);
	g_assert_cmpint(id, ==, GVTSIM_PLANE_SPRITE);

	for (i = 0; i < G_N_ELEMENTS(bad_flags); i++)
		g_assert_cmpint(gvtsim_query_args(bad_flags[i], GVTSIM_DRM_PLANE_TYPE_PRIMARY,
						  &id), ==, -EINVAL);
	for (i = 0; i < G_N_ELEMENTS(bad_types); i++)
		g_assert_cmpint(gvtsim_query_args(dmabuf, bad_types[i], &id), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/decoder/gen9/formats", test_gen9_formats);
	g_test_add_func("/decoder/gen9/tiling", test_gen9_tiling);
	g_test_add_func("/decoder/disabled", test_disabled);
	g_test_add_func("/decoder/gen8", test_gen8);
	g_test_add_func("/decoder/cursor", test_cursor);
	g_test_add_func("/decoder/cursor/hotspot", test_cursor_hotspot);
	g_test_add_func("/decoder/plane-info", test_plane_info_fill);
	g_test_add_func("/decoder/sprite/gen9", test_sprite_gen9);
	g_test_add_func("/decoder/sprite/gen8", test_sprite_gen8);
	g_test_add_func("/decoder/hostile/gen9", test_hostile_gen9);
	g_test_add_func("/decoder/hostile/small-mmio", test_small_mmio);
	g_test_add_func("/decoder/why", test_why_untouched_on_success);
	g_test_add_func("/decoder/query-args", test_query_args);
	return g_test_run();
}
