/* SPDX-License-Identifier: MIT */
/*
 * Private to vfio.c (opening) and vfio-irq.c (display and request IRQs):
 * the VFIO backend's state and the ioctl wrapper both use.
 */
#ifndef GVTDMABUF_VFIO_BACKEND_H
#define GVTDMABUF_VFIO_BACKEND_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "backend.h"

struct vfio_backend {
	struct gvtdmabuf_backend base;
	int container_fd;	/* group path */
	int group_fd;		/* group path */
	int iommufd;		/* cdev path */
	int device_fd;
	int event_fd;		/* -1 until attached */
	uint32_t event_index;	/* IRQ index event_fd is attached to */
	int event_err;		/* cached -ENOTSUP, 0 while unknown */
	int request_fd;		/* device request eventfd, -1 until attached */
	int request_err;	/* cached -ENOTSUP, 0 while unknown */
};

static inline struct vfio_backend *
to_vfio(struct gvtdmabuf_backend *b)
{
	return (struct vfio_backend *)b;
}

static inline int
xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

int set_irq_eventfd(int device_fd, uint32_t index, int32_t efd);
int vfio_get_event_fd(struct gvtdmabuf_backend *b);
int vfio_get_request_fd(struct gvtdmabuf_backend *b);

#endif /* GVTDMABUF_VFIO_BACKEND_H */
