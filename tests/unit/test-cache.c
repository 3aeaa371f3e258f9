/* SPDX-License-Identifier: MIT */
/*
 * The device core over a fake backend: plane decoding and the dma-buf
 * cache (hits, misses, LRU order, fds really closed, resizing, stale ids,
 * ownership of duplicated buffers).
 *
 * The fake backend hands out real fds (memfds whose first bytes hold the
 * dmabuf_id) so that the test can tell which buffer an fd belongs to and
 * count open fds in /proc/self/fd.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <glib.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-compat.h"

#define N_FAKE_IDS 64

struct fake_backend {
	struct gvtdmabuf_backend base;
	/* What query_plane answers, per plane type (index 0 primary, 1
	 * cursor, 2 sprite), and the last request it saw. */
	struct vfio_device_gfx_plane_info answer[3];
	int query_error;
	struct vfio_device_gfx_plane_info last_request;
	/* Ids the "kernel" knows; others fail with stale_errno. */
	bool known[N_FAKE_IDS];
	int stale_errno;
	unsigned int exports;
	int event_fd;
	int request_fd;
	bool *destroyed;
};

static struct fake_backend *
to_fake(struct gvtdmabuf_backend *b)
{
	return (struct fake_backend *)b;
}

static int
fake_query_plane(struct gvtdmabuf_backend *b, struct vfio_device_gfx_plane_info *info)
{
	struct fake_backend *f = to_fake(b);
	int i;

	f->last_request = *info;
	if (f->query_error)
		return f->query_error;
	switch (info->drm_plane_type) {
	case DRM_PLANE_TYPE_PRIMARY:
		i = 0;
		break;
	case DRM_PLANE_TYPE_CURSOR:
		i = 1;
		break;
	case GVTSIM_GFX_PLANE_TYPE_SPRITE:
		i = 2;
		break;
	default:
		return -EINVAL;
	}
	*info = f->answer[i];
	info->argsz = f->last_request.argsz;
	info->flags = f->last_request.flags;
	info->drm_plane_type = f->last_request.drm_plane_type;
	return 0;
}

static int
fake_get_dmabuf(struct gvtdmabuf_backend *b, uint32_t id, bool *is_dmabuf,
		uint32_t *offset)
{
	struct fake_backend *f = to_fake(b);
	int fd;

	if (id >= N_FAKE_IDS || !f->known[id])
		return -f->stale_errno;
	fd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(pwrite(fd, &id, sizeof(id), 0), ==, sizeof(id));
	f->exports++;
	*is_dmabuf = true;
	*offset = id * 4096;
	return fd;
}

static int
fake_get_event_fd(struct gvtdmabuf_backend *b)
{
	struct fake_backend *f = to_fake(b);

	if (f->event_fd < 0)
		f->event_fd = eventfd(0, EFD_CLOEXEC);
	return f->event_fd;
}

static int
fake_get_fd(struct gvtdmabuf_backend *b)
{
	return -ENOTSUP;
}

static int
fake_get_request_fd(struct gvtdmabuf_backend *b)
{
	struct fake_backend *f = to_fake(b);

	if (f->request_fd < 0)
		f->request_fd = eventfd(0, EFD_CLOEXEC);
	return f->request_fd;
}

static void
fake_destroy(struct gvtdmabuf_backend *b)
{
	struct fake_backend *f = to_fake(b);

	if (f->destroyed)
		*f->destroyed = true;
	if (f->event_fd >= 0)
		close(f->event_fd);
	if (f->request_fd >= 0)
		close(f->request_fd);
	g_free(f);
}

static const struct gvtdmabuf_backend_ops fake_ops = {
	.name = "fake",
	.query_plane = fake_query_plane,
	.get_dmabuf = fake_get_dmabuf,
	.get_event_fd = fake_get_event_fd,
	.get_fd = fake_get_fd,
	.get_request_fd = fake_get_request_fd,
	.destroy = fake_destroy,
};

/* A backend with only what every backend has (optional ops left NULL). */
static const struct gvtdmabuf_backend_ops fake_minimal_ops = {
	.name = "fake-minimal",
	.query_plane = fake_query_plane,
	.get_dmabuf = fake_get_dmabuf,
	.destroy = fake_destroy,
};

static struct fake_backend *
fake_new(void)
{
	struct fake_backend *f = g_new0(struct fake_backend, 1);
	int i;

	f->base.ops = &fake_ops;
	f->stale_errno = EINVAL;
	f->event_fd = -1;
	f->request_fd = -1;
	for (i = 1; i < N_FAKE_IDS; i++)
		f->known[i] = true;
	return f;
}

static struct gvtdmabuf_device *
open_fake(struct fake_backend **ret_fake)
{
	struct fake_backend *f = fake_new();
	struct gvtdmabuf_device *dev = NULL;

	g_assert_cmpint(gvtdmabuf_device_new(&f->base, "fake0", &dev), ==, 0);
	g_assert_nonnull(dev);
	*ret_fake = f;
	return dev;
}

static unsigned int
count_fds(void)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	g_assert_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The id a fake fd was made for. */
static uint32_t
fd_id(int fd)
{
	uint32_t id = 0;

	g_assert_cmpint(pread(fd, &id, sizeof(id), 0), ==, sizeof(id));
	return id;
}

static struct gvtdmabuf_plane_info
plane(uint32_t id)
{
	struct gvtdmabuf_plane_info p = {
		.plane = GVTDMABUF_PLANE_PRIMARY,
		.enabled = true,
		.fourcc = DRM_FORMAT_XRGB8888,
		.modifier = I915_FORMAT_MOD_X_TILED,
		.width = 1024,
		.height = 768,
		.stride = 4096,
		.size = 4096 * 768,
		.dmabuf_id = id,
	};
	return p;
}

static const struct gvtdmabuf_dmabuf *
get(struct gvtdmabuf_device *dev, uint32_t id)
{
	struct gvtdmabuf_plane_info p = plane(id);
	const struct gvtdmabuf_dmabuf *buf = NULL;

	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	g_assert_nonnull(buf);
	g_assert_cmpuint(buf->dmabuf_id, ==, id);
	g_assert_cmpuint(fd_id(buf->fd[0]), ==, id);
	return buf;
}

static void
assert_stats(struct gvtdmabuf_device *dev, uint64_t hits, uint64_t misses,
	     uint64_t evictions, unsigned int entries, unsigned int capacity)
{
	struct gvtdmabuf_cache_stats s;

	gvtdmabuf_device_get_cache_stats(dev, &s);
	g_assert_cmpuint(s.hits, ==, hits);
	g_assert_cmpuint(s.misses, ==, misses);
	g_assert_cmpuint(s.evictions, ==, evictions);
	g_assert_cmpuint(s.entries, ==, entries);
	g_assert_cmpuint(s.capacity, ==, capacity);
}

/* ---- plane decoding ---------------------------------------------------- */

static void
test_query_primary(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	struct gvtdmabuf_plane_info info;

	f->answer[0] = (struct vfio_device_gfx_plane_info){
		.drm_format = DRM_FORMAT_XRGB8888,
		.drm_format_mod = I915_FORMAT_MOD_Y_TILED,
		.width = 1920, .height = 1080, .stride = 7680,
		.size = 7680 * 1088, .x_pos = 0, .y_pos = 0,
		.x_hot = 0xFFFFFFFF, .y_hot = 0xFFFFFFFF,
		.dmabuf_id = 3,
	};
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info), ==, 0);
	g_assert_cmpuint(f->last_request.drm_plane_type, ==, DRM_PLANE_TYPE_PRIMARY);
	g_assert_cmpuint(f->last_request.flags, ==, VFIO_GFX_PLANE_TYPE_DMABUF);
	g_assert_cmpuint(f->last_request.argsz, ==, sizeof(struct vfio_device_gfx_plane_info));
	g_assert_cmpint(info.plane, ==, GVTDMABUF_PLANE_PRIMARY);
	g_assert_true(info.enabled);
	g_assert_cmphex(info.fourcc, ==, DRM_FORMAT_XRGB8888);
	g_assert_cmphex(info.modifier, ==, I915_FORMAT_MOD_Y_TILED);
	g_assert_cmpuint(info.width, ==, 1920);
	g_assert_cmpuint(info.height, ==, 1080);
	g_assert_cmpuint(info.stride, ==, 7680);
	g_assert_cmpuint(info.size, ==, 7680 * 1088);
	g_assert_cmpuint(info.dmabuf_id, ==, 3);
	g_assert_false(info.hotspot_known);
	gvtdmabuf_device_close(dev);
}

static void
test_query_cursor(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	struct gvtdmabuf_plane_info info;

	/* Partly off the top-left corner, hotspot unknown. */
	f->answer[1] = (struct vfio_device_gfx_plane_info){
		.drm_format = DRM_FORMAT_ARGB8888,
		.width = 64, .height = 64, .stride = 256, .size = 16384,
		.x_pos = (uint32_t)-5, .y_pos = (uint32_t)-17,
		.x_hot = 0xFFFFFFFF, .y_hot = 0xFFFFFFFF,
		.dmabuf_id = 9,
	};
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info), ==, 0);
	g_assert_cmpuint(f->last_request.drm_plane_type, ==, DRM_PLANE_TYPE_CURSOR);
	g_assert_true(info.enabled);
	g_assert_cmpint(info.x, ==, -5);
	g_assert_cmpint(info.y, ==, -17);
	g_assert_false(info.hotspot_known);
	g_assert_cmpuint(info.x_hot, ==, 0);

	f->answer[1].x_pos = 100;
	f->answer[1].y_pos = 200;
	f->answer[1].x_hot = 3;
	f->answer[1].y_hot = 4;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info), ==, 0);
	g_assert_cmpint(info.x, ==, 100);
	g_assert_cmpint(info.y, ==, 200);
	g_assert_true(info.hotspot_known);
	g_assert_cmpuint(info.x_hot, ==, 3);
	g_assert_cmpuint(info.y_hot, ==, 4);

	/* Half a hotspot is none: each coordinate alone says unknown. */
	f->answer[1].x_hot = 3;
	f->answer[1].y_hot = 0xFFFFFFFF;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info), ==, 0);
	g_assert_false(info.hotspot_known);
	g_assert_cmpuint(info.x_hot, ==, 0);
	g_assert_cmpuint(info.y_hot, ==, 0);
	f->answer[1].x_hot = 0xFFFFFFFF;
	f->answer[1].y_hot = 4;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info), ==, 0);
	g_assert_false(info.hotspot_known);
	g_assert_cmpuint(info.x_hot, ==, 0);
	g_assert_cmpuint(info.y_hot, ==, 0);
	gvtdmabuf_device_close(dev);
}

static void
test_query_sprite_and_disabled(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	struct gvtdmabuf_plane_info info;

	/* A disabled plane: the kernel answers zeros, maybe with stale
	 * positions; enabled is false and every field is zero. */
	f->answer[2] = (struct vfio_device_gfx_plane_info){ .x_pos = 7, .dmabuf_id = 0 };
	memset(&info, 0xAA, sizeof(info));
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_SPRITE, &info), ==, 0);
	g_assert_cmphex(f->last_request.drm_plane_type, ==, GVTSIM_GFX_PLANE_TYPE_SPRITE);
	g_assert_cmpint(info.plane, ==, GVTDMABUF_PLANE_SPRITE);
	g_assert_false(info.enabled);
	g_assert_cmpuint(info.fourcc, ==, 0);
	g_assert_cmpint(info.x, ==, 0);
	g_assert_cmpuint(info.width, ==, 0);
	g_assert_cmpuint(info.dmabuf_id, ==, 0);

	/* Upstream i915 rejects the sprite: the error passes through and
	 * the out-parameter stays untouched. */
	f->query_error = -EINVAL;
	memset(&info, 0x55, sizeof(info));
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_SPRITE, &info), ==, -EINVAL);
	g_assert_cmpuint(info.width, ==, 0x55555555);

	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, (enum gvtdmabuf_plane)7, &info), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_device_query_plane(NULL, GVTDMABUF_PLANE_PRIMARY, &info), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, NULL), ==, -EINVAL);
	gvtdmabuf_device_close(dev);
}

/* ---- cache ------------------------------------------------------------- */

static void
test_hit_miss(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	const struct gvtdmabuf_dmabuf *a, *b;
	int i;

	assert_stats(dev, 0, 0, 0, 0, 4);
	a = get(dev, 1);
	g_assert_cmpuint(f->exports, ==, 1);
	assert_stats(dev, 0, 1, 0, 1, 4);
	b = get(dev, 1);
	g_assert_true(a == b);
	g_assert_cmpuint(f->exports, ==, 1);
	assert_stats(dev, 1, 1, 0, 1, 4);

	/* The description is filled from the plane and the backend. */
	g_assert_cmpuint(a->width, ==, 1024);
	g_assert_cmpuint(a->height, ==, 768);
	g_assert_cmphex(a->fourcc, ==, DRM_FORMAT_XRGB8888);
	g_assert_cmphex(a->modifier, ==, I915_FORMAT_MOD_X_TILED);
	g_assert_cmpuint(a->size, ==, 4096 * 768);
	g_assert_cmpint(a->n_planes, ==, 1);
	g_assert_cmpuint(a->stride[0], ==, 4096);
	g_assert_cmpuint(a->offset[0], ==, 4096);
	g_assert_true(a->is_dmabuf);
	for (i = 1; i < GVTDMABUF_MAX_PLANES; i++)
		g_assert_cmpint(a->fd[i], ==, -1);
	gvtdmabuf_device_close(dev);
}

static void
test_lru_order(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	const struct gvtdmabuf_dmabuf *one;
	unsigned int i;

	for (i = 1; i <= 4; i++)
		get(dev, i);
	g_assert_cmpuint(f->exports, ==, 4);
	one = get(dev, 1);		/* 1 is now the most recent, 2 the least */
	get(dev, 5);			/* evicts 2 */
	assert_stats(dev, 1, 5, 1, 4, 4);
	/* The borrowed description of 1 did not move while the order changed. */
	g_assert_cmpuint(one->dmabuf_id, ==, 1);
	g_assert_cmpuint(fd_id(one->fd[0]), ==, 1);

	get(dev, 3);			/* hit */
	get(dev, 4);			/* hit */
	get(dev, 1);			/* hit */
	g_assert_cmpuint(f->exports, ==, 5);
	get(dev, 2);			/* miss again: it was evicted; evicts 5 */
	g_assert_cmpuint(f->exports, ==, 6);
	get(dev, 5);			/* miss: evicts 3 */
	g_assert_cmpuint(f->exports, ==, 7);
	get(dev, 4);
	get(dev, 1);
	get(dev, 2);
	g_assert_cmpuint(f->exports, ==, 7);
	assert_stats(dev, 7, 7, 3, 4, 4);
	gvtdmabuf_device_close(dev);
}

/* A consumer that takes every plane's dma-buf each frame, as the element
 * and the service do, over three primary buffers, the sprite and the
 * cursor: after the first round every get is a hit (the cache's limit is
 * per plane; a shared limit of 4 missed on every frame). */
static void
test_steady_all_planes(void)
{
	static const enum gvtdmabuf_plane planes[] = {
		GVTDMABUF_PLANE_PRIMARY, GVTDMABUF_PLANE_SPRITE, GVTDMABUF_PLANE_CURSOR,
	};
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_cache_stats st;
	char err[GVTDMABUF_ERROR_MAX];
	uint64_t frame, warm_misses = 0;
	unsigned int i;

	if (gvtdmabuf_device_open(NULL, "sim:320x200,buffers=3,sprite=on,clock=manual",
				  &dev, err, sizeof(err)) < 0)
		g_error("%s", err);
	for (frame = 1; frame <= 103; frame++) {
		g_assert_cmpint(gvtdmabuf_sim_set_frame(dev, frame), ==, 0);
		for (i = 0; i < G_N_ELEMENTS(planes); i++) {
			struct gvtdmabuf_plane_info pi;
			const struct gvtdmabuf_dmabuf *buf;

			g_assert_cmpint(gvtdmabuf_device_query_plane(dev, planes[i], &pi), ==, 0);
			g_assert_true(pi.enabled);
			g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &pi, &buf), ==, 0);
			g_assert_cmpuint(buf->dmabuf_id, ==, pi.dmabuf_id);
		}
		if (frame == 3) {
			gvtdmabuf_device_get_cache_stats(dev, &st);
			warm_misses = st.misses;
			/* three primary buffers, one sprite, one cursor */
			g_assert_cmpuint(warm_misses, ==, 5);
		}
	}
	gvtdmabuf_device_get_cache_stats(dev, &st);
	g_assert_cmpuint(st.misses, ==, warm_misses);
	g_assert_cmpuint(st.evictions, ==, 0);
	g_assert_cmpuint(st.hits, ==, 103 * 3 - 5);
	g_assert_cmpuint(st.entries, ==, 5);
	g_assert_cmpuint(st.capacity, ==, 4);
	gvtdmabuf_device_close(dev);
}

/* The limit is per plane: cursor buffers never push the primary's out,
 * and the same id from another plane is not the cached buffer. */
static void
test_per_plane(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	const struct gvtdmabuf_dmabuf *buf;
	struct gvtdmabuf_plane_info p;
	unsigned int i;

	for (i = 1; i <= 4; i++)
		get(dev, i);
	for (i = 11; i <= 30; i++) {
		p = plane(i);
		p.plane = GVTDMABUF_PLANE_CURSOR;
		p.modifier = DRM_FORMAT_MOD_LINEAR;
		p.width = p.height = 64;
		p.stride = 256;
		p.size = 256 * 64;
		g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	}
	/* 16 cursor buffers evicted, the 4 primary ones still there */
	assert_stats(dev, 0, 24, 16, 8, 4);
	for (i = 1; i <= 4; i++)
		get(dev, i);
	assert_stats(dev, 4, 24, 16, 8, 4);
	/* id 1 asked for as a sprite: not the primary's buffer */
	p = plane(1);
	p.plane = GVTDMABUF_PLANE_SPRITE;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	assert_stats(dev, 4, 25, 17, 8, 4);
	p.plane = (enum gvtdmabuf_plane)GVTDMABUF_N_PLANES;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, -EINVAL);
	gvtdmabuf_device_close(dev);
}

static bool
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* finish() closes the first n_planes fds only: a zeroed description (fd 0
 * everywhere) leaves fd 0 alone, and a second finish closes nothing. */
static void
test_finish(void)
{
	struct gvtdmabuf_dmabuf zero, d;
	int a, b;

	if (!fd_open(0))
		g_assert_cmpint(open("/dev/null", O_RDONLY), ==, 0);
	memset(&zero, 0, sizeof(zero));
	gvtdmabuf_dmabuf_finish(&zero);
	g_assert_true(fd_open(0));
	g_assert_cmpint(zero.fd[0], ==, -1);
	g_assert_cmpint(zero.n_planes, ==, 0);

	a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	b = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(a, >, 0);
	g_assert_cmpint(b, >, 0);
	memset(&d, 0, sizeof(d));
	d.n_planes = 1;
	d.fd[0] = a;
	d.fd[1] = b;		/* past n_planes: not the description's */
	gvtdmabuf_dmabuf_finish(&d);
	g_assert_false(fd_open(a));
	g_assert_true(fd_open(b));
	g_assert_true(fd_open(0));
	g_assert_cmpint(d.fd[0], ==, -1);
	g_assert_cmpint(d.fd[1], ==, -1);
	g_assert_cmpint(d.n_planes, ==, 0);
	/* a's number may be reused by now: a second finish must not close it */
	a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	gvtdmabuf_dmabuf_finish(&d);
	g_assert_true(fd_open(a));
	close(a);
	close(b);
	gvtdmabuf_dmabuf_finish(NULL);
}

static void
test_fds_closed(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev;
	unsigned int base, i;

	base = count_fds();
	dev = open_fake(&f);
	for (i = 1; i <= 20; i++)
		get(dev, i);
	/* Only the four cached buffers are open. */
	g_assert_cmpuint(count_fds(), ==, base + 4);
	assert_stats(dev, 0, 20, 16, 4, 4);
	gvtdmabuf_device_flush_cache(dev);
	g_assert_cmpuint(count_fds(), ==, base);
	assert_stats(dev, 0, 20, 20, 0, 4);
	for (i = 1; i <= 3; i++)
		get(dev, i);
	g_assert_cmpuint(count_fds(), ==, base + 3);
	gvtdmabuf_device_close(dev);
	g_assert_cmpuint(count_fds(), ==, base);
}

static void
test_size_one(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	unsigned int base = count_fds();

	g_assert_cmpint(gvtdmabuf_device_set_cache_size(dev, 1), ==, 0);
	get(dev, 1);
	get(dev, 1);
	get(dev, 2);
	get(dev, 1);
	g_assert_cmpuint(f->exports, ==, 3);
	assert_stats(dev, 1, 3, 2, 1, 1);
	g_assert_cmpuint(count_fds(), ==, base + 1);
	gvtdmabuf_device_close(dev);
}

static void
test_resize(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	unsigned int base = count_fds(), i;

	for (i = 1; i <= 4; i++)
		get(dev, i);
	g_assert_cmpuint(count_fds(), ==, base + 4);
	/* Shrinking closes the least recently used at once. */
	g_assert_cmpint(gvtdmabuf_device_set_cache_size(dev, 2), ==, 0);
	g_assert_cmpuint(count_fds(), ==, base + 2);
	assert_stats(dev, 0, 4, 2, 2, 2);
	get(dev, 4);
	get(dev, 3);
	g_assert_cmpuint(f->exports, ==, 4);
	get(dev, 1);
	g_assert_cmpuint(f->exports, ==, 5);

	g_assert_cmpint(gvtdmabuf_device_set_cache_size(dev, 8), ==, 0);
	for (i = 1; i <= 8; i++)
		get(dev, i);
	g_assert_cmpuint(count_fds(), ==, base + 8);
	assert_stats(dev, 4, 11, 3, 8, 8);

	g_assert_cmpint(gvtdmabuf_device_set_cache_size(dev, 0), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_device_set_cache_size(NULL, 4), ==, -EINVAL);
	assert_stats(dev, 4, 11, 3, 8, 8);
	gvtdmabuf_device_close(dev);
	g_assert_cmpuint(count_fds(), ==, base);
}

static void
test_stale(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	const struct gvtdmabuf_dmabuf *buf = (const void *)0x1;
	struct gvtdmabuf_plane_info p = plane(5);
	unsigned int base = count_fds();

	f->known[5] = false;
	/* i915 says -EINVAL for an id it does not know ... */
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, -ESTALE);
	g_assert_true(buf == (const void *)0x1);
	/* ... mbochs -ENOENT ... */
	f->stale_errno = ENOENT;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, -ESTALE);
	/* ... anything else is not about the id. */
	f->stale_errno = EIO;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, -EIO);
	g_assert_cmpuint(count_fds(), ==, base);
	assert_stats(dev, 0, 3, 0, 0, 4);

	/* A disabled plane has no buffer. */
	p.enabled = false;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, -ENODATA);
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(NULL, &p, &buf), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, NULL, &buf), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, NULL), ==, -EINVAL);
	g_assert_true(buf == (const void *)0x1);
	gvtdmabuf_device_close(dev);
}

static void
test_changed_surface(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	const struct gvtdmabuf_dmabuf *buf;
	struct gvtdmabuf_plane_info p = plane(1);
	unsigned int base = count_fds();

	get(dev, 1);
	get(dev, 2);
	g_assert_cmpuint(f->exports, ==, 2);

	/* The same id now describes a different surface (the driver
	 * recycled it): the cached buffer must not be handed out. */
	p.width = 800;
	p.height = 600;
	p.stride = 3200;
	p.size = 3200 * 600;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	g_assert_cmpuint(f->exports, ==, 3);
	g_assert_cmpuint(buf->width, ==, 800);
	g_assert_cmpuint(buf->stride[0], ==, 3200);
	g_assert_cmpuint(count_fds(), ==, base + 2);
	assert_stats(dev, 0, 3, 1, 2, 4);

	/* Each field counts. */
	p = plane(2);
	p.modifier = DRM_FORMAT_MOD_LINEAR;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	g_assert_cmpuint(f->exports, ==, 4);
	p.fourcc = DRM_FORMAT_XBGR8888;
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	g_assert_cmpuint(f->exports, ==, 5);
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &p, &buf), ==, 0);
	g_assert_cmpuint(f->exports, ==, 5);
	g_assert_cmphex(buf->fourcc, ==, DRM_FORMAT_XBGR8888);
	g_assert_cmpuint(count_fds(), ==, base + 2);
	gvtdmabuf_device_close(dev);
	g_assert_cmpuint(count_fds(), ==, base);
}

static void
test_dup_survives_close(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	const struct gvtdmabuf_dmabuf *buf;
	struct gvtdmabuf_dmabuf own, untouched;
	unsigned int base = count_fds();
	bool destroyed = false;

	f->destroyed = &destroyed;
	buf = get(dev, 7);
	g_assert_cmpint(gvtdmabuf_dmabuf_dup(buf, &own), ==, 0);
	g_assert_cmpint(own.fd[0], !=, buf->fd[0]);
	g_assert_cmpint(own.fd[1], ==, -1);
	g_assert_cmpuint(own.dmabuf_id, ==, 7);
	g_assert_cmpuint(own.stride[0], ==, buf->stride[0]);
	g_assert_cmpuint(count_fds(), ==, base + 2);

	gvtdmabuf_device_close(dev);
	g_assert_true(destroyed);
	g_assert_cmpuint(count_fds(), ==, base + 1);
	g_assert_cmpuint(fd_id(own.fd[0]), ==, 7);

	gvtdmabuf_dmabuf_finish(&own);
	g_assert_cmpint(own.fd[0], ==, -1);
	g_assert_cmpuint(count_fds(), ==, base);
	gvtdmabuf_dmabuf_finish(&own);	/* twice is harmless */
	gvtdmabuf_dmabuf_finish(NULL);

	memset(&untouched, 0x11, sizeof(untouched));
	own.n_planes = 0;
	g_assert_cmpint(gvtdmabuf_dmabuf_dup(&own, &untouched), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_dmabuf_dup(NULL, &untouched), ==, -EINVAL);
	g_assert_cmpuint(untouched.width, ==, 0x11111111);
}

static void
test_passthrough(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(&f);
	uint64_t frame = 42;
	int efd;

	g_assert_cmpstr(gvtdmabuf_device_get_name(dev), ==, "fake0");
	g_assert_cmpstr(gvtdmabuf_device_get_backend(dev), ==, "fake");
	g_assert_cmpint(gvtdmabuf_device_get_fd(dev), ==, -ENOTSUP);
	efd = gvtdmabuf_device_get_event_fd(dev);
	g_assert_cmpint(efd, >=, 0);
	g_assert_cmpint(gvtdmabuf_device_get_event_fd(dev), ==, efd);
	g_assert_cmpint(gvtdmabuf_device_get_event_fd(NULL), ==, -EINVAL);
	efd = gvtdmabuf_device_get_request_fd(dev);
	g_assert_cmpint(efd, >=, 0);
	g_assert_cmpint(efd, ==, f->request_fd);
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(NULL), ==, -EINVAL);
	/* Not a sim device. */
	g_assert_cmpint(gvtdmabuf_sim_set_frame(dev, 3), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_sim_get_frame(dev, &frame), ==, -ENOTSUP);
	g_assert_cmpuint(frame, ==, 42);
	g_assert_null(gvtdmabuf_device_get_name(NULL));
	gvtdmabuf_device_close(dev);
	gvtdmabuf_device_close(NULL);
}

/* Optional backend ops left out read as "not supported". */
static void
test_optional_ops(void)
{
	struct fake_backend *f = fake_new();
	struct gvtdmabuf_device *dev = NULL;

	f->base.ops = &fake_minimal_ops;
	g_assert_cmpint(gvtdmabuf_device_new(&f->base, "fake1", &dev), ==, 0);
	g_assert_cmpint(gvtdmabuf_device_get_fd(dev), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_get_event_fd(dev), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(dev), ==, -ENOTSUP);
	gvtdmabuf_device_close(dev);
}

static void
test_new_takes_ownership(void)
{
	struct fake_backend *f = fake_new();
	struct gvtdmabuf_device *dev = (void *)0x1;
	bool destroyed = false;

	f->destroyed = &destroyed;
	g_assert_cmpint(gvtdmabuf_device_new(&f->base, NULL, &dev), ==, -EINVAL);
	g_assert_true(destroyed);
	g_assert_true(dev == (void *)0x1);
	g_assert_cmpint(gvtdmabuf_device_new(NULL, "x", &dev), ==, -EINVAL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plane/primary", test_query_primary);
	g_test_add_func("/plane/cursor", test_query_cursor);
	g_test_add_func("/plane/sprite-disabled", test_query_sprite_and_disabled);
	g_test_add_func("/cache/hit-miss", test_hit_miss);
	g_test_add_func("/cache/lru-order", test_lru_order);
	g_test_add_func("/cache/steady-all-planes", test_steady_all_planes);
	g_test_add_func("/cache/per-plane", test_per_plane);
	g_test_add_func("/cache/fds-closed", test_fds_closed);
	g_test_add_func("/dmabuf/finish", test_finish);
	g_test_add_func("/cache/size-one", test_size_one);
	g_test_add_func("/cache/resize", test_resize);
	g_test_add_func("/cache/stale", test_stale);
	g_test_add_func("/cache/changed-surface", test_changed_surface);
	g_test_add_func("/cache/dup-survives-close", test_dup_survives_close);
	g_test_add_func("/device/passthrough", test_passthrough);
	g_test_add_func("/device/optional-ops", test_optional_ops);
	g_test_add_func("/device/new-takes-ownership", test_new_takes_ownership);
	return g_test_run();
}
