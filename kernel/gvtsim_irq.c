// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim: the vGPU's interrupts as VFIO sees them.
 *
 * INTx, MSI, MSI-X and ERR exist with no vectors; REQ is the device
 * request eventfd, as on vfio-pci (signalled while the kernel waits for
 * user space to release a vGPU being removed); the last index is
 * gvtsim's display refresh IRQ (gvtsim-uapi.h), whose eventfd and vblank
 * coalescing live in gvtsim_regs.c.  GET_IRQ_INFO and SET_IRQS here.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "gvtsim.h"

int gvtsim_ioctl_get_irq_info(void __user *arg)
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
int gvtsim_req_set_trigger(struct gvtsim_vgpu *vgpu, int fd)
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

int gvtsim_ioctl_set_irqs(struct gvtsim_vgpu *vgpu, void __user *arg)
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

/*
 * vfio_unregister_group_dev() (mdev remove, module unload) calls this, then
 * every 10 s, while user space still holds the device: relay the request
 * to the REQ eventfd so a VMM can unplug and close, as vfio-pci does.
 * Without it removal just waits for the last fd to close.
 */
void gvtsim_request(struct vfio_device *vdev, unsigned int count)
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
