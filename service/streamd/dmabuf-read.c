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
 *
 * With import=true (a branch whose next element imports dma-bufs: VA-API's
 * vapostproc or vaapipostproc before a hardware encoder) the dma-bufs are
 * offered downstream first, as they are and then with an X format named as
 * its alpha twin (XR24 as AR24: the same layout; VA's video processing
 * before Meteor Lake lists BGRA but not BGRx, and converting to NV12 drops
 * the alpha anyway), and only then as system memory read here.  A
 * dma-buf that goes on is the same buffer, untouched (frames_imported);
 * as its twin, a copy of the buffer (the same memory) whose video meta
 * names the twin.
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

	gboolean import;	/* property: offer dma-bufs downstream first */
	gboolean dmabuf_in;	/* the input is memory:DMABuf */
	gboolean dmabuf_out;	/* ... and goes on as one (import) */
	GstVideoInfo out;	/* linear rows of the input's format */
	guint32 fourcc;
	guint64 modifier;
	struct gvtdmabuf_reader *reader;
	gboolean said;		/* a read failure was logged */
	guint frames_read;	/* atomic */
	guint frames_imported;	/* atomic: dma-bufs passed on untouched */
	/* import as the alpha twin: a buffer's video meta says relabel_from
	 * (the X format); the buffer goes on as a copy (the same memory)
	 * whose meta says relabel_to, as the caps do */
	GstVideoFormat relabel_from, relabel_to;
};

enum { PROP_0, PROP_IMPORT };

G_DEFINE_TYPE(StreamdDmabufRead, streamd_dmabuf_read, GST_TYPE_BASE_TRANSFORM)

#if HAVE_DMA_DRM
#define DMA_DRM_CAPS "video/x-raw(" GST_CAPS_FEATURE_MEMORY_DMABUF "), format=(string)DMA_DRM;"
#else
#define DMA_DRM_CAPS
#endif
/* Both pads: dma-bufs (plain formats, DMA_DRM) and system memory; dma-bufs
 * leave only with import=true (transform_caps decides). */
#define PAD_CAPS                                                                          \
	GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_CAPS_FEATURE_MEMORY_DMABUF, GST_VIDEO_FORMATS_ALL) \
	";" DMA_DRM_CAPS GST_VIDEO_CAPS_MAKE(GST_VIDEO_FORMATS_ALL)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK,
	GST_PAD_ALWAYS, GST_STATIC_CAPS(PAD_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC,
	GST_PAD_ALWAYS, GST_STATIC_CAPS(PAD_CAPS));

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

/*
 * The alpha twin of an X format (to_alpha), or the X twin of an alpha one:
 * DRM names them with the first letter ('X'R24, 'A'R24); both must be in
 * the library's table, the same size.  0 if there is none.
 */
static guint32 twin_fourcc(guint32 fourcc, gboolean to_alpha)
{
	const struct gvtdmabuf_format_info *a = gvtdmabuf_format_lookup(fourcc), *b;
	guint32 from = to_alpha ? 'X' : 'A', to = to_alpha ? 'A' : 'X';

	if (!a || (fourcc & 0xff) != from || a->has_alpha == to_alpha)
		return 0;
	b = gvtdmabuf_format_lookup((fourcc & ~0xffu) | to);
	return b && b->has_alpha == to_alpha && b->cpp == a->cpp ? b->fourcc : 0;
}

/* One format string's twin ("BGRx" <-> "BGRA", or with @drm a DRM format
 * string "XR24[:0x...]"), or NULL. */
static char *twin_string(const char *f, gboolean drm, gboolean to_alpha)
{
	const struct gvtdmabuf_format_info *fi, *ti;
	guint32 t;

	if (!f)
		return NULL;
#if HAVE_DMA_DRM
	if (drm) {
		guint64 mod = 0;
		guint32 fourcc = gst_video_dma_drm_fourcc_from_string(f, &mod);

		t = fourcc ? twin_fourcc(fourcc, to_alpha) : 0;
		return t ? gst_video_dma_drm_fourcc_to_string(t, mod) : NULL;
	}
#endif
	fi = gvtdmabuf_format_lookup_gst(f);
	t = fi ? twin_fourcc(fi->fourcc, to_alpha) : 0;
	ti = t ? gvtdmabuf_format_lookup(t) : NULL;
	return ti && ti->gst_format ? g_strdup(ti->gst_format) : NULL;
}

/* A copy of dma-buf structure @s with its format (a string or a list)
 * named by the twins, or NULL when nothing in it has one. */
static GstStructure *twin_structure(const GstStructure *s, gboolean to_alpha)
{
	gboolean drm = !g_strcmp0(gst_structure_get_string(s, "format"), "DMA_DRM");
	const char *field = drm ? "drm-format" : "format";
	const GValue *v = gst_structure_get_value(s, field);
	GValue out = G_VALUE_INIT;
	GstStructure *o;
	guint n = 0;

	if (!v)
		return NULL;
	if (G_VALUE_HOLDS_STRING(v)) {
		char *t = twin_string(g_value_get_string(v), drm, to_alpha);

		if (!t)
			return NULL;
		g_value_init(&out, G_TYPE_STRING);
		g_value_take_string(&out, t);
	} else if (GST_VALUE_HOLDS_LIST(v)) {
		g_value_init(&out, GST_TYPE_LIST);
		for (guint i = 0; i < gst_value_list_get_size(v); i++) {
			const GValue *e = gst_value_list_get_value(v, i);
			char *t = G_VALUE_HOLDS_STRING(e) ? twin_string(g_value_get_string(e), drm, to_alpha)
							 : NULL;
			GValue ev = G_VALUE_INIT;

			if (!t)
				continue;
			g_value_init(&ev, G_TYPE_STRING);
			g_value_take_string(&ev, t);
			gst_value_list_append_and_take_value(&out, &ev);
			n++;
		}
		if (!n) {
			g_value_unset(&out);
			return NULL;
		}
	} else {
		return NULL;
	}
	o = gst_structure_copy(s);
	gst_structure_take_value(o, field, &out);
	return o;
}

/* With import: the dma-buf structure @s as it is, then its twin. */
static void append_dmabuf(GstCaps *caps, const GstStructure *s, gboolean to_alpha)
{
	GstStructure *t = twin_structure(s, to_alpha);

	gst_caps_append_structure_full(caps, gst_structure_copy(s),
		gst_caps_features_new_single(GST_CAPS_FEATURE_MEMORY_DMABUF));
	if (t)
		gst_caps_append_structure_full(caps, t,
			gst_caps_features_new_single(GST_CAPS_FEATURE_MEMORY_DMABUF));
}

static GstCaps *transform_caps(GstBaseTransform *bt, GstPadDirection dir, GstCaps *caps,
			       GstCaps *filter)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);
	GstCaps *ret = gst_caps_new_empty(), *sys = gst_caps_new_empty();

	for (guint i = 0; i < gst_caps_get_size(caps); i++) {
		GstStructure *s = gst_caps_get_structure(caps, i);
		GstCapsFeatures *feat = gst_caps_get_features(caps, i);
		gboolean dma = feat && gst_caps_features_contains(feat, GST_CAPS_FEATURE_MEMORY_DMABUF);
		GstStructure *o;

		if (dma && dir == GST_PAD_SRC) {
			/* dma-buf out (import): the same dma-buf in, or its
			 * twin that was renamed */
			if (self->import)
				append_dmabuf(ret, s, FALSE);
			continue;
		}
		if (dir == GST_PAD_SINK) {
			/* dma-buf in: on as it is and as its twin (import) */
			if (dma && self->import)
				append_dmabuf(ret, s, TRUE);
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
			sys = gst_caps_merge_structure(sys, o);
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

/* The pixel format that @caps name (a DMA_DRM one's drm-format), or
 * GST_VIDEO_FORMAT_UNKNOWN. */
static GstVideoFormat caps_format(GstCaps *caps)
{
	GstVideoInfo vi;

#if HAVE_DMA_DRM
	if (gst_video_is_dma_drm_caps(caps)) {
		GstVideoInfoDmaDrm drm;

		return gst_video_info_dma_drm_from_caps(&drm, caps) ?
			gst_video_dma_drm_fourcc_to_format(drm.drm_fourcc) : GST_VIDEO_FORMAT_UNKNOWN;
	}
#endif
	return gst_video_info_from_caps(&vi, caps) ? GST_VIDEO_INFO_FORMAT(&vi) :
						     GST_VIDEO_FORMAT_UNKNOWN;
}

static gboolean set_caps(GstBaseTransform *bt, GstCaps *incaps, GstCaps *outcaps)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);
	GstCapsFeatures *feat = gst_caps_get_features(incaps, 0);

	GstCapsFeatures *ofeat = gst_caps_get_features(outcaps, 0);

	self->dmabuf_in = feat && gst_caps_features_contains(feat, GST_CAPS_FEATURE_MEMORY_DMABUF);
	self->dmabuf_out = ofeat && gst_caps_features_contains(ofeat, GST_CAPS_FEATURE_MEMORY_DMABUF);
	self->relabel_from = self->relabel_to = GST_VIDEO_FORMAT_UNKNOWN;
	if (self->dmabuf_out) {
		/* import: the buffer goes on as it is, or as its twin */
		GstVideoFormat from = caps_format(incaps), to = caps_format(outcaps);

		GST_INFO_OBJECT(bt, "dma-bufs go on to the importer: %" GST_PTR_FORMAT, outcaps);
		if (from != to) {
			self->relabel_from = from;
			self->relabel_to = to;
		}
		gst_base_transform_set_passthrough(bt, TRUE);
		return self->dmabuf_in;
	}
	if (!gst_video_info_from_caps(&self->out, outcaps))
		return FALSE;
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

/*
 * Passthrough.  A dma-buf that goes on as its alpha twin needs a video
 * meta that says the twin too, as its caps do: an importer that maps the
 * frame (vapostproc's copy when its import fails, gst_video_frame_map())
 * refuses a meta whose format is not the caps'.  The buffer is shared
 * with the capture's other branches, so it goes on as a copy: the same
 * memory, its own metas.
 */
static GstFlowReturn prepare_output_buffer(GstBaseTransform *bt, GstBuffer *inbuf,
					   GstBuffer **outbuf)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);
	GstVideoMeta *vm;

	if (!self->dmabuf_out || self->relabel_to == GST_VIDEO_FORMAT_UNKNOWN ||
	    !(vm = gst_buffer_get_video_meta(inbuf)) || vm->format != self->relabel_from)
		return GST_BASE_TRANSFORM_CLASS(streamd_dmabuf_read_parent_class)
			->prepare_output_buffer(bt, inbuf, outbuf);
	*outbuf = gst_buffer_copy(inbuf);
	gst_buffer_get_video_meta(*outbuf)->format = self->relabel_to;
	return GST_FLOW_OK;
}

/* Passthrough: system memory as it came, or a dma-buf for the importer. */
static GstFlowReturn transform_ip(GstBaseTransform *bt, GstBuffer *buf)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(bt);

	if (self->dmabuf_out)
		g_atomic_int_inc(&self->frames_imported);
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

static void set_property(GObject *o, guint id, const GValue *value, GParamSpec *pspec)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(o);

	switch (id) {
	case PROP_IMPORT:
		self->import = g_value_get_boolean(value);
		gst_base_transform_reconfigure_src(GST_BASE_TRANSFORM(o));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, pspec);
	}
}

static void get_property(GObject *o, guint id, GValue *value, GParamSpec *pspec)
{
	StreamdDmabufRead *self = STREAMD_DMABUF_READ(o);

	switch (id) {
	case PROP_IMPORT:
		g_value_set_boolean(value, self->import);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, pspec);
	}
}

static void streamd_dmabuf_read_class_init(StreamdDmabufReadClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GstElementClass *ec = GST_ELEMENT_CLASS(klass);
	GstBaseTransformClass *bt = GST_BASE_TRANSFORM_CLASS(klass);

	oc->set_property = set_property;
	oc->get_property = get_property;
	g_object_class_install_property(oc, PROP_IMPORT,
		g_param_spec_boolean("import", "Import",
				     "Offer the dma-bufs downstream first (as they are, then an X "
				     "format as its alpha twin), for an importer such as vapostproc; "
				     "system memory (read here) only where it takes no dma-buf",
				     FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
				     GST_PARAM_MUTABLE_READY));
	gst_element_class_set_static_metadata(ec, "gvt-streamd dma-buf reader",
		"Filter/Converter/Video",
		"Reads dma-buf frames into system memory (detiled) for a branch that needs it",
		"gvt-dmabuf");
	gst_element_class_add_static_pad_template(ec, &sink_template);
	gst_element_class_add_static_pad_template(ec, &src_template);
	bt->transform_caps = transform_caps;
	bt->set_caps = set_caps;
	bt->transform = transform;
	bt->transform_ip = transform_ip;
	bt->prepare_output_buffer = prepare_output_buffer;
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

guint streamd_dmabuf_read_frames_imported(GstElement *e)
{
	return STREAMD_IS_DMABUF_READ(e) ? (guint)g_atomic_int_get(&STREAMD_DMABUF_READ(e)->frames_imported) : 0;
}

gboolean streamd_dmabuf_read_register(void)
{
	return gst_element_register(NULL, "streamd-dmabufread", GST_RANK_NONE, STREAMD_TYPE_DMABUF_READ);
}
