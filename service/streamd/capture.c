/* SPDX-License-Identifier: MIT */
/*
 * One capture per vGPU: gvtdmabufsrc ! tee, with a branch per consumer
 * kind.  The PipeWire branch ends in an appsink whose samples a pw_stream
 * (a Video/Source node, the stream being the driver) publishes.
 */
#define _GNU_SOURCE	/* memfd_create, F_ADD_SEALS */
#define G_LOG_DOMAIN "gvt-streamd"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gst/allocators/gstdmabuf.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/buffer/meta.h>

#include <gvt-dmabuf/gvt-dmabuf.h>

#include "streamd.h"
#include "encode.h"
#include "push.h"
#include "rtsp.h"
#include "webrtc.h"

/* ---- PipeWire connection --------------------------------------------- */

struct streamd_pw {
	struct pw_thread_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	void (*connected)(void *data, bool up);
	void *data;
	guint retry_source;
	bool up;
	bool warned;
};

static gboolean pw_try_connect(gpointer user);

static gboolean pw_lost_main(gpointer user)
{
	struct streamd_pw *pw = user;

	if (!pw->up)
		return G_SOURCE_REMOVE;
	slog(G_LOG_LEVEL_WARNING, "pipewire", NULL,
	     "lost the PipeWire daemon; nodes come back when it does");
	pw->up = false;
	pw->connected(pw->data, false);
	pw_thread_loop_lock(pw->loop);
	spa_hook_remove(&pw->core_listener);
	pw_core_disconnect(pw->core);
	pw->core = NULL;
	pw_thread_loop_unlock(pw->loop);
	if (!pw->retry_source)
		pw->retry_source = g_timeout_add(250, pw_try_connect, pw);
	return G_SOURCE_REMOVE;
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct streamd_pw *pw = data;

	/* The core object failing (EPIPE: the daemon went away) ends the
	 * connection; errors on other objects belong to their streams. */
	if (id == PW_ID_CORE)
		g_idle_add(pw_lost_main, pw);
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static gboolean pw_try_connect(gpointer user)
{
	struct streamd_pw *pw = user;
	int err;

	pw_thread_loop_lock(pw->loop);
	pw->core = pw_context_connect(pw->context, NULL, 0);
	err = errno;
	if (pw->core)
		pw_core_add_listener(pw->core, &pw->core_listener, &core_events, pw);
	pw_thread_loop_unlock(pw->loop);
	if (!pw->core) {
		if (!pw->warned)
			slog(G_LOG_LEVEL_WARNING, "pipewire", NULL,
			     "no PipeWire daemon (%s); running without PipeWire nodes, retrying every 250 ms",
			     g_strerror(err));
		pw->warned = true;
		return G_SOURCE_CONTINUE;
	}
	pw->retry_source = 0;
	pw->warned = false;
	pw->up = true;
	slog(G_LOG_LEVEL_MESSAGE, "pipewire", NULL, "connected to PipeWire");
	pw->connected(pw->data, true);
	return G_SOURCE_REMOVE;
}

struct streamd_pw *streamd_pw_create(void (*connected)(void *data, bool up), void *data)
{
	struct streamd_pw *pw = g_new0(struct streamd_pw, 1);

	pw_init(NULL, NULL);
	pw->connected = connected;
	pw->data = data;
	pw->loop = pw_thread_loop_new("gvt-streamd-pw", NULL);
	if (!pw->loop)
		goto error;
	pw->context = pw_context_new(pw_thread_loop_get_loop(pw->loop), NULL, 0);
	if (!pw->context || pw_thread_loop_start(pw->loop) < 0)
		goto error;
	if (pw_try_connect(pw) == G_SOURCE_CONTINUE)
		pw->retry_source = g_timeout_add(250, pw_try_connect, pw);
	return pw;
error:
	slog(G_LOG_LEVEL_WARNING, "pipewire", NULL, "cannot set up libpipewire: %s", g_strerror(errno));
	streamd_pw_destroy(pw);
	return NULL;
}

void streamd_pw_destroy(struct streamd_pw *pw)
{
	if (!pw)
		return;
	if (pw->retry_source)
		g_source_remove(pw->retry_source);
	if (pw->loop)
		pw_thread_loop_stop(pw->loop);
	if (pw->core) {
		spa_hook_remove(&pw->core_listener);
		pw_core_disconnect(pw->core);
	}
	if (pw->context)
		pw_context_destroy(pw->context);
	if (pw->loop)
		pw_thread_loop_destroy(pw->loop);
	g_free(pw);
	pw_deinit();
}

bool streamd_pw_is_up(const struct streamd_pw *pw)
{
	return pw && pw->up;
}

/* ---- per-vGPU capture -------------------------------------------------- */

/* More than the element's surface cache (4 by default); a guest shows two
 * or three surfaces in turn. */
#define MAX_SURFACES 16
#define SURFACE_SETTLE_MS 1000
#define MAX_PW_BUFFERS 32

struct streamd_vgpu {
	char *device;
	char *name;
	char *node_name;
	struct streamd_pw *pw;
	GstElement *pipeline;
	GstElement *src;		/* gvtdmabufsrc */
	GstElement *appsink;
	guint bus_watch;

	/* PipeWire node, used under the thread loop's lock */
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	enum pw_stream_state pw_state;
	uint32_t spa_format;	/* negotiated, 0 before */
	uint32_t width, height;	/* of the capture (current caps) */
	uint32_t node_width, node_height;	/* offered in the node's formats */
	bool src_yuv;		/* the guest's format is YUV (capture caps, under lock) */
	bool node_yuv;		/* the node offers YUY2 */
	uint32_t fmt_width, fmt_height;		/* negotiated */
	uint32_t shm_size;	/* bytes of a shared-memory frame, negotiated */
	uint32_t dma_stride;	/* of the surfaces (element's video meta), under lock */
	uint64_t seq;

	/* Dma-buf: the capture's caps (under lock) and what the node offers.
	 * src_dma_spa is 0 when the element sends system memory, or a
	 * dma-buf whose format has no PipeWire name. */
	uint32_t src_dma_spa, node_dma_spa;
	uint64_t src_modifier, node_modifier;
	bool use_dmabuf;	/* the consumer fixated the modifier */
	bool fixated;		/* the modifier was fixated by us, a Format follows */
	/* The surfaces the capture has shown (one GstMemory per dmabuf_id
	 * from the element, referenced), under lock; the PipeWire buffers
	 * carry their fds, each fd in the buffers made after it appeared. */
	struct surface {
		GstMemory *mem;
		uint32_t id;	/* ours, for the reader's cache */
	} surf[MAX_SURFACES];
	uint32_t n_surf;
	uint32_t surf_ids;
	uint32_t n_added;	/* buffers added since the last Format */
	struct pw_buffer *held[MAX_PW_BUFFERS];	/* dequeued, waiting for their surface */
	uint32_t n_held;
	GPtrArray *bufs;	/* struct buf_priv of the buffers we made */
	bool renegotiate;	/* a new surface: buffers with its fd are needed */
	/* Learning the guest's surfaces (under lock): from a new surface
	 * until one already seen comes back (the guest's flip cycle is
	 * known) or SURFACE_SETTLE_MS pass without a new one.  Meanwhile
	 * the node is neither made nor offered anew: each offer with new
	 * buffers is a renegotiation, and pipewiresrc of PipeWire 1.2 to 1.4
	 * fails on every one after its first ("unhandled format"). */
	bool settling;
	guint settle_source;	/* main thread */
	GstCaps *src_caps;	/* the PipeWire branch's caps (under lock) */

	/* The shared-memory path's conversion (PipeWire thread). */
	struct gvtdmabuf_reader *reader;	/* reads a dma-buf (mmap or EGL) */
	guint8 *scratch;
	gsize scratch_size;
	GstVideoConverter *conv;
	GstVideoInfo conv_in, conv_out;
	uint64_t frames_dmabuf;	/* published as the capture's own dma-buf (under lock) */
	uint64_t frames_read;	/* dma-bufs read by the CPU for shared memory (under lock) */
	bool read_failed;	/* said once */

	GMutex lock;		/* sample, counters */
	GstSample *sample;	/* newest frame not yet published */
	GstSample *last;	/* newest frame, for a consumer that joins */
	bool resend;
	/* PTS of the frame last queued to the node (PipeWire thread): a
	 * consumer's paused/streaming flaps must not get it twice. */
	GstClockTime sent_pts;
	uint64_t frames;
	uint64_t frames_published;
	int64_t fps_window_start;
	uint64_t fps_window_frames;
	double fps;
	char *state;		/* "starting", "streaming", "error: ..." */

	/* Cursor from the element's overlay composition meta (under lock). */
	bool cursor_visible;
	/* Top-left of the image (hotspot applied) per frame, by PTS: the
	 * converter may drop the meta, and frames pass it one by one. */
	struct { GstClockTime pts; int32_t x, y; bool visible; } cursor_pos[8];
	unsigned int cursor_pos_next;
	GstBuffer *cursor_pixels;	/* ARGB (B,G,R,A bytes), straight alpha */
	uint32_t cursor_w, cursor_h, cursor_stride;
	uint64_t cursor_serial;		/* bumped when the image changes */
	uint64_t cursor_sent;		/* serial last published */
	int64_t cursor_sent_time;	/* when (monotonic us) */

	/* The H.264 encode (a branch on the tee, made on demand) and the
	 * network streams that subscribe to it. */
	char *encoder;		/* configured: auto or a factory */
	unsigned int bitrate, gop;
	struct streamd_encode *encode;
	bool input;		/* configured input policy (input.c) */
	char **input_users;
	struct streamd_rtsp_mount *rtsp;
	struct streamd_webrtc_mount *webrtc;
	struct streamd_push *push;

	void (*removed_cb)(void *data, struct streamd_vgpu *v, const char *device);
	void *removed_data;
	bool removed;		/* removed_cb called: once per capture */
	bool started;		/* "capture started" was logged */
};

void streamd_vgpu_set_removed_cb(struct streamd_vgpu *v,
				 void (*cb)(void *data, struct streamd_vgpu *v, const char *device),
				 void *data)
{
	v->removed_cb = cb;
	v->removed_data = data;
}

struct streamd_encode *streamd_vgpu_encode(struct streamd_vgpu *v, GError **error)
{
	if (!v->encode)
		v->encode = streamd_encode_create(v->pipeline, v->device, v->encoder, v->bitrate,
						  v->gop, error);
	return v->encode;
}

void streamd_vgpu_set_rtsp(struct streamd_vgpu *v, struct streamd_rtsp_mount *m)
{
	v->rtsp = m;
}

void streamd_vgpu_set_webrtc(struct streamd_vgpu *v, struct streamd_webrtc_mount *m)
{
	v->webrtc = m;
}

void streamd_vgpu_set_push(struct streamd_vgpu *v, struct streamd_push *p)
{
	v->push = p;
}

const char *streamd_vgpu_device(const struct streamd_vgpu *v)
{
	return v->device;
}

static void set_state(struct streamd_vgpu *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_state(struct streamd_vgpu *v, const char *fmt, ...)
{
	va_list ap;

	g_mutex_lock(&v->lock);
	g_free(v->state);
	va_start(ap, fmt);
	v->state = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_mutex_unlock(&v->lock);
}

/* Stable across restarts: the device name (a UUID for real vGPUs) with
 * everything outside [A-Za-z0-9-] turned into '-'. */
static char *node_name_for(const char *device)
{
	char *s = g_strdup_printf("gvt-streamd.%s", device);

	for (char *p = s + strlen("gvt-streamd."); *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-')
			*p = '-';
	return s;
}

#define MAX_FPS_OFFER 240
/* gvtsim and i915 cursors are at most 256x256 ARGB8888. */
#define MAX_CURSOR 256
#define CURSOR_META_SIZE(w, h) \
	(sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (w) * (h) * 4)

static const struct spa_pod *build_format(struct spa_pod_builder *b, uint32_t format,
					  uint32_t w, uint32_t h, bool dmabuf, uint64_t modifier,
					  bool fixated)
{
	struct spa_pod_frame f[2];

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
	spa_pod_builder_add(b,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(format),
		0);
	if (dmabuf && fixated) {
		spa_pod_builder_prop(b, SPA_FORMAT_VIDEO_modifier, SPA_POD_PROP_FLAG_MANDATORY);
		spa_pod_builder_long(b, (int64_t)modifier);
	} else if (dmabuf) {
		/* The guest's surface has one modifier: a choice of one, for
		 * the consumer to intersect with its own list; we fixate. */
		spa_pod_builder_prop(b, SPA_FORMAT_VIDEO_modifier,
				     SPA_POD_PROP_FLAG_MANDATORY | SPA_POD_PROP_FLAG_DONT_FIXATE);
		spa_pod_builder_push_choice(b, &f[1], SPA_CHOICE_Enum, 0);
		spa_pod_builder_long(b, (int64_t)modifier);
		spa_pod_builder_long(b, (int64_t)modifier);
		spa_pod_builder_pop(b, &f[1]);
	}
	spa_pod_builder_add(b,
		SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&SPA_RECTANGLE(w, h)),
		/* Variable frame rate: an idle desktop sends nothing. */
		SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&SPA_FRACTION(0, 1)),
		SPA_FORMAT_VIDEO_maxFramerate, SPA_POD_CHOICE_RANGE_Fraction(
			&SPA_FRACTION(60, 1), &SPA_FRACTION(1, 1), &SPA_FRACTION(MAX_FPS_OFFER, 1)),
		0);
	return spa_pod_builder_pop(b, &f[0]);
}

/*
 * The dma-buf variant: the guest's surface as it is, for the formats that
 * PipeWire names.  DRM fourccs are little-endian words, SPA's names are
 * byte orders: XR24 (B,G,R,X bytes) is BGRx.
 */
#define FOURCC(a, b, c, d) ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | \
			    ((uint32_t)(d) << 24))
static const struct dma_format {
	uint32_t fourcc;
	uint32_t spa;
	GstVideoFormat gst;	/* the linear rows the reader gives */
	uint32_t bpp;
} dma_formats[] = {
	{ FOURCC('X', 'R', '2', '4'), SPA_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_BGRx, 4 },
	{ FOURCC('A', 'R', '2', '4'), SPA_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_BGRA, 4 },
	{ FOURCC('X', 'B', '2', '4'), SPA_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_RGBx, 4 },
	{ FOURCC('A', 'B', '2', '4'), SPA_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_RGBA, 4 },
	{ FOURCC('Y', 'U', 'Y', 'V'), SPA_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_YUY2, 2 },
};

G_GNUC_UNUSED static const struct dma_format *dma_format_by_fourcc(uint32_t fourcc)
{
	for (guint i = 0; i < G_N_ELEMENTS(dma_formats); i++)
		if (dma_formats[i].fourcc == fourcc)
			return &dma_formats[i];
	return NULL;
}

static const struct dma_format *dma_format_by_gst(GstVideoFormat gst)
{
	for (guint i = 0; i < G_N_ELEMENTS(dma_formats); i++)
		if (dma_formats[i].gst == gst)
			return &dma_formats[i];
	return NULL;
}

static const struct dma_format *dma_format_by_spa(uint32_t spa)
{
	for (guint i = 0; i < G_N_ELEMENTS(dma_formats); i++)
		if (dma_formats[i].spa == spa)
			return &dma_formats[i];
	return NULL;
}

/*
 * Shared-memory formats.  OBS's camera source takes only RGBA or YUY2 before
 * OBS 32, over MemPtr.  YUY2 is offered only by a node whose guest is YUV,
 * where it is the guest's layout passed on as it is.  From an RGB guest it
 * would be a lossy CPU conversion (4:2:2 chroma) that V4L2 applications,
 * which prefer YUYV, would pick over BGRx (the streamd test's ffmpeg under
 * pw-v4l2 then failed its pixel-exact check, while YUY2 was offered); a
 * consumer that asks for it there is not linked ("no more input formats").
 */
struct shm_format {
	uint32_t spa;
	const char *gst;
	uint32_t bpp;		/* bytes per pixel, one plane */
};

static const struct shm_format shm_formats[] = {
	{ SPA_VIDEO_FORMAT_BGRx, "BGRx", 4 },
	{ SPA_VIDEO_FORMAT_RGBA, "RGBA", 4 },
	{ SPA_VIDEO_FORMAT_YUY2, "YUY2", 2 },
};

#define MAX_NODE_FORMATS G_N_ELEMENTS(shm_formats)

static const struct shm_format *shm_format_for(uint32_t spa)
{
	for (guint i = 0; i < G_N_ELEMENTS(shm_formats); i++)
		if (shm_formats[i].spa == spa)
			return &shm_formats[i];
	return NULL;
}

static const char *gst_name_for(uint32_t spa)
{
	const struct shm_format *f = shm_format_for(spa);

	return f ? f->gst : NULL;
}

/*
 * The node's EnumFormat list, in order of preference as in PipeWire's
 * video-src-fixate example: the guest's own layout first (a consumer that
 * takes anything gets it without a conversion), then the others.  In that
 * example each format comes twice, first as a dma-buf variant (with
 * SPA_FORMAT_VIDEO_modifier, MANDATORY | DONT_FIXATE), then without a
 * modifier for shared memory; the dma-buf variants are not offered yet, so
 * only the second half of each pair is here.
 */
static uint32_t node_formats(bool yuv, uint32_t ret_spa[MAX_NODE_FORMATS])
{
	uint32_t n = 0;

	if (yuv)
		ret_spa[n++] = SPA_VIDEO_FORMAT_YUY2;
	ret_spa[n++] = SPA_VIDEO_FORMAT_BGRx;
	ret_spa[n++] = SPA_VIDEO_FORMAT_RGBA;
	return n;
}

/* Room for the dma-buf variant, its fixated copy and the shared-memory ones. */
#define MAX_PARAMS (MAX_NODE_FORMATS + 2)

static uint32_t build_node_formats(struct streamd_vgpu *v, struct spa_pod_builder *b,
				   const struct spa_pod **params)
{
	uint32_t spa[MAX_NODE_FORMATS];
	uint32_t n, k = 0;

	g_mutex_lock(&v->lock);
	v->node_yuv = v->src_yuv;
	v->node_dma_spa = v->src_dma_spa;
	v->node_modifier = v->src_modifier;
	g_mutex_unlock(&v->lock);
	n = node_formats(v->node_yuv, spa);

	/* First the dma-buf variant (only where the capture has real
	 * dma-bufs), then shared memory, as PipeWire's dma-buf document
	 * orders them. */
	if (v->node_dma_spa)
		params[k++] = build_format(b, v->node_dma_spa, v->width, v->height, true,
					   v->node_modifier, false);
	for (uint32_t i = 0; i < n; i++)
		params[k++] = build_format(b, spa[i], v->width, v->height, false, 0, false);
	v->node_width = v->width;
	v->node_height = v->height;
	return k;
}

static void on_stream_state(void *data, enum pw_stream_state old, enum pw_stream_state state,
			    const char *error)
{
	struct streamd_vgpu *v = data;

	v->pw_state = state;
	if (state == PW_STREAM_STATE_STREAMING) {
		/* A new consumer has no picture and no cursor image yet. */
		g_mutex_lock(&v->lock);
		v->cursor_sent = 0;
		v->resend = true;
		g_mutex_unlock(&v->lock);
		pw_stream_trigger_process(v->stream);
	}
	if (pw_stream_get_node_id(v->stream) == SPA_ID_INVALID)
		return;	/* "connecting": nothing to say yet */
	slog(state == PW_STREAM_STATE_ERROR ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
	     "pipewire", v->device, "%s: node %u %s%s%s", v->device, pw_stream_get_node_id(v->stream),
	     pw_stream_state_as_string(state), error ? ": " : "", error ? error : "");
}

/* The dma-buf a sample's caps describe: fourcc, modifier and the format's
 * row here; false for system memory or a format PipeWire does not name. */
static bool dma_caps_parse(GstCaps *caps, uint64_t *ret_modifier, const struct dma_format **ret_df)
{
	GstCapsFeatures *feat = gst_caps_get_features(caps, 0);
	GstVideoInfo vi;

	if (!feat || !gst_caps_features_contains(feat, GST_CAPS_FEATURE_MEMORY_DMABUF))
		return false;
#if GST_CHECK_VERSION(1, 24, 0)
	if (gst_video_is_dma_drm_caps(caps)) {
		GstVideoInfoDmaDrm drm;

		if (!gst_video_info_dma_drm_from_caps(&drm, caps))
			return false;
		*ret_df = dma_format_by_fourcc(drm.drm_fourcc);
		*ret_modifier = drm.drm_modifier;
		return *ret_df != NULL;
	}
#endif
	/* 1.22's memory:DMABuf with a plain format: a linear surface. */
	if (!gst_video_info_from_caps(&vi, caps))
		return false;
	*ret_df = dma_format_by_gst(GST_VIDEO_INFO_FORMAT(&vi));
	*ret_modifier = 0;	/* DRM_FORMAT_MOD_LINEAR */
	return *ret_df != NULL;
}

static void caps_size(GstCaps *caps, uint32_t *ret_w, uint32_t *ret_h)
{
	GstStructure *s = gst_caps_get_structure(caps, 0);
	int w = 0, h = 0;

	gst_structure_get_int(s, "width", &w);
	gst_structure_get_int(s, "height", &h);
	*ret_w = w > 0 ? w : 0;
	*ret_h = h > 0 ? h : 0;
}

static const struct spa_pod *build_meta_params(struct spa_pod_builder *b, uint32_t type)
{
	switch (type) {
	case SPA_META_Header:
		return spa_pod_builder_add_object(b,
			SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
			SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	case SPA_META_VideoDamage:
		return spa_pod_builder_add_object(b,
			SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoDamage),
			SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(
				sizeof(struct spa_meta_region) * 16,
				sizeof(struct spa_meta_region) * 1,
				sizeof(struct spa_meta_region) * 16));
	default:
		return spa_pod_builder_add_object(b,
			SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
			SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(
				CURSOR_META_SIZE(MAX_CURSOR, MAX_CURSOR),
				CURSOR_META_SIZE(1, 1),
				CURSOR_META_SIZE(MAX_CURSOR, MAX_CURSOR)));
	}
}

/*
 * Format negotiation as in PipeWire's dma-buf document: a Format whose
 * modifier is still a choice (DONT_FIXATE) is ours to fixate: we pick the
 * surface's modifier and offer the fixated format first; the Format that
 * follows carries one modifier, and the buffers are then the surfaces'
 * own dma-bufs.  A Format without a modifier is shared memory.
 */
static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct streamd_vgpu *v = data;
	uint8_t buf[4096];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[MAX_PARAMS];
	const struct spa_pod_prop *mod;
	const struct shm_format *f = NULL;
	struct spa_rectangle size;
	uint32_t format, stride, n = 0, dsize;
	bool dmabuf = false;

	if (id != SPA_PARAM_Format || !param)
		return;
	/* PipeWire intersects with the EnumFormat list, so anything else
	 * here is a bug somewhere: say what came. */
	if (spa_pod_parse_object(param, SPA_TYPE_OBJECT_Format, NULL,
				 SPA_FORMAT_VIDEO_format, SPA_POD_Id(&format),
				 SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&size)) < 0) {
		pw_stream_set_error(v->stream, -EINVAL, "gvt-streamd: not a raw video format");
		return;
	}
	mod = spa_pod_find_prop(param, NULL, SPA_FORMAT_VIDEO_modifier);
	if (mod) {
		uint32_t n_vals = 0, choice = 0;
		const struct spa_pod *vals = spa_pod_get_values(&mod->value, &n_vals, &choice);
		const int64_t *m = SPA_POD_BODY_CONST(vals);
		bool ours = false;

		if (!v->node_dma_spa || format != v->node_dma_spa ||
		    SPA_POD_TYPE(vals) != SPA_TYPE_Long) {
			pw_stream_set_error(v->stream, -EINVAL,
					    "gvt-streamd: dma-buf format %u is not offered", format);
			return;
		}
		for (uint32_t i = 0; i < n_vals; i++)
			ours |= (uint64_t)m[i] == v->node_modifier;
		if (!ours) {
			pw_stream_set_error(v->stream, -EINVAL,
					    "gvt-streamd: the consumer does not take the surface's modifier 0x%016" PRIx64,
					    v->node_modifier);
			return;
		}
		if (mod->flags & SPA_POD_PROP_FLAG_DONT_FIXATE) {
			params[n++] = build_format(&b, v->node_dma_spa, v->width, v->height, true,
						   v->node_modifier, true);
			n += build_node_formats(v, &b, params + n);
			v->fixated = true;
			pw_stream_update_params(v->stream, params, n);
			return;
		}
		dmabuf = true;
	} else {
		f = shm_format_for(format);
		if (!f || (format == SPA_VIDEO_FORMAT_YUY2 && !v->node_yuv)) {
			pw_stream_set_error(v->stream, -EINVAL,
					    "gvt-streamd: video format %u is not offered (%s)", format,
					    v->node_yuv ? "YUY2, BGRx, RGBA" : "BGRx, RGBA: YUY2 only from a YUV guest");
			return;
		}
	}
	v->spa_format = format;
	v->use_dmabuf = dmabuf;
	v->fmt_width = size.width;
	v->fmt_height = size.height;
	v->n_added = 0;
	v->sent_pts = GST_CLOCK_TIME_NONE;	/* a new format: the consumer has no frame */

	if (dmabuf) {
		const struct dma_format *df = dma_format_by_spa(format);

		g_mutex_lock(&v->lock);
		dsize = v->dma_stride * size.height;
		stride = v->dma_stride;
		g_mutex_unlock(&v->lock);
		if (!stride)
			stride = size.width * df->bpp;
		/* At least as many buffers as surfaces, so that each surface
		 * has one; pipewiresrc asks for 8 by default. */
		params[n++] = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
			SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(
				8, MAX(v->n_surf, 2), MAX_PW_BUFFERS),
			SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
			SPA_PARAM_BUFFERS_size, SPA_POD_Int(dsize ? dsize : stride * size.height),
			SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
			SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(1 << SPA_DATA_DmaBuf));
	} else {
		stride = SPA_ROUND_UP_N(size.width * f->bpp, 4);
		v->shm_size = stride * size.height;
		params[n++] = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
			SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(4, 2, 8),
			SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
			SPA_PARAM_BUFFERS_size, SPA_POD_Int(stride * size.height),
			SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
			SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(
				(1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
	}
	params[n++] = build_meta_params(&b, SPA_META_Header);
	params[n++] = build_meta_params(&b, SPA_META_VideoDamage);
	params[n++] = build_meta_params(&b, SPA_META_Cursor);
	pw_stream_update_params(v->stream, params, n);
	if (dmabuf)
		slog(G_LOG_LEVEL_MESSAGE, "pipewire", v->device,
		     "%s: consumer negotiated dma-buf %s:0x%016" PRIx64 " %ux%u", v->device,
		     gst_video_format_to_string(dma_format_by_spa(format)->gst), v->node_modifier,
		     size.width, size.height);
	else
		slog(G_LOG_LEVEL_MESSAGE, "pipewire", v->device, "%s: consumer negotiated %s %ux%u",
		     v->device, f->gst, size.width, size.height);
}

/* Per PipeWire buffer (pw_buffer.user_data). */
struct buf_priv {
	GstMemory *mem;		/* dma-buf: the surface whose fd it carries */
	void *map;		/* shared memory we allocated */
	size_t map_size;
	int memfd;		/* ours, or -1 */
};

/* A buffer's memory: the stream being destroyed with our listener gone
 * calls no remove_buffer, so node_destroy_locked() frees what is left. */
static void buf_priv_free(struct buf_priv *p)
{
	if (p->mem)
		gst_memory_unref(p->mem);	/* the fd was the memory's */
	else if (p->memfd >= 0) {
		munmap(p->map, p->map_size);
		close(p->memfd);
	} else
		g_free(p->map);
	g_free(p);
}

/*
 * PW_STREAM_FLAG_ALLOC_BUFFERS: the buffers are ours.  A dma-buf buffer
 * carries the fd of one of the capture's surfaces (the element's own
 * GstMemory, the same file every time the guest shows that surface),
 * round robin over the surfaces known now; shared memory is a memfd (or
 * plain memory for MemPtr) of the negotiated frame size.
 */
static void on_add_buffer(void *data, struct pw_buffer *pb)
{
	struct streamd_vgpu *v = data;
	struct spa_data *d = &pb->buffer->datas[0];
	struct buf_priv *p = g_new0(struct buf_priv, 1);
	gsize moff = 0, msize = 0, mmax = 0;

	p->memfd = -1;
	pb->user_data = p;
	g_ptr_array_add(v->bufs, p);
	if (v->use_dmabuf && (d->type & (1u << SPA_DATA_DmaBuf))) {
		g_mutex_lock(&v->lock);
		if (v->n_surf)
			p->mem = gst_memory_ref(v->surf[v->n_added++ % v->n_surf].mem);
		g_mutex_unlock(&v->lock);
		if (!p->mem) {
			pw_stream_set_error(v->stream, -EIO, "gvt-streamd: no surface for a dma-buf buffer");
			return;
		}
		msize = gst_memory_get_sizes(p->mem, &moff, &mmax);
		d->type = SPA_DATA_DmaBuf;
		d->flags = SPA_DATA_FLAG_READABLE;
		d->fd = gst_dmabuf_memory_get_fd(p->mem);
		d->mapoffset = 0;
		d->maxsize = moff + msize;
		d->data = NULL;
		return;
	}
	p->map_size = v->shm_size;
	if (d->type & (1u << SPA_DATA_MemFd)) {
		int fd = memfd_create("gvt-streamd-frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);

		if (fd < 0 || ftruncate(fd, p->map_size) < 0 ||
		    (p->map = mmap(NULL, p->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
			    MAP_FAILED) {
			int err = errno;

			if (fd >= 0)
				close(fd);
			p->map = NULL;
			pw_stream_set_error(v->stream, -err, "gvt-streamd: cannot make a frame memfd: %s",
					    g_strerror(err));
			return;
		}
		fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
		p->memfd = fd;
		d->type = SPA_DATA_MemFd;
		d->flags = SPA_DATA_FLAG_READWRITE;
		d->fd = fd;
	} else {
		p->map = g_malloc0(p->map_size);
		d->type = SPA_DATA_MemPtr;
		d->flags = SPA_DATA_FLAG_READWRITE;
		d->fd = -1;
	}
	d->mapoffset = 0;
	d->maxsize = p->map_size;
	d->data = p->map;
}

static void on_remove_buffer(void *data, struct pw_buffer *pb)
{
	struct streamd_vgpu *v = data;
	struct buf_priv *p = pb->user_data;
	struct spa_data *d = &pb->buffer->datas[0];

	for (uint32_t i = 0; i < v->n_held; i++)
		if (v->held[i] == pb) {
			v->held[i] = v->held[--v->n_held];
			break;
		}
	if (!p)
		return;
	g_ptr_array_remove_fast(v->bufs, p);
	buf_priv_free(p);
	d->fd = -1;
	d->data = NULL;
	pb->user_data = NULL;
}

/*
 * SPA_META_Cursor: position on every frame, the bitmap when it changed and
 * once a second (consumers keep the last one), id 0 when the guest shows
 * no cursor.
 */
static void fill_cursor(struct streamd_vgpu *v, struct spa_buffer *sb, GstClockTime pts)
{
	struct spa_meta *m = spa_buffer_find_meta(sb, SPA_META_Cursor);
	struct spa_meta_cursor *c;
	struct spa_meta_bitmap *bm;
	GstMapInfo map;
	bool found = false, visible = false;
	int32_t x = 0, y = 0;

	if (!m || m->size < sizeof(*c))
		return;
	c = m->data;
	g_mutex_lock(&v->lock);
	for (guint i = 0; i < G_N_ELEMENTS(v->cursor_pos); i++)
		if (v->cursor_pos[i].pts == pts) {
			found = true;
			visible = v->cursor_pos[i].visible;
			x = v->cursor_pos[i].x;
			y = v->cursor_pos[i].y;
		}
	if (!found || !visible || !v->cursor_pixels) {
		c->id = 0;
		c->bitmap_offset = 0;
		g_mutex_unlock(&v->lock);
		return;
	}
	c->id = 1;
	c->flags = 0;
	c->position.x = x;
	c->position.y = y;
	c->hotspot.x = 0;	/* the position already has the hotspot applied */
	c->hotspot.y = 0;
	c->bitmap_offset = 0;
	/* Again every second, for consumers that joined since. */
	if ((v->cursor_sent != v->cursor_serial ||
	     g_get_monotonic_time() - v->cursor_sent_time >= G_USEC_PER_SEC) &&
	    m->size >= CURSOR_META_SIZE(v->cursor_w, v->cursor_h) &&
	    gst_buffer_map(v->cursor_pixels, &map, GST_MAP_READ)) {
		c->bitmap_offset = sizeof(*c);
		bm = SPA_PTROFF(c, c->bitmap_offset, struct spa_meta_bitmap);
		bm->format = SPA_VIDEO_FORMAT_BGRA;
		bm->size.width = v->cursor_w;
		bm->size.height = v->cursor_h;
		bm->stride = v->cursor_w * 4;
		bm->offset = sizeof(*bm);
		for (uint32_t row = 0; row < v->cursor_h; row++)
			memcpy(SPA_PTROFF(bm, bm->offset + row * bm->stride, void),
			       map.data + row * v->cursor_stride, v->cursor_w * 4);
		gst_buffer_unmap(v->cursor_pixels, &map);
		v->cursor_sent = v->cursor_serial;
		v->cursor_sent_time = g_get_monotonic_time();
	}
	g_mutex_unlock(&v->lock);
}

/* Runs in the PipeWire thread after pw_stream_trigger_process(). */
static void fill_metas(struct streamd_vgpu *v, struct spa_buffer *sb, GstSample *sample)
{
	GstBuffer *gb = gst_sample_get_buffer(sample);
	struct spa_meta_header *h;

	v->sent_pts = GST_BUFFER_PTS(gb);
	struct spa_meta *m;

	h = spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(*h));
	if (h) {
		h->flags = 0;
		h->offset = 0;
		h->seq = v->seq++;
		h->pts = GST_BUFFER_PTS_IS_VALID(gb) ? (int64_t)(GST_BUFFER_PTS(gb) + gst_element_get_base_time(v->pipeline)) : -1;
		h->dts_offset = 0;
	}
	m = spa_buffer_find_meta(sb, SPA_META_VideoDamage);
	if (m && m->size >= sizeof(struct spa_meta_region)) {
		struct spa_meta_region *r = m->data;

		/* Whole-frame damage until the library's damage is carried. */
		r[0].region = SPA_REGION(0, 0, v->fmt_width, v->fmt_height);
		if (m->size >= 2 * sizeof(*r))
			r[1].region = SPA_REGION(0, 0, 0, 0);
	}
	fill_cursor(v, sb, GST_BUFFER_PTS(gb));
}

/* The element's dma-buf of this frame, or NULL (system memory). */
static GstMemory *sample_dmabuf(GstSample *sample, GstVideoMeta **ret_meta)
{
	GstBuffer *gb = gst_sample_get_buffer(sample);
	GstMemory *mem;

	if (!gb || gst_buffer_n_memory(gb) != 1)
		return NULL;
	mem = gst_buffer_peek_memory(gb, 0);
	*ret_meta = gst_buffer_get_video_meta(gb);
	return gst_is_dmabuf_memory(mem) && *ret_meta ? mem : NULL;
}

/*
 * The dma-buf path: queue a PipeWire buffer that carries this frame's
 * surface.  The buffers we hold (dequeued earlier for another surface)
 * wait in v->held; the consumer gives the others back.  Nothing is read.
 */
static void publish_dmabuf(struct streamd_vgpu *v, GstSample *sample)
{
	GstVideoMeta *vm = NULL;
	GstMemory *mem = sample_dmabuf(sample, &vm);
	struct pw_buffer *pb = NULL;
	struct spa_data *d;
	gsize moff = 0;

	if (!mem || vm->width != v->fmt_width || vm->height != v->fmt_height)
		return;	/* the capture or the consumer has not switched yet */
	while (v->n_held < MAX_PW_BUFFERS && (pb = pw_stream_dequeue_buffer(v->stream)))
		v->held[v->n_held++] = pb;
	pb = NULL;
	for (uint32_t i = 0; i < v->n_held; i++) {
		struct buf_priv *p = v->held[i]->user_data;

		if (p && p->mem == mem) {
			pb = v->held[i];
			v->held[i] = v->held[--v->n_held];
			break;
		}
	}
	if (!pb)
		return;	/* a new surface (renegotiating), or the consumer holds all of its buffers */
	gst_memory_get_sizes(mem, &moff, NULL);
	d = &pb->buffer->datas[0];
	d->chunk->offset = moff + vm->offset[0];
	d->chunk->stride = vm->stride[0];
	d->chunk->size = MIN((uint64_t)vm->stride[0] * vm->height, d->maxsize - d->chunk->offset);
	d->chunk->flags = 0;
	fill_metas(v, pb->buffer, sample);
	pw_stream_queue_buffer(v->stream, pb);
	g_mutex_lock(&v->lock);
	v->frames_published++;
	v->frames_dmabuf++;
	g_mutex_unlock(&v->lock);
}

/* Our id for a surface (the reader's cache key), 0 if unknown. */
static uint32_t surface_id(struct streamd_vgpu *v, GstMemory *mem)
{
	uint32_t id = 0;

	g_mutex_lock(&v->lock);
	for (uint32_t i = 0; i < v->n_surf; i++)
		if (v->surf[i].mem == mem)
			id = v->surf[i].id;
	g_mutex_unlock(&v->lock);
	return id;
}

/*
 * The shared-memory path is a copy by nature (the consumer asked for memory
 * it can map): system memory from the element is converted (or copied) into
 * the PipeWire buffer; a dma-buf is first read by the library's reader
 * (mmap, or an EGL import where the CPU cannot map it), detiled.
 */
static void publish_shm(struct streamd_vgpu *v, GstSample *sample)
{
	const struct shm_format *f = shm_format_for(v->spa_format);
	GstCaps *caps = gst_sample_get_caps(sample);
	GstBuffer *gb = gst_sample_get_buffer(sample), *in_buf = NULL, *out_buf = NULL;
	const struct dma_format *df = NULL;
	GstVideoMeta *vm = NULL;
	GstMemory *mem = sample_dmabuf(sample, &vm);
	GstVideoInfo in, out;
	GstVideoFrame fin, fout;
	struct pw_buffer *pb;
	struct spa_data *d;
	uint64_t modifier = 0;
	uint32_t w, h;
	bool in_mapped = false, out_mapped = false, direct = false;

	if (!f)
		return;
	caps_size(caps, &w, &h);
	if (w != v->fmt_width || h != v->fmt_height)
		return;	/* the capture or the consumer has not switched yet */
	if (mem) {
		if (!dma_caps_parse(caps, &modifier, &df))
			return;
		gst_video_info_set_format(&in, df->gst, w, h);
	} else if (!gst_video_info_from_caps(&in, caps)) {
		return;
	}
	pb = pw_stream_dequeue_buffer(v->stream);
	if (!pb)
		return;	/* the consumer holds every buffer: drop this frame */
	d = &pb->buffer->datas[0];
	gst_video_info_set_format(&out, gst_video_format_from_string(f->gst), w, h);
	if (!d->data || d->maxsize < out.size)
		goto requeue;
	if (mem) {
		struct gvtdmabuf_dmabuf db = {
			.width = w, .height = h, .fourcc = df->fourcc, .modifier = modifier,
			.dmabuf_id = surface_id(v, mem), .n_planes = 1, .is_dmabuf = true,
		};
		gsize moff = 0, mmax = 0;
		int r;

		gst_memory_get_sizes(mem, &moff, &mmax);
		db.size = mmax;
		db.offset[0] = moff + vm->offset[0];
		db.stride[0] = vm->stride[0];
		db.fd[0] = gst_dmabuf_memory_get_fd(mem);
		/* The consumer's own format: read straight into its buffer,
		 * the one copy this path needs. */
		direct = GST_VIDEO_INFO_FORMAT(&in) == GST_VIDEO_INFO_FORMAT(&out);
		if (!direct && v->scratch_size < in.size) {
			g_free(v->scratch);
			v->scratch = g_malloc(in.size);
			v->scratch_size = in.size;
		}
		r = v->reader ? 0 : gvtdmabuf_reader_create(0, &v->reader);
		if (r == 0)
			r = gvtdmabuf_reader_read(v->reader, &db, direct ? d->data : v->scratch,
						  direct ? (uint32_t)GST_VIDEO_INFO_PLANE_STRIDE(&out, 0) :
							   (uint32_t)in.stride[0]);
		if (r < 0) {
			if (!v->read_failed)
				slog(G_LOG_LEVEL_WARNING, "pipewire", v->device,
				     "%s: cannot read the dma-buf for a shared-memory consumer: %s",
				     v->device, v->reader ? gvtdmabuf_reader_get_error(v->reader) : g_strerror(-r));
			v->read_failed = true;
			goto requeue;
		}
		g_mutex_lock(&v->lock);
		v->frames_read++;
		g_mutex_unlock(&v->lock);
		if (direct)
			goto done;
		in_buf = gst_buffer_new_wrapped_full(0, v->scratch, v->scratch_size, 0, in.size,
						     NULL, NULL);
		in_mapped = gst_video_frame_map(&fin, &in, in_buf, GST_MAP_READ);
	} else {
		in_mapped = gst_video_frame_map(&fin, &in, gb, GST_MAP_READ);
	}
	out_buf = gst_buffer_new_wrapped_full(0, d->data, d->maxsize, 0, out.size, NULL, NULL);
	out_mapped = gst_video_frame_map(&fout, &out, out_buf, GST_MAP_WRITE);
	if (!in_mapped || !out_mapped)
		goto unmap;
	if (GST_VIDEO_INFO_FORMAT(&in) == GST_VIDEO_INFO_FORMAT(&out)) {
		uint32_t row = GST_VIDEO_FRAME_COMP_WIDTH(&fout, 0) * GST_VIDEO_FRAME_COMP_PSTRIDE(&fout, 0);

		if (GST_VIDEO_INFO_FORMAT(&out) == GST_VIDEO_FORMAT_YUY2)
			row = GST_ROUND_UP_2(w) * 2;
		for (uint32_t y = 0; y < h; y++)
			memcpy((uint8_t *)GST_VIDEO_FRAME_PLANE_DATA(&fout, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&fout, 0),
			       (uint8_t *)GST_VIDEO_FRAME_PLANE_DATA(&fin, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&fin, 0),
			       row);
	} else {
		if (!v->conv || !gst_video_info_is_equal(&v->conv_in, &in) ||
		    !gst_video_info_is_equal(&v->conv_out, &out)) {
			if (v->conv)
				gst_video_converter_free(v->conv);
			v->conv = gst_video_converter_new(&in, &out, NULL);
			v->conv_in = in;
			v->conv_out = out;
		}
		if (!v->conv)
			goto unmap;
		gst_video_converter_frame(v->conv, &fin, &fout);
	}
done:
	d->chunk->offset = 0;
	d->chunk->stride = GST_VIDEO_INFO_PLANE_STRIDE(&out, 0);
	d->chunk->size = out.size;
	d->chunk->flags = 0;
	fill_metas(v, pb->buffer, sample);
	g_mutex_lock(&v->lock);
	v->frames_published++;
	g_mutex_unlock(&v->lock);
unmap:
	if (in_mapped)
		gst_video_frame_unmap(&fin);
	if (out_mapped)
		gst_video_frame_unmap(&fout);
	if (in_buf)
		gst_buffer_unref(in_buf);
	if (out_buf)
		gst_buffer_unref(out_buf);
requeue:
	pw_stream_queue_buffer(v->stream, pb);
}

static void on_process(void *data)
{
	struct streamd_vgpu *v = data;
	GstSample *sample;

	g_mutex_lock(&v->lock);
	sample = v->sample;
	v->sample = NULL;
	/* A consumer that just joined an idle desktop gets the picture now,
	 * not at the guest's next change. */
	if (!sample && v->resend && v->last &&
	    GST_BUFFER_PTS(gst_sample_get_buffer(v->last)) != v->sent_pts)
		sample = gst_sample_ref(v->last);
	v->resend = false;
	g_mutex_unlock(&v->lock);
	if (!sample)
		return;
	if (v->use_dmabuf)
		publish_dmabuf(v, sample);
	else if (v->spa_format)
		publish_shm(v, sample);
	gst_sample_unref(sample);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_stream_state,
	.param_changed = on_param_changed,
	.add_buffer = on_add_buffer,
	.remove_buffer = on_remove_buffer,
	.process = on_process,
};

/* Called with the thread loop locked. */
static void node_destroy_locked(struct streamd_vgpu *v)
{
	if (!v->stream)
		return;
	spa_hook_remove(&v->stream_listener);
	pw_stream_destroy(v->stream);
	v->stream = NULL;
	while (v->bufs->len)
		buf_priv_free(g_ptr_array_steal_index_fast(v->bufs, v->bufs->len - 1));
	v->spa_format = 0;
	v->use_dmabuf = false;
	v->fmt_width = v->fmt_height = 0;
	v->n_held = 0;
	v->pw_state = PW_STREAM_STATE_UNCONNECTED;
}

static int node_create_locked(struct streamd_vgpu *v, struct pw_core *core)
{
	uint8_t buf[2048];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[MAX_PARAMS];
	struct pw_properties *props;
	uint32_t n_params;
	int res;

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video",
				  PW_KEY_MEDIA_CATEGORY, "Capture",
				  PW_KEY_MEDIA_ROLE, "Camera",
				  PW_KEY_MEDIA_CLASS, "Video/Source",
				  PW_KEY_NODE_NAME, v->node_name,
				  PW_KEY_NODE_DESCRIPTION, v->name,
				  "gvt-streamd.device", v->device,
				  NULL);
	v->stream = pw_stream_new(core, v->node_name, props);
	if (!v->stream)
		return -errno;
	pw_stream_add_listener(v->stream, &v->stream_listener, &stream_events, v);
	n_params = build_node_formats(v, &b, params);
	res = pw_stream_connect(v->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
				/* Our buffers (the surfaces' dma-bufs, or
				 * memfds we map): nothing for the stream to
				 * map or allocate. */
				PW_STREAM_FLAG_DRIVER | PW_STREAM_FLAG_ALLOC_BUFFERS,
				params, n_params);
	if (res < 0)
		node_destroy_locked(v);
	return res;
}

/* The node needs the capture's size: it is made once frames flow (for a
 * dma-buf capture, once its surfaces are known: see settling) and
 * whenever PipeWire (re)connects or the size changes. */
static void node_update(struct streamd_vgpu *v)
{
	struct pw_core *core;
	bool renegotiate, settling;
	char surfaces[32];
	uint32_t src_dma_spa;
	uint64_t src_modifier;

	if (!v->pw)
		return;
	pw_thread_loop_lock(v->pw->loop);
	core = v->pw->up ? v->pw->core : NULL;
	if (v->stream && !core)
		node_destroy_locked(v);
	g_mutex_lock(&v->lock);
	settling = v->settling;
	renegotiate = v->renegotiate && !settling;
	if (renegotiate)
		v->renegotiate = false;
	src_dma_spa = v->src_dma_spa;
	src_modifier = v->src_modifier;
	g_snprintf(surfaces, sizeof(surfaces), "%u surface%s", v->n_surf, v->n_surf == 1 ? "" : "s");
	g_mutex_unlock(&v->lock);
	if (settling) {
		/* settle_main() or the cycle's end calls again */
	} else if (v->stream && (v->node_width != v->width || v->node_height != v->height ||
			  v->node_yuv != v->src_yuv || v->node_dma_spa != src_dma_spa ||
			  v->node_modifier != src_modifier || (renegotiate && v->use_dmabuf))) {
		/* A new mode, a guest format between RGB and YUV, dma-bufs
		 * coming or going, or a surface that no buffer carries yet:
		 * offer it on the same node (its id and serial stay,
		 * consumers renegotiate and get new buffers). */
		uint8_t buf[2048];
		struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
		const struct spa_pod *params[MAX_PARAMS];
		uint32_t n_params = build_node_formats(v, &b, params);

		pw_stream_update_params(v->stream, params, n_params);
		slog(G_LOG_LEVEL_MESSAGE, "pipewire", v->device, "%s: node offers %ux%u, %s first, now%s%s",
		     v->device, v->width, v->height,
		     v->node_dma_spa ? "dma-buf" : v->node_yuv ? "YUY2" : "BGRx",
		     v->node_dma_spa ? ": " : "", v->node_dma_spa ? surfaces : "");
	}
	if (!v->stream && core && v->width && !settling) {
		int res = node_create_locked(v, core);

		if (res < 0)
			slog(G_LOG_LEVEL_WARNING, "pipewire", v->device,
			     "%s: cannot publish a PipeWire node: %s", v->device, g_strerror(-res));
		else
			slog(G_LOG_LEVEL_MESSAGE, "pipewire", v->device, "%s: PipeWire node %s (%s), %ux%u%s%s",
			     v->device, v->node_name, v->name, v->width, v->height,
			     v->node_dma_spa ? ", dma-buf first: " : "", v->node_dma_spa ? surfaces : "");
	}
	pw_thread_loop_unlock(v->pw->loop);
}

void streamd_vgpu_pw_changed(struct streamd_vgpu *v, bool up)
{
	node_update(v);
}

static gboolean size_changed_main(gpointer user)
{
	node_update(user);
	return G_SOURCE_REMOVE;
}

/* SURFACE_SETTLE_MS without a new surface: offer what is known. */
static gboolean settle_main(gpointer user)
{
	struct streamd_vgpu *v = user;

	v->settle_source = 0;
	g_mutex_lock(&v->lock);
	v->settling = false;
	g_mutex_unlock(&v->lock);
	node_update(v);
	return G_SOURCE_REMOVE;
}

/* A new surface (idle call from the streaming thread): wait again. */
static gboolean new_surface_main(gpointer user)
{
	struct streamd_vgpu *v = user;
	bool settling;

	g_mutex_lock(&v->lock);
	settling = v->settling;
	g_mutex_unlock(&v->lock);
	if (v->settle_source)
		g_source_remove(v->settle_source);
	v->settle_source = settling ? g_timeout_add(SURFACE_SETTLE_MS, settle_main, v) : 0;
	return G_SOURCE_REMOVE;
}

/* With v->lock held.  Buffers keep their own references. */
static void surfaces_clear_locked(struct streamd_vgpu *v)
{
	for (uint32_t i = 0; i < v->n_surf; i++)
		gst_memory_unref(v->surf[i].mem);
	v->n_surf = 0;
}

/* Streaming thread of the PipeWire branch. */
static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer user)
{
	struct streamd_vgpu *v = user;
	GstSample *sample = gst_app_sink_pull_sample(sink);
	GstVideoMeta *vm = NULL;
	GstMemory *mem;
	int64_t now = g_get_monotonic_time();
	uint32_t w, h;
	bool new_surface = false, settled = false;

	if (!sample)
		return GST_FLOW_EOS;
	caps_size(gst_sample_get_caps(sample), &w, &h);
	/* A surface not seen before: the PipeWire buffers carry the fds of
	 * the surfaces known when they were made, so a dma-buf consumer
	 * needs new ones (once per surface; a guest shows a few in turn). */
	mem = sample_dmabuf(sample, &vm);
	if (mem) {
		g_mutex_lock(&v->lock);
		new_surface = true;
		for (uint32_t i = 0; i < v->n_surf; i++)
			if (v->surf[i].mem == mem)
				new_surface = false;
		if (new_surface) {
			if (v->n_surf == MAX_SURFACES)
				surfaces_clear_locked(v);
			v->surf[v->n_surf].mem = gst_memory_ref(mem);
			v->surf[v->n_surf].id = ++v->surf_ids;
			v->n_surf++;
			v->dma_stride = vm->stride[0];
			v->renegotiate = true;
			v->settling = true;
		} else if (v->settling) {
			/* A surface seen before: the guest's cycle is known. */
			v->settling = false;
			settled = true;
		}
		g_mutex_unlock(&v->lock);
	}
	if (w && h && (w != v->width || h != v->height)) {
		g_mutex_lock(&v->lock);
		v->width = w;
		v->height = h;
		g_mutex_unlock(&v->lock);
		slog(G_LOG_LEVEL_MESSAGE, "capture", v->device, "%s: capturing %ux%u",
		     v->device, v->width, v->height);
		g_idle_add_full(G_PRIORITY_DEFAULT, size_changed_main, v, NULL);
	}
	g_mutex_lock(&v->lock);
	if (v->sample)
		gst_sample_unref(v->sample);
	v->sample = sample;
	if (v->last)
		gst_sample_unref(v->last);
	v->last = gst_sample_ref(sample);
	v->frames++;
	if (now - v->fps_window_start >= G_USEC_PER_SEC) {
		if (v->fps_window_start)
			v->fps = v->fps_window_frames * (double)G_USEC_PER_SEC /
				 (now - v->fps_window_start);
		v->fps_window_start = now;
		v->fps_window_frames = 0;
	}
	v->fps_window_frames++;
	g_free(v->state);
	v->state = g_strdup("streaming");
	g_mutex_unlock(&v->lock);
	if (new_surface)
		g_idle_add_full(G_PRIORITY_DEFAULT, new_surface_main, v, NULL);
	if (settled)
		g_idle_add_full(G_PRIORITY_DEFAULT, size_changed_main, v, NULL);
	if (v->pw) {
		pw_thread_loop_lock(v->pw->loop);
		if (v->stream && v->pw_state == PW_STREAM_STATE_STREAMING)
			pw_stream_trigger_process(v->stream);
		pw_thread_loop_unlock(v->pw->loop);
	}
	return GST_FLOW_OK;
}

/* Before the converter: take the cursor from the element's overlay
 * composition meta (its image is read by the CPU once per cursor surface
 * by the element; here it is only referenced). */
static GstPadProbeReturn on_pw_branch_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	struct streamd_vgpu *v = user;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	GstVideoOverlayCompositionMeta *meta = gst_buffer_get_video_overlay_composition_meta(buf);
	GstVideoOverlayRectangle *rect = NULL;
	GstBuffer *pixels = NULL;
	GstVideoMeta *vm;
	gint x = 0, y = 0;
	guint w = 0, h = 0;

	if (meta && gst_video_overlay_composition_n_rectangles(meta->overlay) > 0) {
		rect = gst_video_overlay_composition_get_rectangle(meta->overlay, 0);
		gst_video_overlay_rectangle_get_render_rectangle(rect, &x, &y, &w, &h);
		pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb(rect,
			GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
	}
	g_mutex_lock(&v->lock);
	v->cursor_visible = pixels != NULL;
	if (pixels && pixels != v->cursor_pixels) {
		vm = gst_buffer_get_video_meta(pixels);
		gst_buffer_replace(&v->cursor_pixels, pixels);
		v->cursor_w = vm ? vm->width : w;
		v->cursor_h = vm ? vm->height : h;
		v->cursor_stride = vm ? (uint32_t)vm->stride[0] : w * 4;
		if (v->cursor_w > MAX_CURSOR || v->cursor_h > MAX_CURSOR)
			v->cursor_visible = false;
		v->cursor_serial++;
	}
	v->cursor_pos[v->cursor_pos_next].pts = GST_BUFFER_PTS(buf);
	v->cursor_pos[v->cursor_pos_next].x = x;
	v->cursor_pos[v->cursor_pos_next].y = y;
	v->cursor_pos[v->cursor_pos_next].visible = v->cursor_visible;
	v->cursor_pos_next = (v->cursor_pos_next + 1) % G_N_ELEMENTS(v->cursor_pos);
	g_mutex_unlock(&v->lock);
	return GST_PAD_PROBE_OK;
}

/* Before the converter: the guest's format, which decides whether the
 * node offers YUY2. */
static GstPadProbeReturn on_pw_branch_caps(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	struct streamd_vgpu *v = user;
	GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
	GstCaps *caps;
	GstVideoInfo vi;
	const struct dma_format *df = NULL;
	uint64_t modifier = 0;
	bool yuv, changed, relearn = false;

	if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
		return GST_PAD_PROBE_OK;
	gst_event_parse_caps(ev, &caps);
	if (dma_caps_parse(caps, &modifier, &df))
		yuv = GST_VIDEO_FORMAT_INFO_IS_YUV(gst_video_format_get_info(df->gst));
	else if (gst_video_info_from_caps(&vi, caps))
		yuv = GST_VIDEO_INFO_IS_YUV(&vi);
	else
		return GST_PAD_PROBE_OK;
	g_mutex_lock(&v->lock);
	changed = v->src_yuv != yuv || v->src_dma_spa != (df ? df->spa : 0) ||
		  v->src_modifier != modifier;
	v->src_yuv = yuv;
	v->src_dma_spa = df ? df->spa : 0;
	v->src_modifier = modifier;
	/* New caps: the surfaces are others now (a mode or format change).
	 * The same caps again (a reconfigure) keep them: new ones would
	 * mean a renegotiation of the node for nothing. */
	if (!v->src_caps || !gst_caps_is_equal(v->src_caps, caps)) {
		surfaces_clear_locked(v);
		gst_caps_replace(&v->src_caps, caps);
		/* Nothing to offer as dma-bufs until surfaces come. */
		relearn = df != NULL;
		if (relearn)
			v->settling = true;
	}
	g_mutex_unlock(&v->lock);
	if (relearn)
		g_idle_add_full(G_PRIORITY_DEFAULT, new_surface_main, v, NULL);
	if (changed)
		g_idle_add_full(G_PRIORITY_DEFAULT, size_changed_main, v, NULL);
	return GST_PAD_PROBE_OK;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
	struct streamd_vgpu *v = user;
	g_autoptr(GError) err = NULL;
	g_autofree char *dbg = NULL;

	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ERROR:
		gst_message_parse_error(msg, &err, &dbg);
		if (v->removed)
			break;	/* the flow error that follows the removal: said already */
		/* The source's NOT_FOUND while it runs: the vGPU is being
		 * removed (it has let go of the device already). */
		if (g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND) &&
		    GST_IS_ELEMENT(GST_MESSAGE_SRC(msg)) &&
		    !g_strcmp0(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), "src") && v->removed_cb) {
			v->removed = true;
			slog(G_LOG_LEVEL_WARNING, "capture", v->device, "%s: vGPU removed while streaming: %s",
			     v->device, err->message);
			set_state(v, "removed");
			v->removed_cb(v->removed_data, v, v->device);
			break;
		}
		slog(G_LOG_LEVEL_WARNING, "capture", v->device, "%s: capture failed: %s",
		     v->device, err->message);
		set_state(v, "error: %s", err->message);
		gst_element_set_state(v->pipeline, GST_STATE_NULL);
		break;
	case GST_MESSAGE_EOS:
		slog(G_LOG_LEVEL_MESSAGE, "capture", v->device, "%s: capture ended", v->device);
		set_state(v, "ended");
		break;
	default:
		break;
	}
	return G_SOURCE_CONTINUE;
}

struct streamd_vgpu *streamd_vgpu_create(const struct streamd_vgpu_config *cfg,
					 struct streamd_pw *pw, GError **error)
{
	struct streamd_vgpu *v = g_new0(struct streamd_vgpu, 1);
	g_autofree char *desc = NULL;
	g_autoptr(GstBus) bus = NULL;
	GstElement *src;
	GstAppSinkCallbacks cb = { .new_sample = on_new_sample };

	g_mutex_init(&v->lock);
	v->sent_pts = GST_CLOCK_TIME_NONE;
	v->bufs = g_ptr_array_new();
	v->device = g_strdup(cfg->device);
	v->name = g_strdup(cfg->name);
	v->encoder = g_strdup(cfg->encoder);
	v->bitrate = cfg->bitrate;
	v->gop = cfg->gop;
	v->node_name = node_name_for(cfg->node_key ? cfg->node_key : cfg->device);
	v->input = cfg->input;
	v->input_users = g_strdupv(cfg->input_users);
	v->state = g_strdup("starting");
	v->pw = pw;
	/* The tee is where the encode branch (encode.c) attaches. */
	/* io-mode=auto (the default): real dma-bufs go out as dma-bufs, and every branch
	 * takes them: the PipeWire branch both kinds, the encode branch
	 * through its own reader (encode.c, dmabuf-read.c). */
	desc = g_strdup_printf(
		"gvtdmabufsrc name=src io-mode=%s keepalive=%u max-framerate=%d/1 ! "
		"tee name=capture ! queue name=pw-queue leaky=downstream max-size-buffers=2 ! "
		"appsink name=pw-sink max-buffers=1 drop=true sync=false",
		cfg->io_mode ? cfg->io_mode : "auto", cfg->keepalive_ms, cfg->max_fps);
	/* FATAL_ERRORS: a missing element (gvtdmabufsrc not installed, or
	 * not on GST_PLUGIN_PATH) fails here, not as a pipeline without it */
	v->pipeline = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
	if (!v->pipeline) {
		g_prefix_error(error, "cannot make the capture pipeline (are the gvtdmabuf "
			       "and base GStreamer plugins installed?): ");
		goto error;
	}
	src = gst_bin_get_by_name(GST_BIN(v->pipeline), "src");
	/* The element forwards input only when the configuration allows
	 * some (input.c checks who); nothing else in the pipeline sends it. */
	g_object_set(src, "device", cfg->device, "input", cfg->input, NULL);
	v->src = src;
	v->appsink = gst_bin_get_by_name(GST_BIN(v->pipeline), "pw-sink");
	{
		GstElement *q = gst_bin_get_by_name(GST_BIN(v->pipeline), "pw-queue");
		GstPad *pad = gst_element_get_static_pad(q, "sink");

		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_pw_branch_buffer, v, NULL);
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_pw_branch_caps, v, NULL);
		gst_object_unref(pad);
		gst_object_unref(q);
	}
	gst_app_sink_set_callbacks(GST_APP_SINK(v->appsink), &cb, v, NULL);
	bus = gst_element_get_bus(v->pipeline);
	v->bus_watch = gst_bus_add_watch(bus, on_bus, v);
	if (gst_element_set_state(v->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		g_autoptr(GstMessage) m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
		g_autoptr(GError) e = NULL;

		if (m)
			gst_message_parse_error(m, &e, NULL);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s: %s", cfg->device,
			    e ? e->message : "the pipeline did not start");
		goto error;
	}
	slog(G_LOG_LEVEL_MESSAGE, "capture", v->device, "%s: capture started (%s)", v->device, v->name);
	v->started = true;
	return v;
error:
	streamd_vgpu_destroy(v);
	return NULL;
}

void streamd_vgpu_destroy(struct streamd_vgpu *v)
{
	if (!v)
		return;
	if (v->pipeline)
		gst_element_set_state(v->pipeline, GST_STATE_NULL);
	/* Stopped: no callback runs now.  Subscribers go before the encode. */
	streamd_rtsp_mount_destroy(v->rtsp);
	streamd_webrtc_mount_destroy(v->webrtc);
	streamd_push_destroy(v->push);
	streamd_encode_destroy(v->encode);
	if (v->pw) {
		pw_thread_loop_lock(v->pw->loop);
		node_destroy_locked(v);
		pw_thread_loop_unlock(v->pw->loop);
	}
	/* A size change may have queued an idle call for this vGPU. */
	while (g_idle_remove_by_data(v))
		;
	if (v->settle_source)
		g_source_remove(v->settle_source);
	gst_caps_replace(&v->src_caps, NULL);
	if (v->bus_watch)
		g_source_remove(v->bus_watch);
	g_clear_object(&v->src);
	g_strfreev(v->input_users);
	g_clear_object(&v->appsink);
	g_clear_object(&v->pipeline);
	if (v->sample)
		gst_sample_unref(v->sample);
	if (v->last)
		gst_sample_unref(v->last);
	gst_buffer_replace(&v->cursor_pixels, NULL);
	surfaces_clear_locked(v);
	gvtdmabuf_reader_destroy(v->reader);
	if (v->conv)
		gst_video_converter_free(v->conv);
	g_free(v->scratch);
	g_ptr_array_unref(v->bufs);
	/* a capture that did not open (a retry) has nothing to close */
	if (v->started)
		slog(G_LOG_LEVEL_MESSAGE, "capture", v->device, "%s: capture closed", v->device);
	g_mutex_clear(&v->lock);
	g_free(v->state);
	g_free(v->device);
	g_free(v->name);
	g_free(v->encoder);
	g_free(v->node_name);
	g_free(v);
}

bool streamd_vgpu_reconfigure(struct streamd_vgpu *v, const struct streamd_vgpu_config *cfg)
{
	(void)cfg;
	return false;	/* every change restarts the capture for now */
}

bool streamd_vgpu_input_policy(const struct streamd_vgpu *v, char *const **ret_users)
{
	*ret_users = v->input_users;
	return v->input;
}

bool streamd_vgpu_send_input(struct streamd_vgpu *v, GstStructure *s)
{
	if (!v->src) {
		gst_structure_free(s);
		return false;
	}
	/* On the src pad, as a downstream element sends it: the element's
	 * event handler answers whether the VM took it. */
	GstPad *pad = gst_element_get_static_pad(v->src, "src");
	bool ok = gst_pad_send_event(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));

	gst_object_unref(pad);
	return ok;
}

GVariant *streamd_vgpu_status(struct streamd_vgpu *v)
{
	GVariantBuilder b;
	uint32_t node_id = SPA_ID_INVALID;
	bool consumer = false;
	const char *fmt;

	if (v->pw) {
		pw_thread_loop_lock(v->pw->loop);
		if (v->stream)
			node_id = pw_stream_get_node_id(v->stream);
		consumer = v->stream && v->pw_state == PW_STREAM_STATE_STREAMING;
		fmt = v->use_dmabuf ? "dma-buf" : gst_name_for(v->spa_format);
		pw_thread_loop_unlock(v->pw->loop);
	} else {
		fmt = NULL;
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_mutex_lock(&v->lock);
	g_variant_builder_add(&b, "{sv}", "device", g_variant_new_string(v->device));
	g_variant_builder_add(&b, "{sv}", "name", g_variant_new_string(v->name));
	g_variant_builder_add(&b, "{sv}", "state", g_variant_new_string(v->state));
	g_variant_builder_add(&b, "{sv}", "width", g_variant_new_uint32(v->width));
	g_variant_builder_add(&b, "{sv}", "height", g_variant_new_uint32(v->height));
	g_variant_builder_add(&b, "{sv}", "fps", g_variant_new_double(v->fps));
	g_variant_builder_add(&b, "{sv}", "frames", g_variant_new_uint64(v->frames));
	g_variant_builder_add(&b, "{sv}", "frames-published", g_variant_new_uint64(v->frames_published));
	g_variant_builder_add(&b, "{sv}", "frames-dmabuf", g_variant_new_uint64(v->frames_dmabuf));
	g_variant_builder_add(&b, "{sv}", "frames-read", g_variant_new_uint64(v->frames_read));
	g_variant_builder_add(&b, "{sv}", "dmabuf-surfaces", g_variant_new_uint32(v->n_surf));
	g_mutex_unlock(&v->lock);
	g_variant_builder_add(&b, "{sv}", "node-name", g_variant_new_string(v->node_name));
	g_variant_builder_add(&b, "{sv}", "node-id",
			      g_variant_new_int64(node_id == SPA_ID_INVALID ? -1 : (int64_t)node_id));
	g_variant_builder_add(&b, "{sv}", "consumers", g_variant_new_uint32(consumer ? 1 : 0));
	g_variant_builder_add(&b, "{sv}", "format", g_variant_new_string(fmt ? fmt : ""));
	if (v->encode)
		streamd_encode_status(v->encode, &b);
	if (v->rtsp)
		streamd_rtsp_mount_status(v->rtsp, &b);
	if (v->webrtc)
		streamd_webrtc_mount_status(v->webrtc, &b);
	if (v->push)
		streamd_push_status(v->push, &b);
	return g_variant_builder_end(&b);
}
