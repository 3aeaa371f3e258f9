/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf watch: how a vGPU's display changes over time.  Counts flips
 * (the primary plane's dmabuf_id changes), distinct frames (a new
 * dmabuf_id on screen, or the screen back after blanking), the dma-buf
 * cache's behaviour and the latency of VFIO_DEVICE_QUERY_GFX_PLANE.  No
 * pixel is read: the ids say which buffer is on screen, and a real GVT-g
 * dma-buf cannot be mapped anyway.  Waits on the device's display event
 * fd when it has one, else polls.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "gvt-dmabuf-tool.h"

static const char watch_usage[] =
	"Usage: gvt-dmabuf watch DEVICE [--interval SEC] [--count N]\n"
	"                        [--duration SEC] [--poll MS]\n"
	"\n"
	"Watch DEVICE's primary plane and report, every interval: flips per second\n"
	"(dmabuf_id changes), frames per second (distinct frames: a new dmabuf_id\n"
	"on screen, or the screen back after blanking; no pixel is read), the dmabuf\n"
	"ids seen and the dma-buf cache's entries, hits and misses, and the\n"
	"latency of each plane query (min/avg/max in microseconds).\n"
	"On a terminal the report is one line updated in place, otherwise one\n"
	"line per interval.  Ctrl-C (SIGINT) or SIGTERM ends it with a summary;\n"
	"so does the kernel asking for the vGPU back while it is being removed\n"
	"(exit status 1), where the device has that request (gvtsim, vfio-pci),\n"
	"and so does the VM's QEMU going away (qemu: devices).\n"
	"A blank screen (the guest turned its primary plane or pipe off) is shown\n"
	"as \"blank\" and counted in the summary; watching goes on.\n"
	"\n"
	"Options:\n"
	"  --interval SEC   report every SEC seconds (default 1)\n"
	"  --count N        stop after N reports\n"
	"  --duration SEC   stop after SEC seconds\n"
	"  --poll MS        query every MS milliseconds instead of waiting for\n"
	"                   the device's display events (default: wait for\n"
	"                   events when the device has them, else poll every\n"
	"                   1 ms)\n"
	"  -h, --help       show this help\n";

#define MAX_IDS 32

struct stats {
	double start;
	uint64_t queries;
	uint64_t errors;
	uint64_t events;
	uint64_t flips;
	uint64_t frames;
	double lat_min;
	double lat_max;
	double lat_sum;
	uint32_t ids[MAX_IDS];
	unsigned int n_ids;
	bool ids_overflow;
};

struct watch {
	struct gvtdmabuf_device *dev;
	bool have_last;
	uint32_t last_id;
	bool blanked;		/* the primary plane was disabled */
	int last_error;
	struct gvtdmabuf_plane_info last_info;
	struct stats interval;
	struct stats total;
	/* Blank screen: the primary plane (or the pipe) off, which a guest
	 * does when it blanks its display; not an error. */
	bool blank;
	double blank_since;
	double blank_time;	/* finished blank periods, seconds */
	uint64_t blank_periods;
};

static void stats_reset(struct stats *s, double now)
{
	memset(s, 0, sizeof(*s));
	s->start = now;
	s->lat_min = INFINITY;
}

static void stats_add_id(struct stats *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->n_ids; i++)
		if (s->ids[i] == id)
			return;
	if (s->n_ids < MAX_IDS)
		s->ids[s->n_ids++] = id;
	else
		s->ids_overflow = true;
}

static void stats_latency(struct stats *s, double us)
{
	s->queries++;
	s->lat_sum += us;
	if (us < s->lat_min)
		s->lat_min = us;
	if (us > s->lat_max)
		s->lat_max = us;
}

static void sample(struct watch *w)
{
	struct gvtdmabuf_plane_info pi;
	double t0, us;
	bool new_frame;
	int r;

	t0 = tool_now();
	r = gvtdmabuf_device_query_plane(w->dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	us = (tool_now() - t0) * 1e6;
	stats_latency(&w->interval, us);
	stats_latency(&w->total, us);
	if (r < 0) {
		w->interval.errors++;
		w->total.errors++;
		w->last_error = r;
		return;
	}
	w->last_error = 0;
	w->last_info = pi;
	if (!pi.enabled) {
		if (!w->blank) {
			w->blank = true;
			w->blank_since = t0;
			w->blank_periods++;
		}
		w->have_last = false;
		w->blanked = true;
		return;
	}
	if (w->blank) {
		w->blank = false;
		w->blank_time += t0 - w->blank_since;
	}
	stats_add_id(&w->interval, pi.dmabuf_id);
	stats_add_id(&w->total, pi.dmabuf_id);
	if (w->have_last && pi.dmabuf_id != w->last_id) {
		w->interval.flips++;
		w->total.flips++;
	}
	/* A frame is a buffer put on screen: another dmabuf_id than the last
	 * one shown, or the first after the screen was blank.  The buffer
	 * shown when watching starts is not counted. */
	new_frame = w->have_last ? pi.dmabuf_id != w->last_id : w->blanked;
	if (new_frame) {
		w->interval.frames++;
		w->total.frames++;
	}
	w->have_last = true;
	w->blanked = false;
	w->last_id = pi.dmabuf_id;
}

static void format_line(const struct watch *w, const struct stats *s, double now,
			char *line, size_t size)
{
	struct gvtdmabuf_cache_stats cs;
	double dt = now - s->start;
	char fbuf[16], frames[32], lat[64], state[96];
	size_t n = 0;

	if (dt <= 0)
		dt = 1e-9;
	gvtdmabuf_device_get_cache_stats(w->dev, &cs);
	snprintf(frames, sizeof(frames), "%.1f", (double)s->frames / dt);
	if (s->queries)
		snprintf(lat, sizeof(lat), "%.1f/%.1f/%.1f",
			 s->lat_min, s->lat_sum / (double)s->queries, s->lat_max);
	else
		snprintf(lat, sizeof(lat), "-/-/-");
	if (w->last_error)
		snprintf(state, sizeof(state), "error: %s", strerror(-w->last_error));
	else if (!w->last_info.enabled)
		snprintf(state, sizeof(state), "blank (primary disabled)");
	else
		snprintf(state, sizeof(state), "%ux%u %s %s", w->last_info.width,
			 w->last_info.height,
			 tool_fourcc_name(w->last_info.fourcc, fbuf),
			 gvtdmabuf_modifier_name(w->last_info.modifier));

	n += (size_t)snprintf(line + n, size - n,
			      "%7.1fs  flips/s %6.1f  fps %6s  ids %u%s (cache %u/%u hit %" PRIu64 " miss %" PRIu64 ")  query us %s  %s",
			      now - w->total.start, (double)s->flips / dt, frames,
			      s->n_ids, s->ids_overflow ? "+" : "", cs.entries,
			      cs.capacity, cs.hits, cs.misses, lat, state);
	if (s->errors && n < size)
		snprintf(line + n, size - n, "  errors %" PRIu64, s->errors);
}

static void print_summary(const struct watch *w, double now, bool interrupted)
{
	const struct stats *s = &w->total;
	struct gvtdmabuf_cache_stats cs;
	double dt = now - s->start;
	char frames[64];

	if (dt <= 0)
		dt = 1e-9;
	gvtdmabuf_device_get_cache_stats(w->dev, &cs);
	snprintf(frames, sizeof(frames), "%.1f (%" PRIu64 " distinct frames)",
		 (double)s->frames / dt, s->frames);
	printf("Summary%s: %" PRIu64 " queries in %.1f s: flips/s %.1f (%" PRIu64 " flips), fps %s, %" PRIu64 " display events, ids %u%s (cache %u/%u hit %" PRIu64 " miss %" PRIu64 " evicted %" PRIu64 ")",
	       interrupted ? " (interrupted)" : "", s->queries, dt,
	       (double)s->flips / dt, s->flips, frames, s->events, s->n_ids,
	       s->ids_overflow ? "+" : "", cs.entries, cs.capacity, cs.hits,
	       cs.misses, cs.evictions);
	if (s->queries)
		printf(", query us min/avg/max %.1f/%.1f/%.1f", s->lat_min,
		       s->lat_sum / (double)s->queries, s->lat_max);
	if (s->errors)
		printf(", %" PRIu64 " failed queries (last: %s)", s->errors,
		       w->last_error ? strerror(-w->last_error) : "-");
	if (w->blank_periods)
		printf(", blank %" PRIu64 " time%s for %.1f s (primary plane or pipe off)%s",
		       w->blank_periods, w->blank_periods == 1 ? "" : "s",
		       w->blank_time + (w->blank ? now - w->blank_since : 0),
		       w->blank ? ", blank at the end" : "");
	printf("\n");
}

struct watch_args {
	const char *device;
	double interval;
	double duration;	/* 0: no limit */
	double poll_ms;		/* 0: wait for events when possible */
	uint64_t count;		/* 0: no limit */
};

/* Parse the command line.  Returns 0, -1 after --help, or an exit code
 * after a usage error (nothing to clean up here). */
static int watch_parse(int argc, char **argv, struct watch_args *a)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "poll", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tool_command *cmd = &tool_watch_command;
	int c, ret = TOOL_EXIT_OK;

	memset(a, 0, sizeof(*a));
	a->interval = 1.0;
	while ((c = tool_getopt(cmd, argc, argv, ":h", opts, &ret)) >= 0) {
		switch (c) {
		case 'i':
			if (!tool_parse_double(cmd, "--interval", optarg, 0.001, 86400, &a->interval))
				return TOOL_EXIT_USAGE;
			break;
		case 'n':
			if (!tool_parse_u64(cmd, "--count", optarg, 1, UINT64_MAX, &a->count))
				return TOOL_EXIT_USAGE;
			break;
		case 'd':
			if (!tool_parse_double(cmd, "--duration", optarg, 0.001, 1e9, &a->duration))
				return TOOL_EXIT_USAGE;
			break;
		case 'p':
			if (!tool_parse_double(cmd, "--poll", optarg, 0.01, 60000, &a->poll_ms))
				return TOOL_EXIT_USAGE;
			break;
		}
	}
	if (c == -1)
		return ret == TOOL_EXIT_OK ? -1 : ret;
	if (optind >= argc)
		return tool_usage_error(cmd, "missing DEVICE");
	if (optind + 1 < argc)
		return tool_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	a->device = argv[optind];
	return TOOL_EXIT_OK;
}

static int watch_run(int argc, char **argv)
{
	struct watch_args a;
	double poll_ms, now, next, end, deadline;
	uint64_t reports = 0;
	struct watch w;
	struct pollfd pfd[3];
	sigset_t mask, oldmask;
	bool tty, stop = false, interrupted = false, blocked = false, removed = false;
	char line[512];
	int r, ret, sfd = -1, efd = -1, rfd, timeout;
	nfds_t nfds;

	memset(&w, 0, sizeof(w));
	ret = watch_parse(argc, argv, &a);
	if (ret) {
		ret = ret < 0 ? TOOL_EXIT_OK : ret;
		goto out;
	}
	poll_ms = a.poll_ms;

	/* SIGINT/SIGTERM through a signalfd: the loop sees them between two
	 * queries and ends with the summary. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	blocked = true;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		tool_error("cannot create a signalfd: %s", strerror(errno));
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}

	ret = tool_open_device(a.device, &w.dev);
	if (ret)
		goto out;
	if (poll_ms <= 0) {
		r = gvtdmabuf_device_get_event_fd(w.dev);
		if (r >= 0)
			efd = r;
		else
			poll_ms = 1;
	}
	/* Holding the device blocks its removal: let go when asked. */
	rfd = gvtdmabuf_device_get_request_fd(w.dev);
	tty = isatty(STDOUT_FILENO);

	now = tool_now();
	stats_reset(&w.total, now);
	stats_reset(&w.interval, now);
	next = now + a.interval;
	end = a.duration > 0 ? now + a.duration : INFINITY;
	printf("Watching %s (%s backend, %s)%s\n", gvtdmabuf_device_get_name(w.dev),
	       gvtdmabuf_device_get_backend(w.dev),
	       efd >= 0 ? "waiting for display events" : "polling",
	       tty ? ", Ctrl-C to stop" : "");
	fflush(stdout);
	sample(&w);

	while (!stop) {
		now = tool_now();
		deadline = next < end ? next : end;
		if (efd < 0 && now + poll_ms / 1000.0 < deadline)
			deadline = now + poll_ms / 1000.0;
		timeout = deadline > now ? (int)ceil((deadline - now) * 1000.0) : 0;

		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = rfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = efd;
		pfd[2].events = POLLIN;
		/* A negative fd is skipped by poll(). */
		nfds = efd >= 0 ? 3 : 2;
		r = poll(pfd, nfds, timeout);
		if (r < 0 && errno != EINTR) {
			tool_error("poll: %s", strerror(errno));
			ret = TOOL_EXIT_FAILURE;
			break;
		}
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			/* Consume it: still pending, it would kill us when
			 * the mask is restored. */
			if (read(sfd, &si, sizeof(si)) < 0)
				si.ssi_signo = 0;
			interrupted = true;
			break;
		}
		if (r > 0 && rfd >= 0 && (pfd[1].revents & POLLIN)) {
			removed = true;
			break;
		}
		if (efd >= 0 && r > 0 && (pfd[2].revents & POLLIN)) {
			uint64_t v;

			if (read(efd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
				w.interval.events += v;
				w.total.events += v;
			}
			sample(&w);
		} else if (efd < 0) {
			sample(&w);
		}

		now = tool_now();
		if (now >= next || now >= end) {
			/* In event mode, also look once at report time so that
			 * a missed event does not freeze the line. */
			if (efd >= 0)
				sample(&w);
			format_line(&w, &w.interval, now, line, sizeof(line));
			if (tty)
				printf("\r\033[K%s", line);
			else
				printf("%s\n", line);
			fflush(stdout);
			reports++;
			stats_reset(&w.interval, now);
			next += a.interval;
			if (next < now)
				next = now + a.interval;
			if ((a.count && reports >= a.count) || now >= end)
				stop = true;
		}
		/* The vGPU was removed: nothing more to watch. */
		if (w.last_error == -ENODEV)
			break;
	}

	now = tool_now();
	if (tty && reports)
		printf("\n");
	print_summary(&w, now, interrupted);
	if (w.last_error == -ENODEV) {
		fflush(stdout);
		tool_error("%s is gone (the vGPU was removed)", a.device);
		ret = TOOL_EXIT_FAILURE;
	} else if (removed) {
		fflush(stdout);
		tool_error(strcmp(gvtdmabuf_device_get_backend(w.dev), "qemu-dbus") == 0 ?
			   "%s: the VM's QEMU went away" :
			   "%s is being removed: letting it go", a.device);
		ret = TOOL_EXIT_FAILURE;
	}
out:
	gvtdmabuf_device_close(w.dev);
	if (sfd >= 0)
		close(sfd);
	if (blocked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;
}

const struct tool_command tool_watch_command = {
	.name = "watch",
	.summary = "show flips, frame rate and query latency of a vGPU live",
	.usage = watch_usage,
	.takes_device = true,
	.run = watch_run,
};
