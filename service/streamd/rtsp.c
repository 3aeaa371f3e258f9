/* SPDX-License-Identifier: MIT */
/*
 * RTSP through gst-rtsp-server.  The encoder lives in the capture pipeline
 * (a branch of the vGPU's tee: the VFIO device is single-open, so there is
 * no second capture), ends in an appsink, and its access units are pushed
 * into the appsrc of the one shared GstRTSPMedia of the vGPU's mount.  The
 * branch drops frames before the encoder while nobody watches, and asks
 * the encoder for a key frame whenever a viewer starts playing.
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include "rtsp.h"

#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <gst/video/video.h>

#include "streamd.h"

/* With users, each user's token carries the user's name as its role and a
 * mount admits the roles of the users allowed on it; TLS without users
 * gives every client this role. */
#define STREAMD_RTSP_ANONYMOUS_ROLE "anonymous"

/* Access units a media may lag behind the encoder (2 s at 30 fps). */
#define MEDIA_QUEUE_MAX 60

struct streamd_rtsp {
	GstRTSPServer *server;
	GSource *source;
	char *address;
	const char *scheme;	/* rtsp or rtsps */
	bool auth;		/* mounts need an authenticated user */
	GPtrArray *users;	/* char *: every configured user */
	int port;
	GHashTable *mounts;	/* path ("/NAME") -> struct streamd_rtsp_mount * */
};

struct streamd_rtsp_mount {
	struct streamd_rtsp *r;
	char *path;
	char *device;
	char *encoder_name;	/* factory chosen */
	GstRTSPMediaFactory *factory;
	GstElement *queue;	/* first element of the branch (ref) */
	GstElement *sink;	/* appsink (ref) */

	GMutex lock;
	GPtrArray *medias;	/* GstRTSPMedia * (ref), normally one: shared */
	GPtrArray *appsrcs;	/* GstElement * (ref), one per entry in medias */
	GArray *gated;		/* bool per appsrc: waits for a key frame */
	GstCaps *caps;		/* of the encoded stream, once known */
	guint64 medias_made;	/* media-configure calls: 1 per sharing period */
	guint64 units;		/* access units encoded */
	guint64 keyframes_forced;
};

/* Candidates in order: VA-API where a device exists (the va plugin only
 * registers its encoders for devices it found), then software. */
static const char *const encoder_order[] = { "vah264enc", "vaapih264enc", "x264enc", "openh264enc" };

static const char *pick_encoder(const char *configured, GError **error)
{
	g_autoptr(GstElementFactory) f = NULL;

	if (g_strcmp0(configured, "auto")) {
		f = gst_element_factory_find(configured);
		if (!f) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "encoder '%s' is not available (is its GStreamer plugin installed?)",
				    configured);
			return NULL;
		}
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

/* Low latency, no B-frames (so PTS = DTS and the appsrc's own time stamps
 * hold), bit rate and GOP from the configuration. */
static void tune_encoder(GstElement *enc, const char *name, const struct streamd_vgpu_config *cfg)
{
	GObject *o = G_OBJECT(enc);
	g_autofree char *kbit = g_strdup_printf("%u", cfg->bitrate);
	g_autofree char *bit = g_strdup_printf("%u", cfg->bitrate * 1000);
	g_autofree char *gop = g_strdup_printf("%u", cfg->gop);

	if (!strcmp(name, "x264enc")) {
		set_if(o, "tune", "zerolatency");
		set_if(o, "speed-preset", "ultrafast");
		/* zerolatency's sliced threads give two slices per picture,
		 * which ffmpeg 5.1's RTSP client decodes as two pictures. */
		set_if(o, "sliced-threads", "false");
		set_if(o, "bitrate", kbit);
		set_if(o, "key-int-max", gop);
	} else if (!strcmp(name, "openh264enc")) {
		set_if(o, "usage-type", "screen");
		set_if(o, "complexity", "low");
		set_if(o, "rate-control", "bitrate");
		set_if(o, "bitrate", bit);
		set_if(o, "gop-size", gop);
	} else if (!strcmp(name, "vah264enc")) {
		set_if(o, "rate-control", "cbr");
		set_if(o, "b-frames", "0");
		set_if(o, "bitrate", kbit);
		set_if(o, "key-int-max", gop);
	} else if (!strcmp(name, "vaapih264enc")) {
		set_if(o, "rate-control", "cbr");
		set_if(o, "max-bframes", "0");
		set_if(o, "bitrate", kbit);
		set_if(o, "keyframe-period", gop);
	}
}

static void force_key_unit(struct streamd_rtsp_mount *m, const char *why)
{
	GstPad *pad = gst_element_get_static_pad(m->sink, "sink");

	/* Upstream through h264parse (which forwards it) to the encoder. */
	gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE,
									     TRUE, 0));
	gst_object_unref(pad);
	g_mutex_lock(&m->lock);
	m->keyframes_forced++;
	g_mutex_unlock(&m->lock);
	slog(G_LOG_LEVEL_DEBUG, "rtsp", m->device, "%s: key frame requested (%s)", m->path, why);
}

/* Nobody watching: frames stop before the encoder, which then costs nothing. */
static GstPadProbeReturn on_branch_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	struct streamd_rtsp_mount *m = user;
	bool watched;

	g_mutex_lock(&m->lock);
	watched = m->appsrcs->len > 0;
	g_mutex_unlock(&m->lock);
	return watched ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static GstFlowReturn on_encoded(GstAppSink *sink, gpointer user)
{
	struct streamd_rtsp_mount *m = user;
	g_autoptr(GstSample) s = gst_app_sink_pull_sample(sink);
	GstBuffer *buf;
	GstCaps *caps;
	GstBuffer *out;
	bool key, want_key = false;

	if (!s)
		return GST_FLOW_EOS;
	caps = gst_sample_get_caps(s);
	/* Shallow copies below (the encoded bytes are shared): the time
	 * stamps are the capture pipeline's, and each media has its own. */
	buf = gst_buffer_ref(gst_sample_get_buffer(s));
	g_mutex_lock(&m->lock);
	m->units++;
	if (caps && (!m->caps || !gst_caps_is_equal(caps, m->caps)))
		gst_caps_replace(&m->caps, caps);
	key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
	for (guint i = 0; i < m->appsrcs->len; i++) {
		GstAppSrc *src = m->appsrcs->pdata[i];
		bool *gated = &g_array_index(m->gated, bool, i);

		/* A media starts at a key frame; one that fell behind (a viewer
		 * that stopped reading) loses whole GOPs, never part of one, so
		 * the picture never breaks up and the encoder never waits. */
		if (!*gated && gst_app_src_get_current_level_buffers(src) >= MEDIA_QUEUE_MAX) {
			*gated = true;
			want_key = true;
		}
		if (*gated && !key)
			continue;
		*gated = false;
		if (m->caps)
			gst_app_src_set_caps(src, m->caps);
		/* Stamped with the media's running time: one time stamp for
		 * the whole access unit, so every RTP packet of it carries the
		 * same RTP time (ffmpeg splits frames where that changes). */
		out = gst_buffer_copy(buf);
		GST_BUFFER_PTS(out) = GST_BUFFER_DTS(out) =
			gst_element_get_current_running_time(GST_ELEMENT(src));
		gst_app_src_push_buffer(src, out);
	}
	g_mutex_unlock(&m->lock);
	gst_buffer_unref(buf);
	if (want_key)
		force_key_unit(m, "a viewer fell behind");
	return GST_FLOW_OK;
}

static void on_media_unprepared(GstRTSPMedia *media, gpointer user)
{
	struct streamd_rtsp_mount *m = user;
	guint i;

	g_mutex_lock(&m->lock);
	if (g_ptr_array_find(m->medias, media, &i)) {
		g_ptr_array_remove_index(m->appsrcs, i);
		g_ptr_array_remove_index(m->medias, i);
		g_array_remove_index(m->gated, i);
	}
	g_mutex_unlock(&m->lock);
	g_signal_handlers_disconnect_by_data(media, m);
	slog(G_LOG_LEVEL_MESSAGE, "rtsp", m->device, "%s: last viewer gone, encoder idle", m->path);
}

static void on_media_configure(GstRTSPMediaFactory *f, GstRTSPMedia *media, gpointer user)
{
	struct streamd_rtsp_mount *m = user;
	GstElement *bin = gst_rtsp_media_get_element(media);
	GstElement *src = gst_bin_get_by_name_recurse_up(GST_BIN(bin), "src");

	gst_object_unref(bin);
	/* on_encoded() bounds the queue: a media that stops reading must
	 * not hold up the encoder or the other mounts. */
	g_object_set(src, "block", FALSE, "max-bytes", (guint64)0, NULL);
	g_signal_connect(media, "unprepared", G_CALLBACK(on_media_unprepared), m);
	g_mutex_lock(&m->lock);
	if (m->caps)
		gst_app_src_set_caps(GST_APP_SRC(src), m->caps);
	g_ptr_array_add(m->medias, g_object_ref(media));
	g_ptr_array_add(m->appsrcs, src);
	g_array_append_val(m->gated, (bool){ true });
	m->medias_made++;
	g_mutex_unlock(&m->lock);
	slog(G_LOG_LEVEL_MESSAGE, "rtsp", m->device, "%s: first viewer, %s encoding", m->path,
	     m->encoder_name);
	force_key_unit(m, "media created");
}

static void on_play_request(GstRTSPClient *client, GstRTSPContext *ctx, gpointer user)
{
	struct streamd_rtsp *r = user;
	GHashTableIter it;
	gpointer value;

	if (!ctx->uri || !ctx->uri->abspath)
		return;
	/* The request names the media or one of its streams (/NAME/stream=0). */
	g_hash_table_iter_init(&it, r->mounts);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct streamd_rtsp_mount *m = value;
		size_t n = strlen(m->path);

		if (!strncmp(ctx->uri->abspath, m->path, n) &&
		    (ctx->uri->abspath[n] == '\0' || ctx->uri->abspath[n] == '/')) {
			slog(G_LOG_LEVEL_MESSAGE, "rtsp", m->device, "%s: viewer %s playing", m->path,
			     gst_rtsp_connection_get_ip(gst_rtsp_client_get_connection(client)));
			force_key_unit(m, "viewer joined");
			return;
		}
	}
}

static void on_client_connected(GstRTSPServer *server, GstRTSPClient *client, gpointer user)
{
	g_signal_connect(client, "play-request", G_CALLBACK(on_play_request), user);
}

struct streamd_rtsp *streamd_rtsp_create(const struct streamd_config *cfg, GError **error)
{
	struct streamd_rtsp *r = g_new0(struct streamd_rtsp, 1);
	g_autofree char *service = g_strdup_printf("%u", cfg->rtsp_port);
	GError *e = NULL;

	r->mounts = g_hash_table_new(g_str_hash, g_str_equal);
	r->users = g_ptr_array_new_with_free_func(g_free);
	r->address = g_strdup(cfg->rtsp_address);
	r->server = gst_rtsp_server_new();
	r->scheme = cfg->tls_certificate ? "rtsps" : "rtsp";
	if (cfg->rtsp_users || cfg->tls_certificate) {
		GstRTSPAuth *auth = gst_rtsp_auth_new();

		if (cfg->rtsp_users) {
			/* No default token: a request without valid credentials
			 * is answered 401. */
			for (guint i = 0; i + 1 < cfg->rtsp_users->len; i += 2) {
				const char *user = cfg->rtsp_users->pdata[i];
				const char *pw = cfg->rtsp_users->pdata[i + 1];
				g_autoptr(GstRTSPToken) token = gst_rtsp_token_new(
					GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, user, NULL);
				g_autofree char *basic = gst_rtsp_auth_make_basic(user, pw);

				gst_rtsp_auth_add_basic(auth, basic, token);
				gst_rtsp_auth_add_digest(auth, user, pw, token);
				g_ptr_array_add(r->users, g_strdup(user));
			}
			gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_BASIC |
							    GST_RTSP_AUTH_DIGEST);
			r->auth = true;
		} else {
			/* TLS on loopback without users: everybody gets the role. */
			g_autoptr(GstRTSPToken) token = gst_rtsp_token_new(
				GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, STREAMD_RTSP_ANONYMOUS_ROLE,
				NULL);

			gst_rtsp_auth_set_default_token(auth, token);
		}
		if (cfg->tls_certificate)
			gst_rtsp_auth_set_tls_certificate(auth, cfg->tls_certificate);
		gst_rtsp_server_set_auth(r->server, auth);
		g_object_unref(auth);
	}
	gst_rtsp_server_set_address(r->server, cfg->rtsp_address);
	gst_rtsp_server_set_service(r->server, service);
	g_signal_connect(r->server, "client-connected", G_CALLBACK(on_client_connected), r);
	r->source = gst_rtsp_server_create_source(r->server, NULL, &e);
	if (!r->source) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot listen for RTSP on %s port %s: %s (set [daemon] rtsp-port)",
			    cfg->rtsp_address, service, e ? e->message : "unknown error");
		g_clear_error(&e);
		goto error;
	}
	g_source_attach(r->source, NULL);
	r->port = gst_rtsp_server_get_bound_port(r->server);
	slog(G_LOG_LEVEL_MESSAGE, "rtsp", NULL, "RTSP server listening on %s port %d%s%s",
	     r->address, r->port, cfg->tls_certificate ? ", TLS (rtsps)" : "",
	     r->auth ? ", users authenticated (basic, digest)" : "");
	return r;
error:
	streamd_rtsp_destroy(r);
	return NULL;
}

static GstRTSPFilterResult close_client(GstRTSPServer *server, GstRTSPClient *client, gpointer user)
{
	return GST_RTSP_FILTER_REMOVE;
}

void streamd_rtsp_destroy(struct streamd_rtsp *r)
{
	if (!r)
		return;
	if (r->source) {
		g_source_destroy(r->source);
		g_source_unref(r->source);
	}
	if (r->server) {
		gst_rtsp_server_client_filter(r->server, close_client, NULL);
		g_object_unref(r->server);
	}
	g_hash_table_destroy(r->mounts);
	g_ptr_array_unref(r->users);
	g_free(r->address);
	g_free(r);
}

static GstElement *maybe_sink(GstElement *e)
{
	return e ? gst_object_ref_sink(e) : NULL;
}

static char *mount_path_for(const char *name)
{
	GString *p = g_string_new("/");

	for (const char *c = name; *c; c++)
		g_string_append_c(p, g_ascii_isalnum(*c) || strchr("._~-", *c) ? *c : '-');
	return g_string_free(p, FALSE);
}

struct streamd_rtsp_mount *streamd_rtsp_mount_create(struct streamd_rtsp *r, GstElement *pipeline,
						     const struct streamd_vgpu_config *cfg,
						     GError **error)
{
	struct streamd_rtsp_mount *m = g_new0(struct streamd_rtsp_mount, 1);
	g_autoptr(GstRTSPMountPoints) mounts = NULL;
	GstElement *tee = NULL, *convert, *enc, *parse, *filter;
	GstPad *teepad = NULL, *qpad;
	GstAppSinkCallbacks cb = { .new_sample = on_encoded };
	const char *encoder;

	g_mutex_init(&m->lock);
	m->r = r;
	m->device = g_strdup(cfg->device);
	m->path = mount_path_for(cfg->name);
	m->medias = g_ptr_array_new_with_free_func(g_object_unref);
	m->appsrcs = g_ptr_array_new_with_free_func(gst_object_unref);
	m->gated = g_array_new(FALSE, FALSE, sizeof(bool));
	if (g_hash_table_contains(r->mounts, m->path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "RTSP mount %s is taken by another vGPU (give this one another name)",
			    m->path);
		goto error;
	}
	encoder = pick_encoder(cfg->encoder, error);
	if (!encoder)
		goto error;
	m->encoder_name = g_strdup(encoder);

	tee = gst_bin_get_by_name(GST_BIN(pipeline), "capture");
	/* Owned here until they are in the bin (ref_sink takes NULL). */
	m->queue = maybe_sink(gst_element_factory_make("queue", NULL));
	convert = maybe_sink(gst_element_factory_make("videoconvert", NULL));
	enc = maybe_sink(gst_element_factory_make(encoder, NULL));
	parse = maybe_sink(gst_element_factory_make("h264parse", NULL));
	filter = maybe_sink(gst_element_factory_make("capsfilter", NULL));
	m->sink = maybe_sink(gst_element_factory_make("appsink", NULL));
	if (!tee || !m->queue || !convert || !enc || !parse || !filter || !m->sink) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "cannot build the encode branch (%s)", tee ? "queue, videoconvert, h264parse "
			    "(gstreamer1.0-plugins-bad) or appsink missing" : "no capture tee");
		g_clear_object(&convert);
		g_clear_object(&enc);
		g_clear_object(&parse);
		g_clear_object(&filter);
		goto error;
	}
	/* Two frames at most wait for the encoder: latency over completeness. */
	g_object_set(m->queue, "leaky", 2, "max-size-buffers", 2, "max-size-bytes", 0,
		     "max-size-time", (guint64)0, NULL);
	tune_encoder(enc, encoder, cfg);
	/* SPS/PPS before every key frame, so a viewer can start at any of them. */
	g_object_set(parse, "config-interval", -1, NULL);
	{
		GstCaps *c = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au");

		g_object_set(filter, "caps", c, NULL);
		gst_caps_unref(c);
	}
	/* async=false: the branch drops everything while nobody watches, so
	 * its sink must not hold the capture's preroll. */
	g_object_set(m->sink, "sync", FALSE, "async", FALSE, "max-buffers", 8, "drop", FALSE, NULL);
	gst_app_sink_set_callbacks(GST_APP_SINK(m->sink), &cb, m, NULL);

	gst_bin_add_many(GST_BIN(pipeline), m->queue, convert, enc, parse, filter, m->sink, NULL);
	/* The bin holds these now; the queue and sink stay referenced here. */
	gst_object_unref(convert);
	gst_object_unref(enc);
	gst_object_unref(parse);
	gst_object_unref(filter);
	if (!gst_element_link_many(m->queue, convert, enc, parse, filter, m->sink, NULL)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the encode branch (%s)",
			    encoder);
		goto error_remove;
	}
	qpad = gst_element_get_static_pad(m->queue, "sink");
	gst_pad_add_probe(qpad, GST_PAD_PROBE_TYPE_BUFFER, on_branch_buffer, m, NULL);
	for (GstElement **e = (GstElement *[]){ m->sink, filter, parse, enc, convert, m->queue, NULL };
	     *e; e++)
		gst_element_sync_state_with_parent(*e);
	teepad = gst_element_request_pad_simple(tee, "src_%u");
	if (gst_pad_link(teepad, qpad) != GST_PAD_LINK_OK) {
		gst_object_unref(qpad);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the encode branch to the tee");
		goto error_remove;
	}
	gst_object_unref(qpad);
	gst_object_unref(teepad);
	gst_object_unref(tee);

	m->factory = gst_rtsp_media_factory_new();
	gst_rtsp_media_factory_set_launch(m->factory,
		"( appsrc name=src is-live=true format=time "
		"! rtph264pay name=pay0 pt=96 config-interval=-1 )");
	/* One media for every viewer: the encode above is the only one. */
	gst_rtsp_media_factory_set_shared(m->factory, TRUE);
	/* With an auth (users or TLS) the factory must name who may see it:
	 * gst-rtsp-server refuses a factory without permissions. */
	if (!r->auth) {
		gst_rtsp_media_factory_add_role(m->factory, STREAMD_RTSP_ANONYMOUS_ROLE,
						GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
						GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE,
						NULL);
	} else {
		for (guint i = 0; i < r->users->len; i++) {
			const char *user = r->users->pdata[i];

			if (cfg->allowed_users && !g_strv_contains((const char *const *)cfg->allowed_users,
								   user))
				continue;
			gst_rtsp_media_factory_add_role(m->factory, user,
							GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
							GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN,
							TRUE, NULL);
		}
	}
	g_signal_connect(m->factory, "media-configure", G_CALLBACK(on_media_configure), m);
	mounts = gst_rtsp_server_get_mount_points(r->server);
	gst_rtsp_mount_points_add_factory(mounts, m->path, g_object_ref(m->factory));
	g_hash_table_insert(r->mounts, m->path, m);
	slog(G_LOG_LEVEL_MESSAGE, "rtsp", m->device, "%s: RTSP mount %s://%s:%d%s (%s, %u kbit/s, GOP %u)",
	     m->device, r->scheme, r->address, r->port, m->path, encoder, cfg->bitrate, cfg->gop);
	return m;

error_remove:
	if (teepad) {
		gst_element_release_request_pad(tee, teepad);
		gst_object_unref(teepad);
	}
	for (GstElement **e = (GstElement *[]){ m->sink, filter, parse, enc, convert, m->queue, NULL };
	     *e; e++) {
		gst_element_set_state(*e, GST_STATE_NULL);
		gst_bin_remove(GST_BIN(pipeline), *e);
	}
error:
	if (tee)
		gst_object_unref(tee);
	g_clear_object(&m->queue);
	if (m->sink)
		gst_app_sink_set_callbacks(GST_APP_SINK(m->sink), &(GstAppSinkCallbacks){ 0 }, NULL, NULL);
	g_clear_object(&m->sink);
	m->r = NULL;	/* not in r->mounts */
	streamd_rtsp_mount_destroy(m);
	return NULL;
}

void streamd_rtsp_mount_destroy(struct streamd_rtsp_mount *m)
{
	if (!m)
		return;
	if (m->r) {
		g_autoptr(GstRTSPMountPoints) mounts = gst_rtsp_server_get_mount_points(m->r->server);

		gst_rtsp_mount_points_remove_factory(mounts, m->path);
		g_hash_table_remove(m->r->mounts, m->path);
	}
	if (m->factory) {
		g_signal_handlers_disconnect_by_data(m->factory, m);
		g_object_unref(m->factory);
	}
	/* Viewers still playing get the end of the stream. */
	for (guint i = 0; i < m->appsrcs->len; i++) {
		gst_app_src_end_of_stream(m->appsrcs->pdata[i]);
		g_signal_handlers_disconnect_by_data(m->medias->pdata[i], m);
	}
	g_ptr_array_unref(m->appsrcs);
	g_ptr_array_unref(m->medias);
	g_array_unref(m->gated);
	g_clear_object(&m->queue);
	g_clear_object(&m->sink);
	gst_caps_replace(&m->caps, NULL);
	g_mutex_clear(&m->lock);
	g_free(m->encoder_name);
	g_free(m->device);
	g_free(m->path);
	g_free(m);
}

struct viewer_count {
	const char *path;
	guint viewers;
};

static GstRTSPFilterResult count_media(GstRTSPSession *sess, GstRTSPSessionMedia *sm, gpointer user)
{
	struct viewer_count *c = user;
	gint matched;

	if (gst_rtsp_session_media_matches(sm, c->path, &matched) &&
	    gst_rtsp_session_media_get_rtsp_state(sm) == GST_RTSP_STATE_PLAYING)
		c->viewers++;
	return GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult count_session(GstRTSPSessionPool *pool, GstRTSPSession *sess, gpointer user)
{
	gst_rtsp_session_filter(sess, count_media, user);
	return GST_RTSP_FILTER_KEEP;
}

void streamd_rtsp_mount_status(struct streamd_rtsp_mount *m, GVariantBuilder *b)
{
	g_autoptr(GstRTSPSessionPool) pool = gst_rtsp_server_get_session_pool(m->r->server);
	g_autofree char *url = g_strdup_printf("%s://%s:%d%s", m->r->scheme, m->r->address, m->r->port, m->path);
	struct viewer_count c = { .path = m->path };

	gst_rtsp_session_pool_filter(pool, count_session, &c);
	g_variant_builder_add(b, "{sv}", "rtsp-url", g_variant_new_string(url));
	g_variant_builder_add(b, "{sv}", "rtsp-encoder", g_variant_new_string(m->encoder_name));
	g_variant_builder_add(b, "{sv}", "rtsp-viewers", g_variant_new_uint32(c.viewers));
	g_mutex_lock(&m->lock);
	g_variant_builder_add(b, "{sv}", "rtsp-medias", g_variant_new_uint32(m->medias->len));
	g_variant_builder_add(b, "{sv}", "rtsp-medias-made", g_variant_new_uint64(m->medias_made));
	g_variant_builder_add(b, "{sv}", "rtsp-units", g_variant_new_uint64(m->units));
	g_variant_builder_add(b, "{sv}", "rtsp-keyframes-forced", g_variant_new_uint64(m->keyframes_forced));
	g_mutex_unlock(&m->lock);
}
