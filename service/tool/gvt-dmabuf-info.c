/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf info: the VFIO side of a vGPU (regions with their capability
 * chains, the EDID region's header, IRQs including gvtsim's display IRQ) and
 * the state of each display plane.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include <gvt-dmabuf/gvtsim-uapi.h>

#include "gvt-dmabuf-tool.h"

static const char info_usage[] =
	"Usage: gvt-dmabuf info DEVICE [--json]\n"
	"\n"
	"Show how DEVICE was opened (backend); for a VFIO device its regions\n"
	"(index, size, flags, capabilities: region type such as Intel OpRegion or\n"
	"GFX EDID, and the EDID region's maximum resolution and link state) and\n"
	"its IRQs (including gvtsim's display IRQ); then each display plane\n"
	"(primary, cursor, sprite): enabled or not, format, modifier, size,\n"
	"stride, position, cursor hotspot and dmabuf_id.\n"
	"\n"
	"Options:\n"
	"  --json      print one JSON object instead of text\n"
	"  -h, --help  show this help\n";

/* Output helpers: text or JSON with the same calls.  JSON keeps a comma
 * state per nesting level. */
struct out {
	bool json;
	int depth;
	bool need_comma[8];
};

static void out_sep(struct out *o)
{
	if (o->need_comma[o->depth])
		printf(",");
	o->need_comma[o->depth] = true;
}

static void out_key(struct out *o, const char *key)
{
	out_sep(o);
	if (key) {
		tool_json_string(stdout, key);
		printf(": ");
	}
}

static void out_open(struct out *o, const char *key, char c)
{
	out_key(o, key);
	printf("%c", c);
	if (o->depth < 7)
		o->depth++;
	o->need_comma[o->depth] = false;
}

static void out_close(struct out *o, char c)
{
	printf("%c", c);
	if (o->depth > 0)
		o->depth--;
}

static void out_str(struct out *o, const char *key, const char *val)
{
	out_key(o, key);
	if (val)
		tool_json_string(stdout, val);
	else
		printf("null");
}

static void out_u64(struct out *o, const char *key, uint64_t val)
{
	out_key(o, key);
	printf("%" PRIu64, val);
}

static void out_i64(struct out *o, const char *key, int64_t val)
{
	out_key(o, key);
	printf("%" PRId64, val);
}

static void out_bool(struct out *o, const char *key, bool val)
{
	out_key(o, key);
	printf("%s", val ? "true" : "false");
}

/* ---- VFIO ---- */

/* Regions and IRQs of a PCI device have fixed names by index (vfio.h's
 * VFIO_PCI_*_INDEX); other devices' indexes have none. */
static const char *pci_index_name(const struct vfio_device_info *di,
				  const char *const *names, uint32_t n,
				  uint32_t index)
{
	if ((di->flags & VFIO_DEVICE_FLAGS_PCI) && index < n)
		return names[index];
	return NULL;
}

static const char *region_index_name(const struct vfio_device_info *di,
				     uint32_t index)
{
	static const char *const pci[] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = "BAR0",
		[VFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
		[VFIO_PCI_BAR2_REGION_INDEX] = "BAR2",
		[VFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
		[VFIO_PCI_BAR4_REGION_INDEX] = "BAR4",
		[VFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
		[VFIO_PCI_ROM_REGION_INDEX] = "ROM",
		[VFIO_PCI_CONFIG_REGION_INDEX] = "CONFIG",
		[VFIO_PCI_VGA_REGION_INDEX] = "VGA",
	};

	return pci_index_name(di, pci, VFIO_PCI_NUM_REGIONS, index);
}

static const char *region_type_name(uint32_t type, uint32_t subtype)
{
	if (type == ((uint32_t)VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086)) {
		switch (subtype) {
		case VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION:
			return "Intel OpRegion";
		case VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG:
			return "Intel IGD host bridge config";
		case VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG:
			return "Intel IGD LPC bridge config";
		}
	} else if (type == VFIO_REGION_TYPE_GFX) {
		if (subtype == VFIO_REGION_SUBTYPE_GFX_EDID)
			return "GFX EDID";
	} else if (type == VFIO_REGION_TYPE_MIGRATION_DEPRECATED) {
		return "migration (deprecated v1)";
	}
	return "unknown";
}

/* A region or IRQ (what) whose info ioctl failed with err: the same JSON
 * object for both, the text line names the index (and name, if given). */
static void print_index_error(struct out *o, const char *what, uint32_t index,
			      const char *name, int err)
{
	if (o->json) {
		out_open(o, NULL, '{');
		out_u64(o, "index", index);
		out_str(o, "error", strerror(err));
		out_close(o, '}');
	} else {
		printf("  %s %u%s%s%s: %s\n", what, index, name ? " (" : "",
		       name ? name : "", name ? ")" : "", strerror(err));
	}
}

static void print_flags(struct out *o, const char *key, uint32_t flags,
			const char *const *names, int n)
{
	bool first = true;
	int i;

	if (o->json) {
		out_open(o, key, '[');
		for (i = 0; i < n; i++)
			if (flags & (1u << i) && names[i])
				out_str(o, NULL, names[i]);
		out_close(o, ']');
		return;
	}
	for (i = 0; i < n; i++) {
		if (!(flags & (1u << i)) || !names[i])
			continue;
		printf("%s%s", first ? "" : ",", names[i]);
		first = false;
	}
	if (first)
		printf("-");
}

static void print_edid_header(struct out *o, int fd, const struct vfio_region_info *ri)
{
	struct vfio_region_gfx_edid edid;
	ssize_t n;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_READ) || ri->size < sizeof(edid)) {
		if (!o->json)
			printf("      edid: not readable\n");
		return;
	}
	n = pread(fd, &edid, sizeof(edid), (off_t)ri->offset);
	if (n != (ssize_t)sizeof(edid)) {
		if (o->json)
			out_str(o, "edid_error", n < 0 ? strerror(errno) : "short read");
		else
			printf("      edid: cannot read the header: %s\n",
			       n < 0 ? strerror(errno) : "short read");
		return;
	}
	if (o->json) {
		out_open(o, "edid", '{');
		out_u64(o, "edid_offset", edid.edid_offset);
		out_u64(o, "edid_max_size", edid.edid_max_size);
		out_u64(o, "edid_size", edid.edid_size);
		out_u64(o, "max_xres", edid.max_xres);
		out_u64(o, "max_yres", edid.max_yres);
		out_str(o, "link_state",
			edid.link_state == VFIO_DEVICE_GFX_LINK_STATE_UP ? "up" :
			edid.link_state == VFIO_DEVICE_GFX_LINK_STATE_DOWN ? "down" : "unknown");
		out_close(o, '}');
		return;
	}
	printf("      edid: max_xres %u max_yres %u (0 = no limit), link %s, blob %u of %u bytes at +%u\n",
	       edid.max_xres, edid.max_yres,
	       edid.link_state == VFIO_DEVICE_GFX_LINK_STATE_UP ? "up" :
	       edid.link_state == VFIO_DEVICE_GFX_LINK_STATE_DOWN ? "down" : "unknown",
	       edid.edid_size, edid.edid_max_size, edid.edid_offset);
}

/* Walk a VFIO capability chain; offsets are from the start of @p buf. */
static void print_region_caps(struct out *o, int fd, const struct vfio_region_info *ri,
			      size_t size)
{
	const uint8_t *buf = (const uint8_t *)ri;
	uint32_t off = ri->cap_offset;
	int guard;

	if (o->json)
		out_open(o, "capabilities", '[');
	for (guard = 0; off && guard < 32; guard++) {
		const struct vfio_info_cap_header *h;

		if (off < sizeof(*ri) || off + sizeof(*h) > size || off % 4)
			break;
		h = (const void *)(buf + off);
		if (h->id == VFIO_REGION_INFO_CAP_TYPE &&
		    off + sizeof(struct vfio_region_info_cap_type) <= size) {
			const struct vfio_region_info_cap_type *t = (const void *)h;
			const char *name = region_type_name(t->type, t->subtype);

			if (o->json) {
				out_open(o, NULL, '{');
				out_str(o, "id", "type");
				out_u64(o, "type", t->type);
				out_u64(o, "subtype", t->subtype);
				out_str(o, "name", name);
				if (t->type == VFIO_REGION_TYPE_GFX &&
				    t->subtype == VFIO_REGION_SUBTYPE_GFX_EDID)
					print_edid_header(o, fd, ri);
				out_close(o, '}');
			} else {
				printf("      type 0x%08x subtype %u: %s\n",
				       t->type, t->subtype, name);
				if (t->type == VFIO_REGION_TYPE_GFX &&
				    t->subtype == VFIO_REGION_SUBTYPE_GFX_EDID)
					print_edid_header(o, fd, ri);
			}
		} else if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
			   off + sizeof(struct vfio_region_info_cap_sparse_mmap) <= size) {
			const struct vfio_region_info_cap_sparse_mmap *s = (const void *)h;

			if (o->json) {
				out_open(o, NULL, '{');
				out_str(o, "id", "sparse_mmap");
				out_u64(o, "areas", s->nr_areas);
				out_close(o, '}');
			} else {
				printf("      sparse mmap: %u area(s)\n", s->nr_areas);
			}
		} else if (h->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
			if (o->json) {
				out_open(o, NULL, '{');
				out_str(o, "id", "msix_mappable");
				out_close(o, '}');
			} else {
				printf("      MSI-X mappable\n");
			}
		} else {
			if (o->json) {
				out_open(o, NULL, '{');
				out_u64(o, "id", h->id);
				out_u64(o, "version", h->version);
				out_close(o, '}');
			} else {
				printf("      capability %u version %u\n", h->id, h->version);
			}
		}
		if (h->next && h->next <= off)
			break;	/* a loop would never end */
		off = h->next;
	}
	if (o->json)
		out_close(o, ']');
}

/* The name of a device-specific region from its type capability. */
static const char *region_cap_type_name(const struct vfio_region_info *ri, size_t size)
{
	const uint8_t *buf = (const uint8_t *)ri;
	uint32_t off = (ri->flags & VFIO_REGION_INFO_FLAG_CAPS) ? ri->cap_offset : 0;
	int guard;

	for (guard = 0; off && guard < 32; guard++) {
		const struct vfio_info_cap_header *h;

		if (off < sizeof(*ri) || off + sizeof(*h) > size || off % 4)
			break;
		h = (const void *)(buf + off);
		if (h->id == VFIO_REGION_INFO_CAP_TYPE &&
		    off + sizeof(struct vfio_region_info_cap_type) <= size) {
			const struct vfio_region_info_cap_type *t = (const void *)h;

			return region_type_name(t->type, t->subtype);
		}
		if (h->next <= off)
			break;
		off = h->next;
	}
	return NULL;
}

static void print_region(struct out *o, int fd, const struct vfio_device_info *di,
			 uint32_t index)
{
	static const char *const flag_names[] = {
		"read", "write", "mmap", "caps",
	};
	struct vfio_region_info *ri;
	const char *name = region_index_name(di, index);
	size_t size = sizeof(*ri);

	ri = calloc(1, size);
	if (!ri)
		goto out;
	ri->argsz = (uint32_t)size;
	ri->index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0) {
		print_index_error(o, "region", index, name, errno);
		goto out;
	}
	/* The capability chain needs a second call with a buffer as large as
	 * the kernel asked for. */
	if ((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && ri->argsz > size &&
	    ri->argsz <= 65536) {
		struct vfio_region_info *big = calloc(1, ri->argsz);

		if (big) {
			size = ri->argsz;
			big->argsz = (uint32_t)size;
			big->index = index;
			if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, big) == 0) {
				free(ri);
				ri = big;
			} else {
				free(big);
				size = sizeof(*ri);
			}
		}
	}
	if (ri->argsz < size)
		size = ri->argsz;
	if (!name)
		name = region_cap_type_name(ri, size);

	if (o->json) {
		out_open(o, NULL, '{');
		out_u64(o, "index", index);
		out_str(o, "name", name);
		out_u64(o, "size", ri->size);
		out_u64(o, "offset", ri->offset);
		print_flags(o, "flags", ri->flags, flag_names, 4);
		if ((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && size > sizeof(*ri))
			print_region_caps(o, fd, ri, size);
		out_close(o, '}');
	} else {
		printf("  region %u%s%s%s: size 0x%" PRIx64 " (%" PRIu64 " bytes) flags ",
		       index, name ? " (" : "", name ? name : "", name ? ")" : "",
		       (uint64_t)ri->size, (uint64_t)ri->size);
		print_flags(o, NULL, ri->flags, flag_names, 4);
		printf("\n");
		if ((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && size > sizeof(*ri))
			print_region_caps(o, fd, ri, size);
	}
out:
	free(ri);
}

static const char *irq_index_name(const struct vfio_device_info *di, uint32_t index)
{
	static const char *const pci[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "INTx",
		[VFIO_PCI_MSI_IRQ_INDEX] = "MSI",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "MSI-X",
		[VFIO_PCI_ERR_IRQ_INDEX] = "ERR",
		[VFIO_PCI_REQ_IRQ_INDEX] = "REQ",
	};

	return pci_index_name(di, pci, VFIO_PCI_NUM_IRQS, index);
}

static void print_irq(struct out *o, int fd, const struct vfio_device_info *di,
		      uint32_t index)
{
	static const char *const flag_names[] = {
		"eventfd", "maskable", "automasked", "noresize", "caps",
	};
	/* Room for gvtsim's capability chain after the (extended) header;
	 * upstream drivers only fill the first 16 bytes. */
	union {
		struct gvtsim_irq_info info;
		uint8_t raw[256];
	} u;
	const char *name = irq_index_name(di, index);
	const char *cap_name = NULL;
	uint32_t off;
	int guard;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	u.info.index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &u) < 0) {
		print_index_error(o, "irq", index, NULL, errno);
		return;
	}
	/* gvtsim's display IRQ: a type capability (see gvtsim-uapi.h). */
	off = (u.info.flags & GVTSIM_IRQ_INFO_FLAG_CAPS) ? u.info.cap_offset : 0;
	for (guard = 0; off && guard < 8; guard++) {
		const struct gvtsim_irq_info_cap_type *c;

		if (off < sizeof(u.info) || off + sizeof(*c) > sizeof(u) || off % 4)
			break;
		c = (const void *)(u.raw + off);
		if (c->id == GVTSIM_IRQ_INFO_CAP_TYPE && c->type == GVTSIM_IRQ_TYPE_GFX &&
		    c->subtype == GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ)
			cap_name = "display refresh (gvtsim)";
		if (c->next <= off)
			break;
		off = c->next;
	}
	if (!name)
		name = cap_name;

	if (o->json) {
		out_open(o, NULL, '{');
		out_u64(o, "index", index);
		out_str(o, "name", name);
		out_u64(o, "count", u.info.count);
		print_flags(o, "flags", u.info.flags, flag_names, 5);
		out_bool(o, "display_irq", cap_name != NULL);
		out_close(o, '}');
	} else {
		printf("  irq %u%s%s%s: count %u flags ", index, name ? " (" : "",
		       name ? name : "", name ? ")" : "", u.info.count);
		print_flags(o, NULL, u.info.flags, flag_names, 5);
		printf("\n");
	}
}

static void print_vfio(struct out *o, int fd)
{
	static const char *const flag_names[] = {
		"reset", "pci", "platform", "amba", "ccw", "ap", "fsl-mc", "caps",
		"cdx",
	};
	struct vfio_device_info di = { .argsz = sizeof(di) };
	uint32_t i;

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di) < 0) {
		int err = errno;

		if (o->json)
			out_str(o, "vfio_error", strerror(err));
		else
			printf("VFIO: VFIO_DEVICE_GET_INFO failed: %s\n", strerror(err));
		return;
	}
	if (o->json) {
		out_open(o, "vfio", '{');
		print_flags(o, "flags", di.flags, flag_names, 9);
		out_open(o, "regions", '[');
	} else {
		printf("VFIO device: flags ");
		print_flags(o, NULL, di.flags, flag_names, 9);
		printf(", %u regions, %u IRQs\n", di.num_regions, di.num_irqs);
	}
	for (i = 0; i < di.num_regions && i < 64; i++)
		print_region(o, fd, &di, i);
	if (o->json) {
		out_close(o, ']');
		out_open(o, "irqs", '[');
	}
	for (i = 0; i < di.num_irqs && i < 64; i++)
		print_irq(o, fd, &di, i);
	if (o->json) {
		out_close(o, ']');
		out_close(o, '}');
	}
}

/* ---- planes ---- */

static char printable(uint32_t c)
{
	c &= 0xff;
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

static void print_plane(struct out *o, struct gvtdmabuf_device *dev,
			enum gvtdmabuf_plane plane)
{
	struct gvtdmabuf_plane_info pi;
	const char *name = tool_plane_name(plane);
	char fbuf[16];
	int r;

	memset(&pi, 0, sizeof(pi));
	r = gvtdmabuf_device_query_plane(dev, plane, &pi);
	if (o->json) {
		out_open(o, NULL, '{');
		out_str(o, "plane", name);
		if (r == -EINVAL && plane == GVTDMABUF_PLANE_SPRITE) {
			out_str(o, "state", "unsupported");
		} else if (r < 0) {
			out_str(o, "state", "error");
			out_str(o, "error", strerror(-r));
		} else if (!pi.enabled) {
			out_str(o, "state", "disabled");
		} else {
			out_str(o, "state", "enabled");
			out_str(o, "format", tool_fourcc_name(pi.fourcc, fbuf));
			out_u64(o, "fourcc", pi.fourcc);
			out_str(o, "modifier_name", gvtdmabuf_modifier_name(pi.modifier));
			out_u64(o, "modifier", pi.modifier);
			out_u64(o, "width", pi.width);
			out_u64(o, "height", pi.height);
			out_u64(o, "stride", pi.stride);
			out_u64(o, "size", pi.size);
			out_i64(o, "x", pi.x);
			out_i64(o, "y", pi.y);
			if (plane == GVTDMABUF_PLANE_CURSOR) {
				if (pi.hotspot_known) {
					out_u64(o, "x_hot", pi.x_hot);
					out_u64(o, "y_hot", pi.y_hot);
				} else {
					out_str(o, "x_hot", NULL);
					out_str(o, "y_hot", NULL);
				}
			}
			out_u64(o, "dmabuf_id", pi.dmabuf_id);
		}
		out_close(o, '}');
		return;
	}

	if (r == -EINVAL && plane == GVTDMABUF_PLANE_SPRITE) {
		printf("Plane %s: not supported by this kernel\n", name);
		return;
	}
	if (r < 0) {
		printf("Plane %s: query failed: %s\n", name, strerror(-r));
		return;
	}
	if (!pi.enabled) {
		printf("Plane %s: disabled\n", name);
		return;
	}
	printf("Plane %s: enabled\n", name);
	printf("  format:    %s (0x%08x '%c%c%c%c')\n", tool_fourcc_name(pi.fourcc, fbuf),
	       pi.fourcc, printable(pi.fourcc), printable(pi.fourcc >> 8),
	       printable(pi.fourcc >> 16), printable(pi.fourcc >> 24));
	printf("  modifier:  %s (0x%016" PRIx64 ")\n",
	       gvtdmabuf_modifier_name(pi.modifier), pi.modifier);
	printf("  size:      %ux%u\n", pi.width, pi.height);
	printf("  stride:    %u bytes\n", pi.stride);
	printf("  buffer:    %u bytes\n", pi.size);
	printf("  position:  %d,%d\n", pi.x, pi.y);
	if (plane == GVTDMABUF_PLANE_CURSOR) {
		if (pi.hotspot_known)
			printf("  hotspot:   %u,%u\n", pi.x_hot, pi.y_hot);
		else
			printf("  hotspot:   unknown\n");
	}
	printf("  dmabuf_id: %u\n", pi.dmabuf_id);
}

static int info_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const enum gvtdmabuf_plane planes[] = {
		GVTDMABUF_PLANE_PRIMARY, GVTDMABUF_PLANE_CURSOR, GVTDMABUF_PLANE_SPRITE,
	};
	struct gvtdmabuf_device *dev = NULL;
	struct out o = { 0 };
	uint64_t frame;
	int c, ret = TOOL_EXIT_OK, fd, efd;
	size_t i;

	while ((c = tool_getopt(&tool_info_command, argc, argv, ":h", opts, &ret)) >= 0) {
		if (c == 'j')
			o.json = true;
	}
	if (c == -1)
		return ret;
	if (optind >= argc)
		return tool_usage_error(&tool_info_command, "missing DEVICE");
	if (optind + 1 < argc)
		return tool_usage_error(&tool_info_command,
					"unexpected argument '%s'", argv[optind + 1]);

	ret = tool_open_device(argv[optind], &dev);
	if (ret)
		return ret;

	fd = gvtdmabuf_device_get_fd(dev);
	efd = gvtdmabuf_device_get_event_fd(dev);
	if (o.json) {
		out_open(&o, NULL, '{');
		out_str(&o, "device", gvtdmabuf_device_get_name(dev));
		out_str(&o, "backend", gvtdmabuf_device_get_backend(dev));
		out_bool(&o, "display_events", efd >= 0);
		if (gvtdmabuf_sim_get_frame(dev, &frame) == 0)
			out_u64(&o, "sim_frame", frame);
	} else {
		printf("Device: %s\n", gvtdmabuf_device_get_name(dev));
		printf("Backend: %s\n", gvtdmabuf_device_get_backend(dev));
		printf("Display events: %s\n", efd >= 0 ?
		       "yes (event fd)" : "no (poll with a timer)");
		if (gvtdmabuf_sim_get_frame(dev, &frame) == 0)
			printf("Simulated guest frame: %" PRIu64 "\n", frame);
	}
	if (fd >= 0)
		print_vfio(&o, fd);
	else if (!o.json && !strcmp(gvtdmabuf_device_get_backend(dev), "qemu-dbus"))
		printf("VFIO: none (a running VM, through QEMU's D-Bus display)\n");
	else if (!o.json)
		printf("VFIO: none (simulated in user space)\n");

	if (o.json)
		out_open(&o, "planes", '[');
	for (i = 0; i < sizeof(planes) / sizeof(planes[0]); i++)
		print_plane(&o, dev, planes[i]);
	if (o.json) {
		out_close(&o, ']');
		out_close(&o, '}');
		printf("\n");
	}

	gvtdmabuf_device_close(dev);
	return ret;
}

const struct tool_command tool_info_command = {
	.name = "info",
	.summary = "show a vGPU's VFIO regions, IRQs and display planes",
	.usage = info_usage,
	.takes_device = true,
	.run = info_run,
};
