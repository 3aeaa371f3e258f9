/* SPDX-License-Identifier: MIT */
/*
 * Glass-to-glass latency of decoded frames: reads raw BGRx frames of
 * WIDTH x HEIGHT (at least the block code's 256x160: a crop of the
 * top-left corner is enough) from standard input, and as each frame is
 * complete subtracts the flip time its block code carries (the sim's
 * CLOCK_MONOTONIC time, in microseconds) from CLOCK_MONOTONIC now.  The
 * first SKIP frames (start-up) are left out.  Prints one line:
 *   frames N undecodable U median MS p99 MS min MS max MS
 *
 * Usage: bench-rtsp-latency WIDTH HEIGHT SKIP < frames
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest-model.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int read_full(int fd, void *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t r = read(fd, (char *)buf + done, size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long w, h, skip;
	size_t size, n = 0, cap = 1024, seen = 0, bad = 0;
	double *lat;
	uint32_t *px;

	if (argc != 4) {
		fprintf(stderr, "usage: bench-rtsp-latency WIDTH HEIGHT SKIP < frames\n");
		return 2;
	}
	w = strtoul(argv[1], NULL, 10);
	h = strtoul(argv[2], NULL, 10);
	skip = strtoul(argv[3], NULL, 10);
	if (w < GVTSIM_BLOCKCODE_WIDTH || h < GVTSIM_BLOCKCODE_HEIGHT || w > 8192 || h > 8192) {
		fprintf(stderr, "bench-rtsp-latency: %lux%lu: the frames must be %ux%u to 8192x8192\n", w,
			h, GVTSIM_BLOCKCODE_WIDTH, GVTSIM_BLOCKCODE_HEIGHT);
		return 2;
	}
	size = (size_t)w * h * 4;
	px = malloc(size);
	lat = malloc(cap * sizeof(*lat));
	if (!px || !lat)
		return 1;
	while (read_full(0, px, size) == 0) {
		struct timespec ts;
		uint64_t frame, t, now;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		if (seen++ < skip)
			continue;
		if (gvtsim_guest_decode_blockcode(px, (uint32_t)w * 4, (uint32_t)w, (uint32_t)h, &frame,
						  &t) < 0) {
			bad++;
			continue;
		}
		if (n == cap) {
			double *more = realloc(lat, 2 * cap * sizeof(*lat));

			if (!more)
				return 1;
			lat = more;
			cap *= 2;
		}
		lat[n++] = ((double)now - (double)t) / 1000.0;
	}
	if (!n) {
		printf("frames 0 undecodable %zu median - p99 - min - max -\n", bad);
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("frames %zu undecodable %zu median %.1f p99 %.1f min %.1f max %.1f\n", n, bad,
	       lat[n / 2], lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], lat[0], lat[n - 1]);
	free(lat);
	free(px);
	return 0;
}
