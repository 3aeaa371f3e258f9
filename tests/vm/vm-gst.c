/* SPDX-License-Identifier: MIT */
/*
 * vm-gst: gvtdmabufsrc on the real kernel path (the 6.12 VM, chrooted into
 * the Debian 13 tree: GStreamer 1.26, Mesa 25) into a dma-buf importer that
 * nobody here wrote: glupload on Mesa's llvmpipe through surfaceless EGL,
 * read back by gldownload and compared with the guest model.
 *
 *   vm-gst gvtsim UUID   a guest paints the vGPU through VFIO and lets go;
 *                        the element then opens it by UUID
 *   vm-gst sim           the sim backend, whose buffers are udmabufs here,
 *                        its frames advanced by this program (paced: the
 *                        guest never repaints a buffer being read)
 *   vm-gst paint UUID FRAME
 *                        only the guest: it shows FRAME (640x480 XR24
 *                        linear, no cursor, no sprite: what frame-check
 *                        expects) and lets go, for vm-streamd.sh
 *
 * Zero copy is shown from two sides: every buffer that reaches glupload is
 * dma-buf memory, with one dma-buf inode per surface however many frames
 * go by (the element neither exports nor wraps a surface twice); and with
 * gvtsim's default (no CPU mmap of its dma-bufs, as on i915) the element
 * streams while a mmap of the very fd it pushes fails, so it never maps.
 *
 * Test lines are TAP ("ok N - ..."); exit 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gst/allocators/allocators.h>
#include <gst/app/app.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gvt-dmabuf/gvt-dmabuf.h>

#include "guest-model.h"
#include "vm-common.h"

#define PAINT_FRAME 77
#define WIDTH 640
#define HEIGHT 480
#define RUN_LIMIT_S 120

/* What one pipeline run saw. */
struct run {
	GHashTable *inodes;	/* dma-buf inode -> buffers that carried it */
	guint n_in;		/* buffers at the probed pad */
	guint n_dmabuf;		/* of them in dma-buf memory */
	gboolean map_refused;	/* a mmap of a pushed fd failed */
	gchar *caps;		/* caps at the probed pad */
	GPtrArray *samples;	/* what the sink got */
	gchar *error;		/* the bus's error, if any */
	/* paced (set before run_pipeline): the source is a clock=manual
	 * sim named "src"; after each sample has been read, show the next
	 * frame, so the guest never paints a buffer that is being read */
	gboolean pace;
	struct gvtdmabuf_device *dev;	/* the sim, from device-opened */
};

static void run_clear(struct run *r)
{
	g_clear_pointer(&r->inodes, g_hash_table_unref);
	g_clear_pointer(&r->samples, g_ptr_array_unref);
	g_clear_pointer(&r->caps, g_free);
	g_clear_pointer(&r->error, g_free);
	memset(r, 0, sizeof(*r));
}

static void on_device_opened(GstElement *src, gpointer device, gpointer data)
{
	struct run *r = data;

	g_atomic_pointer_set(&r->dev, device);
}

/* Paced: sample @s (frame n, n = samples so far - 1) is read through
 * (mapping it waits for the GL work that sampled the dma-buf), so the
 * guest may paint frame n + 1, into the buffer of frame n - 2. */
static void pace_next(struct run *r, GstSample *s)
{
	struct gvtdmabuf_device *dev = g_atomic_pointer_get(&r->dev);
	GstMapInfo map;
	int ret;

	if (gst_buffer_map(gst_sample_get_buffer(s), &map, GST_MAP_READ))
		gst_buffer_unmap(gst_sample_get_buffer(s), &map);
	ret = dev ? gvtdmabuf_sim_set_frame(dev, r->samples->len) : -ENODEV;
	if (ret < 0 && !r->error)
		r->error = g_strdup_printf("cannot show sim frame %u: %s", r->samples->len,
					   strerror(-ret));
}

static GstPadProbeReturn probe_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct run *r = data;
	GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
	GstMemory *m = gst_buffer_peek_memory(b, 0);
	struct stat st;
	gpointer n;

	r->n_in++;
	if (!r->caps) {
		GstCaps *caps = gst_pad_get_current_caps(pad);

		r->caps = caps ? gst_caps_to_string(caps) : g_strdup("(none)");
		if (caps)
			gst_caps_unref(caps);
	}
	if (!gst_is_dmabuf_memory(m))
		return GST_PAD_PROBE_OK;
	r->n_dmabuf++;
	if (fstat(gst_dmabuf_memory_get_fd(m), &st) == 0) {
		n = g_hash_table_lookup(r->inodes, GSIZE_TO_POINTER(st.st_ino));
		g_hash_table_insert(r->inodes, GSIZE_TO_POINTER(st.st_ino),
				    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(n) + 1));
	}
	if (r->n_dmabuf == 1) {
		void *p = mmap(NULL, gst_memory_get_sizes(m, NULL, NULL), PROT_READ, MAP_SHARED,
			       gst_dmabuf_memory_get_fd(m), 0);

		if (p == MAP_FAILED)
			r->map_refused = TRUE;
		else
			munmap(p, gst_memory_get_sizes(m, NULL, NULL));
	}
	return GST_PAD_PROBE_OK;
}

/* Run @desc (an appsink named "sink"; the pad probed is the sink pad of
 * the element named "up", else of "sink") until EOS, an error or
 * RUN_LIMIT_S.  The limit only guards against a hang: the first GL
 * pipeline of a process (EGL and llvmpipe set-up, shader compilation under
 * TCG on a shared host) was measured here taking over 30 s to its first
 * buffer, the next ones under 1 s a frame. */
static void run_pipeline(const char *desc, struct run *r)
{
	GError *err = NULL;
	GstElement *pipe, *sink, *up;
	GstPad *pad;
	GstBus *bus;
	gint64 end;
	gboolean pace = r->pace;

	memset(r, 0, sizeof(*r));
	r->pace = pace;
	r->inodes = g_hash_table_new(NULL, NULL);
	r->samples = g_ptr_array_new_with_free_func((GDestroyNotify)gst_sample_unref);
	vm_note("pipeline: %s", desc);
	pipe = gst_parse_launch(desc, &err);
	if (!pipe) {
		r->error = g_strdup_printf("cannot build the pipeline: %s", err->message);
		g_error_free(err);
		return;
	}
	sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
	up = gst_bin_get_by_name(GST_BIN(pipe), "up");
	if (pace) {
		GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");

		g_signal_connect(src, "device-opened", G_CALLBACK(on_device_opened), r);
		gst_object_unref(src);
	}
	pad = gst_element_get_static_pad(up ? up : sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, probe_buffer, r, NULL);
	gst_object_unref(pad);
	bus = gst_element_get_bus(pipe);
	gst_element_set_state(pipe, GST_STATE_PLAYING);
	end = g_get_monotonic_time() + RUN_LIMIT_S * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 10);
		GstMessage *msg;

		if (s) {
			g_ptr_array_add(r->samples, s);
			if (pace)
				pace_next(r, s);
			if (r->error)
				break;
		}
		msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
		if (msg) {
			gchar *dbg = NULL;

			gst_message_parse_error(msg, &err, &dbg);
			r->error = g_strdup_printf("%s: %s (%s)", GST_OBJECT_NAME(msg->src),
						   err->message, dbg ? dbg : "");
			g_error_free(err);
			g_free(dbg);
			gst_message_unref(msg);
			break;
		}
		if (!s && gst_app_sink_is_eos(GST_APP_SINK(sink)))
			break;
	}
	if (!r->error && !gst_app_sink_is_eos(GST_APP_SINK(sink)))
		r->error = g_strdup_printf("no EOS within %d s", RUN_LIMIT_S);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(bus);
	if (up)
		gst_object_unref(up);
	gst_object_unref(sink);
	gst_object_unref(pipe);
	if (r->error)
		vm_note("  error: %s", r->error);
	vm_note("  %u buffers in (%u dma-buf, %u inodes), %u out, caps %s", r->n_in,
		r->n_dmabuf, g_hash_table_size(r->inodes), r->samples->len,
		r->caps ? r->caps : "(none)");
}

/* An RGBA or RGBx sample against the guest model's primary plane for the
 * frame its block code names (or @want_frame when not G_MAXUINT64), every
 * pixel.  Returns the frame number, or -1 after a failed check. */
static gint64 check_sample(GstSample *s, const struct gvtsim_guest_config *cfg,
			   guint64 want_frame, guint64 want_time, const char *what)
{
	GstVideoInfo vi;
	GstVideoFrame f;
	guint32 *xrgb;
	guint64 frame = 0, time_us = 0;
	guint32 x, y, bad = 0, bx = 0, by = 0, got0 = 0, want0 = 0;
	gint64 ret = -1;

	if (!vm_check(gst_video_info_from_caps(&vi, gst_sample_get_caps(s)) &&
		      (GST_VIDEO_INFO_FORMAT(&vi) == GST_VIDEO_FORMAT_RGBA ||
		       GST_VIDEO_INFO_FORMAT(&vi) == GST_VIDEO_FORMAT_RGBx) &&
		      vi.width == (gint)cfg->width && vi.height == (gint)cfg->height,
		      "%s: RGBA or RGBx %ux%u out of gldownload", what, cfg->width, cfg->height))
		return -1;
	if (!gst_video_frame_map(&f, &vi, gst_sample_get_buffer(s), GST_MAP_READ)) {
		vm_check(false, "%s: map the downloaded frame", what);
		return -1;
	}
	xrgb = g_new(guint32, (gsize)vi.width * vi.height);
	for (y = 0; y < cfg->height; y++) {
		const guint8 *row = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&f, 0) +
				    (gsize)y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);

		for (x = 0; x < cfg->width; x++)
			xrgb[(gsize)y * cfg->width + x] = 0xff000000u | (guint32)row[4 * x] << 16 |
							  (guint32)row[4 * x + 1] << 8 | row[4 * x + 2];
	}
	gst_video_frame_unmap(&f);
	if (!vm_check(gvtsim_guest_decode_blockcode(xrgb, cfg->width * 4, cfg->width, cfg->height,
						    &frame, &time_us) == 0,
		      "%s: the block code reads (pixels (8,8) 0x%06x, (320,240) 0x%06x)", what,
		      xrgb[8 * cfg->width + 8] & 0xffffff,
		      xrgb[240 * cfg->width + 320] & 0xffffff))
		goto out;
	if (want_frame != G_MAXUINT64 &&
	    !vm_check(frame == want_frame && time_us == want_time,
		      "%s: block code says frame %" G_GUINT64_FORMAT " (expected %" G_GUINT64_FORMAT ")",
		      what, frame, want_frame))
		goto out;
	for (y = 0; y < cfg->height; y++) {
		for (x = 0; x < cfg->width; x++) {
			guint32 got = xrgb[(gsize)y * cfg->width + x] & 0xffffff;
			guint32 want = gvtsim_guest_expected_argb(cfg, frame, time_us, x, y) & 0xffffff;

			if (got != want && !bad++) {
				bx = x;
				by = y;
				got0 = got;
				want0 = want;
			}
		}
	}
	if (vm_check(bad == 0, "%s: frame %" G_GUINT64_FORMAT " equals the guest model "
			    "(%u pixels differ, first (%u,%u) 0x%06x expected 0x%06x)",
			    what, frame, bad, bx, by, got0, want0))
		ret = (gint64)frame;
out:
	g_free(xrgb);
	return ret;
}

static void config(struct gvtsim_guest_config *cfg, guint64 modifier)
{
	gvtsim_guest_config_default(cfg);
	cfg->width = WIDTH;
	cfg->height = HEIGHT;
	cfg->modifier = modifier;
	cfg->cursor_size = 0;
	cfg->sprite = false;
	cfg->n_buffers = 2;
}

/* The guest shows @frame on @uuid and lets go of the vGPU (gvtsim keeps
 * its registers and memory after the close: the frame stays on screen). */
static bool paint(const char *uuid, const struct gvtsim_guest_config *cfg, uint64_t frame)
{
	struct vm_vfio v;
	struct vm_display d = { 0 };
	char why[256];
	int r;

	r = vm_vfio_open(uuid, &v, why, sizeof(why));
	if (!vm_check(r == 0, "guest opens %s through VFIO (%s)", uuid, r ? why : "ok"))
		return false;
	r = vm_display_init(&d, v.device);
	if (r == 0)
		r = vm_guest_start(&d, cfg);
	if (r == 0)
		vm_guest_show(&d, frame);
	vm_check(r == 0 && !d.io_errors, "guest paints frame %" PRIu64 ", %ux%u %s, and flips (%s)",
		 frame, cfg->width, cfg->height,
		 cfg->modifier == DRM_FORMAT_MOD_LINEAR ? "linear" : "X-tiled", strerror(-r));
	vm_display_finish(&d);
	vm_vfio_close(&v);
	return r == 0;
}

/*
 * The importer's pipeline.  Measured here (Mesa 25.0 llvmpipe, GStreamer
 * 1.26.2): reading an imported dma-buf's texture straight back (glupload !
 * gldownload) gives zeros; sampling it in a shader gives its pixels.  So
 * glcolorconvert draws the imported texture into an RGBx one that gldownload
 * reads: the pixels have been through the importer's GPU path.
 *
 * glupload's output is pinned to RGBA because that is what its
 * DirectDmabuf method, the first dma-buf one in upload_methods[], really
 * makes: it imports the plane as its own fourcc (XR24) and GL samples RGBA.
 * Its _dma_buf_upload_accept() does not check the negotiated output format,
 * so with a BGRx pin it still takes the buffer and labels the RGBA texture
 * BGRx; glcolorconvert then applies BGRx's swizzle and red and blue come out
 * exchanged (a GStreamer bug, 1.26.2 and main alike; see tests/vm/README.md).
 */
#define GL_DMABUF_TAIL                                                                        \
	"glupload name=up ! video/x-raw(memory:GLMemory),format=RGBA,texture-target=2D ! "    \
	"glcolorconvert ! video/x-raw(memory:GLMemory),format=RGBx ! gldownload ! "          \
	"video/x-raw,format=RGBx ! appsink name=sink sync=false"

/* The same for a surface that glupload does not import (X-tiled: it takes
 * LINEAR only), which negotiates the element's system memory (BGRx): raw
 * upload into a BGRx texture, drawn into RGBA. */
#define GL_SYSMEM_TAIL                                                                        \
	"glupload name=up ! video/x-raw(memory:GLMemory),format=BGRx,texture-target=2D ! "    \
	"glcolorconvert ! gldownload ! video/x-raw,format=RGBA ! appsink name=sink sync=false"

static void do_gvtsim(const char *uuid)
{
	struct gvtsim_guest_config cfg;
	struct run r = { 0 };
	gchar *desc;
	guint i;

	/* ---- linear, i915's default: no CPU mapping of dma-bufs ---------- */
	vm_param_set("dmabuf_mmap", false);
	config(&cfg, DRM_FORMAT_MOD_LINEAR);
	if (!paint(uuid, &cfg, PAINT_FRAME))
		return;
	desc = g_strdup_printf("gvtdmabufsrc device=%s cursor=none keepalive=30 num-buffers=5 "
			       "! appsink name=sink sync=false", uuid);
	run_pipeline(desc, &r);
	g_free(desc);
	vm_check(!r.error && r.samples->len == 5, "gvtsim, dmabuf_mmap=0: 5 buffers, no error (%s)",
		 r.error ? r.error : "ok");
	vm_check(r.caps && strstr(r.caps, "memory:DMABuf") && strstr(r.caps, "drm-format=(string)XR24,"),
		 "gvtsim: caps are DMA_DRM XR24 linear: %s", r.caps ? r.caps : "(none)");
	vm_check(r.n_dmabuf == r.n_in && r.n_in == 5 && g_hash_table_size(r.inodes) == 1,
		 "gvtsim: every buffer is the one surface's dma-buf (%u of %u, %u inodes)",
		 r.n_dmabuf, r.n_in, g_hash_table_size(r.inodes));
	vm_check(r.map_refused, "gvtsim, dmabuf_mmap=0: the pushed fd cannot be mmap'ed, so the "
		 "element streamed without a CPU map");
	run_clear(&r);

	/* The importer: llvmpipe is a CPU renderer and maps what it
	 * imports; Mesa 25.0 prints "dmabuf import failed to mmap" for
	 * gvtsim's default and then crashes the process, so it gets
	 * CPU-mappable buffers. */
	desc = g_strdup_printf("gvtdmabufsrc device=%s cursor=none keepalive=30 num-buffers=3 ! "
			       GL_DMABUF_TAIL, uuid);
	vm_param_set("dmabuf_mmap", true);
	run_pipeline(desc, &r);
	g_free(desc);
	vm_check(!r.error && r.samples->len == 3, "gvtsim, linear -> glupload ! gldownload: "
		 "3 frames, no error (%s)", r.error ? r.error : "ok");
	vm_check(r.n_in == 3 && r.n_dmabuf == r.n_in && g_hash_table_size(r.inodes) == 1,
		 "gvtsim -> glupload: dma-buf memory, one inode for the surface (%u of %u, %u inodes)",
		 r.n_dmabuf, r.n_in, g_hash_table_size(r.inodes));
	for (i = 0; i < r.samples->len; i++)
		check_sample(r.samples->pdata[i], &cfg, PAINT_FRAME, vm_frame_time(PAINT_FRAME),
			     "gvtsim linear through llvmpipe");
	run_clear(&r);

	/* ---- X-tiled: llvmpipe refuses it (EGL_BAD_MATCH) ------------------ */
	config(&cfg, I915_FORMAT_MOD_X_TILED);
	if (!paint(uuid, &cfg, PAINT_FRAME))
		return;
	desc = g_strdup_printf("gvtdmabufsrc device=%s cursor=none keepalive=30 num-buffers=3 ! "
			       GL_SYSMEM_TAIL, uuid);
	run_pipeline(desc, &r);
	vm_check(!r.error && r.samples->len == 3, "gvtsim, X-tiled -> glupload: 3 frames, no "
		 "error (%s)", r.error ? r.error : "ok");
	vm_check(r.n_in > 0 && r.n_dmabuf == 0 && r.caps && !strstr(r.caps, "memory:DMABuf"),
		 "gvtsim, X-tiled: glupload takes system memory (%u dma-buf buffers; caps %s)",
		 r.n_dmabuf, r.caps ? r.caps : "(none)");
	for (i = 0; i < r.samples->len; i++)
		check_sample(r.samples->pdata[i], &cfg, PAINT_FRAME, vm_frame_time(PAINT_FRAME),
			     "gvtsim X-tiled, detiled by the element");
	run_clear(&r);

	/* Without CPU mapping the system path cannot read the surface: a
	 * clear error, as the element's documentation says. */
	vm_param_set("dmabuf_mmap", false);
	run_pipeline(desc, &r);
	g_free(desc);
	vm_check(r.error && r.samples->len == 0 && strstr(r.error, "gvtdmabufsrc") &&
		 strstr(r.error, "system memory"),
		 "gvtsim, X-tiled, dmabuf_mmap=0 -> glupload: the element says it cannot read the "
		 "surface into system memory (%s)", r.error ? r.error : "no error");
	run_clear(&r);
	vm_param_set("dmabuf_mmap", true);
}

/* Frames the paced sim run shows (0 .. N_PACED - 1) and the rate whose
 * nominal times a manual sim's frames carry (frame * 1000000 / fps us). */
#define N_PACED 6
#define PACED_FPS 60

static void do_sim(void)
{
	struct gvtsim_guest_config cfg;
	struct run r = { 0 };
	GString *seq;
	gboolean order = TRUE;
	guint i;

	if (access("/dev/udmabuf", R_OK | W_OK) != 0) {
		vm_check(false, "sim: /dev/udmabuf is usable (%s)", strerror(errno));
		return;
	}
	/*
	 * Paced: the guest shows frame n + 1 only once frame n has been read
	 * through the importer (pace_next).  A realtime guest cannot be used
	 * for an order check here: it owns its buffers and there are no
	 * fences, so it repaints a buffer that downstream still reads as soon
	 * as its turn comes (frame n + buffers - 1, or sooner when it skips
	 * frames it is late for).  Traced in this VM with a 2 fps, 3-buffer
	 * guest: the first buffer was pushed showing frame 11 and read by
	 * llvmpipe (GL set-up and shader compilation under TCG) about 9 s
	 * later, as frame 29, painted into the same buffer meanwhile; the
	 * element pushed 11, 31, 32, 34, 36, 37, in order, one inode per
	 * buffer.  No buffer count makes that a promise, so the guest waits.
	 * Six frames on three buffers: frames 3-5 reuse the imports glupload
	 * cached for 0-2, so exact pixels show that a cached import reads the
	 * buffer's current content.
	 */
	config(&cfg, DRM_FORMAT_MOD_LINEAR);
	cfg.n_buffers = 3;
	r.pace = TRUE;
	run_pipeline("gvtdmabufsrc name=src device=sim:640x480,clock=manual,fps=" G_STRINGIFY(PACED_FPS)
		     ",buffers=3,cursor=off cursor=none num-buffers=" G_STRINGIFY(N_PACED) " ! "
		     GL_DMABUF_TAIL, &r);
	vm_check(!r.error && r.samples->len == N_PACED, "sim with udmabuf, paced -> glupload ! "
		 "gldownload: %d frames, no error (%s)", N_PACED, r.error ? r.error : "ok");
	vm_check(r.caps && strstr(r.caps, "memory:DMABuf") && strstr(r.caps, "drm-format=(string)XR24,"),
		 "sim with udmabuf: DMA_DRM XR24 caps at glupload (%s)", r.caps ? r.caps : "(none)");
	vm_check(r.n_in == N_PACED && r.n_dmabuf == r.n_in && g_hash_table_size(r.inodes) == 3,
		 "sim: %u dma-buf buffers of %u carry %u inodes, one per framebuffer (3)",
		 r.n_dmabuf, r.n_in, g_hash_table_size(r.inodes));
	seq = g_string_new(NULL);
	for (i = 0; i < r.samples->len; i++) {
		/* frame i, at its nominal time, every pixel */
		gint64 f = check_sample(r.samples->pdata[i], &cfg, i,
					(guint64)i * 1000000 / PACED_FPS,
					"sim paced through llvmpipe");

		g_string_append_printf(seq, " %" G_GINT64_FORMAT, f);
		if (f != (gint64)i)
			order = FALSE;
	}
	vm_check(order && r.samples->len == N_PACED, "sim: the frames' block codes are 0..%d in "
		 "order (read:%s)", N_PACED - 1, seq->str);
	g_string_free(seq, TRUE);
	run_clear(&r);

	config(&cfg, I915_FORMAT_MOD_X_TILED);
	cfg.n_buffers = 3;
	run_pipeline("gvtdmabufsrc device=sim:640x480,xtiled,fps=4,buffers=3,cursor=off "
		     "cursor=none num-buffers=3 ! " GL_SYSMEM_TAIL, &r);
	vm_check(!r.error && r.samples->len == 3, "sim X-tiled -> glupload: 3 frames, no error (%s)",
		 r.error ? r.error : "ok");
	vm_check(r.n_in > 0 && r.n_dmabuf == 0, "sim X-tiled: glupload takes system memory (caps %s)",
		 r.caps ? r.caps : "(none)");
	for (i = 0; i < r.samples->len; i++)
		check_sample(r.samples->pdata[i], &cfg, G_MAXUINT64, 0, "sim X-tiled, detiled");
	run_clear(&r);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "paint")) {
		/* No GStreamer here: its start (the registry) took seconds
		 * under TCG, and vm-streamd.sh paints three times. */
		struct gvtsim_guest_config cfg;

		config(&cfg, DRM_FORMAT_MOD_LINEAR);
		paint(argv[2], &cfg, strtoull(argv[3], NULL, 10));
		return vm_done("vm-gst paint");
	}
	gst_init(NULL, NULL);
	vm_note("GStreamer %s", gst_version_string());
	if (argc == 3 && !strcmp(argv[1], "gvtsim"))
		do_gvtsim(argv[2]);
	else if (argc == 2 && !strcmp(argv[1], "sim"))
		do_sim();
	else {
		fprintf(stderr, "usage: vm-gst gvtsim UUID | vm-gst sim | vm-gst paint UUID FRAME\n");
		return 2;
	}
	return vm_done(argv[1][0] == 's' ? "vm-gst sim" : "vm-gst gvtsim");
}
