/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd's RTSP server (gst-rtsp-server): one mount per vGPU, a
 * subscriber of the vGPU's shared encode (encode.h), its one media shared
 * by every viewer.
 */
#ifndef GVT_STREAMD_RTSP_H
#define GVT_STREAMD_RTSP_H

#include <gst/gst.h>

#include "config.h"

struct streamd_encode;
struct streamd_rtsp;
struct streamd_rtsp_mount;

/* Listen on the configured address and port (in the default main context). */
struct streamd_rtsp *streamd_rtsp_create(const struct streamd_config *cfg, GError **error);
void streamd_rtsp_destroy(struct streamd_rtsp *r);

/*
 * Mount ENCODE at /NAME (the vGPU's name, characters outside
 * [A-Za-z0-9._~-] turned into '-').  The mount subscribes to ENCODE while
 * it has a media.  Destroy it after the capture pipeline has been set to
 * NULL and before ENCODE.
 */
struct streamd_rtsp_mount *streamd_rtsp_mount_create(struct streamd_rtsp *r,
						     struct streamd_encode *encode,
						     const struct streamd_vgpu_config *cfg,
						     GError **error);
void streamd_rtsp_mount_destroy(struct streamd_rtsp_mount *m);
/* Adds the mount's rtsp-* entries to an a{sv} status. */
void streamd_rtsp_mount_status(struct streamd_rtsp_mount *m, GVariantBuilder *b);

#endif
