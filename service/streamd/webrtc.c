/* SPDX-License-Identifier: MIT */
/*
 * WebRTC through libsoup 3 and webrtcbin (webrtc.h).
 *
 * One SoupServer for the daemon.  An early handler refuses what is not
 * ours before any other handler runs: with [daemon] rtsp-users a request
 * without a valid login 401 (HTTP basic authentication through a
 * SoupAuthDomainBasic, over TLS or from loopback only), an unknown path
 * 404, a missing or wrong ?token= 403, a user not in the vGPU's
 * allowed-users 403, a cross-origin WebSocket 403.  GET /NAME answers the
 * viewer page from the compiled-in GResource; /NAME/ws upgrades to the
 * signalling WebSocket, whose JSON messages are
 *
 *   daemon -> page  {"type":"hello","name":N,"user":U|null,"input":bool,
 *                    "clock":"monotonic"}  (U: the login; input: for U)
 *                   {"type":"offer","sdp":S}  {"type":"ice","candidate":C,"sdpMLineIndex":I}
 *                   {"type":"pong","id":I,"server_us":T}  (T: CLOCK_MONOTONIC, the
 *                   sim guest's flip clock in the block code)
 *                   {"type":"input-error","message":M}  {"type":"error","message":M}
 *   page -> daemon  {"type":"answer","sdp":S}  {"type":"ice",...}  {"type":"ping","id":I}
 *
 * Every viewer (one WebSocket) has a pipeline of its own, appsrc !
 * rtph264pay ! webrtcbin (max-bundle, host candidates unless a STUN or
 * TURN server is configured), subscribed to the vGPU's shared encode.  The
 * daemon makes the offer and the data channel "input", whose messages go
 * to streamd_input_message() (input.h) with the viewer's user.  A viewer
 * ends when its WebSocket closes, ICE fails or its pipeline errs;
 * webrtcbin's signals come from its own threads and reach the viewer on
 * the main context, holding a ref.
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include "webrtc.h"

#include <string.h>

#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#define GST_USE_UNSTABLE_API	/* GstWebRTCDataChannel */
#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "encode.h"
#include "input.h"
#include "streamd.h"
#include "webrtc-resources.h"

/* Access units a viewer may lag behind the encoder before it loses whole
 * GOPs (2 s at 30 fps), as on the RTSP side. */
#define VIEWER_QUEUE_MAX 60
#define PAGE_RESOURCE "/org/gvtdmabuf/streamd/web/viewer.html"
#define LOGIN_REALM "gvt-streamd"
/* The login the early handler took, on the SoupServerMessage. */
#define MSG_USER_KEY "gvt-streamd-user"

struct streamd_webrtc {
	SoupServer *server;
	char *address;
	char *token;		/* NULL: none needed */
	GPtrArray *users;	/* [daemon] rtsp-users (ref); NULL: no login */
	SoupAuthDomain *login;	/* basic, with users */
	char *stun_server;
	char *turn_server;
	const char *scheme;	/* http or https */
	int port;
	GHashTable *mounts;	/* path ("/NAME") -> struct streamd_webrtc_mount * */
};

struct streamd_webrtc_mount {
	struct streamd_webrtc *w;
	struct streamd_vgpu *vgpu;
	struct streamd_encode *encode;	/* the vGPU's, outlives the mount */
	char *path;		/* /NAME */
	char *ws_path;		/* /NAME/ws */
	char *device;
	char *name;
	char **allowed_users;	/* NULL: every user of the file */
	GPtrArray *viewers;	/* struct viewer * (a ref each), main thread */
	guint64 viewers_total;
	guint64 inputs;		/* input messages from every viewer */
	guint64 inputs_refused;
	guint next_id;
};

struct viewer {
	gint ref;
	struct streamd_webrtc_mount *m;	/* NULL once ended (main thread) */
	struct streamd_encode *encode;
	guint id;
	char *peer;
	char *user;		/* the login; NULL: none asked for */
	SoupWebsocketConnection *ws;
	GstElement *pipeline;
	GstElement *src;	/* appsrc (ref) */
	GstElement *webrtc;	/* webrtcbin (ref) */
	GstWebRTCDataChannel *input;
	guint bus_watch;
	unsigned sub_id;
	bool connected;		/* ICE connected (main thread) */
	gint64 started;		/* monotonic us */

	GMutex lock;		/* taken in the encode's callback */
	bool gated;		/* waits for a key unit */
	guint64 units;
	guint64 inputs;		/* input messages received (main thread) */
};

static struct viewer *viewer_ref(struct viewer *v)
{
	g_atomic_int_inc(&v->ref);
	return v;
}

static void viewer_unref(gpointer p)
{
	struct viewer *v = p;

	if (!g_atomic_int_dec_and_test(&v->ref))
		return;
	g_clear_object(&v->input);
	g_clear_object(&v->ws);
	g_clear_pointer(&v->src, gst_object_unref);
	g_clear_pointer(&v->webrtc, gst_object_unref);
	g_clear_pointer(&v->pipeline, gst_object_unref);
	g_mutex_clear(&v->lock);
	g_free(v->peer);
	g_free(v->user);
	g_free(v);
}

static void viewer_closure_unref(gpointer p, GClosure *c)
{
	(void)c;
	viewer_unref(p);
}

/* ---- main-context calls from webrtcbin's threads ----------------------- */

struct viewer_call {
	struct viewer *v;
	void (*fn)(struct viewer *v, char *arg);
	char *arg;
};

static gboolean viewer_call_run(gpointer p)
{
	struct viewer_call *c = p;

	c->fn(c->v, c->arg);
	return G_SOURCE_REMOVE;
}

static void viewer_call_free(gpointer p)
{
	struct viewer_call *c = p;

	viewer_unref(c->v);
	g_free(c->arg);
	g_free(c);
}

/* Run FN(V, ARG) on the main context; ARG (may be NULL) is taken. */
static void on_main(struct viewer *v, void (*fn)(struct viewer *v, char *arg), char *arg)
{
	struct viewer_call *c = g_new(struct viewer_call, 1);

	c->v = viewer_ref(v);
	c->fn = fn;
	c->arg = arg;
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, viewer_call_run, c, viewer_call_free);
}

/* ---- signalling -------------------------------------------------------- */

/* Main thread: send one JSON object built by the caller. */
static void send_json(struct viewer *v, JsonBuilder *b)
{
	g_autoptr(JsonNode) node = json_builder_get_root(b);
	g_autofree char *text = json_to_string(node, FALSE);

	if (v->m && v->ws && soup_websocket_connection_get_state(v->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_send_text(v->ws, text);
}

static void send_text_message(struct viewer *v, const char *type, const char *member,
			      const char *value)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, type);
	json_builder_set_member_name(b, member);
	json_builder_add_string_value(b, value);
	json_builder_end_object(b);
	send_json(v, b);
}

static void viewer_end(struct viewer *v, const char *why);

static void send_offer_main(struct viewer *v, char *sdp)
{
	send_text_message(v, "offer", "sdp", sdp);
}

static void fail_main(struct viewer *v, char *why)
{
	if (!v->m)
		return;
	send_text_message(v, "error", "message", why);
	viewer_end(v, why);
}

/* webrtcbin's thread. */
static void on_offer_created(GstPromise *promise, gpointer user)
{
	struct viewer *v = user;
	const GstStructure *reply;
	GstWebRTCSessionDescription *offer = NULL;

	if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED &&
	    (reply = gst_promise_get_reply(promise)) &&
	    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL)) {
		g_signal_emit_by_name(v->webrtc, "set-local-description", offer, NULL);
		on_main(v, send_offer_main, gst_sdp_message_as_text(offer->sdp));
		gst_webrtc_session_description_free(offer);
	} else {
		on_main(v, fail_main, g_strdup("webrtcbin could not make an offer"));
	}
	gst_promise_unref(promise);
}

static void on_negotiation_needed(GstElement *webrtc, gpointer user)
{
	struct viewer *v = user;
	GstPromise *p = gst_promise_new_with_change_func(on_offer_created, viewer_ref(v), viewer_unref);

	g_signal_emit_by_name(webrtc, "create-offer", NULL, p);
}

struct ice_args {
	guint mline;
	char *candidate;
};

static void send_ice_main(struct viewer *v, char *arg)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const char *cand = strchr(arg, ' ') + 1;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "ice");
	json_builder_set_member_name(b, "sdpMLineIndex");
	json_builder_add_int_value(b, g_ascii_strtoull(arg, NULL, 10));
	json_builder_set_member_name(b, "candidate");
	json_builder_add_string_value(b, cand);
	json_builder_end_object(b);
	send_json(v, b);
}

static void on_ice_candidate(GstElement *webrtc, guint mline, char *candidate, gpointer user)
{
	on_main(user, send_ice_main, g_strdup_printf("%u %s", mline, candidate));
}

static void ice_state_main(struct viewer *v, char *arg)
{
	GstWebRTCICEConnectionState st;

	(void)arg;
	if (!v->m)
		return;
	g_object_get(v->webrtc, "ice-connection-state", &st, NULL);
	switch (st) {
	case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
	case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
		if (v->connected)
			break;
		v->connected = true;
		slog(G_LOG_LEVEL_MESSAGE, "webrtc", v->m->device, "%s: viewer %u (%s) connected in %" G_GINT64_FORMAT " ms",
		     v->m->path, v->id, v->peer, (g_get_monotonic_time() - v->started) / 1000);
		/* Its first picture: the encoder's next unit is a key unit. */
		streamd_encode_force_key_unit(v->encode, "WebRTC viewer connected");
		break;
	case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
		viewer_end(v, "ICE failed");
		break;
	case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED:
		viewer_end(v, "ICE closed");
		break;
	default:
		break;
	}
}

static void on_ice_state(GObject *o, GParamSpec *ps, gpointer user)
{
	on_main(user, ice_state_main, NULL);
}

static void input_main(struct viewer *v, char *msg)
{
	g_autoptr(GError) err = NULL;

	if (!v->m)
		return;
	v->inputs++;
	v->m->inputs++;
	if (!streamd_input_message(v->m->vgpu, v->user, msg, &err)) {
		v->m->inputs_refused++;
		if (v->inputs <= 3 || g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
			slog(G_LOG_LEVEL_DEBUG, "webrtc", v->m->device, "%s: viewer %u: input refused: %s",
			     v->m->path, v->id, err->message);
		send_text_message(v, "input-error", "message", err->message);
	}
}

/* The data channel's thread. */
static void on_input_message(GstWebRTCDataChannel *ch, char *str, gpointer user)
{
	if (str)
		on_main(user, input_main, g_strdup(str));
}

static void answer_main(struct viewer *v, const char *sdp_text)
{
	GstSDPMessage *sdp = NULL;
	GstWebRTCSessionDescription *answer;

	if (gst_sdp_message_new_from_text(sdp_text, &sdp) != GST_SDP_OK) {
		char why[] = "the answer's SDP does not parse";

		if (sdp)
			gst_sdp_message_free(sdp);
		fail_main(v, why);
		return;
	}
	answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
	g_signal_emit_by_name(v->webrtc, "set-remote-description", answer, NULL);
	gst_webrtc_session_description_free(answer);
}

static void send_pong(struct viewer *v, JsonObject *o)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "pong");
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, json_object_get_int_member_with_default(o, "id", 0));
	json_builder_set_member_name(b, "server_us");
	json_builder_add_int_value(b, g_get_monotonic_time());
	json_builder_end_object(b);
	send_json(v, b);
}

static void on_ws_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer user)
{
	struct viewer *v = user;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *problem = NULL;
	gsize len;
	const char *data = g_bytes_get_data(message, &len);
	JsonNode *root;
	JsonObject *o;
	const char *t;

	if (!v->m)
		return;
	if (type != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data(parser, data, len, &err) ||
	    !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
		problem = g_strdup_printf("signalling message is not a JSON object%s%s",
					  err ? ": " : "", err ? err->message : "");
		goto bad;
	}
	o = json_node_get_object(root);
	t = json_object_get_string_member_with_default(o, "type", "");
	if (!strcmp(t, "ping")) {
		send_pong(v, o);
	} else if (!strcmp(t, "answer")) {
		const char *sdp = json_object_get_string_member_with_default(o, "sdp", NULL);

		if (!sdp) {
			problem = g_strdup("answer without \"sdp\"");
			goto bad;
		}
		answer_main(v, sdp);
	} else if (!strcmp(t, "ice")) {
		const char *cand = json_object_get_string_member_with_default(o, "candidate", NULL);
		gint64 mline = json_object_get_int_member_with_default(o, "sdpMLineIndex", -1);

		if (!cand || mline < 0 || mline > 64) {
			problem = g_strdup("ice without \"candidate\" and \"sdpMLineIndex\"");
			goto bad;
		}
		/* An empty candidate is the end of the peer's candidates. */
		if (*cand)
			g_signal_emit_by_name(v->webrtc, "add-ice-candidate", (guint)mline, cand);
	} else {
		problem = g_strdup_printf("unknown signalling message type '%s' (answer, ice, ping)", t);
		goto bad;
	}
	return;
bad:
	slog(G_LOG_LEVEL_MESSAGE, "webrtc", v->m->device, "%s: viewer %u (%s): %s", v->m->path, v->id,
	     v->peer, problem);
	send_text_message(v, "error", "message", problem);
}

static void on_ws_closed(SoupWebsocketConnection *ws, gpointer user)
{
	viewer_end(user, "signalling closed");
}

/* ---- media ------------------------------------------------------------- */

/* The encode's streaming thread, with its lock held: no blocking. */
static void on_unit(GstBuffer *buf, GstCaps *caps, bool key, void *user)
{
	struct viewer *v = user;
	GstAppSrc *src = GST_APP_SRC(v->src);
	GstClockTime now;
	GstBuffer *out;
	bool want_key = false;

	g_mutex_lock(&v->lock);
	/* A viewer that fell behind loses whole GOPs, never part of one. */
	if (!v->gated && gst_app_src_get_current_level_buffers(src) >= VIEWER_QUEUE_MAX) {
		v->gated = true;
		want_key = true;
	}
	if (v->gated && !key)
		goto out;
	now = gst_element_get_current_running_time(v->src);
	if (!GST_CLOCK_TIME_IS_VALID(now))
		goto out;
	v->gated = false;
	v->units++;
	if (caps)
		gst_app_src_set_caps(src, caps);
	/* One time stamp per access unit: one RTP time for all its packets. */
	out = gst_buffer_copy(buf);
	GST_BUFFER_PTS(out) = GST_BUFFER_DTS(out) = now;
	gst_app_src_push_buffer(src, out);
out:
	g_mutex_unlock(&v->lock);
	if (want_key)
		streamd_encode_force_key_unit(v->encode, "a WebRTC viewer fell behind");
}

/* The browser's PLI or FIR, which rtpbin turns into an upstream
 * force-key-unit event: ask the shared encoder. */
static GstPadProbeReturn on_upstream_event(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	struct viewer *v = user;

	if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) {
		streamd_encode_force_key_unit(v->encode, "WebRTC viewer asked for a key frame");
		return GST_PAD_PROBE_DROP;
	}
	return GST_PAD_PROBE_OK;
}

static void error_main(struct viewer *v, char *why)
{
	viewer_end(v, why);
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
	struct viewer *v = user;

	if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
		g_autoptr(GError) err = NULL;
		g_autofree char *dbg = NULL;

		gst_message_parse_error(msg, &err, &dbg);
		if (v->m)
			slog(G_LOG_LEVEL_WARNING, "webrtc", v->m->device, "%s: viewer %u: %s (%s)",
			     v->m->path, v->id, err->message, dbg ? dbg : "");
		on_main(v, error_main, g_strdup_printf("pipeline error: %s", err->message));
	}
	return G_SOURCE_CONTINUE;
}

/* Main thread.  Ends V (idempotent): no callback of the encode, webrtcbin
 * or the WebSocket reaches it afterwards, except main-context calls that
 * find v->m NULL. */
static void viewer_end(struct viewer *v, const char *why)
{
	struct streamd_webrtc_mount *m = v->m;

	if (!m)
		return;
	v->m = NULL;
	if (v->sub_id)
		streamd_encode_unsubscribe(v->encode, v->sub_id);
	v->sub_id = 0;
	if (v->ws) {
		g_signal_handlers_disconnect_by_data(v->ws, v);
		if (soup_websocket_connection_get_state(v->ws) == SOUP_WEBSOCKET_STATE_OPEN)
			soup_websocket_connection_close(v->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	}
	if (v->bus_watch)
		g_source_remove(v->bus_watch);
	v->bus_watch = 0;
	if (v->pipeline)
		gst_element_set_state(v->pipeline, GST_STATE_NULL);
	if (v->webrtc)
		g_signal_handlers_disconnect_matched(v->webrtc, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, v);
	if (v->input)
		g_signal_handlers_disconnect_matched(v->input, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, v);
	slog(G_LOG_LEVEL_MESSAGE, "webrtc", m->device, "%s: viewer %u (%s) gone: %s; %u left",
	     m->path, v->id, v->peer, why, m->viewers->len - 1);
	g_ptr_array_remove(m->viewers, v);	/* drops the mount's ref */
}

static bool viewer_start(struct viewer *v, GError **error)
{
	struct streamd_webrtc *w = v->m->w;
	g_autoptr(GstPad) pad = NULL;
	g_autoptr(GstBus) bus = NULL;
	GError *e = NULL;

	/* A missing element is fatal: no half-built pipeline. */
	v->pipeline = gst_parse_launch_full(
		"appsrc name=src is-live=true format=time block=false max-bytes=0 "
		"! rtph264pay name=pay pt=96 config-interval=-1 aggregate-mode=zero-latency "
		"! application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 "
		"! webrtcbin name=webrtc bundle-policy=max-bundle", NULL, GST_PARSE_FLAG_FATAL_ERRORS, &e);
	if (!v->pipeline) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot build the viewer's pipeline: %s "
			    "(are gstreamer1.0-plugins-bad and gstreamer1.0-nice installed?)",
			    e ? e->message : "unknown error");
		g_clear_error(&e);
		return false;
	}
	v->src = gst_bin_get_by_name(GST_BIN(v->pipeline), "src");
	v->webrtc = gst_bin_get_by_name(GST_BIN(v->pipeline), "webrtc");
	if (w->stun_server)
		g_object_set(v->webrtc, "stun-server", w->stun_server, NULL);
	if (w->turn_server)
		g_object_set(v->webrtc, "turn-server", w->turn_server, NULL);
	pad = gst_element_get_static_pad(v->src, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, v, NULL);
	g_signal_connect_data(v->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed),
			      viewer_ref(v), viewer_closure_unref, 0);
	g_signal_connect_data(v->webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate),
			      viewer_ref(v), viewer_closure_unref, 0);
	g_signal_connect_data(v->webrtc, "notify::ice-connection-state", G_CALLBACK(on_ice_state),
			      viewer_ref(v), viewer_closure_unref, 0);
	bus = gst_element_get_bus(v->pipeline);
	v->bus_watch = gst_bus_add_watch_full(bus, G_PRIORITY_DEFAULT, on_bus, viewer_ref(v), viewer_unref);
	if (gst_element_set_state(v->pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the viewer's pipeline does not start");
		return false;
	}
	/* In the first offer: the page's keyboard and pointer. */
	g_signal_emit_by_name(v->webrtc, "create-data-channel", "input", NULL, &v->input);
	if (!v->input) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "webrtcbin makes no data channel "
			    "(is the sctp plugin of gstreamer1.0-plugins-bad installed?)");
		return false;
	}
	g_signal_connect_data(v->input, "on-message-string", G_CALLBACK(on_input_message),
			      viewer_ref(v), viewer_closure_unref, 0);
	if (gst_element_set_state(v->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the viewer's pipeline does not play");
		return false;
	}
	/* The caps of the first unit let webrtcbin make its offer. */
	v->sub_id = streamd_encode_subscribe(v->encode, on_unit, v);
	return true;
}

/* [daemon] stun-server and turn-server for the page's RTCPeerConnection:
 * stun://H:P -> {"urls":"stun:H:P"}, turn://U:W@H:P -> {"urls":"turn:H:P",
 * "username":U,"credential":W} (config.c checked their form). */
static void add_ice_server(JsonBuilder *b, const char *url)
{
	g_autoptr(GUri) u = url ? g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD, NULL) : NULL;
	g_autofree char *urls = NULL;
	const char *host;

	if (!u)
		return;
	host = g_uri_get_host(u);
	urls = g_strdup_printf("%s:%s%s%s", g_uri_get_scheme(u), strchr(host, ':') ? "[" : "", host,
			       strchr(host, ':') ? "]" : "");
	if (g_uri_get_port(u) > 0) {
		char *t = g_strdup_printf("%s:%d", urls, g_uri_get_port(u));

		g_free(urls);
		urls = t;
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "urls");
	json_builder_add_string_value(b, urls);
	if (g_uri_get_user(u)) {
		json_builder_set_member_name(b, "username");
		json_builder_add_string_value(b, g_uri_get_user(u));
		json_builder_set_member_name(b, "credential");
		json_builder_add_string_value(b, g_uri_get_password(u));
	}
	json_builder_end_object(b);
}

static void on_websocket(SoupServer *server, SoupServerMessage *msg, const char *path,
			 SoupWebsocketConnection *ws, gpointer user)
{
	struct streamd_webrtc_mount *m = user;
	struct viewer *v = g_new0(struct viewer, 1);
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	bool input;

	v->ref = 1;
	g_mutex_init(&v->lock);
	v->m = m;
	v->encode = m->encode;
	v->id = ++m->next_id;
	v->gated = true;
	v->started = g_get_monotonic_time();
	v->peer = g_strdup(soup_server_message_get_remote_host(msg));
	v->user = g_strdup(g_object_get_data(G_OBJECT(msg), MSG_USER_KEY));
	v->ws = g_object_ref(ws);
	g_ptr_array_add(m->viewers, v);	/* the mount's ref */
	m->viewers_total++;
	/* Dead peers are found within the interval. */
	soup_websocket_connection_set_keepalive_interval(ws, 10);
	g_signal_connect(ws, "message", G_CALLBACK(on_ws_message), v);
	g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), v);

	input = streamd_input_allowed(m->vgpu, v->user);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "hello");
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, m->name);
	json_builder_set_member_name(b, "user");
	if (v->user)
		json_builder_add_string_value(b, v->user);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "input");
	json_builder_add_boolean_value(b, input);
	json_builder_set_member_name(b, "clock");
	json_builder_add_string_value(b, "monotonic");
	json_builder_set_member_name(b, "iceServers");
	json_builder_begin_array(b);
	add_ice_server(b, m->w->stun_server);
	add_ice_server(b, m->w->turn_server);
	json_builder_end_array(b);
	json_builder_end_object(b);
	send_json(v, b);
	slog(G_LOG_LEVEL_MESSAGE, "webrtc", m->device, "%s: viewer %u (%s%s%s) signalling, %s, %u now",
	     m->path, v->id, v->peer, v->user ? ", user " : "", v->user ? v->user : "",
	     input ? "input allowed" : "view only", m->viewers->len);
	if (!viewer_start(v, &err)) {
		slog(G_LOG_LEVEL_WARNING, "webrtc", m->device, "%s: viewer %u: %s", m->path, v->id,
		     err->message);
		send_text_message(v, "error", "message", err->message);
		viewer_end(v, "could not start");
	}
}

/* ---- HTTP -------------------------------------------------------------- */

static struct streamd_webrtc_mount *mount_for(struct streamd_webrtc *w, const char *path, bool *ret_ws)
{
	struct streamd_webrtc_mount *m = g_hash_table_lookup(w->mounts, path);
	const char *slash;

	*ret_ws = false;
	if (m)
		return m;
	slash = strrchr(path, '/');
	if (slash && slash != path && !strcmp(slash, "/ws")) {
		g_autofree char *base = g_strndup(path, slash - path);

		m = g_hash_table_lookup(w->mounts, base);
		*ret_ws = m != NULL;
	}
	return m;
}

/*
 * Every answer but a WebSocket's ends its connection.  libsoup before 3.3
 * (Debian 12: 3.2.3) never closes an idle keep-alive connection that the
 * client closed (fixed upstream by "server: do not leak idle connections
 * closed by the client", d20c6601): each page load and each refusal would
 * keep an fd in CLOSE_WAIT for the daemon's life.  A page is loaded once,
 * so keep-alive saves nothing here.
 */
static void close_after(SoupServerMessage *msg)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
				     "close");
}

static void refuse(SoupServerMessage *msg, guint status, const char *text)
{
	g_autofree char *body = g_strdup_printf("%s\n", text);

	close_after(msg);
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
					 body, strlen(body));
}

/* SoupAuthDomainBasic's check of a login: the users file's, as for RTSP. */
static gboolean on_login(SoupAuthDomain *domain, SoupServerMessage *msg, const char *user,
			 const char *password, gpointer data)
{
	struct streamd_webrtc *w = data;
	g_autofree char *shown = NULL;

	if (streamd_users_check(w->users, user, password))
		return TRUE;
	shown = g_strescape(user, NULL);	/* the client's, not the file's */
	slog(G_LOG_LEVEL_MESSAGE, "webrtc", NULL, "%s from %s: login refused: wrong user or password "
	     "for '%s'", g_uri_get_path(soup_server_message_get_uri(msg)),
	     soup_server_message_get_remote_host(msg), shown);
	return FALSE;
}

/* Basic authentication sends the password as it is: only over TLS, or
 * where it does not leave the machine. */
static bool login_safe(struct streamd_webrtc *w, SoupServerMessage *msg)
{
	GSocketAddress *sa = soup_server_message_get_remote_address(msg);

	if (!strcmp(w->scheme, "https"))
		return true;
	return G_IS_INET_SOCKET_ADDRESS(sa) &&
	       g_inet_address_get_is_loopback(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}

/*
 * With users: the login, or false with MSG answered (401 and a basic
 * challenge, or 403 off loopback without TLS).  The domain is driven from
 * here, not given to soup_server_add_auth_domain(): libsoup runs no early
 * handler for a request its auth domain accepted (soup-server.c,
 * got_headers()), and the token and origin checks are early handlers.
 */
static bool login(struct streamd_webrtc *w, SoupServerMessage *msg, const char *what)
{
	char *user;

	if (!w->login)
		return true;
	if (!login_safe(w, msg)) {
		slog(G_LOG_LEVEL_WARNING, "webrtc", NULL, "%s from %s refused: a login over plain http "
		     "from another host", what, soup_server_message_get_remote_host(msg));
		refuse(msg, SOUP_STATUS_FORBIDDEN, "a login (HTTP basic authentication) is only taken "
		       "over TLS (https) or from a loopback address: set [daemon] tls-certificate and "
		       "tls-key, or use an SSH tunnel");
		return false;
	}
	user = soup_auth_domain_accepts(w->login, msg);
	if (!user) {
		static const char text[] = "a login is needed (a user and password of the daemon's "
					   "users file, [daemon] rtsp-users)\n";

		close_after(msg);
		soup_auth_domain_challenge(w->login, msg);
		soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
						 text, sizeof(text) - 1);
		return false;
	}
	g_object_set_data_full(G_OBJECT(msg), MSG_USER_KEY, user, g_free);
	return true;
}

/* The page's own origin only: another web site open in the same browser
 * must not reach a desktop on loopback (cross-site WebSocket hijacking). */
static bool origin_ok(SoupServerMessage *msg)
{
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	const char *origin = soup_message_headers_get_one(h, "Origin");
	const char *host = soup_message_headers_get_one(h, "Host");
	g_autoptr(GUri) u = NULL;
	g_autofree char *hostport = NULL;
	const char *scheme;

	if (!origin)
		return true;	/* not a browser */
	u = g_uri_parse(origin, G_URI_FLAGS_NONE, NULL);
	if (!u || !host)
		return false;
	scheme = g_uri_get_scheme(u);
	if (g_uri_get_port(u) > 0 &&
	    !((!strcmp(scheme, "http") && g_uri_get_port(u) == 80) ||
	      (!strcmp(scheme, "https") && g_uri_get_port(u) == 443)))
		hostport = g_strdup_printf("%s:%d", g_uri_get_host(u), g_uri_get_port(u));
	else
		hostport = g_strdup(g_uri_get_host(u));
	if (strchr(g_uri_get_host(u), ':')) {	/* IPv6: the Host header has brackets */
		g_free(hostport);
		hostport = g_uri_get_port(u) > 0 ?
			g_strdup_printf("[%s]:%d", g_uri_get_host(u), g_uri_get_port(u)) :
			g_strdup_printf("[%s]", g_uri_get_host(u));
	}
	return !g_ascii_strcasecmp(hostport, host);
}

/* Before every other handler (for "/" and each /NAME/ws): once a status is
 * set libsoup runs none. */
static void on_early(SoupServer *server, SoupServerMessage *msg, const char *path,
		     GHashTable *query, gpointer user)
{
	struct streamd_webrtc *w = user;
	const char *method = soup_server_message_get_method(msg);
	struct streamd_webrtc_mount *m;
	const char *login_user;
	bool ws;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "only GET here");
		return;
	}
	/* The login first: who has none learns nothing, not even which
	 * vGPUs exist. */
	if (!login(w, msg, path))
		return;
	m = mount_for(w, path, &ws);
	if (!m) {
		refuse(msg, SOUP_STATUS_NOT_FOUND, "no vGPU here (gvt-dmabuf status lists the WebRTC URLs)");
		return;
	}
	if (w->token && !streamd_secret_equal(w->token, query ? g_hash_table_lookup(query, "token") : NULL)) {
		slog(G_LOG_LEVEL_MESSAGE, "webrtc", m->device, "%s: %s from %s refused: %s token",
		     m->path, ws ? "WebSocket" : "page", soup_server_message_get_remote_host(msg),
		     query && g_hash_table_lookup(query, "token") ? "wrong" : "no");
		refuse(msg, SOUP_STATUS_FORBIDDEN, "a valid ?token= is needed");
		return;
	}
	login_user = g_object_get_data(G_OBJECT(msg), MSG_USER_KEY);
	if (login_user && m->allowed_users &&
	    !g_strv_contains((const char *const *)m->allowed_users, login_user)) {
		slog(G_LOG_LEVEL_MESSAGE, "webrtc", m->device, "%s: %s from %s refused: user %s is not "
		     "in allowed-users", m->path, ws ? "WebSocket" : "page",
		     soup_server_message_get_remote_host(msg), login_user);
		refuse(msg, SOUP_STATUS_FORBIDDEN, "this user may not view this vGPU (allowed-users)");
		return;
	}
	if (ws && !origin_ok(msg)) {
		refuse(msg, SOUP_STATUS_FORBIDDEN, "WebSocket from another origin refused");
		return;
	}
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer user)
{
	struct streamd_webrtc *w = user;
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	g_autoptr(GBytes) page = NULL;
	bool ws;

	if (soup_server_message_get_status(msg))
		return;
	if (!mount_for(w, path, &ws) || ws) {
		refuse(msg, ws ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_NOT_FOUND,
		       ws ? "a WebSocket is expected here" : "no vGPU here");
		return;
	}
	page = g_resources_lookup_data(PAGE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	close_after(msg);
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
	soup_message_headers_replace(h, "Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
		"connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data:");
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
					 g_bytes_get_data(page, NULL), g_bytes_get_size(page));
}

struct streamd_webrtc *streamd_webrtc_create(const struct streamd_config *cfg, GError **error)
{
	struct streamd_webrtc *w = g_new0(struct streamd_webrtc, 1);
	g_autoptr(GSocketAddress) sa = NULL;
	GSList *listeners;
	GError *e = NULL;
	const char *missing = NULL;

	w->mounts = g_hash_table_new(g_str_hash, g_str_equal);
	w->address = g_strdup(cfg->webrtc_address);
	w->token = g_strdup(cfg->webrtc_token);
	if (cfg->rtsp_users) {
		w->users = g_ptr_array_ref(cfg->rtsp_users);
		w->login = soup_auth_domain_basic_new("realm", LOGIN_REALM, NULL);
		soup_auth_domain_basic_set_auth_callback(w->login, on_login, w, NULL);
		soup_auth_domain_add_path(w->login, "/");
	}
	w->stun_server = g_strdup(cfg->stun_server);
	w->turn_server = g_strdup(cfg->turn_server);
	w->scheme = cfg->tls_certificate ? "https" : "http";
	for (const char *const *f = (const char *const[]){ "webrtcbin", "nicesrc", "rtph264pay",
							    "sctpenc", NULL }; *f && !missing; f++) {
		GstElementFactory *fac = gst_element_factory_find(*f);

		if (!fac)
			missing = *f;
		else
			gst_object_unref(fac);
	}
	if (missing) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "no WebRTC: GStreamer element %s is missing (install gstreamer1.0-plugins-bad, "
			    "gstreamer1.0-plugins-good and gstreamer1.0-nice)", missing);
		goto error;
	}
	w->server = soup_server_new("server-header", "gvt-streamd", "tls-certificate",
				    cfg->tls_certificate, NULL);
	soup_server_add_early_handler(w->server, NULL, on_early, w, NULL);
	soup_server_add_handler(w->server, NULL, on_request, w, NULL);
	sa = g_inet_socket_address_new_from_string(cfg->webrtc_address, cfg->webrtc_port);
	if (!sa || !soup_server_listen(w->server, sa, cfg->tls_certificate ? SOUP_SERVER_LISTEN_HTTPS : 0,
				       &e)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot listen for WebRTC on %s port %u: %s (set [daemon] webrtc-port)",
			    cfg->webrtc_address, cfg->webrtc_port, e ? e->message : "bad address");
		g_clear_error(&e);
		goto error;
	}
	listeners = soup_server_get_listeners(w->server);
	if (listeners) {
		g_autoptr(GSocketAddress) local = g_socket_get_local_address(listeners->data, NULL);

		if (local)
			w->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	}
	g_slist_free(listeners);
	slog(G_LOG_LEVEL_MESSAGE, "webrtc", NULL, "WebRTC server listening on %s port %d (%s%s%s%s%s)",
	     w->address, w->port, cfg->tls_certificate ? "https, wss" : "http, ws",
	     w->token ? ", token needed" : "", w->login ? ", login needed (rtsp-users)" : "",
	     w->stun_server ? ", STUN" : "",
	     w->turn_server ? ", TURN" : "");
	return w;
error:
	streamd_webrtc_destroy(w);
	return NULL;
}

void streamd_webrtc_destroy(struct streamd_webrtc *w)
{
	if (!w)
		return;
	if (w->server) {
		soup_server_disconnect(w->server);
		g_object_unref(w->server);
	}
	g_hash_table_destroy(w->mounts);
	g_clear_object(&w->login);
	if (w->users)
		g_ptr_array_unref(w->users);
	g_free(w->address);
	g_free(w->token);
	g_free(w->stun_server);
	g_free(w->turn_server);
	g_free(w);
}

static char *path_for(const char *name)
{
	GString *p = g_string_new("/");

	for (const char *c = name; *c; c++)
		g_string_append_c(p, g_ascii_isalnum(*c) || strchr("._~-", *c) ? *c : '-');
	return g_string_free(p, FALSE);
}

struct streamd_webrtc_mount *streamd_webrtc_mount_create(struct streamd_webrtc *w,
							 struct streamd_vgpu *v,
							 struct streamd_encode *encode,
							 const struct streamd_vgpu_config *cfg,
							 GError **error)
{
	struct streamd_webrtc_mount *m;
	g_autofree char *path = path_for(cfg->name ? cfg->name : cfg->device);

	if (g_hash_table_contains(w->mounts, path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "WebRTC page %s is taken by another vGPU (give this one another name)", path);
		return NULL;
	}
	m = g_new0(struct streamd_webrtc_mount, 1);
	m->w = w;
	m->vgpu = v;
	m->encode = encode;
	m->path = g_steal_pointer(&path);
	m->ws_path = g_strdup_printf("%s/ws", m->path);
	m->device = g_strdup(cfg->device);
	m->name = g_strdup(cfg->name ? cfg->name : cfg->device);
	m->allowed_users = g_strdupv(cfg->allowed_users);
	m->viewers = g_ptr_array_new_with_free_func(viewer_unref);
	g_hash_table_insert(w->mounts, m->path, m);
	/* libsoup runs the handlers of the longest matching path only: the
	 * checks of "/" are added to this path too. */
	soup_server_add_early_handler(w->server, m->ws_path, on_early, w, NULL);
	soup_server_add_websocket_handler(w->server, m->ws_path, NULL, NULL, on_websocket, m, NULL);
	slog(G_LOG_LEVEL_MESSAGE, "webrtc", m->device, "%s: WebRTC page %s://%s%s%s:%d%s",
	     m->device, w->scheme, strchr(w->address, ':') ? "[" : "", w->address,
	     strchr(w->address, ':') ? "]" : "", w->port, m->path);
	return m;
}

void streamd_webrtc_mount_destroy(struct streamd_webrtc_mount *m)
{
	if (!m)
		return;
	soup_server_remove_handler(m->w->server, m->ws_path);
	g_hash_table_remove(m->w->mounts, m->path);
	while (m->viewers->len)
		viewer_end(m->viewers->pdata[m->viewers->len - 1], "the vGPU's stream ends");
	g_ptr_array_unref(m->viewers);
	g_free(m->path);
	g_free(m->ws_path);
	g_free(m->device);
	g_free(m->name);
	g_strfreev(m->allowed_users);
	g_free(m);
}

void streamd_webrtc_mount_status(struct streamd_webrtc_mount *m, GVariantBuilder *b)
{
	struct streamd_webrtc *w = m->w;
	bool v6 = strchr(w->address, ':') != NULL;
	g_autofree char *url = g_strdup_printf("%s://%s%s%s:%d%s", w->scheme, v6 ? "[" : "", w->address,
					       v6 ? "]" : "", w->port, m->path);
	guint connected = 0;
	guint64 units = 0;
	GVariantBuilder users, inputs;

	g_variant_builder_init(&users, G_VARIANT_TYPE_STRING_ARRAY);
	g_variant_builder_init(&inputs, G_VARIANT_TYPE("ab"));
	for (guint i = 0; i < m->viewers->len; i++) {
		struct viewer *v = m->viewers->pdata[i];

		g_variant_builder_add(&users, "s", v->user ? v->user : "");
		g_variant_builder_add(&inputs, "b", (gboolean)streamd_input_allowed(m->vgpu, v->user));
		connected += v->connected;
		g_mutex_lock(&v->lock);
		units += v->units;
		g_mutex_unlock(&v->lock);
	}
	g_variant_builder_add(b, "{sv}", "webrtc-url", g_variant_new_string(url));
	g_variant_builder_add(b, "{sv}", "webrtc-token-needed", g_variant_new_boolean(w->token != NULL));
	g_variant_builder_add(b, "{sv}", "webrtc-login-needed", g_variant_new_boolean(w->login != NULL));
	g_variant_builder_add(b, "{sv}", "webrtc-viewers", g_variant_new_uint32(m->viewers->len));
	g_variant_builder_add(b, "{sv}", "webrtc-viewer-users", g_variant_builder_end(&users));
	g_variant_builder_add(b, "{sv}", "webrtc-viewer-input", g_variant_builder_end(&inputs));
	g_variant_builder_add(b, "{sv}", "webrtc-connected", g_variant_new_uint32(connected));
	g_variant_builder_add(b, "{sv}", "webrtc-viewers-total", g_variant_new_uint64(m->viewers_total));
	g_variant_builder_add(b, "{sv}", "webrtc-units", g_variant_new_uint64(units));
	g_variant_builder_add(b, "{sv}", "webrtc-inputs", g_variant_new_uint64(m->inputs));
	g_variant_builder_add(b, "{sv}", "webrtc-inputs-refused", g_variant_new_uint64(m->inputs_refused));
}
