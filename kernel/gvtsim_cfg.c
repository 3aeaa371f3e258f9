// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim: the vGPU's emulated PCI config space (256 bytes).
 *
 * An Intel VGA device with two 64-bit memory BARs (BAR0 registers, BAR2
 * graphics memory) that read back their size like real BARs, no INTx, and
 * ASLS (0xfc) for the OpRegion address, as on real IGDs.  Only command,
 * the BARs, interrupt line and ASLS are writable.
 */
#include <linux/pci_ids.h>
#include <linux/pci_regs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gvtsim.h"

#define CFG_BAR0	PCI_BASE_ADDRESS_0
#define CFG_BAR2	PCI_BASE_ADDRESS_2
#define CFG_ASLS	0xfc	/* OpRegion address, as on real IGDs */
#define BAR0_FLAGS	(PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64)
#define BAR2_FLAGS	(BAR0_FLAGS | PCI_BASE_ADDRESS_MEM_PREFETCH)

static void cfg_put16(u8 *cfg, unsigned int off, u16 v)
{
	cfg[off] = v & 0xff;
	cfg[off + 1] = v >> 8;
}

static void cfg_put32(u8 *cfg, unsigned int off, u32 v)
{
	cfg_put16(cfg, off, v & 0xffff);
	cfg_put16(cfg, off + 2, v >> 16);
}

static u64 cfg_get64(const u8 *cfg, unsigned int off)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | cfg[off + i];
	return v;
}

void gvtsim_cfg_init(struct gvtsim_vgpu *vgpu)
{
	u8 *cfg = vgpu->cfg;

	memset(cfg, 0, GVTSIM_CFG_SIZE);
	cfg_put16(cfg, PCI_VENDOR_ID, GVTSIM_PCI_VENDOR_ID);
	cfg_put16(cfg, PCI_DEVICE_ID, vgpu->type->device_id);
	cfg[PCI_REVISION_ID] = 0x07;
	cfg_put16(cfg, PCI_CLASS_DEVICE, PCI_CLASS_DISPLAY_VGA);
	cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg_put32(cfg, CFG_BAR0, BAR0_FLAGS);
	cfg_put32(cfg, CFG_BAR2, BAR2_FLAGS);
	cfg_put16(cfg, PCI_SUBSYSTEM_VENDOR_ID, GVTSIM_PCI_VENDOR_ID);
	cfg_put16(cfg, PCI_SUBSYSTEM_ID, vgpu->type->device_id);
	/* No INTx: the vGPU has no legacy interrupt (count 0). */
	cfg[PCI_INTERRUPT_PIN] = 0;
}

/* Which bits of config byte @off the guest may change. */
static u8 cfg_wmask(unsigned int off)
{
	switch (off) {
	case PCI_COMMAND:
		return PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	case PCI_COMMAND + 1:
		return PCI_COMMAND_INTX_DISABLE >> 8;
	case CFG_BAR0 ... CFG_BAR0 + 7:
	case CFG_BAR2 ... CFG_BAR2 + 7:
	case PCI_INTERRUPT_LINE:
	case CFG_ASLS ... CFG_ASLS + 3:
		return 0xff;
	default:
		return 0;
	}
}

/* A BAR reads back its size as the low address bits forced to zero. */
static void cfg_fix_bar(u8 *cfg, unsigned int off, u64 size, u32 flags)
{
	u64 v = cfg_get64(cfg, off);

	v = (v & ~(size - 1) & ~0xfull) | flags;
	cfg_put32(cfg, off, (u32)v);
	cfg_put32(cfg, off + 4, (u32)(v >> 32));
}

ssize_t gvtsim_cfg_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		      size_t count, u64 pos, bool is_write)
{
	u8 bounce[GVTSIM_CFG_SIZE];
	size_t i;

	if (!gvtsim_access_ok(pos, count, GVTSIM_CFG_SIZE))
		return -EINVAL;

	if (is_write) {
		if (copy_from_user(bounce, buf, count))
			return -EFAULT;
		mutex_lock(&vgpu->lock);
		for (i = 0; i < count; i++) {
			unsigned int off = pos + i;
			u8 m = cfg_wmask(off);

			vgpu->cfg[off] = (vgpu->cfg[off] & ~m) | (bounce[i] & m);
		}
		cfg_fix_bar(vgpu->cfg, CFG_BAR0, GVTSIM_MMIO_SIZE, BAR0_FLAGS);
		cfg_fix_bar(vgpu->cfg, CFG_BAR2, vgpu->type->gm_size, BAR2_FLAGS);
		mutex_unlock(&vgpu->lock);
	} else {
		mutex_lock(&vgpu->lock);
		memcpy(bounce, vgpu->cfg + pos, count);
		mutex_unlock(&vgpu->lock);
		if (copy_to_user(buf, bounce, count))
			return -EFAULT;
	}
	return count;
}
