// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gvtsim framebuffer decoder: display registers -> plane description.
 *
 * Semantics follow i915 GVT-g's fb_decoder.c (formats, tilings, stride
 * units, geometry from PIPESRC), with every guest value treated as hostile:
 * reserved encodings are -EINVAL, surfaces outside graphics memory are
 * -EFAULT, and register offsets outside the register file read as 0.
 *
 * Choices where i915 is silent or lax, documented here once:
 *  - A non-zero PLANE_OFFSET / DSPTILEOFF / DSPLINOFF (panning inside the
 *    surface) is rejected with -EINVAL: the exported buffer starts at the
 *    surface address, so an offset would make user space show the wrong
 *    pixels.  i915 GVT-g reads the offsets but never reports them.
 *  - The sprite plane must lie completely inside the pipe (as the hardware
 *    requires); one that sticks out is -EINVAL rather than clipped.
 *  - The cursor keeps CURPOS' sign bits (upstream drops them).
 *  - On error *out is zeroed (enabled false) like a disabled plane, so a
 *    caller that ignores the return value still sees no surface.
 *  - The 32-bit size overflow check cannot trigger with the register
 *    field widths of gvtsim_hw.h (largest: 1023 * 512 * 8192 < 2^32); it
 *    stays for wider fields.
 *
 * Pure C, compiled into gvtsim.ko and into user space (library, tests,
 * fuzzer): no libc call, no floating point, no 64-bit division, no VLA.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <uapi/drm/drm_fourcc.h>
#include <uapi/linux/vfio.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <drm_fourcc.h>
#include <linux/vfio.h>
#endif

#include "gvtsim_fb_decoder.h"
#ifdef __KERNEL__
#include "gvtsim-uapi.h"	/* beside the sources in a DKMS tree */
#else
#include "gvt-dmabuf/gvtsim-uapi.h"
#endif

#define GVTSIM_PAGE_SIZE	4096u
/* Largest pipe the emulated hardware drives (Gen9 limit). */
#define GVTSIM_HW_MAX_DIM	8192u

/* Register read that never leaves the register file: anything outside
 * (or unaligned) reads as 0, like an unimplemented register. */
static uint32_t reg_read(const struct gvtsim_decoder_input *in, uint32_t off)
{
	if (!in->mmio || (off & 3u) || in->mmio_size < 4u ||
	    off > in->mmio_size - 4u)
		return 0;
	return in->mmio[off >> 2];
}

struct plane_fmt {
	uint32_t drm_format;
	uint32_t cpp;
	uint64_t modifier;
	uint32_t tile_height;	/* rows per tile row */
	uint32_t stride_unit;	/* Gen9 PLANE_STRIDE unit in bytes */
	uint32_t tile_width;	/* bytes; the stride must be a multiple */
};

static void set_tiling_linear(struct plane_fmt *f)
{
	f->modifier = DRM_FORMAT_MOD_LINEAR;
	f->tile_height = 1;
	f->stride_unit = 64;
	f->tile_width = 64;
}

static void set_tiling_x(struct plane_fmt *f)
{
	f->modifier = I915_FORMAT_MOD_X_TILED;
	f->tile_height = 8;
	f->stride_unit = 512;
	f->tile_width = 512;
}

/* The YUV 4:2:2 byte order of a Gen9 PLANE_CTL or a Gen8 SPRCTL: both
 * registers encode it in the same two bits, with the same values. */
_Static_assert(GVTSIM_SPRITE_YUV_ORDER_MASK == GVTSIM_PLANE_CTL_YUV422_ORDER_MASK &&
	       GVTSIM_SPRITE_YUV_ORDER_YUYV == GVTSIM_PLANE_CTL_YUV422_YUYV &&
	       GVTSIM_SPRITE_YUV_ORDER_UYVY == GVTSIM_PLANE_CTL_YUV422_UYVY &&
	       GVTSIM_SPRITE_YUV_ORDER_YVYU == GVTSIM_PLANE_CTL_YUV422_YVYU &&
	       GVTSIM_SPRITE_YUV_ORDER_VYUY == GVTSIM_PLANE_CTL_YUV422_VYUY,
	       "SPRCTL and PLANE_CTL differ in the YUV order field");

static uint32_t yuv422_format(uint32_t ctl)
{
	switch (ctl & GVTSIM_PLANE_CTL_YUV422_ORDER_MASK) {
	case GVTSIM_PLANE_CTL_YUV422_YUYV:
		return DRM_FORMAT_YUYV;
	case GVTSIM_PLANE_CTL_YUV422_UYVY:
		return DRM_FORMAT_UYVY;
	case GVTSIM_PLANE_CTL_YUV422_YVYU:
		return DRM_FORMAT_YVYU;
	default:
		return DRM_FORMAT_VYUY;
	}
}

/* Gen9 PLANE_CTL (also the layout of plane 2, the sprite). */
static int gen9_plane_format(uint32_t ctl, struct plane_fmt *f, const char **why)
{
	bool rgbx = ctl & GVTSIM_PLANE_CTL_ORDER_RGBX;
	bool alpha = (ctl & GVTSIM_PLANE_CTL_ALPHA_MASK) != GVTSIM_PLANE_CTL_ALPHA_DISABLE;

	switch (ctl & GVTSIM_PLANE_CTL_FORMAT_MASK) {
	case GVTSIM_PLANE_CTL_FORMAT_YUV422:
		f->cpp = 2;
		f->drm_format = yuv422_format(ctl);
		break;
	case GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010:
		f->cpp = 4;
		f->drm_format = rgbx ? DRM_FORMAT_XBGR2101010 : DRM_FORMAT_XRGB2101010;
		break;
	case GVTSIM_PLANE_CTL_FORMAT_XRGB_8888:
		f->cpp = 4;
		if (rgbx)
			f->drm_format = alpha ? DRM_FORMAT_ABGR8888 : DRM_FORMAT_XBGR8888;
		else
			f->drm_format = alpha ? DRM_FORMAT_ARGB8888 : DRM_FORMAT_XRGB8888;
		break;
	case GVTSIM_PLANE_CTL_FORMAT_RGB_565:
		f->cpp = 2;
		f->drm_format = DRM_FORMAT_RGB565;
		break;
	default:
		*why = "PLANE_CTL pixel format reserved or unsupported";
		return -EINVAL;
	}

	switch (ctl & GVTSIM_PLANE_CTL_TILED_MASK) {
	case GVTSIM_PLANE_CTL_TILED_LINEAR:
		set_tiling_linear(f);
		break;
	case GVTSIM_PLANE_CTL_TILED_X:
		set_tiling_x(f);
		break;
	case GVTSIM_PLANE_CTL_TILED_Y:
		f->modifier = I915_FORMAT_MOD_Y_TILED;
		f->tile_height = 32;
		f->stride_unit = 128;
		f->tile_width = 128;
		break;
	case GVTSIM_PLANE_CTL_TILED_YF:
		/* 4 KiB Yf tiles are 128 bytes x 32 rows for 2 and 4 byte
		 * pixels, the only sizes decoded here. */
		f->modifier = I915_FORMAT_MOD_Yf_TILED;
		f->tile_height = 32;
		f->stride_unit = 128;
		f->tile_width = 128;
		break;
	default:
		*why = "PLANE_CTL tiling mode reserved";
		return -EINVAL;
	}
	return 0;
}

/* Gen8 DSPCNTR pixel format. */
static int gen8_primary_format(uint32_t ctl, struct plane_fmt *f, const char **why)
{
	f->cpp = 4;
	switch (ctl & GVTSIM_DISPPLANE_PIXFORMAT_MASK) {
	case GVTSIM_DISPPLANE_BGRX565:
		f->cpp = 2;
		f->drm_format = DRM_FORMAT_RGB565;
		break;
	case GVTSIM_DISPPLANE_BGRX888:
		f->drm_format = DRM_FORMAT_XRGB8888;
		break;
	case GVTSIM_DISPPLANE_BGRA888:
		f->drm_format = DRM_FORMAT_ARGB8888;
		break;
	case GVTSIM_DISPPLANE_RGBX888:
		f->drm_format = DRM_FORMAT_XBGR8888;
		break;
	case GVTSIM_DISPPLANE_RGBA888:
		f->drm_format = DRM_FORMAT_ABGR8888;
		break;
	case GVTSIM_DISPPLANE_RGBX101010:
		f->drm_format = DRM_FORMAT_XBGR2101010;
		break;
	case GVTSIM_DISPPLANE_BGRX101010:
		f->drm_format = DRM_FORMAT_XRGB2101010;
		break;
	default:
		*why = "DSPCNTR pixel format reserved or unsupported";
		return -EINVAL;
	}
	if (ctl & GVTSIM_DISPPLANE_TILED)
		set_tiling_x(f);
	else
		set_tiling_linear(f);
	return 0;
}

/* Gen8 SPRCTL pixel format. */
static int gen8_sprite_format(uint32_t ctl, struct plane_fmt *f, const char **why)
{
	bool rgbx = ctl & GVTSIM_SPRITE_RGB_ORDER_RGBX;

	switch (ctl & GVTSIM_SPRITE_FORMAT_MASK) {
	case GVTSIM_SPRITE_FORMAT_YUV422:
		f->cpp = 2;
		f->drm_format = yuv422_format(ctl);
		break;
	case GVTSIM_SPRITE_FORMAT_RGBX101010:
		f->cpp = 4;
		f->drm_format = rgbx ? DRM_FORMAT_XBGR2101010 : DRM_FORMAT_XRGB2101010;
		break;
	case GVTSIM_SPRITE_FORMAT_RGBX888:
		f->cpp = 4;
		f->drm_format = rgbx ? DRM_FORMAT_XBGR8888 : DRM_FORMAT_XRGB8888;
		break;
	default:
		*why = "SPRCTL pixel format reserved or unsupported";
		return -EINVAL;
	}
	if (ctl & GVTSIM_SPRITE_TILED)
		set_tiling_x(f);
	else
		set_tiling_linear(f);
	return 0;
}

/*
 * Stride, size and bounds shared by primary and sprite.  The stride must
 * hold a row of pixels and be a whole number of tiles; size covers whole
 * tile rows, page aligned, computed in 64 bits.
 */
static int finish_surface(const struct gvtsim_decoder_input *in,
			  const struct plane_fmt *f, uint32_t stride,
			  uint32_t surf, uint32_t w, uint32_t h,
			  struct gvtsim_plane *p, const char **why)
{
	uint64_t rows, size, base;

	if (stride == 0) {
		*why = "plane stride register is zero";
		return -EINVAL;
	}
	if ((uint64_t)w * f->cpp > stride) {
		*why = "plane stride register too small for the plane width";
		return -EINVAL;
	}
	if (stride & (f->tile_width - 1)) {
		*why = "plane stride register not a multiple of the tile width";
		return -EINVAL;
	}
	rows = ((uint64_t)h + f->tile_height - 1) & ~((uint64_t)f->tile_height - 1);
	size = (uint64_t)stride * rows;
	size = (size + GVTSIM_PAGE_SIZE - 1) & ~(uint64_t)(GVTSIM_PAGE_SIZE - 1);
	if (size > 0xffffffffull) {
		*why = "plane stride x height overflows 32 bits";
		return -EINVAL;
	}
	base = surf & GVTSIM_PLANE_SURF_ADDR_MASK;
	/* i915: a surface address outside the vGPU's graphics memory is
	 * -EINVAL (vgpu_gmadr_is_valid), a surface that starts inside and
	 * runs past its end -EFAULT (intel_gvt_ggtt_validate_range). */
	if (base >= in->gm_size) {
		*why = "plane surface address outside graphics memory";
		return -EINVAL;
	}
	if (size > in->gm_size - base) {
		*why = "plane surface address + size outside graphics memory";
		return -EFAULT;
	}

	p->enabled = true;
	p->drm_format = f->drm_format;
	p->modifier = f->modifier;
	p->width = w;
	p->height = h;
	p->stride = stride;
	p->cpp = f->cpp;
	p->gm_offset = base;
	p->size = (uint32_t)size;
	p->fb_size = (uint32_t)((uint64_t)stride * rows);
	/* i915 leaves a primary plane's hotspot at 0 (vgpu_get_plane_info
	 * starts from a zeroed fb_info); the sprite does the same. */
	p->x_hot = 0;
	p->y_hot = 0;
	return 0;
}

/* Pipe A state: false when the pipe is off.  Geometry checked against
 * the hardware and mode limits. */
static int read_pipe(const struct gvtsim_decoder_input *in, bool *active,
		     uint32_t *w, uint32_t *h, const char **why)
{
	uint32_t src;

	*active = reg_read(in, GVTSIM_PIPEACONF) & GVTSIM_PIPECONF_ENABLE;
	if (!*active)
		return 0;
	src = reg_read(in, GVTSIM_PIPEASRC);
	*w = ((src >> GVTSIM_PIPESRC_W_SHIFT) & GVTSIM_PIPESRC_MASK) + 1;
	*h = (src & GVTSIM_PIPESRC_MASK) + 1;
	if (*w > GVTSIM_HW_MAX_DIM || *h > GVTSIM_HW_MAX_DIM) {
		*why = "PIPESRC beyond the hardware limit of 8192";
		return -EINVAL;
	}
	if ((in->max_width && *w > in->max_width) ||
	    (in->max_height && *h > in->max_height)) {
		*why = "PIPESRC larger than the vGPU's maximum mode";
		return -EINVAL;
	}
	return 0;
}

/*
 * Gen9 universal plane n (1 primary, 2 sprite): both planes have the same
 * register block, PLANE_CTL encoding, panning rule and stride units, so
 * they are read in one place.  *enabled is false (and nothing else is set)
 * when the plane is off; position and size are left to the caller (the
 * primary takes them from PIPESRC).
 */
static int gen9_read_plane(const struct gvtsim_decoder_input *in, uint32_t n,
			   struct plane_fmt *f, bool *enabled, uint32_t *stride,
			   uint32_t *surf, const char **why)
{
	uint32_t ctl = reg_read(in, GVTSIM_PLANE_CTL(n));
	int ret;

	*enabled = ctl & GVTSIM_PLANE_CTL_ENABLE;
	if (!*enabled)
		return 0;
	ret = gen9_plane_format(ctl, f, why);
	if (ret)
		return ret;
	if (reg_read(in, GVTSIM_PLANE_OFFSET(n))) {
		*why = n == 1 ?
		       "PLANE_OFFSET non-zero (panning is not supported)" :
		       "sprite PLANE_OFFSET non-zero (panning is not supported)";
		return -EINVAL;
	}
	*stride = (reg_read(in, GVTSIM_PLANE_STRIDE(n)) &
		   GVTSIM_PLANE_STRIDE_MASK) * f->stride_unit;
	*surf = reg_read(in, GVTSIM_PLANE_SURF(n));
	return 0;
}

static int decode_primary(const struct gvtsim_decoder_input *in,
			  struct gvtsim_plane *p, const char **why)
{
	struct plane_fmt f = { 0 };
	uint32_t ctl, stride, surf, w, h;
	bool active, enabled;
	int ret;

	ret = read_pipe(in, &active, &w, &h, why);
	if (ret || !active)
		return ret;

	if (in->gen == GVTSIM_GEN9) {
		ret = gen9_read_plane(in, 1, &f, &enabled, &stride, &surf, why);
		if (ret || !enabled)
			return ret;
	} else {
		ctl = reg_read(in, GVTSIM_DSPACNTR);
		if (!(ctl & GVTSIM_DISPPLANE_ENABLE))
			return 0;
		ret = gen8_primary_format(ctl, &f, why);
		if (ret)
			return ret;
		if (reg_read(in, GVTSIM_DSPATILEOFF) || reg_read(in, GVTSIM_DSPALINOFF)) {
			*why = "DSPTILEOFF/DSPLINOFF non-zero (panning is not supported)";
			return -EINVAL;
		}
		stride = reg_read(in, GVTSIM_DSPASTRIDE) & GVTSIM_DSPSTRIDE_MASK;
		surf = reg_read(in, GVTSIM_DSPASURF);
	}

	return finish_surface(in, &f, stride, surf, w, h, p, why);
}

static int decode_sprite(const struct gvtsim_decoder_input *in,
			 struct gvtsim_plane *p, const char **why)
{
	struct plane_fmt f = { 0 };
	uint32_t ctl, stride, pw, ph, w, h, x, y, pos, size, surf;
	bool active, enabled;
	int ret;

	ret = read_pipe(in, &active, &pw, &ph, why);
	if (ret || !active)
		return ret;

	if (in->gen == GVTSIM_GEN9) {
		ret = gen9_read_plane(in, 2, &f, &enabled, &stride, &surf, why);
		if (ret || !enabled)
			return ret;
		pos = reg_read(in, GVTSIM_PLANE_POS(2));
		size = reg_read(in, GVTSIM_PLANE_SIZE(2));
	} else {
		ctl = reg_read(in, GVTSIM_SPRACTL);
		if (!(ctl & GVTSIM_SPRITE_ENABLE))
			return 0;
		ret = gen8_sprite_format(ctl, &f, why);
		if (ret)
			return ret;
		if (reg_read(in, GVTSIM_SPRATILEOFF) || reg_read(in, GVTSIM_SPRALINOFF)) {
			*why = "SPRTILEOFF/SPRLINOFF non-zero (panning is not supported)";
			return -EINVAL;
		}
		stride = reg_read(in, GVTSIM_SPRASTRIDE) & GVTSIM_DSPSTRIDE_MASK;
		pos = reg_read(in, GVTSIM_SPRAPOS);
		size = reg_read(in, GVTSIM_SPRASIZE);
		surf = reg_read(in, GVTSIM_SPRASURF);
	}

	x = pos & GVTSIM_PLANE_POS_MASK;
	y = (pos >> GVTSIM_PLANE_POS_Y_SHIFT) & GVTSIM_PLANE_POS_MASK;
	w = (size & GVTSIM_PLANE_SIZE_MASK) + 1;
	h = ((size >> GVTSIM_PLANE_SIZE_H_SHIFT) & GVTSIM_PLANE_SIZE_MASK) + 1;
	if (x >= pw || y >= ph || w > pw - x || h > ph - y) {
		*why = "sprite PLANE_POS + PLANE_SIZE outside the pipe (PIPESRC)";
		return -EINVAL;
	}

	ret = finish_surface(in, &f, stride, surf, w, h, p, why);
	if (ret)
		return ret;
	p->x_pos = (int32_t)x;
	p->y_pos = (int32_t)y;
	return 0;
}

/* CURPOS: 13-bit magnitude plus a sign bit per axis. */
static int32_t cursor_coord(uint32_t v)
{
	int32_t mag = (int32_t)(v & GVTSIM_CURSOR_POS_MASK);

	return (v & GVTSIM_CURSOR_POS_SIGN) ? -mag : mag;
}

static int decode_cursor(const struct gvtsim_decoder_input *in,
			 struct gvtsim_plane *p, const char **why)
{
	uint32_t ctl, dim, pw, ph, pos;
	uint64_t base, size;
	bool active;
	int ret;

	ret = read_pipe(in, &active, &pw, &ph, why);
	if (ret || !active)
		return ret;

	ctl = reg_read(in, GVTSIM_CURACNTR);
	switch (ctl & GVTSIM_CURSOR_MODE_MASK) {
	case GVTSIM_CURSOR_MODE_DISABLE:
		return 0;
	case GVTSIM_CURSOR_MODE_64_ARGB_AX:
		dim = 64;
		break;
	case GVTSIM_CURSOR_MODE_128_ARGB_AX:
		dim = 128;
		break;
	case GVTSIM_CURSOR_MODE_256_ARGB_AX:
		dim = 256;
		break;
	default:
		*why = "CURCNTR cursor mode reserved or not ARGB";
		return -EINVAL;
	}

	size = (uint64_t)dim * dim * 4;	/* multiple of 4096 for every mode */
	base = reg_read(in, GVTSIM_CURABASE) & GVTSIM_PLANE_SURF_ADDR_MASK;
	if (base >= in->gm_size) {
		*why = "CURBASE outside graphics memory";
		return -EINVAL;
	}
	if (size > in->gm_size - base) {
		*why = "CURBASE + cursor size outside graphics memory";
		return -EFAULT;
	}
	pos = reg_read(in, GVTSIM_CURAPOS);

	p->enabled = true;
	p->drm_format = DRM_FORMAT_ARGB8888;
	p->modifier = DRM_FORMAT_MOD_LINEAR;
	p->width = dim;
	p->height = dim;
	p->stride = dim * 4;
	p->cpp = 4;
	p->gm_offset = base;
	p->size = (uint32_t)size;
	p->fb_size = (uint32_t)size;
	p->x_pos = cursor_coord(pos >> GVTSIM_CURSOR_X_SHIFT);
	p->y_pos = cursor_coord(pos >> GVTSIM_CURSOR_Y_SHIFT);
	/* The hotspot the guest driver wrote into the PV info page; i915's
	 * validate_hotspot() accepts it when it lies inside the cursor
	 * (x_hot <= width, y_hot <= height: i915 compares with <=) and
	 * reports 0xFFFFFFFF for both otherwise.  A guest that never writes
	 * them leaves (0, 0), a valid hotspot. */
	p->x_hot = reg_read(in, GVTSIM_PVINFO_CURSOR_X_HOT);
	p->y_hot = reg_read(in, GVTSIM_PVINFO_CURSOR_Y_HOT);
	if (p->x_hot > dim || p->y_hot > dim) {
		p->x_hot = GVTSIM_HOTSPOT_UNKNOWN;
		p->y_hot = GVTSIM_HOTSPOT_UNKNOWN;
	}
	return 0;
}

static void plane_clear(struct gvtsim_plane *p)
{
	p->enabled = false;
	p->drm_format = 0;
	p->modifier = 0;
	p->width = 0;
	p->height = 0;
	p->stride = 0;
	p->cpp = 0;
	p->gm_offset = 0;
	p->size = 0;
	p->fb_size = 0;
	p->x_pos = 0;
	p->y_pos = 0;
	p->x_hot = 0;
	p->y_hot = 0;
}

int gvtsim_decode_plane(const struct gvtsim_decoder_input *in,
			enum gvtsim_plane_id id, struct gvtsim_plane *out,
			const char **why)
{
	struct gvtsim_plane p;
	const char *reason = "invalid argument";
	int ret;

	plane_clear(&p);
	if (!in || !out) {
		ret = -EINVAL;
		goto out;
	}
	if (in->gen != GVTSIM_GEN8 && in->gen != GVTSIM_GEN9) {
		reason = "unknown register layout generation";
		ret = -EINVAL;
		goto out;
	}

	switch (id) {
	case GVTSIM_PLANE_PRIMARY:
		ret = decode_primary(in, &p, &reason);
		break;
	case GVTSIM_PLANE_CURSOR:
		ret = decode_cursor(in, &p, &reason);
		break;
	case GVTSIM_PLANE_SPRITE:
		ret = decode_sprite(in, &p, &reason);
		break;
	default:
		reason = "unknown plane";
		ret = -EINVAL;
		break;
	}

out:
	if (ret) {
		plane_clear(&p);
		if (why)
			*why = reason;
	}
	if (out)
		*out = p;
	return ret;
}

int gvtsim_query_args(uint32_t flags, uint32_t drm_plane_type,
		      enum gvtsim_plane_id *ret_id)
{
	if (flags == (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF))
		return 1;
	if (flags != VFIO_GFX_PLANE_TYPE_DMABUF)
		return -EINVAL;	/* 0, REGION, PROBE alone, unknown bits */

	switch (drm_plane_type) {
	case GVTSIM_DRM_PLANE_TYPE_PRIMARY:
		*ret_id = GVTSIM_PLANE_PRIMARY;
		return 0;
	case GVTSIM_DRM_PLANE_TYPE_CURSOR:
		*ret_id = GVTSIM_PLANE_CURSOR;
		return 0;
	case GVTSIM_GFX_PLANE_TYPE_SPRITE:
		*ret_id = GVTSIM_PLANE_SPRITE;
		return 0;
	default:
		return -EINVAL;
	}
}

void gvtsim_plane_info_fill(const struct gvtsim_plane *p, uint32_t dmabuf_id,
			    struct vfio_device_gfx_plane_info *info)
{
	/* A disabled plane or an idle pipe: i915's intel_vgpu_query_plane()
	 * turns the decoder's -ENODEV into 0 without touching the answer,
	 * so the caller reads back what it passed in. */
	if (!p->enabled)
		return;
	info->drm_format = p->drm_format;
	info->drm_format_mod = p->modifier;
	info->width = p->width;
	info->height = p->height;
	info->stride = p->stride;
	info->size = p->fb_size;
	/* Two's complement: a cursor off the top/left edge reads negative. */
	info->x_pos = (uint32_t)p->x_pos;
	info->y_pos = (uint32_t)p->y_pos;
	info->x_hot = p->x_hot;
	info->y_hot = p->y_hot;
	info->dmabuf_id = dmabuf_id;
}
