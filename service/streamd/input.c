/* SPDX-License-Identifier: MIT */
/*
 * Remote input into a VM (input.h).  No configuration allows input yet,
 * so every viewer is view only and every message is refused as such.
 */
#include <gio/gio.h>

#include "input.h"
#include "streamd.h"

bool streamd_input_allowed(struct streamd_vgpu *v, const char *user)
{
	(void)v;
	(void)user;
	return false;
}

bool streamd_input_message(struct streamd_vgpu *v, const char *user,
			   const char *message, GError **error)
{
	(void)message;
	if (!streamd_input_allowed(v, user)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "input is off for vGPU %s (view only)", streamd_vgpu_device(v));
		return false;
	}
	return true;
}
