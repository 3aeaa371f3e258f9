/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd's remote input (service/streamd/input.c) on its own: the
 * page's JSON messages become gvtdmabufsrc's "gvtdmabuf-input" events with
 * the right evdev codes; bad messages are refused naming what is wrong;
 * input is off (view only) unless the vGPU's configuration allows it.
 * Then the real element, on a sim vGPU in a running pipeline, takes the
 * events (and GstNavigation events), refuses malformed ones, and its
 * streaming thread passes them to the library, which says the sim takes
 * no input (the element's one INFO message shows the thread got them).
 */
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/video/navigation.h>
#include <linux/input-event-codes.h>

#include "input.h"
#include "streamd.h"

/* ---- the capture, faked: input.c's view of it ---- */
struct streamd_vgpu {
	bool input;
	GstStructure *sent;
	GstElement *src;	/* NULL: only record */
};

bool streamd_vgpu_input_enabled(const struct streamd_vgpu *v)
{
	return v->input;
}

bool streamd_vgpu_send_input(struct streamd_vgpu *v, GstStructure *s)
{
	if (v->src) {
		bool ok = gst_element_send_event(v->src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
									     gst_structure_copy(s)));
		if (!ok) {
			gst_structure_free(s);
			return false;
		}
	}
	if (v->sent)
		gst_structure_free(v->sent);
	v->sent = s;
	return true;
}

const char *streamd_vgpu_device(const struct streamd_vgpu *v)
{
	(void)v;
	return "sim:test";
}

static void expect(struct streamd_vgpu *v, const char *msg, const char *want)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *got = NULL;

	g_assert_true(streamd_input_message(v, NULL, msg, &e));
	g_assert_no_error(e);
	got = gst_structure_to_string(v->sent);
	g_test_message("%s -> %s", msg, got);
	g_assert_cmpstr(got, ==, want);
}

static void refused(struct streamd_vgpu *v, const char *msg, int code, const char *part)
{
	g_autoptr(GError) e = NULL;

	g_assert_false(streamd_input_message(v, NULL, msg, &e));
	g_assert_error(e, G_IO_ERROR, code);
	g_test_message("%s -> %s", msg, e->message);
	g_assert_nonnull(strstr(e->message, part));
}

static void test_view_only(void)
{
	struct streamd_vgpu v = { .input = false };

	g_assert_false(streamd_input_allowed(&v, NULL));
	g_assert_false(streamd_input_allowed(&v, "alice"));
	refused(&v, "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}",
		G_IO_ERROR_PERMISSION_DENIED, "view only");
	g_assert_null(v.sent);
}

static void test_messages(void)
{
	struct streamd_vgpu v = { .input = true };
	char want[128];

	g_assert_true(streamd_input_allowed(&v, NULL));
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_A);
	expect(&v, "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)false;", KEY_Z);
	expect(&v, "{\"type\":\"key\",\"code\":\"KeyZ\",\"down\":false}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_0);
	expect(&v, "{\"type\":\"key\",\"code\":\"Digit0\",\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_9);
	expect(&v, "{\"type\":\"key\",\"code\":\"Digit9\",\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_F10);
	expect(&v, "{\"type\":\"key\",\"code\":\"F10\",\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_F12);
	expect(&v, "{\"type\":\"key\",\"code\":\"F12\",\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_LEFTSHIFT);
	expect(&v, "{\"type\":\"key\",\"code\":\"ShiftLeft\",\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)key, code=(uint)%u, pressed=(boolean)true;", KEY_UP);
	expect(&v, "{\"type\":\"key\",\"code\":\"ArrowUp\",\"down\":true}", want);
	expect(&v, "{\"type\":\"move\",\"x\":120,\"y\":45}",
	       "gvtdmabuf-input, type=(string)move, x=(uint)120, y=(uint)45;");
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)button, button=(uint)%u, pressed=(boolean)true;", BTN_LEFT);
	expect(&v, "{\"type\":\"button\",\"button\":0,\"down\":true}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)button, button=(uint)%u, pressed=(boolean)false;", BTN_MIDDLE);
	expect(&v, "{\"type\":\"button\",\"button\":1,\"down\":false}", want);
	snprintf(want, sizeof(want), "gvtdmabuf-input, type=(string)button, button=(uint)%u, pressed=(boolean)true;", BTN_RIGHT);
	expect(&v, "{\"type\":\"button\",\"button\":2,\"down\":true}", want);
	expect(&v, "{\"type\":\"wheel\",\"steps\":-3}", "gvtdmabuf-input, type=(string)wheel, steps=(int)-3;");

	refused(&v, "not json", G_IO_ERROR_INVALID_DATA, "not JSON");
	refused(&v, "[1,2]", G_IO_ERROR_INVALID_DATA, "not a JSON object");
	refused(&v, "{\"code\":\"KeyA\"}", G_IO_ERROR_INVALID_DATA, "no \"type\"");
	refused(&v, "{\"type\":[1]}", G_IO_ERROR_INVALID_DATA, "no \"type\"");
	refused(&v, "{\"type\":\"jump\"}", G_IO_ERROR_INVALID_DATA, "\"jump\", not key, move");
	refused(&v, "{\"type\":\"key\",\"code\":\"KeyAA\",\"down\":true}", G_IO_ERROR_INVALID_DATA, "\"KeyAA\" is not a key");
	refused(&v, "{\"type\":\"key\",\"code\":65,\"down\":true}", G_IO_ERROR_INVALID_DATA, "KeyboardEvent.code");
	refused(&v, "{\"type\":\"key\",\"code\":\"KeyA\"}", G_IO_ERROR_INVALID_DATA, "\"down\" as true or false");
	refused(&v, "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":1}", G_IO_ERROR_INVALID_DATA, "\"down\" as true or false");
	refused(&v, "{\"type\":\"move\",\"x\":-1,\"y\":4}", G_IO_ERROR_INVALID_DATA, "\"x\" is -1, not in 0..65535");
	refused(&v, "{\"type\":\"move\",\"x\":1.5,\"y\":4}", G_IO_ERROR_INVALID_DATA, "\"x\" as an integer");
	refused(&v, "{\"type\":\"button\",\"button\":3,\"down\":true}", G_IO_ERROR_INVALID_DATA, "\"button\" is 3, not in 0..2");
	refused(&v, "{\"type\":\"wheel\",\"steps\":0}", G_IO_ERROR_INVALID_DATA, "\"steps\" is 0");
	refused(&v, "{\"type\":\"wheel\",\"steps\":121}", G_IO_ERROR_INVALID_DATA, "not in -120..120");
	gst_structure_free(v.sent);
}

/* ---- the element ---- */
static GMutex log_lock;
static bool saw_no_input;

static void on_log(GstDebugCategory *cat, GstDebugLevel level, const gchar *file, const gchar *fn,
		   gint line, GObject *obj, GstDebugMessage *msg, gpointer data)
{
	(void)cat; (void)level; (void)file; (void)fn; (void)line; (void)obj; (void)data;
	if (strstr(gst_debug_message_get(msg), "takes no input")) {
		g_mutex_lock(&log_lock);
		saw_no_input = true;
		g_mutex_unlock(&log_lock);
	}
}

static void test_element(void)
{
	g_autoptr(GError) e = NULL;
	GstElement *pipe = gst_parse_launch("gvtdmabufsrc name=src device=sim:320x240,fps=30 ! fakesink", &e);
	struct streamd_vgpu v = { .input = true };
	GstElement *sink;
	GstPad *pad;
	gint64 end;

	g_assert_no_error(e);
	gst_debug_set_threshold_for_name("gvtdmabufsrc", GST_LEVEL_INFO);
	gst_debug_add_log_function(on_log, NULL, NULL);
	v.src = gst_bin_get_by_name(GST_BIN(pipe), "src");
	g_assert_cmpint(gst_element_set_state(pipe, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
	g_assert_cmpint(gst_element_get_state(pipe, NULL, NULL, 5 * GST_SECOND), ==, GST_STATE_CHANGE_SUCCESS);

	/* through input.c, into the element */
	expect(&v, "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}",
	       "gvtdmabuf-input, type=(string)key, code=(uint)30, pressed=(boolean)true;");
	/* malformed custom events are refused by the element itself */
	g_assert_false(gst_element_send_event(v.src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
		gst_structure_new("gvtdmabuf-input", "type", G_TYPE_STRING, "key", NULL))));
	g_assert_false(gst_element_send_event(v.src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
		gst_structure_new("gvtdmabuf-input", "type", G_TYPE_STRING, "fly", NULL))));
	/* navigation events from downstream, as a video sink sends them */
	sink = gst_bin_get_by_name(GST_BIN(pipe), "fakesink0");
	pad = gst_element_get_static_pad(sink, "sink");
	g_assert_true(gst_pad_push_event(pad, gst_navigation_event_new_mouse_move(10, 20, 0)));
	g_assert_true(gst_pad_push_event(pad, gst_navigation_event_new_mouse_button_press(1, 10, 20, 0)));
	g_assert_true(gst_pad_push_event(pad, gst_navigation_event_new_key_press("Return", 0)));
	g_assert_true(gst_pad_push_event(pad, gst_navigation_event_new_key_press("q", 0)));
	/* a key with no evdev code, a fourth button: not passed on */
	g_assert_false(gst_pad_push_event(pad, gst_navigation_event_new_key_press("XF86Launch7", 0)));
	g_assert_false(gst_pad_push_event(pad, gst_navigation_event_new_mouse_button_press(8, 1, 1, 0)));
	gst_object_unref(pad);
	gst_object_unref(sink);

	/* the streaming thread took them to the library (the sim: no input) */
	end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	for (;;) {
		bool seen;

		g_mutex_lock(&log_lock);
		seen = saw_no_input;
		g_mutex_unlock(&log_lock);
		if (seen || g_get_monotonic_time() > end)
			break;
		g_usleep(10000);
	}
	g_assert_true(saw_no_input);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_debug_remove_log_function(on_log);
	gst_object_unref(v.src);
	gst_object_unref(pipe);
	gst_structure_free(v.sent);
}

int main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/input/view-only", test_view_only);
	g_test_add_func("/input/messages", test_messages);
	if (gst_element_factory_find("gvtdmabufsrc"))
		g_test_add_func("/input/element", test_element);
	return g_test_run();
}
