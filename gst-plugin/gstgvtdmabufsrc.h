/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabufsrc: the framebuffer of an Intel GVT-g vGPU (or gvtsim, or the
 * library's sim) as a live GStreamer source.
 */
#ifndef GST_GVT_DMABUF_SRC_H
#define GST_GVT_DMABUF_SRC_H

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (gvtdmabufsrc);

G_END_DECLS

#endif /* GST_GVT_DMABUF_SRC_H */
