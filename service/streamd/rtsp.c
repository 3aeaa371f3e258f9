/* SPDX-License-Identifier: MIT */
/*
 * RTSP through gst-rtsp-server.  A mount subscribes to the vGPU's shared
 * encode (encode.c) while it has a media, and pushes the access units into
 * the appsrc of the one shared GstRTSPMedia of the vGPU's mount; with no
 * media it is not subscribed, and the encode idles.  It asks the encoder
 * for a key frame whenever a viewer starts playing.
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include "rtsp.h"

#include <string.h>

#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>

#include "encode.h"
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
	struct streamd_encode *encode;	/* the vGPU's, outlives the mount */
	GstRTSPMediaFactory *factory;

	/* Serialises subscribing and unsubscribing (never taken by the
	 * encode's callback, so it may wait for that callback). */
	GMutex sub_lock;
	unsigned sub_id;	/* 0: not subscribed */

	GMutex lock;		/* taken in the encode's callback */
	GPtrArray *medias;	/* GstRTSPMedia * (ref), normally one: shared */
	GPtrArray *appsrcs;	/* GstElement * (ref), one per entry in medias */
	GArray *gated;		/* bool per appsrc: waits for a key frame */
	guint64 medias_made;	/* media-configure calls: 1 per sharing period */
	guint64 units;		/* access units received from the encode */
	guint64 keyframes_forced;	/* asked for by this mount */
};

static void force_key_unit(struct streamd_rtsp_mount *m, const char *why)
{
	g_mutex_lock(&m->lock);
	m->keyframes_forced++;
	g_mutex_unlock(&m->lock);
	slog(G_LOG_LEVEL_DEBUG, "rtsp", m->device, "%s: key frame requested (%s)", m->path, why);
	streamd_encode_force_key_unit(m->encode, why);
}

/* The encode's streaming thread, with its lock held: no blocking. */
static void on_unit(GstBuffer *buf, GstCaps *caps, bool key, void *user)
{
	struct streamd_rtsp_mount *m = user;
	GstBuffer *out;
	bool want_key = false;

	g_mutex_lock(&m->lock);
	m->units++;
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
		if (caps)
			gst_app_src_set_caps(src, caps);
		/* A shallow copy (the encoded bytes are shared) stamped with
		 * the media's running time: one time stamp for the whole
		 * access unit, so every RTP packet of it carries the same RTP
		 * time (ffmpeg splits frames where that changes). */
		out = gst_buffer_copy(buf);
		GST_BUFFER_PTS(out) = GST_BUFFER_DTS(out) =
			gst_element_get_current_running_time(GST_ELEMENT(src));
		gst_app_src_push_buffer(src, out);
	}
	g_mutex_unlock(&m->lock);
	if (want_key)
		force_key_unit(m, "a viewer fell behind");
}

static void on_media_unprepared(GstRTSPMedia *media, gpointer user)
{
	struct streamd_rtsp_mount *m = user;
	guint i;
	bool last;

	g_mutex_lock(&m->sub_lock);
	g_mutex_lock(&m->lock);
	if (g_ptr_array_find(m->medias, media, &i)) {
		g_ptr_array_remove_index(m->appsrcs, i);
		g_ptr_array_remove_index(m->medias, i);
		g_array_remove_index(m->gated, i);
	}
	last = m->medias->len == 0;
	g_mutex_unlock(&m->lock);
	/* Outside m->lock: unsubscribing waits for on_unit(), which takes it. */
	if (last && m->sub_id) {
		streamd_encode_unsubscribe(m->encode, m->sub_id);
		m->sub_id = 0;
	}
	g_mutex_unlock(&m->sub_lock);
	g_signal_handlers_disconnect_by_data(media, m);
	if (last)
		slog(G_LOG_LEVEL_MESSAGE, "rtsp", m->device, "%s: last viewer gone, unsubscribed",
		     m->path);
}

static void on_media_configure(GstRTSPMediaFactory *f, GstRTSPMedia *media, gpointer user)
{
	struct streamd_rtsp_mount *m = user;
	GstElement *bin = gst_rtsp_media_get_element(media);
	GstElement *src = gst_bin_get_by_name_recurse_up(GST_BIN(bin), "src");
	GstCaps *caps = streamd_encode_caps(m->encode);

	gst_object_unref(bin);
	/* on_unit() bounds the queue: a media that stops reading must not
	 * hold up the encoder or the vGPU's other consumers. */
	g_object_set(src, "block", FALSE, "max-bytes", (guint64)0, NULL);
	if (caps) {
		gst_app_src_set_caps(GST_APP_SRC(src), caps);
		gst_caps_unref(caps);
	}
	g_signal_connect(media, "unprepared", G_CALLBACK(on_media_unprepared), m);
	g_mutex_lock(&m->sub_lock);
	g_mutex_lock(&m->lock);
	g_ptr_array_add(m->medias, g_object_ref(media));
	g_ptr_array_add(m->appsrcs, src);
	g_array_append_val(m->gated, (bool){ true });
	m->medias_made++;
	g_mutex_unlock(&m->lock);
	if (!m->sub_id) {
		/* Subscribing forces a key unit for this media. */
		m->sub_id = streamd_encode_subscribe(m->encode, on_unit, m);
		g_mutex_unlock(&m->sub_lock);
		slog(G_LOG_LEVEL_MESSAGE, "rtsp", m->device, "%s: first viewer, subscribed to %s",
		     m->path, streamd_encode_encoder(m->encode));
	} else {
		g_mutex_unlock(&m->sub_lock);
		force_key_unit(m, "media created");
	}
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

static char *mount_path_for(const char *name)
{
	GString *p = g_string_new("/");

	for (const char *c = name; *c; c++)
		g_string_append_c(p, g_ascii_isalnum(*c) || strchr("._~-", *c) ? *c : '-');
	return g_string_free(p, FALSE);
}

struct streamd_rtsp_mount *streamd_rtsp_mount_create(struct streamd_rtsp *r,
						     struct streamd_encode *encode,
						     const struct streamd_vgpu_config *cfg,
						     GError **error)
{
	struct streamd_rtsp_mount *m = g_new0(struct streamd_rtsp_mount, 1);
	g_autoptr(GstRTSPMountPoints) mounts = NULL;

	g_mutex_init(&m->lock);
	g_mutex_init(&m->sub_lock);
	m->device = g_strdup(cfg->device);
	m->path = mount_path_for(cfg->name);
	m->encode = encode;
	m->medias = g_ptr_array_new_with_free_func(g_object_unref);
	m->appsrcs = g_ptr_array_new_with_free_func(gst_object_unref);
	m->gated = g_array_new(FALSE, FALSE, sizeof(bool));
	if (g_hash_table_contains(r->mounts, m->path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "RTSP mount %s is taken by another vGPU (give this one another name)",
			    m->path);
		streamd_rtsp_mount_destroy(m);	/* not in r->mounts: m->r is NULL */
		return NULL;
	}
	m->r = r;

	m->factory = gst_rtsp_media_factory_new();
	gst_rtsp_media_factory_set_launch(m->factory,
		"( appsrc name=src is-live=true format=time "
		"! rtph264pay name=pay0 pt=96 config-interval=-1 )");
	/* One media for every viewer, fed by the vGPU's one encode. */
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
	     m->device, r->scheme, r->address, r->port, m->path, streamd_encode_encoder(encode),
	     cfg->bitrate, cfg->gop);
	return m;
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
	/* Before the encode goes; once this returns on_unit() never runs. */
	g_mutex_lock(&m->sub_lock);
	if (m->sub_id)
		streamd_encode_unsubscribe(m->encode, m->sub_id);
	m->sub_id = 0;
	g_mutex_unlock(&m->sub_lock);
	/* Viewers still playing get the end of the stream. */
	for (guint i = 0; i < m->appsrcs->len; i++) {
		gst_app_src_end_of_stream(m->appsrcs->pdata[i]);
		g_signal_handlers_disconnect_by_data(m->medias->pdata[i], m);
	}
	g_ptr_array_unref(m->appsrcs);
	g_ptr_array_unref(m->medias);
	g_array_unref(m->gated);
	g_mutex_clear(&m->lock);
	g_mutex_clear(&m->sub_lock);
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
	g_variant_builder_add(b, "{sv}", "rtsp-encoder",
			      g_variant_new_string(streamd_encode_encoder(m->encode)));
	g_variant_builder_add(b, "{sv}", "rtsp-viewers", g_variant_new_uint32(c.viewers));
	g_mutex_lock(&m->lock);
	g_variant_builder_add(b, "{sv}", "rtsp-medias", g_variant_new_uint32(m->medias->len));
	g_variant_builder_add(b, "{sv}", "rtsp-medias-made", g_variant_new_uint64(m->medias_made));
	g_variant_builder_add(b, "{sv}", "rtsp-units", g_variant_new_uint64(m->units));
	g_variant_builder_add(b, "{sv}", "rtsp-keyframes-forced", g_variant_new_uint64(m->keyframes_forced));
	g_mutex_unlock(&m->lock);
}
