/* SPDX-License-Identifier: MIT */
/*
 * The gvtdmabuf plugin: registers gvtdmabufsrc.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstgvtdmabufsrc.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
	return GST_ELEMENT_REGISTER (gvtdmabufsrc, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, gvtdmabuf,
	"Intel GVT-g vGPU framebuffers as zero-copy dma-buf video",
	plugin_init, PACKAGE_VERSION, GST_LICENSE, GST_PACKAGE_NAME,
	GST_PACKAGE_ORIGIN)
