/* SPDX-License-Identifier: MIT */
/*
 * The guest model's configuration and memory layout (see guest-model.h):
 * which configurations the hardware takes and where each framebuffer,
 * the cursor and the sprite live in graphics memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "gvtsim_hw.h"
#include "guest-model.h"
#include "guest-model-private.h"

static uint64_t align_up64(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
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

uint32_t format_cpp(uint32_t fourcc)
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
int modifier_tile(uint64_t modifier, uint32_t *tw, uint32_t *th)
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
