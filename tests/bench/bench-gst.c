/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabufsrc's cost and latency, as ratios in one run:
 *
 * 1. CPU time per frame of `gvtdmabufsrc ! fakesink` at 720p, 1080p and 4K,
 *    dma-buf path (io-mode=dmabuf: the sim's memfd wrapped, never mapped)
 *    against system path (io-mode=system: the CPU reads every frame).  The
 *    streaming thread's own CPU time (CLOCK_THREAD_CPUTIME_ID, sampled in a
 *    probe of the source pad) between frames, so the sim's guest thread
 *    painting the frames is not counted.
 * 2. Flip-to-push latency: the flip time the guest paints into each frame's
 *    block code (CLOCK_MONOTONIC) against the time the buffer leaves the
 *    element, for wait=event and wait=poll poll-interval=30.
 *
 * Figures only, no assertion; lines starting with #result feed
 * tests/bench/run.sh's table.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <gst/allocators/allocators.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "bench-util.h"
#include "guest-model.h"

#define N_CPU_FRAMES 30
#define N_LAT_FRAMES 100

typedef struct {
	GArray *samples;	/* double */
	uint64_t last_cpu;
	gboolean latency;	/* else CPU */
	guint skip;		/* frames before sampling */
} Probe;

static uint64_t
thread_cpu_ns (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Flip time of a buffer's frame, from its block code (mapping here is the
 * benchmark's, after the push time was taken). */
static gboolean
flip_time_us (GstBuffer *buf, GstCaps *caps, guint64 *ret_us)
{
	GstVideoMeta *vm = gst_buffer_get_video_meta (buf);
	GstMemory *mem = gst_buffer_peek_memory (buf, 0);
	guint64 frame;
	GstMapInfo map;
	gboolean ok;

	if (!vm || !gst_memory_map (mem, &map, GST_MAP_READ))
		return FALSE;
	ok = gvtsim_guest_decode_blockcode ((const uint32_t *) (map.data + vm->offset[0]),
					    vm->stride[0], vm->width, vm->height, &frame,
					    ret_us) == 0;
	gst_memory_unmap (mem, &map);
	return ok;
}

static GstPadProbeReturn
on_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	Probe *p = data;
	uint64_t now = now_ns (), cpu = thread_cpu_ns ();
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
	double v;

	if (p->latency) {
		guint64 flip_us;

		if (p->skip) {
			p->skip--;
			return GST_PAD_PROBE_OK;
		}
		if (flip_time_us (buf, NULL, &flip_us)) {
			v = ((double) now - (double) flip_us * 1000.0) / 1e6;	/* ms */
			g_array_append_val (p->samples, v);
		}
		return GST_PAD_PROBE_OK;
	}
	if (p->skip) {
		p->skip--;
	} else {
		v = (double) (cpu - p->last_cpu) / 1e3;	/* us */
		g_array_append_val (p->samples, v);
	}
	p->last_cpu = thread_cpu_ns ();	/* the probe's own time is not the element's */
	return GST_PAD_PROBE_OK;
}

static double
percentile (GArray *a, double q)
{
	guint i;

	if (!a->len)
		return -1;
	qsort (a->data, a->len, sizeof (double), cmp_double);
	i = (guint) (q * (a->len - 1) + 0.5);
	return g_array_index (a, double, i);
}

/* Run one pipeline; the samples go to @p. */
static gboolean
run (const gchar *desc, Probe *p)
{
	GError *err = NULL;
	GstElement *pipe = gst_parse_launch (desc, &err), *src;
	GstPad *pad;
	GstBus *bus;
	GstMessage *m;
	gboolean ok;

	if (!pipe) {
		fprintf (stderr, "bench-gst: %s: %s\n", desc, err ? err->message : "?");
		return FALSE;
	}
	src = gst_bin_get_by_name (GST_BIN (pipe), "src");
	pad = gst_element_get_static_pad (src, "src");
	gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, p, NULL);
	gst_object_unref (pad);
	gst_object_unref (src);
	bus = gst_element_get_bus (pipe);
	gst_element_set_state (pipe, GST_STATE_PLAYING);
	m = gst_bus_timed_pop_filtered (bus, 300 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	ok = m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
	if (!ok) {
		if (m)
			gst_message_parse_error (m, &err, NULL);
		fprintf (stderr, "bench-gst: %s: %s\n", desc, err ? err->message : "timed out");
	}
	if (m)
		gst_message_unref (m);
	gst_element_set_state (pipe, GST_STATE_NULL);
	gst_object_unref (bus);
	gst_object_unref (pipe);
	return ok;
}

static const struct {
	const char *name;
	unsigned int w, h;
} modes[] = {
	{ "720p", 1280, 720 },
	{ "1080p", 1920, 1080 },
	{ "4K", 3840, 2160 },
};

int
main (int argc, char **argv)
{
	double cpu[3][2];	/* [mode][0 dmabuf, 1 system] median us/frame */
	double lat[2][2];	/* [event, poll][median, p99] ms */
	static const char *const io[] = { "dmabuf", "system" };
	static const char *const waits[] = { "wait=event", "wait=poll poll-interval=30" };
	guint m, i;
	int ret = 1;

	gst_init (&argc, &argv);
	printf ("# gvtdmabufsrc ! fakesink: streaming thread CPU per frame (us), sim at 10 fps\n");
	for (m = 0; m < G_N_ELEMENTS (modes); m++) {
		for (i = 0; i < 2; i++) {
			Probe p = { g_array_new (FALSE, FALSE, sizeof (double)), 0, FALSE, 3 };
			gchar *desc = g_strdup_printf (
				"gvtdmabufsrc name=src device=sim:%ux%u,fps=10 io-mode=%s "
				"cursor=none num-buffers=%u ! fakesink sync=false",
				modes[m].w, modes[m].h, io[i], N_CPU_FRAMES + 3);

			if (!run (desc, &p))
				goto out;
			cpu[m][i] = percentile (p.samples, 0.5);
			printf ("%-6s %-7s median %9.1f us  p90 %9.1f us  (%u frames)\n",
				modes[m].name, io[i], cpu[m][i], percentile (p.samples, 0.9),
				p.samples->len);
			g_array_unref (p.samples);
			g_free (desc);
		}
	}
	printf ("#result\tgvtdmabufsrc dma-buf CPU/frame 4K / 720p\t%.2f\t-\t<= 1.20\n",
		cpu[2][0] / cpu[0][0]);
	printf ("#result\tgvtdmabufsrc 1080p CPU/frame dma-buf / system\t%.3f\t-\t<= 0.05\n",
		cpu[1][0] / cpu[1][1]);
	printf ("#result\tgvtdmabufsrc dma-buf CPU/frame 1080p (us)\t%.1f\t-\t-\n", cpu[1][0]);

	/* a guest slower than the poll interval, so that polling shows its
	 * cost (a 60 Hz guest bounds it by its own frame period: polling
	 * then finds a newer frame, not a late one) */
	printf ("# flip-to-push latency (ms), sim 640x480 at 10 fps, dma-buf path\n");
	for (i = 0; i < 2; i++) {
		Probe p = { g_array_new (FALSE, FALSE, sizeof (double)), 0, TRUE, 5 };
		gchar *desc = g_strdup_printf (
			"gvtdmabufsrc name=src device=sim:640x480,fps=10 io-mode=dmabuf cursor=none "
			"%s num-buffers=%u ! fakesink sync=false", waits[i], N_LAT_FRAMES + 5);

		if (!run (desc, &p))
			goto out;
		lat[i][0] = percentile (p.samples, 0.5);
		lat[i][1] = percentile (p.samples, 0.99);
		printf ("%-28s median %6.2f ms  p99 %6.2f ms  (%u frames)\n", waits[i], lat[i][0],
			lat[i][1], p.samples->len);
		g_array_unref (p.samples);
		g_free (desc);
	}
	printf ("#result\tflip-to-push wait=event median (ms)\t%.2f\t-\t-\n", lat[0][0]);
	printf ("#result\tflip-to-push wait=event p99 (ms)\t%.2f\t-\t-\n", lat[0][1]);
	printf ("#result\tflip-to-push poll 30 ms / event, median\t%.1f\t-\t-\n",
		lat[1][0] / lat[0][0]);
	printf ("#result\tflip-to-push poll 30 ms / event, p99\t%.1f\t-\t-\n",
		lat[1][1] / lat[0][1]);
	ret = 0;
out:
	return ret;
}
