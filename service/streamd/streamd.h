/* SPDX-License-Identifier: MIT */
#ifndef GVT_STREAMD_H
#define GVT_STREAMD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <gst/gst.h>

#include "config.h"

/* Structured log with the component's topic (reaches the journal). */
#define slog(level, topic, dev, ...) \
	g_log_structured(G_LOG_DOMAIN, level, "GVT_STREAMD_TOPIC", topic, \
			 "GVT_STREAMD_VGPU", (dev) ? (dev) : "-", "MESSAGE", __VA_ARGS__)

struct streamd_pw;
struct streamd_vgpu;

/* PipeWire connection, shared by every vGPU's node; reconnects by itself. */
struct streamd_pw *streamd_pw_create(void (*connected)(void *data, bool up), void *data);
void streamd_pw_destroy(struct streamd_pw *pw);
bool streamd_pw_is_up(const struct streamd_pw *pw);

/*
 * One capture per vGPU: a GStreamer pipeline with gvtdmabufsrc and a tee;
 * its first branch feeds the vGPU's PipeWire node, a second one, made on
 * demand, is the vGPU's one H.264 encode (encode.h: streamd_vgpu_encode()),
 * which the network streams (RTSP, WebRTC, push) subscribe to.
 */
struct streamd_vgpu *streamd_vgpu_create(const struct streamd_vgpu_config *cfg,
					 struct streamd_pw *pw, GError **error);
void streamd_vgpu_destroy(struct streamd_vgpu *v);
const char *streamd_vgpu_device(const struct streamd_vgpu *v);
/* Settings that apply without a restart (name); false if it must restart. */
bool streamd_vgpu_reconfigure(struct streamd_vgpu *v, const struct streamd_vgpu_config *cfg);
/* The PipeWire connection came up or went down: make or drop the node. */
void streamd_vgpu_pw_changed(struct streamd_vgpu *v, bool up);
struct streamd_rtsp_mount;
/* Hand the vGPU its RTSP mount, destroyed with it (after the pipeline
 * stops, before the encode). */
void streamd_vgpu_set_rtsp(struct streamd_vgpu *v, struct streamd_rtsp_mount *m);
struct streamd_webrtc_mount;
/* The same for its WebRTC page (webrtc.h). */
void streamd_vgpu_set_webrtc(struct streamd_vgpu *v, struct streamd_webrtc_mount *m);
struct streamd_push;
/* Likewise its push to a media server (push.h). */
void streamd_vgpu_set_push(struct streamd_vgpu *v, struct streamd_push *p);
/*
 * Called from the main loop when the vGPU is being removed (the element's
 * RESOURCE/NOT_FOUND while streaming): the device is already released; the
 * callee destroys @p v (not from within the call: it is the bus watch's).
 */
void streamd_vgpu_set_removed_cb(struct streamd_vgpu *v,
				 void (*cb)(void *data, struct streamd_vgpu *v, const char *device),
				 void *data);
/* The input policy the vGPU was configured with (input.c decides). */
bool streamd_vgpu_input_policy(const struct streamd_vgpu *v, char *const **ret_users);
/* Send a "gvtdmabuf-input" structure (taken) to the capture's
 * gvtdmabufsrc; false if the element did not pass it to the VM. */
bool streamd_vgpu_send_input(struct streamd_vgpu *v, GstStructure *s);
/* State for the control interface, as a{sv}. */
GVariant *streamd_vgpu_status(struct streamd_vgpu *v);

#endif
