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
 * This file is the glue: module parameters, module and mdev registration,
 * the vfio_device ops and the ioctl switch.  PCI config space is in
 * gvtsim_cfg.c, IRQ info and SET_IRQS in gvtsim_irq.c.
 */
#include <linux/device.h>
#include <linux/module.h>
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

/*
 * i915 GVT-g's behaviour is the default; these turn on what a test or a
 * CPU importer needs (kernel/README.md).  All are read at the time of use,
 * so they may change at run time.
 */
bool gvtsim_param_dmabuf_mmap;
module_param_named(dmabuf_mmap, gvtsim_param_dmabuf_mmap, bool, 0644);
MODULE_PARM_DESC(dmabuf_mmap, "Let the CPU mmap and vmap exported dma-bufs (i915 refuses: -ENODEV; default 0)");

bool gvtsim_param_monotonic_ids;
module_param_named(monotonic_ids, gvtsim_param_monotonic_ids, bool, 0644);
MODULE_PARM_DESC(monotonic_ids, "Hand out ever-growing dmabuf ids instead of i915's lowest free id (default 0)");

static bool disabled_plane_enodev;
module_param(disabled_plane_enodev, bool, 0644);
MODULE_PARM_DESC(disabled_plane_enodev, "Answer a query of a disabled plane or idle pipe with -ENODEV instead of i915's 0 with the argument untouched (default 0)");

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
		ret = gvtsim_cfg_rw(vgpu, buf, count, pos, is_write);
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

/*
 * As i915's intel_vgpu_ioctl() + intel_vgpu_query_plane(): copy in up to
 * dmabuf_id, check argsz, then flags; PROBE|DMABUF answers 0 with nothing
 * changed; a disabled plane or idle pipe answers 0 and copies the caller's
 * struct back unchanged (disabled_plane_enodev=1: -ENODEV).
 */
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
	if (!plane.enabled && READ_ONCE(disabled_plane_enodev))
		return -ENODEV;

	gvtsim_plane_info_fill(&plane, dmabuf_id, &info);
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
		gvtsim_cfg_init(vgpu);
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
	gvtsim_cfg_init(vgpu);
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
