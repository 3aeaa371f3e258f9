/* SPDX-License-Identifier: MIT */
/*
 * Flip-to-arrival latency of the QEMU D-Bus display source, in host time
 * (bench-qemu-latency.sh boots the VM; this is its consumer):
 *
 *   bench-qemu-latency DEVICE REPORT_SOCKET LABEL SECONDS
 *
 * DEVICE is libgvtdmabuf's "qemu:bus=ADDRESS"; REPORT_SOCKET the unix
 * socket of QEMU's chardev behind the guest's report port, where
 * tests/qemu/qemu-guest -l writes "frame N PAINT_US WxH REQUESTED_US
 * DONE_US" right after each page flip completed (the flip ioctl was
 * called at REQUESTED_US, its completion event read at DONE_US) and answers
 * "ping K" with "pong K NOW_US" (guest CLOCK_MONOTONIC, not comparable
 * with the host's).  Three clocks are related here:
 *
 *  - every line read from the socket is stamped with the host's
 *    CLOCK_MONOTONIC when it is read (report time);
 *  - every frame the library delivers (its event fd fires, the primary
 *    plane's block code names frame N) is stamped when the event fd wakes
 *    this process (arrival time);
 *  - pings sent every PING_MS relate the guest's clock to the host's: a
 *    ping's answer against its round trip's midpoint gives the offset
 *    (NTP's estimate), uncertain by half that round trip; the shortest
 *    round trip of the run's first and of its last quarter give two, and
 *    between them the offset is taken as linear (see main()); so the
 *    guest's flip times in host time.
 *
 * Printed: flip-to-arrival (arrival - REQUESTED_US in host time: from
 * the guest's page flip to the frame in the consumer's hands),
 * report-to-arrival (arrival - report time: needs no clock offset, but
 * carries the serial line's own delay), that delay itself (report time -
 * DONE_US in host time), the guest's wait for its flip event (DONE_US -
 * REQUESTED_US, the guest's clock alone), the interval between frames the
 * consumer sees, and how many of the consumer's intervals lie within 3 ms of a
 * multiple of QEMU's 30 ms display refresh (GUI_REFRESH_INTERVAL_DEFAULT):
 * a source the refresh timer paces delivers on its ticks only.
 *
 * Figures only, no assertion; #result lines feed tests/bench/run.sh.
 * Exit status 77 (with a reason) if the VM or its report never shows up;
 * 1 if the library cannot open the VM or delivers none of the frames the
 * guest reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "bench-util.h"
#include "guest-model.h"

#define MAX_FRAMES 8192
#define MAX_PINGS 4096
#define PING_MS 100
#define BOOT_S 120
#define WARMUP_FRAMES 5		/* after the first one delivered */
#define REFRESH_MS 30.0		/* QEMU's GUI_REFRESH_INTERVAL_DEFAULT */
#define MAX_W 1920
#define MAX_H 1200

struct frame {
	uint64_t report_ns;	/* host: its report line read */
	uint64_t requested_us;	/* guest: flip ioctl called */
	uint64_t done_us;	/* guest: flip event read */
	uint64_t arrival_ns;	/* host: delivered by the library */
};

struct ping {
	uint64_t sent_ns, recv_ns, guest_us;
};

static struct frame frames[MAX_FRAMES];
static struct ping pings[MAX_PINGS];
static unsigned int n_pings;
static uint64_t first_reported, last_reported;

/* The guest's clock against the host's (see main()). */
static double rtt_of[2] = { INFINITY, INFINITY }, mid_of[2], off_of[2], drift;

/* A guest time (us) in host time (ns). */
static double
to_host(uint64_t guest_us)
{
	double h = (double)guest_us * 1e3 - off_of[0];

	return h - drift * (h - mid_of[0]);
}

static double
ms(double ns)
{
	return ns / 1e6;
}

static double
quantile(double *v, size_t n, double q)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

static int
connect_report(const char *path, double timeout_s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	do {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		usleep(50000);
	} while (now_ns() < end);
	return -ETIMEDOUT;
}

static void
parse_line(const char *line, uint64_t t)
{
	unsigned long long n, paint, req, done, k, g;
	unsigned int w, h;

	if (sscanf(line, "frame %llu %llu %ux%u %llu %llu", &n, &paint, &w, &h, &req, &done) == 6) {
		if (n >= MAX_FRAMES)
			return;
		frames[n].report_ns = t;
		frames[n].requested_us = req;
		frames[n].done_us = done;
		if (!first_reported)
			first_reported = n;
		if (n > last_reported)
			last_reported = n;
	} else if (sscanf(line, "pong %llu %llu", &k, &g) == 2) {
		if (k < n_pings && !pings[k].recv_ns) {
			pings[k].recv_ns = t;
			pings[k].guest_us = g;
		}
	} else if (!strncmp(line, "error", 5)) {
		printf("# guest: %s\n", line);
	}
}

/* Read what the report socket holds; every complete line gets the time of
 * this read.  -EPIPE when QEMU closed it. */
static int
read_report(int fd)
{
	static char buf[4096];
	static size_t len;
	uint64_t t;
	ssize_t n;
	char *nl, *p;

	n = read(fd, buf + len, sizeof(buf) - 1 - len);
	t = now_ns();
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	len += (size_t)n;
	buf[len] = '\0';
	p = buf;
	while ((nl = strchr(p, '\n'))) {
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		parse_line(p, t);
		p = nl + 1;
	}
	len -= (size_t)(p - buf);
	memmove(buf, p, len);
	if (len == sizeof(buf) - 1)
		len = 0;	/* a line that long is not ours */
	return 0;
}

/* The frame number on the primary plane, or -1. */
static int64_t
delivered_frame(struct gvtdmabuf_device *dev, uint32_t *buf)
{
	struct gvtdmabuf_plane_info pi;
	const struct gvtdmabuf_dmabuf *db;
	uint64_t frame, t;

	if (gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi) < 0 ||
	    !pi.enabled || pi.fourcc != DRM_FORMAT_XRGB8888 ||
	    pi.width > MAX_W || pi.height > MAX_H)
		return -1;
	if (gvtdmabuf_device_get_dmabuf(dev, &pi, &db) < 0 ||
	    gvtdmabuf_dmabuf_read_linear(db, buf, pi.width * 4) < 0)
		return -1;
	if (gvtsim_guest_decode_blockcode(buf, pi.width * 4, pi.width, pi.height, &frame, &t) < 0)
		return -1;
	return frame < MAX_FRAMES ? (int64_t)frame : -1;
}

static void
print_dist(const char *label, const char *what, double *v, size_t n)
{
	double med, p99, lo, hi;

	if (!n) {
		printf("%-12s %-24s no samples\n", label, what);
		return;
	}
	lo = quantile(v, n, 0);
	hi = quantile(v, n, 1);
	med = quantile(v, n, 0.5);
	p99 = quantile(v, n, 0.99);
	printf("%-12s %-24s median %6.2f  p99 %6.2f  min %6.2f  max %6.2f ms  (%zu)\n",
	       label, what, med, p99, lo, hi, n);
}

int
main(int argc, char **argv)
{
	static uint32_t pixels[MAX_W * MAX_H];
	static double lat[MAX_FRAMES], rep[MAX_FRAMES], ser[MAX_FRAMES], gap[MAX_FRAMES],
		period[MAX_FRAMES], evwait[MAX_FRAMES];
	char err[GVTDMABUF_ERROR_MAX];
	struct gvtdmabuf_device *dev = NULL;
	const char *label;
	uint64_t end = 0, next_ping, deadline, last_arrival = 0, first_seen = 0;
	int64_t last_seen = -1;
	double seconds, best_rtt, in_grid;
	size_t n_lat = 0, n_rep = 0, n_ser = 0, n_gap = 0, n_period = 0, n_grid = 0, n_evwait = 0;
	bool have_clock;
	unsigned int i, half, n_flipped = 0, n_seen = 0, n_pongs = 0;
	int sock, r = -ENOENT, efd;
	uint64_t n;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-qemu-latency DEVICE REPORT_SOCKET LABEL SECONDS\n");
		return 2;
	}
	label = argv[3];
	seconds = atof(argv[4]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	sock = connect_report(argv[2], 30);
	if (sock < 0) {
		printf("bench-qemu-latency: no report socket %s: %s: skipped\n", argv[2],
		       strerror(-sock));
		return 77;
	}
	/* QEMU owns its bus name a moment after it starts. */
	deadline = now_ns() + 30 * 1000000000ull;
	while (now_ns() < deadline) {
		r = gvtdmabuf_device_open(NULL, argv[1], &dev, err, sizeof(err));
		if (r != -ENOENT && r != -ECONNREFUSED)
			break;
		usleep(100000);
	}
	if (r == -ENOENT || r == -ECONNREFUSED) {
		printf("bench-qemu-latency: %s: QEMU's display not on the bus within 30 s: skipped\n",
		       argv[1]);
		return 77;
	}
	if (r < 0) {
		printf("bench-qemu-latency: open %s: %s\n", argv[1], err);
		return 1;
	}
	efd = gvtdmabuf_device_get_event_fd(dev);
	next_ping = now_ns();
	/* the boot: up to BOOT_S for the guest's first delivered frame (about
	 * 8 s on a quiet machine) */
	deadline = now_ns() + BOOT_S * 1000000000ull;

	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = efd, .events = POLLIN } };
		uint64_t t = now_ns();
		int timeout = !first_reported || n_pings >= MAX_PINGS ? 100 :
			      next_ping > t ? (int)((next_ping - t) / 1000000) + 1 : 0;

		if ((end && t >= end) || (!end && t >= deadline))
			break;
		if (t >= next_ping && first_reported && n_pings < MAX_PINGS) {
			char line[32];
			int len = snprintf(line, sizeof(line), "ping %u\n", n_pings);

			pings[n_pings].sent_ns = now_ns();
			if (write(sock, line, (size_t)len) == len)
				n_pings++;
			next_ping = t + PING_MS * 1000000ull;
			continue;
		}
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			uint64_t ta = now_ns();
			int64_t f;

			while (read(efd, &n, sizeof(n)) == sizeof(n))
				;
			f = delivered_frame(dev, pixels);
			if (f > last_seen) {
				frames[f].arrival_ns = ta;
				last_seen = f;
				if (!first_seen) {
					first_seen = (uint64_t)f;
					end = ta + (uint64_t)(seconds * 1e9);
				}
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			if (read_report(sock) == -EPIPE)
				break;
		}
	}

	if (!first_reported) {
		printf("bench-qemu-latency: %s: the guest reported no frame within %d s "
		       "(TCG boot too slow?): skipped\n", label, BOOT_S);
		gvtdmabuf_device_close(dev);
		return 77;
	}
	if (!first_seen) {
		printf("bench-qemu-latency: %s: the guest flipped frames %" PRIu64 "-%" PRIu64
		       " but the library delivered none with a block code\n", label,
		       first_reported, last_reported);
		gvtdmabuf_device_close(dev);
		return 1;
	}
	/* The guest's clock in host time: in the first and the last quarter
	 * of the run the ping with the shortest round trip; between them the
	 * offset is taken as linear (TCG's guest clock drifts from the
	 * host's).  Each is off by at most half its round trip, and so is
	 * every flip between them; in the outer quarters up to twice that. */
	for (i = 0; i < n_pings; i++)
		n_pongs += pings[i].recv_ns != 0;
	for (half = 0; half < 2; half++) {
		for (i = half * 3 * n_pings / 4; i < (half * 3 + 1) * n_pings / 4; i++) {
			double rtt;

			if (!pings[i].recv_ns)
				continue;
			rtt = (double)(pings[i].recv_ns - pings[i].sent_ns);
			if (rtt < rtt_of[half]) {
				rtt_of[half] = rtt;
				mid_of[half] = (double)(pings[i].sent_ns + pings[i].recv_ns) / 2;
				off_of[half] = (double)pings[i].guest_us * 1e3 - mid_of[half];
			}
		}
	}
	have_clock = rtt_of[0] != INFINITY && rtt_of[1] != INFINITY && mid_of[1] > mid_of[0];
	best_rtt = fmax(rtt_of[0], rtt_of[1]);
	drift = have_clock ? (off_of[1] - off_of[0]) / (mid_of[1] - mid_of[0]) : 0;
	/* frames up to the last one delivered: later ones were still on
	 * their way when the run ended */
	for (n = first_seen + WARMUP_FRAMES; n <= (uint64_t)last_seen; n++) {
		struct frame *f = &frames[n];
		double flip_host;

		if (!f->report_ns)
			continue;
		n_flipped++;
		if (n > first_seen + WARMUP_FRAMES && frames[n - 1].requested_us)
			period[n_period++] = (double)(f->requested_us - frames[n - 1].requested_us) / 1e3;
		evwait[n_evwait++] = (double)(f->done_us - f->requested_us) / 1e3;
		flip_host = to_host(f->requested_us);
		if (have_clock)
			ser[n_ser++] = ms((double)f->report_ns - to_host(f->done_us));
		if (!f->arrival_ns)
			continue;
		n_seen++;
		rep[n_rep++] = ms((double)f->arrival_ns - (double)f->report_ns);
		if (have_clock)
			lat[n_lat++] = ms((double)f->arrival_ns - flip_host);
		if (last_arrival) {
			double g = ms((double)(f->arrival_ns - last_arrival));

			gap[n_gap++] = g;
			in_grid = fmod(g, REFRESH_MS);
			if (in_grid <= 3 || in_grid >= REFRESH_MS - 3)
				n_grid++;
		}
		last_arrival = f->arrival_ns;
	}

	printf("%-12s guest flips: %u (period median %.1f ms); delivered: %u\n",
	       label, n_flipped, quantile(period, n_period, 0.5), n_seen);
	printf("%-12s clock: pings answered %u of %u, shortest round trips %.2f and %.2f ms "
	       "(flip times in host time +- %.2f ms, twice that in the outer quarters), "
	       "guest clock drift %.0f ppm\n",
	       label, n_pongs, n_pings, ms(rtt_of[0]), ms(rtt_of[1]), ms(best_rtt) / 2, drift * 1e6);
	print_dist(label, "flip-to-arrival", lat, n_lat);
	print_dist(label, "report-to-arrival", rep, n_rep);
	print_dist(label, "serial report delay", ser, n_ser);
	print_dist(label, "guest's flip event wait", evwait, n_evwait);
	print_dist(label, "consumer frame interval", gap, n_gap);
	printf("%-12s consumer intervals within 3 ms of a multiple of %.0f ms: %zu of %zu\n",
	       label, REFRESH_MS, n_grid, n_gap);

	printf("#result\tqemu %s flip-to-arrival median (ms)\t%.1f\t-\t-\n", label,
	       quantile(lat, n_lat, 0.5));
	printf("#result\tqemu %s flip-to-arrival p99 (ms)\t%.1f\t-\t-\n", label,
	       quantile(lat, n_lat, 0.99));
	printf("#result\tqemu %s serial delay p99 (ms)\t%.1f\t-\t-\n", label,
	       quantile(ser, n_ser, 0.99));
	printf("#result\tqemu %s consumer interval median (ms)\t%.1f\t-\t-\n", label,
	       quantile(gap, n_gap, 0.5));
	printf("#result\tqemu %s intervals on the 30 ms grid (%%)\t%.0f\t-\t-\n", label,
	       n_gap ? 100.0 * (double)n_grid / (double)n_gap : NAN);
	gvtdmabuf_device_close(dev);
	close(sock);
	return 0;
}
