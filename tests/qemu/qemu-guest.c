/* SPDX-License-Identifier: MIT */
/*
 * The guest of the qemu suite: a static program in the initramfs of a VM
 * that QEMU shows through -display dbus.  It paints the guest model's
 * frames into KMS dumb buffers and page-flips between two of them, shows a
 * 64x64 cursor of the model's shape through the cursor plane, follows the
 * connector's preferred mode (a SetUIInfo request arrives as a hotplug),
 * and reports on its report port (a serial line) what it did and every
 * evdev event it receives:
 *
 *   qemu-guest [-p FRAME_MS] [-l] REPORT_PORT
 *
 *   frame N TIME_US WxH      a frame flipped on screen (TIME_US: the time
 *                            in its block code, taken before painting)
 *   cursor X Y HOTX HOTY     the cursor shown at X,Y (DRM_IOCTL_MODE_CURSOR2)
 *   mode WxH                 switched to a new preferred mode
 *   ev TYPE CODE VALUE       an evdev event (EV_KEY, EV_REL, EV_ABS)
 *   input NAME               an input device found
 *   error TEXT               something failed
 *
 * -p sets the frame period (default 250 ms).  -l is the latency benchmark's
 * mode (tests/bench/bench-qemu-latency.sh): the port is put in raw mode and
 * also read, each "ping K" line from the host is answered at once with
 * "pong K NOW_US" (so that the host can relate this guest's clock to its
 * own), frame lines carry two more fields, "REQUESTED_US DONE_US": the
 * time just before the flip ioctl and the time its completion event was
 * read (just before the line is written), and no cursor is shown
 * (bochs-drm has none).  All times are this guest's CLOCK_MONOTONIC in
 * microseconds.
 *
 * Raw DRM ioctls only (the initramfs has no libdrm); the model is compiled in.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>
#include <drm_fourcc.h>
#include <linux/input.h>

#include "guest-model.h"

#define MAX_INPUTS 8
#define CURSOR_X 200
#define CURSOR_Y 120
#define CURSOR_HOT_X 4
#define CURSOR_HOT_Y 6
#define FRAME_MS 250

static FILE *report;
static unsigned int frame_ms = FRAME_MS;
static bool latency_mode;

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(report, fmt, ap);
	va_end(ap);
	fputc('\n', report);
	fflush(report);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct dumb {
	uint32_t handle, fb_id, pitch, width, height;
	uint64_t size;
	uint8_t *map;
};

struct kms {
	int fd;
	uint32_t crtc_id, conn_id;
	struct drm_mode_modeinfo mode;
	struct dumb fb[2];
	struct dumb cursor;
	bool crtc_set;
};

static int
dumb_create(int fd, uint32_t w, uint32_t h, bool add_fb, struct dumb *d)
{
	struct drm_mode_create_dumb c = { .width = w, .height = h, .bpp = 32 };
	struct drm_mode_map_dumb m = { 0 };
	struct drm_mode_fb_cmd2 f = { 0 };

	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0)
		return -errno;
	d->handle = c.handle;
	d->pitch = c.pitch;
	d->size = c.size;
	d->width = w;
	d->height = h;
	m.handle = c.handle;
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m) < 0)
		return -errno;
	d->map = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (d->map == MAP_FAILED)
		return -errno;
	if (!add_fb)
		return 0;
	f.width = w;
	f.height = h;
	f.pixel_format = DRM_FORMAT_XRGB8888;
	f.handles[0] = c.handle;
	f.pitches[0] = c.pitch;
	if (ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &f) < 0)
		return -errno;
	d->fb_id = f.fb_id;
	return 0;
}

static void
dumb_destroy(int fd, struct dumb *d)
{
	struct drm_mode_destroy_dumb x = { .handle = d->handle };

	if (d->map)
		munmap(d->map, d->size);
	if (d->fb_id)
		ioctl(fd, DRM_IOCTL_MODE_RMFB, &d->fb_id);
	if (d->handle)
		ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &x);
	memset(d, 0, sizeof(*d));
}

/* The first connected connector, its preferred (first) mode and a CRTC. */
static int
probe(struct kms *k, struct drm_mode_modeinfo *ret_mode)
{
	struct drm_mode_card_res res = { 0 };
	uint32_t conns[8], crtcs[8], encs[8];
	unsigned int i;

	if (ioctl(k->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
		return -errno;
	if (res.count_connectors > 8 || res.count_crtcs > 8 || res.count_encoders > 8)
		return -E2BIG;
	res.connector_id_ptr = (uintptr_t)conns;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.encoder_id_ptr = (uintptr_t)encs;
	res.count_fbs = 0;
	if (ioctl(k->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
		return -errno;
	for (i = 0; i < res.count_connectors; i++) {
		struct drm_mode_get_connector c = { .connector_id = conns[i] };
		struct drm_mode_modeinfo modes[64];

		if (ioctl(k->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
			continue;
		if (c.connection != 1 || c.count_modes == 0)
			continue;
		if (c.count_modes > 64)
			c.count_modes = 64;
		c.modes_ptr = (uintptr_t)modes;
		c.count_props = 0;
		c.count_encoders = 0;
		if (ioctl(k->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
			continue;
		k->conn_id = conns[i];
		k->crtc_id = crtcs[0];
		*ret_mode = modes[0];
		for (unsigned int j = 0; j < c.count_modes && j < 64; j++)
			if (modes[j].type & DRM_MODE_TYPE_PREFERRED) {
				*ret_mode = modes[j];
				break;
			}
		return 0;
	}
	return -ENODEV;
}

static struct gvtsim_guest guest;
static struct gvtsim_guest_config cfg;
static uint8_t *gm;

static void
noop_write(void *user, uint32_t offset, uint32_t value)
{
}

static int
setup_mode(struct kms *k, const struct drm_mode_modeinfo *mode)
{
	struct gvtsim_guest_layout lay;
	int r, i;

	for (i = 0; i < 2; i++)
		dumb_destroy(k->fd, &k->fb[i]);
	if (gm) {
		gvtsim_guest_finish(&guest);
		free(gm);
		gm = NULL;
	}
	k->mode = *mode;
	gvtsim_guest_config_default(&cfg);
	cfg.width = mode->hdisplay;
	cfg.height = mode->vdisplay;
	cfg.fps = 1000 / frame_ms ? 1000 / frame_ms : 1;
	cfg.cursor_size = 64;
	if ((r = gvtsim_guest_compute_layout(&cfg, &lay)) < 0)
		return r;
	gm = calloc(1, lay.gm_size);
	if (!gm)
		return -ENOMEM;
	if ((r = gvtsim_guest_init(&guest, &cfg, noop_write, NULL, NULL, gm, lay.gm_size)) < 0)
		return r;
	for (i = 0; i < 2; i++)
		if ((r = dumb_create(k->fd, cfg.width, cfg.height, true, &k->fb[i])) < 0)
			return r;
	k->crtc_set = false;
	return 0;
}

/* Paint frame @p frame with the model and put it on screen. */
static int
show(struct kms *k, uint64_t frame)
{
	struct dumb *d = &k->fb[frame % 2];
	uint64_t t = now_us(), requested;
	const uint8_t *src;
	uint32_t y;

	gvtsim_guest_paint(&guest, frame, t);
	src = gm + guest.layout.fb_offset[gvtsim_guest_buffer_of(&guest, frame)];
	for (y = 0; y < cfg.height; y++)
		memcpy(d->map + (size_t)y * d->pitch, src + (size_t)y * guest.layout.stride,
		       (size_t)cfg.width * 4);
	if (!k->crtc_set) {
		struct drm_mode_crtc c = { 0 };

		c.crtc_id = k->crtc_id;
		c.fb_id = d->fb_id;
		c.set_connectors_ptr = (uintptr_t)&k->conn_id;
		c.count_connectors = 1;
		c.mode = k->mode;
		c.mode_valid = 1;
		requested = now_us();
		if (ioctl(k->fd, DRM_IOCTL_MODE_SETCRTC, &c) < 0)
			return -errno;
		k->crtc_set = true;
	} else {
		struct drm_mode_crtc_page_flip f = { 0 };
		char buf[256];
		struct pollfd p = { .fd = k->fd, .events = POLLIN };

		f.crtc_id = k->crtc_id;
		f.fb_id = d->fb_id;
		f.flags = DRM_MODE_PAGE_FLIP_EVENT;
		/* before the ioctl: on one vCPU the commit, and QEMU with it,
		 * can be done before the ioctl returns to us */
		requested = now_us();
		if (ioctl(k->fd, DRM_IOCTL_MODE_PAGE_FLIP, &f) < 0)
			return -errno;
		/* Wait for the flip to complete (the vblank event). */
		if (poll(&p, 1, 2000) == 1 && read(k->fd, buf, sizeof(buf)) < 0)
			return -errno;
	}
	if (latency_mode)
		say("frame %llu %llu %ux%u %llu %llu", (unsigned long long)frame,
		    (unsigned long long)t, cfg.width, cfg.height,
		    (unsigned long long)requested, (unsigned long long)now_us());
	else
		say("frame %llu %llu %ux%u", (unsigned long long)frame, (unsigned long long)t,
		    cfg.width, cfg.height);
	return 0;
}

static int
show_cursor(struct kms *k)
{
	struct drm_mode_cursor2 c = { 0 };
	uint32_t x, y;
	int r;

	if (!k->cursor.map && (r = dumb_create(k->fd, 64, 64, false, &k->cursor)) < 0)
		return r;
	for (y = 0; y < 64; y++)
		for (x = 0; x < 64; x++)
			((uint32_t *)(k->cursor.map + (size_t)y * k->cursor.pitch))[x] =
				gvtsim_guest_expected_cursor_pixel(&cfg, x, y);
	c.flags = DRM_MODE_CURSOR_BO | DRM_MODE_CURSOR_MOVE;
	c.crtc_id = k->crtc_id;
	c.x = CURSOR_X;
	c.y = CURSOR_Y;
	c.width = 64;
	c.height = 64;
	c.handle = k->cursor.handle;
	c.hot_x = CURSOR_HOT_X;
	c.hot_y = CURSOR_HOT_Y;
	if (ioctl(k->fd, DRM_IOCTL_MODE_CURSOR2, &c) < 0)
		return -errno;
	say("cursor %d %d %d %d", CURSOR_X, CURSOR_Y, CURSOR_HOT_X, CURSOR_HOT_Y);
	return 0;
}

static int
open_inputs(struct pollfd *p, int max)
{
	DIR *d = opendir("/dev/input");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], name[128] = "";
		int fd;

		if (strncmp(e->d_name, "event", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		ioctl(fd, EVIOCGNAME(sizeof(name)), name);
		say("input %s", name);
		p[n].fd = fd;
		p[n].events = POLLIN;
		n++;
	}
	closedir(d);
	return n;
}

/* The report port in raw mode (no echo of what the host sends, no CR
 * added): the reports are written through @p ret_report (blocking), the
 * host's clock pings read from the returned non-blocking fd. */
static int
open_port_raw(const char *path, FILE **ret_report)
{
	struct termios t;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
	*ret_report = fopen(path, "w");
	return fd;
}

/* Answer every complete "ping K" line read from the port. */
static void
answer_pings(int fd)
{
	static char line[64];
	static size_t len;
	char buf[256];
	ssize_t n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			unsigned long long k;

			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			len = 0;
			if (sscanf(line, "ping %llu", &k) == 1)
				say("pong %llu %llu", k, (unsigned long long)now_us());
		}
	}
}

int
main(int argc, char **argv)
{
	struct pollfd in[MAX_INPUTS + 1];
	struct drm_mode_modeinfo mode, now;
	struct kms k = { .fd = -1 };
	uint64_t frame = 1, next, last_probe = 0;
	int n_in, n_poll, port = -1, opt, r, i;

	while ((opt = getopt(argc, argv, "p:l")) != -1) {
		switch (opt) {
		case 'p':
			frame_ms = (unsigned int)strtoul(optarg, NULL, 10);
			if (frame_ms < 1 || frame_ms > 10000)
				return 2;
			break;
		case 'l':
			latency_mode = true;
			break;
		default:
			return 2;
		}
	}
	if (latency_mode && optind < argc) {
		port = open_port_raw(argv[optind], &report);
	} else {
		report = optind < argc ? fopen(argv[optind], "w") : stdout;
	}
	if (!report)
		return 1;
	for (i = 0; i < 100 && k.fd < 0; i++) {
		k.fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
		if (k.fd < 0)
			usleep(100000);
	}
	if (k.fd < 0) {
		say("error no /dev/dri/card0: %s", strerror(errno));
		return 1;
	}
	if ((r = probe(&k, &mode)) < 0 || (r = setup_mode(&k, &mode)) < 0) {
		say("error kms setup: %s", strerror(-r));
		return 1;
	}
	n_in = open_inputs(in, MAX_INPUTS);
	n_poll = n_in;
	if (port >= 0) {
		in[n_poll].fd = port;
		in[n_poll].events = POLLIN;
		n_poll++;
	}
	if ((r = show(&k, frame)) < 0 || (!latency_mode && (r = show_cursor(&k)) < 0)) {
		say("error first frame: %s", strerror(-r));
		return 1;
	}
	next = now_us() + frame_ms * 1000u;
	for (;;) {
		int64_t wait = (int64_t)(next - now_us()) / 1000;
		struct input_event ev;

		if (poll(in, (nfds_t)n_poll, wait > 0 ? (int)wait : 0) > 0) {
			for (i = 0; i < n_in; i++) {
				while (read(in[i].fd, &ev, sizeof(ev)) == sizeof(ev))
					if (ev.type == EV_KEY || ev.type == EV_REL ||
					    ev.type == EV_ABS)
						say("ev %u %u %d", ev.type, ev.code, ev.value);
			}
			if (port >= 0 && in[n_in].revents)
				answer_pings(port);
			continue;
		}
		if (now_us() < next)
			continue;
		next += frame_ms * 1000u;
		/* A resolution request arrives as a hotplug with a new
		 * preferred mode: look every second. */
		if (now_us() - last_probe > 1000000u) {
			last_probe = now_us();
			if (probe(&k, &now) == 0 &&
			    (now.hdisplay != k.mode.hdisplay || now.vdisplay != k.mode.vdisplay)) {
				if ((r = setup_mode(&k, &now)) < 0) {
					say("error new mode: %s", strerror(-r));
					return 1;
				}
				say("mode %ux%u", now.hdisplay, now.vdisplay);
			}
		}
		if ((r = show(&k, ++frame)) < 0) {
			say("error frame %llu: %s", (unsigned long long)frame, strerror(-r));
			return 1;
		}
	}
}
