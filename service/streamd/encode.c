/* SPDX-License-Identifier: MIT */
/*
 * The per-vGPU H.264 encode, in the capture pipeline (the VFIO device is
 * single-open, so there is no second capture):
 *
 *   software:  tee ! streamd-dmabufread ! queue ! videoconvert ! ENCODER ...
 *   VA-API:    tee ! streamd-dmabufread import=true ! POSTPROC ! queue ! ENCODER ...
 *
 * then h264parse ! capsfilter ! appsink.  POSTPROC is the VA plugin's own
 * (vapostproc for vah264enc, vaapipostproc for vaapih264enc): it imports
 * the capture's dma-bufs and converts them to NV12 on the GPU, so no pixel
 * is read by the CPU; a dma-buf it does not take is read into system memory
 * by streamd-dmabufread instead, which GetStatus shows (encode-feed).  Its
 * access units go to every subscriber's callback; a probe before the read
 * drops frames while there is none, so an unwatched vGPU costs no encoding.
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include "encode.h"

#include <string.h>

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "dmabuf-read.h"
#include "streamd.h"

struct subscriber {
	unsigned id;
	streamd_encode_unit_cb cb;
	void *user;
};

struct streamd_encode {
	char *device;
	char *encoder_name;	/* factory chosen */
	GstElement *queue;	/* first element of the branch (ref) */
	GstElement *read;	/* streamd-dmabufread (ref) */
	const char *postproc;	/* VA-API's importer before the encoder, or NULL */
	GstElement *sink;	/* appsink (ref) */
	GstPad *teepad;		/* request pad on the capture tee (ref) */

	/* Held while the callbacks run: unsubscribe waits for them. */
	GMutex lock;
	GArray *subs;		/* struct subscriber */
	unsigned next_id;
	GstCaps *caps;		/* of the encoded stream, once known */
	guint64 units;		/* access units encoded */
	gint n_subs;		/* atomic: read by the drop probe */
	gint keyframes_forced;	/* atomic: bumped from callbacks too */
};

/* Candidates in order: VA-API where a device exists (the va plugin only
 * registers its encoders for devices it found), then software. */
static const char *const encoder_order[] = { "vah264enc", "vaapih264enc", "x264enc", "openh264enc" };

/* The VA-API encoders and the importer that feeds each one dma-bufs. */
static const struct {
	const char *encoder, *postproc, *caps;
} va_feeds[] = {
	{ "vah264enc", "vapostproc", "video/x-raw(memory:VAMemory),format=NV12;video/x-raw,format=NV12" },
	{ "vaapih264enc", "vaapipostproc",
	  "video/x-raw(memory:VASurface),format=NV12;video/x-raw,format=NV12" },
};

static const char *pick_encoder(const char *configured, GError **error)
{
	if (configured && strcmp(configured, "auto")) {
		GstElementFactory *f = gst_element_factory_find(configured);

		if (!f) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "encoder '%s' is not available (is its GStreamer plugin installed?)",
				    configured);
			return NULL;
		}
		gst_object_unref(f);
		return configured;
	}
	for (guint i = 0; i < G_N_ELEMENTS(encoder_order); i++) {
		GstElementFactory *c = gst_element_factory_find(encoder_order[i]);

		if (c) {
			gst_object_unref(c);
			return encoder_order[i];
		}
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "no H.264 encoder found (vah264enc, vaapih264enc, x264enc or openh264enc: "
		    "install gstreamer1.0-plugins-ugly or gstreamer1.0-plugins-bad)");
	return NULL;
}

static void set_if(GObject *o, const char *prop, const char *value)
{
	if (g_object_class_find_property(G_OBJECT_GET_CLASS(o), prop))
		gst_util_set_object_arg(o, prop, value);
}

/* Low latency, no B-frames (so PTS = DTS and each consumer's own time
 * stamps hold), bit rate and GOP from the configuration. */
static void tune_encoder(GstElement *enc, const char *name, unsigned int bitrate, unsigned int gop)
{
	GObject *o = G_OBJECT(enc);
	g_autofree char *kbit = g_strdup_printf("%u", bitrate);
	g_autofree char *bit = g_strdup_printf("%u", bitrate * 1000);
	g_autofree char *gops = g_strdup_printf("%u", gop);

	if (!strcmp(name, "x264enc")) {
		set_if(o, "tune", "zerolatency");
		set_if(o, "speed-preset", "ultrafast");
		/* zerolatency's sliced threads give two slices per picture,
		 * which ffmpeg 5.1's RTSP client decodes as two pictures. */
		set_if(o, "sliced-threads", "false");
		/* Without slices x264 threads by frames, each thread one more
		 * frame of delay: one thread halved the median glass-to-glass
		 * latency at 720p in bench-rtsp (117-131 ms -> 58 ms) at the
		 * same daemon CPU. */
		set_if(o, "threads", "1");
		set_if(o, "bitrate", kbit);
		set_if(o, "key-int-max", gops);
	} else if (!strcmp(name, "openh264enc")) {
		set_if(o, "usage-type", "screen");
		set_if(o, "complexity", "low");
		set_if(o, "rate-control", "bitrate");
		set_if(o, "bitrate", bit);
		set_if(o, "gop-size", gops);
	} else if (!strcmp(name, "vah264enc")) {
		set_if(o, "rate-control", "cbr");
		set_if(o, "b-frames", "0");
		set_if(o, "bitrate", kbit);
		set_if(o, "key-int-max", gops);
	} else if (!strcmp(name, "vaapih264enc")) {
		set_if(o, "rate-control", "cbr");
		set_if(o, "max-bframes", "0");
		set_if(o, "bitrate", kbit);
		set_if(o, "keyframe-period", gops);
	}
}

void streamd_encode_force_key_unit(struct streamd_encode *e, const char *why)
{
	GstPad *pad = gst_element_get_static_pad(e->sink, "sink");

	/* Upstream through h264parse (which forwards it) to the encoder;
	 * the encoder only notes it, so this does not block. */
	gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE,
									     TRUE, 0));
	gst_object_unref(pad);
	g_atomic_int_inc(&e->keyframes_forced);
	slog(G_LOG_LEVEL_DEBUG, "encode", e->device, "%s: key frame requested (%s)", e->device, why);
}

/* Nobody subscribed: frames stop before the encoder, which then costs nothing. */
static GstPadProbeReturn on_branch_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	struct streamd_encode *e = user;

	return g_atomic_int_get(&e->n_subs) > 0 ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static GstFlowReturn on_encoded(GstAppSink *sink, gpointer user)
{
	struct streamd_encode *e = user;
	g_autoptr(GstSample) s = gst_app_sink_pull_sample(sink);
	GstBuffer *buf;
	GstCaps *caps;
	bool key;

	if (!s)
		return GST_FLOW_EOS;
	caps = gst_sample_get_caps(s);
	buf = gst_sample_get_buffer(s);
	key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
	g_mutex_lock(&e->lock);
	e->units++;
	if (caps && (!e->caps || !gst_caps_is_equal(caps, e->caps)))
		gst_caps_replace(&e->caps, caps);
	for (guint i = 0; i < e->subs->len; i++) {
		struct subscriber *sub = &g_array_index(e->subs, struct subscriber, i);

		sub->cb(buf, e->caps, key, sub->user);
	}
	g_mutex_unlock(&e->lock);
	return GST_FLOW_OK;
}

unsigned streamd_encode_subscribe(struct streamd_encode *e, streamd_encode_unit_cb cb, void *user)
{
	struct subscriber sub = { .cb = cb, .user = user };
	guint n;

	g_mutex_lock(&e->lock);
	sub.id = ++e->next_id ? e->next_id : ++e->next_id;
	g_array_append_val(e->subs, sub);
	n = e->subs->len;
	g_atomic_int_set(&e->n_subs, n);
	g_mutex_unlock(&e->lock);
	slog(G_LOG_LEVEL_MESSAGE, "encode", e->device, "%s: subscriber %u, %u now%s", e->device,
	     sub.id, n, n == 1 ? ", encoding" : "");
	/* A new subscriber has no picture to start from until a key unit. */
	streamd_encode_force_key_unit(e, "new subscriber");
	return sub.id;
}

void streamd_encode_unsubscribe(struct streamd_encode *e, unsigned id)
{
	guint n;
	bool found = false;

	/* The lock is held while callbacks run: taking it waits for them. */
	g_mutex_lock(&e->lock);
	for (guint i = 0; i < e->subs->len; i++)
		if (g_array_index(e->subs, struct subscriber, i).id == id) {
			g_array_remove_index(e->subs, i);
			found = true;
			break;
		}
	n = e->subs->len;
	g_atomic_int_set(&e->n_subs, n);
	g_mutex_unlock(&e->lock);
	if (found)
		slog(G_LOG_LEVEL_MESSAGE, "encode", e->device, "%s: subscriber %u gone, %u left%s",
		     e->device, id, n, n ? "" : ", encoder idle");
}

const char *streamd_encode_encoder(struct streamd_encode *e)
{
	return e->encoder_name;
}

GstCaps *streamd_encode_caps(struct streamd_encode *e)
{
	GstCaps *c;

	g_mutex_lock(&e->lock);
	c = e->caps ? gst_caps_ref(e->caps) : NULL;
	g_mutex_unlock(&e->lock);
	return c;
}

void streamd_encode_status(struct streamd_encode *e, GVariantBuilder *b)
{
	g_variant_builder_add(b, "{sv}", "encode-encoder", g_variant_new_string(e->encoder_name));
	g_mutex_lock(&e->lock);
	g_variant_builder_add(b, "{sv}", "encode-units", g_variant_new_uint64(e->units));
	g_variant_builder_add(b, "{sv}", "encode-subscribers", g_variant_new_uint32(e->subs->len));
	g_mutex_unlock(&e->lock);
	g_variant_builder_add(b, "{sv}", "encode-keyframes-forced",
			      g_variant_new_uint64((guint)g_atomic_int_get(&e->keyframes_forced)));
	/* dma-buf frames read into system memory for the encoder, and those
	 * the VA-API importer took as they are */
	g_variant_builder_add(b, "{sv}", "encode-frames-read",
			      g_variant_new_uint64(streamd_dmabuf_read_frames(e->read)));
	g_variant_builder_add(b, "{sv}", "encode-frames-imported",
			      g_variant_new_uint64(streamd_dmabuf_read_frames_imported(e->read)));
	g_variant_builder_add(b, "{sv}", "encode-feed",
			      g_variant_new_string(e->postproc ? e->postproc : "system memory"));
}

static GstElement *maybe_sink(GstElement *el)
{
	return el ? gst_object_ref_sink(el) : NULL;
}

struct streamd_encode *streamd_encode_create(GstElement *pipeline, const char *device,
					     const char *encoder, unsigned int bitrate,
					     unsigned int gop, GError **error)
{
	struct streamd_encode *e = g_new0(struct streamd_encode, 1);
	GstElement *tee = NULL, *read = NULL, *convert = NULL, *enc = NULL, *parse = NULL,
		   *filter = NULL;
	const char *feed_caps = "video/x-raw,format=(string){ NV12, I420 }";
	GstPad *qpad = NULL;
	GstAppSinkCallbacks cb = { .new_sample = on_encoded };
	GstCaps *c;
	gboolean ok;
	const char *name;

	g_mutex_init(&e->lock);
	e->device = g_strdup(device);
	e->subs = g_array_new(FALSE, FALSE, sizeof(struct subscriber));
	name = pick_encoder(encoder, error);
	if (!name)
		goto err_free;
	e->encoder_name = g_strdup(name);

	tee = gst_bin_get_by_name(GST_BIN(pipeline), "capture");
	/* Owned here until they are in the bin (ref_sink takes NULL). */
	e->queue = maybe_sink(gst_element_factory_make("queue", NULL));
	/* The tee stays on dma-bufs (the PipeWire node's zero copy): this
	 * branch reads them into system memory itself (a CPU copy the
	 * software encoder needs anyway), only while encoding. */
	read = maybe_sink(g_object_new(STREAMD_TYPE_DMABUF_READ, NULL));
	/* A VA-API encoder: its own plugin's postproc imports the dma-bufs
	 * (zero copy); without one, the software feed. */
	for (guint i = 0; i < G_N_ELEMENTS(va_feeds); i++) {
		GstElementFactory *f;

		if (strcmp(name, va_feeds[i].encoder))
			continue;
		f = gst_element_factory_find(va_feeds[i].postproc);
		if (f) {
			e->postproc = va_feeds[i].postproc;
			feed_caps = va_feeds[i].caps;
			gst_object_unref(f);
		} else {
			slog(G_LOG_LEVEL_WARNING, "encode", device,
			     "%s: no %s for %s: frames are read into system memory for it",
			     device, va_feeds[i].postproc, name);
		}
	}
	convert = maybe_sink(gst_element_factory_make(e->postproc ? e->postproc : "videoconvert", NULL));
	if (read && e->postproc)
		g_object_set(read, "import", TRUE, NULL);
	enc = maybe_sink(gst_element_factory_make(name, NULL));
	parse = maybe_sink(gst_element_factory_make("h264parse", NULL));
	filter = maybe_sink(gst_element_factory_make("capsfilter", NULL));
	e->sink = maybe_sink(gst_element_factory_make("appsink", NULL));
	if (!tee || !e->queue || !read || !convert || !enc || !parse || !filter || !e->sink) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "cannot build the encode branch (%s)", !tee ? "no capture tee" :
			    !enc ? "the encoder would not instantiate" :
			    !convert && e->postproc ? "the VA-API postproc would not instantiate" :
			    "queue, videoconvert, h264parse (gstreamer1.0-plugins-bad) or appsink missing");
		goto err_unref;
	}
	/* Two frames at most wait for the encoder: latency over completeness. */
	g_object_set(e->queue, "leaky", 2, "max-size-buffers", 2, "max-size-bytes", 0,
		     "max-size-time", (guint64)0, NULL);
	tune_encoder(enc, name, bitrate, gop);
	/* SPS/PPS before every key frame, so a consumer can start at any of them. */
	g_object_set(parse, "config-interval", -1, NULL);
	c = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au");
	g_object_set(filter, "caps", c, NULL);
	gst_caps_unref(c);
	/* async=false: the branch drops everything while nobody is subscribed,
	 * so its sink must not hold the capture's preroll. */
	g_object_set(e->sink, "sync", FALSE, "async", FALSE, "max-buffers", 8, "drop", FALSE, NULL);
	gst_app_sink_set_callbacks(GST_APP_SINK(e->sink), &cb, e, NULL);

	gst_bin_add_many(GST_BIN(pipeline), e->queue, read, convert, enc, parse, filter, e->sink, NULL);
	/* 4:2:0 into the encoder: fed RGB, x264enc picks 4:4:4 (High 4:4:4
	 * Predictive), which the hardware decoders of thin clients and
	 * browsers do not decode. */
	c = gst_caps_from_string(feed_caps);
	if (e->postproc)
		/* The import on the capture's thread too, as the read (below):
		 * the GPU converts the frame before the guest repaints it. */
		ok = gst_element_link_many(read, convert, NULL) &&
		     gst_element_link_filtered(convert, e->queue, c) &&
		     gst_element_link_many(e->queue, enc, parse, filter, e->sink, NULL);
	else
		ok = gst_element_link_many(read, e->queue, convert, NULL) &&
		     gst_element_link_filtered(convert, enc, c) &&
		     gst_element_link_many(enc, parse, filter, e->sink, NULL);
	gst_caps_unref(c);
	if (!ok) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the encode branch (%s)",
			    name);
		goto err_remove;
	}
	/* The read is first, on the capture's thread as the frame comes:
	 * the guest paints into a framebuffer again once it has flipped away
	 * from it, so a read after a wait in the queue could see a later
	 * frame.  The drop probe before it keeps it idle without
	 * subscribers. */
	qpad = gst_element_get_static_pad(read, "sink");
	gst_pad_add_probe(qpad, GST_PAD_PROBE_TYPE_BUFFER, on_branch_buffer, e, NULL);
	for (GstElement **el = (GstElement *[]){ e->sink, filter, parse, enc, convert, read, e->queue,
						   NULL };
	     *el; el++)
		gst_element_sync_state_with_parent(*el);
	e->teepad = gst_element_request_pad_simple(tee, "src_%u");
	if (!e->teepad || gst_pad_link(e->teepad, qpad) != GST_PAD_LINK_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot link the encode branch to the capture tee");
		goto err_remove;
	}
	gst_object_unref(qpad);
	/* The bin holds these now; the queue, reader and sink stay referenced
	 * here. */
	e->read = read;
	gst_object_unref(convert);
	gst_object_unref(enc);
	gst_object_unref(parse);
	gst_object_unref(filter);
	gst_object_unref(tee);
	slog(G_LOG_LEVEL_MESSAGE, "encode", e->device, "%s: H.264 encode with %s%s%s (%u kbit/s, GOP %u), "
	     "idle until subscribed", e->device, name, e->postproc ? ", dma-bufs imported by " : "",
	     e->postproc ? e->postproc : "", bitrate, gop);
	return e;

err_remove:
	if (qpad)
		gst_object_unref(qpad);
	if (e->teepad) {
		gst_element_release_request_pad(tee, e->teepad);
		g_clear_object(&e->teepad);
	}
	for (GstElement **el = (GstElement *[]){ e->sink, filter, parse, enc, convert, read, e->queue,
						   NULL };
	     *el; el++) {
		gst_element_set_state(*el, GST_STATE_NULL);
		gst_bin_remove(GST_BIN(pipeline), *el);
	}
err_unref:
	g_clear_object(&read);
	g_clear_object(&convert);
	g_clear_object(&enc);
	g_clear_object(&parse);
	g_clear_object(&filter);
	if (tee)
		gst_object_unref(tee);
	if (e->sink)
		gst_app_sink_set_callbacks(GST_APP_SINK(e->sink), &(GstAppSinkCallbacks){ 0 }, NULL, NULL);
err_free:
	streamd_encode_destroy(e);
	return NULL;
}

void streamd_encode_destroy(struct streamd_encode *e)
{
	if (!e)
		return;
	if (e->subs->len)
		slog(G_LOG_LEVEL_WARNING, "encode", e->device,
		     "%s: encode destroyed with %u subscribers left", e->device, e->subs->len);
	/* The pipeline is in NULL: no streaming thread calls on_encoded(). */
	g_clear_object(&e->teepad);
	g_clear_object(&e->queue);
	g_clear_object(&e->read);
	g_clear_object(&e->sink);
	gst_caps_replace(&e->caps, NULL);
	g_array_unref(e->subs);
	g_mutex_clear(&e->lock);
	g_free(e->encoder_name);
	g_free(e->device);
	g_free(e);
}
