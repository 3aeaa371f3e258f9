/* SPDX-License-Identifier: MIT */
/* streamd-dmabufread: dma-buf frames into system memory for the encode. */
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define STREAMD_TYPE_DMABUF_READ (streamd_dmabuf_read_get_type())
G_DECLARE_FINAL_TYPE(StreamdDmabufRead, streamd_dmabuf_read, STREAMD, DMABUF_READ, GstBaseTransform)

/* Registers "streamd-dmabufread" for this process (no plugin). */
gboolean streamd_dmabuf_read_register(void);

/* Frames the element has read from dma-bufs (any thread). */
guint streamd_dmabuf_read_frames(GstElement *e);

/* Dma-bufs passed on untouched to an importer (import=true; any thread). */
guint streamd_dmabuf_read_frames_imported(GstElement *e);

G_END_DECLS
