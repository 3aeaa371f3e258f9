/* SPDX-License-Identifier: MIT */
/*
 * Built without GIO (-Dqemu_dbus=disabled or no gio-unix-2.0): the "qemu:"
 * names and the VM list say so instead of failing obscurely.
 */
#include <errno.h>

#include "backend.h"

int
gvtdmabuf_qemu_open(const char *spec, struct gvtdmabuf_backend **ret_backend,
		    char *errbuf, size_t errbuf_size)
{
	gvtdmabuf_set_error(errbuf, errbuf_size,
		"%s: this libgvtdmabuf was built without QEMU D-Bus display support "
		"(rebuild with gio-unix-2.0 and -Dqemu_dbus=enabled)", spec);
	return -ENOTSUP;
}

GVTDMABUF_EXPORT const char *
gvtdmabuf_qemu_spec_help(void)
{
	return "qemu[:OPTIONS]      not available: built without QEMU D-Bus display support\n";
}

GVTDMABUF_EXPORT int
gvtdmabuf_list_qemu_displays(struct gvtdmabuf_context *ctx,
			     struct gvtdmabuf_qemu_display **ret_list,
			     size_t *ret_n)
{
	return -ENOTSUP;
}
