/* SPDX-License-Identifier: MIT */
/* Private to sim.c and sim-spec.c (and their tests): the sim spec parser. */
#ifndef GVTDMABUF_SIM_SPEC_H
#define GVTDMABUF_SIM_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest-model.h"

/* What happens to the vGPU while it streams, for tests: remove-after= and
 * return-after= (a removal), modeset= (the guest changes its mode). */
struct gvtdmabuf_sim_events {
	uint32_t remove_after;		/* frames after the open; 0: never */
	bool returns;			/* return-after was given */
	uint32_t return_after_ms;	/* after the removed device was closed */
	uint32_t modeset_frame;		/* the guest's frame; 0: never */
	uint32_t modeset_width, modeset_height;
};

/*
 * Parse @p spec ("sim" or "sim:OPTIONS") into @p cfg (defaults first) and
 * @p manual (clock=manual), and @p rm (may be NULL).  On failure returns -EINVAL (or -ENOMEM) and
 * writes a message naming the bad option into errbuf.
 */
int gvtdmabuf_sim_parse_spec(const char *spec, struct gvtsim_guest_config *cfg, bool *manual,
			     struct gvtdmabuf_sim_events *rm, char *errbuf, size_t errbuf_size);

#endif /* GVTDMABUF_SIM_SPEC_H */
