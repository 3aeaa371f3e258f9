/* SPDX-License-Identifier: MIT */
/*
 * The VFIO backend's interrupts: gvtsim's display-refresh IRQ (found by
 * its capability) and the PCI device request, each handed out as an
 * eventfd attached once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-compat.h"
#include "vfio-private.h"
#include "vfio-backend.h"

/* Longest capability chain we follow before deciding it is corrupt. */
#define MAX_IRQ_CAPS 16
/* Largest IRQ info answer we accept (header plus capability chain). */
#define MAX_IRQ_INFO_SIZE 4096

bool
gvtdmabuf_vfio_irq_info_is_display(const void *buf, size_t size)
{
	const struct gvtsim_irq_info *info = buf;
	size_t valid;
	uint32_t off;
	bool found = false;
	int n;

	if (!buf || size < sizeof(*info))
		goto out;
	if (!(info->flags & VFIO_IRQ_INFO_EVENTFD) ||
	    !(info->flags & GVTSIM_IRQ_INFO_FLAG_CAPS))
		goto out;
	/* argsz says how much the kernel filled (or wanted to fill). */
	valid = info->argsz < size ? info->argsz : size;
	off = info->cap_offset;
	for (n = 0; off && n < MAX_IRQ_CAPS; n++) {
		struct gvtsim_irq_info_cap_type cap;

		if (off < sizeof(*info) || off > valid ||
		    valid - off < sizeof(cap))
			break;
		memcpy(&cap, (const char *)buf + off, sizeof(cap));
		if (cap.id == GVTSIM_IRQ_INFO_CAP_TYPE &&
		    cap.type == GVTSIM_IRQ_TYPE_GFX &&
		    cap.subtype == GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ) {
			found = true;
			break;
		}
		off = cap.next;
	}
out:
	return found;
}

/* Whether IRQ @p index carries gvtsim's display-refresh capability. */
static bool
irq_is_display(int device_fd, uint32_t index)
{
	struct gvtsim_irq_info *info;
	size_t size = 256;
	bool found = false;
	int tries;

	info = calloc(1, size);
	if (!info)
		goto out;
	for (tries = 0; tries < 2; tries++) {
		memset(info, 0, size);
		info->argsz = (uint32_t)size;
		info->index = index;
		if (xioctl(device_fd, VFIO_DEVICE_GET_IRQ_INFO, info) < 0)
			goto out;
		if (info->argsz <= size)
			break;
		/* The chain did not fit: the kernel says how much it needs. */
		if (info->argsz > MAX_IRQ_INFO_SIZE)
			goto out;
		size = info->argsz;
		free(info);
		info = calloc(1, size);
		if (!info)
			goto out;
	}
	if (info->argsz <= size)
		found = gvtdmabuf_vfio_irq_info_is_display(info, size);
out:
	free(info);
	return found;
}

int
set_irq_eventfd(int device_fd, uint32_t index, int32_t efd)
{
	union {
		struct vfio_irq_set set;
		uint8_t bytes[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} u;

	memset(&u, 0, sizeof(u));
	u.set.argsz = sizeof(u.bytes);
	u.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	u.set.index = index;
	u.set.start = 0;
	u.set.count = 1;
	memcpy(u.bytes + sizeof(struct vfio_irq_set), &efd, sizeof(efd));
	return xioctl(device_fd, VFIO_DEVICE_SET_IRQS, &u) < 0 ? -errno : 0;
}

/* A new non-blocking eventfd attached to IRQ @index: the fd, or -errno.
 * A driver that announced the IRQ but refuses it (-EINVAL, -ENOTTY) is
 * taken as not having it (-ENOTSUP), so callers can remember that instead
 * of failing the same way on every call. */
static int
irq_eventfd_attach(int device_fd, uint32_t index)
{
	int efd, r;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	r = set_irq_eventfd(device_fd, index, efd);
	if (r < 0) {
		close(efd);
		return r == -EINVAL || r == -ENOTTY ? -ENOTSUP : r;
	}
	return efd;
}

int
vfio_get_event_fd(struct gvtdmabuf_backend *b)
{
	struct vfio_backend *vb = to_vfio(b);
	struct vfio_device_info dinfo;
	uint32_t index;
	int r;

	if (vb->event_fd >= 0) {
		r = vb->event_fd;
		goto out;
	}
	if (vb->event_err) {
		r = vb->event_err;
		goto out;
	}

	memset(&dinfo, 0, sizeof(dinfo));
	dinfo.argsz = sizeof(dinfo);
	r = -ENOTSUP;
	if (xioctl(vb->device_fd, VFIO_DEVICE_GET_INFO, &dinfo) < 0 ||
	    dinfo.num_irqs <= VFIO_PCI_NUM_IRQS) {
		vb->event_err = r;
		goto out;
	}
	for (index = VFIO_PCI_NUM_IRQS; index < dinfo.num_irqs; index++)
		if (irq_is_display(vb->device_fd, index))
			break;
	if (index == dinfo.num_irqs) {
		vb->event_err = r;
		goto out;
	}

	r = irq_eventfd_attach(vb->device_fd, index);
	if (r == -ENOTSUP)
		vb->event_err = r;
	if (r >= 0) {
		vb->event_fd = r;
		vb->event_index = index;
	}
out:
	return r;
}

/* VFIO's device request (VFIO_PCI_REQ_IRQ_INDEX), signalled while the
 * kernel waits for user space to release a device being removed: vfio-pci
 * and gvtsim have it, i915's kvmgt reports no vector. */
int
vfio_get_request_fd(struct gvtdmabuf_backend *b)
{
	struct vfio_backend *vb = to_vfio(b);
	struct vfio_device_info dinfo;
	struct vfio_irq_info info;
	int r;

	if (vb->request_fd >= 0) {
		r = vb->request_fd;
		goto out;
	}
	if (vb->request_err) {
		r = vb->request_err;
		goto out;
	}

	r = -ENOTSUP;
	memset(&dinfo, 0, sizeof(dinfo));
	dinfo.argsz = sizeof(dinfo);
	/* The index means "request" on PCI devices only. */
	if (xioctl(vb->device_fd, VFIO_DEVICE_GET_INFO, &dinfo) < 0 ||
	    !(dinfo.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    dinfo.num_irqs <= VFIO_PCI_REQ_IRQ_INDEX) {
		vb->request_err = r;
		goto out;
	}
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.index = VFIO_PCI_REQ_IRQ_INDEX;
	if (xioctl(vb->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0 ||
	    !(info.flags & VFIO_IRQ_INFO_EVENTFD) || info.count < 1) {
		vb->request_err = r;
		goto out;
	}

	r = irq_eventfd_attach(vb->device_fd, VFIO_PCI_REQ_IRQ_INDEX);
	if (r == -ENOTSUP)
		vb->request_err = r;
	if (r >= 0)
		vb->request_fd = r;
out:
	return r;
}
