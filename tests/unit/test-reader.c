/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabuf_reader: every plane of the sim vGPU read back over many frames
 * with one reader, compared pixel by pixel with the guest model.
 *
 * The mmap path runs everywhere.  The GPU path (GVTDMABUF_READER_GPU_ONLY)
 * needs real dma-bufs (the sim exports udmabufs where /dev/udmabuf opens)
 * and an EGL that imports them: the vm suite runs this program in the
 * Debian 13 tree under 6.12 with GVT_TEST_REQUIRE_EGL=1, where Mesa's
 * llvmpipe imports LINEAR buffers; there every linear case must come back
 * pixel-exact through "egl", and a tiled one either exact or refused with
 * a message naming the modifier.  Elsewhere a memfd must be refused with a
 * message saying so, and a dma-buf EGL cannot import is a skip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "guest-model.h"

struct reader_case {
	const char *opts;	/* sim options besides the mode */
	uint32_t fourcc;
	uint64_t modifier;
	uint32_t gpu_flags;	/* which path: 0 (auto) or GPU_ONLY */
};

static const struct reader_case cases[] = {
	{ "linear,xrgb8888", DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, 0 },
	{ "xtiled,xrgb8888", DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED, 0 },
	{ "ytiled,rgb565", DRM_FORMAT_RGB565, I915_FORMAT_MOD_Y_TILED, 0 },
	{ "linear,yuyv", DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR, 0 },
	{ "linear,xbgr2101010", DRM_FORMAT_XBGR2101010, DRM_FORMAT_MOD_LINEAR, 0 },
	{ "linear,xrgb8888", DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, GVTDMABUF_READER_GPU_ONLY },
	{ "linear,abgr8888", DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR, GVTDMABUF_READER_GPU_ONLY },
	{ "linear,rgb565", DRM_FORMAT_RGB565, DRM_FORMAT_MOD_LINEAR, GVTDMABUF_READER_GPU_ONLY },
	{ "linear,yuyv", DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR, GVTDMABUF_READER_GPU_ONLY },
	{ "linear,xrgb2101010", DRM_FORMAT_XRGB2101010, DRM_FORMAT_MOD_LINEAR, GVTDMABUF_READER_GPU_ONLY },
	{ "xtiled,xrgb8888", DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED, GVTDMABUF_READER_GPU_ONLY },
};

static uint32_t get_px(const uint8_t *p, uint32_t cpp)
{
	return cpp == 4 ? (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24 :
			  (uint32_t)p[0] | p[1] << 8;
}

static bool require_egl(void)
{
	const char *v = getenv("GVT_TEST_REQUIRE_EGL");

	return v && !strcmp(v, "1");
}

static void test_reader(gconstpointer data)
{
	const struct reader_case *c = data;
	/* odd width (but pairs for 4:2:2), three buffers, sprite and cursor */
	const uint32_t width = c->fourcc == DRM_FORMAT_YUYV ? 322 : 321, height = 181;
	const uint32_t fps = 50;
	const bool gpu = c->gpu_flags & GVTDMABUF_READER_GPU_ONLY;
	const bool linear = c->modifier == DRM_FORMAT_MOD_LINEAR;
	struct gvtdmabuf_reader *reader = NULL;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtsim_guest_config cfg;
	char spec[160], err[GVTDMABUF_ERROR_MAX];
	uint8_t *dst;
	uint32_t dst_stride = 4 * 512 + 12;
	uint64_t frame;
	int r;

	snprintf(spec, sizeof(spec), "sim:%ux%u,%s,buffers=3,sprite=on,cursor=64,fps=%u,clock=manual",
		 width, height, c->opts, fps);
	r = gvtdmabuf_device_open(NULL, spec, &dev, err, sizeof(err));
	if (r < 0)
		g_error("%s: %s", spec, err);
	g_assert_cmpint(gvtdmabuf_reader_create(c->gpu_flags, &reader), ==, 0);
	g_assert_null(gvtdmabuf_reader_get_method(reader));
	dst = g_malloc((size_t)dst_stride * height);

	gvtsim_guest_config_default(&cfg);
	cfg.width = width;
	cfg.height = height;
	cfg.fourcc = c->fourcc;
	cfg.modifier = c->modifier;
	cfg.n_buffers = 3;
	cfg.sprite = true;
	cfg.cursor_size = 64;
	cfg.fps = fps;

	/* frames 3..9 go round the three buffers twice: the reader's entries
	 * are reused, and each must still show the frame now in it */
	for (frame = 3; frame < 10; frame++) {
		struct gvtdmabuf_plane_info pi;
		const struct gvtdmabuf_dmabuf *buf;
		uint32_t x, y;

		g_assert_cmpint(gvtdmabuf_sim_set_frame(dev, frame), ==, 0);

		/* primary */
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi), ==, 0);
		g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &pi, &buf), ==, 0);
		memset(dst, 0xa5, (size_t)dst_stride * height);
		r = gvtdmabuf_reader_read(reader, buf, dst, dst_stride);
		if (gpu && !buf->is_dmabuf) {
			/* a memfd (no /dev/udmabuf here): refused, saying why */
			g_assert_cmpint(r, ==, -ENOTSUP);
			g_assert_nonnull(strstr(gvtdmabuf_reader_get_error(reader), "memfd"));
			g_assert_null(gvtdmabuf_reader_get_method(reader));
			g_test_message("%s: %s", spec, gvtdmabuf_reader_get_error(reader));
			goto out;
		}
		if (gpu && r < 0) {
			const char *why = gvtdmabuf_reader_get_error(reader);

			g_assert_cmpint(r, ==, -ENOTSUP);
			g_assert_cmpstr(why, !=, "");
			if (!linear) {
				/* a tiled buffer the GPU cannot import: the
				 * message names the modifier */
				g_assert_nonnull(strstr(why, gvtdmabuf_modifier_name(c->modifier)));
				g_test_message("%s refused: %s", spec, why);
				goto out;
			}
			if (require_egl())
				g_error("%s: the GPU path must read a LINEAR udmabuf: %s", spec, why);
			g_test_skip(why);
			goto out;
		}
		if (r < 0)
			g_error("%s frame %llu: %s", spec, (unsigned long long)frame,
				gvtdmabuf_reader_get_error(reader));
		g_assert_cmpstr(gvtdmabuf_reader_get_error(reader), ==, "");
		g_assert_cmpstr(gvtdmabuf_reader_get_method(reader), ==, gpu ? "egl" : "mmap");
		for (y = 0; y < height; y++)
			for (x = 0; x < width; x++) {
				uint32_t cpp = c->fourcc == DRM_FORMAT_RGB565 || c->fourcc == DRM_FORMAT_YUYV ? 2 : 4;
				uint32_t got = get_px(dst + (size_t)y * dst_stride + (size_t)x * cpp, cpp);
				uint32_t want = gvtsim_guest_expected_native(&cfg, frame,
									     frame * 1000000 / fps, x, y);

				if (got != want)
					g_error("%s frame %llu via %s: pixel (%u, %u) is %#x, want %#x",
						spec, (unsigned long long)frame,
						gvtdmabuf_reader_get_method(reader), x, y, got, want);
			}

		/* the cursor, through the same reader */
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &pi), ==, 0);
		g_assert_true(pi.enabled);
		g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &pi, &buf), ==, 0);
		g_assert_cmpint(gvtdmabuf_reader_read(reader, buf, dst, 64 * 4), ==, 0);
		for (y = 0; y < 64; y++)
			for (x = 0; x < 64; x++)
				g_assert_cmphex(get_px(dst + (y * 64 + x) * 4, 4), ==,
						gvtsim_guest_expected_cursor_pixel(&cfg, x, y));
	}
out:
	g_free(dst);
	gvtdmabuf_reader_destroy(reader);
	gvtdmabuf_device_close(dev);
}

static void test_reader_args(void)
{
	struct gvtdmabuf_reader *reader = (void *)0x1;
	struct gvtdmabuf_dmabuf buf = { 0 };
	uint8_t dst[64];

	g_assert_cmpint(gvtdmabuf_reader_create(GVTDMABUF_READER_GPU_ONLY | GVTDMABUF_READER_CPU_ONLY,
						&reader), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_reader_create(1u << 7, &reader), ==, -EINVAL);
	g_assert_true(reader == (void *)0x1);	/* untouched on failure */
	g_assert_cmpint(gvtdmabuf_reader_create(0, NULL), ==, -EINVAL);
	gvtdmabuf_reader_destroy(NULL);

	g_assert_cmpint(gvtdmabuf_reader_create(0, &reader), ==, 0);
	g_assert_cmpint(gvtdmabuf_reader_read(reader, NULL, dst, 64), ==, -EINVAL);
	g_assert_cmpstr(gvtdmabuf_reader_get_error(reader), !=, "");
	buf.fd[0] = -1;
	buf.n_planes = 1;
	g_assert_cmpint(gvtdmabuf_reader_read(reader, &buf, dst, 64), ==, -EINVAL);
	g_assert_null(gvtdmabuf_reader_get_method(reader));
	g_assert_cmpint(gvtdmabuf_reader_read(NULL, &buf, dst, 64), ==, -EINVAL);
	gvtdmabuf_reader_destroy(reader);
}

int main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/reader/args", test_reader_args);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char path[128];

		snprintf(path, sizeof(path), "/reader/%s/%s",
			 cases[i].gpu_flags ? "gpu" : "auto", cases[i].opts);
		g_test_add_data_func(path, &cases[i], test_reader);
	}
	return g_test_run();
}
