/* SPDX-License-Identifier: MIT */
/*
 * Stand-ins for the VA-API elements that gvt-streamd's H.264 encode uses
 * (vapostproc and vah264enc of the va plugin, vaapipostproc and
 * vaapih264enc of gstreamer-vaapi), for machines without a VA-API device.
 * They let the daemon's VA-API branch run here (the automatic choice, the
 * dma-buf feed, its caps and counters) and report what reached them.
 *
 * They are not VA-API: a "postproc" maps each dma-buf with the CPU and
 * converts it to NV12 in system memory labelled with the VA caps feature,
 * and an "encoder" is x264enc behind an element that takes the label off.
 * What holds only on a real device (iHD importing the dma-buf, the GPU
 * converting it) is test-streamd-va.sh's, which skips here.
 *
 * What the stand-ins do hold the daemon to:
 *  - the postprocs take dma-bufs only in the formats that iHD's VPP takes
 *    before Meteor Lake (BGRA, RGBA, RGBx, ARGB, ABGR: no BGRx or xRGB), so
 *    an XR24 guest reaches them only as its alpha twin (AR24, BGRA);
 *  - a buffer that is not dma-buf memory is an error (the feed offered
 *    dma-bufs);
 *  - at the end each postproc prints "va-standin: NAME: N frames of FORMAT,
 *    all dma-buf, M inodes" on stderr.
 */
#include <sys/stat.h>

#include <gst/allocators/allocators.h>
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#define IHD_VPP_FORMATS "{ BGRA, RGBA, RGBx, ARGB, ABGR }"

typedef struct {
	const gchar *postproc, *encoder, *feature;
} StandinKind;

static const StandinKind kinds[] = {
	{ "vapostproc", "vah264enc", "memory:VAMemory" },
	{ "vaapipostproc", "vaapih264enc", "memory:VASurface" },
};

/* Caps like @caps (size, rate) in @format (NULL: leave it), with @feature
 * (NULL: system memory). */
static GstCaps *
with_format (GstCaps *caps, const gchar *format, const gchar *feature)
{
	GstCaps *out;
	guint i;

	if (gst_caps_is_any (caps))
		return gst_caps_new_any ();	/* an unlinked pad's */
	out = gst_caps_new_empty ();
	for (i = 0; i < gst_caps_get_size (caps); i++) {
		GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));

		if (format) {
			gst_structure_remove_field (s, "drm-format");
			gst_structure_remove_field (s, "format");
			if (format[0] == '{') {
				GValue v = G_VALUE_INIT;
				gboolean parsed;

				g_value_init (&v, GST_TYPE_LIST);
				parsed = gst_value_deserialize (&v, format);
				g_assert (parsed);	/* a constant of this file */
				gst_structure_take_value (s, "format", &v);
			} else {
				gst_structure_set (s, "format", G_TYPE_STRING, format, NULL);
			}
		}
		gst_caps_append_structure_full (out, s,
			feature ? gst_caps_features_new (feature, NULL) : NULL);
	}
	return gst_caps_simplify (out);
}

/* @caps (taken) as a caps query's @filter allows. */
static GstCaps *
filtered (GstCaps *caps, GstCaps *filter)
{
	GstCaps *f;

	if (!filter)
		return caps;
	f = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
	gst_caps_unref (caps);
	return f;
}

/* What a VA postproc puts out and a VA encoder takes: NV12 in VA memory,
 * or in system memory. */
static gchar *
nv12_caps (const StandinKind *kind)
{
	return g_strdup_printf ("video/x-raw(%s), format=NV12; video/x-raw, format=NV12",
				kind->feature);
}

static void
add_templates (GstElementClass *ec, const gchar *sink, const gchar *src)
{
	GstCaps *c = gst_caps_from_string (sink);

	gst_element_class_add_pad_template (ec,
		gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, c));
	gst_caps_unref (c);
	c = gst_caps_from_string (src);
	gst_element_class_add_pad_template (ec,
		gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, c));
	gst_caps_unref (c);
}

/* ---- the postproc ------------------------------------------------------ */

typedef struct {
	GstBaseTransform parent;
	const StandinKind *kind;
	GstVideoInfo in_info, out_info;
	GstVideoConverter *conv;
	guint64 frames;
	GHashTable *inodes;
} StandinPostproc;

typedef struct {
	GstBaseTransformClass parent_class;
	const StandinKind *kind;
} StandinPostprocClass;

static GstElementClass *postproc_parent_class;

static GstCaps *
postproc_transform_caps (GstBaseTransform *trans, GstPadDirection dir, GstCaps *caps,
			 GstCaps *filter)
{
	StandinPostproc *self = (StandinPostproc *) trans;
	GstCaps *out;

	if (dir == GST_PAD_SINK) {
		out = with_format (caps, "NV12", self->kind->feature);
		gst_caps_append (out, with_format (caps, "NV12", NULL));
	} else {
		out = with_format (caps, IHD_VPP_FORMATS, GST_CAPS_FEATURE_MEMORY_DMABUF);
		gst_caps_append (out, with_format (caps, IHD_VPP_FORMATS, NULL));
	}
	return filtered (out, filter);
}

static gboolean
postproc_set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *outcaps)
{
	StandinPostproc *self = (StandinPostproc *) trans;

	if (!gst_video_info_from_caps (&self->in_info, incaps) ||
	    !gst_video_info_from_caps (&self->out_info, outcaps))
		return FALSE;
	g_clear_pointer (&self->conv, gst_video_converter_free);
	self->conv = gst_video_converter_new (&self->in_info, &self->out_info, NULL);
	GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps, outcaps);
	return self->conv != NULL;
}

static GstFlowReturn
postproc_transform (GstBaseTransform *trans, GstBuffer *inbuf, GstBuffer *outbuf)
{
	StandinPostproc *self = (StandinPostproc *) trans;
	GstMemory *mem = gst_buffer_peek_memory (inbuf, 0);
	GstVideoFrame in, out;
	struct stat st;

	if (!gst_is_dmabuf_memory (mem)) {
		GST_ELEMENT_ERROR (self, STREAM, FORMAT,
			("%s stand-in: frame %" G_GUINT64_FORMAT " is not a dma-buf",
			 self->kind->postproc, self->frames), (NULL));
		return GST_FLOW_ERROR;
	}
	if (fstat (gst_dmabuf_memory_get_fd (mem), &st) == 0)
		g_hash_table_add (self->inodes, GSIZE_TO_POINTER ((gsize) st.st_ino));
	/* the CPU reads it here: what the GPU would do on a real device */
	if (!gst_video_frame_map (&in, &self->in_info, inbuf, GST_MAP_READ))
		return GST_FLOW_ERROR;
	if (!gst_video_frame_map (&out, &self->out_info, outbuf, GST_MAP_WRITE)) {
		gst_video_frame_unmap (&in);
		return GST_FLOW_ERROR;
	}
	gst_video_converter_frame (self->conv, &in, &out);
	gst_video_frame_unmap (&out);
	gst_video_frame_unmap (&in);
	self->frames++;
	return GST_FLOW_OK;
}

static gboolean
postproc_stop (GstBaseTransform *trans)
{
	StandinPostproc *self = (StandinPostproc *) trans;

	if (self->frames)
		g_printerr ("va-standin: %s: %" G_GUINT64_FORMAT " frames of %s, all dma-buf, "
			    "%u inodes\n", self->kind->postproc, self->frames,
			    gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&self->in_info)),
			    g_hash_table_size (self->inodes));
	self->frames = 0;
	g_hash_table_remove_all (self->inodes);
	g_clear_pointer (&self->conv, gst_video_converter_free);
	return TRUE;
}

static void
postproc_finalize (GObject *obj)
{
	StandinPostproc *self = (StandinPostproc *) obj;

	g_hash_table_unref (self->inodes);
	g_clear_pointer (&self->conv, gst_video_converter_free);
	G_OBJECT_CLASS (postproc_parent_class)->finalize (obj);
}

static void
postproc_init (GTypeInstance *inst, gpointer klass)
{
	StandinPostproc *self = (StandinPostproc *) inst;

	self->kind = ((StandinPostprocClass *) klass)->kind;
	self->inodes = g_hash_table_new (NULL, NULL);
}

static void
postproc_class_init (gpointer klass, gpointer data)
{
	const StandinKind *kind = data;
	GstElementClass *ec = GST_ELEMENT_CLASS (klass);
	GstBaseTransformClass *bt = GST_BASE_TRANSFORM_CLASS (klass);
	gchar *sink, *src;

	postproc_parent_class = g_type_class_peek_parent (klass);
	((StandinPostprocClass *) klass)->kind = kind;
	G_OBJECT_CLASS (klass)->finalize = postproc_finalize;
	sink = g_strdup_printf ("video/x-raw(memory:DMABuf), format=%s; video/x-raw, format=%s",
				IHD_VPP_FORMATS, IHD_VPP_FORMATS);
	src = nv12_caps (kind);
	add_templates (ec, sink, src);
	g_free (sink);
	g_free (src);
	gst_element_class_set_static_metadata (ec, "VA-API postproc stand-in (test only)",
		"Filter/Converter/Video", "Takes dma-bufs as iHD's VPP would, converts on the CPU",
		"gvt-dmabuf tests");
	bt->transform_caps = postproc_transform_caps;
	bt->set_caps = postproc_set_caps;
	bt->transform = postproc_transform;
	bt->stop = postproc_stop;
}

/* ---- the encoder: a label remover, then x264enc ------------------------ */

typedef struct {
	GstBaseTransform parent;
	const gchar *feature;
} Relabel;

typedef GstBaseTransformClass RelabelClass;

GType relabel_get_type (void);
G_DEFINE_TYPE (Relabel, relabel, GST_TYPE_BASE_TRANSFORM)

static GstStaticPadTemplate any_sink = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK,
	GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate any_src = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC,
	GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstCaps *
relabel_transform_caps (GstBaseTransform *trans, GstPadDirection dir, GstCaps *caps,
			GstCaps *filter)
{
	Relabel *self = (Relabel *) trans;
	GstCaps *out = with_format (caps, NULL, dir == GST_PAD_SINK ? NULL : self->feature);

	return filtered (out, filter);
}

static void
relabel_init (Relabel *self)
{
	gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

static void
relabel_class_init (RelabelClass *klass)
{
	gst_element_class_add_static_pad_template (GST_ELEMENT_CLASS (klass), &any_sink);
	gst_element_class_add_static_pad_template (GST_ELEMENT_CLASS (klass), &any_src);
	gst_element_class_set_static_metadata (GST_ELEMENT_CLASS (klass), "relabel", "Filter",
		"Takes a caps feature off", "gvt-dmabuf tests");
	klass->transform_caps = relabel_transform_caps;
}

typedef struct {
	GstBin parent;
} StandinEncoder;

typedef struct {
	GstBinClass parent_class;
	const StandinKind *kind;
} StandinEncoderClass;

static void
encoder_init (GTypeInstance *inst, gpointer klass)
{
	GstElement *self = GST_ELEMENT (inst);
	const StandinKind *kind = ((StandinEncoderClass *) klass)->kind;
	Relabel *relabel = g_object_new (relabel_get_type (), NULL);
	GstElement *x264 = gst_element_factory_make ("x264enc", NULL);
	GstPad *target;

	relabel->feature = kind->feature;
	if (!x264) {
		/* the test checks for x264enc first */
		g_printerr ("va-standin: %s: no x264enc\n", kind->encoder);
		gst_object_unref (gst_object_ref_sink (relabel));
		return;
	}
	gst_util_set_object_arg (G_OBJECT (x264), "tune", "zerolatency");
	gst_util_set_object_arg (G_OBJECT (x264), "speed-preset", "ultrafast");
	g_object_set (x264, "threads", 1, "sliced-threads", FALSE, "key-int-max", 30, NULL);
	gst_bin_add_many (GST_BIN (self), GST_ELEMENT (relabel), x264, NULL);
	gst_element_link (GST_ELEMENT (relabel), x264);
	target = gst_element_get_static_pad (GST_ELEMENT (relabel), "sink");
	gst_element_add_pad (self, gst_ghost_pad_new_from_template ("sink", target,
		gst_element_class_get_pad_template (GST_ELEMENT_CLASS (klass), "sink")));
	gst_object_unref (target);
	target = gst_element_get_static_pad (x264, "src");
	gst_element_add_pad (self, gst_ghost_pad_new_from_template ("src", target,
		gst_element_class_get_pad_template (GST_ELEMENT_CLASS (klass), "src")));
	gst_object_unref (target);
}

static void
encoder_class_init (gpointer klass, gpointer data)
{
	const StandinKind *kind = data;
	GstElementClass *ec = GST_ELEMENT_CLASS (klass);
	gchar *sink = nv12_caps (kind);

	((StandinEncoderClass *) klass)->kind = kind;
	add_templates (ec, sink, "video/x-h264");
	g_free (sink);
	gst_element_class_set_static_metadata (ec, "VA-API H.264 encoder stand-in (test only)",
		"Codec/Encoder/Video", "x264enc behind the VA caps feature", "gvt-dmabuf tests");
}

static gboolean
plugin_init (GstPlugin *plugin)
{
	guint i;

	for (i = 0; i < G_N_ELEMENTS (kinds); i++) {
		GTypeInfo pinfo = {
			sizeof (StandinPostprocClass), NULL, NULL, postproc_class_init, NULL,
			&kinds[i], sizeof (StandinPostproc), 0, postproc_init, NULL,
		};
		GTypeInfo einfo = {
			sizeof (StandinEncoderClass), NULL, NULL, encoder_class_init, NULL,
			&kinds[i], sizeof (StandinEncoder), 0, encoder_init, NULL,
		};
		gchar *pname = g_strdup_printf ("GvtStandin_%s", kinds[i].postproc);
		gchar *ename = g_strdup_printf ("GvtStandin_%s", kinds[i].encoder);
		GType pt = g_type_register_static (GST_TYPE_BASE_TRANSFORM, pname, &pinfo, 0);
		GType et = g_type_register_static (GST_TYPE_BIN, ename, &einfo, 0);

		g_free (pname);
		g_free (ename);
		if (!gst_element_register (plugin, kinds[i].postproc, GST_RANK_NONE, pt) ||
		    !gst_element_register (plugin, kinds[i].encoder, GST_RANK_NONE, et))
			return FALSE;
	}
	return TRUE;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, vastandin,
		   "Test stand-ins for VA-API elements (gvt-dmabuf tests, not installed)",
		   plugin_init, "0.1", "MIT/X11", "gvt-dmabuf tests", "gvt-dmabuf")
