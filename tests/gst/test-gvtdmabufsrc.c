/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabufsrc under GstHarness, on the sim backend.  Pixels are compared
 * with the guest model (a frame is a pure function of frame number and
 * flip time, both read back from the frame's block code), never with a
 * copy the code under test made.
 *
 * Zero copy is checked by interposing mmap(): this executable defines it
 * (and exports only it, mmap.dynlist), so the library's and GStreamer's
 * calls land here and every mapping of the sim's graphics memory after the
 * device was opened is counted.
 *
 * The guest model comes from the internal static library; the sim controls
 * are called in libgvtdmabuf.so itself (dlsym), the copy that opened the
 * element's device.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gst/allocators/allocators.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <gvt-dmabuf/gvt-dmabuf.h>

#include "guest-model.h"

/* ---- mmap interposition ----------------------------------------------- */

static volatile gint memfd_maps;

void *mmap (void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *
mmap (void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	char path[64], target[128];
	ssize_t n;

	if (fd >= 0) {
		g_snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
		n = readlink (path, target, sizeof (target) - 1);
		if (n > 0) {
			target[n] = '\0';
			/* the sim's graphics memory (memfd) or a udmabuf of it */
			if (strstr (target, "gvtsim-gm") || strstr (target, "dmabuf"))
				g_atomic_int_inc (&memfd_maps);
		}
	}
	return (void *) syscall (SYS_mmap, addr, len, prot, flags, fd, off);
}

/* ---- the element's sim ------------------------------------------------- */

typedef int (*SetModeFn) (struct gvtdmabuf_device *, uint32_t, uint32_t);
typedef int (*SetDisplayFn) (struct gvtdmabuf_device *, bool);
typedef int (*SetFrameFn) (struct gvtdmabuf_device *, uint64_t);
typedef int (*RequestRemovalFn) (struct gvtdmabuf_device *);

static gpointer
lib_symbol (const gchar *name)
{
	void *lib = dlopen ("libgvtdmabuf.so.0", RTLD_NOW | RTLD_NOLOAD);
	gpointer f;

	fail_unless (lib != NULL, "libgvtdmabuf.so.0 is not loaded: %s", dlerror ());
	f = dlsym (lib, name);
	fail_unless (f != NULL, "%s: %s", name, dlerror ());
	dlclose (lib);
	return f;
}

static void
on_device_opened (GstElement *src, gpointer device, gpointer data)
{
	*(struct gvtdmabuf_device **) data = device;
}

/* ---- helpers ---------------------------------------------------------- */

static GstHarness *
start (const gchar *props, const gchar *sink_caps)
{
	gchar *desc = g_strdup_printf ("gvtdmabufsrc %s", props);
	GstHarness *h = gst_harness_new_parse (desc);

	g_free (desc);
	if (sink_caps)
		gst_harness_set_sink_caps_str (h, sink_caps);
	gst_harness_play (h);
	return h;
}

static GstCaps *
current_caps (GstHarness *h)
{
	GstPad *pad = gst_element_get_static_pad (h->element, "src");
	GstCaps *caps = gst_pad_get_current_caps (pad);

	gst_object_unref (pad);
	return caps;
}

static void
sim_config (const gchar *opts, struct gvtsim_guest_config *cfg)
{
	/* mirror the few sim options the tests use */
	gchar **o = g_strsplit (opts, ",", -1);
	guint i, w, hh;

	gvtsim_guest_config_default (cfg);
	for (i = 0; o[i]; i++) {
		if (sscanf (o[i], "%ux%u", &w, &hh) == 2) {
			cfg->width = w;
			cfg->height = hh;
		} else if (!strcmp (o[i], "xtiled")) {
			cfg->modifier = I915_FORMAT_MOD_X_TILED;
		} else if (!strcmp (o[i], "ytiled")) {
			cfg->modifier = I915_FORMAT_MOD_Y_TILED;
		} else if (!strcmp (o[i], "yftiled")) {
			cfg->modifier = I915_FORMAT_MOD_Yf_TILED;
		} else if (!strcmp (o[i], "argb8888")) {
			cfg->fourcc = DRM_FORMAT_ARGB8888;
		} else if (!strcmp (o[i], "xbgr8888")) {
			cfg->fourcc = DRM_FORMAT_XBGR8888;
		} else if (!strcmp (o[i], "abgr8888")) {
			cfg->fourcc = DRM_FORMAT_ABGR8888;
		} else if (!strcmp (o[i], "rgb565")) {
			cfg->fourcc = DRM_FORMAT_RGB565;
		} else if (!strcmp (o[i], "xrgb2101010")) {
			cfg->fourcc = DRM_FORMAT_XRGB2101010;
		} else if (!strcmp (o[i], "xbgr2101010")) {
			cfg->fourcc = DRM_FORMAT_XBGR2101010;
		} else if (!strcmp (o[i], "yuyv")) {
			cfg->fourcc = DRM_FORMAT_YUYV;
		} else if (!strncmp (o[i], "cursor=", 7)) {
			cfg->cursor_size = !strcmp (o[i] + 7, "off") ? 0 : atoi (o[i] + 7);
		}
	}
	g_strfreev (o);
}

/* Frame number and time from a system-memory frame's block code. */
static void
read_blockcode (GstVideoFrame *f, guint64 *ret_frame, guint64 *ret_time)
{
	guint w = GST_VIDEO_FRAME_WIDTH (f), hh = GST_VIDEO_FRAME_HEIGHT (f);
	GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT (f);
	guint32 *xrgb = g_new (guint32, (gsize) w * hh);
	const struct gvtdmabuf_format_info *fi;
	guint8 *rgba = g_malloc ((gsize) w * 4);
	guint x, y;
	int r;

	/* to XRGB for the decoder, through the library's converter */
	fi = gvtdmabuf_format_lookup_gst (gst_video_format_to_string (fmt));
	fail_unless (fi != NULL);
	for (y = 0; y < hh; y++) {
		const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
				    (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);

		fail_unless_equals_int (gvtdmabuf_convert_row_rgba8 (fi->fourcc, row, w, rgba), 0);
		for (x = 0; x < w; x++)
			xrgb[(gsize) y * w + x] = (guint32) rgba[x * 4] << 16 |
						  (guint32) rgba[x * 4 + 1] << 8 | rgba[x * 4 + 2];
	}
	r = gvtsim_guest_decode_blockcode (xrgb, w * 4, w, hh, ret_frame, ret_time);
	fail_unless_equals_int (r, 0);
	g_free (xrgb);
	g_free (rgba);
}

/* Compare a system-memory buffer with the guest model; @composited: the
 * cursor is blended in.  Returns the frame number it showed. */
static guint64
check_system_frame (GstBuffer *buf, GstCaps *caps, const struct gvtsim_guest_config *cfg,
		    gboolean composited)
{
	GstVideoInfo vi;
	GstVideoFrame f;
	guint64 frame, time;
	guint x, y, bad = 0;

	fail_unless (gst_video_info_from_caps (&vi, caps));
	fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&vi), cfg->width);
	fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&vi), cfg->height);
	fail_unless (gst_video_frame_map (&f, &vi, buf, GST_MAP_READ));
	read_blockcode (&f, &frame, &time);

	for (y = 0; y < cfg->height; y++) {
		const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) +
				    (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0);

		for (x = 0; x < cfg->width; x++) {
			guint32 want, got;

			switch (GST_VIDEO_INFO_FORMAT (&vi)) {
			case GST_VIDEO_FORMAT_RGBA:
				/* converted (X*2101010) or composited: R, G, B, A */
				want = composited ?
				       gvtsim_guest_expected_composited (cfg, frame, time, x, y) :
				       gvtsim_guest_expected_argb (cfg, frame, time, x, y);
				got = 0xff000000u | (guint32) row[x * 4] << 16 |
				      (guint32) row[x * 4 + 1] << 8 | row[x * 4 + 2];
				if (cfg->fourcc == DRM_FORMAT_ABGR8888 && !composited)
					want = gvtsim_guest_expected_native (cfg, frame, time, x, y),
					got = GST_READ_UINT32_LE (row + x * 4);
				break;
			case GST_VIDEO_FORMAT_BGRx:
			case GST_VIDEO_FORMAT_BGRA:
				if (composited) {
					want = gvtsim_guest_expected_composited (cfg, frame, time, x, y) & 0xffffff;
					got = GST_READ_UINT32_LE (row + x * 4) & 0xffffff;
				} else {
					want = gvtsim_guest_expected_native (cfg, frame, time, x, y);
					got = GST_READ_UINT32_LE (row + x * 4);
				}
				break;
			case GST_VIDEO_FORMAT_RGBx:
				want = gvtsim_guest_expected_native (cfg, frame, time, x, y);
				got = GST_READ_UINT32_LE (row + x * 4);
				break;
			case GST_VIDEO_FORMAT_RGB16:
				want = gvtsim_guest_expected_native (cfg, frame, time, x, y);
				got = GST_READ_UINT16_LE (row + x * 2);
				break;
			case GST_VIDEO_FORMAT_YUY2:
				want = gvtsim_guest_expected_native (cfg, frame, time, x, y);
				got = GST_READ_UINT16_LE (row + x * 2);
				break;
			default:
				fail ("unexpected format %s",
				      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&vi)));
				return 0;
			}
			if (want != got && bad++ < 5)
				GST_ERROR ("frame %" G_GUINT64_FORMAT " (%u,%u): want 0x%08x got 0x%08x",
					   frame, x, y, want, got);
		}
	}
	gst_video_frame_unmap (&f);
	fail_unless_equals_int (bad, 0);
	return frame;
}

/* ---- caps ------------------------------------------------------------- */

static gchar *
caps_of (const gchar *props)
{
	GstHarness *h = start (props, NULL);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps = current_caps (h);
	gchar *s;

	fail_unless (b != NULL);
	gst_buffer_unref (b);
	s = gst_caps_to_string (caps);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
	GST_INFO ("%s -> %s", props, s);
	return s;
}

GST_START_TEST (test_caps_offered)
{
	gchar *s;

	/* no udmabuf on this kernel: the sim's memfd is no dma-buf, system memory */
	if (access ("/dev/udmabuf", R_OK | W_OK) != 0) {
		s = caps_of ("device=sim:clock=manual");
		fail_unless (g_str_has_prefix (s, "video/x-raw, format=(string)BGRx"), "%s", s);
		g_free (s);
	}
#if GST_CHECK_VERSION (1, 24, 0)
	s = caps_of ("device=sim:clock=manual io-mode=dmabuf");
	fail_unless (strstr (s, "video/x-raw(memory:DMABuf), format=(string)DMA_DRM") != NULL, "%s", s);
	fail_unless (strstr (s, "drm-format=(string)XR24,") != NULL, "%s", s);
	g_free (s);
	s = caps_of ("device=sim:clock=manual,xtiled io-mode=dmabuf");
	fail_unless (strstr (s, "drm-format=(string)XR24:0x0100000000000001") != NULL, "%s", s);
	g_free (s);
	s = caps_of ("device=sim:clock=manual,ytiled,xrgb2101010 io-mode=dmabuf");
	fail_unless (strstr (s, "drm-format=(string)XR30:0x0100000000000002") != NULL, "%s", s);
	g_free (s);
	/* x-as-alpha: XR24 said as AR24, the modifier kept */
	s = caps_of ("device=sim:clock=manual,ytiled io-mode=dmabuf x-as-alpha=true");
	fail_unless (strstr (s, "drm-format=(string)AR24:0x0100000000000002") != NULL, "%s", s);
	g_free (s);
	/* implicit-modifier: the exact caps first, then the legacy ones a
	 * downstream that only knows those can pick */
	s = caps_of ("device=sim:clock=manual,xtiled io-mode=dmabuf implicit-modifier=true");
	fail_unless (strstr (s, "drm-format=(string)XR24:0x0100000000000001") != NULL, "%s", s);
	g_free (s);
	{
		GstHarness *h = start ("device=sim:clock=manual,xtiled io-mode=dmabuf "
				       "implicit-modifier=true",
				       "video/x-raw(memory:DMABuf),format=BGRx");
		GstBuffer *b = gst_harness_pull (h);
		GstCaps *caps = current_caps (h);

		s = gst_caps_to_string (caps);
		fail_unless (g_str_has_prefix (s, "video/x-raw(memory:DMABuf), format=(string)BGRx"),
			     "%s", s);
		fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (b, 0)));
		g_free (s);
		gst_caps_unref (caps);
		gst_buffer_unref (b);
		gst_harness_teardown (h);
	}
#else
	s = caps_of ("device=sim:clock=manual io-mode=dmabuf x-as-alpha=true");
	fail_unless (g_str_has_prefix (s, "video/x-raw(memory:DMABuf), format=(string)BGRA"), "%s", s);
	g_free (s);
	/* implicit-modifier: a tiled surface as plain memory:DMABuf */
	s = caps_of ("device=sim:clock=manual,xtiled io-mode=dmabuf implicit-modifier=true");
	fail_unless (g_str_has_prefix (s, "video/x-raw(memory:DMABuf), format=(string)BGRx"), "%s", s);
	g_free (s);
	s = caps_of ("device=sim:clock=manual io-mode=dmabuf");
	fail_unless (g_str_has_prefix (s, "video/x-raw(memory:DMABuf), format=(string)BGRx"), "%s", s);
	g_free (s);
	/* 1.22 caps cannot say X-tiled: system memory only */
	s = caps_of ("device=sim:clock=manual,xtiled");
	fail_unless (g_str_has_prefix (s, "video/x-raw, format=(string)BGRx"), "%s", s);
	g_free (s);
#endif
	/* X*2101010 has no GStreamer name before 1.28: RGBA in system memory */
	s = caps_of ("device=sim:clock=manual,xrgb2101010 io-mode=system");
	fail_unless (g_str_has_prefix (s, "video/x-raw, format=(string)RGBA"), "%s", s);
	g_free (s);
	/* composite needs system memory even where dma-buf was possible */
	s = caps_of ("device=sim:clock=manual cursor=composite");
	fail_unless (g_str_has_prefix (s, "video/x-raw, format=(string)BGRx"), "%s", s);
	g_free (s);
}
GST_END_TEST;

/* ---- zero copy -------------------------------------------------------- */

GST_START_TEST (test_zero_copy)
{
	GstHarness *h = start ("device=sim:640x480,fps=60,buffers=3 io-mode=dmabuf cursor=none",
			       "video/x-raw(memory:DMABuf)");
	GHashTable *by_offset = g_hash_table_new (NULL, NULL);
	GstMemory *mems[20];
	gint maps_before;
	guint i, distinct;

	/* let the first buffer through (the device is open by now) */
	gst_buffer_unref (gst_harness_pull (h));
	maps_before = g_atomic_int_get (&memfd_maps);
	for (i = 0; i < G_N_ELEMENTS (mems); i++) {
		GstBuffer *b = gst_harness_pull (h);
		GstVideoMeta *vm = gst_buffer_get_video_meta (b);
		GstMemory *m = gst_buffer_peek_memory (b, 0);
		struct stat st;
		gpointer known;

		fail_unless (b != NULL);
		fail_unless_equals_int (gst_buffer_n_memory (b), 1);
		fail_unless (gst_is_dmabuf_memory (m));
		fail_unless (vm != NULL);
		fail_unless_equals_int (vm->stride[0], 640 * 4);
		fail_unless (fstat (gst_dmabuf_memory_get_fd (m), &st) == 0);
		/* the same surface (its offset in graphics memory) is always
		 * the same GstMemory, the same fd */
		known = g_hash_table_lookup (by_offset, GSIZE_TO_POINTER (vm->offset[0] + 1));
		if (known)
			fail_unless (known == m, "surface at %zu came in a new memory", vm->offset[0]);
		else
			g_hash_table_insert (by_offset, GSIZE_TO_POINTER (vm->offset[0] + 1), m);
		fail_unless (GST_MEMORY_IS_READONLY (m),
			     "the guest's framebuffer is writable downstream");
		mems[i] = m;
		gst_buffer_unref (b);
	}
	/* 3 framebuffers: 3 memories at most, at least 2 */
	distinct = g_hash_table_size (by_offset);
	fail_unless (distinct >= 2 && distinct <= 3, "%u surfaces", distinct);
	/* and the CPU never mapped the graphics memory on the way */
	fail_unless_equals_int (g_atomic_int_get (&memfd_maps) - maps_before, 0);
	g_hash_table_unref (by_offset);
	gst_harness_teardown (h);
	(void) mems;
}
GST_END_TEST;

/* The mmap counter does see the CPU path, so the test above can fail. */
GST_START_TEST (test_system_path_maps)
{
	GstHarness *h = start ("device=sim:320x240,fps=60 io-mode=system cursor=none", NULL);
	GstBuffer *b;
	gint before;

	gst_buffer_unref (gst_harness_pull (h));
	before = g_atomic_int_get (&memfd_maps);
	b = gst_harness_pull (h);
	fail_unless (b != NULL);
	fail_unless (g_atomic_int_get (&memfd_maps) > before);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- system memory, pixel-exact --------------------------------------- */

static const gchar *const pixel_specs[] = {
	"400x300,cursor=off",
	"400x300,xtiled,cursor=off",
	"400x300,ytiled,cursor=off",
	"400x300,yftiled,cursor=off",
	"400x300,argb8888,cursor=off",
	"400x300,xbgr8888,cursor=off",
	"400x300,abgr8888,cursor=off",
	"400x300,rgb565,cursor=off",
	"400x300,xrgb2101010,cursor=off",
	"400x300,xbgr2101010,ytiled,cursor=off",
	"400x300,yuyv,cursor=off",
	"400x300,yuyv,xtiled,cursor=off",
};

GST_START_TEST (test_system_pixels)
{
	const gchar *spec = pixel_specs[__i__];
	struct gvtsim_guest_config cfg;
	gchar *props = g_strdup_printf ("device=sim:clock=manual,%s io-mode=system cursor=none",
					spec);
	GstHarness *h = start (props, NULL);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps = current_caps (h);

	sim_config (spec, &cfg);
	fail_unless (b != NULL);
	GST_INFO ("%s: %" GST_PTR_FORMAT, spec, caps);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, FALSE), 0);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
	g_free (props);
}
GST_END_TEST;

/* Realtime frames: every one pixel-exact, in order.  There are no fences:
 * the guest repaints a buffer as soon as it is off screen, and a read that
 * falls a whole frame period behind tears, as on real GVT-g.  Three buffers
 * at 10 fps give each read 200 ms, which a loaded machine still meets. */
GST_START_TEST (test_system_realtime)
{
	struct gvtsim_guest_config cfg;
	GstHarness *h = start ("device=sim:320x240,fps=10,buffers=3,cursor=off io-mode=system cursor=none",
			       NULL);
	guint64 last = 0, frame;
	guint i;

	sim_config ("320x240,buffers=3,cursor=off", &cfg);
	for (i = 0; i < 8; i++) {
		GstBuffer *b = gst_harness_pull (h);
		GstCaps *caps = current_caps (h);

		frame = check_system_frame (b, caps, &cfg, FALSE);
		if (i > 0)
			fail_unless (frame > last, "frame %" G_GUINT64_FORMAT " after %"
				     G_GUINT64_FORMAT, frame, last);
		last = frame;
		gst_buffer_unref (b);
		gst_caps_unref (caps);
	}
	gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- cursor ----------------------------------------------------------- */

/* Frame 0 puts the cursor at x = -size/2: partly off the left edge (the
 * guest model keeps it below the block code, not off the top left). */
GST_START_TEST (test_cursor_composite_negative)
{
	struct gvtsim_guest_config cfg;
	int32_t cx, cy;
	GstHarness *h = start ("device=sim:320x240,cursor=64,clock=manual cursor=composite", NULL);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps = current_caps (h);

	sim_config ("320x240,cursor=64", &cfg);
	gvtsim_guest_expected_cursor_pos (&cfg, 0, &cx, &cy);
	fail_unless (cx < 0, "frame 0's cursor is at %d,%d", cx, cy);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, TRUE), 0);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* The same pixels blended over RGB565 (converted to RGBA first). */
GST_START_TEST (test_cursor_composite_rgb565)
{
	struct gvtsim_guest_config cfg;
	GstHarness *h = start ("device=sim:320x240,rgb565,cursor=64,clock=manual cursor=composite",
			       NULL);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps = current_caps (h);

	sim_config ("320x240,rgb565,cursor=64", &cfg);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, TRUE), 0);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
}
GST_END_TEST;

static void
check_cursor_meta (GstBuffer *b, const struct gvtsim_guest_config *cfg, guint64 frame)
{
	GstVideoOverlayCompositionMeta *m = gst_buffer_get_video_overlay_composition_meta (b);
	GstVideoOverlayRectangle *r;
	GstBuffer *pix;
	GstVideoMeta *vm;
	GstMapInfo map;
	gint x, y;
	guint w, hh, px, py, bad = 0;
	int32_t ex, ey;

	fail_unless (m != NULL, "no cursor meta");
	fail_unless_equals_int (gst_video_overlay_composition_n_rectangles (m->overlay), 1);
	r = gst_video_overlay_composition_get_rectangle (m->overlay, 0);
	gst_video_overlay_rectangle_get_render_rectangle (r, &x, &y, &w, &hh);
	gvtsim_guest_expected_cursor_pos (cfg, frame, &ex, &ey);
	fail_unless_equals_int (x, ex);
	fail_unless_equals_int (y, ey);
	fail_unless_equals_int (w, cfg->cursor_size);
	fail_unless_equals_int (hh, cfg->cursor_size);
	pix = gst_video_overlay_rectangle_get_pixels_unscaled_argb (r,
		GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
	vm = gst_buffer_get_video_meta (pix);
	fail_unless (vm != NULL);
	fail_unless (gst_buffer_map (pix, &map, GST_MAP_READ));
	for (py = 0; py < hh; py++)
		for (px = 0; px < w; px++) {
			guint32 got = GST_READ_UINT32_LE (map.data + py * vm->stride[0] + px * 4);

			if (got != gvtsim_guest_expected_cursor_pixel (cfg, px, py))
				bad++;
		}
	gst_buffer_unmap (pix, &map);
	fail_unless_equals_int (bad, 0);
}

GST_START_TEST (test_cursor_meta_negative)
{
	struct gvtsim_guest_config cfg;
	/* dma-buf path: the frame is the guest's, the cursor rides along */
	GstHarness *h = start ("device=sim:320x240,cursor=128,clock=manual cursor=meta io-mode=dmabuf",
			       NULL);
	GstBuffer *b = gst_harness_pull (h);

	sim_config ("320x240,cursor=128", &cfg);
	fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (b, 0)));
	check_cursor_meta (b, &cfg, 0);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* System memory: the picture without the cursor, the cursor in the meta. */
GST_START_TEST (test_cursor_meta_system)
{
	struct gvtsim_guest_config cfg;
	GstHarness *h = start ("device=sim:320x240,cursor=64,clock=manual cursor=meta io-mode=system",
			       NULL);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps = current_caps (h);

	sim_config ("320x240,cursor=64", &cfg);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, FALSE), 0);
	check_cursor_meta (b, &cfg, 0);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_cursor_none)
{
	GstHarness *h = start ("device=sim:320x240,clock=manual cursor=none io-mode=dmabuf", NULL);
	GstBuffer *b = gst_harness_pull (h);

	fail_unless (gst_buffer_get_video_overlay_composition_meta (b) == NULL);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* The sim has no input: navigation and gvtdmabuf-input events are refused
 * (FALSE), malformed ones too, and the stream goes on (no error). */
GST_START_TEST (test_input_without_backend)
{
	GstHarness *h = start ("device=sim:320x240,fps=60 io-mode=dmabuf", NULL);
	GstBuffer *b = gst_harness_pull (h);

	gst_buffer_unref (b);
	fail_if (gst_harness_push_upstream_event (h, gst_navigation_event_new_key_press ("a",
			GST_NAVIGATION_MODIFIER_NONE)));
	fail_if (gst_harness_push_upstream_event (h, gst_navigation_event_new_mouse_move (10, 10,
			GST_NAVIGATION_MODIFIER_NONE)));
	fail_if (gst_harness_push_upstream_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
			gst_structure_new ("gvtdmabuf-input", "key", G_TYPE_UINT, 30,
					   "pressed", G_TYPE_BOOLEAN, TRUE, NULL))));
	fail_if (gst_harness_push_upstream_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
			gst_structure_new ("gvtdmabuf-input", "key", G_TYPE_UINT, 30,
					   "button", G_TYPE_UINT, 272, NULL))));
	{
		GstElement *src = gst_harness_find_element (h, "gvtdmabufsrc");
		gboolean on;

		g_object_get (src, "input", &on, NULL);
		fail_unless (on, "input is TRUE by default");
		g_object_set (src, "input", FALSE, NULL);
		gst_object_unref (src);
	}
	fail_if (gst_harness_push_upstream_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
			gst_structure_new ("gvtdmabuf-input", "wheel", G_TYPE_INT, 1, NULL))));
	b = gst_harness_pull (h);
	fail_unless (b != NULL);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- timing, unlock, states ------------------------------------------- */

/* clock=manual shows one frame and then nothing: create() waits on the
 * event fd, and a flush (unlock) must get it out at once. */
GST_START_TEST (test_unlock_during_wait)
{
	GstElement *pipe = gst_parse_launch ("gvtdmabufsrc device=sim:clock=manual ! fakesink", NULL);
	GstStateChangeReturn r;
	gint64 t0;

	fail_unless (pipe != NULL);
	r = gst_element_set_state (pipe, GST_STATE_PLAYING);
	fail_if (r == GST_STATE_CHANGE_FAILURE);
	fail_unless_equals_int (gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND),
				GST_STATE_CHANGE_SUCCESS);
	g_usleep (200 * 1000);	/* the first frame is out, create() waits */
	t0 = g_get_monotonic_time ();
	fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
				GST_STATE_CHANGE_SUCCESS);
	/* no frame will ever come: only unlock() can have ended the wait */
	fail_unless (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC);
	gst_object_unref (pipe);
}
GST_END_TEST;

static GstMessage *
run_to_end (GstElement *pipe, GstClockTime timeout)
{
	GstBus *bus = gst_element_get_bus (pipe);
	GstMessage *m;

	gst_element_set_state (pipe, GST_STATE_PLAYING);
	m = gst_bus_timed_pop_filtered (bus, timeout, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	gst_object_unref (bus);
	return m;
}

GST_START_TEST (test_num_buffers_restart)
{
	GstElement *pipe = gst_parse_launch (
		"gvtdmabufsrc device=sim:320x240,fps=60 num-buffers=10 ! fakesink name=sink", NULL);
	GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
	guint round;

	for (round = 0; round < 2; round++) {
		GstMessage *m = run_to_end (pipe, 20 * GST_SECOND);
		GstSample *s = NULL;
		GstBuffer *last;

		fail_unless (m != NULL, "round %u: no EOS", round);
		fail_unless_equals_int (GST_MESSAGE_TYPE (m), GST_MESSAGE_EOS);
		gst_message_unref (m);
		g_object_get (sink, "last-sample", &s, NULL);
		fail_unless (s != NULL);
		last = gst_sample_get_buffer (s);
		fail_unless_equals_uint64 (GST_BUFFER_OFFSET (last), 9);
		/* stamped with the pipeline clock when seen, ~60 Hz: well
		 * within the 10 frames' span */
		fail_unless (GST_BUFFER_PTS_IS_VALID (last));
		fail_unless (GST_BUFFER_PTS (last) < 5 * GST_SECOND);
		gst_sample_unref (s);
		/* PLAYING -> NULL -> PLAYING */
		fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
					GST_STATE_CHANGE_SUCCESS);
	}
	gst_object_unref (sink);
	gst_object_unref (pipe);
}
GST_END_TEST;

GST_START_TEST (test_latency_query)
{
	GstHarness *h = start ("device=sim:320x240,clock=manual max-framerate=25/1", NULL);
	GstQuery *q = gst_query_new_latency ();
	GstClockTime min, max;
	gboolean live;

	gst_buffer_unref (gst_harness_pull (h));
	fail_unless (gst_pad_peer_query (h->sinkpad, q));
	gst_query_parse_latency (q, &live, &min, &max);
	fail_unless (live);
	fail_unless_equals_uint64 (min, GST_SECOND / 25);
	fail_unless (max >= min);
	gst_query_unref (q);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* With keepalive, a still guest (clock=manual) is re-sent. */
GST_START_TEST (test_keepalive)
{
	GstHarness *h = start ("device=sim:320x240,clock=manual keepalive=50 io-mode=dmabuf", NULL);
	GstBuffer *a = gst_harness_pull (h), *b = gst_harness_pull (h);

	fail_unless (a != NULL && b != NULL);
	/* the same surface: the same memory */
	fail_unless (gst_buffer_peek_memory (a, 0) == gst_buffer_peek_memory (b, 0));
	fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), GST_BUFFER_OFFSET (a) + 1);
	gst_buffer_unref (a);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* wait=poll: the guest's flips are found by querying (sim at 60 fps). */
GST_START_TEST (test_wait_poll)
{
	struct gvtsim_guest_config cfg;
	GstHarness *h = start ("device=sim:320x240,fps=60,cursor=off wait=poll poll-interval=5 "
			       "io-mode=system cursor=none", NULL);
	guint64 f0, f1;
	GstBuffer *b;
	GstCaps *caps;

	sim_config ("320x240,cursor=off", &cfg);
	b = gst_harness_pull (h);
	caps = current_caps (h);
	f0 = check_system_frame (b, caps, &cfg, FALSE);
	gst_buffer_unref (b);
	b = gst_harness_pull (h);
	f1 = check_system_frame (b, caps, &cfg, FALSE);
	fail_unless (f1 > f0);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* wait=event: one buffer per flip.  A flip signalled before the element
 * first waited (here from device-opened, during start) is answered by the
 * first query and not pushed again; nor is any later flip. */
static void
flip_on_open (GstElement *src, gpointer device, gpointer data)
{
	fail_unless_equals_int (((SetFrameFn) data) (device, 1), 0);
}

GST_START_TEST (test_one_push_per_flip)
{
	SetFrameFn set_frame;
	struct gvtsim_guest_config cfg;
	struct gvtdmabuf_device *dev = NULL;
	GstHarness *h = gst_harness_new_parse ("gvtdmabufsrc device=sim:320x240,clock=manual,"
		"cursor=off wait=event io-mode=system cursor=none");
	GstElement *src = gst_harness_find_element (h, "gvtdmabufsrc");
	GstCaps *caps;
	GstBuffer *b;
	guint64 k;

	set_frame = lib_symbol ("gvtdmabuf_sim_set_frame");
	sim_config ("320x240,cursor=off", &cfg);
	g_signal_connect (src, "device-opened", G_CALLBACK (on_device_opened), &dev);
	g_signal_connect (src, "device-opened", G_CALLBACK (flip_on_open), set_frame);
	gst_object_unref (src);
	gst_harness_play (h);
	for (k = 1; k <= 4; k++) {
		if (k > 1)
			fail_unless_equals_int (set_frame (dev, k), 0);
		b = gst_harness_pull (h);
		fail_unless (b != NULL);
		caps = current_caps (h);
		fail_unless_equals_uint64 (check_system_frame (b, caps, &cfg, FALSE), k);
		gst_caps_unref (caps);
		gst_buffer_unref (b);
		/* nothing more until the next flip */
		g_usleep (150 * 1000);
		b = gst_harness_try_pull (h);
		fail_unless (b == NULL, "frame %" G_GUINT64_FORMAT " pushed twice", k);
	}
	gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- mode changes and a blank screen ----------------------------------- */

static GstHarness *
start_with_device (const gchar *props, struct gvtdmabuf_device **ret_dev)
{
	gchar *desc = g_strdup_printf ("gvtdmabufsrc %s", props);
	GstHarness *h = gst_harness_new_parse (desc);
	GstElement *src = gst_harness_find_element (h, "gvtdmabufsrc");

	*ret_dev = NULL;
	g_signal_connect (src, "device-opened", G_CALLBACK (on_device_opened), ret_dev);
	gst_object_unref (src);
	g_free (desc);
	gst_harness_play (h);
	return h;
}

/* The guest switches mode mid-stream: new caps, then frames of the new
 * mode, pixel-exact. */
/* Damage travels as "damage" region-of-interest metas: the sim reports a
 * new frame as the whole surface, a keepalive re-send of the same picture
 * carries none, and the next frame is whole again. */
static guint
damage_metas (GstBuffer *b, guint w, guint h)
{
	GstVideoRegionOfInterestMeta *m;
	gpointer state = NULL;
	guint n = 0;

	while ((m = (GstVideoRegionOfInterestMeta *) gst_buffer_iterate_meta_filtered (b, &state,
			GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
		if (m->roi_type != g_quark_from_string ("damage"))
			continue;
		fail_unless (m->x == 0 && m->y == 0 && m->w == w && m->h == h,
			     "damage %u,%u %ux%u on a %ux%u surface", m->x, m->y, m->w, m->h, w, h);
		n++;
	}
	return n;
}

GST_START_TEST (test_damage_meta)
{
	SetFrameFn set_frame = lib_symbol ("gvtdmabuf_sim_set_frame");
	struct gvtdmabuf_device *dev;
	GstHarness *h = start_with_device ("device=sim:320x240,clock=manual keepalive=50 "
					   "io-mode=dmabuf", &dev);
	GstBuffer *a = gst_harness_pull (h), *b = gst_harness_pull (h), *c;

	fail_unless (dev != NULL, "no device-opened signal");
	fail_unless_equals_int (damage_metas (a, 320, 240), 1);
	fail_unless (gst_buffer_peek_memory (a, 0) == gst_buffer_peek_memory (b, 0));
	fail_unless_equals_int (damage_metas (b, 320, 240), 0);	/* keepalive */
	fail_unless_equals_int (set_frame (dev, 1), 0);
	do {	/* keepalives may come first */
		c = gst_harness_pull (h);
		if (gst_buffer_peek_memory (c, 0) != gst_buffer_peek_memory (a, 0))
			break;
		fail_unless_equals_int (damage_metas (c, 320, 240), 0);
		gst_buffer_unref (c);
	} while (TRUE);
	fail_unless_equals_int (damage_metas (c, 320, 240), 1);
	gst_buffer_unref (a);
	gst_buffer_unref (b);
	gst_buffer_unref (c);
	gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_mode_change)
{
	SetModeFn set_mode = lib_symbol ("gvtdmabuf_sim_set_mode");
	struct gvtdmabuf_device *dev;
	struct gvtsim_guest_config cfg;
	GstHarness *h = start_with_device ("device=sim:640x480,clock=manual,cursor=off "
					   "io-mode=system cursor=none", &dev);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps = current_caps (h);
	GstVideoInfo vi;

	fail_unless (dev != NULL, "no device-opened signal");
	sim_config ("640x480,cursor=off", &cfg);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, FALSE), 0);
	gst_buffer_unref (b);
	gst_caps_unref (caps);

	fail_unless_equals_int (set_mode (dev, 320, 200), 0);
	b = gst_harness_pull (h);
	caps = current_caps (h);
	fail_unless (gst_video_info_from_caps (&vi, caps));
	fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&vi), 320);
	fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&vi), 200);
	sim_config ("320x200,cursor=off", &cfg);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, FALSE), 1);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	/* and a mode the graphics memory cannot hold is the sim's refusal */
	fail_unless_equals_int (set_mode (dev, 1920, 1080), -ENOSPC);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* The kernel asks for the vGPU back (the device request fd, fired here by
 * the sim as the kernel would) while the element waits for a frame: a
 * clear RESOURCE error naming the device, and the device released (its
 * fds closed) before the pipeline is torn down. */
static gint
open_fd_count (void)
{
	GDir *d = g_dir_open ("/proc/self/fd", 0, NULL);
	gint n = 0;

	fail_unless (d != NULL);
	while (g_dir_read_name (d))
		n++;
	g_dir_close (d);
	return n;
}

GST_START_TEST (test_device_removed)
{
	RequestRemovalFn request_removal = lib_symbol ("gvtdmabuf_sim_request_removal");
	struct gvtdmabuf_device *dev = NULL;
	GstElement *pipe = gst_parse_launch ("gvtdmabufsrc name=src "
		"device=sim:320x200,clock=manual,cursor=off io-mode=system ! fakesink", NULL);
	GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
	GstBus *bus = gst_element_get_bus (pipe);
	GstMessage *m;
	GError *err = NULL;
	gchar *dbg = NULL;
	gint fds_open, fds_after;

	g_signal_connect (src, "device-opened", G_CALLBACK (on_device_opened), &dev);
	fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
				GST_STATE_CHANGE_ASYNC);
	fail_unless_equals_int (gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND),
				GST_STATE_CHANGE_SUCCESS);
	fail_unless (dev != NULL, "no device-opened signal");
	/* not a sim device: refused */
	fail_unless_equals_int (request_removal (NULL), -EINVAL);
	fds_open = open_fd_count ();
	fail_unless_equals_int (request_removal (dev), 0);
	m = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
	fail_unless (m != NULL, "no error within 10 s of the device request");
	fail_unless_equals_int (GST_MESSAGE_TYPE (m), GST_MESSAGE_ERROR);
	gst_message_parse_error (m, &err, &dbg);
	fail_unless (err->domain == GST_RESOURCE_ERROR && err->code == GST_RESOURCE_ERROR_NOT_FOUND,
		     "unexpected error: %s", err->message);
	fail_unless (strstr (err->message, "is being removed") != NULL, "message: %s", err->message);
	fail_unless (strstr (err->message, "sim") != NULL, "the message does not name the device: %s",
		     err->message);
	/* released at once: the sim's memfd, event and request fds are gone
	 * while the pipeline is still PLAYING */
	fds_after = open_fd_count ();
	fail_unless (fds_after <= fds_open - 3, "device not released: %d fds before, %d after",
		     fds_open, fds_after);
	g_clear_error (&err);
	g_free (dbg);
	gst_message_unref (m);
	gst_element_set_state (pipe, GST_STATE_NULL);
	gst_object_unref (bus);
	gst_object_unref (src);
	gst_object_unref (pipe);
}
GST_END_TEST;

/* The same on the dma-buf path: the caps follow, the memory is new. */
GST_START_TEST (test_mode_change_dmabuf)
{
	SetModeFn set_mode = lib_symbol ("gvtdmabuf_sim_set_mode");
	struct gvtdmabuf_device *dev;
	GstHarness *h = start_with_device ("device=sim:640x480,clock=manual "
					   "io-mode=dmabuf cursor=none", &dev);
	GstBuffer *a = gst_harness_pull (h), *b;
	GstVideoMeta *vm;

	fail_unless_equals_int (set_mode (dev, 400, 300), 0);
	b = gst_harness_pull (h);
	vm = gst_buffer_get_video_meta (b);
	fail_unless (vm != NULL);
	fail_unless_equals_int (vm->width, 400);
	fail_unless_equals_int (vm->height, 300);
	fail_unless_equals_int (vm->stride[0], 400 * 4);
	fail_unless (gst_buffer_peek_memory (a, 0) != gst_buffer_peek_memory (b, 0));
	gst_buffer_unref (a);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* A blank screen pauses the stream with no error; the picture coming back
 * resumes it.  With keepalive the last frame keeps coming meanwhile. */
GST_START_TEST (test_display_off_on)
{
	SetDisplayFn set_display = lib_symbol ("gvtdmabuf_sim_set_display");
	struct gvtdmabuf_device *dev;
	struct gvtsim_guest_config cfg;
	GstHarness *h = start_with_device ("device=sim:320x240,clock=manual,cursor=off "
					   "io-mode=system cursor=none", &dev);
	GstBuffer *b = gst_harness_pull (h);
	GstCaps *caps;

	sim_config ("320x240,cursor=off", &cfg);
	gst_buffer_unref (b);
	fail_unless_equals_int (set_display (dev, false), 0);
	/* nothing comes while the screen is off, and no error */
	g_usleep (300 * 1000);
	fail_unless (gst_harness_try_pull (h) == NULL);
	/* an error would have stopped the stream: the next pull tells */
	fail_unless_equals_int (set_display (dev, true), 0);
	b = gst_harness_pull (h);
	caps = current_caps (h);
	fail_unless_equals_int (check_system_frame (b, caps, &cfg, FALSE), 1);
	gst_buffer_unref (b);
	gst_caps_unref (caps);
	gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_display_off_keepalive)
{
	SetDisplayFn set_display = lib_symbol ("gvtdmabuf_sim_set_display");
	struct gvtdmabuf_device *dev;
	GstHarness *h = start_with_device ("device=sim:320x240,clock=manual,cursor=off "
					   "io-mode=dmabuf cursor=none keepalive=50", &dev);
	GstBuffer *a = gst_harness_pull (h), *b;

	fail_unless_equals_int (set_display (dev, false), 0);
	/* the last frame again, the same memory */
	b = gst_harness_pull (h);
	fail_unless (b != NULL);
	fail_unless (gst_buffer_peek_memory (a, 0) == gst_buffer_peek_memory (b, 0));
	gst_buffer_unref (b);
	b = gst_harness_pull (h);
	fail_unless (gst_buffer_peek_memory (a, 0) == gst_buffer_peek_memory (b, 0));
	gst_buffer_unref (a);
	gst_buffer_unref (b);
	gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- bad property values ---------------------------------------------- */

/* Start a pipeline that must fail; returns the error text (debug too). */
static gchar *
start_error (const gchar *desc)
{
	GError *err = NULL;
	GstElement *pipe = gst_parse_launch (desc, &err);
	GstMessage *m;
	gchar *dbg = NULL, *text;

	if (!pipe || err) {
		text = g_strdup (err ? err->message : "parse failed");
		g_clear_error (&err);
		gst_clear_object (&pipe);
		return text;
	}
	m = run_to_end (pipe, 10 * GST_SECOND);
	fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR, "%s did not fail", desc);
	gst_message_parse_error (m, &err, &dbg);
	text = g_strdup_printf ("%s | %s", err->message, dbg ? dbg : "");
	g_clear_error (&err);
	g_free (dbg);
	gst_message_unref (m);
	gst_element_set_state (pipe, GST_STATE_NULL);
	gst_object_unref (pipe);
	GST_INFO ("%s -> %s", desc, text);
	return text;
}

static gboolean
saw_warning (const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	*(gboolean *) data = TRUE;
	return TRUE;	/* expected: not fatal */
}

GST_START_TEST (test_bad_properties)
{
	static const struct {
		const gchar *desc;
		const gchar *must_say[3];
	} cases[] = {
		{ "gvtdmabufsrc ! fakesink", { "device" } },
		{ "gvtdmabufsrc device= ! fakesink", { "device" } },
		{ "gvtdmabufsrc device=sim:bogus ! fakesink", { "device", "bogus" } },
		{ "gvtdmabufsrc device=sim:fps=0 ! fakesink", { "device", "fps=0" } },
		{ "gvtdmabufsrc device=sim:99999x99999 ! fakesink", { "device", "sim:99999x99999" } },
		{ "gvtdmabufsrc device=not-a-uuid ! fakesink", { "device", "not-a-uuid" } },
		{ "gvtdmabufsrc device=00000000-0000-0000-0000-000000000000 ! fakesink",
		  { "device", "00000000-0000-0000-0000-000000000000" } },
		{ "gvtdmabufsrc device=sim cursor=bogus ! fakesink", { "cursor", "bogus" } },
		{ "gvtdmabufsrc device=sim wait=bogus ! fakesink", { "wait", "bogus" } },
		{ "gvtdmabufsrc device=sim io-mode=bogus ! fakesink", { "io-mode", "bogus" } },
		{ "gvtdmabufsrc device=sim max-framerate=bogus ! fakesink", { "max-framerate", "bogus" } },
	};
	static const struct {
		const gchar *prop;
		guint value;
	} ranges[] = {
		{ "cache-size", 0 }, { "cache-size", 1025 }, { "poll-interval", 0 },
		{ "poll-interval", 10001 }, { "keepalive", 3600001 },
	};
	GstElement *e;
	guint i, j, v;

	for (i = 0; i < G_N_ELEMENTS (cases); i++) {
		gchar *text = start_error (cases[i].desc);

		for (j = 0; j < G_N_ELEMENTS (cases[i].must_say) && cases[i].must_say[j]; j++)
			fail_unless (strstr (text, cases[i].must_say[j]) != NULL,
				     "%s: '%s' does not name '%s'", cases[i].desc, text,
				     cases[i].must_say[j]);
		g_free (text);
	}

	/* out of range: GObject refuses with a warning naming the property,
	 * and the value stays */
	e = gst_element_factory_make ("gvtdmabufsrc", NULL);
	for (i = 0; i < G_N_ELEMENTS (ranges); i++) {
		gchar *re = g_strdup_printf ("property '%s'", ranges[i].prop);
		gboolean seen = FALSE;
		guint before;
		GstCheckLogFilter *f = gst_check_add_log_filter ("GLib-GObject",
			G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL, g_regex_new (re, 0, 0, NULL),
			saw_warning, &seen, NULL);

		g_object_get (e, ranges[i].prop, &before, NULL);
		g_object_set (e, ranges[i].prop, ranges[i].value, NULL);
		gst_check_remove_log_filter (f);
		fail_unless (seen, "%s=%u: no warning naming it", ranges[i].prop, ranges[i].value);
		g_free (re);
		g_object_get (e, ranges[i].prop, &v, NULL);
		fail_unless_equals_int (v, before);
	}
	gst_object_unref (e);
}
GST_END_TEST;

static Suite *
gvtdmabufsrc_suite (void)
{
	Suite *s = suite_create ("gvtdmabufsrc");
	TCase *tc = tcase_create ("general");

	tcase_set_timeout (tc, 120);
	suite_add_tcase (s, tc);
	tcase_add_test (tc, test_caps_offered);
	tcase_add_test (tc, test_zero_copy);
	tcase_add_test (tc, test_system_path_maps);
	tcase_add_loop_test (tc, test_system_pixels, 0, G_N_ELEMENTS (pixel_specs));
	tcase_add_test (tc, test_system_realtime);
	tcase_add_test (tc, test_cursor_composite_negative);
	tcase_add_test (tc, test_cursor_composite_rgb565);
	tcase_add_test (tc, test_cursor_meta_negative);
	tcase_add_test (tc, test_cursor_meta_system);
	tcase_add_test (tc, test_cursor_none);
	tcase_add_test (tc, test_input_without_backend);
	tcase_add_test (tc, test_unlock_during_wait);
	tcase_add_test (tc, test_num_buffers_restart);
	tcase_add_test (tc, test_latency_query);
	tcase_add_test (tc, test_keepalive);
	tcase_add_test (tc, test_wait_poll);
	tcase_add_test (tc, test_one_push_per_flip);
	tcase_add_test (tc, test_damage_meta);
	tcase_add_test (tc, test_mode_change);
	tcase_add_test (tc, test_mode_change_dmabuf);
	tcase_add_test (tc, test_display_off_on);
	tcase_add_test (tc, test_display_off_keepalive);
	tcase_add_test (tc, test_device_removed);
	tcase_add_test (tc, test_bad_properties);
	return s;
}

GST_CHECK_MAIN (gvtdmabufsrc);
