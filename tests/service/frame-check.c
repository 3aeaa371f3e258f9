/* SPDX-License-Identifier: MIT */
/*
 * Check raw frames a consumer received from gvt-streamd against the guest
 * model: each frame's block code gives its frame number and flip time,
 * numbers must increase, and every pixel must equal the model's.
 *
 * Usage: frame-check FILE WIDTH HEIGHT BGRx|RGBA MIN_FRAMES
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-model.h"

int main(int argc, char **argv)
{
	struct gvtsim_guest_config cfg;
	uint32_t w, h, *px = NULL;
	size_t size;
	int min, n = 0, bad = 0, rgba;
	uint64_t last = 0;
	FILE *f;

	if (argc != 6) {
		fprintf(stderr, "usage: frame-check FILE WIDTH HEIGHT BGRx|RGBA MIN_FRAMES\n");
		return 2;
	}
	w = strtoul(argv[2], NULL, 10);
	h = strtoul(argv[3], NULL, 10);
	rgba = !strcmp(argv[4], "RGBA");
	min = atoi(argv[5]);
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
		if (n && frame <= last) {
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
	printf("%d frames, %d bad, last guest frame %llu\n", n, bad, (unsigned long long)last);
	return (n >= min && !bad) ? 0 : 1;
}
