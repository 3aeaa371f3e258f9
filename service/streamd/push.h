/* SPDX-License-Identifier: MIT */
/*
 * Push of a vGPU's shared encode (encode.h) to a media server the user
 * runs, by RTSP RECORD (rtspclientsink) or SRT (mpegtsmux ! srtsink):
 * the server fans the stream out, so many hosts' gvt-streamd can feed one
 * server.  Reconnects with
 * backoff when the server goes away.
 */
#ifndef GVT_STREAMD_PUSH_H
#define GVT_STREAMD_PUSH_H

#include <glib.h>

struct streamd_encode;
struct streamd_push;

/*
 * Start pushing ENCODE to URL (rtsp://, rtsps:// or srt://, checked by
 * config.c); logs and the status show URL without its password.
 * Main thread; a failed connection is retried, 1 s doubling to 30 s.
 * NULL with ERROR set when the pipeline cannot be built (rtspclientsink
 * or srtsink missing).  Destroy it before ENCODE.
 */
struct streamd_push *streamd_push_create(struct streamd_encode *encode, const char *device,
					 const char *url, GError **error);
void streamd_push_destroy(struct streamd_push *p);
/* Adds push-url, push-state, push-reconnects, push-units and
 * push-gops-dropped to an a{sv} status. */
void streamd_push_status(struct streamd_push *p, GVariantBuilder *b);

#endif
