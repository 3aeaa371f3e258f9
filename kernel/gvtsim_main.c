// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim: a virtual Intel GVT-g vGPU.
 *
 * An mdev parent "gvtsim" with GVT-g-like types; each vGPU is a vfio-pci
 * device with emulated PCI config space, BAR0 display registers
 * (gvtsim_regs.c), BAR2 graphics memory (gvtsim_gm.c), the Intel OpRegion
 * and the GFX EDID region, and i915 GVT-g's display uAPI:
 * VFIO_DEVICE_QUERY_GFX_PLANE / VFIO_DEVICE_GET_GFX_DMABUF (decoder in
 * gvtsim_fb_decoder.c, export in gvtsim_dmabuf.c), plus the additions of
 * gvtsim-uapi.h (sprite plane, signed cursor, display refresh IRQ).
 *
 * This file is the glue: module and mdev registration, the vfio_device
 * ops, PCI config space, and the ioctls.
 */
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/module.h>
#include <linux/pci_ids.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <drm/drm_plane.h>

#include "gvtsim.h"

/* The decoder's copies of DRM's plane type values (it cannot include DRM
 * headers) must be DRM's. */
static_assert(GVTSIM_DRM_PLANE_TYPE_PRIMARY == DRM_PLANE_TYPE_PRIMARY);
static_assert(GVTSIM_DRM_PLANE_TYPE_CURSOR == DRM_PLANE_TYPE_CURSOR);

static unsigned int max_vgpus = 4;
module_param(max_vgpus, uint, 0444);
MODULE_PARM_DESC(max_vgpus, "Most vGPUs that may exist at once, all types together (default 4)");

unsigned int gvtsim_max_dmabufs = 32;
module_param_named(max_dmabufs, gvtsim_max_dmabufs, uint, 0644);
MODULE_PARM_DESC(max_dmabufs, "Most dmabuf ids one vGPU remembers; older ids are forgotten (default 32)");

static struct gvtsim_type gvtsim_types[] = {
	{
		.type.sysfs_name = "GVTg_V5_4",
		.type.pretty_name = "GVTg_V5_4",
		.gen = GVTSIM_GEN9,
		.device_id = GVTSIM_PCI_DEVICE_ID_GEN9,
		.max_width = 1920,
		.max_height = 1080,
		.gm_size = 64ull << 20,
		.weight = 4,
	}, {
		.type.sysfs_name = "GVTg_V5_2",
		.type.pretty_name = "GVTg_V5_2",
		.gen = GVTSIM_GEN9,
		.device_id = GVTSIM_PCI_DEVICE_ID_GEN9,
		.max_width = 3840,
		.max_height = 2160,
		.gm_size = 256ull << 20,
		.weight = 8,
	}, {
		.type.sysfs_name = "GVTg_V4_4",
		.type.pretty_name = "GVTg_V4_4",
		.gen = GVTSIM_GEN8,
		.device_id = GVTSIM_PCI_DEVICE_ID_GEN8,
		.max_width = 1920,
		.max_height = 1080,
		.gm_size = 64ull << 20,
		.weight = 4,
	},
};

static struct mdev_type *gvtsim_mdev_types[] = {
	&gvtsim_types[0].type,
	&gvtsim_types[1].type,
	&gvtsim_types[2].type,
};

static struct class *gvtsim_class;
static struct device gvtsim_parent_dev;
static struct mdev_parent gvtsim_parent;
static struct mdev_driver gvtsim_driver;

static DEFINE_MUTEX(gvtsim_count_lock);
static unsigned int gvtsim_nr_vgpus;	/* under gvtsim_count_lock */

/* ---- PCI config space ---- */

#define CFG_BAR0	PCI_BASE_ADDRESS_0
#define CFG_BAR2	PCI_BASE_ADDRESS_2
#define CFG_ASLS	0xfc	/* OpRegion address, as on real IGDs */
#define BAR0_FLAGS	(PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64)
#define BAR2_FLAGS	(BAR0_FLAGS | PCI_BASE_ADDRESS_MEM_PREFETCH)

static void cfg_put16(u8 *cfg, unsigned int off, u16 v)
{
	cfg[off] = v & 0xff;
	cfg[off + 1] = v >> 8;
}

static void cfg_put32(u8 *cfg, unsigned int off, u32 v)
{
	cfg_put16(cfg, off, v & 0xffff);
	cfg_put16(cfg, off + 2, v >> 16);
}

static u64 cfg_get64(const u8 *cfg, unsigned int off)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | cfg[off + i];
	return v;
}

static void cfg_init(struct gvtsim_vgpu *vgpu)
{
	u8 *cfg = vgpu->cfg;

	memset(cfg, 0, GVTSIM_CFG_SIZE);
	cfg_put16(cfg, PCI_VENDOR_ID, GVTSIM_PCI_VENDOR_ID);
	cfg_put16(cfg, PCI_DEVICE_ID, vgpu->type->device_id);
	cfg[PCI_REVISION_ID] = 0x07;
	cfg_put16(cfg, PCI_CLASS_DEVICE, PCI_CLASS_DISPLAY_VGA);
	cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg_put32(cfg, CFG_BAR0, BAR0_FLAGS);
	cfg_put32(cfg, CFG_BAR2, BAR2_FLAGS);
	cfg_put16(cfg, PCI_SUBSYSTEM_VENDOR_ID, GVTSIM_PCI_VENDOR_ID);
	cfg_put16(cfg, PCI_SUBSYSTEM_ID, vgpu->type->device_id);
	/* No INTx: the vGPU has no legacy interrupt (count 0). */
	cfg[PCI_INTERRUPT_PIN] = 0;
}

/* Which bits of config byte @off the guest may change. */
static u8 cfg_wmask(unsigned int off)
{
	switch (off) {
	case PCI_COMMAND:
		return PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	case PCI_COMMAND + 1:
		return PCI_COMMAND_INTX_DISABLE >> 8;
	case CFG_BAR0 ... CFG_BAR0 + 7:
	case CFG_BAR2 ... CFG_BAR2 + 7:
	case PCI_INTERRUPT_LINE:
	case CFG_ASLS ... CFG_ASLS + 3:
		return 0xff;
	default:
		return 0;
	}
}

/* A BAR reads back its size as the low address bits forced to zero. */
static void cfg_fix_bar(u8 *cfg, unsigned int off, u64 size, u32 flags)
{
	u64 v = cfg_get64(cfg, off);

	v = (v & ~(size - 1) & ~0xfull) | flags;
	cfg_put32(cfg, off, (u32)v);
	cfg_put32(cfg, off + 4, (u32)(v >> 32));
}

static ssize_t cfg_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		      size_t count, u64 pos, bool is_write)
{
	u8 bounce[GVTSIM_CFG_SIZE];
	size_t i;

	if (!gvtsim_access_ok(pos, count, GVTSIM_CFG_SIZE))
		return -EINVAL;

	if (is_write) {
		if (copy_from_user(bounce, buf, count))
			return -EFAULT;
		mutex_lock(&vgpu->lock);
		for (i = 0; i < count; i++) {
			unsigned int off = pos + i;
			u8 m = cfg_wmask(off);

			vgpu->cfg[off] = (vgpu->cfg[off] & ~m) | (bounce[i] & m);
		}
		cfg_fix_bar(vgpu->cfg, CFG_BAR0, GVTSIM_MMIO_SIZE, BAR0_FLAGS);
		cfg_fix_bar(vgpu->cfg, CFG_BAR2, vgpu->type->gm_size, BAR2_FLAGS);
		mutex_unlock(&vgpu->lock);
	} else {
		mutex_lock(&vgpu->lock);
		memcpy(bounce, vgpu->cfg + pos, count);
		mutex_unlock(&vgpu->lock);
		if (copy_to_user(buf, bounce, count))
			return -EFAULT;
	}
	return count;
}

/* ---- region read/write/mmap ---- */

static ssize_t gvtsim_rw(struct vfio_device *vdev, char __user *buf,
			 size_t count, loff_t *ppos, bool is_write)
{
	struct gvtsim_vgpu *vgpu = vdev_to_vgpu(vdev);
	unsigned int index = (u64)*ppos >> GVTSIM_OFFSET_SHIFT;
	u64 pos = (u64)*ppos & GVTSIM_OFFSET_MASK;
	ssize_t ret;

	if (*ppos < 0)
		return -EINVAL;
	if (!count)
		return 0;	/* as i915 GVT-g and vfio-pci: nothing to do */

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = cfg_rw(vgpu, buf, count, pos, is_write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = gvtsim_mmio_rw(vgpu, buf, count, pos, is_write);
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		ret = gvtsim_gm_rw(vgpu, buf, count, pos, is_write);
		break;
	case GVTSIM_OPREGION_INDEX:
		ret = is_write ? -EINVAL : gvtsim_opregion_read(buf, count, pos);
		break;
	case GVTSIM_EDID_INDEX:
		ret = gvtsim_edid_rw(vgpu, buf, count, pos, is_write);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t gvtsim_read(struct vfio_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos)
{
	return gvtsim_rw(vdev, buf, count, ppos, false);
}

static ssize_t gvtsim_write(struct vfio_device *vdev, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	return gvtsim_rw(vdev, (char __user *)buf, count, ppos, true);
}

static int gvtsim_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	unsigned int index = vma->vm_pgoff >> (GVTSIM_OFFSET_SHIFT - PAGE_SHIFT);

	if (index != VFIO_PCI_BAR2_REGION_INDEX)
		return -EINVAL;
	return gvtsim_gm_mmap(vdev_to_vgpu(vdev), vma);
}

/* ---- ioctls ---- */

static int gvtsim_ioctl_get_info(void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = GVTSIM_NUM_REGIONS;
	info.num_irqs = GVTSIM_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int region_add_cap_type(struct vfio_info_cap *caps, u32 type,
			       u32 subtype)
{
	struct vfio_region_info_cap_type cap = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = type,
		.subtype = subtype,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static int gvtsim_ioctl_get_region_info(struct gvtsim_vgpu *vgpu,
					void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.cap_offset = 0;
	info.size = 0;
	info.flags = 0;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = GVTSIM_CFG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = GVTSIM_MMIO_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		info.size = vgpu->type->gm_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP;
		break;
	case VFIO_PCI_BAR1_REGION_INDEX:
	case VFIO_PCI_BAR3_REGION_INDEX:
	case VFIO_PCI_BAR4_REGION_INDEX:
	case VFIO_PCI_BAR5_REGION_INDEX:
	case VFIO_PCI_ROM_REGION_INDEX:
	case VFIO_PCI_VGA_REGION_INDEX:
		break;	/* absent: size 0 */
	case GVTSIM_OPREGION_INDEX:
		info.size = GVTSIM_OPREGION_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ;
		ret = region_add_cap_type(&caps,
					  VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
					  GVTSIM_PCI_VENDOR_ID,
					  VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION);
		break;
	case GVTSIM_EDID_INDEX:
		info.size = GVTSIM_EDID_REGION_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		ret = region_add_cap_type(&caps, VFIO_REGION_TYPE_GFX,
					  VFIO_REGION_SUBTYPE_GFX_EDID);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		goto out_free_caps;
	info.offset = GVTSIM_INDEX_TO_OFFSET(info.index);

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			/* Tell the caller how much room the chain needs. */
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf, caps.size)) {
				ret = -EFAULT;
				goto out_free_caps;
			}
			info.cap_offset = sizeof(info);
		}
	}
	if (copy_to_user(arg, &info, minsz))
		ret = -EFAULT;

out_free_caps:
	kfree(caps.buf);
	return ret;
}

static int gvtsim_ioctl_get_irq_info(void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct {
		struct gvtsim_irq_info info;
		struct gvtsim_irq_info_cap_type cap;
	} out;
	u32 argsz;

	BUILD_BUG_ON(offsetof(struct gvtsim_irq_info, cap_offset) != minsz);

	memset(&out, 0, sizeof(out));
	if (copy_from_user(&out.info, arg, minsz))
		return -EFAULT;
	argsz = out.info.argsz;
	if (argsz < minsz || out.info.index >= GVTSIM_NUM_IRQS)
		return -EINVAL;

	if (out.info.index == VFIO_PCI_REQ_IRQ_INDEX) {
		/* The device request eventfd, as vfio-pci has it. */
		out.info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		out.info.count = 1;
		return copy_to_user(arg, &out.info, minsz) ? -EFAULT : 0;
	}
	if (out.info.index != GVTSIM_DISPLAY_IRQ_INDEX) {
		/* INTx, MSI, MSI-X, ERR: present, with no vectors. */
		out.info.flags = 0;
		out.info.count = 0;
		return copy_to_user(arg, &out.info, minsz) ? -EFAULT : 0;
	}

	out.info.flags = VFIO_IRQ_INFO_EVENTFD | GVTSIM_IRQ_INFO_FLAG_CAPS;
	out.info.count = 1;
	out.info.cap_offset = 0;
	out.info.pad = 0;
	out.info.argsz = sizeof(out);
	if (argsz >= sizeof(out)) {
		out.info.cap_offset = sizeof(out.info);
		out.cap.id = GVTSIM_IRQ_INFO_CAP_TYPE;
		out.cap.version = 1;
		out.cap.next = 0;
		out.cap.type = GVTSIM_IRQ_TYPE_GFX;
		out.cap.subtype = GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ;
	}
	/* Copy no more than the caller has room for. */
	return copy_to_user(arg, &out, min_t(size_t, argsz, sizeof(out))) ?
	       -EFAULT : 0;
}

static void gvtsim_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* Attach the request eventfd @fd, or detach with fd -1. */
static int gvtsim_req_set_trigger(struct gvtsim_vgpu *vgpu, int fd)
{
	struct eventfd_ctx *new = NULL;

	lockdep_assert_held(&vgpu->lock);

	if (fd >= 0) {
		new = eventfd_ctx_fdget(fd);
		if (IS_ERR(new))
			return PTR_ERR(new);
	} else if (fd != -1) {
		return -EINVAL;
	}
	if (vgpu->req_trigger)
		eventfd_ctx_put(vgpu->req_trigger);
	vgpu->req_trigger = new;
	return 0;
}

static void gvtsim_req_signal(struct gvtsim_vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->lock);

	if (vgpu->req_trigger)
		gvtsim_eventfd_signal(vgpu->req_trigger);
}

/* SET_IRQS on one of the two eventfd-backed indexes: REQ or display. */
static int irq_set_trigger(struct gvtsim_vgpu *vgpu, u32 index, int fd)
{
	if (index == VFIO_PCI_REQ_IRQ_INDEX)
		return gvtsim_req_set_trigger(vgpu, fd);
	return gvtsim_refresh_set_trigger(vgpu, fd);
}

static void irq_signal(struct gvtsim_vgpu *vgpu, u32 index)
{
	if (index == VFIO_PCI_REQ_IRQ_INDEX)
		gvtsim_req_signal(vgpu);
	else
		gvtsim_refresh_signal_now(vgpu);
}

static int gvtsim_ioctl_set_irqs(struct gvtsim_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;

	if (hdr.index < VFIO_PCI_NUM_IRQS && hdr.index != VFIO_PCI_REQ_IRQ_INDEX) {
		/* No vectors: only "disable all" (count 0, DATA_NONE,
		 * ACTION_TRIGGER) is meaningful, and is a no-op. */
		if (hdr.count == 0 && hdr.start == 0 &&
		    hdr.flags == (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER))
			return 0;
		return -EINVAL;
	}

	ret = vfio_set_irqs_validate_and_prepare(&hdr, 1, GVTSIM_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;
	if ((hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	/* The request and the display IRQ: one eventfd each, same rules. */
	mutex_lock(&vgpu->lock);
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (hdr.count == 0)
			ret = irq_set_trigger(vgpu, hdr.index, -1);
		else
			irq_signal(vgpu, hdr.index);
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (hdr.count == 0)
			ret = -EINVAL;
		else if (data[0])
			irq_signal(vgpu, hdr.index);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		if (hdr.count == 0) {
			ret = -EINVAL;
		} else {
			s32 fd;

			memcpy(&fd, data, sizeof(fd));
			ret = irq_set_trigger(vgpu, hdr.index, fd);
		}
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&vgpu->lock);
	kfree(data);
	return ret;
}

static int gvtsim_ioctl_query_plane(struct gvtsim_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_gfx_plane_info,
					  dmabuf_id);
	struct vfio_device_gfx_plane_info info;
	struct gvtsim_decoder_input in;
	struct gvtsim_plane plane;
	enum gvtsim_plane_id id;
	const char *why = "?";
	u32 dmabuf_id = 0;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	ret = gvtsim_query_args(info.flags, info.drm_plane_type, &id);
	if (ret)
		return ret < 0 ? ret : 0;	/* 1: PROBE answered */

	memset(&plane, 0, sizeof(plane));
	mutex_lock(&vgpu->lock);
	in.mmio = vgpu->mmio;
	in.mmio_size = GVTSIM_MMIO_SIZE;
	in.gm_size = vgpu->type->gm_size;
	in.gen = vgpu->type->gen;
	in.max_width = vgpu->mode_max_width;
	in.max_height = vgpu->mode_max_height;
	ret = gvtsim_decode_plane(&in, id, &plane, &why);
	if (ret) {
		dev_dbg_ratelimited(gvtsim_dev(vgpu),
				    "QUERY_GFX_PLANE type %u: %s (%d)\n",
				    info.drm_plane_type, why, ret);
	} else if (plane.enabled) {
		ret = gvtsim_dmabuf_lookup(vgpu, &plane, &dmabuf_id);
	}
	mutex_unlock(&vgpu->lock);
	if (ret)
		return ret;

	if (!plane.enabled)
		memset(&plane, 0, sizeof(plane));
	info.drm_format = plane.drm_format;
	info.drm_format_mod = plane.modifier;
	info.width = plane.width;
	info.height = plane.height;
	info.stride = plane.stride;
	info.size = plane.size;
	/* Two's complement: a cursor off the top/left edge reads negative. */
	info.x_pos = (u32)plane.x_pos;
	info.y_pos = (u32)plane.y_pos;
	info.x_hot = plane.enabled ? plane.x_hot : 0;
	info.y_hot = plane.enabled ? plane.y_hot : 0;
	info.dmabuf_id = dmabuf_id;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long gvtsim_ioctl(struct vfio_device *vdev, unsigned int cmd,
			 unsigned long uarg)
{
	struct gvtsim_vgpu *vgpu = vdev_to_vgpu(vdev);
	void __user *arg = (void __user *)uarg;
	u32 dmabuf_id;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return gvtsim_ioctl_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return gvtsim_ioctl_get_region_info(vgpu, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return gvtsim_ioctl_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return gvtsim_ioctl_set_irqs(vgpu, arg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&vgpu->lock);
		gvtsim_regs_reset(vgpu);
		cfg_init(vgpu);
		mutex_unlock(&vgpu->lock);
		return 0;
	case VFIO_DEVICE_QUERY_GFX_PLANE:
		return gvtsim_ioctl_query_plane(vgpu, arg);
	case VFIO_DEVICE_GET_GFX_DMABUF:
		if (get_user(dmabuf_id, (u32 __user *)arg))
			return -EFAULT;
		return gvtsim_dmabuf_get_fd(vgpu, dmabuf_id);
	default:
		return -ENOTTY;
	}
}

/* ---- vfio_device life cycle ---- */

static int gvtsim_init_dev(struct vfio_device *vdev)
{
	struct gvtsim_vgpu *vgpu = vdev_to_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	int ret;

	vgpu->type = container_of(mdev->type, struct gvtsim_type, type);
	mutex_init(&vgpu->lock);
	spin_lock_init(&vgpu->irq_lock);
	INIT_LIST_HEAD(&vgpu->dmabufs);
	vgpu->next_dmabuf_id = 1;
	ret = gvtsim_regs_init(vgpu);
	if (ret)
		goto err_destroy_mutex;
	ret = gvtsim_gm_init(vgpu);
	if (ret)
		goto err_regs_fini;

	mutex_lock(&vgpu->lock);
	cfg_init(vgpu);
	gvtsim_edid_init(vgpu);
	mutex_unlock(&vgpu->lock);
	return 0;

err_regs_fini:
	gvtsim_regs_fini(vgpu);
err_destroy_mutex:
	mutex_destroy(&vgpu->lock);
	return ret;
}

static void gvtsim_release_dev(struct vfio_device *vdev)
{
	struct gvtsim_vgpu *vgpu = vdev_to_vgpu(vdev);

	hrtimer_cancel(&vgpu->vblank_timer);
	mutex_lock(&vgpu->lock);
	gvtsim_dmabuf_unlink_all(vgpu);
	mutex_unlock(&vgpu->lock);
	gvtsim_gm_fini(vgpu);
	gvtsim_regs_fini(vgpu);
	mutex_destroy(&vgpu->lock);

	mutex_lock(&gvtsim_count_lock);
	gvtsim_nr_vgpus--;
	mutex_unlock(&gvtsim_count_lock);
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
	/* 6.1 leaves freeing the vfio_device to the driver. */
	vfio_free_device(vdev);
#endif
}

/*
 * vfio_unregister_group_dev() (mdev remove, module unload) calls this, then
 * every 10 s, while user space still holds the device: relay the request
 * to the REQ eventfd so a VMM can unplug and close, as vfio-pci does.
 * Without it removal just waits for the last fd to close.
 */
static void gvtsim_request(struct vfio_device *vdev, unsigned int count)
{
	struct gvtsim_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	if (vgpu->req_trigger) {
		if (!(count % 10))
			dev_notice_ratelimited(gvtsim_dev(vgpu),
					       "relaying device request to user (#%u)\n",
					       count);
		gvtsim_req_signal(vgpu);
	} else if (count == 0) {
		dev_notice_ratelimited(gvtsim_dev(vgpu),
				       "no device request channel registered, blocked until released by user\n");
	}
	mutex_unlock(&vgpu->lock);
}

static int gvtsim_open_device(struct vfio_device *vdev)
{
	return 0;
}

/* Last fd closed: drop the eventfds and forget the dmabuf ids (buffers
 * already exported stay valid).  Registers and memory persist, like a
 * device whose driver was unbound. */
static void gvtsim_close_device(struct vfio_device *vdev)
{
	struct gvtsim_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	gvtsim_refresh_set_trigger(vgpu, -1);
	gvtsim_req_set_trigger(vgpu, -1);
	gvtsim_dmabuf_unlink_all(vgpu);
	mutex_unlock(&vgpu->lock);
}

static const struct vfio_device_ops gvtsim_dev_ops = {
	.name = "gvtsim",
	.init = gvtsim_init_dev,
	.release = gvtsim_release_dev,
	.open_device = gvtsim_open_device,
	.close_device = gvtsim_close_device,
	.read = gvtsim_read,
	.write = gvtsim_write,
	.ioctl = gvtsim_ioctl,
	.mmap = gvtsim_mmap,
	.request = gvtsim_request,
#if IS_ENABLED(CONFIG_IOMMUFD)
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	/* The op and its emulated helper arrived with the vfio cdev in 6.6. */
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#endif
#endif
};

/* ---- mdev driver ---- */

static int gvtsim_probe(struct mdev_device *mdev)
{
	struct gvtsim_vgpu *vgpu;
	int ret;

	mutex_lock(&gvtsim_count_lock);
	if (gvtsim_nr_vgpus >= max_vgpus) {
		mutex_unlock(&gvtsim_count_lock);
		return -ENOSPC;
	}
	gvtsim_nr_vgpus++;
	mutex_unlock(&gvtsim_count_lock);

	vgpu = vfio_alloc_device(gvtsim_vgpu, vdev, &mdev->dev, &gvtsim_dev_ops);
	if (IS_ERR(vgpu)) {
		ret = PTR_ERR(vgpu);
		goto err_uncount;
	}

	/* From here the release op gives the slot back. */
	ret = vfio_register_emulated_iommu_dev(&vgpu->vdev);
	if (ret)
		goto err_put_vdev;
	dev_set_drvdata(&mdev->dev, vgpu);
	return 0;

err_put_vdev:
	vfio_put_device(&vgpu->vdev);
	return ret;
err_uncount:
	mutex_lock(&gvtsim_count_lock);
	gvtsim_nr_vgpus--;
	mutex_unlock(&gvtsim_count_lock);
	return ret;
}

static void gvtsim_remove(struct mdev_device *mdev)
{
	struct gvtsim_vgpu *vgpu = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&vgpu->vdev);
	vfio_put_device(&vgpu->vdev);
}

static unsigned int gvtsim_get_available(struct mdev_type *mtype)
{
	unsigned int avail;

	mutex_lock(&gvtsim_count_lock);
	avail = gvtsim_nr_vgpus < max_vgpus ? max_vgpus - gvtsim_nr_vgpus : 0;
	mutex_unlock(&gvtsim_count_lock);
	return avail;
}

/* i915 GVT-g's description lines. */
static ssize_t gvtsim_show_description(struct mdev_type *mtype, char *buf)
{
	const struct gvtsim_type *t = container_of(mtype, struct gvtsim_type, type);

	return sysfs_emit(buf,
			  "low_gm_size: %lluMB\nhigh_gm_size: 0MB\nfence: 4\n"
			  "resolution: %ux%u\nweight: %u\n",
			  t->gm_size >> 20, t->max_width, t->max_height,
			  t->weight);
}

static struct mdev_driver gvtsim_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "gvtsim",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = gvtsim_probe,
	.remove = gvtsim_remove,
	.get_available = gvtsim_get_available,
	.show_description = gvtsim_show_description,
};

static void gvtsim_parent_release(struct device *dev)
{
	/* Static device: nothing to free. */
}

static int __init gvtsim_init(void)
{
	int ret;

	gvtsim_opregion_init();

	ret = mdev_register_driver(&gvtsim_driver);
	if (ret)
		return ret;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	gvtsim_class = class_create(GVTSIM_NAME);
#else
	gvtsim_class = class_create(THIS_MODULE, GVTSIM_NAME);
#endif
	if (IS_ERR(gvtsim_class)) {
		ret = PTR_ERR(gvtsim_class);
		goto err_unregister_driver;
	}

	gvtsim_parent_dev.class = gvtsim_class;
	gvtsim_parent_dev.release = gvtsim_parent_release;
	dev_set_name(&gvtsim_parent_dev, GVTSIM_NAME);
	ret = device_register(&gvtsim_parent_dev);
	if (ret)
		goto err_put_device;

	ret = mdev_register_parent(&gvtsim_parent, &gvtsim_parent_dev,
				   &gvtsim_driver, gvtsim_mdev_types,
				   ARRAY_SIZE(gvtsim_mdev_types));
	if (ret)
		goto err_unregister_device;
	return 0;

err_unregister_device:
	device_unregister(&gvtsim_parent_dev);
	goto err_destroy_class;
err_put_device:
	put_device(&gvtsim_parent_dev);
err_destroy_class:
	class_destroy(gvtsim_class);
err_unregister_driver:
	mdev_unregister_driver(&gvtsim_driver);
	return ret;
}

static void __exit gvtsim_exit(void)
{
	mdev_unregister_parent(&gvtsim_parent);
	device_unregister(&gvtsim_parent_dev);
	class_destroy(gvtsim_class);
	mdev_unregister_driver(&gvtsim_driver);
}

module_init(gvtsim_init);
module_exit(gvtsim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gvtsim: virtual Intel GVT-g vGPU (mdev) with the VFIO display dma-buf uAPI");
MODULE_VERSION("0.1.0");
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
MODULE_IMPORT_NS("DMA_BUF");
#else
MODULE_IMPORT_NS(DMA_BUF);
#endif
