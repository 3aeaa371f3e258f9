/* SPDX-License-Identifier: MIT */
/*
 * The public device API: opening (dispatch to the vfio, sim or qemu-dbus
 * backend), plane queries decoded into struct gvtdmabuf_plane_info, the
 * dma-buf cache keyed by dmabuf_id, and damage/input calls passed on to the
 * backends that have them.
 *
 * Why a cache: the kernel hands out a new fd on every
 * VFIO_DEVICE_GET_GFX_DMABUF, and importers (EGL, VA-API, PipeWire
 * consumers) key their imports on the buffer; a guest flipping between two
 * or three framebuffers would otherwise cost an export and an import per
 * frame.  Like QEMU's hw/vfio/display.c, the device keeps the few most
 * recently used buffers, least recently used goes first.  The limit is per
 * plane: a consumer that takes every plane's buffer each frame (three
 * primary buffers, a cursor, a sprite) would otherwise evict one of them
 * on every frame, and a fast cursor cannot push the primary's out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-compat.h"

#define DEFAULT_CACHE_SIZE 4

struct cache_entry {
	struct gvtdmabuf_dmabuf buf;	/* owns buf.fd[0] */
	enum gvtdmabuf_plane plane;
};

struct gvtdmabuf_device {
	struct gvtdmabuf_backend *backend;
	char *name;
	/* Pointers, so that a borrowed description stays put while the
	 * order changes; lru[0] is the most recently used. */
	struct cache_entry **lru;	/* capacity * GVTDMABUF_N_PLANES slots */
	unsigned int n_entries;
	unsigned int capacity;		/* per plane */
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
};

/* ---- cache ------------------------------------------------------------- */

static void
entry_free(struct cache_entry *e)
{
	if (!e)
		return;
	gvtdmabuf_dmabuf_finish(&e->buf);
	free(e);
}

/* Drop lru[i], closing its fd. */
static void
cache_remove(struct gvtdmabuf_device *dev, unsigned int i)
{
	entry_free(dev->lru[i]);
	memmove(&dev->lru[i], &dev->lru[i + 1],
		(dev->n_entries - i - 1) * sizeof(dev->lru[0]));
	dev->n_entries--;
	dev->lru[dev->n_entries] = NULL;
	dev->evictions++;
}

static void
cache_to_front(struct gvtdmabuf_device *dev, unsigned int i)
{
	struct cache_entry *e = dev->lru[i];

	memmove(&dev->lru[1], &dev->lru[0], i * sizeof(dev->lru[0]));
	dev->lru[0] = e;
}

static int
cache_find(const struct gvtdmabuf_device *dev, uint32_t dmabuf_id)
{
	unsigned int i;

	for (i = 0; i < dev->n_entries; i++)
		if (dev->lru[i]->buf.dmabuf_id == dmabuf_id)
			return (int)i;
	return -1;
}

/* The least recently used entry of @p plane if that plane holds @p limit
 * or more entries, else -1. */
static int
cache_plane_lru(const struct gvtdmabuf_device *dev, enum gvtdmabuf_plane plane,
		unsigned int limit)
{
	unsigned int i, n = 0;
	int last = -1;

	for (i = 0; i < dev->n_entries; i++) {
		if (dev->lru[i]->plane == plane) {
			n++;
			last = (int)i;
		}
	}
	return n >= limit ? last : -1;
}

/* Whether a cached buffer still describes the queried surface. */
static bool
entry_matches(const struct cache_entry *e, const struct gvtdmabuf_plane_info *info)
{
	const struct gvtdmabuf_dmabuf *b = &e->buf;

	return e->plane == info->plane &&
	       b->fourcc == info->fourcc && b->modifier == info->modifier &&
	       b->width == info->width && b->height == info->height &&
	       b->stride[0] == info->stride && b->size == info->size;
}

/**
 * Wrap a backend into a device.  Takes ownership of @p backend, also on
 * failure.
 *
 * @return 0, -EINVAL for a NULL argument, -ENOMEM
 */
int
gvtdmabuf_device_new(struct gvtdmabuf_backend *backend, const char *name,
		     struct gvtdmabuf_device **ret_device)
{
	struct gvtdmabuf_device *dev = NULL;
	int r = 0;

	if (!backend || !name || !ret_device) {
		r = -EINVAL;
		goto out;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		r = -ENOMEM;
		goto out;
	}
	dev->backend = backend;
	backend = NULL;
	dev->capacity = DEFAULT_CACHE_SIZE;
	dev->name = strdup(name);
	dev->lru = calloc((size_t)dev->capacity * GVTDMABUF_N_PLANES, sizeof(dev->lru[0]));
	if (!dev->name || !dev->lru) {
		r = -ENOMEM;
		goto out;
	}
	*ret_device = dev;
	dev = NULL;
out:
	gvtdmabuf_device_close(dev);
	if (backend && backend->ops && backend->ops->destroy)
		backend->ops->destroy(backend);
	return r;
}

/**
 * Open a vGPU by mdev UUID, or the simulated one ("sim", "sim:OPTIONS").
 * See gvt-dmabuf.h for the error codes; @p errbuf says what to do.
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_open(struct gvtdmabuf_context *ctx, const char *name,
		      struct gvtdmabuf_device **ret_device,
		      char *errbuf, size_t errbuf_size)
{
	struct gvtdmabuf_backend *backend = NULL;
	struct gvtdmabuf_device *dev;
	int r;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!name || !ret_device) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"no vGPU name or no place to return the device");
		r = -EINVAL;
		goto out;
	}
	if (strcmp(name, "sim") == 0 || strncmp(name, "sim:", 4) == 0)
		r = gvtdmabuf_sim_open(name, &backend, errbuf, errbuf_size);
	else if (strcmp(name, "qemu") == 0 || strncmp(name, "qemu:", 5) == 0)
		r = gvtdmabuf_qemu_open(name, &backend, errbuf, errbuf_size);
	else
		r = gvtdmabuf_vfio_open(ctx, name, &backend, errbuf, errbuf_size);
	if (r < 0)
		goto out;
	r = gvtdmabuf_device_new(backend, name, &dev);
	if (r < 0) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"out of memory opening vGPU %s", name);
		goto out;
	}
	*ret_device = dev;
out:
	return r;
}

/**
 * Close a device: closes every cached dma-buf and the backend's fds.
 * NULL is accepted.  Descriptions from gvtdmabuf_dmabuf_dup() stay valid.
 */
GVTDMABUF_EXPORT void
gvtdmabuf_device_close(struct gvtdmabuf_device *dev)
{
	if (!dev)
		return;
	if (dev->lru)
		gvtdmabuf_device_flush_cache(dev);
	free(dev->lru);
	if (dev->backend && dev->backend->ops->destroy)
		dev->backend->ops->destroy(dev->backend);
	free(dev->name);
	free(dev);
}

/** The name the device was opened with; NULL for a NULL device. */
GVTDMABUF_EXPORT const char *
gvtdmabuf_device_get_name(const struct gvtdmabuf_device *dev)
{
	return dev ? dev->name : NULL;
}

/** "vfio-group", "vfio-cdev" or "sim"; NULL for a NULL device. */
GVTDMABUF_EXPORT const char *
gvtdmabuf_device_get_backend(const struct gvtdmabuf_device *dev)
{
	return dev ? dev->backend->ops->name : NULL;
}

/** The VFIO device fd (owned by the device), -ENOTSUP for sim. */
GVTDMABUF_EXPORT int
gvtdmabuf_device_get_fd(const struct gvtdmabuf_device *dev)
{
	if (!dev)
		return -EINVAL;
	if (!dev->backend->ops->get_fd)
		return -ENOTSUP;
	return dev->backend->ops->get_fd(dev->backend);
}

/*
 * After a plane query failed with -ENODEV: is the device itself gone, or
 * is this a kernel that says -ENODEV for a plane that is merely off?
 * (i915's decoder says -ENODEV for a disabled plane or an idle pipe;
 * upstream turns it into 0, but a kernel or backend that lets it through
 * must not make a blank screen look like an unplugged vGPU, while a vGPU
 * being removed also fails with -ENODEV.)  Gone when the kernel has asked
 * for the device back (the device request eventfd is readable; polled,
 * not read, so its owner still sees it), or when the device fd no longer
 * answers VFIO_DEVICE_GET_INFO.  A backend offering neither probe is
 * taken at its word.
 */
static bool
device_is_gone(struct gvtdmabuf_device *dev)
{
	const struct gvtdmabuf_backend_ops *ops = dev->backend->ops;
	bool probed = false;
	int fd;

	fd = ops->get_request_fd ? ops->get_request_fd(dev->backend) : -ENOTSUP;
	if (fd >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) != 0)
			return true;	/* signalled, or the fd is broken */
		probed = true;
	}
	fd = ops->get_fd ? ops->get_fd(dev->backend) : -ENOTSUP;
	if (fd >= 0) {
		struct vfio_device_info info;

		memset(&info, 0, sizeof(info));
		info.argsz = sizeof(info);
		if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info) < 0)
			return true;
		probed = true;
	}
	return !probed;
}

/**
 * Query one plane with VFIO_DEVICE_QUERY_GFX_PLANE (DMABUF) and decode the
 * answer.  A disabled plane gives 0 and enabled == false, whether the
 * kernel says so with drm_format 0 or with -ENODEV; -ENODEV is returned
 * only when the device itself is gone (device_is_gone()).
 *
 * @return 0, -EINVAL for an unknown plane or one the kernel does not
 *         expose, or another negative errno from the backend
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_query_plane(struct gvtdmabuf_device *dev,
			     enum gvtdmabuf_plane plane,
			     struct gvtdmabuf_plane_info *ret_info)
{
	struct vfio_device_gfx_plane_info vi;
	struct gvtdmabuf_plane_info out;
	uint32_t drm_type;
	int r;

	if (!dev || !ret_info) {
		r = -EINVAL;
		goto out;
	}
	switch (plane) {
	case GVTDMABUF_PLANE_PRIMARY:
		drm_type = DRM_PLANE_TYPE_PRIMARY;
		break;
	case GVTDMABUF_PLANE_CURSOR:
		drm_type = DRM_PLANE_TYPE_CURSOR;
		break;
	case GVTDMABUF_PLANE_SPRITE:
		drm_type = GVTSIM_GFX_PLANE_TYPE_SPRITE;
		break;
	default:
		r = -EINVAL;
		goto out;
	}

	memset(&vi, 0, sizeof(vi));
	vi.argsz = sizeof(vi);
	vi.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	vi.drm_plane_type = drm_type;
	r = dev->backend->ops->query_plane(dev->backend, &vi);
	if (r == -ENODEV && !device_is_gone(dev)) {
		memset(&vi, 0, sizeof(vi));	/* a disabled plane */
		r = 0;
	}
	if (r < 0)
		goto out;

	memset(&out, 0, sizeof(out));
	out.plane = plane;
	if (vi.drm_format != 0) {
		out.enabled = true;
		out.fourcc = vi.drm_format;
		out.modifier = vi.drm_format_mod;
		out.width = vi.width;
		out.height = vi.height;
		out.stride = vi.stride;
		out.size = vi.size;
		/* gvtsim reports the position in two's complement; upstream
		 * i915 never sets the sign bits, so the cast is right for
		 * both. */
		out.x = (int32_t)vi.x_pos;
		out.y = (int32_t)vi.y_pos;
		if (plane == GVTDMABUF_PLANE_CURSOR &&
		    vi.x_hot != 0xFFFFFFFFu && vi.y_hot != 0xFFFFFFFFu) {
			out.hotspot_known = true;
			out.x_hot = vi.x_hot;
			out.y_hot = vi.y_hot;
		}
		out.dmabuf_id = vi.dmabuf_id;
	}
	*ret_info = out;
	r = 0;
out:
	return r;
}

/**
 * The dma-buf of a queried plane: from the cache when its dmabuf_id is
 * there and still describes the same surface, else exported by the backend
 * and cached.  The result is borrowed (see gvt-dmabuf.h).
 *
 * @return 0, -EINVAL for NULL arguments, -ENODATA for a disabled plane,
 *         -ESTALE when the kernel no longer knows the id, -ENOMEM, or the
 *         backend's negative errno
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_get_dmabuf(struct gvtdmabuf_device *dev,
			    const struct gvtdmabuf_plane_info *info,
			    const struct gvtdmabuf_dmabuf **ret_dmabuf)
{
	struct cache_entry *e;
	uint32_t offset = 0;
	bool is_dmabuf = false;
	int i, fd = -1, r;

	if (!dev || !info || !ret_dmabuf) {
		r = -EINVAL;
		goto out;
	}
	if (!info->enabled) {
		r = -ENODATA;
		goto out;
	}
	if ((unsigned int)info->plane >= GVTDMABUF_N_PLANES) {
		r = -EINVAL;
		goto out;
	}

	i = cache_find(dev, info->dmabuf_id);
	if (i >= 0) {
		if (entry_matches(dev->lru[i], info)) {
			cache_to_front(dev, (unsigned int)i);
			dev->hits++;
			*ret_dmabuf = &dev->lru[0]->buf;
			r = 0;
			goto out;
		}
		/* Same id, different surface: the driver recycled the id
		 * (i915 allocates ids with idr_alloc, which reuses freed
		 * ones).  The old buffer is not this surface any more. */
		cache_remove(dev, (unsigned int)i);
	}
	dev->misses++;

	fd = dev->backend->ops->get_dmabuf(dev->backend, info->dmabuf_id,
					   &is_dmabuf, &offset);
	if (fd < 0) {
		/* i915 answers an id it does not know with -EINVAL, mbochs
		 * with -ENOENT: either way the surface changed. */
		r = (fd == -EINVAL || fd == -ENOENT) ? -ESTALE : fd;
		fd = -1;
		goto out;
	}

	e = calloc(1, sizeof(*e));
	if (!e) {
		r = -ENOMEM;
		goto out;
	}
	e->buf.width = info->width;
	e->buf.height = info->height;
	e->buf.fourcc = info->fourcc;
	e->buf.modifier = info->modifier;
	e->buf.size = info->size;
	e->buf.dmabuf_id = info->dmabuf_id;
	e->buf.n_planes = 1;
	e->buf.offset[0] = offset;
	e->buf.stride[0] = info->stride;
	e->buf.fd[0] = fd;
	for (i = 1; i < GVTDMABUF_MAX_PLANES; i++)
		e->buf.fd[i] = -1;
	e->buf.is_dmabuf = is_dmabuf;
	e->plane = info->plane;
	fd = -1;

	i = cache_plane_lru(dev, info->plane, dev->capacity);
	if (i >= 0)
		cache_remove(dev, (unsigned int)i);
	memmove(&dev->lru[1], &dev->lru[0], dev->n_entries * sizeof(dev->lru[0]));
	dev->lru[0] = e;
	dev->n_entries++;
	*ret_dmabuf = &e->buf;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/**
 * Set how many dma-bufs the cache keeps.  Shrinking evicts the least
 * recently used at once.
 *
 * @return 0, -EINVAL for a NULL device or 0, -ENOMEM
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_set_cache_size(struct gvtdmabuf_device *dev, unsigned int n)
{
	struct cache_entry **lru;
	unsigned int p;
	int i, r = 0;

	if (!dev || n == 0 || n > 1024) {
		r = -EINVAL;
		goto out;
	}
	for (p = 0; p < GVTDMABUF_N_PLANES; p++)
		while ((i = cache_plane_lru(dev, (enum gvtdmabuf_plane)p, n + 1)) >= 0)
			cache_remove(dev, (unsigned int)i);
	lru = realloc(dev->lru, (size_t)n * GVTDMABUF_N_PLANES * sizeof(dev->lru[0]));
	if (!lru) {
		/* A failed shrink leaves the larger array, which is fine. */
		if (n > dev->capacity)
			r = -ENOMEM;
		else
			dev->capacity = n;
		goto out;
	}
	dev->lru = lru;
	if (n > dev->capacity)
		memset(&lru[dev->capacity * GVTDMABUF_N_PLANES], 0,
		       (size_t)(n - dev->capacity) * GVTDMABUF_N_PLANES * sizeof(lru[0]));
	dev->capacity = n;
out:
	return r;
}

/** Drop every cached dma-buf, closing its fd.  NULL is accepted. */
GVTDMABUF_EXPORT void
gvtdmabuf_device_flush_cache(struct gvtdmabuf_device *dev)
{
	if (!dev)
		return;
	while (dev->n_entries > 0)
		cache_remove(dev, dev->n_entries - 1);
}

/** Cache statistics since open; zeros for a NULL device. */
GVTDMABUF_EXPORT void
gvtdmabuf_device_get_cache_stats(const struct gvtdmabuf_device *dev,
				 struct gvtdmabuf_cache_stats *ret_stats)
{
	if (!ret_stats)
		return;
	memset(ret_stats, 0, sizeof(*ret_stats));
	if (!dev)
		return;
	ret_stats->hits = dev->hits;
	ret_stats->misses = dev->misses;
	ret_stats->evictions = dev->evictions;
	ret_stats->entries = dev->n_entries;
	ret_stats->capacity = dev->capacity;
}

/**
 * The fd signalled on display changes (owned by the device).
 * @return the fd, -ENOTSUP when the backend has none, -EINVAL for NULL
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_get_event_fd(struct gvtdmabuf_device *dev)
{
	if (!dev)
		return -EINVAL;
	if (!dev->backend->ops->get_event_fd)
		return -ENOTSUP;
	return dev->backend->ops->get_event_fd(dev->backend);
}

/**
 * The eventfd signalled when the kernel wants the device back (it is being
 * removed).  Owned by the device.
 * @return the fd, -ENOTSUP when the backend has none, -EINVAL for NULL
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_get_request_fd(struct gvtdmabuf_device *dev)
{
	if (!dev)
		return -EINVAL;
	if (!dev->backend->ops->get_request_fd)
		return -ENOTSUP;
	return dev->backend->ops->get_request_fd(dev->backend);
}

/* ---- damage, input, resolution ------------------------------------------ */

/**
 * Damage of the primary plane since the previous call (QEMU's D-Bus display).
 * @return 0, -EINVAL, -ENOTSUP for backends without damage, or the
 *         backend's negative errno
 */
GVTDMABUF_EXPORT int
gvtdmabuf_device_get_damage(struct gvtdmabuf_device *dev,
			    struct gvtdmabuf_rect *rects, size_t max,
			    size_t *ret_n)
{
	if (!dev || !rects || max == 0 || !ret_n)
		return -EINVAL;
	if (!dev->backend->ops->get_damage)
		return -ENOTSUP;
	return dev->backend->ops->get_damage(dev->backend, rects, max, ret_n);
}

/** Press or release a key (evdev code).  @return 0 or a negative errno */
GVTDMABUF_EXPORT int
gvtdmabuf_device_send_key(struct gvtdmabuf_device *dev, uint32_t code,
			  bool pressed)
{
	if (!dev)
		return -EINVAL;
	if (!dev->backend->ops->send_key)
		return -ENOTSUP;
	return dev->backend->ops->send_key(dev->backend, code, pressed);
}

/** Absolute pointer motion.  @return 0 or a negative errno */
GVTDMABUF_EXPORT int
gvtdmabuf_device_send_pointer_absolute(struct gvtdmabuf_device *dev,
				       uint32_t x, uint32_t y)
{
	if (!dev || x > INT32_MAX || y > INT32_MAX)
		return -EINVAL;
	if (!dev->backend->ops->send_pointer)
		return -ENOTSUP;
	return dev->backend->ops->send_pointer(dev->backend, true,
					       (int32_t)x, (int32_t)y);
}

/** Relative pointer motion.  @return 0 or a negative errno */
GVTDMABUF_EXPORT int
gvtdmabuf_device_send_pointer_relative(struct gvtdmabuf_device *dev,
				       int32_t dx, int32_t dy)
{
	if (!dev)
		return -EINVAL;
	if (!dev->backend->ops->send_pointer)
		return -ENOTSUP;
	return dev->backend->ops->send_pointer(dev->backend, false, dx, dy);
}

/** Press or release a pointer button (evdev BTN_*).  @return 0 or -errno */
GVTDMABUF_EXPORT int
gvtdmabuf_device_send_button(struct gvtdmabuf_device *dev, uint32_t button,
			     bool pressed)
{
	if (!dev)
		return -EINVAL;
	if (!dev->backend->ops->send_button)
		return -ENOTSUP;
	return dev->backend->ops->send_button(dev->backend, button, pressed);
}

/** Turn the wheel by @p steps notches.  @return 0 or a negative errno */
GVTDMABUF_EXPORT int
gvtdmabuf_device_send_wheel(struct gvtdmabuf_device *dev, int32_t steps)
{
	if (!dev || steps == 0 || steps > 120 || steps < -120)
		return -EINVAL;
	if (!dev->backend->ops->send_wheel)
		return -ENOTSUP;
	return dev->backend->ops->send_wheel(dev->backend, steps);
}

/** Ask the VM for a resolution.  @return 0 or a negative errno */
GVTDMABUF_EXPORT int
gvtdmabuf_device_request_resolution(struct gvtdmabuf_device *dev,
				    uint32_t width, uint32_t height)
{
	if (!dev || width < 1 || height < 1 || width > 16384 || height > 16384)
		return -EINVAL;
	if (!dev->backend->ops->request_resolution)
		return -ENOTSUP;
	return dev->backend->ops->request_resolution(dev->backend, width, height);
}

/* ---- dma-buf helpers --------------------------------------------------- */

/**
 * Duplicate the fds of @p src into @p dst, which then owns them (release
 * with gvtdmabuf_dmabuf_finish()).
 *
 * @return 0, -EINVAL for NULL or a description without planes, or the
 *         errno of a failed dup (dst untouched)
 */
GVTDMABUF_EXPORT int
gvtdmabuf_dmabuf_dup(const struct gvtdmabuf_dmabuf *src,
		     struct gvtdmabuf_dmabuf *dst)
{
	struct gvtdmabuf_dmabuf copy;
	int i, r = 0;

	if (!src || !dst || src->n_planes < 1 ||
	    src->n_planes > GVTDMABUF_MAX_PLANES) {
		r = -EINVAL;
		goto out;
	}
	copy = *src;
	for (i = 0; i < GVTDMABUF_MAX_PLANES; i++)
		copy.fd[i] = -1;
	for (i = 0; i < src->n_planes; i++) {
		if (src->fd[i] < 0)
			continue;
		copy.fd[i] = fcntl(src->fd[i], F_DUPFD_CLOEXEC, 3);
		if (copy.fd[i] < 0) {
			r = -errno;
			gvtdmabuf_dmabuf_finish(&copy);
			goto out;
		}
	}
	*dst = copy;
out:
	return r;
}

/** Close the fds of the description's n_planes planes (as wlroots does:
 * a zeroed struct closes nothing, not fd 0), set every fd to -1 and
 * n_planes to 0, so that a second finish closes nothing either. */
GVTDMABUF_EXPORT void
gvtdmabuf_dmabuf_finish(struct gvtdmabuf_dmabuf *dmabuf)
{
	int i, n;

	if (!dmabuf)
		return;
	n = dmabuf->n_planes < GVTDMABUF_MAX_PLANES ? dmabuf->n_planes : GVTDMABUF_MAX_PLANES;
	for (i = 0; i < n; i++)
		if (dmabuf->fd[i] >= 0)
			close(dmabuf->fd[i]);
	for (i = 0; i < GVTDMABUF_MAX_PLANES; i++)
		dmabuf->fd[i] = -1;
	dmabuf->n_planes = 0;
}

/* ---- sim -------------------------------------------------------------- */

/**
 * Sim only: show frame @p frame now.
 * @return 0, -EINVAL for NULL, -ENOTSUP for a non-sim device
 */
GVTDMABUF_EXPORT int
gvtdmabuf_sim_set_frame(struct gvtdmabuf_device *dev, uint64_t frame)
{
	if (!dev)
		return -EINVAL;
	if (!gvtdmabuf_backend_is_sim(dev->backend))
		return -ENOTSUP;
	return gvtdmabuf_sim_backend_set_frame(dev->backend, frame);
}

/**
 * Sim only: the frame number on screen.
 * @return 0, -EINVAL for NULL, -ENOTSUP for a non-sim device
 */
GVTDMABUF_EXPORT int
gvtdmabuf_sim_get_frame(struct gvtdmabuf_device *dev, uint64_t *ret_frame)
{
	if (!dev || !ret_frame)
		return -EINVAL;
	if (!gvtdmabuf_backend_is_sim(dev->backend))
		return -ENOTSUP;
	return gvtdmabuf_sim_backend_get_frame(dev->backend, ret_frame);
}

/**
 * Sim only: switch the simulated guest to another mode now (then frames
 * advance only by gvtdmabuf_sim_set_frame()).
 * @return 0, -EINVAL for NULL or a mode the sim cannot paint, -ENOSPC for a
 *         mode larger than the graphics memory of the spec's mode,
 *         -ENOTSUP for a non-sim device
 */
GVTDMABUF_EXPORT int
gvtdmabuf_sim_set_mode(struct gvtdmabuf_device *dev, uint32_t width, uint32_t height)
{
	if (!dev)
		return -EINVAL;
	if (!gvtdmabuf_backend_is_sim(dev->backend))
		return -ENOTSUP;
	return gvtdmabuf_sim_backend_set_mode(dev->backend, width, height);
}

/**
 * Sim only: turn the simulated guest's display off (pipe and planes
 * disabled: queries answer enabled == false) or on again with the next frame.
 * @return 0, -EINVAL for NULL, -ENOTSUP for a non-sim device
 */
GVTDMABUF_EXPORT int
gvtdmabuf_sim_set_display(struct gvtdmabuf_device *dev, bool on)
{
	if (!dev)
		return -EINVAL;
	if (!gvtdmabuf_backend_is_sim(dev->backend))
		return -ENOTSUP;
	return gvtdmabuf_sim_backend_set_display(dev->backend, on);
}

/**
 * Sim only: do what the kernel does when a vGPU is being removed: signal
 * the device request fd.  The device keeps answering until it is closed.
 * @return 0, -EINVAL for NULL, -ENOTSUP for a non-sim device
 */
GVTDMABUF_EXPORT int
gvtdmabuf_sim_request_removal(struct gvtdmabuf_device *dev)
{
	if (!dev)
		return -EINVAL;
	return gvtdmabuf_sim_backend_request_removal(dev->backend);
}
