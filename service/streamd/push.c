/* SPDX-License-Identifier: MIT */
/*
 * Push: appsrc ! h264parse ! rtspclientsink (RTSP RECORD), or
 * appsrc ! h264parse ! mpegtsmux ! srtsink (SRT caller), fed by a
 * subscription to the vGPU's encode.  Each connection attempt is a new
 * pipeline with its own bus watch; an error or EOS tears it down and a
 * timer builds the next one (1 s, doubling to 30 s, back to 1 s once a
 * connection was made: rtspclientsink's SETUP answered, srtsink's
 * first write done).  srtsink's own
 * auto-reconnect is off so that a lost listener is an error here, counted
 * and retried with the same backoff, and each new connection starts with
 * a key unit and the stream's headers (config-interval=-1).  The subscription lives as long as a
 * pipeline does, so the encode idles while the server is away and every
 * new connection starts with a key unit.
 */
#include "push.h"

#include <stdlib.h>

#include <gst/app/gstappsrc.h>

#include "encode.h"
#include "streamd.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000
/* Access units the push may lag behind the encoder (2 s at 30 fps);
 * beyond that whole GOPs are dropped, the encoder never waits. */
#define PUSH_QUEUE_MAX 60

enum push_state { PUSH_CONNECTING, PUSH_RECORDING, PUSH_WAITING };

static const char *const state_names[] = {
	[PUSH_CONNECTING] = "connecting",
	[PUSH_RECORDING] = "recording",
	[PUSH_WAITING] = "waiting",
};

struct streamd_push {
	char *device;
	char *url;		/* the sink's, may hold a password */
	char *shown;		/* for logs and the status: no password */
	char *password;		/* to scrub from GStreamer's messages; NULL: none */
	bool srt;
	int srt_latency_ms;	/* -1: srtsink's default */
	struct streamd_encode *encode;	/* the vGPU's, outlives the push */

	/* Main thread only. */
	GstElement *pipeline;	/* NULL while waiting to retry */
	guint bus_watch;
	guint retry_source;
	unsigned int delay_ms;	/* the next retry's */
	unsigned sub_id;	/* 0: not subscribed */
	enum push_state state;
	guint64 reconnects;	/* attempts after the first */
	char *last_error;

	GMutex lock;		/* taken in the encode's callback */
	GstAppSrc *src;		/* ref; NULL: drop units */
	bool gated;		/* waiting for a key unit */
	guint64 units;		/* pushed into the pipeline */
	guint64 gops_dropped;	/* times the queue was full */
};

/* The encode's streaming thread: no blocking. */
static void on_unit(GstBuffer *buf, GstCaps *caps, bool key, void *user)
{
	struct streamd_push *p = user;
	bool want_key = false;
	GstBuffer *out;

	g_mutex_lock(&p->lock);
	if (!p->src)
		goto out;
	if (!p->gated && gst_app_src_get_current_level_buffers(p->src) >= PUSH_QUEUE_MAX) {
		p->gated = true;
		p->gops_dropped++;
		want_key = true;
	}
	if (p->gated && !key)
		goto out;
	p->gated = false;
	if (caps)
		gst_app_src_set_caps(p->src, caps);
	/* Shares the encoded bytes; one time stamp per access unit, the
	 * push pipeline's running time. */
	out = gst_buffer_copy(buf);
	GST_BUFFER_PTS(out) = GST_BUFFER_DTS(out) =
		gst_element_get_current_running_time(GST_ELEMENT(p->src));
	gst_app_src_push_buffer(p->src, out);
	p->units++;
out:
	g_mutex_unlock(&p->lock);
	if (want_key)
		streamd_encode_force_key_unit(p->encode, "push fell behind");
}

/* A thread of GStreamer's pool: the pipeline's last ref, handed over. */
static void teardown(GstElement *pipeline, gpointer user)
{
	gst_element_set_state(pipeline, GST_STATE_NULL);
	gst_object_unref(pipeline);
}

/*
 * ASYNC: tear the pipeline down off the main thread.  After a failure
 * rtspclientsink's and srtsink's shutdown can block for seconds (a
 * TEARDOWN nobody answers, a socket closing), and the main loop serves
 * the other vGPUs and the control interface meanwhile.
 */
static void push_stop_full(struct streamd_push *p, bool async)
{
	/* Unsubscribed first: on_unit() no longer runs once this returns. */
	if (p->sub_id)
		streamd_encode_unsubscribe(p->encode, p->sub_id);
	p->sub_id = 0;
	g_mutex_lock(&p->lock);
	g_clear_object(&p->src);
	g_mutex_unlock(&p->lock);
	if (p->bus_watch)
		g_source_remove(p->bus_watch);
	p->bus_watch = 0;
	if (p->pipeline && async) {
		gst_element_call_async(p->pipeline, teardown, NULL, NULL);
		p->pipeline = NULL;
	} else if (p->pipeline) {
		gst_element_set_state(p->pipeline, GST_STATE_NULL);
		g_clear_object(&p->pipeline);
	}
}

static void push_stop(struct streamd_push *p)
{
	push_stop_full(p, false);
}

static gboolean push_retry(gpointer user);

/* TEXT from GStreamer with the URL shown and any password hidden. */
static char *scrub(const struct streamd_push *p, const char *text)
{
	g_auto(GStrv) parts = NULL, parts2 = NULL;
	g_autofree char *shown = NULL;

	if (!p->password)
		return g_strdup(text);
	parts = g_strsplit(text, p->url, -1);
	shown = g_strjoinv(p->shown, parts);
	parts2 = g_strsplit(shown, p->password, -1);
	return g_strjoinv("***", parts2);
}

static void push_failed(struct streamd_push *p, const char *why_raw)
{
	g_autofree char *why = scrub(p, why_raw);

	push_stop_full(p, true);
	g_free(p->last_error);
	p->last_error = g_strdup(why);
	p->state = PUSH_WAITING;
	slog(G_LOG_LEVEL_WARNING, "push", p->device, "%s: push to %s stopped: %s; retrying in %u ms",
	     p->device, p->shown, why, p->delay_ms);
	p->retry_source = g_timeout_add(p->delay_ms, push_retry, p);
	p->delay_ms = MIN(p->delay_ms * 2, RETRY_MAX_MS);
}

/* A connection was made: the backoff starts again from its first delay. */
static void push_recording(struct streamd_push *p)
{
	if (p->state == PUSH_RECORDING)
		return;
	p->state = PUSH_RECORDING;
	p->delay_ms = RETRY_FIRST_MS;
	slog(G_LOG_LEVEL_MESSAGE, "push", p->device, "%s: recording to %s%s",
	     p->device, p->shown, p->reconnects ? " (reconnected)" : "");
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
	struct streamd_push *p = user;

	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ERROR: {
		g_autoptr(GError) err = NULL;
		g_autofree char *dbg = NULL, *clean = NULL;

		gst_message_parse_error(msg, &err, &dbg);
		clean = scrub(p, dbg ? dbg : "");
		slog(G_LOG_LEVEL_DEBUG, "push", p->device, "%s: %s", p->device, clean);
		p->bus_watch = 0;	/* this source goes with G_SOURCE_REMOVE */
		push_failed(p, err->message);
		return G_SOURCE_REMOVE;
	}
	case GST_MESSAGE_EOS:
		p->bus_watch = 0;
		push_failed(p, "end of stream (the server closed the session)");
		return G_SOURCE_REMOVE;
	case GST_MESSAGE_PROGRESS: {
		/* rtspclientsink (1.22 to 1.26) posts no COMPLETE for RECORD;
		 * "Starting recording" (untranslated) comes once the server
		 * took ANNOUNCE and SETUP, as RECORD goes out.  A refused
		 * RECORD is an error after it.  PLAYING comes earlier, while
		 * it still connects. */
		GstProgressType type;
		g_autofree char *code = NULL, *text = NULL;

		gst_message_parse_progress(msg, &type, &code, &text);
		if (!p->srt && type == GST_PROGRESS_TYPE_CONTINUE && !g_strcmp0(code, "record") &&
		    !g_strcmp0(text, "Starting recording"))
			push_recording(p);
		break;
	}
	case GST_MESSAGE_APPLICATION:
		if (gst_message_has_name(msg, "gvt-push-written"))
			push_recording(p);
		break;
	default:
		break;
	}
	return G_SOURCE_CONTINUE;
}

/*
 * srtsink reaches PLAYING before its caller socket connects, and a render
 * blocks until it did (or fails): a second buffer at its sink pad means
 * the first was sent (mpegtsmux pushes lists too).  Streaming thread:
 * tells on_bus() by a message.
 */
static GstPadProbeReturn on_srt_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	GstElement *sink = GST_ELEMENT(gst_pad_get_parent(pad));
	unsigned int *seen = user;

	if (sink && ++*seen == 2)
		gst_element_post_message(sink, gst_message_new_application(GST_OBJECT(sink),
				gst_structure_new_empty("gvt-push-written")));
	if (sink)
		gst_object_unref(sink);
	return *seen >= 2 ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_OK;
}

static bool push_start(struct streamd_push *p, GError **error)
{
	g_autoptr(GstBus) bus = NULL;
	GstElement *sink, *src;
	GstCaps *caps;

	if (p->srt) {
		/* Every key unit carries SPS/PPS: a listener may join late. */
		p->pipeline = gst_parse_launch_full("appsrc name=src is-live=true format=time block=false max-bytes=0 "
						    "! h264parse config-interval=-1 ! mpegtsmux alignment=7 "
						    "! srtsink name=sink mode=caller auto-reconnect=false sync=false",
						    NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
	} else {
		/* TCP-interleaved: one connection, through NAT and firewalls. */
		p->pipeline = gst_parse_launch_full("appsrc name=src is-live=true format=time block=false max-bytes=0 "
						    "! h264parse ! rtspclientsink name=sink protocols=tcp latency=0",
						    NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
	}
	if (!p->pipeline) {
		g_prefix_error(error, "cannot build the push pipeline (is %s installed?): ",
			       p->srt ? "gstreamer1.0-plugins-bad (srtsink)" : "gstreamer1.0-rtsp");
		return false;
	}
	sink = gst_bin_get_by_name(GST_BIN(p->pipeline), "sink");
	if (p->srt) {
		g_autoptr(GUri) uri = g_uri_parse(p->url, G_URI_FLAGS_ENCODED_QUERY, NULL);
		g_autofree char *plain = g_strdup_printf("srt://%s:%d", g_uri_get_host(uri), g_uri_get_port(uri));

		g_autoptr(GstPad) pad = gst_element_get_static_pad(sink, "sink");

		g_object_set(sink, "uri", plain, NULL);
		if (p->srt_latency_ms >= 0)
			g_object_set(sink, "latency", p->srt_latency_ms, NULL);
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_srt_buffer, g_new0(unsigned int, 1), g_free);
	} else {
		g_object_set(sink, "location", p->url, NULL);
	}
	gst_object_unref(sink);
	src = gst_bin_get_by_name(GST_BIN(p->pipeline), "src");
	caps = streamd_encode_caps(p->encode);
	if (caps) {
		gst_app_src_set_caps(GST_APP_SRC(src), caps);
		gst_caps_unref(caps);
	}
	bus = gst_element_get_bus(p->pipeline);
	p->bus_watch = gst_bus_add_watch(bus, on_bus, p);
	p->state = PUSH_CONNECTING;
	g_mutex_lock(&p->lock);
	p->src = GST_APP_SRC(src);	/* the ref from get_by_name */
	p->gated = true;
	g_mutex_unlock(&p->lock);
	if (gst_element_set_state(p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		/* The bus has the error; on_bus() schedules the retry. */
		slog(G_LOG_LEVEL_DEBUG, "push", p->device, "%s: %s did not start", p->device, p->shown);
	}
	/* Forces a key unit, where the recording starts. */
	p->sub_id = streamd_encode_subscribe(p->encode, on_unit, p);
	return true;
}

static gboolean push_retry(gpointer user)
{
	struct streamd_push *p = user;
	g_autoptr(GError) err = NULL;

	p->retry_source = 0;
	p->reconnects++;
	slog(G_LOG_LEVEL_MESSAGE, "push", p->device, "%s: reconnecting to %s (attempt %" G_GUINT64_FORMAT ")",
	     p->device, p->shown, p->reconnects);
	if (!push_start(p, &err))
		push_failed(p, err->message);
	return G_SOURCE_REMOVE;
}

struct streamd_push *streamd_push_create(struct streamd_encode *encode, const char *device,
					 const char *url, GError **error)
{
	struct streamd_push *p = g_new0(struct streamd_push, 1);
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_QUERY, NULL);

	p->device = g_strdup(device);
	p->url = g_strdup(url);
	p->shown = uri ? g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD) : g_strdup(url);
	if (uri && g_uri_get_password(uri) && *g_uri_get_password(uri))
		p->password = g_strdup(g_uri_get_password(uri));
	p->srt = uri && !g_ascii_strcasecmp(g_uri_get_scheme(uri), "srt");
	p->srt_latency_ms = -1;
	if (p->srt && g_uri_get_query(uri) && g_str_has_prefix(g_uri_get_query(uri), "latency="))
		p->srt_latency_ms = atoi(g_uri_get_query(uri) + 8);	/* checked by config.c */
	p->encode = encode;
	p->delay_ms = RETRY_FIRST_MS;
	g_mutex_init(&p->lock);
	if (!push_start(p, error)) {
		streamd_push_destroy(p);
		return NULL;
	}
	slog(G_LOG_LEVEL_MESSAGE, "push", device, "%s: pushing to %s (%s, %s)", device, p->shown,
	     p->srt ? "SRT, MPEG-TS" : "RTSP RECORD", streamd_encode_encoder(encode));
	return p;
}

void streamd_push_destroy(struct streamd_push *p)
{
	if (!p)
		return;
	if (p->retry_source)
		g_source_remove(p->retry_source);
	push_stop(p);
	g_mutex_clear(&p->lock);
	g_free(p->last_error);
	g_free(p->device);
	g_free(p->url);
	g_free(p->shown);
	g_free(p->password);
	g_free(p);
}

void streamd_push_status(struct streamd_push *p, GVariantBuilder *b)
{
	g_variant_builder_add(b, "{sv}", "push-url", g_variant_new_string(p->shown));
	g_variant_builder_add(b, "{sv}", "push-state", g_variant_new_string(state_names[p->state]));
	g_variant_builder_add(b, "{sv}", "push-reconnects", g_variant_new_uint64(p->reconnects));
	g_variant_builder_add(b, "{sv}", "push-last-error",
			      g_variant_new_string(p->last_error ? p->last_error : ""));
	g_mutex_lock(&p->lock);
	g_variant_builder_add(b, "{sv}", "push-units", g_variant_new_uint64(p->units));
	g_variant_builder_add(b, "{sv}", "push-gops-dropped", g_variant_new_uint64(p->gops_dropped));
	g_mutex_unlock(&p->lock);
}
