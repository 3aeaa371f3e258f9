/* SPDX-License-Identifier: MIT */
/*
 * Private: the interface between the device core (cache, plane decoding,
 * public API; device.c) and the backends that answer the VFIO display
 * ioctls (vfio.c for real mdevs, sim.c for the user-space vGPU).
 */
#ifndef GVTDMABUF_BACKEND_H
#define GVTDMABUF_BACKEND_H

#include <linux/vfio.h>

#include "gvt-dmabuf/gvt-dmabuf.h"

#define GVTDMABUF_EXPORT __attribute__((visibility("default")))

struct gvtdmabuf_backend;

struct gvtdmabuf_backend_ops {
	const char *name;	/* "vfio-group", "vfio-cdev", "sim" */
	/* Exactly VFIO_DEVICE_QUERY_GFX_PLANE: fills *info (argsz, flags and
	 * drm_plane_type set by the caller); returns 0 or -errno. */
	int (*query_plane)(struct gvtdmabuf_backend *b,
			   struct vfio_device_gfx_plane_info *info);
	/* Exactly VFIO_DEVICE_GET_GFX_DMABUF: a new fd or -errno.  *is_dmabuf
	 * tells whether the fd is a real dma-buf (false: a memfd), *offset
	 * where the surface starts in it (0 for a dma-buf; the surface's
	 * graphics memory offset for the sim's whole-memory memfd). */
	int (*get_dmabuf)(struct gvtdmabuf_backend *b, uint32_t dmabuf_id,
			  bool *is_dmabuf, uint32_t *offset);
	/* The refresh eventfd, or -ENOTSUP.  Owned by the backend. */
	int (*get_event_fd)(struct gvtdmabuf_backend *b);
	/* The VFIO device fd, or -ENOTSUP. */
	int (*get_fd)(struct gvtdmabuf_backend *b);
	/* The eventfd the kernel signals when it wants the device back
	 * (VFIO's device request: the vGPU is being removed), or -ENOTSUP.
	 * Owned by the backend.  Optional, like get_event_fd and get_fd:
	 * NULL reads as -ENOTSUP. */
	int (*get_request_fd)(struct gvtdmabuf_backend *b);
	void (*destroy)(struct gvtdmabuf_backend *b);
	/* Optional (NULL reads as -ENOTSUP); only QEMU's D-Bus display has
	 * them.  Same contracts as the public gvtdmabuf_device_* calls. */
	int (*get_damage)(struct gvtdmabuf_backend *b, struct gvtdmabuf_rect *rects,
			  size_t max, size_t *ret_n);
	int (*send_key)(struct gvtdmabuf_backend *b, uint32_t code, bool pressed);
	int (*send_pointer)(struct gvtdmabuf_backend *b, bool absolute,
			    int32_t x, int32_t y);
	int (*send_button)(struct gvtdmabuf_backend *b, uint32_t button, bool pressed);
	int (*send_wheel)(struct gvtdmabuf_backend *b, int32_t steps);
	int (*request_resolution)(struct gvtdmabuf_backend *b, uint32_t width,
				  uint32_t height);
};

struct gvtdmabuf_backend {
	const struct gvtdmabuf_backend_ops *ops;
};

struct gvtdmabuf_context;

/* Paths of a context (NULL ctx = defaults). */
const char *gvtdmabuf_context_sysfs_root(const struct gvtdmabuf_context *ctx);
const char *gvtdmabuf_context_dev_root(const struct gvtdmabuf_context *ctx);

/* vfio.c: open an mdev by UUID.  On failure writes a message to errbuf. */
int gvtdmabuf_vfio_open(struct gvtdmabuf_context *ctx, const char *uuid,
			struct gvtdmabuf_backend **ret_backend,
			char *errbuf, size_t errbuf_size);

/* sim.c: open "sim" / "sim:OPTIONS".  On failure writes a message. */
int gvtdmabuf_sim_open(const char *spec, struct gvtdmabuf_backend **ret_backend,
		       char *errbuf, size_t errbuf_size);
bool gvtdmabuf_backend_is_sim(const struct gvtdmabuf_backend *b);
int gvtdmabuf_sim_backend_set_frame(struct gvtdmabuf_backend *b, uint64_t frame);
int gvtdmabuf_sim_backend_get_frame(struct gvtdmabuf_backend *b, uint64_t *ret_frame);
int gvtdmabuf_sim_backend_set_mode(struct gvtdmabuf_backend *b, uint32_t width,
				   uint32_t height);
int gvtdmabuf_sim_backend_set_display(struct gvtdmabuf_backend *b, bool on);
int gvtdmabuf_sim_backend_request_removal(struct gvtdmabuf_backend *b);

/* qemu-dbus.c: open "qemu" / "qemu:OPTIONS" (QEMU's D-Bus display); without
 * GIO (qemu-dbus-none.c) it says so.  On failure writes a message. */
int gvtdmabuf_qemu_open(const char *spec, struct gvtdmabuf_backend **ret_backend,
			char *errbuf, size_t errbuf_size);

/* device.c: wrap a backend into a device (takes ownership of it, also on
 * failure).  Used by device_open and by unit tests with fake backends. */
int gvtdmabuf_device_new(struct gvtdmabuf_backend *backend, const char *name,
			 struct gvtdmabuf_device **ret_device);

/* errbuf helper: printf into errbuf if it is not NULL. */
void gvtdmabuf_set_error(char *errbuf, size_t errbuf_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* GVTDMABUF_BACKEND_H */
