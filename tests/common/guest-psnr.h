/* SPDX-License-Identifier: MIT */
/*
 * Lossy comparison with the guest model, for frames that went through an
 * encoder: the block code names the frame, PSNR says how close it is.
 */
#ifndef GVT_TESTS_GUEST_PSNR_H
#define GVT_TESTS_GUEST_PSNR_H

#include <stdint.h>

#include "guest-model.h"

/*
 * PSNR in dB (99 when identical) of an XRGB8888 picture (row pitch STRIDE
 * bytes, CFG's width and height) against the model's frame that its block
 * code names, over R, G and B.  Returns -errno (no block code) and leaves
 * the out-parameters alone on failure.
 */
int guest_psnr(const struct gvtsim_guest_config *cfg, const uint32_t *xrgb, uint32_t stride,
	       double *ret_psnr, uint64_t *ret_frame);

#endif
