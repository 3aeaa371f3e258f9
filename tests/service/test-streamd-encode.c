/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd's shared encode (service/streamd/encode.c) on its own, on a
 * live videotestsrc ! tee name=capture ! fakesink pipeline like the
 * capture's: nothing encoded without a subscriber; two subscribers get the
 * same units; a new subscriber gets a forced key unit long before the GOP
 * (1000) would give one; after unsubscribe returns its callback never runs;
 * with none left the encoding stops while the capture goes on; a missing
 * encoder is named in the error.  Counts frames, not time.
 */
#include <string.h>

#include <gst/gst.h>

#include "encode.h"

#define GOP 1000

struct sub {
	GMutex *lock;
	GCond *cond;
	unsigned units;
	unsigned units_before_key;	/* until the first key unit */
	bool got_key;
	bool gone;		/* set once unsubscribe returned */
	unsigned after_gone;	/* callbacks after that: must stay 0 */
	bool caps_ok;
};

static GMutex lock;
static GCond cond;
static guint64 captured;	/* buffers into the tee */

static void on_unit(GstBuffer *unit, GstCaps *caps, bool key, void *user)
{
	struct sub *s = user;

	g_mutex_lock(&lock);
	if (s->gone)
		s->after_gone++;
	s->units++;
	if (key && !s->got_key) {
		s->got_key = true;
		s->units_before_key = s->units - 1;
	}
	s->caps_ok = caps && gst_structure_has_name(gst_caps_get_structure(caps, 0), "video/x-h264");
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
}

static GstPadProbeReturn on_capture(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	g_mutex_lock(&lock);
	captured++;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
	return GST_PAD_PROBE_OK;
}

/* Waits (under lock) until N more buffers went into the tee. */
static void wait_captured(guint64 n)
{
	guint64 until = captured + n;

	while (captured < until)
		g_cond_wait(&cond, &lock);
}

static guint64 status_u64(struct streamd_encode *e, const char *key)
{
	GVariantBuilder b;
	g_autoptr(GVariant) v = NULL;
	guint64 t = G_MAXUINT64;
	guint32 u;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	streamd_encode_status(e, &b);
	v = g_variant_ref_sink(g_variant_builder_end(&b));
	if (!g_variant_lookup(v, key, "t", &t) && g_variant_lookup(v, key, "u", &u))
		t = u;
	return t;
}

static GstElement *make_pipeline(void)
{
	g_autoptr(GError) err = NULL;
	GstElement *p = gst_parse_launch("videotestsrc is-live=true pattern=ball ! "
					 "video/x-raw,format=BGRx,width=160,height=120,framerate=30/1 ! "
					 "tee name=capture ! queue ! fakesink sync=false", &err);
	GstElement *tee;
	GstPad *pad;

	g_assert_no_error(err);
	tee = gst_bin_get_by_name(GST_BIN(p), "capture");
	pad = gst_element_get_static_pad(tee, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_capture, NULL, NULL);
	gst_object_unref(pad);
	gst_object_unref(tee);
	return p;
}

static void test_missing_encoder(void)
{
	g_autoptr(GError) err = NULL;
	GstElement *p = make_pipeline();
	struct streamd_encode *e = streamd_encode_create(p, "test", "nosuch264enc", 1000, GOP, &err);

	g_assert_null(e);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(err->message, "encoder 'nosuch264enc' is not available"));
	gst_object_unref(p);
}

static void test_subscribers(void)
{
	g_autoptr(GError) err = NULL;
	GstElement *p = make_pipeline();
	struct streamd_encode *e = streamd_encode_create(p, "test", "x264enc", 1000, GOP, &err);
	struct sub a = { 0 }, b = { 0 };
	unsigned ida, idb, b_units, units;
	g_autoptr(GstCaps) caps = NULL;

	g_assert_no_error(err);
	g_assert_nonnull(e);
	g_assert_cmpstr(streamd_encode_encoder(e), ==, "x264enc");
	g_assert_null(streamd_encode_caps(e));
	g_assert_cmpint(gst_element_set_state(p, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);

	/* Unwatched: the capture runs, the encoder sees nothing. */
	g_mutex_lock(&lock);
	wait_captured(15);
	g_mutex_unlock(&lock);
	g_assert_cmpuint(status_u64(e, "encode-units"), ==, 0);
	g_assert_cmpuint(status_u64(e, "encode-subscribers"), ==, 0);

	ida = streamd_encode_subscribe(e, on_unit, &a);
	g_assert_cmpuint(ida, !=, 0);
	g_mutex_lock(&lock);
	while (!a.got_key || a.units < 20)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	caps = streamd_encode_caps(e);
	g_assert_nonnull(caps);
	g_assert_true(a.caps_ok);

	/* The second one: its first key unit comes from the forced one,
	 * far sooner than the GOP's next. */
	idb = streamd_encode_subscribe(e, on_unit, &b);
	g_assert_cmpuint(idb, !=, ida);
	g_assert_cmpuint(status_u64(e, "encode-subscribers"), ==, 2);
	g_mutex_lock(&lock);
	while (!b.got_key)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	g_test_message("second subscriber: key unit after %u delta units (GOP %u)",
		       b.units_before_key, GOP);
	g_assert_cmpuint(b.units_before_key, <, 30);
	g_assert_cmpuint(status_u64(e, "encode-keyframes-forced"), ==, 2);

	/* Unsubscribed while units flow: never called again. */
	streamd_encode_unsubscribe(e, ida);
	g_mutex_lock(&lock);
	a.gone = true;
	b_units = b.units;
	while (b.units < b_units + 20)
		g_cond_wait(&cond, &lock);
	g_assert_cmpuint(a.after_gone, ==, 0);
	g_mutex_unlock(&lock);
	g_assert_cmpuint(status_u64(e, "encode-subscribers"), ==, 1);

	/* None left: encoding stops, the capture goes on. */
	streamd_encode_unsubscribe(e, idb);
	g_mutex_lock(&lock);
	b.gone = true;
	g_mutex_unlock(&lock);
	/* The queue may still hold 2 frames and the encoder a few. */
	g_mutex_lock(&lock);
	wait_captured(10);
	g_mutex_unlock(&lock);
	units = status_u64(e, "encode-units");
	g_mutex_lock(&lock);
	wait_captured(20);
	g_mutex_unlock(&lock);
	g_assert_cmpuint(status_u64(e, "encode-units"), ==, units);
	g_assert_cmpuint(status_u64(e, "encode-subscribers"), ==, 0);
	g_assert_cmpuint(a.after_gone + b.after_gone, ==, 0);

	gst_element_set_state(p, GST_STATE_NULL);
	streamd_encode_destroy(e);
	gst_object_unref(p);
}

int main(int argc, char **argv)
{
	GstElementFactory *f;

	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	f = gst_element_factory_find("x264enc");
	if (!f) {
		g_print("1..0 # SKIP x264enc not installed (gstreamer1.0-plugins-ugly)\n");
		return 77;
	}
	gst_object_unref(f);
	g_test_add_func("/encode/missing-encoder", test_missing_encoder);
	g_test_add_func("/encode/subscribers", test_subscribers);
	return g_test_run();
}
