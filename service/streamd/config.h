/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd configuration: a GKeyFile with a [daemon] section and one
 * [vgpu NAME] section per vGPU, checked completely before it is used.
 */
#ifndef GVT_STREAMD_CONFIG_H
#define GVT_STREAMD_CONFIG_H

#include <stdbool.h>
#include <gio/gio.h>

struct streamd_vgpu_config {
	char *device;		/* section name after "vgpu ": UUID, sim:..., qemu:... */
	char *name;		/* node.description; default: the device */
	char *node_key;		/* node.name is derived from it; NULL: the device
				 * (discovered VMs: their UUID or name) */
	bool enabled;
	int max_fps;		/* 0: every frame the guest shows */
	unsigned int keepalive_ms;
	/* RTSP mount (rtsp.c) */
	bool rtsp;
	char *encoder;		/* auto, vah264enc, vaapih264enc, x264enc, openh264enc */
	char *io_mode;		/* gvtdmabufsrc's io-mode: auto, system, dmabuf */
	unsigned int bitrate;	/* kbit/s */
	unsigned int gop;	/* frames between key frames */
	char **allowed_users;	/* who may view it; NULL: every configured user */
	bool webrtc;		/* the WebRTC page and viewers (webrtc.c) */
	char *push;		/* rtsp[s]:// URL to RECORD to (push.c); NULL: none */
	bool input;		/* viewers' keyboard and pointer reach the VM (qemu: only) */
	char **input_users;	/* who may send input; NULL: every viewer let in */
};

struct streamd_config {
	char *path;		/* file it came from, NULL if none */
	bool pipewire;
	bool discover_mdev;
	bool discover_qemu;	/* VMs with a QEMU D-Bus display */
	unsigned int rescan_interval;	/* seconds between mdev rescans */
	char *rtsp_address;	/* an IP literal; non-loopback only with users and TLS */
	unsigned int rtsp_port;	/* 0: any free port */
	GPtrArray *rtsp_users;	/* user, password, user, ...; NULL: no authentication */
	char *webrtc_address;	/* an IP literal; non-loopback only with a token and TLS */
	unsigned int webrtc_port;	/* 0: any free port */
	char *webrtc_token;	/* ?token= every request needs; NULL: none */
	char *stun_server;	/* stun://HOST:PORT for webrtcbin; NULL: none */
	char *turn_server;	/* turn://USER:PASSWORD@HOST:PORT; NULL: none */
	GTlsCertificate *tls_certificate;	/* with its key; NULL: no TLS */
	GPtrArray *vgpus;	/* struct streamd_vgpu_config * */
};

/*
 * Load PATH (NULL: no file, defaults only; a missing file is an error only
 * if REQUIRED) and apply OVERRIDES ("SECTION.KEY=VALUE", NULL-terminated).
 * On error returns NULL and sets ERROR to a message naming file, line and key.
 */
struct streamd_config *streamd_config_load(const char *path, bool required,
					   char **overrides, GError **error);
void streamd_config_free(struct streamd_config *cfg);
const struct streamd_vgpu_config *streamd_config_find(const struct streamd_config *cfg,
						      const char *device);
/* Whether GOT (may be NULL) is the secret WANT, in time independent of
 * where they differ (tokens, passwords). */
bool streamd_secret_equal(const char *want, const char *got);
/*
 * The one password check of the daemon: whether USER:PASSWORD is a line of
 * the users file (USERS: [daemon] rtsp-users as loaded, user, password,
 * ...).  gst-rtsp-server checks RTSP's basic and digest credentials itself
 * from the same list (rtsp.c); the WebRTC login (webrtc.c) comes here.
 */
bool streamd_users_check(const GPtrArray *users, const char *user, const char *password);
/* The settings a vGPU without its own section gets. */
void streamd_vgpu_config_defaults(struct streamd_vgpu_config *v, const char *device);


#endif
