/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-VM test programs: TAP-like output, mdev sysfs,
 * the raw VFIO group/container open, region access, and the glue that lets
 * the guest model drive a vGPU through VFIO region reads and writes.
 */
#ifndef GVT_VM_COMMON_H
#define GVT_VM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>
#include <xf86drmMode.h>	/* DRM_PLANE_TYPE_* */

#include "guest-model.h"

/* ---- TAP ---------------------------------------------------------------- */

extern int vm_n_failed;

/* Print "ok N - name" or "not ok N - name: why"; returns cond. */
bool vm_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "not ok N - msg" (a failure with its reason). */
void vm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "# msg". */
void vm_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Summary line and exit status (0 when nothing failed). */
int vm_done(const char *prog);

/* ---- sysfs ---------------------------------------------------------------- */

#define VM_GVTSIM_TYPES "/sys/devices/virtual/gvtsim/gvtsim/mdev_supported_types"

/* Write a string to a sysfs file; 0 or -errno. */
int vm_sysfs_write(const char *path, const char *value);
/* Read a sysfs file (trailing newline stripped) into buf; 0 or -errno. */
int vm_sysfs_read(const char *path, char *buf, size_t size);
/* Create an mdev of gvtsim type @type ("GVTg_V5_4"); 0 or -errno. */
int vm_mdev_create(const char *type, const char *uuid);
/* Remove an mdev; 0 or -errno. */
int vm_mdev_remove(const char *uuid);
bool vm_mdev_exists(const char *uuid);

#define VM_GVTSIM_PARAMS "/sys/module/gvtsim/parameters"
/* Set gvtsim's module parameter @name ("dmabuf_mmap", "monotonic_ids",
 * "disabled_plane_enodev") to @on at run time; 0 or -errno. */
int vm_param_set(const char *name, bool on);

/* ---- VFIO --------------------------------------------------------------------- */

struct vm_vfio {
	int container;
	int group;
	int device;
};

/* Open an mdev through its group and a type1 container.  On failure
 * returns -errno and writes what failed into why. */
int vm_vfio_open(const char *uuid, struct vm_vfio *ret, char *why, size_t why_size);
void vm_vfio_close(struct vm_vfio *v);
/* The IOMMU group number of an mdev, or -errno. */
int vm_mdev_group(const char *uuid);

/* VFIO_DEVICE_GET_REGION_INFO with the capability chain: a malloc()ed
 * struct, or NULL with errno set. */
struct vfio_region_info *vm_region_info(int device, uint32_t index);
/* Find a capability of id @id in a region info; NULL if none. */
const struct vfio_info_cap_header *vm_region_cap(const struct vfio_region_info *info,
						 uint16_t id);

/* ---- the guest model over VFIO ------------------------------------------------------ */

/* A display driven through a VFIO device fd: BAR0 by pread/pwrite, BAR2
 * mapped. */
struct vm_display {
	int device;
	uint64_t bar0_offset;
	uint64_t bar2_offset;
	uint64_t bar2_size;
	uint8_t *bar2;
	int io_errors;		/* register accesses that failed */
	struct gvtsim_guest guest;
	bool guest_ready;
};

int vm_display_init(struct vm_display *d, int device);
void vm_display_finish(struct vm_display *d);
uint32_t vm_reg_read(struct vm_display *d, uint32_t offset);
void vm_reg_write(struct vm_display *d, uint32_t offset, uint32_t value);
/* (Re)start the guest with @cfg: init the model and program the mode.
 * 0 or -errno (bad config, BAR2 too small). */
int vm_guest_start(struct vm_display *d, const struct gvtsim_guest_config *cfg);
/* Paint and show frame @frame; flip time is a pure function of it. */
void vm_guest_show(struct vm_display *d, uint64_t frame);
uint64_t vm_frame_time(uint64_t frame);

/* ---- planes and pixels ----------------------------------------------------------------- */

/* VFIO_DEVICE_QUERY_GFX_PLANE with PROBE|DMABUF semantics flags; 0 or -errno. */
int vm_query(int device, uint32_t flags, uint32_t plane_type,
	     struct vfio_device_gfx_plane_info *ret);
/* VFIO_DEVICE_GET_GFX_DMABUF: an fd or -errno. */
int vm_get_dmabuf(int device, uint32_t dmabuf_id);

/* Compare a primary dma-buf (mmap + DMA_BUF_IOCTL_SYNC + gvtdmabuf_detile)
 * with the guest model's frame @frame.  0 when every pixel matches, else
 * -1 with a description in why. */
int vm_check_primary_pixels(int dmabuf_fd, const struct vfio_device_gfx_plane_info *p,
			    const struct gvtsim_guest_config *cfg, uint64_t frame,
			    char *why, size_t why_size);
/* Same for pixels already mapped at @map (size bytes). */
int vm_check_primary_map(const void *map, size_t size,
			 const struct vfio_device_gfx_plane_info *p,
			 const struct gvtsim_guest_config *cfg, uint64_t frame,
			 char *why, size_t why_size);

/* ---- vm-uapi-i915.c ----------------------------------------------------------------------- */

/* The raw uAPI with gvtsim's defaults, which are i915's: disabled planes,
 * no pipe, mmap refused, lowest free ids; and each parameter that turns a
 * default off.  Creates, uses and removes a vGPU of its own. */
void vm_test_i915_defaults(void);

#endif /* GVT_VM_COMMON_H */
