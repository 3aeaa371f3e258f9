/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * gvtsim's additions to the VFIO display uAPI of i915 GVT-g.
 *
 * Everything in include/uapi/linux/vfio.h keeps its upstream meaning on a
 * gvtsim vGPU.  What follows only adds:
 *
 * 1. Signed cursor position.  For DRM_PLANE_TYPE_CURSOR, x_pos and y_pos of
 *    struct vfio_device_gfx_plane_info hold the position as a two's
 *    complement 32-bit value, so a cursor partly off the left or top edge
 *    reads as negative ((int32_t)x_pos).  Upstream i915 drops CURPOS' sign
 *    bits; a consumer that casts to int32_t works on both.
 *
 * 2. The sprite plane.  GVTSIM_GFX_PLANE_TYPE_SPRITE as drm_plane_type
 *    queries pipe A's second universal plane (Gen9 plane 2, Gen8 sprite A);
 *    answer and dma-buf export follow the primary plane's rules, x_pos and
 *    y_pos carry the plane position.  The value lies outside the DRM plane
 *    type enum so no upstream value changes meaning: upstream i915 answers
 *    it with -EINVAL, which is how user space detects the extension.
 *
 * 3. Display-refresh IRQ.  VFIO_DEVICE_GET_INFO reports num_irqs =
 *    VFIO_PCI_NUM_IRQS + 1; the last index is the display IRQ.  Its
 *    VFIO_DEVICE_GET_IRQ_INFO answer has VFIO_IRQ_INFO_EVENTFD and
 *    GVTSIM_IRQ_INFO_FLAG_CAPS set and, when argsz allows, is followed by a
 *    capability chain (struct gvtsim_irq_info) holding a
 *    struct gvtsim_irq_info_cap_type with type GVTSIM_IRQ_TYPE_GFX and
 *    subtype GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ (the layout proposed for
 *    upstream VFIO in 2019).  Attach an eventfd with VFIO_DEVICE_SET_IRQS
 *    (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, start 0,
 *    count 1; fd -1 detaches).  The eventfd is signalled when the guest
 *    flips a plane (writes PLANE_SURF, CURBASE) or changes the mode, at most
 *    once per emulated vblank.
 */
#ifndef GVTSIM_UAPI_H
#define GVTSIM_UAPI_H

#include <linux/types.h>

/* drm_plane_type value for the sprite plane. */
#define GVTSIM_GFX_PLANE_TYPE_SPRITE	0x47560002u	/* 'G' 'V' 0 2 */

/* vfio_irq_info.flags bit: a capability chain follows (cap_offset valid). */
#define GVTSIM_IRQ_INFO_FLAG_CAPS	(1u << 4)

/* vfio_irq_info with the proposed cap_offset field appended. */
struct gvtsim_irq_info {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__u32 count;
	__u32 cap_offset;	/* offset of the first capability, 0 if none */
	__u32 pad;
};

#define GVTSIM_IRQ_INFO_CAP_TYPE	1

struct gvtsim_irq_info_cap_type {
	__u16 id;		/* GVTSIM_IRQ_INFO_CAP_TYPE */
	__u16 version;		/* 1 */
	__u32 next;		/* offset of the next capability, 0 if none */
	__u32 type;
	__u32 subtype;
};

#define GVTSIM_IRQ_TYPE_GFX			1
#define GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ	1

/* PCI identity of a gvtsim vGPU (Gen9 = Skylake GT2 desktop, Gen8 =
 * Broadwell GT2), as a guest driver would see it. */
#define GVTSIM_PCI_VENDOR_ID		0x8086
#define GVTSIM_PCI_DEVICE_ID_GEN9	0x1912
#define GVTSIM_PCI_DEVICE_ID_GEN8	0x1616

#endif /* GVTSIM_UAPI_H */
