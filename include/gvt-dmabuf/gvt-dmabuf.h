/* SPDX-License-Identifier: MIT */
/*
 * libgvtdmabuf: the framebuffer of an Intel GVT-g vGPU (or of gvtsim, or of
 * the built-in "sim" vGPU) as dma-bufs.
 *
 * Conventions: every function that can fail returns 0 (or a non-negative
 * value) on success and a negative errno on failure; out-parameters are named
 * ret_* and are left untouched on failure; the library never logs.  Objects
 * the library allocates have _create()/_destroy() (or _open()/_close()),
 * destroy functions accept NULL.
 *
 * Threads: the library keeps no global state.  A context or a device may
 * be used from any thread, but from one thread at a time (callers such as
 * a GStreamer element serialise with their own lock).  Duplicated dma-bufs
 * are plain fds and belong to whoever holds them.
 */
#ifndef GVT_DMABUF_H
#define GVT_DMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Length of a textual UUID, without the terminating NUL. */
#define GVTDMABUF_UUID_LEN 36

/** Size of the error text buffer that is always large enough. */
#define GVTDMABUF_ERROR_MAX 512

/** The most memory planes a dma-buf description carries. */
#define GVTDMABUF_MAX_PLANES 4

/**
 * Where the library looks for mdev devices and VFIO nodes.  Tests point it
 * at fake trees; everyone else passes NULL wherever a context is taken.
 */
struct gvtdmabuf_context;

/** An open vGPU (a VFIO mdev device or a simulated one). */
struct gvtdmabuf_device;

/** The display planes a vGPU exposes. */
enum gvtdmabuf_plane {
	GVTDMABUF_PLANE_PRIMARY = 0,	/**< DRM_PLANE_TYPE_PRIMARY */
	GVTDMABUF_PLANE_CURSOR = 1,	/**< DRM_PLANE_TYPE_CURSOR */
	GVTDMABUF_PLANE_SPRITE = 2,	/**< gvtsim extension, see gvtsim-uapi.h */
};

/** Number of values in enum gvtdmabuf_plane. */
#define GVTDMABUF_N_PLANES 3

/**
 * One mediated device found in sysfs.
 */
struct gvtdmabuf_mdev_info {
	char uuid[GVTDMABUF_UUID_LEN + 1];	/**< mdev UUID */
	char parent[64];	/**< parent device name (PCI address or "gvtsim") */
	char type_id[64];	/**< mdev type directory name, e.g. i915-GVTg_V5_4 */
	char type_name[64];	/**< the type's "name" attribute, may be empty */
	int iommu_group;	/**< VFIO group number, -1 if none */
	/**
	 * 1: answers VFIO_DEVICE_QUERY_GFX_PLANE with PROBE|DMABUF;
	 * 0: does not (not a display device);
	 * negative errno: could not be asked (busy, permission denied...).
	 */
	int display;
};

/**
 * A plane's state as reported by VFIO_DEVICE_QUERY_GFX_PLANE, decoded.
 * A disabled plane has enabled == false and every other field zero.
 */
struct gvtdmabuf_plane_info {
	enum gvtdmabuf_plane plane;
	bool enabled;
	uint32_t fourcc;	/**< DRM_FORMAT_* */
	uint64_t modifier;	/**< DRM_FORMAT_MOD_* / I915_FORMAT_MOD_* */
	uint32_t width;
	uint32_t height;
	uint32_t stride;	/**< bytes per row (per tile row for tiled) */
	uint32_t size;		/**< bytes: stride x whole tile rows, as the kernel
				 * reports it (i915 does not round it to pages;
				 * the dma-buf itself is whole pages) */
	int32_t x;		/**< plane position (cursor may be negative) */
	int32_t y;
	bool hotspot_known;	/**< false when the kernel says 0xFFFFFFFF (i915:
				 * the guest's PV hotspot lies outside the
				 * cursor); a guest that reports none reads (0, 0) */
	uint32_t x_hot;
	uint32_t y_hot;
	/**
	 * Names the surface (address, size, modifier, format, width,
	 * height) for as long as a dma-buf of it is open, yours or the
	 * device cache's: keying imports on it is safe while you hold a
	 * gvtdmabuf_dmabuf_dup() of the buffer.  Once every fd of an id is
	 * closed, i915 may hand the same id to another surface (it reuses
	 * the lowest free id), so forget an id together with its last fd.
	 */
	uint32_t dmabuf_id;
};

/**
 * A dma-buf as plain data (wlroots' wlr_dmabuf_attributes).  Produced by
 * gvtdmabuf_device_get_dmabuf() (borrowed: the cache owns the fds) or by
 * gvtdmabuf_dmabuf_dup() (owned: release with gvtdmabuf_dmabuf_finish()).
 */
struct gvtdmabuf_dmabuf {
	uint32_t width;
	uint32_t height;
	uint32_t fourcc;
	uint64_t modifier;
	uint32_t size;		/**< total bytes behind fd[0] */
	uint32_t dmabuf_id;
	int n_planes;
	uint32_t offset[GVTDMABUF_MAX_PLANES];
	uint32_t stride[GVTDMABUF_MAX_PLANES];
	int fd[GVTDMABUF_MAX_PLANES];
	/** true when fd[0] is a real dma-buf, false for a memfd (sim backend
	 * on a kernel without /dev/udmabuf): mmap works for both, importers
	 * that need a dma-buf must fall back to system memory. */
	bool is_dmabuf;
};

/**
 * Format description: one row of the library's table.
 */
struct gvtdmabuf_format_info {
	uint32_t fourcc;	/**< DRM_FORMAT_* */
	const char *name;	/**< printable, e.g. "XRGB8888" */
	const char *gst_format;	/**< GstVideoFormat name, e.g. "BGRx", or NULL */
	uint32_t spa_format;	/**< enum spa_video_format, 0 if none */
	uint32_t va_fourcc;	/**< VA_FOURCC_*, 0 if none */
	uint32_t cpp;		/**< bytes per pixel (2 for packed YUV 4:2:2) */
	bool has_alpha;
};

/* ---- context ---------------------------------------------------------- */

/**
 * Create a context.  Only needed to redirect sysfs and /dev (tests) or to
 * change defaults; every function taking a context accepts NULL.
 *
 * @param ret_ctx receives the context
 * @return 0 or -ENOMEM
 */
int gvtdmabuf_context_create(struct gvtdmabuf_context **ret_ctx);

/** Destroy a context.  NULL is accepted.  Open devices must be closed first. */
void gvtdmabuf_context_destroy(struct gvtdmabuf_context *ctx);

/**
 * Use @p path instead of "/sys" (the tree below holds bus/mdev/devices,
 * kernel/iommu_groups, class/vfio-dev...).
 * @return 0 or -ENOMEM, -EINVAL for NULL or a relative path
 */
int gvtdmabuf_context_set_sysfs_root(struct gvtdmabuf_context *ctx, const char *path);

/**
 * Use @p path instead of "/dev" (for /dev/vfio/...).
 * @return 0 or -ENOMEM, -EINVAL for NULL or a relative path
 */
int gvtdmabuf_context_set_dev_root(struct gvtdmabuf_context *ctx, const char *path);

/* ---- discovery -------------------------------------------------------- */

/**
 * List mediated devices.
 *
 * @param ctx context or NULL
 * @param probe if true, open each device and ask whether it exports planes
 *              as dma-bufs (fills display); if false display is 0
 * @param ret_list receives a malloc()ed array, free() it
 * @param ret_n receives the number of entries
 * @return 0 (also with zero devices, or without mdev support in the kernel:
 *         ret_n is then 0) or a negative errno
 */
int gvtdmabuf_list_mdevs(struct gvtdmabuf_context *ctx, bool probe,
			 struct gvtdmabuf_mdev_info **ret_list, size_t *ret_n);

/* ---- device ----------------------------------------------------------- */

/**
 * Open a vGPU.
 *
 * @param ctx context or NULL
 * @param name an mdev UUID, or "sim" / "sim:OPTIONS" for the built-in
 *             simulated vGPU (see gvtdmabuf_sim_spec_help())
 * @param ret_device receives the device
 * @param errbuf if not NULL, receives a sentence saying what failed, on
 *               what, and what to do (GVTDMABUF_ERROR_MAX is always enough)
 * @param errbuf_size size of errbuf
 * @return 0 or a negative errno:
 *   -ENOENT no such vGPU; -EACCES permission denied on a VFIO node;
 *   -EBUSY another process (QEMU?) holds the vGPU;
 *   -ENOTTY it is not a display device (no dma-buf plane export);
 *   -ENODEV the kernel has no VFIO (or no mdev);
 *   -EINVAL a malformed name or sim spec.
 */
int gvtdmabuf_device_open(struct gvtdmabuf_context *ctx, const char *name,
			  struct gvtdmabuf_device **ret_device,
			  char *errbuf, size_t errbuf_size);

/** Close a device.  NULL is accepted.  Borrowed dma-bufs become invalid;
 * duplicated ones (gvtdmabuf_dmabuf_dup()) stay valid. */
void gvtdmabuf_device_close(struct gvtdmabuf_device *dev);

/** The name the device was opened with (UUID or sim spec). */
const char *gvtdmabuf_device_get_name(const struct gvtdmabuf_device *dev);

/**
 * How the device was opened: "vfio-group", "vfio-cdev" (iommufd) or "sim".
 */
const char *gvtdmabuf_device_get_backend(const struct gvtdmabuf_device *dev);

/**
 * The VFIO device fd (for region and IRQ queries), or -ENOTSUP for sim.
 * The fd stays owned by the device.
 */
int gvtdmabuf_device_get_fd(const struct gvtdmabuf_device *dev);

/**
 * Query one plane (VFIO_DEVICE_QUERY_GFX_PLANE with DMABUF).
 *
 * A plane that is off, or a pipe that is off (a guest that blanked its
 * screen, a hidden cursor), is not an error: the call returns 0 with
 * ret_info->enabled false.  Kernels say so in two ways, and both are read
 * as "disabled": upstream i915 answers 0 and leaves the caller's struct
 * as it was (the library passes it zeroed, so drm_format reads 0; mbochs
 * answers drm_format 0 as well); a kernel that lets i915's internal
 * -ENODEV through answers -ENODEV.  Since a vGPU that is being removed
 * fails with -ENODEV too, the library then checks the device once: it is
 * gone when the kernel has asked for it back (the device request eventfd,
 * gvtdmabuf_device_get_request_fd(), is signalled; it is polled, never
 * read) or when its fd no longer answers VFIO_DEVICE_GET_INFO.  Only then
 * does this return -ENODEV.
 *
 * @return 0 (also for a disabled plane: ret_info->enabled is false);
 *         -ENODEV: the device is gone (close it); -EINVAL: the kernel does
 *         not expose this plane (e.g. the sprite on upstream i915) or the
 *         guest's registers describe no valid surface; -EFAULT: the
 *         surface lies outside the vGPU's memory; another negative errno
 */
int gvtdmabuf_device_query_plane(struct gvtdmabuf_device *dev,
				 enum gvtdmabuf_plane plane,
				 struct gvtdmabuf_plane_info *ret_info);

/**
 * The dma-buf for a queried plane, from the cache when its dmabuf_id is
 * there, else from VFIO_DEVICE_GET_GFX_DMABUF (and then cached).
 *
 * The returned description and its fds are borrowed: valid until the entry
 * is evicted (a later call to this function may evict) or the device is
 * closed.  Keep a buffer longer with gvtdmabuf_dmabuf_dup().
 *
 * @return 0, -ENODATA for a disabled plane, -ESTALE when the kernel no
 *         longer knows the id (the surface changed: query again), or
 *         another negative errno
 */
int gvtdmabuf_device_get_dmabuf(struct gvtdmabuf_device *dev,
				const struct gvtdmabuf_plane_info *info,
				const struct gvtdmabuf_dmabuf **ret_dmabuf);

/**
 * How many dma-bufs the cache keeps (least recently used goes first).
 * Default 4.  Shrinking evicts at once and closes the evicted fds.
 * @return 0, -EINVAL for 0 or more than 1024, -ENOMEM
 */
int gvtdmabuf_device_set_cache_size(struct gvtdmabuf_device *dev, unsigned int n);

/** Drop every cached dma-buf (closing its fds). */
void gvtdmabuf_device_flush_cache(struct gvtdmabuf_device *dev);

/**
 * Cache statistics since open.
 */
struct gvtdmabuf_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
	unsigned int entries;
	unsigned int capacity;
};

/** Fill @p ret_stats with the device's cache statistics. */
void gvtdmabuf_device_get_cache_stats(const struct gvtdmabuf_device *dev,
				      struct gvtdmabuf_cache_stats *ret_stats);

/**
 * A file descriptor that becomes readable when the vGPU's display changed
 * (a flip, a mode change).  Read 8 bytes from it to rearm (eventfd
 * semantics; the fd is non-blocking, so a read when nothing happened fails
 * with EAGAIN).  On gvtsim this is the display-refresh IRQ; the sim backend
 * signals at the guest's frame rate.  The fd stays owned by the device.
 *
 * @return the fd, or -ENOTSUP (upstream i915: poll with a timer instead)
 */
int gvtdmabuf_device_get_event_fd(struct gvtdmabuf_device *dev);

/**
 * A file descriptor that becomes readable when the kernel wants the vGPU
 * back: it is being removed (echo 1 > .../UUID/remove, module unload) and
 * the removal waits until every process has closed the device.  This is
 * VFIO's device request, the one QEMU answers by unplugging; a long-lived
 * user (a service, a pipeline) should close the device soon after
 * (dma-bufs it duplicated stay valid).  Eventfd semantics, non-blocking;
 * the kernel repeats the request every few seconds.  The first call
 * attaches the eventfd; the fd stays owned by the device.
 *
 * @return the fd, -ENOTSUP when the device has no request IRQ (upstream
 *         i915 GVT-g, the sim backend), -EINVAL for NULL, or the errno of
 *         attaching it
 */
int gvtdmabuf_device_get_request_fd(struct gvtdmabuf_device *dev);

/* ---- dma-buf helpers -------------------------------------------------- */

/**
 * Duplicate the fds of @p src into @p dst, which then owns them.
 * @return 0 or a negative errno (dst untouched)
 */
int gvtdmabuf_dmabuf_dup(const struct gvtdmabuf_dmabuf *src,
			 struct gvtdmabuf_dmabuf *dst);

/** Close the fds of an owned description and set them to -1.  All
 * GVTDMABUF_MAX_PLANES fds are closed: unused ones must be -1 (as
 * gvtdmabuf_dmabuf_dup() leaves them), not 0.  NULL is accepted. */
void gvtdmabuf_dmabuf_finish(struct gvtdmabuf_dmabuf *dmabuf);

/**
 * Copy a dma-buf's pixels into linear memory with the CPU (the fallback
 * path): mmap, DMA_BUF_IOCTL_SYNC, detile.  The pixel format is kept.
 *
 * @param dst destination, at least dst_stride * height bytes
 * @param dst_stride destination bytes per row, at least width * cpp
 * @return 0 or a negative errno (-ENOTSUP: unknown format or modifier)
 */
int gvtdmabuf_dmabuf_read_linear(const struct gvtdmabuf_dmabuf *dmabuf,
				 void *dst, uint32_t dst_stride);

/* ---- formats ---------------------------------------------------------- */

/**
 * Look up a DRM fourcc in the format table.
 * @return the row, or NULL for a format the library does not handle
 */
const struct gvtdmabuf_format_info *gvtdmabuf_format_lookup(uint32_t fourcc);

/**
 * Look up a row by its GStreamer video format name ("BGRx").
 * @return the row, or NULL
 */
const struct gvtdmabuf_format_info *gvtdmabuf_format_lookup_gst(const char *gst_format);

/**
 * The whole table, for building caps or SPA format lists.
 * @param ret_n receives the number of rows
 */
const struct gvtdmabuf_format_info *gvtdmabuf_format_table(size_t *ret_n);

/**
 * Printable name of a modifier ("LINEAR", "I915_X_TILED", ...).
 * @return a static string; "UNKNOWN" for a modifier the library does not know
 */
const char *gvtdmabuf_modifier_name(uint64_t modifier);

/**
 * Whether gvtdmabuf_detile() handles @p modifier.
 */
bool gvtdmabuf_modifier_supported(uint64_t modifier);

/**
 * Tile geometry of a modifier.
 * @param ret_tile_width tile width in bytes (row bytes for linear: 1)
 * @param ret_tile_height tile height in rows (1 for linear)
 * @return 0 or -ENOTSUP
 */
int gvtdmabuf_modifier_tile_size(uint64_t modifier, uint32_t *ret_tile_width,
				 uint32_t *ret_tile_height);

/**
 * Convert one linear row of a plane to 8-bit RGBA, for consumers that take
 * none of the formats the vGPU scans out (a PNG, an X*2101010 plane on
 * GStreamer < 1.28, a YUV plane for a consumer that wants RGB).
 *
 * Output bytes are R, G, B, A per pixel, straight alpha; formats without
 * alpha give 255.  10-bit channels round to the nearest 8-bit value, 5/6-bit
 * ones replicate their high bits, packed YUV 4:2:2 is BT.601 limited range.
 *
 * @param fourcc DRM_FORMAT_* of the row (any row of gvtdmabuf_format_table())
 * @param src the row, as gvtdmabuf_dmabuf_read_linear() writes it
 * @param width pixels in the row (even for YUV 4:2:2)
 * @param dst width * 4 bytes
 * @return 0 or -ENOTSUP for a format the table does not have
 */
int gvtdmabuf_convert_row_rgba8(uint32_t fourcc, const void *src, uint32_t width,
				uint8_t *dst);

/* ---- detiling --------------------------------------------------------- */

/**
 * Convert a tiled surface to linear rows (CPU).
 *
 * @param modifier DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED,
 *                 I915_FORMAT_MOD_Y_TILED or I915_FORMAT_MOD_Yf_TILED
 * @param cpp bytes per pixel (1, 2, 4 or 8)
 * @param src tiled source; src_stride bytes per tile row pitch
 * @param src_size bytes readable at src (checked: never read past it)
 * @param width,height pixels to convert
 * @param dst,dst_stride linear destination
 * @return 0, -ENOTSUP for an unknown modifier, -EINVAL for geometry that does
 *         not fit (stride not a multiple of the tile width, src too small)
 */
int gvtdmabuf_detile(uint64_t modifier, uint32_t cpp,
		     const void *src, uint32_t src_stride, size_t src_size,
		     uint32_t width, uint32_t height,
		     void *dst, uint32_t dst_stride);

/* ---- sim -------------------------------------------------------------- */

/**
 * Text describing the "sim:OPTIONS" syntax, for --help outputs.
 */
const char *gvtdmabuf_sim_spec_help(void);

/**
 * Sim only: switch the simulated guest to frame @p frame now (paint it into
 * the next buffer and flip).  Frames normally advance with the clock at the
 * spec's fps; after this call (or with "clock=manual") only this function
 * advances them.
 * @return 0, -ENOTSUP for a non-sim device
 */
int gvtdmabuf_sim_set_frame(struct gvtdmabuf_device *dev, uint64_t frame);

/**
 * Sim only: the frame number currently on screen.
 * @return 0 or -ENOTSUP
 */
int gvtdmabuf_sim_get_frame(struct gvtdmabuf_device *dev, uint64_t *ret_frame);

/**
 * Sim only: switch the simulated guest to mode @p width x @p height now,
 * showing the next frame in it (a mode change as a guest makes one; tests
 * of consumers that renegotiate).  Frames then advance only by
 * gvtdmabuf_sim_set_frame().  The graphics memory keeps the size of the
 * spec's mode: larger modes do not fit.  Like set_frame, may be called
 * while another thread uses the device.
 * @return 0, -EINVAL (NULL, or a mode the sim cannot paint), -ENOSPC (more
 *         than the graphics memory holds), -ENOTSUP for a non-sim device
 */
int gvtdmabuf_sim_set_mode(struct gvtdmabuf_device *dev, uint32_t width, uint32_t height);

/**
 * Sim only: turn the simulated guest's display off (pipe and planes
 * disabled: queries answer enabled == false) or on again, showing the
 * next frame.  Frames then advance only by gvtdmabuf_sim_set_frame().  May
 * be called while another thread uses the device.
 * @return 0, -EINVAL for NULL, -ENOTSUP for a non-sim device
 */
int gvtdmabuf_sim_set_display(struct gvtdmabuf_device *dev, bool on);

#ifdef __cplusplus
}
#endif

#endif /* GVT_DMABUF_H */
