/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-gvtdmabufsrc
 * @title: gvtdmabufsrc
 *
 * The framebuffer of an Intel GVT-g vGPU (i915 GVT-g, gvtsim, or the
 * library's built-in "sim" vGPU) as live video, with no pixel copied by the
 * CPU: every surface the guest flips to is exported once as a dma-buf and
 * the same GstMemory is pushed again whenever the guest shows it again, so
 * importers (vapostproc, glupload) import each surface once.
 *
 * Memory: on GStreamer >= 1.24 dma-bufs go out as
 * `video/x-raw(memory:DMABuf), format=DMA_DRM, drm-format=XR24:0x0100000000000001`
 * (fourcc and modifier exactly as the vGPU scans out, tiled or not) with a
 * #GstVideoMeta carrying stride and offset.  GStreamer 1.22 caps cannot
 * carry a modifier, so there a dma-buf goes out only for linear surfaces
 * (`video/x-raw(memory:DMABuf), format=BGRx`); a tiled surface is offered in
 * system memory only, detiled by the CPU.  System memory (`video/x-raw`,
 * detiled, pixel-exact) is chosen by negotiation; XRGB2101010/XBGR2101010
 * have no GStreamer format name before 1.28 and go out as RGBA there (the
 * 10-bit channels rounded to 8), and only DMA_DRM caps carry them as
 * dma-bufs.  The system path reads through the library's reader: each
 * surface mapped once, or where the CPU cannot map it (real GVT-g) imported
 * through EGL and read back by the GPU; `glupload ! gldownload` is the
 * all-GStreamer alternative.
 *
 * Waiting: with `wait=event` (gvtsim, sim) a flip wakes the element through
 * the vGPU's display event fd with no timer; `wait=poll` (upstream i915,
 * which has no such fd) queries the plane every `poll-interval` ms and
 * pushes when the surface or the cursor changed.  Timestamps are the
 * pipeline clock's running time when the element saw the new frame.
 *
 * Cursor: `none` ignores it; `meta` (the default) attaches the cursor image
 * as a #GstVideoOverlayCompositionMeta rectangle at its position minus its
 * hotspot (may be negative): the CPU reads the small cursor image once per
 * cursor surface, never the framebuffer; `composite` blends it into the
 * picture, which needs system memory (the guest's buffer is never written)
 * and costs a CPU read of the whole frame.
 *
 * A plane that the guest disables pauses the stream (no error; `keepalive`
 * re-sends the last frame meanwhile); a mode or format change renegotiates
 * caps; a vGPU the kernel takes back (VFIO device request) is an error and
 * the element lets go of it at once.
 *
 * Input (QEMU's D-Bus display only: `device=qemu...`): with `input=true`
 * (the default: the element is local, and whoever builds its pipeline
 * decides where input goes) upstream #GstNavigation events reach the VM, so
 * `gvtdmabufsrc ! videoconvert ! xvimagesink` is a remote desktop:
 * mouse-move is an absolute pointer position in surface pixels (clamped to
 * the surface; needs virtio-tablet or usb-tablet in the VM), buttons 1, 2,
 * 3 are BTN_LEFT, BTN_MIDDLE, BTN_RIGHT (X11's 4 and 5 a wheel notch),
 * mouse-scroll turns the wheel (whole notches, fractions add up), and
 * key-press/key-release take X11 keysym names ("a", "Return", "Shift_L",
 * "Left", "F1", ...: the common keys of a US keyboard) as evdev keys; a key
 * name the table lacks is dropped with a debug message.  Callers that have
 * evdev codes (gvt-streamd) send a custom upstream event
 * (GST_EVENT_CUSTOM_UPSTREAM) whose structure is named `gvtdmabuf-input`
 * and holds one action:
 *
 * - `key` (uint, evdev KEY_*) and `pressed` (boolean);
 * - `button` (uint, evdev BTN_LEFT/MIDDLE/RIGHT/SIDE/EXTRA) and `pressed`,
 *   with optional `x`, `y` (uint) where the pointer goes first;
 * - `x`, `y` (uint): absolute pointer position in surface pixels;
 * - `dx`, `dy` (int): relative motion (a VM with a relative mouse only);
 * - `wheel` (int): notches, positive away from the user.
 *
 * |[
 * gst_element_send_event (src, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
 *     gst_structure_new ("gvtdmabuf-input", "key", G_TYPE_UINT, 30, // KEY_A
 *                        "pressed", G_TYPE_BOOLEAN, TRUE, NULL)));
 * ]|
 *
 * The custom event returns TRUE when the VM took it, FALSE when input is
 * off, no device is open, the event is malformed (a warning names what is
 * wrong), or the VM refused it.  Backends without input (sim, VFIO
 * vGPUs) refuse every event with one warning per open device, not an
 * error: the video goes on.  The calls to QEMU are synchronous D-Bus calls
 * made in the thread that sends the event.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 gvtdmabufsrc device=sim:1280x720 num-buffers=300 ! videoconvert ! autovideosink
 * gst-launch-1.0 gvtdmabufsrc device=5f1d7e4c-0000-4d0b-9e36-a1b2c3d4e5f6 ! vapostproc ! video/x-raw(memory:VAMemory),format=NV12 ! vah264enc ! h264parse ! mp4mux ! filesink location=desktop.mp4
 * gst-launch-1.0 gvtdmabufsrc device=sim:1920x1080,xtiled io-mode=system cursor=composite ! videoconvert ! x264enc ! mp4mux ! filesink location=desktop.mp4
 * gst-launch-1.0 gvtdmabufsrc device=sim wait=poll poll-interval=30 keepalive=1000 max-framerate=30/1 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/input-event-codes.h>
#include <drm_fourcc.h>
#include <gst/allocators/allocators.h>
#include <gst/base/base.h>
#include <gst/video/video.h>

#include <gvt-dmabuf/gvt-dmabuf.h>

#include "gstgvtdmabufsrc.h"

GST_DEBUG_CATEGORY_STATIC (gst_gvt_dmabuf_src_debug);
#define GST_CAT_DEFAULT gst_gvt_dmabuf_src_debug

/* DMA_DRM caps (drm-format=FOURCC:MODIFIER) exist from 1.24 on. */
#define HAVE_DMA_DRM GST_CHECK_VERSION (1, 24, 0)

/* ---- enums ------------------------------------------------------------ */

typedef enum {
	GST_GVT_DMABUF_SRC_CURSOR_NONE,
	GST_GVT_DMABUF_SRC_CURSOR_META,
	GST_GVT_DMABUF_SRC_CURSOR_COMPOSITE,
} GstGvtDmabufSrcCursor;

typedef enum {
	GST_GVT_DMABUF_SRC_WAIT_AUTO,
	GST_GVT_DMABUF_SRC_WAIT_EVENT,
	GST_GVT_DMABUF_SRC_WAIT_POLL,
} GstGvtDmabufSrcWait;

typedef enum {
	GST_GVT_DMABUF_SRC_IO_AUTO,
	GST_GVT_DMABUF_SRC_IO_DMABUF,
	GST_GVT_DMABUF_SRC_IO_SYSTEM,
} GstGvtDmabufSrcIoMode;

#define GST_TYPE_GVT_DMABUF_SRC_CURSOR (gst_gvt_dmabuf_src_cursor_get_type ())
static GType
gst_gvt_dmabuf_src_cursor_get_type (void)
{
	static GType type;
	static const GEnumValue values[] = {
		{ GST_GVT_DMABUF_SRC_CURSOR_NONE, "Leave the cursor out", "none" },
		{ GST_GVT_DMABUF_SRC_CURSOR_META,
		  "Cursor image as an overlay composition meta (no copy of the frame)", "meta" },
		{ GST_GVT_DMABUF_SRC_CURSOR_COMPOSITE,
		  "Cursor blended into the picture (system memory, reads the frame with the CPU)",
		  "composite" },
		{ 0, NULL, NULL },
	};

	if (g_once_init_enter (&type))
		g_once_init_leave (&type, g_enum_register_static ("GstGvtDmabufSrcCursor", values));
	return type;
}

#define GST_TYPE_GVT_DMABUF_SRC_WAIT (gst_gvt_dmabuf_src_wait_get_type ())
static GType
gst_gvt_dmabuf_src_wait_get_type (void)
{
	static GType type;
	static const GEnumValue values[] = {
		{ GST_GVT_DMABUF_SRC_WAIT_AUTO,
		  "The display event fd where the vGPU has one, else poll", "auto" },
		{ GST_GVT_DMABUF_SRC_WAIT_EVENT,
		  "Wake on the vGPU's display event fd (gvtsim, sim)", "event" },
		{ GST_GVT_DMABUF_SRC_WAIT_POLL,
		  "Query the plane every poll-interval ms (upstream i915)", "poll" },
		{ 0, NULL, NULL },
	};

	if (g_once_init_enter (&type))
		g_once_init_leave (&type, g_enum_register_static ("GstGvtDmabufSrcWait", values));
	return type;
}

#define GST_TYPE_GVT_DMABUF_SRC_IO_MODE (gst_gvt_dmabuf_src_io_mode_get_type ())
static GType
gst_gvt_dmabuf_src_io_mode_get_type (void)
{
	static GType type;
	static const GEnumValue values[] = {
		{ GST_GVT_DMABUF_SRC_IO_AUTO,
		  "Dma-buf where the buffers are real dma-bufs and downstream takes them, else system memory",
		  "auto" },
		{ GST_GVT_DMABUF_SRC_IO_DMABUF,
		  "Dma-buf caps only, also for the sim's memfd (a test aid)", "dmabuf" },
		{ GST_GVT_DMABUF_SRC_IO_SYSTEM,
		  "System memory only (the CPU reads and detiles every frame)", "system" },
		{ 0, NULL, NULL },
	};

	if (g_once_init_enter (&type))
		g_once_init_leave (&type, g_enum_register_static ("GstGvtDmabufSrcIoMode", values));
	return type;
}

/* ---- object ----------------------------------------------------------- */

#define DEFAULT_DEVICE NULL
#define DEFAULT_CURSOR GST_GVT_DMABUF_SRC_CURSOR_META
#define DEFAULT_MAX_FPS_N 0
#define DEFAULT_MAX_FPS_D 1
#define DEFAULT_KEEPALIVE 0
#define MAX_KEEPALIVE 3600000
#define DEFAULT_WAIT GST_GVT_DMABUF_SRC_WAIT_AUTO
#define DEFAULT_POLL_INTERVAL 16
#define MAX_POLL_INTERVAL 10000
#define DEFAULT_CACHE_SIZE 4
#define MAX_CACHE_SIZE 1024
#define DEFAULT_IO_MODE GST_GVT_DMABUF_SRC_IO_AUTO
#define DEFAULT_INPUT TRUE

enum {
	PROP_0,
	PROP_DEVICE,
	PROP_CURSOR,
	PROP_MAX_FRAMERATE,
	PROP_KEEPALIVE,
	PROP_WAIT,
	PROP_POLL_INTERVAL,
	PROP_CACHE_SIZE,
	PROP_IO_MODE,
	PROP_X_AS_ALPHA,
	PROP_IMPLICIT_MODIFIER,
	PROP_INPUT,
};

enum {
	SIGNAL_DEVICE_OPENED,
	N_SIGNALS,
};

static guint signals[N_SIGNALS];

/* How the negotiated caps carry frames. */
typedef enum {
	OUT_NONE,
	OUT_DMABUF,		/* the vGPU's surface itself */
	OUT_SYSTEM,		/* our pool, read by the CPU */
} OutMode;

/* One surface the vGPU showed: its GstMemory (which owns a duplicate of the
 * dma-buf fd, so the dmabuf_id cannot be reused for another surface while
 * the entry lives) and the plane it was made for. */
/* Buffers of one surface, reused from frame to frame with the memory and
 * the video meta attached, so that a frame costs no allocation.  Shared by
 * the entry and every buffer out there (a buffer may come back in any
 * thread, after the entry or the element is gone): a buffer's last unref
 * puts it back here (buffer_dispose) unless the entry is gone. */
#define SPARE_MAX 8
typedef struct {
	gint refcount;		/* atomic: the entry + each buffer made */
	GMutex lock;
	gboolean dead;		/* the entry is gone: buffers die as they return */
	GstMemory *mem;
	GstBuffer *spare[SPARE_MAX];
	guint n_spare;
} SurfaceBuffers;

typedef struct {
	struct gvtdmabuf_plane_info plane;
	GstMemory *mem;
	SurfaceBuffers *bufs;
	gboolean is_dmabuf;
	guint32 offset;		/* where the surface starts in the fd */
	dev_t st_dev;		/* the library's fd when we wrapped it */
	ino_t st_ino;
	guint64 checked_misses;	/* the library's cache misses when last checked */
	guint64 last_use;
} SurfaceEntry;

#define GST_TYPE_GVT_DMABUF_SRC (gst_gvt_dmabuf_src_get_type ())
G_DECLARE_FINAL_TYPE (GstGvtDmabufSrc, gst_gvt_dmabuf_src, GST, GVT_DMABUF_SRC, GstPushSrc)

/* Damage rectangles one buffer carries; more become the whole surface. */
#define DAMAGE_MAX 16

struct _GstGvtDmabufSrc {
	GstPushSrc parent;

	/* properties, under the object lock */
	gchar *device_name;
	GstGvtDmabufSrcCursor cursor;
	gint max_fps_n, max_fps_d;
	guint keepalive_ms;
	GstGvtDmabufSrcWait wait;
	guint poll_interval_ms;
	guint cache_size;
	GstGvtDmabufSrcIoMode io_mode;
	gboolean x_as_alpha;
	gboolean implicit_modifier;

	/* streaming state: start/stop and the streaming thread */
	struct gvtdmabuf_device *dev;
	/* waiting: an epoll set of the display event fd (edge-triggered:
	 * each flip's write is one wakeup, no read needed to rearm), the
	 * device request fd and wake_fd, an eventfd that unlock() writes.
	 * Not GstPoll (its locks, control socket and fd bookkeeping cost on
	 * every frame), nor ppoll() of the three (it registers and removes
	 * itself on each fd per wait); a wake is one epoll_wait(). */
	int event_fd;		/* the library's, -1 when polling */
	int request_fd;		/* the library's, -1 when none */
	int wake_fd;		/* ours */
	int epoll_fd;		/* ours, from start to close_device */
	gboolean events_taken;	/* a wait took every pending flip since the last query */
	gint flushing;		/* atomic: between unlock and unlock_stop */
	gboolean use_events;
	GstAllocator *dmabuf_alloc;
	GHashTable *surfaces;	/* dmabuf_id -> SurfaceEntry */
	guint64 use_counter;
	GstBufferPool *pool;	/* system memory */
	struct gvtdmabuf_reader *reader;	/* CPU or GPU readback, system path */
	guint8 *scratch;	/* one linear frame for converted formats */
	gsize scratch_size;

	/* the plane the caps describe: object lock (get_caps reads it) */
	gboolean have_plane;
	struct gvtdmabuf_plane_info plane;
	gboolean plane_is_dmabuf;
	/* negotiated */
	OutMode out;
	GstVideoInfo vinfo;
	GstVideoFormat native_format;	/* what the surface is, UNKNOWN if unnamed */
	GstVideoFormat sys_format;	/* what the system path writes */

	/* cursor */
	guint32 cursor_id;
	GstBuffer *cursor_pixels;	/* BGRA (ARGB8888 LE), cursor_id's image */
	struct gvtdmabuf_plane_info cursor_plane;

	/* pacing */
	gint64 next_poll;	/* monotonic us */
	gint64 last_push;	/* monotonic us, 0 = never */
	gboolean want_frame;
	GstBuffer *last_buffer;	/* for keepalive */
	GstClockTime last_pts;
	guint64 n_pushed;

	/* input (see handle_input): the device while open, under input_lock,
	 * which start/close take around opening and closing it; the library's
	 * input calls may run beside the streaming thread's */
	GMutex input_lock;
	struct gvtdmabuf_device *input_dev;
	gboolean input;		/* property, atomic */
	gboolean input_warned;	/* the backend has no input: said once */
	gdouble scroll_acc;	/* fractions of a wheel notch */

	/* damage read at the previous frame (see attach_damage) */
	struct gvtdmabuf_rect prev_damage[DAMAGE_MAX];
	gsize n_prev_damage;
};

G_DEFINE_TYPE (GstGvtDmabufSrc, gst_gvt_dmabuf_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (gvtdmabufsrc, "gvtdmabufsrc", GST_RANK_NONE,
	GST_TYPE_GVT_DMABUF_SRC,
	GST_DEBUG_CATEGORY_INIT (gst_gvt_dmabuf_src_debug, "gvtdmabufsrc", 0,
				 "Intel GVT-g vGPU framebuffer source"));

/* ---- formats and caps ------------------------------------------------- */

/* The GStreamer format of a DRM fourcc, UNKNOWN when it has none. */
static GstVideoFormat
native_format_of (guint32 fourcc)
{
	const struct gvtdmabuf_format_info *fi = gvtdmabuf_format_lookup (fourcc);

	if (!fi || !fi->gst_format)
		return GST_VIDEO_FORMAT_UNKNOWN;
	return gst_video_format_from_string (fi->gst_format);
}

static gboolean
format_is_rgb8888 (GstVideoFormat f)
{
	return f == GST_VIDEO_FORMAT_BGRx || f == GST_VIDEO_FORMAT_BGRA ||
	       f == GST_VIDEO_FORMAT_RGBx || f == GST_VIDEO_FORMAT_RGBA;
}

/* What the system path writes for a surface: the surface's own format,
 * except for formats without a GStreamer name and, when the cursor is
 * blended in, formats that are not 8-bit RGB: those become RGBA through
 * the library's converter. */
static GstVideoFormat
system_format_of (guint32 fourcc, GstGvtDmabufSrcCursor cursor)
{
	GstVideoFormat f = native_format_of (fourcc);

	if (f == GST_VIDEO_FORMAT_UNKNOWN)
		return GST_VIDEO_FORMAT_RGBA;
	if (cursor == GST_GVT_DMABUF_SRC_CURSOR_COMPOSITE && !format_is_rgb8888 (f))
		return GST_VIDEO_FORMAT_RGBA;
	return f;
}

/* Every format the system path can write, as a list value. */
static void
system_formats_value (GValue *list)
{
	const struct gvtdmabuf_format_info *t;
	GValue v = G_VALUE_INIT;
	gboolean have_rgba = FALSE;
	size_t i, n;

	g_value_init (list, GST_TYPE_LIST);
	g_value_init (&v, G_TYPE_STRING);
	t = gvtdmabuf_format_table (&n);
	for (i = 0; i < n; i++) {
		if (!t[i].gst_format)
			continue;
		if (!strcmp (t[i].gst_format, "RGBA"))
			have_rgba = TRUE;
		g_value_set_string (&v, t[i].gst_format);
		gst_value_list_append_value (list, &v);
	}
	if (!have_rgba) {
		g_value_set_string (&v, "RGBA");
		gst_value_list_append_value (list, &v);
	}
	g_value_unset (&v);
}

/* Caps for any surface: the pad template and the answer before the
 * device is open. */
static GstCaps *
template_caps (void)
{
	GstCaps *caps = gst_caps_new_empty ();
	GstStructure *s;
	GValue list = G_VALUE_INIT;

#if HAVE_DMA_DRM
	s = gst_structure_new ("video/x-raw", "format", G_TYPE_STRING, "DMA_DRM",
			       "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
			       "height", GST_TYPE_INT_RANGE, 1, G_MAXINT,
			       "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
	gst_caps_append_structure_full (caps, s,
		gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
#else
	system_formats_value (&list);
	s = gst_structure_new ("video/x-raw",
			       "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
			       "height", GST_TYPE_INT_RANGE, 1, G_MAXINT,
			       "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
	gst_structure_set_value (s, "format", &list);
	g_value_unset (&list);
	gst_caps_append_structure_full (caps, s,
		gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
#endif
	system_formats_value (&list);
	s = gst_structure_new ("video/x-raw",
			       "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
			       "height", GST_TYPE_INT_RANGE, 1, G_MAXINT,
			       "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
	gst_structure_set_value (s, "format", &list);
	g_value_unset (&list);
	gst_caps_append_structure (caps, s);
	return caps;
}

static void
set_rate_fields (GstStructure *s, gint max_n, gint max_d)
{
	/* The guest flips when it wants: a variable frame rate, bounded by
	 * max-framerate when it is set. */
	gst_structure_set (s, "framerate", GST_TYPE_FRACTION, 0, 1, NULL);
	if (max_n > 0)
		gst_structure_set (s, "max-framerate", GST_TYPE_FRACTION, max_n, max_d, NULL);
}

/* The fourcc dma-buf caps give a surface: its own, or with x-as-alpha the
 * alpha variant of an X format (same layout, the X bits read as alpha). */
static guint32
caps_fourcc (guint32 fourcc, gboolean x_as_alpha)
{
	if (!x_as_alpha)
		return fourcc;
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
		return DRM_FORMAT_ARGB8888;
	case DRM_FORMAT_XBGR8888:
		return DRM_FORMAT_ABGR8888;
	default:
		return fourcc;
	}
}

/* Whether dma-buf caps can describe this surface. */
static gboolean
dmabuf_caps_possible (const struct gvtdmabuf_plane_info *pi, gboolean implicit_modifier)
{
#if HAVE_DMA_DRM
	return gvtdmabuf_format_lookup (pi->fourcc) != NULL;
#else
	/* 1.22 caps carry no modifier: linear only (or, with
	 * implicit-modifier, tiled ones whose importer finds the tiling in
	 * the buffer object), and a named format */
	return (pi->modifier == DRM_FORMAT_MOD_LINEAR || implicit_modifier) &&
	       native_format_of (pi->fourcc) != GST_VIDEO_FORMAT_UNKNOWN;
#endif
}

/* memory:DMABuf with a plain format: linear by the caps' meaning, or the
 * tiling left implicit (implicit-modifier). */
static GstCaps *
plain_dmabuf_caps_for (const struct gvtdmabuf_plane_info *pi, gboolean x_as_alpha,
		       gint max_n, gint max_d)
{
	guint32 fourcc = caps_fourcc (pi->fourcc, x_as_alpha);
	GstStructure *s;
	GstCaps *caps;

	s = gst_structure_new ("video/x-raw", "format", G_TYPE_STRING,
			       gst_video_format_to_string (native_format_of (fourcc)),
			       "width", G_TYPE_INT, (gint) pi->width,
			       "height", G_TYPE_INT, (gint) pi->height,
			       "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
	set_rate_fields (s, max_n, max_d);
	caps = gst_caps_new_empty ();
	gst_caps_append_structure_full (caps, s,
		gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
	return caps;
}

static GstCaps *
dmabuf_caps_for (const struct gvtdmabuf_plane_info *pi, gboolean x_as_alpha,
		 gboolean implicit_modifier, gint max_n, gint max_d)
{
#if HAVE_DMA_DRM
	guint32 fourcc = caps_fourcc (pi->fourcc, x_as_alpha);
	GstStructure *s;
	GstCaps *caps;
	gchar *drm_format = gst_video_dma_drm_fourcc_to_string (fourcc, pi->modifier);

	s = gst_structure_new ("video/x-raw", "format", G_TYPE_STRING, "DMA_DRM",
			       "drm-format", G_TYPE_STRING, drm_format,
			       "width", G_TYPE_INT, (gint) pi->width,
			       "height", G_TYPE_INT, (gint) pi->height,
			       "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
	g_free (drm_format);
	set_rate_fields (s, max_n, max_d);
	caps = gst_caps_new_empty ();
	gst_caps_append_structure_full (caps, s,
		gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
	/* after the exact description, the legacy one for importers that
	 * take the tiling from the buffer object (vaapipostproc on iHD) */
	if (implicit_modifier && pi->modifier != DRM_FORMAT_MOD_LINEAR &&
	    native_format_of (pi->fourcc) != GST_VIDEO_FORMAT_UNKNOWN)
		caps = gst_caps_merge (caps, plain_dmabuf_caps_for (pi, x_as_alpha, max_n, max_d));
	return caps;
#else
	return plain_dmabuf_caps_for (pi, x_as_alpha, max_n, max_d);
#endif
}

static GstCaps *
system_caps_for (const struct gvtdmabuf_plane_info *pi, GstGvtDmabufSrcCursor cursor,
		 gint max_n, gint max_d)
{
	GstVideoInfo vi;
	GstCaps *caps;

	gst_video_info_set_format (&vi, system_format_of (pi->fourcc, cursor),
				   pi->width, pi->height);
	caps = gst_video_info_to_caps (&vi);
	set_rate_fields (gst_caps_get_structure (caps, 0), max_n, max_d);
	return caps;
}

/* ---- surfaces --------------------------------------------------------- */

static GQuark surface_buffers_quark;
static GQuark damage_quark;

static void
surface_buffers_unref (gpointer data)
{
	SurfaceBuffers *sb = data;

	if (!g_atomic_int_dec_and_test (&sb->refcount))
		return;
	gst_memory_unref (sb->mem);
	g_mutex_clear (&sb->lock);
	g_free (sb);
}

static gboolean
drop_unpooled_meta (GstBuffer *buf, GstMeta **meta, gpointer user_data)
{
	(void) buf;
	(void) user_data;
	if (!GST_META_FLAG_IS_SET (*meta, GST_META_FLAG_POOLED))
		*meta = NULL;
	return TRUE;
}

/* A buffer's last reference went: keep it for the next frame of its
 * surface when it is still as we made it (its memory untouched). */
static gboolean
buffer_dispose (GstMiniObject *obj)
{
	GstBuffer *buf = GST_BUFFER_CAST (obj);
	SurfaceBuffers *sb = gst_mini_object_get_qdata (obj, surface_buffers_quark);
	gboolean keep;

	if (!sb)
		return TRUE;
	g_mutex_lock (&sb->lock);
	keep = !sb->dead && sb->n_spare < SPARE_MAX &&
	       !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_TAG_MEMORY) &&
	       gst_buffer_n_memory (buf) == 1 && gst_buffer_peek_memory (buf, 0) == sb->mem;
	if (keep) {
		gst_buffer_ref (buf);
		GST_BUFFER_FLAGS (buf) = 0;
		gst_buffer_foreach_meta (buf, drop_unpooled_meta, NULL);
		sb->spare[sb->n_spare++] = buf;
	}
	g_mutex_unlock (&sb->lock);
	return !keep;
}

/* A buffer of the surface: a spare one, else a new one with the memory
 * and a video meta (@vformat, @pi, @offset, @stride) attached. */
static GstBuffer *
surface_buffers_get (SurfaceBuffers *sb, GstVideoFormat vformat,
		     const struct gvtdmabuf_plane_info *pi, gsize offset, gint stride)
{
	gsize offsets[GST_VIDEO_MAX_PLANES] = { offset };
	gint strides[GST_VIDEO_MAX_PLANES] = { stride };
	GstBuffer *out = NULL;
	GstVideoMeta *vm;

	g_mutex_lock (&sb->lock);
	if (sb->n_spare)
		out = sb->spare[--sb->n_spare];
	g_mutex_unlock (&sb->lock);
	if (out)
		return out;
	out = gst_buffer_new ();
	gst_buffer_append_memory (out, gst_memory_ref (sb->mem));
	vm = gst_buffer_add_video_meta_full (out, GST_VIDEO_FRAME_FLAG_NONE, vformat,
					     pi->width, pi->height, 1, offsets, strides);
	GST_META_FLAG_SET (vm, GST_META_FLAG_POOLED);
	/* as a pool does: the memory is as made, a change downstream sets
	 * the flag again and the buffer is not reused */
	GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_TAG_MEMORY);
	g_atomic_int_inc (&sb->refcount);
	gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (out), surface_buffers_quark, sb,
				   surface_buffers_unref);
	GST_MINI_OBJECT_CAST (out)->dispose = buffer_dispose;
	return out;
}

static void
surface_entry_free (gpointer data)
{
	SurfaceEntry *e = data;
	SurfaceBuffers *sb = e->bufs;
	GstBuffer *spare[SPARE_MAX];
	guint i, n;

	g_mutex_lock (&sb->lock);
	sb->dead = TRUE;
	n = sb->n_spare;
	memcpy (spare, sb->spare, n * sizeof (spare[0]));
	sb->n_spare = 0;
	g_mutex_unlock (&sb->lock);
	for (i = 0; i < n; i++)
		gst_buffer_unref (spare[i]);	/* dead: freed, each drops its ref */
	surface_buffers_unref (sb);
	gst_memory_unref (e->mem);
	g_free (e);
}

static gboolean
same_surface (const struct gvtdmabuf_plane_info *a, const struct gvtdmabuf_plane_info *b)
{
	return a->dmabuf_id == b->dmabuf_id && a->fourcc == b->fourcc &&
	       a->modifier == b->modifier && a->width == b->width &&
	       a->height == b->height && a->stride == b->stride && a->size == b->size;
}

static gboolean
same_geometry (const struct gvtdmabuf_plane_info *a, const struct gvtdmabuf_plane_info *b)
{
	return a->fourcc == b->fourcc && a->modifier == b->modifier &&
	       a->width == b->width && a->height == b->height && a->stride == b->stride;
}

/* Drop the least recently used entries beyond cache-size.  Buffers
 * downstream keep their memory (and fd) alive; only our reference goes, and
 * with the last fd the kernel may reuse the id, which we have forgotten. */
static void
surfaces_trim (GstGvtDmabufSrc *self, guint max)
{
	while (g_hash_table_size (self->surfaces) > max) {
		GHashTableIter it;
		gpointer key, value, victim = NULL;
		guint64 oldest = G_MAXUINT64;

		g_hash_table_iter_init (&it, self->surfaces);
		while (g_hash_table_iter_next (&it, &key, &value)) {
			SurfaceEntry *e = value;

			if (e->last_use < oldest) {
				oldest = e->last_use;
				victim = key;
			}
		}
		g_hash_table_remove (self->surfaces, victim);
	}
}

/* The entry (GstMemory and buffers) of a queried surface: ours from an
 * earlier frame when the vGPU shows the same surface again, else a new one
 * around a duplicate of the library's fd. */
static SurfaceEntry *
surface_entry (GstGvtDmabufSrc *self, const struct gvtdmabuf_plane_info *pi,
		const struct gvtdmabuf_dmabuf *buf)
{
	struct gvtdmabuf_dmabuf own;
	struct gvtdmabuf_cache_stats cs;
	SurfaceEntry *e;
	GstMemory *mem;
	struct stat st;
	int r;

	/* No export since this entry was last checked (the library counts
	 * every export as a miss): the library still holds the fd that we
	 * checked, no fstat needed. */
	gvtdmabuf_device_get_cache_stats (self->dev, &cs);
	e = g_hash_table_lookup (self->surfaces, GUINT_TO_POINTER (pi->dmabuf_id));
	if (e && e->checked_misses == cs.misses && same_surface (&e->plane, pi) &&
	    e->offset == buf->offset[0]) {
		e->last_use = ++self->use_counter;
		return e;
	}

	/* The library's fd for this id: the same file as the one we wrapped
	 * while its cache holds it (an fstat once anything was exported
	 * since the last check).  A different file
	 * is a re-export or another surface under a recycled id (the sim
	 * recycles ids of surfaces it forgot, even while we hold their fds):
	 * either way a new memory is the safe answer. */
	if (fstat (buf->fd[0], &st) < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
			("Cannot stat the dma-buf of surface %u: %s", pi->dmabuf_id,
			 g_strerror (errno)), (NULL));
		return NULL;
	}
	if (e && same_surface (&e->plane, pi) && e->offset == buf->offset[0] &&
	    e->st_dev == st.st_dev && e->st_ino == st.st_ino) {
		e->checked_misses = cs.misses;
		e->last_use = ++self->use_counter;
		return e;
	}
	if (e)
		g_hash_table_remove (self->surfaces, GUINT_TO_POINTER (pi->dmabuf_id));

	r = gvtdmabuf_dmabuf_dup (buf, &own);
	if (r < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
			("Cannot duplicate the dma-buf of surface %u: %s", pi->dmabuf_id,
			 g_strerror (-r)), (NULL));
		return NULL;
	}
	/* The memory covers the fd from 0; the sim's memfd holds the whole
	 * graphics memory and the surface starts at offset[0] (the video
	 * meta says so). */
	mem = gst_dmabuf_allocator_alloc (self->dmabuf_alloc, own.fd[0],
					  (gsize) own.offset[0] + own.size);
	if (!mem) {
		gvtdmabuf_dmabuf_finish (&own);
		GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
			("Cannot wrap the dma-buf of surface %u", pi->dmabuf_id), (NULL));
		return NULL;
	}
	/* the memory owns the fd now; the guest's framebuffer is read-only
	 * for everyone downstream */
	GST_MINI_OBJECT_FLAG_SET (mem, GST_MEMORY_FLAG_READONLY);

	e = g_new0 (SurfaceEntry, 1);
	e->plane = *pi;
	e->mem = mem;
	e->bufs = g_new0 (SurfaceBuffers, 1);
	e->bufs->refcount = 1;
	g_mutex_init (&e->bufs->lock);
	e->bufs->mem = gst_memory_ref (mem);
	e->is_dmabuf = buf->is_dmabuf;
	e->offset = buf->offset[0];
	e->st_dev = st.st_dev;
	e->st_ino = st.st_ino;
	e->checked_misses = cs.misses;
	e->last_use = ++self->use_counter;
	g_hash_table_insert (self->surfaces, GUINT_TO_POINTER (pi->dmabuf_id), e);
	GST_DEBUG_OBJECT (self, "new surface %u: %ux%u %s, fd %d", pi->dmabuf_id,
			  pi->width, pi->height, gvtdmabuf_modifier_name (pi->modifier),
			  own.fd[0]);
	surfaces_trim (self, self->cache_size);
	return e;
}

/*
 * The one place where the system path reads pixels: the surface, detiled,
 * into @dst (rows of the surface's own format), through the library's
 * reader: each surface mapped once (or, where the CPU cannot map it, as on
 * real GVT-g, imported once through EGL and read back on the GPU).
 */
static int
read_surface (GstGvtDmabufSrc *self, const struct gvtdmabuf_dmabuf *buf,
	      guint8 *dst, guint32 dst_stride)
{
	int r;

	if (!self->reader) {
		r = gvtdmabuf_reader_create (0, &self->reader);
		if (r < 0)
			return r;
	}
	r = gvtdmabuf_reader_read (self->reader, buf, dst, dst_stride);
	if (r == 0)
		GST_LOG_OBJECT (self, "read surface %u by %s", buf->dmabuf_id,
				gvtdmabuf_reader_get_method (self->reader));
	return r;
}

/* Blend a straight-alpha ARGB8888 (BGRA bytes) image over a frame of an
 * 8-bit RGB format at (x, y), clipped.  Same arithmetic as a display's
 * blender: dst = src * a + dst * (1 - a), rounded. */
static void
blend_cursor (GstVideoFrame *frame, const guint8 *img, guint32 img_stride,
	      guint32 w, guint32 h, gint64 x, gint64 y)
{
	GstVideoFormat f = GST_VIDEO_FRAME_FORMAT (frame);
	gint64 fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);
	gint64 x0 = MAX (x, 0), y0 = MAX (y, 0);
	gint64 x1 = MIN (x + w, fw), y1 = MIN (y + h, fh);
	guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
	gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
	gboolean bgr = f == GST_VIDEO_FORMAT_BGRx || f == GST_VIDEO_FORMAT_BGRA;
	gint64 px, py;

	for (py = y0; py < y1; py++) {
		for (px = x0; px < x1; px++) {
			const guint8 *s = img + (py - y) * img_stride + (px - x) * 4;
			guint8 *d = data + py * stride + px * 4;
			guint a = s[3];
			/* s is B, G, R, A; d is B, G, R or R, G, B */
			guint sr = s[2], sg = s[1], sb = s[0];
			guint dr = bgr ? d[2] : d[0], dg = d[1], db = bgr ? d[0] : d[2];

			dr = (sr * a + dr * (255 - a) + 127) / 255;
			dg = (sg * a + dg * (255 - a) + 127) / 255;
			db = (sb * a + db * (255 - a) + 127) / 255;
			d[bgr ? 2 : 0] = dr;
			d[1] = dg;
			d[bgr ? 0 : 2] = db;
		}
	}
}

/* ---- cursor ----------------------------------------------------------- */

/* Query the cursor and refresh its pixels when it changed surface.
 * Returns FALSE on a device error (posted). */
static gboolean
update_cursor (GstGvtDmabufSrc *self)
{
	struct gvtdmabuf_plane_info ci;
	const struct gvtdmabuf_dmabuf *buf;
	GstMapInfo map;
	gsize size;
	int r;

	r = gvtdmabuf_device_query_plane (self->dev, GVTDMABUF_PLANE_CURSOR, &ci);
	if (r < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, READ,
			("Cannot query the cursor plane of %s: %s",
			 gvtdmabuf_device_get_name (self->dev), g_strerror (-r)),
			("use cursor=none to leave the cursor out"));
		return FALSE;
	}
	self->cursor_plane = ci;
	if (!ci.enabled || ci.fourcc != DRM_FORMAT_ARGB8888 || !ci.width || !ci.height ||
	    ci.width > 512 || ci.height > 512) {
		if (ci.enabled)
			GST_WARNING_OBJECT (self, "cursor %ux%u format 0x%08x ignored",
					    ci.width, ci.height, ci.fourcc);
		self->cursor_plane.enabled = FALSE;
		return TRUE;
	}
	if (self->cursor_pixels && ci.dmabuf_id == self->cursor_id)
		return TRUE;

	r = gvtdmabuf_device_get_dmabuf (self->dev, &ci, &buf);
	if (r == -ESTALE) {
		self->cursor_plane.enabled = FALSE;
		return TRUE;	/* it moved on meanwhile: next frame */
	}
	if (r < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, READ,
			("Cannot get the cursor's dma-buf: %s", g_strerror (-r)), (NULL));
		return FALSE;
	}
	size = (gsize) ci.width * ci.height * 4;
	gst_clear_buffer (&self->cursor_pixels);
	self->cursor_pixels = gst_buffer_new_allocate (NULL, size, NULL);
	gst_buffer_map (self->cursor_pixels, &map, GST_MAP_WRITE);
	r = read_surface (self, buf, map.data, ci.width * 4);
	gst_buffer_unmap (self->cursor_pixels, &map);
	if (r < 0) {
		GST_WARNING_OBJECT (self, "cannot read the cursor image: %s (cursor left out)",
				    g_strerror (-r));
		gst_clear_buffer (&self->cursor_pixels);
		self->cursor_plane.enabled = FALSE;
		return TRUE;
	}
	gst_buffer_add_video_meta (self->cursor_pixels, GST_VIDEO_FRAME_FLAG_NONE,
				   GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, ci.width, ci.height);
	self->cursor_id = ci.dmabuf_id;
	return TRUE;
}

/* Top-left corner of the cursor image on the primary plane. */
static void
cursor_origin (GstGvtDmabufSrc *self, gint64 *ret_x, gint64 *ret_y)
{
	const struct gvtdmabuf_plane_info *ci = &self->cursor_plane;

	*ret_x = (gint64) ci->x - (ci->hotspot_known ? ci->x_hot : 0) - self->plane.x;
	*ret_y = (gint64) ci->y - (ci->hotspot_known ? ci->y_hot : 0) - self->plane.y;
}

static void
attach_cursor_meta (GstGvtDmabufSrc *self, GstBuffer *out)
{
	GstVideoOverlayRectangle *rect;
	GstVideoOverlayComposition *comp;
	gint64 x, y;

	if (!self->cursor_plane.enabled || !self->cursor_pixels)
		return;
	cursor_origin (self, &x, &y);
	if (x < G_MININT || x > G_MAXINT || y < G_MININT || y > G_MAXINT)
		return;
	rect = gst_video_overlay_rectangle_new_raw (self->cursor_pixels, (gint) x, (gint) y,
						    self->cursor_plane.width,
						    self->cursor_plane.height,
						    GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
	comp = gst_video_overlay_composition_new (rect);
	gst_video_overlay_rectangle_unref (rect);
	gst_buffer_add_video_overlay_composition_meta (out, comp);
	gst_video_overlay_composition_unref (comp);
}

/* ---- properties ------------------------------------------------------- */

static void
gst_gvt_dmabuf_src_set_property (GObject *object, guint prop_id, const GValue *value,
				 GParamSpec *pspec)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (object);

	GST_OBJECT_LOCK (self);
	switch (prop_id) {
	case PROP_DEVICE:
		g_free (self->device_name);
		self->device_name = g_value_dup_string (value);
		break;
	case PROP_CURSOR:
		self->cursor = g_value_get_enum (value);
		break;
	case PROP_MAX_FRAMERATE:
		self->max_fps_n = gst_value_get_fraction_numerator (value);
		self->max_fps_d = gst_value_get_fraction_denominator (value);
		break;
	case PROP_KEEPALIVE:
		self->keepalive_ms = g_value_get_uint (value);
		break;
	case PROP_WAIT:
		self->wait = g_value_get_enum (value);
		break;
	case PROP_POLL_INTERVAL:
		self->poll_interval_ms = g_value_get_uint (value);
		break;
	case PROP_CACHE_SIZE:
		self->cache_size = g_value_get_uint (value);
		break;
	case PROP_IO_MODE:
		self->io_mode = g_value_get_enum (value);
		break;
	case PROP_X_AS_ALPHA:
		self->x_as_alpha = g_value_get_boolean (value);
		break;
	case PROP_IMPLICIT_MODIFIER:
		self->implicit_modifier = g_value_get_boolean (value);
		break;
	case PROP_INPUT:
		g_atomic_int_set (&self->input, g_value_get_boolean (value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
		break;
	}
	GST_OBJECT_UNLOCK (self);
}

static void
gst_gvt_dmabuf_src_get_property (GObject *object, guint prop_id, GValue *value,
				 GParamSpec *pspec)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (object);

	GST_OBJECT_LOCK (self);
	switch (prop_id) {
	case PROP_DEVICE:
		g_value_set_string (value, self->device_name);
		break;
	case PROP_CURSOR:
		g_value_set_enum (value, self->cursor);
		break;
	case PROP_MAX_FRAMERATE:
		gst_value_set_fraction (value, self->max_fps_n, self->max_fps_d);
		break;
	case PROP_KEEPALIVE:
		g_value_set_uint (value, self->keepalive_ms);
		break;
	case PROP_WAIT:
		g_value_set_enum (value, self->wait);
		break;
	case PROP_POLL_INTERVAL:
		g_value_set_uint (value, self->poll_interval_ms);
		break;
	case PROP_CACHE_SIZE:
		g_value_set_uint (value, self->cache_size);
		break;
	case PROP_IO_MODE:
		g_value_set_enum (value, self->io_mode);
		break;
	case PROP_X_AS_ALPHA:
		g_value_set_boolean (value, self->x_as_alpha);
		break;
	case PROP_IMPLICIT_MODIFIER:
		g_value_set_boolean (value, self->implicit_modifier);
		break;
	case PROP_INPUT:
		g_value_set_boolean (value, g_atomic_int_get (&self->input));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
		break;
	}
	GST_OBJECT_UNLOCK (self);
}

/* ---- device ----------------------------------------------------------- */

static void
close_device (GstGvtDmabufSrc *self)
{
	if (self->epoll_fd >= 0)
		close (self->epoll_fd);
	self->epoll_fd = -1;
	self->event_fd = -1;
	self->request_fd = -1;
	/* our memories own duplicates of the fds: they and every buffer
	 * downstream stay valid after the device is gone */
	g_mutex_lock (&self->input_lock);
	self->input_dev = NULL;
	g_mutex_unlock (&self->input_lock);
	gvtdmabuf_device_close (self->dev);
	self->dev = NULL;
}

/* Query the primary plane into @ret_pi.  Returns 0 or the library's errno
 * after posting an error. */
static int
query_primary (GstGvtDmabufSrc *self, struct gvtdmabuf_plane_info *ret_pi)
{
	int r = gvtdmabuf_device_query_plane (self->dev, GVTDMABUF_PLANE_PRIMARY, ret_pi);

	if (r < 0)
		GST_ELEMENT_ERROR (self, RESOURCE, READ,
			("Cannot query the primary plane of vGPU %s: %s",
			 gvtdmabuf_device_get_name (self->dev), g_strerror (-r)),
			("VFIO_DEVICE_QUERY_GFX_PLANE failed with errno %d", -r));
	return r;
}

/* Take @pi as the plane the caps describe; TRUE when caps must change. */
static gboolean
take_plane (GstGvtDmabufSrc *self, const struct gvtdmabuf_plane_info *pi, gboolean is_dmabuf)
{
	gboolean changed;

	GST_OBJECT_LOCK (self);
	changed = !self->have_plane || !same_geometry (&self->plane, pi) ||
		  self->plane_is_dmabuf != is_dmabuf;
	self->plane = *pi;
	self->plane_is_dmabuf = is_dmabuf;
	self->have_plane = TRUE;
	GST_OBJECT_UNLOCK (self);
	return changed;
}

/* The fds wait_for_work() waits on, by the u32 of their epoll data. */
enum {
	WAIT_WAKE,
	WAIT_EVENT,
	WAIT_REQUEST,
};

static gboolean
epoll_add (GstGvtDmabufSrc *self, int fd, guint32 events, guint32 id)
{
	struct epoll_event ev = { .events = events, .data.u32 = id };

	return epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

/* The epoll set of wake_fd, the event fd (edge-triggered) and the request
 * fd.  FALSE after posting an error. */
static gboolean
make_epoll_set (GstGvtDmabufSrc *self)
{
	self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
	if (self->epoll_fd < 0 ||
	    !epoll_add (self, self->wake_fd, EPOLLIN, WAIT_WAKE) ||
	    (self->use_events && !epoll_add (self, self->event_fd, EPOLLIN | EPOLLET, WAIT_EVENT)) ||
	    (self->request_fd >= 0 && !epoll_add (self, self->request_fd, EPOLLIN, WAIT_REQUEST))) {
		GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
			("Cannot set up the wait on vGPU %s's display events: %s",
			 gvtdmabuf_device_get_name (self->dev), g_strerror (errno)), (NULL));
		return FALSE;
	}
	/* flips before the first query are answered by it */
	self->events_taken = FALSE;
	return TRUE;
}

static gboolean
gst_gvt_dmabuf_src_start (GstBaseSrc *bsrc)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	char err[GVTDMABUF_ERROR_MAX];
	struct gvtdmabuf_plane_info pi;
	const struct gvtdmabuf_dmabuf *buf;
	gchar *name;
	guint cache;
	GstGvtDmabufSrcWait wait;
	int r, fd;

	GST_OBJECT_LOCK (self);
	name = g_strdup (self->device_name);
	cache = self->cache_size;
	wait = self->wait;
	GST_OBJECT_UNLOCK (self);

	if (self->wake_fd < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
			("Cannot make the eventfd that interrupts a wait: %s",
			 g_strerror (-self->wake_fd)), (NULL));
		g_free (name);
		return FALSE;
	}
	if (!name || !*name) {
		GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
			("No vGPU given: set the device property"),
			("device=UUID of an mdev (see 'gvt-dmabuf list'), or device=sim[:SPEC] for the simulated vGPU"));
		g_free (name);
		return FALSE;
	}
	r = gvtdmabuf_device_open (NULL, name, &self->dev, err, sizeof (err));
	if (r < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
			("Cannot open vGPU '%s' (device property): %s", name,
			 err[0] ? err : g_strerror (-r)), ("errno %d", -r));
		g_free (name);
		return FALSE;
	}
	g_free (name);
	g_mutex_lock (&self->input_lock);
	self->input_dev = self->dev;
	self->input_warned = FALSE;
	self->scroll_acc = 0;
	g_mutex_unlock (&self->input_lock);

	r = gvtdmabuf_device_set_cache_size (self->dev, cache);
	if (r < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
			("Cannot set the dma-buf cache size to %u (cache-size property): %s",
			 cache, g_strerror (-r)), (NULL));
		goto error;
	}

	fd = gvtdmabuf_device_get_event_fd (self->dev);
	if (wait == GST_GVT_DMABUF_SRC_WAIT_EVENT && fd < 0) {
		GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
			("vGPU %s has no display event fd: use wait=poll or wait=auto",
			 gvtdmabuf_device_get_name (self->dev)),
			("gvtdmabuf_device_get_event_fd: %s", g_strerror (-fd)));
		goto error;
	}
	self->use_events = fd >= 0 && wait != GST_GVT_DMABUF_SRC_WAIT_POLL;
	if (self->use_events)
		self->event_fd = fd;
	fd = gvtdmabuf_device_get_request_fd (self->dev);
	if (fd >= 0) {
		self->request_fd = fd;
	} else if (fd != -ENOTSUP) {
		GST_WARNING_OBJECT (self, "no device request fd (%s): removal of the vGPU "
				    "is noticed only when its ioctls fail", g_strerror (-fd));
	}
	if (!make_epoll_set (self))
		goto error;
	g_signal_emit (self, signals[SIGNAL_DEVICE_OPENED], 0, self->dev);
	GST_INFO_OBJECT (self, "opened %s (%s), waiting by %s",
			 gvtdmabuf_device_get_name (self->dev),
			 gvtdmabuf_device_get_backend (self->dev),
			 self->use_events ? "event fd" : "polling");

	/* The plane as it is now, so that the first negotiation has caps
	 * that fit; a disabled plane defers negotiation to the first frame. */
	if (query_primary (self, &pi) < 0)
		goto error;
	if (pi.enabled && gvtdmabuf_device_get_dmabuf (self->dev, &pi, &buf) == 0)
		take_plane (self, &pi, buf->is_dmabuf);

	self->surfaces = g_hash_table_new_full (NULL, NULL, NULL, surface_entry_free);
	self->want_frame = TRUE;	/* the first frame goes out at once */
	self->last_push = 0;
	self->next_poll = 0;
	self->n_pushed = 0;
	self->last_pts = GST_CLOCK_TIME_NONE;
	self->cursor_id = 0;
	return TRUE;

error:
	close_device (self);
	return FALSE;
}

static gboolean
gst_gvt_dmabuf_src_stop (GstBaseSrc *bsrc)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);

	close_device (self);
	g_clear_pointer (&self->surfaces, g_hash_table_unref);
	gst_clear_buffer (&self->last_buffer);
	gst_clear_buffer (&self->cursor_pixels);
	if (self->pool) {
		gst_buffer_pool_set_active (self->pool, FALSE);
		gst_clear_object (&self->pool);
	}
	g_clear_pointer (&self->scratch, g_free);
	self->scratch_size = 0;
	g_clear_pointer (&self->reader, gvtdmabuf_reader_destroy);
	GST_OBJECT_LOCK (self);
	self->have_plane = FALSE;
	GST_OBJECT_UNLOCK (self);
	self->out = OUT_NONE;
	return TRUE;
}

/* ---- caps ------------------------------------------------------------- */

static GstCaps *
gst_gvt_dmabuf_src_get_caps (GstBaseSrc *bsrc, GstCaps *filter)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	struct gvtdmabuf_plane_info pi;
	GstGvtDmabufSrcIoMode io;
	GstGvtDmabufSrcCursor cursor;
	gboolean have, is_dmabuf, x_as_alpha, implicit_modifier;
	gint max_n, max_d;
	GstCaps *caps, *tmp;

	GST_OBJECT_LOCK (self);
	have = self->have_plane;
	pi = self->plane;
	is_dmabuf = self->plane_is_dmabuf;
	io = self->io_mode;
	x_as_alpha = self->x_as_alpha;
	implicit_modifier = self->implicit_modifier;
	cursor = self->cursor;
	max_n = self->max_fps_n;
	max_d = self->max_fps_d;
	GST_OBJECT_UNLOCK (self);

	if (!have) {
		caps = gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (bsrc));
	} else {
		/* Dma-buf first (the point of the element), then system
		 * memory: downstream picks the first it takes. */
		caps = gst_caps_new_empty ();
		if (io != GST_GVT_DMABUF_SRC_IO_SYSTEM &&
		    cursor != GST_GVT_DMABUF_SRC_CURSOR_COMPOSITE &&
		    (is_dmabuf || io == GST_GVT_DMABUF_SRC_IO_DMABUF) &&
		    dmabuf_caps_possible (&pi, implicit_modifier))
			caps = gst_caps_merge (caps, dmabuf_caps_for (&pi, x_as_alpha,
					implicit_modifier, max_n, max_d));
		if (io != GST_GVT_DMABUF_SRC_IO_DMABUF)
			caps = gst_caps_merge (caps, system_caps_for (&pi, cursor, max_n, max_d));
	}
	if (filter) {
		tmp = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
		gst_caps_unref (caps);
		caps = tmp;
	}
	GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
	return caps;
}

static gboolean
gst_gvt_dmabuf_src_negotiate (GstBaseSrc *bsrc)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	gboolean have;

	GST_OBJECT_LOCK (self);
	have = self->have_plane;
	GST_OBJECT_UNLOCK (self);
	/* Nothing on screen yet: caps are set once the guest shows a plane
	 * (create() negotiates then). */
	if (!have)
		return TRUE;
	return GST_BASE_SRC_CLASS (gst_gvt_dmabuf_src_parent_class)->negotiate (bsrc);
}

static gboolean
gst_gvt_dmabuf_src_set_caps (GstBaseSrc *bsrc, GstCaps *caps)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	GstCapsFeatures *f = gst_caps_get_features (caps, 0);

	if (f && gst_caps_features_contains (f, GST_CAPS_FEATURE_MEMORY_DMABUF)) {
#if HAVE_DMA_DRM
		GstVideoInfoDmaDrm drm;

		gst_video_info_dma_drm_init (&drm);
		if (gst_video_is_dma_drm_caps (caps)) {
			if (!gst_video_info_dma_drm_from_caps (&drm, caps))
				goto bad;
			self->vinfo = drm.vinfo;
		} else if (!gst_video_info_from_caps (&self->vinfo, caps)) {
			goto bad;	/* implicit-modifier's plain caps */
		}
#else
		if (!gst_video_info_from_caps (&self->vinfo, caps))
			goto bad;
#endif
		self->out = OUT_DMABUF;
	} else {
		if (!gst_video_info_from_caps (&self->vinfo, caps))
			goto bad;
		self->out = OUT_SYSTEM;
	}
	GST_OBJECT_LOCK (self);
	self->native_format = native_format_of (self->plane.fourcc);
	self->sys_format = system_format_of (self->plane.fourcc, self->cursor);
	GST_OBJECT_UNLOCK (self);
	GST_INFO_OBJECT (self, "%s: %" GST_PTR_FORMAT,
			 self->out == OUT_DMABUF ? "dma-buf" : "system memory", caps);
	return TRUE;
bad:
	GST_ERROR_OBJECT (self, "cannot parse caps %" GST_PTR_FORMAT, caps);
	return FALSE;
}

static gboolean
gst_gvt_dmabuf_src_decide_allocation (GstBaseSrc *bsrc, GstQuery *query)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	GstStructure *config;
	GstCaps *caps;

	if (self->pool) {
		gst_buffer_pool_set_active (self->pool, FALSE);
		gst_clear_object (&self->pool);
	}
	/* Dma-buf frames are the vGPU's surfaces: no pool. */
	while (gst_query_get_n_allocation_pools (query) > 0)
		gst_query_remove_nth_allocation_pool (query, 0);
	if (self->out != OUT_SYSTEM)
		return TRUE;

	gst_query_parse_allocation (query, &caps, NULL);
	self->pool = gst_video_buffer_pool_new ();
	config = gst_buffer_pool_get_config (self->pool);
	gst_buffer_pool_config_set_params (config, caps, self->vinfo.size, 2, 0);
	gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
	if (!gst_buffer_pool_set_config (self->pool, config) ||
	    !gst_buffer_pool_set_active (self->pool, TRUE)) {
		GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
			("Cannot set up a buffer pool for %" GST_PTR_FORMAT, caps), (NULL));
		gst_clear_object (&self->pool);
		return FALSE;
	}
	return TRUE;
}

static gboolean
gst_gvt_dmabuf_src_query (GstBaseSrc *bsrc, GstQuery *query)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	GstClockTime period;

	if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
		return GST_BASE_SRC_CLASS (gst_gvt_dmabuf_src_parent_class)->query (bsrc, query);

	/* A frame is stamped when it is seen and pushed then; what it may
	 * wait before that is one frame period: max-framerate's, or a 60 Hz
	 * refresh's, plus a poll interval when polling. */
	GST_OBJECT_LOCK (self);
	if (self->max_fps_n > 0)
		period = gst_util_uint64_scale_int (GST_SECOND, self->max_fps_d, self->max_fps_n);
	else
		period = GST_SECOND / 60;
	if (!self->use_events && self->dev)
		period += self->poll_interval_ms * GST_MSECOND;
	GST_OBJECT_UNLOCK (self);
	gst_query_set_latency (query, TRUE, period, period);
	GST_DEBUG_OBJECT (self, "latency %" GST_TIME_FORMAT, GST_TIME_ARGS (period));
	return TRUE;
}

/* ---- input (QEMU's D-Bus display) ------------------------------------ */

/* X11 keysym names, as GstNavigation's key events carry them, and the
 * evdev key of a US keyboard that makes them (shifted symbols included:
 * the VM sees the Shift key on its own). */
static const struct {
	const gchar *name;
	guint16 code;
} nav_keys[] = {
	{ "Escape", KEY_ESC }, { "Return", KEY_ENTER }, { "KP_Enter", KEY_KPENTER },
	{ "Tab", KEY_TAB }, { "ISO_Left_Tab", KEY_TAB }, { "BackSpace", KEY_BACKSPACE },
	{ "space", KEY_SPACE }, { "Delete", KEY_DELETE }, { "Insert", KEY_INSERT },
	{ "Home", KEY_HOME }, { "End", KEY_END }, { "Page_Up", KEY_PAGEUP }, { "Prior", KEY_PAGEUP },
	{ "Page_Down", KEY_PAGEDOWN }, { "Next", KEY_PAGEDOWN },
	{ "Left", KEY_LEFT }, { "Right", KEY_RIGHT }, { "Up", KEY_UP }, { "Down", KEY_DOWN },
	{ "Shift_L", KEY_LEFTSHIFT }, { "Shift_R", KEY_RIGHTSHIFT },
	{ "Control_L", KEY_LEFTCTRL }, { "Control_R", KEY_RIGHTCTRL },
	{ "Alt_L", KEY_LEFTALT }, { "Alt_R", KEY_RIGHTALT }, { "ISO_Level3_Shift", KEY_RIGHTALT },
	{ "Super_L", KEY_LEFTMETA }, { "Super_R", KEY_RIGHTMETA }, { "Meta_L", KEY_LEFTMETA },
	{ "Meta_R", KEY_RIGHTMETA }, { "Menu", KEY_COMPOSE }, { "Caps_Lock", KEY_CAPSLOCK },
	{ "Num_Lock", KEY_NUMLOCK }, { "Scroll_Lock", KEY_SCROLLLOCK }, { "Print", KEY_SYSRQ },
	{ "Pause", KEY_PAUSE },
	{ "minus", KEY_MINUS }, { "underscore", KEY_MINUS }, { "equal", KEY_EQUAL }, { "plus", KEY_EQUAL },
	{ "bracketleft", KEY_LEFTBRACE }, { "braceleft", KEY_LEFTBRACE },
	{ "bracketright", KEY_RIGHTBRACE }, { "braceright", KEY_RIGHTBRACE },
	{ "backslash", KEY_BACKSLASH }, { "bar", KEY_BACKSLASH },
	{ "semicolon", KEY_SEMICOLON }, { "colon", KEY_SEMICOLON },
	{ "apostrophe", KEY_APOSTROPHE }, { "quotedbl", KEY_APOSTROPHE },
	{ "grave", KEY_GRAVE }, { "asciitilde", KEY_GRAVE },
	{ "comma", KEY_COMMA }, { "less", KEY_COMMA }, { "period", KEY_DOT }, { "greater", KEY_DOT },
	{ "slash", KEY_SLASH }, { "question", KEY_SLASH },
	{ "exclam", KEY_1 }, { "at", KEY_2 }, { "numbersign", KEY_3 }, { "dollar", KEY_4 },
	{ "percent", KEY_5 }, { "asciicircum", KEY_6 }, { "ampersand", KEY_7 },
	{ "asterisk", KEY_8 }, { "parenleft", KEY_9 }, { "parenright", KEY_0 },
};

static const guint16 letter_keys[26] = {
	KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L,
	KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X,
	KEY_Y, KEY_Z,
};

static const guint16 digit_keys[10] = {
	KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9,
};

static const guint16 fkeys[12] = {
	KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8, KEY_F9, KEY_F10,
	KEY_F11, KEY_F12,
};

/* The evdev code of keysym @name, 0 if the table has none. */
static guint
nav_key_code (const gchar *name)
{
	gsize i;

	if (!name || !*name)
		return 0;
	if (!name[1] && g_ascii_isalpha (name[0]))
		return letter_keys[g_ascii_tolower (name[0]) - 'a'];
	if (!name[1] && g_ascii_isdigit (name[0]))
		return digit_keys[name[0] - '0'];
	if (name[0] == 'F' && g_ascii_isdigit (name[1])) {
		gchar *end;
		guint64 n = g_ascii_strtoull (name + 1, &end, 10);

		if (!*end && n >= 1 && n <= 12)
			return fkeys[n - 1];
	}
	for (i = 0; i < G_N_ELEMENTS (nav_keys); i++)
		if (!strcmp (nav_keys[i].name, name))
			return nav_keys[i].code;
	return 0;
}

/* The library's answer to an input call: a backend without input is said
 * once per open device; other refusals are warnings.  Lock held. */
static gboolean
input_result (GstGvtDmabufSrc *self, int r, const gchar *what)
{
	if (r == 0)
		return TRUE;
	if (r == -ENOTSUP) {
		if (!self->input_warned)
			GST_WARNING_OBJECT (self, "vGPU %s (%s backend) has no input; dropping "
				"input events (only QEMU's D-Bus display takes them)",
				gvtdmabuf_device_get_name (self->input_dev),
				gvtdmabuf_device_get_backend (self->input_dev));
		else
			GST_DEBUG_OBJECT (self, "no input on this backend: %s dropped", what);
		self->input_warned = TRUE;
	} else {
		GST_WARNING_OBJECT (self, "the VM did not take %s: %s", what, g_strerror (-r));
	}
	return FALSE;
}

/* Take the input lock with an open device and input on; FALSE (unlocked)
 * otherwise. */
static gboolean
input_begin (GstGvtDmabufSrc *self)
{
	if (!g_atomic_int_get (&self->input)) {
		GST_DEBUG_OBJECT (self, "input=false: input event dropped");
		return FALSE;
	}
	g_mutex_lock (&self->input_lock);
	if (!self->input_dev) {
		g_mutex_unlock (&self->input_lock);
		GST_DEBUG_OBJECT (self, "no device open: input event dropped");
		return FALSE;
	}
	return TRUE;
}

/* Surface pixels from navigation coordinates, clamped to the surface. */
static void
clamp_point (GstGvtDmabufSrc *self, gdouble x, gdouble y, guint *ret_x, guint *ret_y)
{
	guint w = G_MAXINT32, h = G_MAXINT32;

	GST_OBJECT_LOCK (self);
	if (self->have_plane && self->plane.width && self->plane.height) {
		w = self->plane.width;
		h = self->plane.height;
	}
	GST_OBJECT_UNLOCK (self);
	*ret_x = x <= 0 ? 0 : x >= w - 1 ? w - 1 : (guint) x;
	*ret_y = y <= 0 ? 0 : y >= h - 1 ? h - 1 : (guint) y;
}

static gboolean
send_wheel_locked (GstGvtDmabufSrc *self, gint steps)
{
	return input_result (self, gvtdmabuf_device_send_wheel (self->input_dev, steps), "a wheel turn");
}

static gboolean
handle_navigation (GstGvtDmabufSrc *self, GstEvent *event)
{
	GstNavigationEventType type = gst_navigation_event_get_type (event);
	const gchar *key = NULL;
	gint button;
	gdouble x, y, dx, dy;
	guint px, py, code;
	gboolean ok = FALSE, press;

	switch (type) {
	case GST_NAVIGATION_EVENT_MOUSE_MOVE:
		if (!gst_navigation_event_parse_mouse_move_event (event, &x, &y))
			return FALSE;
		clamp_point (self, x, y, &px, &py);
		if (!input_begin (self))
			return FALSE;
		ok = input_result (self, gvtdmabuf_device_send_pointer_absolute (self->input_dev, px, py),
				   "a pointer move");
		break;
	case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
	case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
		press = type == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS;
		if (!gst_navigation_event_parse_mouse_button_event (event, &button, &x, &y))
			return FALSE;
		switch (button) {
		case 1: code = BTN_LEFT; break;
		case 2: code = BTN_MIDDLE; break;
		case 3: code = BTN_RIGHT; break;
		case 4: case 5: code = 0; break;	/* X11's wheel */
		default:
			GST_DEBUG_OBJECT (self, "mouse button %d has no evdev button: dropped", button);
			return FALSE;
		}
		clamp_point (self, x, y, &px, &py);
		if (!input_begin (self))
			return FALSE;
		if (!code) {
			ok = !press || send_wheel_locked (self, button == 4 ? 1 : -1);
			break;
		}
		/* Where the click is, first: a move may not have come before. */
		ok = input_result (self, gvtdmabuf_device_send_pointer_absolute (self->input_dev, px, py),
				   "a pointer move") &&
		     input_result (self, gvtdmabuf_device_send_button (self->input_dev, code, press),
				   "a button");
		break;
	case GST_NAVIGATION_EVENT_MOUSE_SCROLL: {
		gint steps;

		if (!gst_navigation_event_parse_mouse_scroll_event (event, &x, &y, &dx, &dy))
			return FALSE;
		if (!input_begin (self))
			return FALSE;
		/* delta_y > 0 is away from the user (GTK's and X11's scroll up) */
		self->scroll_acc += dy;
		steps = (gint) self->scroll_acc;
		self->scroll_acc -= steps;
		steps = CLAMP (steps, -120, 120);
		ok = steps == 0 || send_wheel_locked (self, steps);
		break;
	}
	case GST_NAVIGATION_EVENT_KEY_PRESS:
	case GST_NAVIGATION_EVENT_KEY_RELEASE:
		if (!gst_navigation_event_parse_key_event (event, &key))
			return FALSE;
		code = nav_key_code (key);
		if (!code) {
			GST_DEBUG_OBJECT (self, "key '%s' is not in the key table: dropped", key);
			return FALSE;
		}
		if (!input_begin (self))
			return FALSE;
		ok = input_result (self, gvtdmabuf_device_send_key (self->input_dev, code,
					type == GST_NAVIGATION_EVENT_KEY_PRESS), "a key");
		break;
	default:
		GST_DEBUG_OBJECT (self, "navigation event %d not forwarded", type);
		return FALSE;
	}
	g_mutex_unlock (&self->input_lock);
	return ok;
}

static gboolean
field_uint (const GstStructure *s, const gchar *f, guint *ret)
{
	return gst_structure_get_uint (s, f, ret);
}

/* The custom "gvtdmabuf-input" event (see the element's documentation). */
static gboolean
handle_custom_input (GstGvtDmabufSrc *self, const GstStructure *s)
{
	gboolean has_key = gst_structure_has_field (s, "key");
	gboolean has_button = gst_structure_has_field (s, "button");
	gboolean has_abs = gst_structure_has_field (s, "x") || gst_structure_has_field (s, "y");
	gboolean has_rel = gst_structure_has_field (s, "dx") || gst_structure_has_field (s, "dy");
	gboolean has_wheel = gst_structure_has_field (s, "wheel");
	gboolean pressed = FALSE, ok;
	guint key = 0, button = 0, x = 0, y = 0;
	gint dx = 0, dy = 0, wheel = 0;
	gint actions = has_key + has_button + has_wheel + has_rel + (has_abs && !has_button);

	if (actions != 1) {
		GST_WARNING_OBJECT (self, "gvtdmabuf-input event %" GST_PTR_FORMAT ": needs exactly one "
			"of key, button, x/y, dx/dy, wheel", s);
		return FALSE;
	}
	if ((has_key && !field_uint (s, "key", &key)) ||
	    (has_button && !field_uint (s, "button", &button)) ||
	    ((has_key || has_button) && !gst_structure_get_boolean (s, "pressed", &pressed)) ||
	    (has_abs && (!field_uint (s, "x", &x) || !field_uint (s, "y", &y))) ||
	    (has_rel && (!gst_structure_get_int (s, "dx", &dx) || !gst_structure_get_int (s, "dy", &dy))) ||
	    (has_wheel && !gst_structure_get_int (s, "wheel", &wheel))) {
		GST_WARNING_OBJECT (self, "gvtdmabuf-input event %" GST_PTR_FORMAT ": key, button, x, y "
			"are uint, dx, dy, wheel int, pressed boolean (with key and button; "
			"x and y together, dx and dy together)", s);
		return FALSE;
	}
	if (!input_begin (self))
		return FALSE;
	if (has_key)
		ok = input_result (self, gvtdmabuf_device_send_key (self->input_dev, key, pressed), "a key");
	else if (has_button)
		ok = (!has_abs || input_result (self, gvtdmabuf_device_send_pointer_absolute (
				self->input_dev, x, y), "a pointer move")) &&
		     input_result (self, gvtdmabuf_device_send_button (self->input_dev, button, pressed),
				   "a button");
	else if (has_abs)
		ok = input_result (self, gvtdmabuf_device_send_pointer_absolute (self->input_dev, x, y),
				   "a pointer move");
	else if (has_rel)
		ok = input_result (self, gvtdmabuf_device_send_pointer_relative (self->input_dev, dx, dy),
				   "a relative pointer move");
	else
		ok = send_wheel_locked (self, wheel);
	g_mutex_unlock (&self->input_lock);
	return ok;
}

static gboolean
gst_gvt_dmabuf_src_event (GstBaseSrc *bsrc, GstEvent *event)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);

	switch (GST_EVENT_TYPE (event)) {
	case GST_EVENT_NAVIGATION:
		return handle_navigation (self, event);
	case GST_EVENT_CUSTOM_UPSTREAM:
		if (gst_event_has_name (event, "gvtdmabuf-input"))
			return handle_custom_input (self, gst_event_get_structure (event));
		break;
	default:
		break;
	}
	return GST_BASE_SRC_CLASS (gst_gvt_dmabuf_src_parent_class)->event (bsrc, event);
}

/* ---- waiting ---------------------------------------------------------- */

static gboolean
gst_gvt_dmabuf_src_unlock (GstBaseSrc *bsrc)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	guint64 one = 1;

	/* the flag first: a wait that wakes for the eventfd finds it set */
	g_atomic_int_set (&self->flushing, 1);
	if (self->wake_fd >= 0 && write (self->wake_fd, &one, sizeof (one)) < 0 &&
	    errno != EAGAIN)
		GST_WARNING_OBJECT (self, "cannot wake the streaming thread: %s",
				    g_strerror (errno));
	return TRUE;
}

static gboolean
gst_gvt_dmabuf_src_unlock_stop (GstBaseSrc *bsrc)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (bsrc);
	guint64 v;

	/* the streaming thread is out of create(): empty the eventfd, then
	 * let waits block again */
	if (self->wake_fd >= 0 && read (self->wake_fd, &v, sizeof (v)) < 0 && errno != EAGAIN)
		GST_WARNING_OBJECT (self, "reading the wake eventfd: %s", g_strerror (errno));
	g_atomic_int_set (&self->flushing, 0);
	return TRUE;
}

static void
drain_event_fd (GstGvtDmabufSrc *self)
{
	guint64 v;

	/* eventfd: one read takes the whole count */
	if (read (self->event_fd, &v, sizeof (v)) < 0 && errno != EAGAIN)
		GST_WARNING_OBJECT (self, "reading the event fd: %s", g_strerror (errno));
}

typedef enum {
	WAKE_CHECK,		/* look at the planes */
	WAKE_KEEPALIVE,		/* re-send the last frame */
	WAKE_FLUSHING,
	WAKE_ERROR,		/* posted */
} Wake;

/* Block until there is something to do. */
static Wake
wait_for_work (GstGvtDmabufSrc *self)
{
	gint64 now, deadline, min_interval = 0, keepalive, poll_us;
	gint max_n, max_d;
	struct epoll_event evs[3];
	struct timespec ts;
	guint32 ready;
	gint r, i;

	GST_OBJECT_LOCK (self);
	max_n = self->max_fps_n;
	max_d = self->max_fps_d;
	keepalive = (gint64) self->keepalive_ms * 1000;
	poll_us = (gint64) self->poll_interval_ms * 1000;
	GST_OBJECT_UNLOCK (self);
	if (max_n > 0)
		min_interval = gst_util_uint64_scale_int (G_USEC_PER_SEC, max_d, max_n);

	for (;;) {
		now = g_get_monotonic_time ();
		deadline = G_MAXINT64;
		if (self->want_frame) {
			/* max-framerate holds a frame back, the newest state
			 * goes out when the interval is over */
			if (!self->last_push || now >= self->last_push + min_interval)
				return WAKE_CHECK;
			deadline = self->last_push + min_interval;
		}
		if (!self->use_events) {
			if (now >= self->next_poll) {
				self->next_poll = now + poll_us;
				return WAKE_CHECK;
			}
			deadline = MIN (deadline, self->next_poll);
		}
		if (keepalive && self->last_buffer) {
			if (now >= self->last_push + keepalive)
				return WAKE_KEEPALIVE;
			deadline = MIN (deadline, self->last_push + keepalive);
		}

		if (g_atomic_int_get (&self->flushing))
			return WAKE_FLUSHING;
		if (deadline == G_MAXINT64) {
			r = epoll_wait (self->epoll_fd, evs, G_N_ELEMENTS (evs), -1);
		} else {
			/* epoll_wait() counts in ms: the deadline to the
			 * microsecond by ppoll() on the epoll fd, whose events
			 * are then fetched without blocking */
			struct pollfd pfd = { .fd = self->epoll_fd, .events = POLLIN };
			gint64 left = MAX (deadline - now, 0);

			ts.tv_sec = left / G_USEC_PER_SEC;
			ts.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
			r = ppoll (&pfd, 1, &ts, NULL);
			if (r > 0)
				r = epoll_wait (self->epoll_fd, evs, G_N_ELEMENTS (evs), 0);
		}
		if (r >= 0)
			self->events_taken = TRUE;	/* none left pending */
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			GST_ELEMENT_ERROR (self, RESOURCE, READ,
				("Waiting for the vGPU's display failed: %s", g_strerror (errno)),
				(NULL));
			return WAKE_ERROR;
		}
		if (r == 0)
			continue;	/* a deadline: the checks above */
		ready = 0;
		for (i = 0; i < r; i++)
			ready |= 1u << evs[i].data.u32;
		/* a flip taken here is not seen again (edge-triggered):
		 * remembered also when a flush returns first, so the frame
		 * still goes out afterwards */
		if (ready & (1u << WAIT_EVENT))
			self->want_frame = TRUE;
		/* unlock(): the flag is set before the eventfd is written; a
		 * readable eventfd without it is an unlock_stop() about to
		 * empty it, so go on */
		if ((ready & (1u << WAIT_WAKE)) && g_atomic_int_get (&self->flushing))
			return WAKE_FLUSHING;
		if (ready & (1u << WAIT_REQUEST)) {
			gchar *name = g_strdup (gvtdmabuf_device_get_name (self->dev));

			/* released before anyone hears of it, so that an
			 * application reacting to the error finds it free */
			close_device (self);
			GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
				("vGPU %s is being removed", name),
				("the kernel asked for the device back (VFIO device request): "
				 "released it"));
			g_free (name);
			return WAKE_ERROR;
		}
	}
}

/* ---- frames ----------------------------------------------------------- */

static GstClockTime
running_time_now (GstGvtDmabufSrc *self)
{
	GstClockTime now = GST_CLOCK_TIME_NONE, base = 0;

	/* under the object lock the element's clock cannot go away: no
	 * reference taken, one lock for clock and base time */
	GST_OBJECT_LOCK (self);
	if (GST_ELEMENT_CLOCK (self)) {
		now = gst_clock_get_time (GST_ELEMENT_CLOCK (self));
		base = GST_ELEMENT_CAST (self)->base_time;
	}
	GST_OBJECT_UNLOCK (self);
	if (!GST_CLOCK_TIME_IS_VALID (now))
		return GST_CLOCK_TIME_NONE;
	return now >= base ? now - base : 0;
}

static GstFlowReturn
make_dmabuf_buffer (GstGvtDmabufSrc *self, const struct gvtdmabuf_plane_info *pi,
		    const struct gvtdmabuf_dmabuf *buf, GstBuffer **ret_buf)
{
	SurfaceEntry *e = surface_entry (self, pi, buf);

	if (!e)
		return GST_FLOW_ERROR;
	/* the entry is this exact surface (same offset, stride, geometry):
	 * a spare buffer's video meta describes it */
	*ret_buf = surface_buffers_get (e->bufs, GST_VIDEO_INFO_FORMAT (&self->vinfo), pi,
					buf->offset[0], (gint) buf->stride[0]);
	return GST_FLOW_OK;
}

static GstFlowReturn
make_system_buffer (GstGvtDmabufSrc *self, const struct gvtdmabuf_plane_info *pi,
		    const struct gvtdmabuf_dmabuf *buf, GstBuffer **ret_buf)
{
	GstVideoFrame frame;
	GstBuffer *out = NULL;
	GstFlowReturn ret;
	guint8 *data;
	gint stride;
	guint32 y, lstride;
	int r;

	ret = gst_buffer_pool_acquire_buffer (self->pool, &out, NULL);
	if (ret != GST_FLOW_OK)
		return ret;
	if (!gst_video_frame_map (&frame, &self->vinfo, out, GST_MAP_WRITE)) {
		gst_buffer_unref (out);
		GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Cannot map a pool buffer"), (NULL));
		return GST_FLOW_ERROR;
	}
	data = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
	stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
	if (self->sys_format == self->native_format) {
		r = read_surface (self, buf, data, (guint32) stride);
	} else {
		/* read in the surface's format, then to RGBA row by row */
		const struct gvtdmabuf_format_info *fi = gvtdmabuf_format_lookup (pi->fourcc);

		lstride = ((pi->width + 1) & ~1u) * fi->cpp;
		if (self->scratch_size < (gsize) lstride * pi->height) {
			g_free (self->scratch);
			self->scratch_size = (gsize) lstride * pi->height;
			self->scratch = g_malloc (self->scratch_size);
		}
		r = read_surface (self, buf, self->scratch, lstride);
		for (y = 0; r == 0 && y < pi->height; y++)
			r = gvtdmabuf_convert_row_rgba8 (pi->fourcc,
							 self->scratch + (gsize) y * lstride,
							 pi->width, data + (gsize) y * stride);
	}
	if (r == 0 && self->cursor == GST_GVT_DMABUF_SRC_CURSOR_COMPOSITE &&
	    self->cursor_plane.enabled && self->cursor_pixels) {
		GstMapInfo cmap;
		gint64 cx, cy;

		cursor_origin (self, &cx, &cy);
		gst_buffer_map (self->cursor_pixels, &cmap, GST_MAP_READ);
		blend_cursor (&frame, cmap.data, self->cursor_plane.width * 4,
			      self->cursor_plane.width, self->cursor_plane.height, cx, cy);
		gst_buffer_unmap (self->cursor_pixels, &cmap);
	}
	gst_video_frame_unmap (&frame);
	if (r < 0) {
		gst_buffer_unref (out);
		GST_ELEMENT_ERROR (self, RESOURCE, READ,
			("Cannot read the pixels of surface %u (%ux%u, %s) into system memory: %s",
			 pi->dmabuf_id, pi->width, pi->height,
			 gvtdmabuf_modifier_name (pi->modifier),
			 self->reader && gvtdmabuf_reader_get_error (self->reader) ?
			 gvtdmabuf_reader_get_error (self->reader) : g_strerror (-r)),
			("%s", r == -ENOTSUP ?
			 "neither the CPU nor the GPU can read it here: use a dma-buf importer "
			 "(vapostproc, glupload) instead of system memory" : ""));
		return GST_FLOW_ERROR;
	}
	*ret_buf = out;
	return GST_FLOW_OK;
}

/* Look at the planes and, if the primary shows something, make a frame. */
static gboolean
drop_damage_meta (GstBuffer *buf, GstMeta **meta, gpointer user_data)
{
	(void) buf;
	(void) user_data;
	if ((*meta)->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE &&
	    ((GstVideoRegionOfInterestMeta *) *meta)->roi_type == damage_quark)
		*meta = NULL;
	return TRUE;
}

/* The damage the device reports (QEMU's Update/UpdateDMABUF; the sim: a
 * new frame is the whole surface) as GstVideoRegionOfInterestMeta of type
 * "damage": GStreamer has no damage meta of its own, and these pass
 * through elements that keep metas.  The device's damage is read after the
 * surface's query, so a change that lands in between is in this frame's
 * pixels but in the next read's rectangles: each buffer carries the union
 * of the last two reads, which covers every change since the previous
 * buffer.  No meta: the source cannot tell (VFIO), or nothing changed. */
static void
attach_damage (GstGvtDmabufSrc *self, GstBuffer *out, const struct gvtdmabuf_plane_info *pi,
	       gboolean whole)
{
	struct gvtdmabuf_rect cur[DAMAGE_MAX], all[2 * DAMAGE_MAX];
	gsize n_cur = 0, n = 0, i, j;

	if (gvtdmabuf_device_get_damage (self->dev, cur, DAMAGE_MAX, &n_cur) < 0) {
		/* none, also none that a reused buffer kept */
		gst_buffer_foreach_meta (out, drop_damage_meta, NULL);
		return;
	}
	for (i = 0; i < self->n_prev_damage + n_cur; i++) {
		const struct gvtdmabuf_rect *r = i < self->n_prev_damage ?
			&self->prev_damage[i] : &cur[i - self->n_prev_damage];

		for (j = 0; j < n && memcmp (&all[j], r, sizeof (*r)); j++)
			;
		if (j == n)
			all[n++] = *r;
	}
	memcpy (self->prev_damage, cur, n_cur * sizeof (cur[0]));
	self->n_prev_damage = n_cur;
	if (whole || n > DAMAGE_MAX) {
		all[0] = (struct gvtdmabuf_rect){ 0, 0, pi->width, pi->height };
		n = 1;
	}
	/* a reused buffer keeps its damage metas: update them in place when
	 * there are as many, else make them anew */
	{
		GstVideoRegionOfInterestMeta *old[DAMAGE_MAX];
		gsize n_old = 0;
		gpointer state = NULL;
		GstMeta *m;

		while ((m = gst_buffer_iterate_meta_filtered (out, &state,
				GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
			GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;

			if (roi->roi_type == damage_quark && !roi->params && n_old < DAMAGE_MAX &&
			    GST_META_FLAG_IS_SET (m, GST_META_FLAG_POOLED))
				old[n_old++] = roi;
		}
		if (n_old != n) {
			gst_buffer_foreach_meta (out, drop_damage_meta, NULL);
			n_old = 0;
		}
		for (i = 0; i < n; i++) {
			GstVideoRegionOfInterestMeta *roi = n_old ? old[i] :
				gst_buffer_add_video_region_of_interest_meta_id (out, damage_quark,
					0, 0, 0, 0);

			roi->x = (guint) MAX (all[i].x, 0);
			roi->y = (guint) MAX (all[i].y, 0);
			roi->w = all[i].width;
			roi->h = all[i].height;
			GST_META_FLAG_SET (&roi->meta, GST_META_FLAG_POOLED);
		}
	}
}

static GstFlowReturn
produce (GstGvtDmabufSrc *self, GstBuffer **ret_buf)
{
	struct gvtdmabuf_plane_info pi;
	const struct gvtdmabuf_dmabuf *buf;
	GstClockTime ts;
	GstFlowReturn ret;
	gboolean changed;
	gint64 seen = 0;
	int r, tries;

	for (tries = 0; tries < 3; tries++) {
		/* An event signalled before this query is answered by it: take
		 * it now, or it would push the same frame once more.  A wait
		 * that just returned has taken every one (edge-triggered), so
		 * then no read: a flip between its return and the query (a
		 * few us) pushes its frame twice, as one between a read and
		 * the query always did. */
		if (self->use_events && (tries > 0 || !self->events_taken))
			drain_event_fd (self);
		self->events_taken = FALSE;
		ts = running_time_now (self);
		seen = g_get_monotonic_time ();
		if (query_primary (self, &pi) < 0)
			return GST_FLOW_ERROR;
		if (!pi.enabled) {
			/* paused: no frames until the guest shows a plane */
			if (self->want_frame)
				GST_DEBUG_OBJECT (self, "primary plane disabled: pausing");
			self->want_frame = FALSE;
			return GST_FLOW_CUSTOM_SUCCESS;
		}
		if (!self->use_events && !self->want_frame && self->have_plane &&
		    same_surface (&pi, &self->plane)) {
			/* polling: the same surface, maybe a moved cursor */
			gboolean moved = FALSE;

			if (self->cursor != GST_GVT_DMABUF_SRC_CURSOR_NONE) {
				struct gvtdmabuf_plane_info old = self->cursor_plane;

				if (!update_cursor (self))
					return GST_FLOW_ERROR;
				moved = old.enabled != self->cursor_plane.enabled ||
					old.x != self->cursor_plane.x ||
					old.y != self->cursor_plane.y ||
					old.dmabuf_id != self->cursor_plane.dmabuf_id;
			}
			if (!moved)
				return GST_FLOW_CUSTOM_SUCCESS;
		}
		r = gvtdmabuf_device_get_dmabuf (self->dev, &pi, &buf);
		if (r == -ESTALE)
			continue;	/* the guest flipped meanwhile */
		if (r < 0) {
			GST_ELEMENT_ERROR (self, RESOURCE, READ,
				("Cannot get the dma-buf of surface %u of vGPU %s: %s", pi.dmabuf_id,
				 gvtdmabuf_device_get_name (self->dev), g_strerror (-r)),
				("VFIO_DEVICE_GET_GFX_DMABUF failed with errno %d", -r));
			return GST_FLOW_ERROR;
		}
		break;
	}
	if (tries == 3)
		return GST_FLOW_CUSTOM_SUCCESS;	/* try again at the next wakeup */

	changed = take_plane (self, &pi, buf->is_dmabuf);
	if (changed || self->out == OUT_NONE) {
		GST_INFO_OBJECT (self, "surface %ux%u fourcc 0x%08x %s: negotiating",
				 pi.width, pi.height, pi.fourcc,
				 gvtdmabuf_modifier_name (pi.modifier));
		g_hash_table_remove_all (self->surfaces);
		gst_pad_mark_reconfigure (GST_BASE_SRC_PAD (self));
		if (!gst_base_src_negotiate (GST_BASE_SRC (self)))
			return GST_FLOW_NOT_NEGOTIATED;
		/* negotiate() may have reused a cached buffer: fetch again */
		r = gvtdmabuf_device_get_dmabuf (self->dev, &pi, &buf);
		if (r < 0)
			return GST_FLOW_CUSTOM_SUCCESS;
	}

	if (self->cursor != GST_GVT_DMABUF_SRC_CURSOR_NONE) {
		if (!update_cursor (self))
			return GST_FLOW_ERROR;
		/* the cursor's dma-buf may have evicted the primary's
		 * borrowed one */
		r = gvtdmabuf_device_get_dmabuf (self->dev, &pi, &buf);
		if (r < 0)
			return GST_FLOW_CUSTOM_SUCCESS;
	}

	if (self->out == OUT_DMABUF)
		ret = make_dmabuf_buffer (self, &pi, buf, ret_buf);
	else
		ret = make_system_buffer (self, &pi, buf, ret_buf);
	if (ret != GST_FLOW_OK)
		return ret;
	if (self->cursor == GST_GVT_DMABUF_SRC_CURSOR_META)
		attach_cursor_meta (self, *ret_buf);
	attach_damage (self, *ret_buf, &pi, changed);
	GST_BUFFER_PTS (*ret_buf) = ts;
	GST_BUFFER_DTS (*ret_buf) = GST_CLOCK_TIME_NONE;
	self->want_frame = FALSE;
	/* max-framerate counts from when the frame was seen, as its PTS */
	self->last_push = seen;
	return GST_FLOW_OK;
}

static GstFlowReturn
gst_gvt_dmabuf_src_create (GstPushSrc *psrc, GstBuffer **ret_buf)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (psrc);
	GstBuffer *out = NULL;
	GstFlowReturn ret;

	for (;;) {
		if (!self->dev) {
			GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
				("The vGPU is gone"), (NULL));
			return GST_FLOW_ERROR;
		}
		switch (wait_for_work (self)) {
		case WAKE_FLUSHING:
			return GST_FLOW_FLUSHING;
		case WAKE_ERROR:
			return GST_FLOW_ERROR;
		case WAKE_KEEPALIVE:
			/* the same memory again, with a new timestamp */
			out = gst_buffer_copy (self->last_buffer);
			/* the same picture: nothing changed */
			gst_buffer_foreach_meta (out, drop_damage_meta, NULL);
			GST_BUFFER_PTS (out) = running_time_now (self);
			self->last_push = g_get_monotonic_time ();
			GST_DEBUG_OBJECT (self, "keepalive");
			ret = GST_FLOW_OK;
			break;
		case WAKE_CHECK:
		default:
			ret = produce (self, &out);
			break;
		}
		if (ret == GST_FLOW_CUSTOM_SUCCESS)
			continue;
		if (ret != GST_FLOW_OK)
			return ret;
		break;
	}
	/* A frame lasts until the next one, which nobody knows yet: say one
	 * max-framerate period, else the last interval between frames (one
	 * 60 Hz refresh for the first), so that a muxer gives the last frame
	 * of a file a length too. */
	if (self->max_fps_n > 0)
		GST_BUFFER_DURATION (out) = gst_util_uint64_scale_int (GST_SECOND,
			self->max_fps_d, self->max_fps_n);
	else if (GST_CLOCK_TIME_IS_VALID (self->last_pts) &&
		 GST_BUFFER_PTS_IS_VALID (out) && GST_BUFFER_PTS (out) > self->last_pts)
		GST_BUFFER_DURATION (out) = GST_BUFFER_PTS (out) - self->last_pts;
	else
		GST_BUFFER_DURATION (out) = GST_SECOND / 60;	/* one refresh */
	self->last_pts = GST_BUFFER_PTS (out);
	GST_BUFFER_OFFSET (out) = self->n_pushed++;
	GST_BUFFER_OFFSET_END (out) = self->n_pushed;
	gst_buffer_replace (&self->last_buffer, out);
	*ret_buf = out;
	return GST_FLOW_OK;
}

/* ---- class ------------------------------------------------------------ */

static void
gst_gvt_dmabuf_src_finalize (GObject *object)
{
	GstGvtDmabufSrc *self = GST_GVT_DMABUF_SRC (object);

	g_free (self->device_name);
	g_mutex_clear (&self->input_lock);
	if (self->wake_fd >= 0)
		close (self->wake_fd);
	gst_object_unref (self->dmabuf_alloc);
	G_OBJECT_CLASS (gst_gvt_dmabuf_src_parent_class)->finalize (object);
}

static void
gst_gvt_dmabuf_src_init (GstGvtDmabufSrc *self)
{
	self->cursor = DEFAULT_CURSOR;
	self->max_fps_n = DEFAULT_MAX_FPS_N;
	self->max_fps_d = DEFAULT_MAX_FPS_D;
	self->keepalive_ms = DEFAULT_KEEPALIVE;
	self->wait = DEFAULT_WAIT;
	self->poll_interval_ms = DEFAULT_POLL_INTERVAL;
	self->cache_size = DEFAULT_CACHE_SIZE;
	self->io_mode = DEFAULT_IO_MODE;
	self->input = DEFAULT_INPUT;
	g_mutex_init (&self->input_lock);
	self->event_fd = -1;
	self->request_fd = -1;
	self->epoll_fd = -1;
	/* start() reports a failure (-errno kept here) */
	self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (self->wake_fd < 0)
		self->wake_fd = -errno;
	self->dmabuf_alloc = gst_dmabuf_allocator_new ();
	gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
	gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

static void
gst_gvt_dmabuf_src_class_init (GstGvtDmabufSrcClass *klass)
{
	GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
	GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
	GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
	GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

	surface_buffers_quark = g_quark_from_static_string ("gvtdmabufsrc-surface-buffers");
	damage_quark = g_quark_from_static_string ("damage");
	const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
				  GST_PARAM_MUTABLE_READY;
	GstCaps *caps;

	gobject_class->set_property = gst_gvt_dmabuf_src_set_property;
	gobject_class->get_property = gst_gvt_dmabuf_src_get_property;
	gobject_class->finalize = gst_gvt_dmabuf_src_finalize;

	g_object_class_install_property (gobject_class, PROP_DEVICE,
		g_param_spec_string ("device", "Device",
			"The vGPU: an mdev UUID (see 'gvt-dmabuf list'), or sim[:SPEC] for the "
			"library's simulated vGPU, e.g. sim:1920x1080,xtiled,fps=30",
			DEFAULT_DEVICE, flags));
	g_object_class_install_property (gobject_class, PROP_CURSOR,
		g_param_spec_enum ("cursor", "Cursor",
			"What to do with the cursor plane: none, meta (an overlay composition "
			"meta with the cursor image; costs a CPU read of the cursor image when it "
			"changes) or composite (blended into system memory; costs a CPU read of "
			"every frame)",
			GST_TYPE_GVT_DMABUF_SRC_CURSOR, DEFAULT_CURSOR, flags));
	g_object_class_install_property (gobject_class, PROP_MAX_FRAMERATE,
		gst_param_spec_fraction ("max-framerate", "Maximum frame rate",
			"Push at most this many frames per second (the newest one at each "
			"interval); 0/1 pushes every frame the guest shows",
			0, 1, G_MAXINT, 1, DEFAULT_MAX_FPS_N, DEFAULT_MAX_FPS_D, flags));
	g_object_class_install_property (gobject_class, PROP_KEEPALIVE,
		g_param_spec_uint ("keepalive", "Keepalive",
			"Re-send the last frame after this many milliseconds without a new "
			"one, also while the guest's plane is disabled (0 = never)",
			0, MAX_KEEPALIVE, DEFAULT_KEEPALIVE, flags));
	g_object_class_install_property (gobject_class, PROP_WAIT,
		g_param_spec_enum ("wait", "Wait",
			"How to notice new frames: the vGPU's display event fd (event; gvtsim "
			"and sim), a timer that queries the plane every poll-interval (poll; "
			"upstream i915) or event where the vGPU has one (auto)",
			GST_TYPE_GVT_DMABUF_SRC_WAIT, DEFAULT_WAIT, flags));
	g_object_class_install_property (gobject_class, PROP_POLL_INTERVAL,
		g_param_spec_uint ("poll-interval", "Poll interval",
			"Milliseconds between plane queries with wait=poll",
			1, MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, flags));
	g_object_class_install_property (gobject_class, PROP_CACHE_SIZE,
		g_param_spec_uint ("cache-size", "Cache size",
			"How many surfaces (dma-bufs) of each plane to keep exported and "
			"wrapped; at least the number of buffers the guest flips between",
			1, MAX_CACHE_SIZE, DEFAULT_CACHE_SIZE, flags));
	g_object_class_install_property (gobject_class, PROP_IO_MODE,
		g_param_spec_enum ("io-mode", "I/O mode",
			"Memory of the output: auto (dma-buf when the vGPU's buffers are real "
			"dma-bufs and downstream takes them, else system memory), dmabuf "
			"(dma-buf caps only; also wraps the sim's memfd, a test aid) or "
			"system (the CPU reads every frame)",
			GST_TYPE_GVT_DMABUF_SRC_IO_MODE, DEFAULT_IO_MODE, flags));

	g_object_class_install_property (gobject_class, PROP_X_AS_ALPHA,
		g_param_spec_boolean ("x-as-alpha", "X as alpha",
			"Describe XRGB8888/XBGR8888 dma-bufs as ARGB8888/ABGR8888 (BGRA/RGBA, "
			"AR24/AB24), the same layout, for importers that lack the X formats "
			"(iHD's video processing before Meteor Lake, i.e. vapostproc); the "
			"alpha channel then holds whatever the guest left in the X bits, so "
			"only for consumers that ignore alpha (conversion to NV12, encoders)",
			FALSE, flags));
	g_object_class_install_property (gobject_class, PROP_IMPLICIT_MODIFIER,
		g_param_spec_boolean ("implicit-modifier", "Implicit modifier",
			"Also offer tiled dma-bufs as plain memory:DMABuf (format=BGRx...), "
			"leaving the tiling implicit: on GStreamer 1.22, whose caps carry no "
			"modifier, and on >= 1.24 after the exact DMA_DRM caps; right for "
			"importers that take the tiling from the buffer object (vapostproc "
			"1.22 and vaapipostproc on iHD, which reads I915_GEM_GET_TILING, set "
			"by i915 GVT-g on its dma-bufs), wrong for others (glupload would "
			"read them as linear)",
			FALSE, flags));

	g_object_class_install_property (gobject_class, PROP_INPUT,
		g_param_spec_boolean ("input", "Input",
			"Send upstream navigation events (pointer, buttons, wheel, keys) and "
			"gvtdmabuf-input events to the VM (QEMU's D-Bus display; other "
			"backends have no input); FALSE: view only",
			DEFAULT_INPUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
			GST_PARAM_MUTABLE_PLAYING));

	/**
	 * GstGvtDmabufSrc::device-opened:
	 * @src: the element
	 * @device: the `struct gvtdmabuf_device *` it opened
	 *
	 * Emitted when the element has opened its vGPU (READY to PAUSED), for
	 * an application in the same process that uses libgvtdmabuf on it:
	 * cache statistics, the sim's controls (gvtdmabuf_sim_set_frame(),
	 * _set_mode(), _set_display(), which may be called while the element
	 * streams).  The device belongs to the element and is closed when it
	 * stops; anything else the library does with a device must not run
	 * while the element streams (one thread at a time).
	 */
	signals[SIGNAL_DEVICE_OPENED] = g_signal_new ("device-opened",
		G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
		G_TYPE_NONE, 1, G_TYPE_POINTER);

	caps = template_caps ();
	gst_element_class_add_pad_template (element_class,
		gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
	gst_caps_unref (caps);
	gst_element_class_set_static_metadata (element_class,
		"Intel GVT-g vGPU framebuffer source", "Source/Video",
		"The display of an Intel GVT-g vGPU (or gvtsim, or a simulated vGPU) as "
		"zero-copy dma-buf video (DMA_DRM caps with the modifier on GStreamer >= "
		"1.24; on 1.22 memory:DMABuf for linear surfaces, else system memory).  "
		"Damage (QEMU's display; each new sim frame) comes as "
		"GstVideoRegionOfInterestMeta of type \"damage\".  "
		"Examples:\n"
		"    gst-launch-1.0 gvtdmabufsrc device=sim ! videoconvert ! autovideosink\n"
		"    gst-launch-1.0 gvtdmabufsrc device=UUID x-as-alpha=true ! vapostproc ! "
		"'video/x-raw(memory:VAMemory),format=NV12' ! vah264enc ! h264parse ! "
		"mp4mux ! filesink location=vm.mp4\n"
		"    gst-launch-1.0 gvtdmabufsrc device=sim:1920x1080,xtiled io-mode=system "
		"cursor=composite max-framerate=30/1 ! videoconvert ! x264enc ! mp4mux ! "
		"filesink location=vm.mp4\n"
		"    gst-launch-1.0 gvtdmabufsrc device=UUID wait=poll poll-interval=30 "
		"keepalive=1000 ! glupload ! glimagesink",
		"gvt-dmabuf developers");

	basesrc_class->start = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_start);
	basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_stop);
	basesrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_get_caps);
	basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_negotiate);
	basesrc_class->set_caps = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_set_caps);
	basesrc_class->decide_allocation = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_decide_allocation);
	basesrc_class->query = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_query);
	basesrc_class->event = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_event);
	basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_unlock);
	basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_unlock_stop);
	pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_gvt_dmabuf_src_create);

	gst_type_mark_as_plugin_api (GST_TYPE_GVT_DMABUF_SRC_CURSOR, 0);
	gst_type_mark_as_plugin_api (GST_TYPE_GVT_DMABUF_SRC_WAIT, 0);
	gst_type_mark_as_plugin_api (GST_TYPE_GVT_DMABUF_SRC_IO_MODE, 0);
}
