/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabuf_detile() against a straightforward per-byte reference, and
 * gvtdmabuf_dmabuf_read_linear() over a memfd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>
#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "guest-model.h"

/* ---- reference: where byte xb of row y lives in the tiled source ------- */

static uint32_t ref_tile_width(uint64_t modifier, uint32_t cpp)
{
	switch (modifier) {
	case I915_FORMAT_MOD_X_TILED:
		return 512;
	case I915_FORMAT_MOD_Y_TILED:
		return 128;
	case I915_FORMAT_MOD_Yf_TILED:
		return cpp == 1 ? 64 : cpp == 8 ? 256 : 128;
	default:
		return 1;
	}
}

#define BIT(v, n) (((uint64_t)(v) >> (n)) & 1)

/* Offset inside one 4 KiB tile, written out bit by bit from the layout
 * descriptions (i915 for X and Y, Intel gmmlib's Gen9 TileYF patterns). */
static uint64_t ref_in_tile(uint64_t modifier, uint32_t cpp, uint32_t xb, uint32_t y)
{
	switch (modifier) {
	case I915_FORMAT_MOD_X_TILED:
		return (uint64_t)y * 512 + xb;
	case I915_FORMAT_MOD_Y_TILED:
		return (uint64_t)(xb / 16) * 512 + y * 16 + xb % 16;
	case I915_FORMAT_MOD_Yf_TILED:
		if (cpp == 1)	/* 64 B x 64 */
			return (xb & 15) | (y & 31) << 4 | BIT(xb, 4) << 9 |
			       BIT(y, 5) << 10 | BIT(xb, 5) << 11;
		if (cpp == 8)	/* 256 B x 16 */
			return (xb & 15) | (y & 3) << 4 | BIT(xb, 4) << 6 |
			       BIT(xb, 5) << 7 | BIT(y, 2) << 8 | BIT(xb, 6) << 9 |
			       BIT(y, 3) << 10 | BIT(xb, 7) << 11;
		/* 128 B x 32 */
		return (xb & 15) | (y & 7) << 4 | BIT(xb, 4) << 7 | BIT(y, 3) << 8 |
		       BIT(xb, 5) << 9 | BIT(y, 4) << 10 | BIT(xb, 6) << 11;
	default:
		g_assert_not_reached();
	}
}

static uint64_t ref_offset(uint64_t modifier, uint32_t cpp, uint32_t stride,
			   uint32_t xb, uint32_t y)
{
	uint32_t tw, th;

	if (modifier == DRM_FORMAT_MOD_LINEAR)
		return (uint64_t)y * stride + xb;
	tw = ref_tile_width(modifier, cpp);
	th = 4096 / tw;
	return (uint64_t)(y / th) * th * stride + (uint64_t)(xb / tw) * 4096 +
	       ref_in_tile(modifier, cpp, xb % tw, y % th);
}

/* ---- helpers ---------------------------------------------------------- */

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t s = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		p[i] = (uint8_t)s;
	}
}

/* Minimum source size: whole tiles of every tile row but the last, and the
 * needed tiles of the last one; the last row for linear. */
static size_t min_src_size(uint64_t modifier, uint32_t cpp, uint32_t stride,
			   uint32_t width, uint32_t height)
{
	uint32_t tw, th, cols;

	if (modifier == DRM_FORMAT_MOD_LINEAR)
		return (size_t)(height - 1) * stride + (size_t)width * cpp;
	tw = ref_tile_width(modifier, cpp);
	th = 4096 / tw;
	cols = (width * cpp + tw - 1) / tw;
	return (size_t)((height + th - 1) / th - 1) * th * stride + (size_t)cols * 4096;
}

/* A buffer of n bytes whose end touches an inaccessible page, so reading
 * one byte too far crashes the test instead of passing by luck. */
struct guarded {
	uint8_t *map;
	size_t map_len;
	uint8_t *p;
};

static void guarded_alloc(struct guarded *g, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + page - 1) / page;

	g->map_len = (data_pages + 1) * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(g->map != MAP_FAILED);
	g_assert_cmpint(mprotect(g->map + data_pages * page, page, PROT_NONE), ==, 0);
	g->p = g->map + data_pages * page - n;
}

static void guarded_free(struct guarded *g)
{
	munmap(g->map, g->map_len);
}

static const char *mod_name(uint64_t modifier)
{
	return gvtdmabuf_modifier_name(modifier);
}

/* Detile one geometry and compare every byte, and check that the padding
 * of each destination row is left alone. */
static void check_geometry(uint64_t modifier, uint32_t cpp, uint32_t width,
			   uint32_t height, uint32_t extra_src_tiles,
			   uint32_t dst_pad)
{
	uint32_t tw = ref_tile_width(modifier, cpp);
	uint32_t row = width * cpp;
	uint32_t src_stride = (row + tw - 1) / tw * tw + extra_src_tiles * (tw == 1 ? 64 : tw);
	uint32_t dst_stride = row + dst_pad;
	size_t src_size = min_src_size(modifier, cpp, src_stride, width, height);
	struct guarded src;
	uint8_t *dst;
	uint32_t x, y;
	int r;

	guarded_alloc(&src, src_size);
	fill_random(src.p, src_size, width * 31 + height * 7 + cpp);
	dst = g_malloc((size_t)dst_stride * height);
	memset(dst, 0xa5, (size_t)dst_stride * height);

	r = gvtdmabuf_detile(modifier, cpp, src.p, src_stride, src_size,
			     width, height, dst, dst_stride);
	if (r != 0)
		g_error("%s cpp %u %ux%u stride %u size %zu: %d",
			mod_name(modifier), cpp, width, height, src_stride,
			src_size, r);
	for (y = 0; y < height; y++) {
		for (x = 0; x < row; x++) {
			uint8_t want = src.p[ref_offset(modifier, cpp, src_stride, x, y)];
			uint8_t got = dst[(size_t)y * dst_stride + x];

			if (want != got)
				g_error("%s cpp %u %ux%u: byte %u of row %u is %#x, want %#x",
					mod_name(modifier), cpp, width, height,
					x, y, got, want);
		}
		for (x = row; x < dst_stride; x++)
			g_assert_cmpuint(dst[(size_t)y * dst_stride + x], ==, 0xa5);
	}

	/* One byte less is refused, not read. */
	r = gvtdmabuf_detile(modifier, cpp, src.p + 1, src_stride, src_size - 1,
			     width, height, dst, dst_stride);
	g_assert_cmpint(r, ==, -EINVAL);

	g_free(dst);
	guarded_free(&src);
}

static const uint64_t modifiers[] = {
	DRM_FORMAT_MOD_LINEAR,
	I915_FORMAT_MOD_X_TILED,
	I915_FORMAT_MOD_Y_TILED,
	I915_FORMAT_MOD_Yf_TILED,
};

static void test_against_reference(gconstpointer data)
{
	uint64_t modifier = *(const uint64_t *)data;
	static const uint32_t widths[] = { 1, 17, 129, 1001 };
	static const uint32_t heights[] = { 1, 7, 33, 64 };
	static const uint32_t cpps[] = { 1, 2, 4, 8 };
	size_t w, h, c;

	for (c = 0; c < G_N_ELEMENTS(cpps); c++)
		for (w = 0; w < G_N_ELEMENTS(widths); w++)
			for (h = 0; h < G_N_ELEMENTS(heights); h++) {
				/* tight strides, and padded ones on both sides */
				check_geometry(modifier, cpps[c], widths[w], heights[h], 0, 0);
				check_geometry(modifier, cpps[c], widths[w], heights[h], 1, 12);
			}
	/* Large enough (> 2 MiB) for the streaming-store path: 16-byte
	 * aligned destination rows (4016 bytes) and unaligned ones (4004). */
	check_geometry(modifier, 4, 1001, 600, 0, 12);
	check_geometry(modifier, 4, 1001, 600, 1, 0);
	check_geometry(modifier, 2, 1920, 1080, 0, 0);
}

/* Spot checks of the layouts with hand-computed offsets, so the reference
 * above is not only checked against itself. */
static void test_known_offsets(void)
{
	/* 2 tiles wide Y surface of 32-bit pixels: 256 B stride */
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Y_TILED, 4, 256, 16, 1), ==, 528);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Y_TILED, 4, 256, 128, 0), ==, 4096);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Y_TILED, 4, 256, 0, 32), ==, 8192);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_X_TILED, 4, 1024, 4, 9), ==, 8192 + 512 + 4);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_X_TILED, 4, 1024, 512, 0), ==, 4096);
	/* Yf 32 bpp: x byte 16 -> bit 7, 32 -> bit 9, 64 -> bit 11; row 4 ->
	 * bit 6, 8 -> bit 8, 16 -> bit 10 */
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Yf_TILED, 4, 128, 16, 0), ==, 128);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Yf_TILED, 4, 128, 32, 0), ==, 512);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Yf_TILED, 4, 128, 64, 0), ==, 2048);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Yf_TILED, 4, 128, 0, 4), ==, 64);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Yf_TILED, 4, 128, 0, 8), ==, 256);
	g_assert_cmpuint(ref_offset(I915_FORMAT_MOD_Yf_TILED, 4, 128, 0, 16), ==, 1024);

	/* and through the library: a 2x2-tile Y surface with marked bytes */
	{
		uint8_t src[4 * 4096] = { 0 }, dst[256 * 64];

		src[528] = 1;		/* x byte 16, row 1 */
		src[4096 + 512 * 7 + 16 * 31 + 15] = 2;	/* x byte 255, row 31 */
		src[8192 + 3] = 3;	/* x byte 3, row 32 */
		g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED, 4, src, 256,
						 sizeof(src), 64, 64, dst, 256), ==, 0);
		g_assert_cmpuint(dst[1 * 256 + 16], ==, 1);
		g_assert_cmpuint(dst[31 * 256 + 255], ==, 2);
		g_assert_cmpuint(dst[32 * 256 + 3], ==, 3);
		g_assert_cmpuint(dst[0], ==, 0);
	}
}

static void test_errors(void)
{
	uint8_t src[8192] = { 0 }, dst[8192];
	uint32_t tw = 0, th = 0;

	/* unknown modifiers */
	g_assert_cmpint(gvtdmabuf_detile(DRM_FORMAT_MOD_INVALID, 4, src, 512,
					 sizeof(src), 16, 8, dst, 64), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED_CCS, 4, src, 512,
					 sizeof(src), 16, 8, dst, 64), ==, -ENOTSUP);
	/* bad cpp */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 3, src, 512,
					 sizeof(src), 16, 8, dst, 64), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 0, src, 512,
					 sizeof(src), 16, 8, dst, 64), ==, -EINVAL);
	/* NULL */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 4, NULL, 512,
					 sizeof(src), 16, 8, dst, 64), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 4, src, 512,
					 sizeof(src), 16, 8, NULL, 64), ==, -EINVAL);
	/* stride not a multiple of the tile width */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 4, src, 256,
					 sizeof(src), 16, 8, dst, 64), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED, 4, src, 200,
					 sizeof(src), 16, 8, dst, 64), ==, -EINVAL);
	/* stride narrower than a row */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED, 4, src, 128,
					 sizeof(src), 33, 8, dst, 256), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(DRM_FORMAT_MOD_LINEAR, 4, src, 60,
					 sizeof(src), 16, 8, dst, 64), ==, -EINVAL);
	/* destination stride narrower than a row */
	g_assert_cmpint(gvtdmabuf_detile(DRM_FORMAT_MOD_LINEAR, 4, src, 64,
					 sizeof(src), 16, 8, dst, 63), ==, -EINVAL);
	/* source too small: 33 rows of Y need two tile rows */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED, 4, src, 128,
					 4096, 32, 33, dst, 128), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED, 4, src, 128,
					 4096, 32, 32, dst, 128), ==, 0);
	/* huge geometries are computed without wrapping, and refused */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 8, src, 0xfffffe00u,
					 sizeof(src), 1, UINT32_MAX, dst, 8), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_Y_TILED, 8, src, 0xffffff80u,
					 sizeof(src), 0x1fffffff, 2, dst, UINT32_MAX), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_detile(DRM_FORMAT_MOD_LINEAR, 8, src, UINT32_MAX,
					 sizeof(src), 1, UINT32_MAX, dst, 8), ==, -EINVAL);
	/* nothing to do is fine */
	g_assert_cmpint(gvtdmabuf_detile(I915_FORMAT_MOD_X_TILED, 4, src, 512,
					 0, 0, 8, dst, 64), ==, 0);

	/* modifier helpers agree with what detile supports */
	g_assert_true(gvtdmabuf_modifier_supported(I915_FORMAT_MOD_Yf_TILED));
	g_assert_false(gvtdmabuf_modifier_supported(I915_FORMAT_MOD_Y_TILED_CCS));
	g_assert_cmpint(gvtdmabuf_modifier_tile_size(I915_FORMAT_MOD_Y_TILED, &tw, &th), ==, 0);
	g_assert_cmpuint(tw, ==, 128);
	g_assert_cmpuint(th, ==, 32);
}

/* ---- read_linear over a memfd ----------------------------------------- */

static int make_memfd(size_t size)
{
	int fd = memfd_create("test-detile", MFD_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
	return fd;
}

static void test_read_linear(gconstpointer data)
{
	uint64_t modifier = *(const uint64_t *)data;
	const uint32_t width = 129, height = 33, cpp = 4;
	uint32_t tw = ref_tile_width(modifier, cpp);
	uint32_t stride = (width * cpp + tw - 1) / tw * tw;
	uint32_t th = modifier == DRM_FORMAT_MOD_LINEAR ? 1 : 4096 / tw;
	uint32_t size = stride * ((height + th - 1) / th * th);
	uint32_t offset = 3 * 4096 + 256 + 12;	/* not page aligned */
	uint32_t dst_stride = width * cpp + 20;
	struct gvtdmabuf_dmabuf buf = { 0 };
	uint8_t *pixels, *dst;
	uint32_t x, y;
	int fd, r;

	fd = make_memfd(offset + size);
	pixels = g_malloc(size);
	fill_random(pixels, size, 99);
	g_assert_cmpint(pwrite(fd, pixels, size, offset), ==, (ssize_t)size);

	buf.width = width;
	buf.height = height;
	buf.fourcc = DRM_FORMAT_XRGB8888;
	buf.modifier = modifier;
	buf.size = size;
	buf.n_planes = 1;
	buf.offset[0] = offset;
	buf.stride[0] = stride;
	buf.fd[0] = fd;
	buf.fd[1] = buf.fd[2] = buf.fd[3] = -1;
	buf.is_dmabuf = false;

	dst = g_malloc0((size_t)dst_stride * height);
	r = gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride);
	g_assert_cmpint(r, ==, 0);
	for (y = 0; y < height; y++)
		for (x = 0; x < width * cpp; x++)
			g_assert_cmpuint(dst[(size_t)y * dst_stride + x], ==,
					 pixels[ref_offset(modifier, cpp, stride, x, y)]);

	/* unknown format, unknown modifier */
	buf.fourcc = DRM_FORMAT_NV12;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride), ==, -ENOTSUP);
	buf.fourcc = DRM_FORMAT_XRGB8888;
	buf.modifier = I915_FORMAT_MOD_Y_TILED_CCS;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride), ==, -ENOTSUP);
	buf.modifier = modifier;

	/* an offset past the end of the file */
	buf.offset[0] = offset + size + 4096;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride), ==, -EINVAL);
	/* a size that claims more than the file holds, and a geometry that
	 * needs it: refused (not SIGBUS) */
	buf.offset[0] = offset + 4096;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride), ==, -EINVAL);
	buf.offset[0] = offset;
	/* destination stride too small */
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, width * cpp - 1), ==, -EINVAL);
	/* no plane, bad fd */
	buf.n_planes = 0;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride), ==, -EINVAL);
	buf.n_planes = 1;
	buf.fd[0] = -1;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, dst_stride), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(NULL, dst, dst_stride), ==, -EINVAL);

	g_free(dst);
	g_free(pixels);
	close(fd);
}

/* Packed YUV 4:2:2 is read with 2 bytes per pixel. */
static void test_read_linear_yuv(void)
{
	const uint32_t width = 64, height = 32, stride = 128, size = 4096;
	struct gvtdmabuf_dmabuf buf = { 0 };
	uint8_t pixels[4096], dst[128 * 32];
	uint32_t x, y;
	int fd;

	fd = make_memfd(size);
	fill_random(pixels, size, 5);
	g_assert_cmpint(pwrite(fd, pixels, size, 0), ==, (ssize_t)size);
	buf.width = width;
	buf.height = height;
	buf.fourcc = DRM_FORMAT_YUYV;
	buf.modifier = I915_FORMAT_MOD_Y_TILED;
	buf.size = size;
	buf.n_planes = 1;
	buf.stride[0] = stride;
	buf.fd[0] = fd;
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(&buf, dst, 128), ==, 0);
	for (y = 0; y < height; y++)
		for (x = 0; x < 128; x++)
			g_assert_cmpuint(dst[y * 128 + x], ==,
					 pixels[ref_offset(I915_FORMAT_MOD_Y_TILED, 2, stride, x, y)]);
	close(fd);
}

/* End to end: the sim vGPU's primary plane, read back with read_linear,
 * equals the guest model's expected pixels. */
struct sim_case {
	const char *tiling;
	uint64_t modifier;
	const char *format;
	uint32_t fourcc;
};

static const struct sim_case sim_cases[] = {
	{ "linear", DRM_FORMAT_MOD_LINEAR, "xrgb8888", DRM_FORMAT_XRGB8888 },
	{ "xtiled", I915_FORMAT_MOD_X_TILED, "xrgb8888", DRM_FORMAT_XRGB8888 },
	{ "ytiled", I915_FORMAT_MOD_Y_TILED, "xrgb8888", DRM_FORMAT_XRGB8888 },
	{ "ytiled", I915_FORMAT_MOD_Y_TILED, "rgb565", DRM_FORMAT_RGB565 },
	{ "xtiled", I915_FORMAT_MOD_X_TILED, "yuyv", DRM_FORMAT_YUYV },
	{ "ytiled", I915_FORMAT_MOD_Y_TILED, "xbgr2101010", DRM_FORMAT_XBGR2101010 },
};

static void test_read_linear_sim(gconstpointer data)
{
	const struct sim_case *c = data;
	/* odd widths, except where 4:2:2 needs pairs */
	const uint32_t width = c->fourcc == DRM_FORMAT_YUYV ? 1002 : 1001;
	const uint32_t height = 177, fps = 60;
	const uint64_t frame = 5;
	struct gvtsim_guest_config cfg;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info info;
	const struct gvtdmabuf_dmabuf *buf;
	const struct gvtdmabuf_format_info *fmt;
	char spec[128], err[GVTDMABUF_ERROR_MAX];
	uint32_t dst_stride, x, y;
	uint8_t *dst;
	int r;

	snprintf(spec, sizeof(spec), "sim:%ux%u,%s,%s,fps=%u,cursor=off,clock=manual",
		 width, height, c->tiling, c->format, fps);
	r = gvtdmabuf_device_open(NULL, spec, &dev, err, sizeof(err));
	if (r < 0)
		g_error("%s: %s", spec, err);
	g_assert_cmpint(gvtdmabuf_sim_set_frame(dev, frame), ==, 0);
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info), ==, 0);
	g_assert_true(info.enabled);
	g_assert_cmpuint(info.fourcc, ==, c->fourcc);
	g_assert_cmphex(info.modifier, ==, c->modifier);
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &info, &buf), ==, 0);

	fmt = gvtdmabuf_format_lookup(c->fourcc);
	g_assert_nonnull(fmt);
	dst_stride = width * fmt->cpp + 8;
	dst = g_malloc0((size_t)dst_stride * height);
	g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(buf, dst, dst_stride), ==, 0);

	gvtsim_guest_config_default(&cfg);
	cfg.width = width;
	cfg.height = height;
	cfg.fourcc = c->fourcc;
	cfg.modifier = c->modifier;
	cfg.cursor_size = 0;
	cfg.fps = fps;
	for (y = 0; y < height; y++) {
		for (x = 0; x < width; x++) {
			const uint8_t *p = dst + (size_t)y * dst_stride + (size_t)x * fmt->cpp;
			uint32_t got = fmt->cpp == 4 ?
				(uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24 :
				(uint32_t)p[0] | p[1] << 8;
			uint32_t want = gvtsim_guest_expected_native(&cfg, frame,
								     frame * 1000000 / fps, x, y);

			if (got != want)
				g_error("%s: pixel (%u, %u) is %#x, want %#x", spec, x, y, got, want);
		}
	}
	g_free(dst);
	gvtdmabuf_device_close(dev);
}

int main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(modifiers); i++) {
		char *path = g_strdup_printf("/detile/reference/%s", mod_name(modifiers[i]));

		g_test_add_data_func(path, &modifiers[i], test_against_reference);
		g_free(path);
		path = g_strdup_printf("/detile/read-linear/%s", mod_name(modifiers[i]));
		g_test_add_data_func(path, &modifiers[i], test_read_linear);
		g_free(path);
	}
	for (i = 0; i < G_N_ELEMENTS(sim_cases); i++) {
		char *path = g_strdup_printf("/detile/read-linear-sim/%s-%s",
					     sim_cases[i].tiling, sim_cases[i].format);

		g_test_add_data_func(path, &sim_cases[i], test_read_linear_sim);
		g_free(path);
	}
	g_test_add_func("/detile/known-offsets", test_known_offsets);
	g_test_add_func("/detile/errors", test_errors);
	g_test_add_func("/detile/read-linear-yuv", test_read_linear_yuv);
	return g_test_run();
}
