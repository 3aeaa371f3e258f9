/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd's WebRTC server (libsoup 3, webrtcbin): GET /NAME serves the
 * viewer page (compiled in, web/viewer.html), the WebSocket /NAME/ws
 * carries its signalling, and every viewer gets a webrtcbin fed by the
 * vGPU's shared encode (encode.h): no second capture, no encode per viewer.
 */
#ifndef GVT_STREAMD_WEBRTC_H
#define GVT_STREAMD_WEBRTC_H

#include <glib.h>

#include "config.h"

struct streamd_encode;
struct streamd_vgpu;
struct streamd_webrtc;
struct streamd_webrtc_mount;

/* Listen on [daemon] webrtc-address and webrtc-port (HTTPS and WSS when
 * TLS is configured), in the default main context.  NULL with ERROR set
 * when it cannot listen, or when webrtcbin is not installed. */
struct streamd_webrtc *streamd_webrtc_create(const struct streamd_config *cfg, GError **error);
void streamd_webrtc_destroy(struct streamd_webrtc *w);

/*
 * Serve vGPU V at /NAME (its name, characters outside [A-Za-z0-9._~-]
 * turned into '-'), its viewers fed by ENCODE.  Main thread.  Destroy it
 * before ENCODE: it ends every viewer of the mount.
 */
struct streamd_webrtc_mount *streamd_webrtc_mount_create(struct streamd_webrtc *w,
							 struct streamd_vgpu *v,
							 struct streamd_encode *encode,
							 const struct streamd_vgpu_config *cfg,
							 GError **error);
void streamd_webrtc_mount_destroy(struct streamd_webrtc_mount *m);
/* Adds webrtc-url, webrtc-token-needed, webrtc-login-needed,
 * webrtc-viewers (signalling open), webrtc-viewer-users (as: each viewer's
 * login, "" without one), webrtc-viewer-input (ab: whether each may send
 * input), webrtc-connected (ICE connected), webrtc-viewers-total,
 * webrtc-units, webrtc-inputs and webrtc-inputs-refused to an a{sv}. */
void streamd_webrtc_mount_status(struct streamd_webrtc_mount *m, GVariantBuilder *b);

#endif
