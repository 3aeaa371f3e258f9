/* SPDX-License-Identifier: MIT */
/*
 * One H.264 encode per vGPU, a branch of the vGPU's capture tee, shared by
 * every network stream of that vGPU (the RTSP mount now; WebRTC and RTSP
 * or SRT push to come).  Consumers subscribe to its access units; nothing
 * is encoded while nobody is subscribed.
 */
#ifndef GVT_STREAMD_ENCODE_H
#define GVT_STREAMD_ENCODE_H

#include <stdbool.h>
#include <glib.h>
#include <gst/gst.h>

#include "config.h"

struct streamd_encode;
struct streamd_vgpu;

/*
 * The vGPU's encode, built on the first call (encoder, bit rate and GOP
 * from the vGPU's configuration) and destroyed with the vGPU, after its
 * pipeline has stopped.  Main thread.  NULL with ERROR set when no
 * encoder can be had (named in the message); a later call tries again.
 */
struct streamd_encode *streamd_vgpu_encode(struct streamd_vgpu *v, GError **error);

/*
 * Called for every access unit (byte-stream, one AU per buffer, SPS/PPS
 * before every key unit) on the encoder's streaming thread: it must not
 * block, nor call streamd_encode_subscribe()/_unsubscribe().  UNIT and CAPS
 * are borrowed (ref or copy what is kept).
 */
typedef void (*streamd_encode_unit_cb)(GstBuffer *unit, GstCaps *caps, bool key, void *user);

/* Any thread but a callback's.  A key unit is forced for each new
 * subscriber, which may still see delta units before it.  Returns an id
 * (never 0). */
unsigned streamd_encode_subscribe(struct streamd_encode *e, streamd_encode_unit_cb cb, void *user);
/* Once it returns, ID's callback is not running and never runs again. */
void streamd_encode_unsubscribe(struct streamd_encode *e, unsigned id);
/* Ask the encoder for a key unit soon; WHY goes to the debug log.  Any
 * thread, callbacks included. */
void streamd_encode_force_key_unit(struct streamd_encode *e, const char *why);
/* The GStreamer factory chosen ("x264enc", ...). */
const char *streamd_encode_encoder(struct streamd_encode *e);
/* The encoded stream's caps (a new reference), NULL before the first unit. */
GstCaps *streamd_encode_caps(struct streamd_encode *e);
/* Adds encode-encoder, encode-units, encode-keyframes-forced and
 * encode-subscribers to an a{sv} status. */
void streamd_encode_status(struct streamd_encode *e, GVariantBuilder *b);

/* For capture.c: build the branch on PIPELINE's "capture" tee, and tear it
 * down (after PIPELINE has been set to NULL). */
struct streamd_encode *streamd_encode_create(GstElement *pipeline, const char *device,
					     const char *encoder, unsigned int bitrate,
					     unsigned int gop, GError **error);
void streamd_encode_destroy(struct streamd_encode *e);

#endif
