/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf: composition of the cursor over the primary plane, for
 * snapshot (the library converts the formats to 8-bit RGBA).  Integer
 * arithmetic only so that a test can predict every output byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "gvt-dmabuf-tool.h"

bool tool_pixels_supported(uint32_t fourcc)
{
	return gvtdmabuf_format_lookup(fourcc) != NULL;
}

bool tool_pixels_has_alpha(uint32_t fourcc)
{
	const struct gvtdmabuf_format_info *fi = gvtdmabuf_format_lookup(fourcc);

	return fi && fi->has_alpha;
}

void tool_pixels_blend(uint8_t *dst, const uint8_t *src)
{
	uint32_t a = src[3];
	int i;

	/* dst = src * a + dst * (1 - a), rounded to nearest. */
	for (i = 0; i < 3; i++)
		dst[i] = (uint8_t)((src[i] * a + dst[i] * (255 - a) + 127) / 255);
	dst[3] = 255;
}

void tool_image_compose(struct tool_image *dst, const struct tool_image *top,
			int64_t x, int64_t y)
{
	int64_t x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
	int64_t x1 = x + top->width, y1 = y + top->height;
	int64_t px, py;

	if (x1 > dst->width)
		x1 = dst->width;
	if (y1 > dst->height)
		y1 = dst->height;
	for (py = y0; py < y1; py++)
		for (px = x0; px < x1; px++)
			tool_pixels_blend(dst->rgba + ((size_t)py * dst->width + (size_t)px) * 4,
					  top->rgba + ((size_t)(py - y) * top->width +
						       (size_t)(px - x)) * 4);
}

void tool_image_finish(struct tool_image *img)
{
	free(img->rgba);
	img->rgba = NULL;
}
