/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd's RTSP server (gst-rtsp-server): one mount per vGPU, fed by
 * one encode branch on the vGPU's capture tee and shared by every viewer.
 */
#ifndef GVT_STREAMD_RTSP_H
#define GVT_STREAMD_RTSP_H

#include <gst/gst.h>

#include "config.h"

struct streamd_rtsp;
struct streamd_rtsp_mount;

/* Listen on the configured address and port (in the default main context). */
struct streamd_rtsp *streamd_rtsp_create(const struct streamd_config *cfg, GError **error);
void streamd_rtsp_destroy(struct streamd_rtsp *r);

/*
 * Hang the encode branch off PIPELINE's "capture" tee and mount it at
 * /NAME (the vGPU's name, characters outside [A-Za-z0-9._~-] turned into
 * '-').  Destroy the mount after PIPELINE has been set to NULL.
 */
struct streamd_rtsp_mount *streamd_rtsp_mount_create(struct streamd_rtsp *r, GstElement *pipeline,
						     const struct streamd_vgpu_config *cfg,
						     GError **error);
void streamd_rtsp_mount_destroy(struct streamd_rtsp_mount *m);
/* Adds the mount's rtsp-* entries to an a{sv} status. */
void streamd_rtsp_mount_status(struct streamd_rtsp_mount *m, GVariantBuilder *b);

#endif
