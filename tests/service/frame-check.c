/* SPDX-License-Identifier: MIT */
/*
 * Check raw frames a consumer received from gvt-streamd against the guest
 * model: each frame's block code gives its frame number and flip time,
 * numbers must increase, and every pixel must equal the model's.
 *
 * Usage: frame-check FILE WIDTH HEIGHT BGRx|RGBA|YUY2 MIN_FRAMES [unordered|psnr=DB[,lead=N][,held][,torn=N]]
 *
 * YUY2 frames are read back to RGB (BT.601 limited range, the guest model's
 * matrix) for the block code and PSNR; exactly compared (no psnr=), they
 * must equal a YUYV guest's bytes (gvtsim_guest_expected_native()).
 *
 * "unordered": frames may repeat or come out of order (pw-v4l2 0.3.65
 * under ffmpeg hands buffers back out of order, with QBUF errors), but
 * MIN_FRAMES distinct ones must come, each pixel-exact.
 *
 * "psnr=DB": the frames went through an encoder (RTSP): numbers must still
 * increase, and each frame's PSNR against the model must exceed DB.
 * "psnr=DB,lead=N": up to N frames before the first with a block code may
 * be undecodable (a viewer that joined a running stream mid-picture, before
 * the key frame its arrival asked for).
 * "psnr=DB,lead=N,held": also, a frame may be the one before it again (a
 * consumer that renders at its own clock, as OBS does, shows the newest
 * frame again until another comes), never an older one.
 * "psnr=DB,torn=N": up to N frames with a block code may miss the PSNR
 * bound, each reported: a read of the guest's framebuffer that raced its
 * repaint (no fences; seen only under TCG in the vm suite).
 *
 * Prints one summary line: frames, distinct ones, bad ones, and the first
 * and last guest frame numbers ("guest frames FIRST..LAST").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "guest-model.h"
#include "guest-psnr.h"

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* BT.601 limited range YUY2 (Y0 U Y1 V) to XRGB8888 words. */
static void yuy2_to_xrgb(const uint8_t *src, uint32_t *px, uint32_t w, uint32_t h)
{
	for (size_t i = 0; i < (size_t)w * h; i++) {
		size_t pair = i & ~(size_t)1;
		int y = src[2 * i] - 16, u = src[2 * pair + 1] - 128, v = src[2 * pair + 3] - 128;
		int r = (298 * y + 409 * v + 128) >> 8;
		int g = (298 * y - 100 * u - 208 * v + 128) >> 8;
		int b = (298 * y + 516 * u + 128) >> 8;

		px[i] = (uint32_t)clamp8(r) << 16 | (uint32_t)clamp8(g) << 8 | clamp8(b);
	}
}

int main(int argc, char **argv)
{
	struct gvtsim_guest_config cfg;
	uint32_t w, h, *px = NULL;
	uint16_t *yuv = NULL;
	size_t size;
	int min, n = 0, bad = 0, rgba, yuy2, distinct = 0;
	bool repeats, lossy, held = false;
	double bound = 0, worst = 99.0;
	int lead = 0, skipped = 0, torn = 0, torn_seen = 0;
	static uint64_t seen_frames[4096];
	uint64_t last = 0, first = 0;
	FILE *f;

	lossy = false;
	if (argc == 7 && !strncmp(argv[6], "psnr=", 5)) {
		char *opts = strdup(argv[6]), *save = NULL;
		bool ok = opts != NULL;

		for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
			if (!strcmp(t, "held"))
				held = true;
			else if (sscanf(t, "psnr=%lf", &bound) != 1 && sscanf(t, "lead=%d", &lead) != 1 &&
				 sscanf(t, "torn=%d", &torn) != 1)
				ok = false;
		free(opts);
		lossy = ok && bound > 0 && lead >= 0 && torn >= 0;
		if (!lossy) {
			fprintf(stderr, "frame-check: bad options '%s'\n", argv[6]);
			return 2;
		}
	}
	if (argc != 6 && !(argc == 7 && (!strcmp(argv[6], "unordered") || lossy))) {
		fprintf(stderr, "usage: frame-check FILE WIDTH HEIGHT BGRx|RGBA|YUY2 MIN_FRAMES [unordered|psnr=DB[,lead=N][,held][,torn=N]]\n");
		return 2;
	}
	w = strtoul(argv[2], NULL, 10);
	h = strtoul(argv[3], NULL, 10);
	rgba = !strcmp(argv[4], "RGBA");
	yuy2 = !strcmp(argv[4], "YUY2");
	if (!rgba && !yuy2 && strcmp(argv[4], "BGRx")) {
		fprintf(stderr, "frame-check: format '%s' is not BGRx, RGBA or YUY2\n", argv[4]);
		return 2;
	}
	if (yuy2 && (w & 1)) {
		fprintf(stderr, "frame-check: YUY2 needs an even width, not %u\n", w);
		return 2;
	}
	min = atoi(argv[5]);
	repeats = argc == 7 && !lossy;
	gvtsim_guest_config_default(&cfg);
	cfg.width = w;
	cfg.height = h;
	cfg.cursor_size = 0;
	if (yuy2 && !lossy)
		cfg.fourcc = DRM_FORMAT_YUYV;	/* compared with the guest's own bytes */
	size = (size_t)w * h * (yuy2 ? 2 : 4);
	px = malloc((size_t)w * h * 4);
	yuv = malloc(size);
	f = fopen(argv[1], "rb");
	if (!f || !px || !yuv) {
		fprintf(stderr, "frame-check: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while (fread(yuy2 ? (void *)yuv : (void *)px, 1, size, f) == size) {
		uint64_t frame, t;
		int mism = 0;

		if (yuy2)
			yuy2_to_xrgb((const uint8_t *)yuv, px, w, h);
		if (rgba)	/* bytes R,G,B,A -> XRGB8888 words */
			for (size_t i = 0; i < (size_t)w * h; i++) {
				uint8_t *b = (uint8_t *)&px[i];

				px[i] = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
			}
		if (gvtsim_guest_decode_blockcode(px, w * 4, w, h, &frame, &t) < 0) {
			if (lossy && !distinct && skipped < lead) {
				skipped++;
				n++;
				continue;
			}
			printf("frame %d: no block code\n", n);
			bad++;
			n++;
			continue;
		}
		{
			bool seen = false;

			for (int i = 0; i < distinct && i < 4096; i++)
				seen |= seen_frames[i] == frame;
			if (!distinct)
				first = frame;
			if (!seen && distinct < 4096)
				seen_frames[distinct++] = frame;
		}
		if (n && (held ? frame < last : frame <= last) && !repeats) {
			printf("frame %d: block code frame %llu after %llu\n", n,
			       (unsigned long long)frame, (unsigned long long)last);
			bad++;
		}
		last = frame;
		if (lossy) {
			double p = 0;

			guest_psnr(&cfg, px, w * 4, &p, &frame);
			worst = p < worst ? p : worst;
			if (p <= bound && torn_seen < torn) {
				torn_seen++;
				printf("frame %d (guest frame %llu): PSNR %.1f dB, not above %.1f: torn (%d of at most %d)\n",
				       n, (unsigned long long)frame, p, bound, torn_seen, torn);
			} else if (p <= bound) {
				printf("frame %d (guest frame %llu): PSNR %.1f dB, not above %.1f\n",
				       n, (unsigned long long)frame, p, bound);
				bad++;
			}
			n++;
			continue;
		}
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				if (yuy2 ? yuv[y * w + x] != gvtsim_guest_expected_native(&cfg, frame, t, x, y)
					 : ((px[y * w + x] ^ gvtsim_guest_expected_argb(&cfg, frame, t, x, y)) &
					    0xffffff))
					mism++;
		if (mism) {
			printf("frame %d (guest frame %llu): %d pixels differ from the guest model\n",
			       n, (unsigned long long)frame, mism);
			bad++;
		}
		n++;
	}
	fclose(f);
	free(px);
	free(yuv);
	printf("%d frames (%d distinct), %d bad, guest frames %llu..%llu", n, distinct, bad,
	       (unsigned long long)first, (unsigned long long)last);
	if (lossy)
		printf(", worst PSNR %.1f dB (bound %.1f)", worst, bound);
	if (skipped)
		printf(", %d undecodable before the first key frame (at most %d)", skipped, lead);
	if (torn_seen)
		printf(", %d torn (at most %d)", torn_seen, torn);
	printf("\n");
	return (distinct >= min && !bad) ? 0 : 1;
}
