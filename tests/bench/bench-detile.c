/* SPDX-License-Identifier: MIT */
/*
 * bench-detile: CPU detiling throughput against memcpy of the same bytes.
 *
 * For each frame size, the memcpy and the detile of every tiling run
 * interleaved in the same loop, so that each ratio compares runs made under
 * the same conditions (frequency, cache, other load).  Prints the median
 * and best MB/s of each and the ratio detile/memcpy on both (the best is
 * the steadier figure on a shared machine); asserts nothing.
 *
 *   bench-detile [-r REPS]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "bench-util.h"

#define MAX_REPS 1000

struct op {
	const char *name;
	uint64_t modifier;	/* unused for memcpy */
	bool is_memcpy;
	uint32_t src_stride;
	size_t src_size;
	double ns[MAX_REPS];
	double ratio_median, ratio_best;
};

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_size(uint32_t width, uint32_t height, int reps)
{
	const uint32_t cpp = 4;
	const size_t bytes = (size_t)width * height * cpp;
	struct op ops[] = {
		{ .name = "memcpy", .is_memcpy = true },
		{ .name = "LINEAR", .modifier = DRM_FORMAT_MOD_LINEAR },
		{ .name = "I915_X_TILED", .modifier = I915_FORMAT_MOD_X_TILED },
		{ .name = "I915_Y_TILED", .modifier = I915_FORMAT_MOD_Y_TILED },
		{ .name = "I915_Yf_TILED", .modifier = I915_FORMAT_MOD_Yf_TILED },
	};
	const size_t n_ops = sizeof(ops) / sizeof(ops[0]);
	size_t max_src = bytes, i;
	uint8_t *src = NULL, *dst = NULL;
	double memcpy_median = 0, memcpy_best = 0;
	int rep, r = 0;

	for (i = 1; i < n_ops; i++) {
		uint32_t tw, th;

		if (gvtdmabuf_modifier_tile_size(ops[i].modifier, &tw, &th) < 0) {
			fprintf(stderr, "bench-detile: %s unknown to the library\n", ops[i].name);
			r = -ENOTSUP;
			goto out;
		}
		/* what i915 allocates: whole tiles, whole tile rows */
		ops[i].src_stride = (width * cpp + tw - 1) / tw * tw;
		ops[i].src_size = (size_t)ops[i].src_stride * ((height + th - 1) / th * th);
		if (ops[i].src_size > max_src)
			max_src = ops[i].src_size;
	}
	if (posix_memalign((void **)&src, 4096, max_src) ||
	    posix_memalign((void **)&dst, 4096, bytes)) {
		r = -ENOMEM;
		goto out;
	}
	/* fault every page in before timing anything */
	for (i = 0; i < max_src; i++)
		src[i] = (uint8_t)(i * 7);
	memset(dst, 0, bytes);

	for (rep = -2; rep < reps; rep++) {	/* two warm-up rounds */
		for (i = 0; i < n_ops; i++) {
			uint64_t t0 = now_ns();

			if (ops[i].is_memcpy) {
				memcpy(dst, src, bytes);
			} else {
				r = gvtdmabuf_detile(ops[i].modifier, cpp, src,
						     ops[i].src_stride, ops[i].src_size,
						     width, height, dst, width * cpp);
				if (r < 0) {
					fprintf(stderr, "bench-detile: %s %ux%u: %s\n",
						ops[i].name, width, height, strerror(-r));
					goto out;
				}
			}
			if (rep >= 0)
				ops[i].ns[rep] = (double)(now_ns() - t0);
		}
	}

	printf("\n%ux%u XRGB8888, %.1f MB per frame, %d interleaved runs each\n",
	       width, height, bytes / 1e6, reps);
	printf("  %-14s %12s %12s %14s %12s\n", "operation", "median MB/s",
	       "best MB/s", "median ratio", "best ratio");
	for (i = 0; i < n_ops; i++) {
		double med = median(ops[i].ns, reps), best = ops[i].ns[0];

		if (ops[i].is_memcpy) {
			memcpy_median = med;
			memcpy_best = best;
		}
		printf("  %-14s %12.0f %12.0f %13.2fx %11.2fx\n", ops[i].name,
		       bytes / med * 1e3, bytes / best * 1e3, memcpy_median / med,
		       memcpy_best / best);
		ops[i].ratio_median = memcpy_median / med;
		ops[i].ratio_best = memcpy_best / best;
	}
	/* machine-readable lines for tests/bench/run.sh */
	for (i = 1; i < n_ops; i++)
		printf("#result\tdetile %s %ux%u / memcpy\t%.2f\t%.2f\t%s\n",
		       ops[i].name, width, height, ops[i].ratio_median,
		       ops[i].ratio_best,
		       ops[i].modifier == I915_FORMAT_MOD_X_TILED ||
		       ops[i].modifier == I915_FORMAT_MOD_Y_TILED ? ">= 0.70" : "-");
out:
	free(src);
	free(dst);
	return r;
}

int main(int argc, char **argv)
{
	int reps = 30, opt;

	while ((opt = getopt(argc, argv, "r:h")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "bench-detile: -r wants 1..%d\n", MAX_REPS);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [-r REPS]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	printf("bench-detile: detile throughput (output bytes) vs memcpy; target >= 0.70x for X and Y\n");
	if (bench_size(1920, 1080, reps) < 0 || bench_size(3840, 2160, reps) < 0)
		return 1;
	return 0;
}
