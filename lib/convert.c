/* SPDX-License-Identifier: MIT */
/*
 * Pixel conversion for fallbacks: one linear row of any format the table
 * knows to 8-bit RGBA.  Integer arithmetic only, so that a test can predict
 * every output byte.
 */
#include <errno.h>
#include <stdint.h>

#include <drm_fourcc.h>

#include "backend.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* 10 bits to 8 with rounding: the nearest 8-bit value. */
static uint8_t c10to8(uint32_t v)
{
	return (uint8_t)(((v & 0x3ff) * 255 + 511) / 1023);
}

/* 2 bits of alpha to 8. */
static uint8_t c2to8(uint32_t v)
{
	return (uint8_t)((v & 3) * 85);
}

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* BT.601 limited range ("studio swing") to full range RGB, 8-bit fixed
 * point with 8 fractional bits (coefficients x 256, rounded). */
static void yuv_to_rgb(int y, int u, int v, uint8_t *rgba)
{
	int c = y - 16, d = u - 128, e = v - 128;

	rgba[0] = clamp8((298 * c + 409 * e + 128) >> 8);
	rgba[1] = clamp8((298 * c - 100 * d - 208 * e + 128) >> 8);
	rgba[2] = clamp8((298 * c + 516 * d + 128) >> 8);
	rgba[3] = 255;
}

static void convert_yuv422(uint32_t fourcc, const uint8_t *src,
			   uint32_t width, uint8_t *rgba)
{
	/* Byte positions of Y0, U, Y1, V in each 4-byte macropixel. */
	int y0, u, y1, v;
	uint32_t i;

	switch (fourcc) {
	case DRM_FORMAT_YUYV:
		y0 = 0; u = 1; y1 = 2; v = 3;
		break;
	case DRM_FORMAT_YVYU:
		y0 = 0; v = 1; y1 = 2; u = 3;
		break;
	case DRM_FORMAT_UYVY:
		u = 0; y0 = 1; v = 2; y1 = 3;
		break;
	default: /* DRM_FORMAT_VYUY */
		v = 0; y0 = 1; u = 2; y1 = 3;
		break;
	}
	for (i = 0; i < width; i++) {
		const uint8_t *m = src + (i / 2) * 4;

		yuv_to_rgb(m[(i & 1) ? y1 : y0], m[u], m[v], rgba + i * 4);
	}
}

GVTDMABUF_EXPORT int
gvtdmabuf_convert_row_rgba8(uint32_t fourcc, const void *src_row, uint32_t width,
			    uint8_t *rgba)
{
	const uint8_t *src = src_row;
	uint32_t i, p;

	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		/* Little-endian B, G, R, X/A bytes. */
		for (i = 0; i < width; i++, src += 4, rgba += 4) {
			rgba[0] = src[2];
			rgba[1] = src[1];
			rgba[2] = src[0];
			rgba[3] = fourcc == DRM_FORMAT_ARGB8888 ? src[3] : 255;
		}
		return 0;
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		for (i = 0; i < width; i++, src += 4, rgba += 4) {
			rgba[0] = src[0];
			rgba[1] = src[1];
			rgba[2] = src[2];
			rgba[3] = fourcc == DRM_FORMAT_ABGR8888 ? src[3] : 255;
		}
		return 0;
	case DRM_FORMAT_RGB565:
		for (i = 0; i < width; i++, src += 2, rgba += 4) {
			p = (uint32_t)src[0] | (uint32_t)src[1] << 8;
			/* Replicate the high bits into the low ones so that
			 * full scale stays full scale. */
			rgba[0] = (uint8_t)(((p >> 11) & 0x1f) << 3 | ((p >> 11) & 0x1f) >> 2);
			rgba[1] = (uint8_t)(((p >> 5) & 0x3f) << 2 | ((p >> 5) & 0x3f) >> 4);
			rgba[2] = (uint8_t)((p & 0x1f) << 3 | (p & 0x1f) >> 2);
			rgba[3] = 255;
		}
		return 0;
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_ARGB2101010:
		for (i = 0; i < width; i++, src += 4, rgba += 4) {
			p = rd32(src);
			rgba[0] = c10to8(p >> 20);
			rgba[1] = c10to8(p >> 10);
			rgba[2] = c10to8(p);
			rgba[3] = fourcc == DRM_FORMAT_ARGB2101010 ? c2to8(p >> 30) : 255;
		}
		return 0;
	case DRM_FORMAT_XBGR2101010:
	case DRM_FORMAT_ABGR2101010:
		for (i = 0; i < width; i++, src += 4, rgba += 4) {
			p = rd32(src);
			rgba[0] = c10to8(p);
			rgba[1] = c10to8(p >> 10);
			rgba[2] = c10to8(p >> 20);
			rgba[3] = fourcc == DRM_FORMAT_ABGR2101010 ? c2to8(p >> 30) : 255;
		}
		return 0;
	case DRM_FORMAT_YUYV:
	case DRM_FORMAT_YVYU:
	case DRM_FORMAT_UYVY:
	case DRM_FORMAT_VYUY:
		convert_yuv422(fourcc, src, width, rgba);
		return 0;
	default:
		return -ENOTSUP;
	}
}
