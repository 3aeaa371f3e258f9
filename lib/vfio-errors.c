/* SPDX-License-Identifier: MIT */
/*
 * The VFIO open path's error texts: for each step of opening an mdev and
 * its errno, the errno the library reports and a sentence saying what to
 * do (see vfio-private.h).  Pure: no syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "vfio-private.h"

static const char *const step_names[GVTDMABUF_VFIO_N_STEPS] = {
	[GVTDMABUF_VFIO_OPEN_CONTAINER] = "open",
	[GVTDMABUF_VFIO_API_VERSION] = "VFIO_GET_API_VERSION",
	[GVTDMABUF_VFIO_OPEN_GROUP] = "open",
	[GVTDMABUF_VFIO_GROUP_STATUS] = "VFIO_GROUP_GET_STATUS",
	[GVTDMABUF_VFIO_SET_CONTAINER] = "VFIO_GROUP_SET_CONTAINER",
	[GVTDMABUF_VFIO_SET_IOMMU] = "VFIO_SET_IOMMU",
	[GVTDMABUF_VFIO_GET_DEVICE] = "VFIO_GROUP_GET_DEVICE_FD",
	[GVTDMABUF_VFIO_OPEN_CDEV] = "open",
	[GVTDMABUF_VFIO_OPEN_IOMMUFD] = "open",
	[GVTDMABUF_VFIO_BIND] = "VFIO_DEVICE_BIND_IOMMUFD",
	[GVTDMABUF_VFIO_IOAS_ALLOC] = "IOMMU_IOAS_ALLOC",
	[GVTDMABUF_VFIO_ATTACH] = "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
	[GVTDMABUF_VFIO_PROBE] = "VFIO_DEVICE_QUERY_GFX_PLANE",
};

const char *
gvtdmabuf_vfio_step_name(enum gvtdmabuf_vfio_step step)
{
	if ((unsigned int)step >= GVTDMABUF_VFIO_N_STEPS)
		return "?";
	return step_names[step];
}

static bool
step_is_open(enum gvtdmabuf_vfio_step step)
{
	return step == GVTDMABUF_VFIO_OPEN_CONTAINER ||
	       step == GVTDMABUF_VFIO_OPEN_GROUP ||
	       step == GVTDMABUF_VFIO_OPEN_CDEV ||
	       step == GVTDMABUF_VFIO_OPEN_IOMMUFD;
}

int
gvtdmabuf_vfio_explain(enum gvtdmabuf_vfio_step step, int err,
		       const char *path, const char *uuid,
		       char *errbuf, size_t errbuf_size)
{
	const char *op = gvtdmabuf_vfio_step_name(step);
	char ebuf[128];
	const char *es;
	int r;

	if (!path)
		path = "?";
	if (!uuid)
		uuid = "?";
	if (err <= 0)
		err = EIO;
	es = strerror_r(err, ebuf, sizeof(ebuf));

	if (step == GVTDMABUF_VFIO_PROBE && (err == EINVAL || err == ENOTTY)) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"vGPU %s (%s) is not a display device (it does not export its framebuffer as dma-buf; is it a GVT-g vGPU with display=on?)",
			uuid, path);
		r = -ENOTTY;
		goto out;
	}

	switch (err) {
	case EACCES:
	case EPERM:
		if (step_is_open(step))
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"cannot open %s: %s (is the user in group kvm, or does a udev rule give access to %s?)",
				path, es, path);
		else
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s on %s for vGPU %s: %s (is the user in group kvm, and is its locked-memory limit large enough?)",
				op, path, uuid, es);
		r = -EACCES;
		goto out;
	case EBUSY:
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"vGPU %s (%s) is in use by another process (QEMU?); a vGPU can be opened by one process at a time",
			uuid, path);
		r = -EBUSY;
		goto out;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		r = -ENODEV;
		switch (step) {
		case GVTDMABUF_VFIO_OPEN_CONTAINER:
			if (err == ENOENT)
				gvtdmabuf_set_error(errbuf, errbuf_size,
					"the kernel has no VFIO (no %s: modprobe vfio_iommu_type1 / vfio-mdev?)",
					path);
			else
				gvtdmabuf_set_error(errbuf, errbuf_size,
					"the kernel has no VFIO (cannot open %s: %s; modprobe vfio_iommu_type1 / vfio-mdev?)",
					path, es);
			goto out;
		case GVTDMABUF_VFIO_OPEN_GROUP:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"no VFIO group node %s for vGPU %s (%s; is the vfio module loaded and does udev populate /dev/vfio?)",
				path, uuid, es);
			goto out;
		case GVTDMABUF_VFIO_OPEN_CDEV:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"no VFIO device node %s for vGPU %s (%s; does udev populate /dev/vfio/devices?)",
				path, uuid, es);
			goto out;
		case GVTDMABUF_VFIO_OPEN_IOMMUFD:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"the kernel has no IOMMUFD (cannot open %s: %s; modprobe iommufd)",
				path, es);
			goto out;
		case GVTDMABUF_VFIO_GET_DEVICE:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"VFIO group %s has no device %s (%s: %s; was the vGPU removed?)",
				path, uuid, op, es);
			r = -ENOENT;
			goto out;
		default:
			break;
		}
		break;
	case ENOTTY:
	case EINVAL:
		r = -ENODEV;
		switch (step) {
		case GVTDMABUF_VFIO_API_VERSION:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s is not a VFIO container (%s: %s); it must be the character device of the vfio module",
				path, op, es);
			goto out;
		case GVTDMABUF_VFIO_GROUP_STATUS:
		case GVTDMABUF_VFIO_SET_CONTAINER:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s is not a VFIO group (%s: %s); it must be the group node the vfio module creates",
				path, op, es);
			goto out;
		case GVTDMABUF_VFIO_SET_IOMMU:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"the VFIO container %s refused the Type1v2 IOMMU for vGPU %s (%s: %s; modprobe vfio_iommu_type1)",
				path, uuid, op, es);
			goto out;
		case GVTDMABUF_VFIO_BIND:
		case GVTDMABUF_VFIO_ATTACH:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s cannot be bound to iommufd (%s: %s); the kernel's VFIO cdev does not support this device",
				path, op, es);
			goto out;
		case GVTDMABUF_VFIO_IOAS_ALLOC:
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s is not an iommufd (%s: %s)",
				path, op, es);
			goto out;
		default:
			break;
		}
		break;
	default:
		break;
	}

	if (step_is_open(step))
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"cannot open %s for vGPU %s: %s", path, uuid, es);
	else
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s on %s for vGPU %s failed: %s", op, path, uuid, es);
	/* -ENOTTY is reserved for "not a display device". */
	r = err == ENOTTY ? -ENODEV : -err;
out:
	return r;
}
