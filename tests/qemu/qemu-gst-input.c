/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabufsrc's input on a real QEMU (run by qemu-client on the same
 * boot, before it kills QEMU): upstream navigation events and the
 * custom "gvtdmabuf-input" event reach the guest's evdev, and with
 * input=false they do not.
 *
 *   qemu-gst-input DEVICE REPORT_LOG
 *
 * Prints what it checks as TAP comments; exits 0 when all held.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/video/navigation.h>
#include <linux/input-event-codes.h>

static const char *report_path;
static int failed;

static void check(gboolean cond, const char *what)
{
	printf("# gst-input: %s: %s\n", cond ? "ok" : "FAILED", what);
	fflush(stdout);
	if (!cond)
		failed++;
}

static size_t report_len(void)
{
	g_autofree char *r = NULL;
	gsize n = 0;

	g_file_get_contents(report_path, &r, &n, NULL);
	return n;
}

/* The report holds @line after byte @from (@tenths/10 s at most: TCG is
 * slow). */
static gboolean wait_text(const char *want, size_t from, int tenths)
{
	for (int i = 0; i < tenths; i++) {
		g_autofree char *r = NULL;
		gsize n = 0;

		if (g_file_get_contents(report_path, &r, &n, NULL) && n > from) {
			g_autofree char *tail = g_strdup(r + from);

			g_strdelimit(tail, "\r", '\n');
			if (strstr(tail, want))
				return TRUE;
		}
		g_usleep(100000);
	}
	return FALSE;
}

static gboolean wait_line(const char *line, size_t from)
{
	g_autofree char *want = g_strdup_printf("%s\n", line);

	return wait_text(want, from, 100);
}

static gboolean has_line(const char *line, size_t from, size_t to)
{
	g_autofree char *r = NULL;
	g_autofree char *want = g_strdup_printf("%s\n", line);
	gsize n = 0;

	if (!g_file_get_contents(report_path, &r, &n, NULL) || n < to)
		return FALSE;
	r[to] = '\0';
	return strstr(r + from, want) != NULL;
}

static gboolean send(GstPad *pad, GstEvent *ev)
{
	return gst_pad_send_event(pad, ev);
}

static GstEvent *custom_key(guint code, gboolean pressed)
{
	return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
		gst_structure_new("gvtdmabuf-input", "key", G_TYPE_UINT, code,
				  "pressed", G_TYPE_BOOLEAN, pressed, NULL));
}

int main(int argc, char **argv)
{
	g_autofree char *desc = NULL;
	g_autoptr(GError) e = NULL;
	GstElement *pipe, *src;
	GstPad *pad;
	GstSample *sample;
	GstElement *sink;
	size_t from, mid;
	char line[64];
	gint w = 0, h = 0;

	gst_init(&argc, &argv);
	if (argc != 3) {
		fprintf(stderr, "usage: qemu-gst-input DEVICE REPORT_LOG\n");
		return 2;
	}
	report_path = argv[2];
	desc = g_strdup_printf("gvtdmabufsrc name=src device=\"%s\" io-mode=system ! "
			       "appsink name=sink max-buffers=1 drop=true sync=false", argv[1]);
	pipe = gst_parse_launch(desc, &e);
	if (!pipe) {
		fprintf(stderr, "pipeline: %s\n", e->message);
		return 1;
	}
	src = gst_bin_get_by_name(GST_BIN(pipe), "src");
	sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
	pad = gst_element_get_static_pad(src, "src");
	gst_element_set_state(pipe, GST_STATE_PLAYING);
	g_signal_emit_by_name(sink, "try-pull-sample", 60 * GST_SECOND, &sample);
	check(sample != NULL, "a frame from the VM through gvtdmabufsrc");
	if (!sample)
		goto out;
	gst_structure_get_int(gst_caps_get_structure(gst_sample_get_caps(sample), 0), "width", &w);
	gst_structure_get_int(gst_caps_get_structure(gst_sample_get_caps(sample), 0), "height", &h);
	gst_sample_unref(sample);
	/* The first frame may be the kernel's console: input goes in once the
	 * guest program has opened its evdev devices and shown its frame. */
	check(wait_text("\nframe 1 ", 0, 600), "the guest program runs (its evdev devices open)");

	/* navigation: a key by its X11 name, a move, a click */
	from = report_len();
	check(send(pad, gst_navigation_event_new_key_press("b", GST_NAVIGATION_MODIFIER_NONE)) &&
	      send(pad, gst_navigation_event_new_key_release("b", GST_NAVIGATION_MODIFIER_NONE)),
	      "navigation key-press/release \"b\" taken");
	snprintf(line, sizeof(line), "ev 1 %u 1", KEY_B);
	check(wait_line(line, from), "guest evdev saw KEY_B pressed (navigation)");
	snprintf(line, sizeof(line), "ev 1 %u 0", KEY_B);
	check(wait_line(line, from), "guest evdev saw KEY_B released (navigation)");
	from = report_len();
	check(send(pad, gst_navigation_event_new_mouse_move(w / 3, h / 3, GST_NAVIGATION_MODIFIER_NONE)),
	      "navigation mouse-move taken");
	snprintf(line, sizeof(line), "ev 3 %u %u", ABS_X, (unsigned)((guint64)(w / 3) * 0x7fff / w));
	check(wait_line(line, from), "guest tablet saw ABS_X of the move (navigation)");
	from = report_len();
	check(send(pad, gst_navigation_event_new_mouse_button_press(1, w / 3, h / 3,
				GST_NAVIGATION_MODIFIER_NONE)) &&
	      send(pad, gst_navigation_event_new_mouse_button_release(1, w / 3, h / 3,
				GST_NAVIGATION_MODIFIER_NONE)),
	      "navigation mouse-button 1 press/release taken");
	snprintf(line, sizeof(line), "ev 1 %u 1", BTN_LEFT);
	check(wait_line(line, from), "guest evdev saw BTN_LEFT pressed (navigation)");
	check(!send(pad, gst_navigation_event_new_key_press("NoSuchKey", GST_NAVIGATION_MODIFIER_NONE)),
	      "a key name the table lacks is dropped (FALSE)");

	/* the custom event with evdev codes */
	from = report_len();
	check(send(pad, custom_key(KEY_C, TRUE)) && send(pad, custom_key(KEY_C, FALSE)),
	      "gvtdmabuf-input key KEY_C taken");
	snprintf(line, sizeof(line), "ev 1 %u 1", KEY_C);
	check(wait_line(line, from), "guest evdev saw KEY_C pressed (gvtdmabuf-input)");
	from = report_len();
	check(send(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
			gst_structure_new("gvtdmabuf-input", "button", G_TYPE_UINT, BTN_RIGHT,
					  "pressed", G_TYPE_BOOLEAN, TRUE, NULL))) &&
	      send(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
			gst_structure_new("gvtdmabuf-input", "button", G_TYPE_UINT, BTN_RIGHT,
					  "pressed", G_TYPE_BOOLEAN, FALSE, NULL))),
	      "gvtdmabuf-input button BTN_RIGHT taken");
	snprintf(line, sizeof(line), "ev 1 %u 1", BTN_RIGHT);
	check(wait_line(line, from), "guest evdev saw BTN_RIGHT pressed (gvtdmabuf-input)");
	check(!send(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
			gst_structure_new("gvtdmabuf-input", "key", G_TYPE_UINT, KEY_C, NULL))),
	      "a gvtdmabuf-input key without pressed is refused");

	/* input=false: KEY_D is refused and never arrives; KEY_E, sent after
	 * input is back on, marks the point where it would have been */
	from = report_len();
	g_object_set(src, "input", FALSE, NULL);
	check(!send(pad, custom_key(KEY_D, TRUE)) && !send(pad, custom_key(KEY_D, FALSE)) &&
	      !send(pad, gst_navigation_event_new_key_press("d", GST_NAVIGATION_MODIFIER_NONE)),
	      "with input=false the events are refused");
	g_object_set(src, "input", TRUE, NULL);
	check(send(pad, custom_key(KEY_E, TRUE)) && send(pad, custom_key(KEY_E, FALSE)),
	      "input=true again: KEY_E taken");
	snprintf(line, sizeof(line), "ev 1 %u 0", KEY_E);
	check(wait_line(line, from), "guest evdev saw KEY_E released");
	mid = report_len();
	snprintf(line, sizeof(line), "ev 1 %u 1", KEY_D);
	check(!has_line(line, from, mid), "guest evdev never saw KEY_D (sent with input=false)");
out:
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(pad);
	gst_object_unref(src);
	gst_object_unref(sink);
	gst_object_unref(pipe);
	return failed ? 1 : 0;
}
