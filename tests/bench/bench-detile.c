/* SPDX-License-Identifier: MIT */
/*
 * bench-detile: CPU detiling throughput against a plain copy of the same
 * bytes that uses the same store policy, and the end-to-end cost of reading
 * a frame into system memory (gvtdmabuf_dmabuf_read_linear() and a
 * gvtdmabuf_reader), per 1080p and 4K frame.
 *
 * Fair comparison:
 *  - the baseline copies with the stores gvtdmabuf_detile() uses: streaming
 *    (non-temporal) 16-byte stores for outputs of 2 MiB and more, plain ones
 *    below (STREAM_MIN_BYTES in lib/detile.c).  glibc's memcpy switches to
 *    non-temporal stores only far above a frame's size, so "detile beats
 *    memcpy" measured the store policy, not the detiling; memcpy is still
 *    printed, for reference;
 *  - cold caches: every run reads and writes buffers not touched since the
 *    others were, rotating through enough source/destination pairs to
 *    exceed twice the last-level cache;
 *  - the runs of all operations are shuffled afresh in every round, so
 *    that drift (frequency, other load) hits them alike.
 * Prints the median and best of each and ratios to the baseline, all from
 * one run; asserts nothing.  The end-to-end figures read the sim's
 * buffers right after its CPU painter wrote them (warm, unlike a buffer a
 * GPU wrote), with the mapping per call (read_linear) or kept (reader).
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "bench-util.h"

#define MAX_REPS 1000
#define MAX_SETS 64
#define STREAM_MIN_BYTES (2u << 20)	/* as lib/detile.c */

enum kind { OP_COPY, OP_MEMCPY, OP_DETILE, OP_READ_LINEAR, OP_READER };

struct op {
	const char *name;
	enum kind kind;
	uint64_t modifier;
	uint32_t src_stride;
	size_t src_size;
	double ns[MAX_REPS];
};

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* The baseline: a row copy with detile's store policy. */
static void copy_policy(uint8_t *dst, const uint8_t *src, size_t bytes)
{
#if defined(__SSE2__)
	size_t i = 0;

	if (bytes >= STREAM_MIN_BYTES) {
		for (; i + 16 <= bytes; i += 16)
			_mm_stream_si128((__m128i *)(dst + i),
					 _mm_loadu_si128((const __m128i *)(src + i)));
		_mm_sfence();
	}
	memcpy(dst + i, src + i, bytes - i);
#else
	memcpy(dst, src, bytes);
#endif
}

static size_t llc_bytes(void)
{
	long v = -1;

#ifdef _SC_LEVEL3_CACHE_SIZE
	v = sysconf(_SC_LEVEL3_CACHE_SIZE);
	if (v <= 0)
		v = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
	return v > 0 ? (size_t)v : (size_t)32 << 20;
}

/* The sim's primary plane in Y tiling, for the end-to-end figures. */
static int open_sim(uint32_t width, uint32_t height, struct gvtdmabuf_device **ret_dev,
		    struct gvtdmabuf_plane_info *ret_pi)
{
	char spec[128], err[GVTDMABUF_ERROR_MAX];
	int r;

	snprintf(spec, sizeof(spec), "sim:%ux%u,ytiled,cursor=off,buffers=3,clock=manual",
		 width, height);
	r = gvtdmabuf_device_open(NULL, spec, ret_dev, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "bench-detile: %s: %s\n", spec, err);
		return r;
	}
	r = gvtdmabuf_sim_set_frame(*ret_dev, 1);
	if (r == 0)
		r = gvtdmabuf_device_query_plane(*ret_dev, GVTDMABUF_PLANE_PRIMARY, ret_pi);
	return r;
}

static int bench_size(uint32_t width, uint32_t height, int reps)
{
	const uint32_t cpp = 4;
	const size_t bytes = (size_t)width * height * cpp;
	struct op ops[] = {
		{ .name = "copy", .kind = OP_COPY },
		{ .name = "memcpy", .kind = OP_MEMCPY },
		{ .name = "LINEAR", .kind = OP_DETILE, .modifier = DRM_FORMAT_MOD_LINEAR },
		{ .name = "I915_X_TILED", .kind = OP_DETILE, .modifier = I915_FORMAT_MOD_X_TILED },
		{ .name = "I915_Y_TILED", .kind = OP_DETILE, .modifier = I915_FORMAT_MOD_Y_TILED },
		{ .name = "I915_Yf_TILED", .kind = OP_DETILE, .modifier = I915_FORMAT_MOD_Yf_TILED },
		{ .name = "read_linear Y", .kind = OP_READ_LINEAR },
		{ .name = "reader Y", .kind = OP_READER },
	};
	enum { N_OPS = sizeof(ops) / sizeof(ops[0]) };
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_reader *reader = NULL;
	struct gvtdmabuf_plane_info pi;
	uint8_t *src[MAX_SETS] = { 0 }, *dst[MAX_SETS] = { 0 };
	size_t max_src = bytes, i, n_sets, set = 0;
	unsigned int order[N_OPS];
	double base_med = 0, base_best = 0;
	int rep, r = 0;

	for (i = 0; i < N_OPS; i++) {
		uint32_t tw, th;

		order[i] = (unsigned int)i;
		if (ops[i].kind != OP_DETILE)
			continue;
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
	/* enough pairs that each run finds its buffers out of the cache */
	n_sets = 2 * llc_bytes() / (max_src + bytes) + 2;
	if (n_sets > MAX_SETS)
		n_sets = MAX_SETS;
	for (i = 0; i < n_sets; i++) {
		size_t k;

		if (posix_memalign((void **)&src[i], 4096, max_src) ||
		    posix_memalign((void **)&dst[i], 4096, bytes)) {
			r = -ENOMEM;
			goto out;
		}
		/* fault every page in before timing anything */
		for (k = 0; k < max_src; k++)
			src[i][k] = (uint8_t)(k * 7 + i);
		memset(dst[i], 0, bytes);
	}
	r = open_sim(width, height, &dev, &pi);
	if (r < 0)
		goto out;
	r = gvtdmabuf_reader_create(0, &reader);
	if (r < 0)
		goto out;

	for (rep = -2; rep < reps; rep++) {	/* two warm-up rounds */
		/* Fisher-Yates: a new order every round */
		for (i = N_OPS - 1; i > 0; i--) {
			size_t j = rng() % (i + 1);
			unsigned int t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < N_OPS; i++) {
			struct op *o = &ops[order[i]];
			const struct gvtdmabuf_dmabuf *buf = NULL;
			uint8_t *s = src[set], *d = dst[set];
			uint64_t t0;

			set = (set + 1) % n_sets;
			if (o->kind == OP_READ_LINEAR || o->kind == OP_READER) {
				/* the sim's next buffer, painted by its guest
				 * (not timed), then read as a consumer would */
				r = gvtdmabuf_sim_set_frame(dev, (uint64_t)rep + 10 + i);
				if (r == 0)
					r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
				if (r == 0)
					r = gvtdmabuf_device_get_dmabuf(dev, &pi, &buf);
				if (r < 0)
					goto out;
			}
			t0 = now_ns();
			switch (o->kind) {
			case OP_COPY:
				copy_policy(d, s, bytes);
				break;
			case OP_MEMCPY:
				memcpy(d, s, bytes);
				break;
			case OP_DETILE:
				r = gvtdmabuf_detile(o->modifier, cpp, s, o->src_stride, o->src_size,
						     width, height, d, width * cpp);
				break;
			case OP_READ_LINEAR:
				r = gvtdmabuf_dmabuf_read_linear(buf, d, width * cpp);
				break;
			case OP_READER:
				r = gvtdmabuf_reader_read(reader, buf, d, width * cpp);
				break;
			}
			if (r < 0) {
				fprintf(stderr, "bench-detile: %s %ux%u: %s\n", o->name, width, height,
					strerror(-r));
				goto out;
			}
			if (rep >= 0)
				o->ns[rep] = (double)(now_ns() - t0);
		}
	}

	printf("\n%ux%u XRGB8888, %.1f MB per frame, %d shuffled runs each, %zu buffer sets (LLC %zu MiB)\n",
	       width, height, bytes / 1e6, reps, n_sets, llc_bytes() >> 20);
	printf("  %-14s %12s %12s %12s %14s %12s\n", "operation", "median ms", "median MB/s",
	       "best MB/s", "median ratio", "best ratio");
	for (i = 0; i < N_OPS; i++) {
		double med = median(ops[i].ns, reps), best = ops[i].ns[0];

		if (ops[i].kind == OP_COPY) {
			base_med = med;
			base_best = best;
		}
		printf("  %-14s %12.2f %12.0f %12.0f %13.2fx %11.2fx\n", ops[i].name, med / 1e6,
		       bytes / med * 1e3, bytes / best * 1e3, base_med / med, base_best / best);
		/* machine-readable lines for tests/bench/run.sh */
		if (ops[i].kind != OP_COPY)
			printf("#result\t%s%s %ux%u / copy\t%.2f\t%.2f\t%s\n",
			       ops[i].kind == OP_DETILE ? "detile " : "", ops[i].name, width, height,
			       base_med / med, base_best / best,
			       ops[i].modifier == I915_FORMAT_MOD_X_TILED ||
			       ops[i].modifier == I915_FORMAT_MOD_Y_TILED ? ">= 0.70" : "-");
	}
out:
	gvtdmabuf_reader_destroy(reader);
	gvtdmabuf_device_close(dev);
	for (i = 0; i < MAX_SETS; i++) {
		free(src[i]);
		free(dst[i]);
	}
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
	printf("bench-detile: throughput (output bytes) vs a copy with detile's store policy, cold caches;\n"
	       "target >= 0.70x for X and Y; read_linear (maps per call) and reader (maps once) end to end\n"
	       "on the sim's Y-tiled buffers just painted by its guest (warm)\n");
	if (bench_size(1920, 1080, reps) < 0 || bench_size(3840, 2160, reps) < 0)
		return 1;
	return 0;
}
