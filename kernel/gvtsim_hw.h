/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The emulated display hardware of a gvtsim vGPU: BAR0 register offsets and
 * fields (the subset of Skylake / Broadwell display registers that i915
 * GVT-g's fb_decoder reads, at i915's offsets and with i915's field layout),
 * plus the few gvtsim-only registers a guest needs (EDID window, hotplug).
 *
 * Pure C, no kernel header: shared by the module, the decoder, the guest
 * model and the user-space sim backend.
 */
#ifndef GVTSIM_HW_H
#define GVTSIM_HW_H

/* BAR0: MMIO register file.  BAR2: graphics memory; a surface address
 * (PLANE_SURF, CURBASE...) is a byte offset into BAR2 (the vGPU's GGTT is
 * the identity). */
#define GVTSIM_MMIO_SIZE		(2u * 1024 * 1024)

/* ---- pipe A ---- */
#define GVTSIM_PIPEACONF		0x70008u
#define   GVTSIM_PIPECONF_ENABLE	(1u << 31)
#define GVTSIM_PIPEASRC			0x6001cu	/* (w-1) << 16 | (h-1) */
#define   GVTSIM_PIPESRC_W_SHIFT	16
#define   GVTSIM_PIPESRC_MASK		0xffffu		/* i915: 16-bit fields; > 8192 is invalid */

/* ---- Gen9 universal planes: pipe A plane 1 (primary), plane 2 (sprite) ---- */
#define GVTSIM_PLANE_CTL(p)		(0x70180u + ((p) - 1) * 0x100u)
#define GVTSIM_PLANE_STRIDE(p)		(0x70188u + ((p) - 1) * 0x100u)
#define GVTSIM_PLANE_POS(p)		(0x7018cu + ((p) - 1) * 0x100u)
#define GVTSIM_PLANE_SIZE(p)		(0x70190u + ((p) - 1) * 0x100u)
#define GVTSIM_PLANE_SURF(p)		(0x7019cu + ((p) - 1) * 0x100u)
#define GVTSIM_PLANE_OFFSET(p)		(0x701a4u + ((p) - 1) * 0x100u)

#define   GVTSIM_PLANE_CTL_ENABLE		(1u << 31)
#define   GVTSIM_PLANE_CTL_FORMAT_SHIFT		24
#define   GVTSIM_PLANE_CTL_FORMAT_MASK		(0xfu << 24)
#define     GVTSIM_PLANE_CTL_FORMAT_YUV422	(0x0u << 24)
#define     GVTSIM_PLANE_CTL_FORMAT_XRGB_2101010 (0x2u << 24)
#define     GVTSIM_PLANE_CTL_FORMAT_XRGB_8888	(0x4u << 24)
#define     GVTSIM_PLANE_CTL_FORMAT_RGB_565	(0xeu << 24)
#define   GVTSIM_PLANE_CTL_ORDER_RGBX		(1u << 20)
#define   GVTSIM_PLANE_CTL_YUV422_ORDER_MASK	(0x3u << 16)
#define     GVTSIM_PLANE_CTL_YUV422_YUYV	(0x0u << 16)
#define     GVTSIM_PLANE_CTL_YUV422_UYVY	(0x1u << 16)
#define     GVTSIM_PLANE_CTL_YUV422_YVYU	(0x2u << 16)
#define     GVTSIM_PLANE_CTL_YUV422_VYUY	(0x3u << 16)
#define   GVTSIM_PLANE_CTL_TILED_MASK		(0x7u << 10)
#define     GVTSIM_PLANE_CTL_TILED_LINEAR	(0x0u << 10)
#define     GVTSIM_PLANE_CTL_TILED_X		(0x1u << 10)
#define     GVTSIM_PLANE_CTL_TILED_Y		(0x4u << 10)
#define     GVTSIM_PLANE_CTL_TILED_YF		(0x5u << 10)
#define   GVTSIM_PLANE_CTL_ALPHA_MASK		(0x3u << 4)
#define     GVTSIM_PLANE_CTL_ALPHA_DISABLE	(0x0u << 4)
#define     GVTSIM_PLANE_CTL_ALPHA_SW_PREMULTIPLY (0x2u << 4)
#define     GVTSIM_PLANE_CTL_ALPHA_HW_PREMULTIPLY (0x3u << 4)

#define   GVTSIM_PLANE_STRIDE_MASK		0x3ffu	/* units: 64/512/128 bytes */
/* PLANE_POS / SPRPOS: y << 16 | x; PLANE_SIZE / SPRSIZE: (h-1) << 16 | (w-1) */
#define   GVTSIM_PLANE_POS_MASK			0x1fffu
#define   GVTSIM_PLANE_POS_Y_SHIFT		16
#define   GVTSIM_PLANE_SIZE_MASK		0x1fffu
#define   GVTSIM_PLANE_SIZE_H_SHIFT		16
#define   GVTSIM_PLANE_SURF_ADDR_MASK		0xfffff000u

/* ---- Gen8 primary plane A (DSPCNTR layout) and sprite A ---- */
#define GVTSIM_DSPACNTR			0x70180u
#define GVTSIM_DSPALINOFF		0x70184u
#define GVTSIM_DSPASTRIDE		0x70188u
#define GVTSIM_DSPASURF			0x7019cu
#define GVTSIM_DSPATILEOFF		0x701a4u
#define   GVTSIM_DISPPLANE_ENABLE		(1u << 31)
#define   GVTSIM_DISPPLANE_PIXFORMAT_MASK	(0xfu << 26)
#define     GVTSIM_DISPPLANE_BGRX565		(0x5u << 26)
#define     GVTSIM_DISPPLANE_BGRX888		(0x6u << 26)
#define     GVTSIM_DISPPLANE_BGRA888		(0x7u << 26)
#define     GVTSIM_DISPPLANE_RGBX101010		(0x8u << 26)
#define     GVTSIM_DISPPLANE_BGRX101010		(0xau << 26)
#define     GVTSIM_DISPPLANE_RGBX888		(0xeu << 26)
#define     GVTSIM_DISPPLANE_RGBA888		(0xfu << 26)
#define   GVTSIM_DISPPLANE_TILED		(1u << 10)
#define   GVTSIM_DSPSTRIDE_MASK			0xffc0u	/* bytes, 64-aligned (i915 GVT: 0x3ff << 6) */

#define GVTSIM_SPRACTL			0x70280u
#define GVTSIM_SPRALINOFF		0x70284u
#define GVTSIM_SPRASTRIDE		0x70288u
#define GVTSIM_SPRAPOS			0x7028cu
#define GVTSIM_SPRASIZE			0x70290u
#define GVTSIM_SPRASURF			0x7029cu
#define GVTSIM_SPRATILEOFF		0x702a4u
#define   GVTSIM_SPRITE_ENABLE			(1u << 31)
#define   GVTSIM_SPRITE_FORMAT_MASK		(0x7u << 25)
#define     GVTSIM_SPRITE_FORMAT_YUV422		(0x0u << 25)
#define     GVTSIM_SPRITE_FORMAT_RGBX101010	(0x1u << 25)
#define     GVTSIM_SPRITE_FORMAT_RGBX888	(0x2u << 25)
#define   GVTSIM_SPRITE_RGB_ORDER_RGBX		(1u << 20)
#define   GVTSIM_SPRITE_YUV_ORDER_MASK		(0x3u << 16)
#define     GVTSIM_SPRITE_YUV_ORDER_YUYV	(0x0u << 16)
#define     GVTSIM_SPRITE_YUV_ORDER_UYVY	(0x1u << 16)
#define     GVTSIM_SPRITE_YUV_ORDER_YVYU	(0x2u << 16)
#define     GVTSIM_SPRITE_YUV_ORDER_VYUY	(0x3u << 16)
#define   GVTSIM_SPRITE_TILED			(1u << 10)

/* ---- cursor A ---- */
#define GVTSIM_CURACNTR			0x70080u
#define GVTSIM_CURABASE			0x70084u
#define GVTSIM_CURAPOS			0x70088u
#define   GVTSIM_CURSOR_MODE_MASK		0x27u
#define     GVTSIM_CURSOR_MODE_DISABLE		0x00u
#define     GVTSIM_CURSOR_MODE_64_ARGB_AX	0x27u
#define     GVTSIM_CURSOR_MODE_128_ARGB_AX	0x22u
#define     GVTSIM_CURSOR_MODE_256_ARGB_AX	0x23u
#define   GVTSIM_CURSOR_POS_MASK		0x1fffu	/* magnitude, per axis (i915 GVT: x 13 bits) */
#define   GVTSIM_CURSOR_POS_SIGN		0x8000u
#define   GVTSIM_CURSOR_X_SHIFT			0
#define   GVTSIM_CURSOR_Y_SHIFT			16

/* ---- PV info page (i915_pvinfo.h: struct vgt_if at VGT_PVINFO_PAGE) ---- */
/* The cursor hotspot a GVT-g-aware guest driver reports (vgt_if's
 * cursor_x_hot / cursor_y_hot, at 0x830 / 0x834 into the page). */
#define GVTSIM_PVINFO_PAGE		0x78000u
#define GVTSIM_PVINFO_CURSOR_X_HOT	(GVTSIM_PVINFO_PAGE + 0x830u)
#define GVTSIM_PVINFO_CURSOR_Y_HOT	(GVTSIM_PVINFO_PAGE + 0x834u)

/* ---- gvtsim-only registers (a block i915 leaves unused) ---- */
#define GVTSIM_REG_BASE			0x1ff000u
/* Reads "GVTS" (0x53545647): lets a guest tell gvtsim from real hardware. */
#define GVTSIM_REG_ID			(GVTSIM_REG_BASE + 0x000u)
#define   GVTSIM_ID_VALUE		0x53545647u
/* Hotplug: bit 0 = monitor connected (EDID link up), bit 1 = hotplug event
 * pending (set by the host's EDID update, write 1 to clear). */
#define GVTSIM_REG_HOTPLUG		(GVTSIM_REG_BASE + 0x004u)
#define   GVTSIM_HOTPLUG_CONNECTED	(1u << 0)
#define   GVTSIM_HOTPLUG_EVENT		(1u << 1)
/* Largest mode the guest may set now: (w << 16) | h, from the EDID's
 * preferred timing clamped by the vGPU type's maximum. Read-only. */
#define GVTSIM_REG_MAX_MODE		(GVTSIM_REG_BASE + 0x008u)
/* Number of valid bytes in the EDID window. Read-only. */
#define GVTSIM_REG_EDID_SIZE		(GVTSIM_REG_BASE + 0x00cu)
/* The monitor's EDID as the guest sees it (what DDC would return). */
#define GVTSIM_REG_EDID_WINDOW		(GVTSIM_REG_BASE + 0x100u)
#define GVTSIM_EDID_WINDOW_SIZE		512u

#endif /* GVTSIM_HW_H */
