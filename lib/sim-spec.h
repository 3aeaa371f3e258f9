/* SPDX-License-Identifier: MIT */
/* Private to sim.c and sim-spec.c (and their tests): the sim spec parser. */
#ifndef GVTDMABUF_SIM_SPEC_H
#define GVTDMABUF_SIM_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "guest-model.h"

/*
 * Parse @p spec ("sim" or "sim:OPTIONS") into @p cfg (defaults first) and
 * @p manual (clock=manual).  On failure returns -EINVAL (or -ENOMEM) and
 * writes a message naming the bad option into errbuf.
 */
int gvtdmabuf_sim_parse_spec(const char *spec, struct gvtsim_guest_config *cfg, bool *manual,
			     char *errbuf, size_t errbuf_size);

#endif /* GVTDMABUF_SIM_SPEC_H */
