/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the sim spec parser (lib/sim-spec.c): any bytes
 * after "sim:".  Checks what the parser promises: it accepts only a
 * configuration the guest model takes (gvtsim_guest_config_check()), and
 * every refusal is -EINVAL with a message, never a crash or a read past
 * the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-model.h"
#include "sim-spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvtsim_guest_config cfg;
	char err[512];
	char *spec;
	bool manual;
	int r;

	if (size > 4096)
		return 0;
	spec = malloc(size + 5);
	if (!spec)
		return 0;
	memcpy(spec, "sim:", 4);
	memcpy(spec + 4, data, size);
	spec[size + 4] = '\0';	/* a NUL inside ends the spec early: fine */

	err[0] = '\0';
	r = gvtdmabuf_sim_parse_spec(spec, &cfg, &manual, NULL, err, sizeof(err));
	if (r == 0) {
		if (gvtsim_guest_config_check(&cfg, NULL) != 0)
			abort();	/* accepted a configuration the model refuses */
	} else if (r != -EINVAL && r != -ENOMEM) {
		abort();
	} else if (r == -EINVAL && (err[0] == '\0' || !memchr(err, '\0', sizeof(err)))) {
		abort();		/* a refusal without a message */
	}
	free(spec);
	return 0;
}
