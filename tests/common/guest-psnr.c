/* SPDX-License-Identifier: MIT */
#include "guest-psnr.h"

#include <math.h>

int guest_psnr(const struct gvtsim_guest_config *cfg, const uint32_t *xrgb, uint32_t stride,
	       double *ret_psnr, uint64_t *ret_frame)
{
	uint64_t frame, time;
	double se = 0, mse;
	int r;

	r = gvtsim_guest_decode_blockcode(xrgb, stride, cfg->width, cfg->height, &frame, &time);
	if (r < 0)
		return r;
	for (uint32_t y = 0; y < cfg->height; y++) {
		const uint32_t *row = (const uint32_t *)((const uint8_t *)xrgb + (size_t)y * stride);

		for (uint32_t x = 0; x < cfg->width; x++) {
			uint32_t want = gvtsim_guest_expected_argb(cfg, frame, time, x, y);

			for (int c = 0; c < 24; c += 8) {
				double d = (double)((want >> c) & 0xff) - (double)((row[x] >> c) & 0xff);

				se += d * d;
			}
		}
	}
	mse = se / ((double)cfg->width * cfg->height * 3.0);
	*ret_psnr = mse == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
	*ret_frame = frame;
	return 0;
}
