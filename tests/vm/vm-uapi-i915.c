/* SPDX-License-Identifier: MIT */
/*
 * The raw VFIO display uAPI with gvtsim's defaults, which are i915
 * GVT-g's (kernel/README.md, "i915 behaviour"):
 *  - a disabled plane or no active pipe answers 0 and copies the caller's
 *    struct back unchanged (intel_vgpu_query_plane() turns its decoder's
 *    -ENODEV into 0); disabled_plane_enodev=1 answers -ENODEV instead;
 *  - an exported dma-buf cannot be mmapped (-ENODEV, and -EINVAL first
 *    for a mapping larger than the buffer); dmabuf_mmap=1 allows it;
 *  - dmabuf ids are the lowest free id from 1, an id is free once its
 *    object is neither held by a query nor exported, and closing the
 *    device frees all of them; monotonic_ids=1 never reuses one;
 *  - the size is stride x rows, not rounded to pages; the cursor hotspot
 *    comes from the PV info page with i915's validate_hotspot() rule.
 * Part of vm-uapi; runs on a vGPU of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>

#include "gvt-dmabuf/gvtsim-uapi.h"
#include "gvtsim_hw.h"
#include "vm-common.h"

#define UUID_I915 "d1b2a6c0-0000-4000-8000-0000000000f1"	/* GVTg_V5_4 */

static char why[512];

static const uint32_t all_planes[] = { DRM_PLANE_TYPE_PRIMARY, DRM_PLANE_TYPE_CURSOR,
				       GVTSIM_GFX_PLANE_TYPE_SPRITE };

static const char *plane_name(uint32_t type)
{
	return type == DRM_PLANE_TYPE_PRIMARY ? "primary" :
	       type == DRM_PLANE_TYPE_CURSOR ? "cursor" : "sprite";
}

/* QUERY_GFX_PLANE with every field but argsz/flags/type set to @fill. */
static int query_filled(int dev, uint32_t type, uint8_t fill,
			struct vfio_device_gfx_plane_info *p)
{
	memset(p, fill, sizeof(*p));
	p->argsz = sizeof(*p);
	p->flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	p->drm_plane_type = type;
	return ioctl(dev, VFIO_DEVICE_QUERY_GFX_PLANE, p) < 0 ? -errno : 0;
}

/* Every plane of @types reads as disabled: 0 with the struct untouched,
 * or -ENODEV with disabled_plane_enodev=1. */
static void check_disabled(int dev, const uint32_t *types, unsigned int n, const char *what)
{
	struct vfio_device_gfx_plane_info p, orig;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		memset(&orig, 0xa5, sizeof(orig));
		orig.argsz = sizeof(orig);
		orig.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
		orig.drm_plane_type = types[i];
		ret = query_filled(dev, types[i], 0xa5, &p);
		vm_check(ret == 0 && !memcmp(&p, &orig, sizeof(p)),
			 "i915: %s, %s plane -> 0 and the caller's struct back unchanged (ret %d, drm_format 0x%x, dmabuf_id 0x%x)",
			 what, plane_name(types[i]), ret, p.drm_format, p.dmabuf_id);
	}
	vm_param_set("disabled_plane_enodev", true);
	for (i = 0; i < n; i++) {
		ret = query_filled(dev, types[i], 0, &p);
		vm_check(ret == -ENODEV, "disabled_plane_enodev=1: %s, %s plane -> -ENODEV (%d)",
			 what, plane_name(types[i]), ret);
	}
	vm_param_set("disabled_plane_enodev", false);
}

static uint32_t query_id(int dev, uint32_t type)
{
	struct vfio_device_gfx_plane_info p;

	if (vm_query(dev, VFIO_GFX_PLANE_TYPE_DMABUF, type, &p) < 0)
		return 0;
	return p.dmabuf_id;
}

static off_t dmabuf_size(int fd)
{
	return fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The guest: 800x600 XRGB8888 linear, two buffers, a 64x64 cursor. */
static int start(struct vm_display *d, struct gvtsim_guest_config *cfg)
{
	int ret;

	gvtsim_guest_config_default(cfg);
	cfg->gen = 9;
	cfg->modifier = DRM_FORMAT_MOD_LINEAR;
	cfg->width = 800;
	cfg->height = 600;
	cfg->n_buffers = 2;
	cfg->cursor_size = 64;
	cfg->sprite = false;
	cfg->fourcc = DRM_FORMAT_XRGB8888;
	ret = vm_guest_start(d, cfg);
	vm_check(ret == 0, "i915: guest model starts 800x600 (%s)", strerror(-ret));
	return ret;
}

static void test_answer(struct vm_display *d)
{
	struct vfio_device_gfx_plane_info p;
	int ret;

	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	vm_check(ret == 0 && p.size == 3200u * 600 && p.stride == 3200 && p.x_hot == 0 &&
		 p.y_hot == 0,
		 "i915: 800x600 size is stride x height = 1920000, not page aligned; primary hotspot 0,0 (size %u stride %u hot %u,%u)",
		 p.size, p.stride, p.x_hot, p.y_hot);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR, &p);
	vm_check(ret == 0 && p.x_hot == 0 && p.y_hot == 0,
		 "i915: cursor hotspot without a PV info hotspot is 0,0 (%u,%u)", p.x_hot, p.y_hot);
	vm_reg_write(d, GVTSIM_PVINFO_CURSOR_X_HOT, 5);
	vm_reg_write(d, GVTSIM_PVINFO_CURSOR_Y_HOT, 64);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR, &p);
	vm_check(ret == 0 && p.x_hot == 5 && p.y_hot == 64,
		 "i915: cursor hotspot from the PV info page, y_hot == height accepted (%u,%u)",
		 p.x_hot, p.y_hot);
	vm_reg_write(d, GVTSIM_PVINFO_CURSOR_Y_HOT, 65);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR, &p);
	vm_check(ret == 0 && p.x_hot == 0xffffffffu && p.y_hot == 0xffffffffu,
		 "i915: a PV hotspot outside the cursor reads 0xFFFFFFFF for both (0x%x,0x%x)",
		 p.x_hot, p.y_hot);
	vm_reg_write(d, GVTSIM_PVINFO_CURSOR_X_HOT, 0);
	vm_reg_write(d, GVTSIM_PVINFO_CURSOR_Y_HOT, 0);

	/* A guest value outside graphics memory: -EINVAL, as i915's
	 * vgpu_gmadr_is_valid(); restored afterwards. */
	{
		uint32_t surf = vm_reg_read(d, GVTSIM_PLANE_SURF(1));

		vm_reg_write(d, GVTSIM_PLANE_SURF(1), 0xfffff000u);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == -EINVAL, "i915: a surface address outside graphics memory -> -EINVAL (%d)",
			 ret);
		vm_reg_write(d, GVTSIM_PLANE_SURF(1), surf);
	}
}

static void test_no_cpu_mapping(struct vm_display *d, const struct gvtsim_guest_config *cfg)
{
	struct vfio_device_gfx_plane_info p;
	struct dma_buf_sync sync = { 0 };
	size_t len;
	void *m;
	int fd, ret;

	vm_guest_show(d, 3);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	fd = ret == 0 ? vm_get_dmabuf(d->device, p.dmabuf_id) : ret;
	if (!vm_check(fd >= 0, "i915: primary exported (%d)", fd))
		return;
	len = ((size_t)p.size + 4095) / 4096 * 4096;
	vm_check(dmabuf_size(fd) == (off_t)len, "i915: the dma-buf is the size rounded to pages (%lld)",
		 (long long)dmabuf_size(fd));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ret = m == MAP_FAILED ? -errno : 0;
	vm_check(ret == -ENODEV, "i915: mmap of an exported dma-buf -> -ENODEV (%s)", strerror(-ret));
	if (m != MAP_FAILED)
		munmap(m, len);
	m = mmap(NULL, len + 4096, PROT_READ, MAP_SHARED, fd, 0);
	ret = m == MAP_FAILED ? -errno : 0;
	vm_check(ret == -EINVAL, "i915: mmap larger than the dma-buf -> -EINVAL first (%s)",
		 strerror(-ret));
	if (m != MAP_FAILED)
		munmap(m, len + 4096);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 ? -errno : 0;
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	if (!ret)
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 ? -errno : 0;
	vm_check(ret == 0, "i915: DMA_BUF_IOCTL_SYNC (begin/end_cpu_access) succeeds (%s)",
		 strerror(-ret));

	/* The same buffer once mapping is allowed: exact pixels. */
	vm_param_set("dmabuf_mmap", true);
	ret = vm_check_primary_pixels(fd, &p, cfg, 3, why, sizeof(why));
	vm_check(ret == 0, "dmabuf_mmap=1: the same dma-buf maps and shows frame 3 (%s)",
		 ret ? why : "ok");
	vm_param_set("dmabuf_mmap", false);
	close(fd);
}

/* Lowest free ids, an id free once nothing holds its object. */
static void test_ids(struct vm_display *d, const struct gvtsim_guest_config *cfg)
{
	struct vfio_device_gfx_plane_info p;
	uint32_t a, b, c, a2, c2, b2;
	int fda = -1, fdb = -1, fdc = -1, ret;

	vm_guest_show(d, 10);	/* buffer 0 */
	a = query_id(d->device, DRM_PLANE_TYPE_PRIMARY);
	vm_guest_show(d, 11);	/* buffer 1 */
	b = query_id(d->device, DRM_PLANE_TYPE_PRIMARY);
	vm_check(a == 1 && b == 2,
		 "ids: the first two surfaces get 1 and 2; a queried, never exported one stays held (%u, %u)",
		 a, b);
	fda = vm_get_dmabuf(d->device, a);
	fdb = vm_get_dmabuf(d->device, b);
	vm_check(fda >= 0 && fdb >= 0, "ids: both exported (%d, %d)", fda, fdb);
	close_fd(&fda);	/* buffer 0's object: no query hold, no dma-buf left */

	c = query_id(d->device, DRM_PLANE_TYPE_CURSOR);
	vm_check(c == a, "ids: a new surface (the cursor) takes the freed lowest id %u (got %u)", a, c);
	fdc = vm_get_dmabuf(d->device, c);
	vm_check(dmabuf_size(fdc) == 64 * 64 * 4,
		 "ids: the reused id %u now exports the cursor (%lld bytes, not the primary's)", c,
		 (long long)dmabuf_size(fdc));

	vm_guest_show(d, 12);	/* buffer 0 again: a new object */
	a2 = query_id(d->device, DRM_PLANE_TYPE_PRIMARY);
	vm_check(a2 == 3, "ids: buffer 0 again gets the lowest free id 3 (1 and 2 exported) (%u)", a2);

	close_fd(&fdb);
	close_fd(&fdc);
	c2 = query_id(d->device, DRM_PLANE_TYPE_CURSOR);
	vm_check(c2 == 1, "ids: the cursor, its last dma-buf closed, is a new object with id 1 (%u)",
		 c2);
	ret = vm_get_dmabuf(d->device, b);
	vm_check(ret == -EINVAL, "ids: GET_GFX_DMABUF of id %u, freed with its last dma-buf -> -EINVAL (%d)",
		 b, ret);
	if (ret >= 0)
		close(ret);

	/* Buffer 1 gets id 2 back; its pixels are buffer 1's. */
	vm_guest_show(d, 13);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	b2 = ret == 0 ? p.dmabuf_id : 0;
	vm_check(b2 == 2, "ids: buffer 1 again takes the lowest free id 2 (%u)", b2);
	fdb = b2 ? vm_get_dmabuf(d->device, b2) : -1;
	vm_param_set("dmabuf_mmap", true);
	ret = fdb >= 0 ? vm_check_primary_pixels(fdb, &p, cfg, 13, why, sizeof(why)) : -1;
	vm_check(ret == 0, "ids: reused id %u exports the buffer on screen: frame 13 exact (%s)", b2,
		 ret ? why : "ok");
	vm_param_set("dmabuf_mmap", false);
	close_fd(&fdb);

	/* monotonic_ids=1: a freed id is not handed out again. */
	vm_param_set("monotonic_ids", true);
	vm_guest_show(d, 14);	/* buffer 0: id 3, held by the query */
	fda = vm_get_dmabuf(d->device, query_id(d->device, DRM_PLANE_TYPE_PRIMARY));
	close_fd(&fda);
	vm_guest_show(d, 15);	/* buffer 1: id 2, its dma-buf closed above */
	b2 = query_id(d->device, DRM_PLANE_TYPE_PRIMARY);
	fdb = vm_get_dmabuf(d->device, b2);
	close_fd(&fdb);
	c = query_id(d->device, DRM_PLANE_TYPE_CURSOR);
	vm_check(c != 0 && query_id(d->device, DRM_PLANE_TYPE_CURSOR) == c,
		 "monotonic_ids=1: ids still stable per surface (%u)", c);
	vm_reg_write(d, GVTSIM_CURABASE, vm_reg_read(d, GVTSIM_CURABASE) + 0x10000);
	c2 = query_id(d->device, DRM_PLANE_TYPE_CURSOR);
	vm_check(c2 > 3, "monotonic_ids=1: a new surface gets an id never handed out (%u > 3)", c2);
	vm_reg_write(d, GVTSIM_CURABASE, vm_reg_read(d, GVTSIM_CURABASE) - 0x10000);
	vm_param_set("monotonic_ids", false);
}

/* A surface of its own per @i: the guest at (w0 + 16 i) x 240. */
static int show_surface(struct vm_display *d, uint32_t w0, int i)
{
	struct gvtsim_guest_config cfg;
	int ret;

	gvtsim_guest_config_default(&cfg);
	cfg.gen = 9;
	cfg.modifier = DRM_FORMAT_MOD_LINEAR;
	cfg.width = w0 + 16 * (uint32_t)i;
	cfg.height = 240;
	cfg.n_buffers = 2;
	cfg.cursor_size = 0;
	cfg.sprite = false;
	cfg.fourcc = DRM_FORMAT_XRGB8888;
	ret = vm_guest_start(d, &cfg);
	if (ret == 0)
		vm_guest_show(d, 100 + (uint64_t)i);
	return ret;
}

/* max_dmabufs with lowest-free ids: exported objects are never unlinked
 * (their ids could otherwise name another surface while a buffer of the
 * old one is open); objects only a query holds are, and their ids go to
 * the next new surfaces. */
static void test_bound(struct vm_display *d)
{
	enum { N = 6 };
	uint32_t ids[N], hid[N];
	int fds[N], i, j, n = 0, kept = 0, distinct = 1, ret;

	vm_sysfs_write(VM_GVTSIM_PARAMS "/max_dmabufs", "4");
	for (i = 0; i < N; i++) {
		fds[i] = -1;
		ids[i] = 0;
		if (show_surface(d, 320, i))
			break;
		ids[i] = query_id(d->device, DRM_PLANE_TYPE_PRIMARY);
		fds[i] = ids[i] ? vm_get_dmabuf(d->device, ids[i]) : -1;
		if (fds[i] < 0)
			break;
		n++;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (ids[i] == ids[j])
				distinct = 0;
	for (i = 0; i < n; i++) {
		int fd = vm_get_dmabuf(d->device, ids[i]);

		if (fd >= 0 && dmabuf_size(fd) == dmabuf_size(fds[i]))
			kept++;
		close_fd(&fd);
	}
	vm_check(n == N && distinct && kept == N,
		 "max_dmabufs=4: %d exported surfaces keep distinct ids that still export them (%d exported, %d kept)",
		 N, n, kept);
	for (i = 0; i < n; i++)
		close_fd(&fds[i]);

	for (i = 0; i < N; i++)
		hid[i] = show_surface(d, 480, i) ? 0 : query_id(d->device, DRM_PLANE_TYPE_PRIMARY);
	vm_check(hid[0] == 1 && hid[3] == 4 && hid[4] == hid[0] && hid[5] == hid[1],
		 "max_dmabufs=4: queried, never exported surfaces past the bound are unlinked, their ids go to the next ones (%u %u %u %u %u %u)",
		 hid[0], hid[1], hid[2], hid[3], hid[4], hid[5]);
	{
		struct vfio_device_gfx_plane_info p;

		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		ret = ret ? ret : vm_get_dmabuf(d->device, hid[5]);
		vm_check(p.width == 480 + 16 * 5 &&
			 dmabuf_size(ret) == (off_t)(((size_t)p.size + 4095) / 4096 * 4096),
			 "max_dmabufs=4: id %u exports the newest surface, %ux%u (%lld bytes)", hid[5],
			 p.width, p.height, (long long)dmabuf_size(ret));
		close_fd(&ret);
	}
	vm_sysfs_write(VM_GVTSIM_PARAMS "/max_dmabufs", "32");
}

void vm_test_i915_defaults(void)
{
	static const char *const params[] = { "dmabuf_mmap", "monotonic_ids",
					       "disabled_plane_enodev" };
	struct gvtsim_guest_config cfg;
	struct vm_display d;
	struct vm_vfio v = { -1, -1, -1 };
	char err[256];
	unsigned int i;
	uint32_t id;
	int ret;

	for (i = 0; i < 3; i++) {
		ret = vm_param_set(params[i], false);
		vm_check(ret == 0, "module parameter %s is writable at run time (%s)", params[i],
			 strerror(-ret));
	}
	ret = vm_mdev_create("GVTg_V5_4", UUID_I915);
	if (!vm_check(ret == 0, "i915: create %s (%s)", UUID_I915, strerror(-ret)))
		return;
	ret = vm_vfio_open(UUID_I915, &v, err, sizeof(err));
	if (!vm_check(ret == 0, "i915: open %s (%s)", UUID_I915, ret ? err : "ok"))
		goto out_remove;
	ret = vm_display_init(&d, v.device);
	if (!vm_check(ret == 0, "i915: display set up (%s)", strerror(-ret)))
		goto out_close;

	check_disabled(v.device, all_planes, 3, "no active pipe");
	if (start(&d, &cfg) == 0) {
		test_ids(&d, &cfg);
		test_answer(&d);
		test_no_cpu_mapping(&d, &cfg);

		vm_reg_write(&d, GVTSIM_CURACNTR, GVTSIM_CURSOR_MODE_DISABLE);
		check_disabled(v.device, &all_planes[1], 1, "cursor hidden");
		vm_reg_write(&d, GVTSIM_PLANE_CTL(1), 0);
		check_disabled(v.device, all_planes, 1, "primary disabled, pipe on");
		vm_reg_write(&d, GVTSIM_PIPEACONF, 0);
		check_disabled(v.device, all_planes, 3, "pipe turned off");
		/* and back on: the screen returns */
		gvtsim_guest_program_mode(&d.guest);
		vm_guest_show(&d, 21);
		id = query_id(v.device, DRM_PLANE_TYPE_PRIMARY);
		vm_check(id != 0, "i915: the guest turns its display on again: primary enabled (id %u)", id);
	}
	vm_display_finish(&d);

	/* Closing the device frees every id (i915's intel_vgpu_dmabuf_cleanup);
	 * the registers stay, so the same screen starts again at id 1. */
	vm_vfio_close(&v);
	ret = vm_vfio_open(UUID_I915, &v, err, sizeof(err));
	if (vm_check(ret == 0, "i915: reopen %s (%s)", UUID_I915, ret ? err : "ok")) {
		id = query_id(v.device, DRM_PLANE_TYPE_PRIMARY);
		vm_check(id == 1, "i915: after close and reopen the screen's id is 1 again (%u)", id);
		if (vm_display_init(&d, v.device) == 0)
			test_bound(&d);
		vm_display_finish(&d);
	}
out_close:
	vm_vfio_close(&v);
out_remove:
	ret = vm_mdev_remove(UUID_I915);
	vm_check(ret == 0, "i915: remove %s (%s)", UUID_I915, strerror(-ret));
}
