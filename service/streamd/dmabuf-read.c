/* SPDX-License-Identifier: MIT */
/*
 * streamd-dmabufread: a GstBaseTransform private to gvt-streamd that turns
 * the capture's dma-bufs into system memory for a branch that needs it (the
 * software H.264 encode), through the library's reader (mmap, or an EGL
 * import where the CPU cannot map the dma-buf), detiled.  System memory
 * passes through untouched.
 *
 * It exists so that the capture tee can stay on dma-bufs: without it, a
 * branch that takes system memory only makes the tee, and so the element,
 * renegotiate to system memory, and the PipeWire node loses its zero-copy
 * variant.  The copy is paid only by the branch that reads pixels anyway,
 * and only while it runs (the encode's probe drops frames without
 * subscribers before they reach this element).
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include "dmabuf-read.h"

#include <gst/allocators/gstdmabuf.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include <gvt-dmabuf/gvt-dmabuf.h>

#define HAVE_DMA_DRM GST_CHECK_VERSION(1, 24, 0)

struct _StreamdDmabufRead {
	GstBaseTransform parent;

	gboolean dmabuf_in;	/* the input is memory:DMABuf */
	GstVideoInfo out;	/* linear rows of the input's format */
	guint32 fourcc;
	guint64 modifier;
	struct gvtdmabuf_reader *reader;
	gboolean said;		/* a read failure was logged */
	guint frames_read;	/* atomic */
};

G_DEFINE_TYPE(StreamdDmabufRead, streamd_dmabuf_read, GST_TYPE_BASE_TRANSFORM)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK,
	GST_PAD_ALWAYS,
	GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_CAPS_FEATURE_MEMORY_DMABUF,
							  GST_VIDEO_FORMATS_ALL) ";"
#if HAVE_DMA_DRM
			"video/x-raw(" GST_CAPS_FEATURE_MEMORY_DMABUF "), format=(string)DMA_DRM;"
#endif
			GST_VIDEO_CAPS_MAKE(GST_VIDEO_FORMATS_ALL)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC,
	GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_VIDEO_FORMATS_ALL)));

/* The plain format a DMABuf structure stands for, or NULL. */
static const char *plain_format(GstStructure *s)
{
	const char *f = gst_structure_get_string(s, "format");

#if HAVE_DMA_DRM
	if (f && !g_strcmp0(f, "DMA_DRM")) {
		const char *drm = gst_structure_get_string(s, "drm-format");
		guint64 mod = 0;
		guint32 fourcc = drm ? gst_video_dma_drm_fourcc_from_string(drm, &mod) : 0;
		const struct gvtdmabuf_format_info *fi = fourcc ? gvtdmabuf_format_lookup(fourcc) : NULL;

		return fi ? fi->gst_format : NULL;
	}
#endif
	return f;
}

static GstCaps *transform_caps(GstBaseTransform *bt, GstPadDirection dir, GstCaps *caps,
			       GstCaps *filter)
{
	GstCaps *ret = gst_caps_new_empty(), *sys = gst_caps_new_empty();

	for (guint i = 0; i < gst_caps_get_size(caps); i++) {
		GstStructure *s = gst_caps_get_structure(caps, i);
		GstCapsFeatures *feat = gst_caps_get_features(caps, i);
		gboolean dma = feat && gst_caps_features_contains(feat, GST_CAPS_FEATURE_MEMORY_DMABUF);
		GstStructure *o;

		if (dir == GST_PAD_SINK) {
			/* dma-buf or system in, system out: the same picture */
			o = gst_structure_copy(s);
			if (dma && gst_structure_has_field_typed(s, "format", G_TYPE_STRING)) {
				const char *f = plain_format(s);

				if (!f) {
					gst_structure_free(o);
					continue;	/* a dma-buf format with no plain name */
				}
				gst_structure_set(o, "format", G_TYPE_STRING, f, NULL);
			}
			gst_structure_remove_field(o, "drm-format");
			ret = gst_caps_merge_structure(ret, o);
		} else {
			/* system out: the same from a dma-buf of any modifier
			 * (the reader detiles) or from system memory */
			GstStructure *d = gst_structure_copy(s);

			gst_caps_append_structure_full(ret, d,
				gst_caps_features_new_single(GST_CAPS_FEATURE_MEMORY_DMABUF));
#if HAVE_DMA_DRM
			d = gst_structure_copy(s);
			gst_structure_set(d, "format", G_TYPE_STRING, "DMA_DRM", NULL);
			gst_caps_append_structure_full(ret, d,
				gst_caps_features_new_single(GST_CAPS_FEATURE_MEMORY_DMABUF));
#endif
			gst_caps_append_structure(sys, gst_structure_copy(s));
		}
	}
	/* Dma-bufs first, for the same reason. */
	gst_caps_append(ret, sys);
	if (filter) {
		GstCaps *f = gst_caps_intersect_full(filter, ret, GST_CAPS_INTERSECT_FIRST);

		gst_caps_unref(ret);
		ret = f;
	}
	GST_DEBUG_OBJECT(bt, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
			 dir == GST_PAD_SINK ? "sink" : "src", caps, ret);
	return ret;
}

static gboolean set_caps(GstBaseTransform *bt, GstCaps *incaps, GstCaps *outcaps)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);
	GstCapsFeatures *feat = gst_caps_get_features(incaps, 0);

	if (!gst_video_info_from_caps(&self->out, outcaps))
		return FALSE;
	self->dmabuf_in = feat && gst_caps_features_contains(feat, GST_CAPS_FEATURE_MEMORY_DMABUF);
	self->modifier = 0;	/* DRM_FORMAT_MOD_LINEAR: 1.22's plain dma-buf caps */
	self->fourcc = 0;
	if (self->dmabuf_in) {
		const struct gvtdmabuf_format_info *fi =
			gvtdmabuf_format_lookup_gst(gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&self->out)));
#if HAVE_DMA_DRM
		if (gst_video_is_dma_drm_caps(incaps)) {
			GstVideoInfoDmaDrm drm;

			if (!gst_video_info_dma_drm_from_caps(&drm, incaps))
				return FALSE;
			self->modifier = drm.drm_modifier;
			self->fourcc = drm.drm_fourcc;
		}
#endif
		if (!self->fourcc && fi)
			self->fourcc = fi->fourcc;
		if (!self->fourcc) {
			GST_ELEMENT_ERROR(bt, STREAM, FORMAT, (NULL),
					  ("no DRM format for %" GST_PTR_FORMAT, incaps));
			return FALSE;
		}
	}
	gst_base_transform_set_passthrough(bt, !self->dmabuf_in);
	return TRUE;
}

static GstFlowReturn transform(GstBaseTransform *bt, GstBuffer *inbuf, GstBuffer *outbuf)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);
	GstMemory *mem = gst_buffer_n_memory(inbuf) == 1 ? gst_buffer_peek_memory(inbuf, 0) : NULL;
	GstVideoMeta *vm = gst_buffer_get_video_meta(inbuf);
	GstVideoFrame frame;
	gsize moff = 0, mmax = 0;
	int r;

	if (!mem || !gst_is_dmabuf_memory(mem)) {
		GST_ELEMENT_ERROR(bt, STREAM, FORMAT, (NULL),
				  ("a buffer of the dma-buf caps holds %u memories, not one dma-buf",
				   gst_buffer_n_memory(inbuf)));
		return GST_FLOW_ERROR;
	}
	gst_memory_get_sizes(mem, &moff, &mmax);
	{
		struct gvtdmabuf_dmabuf db = {
			.width = GST_VIDEO_INFO_WIDTH(&self->out),
			.height = GST_VIDEO_INFO_HEIGHT(&self->out),
			.fourcc = self->fourcc,
			.modifier = self->modifier,
			.size = mmax,
			.n_planes = 1,
			.is_dmabuf = true,
		};

		db.offset[0] = moff + (vm ? vm->offset[0] : 0);
		db.stride[0] = vm ? vm->stride[0] : GST_VIDEO_INFO_PLANE_STRIDE(&self->out, 0);
		db.fd[0] = gst_dmabuf_memory_get_fd(mem);
		if (!gst_video_frame_map(&frame, &self->out, outbuf, GST_MAP_WRITE))
			return GST_FLOW_ERROR;
		r = self->reader ? 0 : gvtdmabuf_reader_create(0, &self->reader);
		if (r == 0)
			r = gvtdmabuf_reader_read(self->reader, &db, GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
						  GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0));
		gst_video_frame_unmap(&frame);
	}
	if (r < 0) {
		/* A frame lost, not the stream: the next may read (a guest
		 * mid-modeset).  Said once. */
		if (!self->said)
			g_warning("cannot read a dma-buf for the encode: %s",
				  self->reader ? gvtdmabuf_reader_get_error(self->reader) : g_strerror(-r));
		self->said = TRUE;
		return GST_BASE_TRANSFORM_FLOW_DROPPED;
	}
	g_atomic_int_inc(&self->frames_read);
	return GST_FLOW_OK;
}

/* A frame out per frame in, whatever the dma-buf's own size. */
static gboolean transform_size(GstBaseTransform *bt, GstPadDirection dir, GstCaps *caps,
			       gsize size, GstCaps *othercaps, gsize *othersize)
{
	GstVideoInfo vi;

	if (dir != GST_PAD_SINK || !gst_video_info_from_caps(&vi, othercaps))
		return FALSE;
	*othersize = GST_VIDEO_INFO_SIZE(&vi);
	return TRUE;
}

static gboolean stop(GstBaseTransform *bt)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);

	gvtdmabuf_reader_destroy(self->reader);
	self->reader = NULL;
	self->said = FALSE;
	return TRUE;
}

static void streamd_dmabuf_read_class_init(StreamdDmabufReadClass *klass)
{
	GstElementClass *ec = GST_ELEMENT_CLASS(klass);
	GstBaseTransformClass *bt = GST_BASE_TRANSFORM_CLASS(klass);

	gst_element_class_set_static_metadata(ec, "gvt-streamd dma-buf reader",
		"Filter/Converter/Video",
		"Reads dma-buf frames into system memory (detiled) for a branch that needs it",
		"gvt-dmabuf");
	gst_element_class_add_static_pad_template(ec, &sink_template);
	gst_element_class_add_static_pad_template(ec, &src_template);
	bt->transform_caps = transform_caps;
	bt->set_caps = set_caps;
	bt->transform = transform;
	bt->transform_size = transform_size;
	bt->stop = stop;
	bt->passthrough_on_same_caps = FALSE;
}

static void streamd_dmabuf_read_init(StreamdDmabufRead *self)
{
	/* Not the untransformed (system memory) caps first: basetransform's
	 * default would put them ahead of the dma-buf ones in the caps
	 * query, and the capture tee would pick system memory (GStreamer
	 * 1.26 with DMA_DRM caps, seen in the vm suite). */
	gst_base_transform_set_prefer_passthrough(GST_BASE_TRANSFORM(self), FALSE);
}

guint streamd_dmabuf_read_frames(GstElement *e)
{
	return STREAMD_IS_DMABUF_READ(e) ? (guint)g_atomic_int_get(&STREAMD_DMABUF_READ(e)->frames_read) : 0;
}

gboolean streamd_dmabuf_read_register(void)
{
	return gst_element_register(NULL, "streamd-dmabufread", GST_RANK_NONE, STREAMD_TYPE_DMABUF_READ);
}
