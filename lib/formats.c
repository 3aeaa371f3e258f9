/* SPDX-License-Identifier: MIT */
/*
 * The format table: DRM fourccs the vGPU's planes can carry, and what
 * GStreamer, PipeWire (SPA) and VA-API call the same memory layout.
 *
 * DRM names describe a little-endian 32-bit word from the most significant
 * bit down (XRGB8888 = bytes B, G, R, X in memory); GStreamer, SPA and VA
 * name the 8-bit RGB formats by byte order (BGRx).  The 10-bit formats are
 * named by bit position in GStreamer ("BGR10A2_LE": B in bits 0-9, as DRM
 * ARGB2101010, the pairing GStreamer's own DMA_DRM table makes) and in SPA
 * ("xRGB_210LE" = x:R:G:B 2:10:10:10 LE, exactly DRM XRGB2101010).
 * GStreamer has no alpha-less 10-bit RGB before 1.28 (BGR10x2_LE), so the
 * X*2101010 rows have no GStreamer name.
 */
#include <errno.h>
#include <string.h>

#include <drm_fourcc.h>
#include <spa/param/video/raw.h>
#include <va/va.h>

#include "backend.h"

static const struct gvtdmabuf_format_info format_table[] = {
	{ DRM_FORMAT_XRGB8888, "XRGB8888", "BGRx",
	  SPA_VIDEO_FORMAT_BGRx, VA_FOURCC_BGRX, 4, false },
	{ DRM_FORMAT_ARGB8888, "ARGB8888", "BGRA",
	  SPA_VIDEO_FORMAT_BGRA, VA_FOURCC_BGRA, 4, true },
	{ DRM_FORMAT_XBGR8888, "XBGR8888", "RGBx",
	  SPA_VIDEO_FORMAT_RGBx, VA_FOURCC_RGBX, 4, false },
	{ DRM_FORMAT_ABGR8888, "ABGR8888", "RGBA",
	  SPA_VIDEO_FORMAT_RGBA, VA_FOURCC_RGBA, 4, true },
	/* R in bits 15:11 of a little-endian word: GStreamer's RGB16 (host
	 * endian) and VA's RG16 are the same layout on x86. */
	{ DRM_FORMAT_RGB565, "RGB565", "RGB16",
	  SPA_VIDEO_FORMAT_RGB16, VA_FOURCC_RGB565, 2, false },
	{ DRM_FORMAT_XRGB2101010, "XRGB2101010", NULL,
	  SPA_VIDEO_FORMAT_xRGB_210LE, VA_FOURCC_X2R10G10B10, 4, false },
	{ DRM_FORMAT_XBGR2101010, "XBGR2101010", NULL,
	  SPA_VIDEO_FORMAT_xBGR_210LE, VA_FOURCC_X2B10G10R10, 4, false },
	{ DRM_FORMAT_ARGB2101010, "ARGB2101010", "BGR10A2_LE",
	  SPA_VIDEO_FORMAT_ARGB_210LE, VA_FOURCC_A2R10G10B10, 4, true },
	{ DRM_FORMAT_ABGR2101010, "ABGR2101010", "RGB10A2_LE",
	  SPA_VIDEO_FORMAT_ABGR_210LE, VA_FOURCC_A2B10G10R10, 4, true },
	/* Packed 4:2:2: DRM YUYV = bytes Y0 Cb Y1 Cr = YUY2; two pixels share
	 * four bytes, so cpp is 2 for stride and detiling purposes. */
	{ DRM_FORMAT_YUYV, "YUYV", "YUY2",
	  SPA_VIDEO_FORMAT_YUY2, VA_FOURCC_YUY2, 2, false },
	{ DRM_FORMAT_UYVY, "UYVY", "UYVY",
	  SPA_VIDEO_FORMAT_UYVY, VA_FOURCC_UYVY, 2, false },
	{ DRM_FORMAT_YVYU, "YVYU", "YVYU",
	  SPA_VIDEO_FORMAT_YVYU, VA_FOURCC_YVYU, 2, false },
	{ DRM_FORMAT_VYUY, "VYUY", "VYUY",
	  SPA_VIDEO_FORMAT_VYUY, VA_FOURCC_VYUY, 2, false },
};

#define N_FORMATS (sizeof(format_table) / sizeof(format_table[0]))

/**
 * Look up a DRM fourcc in the format table.
 * @param fourcc DRM_FORMAT_*
 * @return the row, or NULL for a format the library does not handle
 */
GVTDMABUF_EXPORT const struct gvtdmabuf_format_info *
gvtdmabuf_format_lookup(uint32_t fourcc)
{
	const struct gvtdmabuf_format_info *row = NULL;
	size_t i;

	for (i = 0; i < N_FORMATS; i++) {
		if (format_table[i].fourcc == fourcc) {
			row = &format_table[i];
			break;
		}
	}
	return row;
}

/**
 * Look up a row by its GStreamer video format name ("BGRx").
 * @param gst_format a GstVideoFormat name (case-sensitive, as GStreamer)
 * @return the row, or NULL (also for NULL)
 */
GVTDMABUF_EXPORT const struct gvtdmabuf_format_info *
gvtdmabuf_format_lookup_gst(const char *gst_format)
{
	const struct gvtdmabuf_format_info *row = NULL;
	size_t i;

	if (!gst_format)
		goto out;
	for (i = 0; i < N_FORMATS; i++) {
		if (format_table[i].gst_format &&
		    strcmp(format_table[i].gst_format, gst_format) == 0) {
			row = &format_table[i];
			break;
		}
	}
out:
	return row;
}

/**
 * The whole table, for building caps or SPA format lists.
 * @param ret_n receives the number of rows (may be NULL)
 * @return the first row; the table is static and never changes
 */
GVTDMABUF_EXPORT const struct gvtdmabuf_format_info *
gvtdmabuf_format_table(size_t *ret_n)
{
	if (ret_n)
		*ret_n = N_FORMATS;
	return format_table;
}

struct modifier_info {
	uint64_t modifier;
	const char *name;
	uint32_t tile_width;	/* bytes */
	uint32_t tile_height;	/* rows */
};

/* Yf's geometry depends on the bytes per pixel; this is the 16 and 32 bpp
 * one (128 B x 32 rows), which is what a display plane scans out.  The
 * detiler picks the exact geometry from cpp. */
static const struct modifier_info modifier_table[] = {
	{ DRM_FORMAT_MOD_LINEAR, "LINEAR", 1, 1 },
	{ I915_FORMAT_MOD_X_TILED, "I915_X_TILED", 512, 8 },
	{ I915_FORMAT_MOD_Y_TILED, "I915_Y_TILED", 128, 32 },
	{ I915_FORMAT_MOD_Yf_TILED, "I915_Yf_TILED", 128, 32 },
};

static const struct modifier_info *modifier_find(uint64_t modifier)
{
	const struct modifier_info *m = NULL;
	size_t i;

	for (i = 0; i < sizeof(modifier_table) / sizeof(modifier_table[0]); i++) {
		if (modifier_table[i].modifier == modifier) {
			m = &modifier_table[i];
			break;
		}
	}
	return m;
}

/**
 * Printable name of a modifier ("LINEAR", "I915_X_TILED", ...).
 * @param modifier DRM_FORMAT_MOD_* / I915_FORMAT_MOD_*
 * @return a static string; "UNKNOWN" for a modifier the library does not know
 */
GVTDMABUF_EXPORT const char *gvtdmabuf_modifier_name(uint64_t modifier)
{
	const struct modifier_info *m = modifier_find(modifier);

	return m ? m->name : "UNKNOWN";
}

/**
 * Whether gvtdmabuf_detile() handles @p modifier.
 * @param modifier DRM_FORMAT_MOD_* / I915_FORMAT_MOD_*
 * @return true for linear, X, Y and Yf tiling
 */
GVTDMABUF_EXPORT bool gvtdmabuf_modifier_supported(uint64_t modifier)
{
	return modifier_find(modifier) != NULL;
}

/**
 * Tile geometry of a modifier.  For Yf, whose tile shape depends on the
 * pixel size, this is the 16/32 bpp shape (128 B x 32 rows; 8 bpp tiles are
 * 64 B x 64, 64 bpp tiles 256 B x 16).
 *
 * @param modifier DRM_FORMAT_MOD_* / I915_FORMAT_MOD_*
 * @param ret_tile_width tile width in bytes (1 for linear), may be NULL
 * @param ret_tile_height tile height in rows (1 for linear), may be NULL
 * @return 0 or -ENOTSUP for a modifier the library does not know
 */
GVTDMABUF_EXPORT int gvtdmabuf_modifier_tile_size(uint64_t modifier,
						  uint32_t *ret_tile_width,
						  uint32_t *ret_tile_height)
{
	const struct modifier_info *m = modifier_find(modifier);
	int r = -ENOTSUP;

	if (!m)
		goto out;
	if (ret_tile_width)
		*ret_tile_width = m->tile_width;
	if (ret_tile_height)
		*ret_tile_height = m->tile_height;
	r = 0;
out:
	return r;
}
