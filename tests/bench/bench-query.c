/* SPDX-License-Identifier: MIT */
/*
 * bench-query: per-frame cost of the steady-state path a consumer runs
 * every frame, gvtdmabuf_device_query_plane(PRIMARY) followed by
 * gvtdmabuf_device_get_dmabuf() hitting the cache (the frame is not
 * changing: "clock=manual"), on sim devices of three sizes.  That cost
 * should not grow with the frame size: the ratio 4K/720p is printed
 * (target <= 1.2).  Asserts nothing.
 *
 *   bench-query [-n ITERATIONS]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "bench-util.h"

#define ROUNDS 7

struct res {
	uint32_t width, height;
	struct gvtdmabuf_device *dev;
	double ns[ROUNDS];
	double median;
};

/* One round of n query+get pairs; returns ns per frame or a negative errno. */
static double run_round(struct gvtdmabuf_device *dev, long n)
{
	struct gvtdmabuf_plane_info info;
	const struct gvtdmabuf_dmabuf *buf;
	uint64_t t0 = now_ns();
	long i;
	int r;

	for (i = 0; i < n; i++) {
		r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info);
		if (r == 0)
			r = gvtdmabuf_device_get_dmabuf(dev, &info, &buf);
		if (r < 0)
			return r;
	}
	return (double)(now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	struct res res[] = {
		{ 1280, 720 }, { 1920, 1080 }, { 3840, 2160 },
	};
	const size_t n_res = sizeof(res) / sizeof(res[0]);
	long iterations = 20000;
	int opt, round, ret = 1;
	size_t i;

	while ((opt = getopt(argc, argv, "n:h")) != -1) {
		switch (opt) {
		case 'n':
			iterations = atol(optarg);
			if (iterations < 1) {
				fprintf(stderr, "bench-query: -n wants a positive count\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [-n ITERATIONS]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}

	for (i = 0; i < n_res; i++) {
		char spec[64], err[GVTDMABUF_ERROR_MAX];
		struct gvtdmabuf_plane_info info;
		const struct gvtdmabuf_dmabuf *buf;
		int r;

		snprintf(spec, sizeof(spec), "sim:%ux%u,clock=manual",
			 res[i].width, res[i].height);
		r = gvtdmabuf_device_open(NULL, spec, &res[i].dev, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "bench-query: %s: %s\n", spec, err);
			goto out;
		}
		/* the first get is the miss that fills the cache */
		r = gvtdmabuf_device_query_plane(res[i].dev, GVTDMABUF_PLANE_PRIMARY, &info);
		if (r == 0)
			r = gvtdmabuf_device_get_dmabuf(res[i].dev, &info, &buf);
		if (r < 0) {
			fprintf(stderr, "bench-query: %s: first frame: %s\n", spec, strerror(-r));
			goto out;
		}
		if (info.width != res[i].width || info.height != res[i].height)
			fprintf(stderr, "bench-query: %s reports %ux%u\n", spec,
				info.width, info.height);
	}

	/* rounds interleaved across sizes, so drift hits them all alike */
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < n_res; i++) {
			double ns = run_round(res[i].dev, iterations);

			if (ns < 0) {
				fprintf(stderr, "bench-query: %ux%u: %s\n", res[i].width,
					res[i].height, strerror((int)-ns));
				goto out;
			}
			res[i].ns[round] = ns;
		}
	}

	printf("bench-query: query_plane(PRIMARY) + get_dmabuf (cache hit) per frame, "
	       "%ld iterations x %d rounds\n", iterations, ROUNDS);
	printf("  %-10s %12s %12s %10s %10s\n", "size", "median ns", "best ns",
	       "hits", "misses");
	for (i = 0; i < n_res; i++) {
		struct gvtdmabuf_cache_stats st;
		char size[32];

		qsort(res[i].ns, ROUNDS, sizeof(double), cmp_double);
		res[i].median = res[i].ns[ROUNDS / 2];
		gvtdmabuf_device_get_cache_stats(res[i].dev, &st);
		snprintf(size, sizeof(size), "%ux%u", res[i].width, res[i].height);
		printf("  %-10s %12.0f %12.0f %10llu %10llu\n", size, res[i].median,
		       res[i].ns[0], (unsigned long long)st.hits,
		       (unsigned long long)st.misses);
	}
	printf("  ratio 3840x2160 / 1280x720: %.2f (target <= 1.20)\n",
	       res[2].median / res[0].median);
	/* machine-readable lines for tests/bench/run.sh */
	for (i = 0; i < n_res; i++)
		printf("#result\tquery+get_dmabuf ns/frame %ux%u\t%.0f\t%.0f\t-\n",
		       res[i].width, res[i].height, res[i].median, res[i].ns[0]);
	printf("#result\tquery+get_dmabuf 3840x2160 / 1280x720\t%.2f\t%.2f\t<= 1.20\n",
	       res[2].median / res[0].median, res[2].ns[0] / res[0].ns[0]);
	ret = 0;
out:
	for (i = 0; i < n_res; i++)
		gvtdmabuf_device_close(res[i].dev);
	return ret;
}
