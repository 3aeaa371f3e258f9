// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim OpRegion: the Intel IGD OpRegion a guest graphics driver looks
 * for (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086, subtype
 * VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION).  Only the header is filled in:
 * the "IntelGraphicsMem" signature, the size in KiB and version 2.0, with
 * no mailbox and no VBT.  It is identical for every vGPU and read-only, so
 * one copy serves all.
 */
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gvtsim.h"

#define OPREGION_SIGNATURE	"IntelGraphicsMem"
#define OPREGION_SIZE_OFF	0x10	/* u32, size in KiB */
#define OPREGION_VERSION_OFF	0x14	/* u32: reserved, revision, minor, major */

static u8 gvtsim_opregion[GVTSIM_OPREGION_SIZE];

void gvtsim_opregion_init(void)
{
	__le32 size = cpu_to_le32(GVTSIM_OPREGION_SIZE / 1024);
	__le32 version = cpu_to_le32(2u << 24);	/* major 2, minor 0 */

	memset(gvtsim_opregion, 0, sizeof(gvtsim_opregion));
	memcpy(gvtsim_opregion, OPREGION_SIGNATURE,
	       sizeof(OPREGION_SIGNATURE) - 1);
	memcpy(gvtsim_opregion + OPREGION_SIZE_OFF, &size, sizeof(size));
	memcpy(gvtsim_opregion + OPREGION_VERSION_OFF, &version,
	       sizeof(version));
}

ssize_t gvtsim_opregion_read(char __user *buf, size_t count, u64 pos)
{
	if (!gvtsim_access_ok(pos, count, GVTSIM_OPREGION_SIZE))
		return -EINVAL;
	if (copy_to_user(buf, gvtsim_opregion + pos, count))
		return -EFAULT;
	return count;
}
