/* SPDX-License-Identifier: MIT */
/*
 * The parts of the VFIO cdev + iommufd uAPI that lib/vfio.c uses, for
 * building against older kernel headers (Debian 12's linux-libc-dev is 6.1
 * and has neither <linux/iommufd.h> nor the VFIO cdev ioctls).  Layouts
 * and numbers are the upstream uAPI's; each block only applies when the
 * system headers lack it.
 *
 * The cdev path cannot run on Debian's kernels (no CONFIG_IOMMUFD, see
 * DESIGN.md): it is written to the uAPI documentation and exercised only
 * where a kernel offers /dev/iommu and /dev/vfio/devices/.
 */
#ifndef GVTDMABUF_VFIO_COMPAT_H
#define GVTDMABUF_VFIO_COMPAT_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

#if defined(__has_include)
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#endif

/* iommufd: Linux 6.2 (include/uapi/linux/iommufd.h). */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')
#endif

#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMUFD_CMD_IOAS_ALLOC 0x81
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)
#endif

/* VFIO device cdev (/dev/vfio/devices/vfioN): Linux 6.6. */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

/*
 * VFIO_DEVICE_QUERY_GFX_PLANE takes a drm_plane_type, an enum of the
 * kernel's internal include/drm/drm_plane.h that no uAPI header carries
 * (QEMU's hw/vfio/display.c defines the values the same way).
 */
#ifndef DRM_PLANE_TYPE_PRIMARY
#define DRM_PLANE_TYPE_OVERLAY 0
#define DRM_PLANE_TYPE_PRIMARY 1
#define DRM_PLANE_TYPE_CURSOR 2
#endif

#endif /* GVTDMABUF_VFIO_COMPAT_H */
