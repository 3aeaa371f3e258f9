/* SPDX-License-Identifier: MIT */
/*
 * streamd-dmabufread (service/streamd/dmabuf-read.c) under GstHarness, on a
 * memfd wrapped as a dma-buf (what the library's reader maps like one):
 *
 *  - import=true before an importer that takes the X format's alpha twin
 *    (vapostproc on iHD takes BGRA/AR24, not BGRx/XR24): the caps name the
 *    twin, the buffer that comes out holds the memory that went in,
 *    untouched, and its video meta names the twin too (the buffer that went
 *    in keeps BGRx: it is the capture's other branches' too), nothing read;
 *  - import=true before an importer that takes the format itself: as it is;
 *  - import=true before a system-memory consumer: read, pixel for pixel;
 *  - import=false (the software encode) never offers dma-bufs: an importer
 *    alone does not negotiate, a system-memory consumer gets the pixels.
 *
 * On GStreamer >= 1.24 the dma-bufs are DMA_DRM caps (drm-format XR24 and
 * AR24), on 1.22 memory:DMABuf with a plain format (BGRx, BGRA).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/allocators/allocators.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "dmabuf-read.h"

#define W 64
#define H 48
#define STRIDE (W * 4 + 64)	/* not the packed stride: the meta's is used */

#if GST_CHECK_VERSION(1, 24, 0)
#define DMA_X "video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=XR24"
#define DMA_A "video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=AR24"
#else
#define DMA_X "video/x-raw(memory:DMABuf),format=BGRx"
#define DMA_A "video/x-raw(memory:DMABuf),format=BGRA"
#endif
#define SIZE_CAPS ",width=64,height=48,framerate=0/1"

static GstAllocator *dmabuf_alloc;

/* A frame in a memfd (as a dma-buf), pixel (x, y) = 0xXXRRGGBB with a
 * pattern of x and y, each row STRIDE bytes. */
static GstBuffer *make_frame(void)
{
	int fd = memfd_create("dmabufread-test", MFD_CLOEXEC);
	gsize size = (gsize)STRIDE * H;
	gsize offsets[GST_VIDEO_MAX_PLANES] = { 0 };
	gint strides[GST_VIDEO_MAX_PLANES] = { STRIDE };
	guint8 *p;
	GstBuffer *buf;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, size), ==, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	g_assert_true(p != MAP_FAILED);
	for (guint y = 0; y < H; y++)
		for (guint x = 0; x < W; x++) {
			guint32 v = 0x5a000000u | (x * 4) << 16 | (y * 5) << 8 | ((x + y) & 0xff);

			memcpy(p + y * STRIDE + x * 4, &v, 4);
		}
	munmap(p, size);
	buf = gst_buffer_new();
	gst_buffer_append_memory(buf, gst_dmabuf_allocator_alloc(dmabuf_alloc, fd, size));
	gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_BGRx, W, H,
				       1, offsets, strides);
	GST_BUFFER_PTS(buf) = 0;
	return buf;
}

static GstHarness *harness(gboolean import, const char *in, const char *out)
{
	GstElement *e = g_object_new(STREAMD_TYPE_DMABUF_READ, "import", import, NULL);
	GstHarness *h = gst_harness_new_with_element(e, "sink", "src");

	gst_object_unref(e);
	gst_harness_set_src_caps_str(h, in);
	gst_harness_set_sink_caps_str(h, out);
	return h;
}

static guint counter(GstHarness *h, guint (*fn)(GstElement *))
{
	return fn(h->element);
}

/* The dma-buf goes on, under the caps @want, with a video meta of
 * @want_format: the very buffer when that is the input's format. */
static void check_import(const char *in, const char *importer, const char *want,
			 GstVideoFormat want_format)
{
	GstHarness *h = harness(TRUE, in, importer);
	GstBuffer *buf = make_frame(), *got;
	GstMemory *mem = gst_buffer_peek_memory(buf, 0);
	GstCaps *caps, *expect = gst_caps_from_string(want);

	gst_buffer_ref(buf);
	g_assert_cmpint(gst_harness_push(h, buf), ==, GST_FLOW_OK);
	got = gst_harness_pull(h);
	g_assert_nonnull(got);
	caps = gst_pad_get_current_caps(h->sinkpad);
	g_assert_nonnull(caps);
	if (!gst_caps_is_subset(caps, expect))
		g_error("caps %s, want %s", gst_caps_to_string(caps), want);
	if (want_format == GST_VIDEO_FORMAT_BGRx)
		g_assert_true(got == buf);
	g_assert_cmpuint(gst_buffer_n_memory(got), ==, 1);
	g_assert_true(gst_buffer_peek_memory(got, 0) == mem);
	g_assert_nonnull(gst_buffer_get_video_meta(got));
	g_assert_cmpint(gst_buffer_get_video_meta(got)->format, ==, want_format);
	g_assert_cmpint(gst_buffer_get_video_meta(buf)->format, ==, GST_VIDEO_FORMAT_BGRx);
	g_assert_cmpint(gst_buffer_get_video_meta(got)->stride[0], ==, STRIDE);
	g_assert_cmpuint(counter(h, streamd_dmabuf_read_frames_imported), ==, 1);
	g_assert_cmpuint(counter(h, streamd_dmabuf_read_frames), ==, 0);
	gst_caps_unref(caps);
	gst_caps_unref(expect);
	gst_buffer_unref(got);
	gst_buffer_unref(buf);
	gst_harness_teardown(h);
}

static void test_import_alpha_twin(void)
{
	/* The importer lists AR24/BGRA only, as VA's VPP before Meteor Lake. */
	check_import(DMA_X SIZE_CAPS, DMA_A, DMA_A, GST_VIDEO_FORMAT_BGRA);
}

static void test_import_as_is(void)
{
	check_import(DMA_X SIZE_CAPS, DMA_X ";" DMA_A, DMA_X, GST_VIDEO_FORMAT_BGRx);
}

/* A system-memory consumer: the pixels, read, packed. */
static void check_read(gboolean import)
{
	GstHarness *h = harness(import, DMA_X SIZE_CAPS, "video/x-raw,format=BGRx");
	GstBuffer *got;
	GstMapInfo map;
	guint bad = 0;

	g_assert_cmpint(gst_harness_push(h, make_frame()), ==, GST_FLOW_OK);
	got = gst_harness_pull(h);
	g_assert_nonnull(got);
	g_assert_false(gst_is_dmabuf_memory(gst_buffer_peek_memory(got, 0)));
	g_assert_true(gst_buffer_map(got, &map, GST_MAP_READ));
	g_assert_cmpuint(map.size, >=, (gsize)W * 4 * H);
	for (guint y = 0; y < H; y++)
		for (guint x = 0; x < W; x++) {
			guint32 v, want = 0x5a000000u | (x * 4) << 16 | (y * 5) << 8 | ((x + y) & 0xff);

			memcpy(&v, map.data + (y * W + x) * 4, 4);
			bad += ((v ^ want) & 0xffffff) != 0;	/* X is undefined */
		}
	gst_buffer_unmap(got, &map);
	g_assert_cmpuint(bad, ==, 0);
	g_assert_cmpuint(counter(h, streamd_dmabuf_read_frames), ==, 1);
	g_assert_cmpuint(counter(h, streamd_dmabuf_read_frames_imported), ==, 0);
	gst_buffer_unref(got);
	gst_harness_teardown(h);
}

static void test_import_read_for_system(void)
{
	check_read(TRUE);
}

static void test_read(void)
{
	check_read(FALSE);
}

/* Without import no dma-buf goes downstream: an importer alone does not
 * negotiate. */
static void test_no_import_no_dmabuf(void)
{
	GstHarness *h = harness(FALSE, DMA_X SIZE_CAPS, DMA_X ";" DMA_A);

	g_assert_cmpint(gst_harness_push(h, make_frame()), ==, GST_FLOW_NOT_NEGOTIATED);
	g_assert_cmpuint(counter(h, streamd_dmabuf_read_frames_imported), ==, 0);
	gst_harness_teardown(h);
}

int main(int argc, char **argv)
{
	int r;

	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	dmabuf_alloc = gst_dmabuf_allocator_new();
	g_test_add_func("/dmabufread/import/alpha-twin", test_import_alpha_twin);
	g_test_add_func("/dmabufread/import/as-is", test_import_as_is);
	g_test_add_func("/dmabufread/import/system-consumer", test_import_read_for_system);
	g_test_add_func("/dmabufread/read", test_read);
	g_test_add_func("/dmabufread/no-import-no-dmabuf", test_no_import_no_dmabuf);
	r = g_test_run();
	gst_object_unref(dmabuf_alloc);
	return r;
}
