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
 * Threads: the library keeps no global state and no locks.
 *  - A device (and the descriptions gvtdmabuf_device_get_dmabuf() lends)
 *    is used from one thread at a time, whichever: callers such as a
 *    GStreamer element serialise with their own lock.  A borrowed
 *    description may change or vanish on the device's next get_dmabuf,
 *    set_cache_size, flush_cache or close, so a buffer handed to another
 *    thread (a streaming thread, an encoder) is a gvtdmabuf_dmabuf_dup().
 *  - The event and request fds may be polled from any thread; only one
 *    should read them.
 *  - The input calls (send_key, send_pointer_*, send_button, send_wheel)
 *    may run in one other thread beside the device's other calls (they
 *    only make D-Bus calls through thread-safe proxies), never beside
 *    close.
 *  - A context is set up (set_*_root) before it is shared; then any number
 *    of threads may open devices and list mdevs with it.
 *  - A reader is used from one thread at a time; separate readers work
 *    in parallel.
 *  - The format, modifier, detiling and conversion functions and
 *    gvtdmabuf_sim_spec_help() are pure: any thread, concurrently.
 *  - Duplicated dma-bufs are plain fds and belong to whoever holds them.
 *
 * No fences: a GVT-g dma-buf is the guest's own framebuffer, and nothing
 * tells user space when the guest is done with it.  The guest may draw
 * into a buffer while a consumer still reads, imports or encodes it (the
 * dma-buf carries no fence of the guest's rendering).  Guests that flip
 * between two or three buffers draw into one that is off screen, and take
 * a buffer back only after the next flip, so read or copy a buffer soon
 * after the flip that put it on screen; a consumer that holds a frame
 * longer (a paused encoder, a slow client) copies it first.
 *
 * One import per dmabuf_id: an id names one surface for as long as its
 * object lives, which is while any fd of it is open (the device cache's,
 * a dup, an import that holds the dma-buf: an EGLImage, a VA surface).
 * i915 reuses a freed id for the next new surface (the lowest free id).
 * So: key imports on dmabuf_id, keep a dup (or the import) for as long as
 * the key exists, and drop the key together with the last of them; when
 * a query gives an id you know, check the plane info (fourcc, modifier,
 * width, height, stride, size) against what you imported, and re-import
 * on a mismatch.  gvtdmabuf_device_get_dmabuf() does that check itself.
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
 * It is the guest's framebuffer, without fences: see "No fences" above.
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
 * @param name an mdev UUID, "sim" / "sim:OPTIONS" for the built-in
 *             simulated vGPU (see gvtdmabuf_sim_spec_help()), or
 *             "qemu" / "qemu:OPTIONS" for a running VM's console through
 *             QEMU's D-Bus display (see gvtdmabuf_qemu_spec_help())
 * @param ret_device receives the device
 * @param errbuf if not NULL, receives a sentence saying what failed, on
 *               what, and what to do (GVTDMABUF_ERROR_MAX is always enough)
 * @param errbuf_size size of errbuf
 * @return 0 or a negative errno:
 *   -ENOENT no such vGPU; -EACCES permission denied on a VFIO node;
 *   -EBUSY another process (QEMU?) holds the vGPU;
 *   -ENOTTY it is not a display device (no dma-buf plane export);
 *   -ENODEV the kernel has no VFIO (or no mdev);
 *   -EINVAL a malformed name or sim spec;
 *   -ENOTSUP (qemu:) the library was built without GIO;
 *   -ENOENT (qemu:) no VM owns the name, or it has no such console;
 *   -ECONNREFUSED (qemu:) the bus cannot be reached.
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
 * How the device was opened: "vfio-group", "vfio-cdev" (iommufd), "sim" or
 * "qemu-dbus".
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
 * How many dma-bufs the cache keeps per plane (least recently used of that
 * plane goes first), so that a consumer taking every plane's buffer each
 * frame never evicts one it takes again.  Default 4 (a guest flips
 * between two or three).  Shrinking evicts at once and closes the evicted
 * fds.
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
	unsigned int entries;	/**< cached dma-bufs, all planes together */
	unsigned int capacity;	/**< the limit per plane */
};

/** Fill @p ret_stats with the device's cache statistics. */
void gvtdmabuf_device_get_cache_stats(const struct gvtdmabuf_device *dev,
				      struct gvtdmabuf_cache_stats *ret_stats);

/**
 * A file descriptor that becomes readable when the vGPU's display changed
 * (a flip, a mode change).  Read 8 bytes from it to rearm (eventfd
 * semantics; the fd is non-blocking, so a read when nothing happened fails
 * with EAGAIN).  On gvtsim this is the display-refresh IRQ; the sim backend
 * signals at the guest's frame rate; a "qemu:" device on every scanout,
 * update and cursor change QEMU sends.  The fd stays owned by the device.
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
 * attaches the eventfd; the fd stays owned by the device.  On a "qemu:"
 * device it fires when QEMU goes away (the VM stopped, its bus name lost
 * its owner, the connection closed) and stays readable from then on;
 * every call then answers -ENODEV.
 *
 * @return the fd, -ENOTSUP when the device has no request IRQ (upstream
 *         i915 GVT-g, the sim backend), -EINVAL for NULL, or the errno of
 *         attaching it
 */
int gvtdmabuf_device_get_request_fd(struct gvtdmabuf_device *dev);

/* ---- damage, input, resolution (QEMU's D-Bus display) ---------------- */

/** A rectangle in surface pixels (x, y: top left). */
struct gvtdmabuf_rect {
	int32_t x;
	int32_t y;
	uint32_t width;
	uint32_t height;
};

/**
 * The parts of the primary plane that changed since the previous call (or
 * since open).  A new scanout (a flip to another buffer, a mode change) and
 * more rectangles than the device keeps or than @p max count as the whole
 * surface: one rectangle of the plane's size.  No change gives *ret_n = 0.
 * Reading clears the damage.  QEMU's D-Bus display reports its Update
 * and UpdateDMABUF rectangles; the sim, whose guest repaints a whole buffer
 * per frame, reports each new frame as the whole surface (and nothing
 * while the plane is off); a VFIO vGPU tells only "something changed"
 * through the event fd.
 *
 * @param rects receives up to @p max rectangles
 * @param max capacity of @p rects, at least 1
 * @param ret_n receives the number of rectangles written
 * @return 0, -EINVAL for NULL or max 0, -ENOTSUP for a backend without
 *         damage (VFIO), -ENODEV when the VM went away
 */
int gvtdmabuf_device_get_damage(struct gvtdmabuf_device *dev,
				struct gvtdmabuf_rect *rects, size_t max,
				size_t *ret_n);

/**
 * Press or release a key in the VM.  @p code is a Linux evdev key code
 * (KEY_A, KEY_LEFTSHIFT... from <linux/input-event-codes.h>), the code the
 * guest's evdev reports for it; the library translates it into QEMU's key
 * number.  QEMU releases every key still held when the device is closed.
 *
 * @return 0, -EINVAL for a code the library cannot translate (or that QEMU
 *         refused), -ENOTSUP for a backend without input, -ENODEV when the
 *         VM went away, -EIO for another D-Bus failure
 */
int gvtdmabuf_device_send_key(struct gvtdmabuf_device *dev, uint32_t code,
			      bool pressed);

/**
 * Move the VM's pointer to (@p x, @p y), in pixels of the primary plane.
 * Needs an absolute pointing device in the VM (virtio-tablet, usb-tablet).
 *
 * @return 0, -EINVAL outside the surface or when the VM's pointer is
 *         relative, -ENOTSUP, -ENODEV, -EIO as gvtdmabuf_device_send_key()
 */
int gvtdmabuf_device_send_pointer_absolute(struct gvtdmabuf_device *dev,
					   uint32_t x, uint32_t y);

/**
 * Move the VM's pointer by (@p dx, @p dy) pixels.  Needs a relative
 * pointing device in the VM (PS/2 mouse, virtio-mouse) and no absolute one.
 *
 * @return 0, -EINVAL when the VM's pointer is absolute, -ENOTSUP, -ENODEV,
 *         -EIO as gvtdmabuf_device_send_key()
 */
int gvtdmabuf_device_send_pointer_relative(struct gvtdmabuf_device *dev,
					   int32_t dx, int32_t dy);

/**
 * Press or release a pointer button: BTN_LEFT, BTN_RIGHT, BTN_MIDDLE,
 * BTN_SIDE or BTN_EXTRA (evdev codes).
 *
 * @return 0, -EINVAL for another code, -ENOTSUP, -ENODEV, -EIO
 */
int gvtdmabuf_device_send_button(struct gvtdmabuf_device *dev, uint32_t button,
				 bool pressed);

/**
 * Turn the VM's vertical wheel by @p steps notches: positive away from the
 * user (evdev REL_WHEEL > 0, "up"), negative towards.  At most 120 steps
 * per call.
 *
 * @return 0, -EINVAL for 0 or more than 120 steps, -ENOTSUP, -ENODEV, -EIO
 */
int gvtdmabuf_device_send_wheel(struct gvtdmabuf_device *dev, int32_t steps);

/**
 * Ask the VM for a display of @p width x @p height pixels.  On QEMU's
 * D-Bus display this is SetUIInfo: the display device offers the size as
 * its preferred mode (virtio-gpu raises a hotplug, a vfio vGPU with
 * display=on rewrites its EDID) and the guest decides whether to switch.
 *
 * @return 0 (the request was delivered, not that the guest followed it),
 *         -EINVAL for a size outside 1..16384, -ENOTSUP for a backend or
 *         display device without resolution requests, -ENODEV, -EIO
 */
int gvtdmabuf_device_request_resolution(struct gvtdmabuf_device *dev,
					uint32_t width, uint32_t height);

/**
 * A VM that offers QEMU's D-Bus display (-display dbus) on the session or
 * the system bus.
 */
struct gvtdmabuf_qemu_display {
	/** The name to pass to gvtdmabuf_device_open(), e.g. "qemu:session". */
	char device[128];
	char bus[16];		/**< "session" or "system" */
	char bus_name[96];	/**< the D-Bus name QEMU owns, e.g. "org.qemu" */
	char vm_name[64];	/**< QEMU's -name, may be empty */
	char vm_uuid[GVTDMABUF_UUID_LEN + 1];	/**< QEMU's -uuid, may be empty */
	unsigned int n_consoles;	/**< consoles (open one with ",console=N") */
};

/**
 * List the VMs that offer a D-Bus display on the session and the system
 * bus (names "org.qemu" and "org.qemu.*" that export
 * /org/qemu/Display1/VM).  A bus that cannot be reached is skipped.
 * VMs on a private bus (libvirt) or peer-to-peer are not found this way:
 * open them by address ("qemu:bus=ADDRESS").
 *
 * @param ctx context or NULL
 * @param ret_list receives a malloc()ed array, free() it
 * @param ret_n receives the number of entries
 * @return 0 (also with none), -ENOTSUP when the library was built
 *         without GIO, -ENOMEM
 */
int gvtdmabuf_list_qemu_displays(struct gvtdmabuf_context *ctx,
				 struct gvtdmabuf_qemu_display **ret_list,
				 size_t *ret_n);

/* ---- dma-buf helpers -------------------------------------------------- */

/**
 * Duplicate the fds of @p src into @p dst, which then owns them.
 * @return 0 or a negative errno (dst untouched)
 */
int gvtdmabuf_dmabuf_dup(const struct gvtdmabuf_dmabuf *src,
			 struct gvtdmabuf_dmabuf *dst);

/** Close the fds of an owned description: those of its first n_planes
 * planes (fds of -1 are skipped), as wlroots' wlr_dmabuf_attributes_finish().
 * Then every fd is -1 and n_planes 0, so a zeroed struct or a second call
 * closes nothing.  NULL is accepted. */
void gvtdmabuf_dmabuf_finish(struct gvtdmabuf_dmabuf *dmabuf);

/**
 * Copy a dma-buf's pixels into linear memory, once: a
 * gvtdmabuf_reader_read() through a reader made and destroyed for this
 * call (so it maps or imports the buffer every time).  Consumers that
 * read every frame keep a struct gvtdmabuf_reader instead.  The pixel
 * format is kept.
 *
 * @param dst destination, at least dst_stride * height bytes
 * @param dst_stride destination bytes per row, at least width * cpp
 * @return 0 or a negative errno, as gvtdmabuf_reader_read() (whose message
 *         this convenience cannot hand out)
 */
int gvtdmabuf_dmabuf_read_linear(const struct gvtdmabuf_dmabuf *dmabuf,
				 void *dst, uint32_t dst_stride);

/* ---- reading pixels --------------------------------------------------- */

/**
 * Reads dma-bufs into linear system memory, for consumers that need the
 * pixels on the CPU (a system-memory fallback, a PNG, shared memory for a
 * PipeWire client) and read every frame.
 *
 * Each buffer is set up once and remembered (the 8 most recently read):
 *  - mmap: the buffer is mapped and each read is DMA_BUF_IOCTL_SYNC plus
 *    gvtdmabuf_detile() (sim, gvtsim with dmabuf_mmap=1, exporters that
 *    implement mmap);
 *  - egl: where the CPU cannot map it (a real i915 GVT-g dma-buf: mmap
 *    fails with -ENODEV), the buffer is imported once through EGL with its
 *    modifier (a GPU's render node, else Mesa's software device) and each
 *    read is a linear glReadPixels.  Needs libgvtdmabuf built with EGL
 *    (meson option egl) and an EGL that imports the modifier.
 *
 * Buffers are told apart by their dma-buf (inode) and geometry, not by
 * dmabuf_id; the reader keeps a dup of each fd it remembers, so closing
 * yours is safe (the memory stays allocated until the entry is evicted or
 * the reader destroyed).
 *
 * Threads: a reader may be used from any thread, one at a time.  Its EGL
 * context is current only inside its calls; the caller's current context
 * (of the bound client API) is restored before they return.
 */
struct gvtdmabuf_reader;

/** Flags of gvtdmabuf_reader_create(). */
enum gvtdmabuf_reader_flags {
	/** Never mmap: always import through EGL (tests of the GPU path, or
	 * a consumer that knows the CPU cannot map its buffers) */
	GVTDMABUF_READER_GPU_ONLY = 1 << 0,
	/** Never use EGL (no GPU context in this process) */
	GVTDMABUF_READER_CPU_ONLY = 1 << 1,
};

/**
 * Create a reader.  Nothing is mapped or initialised before the first read.
 *
 * @param flags 0 or one of enum gvtdmabuf_reader_flags
 * @param ret_reader receives the reader
 * @return 0, -ENOMEM, -EINVAL for unknown or contradicting flags
 */
int gvtdmabuf_reader_create(uint32_t flags, struct gvtdmabuf_reader **ret_reader);

/** Destroy a reader: unmaps, releases its imports and closes its fds.
 * NULL is accepted. */
void gvtdmabuf_reader_destroy(struct gvtdmabuf_reader *reader);

/**
 * Copy plane 0 of @p dmabuf into linear rows at @p dst, in the buffer's own
 * pixel format (detiled, nothing converted).
 *
 * There are no fences: the guest may draw into the buffer while it is
 * read (see struct gvtdmabuf_dmabuf).
 *
 * @param dst destination, at least dst_stride * height bytes; the bytes of
 *            each row past width * cpp may be overwritten up to dst_stride
 * @param dst_stride destination bytes per row, at least width * cpp
 * @return 0 or a negative errno, with a sentence in
 *         gvtdmabuf_reader_get_error():
 *   -ENOTSUP neither way can read it (unknown format; a modifier the CPU
 *            cannot detile and the GPU cannot import; mmap refused and no
 *            GPU path: libgvtdmabuf without EGL, no EGL device, an EGL
 *            without dma-buf import);
 *   -EINVAL NULL pointers, no plane, a negative fd, a destination stride
 *           less than a row, an offset or geometry that does not fit in
 *           the buffer;
 *   -EIO the GPU failed to read it back; or mmap's, fstat's or
 *   DMA_BUF_IOCTL_SYNC's errno
 */
int gvtdmabuf_reader_read(struct gvtdmabuf_reader *reader,
			  const struct gvtdmabuf_dmabuf *dmabuf,
			  void *dst, uint32_t dst_stride);

/**
 * How the last successful gvtdmabuf_reader_read() got the pixels: "mmap"
 * or "egl"; NULL before the first one or after a failed one.  For logs.
 */
const char *gvtdmabuf_reader_get_method(const struct gvtdmabuf_reader *reader);

/**
 * The sentence explaining the last failed gvtdmabuf_reader_read() (what
 * was tried and what is missing), "" after a successful one.  Valid until
 * the next call on the reader.
 */
const char *gvtdmabuf_reader_get_error(const struct gvtdmabuf_reader *reader);

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
 * Text describing the "qemu:OPTIONS" syntax (QEMU's D-Bus display), for
 * --help outputs.
 */
const char *gvtdmabuf_qemu_spec_help(void);

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

/**
 * Sim only: act as the kernel does when the vGPU is being removed: the
 * device request fd (gvtdmabuf_device_get_request_fd()) becomes readable,
 * and the device keeps answering until it is closed.  For testing what a
 * consumer does on removal.  May be called from any thread.
 * @return 0, -EINVAL for NULL, -ENOTSUP for a non-sim device
 */
int gvtdmabuf_sim_request_removal(struct gvtdmabuf_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* GVT_DMABUF_H */
