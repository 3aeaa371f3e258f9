/* SPDX-License-Identifier: MIT */
/*
 * vm-lib: libgvtdmabuf against gvtsim in the vm suite's VM.
 *
 *   vm-lib UUID1 UUID2     the library tests (UUID1 a GVTg_V5_4 vGPU,
 *                          UUID2 a GVTg_V4_4 one, both created by /init)
 *   vm-lib --paint UUID    open, let the guest show a frame, close (so the
 *                          gvt-dmabuf tool finds a screen)
 *   vm-lib --check-png FILE  compare the tool's snapshot of the --paint
 *                          screen with the guest model, pixel for pixel
 *   vm-lib --hold UUID     open, show a frame, keep a duplicated dma-buf,
 *                          close the device, print "# holding"; once
 *                          /tmp/removed exists (the vGPU was removed) check
 *                          the held pixels, print "# verified", and exit
 *                          once /tmp/release exists
 *
 * The guest runs in-process through raw VFIO region accesses on the
 * library's own device fd (gvtdmabuf_device_get_fd()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#ifdef VM_HAVE_PNG
#include <png.h>
#endif

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "gvtsim_hw.h"
#include "vm-common.h"

static char why[512];

/* The frame --paint leaves on screen for the tool. */
#define PAINT_FRAME 42

static void guest_config(struct gvtsim_guest_config *cfg, unsigned int gen, uint64_t modifier)
{
	gvtsim_guest_config_default(cfg);
	cfg->gen = gen;
	cfg->modifier = modifier;
	cfg->width = 640;
	cfg->height = 480;
	cfg->n_buffers = 2;
	cfg->cursor_size = 64;
	cfg->sprite = gen == 9;
	cfg->fourcc = DRM_FORMAT_XRGB8888;
}

/* Library plane info -> the VFIO struct vm_check_primary_map() takes. */
static void to_vfio(const struct gvtdmabuf_dmabuf *b, struct vfio_device_gfx_plane_info *p)
{
	memset(p, 0, sizeof(*p));
	p->drm_format = b->fourcc;
	p->drm_format_mod = b->modifier;
	p->width = b->width;
	p->height = b->height;
	p->stride = b->stride[0];
	p->size = b->size;
}

/* Compare read_linear output with the guest model. */
static int check_read_linear(const struct gvtdmabuf_dmabuf *b,
			     const struct gvtsim_guest_config *cfg, uint64_t frame)
{
	uint32_t x, y, bad = 0, got0 = 0, want0 = 0;
	uint32_t *lin;
	int ret;

	lin = malloc((size_t)b->width * 4 * b->height);
	if (!lin) {
		snprintf(why, sizeof(why), "out of memory");
		return -1;
	}
	ret = gvtdmabuf_dmabuf_read_linear(b, lin, b->width * 4);
	if (ret) {
		snprintf(why, sizeof(why), "gvtdmabuf_dmabuf_read_linear: %s", strerror(-ret));
		free(lin);
		return -1;
	}
	for (y = 0; y < b->height; y++) {
		for (x = 0; x < b->width; x++) {
			uint32_t got = lin[(size_t)y * b->width + x];
			uint32_t want = gvtsim_guest_expected_native(cfg, frame, vm_frame_time(frame),
								     x, y);

			if (got != want && !bad++) {
				got0 = got;
				want0 = want;
			}
		}
	}
	free(lin);
	if (bad) {
		snprintf(why, sizeof(why), "%u pixels differ, first 0x%08x expected 0x%08x", bad, got0,
			 want0);
		return -1;
	}
	return 0;
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(fd, &v, 8) == 8;
}

static void drain(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t v;

	while (poll(&pfd, 1, 0) == 1 && read(fd, &v, 8) == 8)
		;
}

/* Open @uuid and start the guest on the library's device fd. */
static int open_with_guest(const char *uuid, struct gvtsim_guest_config *cfg, unsigned int gen,
			   uint64_t modifier, struct gvtdmabuf_device **ret_dev,
			   struct vm_display *d)
{
	char err[GVTDMABUF_ERROR_MAX] = "";
	int ret;

	ret = gvtdmabuf_device_open(NULL, uuid, ret_dev, err, sizeof(err));
	if (!vm_check(ret == 0, "gvtdmabuf_device_open %s (%s)", uuid, ret ? err : "ok"))
		return ret;
	ret = vm_display_init(d, gvtdmabuf_device_get_fd(*ret_dev));
	if (!vm_check(ret == 0, "guest: BAR0/BAR2 through the library's device fd (%s)",
		      strerror(-ret)))
		return ret;
	guest_config(cfg, gen, modifier);
	ret = vm_guest_start(d, cfg);
	vm_check(ret == 0, "guest model starts on %s (%s)", uuid, strerror(-ret));
	return ret;
}

static int wait_file(const char *path, int seconds)
{
	int i;

	for (i = 0; i < seconds * 20; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

static int do_paint(const char *uuid)
{
	struct gvtsim_guest_config cfg;
	struct gvtdmabuf_device *dev = NULL;
	struct vm_display d = { 0 };

	if (open_with_guest(uuid, &cfg, 9, DRM_FORMAT_MOD_LINEAR, &dev, &d) == 0)
		vm_guest_show(&d, PAINT_FRAME);
	vm_display_finish(&d);
	gvtdmabuf_device_close(dev);
	return vm_done("vm-lib --paint");
}

/* The screen --paint leaves: primary, sprite and cursor composited. */
static int do_check_png(const char *path, bool cursor)
{
#ifdef VM_HAVE_PNG
	struct gvtsim_guest_config cfg;
	png_image img;
	uint8_t *rgba = NULL;
	uint32_t x, y, bad = 0, got0 = 0, want0 = 0, bx = 0, by = 0;

	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR);
	if (!cursor)
		cfg.cursor_size = 0;	/* the model's screen without it */
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!vm_check(png_image_begin_read_from_file(&img, path), "read %s (%s)", path,
		      img.message))
		goto out;
	img.format = PNG_FORMAT_RGBA;
	rgba = malloc(PNG_IMAGE_SIZE(img));
	if (!vm_check(rgba && png_image_finish_read(&img, NULL, rgba, 0, NULL), "decode %s", path))
		goto out;
	if (!vm_check(img.width == cfg.width && img.height == cfg.height,
		      "snapshot is %ux%u (expected %ux%u)", img.width, img.height, cfg.width,
		      cfg.height))
		goto out;
	for (y = 0; y < img.height; y++) {
		for (x = 0; x < img.width; x++) {
			const uint8_t *px = rgba + ((size_t)y * img.width + x) * 4;
			uint32_t got = (uint32_t)px[0] << 16 | px[1] << 8 | px[2];
			uint32_t want = gvtsim_guest_expected_composited(&cfg, PAINT_FRAME,
						vm_frame_time(PAINT_FRAME), x, y) & 0xffffff;

			if (got != want && !bad++) {
				got0 = got;
				want0 = want;
				bx = x;
				by = y;
			}
		}
	}
	vm_check(bad == 0,
		 "snapshot equals the guest model's screen (primary + sprite%s): %u pixels differ, first at (%u,%u) 0x%06x expected 0x%06x",
		 cursor ? " + cursor" : ", cursor hidden", bad, bx, by, got0, want0);
out:
	png_image_free(&img);
	free(rgba);
#else
	vm_note("built without libpng: %s not checked", path);
#endif
	return vm_done("vm-lib --check-png");
}

/* Leave frame PAINT_FRAME on screen with the cursor hidden (--paint-nocursor),
 * or the whole display blank (--blank: pipe and planes off). */
static int do_paint_special(const char *uuid, bool blank)
{
	struct gvtsim_guest_config cfg;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info info;
	struct vm_display d = { 0 };
	int ret;

	if (open_with_guest(uuid, &cfg, 9, DRM_FORMAT_MOD_LINEAR, &dev, &d) == 0) {
		vm_guest_show(&d, PAINT_FRAME);
		if (blank) {
			gvtsim_guest_disable(&d.guest);
		} else {
			vm_reg_write(&d, GVTSIM_CURACNTR, GVTSIM_CURSOR_MODE_DISABLE);
			ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info);
			vm_check(ret == 0 && !info.enabled, "guest hid its cursor: cursor disabled (%d)",
				 ret);
		}
		ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
		vm_check(ret == 0 && info.enabled == !blank, "primary %s (%d)",
			 blank ? "disabled: the guest blanked its screen" : "enabled", ret);
	}
	vm_display_finish(&d);
	gvtdmabuf_device_close(dev);
	return vm_done(blank ? "vm-lib --blank" : "vm-lib --paint-nocursor");
}

/* Every plane of @dev disabled, with a 0 return. */
static void check_all_disabled(struct gvtdmabuf_device *dev, const char *what)
{
	static const enum gvtdmabuf_plane planes[] = { GVTDMABUF_PLANE_PRIMARY,
						       GVTDMABUF_PLANE_CURSOR,
						       GVTDMABUF_PLANE_SPRITE };
	struct gvtdmabuf_plane_info info;
	unsigned int i;
	int ret;

	for (i = 0; i < 3; i++) {
		memset(&info, 0x5a, sizeof(info));
		ret = gvtdmabuf_device_query_plane(dev, planes[i], &info);
		vm_check(ret == 0 && !info.enabled && info.fourcc == 0 && info.dmabuf_id == 0,
			 "%s: plane %d -> 0, disabled (ret %d enabled %d)", what, (int)planes[i], ret,
			 info.enabled);
	}
}

/* The cursor's linear pixels against the guest model's cursor image. */
static int check_cursor_pixels(const struct gvtdmabuf_dmabuf *b,
			       const struct gvtsim_guest_config *cfg)
{
	uint32_t x, y, bad = 0, n = cfg->cursor_size;
	uint32_t *lin;
	int ret;

	if (b->width != n || b->height != n || b->fourcc != DRM_FORMAT_ARGB8888) {
		snprintf(why, sizeof(why), "not the cursor: %ux%u 0x%x", b->width, b->height,
			 b->fourcc);
		return -1;
	}
	lin = malloc((size_t)n * n * 4);
	if (!lin)
		return -1;
	ret = gvtdmabuf_dmabuf_read_linear(b, lin, n * 4);
	for (y = 0; ret == 0 && y < n; y++)
		for (x = 0; x < n; x++)
			if (lin[y * n + x] != gvtsim_guest_expected_cursor_pixel(cfg, x, y))
				bad++;
	free(lin);
	snprintf(why, sizeof(why), "%s, %u pixels differ", ret ? strerror(-ret) : "read", bad);
	return ret || bad ? -1 : 0;
}

/*
 * The library over i915's behaviour (gvtsim's defaults): a guest that
 * blanks and un-blanks its screen and hides its cursor, with the kernel
 * saying "disabled" both ways (0 untouched, -ENODEV); read_linear where
 * the CPU cannot map; dmabuf ids reused once freed while the cache keeps
 * naming the right surface.
 */
static int do_i915(const char *uuid)
{
	struct gvtsim_guest_config cfg;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info info, cur;
	const struct gvtdmabuf_dmabuf *b = NULL;
	struct vm_display d = { 0 };
	uint32_t id0, id1;
	int ret, efd;

	vm_param_set("dmabuf_mmap", false);
	vm_param_set("monotonic_ids", false);
	vm_param_set("disabled_plane_enodev", false);
	if (open_with_guest(uuid, &cfg, 9, DRM_FORMAT_MOD_LINEAR, &dev, &d))
		goto out;
	efd = gvtdmabuf_device_get_event_fd(dev);

	/* Blank, un-blank, blank again: both ways of saying it. */
	vm_guest_show(&d, 1);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	vm_check(ret == 0 && info.enabled, "i915: primary enabled (%d)", ret);
	if (efd >= 0) {
		usleep(100000);
		drain(efd);
	}
	gvtsim_guest_disable(&d.guest);
	if (efd >= 0)
		vm_check(wait_readable(efd, 2000), "i915: the event fd fires when the guest blanks");
	check_all_disabled(dev, "i915 (0, struct untouched): screen blanked");
	vm_param_set("disabled_plane_enodev", true);
	check_all_disabled(dev, "kernel answering -ENODEV: screen blanked");
	ret = vm_guest_start(&d, &cfg);
	vm_guest_show(&d, 2);
	ret = ret ? ret : gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	vm_check(ret == 0 && info.enabled && info.width == 640,
		 "kernel answering -ENODEV: the screen comes back (%d, %ux%u)", ret, info.width,
		 info.height);
	vm_reg_write(&d, GVTSIM_CURACNTR, GVTSIM_CURSOR_MODE_DISABLE);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &cur);
	vm_check(ret == 0 && !cur.enabled, "kernel answering -ENODEV: hidden cursor is disabled, not an error (%d)",
		 ret);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	vm_check(ret == 0 && info.enabled, "kernel answering -ENODEV: primary still enabled (%d)", ret);
	vm_param_set("disabled_plane_enodev", false);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &cur);
	vm_check(ret == 0 && !cur.enabled, "i915: hidden cursor disabled (%d)", ret);
	ret = vm_guest_start(&d, &cfg);	/* cursor back */
	vm_check(ret == 0, "i915: guest shows its cursor again (%d)", ret);

	/* No CPU mapping: read_linear either reads through a GPU path or
	 * fails, and never with a wrong picture. */
	vm_guest_show(&d, 3);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	ret = ret ? ret : gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	if (vm_check(ret == 0, "i915: get_dmabuf without CPU mapping (%d)", ret)) {
		ret = check_read_linear(b, &cfg, 3);
		if (ret == 0)
			vm_note("read_linear read the unmappable dma-buf exactly (a GPU path)");
		else
			vm_check(strstr(why, "read_linear") != NULL,
				 "i915: read_linear of an unmappable dma-buf fails, no wrong pixels (%s)",
				 why);
	}

	/* Id reuse under the cache: dmabuf_mmap=1 only to check pixels. */
	vm_param_set("dmabuf_mmap", true);
	gvtdmabuf_device_flush_cache(dev);
	vm_check(gvtdmabuf_device_set_cache_size(dev, 1) == 0, "cache size 1");
	vm_guest_show(&d, 4);	/* buffer 0 */
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	ret = ret ? ret : gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	id0 = info.dmabuf_id;
	ret = ret ? ret : check_read_linear(b, &cfg, 4);
	vm_check(ret == 0, "ids: buffer 0 (id %u) frame 4 exact (%s)", id0, ret ? why : "ok");
	vm_guest_show(&d, 5);	/* buffer 1: the cache lets buffer 0's fd go */
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	ret = ret ? ret : gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	id1 = info.dmabuf_id;
	ret = ret ? ret : check_read_linear(b, &cfg, 5);
	vm_check(ret == 0 && id1 != id0, "ids: buffer 1 (id %u) frame 5 exact (%s)", id1,
		 ret ? why : "ok");
	/* buffer 0's id is free now: the cursor, a new surface, gets it */
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &cur);
	vm_check(ret == 0 && cur.enabled && cur.dmabuf_id == id0,
		 "ids: the cursor takes the freed id %u of buffer 0 (%u)", id0, cur.dmabuf_id);
	ret = ret ? ret : gvtdmabuf_device_get_dmabuf(dev, &cur, &b);
	ret = ret ? ret : check_cursor_pixels(b, &cfg);
	vm_check(ret == 0, "ids: the cache hands out the cursor for reused id %u, not buffer 0 (%s)",
		 cur.dmabuf_id, ret ? why : "ok");
	/* and buffer 0 once more: a new id, its own pixels */
	vm_guest_show(&d, 6);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	ret = ret ? ret : gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	ret = ret ? ret : check_read_linear(b, &cfg, 6);
	vm_check(ret == 0, "ids: buffer 0 again (id %u) frame 6 exact (%s)", info.dmabuf_id,
		 ret ? why : "ok");
	vm_param_set("dmabuf_mmap", false);
out:
	vm_display_finish(&d);
	gvtdmabuf_device_close(dev);
	return vm_done("vm-lib --i915");
}

static int do_hold(const char *uuid)
{
	struct gvtsim_guest_config cfg;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info info;
	const struct gvtdmabuf_dmabuf *b;
	struct gvtdmabuf_dmabuf held = { .n_planes = 0 };
	struct vfio_device_gfx_plane_info p;
	struct vm_display d = { 0 };
	void *map = MAP_FAILED;
	int ret;

	if (open_with_guest(uuid, &cfg, 9, I915_FORMAT_MOD_Y_TILED, &dev, &d))
		goto out;
	vm_guest_show(&d, 77);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	if (!vm_check(ret == 0 && info.enabled, "hold: primary enabled (%d)", ret))
		goto out;
	ret = gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	if (!vm_check(ret == 0, "hold: get_dmabuf (%d)", ret))
		goto out;
	ret = gvtdmabuf_dmabuf_dup(b, &held);
	if (!vm_check(ret == 0, "hold: gvtdmabuf_dmabuf_dup (%d)", ret))
		goto out;
	to_vfio(&held, &p);
	map = mmap(NULL, held.size, PROT_READ, MAP_SHARED, held.fd[0], 0);
	vm_check(map != MAP_FAILED, "hold: held dma-buf mapped");
	vm_display_finish(&d);
	gvtdmabuf_device_close(dev);
	dev = NULL;
	vm_note("holding");
	if (!vm_check(wait_file("/tmp/removed", 60) == 0, "hold: /init removed the vGPU"))
		goto out;
	vm_check(!vm_mdev_exists(uuid), "hold: %s is gone from sysfs", uuid);
	if (map != MAP_FAILED) {
		ret = vm_check_primary_map(map, held.size, &p, &cfg, 77, why, sizeof(why));
		vm_check(ret == 0, "hold: after removal the mapped dma-buf still shows frame 77 (%s)",
			 ret ? why : "ok");
	}
	ret = check_read_linear(&held, &cfg, 77);
	vm_check(ret == 0, "hold: after removal read_linear of the held fd shows frame 77 (%s)",
		 ret ? why : "ok");
	vm_note("verified");
	vm_check(wait_file("/tmp/release", 60) == 0, "hold: released by /init");
out:
	if (map != MAP_FAILED)
		munmap(map, held.size);
	gvtdmabuf_dmabuf_finish(&held);
	vm_display_finish(&d);
	gvtdmabuf_device_close(dev);
	return vm_done("vm-lib --hold");
}

static void test_list(const char *u1, const char *u2)
{
	struct gvtdmabuf_mdev_info *list = NULL;
	size_t n = 0, i;
	int ret, found = 0;

	ret = gvtdmabuf_list_mdevs(NULL, true, &list, &n);
	if (!vm_check(ret == 0, "gvtdmabuf_list_mdevs (%d)", ret))
		return;
	for (i = 0; i < n; i++) {
		const struct gvtdmabuf_mdev_info *m = &list[i];
		const char *want_type;

		if (strcmp(m->uuid, u1) && strcmp(m->uuid, u2))
			continue;
		found++;
		want_type = strcmp(m->uuid, u1) ? "gvtsim-GVTg_V4_4" : "gvtsim-GVTg_V5_4";
		vm_check(m->display == 1 && !strcmp(m->parent, "gvtsim") &&
			 !strcmp(m->type_id, want_type) && m->iommu_group >= 0,
			 "list: %s display %d parent \"%s\" type \"%s\" (\"%s\") group %d", m->uuid,
			 m->display, m->parent, m->type_id, m->type_name, m->iommu_group);
	}
	vm_check(found == 2, "list shows both vGPUs (%d of %zu entries)", found, n);
	free(list);
}

static void test_device(const char *u1, const char *u2)
{
	char err[GVTDMABUF_ERROR_MAX] = "";
	struct gvtsim_guest_config cfg, cfg2;
	struct gvtdmabuf_device *dev = NULL, *dev2 = NULL, *busy = NULL;
	struct gvtdmabuf_plane_info info, info2, cur, spr;
	struct gvtdmabuf_cache_stats st0, st1;
	const struct gvtdmabuf_dmabuf *b = NULL, *b2 = NULL;
	struct vm_display d = { 0 }, d2 = { 0 };
	int32_t ex, ey;
	int ret, efd;

	if (open_with_guest(u1, &cfg, 9, I915_FORMAT_MOD_X_TILED, &dev, &d))
		goto out;
	vm_check(!strcmp(gvtdmabuf_device_get_backend(dev), "vfio-group"),
		 "backend is vfio-group (%s)", gvtdmabuf_device_get_backend(dev));
	vm_check(!strcmp(gvtdmabuf_device_get_name(dev), u1), "device name is the UUID");
	ret = gvtdmabuf_device_open(NULL, u1, &busy, err, sizeof(err));
	vm_check(ret == -EBUSY && busy == NULL && (strcasestr(err, "busy") || strcasestr(err, "in use")),
		 "second open -> -EBUSY saying so (%d: %s)", ret, err);
	gvtdmabuf_device_close(busy);

	gvtsim_guest_disable(&d.guest);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	vm_check(ret == 0 && !info.enabled && info.width == 0,
		 "guest turned the pipe off: primary disabled (%d, %d)", ret, info.enabled);
	ret = gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	vm_check(ret == -ENODATA, "get_dmabuf of a disabled plane -> -ENODATA (%d)", ret);
	ret = vm_guest_start(&d, &cfg);
	vm_check(ret == 0, "guest programs the mode again (%d)", ret);

	efd = gvtdmabuf_device_get_event_fd(dev);
	vm_check(efd >= 0, "event fd (%d)", efd);
	if (efd >= 0) {
		usleep(100000);
		drain(efd);
	}
	vm_guest_show(&d, 30);
	if (efd >= 0)
		vm_check(wait_readable(efd, 2000), "event fd fires on the guest's flip");

	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
	vm_check(ret == 0 && info.enabled && info.fourcc == DRM_FORMAT_XRGB8888 &&
		 info.modifier == I915_FORMAT_MOD_X_TILED && info.width == 640 && info.height == 480 &&
		 info.stride == 2560 && info.dmabuf_id > 0,
		 "primary: XRGB8888 X-tiled 640x480 stride 2560 (ret %d fourcc 0x%x mod 0x%llx %ux%u stride %u id %u)",
		 ret, info.fourcc, (unsigned long long)info.modifier, info.width, info.height,
		 info.stride, info.dmabuf_id);
	gvtdmabuf_device_get_cache_stats(dev, &st0);
	ret = gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	if (vm_check(ret == 0 && b && b->is_dmabuf && b->fd[0] >= 0 && b->dmabuf_id == info.dmabuf_id,
		     "get_dmabuf: a real dma-buf (%d)", ret)) {
		ret = gvtdmabuf_device_get_dmabuf(dev, &info, &b2);
		gvtdmabuf_device_get_cache_stats(dev, &st1);
		vm_check(ret == 0 && b2 == b && st1.hits == st0.hits + 1 && st1.misses == st0.misses + 1,
			 "get_dmabuf again: cache hit (hits %llu->%llu misses %llu->%llu)",
			 (unsigned long long)st0.hits, (unsigned long long)st1.hits,
			 (unsigned long long)st0.misses, (unsigned long long)st1.misses);
		ret = check_read_linear(b, &cfg, 30);
		vm_check(ret == 0, "read_linear: X-tiled frame 30 exact (%s)", ret ? why : "ok");
	}

	vm_guest_show(&d, 31);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info2);
	vm_check(ret == 0 && info2.dmabuf_id != info.dmabuf_id, "flip: new dmabuf_id (%u -> %u)",
		 info.dmabuf_id, info2.dmabuf_id);
	ret = gvtdmabuf_device_get_dmabuf(dev, &info2, &b);
	if (vm_check(ret == 0, "get_dmabuf after the flip (%d)", ret)) {
		ret = check_read_linear(b, &cfg, 31);
		vm_check(ret == 0, "read_linear: frame 31 exact (%s)", ret ? why : "ok");
	}
	/* The old id still names buffer 0 (frame 30 is still in it). */
	ret = gvtdmabuf_device_get_dmabuf(dev, &info, &b);
	vm_check(ret == 0 || ret == -ESTALE, "get_dmabuf of the previous id: 0 or -ESTALE (%d)", ret);

	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &cur);
	gvtsim_guest_expected_cursor_pos(&cfg, 31, &ex, &ey);
	vm_check(ret == 0 && cur.enabled && cur.fourcc == DRM_FORMAT_ARGB8888 && cur.width == 64 &&
		 cur.x == ex && cur.y == ey && cur.hotspot_known && cur.x_hot == 0 && cur.y_hot == 0,
		 "cursor: ARGB8888 64x64 at (%d,%d), expected (%d,%d), hotspot 0,0 as i915 without a PV hotspot (%d)",
		 cur.x, cur.y, ex, ey, ret);
	ret = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_SPRITE, &spr);
	gvtsim_guest_expected_sprite_pos(&cfg, 31, &ex, &ey);
	vm_check(ret == 0 && spr.enabled && spr.width == GVTSIM_GUEST_SPRITE_WIDTH && spr.x == ex &&
		 spr.y == ey, "sprite: %ux%u at (%d,%d), expected (%d,%d) (%d)", spr.width, spr.height,
		 spr.x, spr.y, ex, ey, ret);

	/* The second vGPU at the same time (Gen8, linear). */
	if (open_with_guest(u2, &cfg2, 8, DRM_FORMAT_MOD_LINEAR, &dev2, &d2) == 0) {
		vm_guest_show(&d2, 5);
		ret = gvtdmabuf_device_query_plane(dev2, GVTDMABUF_PLANE_PRIMARY, &info);
		if (vm_check(ret == 0 && info.enabled && info.modifier == DRM_FORMAT_MOD_LINEAR,
			     "gen8 vGPU primary enabled, linear (%d)", ret)) {
			ret = gvtdmabuf_device_get_dmabuf(dev2, &info, &b);
			ret = ret ? ret : check_read_linear(b, &cfg2, 5);
			vm_check(ret == 0, "gen8 read_linear: frame 5 exact (%s)", ret ? why : "ok");
		}
	}
out:
	vm_display_finish(&d2);
	gvtdmabuf_device_close(dev2);
	vm_display_finish(&d);
	gvtdmabuf_device_close(dev);
	/* Module state sane after close: both still there, reopen works. */
	vm_check(vm_mdev_exists(u1) && vm_mdev_exists(u2), "both vGPUs still exist after close");
	ret = gvtdmabuf_device_open(NULL, u1, &dev, err, sizeof(err));
	vm_check(ret == 0, "reopen after close (%s)", ret ? err : "ok");
	if (ret == 0)
		gvtdmabuf_device_close(dev);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--paint"))
		return do_paint(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--check-png"))
		return do_check_png(argv[2], true);
	if (argc == 3 && !strcmp(argv[1], "--check-png-nocursor"))
		return do_check_png(argv[2], false);
	if (argc == 3 && !strcmp(argv[1], "--paint-nocursor"))
		return do_paint_special(argv[2], false);
	if (argc == 3 && !strcmp(argv[1], "--blank"))
		return do_paint_special(argv[2], true);
	if (argc == 3 && !strcmp(argv[1], "--i915"))
		return do_i915(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--hold"))
		return do_hold(argv[2]);
	if (argc != 3) {
		fprintf(stderr, "usage: vm-lib UUID1 UUID2 | --paint|--paint-nocursor|--blank|--i915|--hold UUID |\n"
				"              --check-png|--check-png-nocursor FILE\n");
		return 2;
	}
	vm_note("vm-lib: libgvtdmabuf on gvtsim (kernel %s)",
		getenv("GVT_VM_KERNEL") ? getenv("GVT_VM_KERNEL") : "?");
	test_list(argv[1], argv[2]);
	test_device(argv[1], argv[2]);
	return vm_done("vm-lib");
}
