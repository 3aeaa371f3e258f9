/* SPDX-License-Identifier: MIT */
/*
 * bench-paint: cost of the guest model's painter (gvtsim_guest_paint), the
 * work the sim's guest thread does for every frame, in ms per frame for
 * 720p, 1080p and 4K in linear, X- and Y-tiled XRGB8888.  Consecutive
 * frames are painted, as the guest does (the painter may reuse what the
 * buffer already holds), and 1080p X-tiled in every format the model
 * paints.  Prints figures, asserts nothing.
 *
 *   bench-paint [-n FRAMES]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "guest-model.h"
#include "bench-util.h"

#define ROUNDS 5

static void write_reg(void *user, uint32_t offset, uint32_t value)
{
}

/* Median and best ms per frame over ROUNDS rounds of n frames; 0 on success. */
static int bench_one(uint32_t w, uint32_t h, uint32_t fourcc, uint64_t modifier, long n,
		     double *ret_median, double *ret_best)
{
	struct gvtsim_guest_config cfg;
	struct gvtsim_guest_layout layout;
	struct gvtsim_guest g;
	double ms[ROUNDS];
	uint64_t frame = 0, t0;
	uint8_t *gm = NULL;
	int round, ret = -1;
	long i;

	gvtsim_guest_config_default(&cfg);
	cfg.width = w;
	cfg.height = h;
	cfg.fourcc = fourcc;
	cfg.modifier = modifier;
	if (gvtsim_guest_compute_layout(&cfg, &layout))
		goto out;
	gm = calloc(1, layout.gm_size);
	if (!gm || gvtsim_guest_init(&g, &cfg, write_reg, NULL, NULL, gm, layout.gm_size))
		goto out;
	gvtsim_guest_program_mode(&g);

	/* warm up: every buffer painted once */
	for (i = 0; i < (long)cfg.n_buffers; i++, frame++)
		gvtsim_guest_show_frame(&g, frame, frame * 16667);

	for (round = 0; round < ROUNDS; round++) {
		t0 = now_ns();
		for (i = 0; i < n; i++, frame++)
			gvtsim_guest_show_frame(&g, frame, frame * 16667);
		ms[round] = (double)(now_ns() - t0) / 1e6 / (double)n;
	}
	gvtsim_guest_finish(&g);
	qsort(ms, ROUNDS, sizeof(ms[0]), cmp_double);
	*ret_median = ms[ROUNDS / 2];
	*ret_best = ms[0];
	ret = 0;
out:
	free(gm);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct {
		uint32_t w, h;
		const char *name;
		double target_ms;	/* on an idle core; 0 = none */
	} sizes[] = {
		{ 1280, 720, "720p", 0 },
		{ 1920, 1080, "1080p", 5 },
		{ 3840, 2160, "4K", 16 },
	};
	static const struct {
		uint64_t modifier;
		const char *name;
	} tilings[] = {
		{ DRM_FORMAT_MOD_LINEAR, "linear" },
		{ I915_FORMAT_MOD_X_TILED, "X" },
		{ I915_FORMAT_MOD_Y_TILED, "Y" },
	};
	static const struct {
		uint32_t fourcc;
		const char *name;
	} formats[] = {
		{ DRM_FORMAT_XRGB8888, "xrgb8888" }, { DRM_FORMAT_ARGB8888, "argb8888" },
		{ DRM_FORMAT_XBGR8888, "xbgr8888" }, { DRM_FORMAT_ABGR8888, "abgr8888" },
		{ DRM_FORMAT_RGB565, "rgb565" }, { DRM_FORMAT_XRGB2101010, "xrgb2101010" },
		{ DRM_FORMAT_XBGR2101010, "xbgr2101010" }, { DRM_FORMAT_YUYV, "yuyv" },
	};
	long frames = 0;
	int opt, status = 0;
	size_t s, t;

	while ((opt = getopt(argc, argv, "n:h")) != -1) {
		switch (opt) {
		case 'n':
			frames = atol(optarg);
			if (frames < 1) {
				fprintf(stderr, "bench-paint: -n wants a positive count\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: bench-paint [-n FRAMES]\n");
			return opt == 'h' ? 0 : 2;
		}
	}

	printf("# gvtsim_guest_show_frame (paint + flip), XRGB8888, cursor 64, "
	       "%d rounds, ms per frame\n", ROUNDS);
	printf("%-7s %-7s %10s %10s %10s\n", "mode", "tiling", "median", "best", "frames/s");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		/* about the same total work per size */
		long n = frames ? frames : (long)(40ull * 3840 * 2160 /
						  ((uint64_t)sizes[s].w * sizes[s].h));

		for (t = 0; t < sizeof(tilings) / sizeof(tilings[0]); t++) {
			double med, best;
			char name[64], target[16] = "-";

			if (bench_one(sizes[s].w, sizes[s].h, DRM_FORMAT_XRGB8888, tilings[t].modifier,
				      n, &med, &best)) {
				fprintf(stderr, "bench-paint: %s %s: cannot set up the guest\n",
					sizes[s].name, tilings[t].name);
				status = 1;
				continue;
			}
			printf("%-7s %-7s %10.2f %10.2f %10.0f\n", sizes[s].name,
			       tilings[t].name, med, best, 1000.0 / med);
			snprintf(name, sizeof(name), "paint %s %s (ms/frame)", sizes[s].name,
				 tilings[t].name);
			if (sizes[s].target_ms > 0)
				snprintf(target, sizeof(target), "< %.0f", sizes[s].target_ms);
			/* machine-readable line for run.sh's summary */
			printf("#result\t%s\t%.2f\t%.2f\t%s\n", name, med, best, target);
		}
	}

	printf("\n# 1080p X-tiled by format, ms per frame\n");
	printf("%-12s %10s %10s %10s\n", "format", "median", "best", "frames/s");
	for (s = 0; s < sizeof(formats) / sizeof(formats[0]); s++) {
		long n = frames ? frames : 160;
		double med, best;

		if (bench_one(1920, 1080, formats[s].fourcc, I915_FORMAT_MOD_X_TILED, n, &med, &best)) {
			fprintf(stderr, "bench-paint: 1080p X %s: cannot set up the guest\n",
				formats[s].name);
			status = 1;
			continue;
		}
		printf("%-12s %10.2f %10.2f %10.0f\n", formats[s].name, med, best, 1000.0 / med);
		printf("#result\tpaint 1080p X %s (ms/frame)\t%.2f\t%.2f\t-\n", formats[s].name,
		       med, best);
	}
	return status;
}
