/* SPDX-License-Identifier: MIT */
/*
 * Private to the guest model's files (guest-model-*.c): the scene, the
 * window colours, and the helpers more than one of them uses.
 */
#ifndef GVTDMABUF_GUEST_MODEL_PRIVATE_H
#define GVTDMABUF_GUEST_MODEL_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest-model.h"

#define PAGE_SIZE_4K	4096u
#define N_WINDOWS	3u
#define TITLE_HEIGHT	20u
#define BORDER		2u

#define ARGB(r, g, b)	(0xff000000u | ((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))
#define WHITE		0xffffffffu
#define BLACK		0xff000000u
#define FRAME		ARGB(0x20, 0x20, 0x20)	/* window borders */

struct window {
	uint32_t x, y, w, h;
	uint32_t title, body, body_dark;
};

struct scene {
	uint32_t w, h;
	uint32_t rstep, gstep;	/* 16.16 gradient steps */
	uint32_t bshift;	/* blue ramp offset for this frame */
	uint64_t frame, time_us;
	struct window win[N_WINDOWS];
};

extern const uint32_t win_title[N_WINDOWS];
extern const uint32_t win_body[N_WINDOWS];
extern const uint32_t win_body_dark[N_WINDOWS];

/* layout */
uint32_t format_cpp(uint32_t fourcc);
int modifier_tile(uint64_t modifier, uint32_t *tw, uint32_t *th);

/* scene and block code */
uint32_t window_w(uint32_t w, unsigned int i);
uint32_t window_h(uint32_t h, unsigned int i);
void scene_init(struct scene *s, const struct gvtsim_guest_config *cfg,
		uint64_t frame, uint64_t time_us);
uint16_t blockcode_crc(uint64_t frame, uint64_t time_us);
bool blockcode_cell(uint64_t frame, uint64_t time_us, uint16_t crc,
		    uint32_t col, uint32_t row);
void convert_row(uint32_t fourcc, const uint32_t *argb, uint32_t n, uint8_t *dst);

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Whether ARGB8888 rows can be painted straight into the native row. */
static inline bool native_is_argb(uint32_t fourcc)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return fourcc == DRM_FORMAT_XRGB8888 || fourcc == DRM_FORMAT_ARGB8888;
#else
	return false;
#endif
}

#endif
