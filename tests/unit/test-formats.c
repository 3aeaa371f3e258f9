/* SPDX-License-Identifier: MIT */
/*
 * The format and modifier tables.  When libgstvideo is available
 * (HAVE_GST_VIDEO) every GStreamer name is also checked for what it means:
 * a pixel written with the DRM layout must unpack, through GStreamer's own
 * unpacker, to the same components.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <drm_fourcc.h>
#include <spa/param/video/raw.h>
#include <spa/param/video/type-info.h>
#include <va/va.h>

#ifdef HAVE_GST_VIDEO
#include <gst/video/video.h>
#endif

#include "gvt-dmabuf/gvt-dmabuf.h"

/* What GVT-g's decoder can hand out, with the layout the DRM name gives:
 * for RGB, the bit position of R, G, B, A (-1: none) and the component
 * depth in a little-endian word; for packed YUV 4:2:2 the byte positions
 * of Y0, U, Y1, V. */
struct expect {
	uint32_t fourcc;
	const char *name;
	uint32_t cpp;
	bool alpha;
	bool yuv;
	int pos[4];
	int depth[4];
};

static const struct expect expected[] = {
	{ DRM_FORMAT_RGB565, "RGB565", 2, false, false, { 11, 5, 0, -1 }, { 5, 6, 5, 0 } },
	{ DRM_FORMAT_XRGB8888, "XRGB8888", 4, false, false, { 16, 8, 0, -1 }, { 8, 8, 8, 0 } },
	{ DRM_FORMAT_ARGB8888, "ARGB8888", 4, true, false, { 16, 8, 0, 24 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XBGR8888, "XBGR8888", 4, false, false, { 0, 8, 16, -1 }, { 8, 8, 8, 0 } },
	{ DRM_FORMAT_ABGR8888, "ABGR8888", 4, true, false, { 0, 8, 16, 24 }, { 8, 8, 8, 8 } },
	{ DRM_FORMAT_XRGB2101010, "XRGB2101010", 4, false, false, { 20, 10, 0, -1 }, { 10, 10, 10, 0 } },
	{ DRM_FORMAT_XBGR2101010, "XBGR2101010", 4, false, false, { 0, 10, 20, -1 }, { 10, 10, 10, 0 } },
	{ DRM_FORMAT_ARGB2101010, "ARGB2101010", 4, true, false, { 20, 10, 0, 30 }, { 10, 10, 10, 2 } },
	{ DRM_FORMAT_ABGR2101010, "ABGR2101010", 4, true, false, { 0, 10, 20, 30 }, { 10, 10, 10, 2 } },
	{ DRM_FORMAT_YUYV, "YUYV", 2, false, true, { 0, 1, 2, 3 }, { 0 } },
	{ DRM_FORMAT_UYVY, "UYVY", 2, false, true, { 1, 0, 3, 2 }, { 0 } },
	{ DRM_FORMAT_YVYU, "YVYU", 2, false, true, { 0, 3, 2, 1 }, { 0 } },
	{ DRM_FORMAT_VYUY, "VYUY", 2, false, true, { 1, 2, 3, 0 }, { 0 } },
};

static void test_table(void)
{
	const struct gvtdmabuf_format_info *t;
	size_t n = 0, i, j;

	t = gvtdmabuf_format_table(&n);
	g_assert_nonnull(t);
	g_assert_cmpuint(n, >=, G_N_ELEMENTS(expected));

	for (i = 0; i < n; i++) {
		/* fourcc -> row -> same fourcc, no duplicates */
		g_assert_true(gvtdmabuf_format_lookup(t[i].fourcc) == &t[i]);
		for (j = i + 1; j < n; j++) {
			g_assert_cmpuint(t[i].fourcc, !=, t[j].fourcc);
			if (t[i].gst_format && t[j].gst_format)
				g_assert_cmpstr(t[i].gst_format, !=, t[j].gst_format);
			if (t[i].spa_format)
				g_assert_cmpuint(t[i].spa_format, !=, t[j].spa_format);
			if (t[i].va_fourcc)
				g_assert_cmpuint(t[i].va_fourcc, !=, t[j].va_fourcc);
		}
		g_assert_nonnull(t[i].name);
		g_assert_true(t[i].cpp == 2 || t[i].cpp == 4);
		if (t[i].gst_format)
			g_assert_true(gvtdmabuf_format_lookup_gst(t[i].gst_format) == &t[i]);
	}

	for (i = 0; i < G_N_ELEMENTS(expected); i++) {
		const struct gvtdmabuf_format_info *row = gvtdmabuf_format_lookup(expected[i].fourcc);

		if (!row)
			g_error("format %s missing from the table", expected[i].name);
		g_assert_cmpstr(row->name, ==, expected[i].name);
		g_assert_cmpuint(row->cpp, ==, expected[i].cpp);
		g_assert_cmpint(row->has_alpha, ==, expected[i].alpha);
		g_assert_cmpuint(row->spa_format, !=, 0);
		g_assert_cmpuint(row->va_fourcc, !=, 0);
	}

	g_assert_null(gvtdmabuf_format_lookup(DRM_FORMAT_NV12));
	g_assert_null(gvtdmabuf_format_lookup(0));
	g_assert_null(gvtdmabuf_format_lookup_gst("NV12"));
	g_assert_null(gvtdmabuf_format_lookup_gst(NULL));
}

/* Spot checks of the byte-order mapping the brief of every consumer
 * relies on. */
static void test_known_mappings(void)
{
	const struct gvtdmabuf_format_info *f;

	f = gvtdmabuf_format_lookup(DRM_FORMAT_XRGB8888);
	g_assert_cmpstr(f->gst_format, ==, "BGRx");
	g_assert_cmpuint(f->spa_format, ==, SPA_VIDEO_FORMAT_BGRx);
	g_assert_cmpuint(f->va_fourcc, ==, VA_FOURCC_BGRX);
	f = gvtdmabuf_format_lookup(DRM_FORMAT_ABGR8888);
	g_assert_cmpstr(f->gst_format, ==, "RGBA");
	g_assert_cmpuint(f->va_fourcc, ==, VA_FOURCC_RGBA);
	f = gvtdmabuf_format_lookup(DRM_FORMAT_YUYV);
	g_assert_cmpstr(f->gst_format, ==, "YUY2");
	g_assert_cmpuint(f->va_fourcc, ==, VA_FOURCC_YUY2);
	/* VA names these three exactly as DRM does */
	g_assert_cmpuint(gvtdmabuf_format_lookup(DRM_FORMAT_RGB565)->va_fourcc, ==, DRM_FORMAT_RGB565);
	g_assert_cmpuint(gvtdmabuf_format_lookup(DRM_FORMAT_XRGB2101010)->va_fourcc, ==,
			 DRM_FORMAT_XRGB2101010);
	g_assert_cmpuint(gvtdmabuf_format_lookup(DRM_FORMAT_ARGB2101010)->va_fourcc, ==,
			 DRM_FORMAT_ARGB2101010);
	g_assert_true(gvtdmabuf_format_lookup_gst("BGRA") ==
		      gvtdmabuf_format_lookup(DRM_FORMAT_ARGB8888));
	g_assert_true(gvtdmabuf_format_lookup_gst("BGR10A2_LE") ==
		      gvtdmabuf_format_lookup(DRM_FORMAT_ARGB2101010));
}

/* SPA names its 8-bit formats exactly as GStreamer does: where a row has
 * both, the names must agree. */
static void test_spa_names(void)
{
	const struct gvtdmabuf_format_info *t;
	size_t n, i, k;

	t = gvtdmabuf_format_table(&n);
	for (i = 0; i < n; i++) {
		const char *spa_name = NULL, *shortname;

		for (k = 0; spa_type_video_format[k].name; k++)
			if (spa_type_video_format[k].type == t[i].spa_format)
				spa_name = spa_type_video_format[k].name;
		if (!spa_name)
			g_error("%s: SPA format %u has no name", t[i].name, t[i].spa_format);
		shortname = strrchr(spa_name, ':') + 1;
		if (t[i].gst_format && strstr(t[i].gst_format, "10") == NULL)
			g_assert_cmpstr(shortname, ==, t[i].gst_format);
		if (strstr(t[i].name, "2101010"))
			g_assert_nonnull(strstr(shortname, "_210LE"));
	}
}

static void test_modifiers(void)
{
	uint32_t w = 7, h = 9;

	g_assert_cmpstr(gvtdmabuf_modifier_name(DRM_FORMAT_MOD_LINEAR), ==, "LINEAR");
	g_assert_cmpstr(gvtdmabuf_modifier_name(I915_FORMAT_MOD_X_TILED), ==, "I915_X_TILED");
	g_assert_cmpstr(gvtdmabuf_modifier_name(I915_FORMAT_MOD_Y_TILED), ==, "I915_Y_TILED");
	g_assert_cmpstr(gvtdmabuf_modifier_name(I915_FORMAT_MOD_Yf_TILED), ==, "I915_Yf_TILED");
	g_assert_cmpstr(gvtdmabuf_modifier_name(I915_FORMAT_MOD_Y_TILED_CCS), ==, "UNKNOWN");
	g_assert_cmpstr(gvtdmabuf_modifier_name(DRM_FORMAT_MOD_INVALID), ==, "UNKNOWN");

	g_assert_true(gvtdmabuf_modifier_supported(DRM_FORMAT_MOD_LINEAR));
	g_assert_true(gvtdmabuf_modifier_supported(I915_FORMAT_MOD_X_TILED));
	g_assert_true(gvtdmabuf_modifier_supported(I915_FORMAT_MOD_Y_TILED));
	g_assert_true(gvtdmabuf_modifier_supported(I915_FORMAT_MOD_Yf_TILED));
	g_assert_false(gvtdmabuf_modifier_supported(DRM_FORMAT_MOD_INVALID));

	g_assert_cmpint(gvtdmabuf_modifier_tile_size(DRM_FORMAT_MOD_LINEAR, &w, &h), ==, 0);
	g_assert_cmpuint(w, ==, 1);
	g_assert_cmpuint(h, ==, 1);
	g_assert_cmpint(gvtdmabuf_modifier_tile_size(I915_FORMAT_MOD_X_TILED, &w, &h), ==, 0);
	g_assert_cmpuint(w, ==, 512);
	g_assert_cmpuint(h, ==, 8);
	g_assert_cmpint(gvtdmabuf_modifier_tile_size(I915_FORMAT_MOD_Y_TILED, &w, &h), ==, 0);
	g_assert_cmpuint(w, ==, 128);
	g_assert_cmpuint(h, ==, 32);
	g_assert_cmpint(gvtdmabuf_modifier_tile_size(I915_FORMAT_MOD_Yf_TILED, &w, &h), ==, 0);
	g_assert_cmpuint(w * h, ==, 4096);
	/* failure leaves the out-parameters alone */
	w = 7;
	h = 9;
	g_assert_cmpint(gvtdmabuf_modifier_tile_size(DRM_FORMAT_MOD_INVALID, &w, &h), ==, -ENOTSUP);
	g_assert_cmpuint(w, ==, 7);
	g_assert_cmpuint(h, ==, 9);
}

#ifdef HAVE_GST_VIDEO
/* Write a pixel (or pixel pair) following the DRM layout, unpack it with
 * GStreamer and compare the components. */
static void check_gst_layout(const struct expect *e, const char *gst_name)
{
	GstVideoFormat fmt = gst_video_format_from_string(gst_name);
	const GstVideoFormatInfo *info;
	guint8 px[8] = { 0 };
	guint16 out[8];
	gpointer data[GST_VIDEO_MAX_PLANES] = { px };
	gint stride[GST_VIDEO_MAX_PLANES] = { 8 };
	int c;

	if (fmt == GST_VIDEO_FORMAT_UNKNOWN)
		g_error("%s: \"%s\" is not a GstVideoFormat", e->name, gst_name);
	info = gst_video_format_get_info(fmt);
	g_assert_cmpuint(GST_VIDEO_FORMAT_INFO_PSTRIDE(info, 0), ==, e->cpp);

	if (e->yuv) {
		/* Y0 = 0x10, U = 0x40, Y1 = 0x80, V = 0xc0 at the DRM positions */
		px[e->pos[0]] = 0x10;
		px[e->pos[1]] = 0x40;
		px[e->pos[2]] = 0x80;
		px[e->pos[3]] = 0xc0;
		g_assert_cmpint(info->unpack_format, ==, GST_VIDEO_FORMAT_AYUV);
		info->unpack_func(info, 0, out, (const gpointer *)data, stride, 0, 0, 2);
		{
			const guint8 *o = (const guint8 *)out;	/* A Y U V, A Y U V */

			g_assert_cmpuint(o[1], ==, 0x10);
			g_assert_cmpuint(o[2], ==, 0x40);
			g_assert_cmpuint(o[3], ==, 0xc0);
			g_assert_cmpuint(o[5], ==, 0x80);
		}
		return;
	}

	/* RGB: set one component at a time to its maximum, all else zero */
	for (c = 0; c < 4; c++) {
		guint32 word;
		int k;

		if (e->pos[c] < 0)
			continue;
		word = ((1u << e->depth[c]) - 1) << e->pos[c];
		memset(px, 0, sizeof(px));
		for (k = 0; k < (int)e->cpp; k++)
			px[k] = (guint8)(word >> (8 * k));
		if (GST_VIDEO_FORMAT_INFO_DEPTH(info, 0) > 8) {
			g_assert_cmpint(info->unpack_format, ==, GST_VIDEO_FORMAT_ARGB64);
			info->unpack_func(info, 0, out, (const gpointer *)data, stride, 0, 0, 1);
			/* out: A R G B, 16 bit each; c: 0 R, 1 G, 2 B, 3 A */
			for (k = 0; k < 4; k++) {
				int comp = k == 0 ? 3 : k - 1;

				if (comp == c)
					g_assert_cmpuint(out[k] >> 8, >=, 0xc0);
				else if (k != 0)
					g_assert_cmpuint(out[k], ==, 0);
			}
		} else {
			const guint8 *o = (const guint8 *)out;

			g_assert_cmpint(info->unpack_format, ==, GST_VIDEO_FORMAT_ARGB);
			info->unpack_func(info, 0, out, (const gpointer *)data, stride, 0, 0, 1);
			for (k = 0; k < 4; k++) {
				int comp = k == 0 ? 3 : k - 1;

				if (comp == c)
					g_assert_cmpuint(o[k], >=, 0xf8);
				else if (k != 0)
					g_assert_cmpuint(o[k], ==, 0);
			}
		}
	}
}

static void test_gst_names(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(expected); i++) {
		const struct gvtdmabuf_format_info *row = gvtdmabuf_format_lookup(expected[i].fourcc);

		if (row->gst_format)
			check_gst_layout(&expected[i], row->gst_format);
		else if (gst_video_format_from_string("BGR10x2_LE") != GST_VIDEO_FORMAT_UNKNOWN)
			/* GStreamer >= 1.28 has names for X*2101010 */
			g_test_message("%s: this GStreamer has a name for it, the table does not",
				       expected[i].name);
	}
}
#else
static void test_gst_names(void)
{
	g_test_skip("built without gstreamer-video-1.0");
}
#endif

/* Every format of the table converts to RGBA (the fallbacks rely on it),
 * and opaque white stays opaque white whatever the layout. */
static void test_convert_every_format(void)
{
	const struct gvtdmabuf_format_info *t;
	size_t n, i;
	uint8_t src[8], rgba[8];

	t = gvtdmabuf_format_table(&n);
	for (i = 0; i < n; i++) {
		bool yuv = t[i].cpp == 2 && t[i].fourcc != DRM_FORMAT_RGB565;

		if (yuv) {
			/* Y = 235 (white), U = V = 128 in every byte order */
			switch (t[i].fourcc) {
			case DRM_FORMAT_YUYV: case DRM_FORMAT_YVYU:
				memcpy(src, (uint8_t[]){ 235, 128, 235, 128 }, 4);
				break;
			default:
				memcpy(src, (uint8_t[]){ 128, 235, 128, 235 }, 4);
				break;
			}
		} else {
			memset(src, 0xff, sizeof(src));
		}
		g_assert_cmpint(gvtdmabuf_convert_row_rgba8(t[i].fourcc, src, 2, rgba), ==, 0);
		for (int c = 0; c < 8; c++)
			g_assert_cmpuint(rgba[c], ==, 255);
	}
	g_assert_cmpint(gvtdmabuf_convert_row_rgba8(DRM_FORMAT_NV12, src, 2, rgba), ==, -ENOTSUP);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/formats/table", test_table);
	g_test_add_func("/formats/known-mappings", test_known_mappings);
	g_test_add_func("/formats/spa-names", test_spa_names);
	g_test_add_func("/formats/modifiers", test_modifiers);
	g_test_add_func("/formats/gst-names", test_gst_names);
	g_test_add_func("/formats/convert-every-format", test_convert_every_format);
	return g_test_run();
}
