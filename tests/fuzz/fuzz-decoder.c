/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for gvtsim_decode_plane(): the guest controls every
 * display register, so any register file must decode to either an error
 * or a surface that lies inside graphics memory, and must never make the
 * decoder read outside the register file (the file is allocated at exactly
 * mmio_size bytes for ASan to watch).
 *
 * Input layout (little-endian):
 *   byte  0     flags: bit 0 gen (0 = 9, 1 = 8), bit 1 truncated register file
 *   bytes 1-4   graphics memory size in 4 KiB pages
 *   bytes 5-6   max_width (0 = no limit), bytes 7-8 max_height
 *   bytes 9-11  register file size in bytes when truncated
 *   then records of 5 bytes: register index (into interesting_regs, modulo),
 *   32-bit value
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <linux/vfio.h>

#include "gvtsim_fb_decoder.h"
#include "gvt-dmabuf/gvtsim-uapi.h"

static const uint32_t interesting_regs[] = {
	GVTSIM_PIPEACONF, GVTSIM_PIPEASRC,
	GVTSIM_PLANE_CTL(1), GVTSIM_PLANE_STRIDE(1), GVTSIM_PLANE_POS(1),
	GVTSIM_PLANE_SIZE(1), GVTSIM_PLANE_SURF(1), GVTSIM_PLANE_OFFSET(1),
	GVTSIM_PLANE_CTL(2), GVTSIM_PLANE_STRIDE(2), GVTSIM_PLANE_POS(2),
	GVTSIM_PLANE_SIZE(2), GVTSIM_PLANE_SURF(2), GVTSIM_PLANE_OFFSET(2),
	GVTSIM_DSPALINOFF,
	GVTSIM_SPRALINOFF,
	GVTSIM_CURACNTR, GVTSIM_CURABASE, GVTSIM_CURAPOS,
};
#define N_REGS (sizeof(interesting_regs) / sizeof(interesting_regs[0]))

/* The full-size file lives here; only written words are cleared again. */
static uint32_t full_mmio[GVTSIM_MMIO_SIZE / 4];

static uint32_t le(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* The ioctl argument rules the kernel and the sim share: only PROBE|DMABUF
 * probes, only DMABUF queries, and only the three known plane types. */
static void check_query_args(uint32_t flags, uint32_t type)
{
	enum gvtsim_plane_id id = (enum gvtsim_plane_id)99;
	int r = gvtsim_query_args(flags, type, &id);

	if (r == 1 && flags != (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF))
		abort();
	if (r == 0 && (flags != VFIO_GFX_PLANE_TYPE_DMABUF ||
		       (type != GVTSIM_DRM_PLANE_TYPE_PRIMARY &&
			type != GVTSIM_DRM_PLANE_TYPE_CURSOR &&
			type != GVTSIM_GFX_PLANE_TYPE_SPRITE) ||
		       id > GVTSIM_PLANE_SPRITE))
		abort();
	if (r != 0 && r != 1 && r != -EINVAL)
		abort();
}

/* The QUERY_GFX_PLANE answer of an enabled plane: the description and
 * the id, never argsz, flags or the plane type. */
static void check_answer(const struct gvtsim_plane *p)
{
	struct vfio_device_gfx_plane_info info;

	memset(&info, 0x5a, sizeof(info));
	gvtsim_plane_info_fill(p, 7, &info);
	if (info.argsz != 0x5a5a5a5au || info.flags != 0x5a5a5a5au ||
	    info.drm_plane_type != 0x5a5a5a5au || info.dmabuf_id != 7 ||
	    info.drm_format != p->drm_format || info.size != p->fb_size ||
	    info.width != p->width || info.height != p->height || info.stride != p->stride ||
	    info.x_pos != (uint32_t)p->x_pos || info.y_pos != (uint32_t)p->y_pos)
		abort();
}

static void check(const struct gvtsim_decoder_input *in, enum gvtsim_plane_id id)
{
	struct gvtsim_plane p;
	const char *why = NULL;
	int ret;

	memset(&p, 0xa5, sizeof(p));
	ret = gvtsim_decode_plane(in, id, &p, &why);
	if (ret) {
		if ((ret != -EINVAL && ret != -EFAULT) || !why || p.enabled || p.size)
			abort();
		return;
	}
	if (!p.enabled) {
		struct vfio_device_gfx_plane_info info, orig;

		if (p.drm_format || p.size || p.width || p.height || p.stride || p.gm_offset)
			abort();
		/* i915: the caller's struct back unchanged */
		memset(&info, 0x5a, sizeof(info));
		orig = info;
		gvtsim_plane_info_fill(&p, 7, &info);
		if (memcmp(&info, &orig, sizeof(info)))
			abort();
		return;
	}
	/* the promise user space and the kernel's export rely on */
	if (p.gm_offset > in->gm_size || p.size > in->gm_size - p.gm_offset)
		abort();
	if (!p.drm_format || !p.width || !p.height || !p.size || (p.size & 4095) ||
	    (p.gm_offset & 4095))
		abort();
	if ((uint64_t)p.width * p.cpp > p.stride ||
	    (uint64_t)p.stride * p.height > p.size)
		abort();
	if (p.width > 8192 || p.height > 8192)
		abort();
	/* a zero limit means none, per dimension */
	if (id != GVTSIM_PLANE_CURSOR &&
	    ((in->max_width && p.width > in->max_width) ||
	     (in->max_height && p.height > in->max_height)))
		abort();
	/* i915's size (stride x whole tile rows) and the buffer's (pages) */
	if (p.fb_size > p.size || p.size - p.fb_size >= 4096 ||
	    (uint64_t)p.stride * p.height > p.fb_size)
		abort();
	/* the cursor's PV hotspot inside it (<=, as i915) or unknown for
	 * both; every other plane 0 */
	if (id == GVTSIM_PLANE_CURSOR) {
		if ((p.x_hot == GVTSIM_HOTSPOT_UNKNOWN) != (p.y_hot == GVTSIM_HOTSPOT_UNKNOWN))
			abort();
		if (p.x_hot != GVTSIM_HOTSPOT_UNKNOWN &&
		    (p.x_hot > p.width || p.y_hot > p.height))
			abort();
	} else if (p.x_hot || p.y_hot) {
		abort();
	}
	check_answer(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvtsim_decoder_input in;
	uint32_t *mmio, mmio_size, written[64];
	size_t n_written = 0, i;
	bool truncated;

	if (size < 12)
		return 0;

	truncated = data[0] & 2;
	in.gen = (data[0] & 1) ? GVTSIM_GEN8 : GVTSIM_GEN9;
	in.gm_size = (uint64_t)le(data + 1, 4) << 12;
	in.max_width = le(data + 5, 2);
	in.max_height = le(data + 7, 2);
	mmio_size = truncated ? le(data + 9, 3) : GVTSIM_MMIO_SIZE;
	if (mmio_size > GVTSIM_MMIO_SIZE)
		mmio_size = GVTSIM_MMIO_SIZE;

	if (truncated) {
		/* exact size (at least one byte so malloc hands out a
		 * distinct, ASan-tracked block) */
		mmio = calloc(1, mmio_size ? mmio_size : 1);
		if (!mmio)
			return 0;
	} else {
		mmio = full_mmio;
	}

	for (i = 12; i + 5 <= size && n_written < 64; i += 5) {
		uint32_t off = interesting_regs[data[i] % N_REGS];

		if (off + 4 > mmio_size)
			continue;
		mmio[off / 4] = le(data + i + 1, 4);
		written[n_written++] = off / 4;
	}

	in.mmio = mmio;
	in.mmio_size = mmio_size;
	check(&in, GVTSIM_PLANE_PRIMARY);
	check(&in, GVTSIM_PLANE_CURSOR);
	check(&in, GVTSIM_PLANE_SPRITE);
	check_query_args(le(data + 1, 4), le(data + 5, 4));

	if (truncated) {
		free(mmio);
	} else {
		for (i = 0; i < n_written; i++)
			full_mmio[written[i]] = 0;
	}
	return 0;
}
