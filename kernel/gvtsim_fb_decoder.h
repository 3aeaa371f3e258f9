/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gvtsim framebuffer decoder: turns a vGPU's display registers into plane
 * descriptions, the way i915 GVT-g's fb_decoder.c does, with every guest
 * value treated as hostile.
 *
 * Pure C, no kernel header: the same file is compiled into gvtsim.ko, into
 * libgvtdmabuf's sim backend, into the host unit tests and into a libFuzzer
 * target.
 */
#ifndef GVTSIM_FB_DECODER_H
#define GVTSIM_FB_DECODER_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <uapi/linux/vfio.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>
#endif

#include "gvtsim_hw.h"

/* Which register layout the vGPU's primary plane uses. */
enum gvtsim_gen {
	GVTSIM_GEN8 = 8,	/* DSPCNTR layout (Broadwell) */
	GVTSIM_GEN9 = 9,	/* PLANE_CTL layout (Skylake and later) */
};

enum gvtsim_plane_id {
	GVTSIM_PLANE_PRIMARY = 0,	/* pipe A plane 1 */
	GVTSIM_PLANE_CURSOR = 1,	/* pipe A cursor */
	GVTSIM_PLANE_SPRITE = 2,	/* pipe A plane 2 (Gen9) / sprite A (Gen8) */
};

/*
 * What the decoder reads: the MMIO register file (BAR0 contents, indexed by
 * byte offset / 4) and the size of graphics memory (BAR2).  Graphics memory
 * addresses in the registers are offsets into BAR2.
 */
struct gvtsim_decoder_input {
	const uint32_t *mmio;		/* register file */
	uint32_t mmio_size;		/* bytes */
	uint64_t gm_size;		/* bytes of graphics memory */
	enum gvtsim_gen gen;
	uint32_t max_width;		/* mode limit from EDID / vGPU type */
	uint32_t max_height;
};

/*
 * A decoded plane.  Everything a QUERY_GFX_PLANE answer and a dma-buf
 * export need; gm_offset + size is checked to lie inside graphics memory.
 */
struct gvtsim_plane {
	bool enabled;
	uint32_t drm_format;	/* DRM_FORMAT_* */
	uint64_t modifier;	/* DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_* */
	uint32_t width;
	uint32_t height;
	uint32_t stride;	/* bytes */
	uint32_t cpp;		/* bytes per pixel */
	uint64_t gm_offset;	/* surface address in graphics memory */
	uint32_t size;		/* fb_size rounded up to whole pages: the buffer */
	uint32_t fb_size;	/* stride * roundup(height, tile height), as i915 reports it */
	int32_t x_pos;		/* plane / cursor position, signed */
	int32_t y_pos;
	uint32_t x_hot;		/* cursor: from the PV info page, GVTSIM_HOTSPOT_UNKNOWN
				 * when outside the cursor; others: 0, as on i915 */
	uint32_t y_hot;
};

#define GVTSIM_HOTSPOT_UNKNOWN 0xffffffffu

/*
 * Decode one plane.
 *
 * Returns 0 with out->enabled = false (all other fields zero) for a disabled
 * plane or no active pipe (where i915's decoder says -ENODEV); 0 with a filled @out for an enabled one;
 * -EINVAL for register values that describe no valid surface (reserved
 * format or tiling bits, zero or overflowing geometry, a surface address
 * outside graphics memory) and -EFAULT for a surface that starts inside
 * graphics memory and runs past its end.  Never reads outside
 * in->mmio[0 .. mmio_size).
 *
 * @why, if not NULL, receives a static string naming the offending
 * register and value class (for rate-limited logs); untouched on success.
 */
int gvtsim_decode_plane(const struct gvtsim_decoder_input *in,
			enum gvtsim_plane_id id, struct gvtsim_plane *out,
			const char **why);

/*
 * The plane types VFIO_DEVICE_QUERY_GFX_PLANE takes: DRM's enum
 * drm_plane_type values (include/drm/drm_plane.h, kernel-internal, yet part
 * of the VFIO display ABI since user space passes them), plus gvtsim's
 * sprite (GVTSIM_GFX_PLANE_TYPE_SPRITE in gvtsim-uapi.h).
 */
#define GVTSIM_DRM_PLANE_TYPE_PRIMARY	1u
#define GVTSIM_DRM_PLANE_TYPE_CURSOR	2u

/*
 * The argument rules of VFIO_DEVICE_QUERY_GFX_PLANE as i915 applies them,
 * once argsz is known to cover the struct up to dmabuf_id: flags
 * PROBE|DMABUF asks whether dma-buf export is supported (returns 1: answer
 * 0 and fill nothing); DMABUF alone queries @drm_plane_type (returns 0 with
 * *ret_id for primary, cursor and the sprite); anything else (flags 0,
 * REGION, PROBE alone, unknown bits, another plane type) is -EINVAL.
 * The kernel module and the sim backend both answer through this.
 */
int gvtsim_query_args(uint32_t flags, uint32_t drm_plane_type,
		      enum gvtsim_plane_id *ret_id);

/*
 * The answer to a DMABUF query of plane @p, which gvtsim.ko and the sim
 * backend both give: an enabled plane fills @info's description fields
 * (size = fb_size, positions two's complement, hotspot) and @dmabuf_id; a
 * disabled plane or an idle pipe leaves @info exactly as the caller passed
 * it, as i915 does (the ioctl still returns 0).  argsz, flags and
 * drm_plane_type are never touched.
 */
void gvtsim_plane_info_fill(const struct gvtsim_plane *p, uint32_t dmabuf_id,
			    struct vfio_device_gfx_plane_info *info);

#endif /* GVTSIM_FB_DECODER_H */
