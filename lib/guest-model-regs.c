/* SPDX-License-Identifier: MIT */
/*
 * The guest model's register programming (see guest-model.h): the mode,
 * the planes, flips and the cursor, written through the caller's
 * register accessor.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "gvtsim_hw.h"
#include "guest-model.h"
#include "guest-model-private.h"

static void wr(struct gvtsim_guest *g, uint32_t off, uint32_t val)
{
	g->write_reg(g->user, off, val);
}

static uint32_t primary_ctl(const struct gvtsim_guest_config *cfg)
{
	uint32_t ctl;

	if (cfg->gen == 8) {
		ctl = GVTSIM_DISPPLANE_ENABLE;
		switch (cfg->fourcc) {
		case DRM_FORMAT_RGB565:
			ctl |= GVTSIM_DISPPLANE_BGRX565;
			break;
		case DRM_FORMAT_ARGB8888:
			ctl |= GVTSIM_DISPPLANE_BGRA888;
			break;
		case DRM_FORMAT_XBGR8888:
			ctl |= GVTSIM_DISPPLANE_RGBX888;
			break;
		case DRM_FORMAT_ABGR8888:
			ctl |= GVTSIM_DISPPLANE_RGBA888;
			break;
		case DRM_FORMAT_XRGB2101010:
			ctl |= GVTSIM_DISPPLANE_BGRX101010;
			break;
		case DRM_FORMAT_XBGR2101010:
			ctl |= GVTSIM_DISPPLANE_RGBX101010;
			break;
		default:
			ctl |= GVTSIM_DISPPLANE_BGRX888;
			break;
		}
		if (cfg->modifier == I915_FORMAT_MOD_X_TILED)
			ctl |= GVTSIM_DISPPLANE_TILED;
		return ctl;
	}

	ctl = GVTSIM_PLANE_CTL_ENABLE;
	switch (cfg->fourcc) {
	case DRM_FORMAT_RGB565:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_RGB_565;
		break;
	case DRM_FORMAT_ARGB8888:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY;
		break;
	case DRM_FORMAT_XBGR8888:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ORDER_RGBX;
		break;
	case DRM_FORMAT_ABGR8888:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_ORDER_RGBX |
		       GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY;
		break;
	case DRM_FORMAT_XRGB2101010:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010;
		break;
	case DRM_FORMAT_XBGR2101010:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010 | GVTSIM_PLANE_CTL_ORDER_RGBX;
		break;
	case DRM_FORMAT_YUYV:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_YUV422 | GVTSIM_PLANE_CTL_YUV422_YUYV;
		break;
	default:
		ctl |= GVTSIM_PLANE_CTL_FORMAT_XRGB_8888;
		break;
	}
	if (cfg->modifier == I915_FORMAT_MOD_X_TILED)
		ctl |= GVTSIM_PLANE_CTL_TILED_X;
	else if (cfg->modifier == I915_FORMAT_MOD_Y_TILED)
		ctl |= GVTSIM_PLANE_CTL_TILED_Y;
	else if (cfg->modifier == I915_FORMAT_MOD_Yf_TILED)
		ctl |= GVTSIM_PLANE_CTL_TILED_YF;
	return ctl;
}

static uint32_t cursor_mode(uint32_t size)
{
	switch (size) {
	case 64:
		return GVTSIM_CURSOR_MODE_64_ARGB_AX;
	case 128:
		return GVTSIM_CURSOR_MODE_128_ARGB_AX;
	case 256:
		return GVTSIM_CURSOR_MODE_256_ARGB_AX;
	default:
		return GVTSIM_CURSOR_MODE_DISABLE;
	}
}

static uint32_t curpos_field(int32_t v)
{
	return v < 0 ? GVTSIM_CURSOR_POS_SIGN | ((uint32_t)-v & GVTSIM_CURSOR_POS_MASK) :
		       ((uint32_t)v & GVTSIM_CURSOR_POS_MASK);
}

static void paint_cursor_and_sprite(struct gvtsim_guest *g)
{
	const struct gvtsim_guest_config *cfg = &g->cfg;
	uint32_t x, y;

	if (cfg->cursor_size) {
		uint8_t *p = g->gm + g->layout.cursor_offset;

		for (y = 0; y < cfg->cursor_size; y++)
			for (x = 0; x < cfg->cursor_size; x++)
				put_le32(p + ((size_t)y * cfg->cursor_size + x) * 4,
					 gvtsim_guest_expected_cursor_pixel(cfg, x, y));
	}
	if (cfg->sprite) {
		uint8_t *p = g->gm + g->layout.sprite_offset;

		for (y = 0; y < GVTSIM_GUEST_SPRITE_HEIGHT; y++)
			for (x = 0; x < GVTSIM_GUEST_SPRITE_WIDTH; x++)
				put_le32(p + (size_t)y * g->layout.sprite_stride + 4 * x,
					 gvtsim_guest_expected_sprite_pixel(cfg, x, y));
	}
}

void gvtsim_guest_program_mode(struct gvtsim_guest *g)
{
	const struct gvtsim_guest_config *cfg = &g->cfg;
	const struct gvtsim_guest_layout *l = &g->layout;
	/* PIPESRC is (w-1) << 16 | (h-1), PLANE_SIZE the other way round */
	uint32_t src = ((cfg->width - 1) << GVTSIM_PIPESRC_W_SHIFT) | (cfg->height - 1);
	uint32_t size = ((cfg->height - 1) << GVTSIM_PLANE_SIZE_H_SHIFT) | (cfg->width - 1);
	uint32_t tw = 64, th = 1;

	paint_cursor_and_sprite(g);
	modifier_tile(cfg->modifier, &tw, &th);

	wr(g, GVTSIM_PIPEASRC, src);
	wr(g, GVTSIM_PIPEACONF, GVTSIM_PIPECONF_ENABLE);

	if (cfg->gen == 9) {
		wr(g, GVTSIM_PLANE_OFFSET(1), 0);
		wr(g, GVTSIM_PLANE_POS(1), 0);
		wr(g, GVTSIM_PLANE_SIZE(1), size);
		wr(g, GVTSIM_PLANE_STRIDE(1), l->stride / tw);
		wr(g, GVTSIM_PLANE_CTL(1), primary_ctl(cfg));
	} else {
		wr(g, GVTSIM_DSPALINOFF, 0);
		wr(g, GVTSIM_DSPATILEOFF, 0);
		wr(g, GVTSIM_DSPASTRIDE, l->stride);
		wr(g, GVTSIM_DSPACNTR, primary_ctl(cfg));
	}

	if (cfg->sprite) {
		uint32_t ssize = ((GVTSIM_GUEST_SPRITE_HEIGHT - 1) << 16) |
				 (GVTSIM_GUEST_SPRITE_WIDTH - 1);

		if (cfg->gen == 9) {
			wr(g, GVTSIM_PLANE_OFFSET(2), 0);
			wr(g, GVTSIM_PLANE_SIZE(2), ssize);
			wr(g, GVTSIM_PLANE_STRIDE(2), l->sprite_stride / 64);
			wr(g, GVTSIM_PLANE_CTL(2), GVTSIM_PLANE_CTL_ENABLE |
			   GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_TILED_LINEAR);
		} else {
			wr(g, GVTSIM_SPRALINOFF, 0);
			wr(g, GVTSIM_SPRATILEOFF, 0);
			wr(g, GVTSIM_SPRASIZE, ssize);
			wr(g, GVTSIM_SPRASTRIDE, l->sprite_stride);
			wr(g, GVTSIM_SPRACTL, GVTSIM_SPRITE_ENABLE | GVTSIM_SPRITE_FORMAT_RGBX888);
		}
	}
	if (cfg->cursor_size)
		wr(g, GVTSIM_CURACNTR, cursor_mode(cfg->cursor_size));

	gvtsim_guest_move_cursor(g, 0);
}

void gvtsim_guest_disable(struct gvtsim_guest *g)
{
	if (g->cfg.gen == 9) {
		wr(g, GVTSIM_PLANE_CTL(1), 0);
		wr(g, GVTSIM_PLANE_CTL(2), 0);
	} else {
		wr(g, GVTSIM_DSPACNTR, 0);
		wr(g, GVTSIM_SPRACTL, 0);
	}
	wr(g, GVTSIM_CURACNTR, 0);
	wr(g, GVTSIM_PIPEACONF, 0);
	g->have_frame = false;
}

void gvtsim_guest_flip(struct gvtsim_guest *g, uint64_t frame)
{
	unsigned int buf = gvtsim_guest_buffer_of(g, frame);
	uint32_t surf = (uint32_t)g->layout.fb_offset[buf];

	wr(g, g->cfg.gen == 9 ? GVTSIM_PLANE_SURF(1) : GVTSIM_DSPASURF, surf);
	g->front = buf;
	g->frame = frame;
	g->have_frame = true;
}

void gvtsim_guest_move_cursor(struct gvtsim_guest *g, uint64_t frame)
{
	const struct gvtsim_guest_config *cfg = &g->cfg;
	int32_t x, y;

	if (cfg->cursor_size) {
		gvtsim_guest_expected_cursor_pos(cfg, frame, &x, &y);
		wr(g, GVTSIM_CURAPOS, (curpos_field(y) << GVTSIM_CURSOR_Y_SHIFT) |
		   (curpos_field(x) << GVTSIM_CURSOR_X_SHIFT));
		/* the CURBASE write latches the cursor update */
		wr(g, GVTSIM_CURABASE, (uint32_t)g->layout.cursor_offset);
	}
	if (cfg->sprite) {
		gvtsim_guest_expected_sprite_pos(cfg, frame, &x, &y);
		if (cfg->gen == 9) {
			wr(g, GVTSIM_PLANE_POS(2), ((uint32_t)y << 16) | (uint32_t)x);
			wr(g, GVTSIM_PLANE_SURF(2), (uint32_t)g->layout.sprite_offset);
		} else {
			wr(g, GVTSIM_SPRAPOS, ((uint32_t)y << 16) | (uint32_t)x);
			wr(g, GVTSIM_SPRASURF, (uint32_t)g->layout.sprite_offset);
		}
	}
}

void gvtsim_guest_show_frame(struct gvtsim_guest *g, uint64_t frame, uint64_t time_us)
{
	gvtsim_guest_paint(g, frame, time_us);
	gvtsim_guest_flip(g, frame);
	gvtsim_guest_move_cursor(g, frame);
}
