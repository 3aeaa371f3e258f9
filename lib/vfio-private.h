/* SPDX-License-Identifier: MIT */
/*
 * Private to vfio.c and discover.c (and their unit tests): UUID syntax and
 * the mapping from a failed VFIO step and its errno to the library's errno
 * and a sentence saying what to do.
 */
#ifndef GVTDMABUF_VFIO_PRIVATE_H
#define GVTDMABUF_VFIO_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "gvt-dmabuf/gvt-dmabuf.h"

/* The steps of opening an mdev, each a syscall that can fail. */
enum gvtdmabuf_vfio_step {
	GVTDMABUF_VFIO_OPEN_CONTAINER,	/* open(DEV/vfio/vfio) */
	GVTDMABUF_VFIO_API_VERSION,	/* VFIO_GET_API_VERSION, CHECK_EXTENSION */
	GVTDMABUF_VFIO_OPEN_GROUP,	/* open(DEV/vfio/N) */
	GVTDMABUF_VFIO_GROUP_STATUS,	/* VFIO_GROUP_GET_STATUS */
	GVTDMABUF_VFIO_SET_CONTAINER,	/* VFIO_GROUP_SET_CONTAINER */
	GVTDMABUF_VFIO_SET_IOMMU,	/* VFIO_SET_IOMMU */
	GVTDMABUF_VFIO_GET_DEVICE,	/* VFIO_GROUP_GET_DEVICE_FD */
	GVTDMABUF_VFIO_OPEN_CDEV,	/* open(DEV/vfio/devices/vfioN) */
	GVTDMABUF_VFIO_OPEN_IOMMUFD,	/* open(DEV/iommu) */
	GVTDMABUF_VFIO_BIND,		/* VFIO_DEVICE_BIND_IOMMUFD */
	GVTDMABUF_VFIO_IOAS_ALLOC,	/* IOMMU_IOAS_ALLOC */
	GVTDMABUF_VFIO_ATTACH,		/* VFIO_DEVICE_ATTACH_IOMMUFD_PT */
	GVTDMABUF_VFIO_PROBE,		/* VFIO_DEVICE_QUERY_GFX_PLANE probe */
	GVTDMABUF_VFIO_N_STEPS,
};

/*
 * Explain why @p step failed with errno @p err (positive) on the node
 * @p path while opening vGPU @p uuid: writes a sentence naming the file and
 * the fix into errbuf and returns the negative errno the library reports
 * (-EACCES, -EBUSY, -ENODEV, -ENOTTY, or -err).  Pure: no syscalls.
 */
int gvtdmabuf_vfio_explain(enum gvtdmabuf_vfio_step step, int err,
			   const char *path, const char *uuid,
			   char *errbuf, size_t errbuf_size);

/* Name of the syscall or ioctl behind a step ("VFIO_GET_API_VERSION"). */
const char *gvtdmabuf_vfio_step_name(enum gvtdmabuf_vfio_step step);

/*
 * Whether a VFIO_DEVICE_GET_IRQ_INFO answer (@p size bytes at @p buf, a
 * struct gvtsim_irq_info and its capability chain) describes gvtsim's
 * display-refresh IRQ.  Never reads outside the buffer, stops on loops.
 */
bool gvtdmabuf_vfio_irq_info_is_display(const void *buf, size_t size);

/*
 * Whether @p s is a textual UUID (8-4-4-4-12 hex digits).  If @p ret_lower
 * is not NULL it receives the lower-case form the kernel uses in sysfs.
 */
bool gvtdmabuf_uuid_parse(const char *s, char ret_lower[GVTDMABUF_UUID_LEN + 1]);

#endif /* GVTDMABUF_VFIO_PRIVATE_H */
