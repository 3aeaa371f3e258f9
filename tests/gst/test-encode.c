/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabufsrc into real encoders (x264enc, openh264enc) and an MP4 file,
 * decoded by decoders not written here (GStreamer's avdec_h264, and the
 * ffmpeg program).  Each decoded frame names itself through its block code;
 * it is compared with the guest model's frame of that number and time:
 * PSNR above PSNR_BOUND dB over the whole picture, and only frames the
 * source sent (read from its pad), in its order: nothing out of order,
 * nothing repeated, at most two lost on the encoder's side (check_count()).
 *
 * Exit status 77 (skipped) when an encoder, avdec_h264 or mp4mux is not
 * installed; the ffmpeg half is skipped alone when there is no ffmpeg.
 *
 * "va": gvtdmabufsrc x-as-alpha=true ! vapostproc ! vah264enc, where a
 * VA-API device is (else 77).  "va-standin": the same pipeline against
 * va-standin.c's stand-ins (dma-bufs only, iHD's VPP formats; a CPU
 * conversion and x264enc behind them): what it shows is the element's
 * side, the caps and the dma-buf hand-over, not a VA import.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/app/app.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "guest-model.h"
#include "guest-psnr.h"

/* Lossy H.264 at the encoders' defaults on this synthetic desktop measures
 * about 35-45 dB; 30 dB is far above a wrong or shifted frame (< 15 dB). */
#define PSNR_BOUND 30.0

#define W 640
#define H 360
#define N_FRAMES 30

static struct gvtsim_guest_config cfg;
static gchar *tmpdir;

/* PSNR of a BGRx picture against the model's frame; also the frame number
 * its block code carries. */
static double
frame_psnr (const guint8 *bgrx, gint stride, guint64 *ret_frame)
{
	double psnr = 0;

	/* BGRx bytes are XRGB8888 words on this little-endian machine. */
	fail_unless_equals_int (guest_psnr (&cfg, (const guint32 *) bgrx, stride, &psnr,
					    ret_frame), 0);
	return psnr;
}

/* Guest frame numbers as they left gvtdmabufsrc, in order. */
static GArray *sent;

static GstPadProbeReturn
record_sent (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
	GstVideoMeta *vm = gst_buffer_get_video_meta (buf);
	GstMemory *mem = gst_buffer_peek_memory (buf, 0);
	guint64 frame, time;
	GstMapInfo map;

	/* system memory or the guest's dma-buf (mapped here, by the test):
	 * XRGB8888 either way, alpha ignored */
	fail_unless (vm != NULL);
	fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
	fail_unless_equals_int (gvtsim_guest_decode_blockcode (
		(const uint32_t *) (map.data + vm->offset[0]), vm->stride[0], W, H,
		&frame, &time), 0);
	g_array_append_val (sent, frame);
	gst_memory_unmap (mem, &map);
	return GST_PAD_PROBE_OK;
}

static void
run (const gchar *desc)
{
	GError *err = NULL;
	GstElement *pipe = gst_parse_launch (desc, &err);
	GstElement *src;
	GstPad *pad;
	GstBus *bus;
	GstMessage *m;

	fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
	src = gst_bin_get_by_name (GST_BIN (pipe), "src");
	pad = gst_element_get_static_pad (src, "src");
	g_array_set_size (sent, 0);
	gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_sent, NULL, NULL);
	gst_object_unref (pad);
	gst_object_unref (src);
	bus = gst_element_get_bus (pipe);
	gst_element_set_state (pipe, GST_STATE_PLAYING);
	m = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
					GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	fail_unless (m != NULL, "%s: timed out", desc);
	if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
		gchar *dbg = NULL;

		gst_message_parse_error (m, &err, &dbg);
		fail ("%s: %s (%s)", desc, err->message, dbg);
	}
	gst_message_unref (m);
	gst_element_set_state (pipe, GST_STATE_NULL);
	gst_object_unref (bus);
	gst_object_unref (pipe);
}

static const gchar *src_extra = "";	/* more gvtdmabufsrc properties */
static const gchar *convert = "videoconvert";	/* what feeds the encoder */

static gchar *
encode (const gchar *encoder)
{
	gchar *name = g_strdelimit (g_strdup (encoder), " =", '_');
	gchar *file = g_strdup_printf ("%s/%s.mp4", tmpdir, name);
	gchar *desc = g_strdup_printf (
		/* max-framerate gives encoders and the muxer a nominal rate
		 * (GstVideoInfo takes it for framerate=0/1): without it the
		 * MP4 track ends at the last frame's start and decoders drop
		 * that frame.  Six times the guest's rate: x264 rounds PTS to
		 * 1/rate ticks, and frames seen at a 10 Hz guest's jittered
		 * times must not share a tick. */
		"gvtdmabufsrc name=src device=sim:%ux%u,fps=10,cursor=off num-buffers=%u cursor=none "
		"max-framerate=60/1 %s "
		"! %s ! %s ! h264parse ! mp4mux ! filesink location=%s",
		W, H, N_FRAMES, src_extra, convert, encoder, file);

	run (desc);
	g_free (desc);
	g_free (name);
	return file;
}

/* Check a sequence of decoded frames: returns how many there were. */
typedef struct {
	guint n;
	guint next_sent;	/* index in sent after the last match */
	guint64 last;
	double worst;
} Seq;

static void
seq_add (Seq *s, const guint8 *bgrx, gint stride)
{
	guint64 frame;
	double p = frame_psnr (bgrx, stride, &frame);

	GST_INFO ("decoded frame %u: guest frame %" G_GUINT64_FORMAT ", %.1f dB", s->n, frame, p);
	if (s->n > 0)
		fail_unless (frame > s->last, "frame %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT,
			     frame, s->last);
	/* a frame the source sent, after the one before it */
	while (s->next_sent < sent->len && g_array_index (sent, guint64, s->next_sent) != frame)
		s->next_sent++;
	fail_unless (s->next_sent < sent->len, "guest frame %" G_GUINT64_FORMAT " was not sent",
		     frame);
	s->next_sent++;
	fail_unless (p > PSNR_BOUND, "guest frame %" G_GUINT64_FORMAT ": PSNR %.1f dB <= %.1f",
		     frame, p, PSNR_BOUND);
	s->last = frame;
	s->worst = s->n ? MIN (s->worst, p) : p;
	s->n++;
}

/* Every frame sent comes back, but for two at most: qtmux may end the
 * track at the last sample's start when the encoder drains it at EOS (the
 * decoders then drop it), and x264enc rounds timestamps to 1/rate ticks,
 * so two flips that a loaded machine let come close together can merge
 * into one.  Neither is a frame the source lost or reordered. */
static void
check_count (const Seq *s)
{
	fail_unless_equals_int (sent->len, N_FRAMES);
	fail_unless (s->n <= sent->len && s->n + 2 >= sent->len,
		     "%u frames decoded of %u sent", s->n, sent->len);
}

static void
decode_gst (const gchar *file)
{
	gchar *desc = g_strdup_printf ("filesrc location=%s ! qtdemux ! h264parse ! avdec_h264 "
				       "! videoconvert ! video/x-raw,format=BGRx ! appsink name=out "
				       "sync=false", file);
	GstElement *pipe = gst_parse_launch (desc, NULL);
	GstAppSink *out = GST_APP_SINK (gst_bin_get_by_name (GST_BIN (pipe), "out"));
	GstSample *sample;
	Seq s = { 0 };

	gst_element_set_state (pipe, GST_STATE_PLAYING);
	while ((sample = gst_app_sink_try_pull_sample (out, 60 * GST_SECOND))) {
		GstVideoInfo vi;
		GstVideoFrame f;

		fail_unless (gst_video_info_from_caps (&vi, gst_sample_get_caps (sample)));
		fail_unless (gst_video_frame_map (&f, &vi, gst_sample_get_buffer (sample), GST_MAP_READ));
		seq_add (&s, GST_VIDEO_FRAME_PLANE_DATA (&f, 0), GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0));
		gst_video_frame_unmap (&f);
		gst_sample_unref (sample);
	}
	fail_unless (gst_app_sink_is_eos (out));
	check_count (&s);
	g_print ("%s, avdec_h264: %u of %u frames sent, in order, worst PSNR %.1f dB (bound %.1f)\n",
		 file, s.n, sent->len, s.worst, PSNR_BOUND);
	gst_element_set_state (pipe, GST_STATE_NULL);
	gst_object_unref (out);
	gst_object_unref (pipe);
	g_free (desc);
}

static void
decode_ffmpeg (const gchar *file)
{
	/* through a file: the raw frames hold NUL bytes */
	gchar *raw = g_strdup_printf ("%s/ffmpeg.raw", tmpdir);
	/* passthrough: no frames duplicated or dropped to make a constant rate */
	gchar *argv[] = { "ffmpeg", "-y", "-v", "error", "-i", (gchar *) file, "-fps_mode", "passthrough", "-f",
			  "rawvideo", "-pix_fmt", "bgr0", raw, NULL };
	gsize len, frame_size = (gsize) W * H * 4, i;
	gchar *data = NULL, *errout = NULL;
	GError *err = NULL;
	gint status = 0;
	Seq s = { 0 };

	fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
				   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errout,
				   &status, &err), "ffmpeg: %s", err ? err->message : "?");
	fail_unless (g_spawn_check_wait_status (status, NULL), "ffmpeg failed: %s", errout);
	fail_unless (g_file_get_contents (raw, &data, &len, NULL));
	fail_unless_equals_uint64 (len % frame_size, 0);
	for (i = 0; i < len / frame_size; i++)
		seq_add (&s, (const guint8 *) data + i * frame_size, W * 4);
	check_count (&s);
	g_print ("%s, ffmpeg: %u of %u frames sent, in order, worst PSNR %.1f dB (bound %.1f)\n",
		 file, s.n, sent->len, s.worst, PSNR_BOUND);
	g_free (data);
	unlink (raw);
	g_free (raw);
	g_free (errout);
}

static gboolean
have (const gchar *factory)
{
	GstElementFactory *f = gst_element_factory_find (factory);

	if (f)
		gst_object_unref (f);
	return f != NULL;
}

static void
encode_decode (const gchar *encoder)
{
	gchar *file;

	gchar *factory = g_strndup (encoder, strcspn (encoder, " "));

	if (!have (factory)) {
		g_print ("%s not installed: that encoder is not tested\n", factory);
		g_free (factory);
		return;
	}
	g_free (factory);
	file = encode (encoder);
	decode_gst (file);
	if (g_find_program_in_path ("ffmpeg"))
		decode_ffmpeg (file);
	else
		g_print ("no ffmpeg program: the ffmpeg decode is not tested\n");
	unlink (file);
	g_free (file);
}

GST_START_TEST (test_x264)
{
	encode_decode ("x264enc");
}
GST_END_TEST;

GST_START_TEST (test_openh264)
{
	/* its default is 128 kbit/s, too little for 640x360 desktop detail */
	encode_decode ("openh264enc bitrate=4000000");
}
GST_END_TEST;

/* VA-API: the guest's dma-buf into vapostproc (a VA surface imported from
 * the fd, no CPU copy), NV12 in VA memory into vah264enc.  With the
 * stand-ins (va-encode-standin): the pipeline negotiates XR24 as BGRA
 * dma-bufs into a postproc that takes nothing else. */
GST_START_TEST (test_va)
{
	encode_decode ("vah264enc");
}
GST_END_TEST;

static Suite *
encode_suite (gboolean va)
{
	Suite *s = suite_create ("gvtdmabufsrc-encode");
	TCase *tc = tcase_create ("encode");

	tcase_set_timeout (tc, 300);
	suite_add_tcase (s, tc);
	if (va) {
		tcase_add_test (tc, test_va);
		return s;
	}
	tcase_add_test (tc, test_x264);
	tcase_add_test (tc, test_openh264);
	return s;
}

/* What the VA run needs; a reason to skip, or NULL. */
static const gchar *
va_missing (void)
{
	GDir *dir = g_dir_open ("/dev/dri", 0, NULL);
	const gchar *name;
	gboolean render = FALSE;

	while (dir && (name = g_dir_read_name (dir))) {
		gchar *path = g_build_filename ("/dev/dri", name, NULL);

		if (g_str_has_prefix (name, "renderD") && access (path, R_OK | W_OK) == 0)
			render = TRUE;
		g_free (path);
	}
	if (dir)
		g_dir_close (dir);
	if (!render)
		return "no DRM render node (/dev/dri/renderD*): no VA-API device here";
	if (access ("/dev/udmabuf", R_OK | W_OK) != 0)
		return "no /dev/udmabuf: the sim cannot hand out real dma-bufs to import";
	if (!have ("vapostproc") || !have ("vah264enc"))
		return "the va plugin has no vapostproc/vah264enc here (no VA driver, or no "
		       "H.264 encode entrypoint)";
	return NULL;
}

/* The stand-in run: the stand-ins must be the elements found (not a real
 * va plugin's, which va-encode runs). */
static const gchar *
standin_missing (void)
{
	static const gchar *const names[] = { "vapostproc", "vah264enc" };
	guint i;

#if GST_CHECK_VERSION(1, 24, 0)
	/* there the va plugin's caps are DMA_DRM, with the one modifier of
	 * a probe surface (Y-tiled on iHD): modelling that is not the
	 * stand-ins' job, and a linear sim surface would not match it */
	(void) names;
	(void) i;
	return "the stand-ins model the va plugin of GStreamer 1.22 (plain dma-buf caps); "
	       "from 1.24 on its DMA_DRM caps list the driver's probed modifier";
#else
	for (i = 0; i < G_N_ELEMENTS (names); i++) {
		GstElementFactory *f = gst_element_factory_find (names[i]);
		gboolean ours = f && !g_strcmp0 (gst_plugin_feature_get_plugin_name (
				GST_PLUGIN_FEATURE (f)), "vastandin");

		if (f)
			gst_object_unref (f);
		if (!f)
			return "the VA-API stand-ins (tests/gst/va-standin.c) are not on GST_PLUGIN_PATH";
		if (!ours)
			return "the va plugin's own elements are here: va-encode runs them";
	}
	if (!have ("x264enc"))
		return "x264enc is not installed (gstreamer1.0-plugins-ugly): the stand-in encoder "
		       "needs it";
	return NULL;
#endif
}

int
main (int argc, char **argv)
{
	static const gchar *const needed[] = {
		"gvtdmabufsrc", "videoconvert", "h264parse", "mp4mux", "qtdemux", "avdec_h264",
		"appsink",
	};
	gchar tmpl[] = "/tmp/gvtdmabuf-encode-XXXXXX";
	guint i;
	int r;

	gboolean standin = argc > 1 && !strcmp (argv[1], "va-standin");
	gboolean va = standin || (argc > 1 && !strcmp (argv[1], "va"));
	const gchar *why;

	gst_check_init (&argc, &argv);
	if (standin && (why = standin_missing ())) {
		g_print ("SKIP: %s\n", why);
		return 77;
	}
	if (va && !standin && (why = va_missing ())) {
		g_print ("SKIP: %s\n", why);
		return 77;
	}
	if (va) {
		/* iHD's VPP before Meteor Lake has no BGRx: say BGRA.  The
		 * stand-ins on the sim's memfd where udmabuf cannot make real
		 * dma-bufs: io-mode=dmabuf wraps it (what they take, and
		 * their own CPU can map) */
		src_extra = standin && access ("/dev/udmabuf", R_OK | W_OK) != 0 ?
			"x-as-alpha=true io-mode=dmabuf" : "x-as-alpha=true";
		convert = "vapostproc ! video/x-raw(memory:VAMemory),format=NV12";
	}
	for (i = 0; i < G_N_ELEMENTS (needed); i++) {
		if (!have (needed[i])) {
			g_print ("SKIP: GStreamer element %s is not installed "
				 "(gstreamer1.0-plugins-{base,good,ugly,bad}, gstreamer1.0-libav)\n",
				 needed[i]);
			return 77;
		}
	}
	if (!va && !have ("x264enc")) {
		g_print ("SKIP: x264enc is not installed (gstreamer1.0-plugins-ugly)\n");
		return 77;
	}
	gvtsim_guest_config_default (&cfg);
	cfg.width = W;
	cfg.height = H;
	cfg.cursor_size = 0;
	cfg.fps = 10;
	sent = g_array_new (FALSE, FALSE, sizeof (guint64));
	tmpdir = g_mkdtemp (tmpl);
	if (!tmpdir)
		g_error ("cannot make a directory in /tmp: %s", g_strerror (errno));
	r = gst_check_run_suite (encode_suite (va), "gvtdmabufsrc-encode", __FILE__);
	rmdir (tmpdir);
	g_array_unref (sent);
	return r;
}
