/* SPDX-License-Identifier: MIT */
/*
 * Check raw frames a consumer received from gvt-streamd against the guest
 * model: each frame's block code gives its frame number and flip time,
 * numbers must increase, and every pixel must equal the model's.
 *
 * Usage: frame-check FILE WIDTH HEIGHT BGRx|RGBA MIN_FRAMES [unordered]
 *
 * "unordered": frames may repeat or come out of order (pw-v4l2 0.3.65
 * under ffmpeg hands buffers back out of order, with QBUF errors), but
 * MIN_FRAMES distinct ones must come, each pixel-exact.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-model.h"

int main(int argc, char **argv)
{
	struct gvtsim_guest_config cfg;
	uint32_t w, h, *px = NULL;
	size_t size;
	int min, n = 0, bad = 0, rgba, distinct = 0;
	bool repeats;
	static uint64_t seen_frames[4096];
	uint64_t last = 0;
	FILE *f;

	if (argc != 6 && !(argc == 7 && !strcmp(argv[6], "unordered"))) {
		fprintf(stderr, "usage: frame-check FILE WIDTH HEIGHT BGRx|RGBA MIN_FRAMES [unordered]\n");
		return 2;
	}
	w = strtoul(argv[2], NULL, 10);
	h = strtoul(argv[3], NULL, 10);
	rgba = !strcmp(argv[4], "RGBA");
	min = atoi(argv[5]);
	repeats = argc == 7;
	gvtsim_guest_config_default(&cfg);
	cfg.width = w;
	cfg.height = h;
	cfg.cursor_size = 0;
	size = (size_t)w * h * 4;
	px = malloc(size);
	f = fopen(argv[1], "rb");
	if (!f || !px) {
		fprintf(stderr, "frame-check: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while (fread(px, 1, size, f) == size) {
		uint64_t frame, t;
		int mism = 0;

		if (rgba)	/* bytes R,G,B,A -> XRGB8888 words */
			for (size_t i = 0; i < (size_t)w * h; i++) {
				uint8_t *b = (uint8_t *)&px[i];

				px[i] = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
			}
		if (gvtsim_guest_decode_blockcode(px, w * 4, w, h, &frame, &t) < 0) {
			printf("frame %d: no block code\n", n);
			bad++;
			n++;
			continue;
		}
		{
			bool seen = false;

			for (int i = 0; i < distinct && i < 4096; i++)
				seen |= seen_frames[i] == frame;
			if (!seen && distinct < 4096)
				seen_frames[distinct++] = frame;
		}
		if (n && frame <= last && !repeats) {
			printf("frame %d: block code frame %llu after %llu\n", n,
			       (unsigned long long)frame, (unsigned long long)last);
			bad++;
		}
		last = frame;
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				if ((px[y * w + x] ^ gvtsim_guest_expected_argb(&cfg, frame, t, x, y)) & 0xffffff)
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
	printf("%d frames (%d distinct), %d bad, last guest frame %llu\n", n, distinct, bad,
	       (unsigned long long)last);
	return (distinct >= min && !bad) ? 0 : 1;
}
