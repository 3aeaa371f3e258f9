/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: spec parsing and its messages, the ioctl rules of
 * VFIO_DEVICE_QUERY_GFX_PLANE / GET_GFX_DMABUF as i915 applies them,
 * dmabuf_id reuse, a fresh fd per export, the memfd (or udmabuf) export
 * path, the event fd, and the pixels behind an export.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <drm_fourcc.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "guest-model.h"
#include "vfio-compat.h"

static struct gvtdmabuf_backend *open_ok(const char *spec)
{
	struct gvtdmabuf_backend *b = NULL;
	char err[GVTDMABUF_ERROR_MAX] = "";
	int r;

	r = gvtdmabuf_sim_open(spec, &b, err, sizeof(err));
	if (r)
		g_error("opening '%s' failed: %d %s", spec, r, err);
	g_assert_nonnull(b);
	g_assert_true(gvtdmabuf_backend_is_sim(b));
	g_assert_cmpstr(b->ops->name, ==, "sim");
	return b;
}

static int query(struct gvtdmabuf_backend *b, uint32_t type,
		 struct vfio_device_gfx_plane_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	info->drm_plane_type = type;
	return b->ops->query_plane(b, info);
}

/* ---- spec ------------------------------------------------------------- */

static void test_spec_errors(void)
{
	static const struct {
		const char *spec;
		const char *needle;	/* must appear in the message */
	} cases[] = {
		{ "sim:foo", "'foo'" },
		{ "sim:1280x720,bogus", "'bogus'" },
		{ "sim:", "empty" },
		{ "sim:1920x1080,,xtiled", "empty" },
		{ "sim:fps=0", "fps=0" },
		{ "sim:fps=241", "fps=241" },
		{ "sim:fps=abc", "fps=abc" },
		{ "sim:fps=", "fps=" },
		{ "sim:fps=-5", "fps=-5" },
		{ "sim:buffers=1", "buffers=1" },
		{ "sim:buffers=4", "buffers=4" },
		{ "sim:cursor=100", "cursor=100" },
		{ "sim:cursor=on", "cursor=on" },
		{ "sim:sprite=yes", "sprite=yes" },
		{ "sim:gen=7", "gen=7" },
		{ "sim:clock=fast", "clock=fast" },
		{ "sim:color=red", "color=red" },
		{ "sim:ytiled,gen=8", "gen 8" },
		{ "sim:yuyv,gen=8", "gen 8" },
		{ "sim:100x100", "256x160" },
		{ "sim:9000x1000", "8192" },
		{ "sim:1280x", "1280x" },
		{ "sim:x720", "x720" },
		{ "sim:99999999999x5", "99999999999x5" },
		{ "sim:yftiled,gen=8", "gen 8" },
		{ "sim:yuyv,321x200", "even" },
		/* a mode out of range or malformed says so, not "unknown" */
		{ "sim:1000001x1080", "width 1000001 is out of range" },
		{ "sim:1920x1000001", "height 1000001 is out of range" },
		{ "sim:1920x100", "height 100 is out of range" },
		{ "sim:1920X1080", "lower-case x" },
		{ "sim:1920x10a0", "malformed mode '1920x10a0'" },
		/* an option given twice is refused, not silently overridden */
		{ "sim:1920x1080,1280x720", "both set the mode" },
		{ "sim:xtiled,linear", "both set the tiling" },
		{ "sim:rgb565,xrgb8888", "both set the format" },
		{ "sim:fps=30,fps=60", "both set the frame rate" },
		{ "sim:cursor=64,cursor=off", "both set the cursor" },
		{ "sim:clock=manual,clock=realtime", "both set the clock" },
		{ "sim:remove-after=0", "remove-after=0" },
		{ "sim:remove-after=abc", "remove-after=abc" },
		{ "sim:remove-after=10000001", "1..10000000" },
		{ "sim:remove-after=", "remove-after=" },
		{ "sim:remove-after=5,return-after=600001", "return-after=600001" },
		{ "sim:remove-after=5,return-after=-1", "0..600000" },
		{ "sim:return-after=100", "return-after needs remove-after" },
		{ "sim:remove-after=5,remove-after=6", "both set the removal" },
		{ "sim:remove-after=5,return-after=1,return-after=2", "both set the return" },
		{ "sim:modeset=640x480", "modeset=WxH@N" },
		{ "sim:modeset=@5", "modeset=WxH@N" },
		{ "sim:modeset=640x480@0", "modeset=WxH@N" },
		{ "sim:modeset=640x480@10000001", "modeset=WxH@N" },
		{ "sim:modeset=640x480@x", "modeset=WxH@N" },
		{ "sim:modeset=wide@5", "bad mode in 'modeset=wide@5'" },
		{ "sim:modeset=100x100@5", "width 100 is out of range" },
		{ "sim:yuyv,modeset=641x480@5", "modeset: " },
		{ "sim:clock=manual,modeset=640x480@5", "modeset needs clock=realtime" },
		{ "sim:modeset=640x480@5,modeset=800x600@9", "both set the modeset" },
		{ "simulator", "not a sim spec" },
		{ "sim;1280x720", "not a sim spec" },
		{ "", "not a sim spec" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct gvtdmabuf_backend *b = (void *)0x1;
		char err[GVTDMABUF_ERROR_MAX] = "";
		int r;

		r = gvtdmabuf_sim_open(cases[i].spec, &b, err, sizeof(err));
		if (r != -EINVAL)
			g_error("'%s' gave %d, expected -EINVAL", cases[i].spec, r);
		g_assert_true(b == (void *)0x1);	/* untouched on failure */
		if (!strstr(err, cases[i].needle))
			g_error("'%s': message '%s' lacks '%s'", cases[i].spec, err, cases[i].needle);
		if (strstr(cases[i].spec, "00x") && strstr(err, "unknown option"))
			g_error("'%s': a mode is no unknown option: '%s'", cases[i].spec, err);
	}

	/* NULL errbuf is fine */
	{
		struct gvtdmabuf_backend *b = NULL;

		g_assert_cmpint(gvtdmabuf_sim_open("sim:nope", &b, NULL, 0), ==, -EINVAL);
		g_assert_null(b);
	}
}

static void test_spec_ok(void)
{
	static const char *const specs[] = {
		"sim", "sim:1920x1080", "sim:xtiled,argb8888", "sim:ytiled,rgb565,buffers=3",
		"sim:gen=8,xtiled,xbgr8888", "sim:cursor=off,sprite=on", "sim:cursor=256,fps=1",
		"sim:xrgb2101010,fps=240", "sim:yuyv,640x480", "sim:clock=manual,abgr8888",
		"sim:256x160,clock=realtime", "sim:yftiled,xbgr2101010",
		"sim:remove-after=1000", "sim:remove-after=10000000,return-after=600000",
		"sim:320x200,modeset=1920x1080@1", "sim:1920x1080,modeset=256x160@10000000",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(specs); i++) {
		struct gvtdmabuf_backend *b = open_ok(specs[i]);

		b->ops->destroy(b);
	}
}

static void test_spec_help(void)
{
	const char *h = gvtdmabuf_sim_spec_help();

	g_assert_nonnull(h);
	g_assert_nonnull(strstr(h, "WxH"));
	g_assert_nonnull(strstr(h, "xtiled"));
	g_assert_nonnull(strstr(h, "fps="));
	g_assert_nonnull(strstr(h, "clock="));
	g_assert_nonnull(strstr(h, "sprite="));
	g_assert_nonnull(strstr(h, "remove-after="));
	g_assert_nonnull(strstr(h, "return-after="));
	g_assert_nonnull(strstr(h, "modeset=WxH@N"));
	/* the tool shows it to users, who cannot call C functions */
	g_assert_null(strstr(h, "gvtdmabuf_"));
	g_assert_null(strstr(h, "()"));
}

/* ---- query_plane ------------------------------------------------------ */

static void test_query_rules(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,clock=manual");
	struct vfio_device_gfx_plane_info info;
	const uint32_t minsz = offsetof(struct vfio_device_gfx_plane_info, dmabuf_id) + 4;

	/* probe */
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.flags = VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, 0);

	/* every other flag combination */
	info.flags = 0;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, -EINVAL);
	info.flags = VFIO_GFX_PLANE_TYPE_PROBE;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, -EINVAL);
	info.flags = VFIO_GFX_PLANE_TYPE_REGION;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, -EINVAL);
	info.flags = VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, -EINVAL);
	info.flags = VFIO_GFX_PLANE_TYPE_DMABUF | (1u << 7);
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, -EINVAL);

	/* argsz */
	memset(&info, 0, sizeof(info));
	info.argsz = minsz - 1;
	info.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	info.drm_plane_type = DRM_PLANE_TYPE_PRIMARY;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, -EINVAL);
	info.argsz = minsz;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_XRGB8888);

	/* plane types */
	g_assert_cmpint(query(b, 0 /* DRM_PLANE_TYPE_OVERLAY */, &info), ==, -EINVAL);
	g_assert_cmpint(query(b, 3, &info), ==, -EINVAL);
	g_assert_cmpint(query(b, 0xffffffff, &info), ==, -EINVAL);

	/* primary */
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_XRGB8888);
	g_assert_cmphex(info.drm_format_mod, ==, DRM_FORMAT_MOD_LINEAR);
	g_assert_cmpuint(info.width, ==, 320);
	g_assert_cmpuint(info.height, ==, 200);
	g_assert_cmpuint(info.stride, ==, 1280);
	g_assert_cmpuint(info.size, ==, 1280 * 200);	/* stride x height, as i915 */
	g_assert_cmpuint(info.dmabuf_id, >=, 1);

	/* cursor: position signed; the guest writes no PV info hotspot, so
	 * i915's answer is (0, 0) */
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_CURSOR, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_ARGB8888);
	g_assert_cmpuint(info.width, ==, 64);
	g_assert_cmpuint(info.stride, ==, 256);
	g_assert_cmphex(info.x_hot, ==, 0);
	g_assert_cmphex(info.y_hot, ==, 0);
	{
		struct gvtsim_guest_config cfg;
		int32_t ex, ey;

		gvtsim_guest_config_default(&cfg);
		cfg.width = 320;
		cfg.height = 200;
		gvtsim_guest_expected_cursor_pos(&cfg, 0, &ex, &ey);
		g_assert_cmpint((int32_t)info.x_pos, ==, ex);
		g_assert_cmpint((int32_t)info.y_pos, ==, ey);
		g_assert_cmpint(ex, <, 0);	/* frame 0 starts half off the corner */
	}

	/* sprite off: a disabled plane answers 0 and leaves the struct as
	 * the caller passed it, as i915's intel_vgpu_query_plane() */
	memset(&info, 0xff, sizeof(info));
	info.argsz = sizeof(info);
	info.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	info.drm_plane_type = GVTSIM_GFX_PLANE_TYPE_SPRITE;
	g_assert_cmpint(b->ops->query_plane(b, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, 0xffffffffu);
	g_assert_cmphex(info.size, ==, 0xffffffffu);
	g_assert_cmphex(info.width, ==, 0xffffffffu);
	g_assert_cmphex(info.dmabuf_id, ==, 0xffffffffu);
	g_assert_cmpint(query(b, GVTSIM_GFX_PLANE_TYPE_SPRITE, &info), ==, 0);
	g_assert_cmpuint(info.drm_format, ==, 0);
	g_assert_cmpuint(info.dmabuf_id, ==, 0);

	g_assert_cmpint(b->ops->get_fd(b), ==, -ENOTSUP);
	b->ops->destroy(b);
}

static void test_planes_configured(void)
{
	struct gvtdmabuf_backend *b;
	struct vfio_device_gfx_plane_info info;

	b = open_ok("sim:640x480,gen=8,xtiled,xbgr8888,sprite=on,cursor=off,clock=manual");
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_XBGR8888);
	g_assert_cmphex(info.drm_format_mod, ==, I915_FORMAT_MOD_X_TILED);
	g_assert_cmpuint(info.stride, ==, 2560);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_CURSOR, &info), ==, 0);
	g_assert_cmpuint(info.drm_format, ==, 0);
	g_assert_cmpint(query(b, GVTSIM_GFX_PLANE_TYPE_SPRITE, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_XRGB8888);
	g_assert_cmpuint(info.width, ==, GVTSIM_GUEST_SPRITE_WIDTH);
	g_assert_cmpuint(info.height, ==, GVTSIM_GUEST_SPRITE_HEIGHT);
	g_assert_cmpuint(info.dmabuf_id, >=, 1);
	b->ops->destroy(b);

	b = open_ok("sim:ytiled,rgb565,cursor=256,clock=manual");
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
	g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_RGB565);
	g_assert_cmphex(info.drm_format_mod, ==, I915_FORMAT_MOD_Y_TILED);
	g_assert_cmpuint(info.width, ==, 1280);
	g_assert_cmpuint(info.height, ==, 720);
	g_assert_cmpuint(info.stride, ==, 2560);
	g_assert_cmpuint(info.size, ==, 2560 * 736);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_CURSOR, &info), ==, 0);
	g_assert_cmpuint(info.width, ==, 256);
	b->ops->destroy(b);
}

/* ---- dmabuf ids and export -------------------------------------------- */

static void test_dmabuf_ids(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,buffers=3,clock=manual");
	struct vfio_device_gfx_plane_info info;
	uint32_t id[3], cursor_id, again;
	uint64_t f;
	int i;

	for (i = 0; i < 3; i++) {
		g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, (uint64_t)i), ==, 0);
		g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f), ==, 0);
		g_assert_cmpuint(f, ==, (uint64_t)i);
		g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
		id[i] = info.dmabuf_id;
	}
	/* one id per framebuffer, small numbers from 1 */
	g_assert_cmpuint(id[0], !=, id[1]);
	g_assert_cmpuint(id[1], !=, id[2]);
	g_assert_cmpuint(id[0], !=, id[2]);
	for (i = 0; i < 3; i++) {
		g_assert_cmpuint(id[i], >=, 1);
		g_assert_cmpuint(id[i], <=, 4);
	}
	g_assert_cmpuint(id[0], ==, 1);

	/* same surface again: same id, also across many frames */
	for (i = 3; i < 30; i++) {
		g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, (uint64_t)i), ==, 0);
		g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
		g_assert_cmpuint(info.dmabuf_id, ==, id[i % 3]);
		g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
		g_assert_cmpuint(info.dmabuf_id, ==, id[i % 3]);
	}

	/* the cursor moves but its surface stays: its id stays */
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_CURSOR, &info), ==, 0);
	cursor_id = info.dmabuf_id;
	g_assert_cmpuint(cursor_id, !=, id[0]);
	g_assert_cmpuint(cursor_id, !=, id[1]);
	g_assert_cmpuint(cursor_id, !=, id[2]);
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 100), ==, 0);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_CURSOR, &info), ==, 0);
	again = info.dmabuf_id;
	g_assert_cmpuint(again, ==, cursor_id);
	b->ops->destroy(b);
}

/* Ids are i915's: when the sim has forgotten a surface (it remembers 64),
 * the next new surface gets the lowest free id, and the library's cache,
 * which may still hold the old surface under that id, must hand out the
 * new one.  Monotonic ids would pass the second half and fail the first. */
static void test_dmabuf_id_reuse(void)
{
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info info;
	const struct gvtdmabuf_dmabuf *buf;
	uint32_t max_id = 0, first_id = 0;
	unsigned int i, reused = 0;

	g_assert_cmpint(gvtdmabuf_device_open(NULL, "sim:1024x768,clock=manual,cursor=off", &dev,
					      NULL, 0), ==, 0);
	for (i = 0; i < 150; i++) {
		uint32_t w = 256 + 8 * (i % 70), h = 160 + (i / 70) * 8;

		g_assert_cmpint(gvtdmabuf_sim_set_mode(dev, w, h), ==, 0);
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info), ==, 0);
		g_assert_true(info.enabled);
		g_assert_cmpuint(info.width, ==, w);
		g_assert_cmpuint(info.height, ==, h);
		if (i == 0)
			first_id = info.dmabuf_id;
		if (info.dmabuf_id <= max_id)
			reused++;
		max_id = MAX(max_id, info.dmabuf_id);
		/* the cache keeps this id's previous surface, if any */
		g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &info, &buf), ==, 0);
		g_assert_cmpuint(buf->dmabuf_id, ==, info.dmabuf_id);
		g_assert_cmpuint(buf->width, ==, w);
		g_assert_cmpuint(buf->height, ==, h);
	}
	/* 150 surfaces (two per mode: the guest flips between two buffers)
	 * in at most 64 ids, the lowest first */
	g_assert_cmpuint(first_id, ==, 1);
	g_assert_cmpuint(max_id, <=, 64);
	g_assert_cmpuint(reused, >, 50);
	gvtdmabuf_device_close(dev);
}

static void test_get_dmabuf(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,clock=manual");
	struct vfio_device_gfx_plane_info info;
	struct stat st1, st2;
	bool is_dmabuf = true, want_dmabuf;
	uint32_t offset = 77;
	int fd1, fd2;

	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 1), ==, 0);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);

	/* unknown ids */
	g_assert_cmpint(b->ops->get_dmabuf(b, 0, &is_dmabuf, &offset), ==, -EINVAL);
	g_assert_cmpint(b->ops->get_dmabuf(b, 999, &is_dmabuf, &offset), ==, -EINVAL);
	g_assert_cmpint(b->ops->get_dmabuf(b, info.dmabuf_id + 100, &is_dmabuf, &offset), ==,
			-EINVAL);

	fd1 = b->ops->get_dmabuf(b, info.dmabuf_id, &is_dmabuf, &offset);
	g_assert_cmpint(fd1, >=, 0);
	fd2 = b->ops->get_dmabuf(b, info.dmabuf_id, &is_dmabuf, &offset);
	g_assert_cmpint(fd2, >=, 0);
	g_assert_cmpint(fd1, !=, fd2);	/* a fresh fd per call */
	g_assert_cmpint(fcntl(fd1, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);

	/* where the kernel has udmabuf the export is a dma-buf of the surface
	 * alone, else the memfd with the surface at its graphics offset */
	want_dmabuf = access("/dev/udmabuf", R_OK | W_OK) == 0;
	g_assert_cmpint(is_dmabuf, ==, want_dmabuf);
	g_assert_cmpint(fstat(fd1, &st1), ==, 0);
	g_assert_cmpint(fstat(fd2, &st2), ==, 0);
	if (!is_dmabuf) {
		struct gvtsim_guest_config cfg;
		struct gvtsim_guest_layout l;

		gvtsim_guest_config_default(&cfg);
		cfg.width = 320;
		cfg.height = 200;
		g_assert_cmpint(gvtsim_guest_compute_layout(&cfg, &l), ==, 0);
		g_assert_cmpuint(offset, ==, l.fb_offset[1]);
		g_assert_cmpuint((uint64_t)st1.st_size, ==, l.gm_size);
		/* both fds are the same memfd, sealed against shrinking */
		g_assert_true(st1.st_ino == st2.st_ino);
		g_assert_cmpint(fcntl(fd1, F_GET_SEALS) & F_SEAL_SHRINK, ==, F_SEAL_SHRINK);
	} else {
		g_assert_cmpuint(offset, ==, 0);
	}
	close(fd1);
	close(fd2);

	/* an id stays exportable while its surface is known, also after
	 * flipping away from it */
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 2), ==, 0);
	fd1 = b->ops->get_dmabuf(b, info.dmabuf_id, &is_dmabuf, &offset);
	g_assert_cmpint(fd1, >=, 0);
	close(fd1);
	b->ops->destroy(b);
}

/* The pixels behind an export are the guest's frame: block code and a
 * sample of expected values. */
static void test_export_pixels(void)
{
	static const char *const specs[] = {
		"sim:320x200,clock=manual,fps=50",
		"sim:320x200,clock=manual,fps=50,argb8888,buffers=3",
	};
	size_t s;

	for (s = 0; s < G_N_ELEMENTS(specs); s++) {
		struct gvtdmabuf_backend *b = open_ok(specs[s]);
		struct vfio_device_gfx_plane_info info;
		struct gvtsim_guest_config cfg;
		bool is_dmabuf;
		uint32_t offset, x, y;
		uint64_t frame = 0, t = 0;
		size_t map_len;
		uint8_t *map;
		int fd;

		gvtsim_guest_config_default(&cfg);
		cfg.width = 320;
		cfg.height = 200;
		cfg.fps = 50;
		if (s == 1) {
			cfg.fourcc = DRM_FORMAT_ARGB8888;
			cfg.n_buffers = 3;
		}

		g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 123), ==, 0);
		g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
		fd = b->ops->get_dmabuf(b, info.dmabuf_id, &is_dmabuf, &offset);
		g_assert_cmpint(fd, >=, 0);
		map_len = (size_t)offset + info.size;
		map = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
		g_assert_true(map != MAP_FAILED);

		g_assert_cmpint(gvtsim_guest_decode_blockcode((const uint32_t *)(map + offset),
							      info.stride, info.width,
							      info.height, &frame, &t), ==, 0);
		g_assert_cmpuint(frame, ==, 123);
		/* manual frames carry their nominal time */
		g_assert_cmpuint(t, ==, 123 * 1000000ull / 50);
		for (y = 0; y < info.height; y += 3)
			for (x = 0; x < info.width; x += 5)
				g_assert_cmphex(*(const uint32_t *)(map + offset + y * info.stride + 4 * x),
						==, gvtsim_guest_expected_native(&cfg, 123, t, x, y));
		munmap(map, map_len);
		close(fd);
		b->ops->destroy(b);
	}
}

/* ---- clock and events ------------------------------------------------- */

static void test_manual_events(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,clock=manual");
	struct pollfd pfd;
	uint64_t v, f;
	int efd = b->ops->get_event_fd(b);

	g_assert_cmpint(efd, >=, 0);
	pfd.fd = efd;
	pfd.events = POLLIN;

	/* nothing happens on its own */
	g_assert_cmpint(poll(&pfd, 1, 50), ==, 0);
	g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f), ==, 0);
	g_assert_cmpuint(f, ==, 0);

	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 5), ==, 0);
	g_assert_cmpint(poll(&pfd, 1, 1000), ==, 1);
	g_assert_cmpint(read(efd, &v, sizeof(v)), ==, sizeof(v));
	g_assert_cmpuint(v, >=, 1);
	g_assert_cmpint(poll(&pfd, 1, 50), ==, 0);	/* rearmed */
	g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f), ==, 0);
	g_assert_cmpuint(f, ==, 5);
	b->ops->destroy(b);
}

static void test_realtime(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,fps=100");
	struct vfio_device_gfx_plane_info info;
	struct pollfd pfd;
	uint64_t v, f1, f2;
	int efd = b->ops->get_event_fd(b);

	pfd.fd = efd;
	pfd.events = POLLIN;
	g_assert_cmpint(poll(&pfd, 1, 1000), ==, 1);
	g_assert_cmpint(read(efd, &v, sizeof(v)), ==, sizeof(v));

	g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f1), ==, 0);
	g_usleep(60000);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
	g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f2), ==, 0);
	g_assert_cmpuint(f2, >=, f1 + 3);	/* 60 ms at 100 fps, some slack */

	/* set_frame stops the clock */
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 1000), ==, 0);
	g_usleep(30000);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
	g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f1), ==, 0);
	g_assert_cmpuint(f1, ==, 1000);
	b->ops->destroy(b);
}

/* Realtime mode: a guest thread paints and flips on its own.  Each event
 * is a flip; the primary's id follows the buffer of the frame on screen
 * (frame % 2), frames advance, the surface on screen holds that frame
 * (block code, time = start + frame / fps), and a query only decodes
 * registers (its average cost is printed, not asserted). */
static void test_thread(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:640x360,fps=120");
	struct vfio_device_gfx_plane_info info;
	uint32_t ids[2] = { 0, 0 };
	uint64_t v, f1, f2, first = 0, last = 0, base_us = 0;
	int64_t t0;
	struct pollfd pfd;
	unsigned int i, checked = 0, decoded = 0;
	bool have_base = false;
	int efd = b->ops->get_event_fd(b);

	pfd.fd = efd;
	pfd.events = POLLIN;
	for (i = 0; i < 40; i++) {
		bool is_dmabuf;
		uint32_t offset;
		uint64_t bf = 0, bt = 0;
		uint8_t *map;
		size_t len;
		int fd;

		g_assert_cmpint(poll(&pfd, 1, 2000), ==, 1);
		g_assert_cmpint(read(efd, &v, sizeof(v)), ==, sizeof(v));
		g_assert_cmpuint(v, >=, 1);

		g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f1), ==, 0);
		g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
		g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &f2), ==, 0);
		g_assert_cmpuint(f2, >=, f1);
		g_assert_cmpuint(f1, >=, last);
		if (i == 0)
			first = f1;
		last = f2;

		/* the surface stays valid whatever the guest is doing */
		g_assert_cmphex(info.drm_format, ==, DRM_FORMAT_XRGB8888);
		g_assert_cmpuint(info.width, ==, 640);
		g_assert_cmpuint(info.height, ==, 360);
		g_assert_cmpuint(info.dmabuf_id, >=, 1);
		g_assert_cmpuint(info.dmabuf_id, <=, 2);
		if (f1 != f2)
			continue;	/* flipped during the query: no pairing */
		checked++;
		if (!ids[f1 % 2])
			ids[f1 % 2] = info.dmabuf_id;
		g_assert_cmpuint(info.dmabuf_id, ==, ids[f1 % 2]);

		/* the buffer on screen holds its frame, unless the guest got
		 * two flips ahead and repaints it: then a later frame of the
		 * same buffer or an unreadable code */
		fd = b->ops->get_dmabuf(b, info.dmabuf_id, &is_dmabuf, &offset);
		g_assert_cmpint(fd, >=, 0);
		len = (size_t)offset + info.size;
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		g_assert_true(map != MAP_FAILED);
		if (gvtsim_guest_decode_blockcode((const uint32_t *)(map + offset), info.stride,
						  info.width, info.height, &bf, &bt) == 0) {
			decoded++;
			g_assert_cmpuint(bf, >=, f1);
			g_assert_cmpuint(bf % 2, ==, f1 % 2);
			/* flip times are start + frame / fps (integer us) */
			if (!have_base) {
				base_us = bt - bf * 1000000ull / 120;
				have_base = true;
			}
			g_assert_cmpint((int64_t)(bt - bf * 1000000ull / 120 - base_us), >=, -1);
			g_assert_cmpint((int64_t)(bt - bf * 1000000ull / 120 - base_us), <=, 1);
		}
		munmap(map, len);
		close(fd);
	}
	g_assert_cmpuint(last, >, first);
	g_assert_cmpuint(checked, >=, 1);
	g_assert_cmpuint(decoded, >=, 1);
	g_test_message("%u queries paired with their frame, %u block codes read, frames %"
		       G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, checked, decoded, first, last);

	/* a query decodes registers only: microseconds, not a frame's paint */
	t0 = g_get_monotonic_time();
	for (i = 0; i < 2000; i++)
		g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &info), ==, 0);
	g_test_message("query_plane while the guest runs: %.2f us on average",
		       (double)(g_get_monotonic_time() - t0) / 2000.0);
	g_assert_cmpuint(info.dmabuf_id, >=, 1);

	/* destroyed right after a flip, while the guest paints the next */
	g_assert_cmpint(poll(&pfd, 1, 2000), ==, 1);
	b->ops->destroy(b);
}

/* Destroy at any point of the guest's cycle (painting, waiting) returns
 * and leaves nothing running (ASan/TSan builds check the rest). */
static void test_thread_destroy(void)
{
	static const char *const specs[] = {
		"sim:1920x1080,fps=240", "sim:640x360,fps=1,buffers=3", "sim:xtiled,fps=60",
	};
	unsigned int i;

	for (i = 0; i < 12; i++) {
		struct gvtdmabuf_backend *b = open_ok(specs[i % G_N_ELEMENTS(specs)]);
		int64_t t0;

		g_usleep((i * 1700) % 9000);
		t0 = g_get_monotonic_time();
		b->ops->destroy(b);
		/* A waiting guest is woken, not waited for: the fps=1 guest
		 * has just painted and would sleep ~1 s.  Only that case is
		 * timed, with a bound far from both answers (a painting guest
		 * is joined after its frame, which takes long in a loaded
		 * TCG VM, and is not what this checks). */
		if (i % G_N_ELEMENTS(specs) == 1)
			g_assert_cmpint(g_get_monotonic_time() - t0, <, 900000);
	}
}

static const struct gvtdmabuf_backend_ops fake_ops = { .name = "fake" };

/* The device request (the kernel wanting the vGPU back): silent until
 * asked for, then readable, and the device still answers until closed. */
static void test_request_removal(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,clock=manual");
	struct vfio_device_gfx_plane_info plane;
	struct pollfd pfd = { .events = POLLIN };
	uint64_t v;

	g_assert_nonnull(b->ops->get_request_fd);
	pfd.fd = b->ops->get_request_fd(b);
	g_assert_cmpint(pfd.fd, >=, 0);
	g_assert_cmpint(pfd.fd, !=, b->ops->get_event_fd(b));
	g_assert_cmpint(poll(&pfd, 1, 50), ==, 0);
	g_assert_cmpint(gvtdmabuf_sim_backend_request_removal(b), ==, 0);
	g_assert_cmpint(poll(&pfd, 1, 1000), ==, 1);
	g_assert_cmpint(read(pfd.fd, &v, sizeof(v)), ==, sizeof(v));
	g_assert_cmpuint(v, ==, 1);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &plane), ==, 0);
	g_assert_cmpuint(plane.width, ==, 320);
	b->ops->destroy(b);
}

static bool request_pending(struct gvtdmabuf_backend *b)
{
	struct pollfd pfd = { .fd = b->ops->get_request_fd(b), .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* remove-after=N fires the request at frame N; the spec then does not open
 * until it returns (return-after, counted from the close), and the vGPU
 * that returned is not removed again. */
static void test_remove_after(void)
{
	static const char spec[] = "sim:320x200,clock=manual,remove-after=3,return-after=0";
	static const char never[] = "sim:320x200,clock=manual,remove-after=1";
	static const char later[] = "sim:320x200,clock=manual,remove-after=1,return-after=600000";
	struct gvtdmabuf_backend *b = open_ok(spec), *b2 = NULL;
	struct vfio_device_gfx_plane_info plane;
	char err[GVTDMABUF_ERROR_MAX] = "";

	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 2), ==, 0);
	g_assert_false(request_pending(b));
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 3), ==, 0);
	g_assert_true(request_pending(b));
	/* as the kernel's: the device works until it is closed */
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &plane), ==, 0);
	g_assert_cmpuint(plane.width, ==, 320);
	/* still open (being removed): it does not open a second time */
	g_assert_cmpint(gvtdmabuf_sim_open(spec, &b2, err, sizeof(err)), ==, -ENODEV);
	g_assert_null(b2);
	g_assert_nonnull(strstr(err, "was removed (remove-after=3 frames)"));
	b->ops->destroy(b);
	/* return-after=0: back at once, and not removed again */
	b = open_ok(spec);
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 10), ==, 0);
	g_assert_false(request_pending(b));
	b->ops->destroy(b);

	b = open_ok(never);
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 1), ==, 0);
	g_assert_true(request_pending(b));
	b->ops->destroy(b);
	g_assert_cmpint(gvtdmabuf_sim_open(never, &b2, err, sizeof(err)), ==, -ENODEV);
	g_assert_nonnull(strstr(err, "returns only with return-after"));

	b = open_ok(later);
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(b, 1), ==, 0);
	b->ops->destroy(b);
	g_assert_cmpint(gvtdmabuf_sim_open(later, &b2, err, sizeof(err)), ==, -ENODEV);
	g_assert_nonnull(strstr(err, "returns 600000 ms after it was closed"));
	g_assert_null(b2);
}

/* modeset=: the realtime guest changes its mode at that frame, shows it
 * painted in the new mode at once, and goes on flipping in it. */
static void test_modeset(void)
{
	struct gvtdmabuf_backend *b = open_ok("sim:320x200,fps=100,cursor=off,modeset=640x480@3");
	struct vfio_device_gfx_plane_info plane;
	uint64_t frame = 0;
	int i;

	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &plane), ==, 0);
	g_assert_cmpuint(plane.width, ==, 320);
	g_assert_cmpuint(plane.height, ==, 200);
	for (i = 0; i < 300 && frame < 6; i++) {
		g_usleep(10000);
		g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(b, &frame), ==, 0);
	}
	g_assert_cmpuint(frame, >=, 6);
	g_assert_cmpint(query(b, DRM_PLANE_TYPE_PRIMARY, &plane), ==, 0);
	g_assert_cmpuint(plane.width, ==, 640);
	g_assert_cmpuint(plane.height, ==, 480);
	g_assert_cmpuint(plane.stride, >=, 640 * 4);
	b->ops->destroy(b);
}

static void test_not_sim(void)
{
	struct gvtdmabuf_backend fake = { .ops = &fake_ops };
	uint64_t f = 42;

	g_assert_false(gvtdmabuf_backend_is_sim(NULL));
	g_assert_false(gvtdmabuf_backend_is_sim(&fake));
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(&fake, 1), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_sim_backend_get_frame(&fake, &f), ==, -ENOTSUP);
	g_assert_cmpuint(f, ==, 42);
	g_assert_cmpint(gvtdmabuf_sim_backend_set_frame(NULL, 1), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_sim_backend_request_removal(&fake), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_sim_backend_request_removal(NULL), ==, -ENOTSUP);
}

/* Through the public API: a tiled export detiled by the library's CPU
 * path (lib/detile.c, written independently of the painter) equals the
 * guest's expected pixels. */
static void test_public_api_tiled(void)
{
	static const struct {
		const char *spec;
		uint64_t modifier;
	} cases[] = {
		{ "sim:320x200,xtiled,clock=manual", I915_FORMAT_MOD_X_TILED },
		{ "sim:320x200,ytiled,clock=manual", I915_FORMAT_MOD_Y_TILED },
		{ "sim:320x200,yftiled,clock=manual", I915_FORMAT_MOD_Yf_TILED },
		{ "sim:320x200,xtiled,gen=8,clock=manual", I915_FORMAT_MOD_X_TILED },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct gvtdmabuf_device *dev = NULL;
		struct gvtdmabuf_plane_info pi;
		const struct gvtdmabuf_dmabuf *buf;
		struct gvtsim_guest_config cfg;
		char err[GVTDMABUF_ERROR_MAX] = "";
		uint32_t *lin, x, y;
		uint64_t frame = 0, t = 0;
		int r;

		r = gvtdmabuf_device_open(NULL, cases[i].spec, &dev, err, sizeof(err));
		if (r)
			g_error("device_open %s: %d %s", cases[i].spec, r, err);
		g_assert_cmpstr(gvtdmabuf_device_get_backend(dev), ==, "sim");
		g_assert_cmpint(gvtdmabuf_sim_set_frame(dev, 9), ==, 0);
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi), ==, 0);
		g_assert_true(pi.enabled);
		g_assert_cmphex(pi.modifier, ==, cases[i].modifier);
		g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &pi, &buf), ==, 0);

		lin = g_new(uint32_t, 320 * 200);
		g_assert_cmpint(gvtdmabuf_dmabuf_read_linear(buf, lin, 320 * 4), ==, 0);
		g_assert_cmpint(gvtsim_guest_decode_blockcode(lin, 320 * 4, 320, 200, &frame, &t),
				==, 0);
		g_assert_cmpuint(frame, ==, 9);
		gvtsim_guest_config_default(&cfg);
		cfg.width = 320;
		cfg.height = 200;
		cfg.modifier = cases[i].modifier;
		for (y = 0; y < 200; y++)
			for (x = 0; x < 320; x++)
				if (lin[y * 320 + x] != gvtsim_guest_expected_native(&cfg, 9, t, x, y))
					g_error("%s: pixel %u,%u is %08x, expected %08x", cases[i].spec,
						x, y, lin[y * 320 + x],
						gvtsim_guest_expected_native(&cfg, 9, t, x, y));
		g_free(lin);
		gvtdmabuf_device_close(dev);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/spec/errors", test_spec_errors);
	g_test_add_func("/sim/spec/ok", test_spec_ok);
	g_test_add_func("/sim/spec/help", test_spec_help);
	g_test_add_func("/sim/query/rules", test_query_rules);
	g_test_add_func("/sim/query/configured", test_planes_configured);
	g_test_add_func("/sim/dmabuf/ids", test_dmabuf_ids);
	g_test_add_func("/sim/dmabuf/id-reuse", test_dmabuf_id_reuse);
	g_test_add_func("/sim/dmabuf/get", test_get_dmabuf);
	g_test_add_func("/sim/dmabuf/pixels", test_export_pixels);
	g_test_add_func("/sim/events/manual", test_manual_events);
	g_test_add_func("/sim/events/realtime", test_realtime);
	g_test_add_func("/sim/thread/flips", test_thread);
	g_test_add_func("/sim/thread/destroy", test_thread_destroy);
	g_test_add_func("/sim/events/request-removal", test_request_removal);
	g_test_add_func("/sim/events/remove-after", test_remove_after);
	g_test_add_func("/sim/events/modeset", test_modeset);
	g_test_add_func("/sim/not-sim", test_not_sim);
	g_test_add_func("/sim/public-api/tiled", test_public_api_tiled);
	return g_test_run();
}
