/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gvtsim: private header shared by the module's files.
 *
 * One struct gvtsim_vgpu per mdev.  vgpu->lock (a mutex) protects the
 * register file, the PCI config space, graphics memory's page array, the
 * EDID state, the dma-buf object list and the device request eventfd.
 * vgpu->irq_lock (a spinlock) protects only the refresh eventfd and its
 * vblank timer, which fire from hrtimer context.
 */
#ifndef GVTSIM_H
#define GVTSIM_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vfio.h>

#include "gvtsim_fb_decoder.h"
#include "gvtsim_hw.h"
#include "gvtsim-uapi.h"

#define GVTSIM_NAME		"gvtsim"

/* Region offsets inside the device fd, as vfio-pci lays them out. */
#define GVTSIM_OFFSET_SHIFT	40
#define GVTSIM_OFFSET_MASK	((1ull << GVTSIM_OFFSET_SHIFT) - 1)
#define GVTSIM_INDEX_TO_OFFSET(i) ((u64)(i) << GVTSIM_OFFSET_SHIFT)

/* Device-specific regions after the fixed vfio-pci ones. */
#define GVTSIM_OPREGION_INDEX	(VFIO_PCI_NUM_REGIONS + 0)
#define GVTSIM_EDID_INDEX	(VFIO_PCI_NUM_REGIONS + 1)
#define GVTSIM_NUM_REGIONS	(VFIO_PCI_NUM_REGIONS + 2)

/* The display refresh IRQ follows the vfio-pci IRQ indexes. */
#define GVTSIM_DISPLAY_IRQ_INDEX VFIO_PCI_NUM_IRQS
#define GVTSIM_NUM_IRQS		(VFIO_PCI_NUM_IRQS + 1)

#define GVTSIM_CFG_SIZE		256
#define GVTSIM_OPREGION_SIZE	(8 * 1024)

/* EDID region: struct vfio_region_gfx_edid, then the blob. */
#define GVTSIM_EDID_BLOB_OFFSET	0x100u
#define GVTSIM_EDID_MAX_SIZE	GVTSIM_EDID_WINDOW_SIZE
#define GVTSIM_EDID_REGION_SIZE	(GVTSIM_EDID_BLOB_OFFSET + GVTSIM_EDID_MAX_SIZE)
#define GVTSIM_EDID_BLOCK	128u

/* One emulated vblank: refresh events are coalesced to one per period. */
#define GVTSIM_VBLANK_NS	16666667ll

struct gvtsim_type {
	struct mdev_type type;
	enum gvtsim_gen gen;
	u16 device_id;
	u32 max_width;
	u32 max_height;
	u64 gm_size;		/* bytes of graphics memory (BAR2) */
	unsigned int weight;	/* i915-style scheduling weight, informative */
};

/* Host side of the EDID region and what the guest currently sees. */
struct gvtsim_edid {
	struct vfio_region_gfx_edid regs;	/* host-visible header */
	u8 blob[GVTSIM_EDID_MAX_SIZE];		/* host's staging blob */
	u8 active[GVTSIM_EDID_MAX_SIZE];	/* validated at the last link up */
	u32 active_size;
};

struct gvtsim_vgpu {
	struct vfio_device vdev;
	const struct gvtsim_type *type;

	struct mutex lock;		/* everything below but the IRQ state */

	u8 cfg[GVTSIM_CFG_SIZE];	/* emulated PCI config space */
	u32 *mmio;			/* BAR0 register file */

	struct page **gm_pages;		/* BAR2, allocated on first use */
	unsigned long gm_npages;

	struct gvtsim_edid edid;
	u32 mode_max_width;		/* current limit from EDID and type */
	u32 mode_max_height;

	struct list_head dmabufs;	/* gvtsim_dmabuf_obj, most recent first */
	unsigned int n_dmabufs;
	u32 next_dmabuf_id;

	struct eventfd_ctx *req_trigger;	/* VFIO_PCI_REQ_IRQ_INDEX */

	spinlock_t irq_lock;		/* refresh_trigger, vblank state */
	struct eventfd_ctx *refresh_trigger;
	struct hrtimer vblank_timer;
	ktime_t last_refresh;
	bool refresh_pending;
};

static inline struct gvtsim_vgpu *vdev_to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct gvtsim_vgpu, vdev);
}

static inline struct device *gvtsim_dev(struct gvtsim_vgpu *vgpu)
{
	return vgpu->vdev.dev;
}

/* Module parameters (gvtsim_main.c). */
extern unsigned int gvtsim_max_dmabufs;
extern bool gvtsim_param_dmabuf_mmap;
extern bool gvtsim_param_monotonic_ids;

/* gvtsim_regs.c: the BAR0 register file and the refresh IRQ. */
int gvtsim_regs_init(struct gvtsim_vgpu *vgpu);
void gvtsim_regs_fini(struct gvtsim_vgpu *vgpu);
void gvtsim_regs_reset(struct gvtsim_vgpu *vgpu);
u32 gvtsim_mmio_read(struct gvtsim_vgpu *vgpu, u32 offset);
void gvtsim_mmio_write(struct gvtsim_vgpu *vgpu, u32 offset, u32 val);
ssize_t gvtsim_mmio_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		       size_t count, u64 pos, bool is_write);
void gvtsim_refresh_event(struct gvtsim_vgpu *vgpu);
void gvtsim_refresh_signal_now(struct gvtsim_vgpu *vgpu);
int gvtsim_refresh_set_trigger(struct gvtsim_vgpu *vgpu, int fd);

/* gvtsim_gm.c: graphics memory (BAR2). */
int gvtsim_gm_init(struct gvtsim_vgpu *vgpu);
void gvtsim_gm_fini(struct gvtsim_vgpu *vgpu);
struct page *gvtsim_gm_get_page(struct gvtsim_vgpu *vgpu, unsigned long idx,
				bool alloc);
ssize_t gvtsim_gm_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		     size_t count, u64 pos, bool is_write);
int gvtsim_gm_mmap(struct gvtsim_vgpu *vgpu, struct vm_area_struct *vma);

/* gvtsim_dmabuf.c: dma-buf objects and the exporter. */
int gvtsim_dmabuf_lookup(struct gvtsim_vgpu *vgpu,
			 const struct gvtsim_plane *plane, u32 *ret_id);
int gvtsim_dmabuf_get_fd(struct gvtsim_vgpu *vgpu, u32 id);
void gvtsim_dmabuf_unlink_all(struct gvtsim_vgpu *vgpu);

/* gvtsim_cfg.c: PCI config space. */
void gvtsim_cfg_init(struct gvtsim_vgpu *vgpu);
ssize_t gvtsim_cfg_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		      size_t count, u64 pos, bool is_write);

/* gvtsim_irq.c: GET_IRQ_INFO, SET_IRQS, the device request. */
int gvtsim_ioctl_get_irq_info(void __user *arg);
int gvtsim_ioctl_set_irqs(struct gvtsim_vgpu *vgpu, void __user *arg);
int gvtsim_req_set_trigger(struct gvtsim_vgpu *vgpu, int fd);
void gvtsim_request(struct vfio_device *vdev, unsigned int count);

/* gvtsim_edid.c: default EDID, the EDID region, the guest's view. */
void gvtsim_edid_init(struct gvtsim_vgpu *vgpu);
void gvtsim_edid_apply_regs(struct gvtsim_vgpu *vgpu);
ssize_t gvtsim_edid_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		       size_t count, u64 pos, bool is_write);

/* gvtsim_opregion.c: the Intel OpRegion (shared, read-only). */
void gvtsim_opregion_init(void);
ssize_t gvtsim_opregion_read(char __user *buf, size_t count, u64 pos);

/* Bounds check of an access [pos, pos + count) against a region size,
 * overflow-safe. */
static inline bool gvtsim_access_ok(u64 pos, size_t count, u64 size)
{
	return count && pos < size && count <= size - pos;
}

#endif /* GVTSIM_H */
