// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim EDID: the virtual monitor.
 *
 * The host drives it through the GFX EDID region (VFIO_REGION_TYPE_GFX /
 * VFIO_REGION_SUBTYPE_GFX_EDID): link down, write the blob, write its size,
 * link up.  At link up the blob is validated (size, header, checksums) and
 * becomes what the guest reads in GVTSIM_REG_EDID_WINDOW; its preferred
 * detailed timing, clamped to the vGPU type's maximum, becomes
 * GVTSIM_REG_MAX_MODE, and GVTSIM_HOTPLUG_EVENT is raised.  A new vGPU
 * starts with a monitor whose preferred mode is the type's maximum.
 */
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gvtsim.h"

static const u8 edid_header[8] = {
	0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00
};

/* An 18-byte detailed timing descriptor for w x h at 60 Hz with
 * reduced blanking (CVT-RB-like: 160 pixels, about 460 us of lines). */
static void edid_put_dtd(u8 *d, u32 w, u32 h)
{
	u32 hblank = 160, hso = 48, hsw = 32;
	u32 vblank = max_t(u32, 8, h / 35), vso = 3, vsw = 5;
	u64 clock = (u64)(w + hblank) * (h + vblank) * 60 / 10000;
	u32 wmm = w * 254 / 960, hmm = h * 254 / 960;	/* 96 dpi */

	clock = min_t(u64, clock, 0xffff);
	d[0] = clock & 0xff;
	d[1] = clock >> 8;
	d[2] = w & 0xff;
	d[3] = hblank & 0xff;
	d[4] = ((w >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf);
	d[5] = h & 0xff;
	d[6] = vblank & 0xff;
	d[7] = ((h >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf);
	d[8] = hso & 0xff;
	d[9] = hsw & 0xff;
	d[10] = (vso & 0xf) << 4 | (vsw & 0xf);
	d[11] = ((hso >> 8) & 3) << 6 | ((hsw >> 8) & 3) << 4 |
		((vso >> 4) & 3) << 2 | ((vsw >> 4) & 3);
	d[12] = wmm & 0xff;
	d[13] = hmm & 0xff;
	d[14] = ((wmm >> 8) & 0xf) << 4 | ((hmm >> 8) & 0xf);
	d[17] = 0x1e;	/* digital separate sync, +hsync +vsync */
}

static void edid_put_text(u8 *d, u8 tag, const char *text)
{
	size_t i, n = strlen(text);

	d[3] = tag;
	for (i = 0; i < 13; i++)
		d[5 + i] = i < n ? text[i] : (i == n ? '\n' : ' ');
}

/* A valid EDID 1.4 base block whose preferred mode is w x h. */
static void edid_generate(u8 *e, u32 w, u32 h)
{
	u8 sum = 0;
	int i;

	memset(e, 0, GVTSIM_EDID_BLOCK);
	memcpy(e, edid_header, sizeof(edid_header));
	e[8] = 0x1e;		/* manufacturer "GVS" */
	e[9] = 0xd3;
	e[10] = 0x01;		/* product code */
	e[16] = 1;		/* week */
	e[17] = 34;		/* 2024 */
	e[18] = 1;		/* EDID 1.4 */
	e[19] = 4;
	e[20] = 0xa5;		/* digital, 8 bpc, DisplayPort */
	e[21] = (w * 254 / 960 + 5) / 10;	/* cm */
	e[22] = (h * 254 / 960 + 5) / 10;
	e[23] = 120;		/* gamma 2.2 */
	e[24] = 0x06;		/* sRGB default, preferred timing is native */
	/* sRGB chromaticity */
	e[25] = 0xee; e[26] = 0x91; e[27] = 0xa3; e[28] = 0x54;
	e[29] = 0x4c; e[30] = 0x99; e[31] = 0x26; e[32] = 0x0f;
	e[33] = 0x50; e[34] = 0x54;
	for (i = 38; i < 54; i++)	/* no standard timings */
		e[i] = 0x01;
	edid_put_dtd(&e[54], w, h);
	edid_put_text(&e[72], 0xfc, "gvtsim");
	edid_put_text(&e[90], 0xff, "0");
	e[108 + 3] = 0x10;	/* dummy descriptor */
	for (i = 0; i < GVTSIM_EDID_BLOCK - 1; i++)
		sum += e[i];
	e[127] = (u8)(0x100 - sum);
}

/*
 * Check a host-supplied blob: a whole number of 128-byte blocks matching
 * the extension count, the fixed header, every block's checksum.  On
 * success *w, *h get the preferred detailed timing, 0 x 0 if there is none.
 */
static int edid_validate(struct gvtsim_vgpu *vgpu, const u8 *e, u32 size,
			 u32 *w, u32 *h)
{
	u32 blk, i;

	if (size < GVTSIM_EDID_BLOCK || size > GVTSIM_EDID_MAX_SIZE ||
	    size % GVTSIM_EDID_BLOCK) {
		dev_dbg_ratelimited(gvtsim_dev(vgpu),
				    "EDID rejected: size %u is not 128..%u in steps of 128\n",
				    size, GVTSIM_EDID_MAX_SIZE);
		return -EINVAL;
	}
	if (memcmp(e, edid_header, sizeof(edid_header))) {
		dev_dbg_ratelimited(gvtsim_dev(vgpu), "EDID rejected: bad header\n");
		return -EINVAL;
	}
	if ((e[126] + 1u) * GVTSIM_EDID_BLOCK != size) {
		dev_dbg_ratelimited(gvtsim_dev(vgpu),
				    "EDID rejected: %u extension blocks but size %u\n",
				    e[126], size);
		return -EINVAL;
	}
	for (blk = 0; blk < size / GVTSIM_EDID_BLOCK; blk++) {
		u8 sum = 0;

		for (i = 0; i < GVTSIM_EDID_BLOCK; i++)
			sum += e[blk * GVTSIM_EDID_BLOCK + i];
		if (sum) {
			dev_dbg_ratelimited(gvtsim_dev(vgpu),
					    "EDID rejected: bad checksum in block %u\n",
					    blk);
			return -EINVAL;
		}
	}
	if (e[54] || e[55]) {	/* pixel clock != 0: a detailed timing */
		*w = e[56] | (e[58] & 0xf0) << 4;
		*h = e[59] | (e[61] & 0xf0) << 4;
	} else {
		*w = 0;
		*h = 0;
	}
	return 0;
}

/* The guest-visible registers from the current EDID state. */
void gvtsim_edid_apply_regs(struct gvtsim_vgpu *vgpu)
{
	struct gvtsim_edid *ed = &vgpu->edid;
	u32 *window = &vgpu->mmio[GVTSIM_REG_EDID_WINDOW / 4];
	bool up = ed->regs.link_state == VFIO_DEVICE_GFX_LINK_STATE_UP;
	u32 size = up ? ed->active_size : 0;
	u32 i;

	lockdep_assert_held(&vgpu->lock);

	memset(window, 0, GVTSIM_EDID_WINDOW_SIZE);
	/* Little-endian bytes in the dwords, as DDC reads would return. */
	for (i = 0; i < size; i += 4)
		window[i / 4] = le32_to_cpup((const __le32 *)&ed->active[i]);
	vgpu->mmio[GVTSIM_REG_EDID_SIZE / 4] = size;
	vgpu->mmio[GVTSIM_REG_MAX_MODE / 4] =
		vgpu->mode_max_width << 16 | vgpu->mode_max_height;
	vgpu->mmio[GVTSIM_REG_HOTPLUG / 4] =
		(vgpu->mmio[GVTSIM_REG_HOTPLUG / 4] & GVTSIM_HOTPLUG_EVENT) |
		(up ? GVTSIM_HOTPLUG_CONNECTED : 0);
}

void gvtsim_edid_init(struct gvtsim_vgpu *vgpu)
{
	struct gvtsim_edid *ed = &vgpu->edid;

	lockdep_assert_held(&vgpu->lock);

	memset(ed, 0, sizeof(*ed));
	ed->regs.edid_offset = GVTSIM_EDID_BLOB_OFFSET;
	ed->regs.edid_max_size = GVTSIM_EDID_MAX_SIZE;
	ed->regs.max_xres = vgpu->type->max_width;
	ed->regs.max_yres = vgpu->type->max_height;
	ed->regs.edid_size = GVTSIM_EDID_BLOCK;
	ed->regs.link_state = VFIO_DEVICE_GFX_LINK_STATE_UP;
	edid_generate(ed->blob, vgpu->type->max_width, vgpu->type->max_height);
	memcpy(ed->active, ed->blob, GVTSIM_EDID_BLOCK);
	ed->active_size = GVTSIM_EDID_BLOCK;
	vgpu->mode_max_width = vgpu->type->max_width;
	vgpu->mode_max_height = vgpu->type->max_height;
	gvtsim_edid_apply_regs(vgpu);
}

static int edid_link(struct gvtsim_vgpu *vgpu, u32 state)
{
	struct gvtsim_edid *ed = &vgpu->edid;
	u32 w, h;
	int ret;

	lockdep_assert_held(&vgpu->lock);

	switch (state) {
	case VFIO_DEVICE_GFX_LINK_STATE_UP:
		ret = edid_validate(vgpu, ed->blob, ed->regs.edid_size, &w, &h);
		if (ret)
			return ret;
		/* No detailed timing: allow up to the type's maximum. */
		vgpu->mode_max_width = w ? min(w, vgpu->type->max_width) :
					   vgpu->type->max_width;
		vgpu->mode_max_height = h ? min(h, vgpu->type->max_height) :
					    vgpu->type->max_height;
		memcpy(ed->active, ed->blob, ed->regs.edid_size);
		ed->active_size = ed->regs.edid_size;
		break;
	case VFIO_DEVICE_GFX_LINK_STATE_DOWN:
		break;
	default:
		return -EINVAL;
	}
	ed->regs.link_state = state;
	vgpu->mmio[GVTSIM_REG_HOTPLUG / 4] |= GVTSIM_HOTPLUG_EVENT;
	gvtsim_edid_apply_regs(vgpu);
	gvtsim_refresh_event(vgpu);
	return 0;
}

/* A 4-byte write to one field of struct vfio_region_gfx_edid. */
static int edid_reg_write(struct gvtsim_vgpu *vgpu, u32 off, u32 val)
{
	struct vfio_region_gfx_edid *r = &vgpu->edid.regs;

	lockdep_assert_held(&vgpu->lock);

	switch (off) {
	case offsetof(struct vfio_region_gfx_edid, edid_size):
		if (val > r->edid_max_size) {
			dev_dbg_ratelimited(gvtsim_dev(vgpu),
					    "EDID size %u above the maximum %u\n",
					    val, r->edid_max_size);
			return -EINVAL;
		}
		r->edid_size = val;
		return 0;
	case offsetof(struct vfio_region_gfx_edid, link_state):
		return edid_link(vgpu, val);
	default:
		return -EPERM;	/* read-only fields */
	}
}

ssize_t gvtsim_edid_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		       size_t count, u64 pos, bool is_write)
{
	u8 bounce[GVTSIM_EDID_MAX_SIZE];
	int ret = 0;

	BUILD_BUG_ON(GVTSIM_EDID_BLOB_OFFSET > sizeof(bounce) ||
		     sizeof(struct vfio_region_gfx_edid) > GVTSIM_EDID_BLOB_OFFSET);

	if (!gvtsim_access_ok(pos, count, GVTSIM_EDID_REGION_SIZE))
		return -EINVAL;

	if (pos < GVTSIM_EDID_BLOB_OFFSET) {
		/* The header: reads of any part (zero padding up to the
		 * blob), writes of one 4-byte field at a time. */
		if (count > GVTSIM_EDID_BLOB_OFFSET - pos)
			return -EINVAL;
		if (is_write) {
			u32 val;

			if (count != 4 || (pos & 3))
				return -EINVAL;
			if (copy_from_user(&val, buf, 4))
				return -EFAULT;
			mutex_lock(&vgpu->lock);
			ret = edid_reg_write(vgpu, (u32)pos, val);
			mutex_unlock(&vgpu->lock);
			return ret ? ret : count;
		}
		memset(bounce, 0, GVTSIM_EDID_BLOB_OFFSET);
		mutex_lock(&vgpu->lock);
		memcpy(bounce, &vgpu->edid.regs, sizeof(vgpu->edid.regs));
		mutex_unlock(&vgpu->lock);
		if (copy_to_user(buf, bounce + pos, count))
			return -EFAULT;
		return count;
	}

	/* The blob: any bytes inside it; takes effect at the next link up. */
	pos -= GVTSIM_EDID_BLOB_OFFSET;
	if (count > GVTSIM_EDID_MAX_SIZE - pos)
		return -EINVAL;
	if (is_write) {
		if (copy_from_user(bounce, buf, count))
			return -EFAULT;
		mutex_lock(&vgpu->lock);
		memcpy(vgpu->edid.blob + pos, bounce, count);
		mutex_unlock(&vgpu->lock);
	} else {
		mutex_lock(&vgpu->lock);
		memcpy(bounce, vgpu->edid.blob + pos, count);
		mutex_unlock(&vgpu->lock);
		if (copy_to_user(buf, bounce, count))
			return -EFAULT;
	}
	return count;
}
