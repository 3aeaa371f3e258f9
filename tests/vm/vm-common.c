/* SPDX-License-Identifier: MIT */
/* Helpers shared by the in-VM test programs (see vm-common.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "vm-common.h"

int vm_n_failed;
static int vm_n_tests;

bool vm_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	vm_n_tests++;
	printf("%sok %d - ", cond ? "" : "not ", vm_n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		vm_n_failed++;
	return cond;
}

void vm_fail(const char *fmt, ...)
{
	va_list ap;

	vm_n_tests++;
	vm_n_failed++;
	printf("not ok %d - ", vm_n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void vm_note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int vm_done(const char *prog)
{
	printf("# %s: %d passed, %d failed\n", prog, vm_n_tests - vm_n_failed, vm_n_failed);
	fflush(stdout);
	return vm_n_failed ? 1 : 0;
}

/* ---- sysfs ---- */

int vm_sysfs_write(const char *path, const char *value)
{
	int fd, ret = 0;
	size_t len = strlen(value);

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int vm_param_set(const char *name, bool on)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", VM_GVTSIM_PARAMS, name);
	return vm_sysfs_write(path, on ? "1" : "0");
}

int vm_sysfs_read(const char *path, char *buf, size_t size)
{
	int fd;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

int vm_mdev_create(const char *type, const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), VM_GVTSIM_TYPES "/gvtsim-%s/create", type);
	return vm_sysfs_write(path, uuid);
}

int vm_mdev_remove(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	return vm_sysfs_write(path, "1");
}

bool vm_mdev_exists(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	return access(path, F_OK) == 0;
}

/* ---- VFIO ---- */

int vm_mdev_group(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	return atoi(basename(link));
}

int vm_vfio_open(const char *uuid, struct vm_vfio *ret, char *why, size_t why_size)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group_nr, err;
	struct vm_vfio v = { -1, -1, -1 };

	group_nr = vm_mdev_group(uuid);
	if (group_nr < 0) {
		err = group_nr;
		snprintf(why, why_size, "iommu_group of %s: %s", uuid, strerror(-err));
		goto fail;
	}
	v.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v.container < 0) {
		err = -errno;
		snprintf(why, why_size, "open /dev/vfio/vfio: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(v.container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		err = -EINVAL;
		snprintf(why, why_size, "VFIO_GET_API_VERSION is not %d", VFIO_API_VERSION);
		goto fail;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_nr);
	v.group = open(path, O_RDWR | O_CLOEXEC);
	if (v.group < 0) {
		err = -errno;
		snprintf(why, why_size, "open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (ioctl(v.group, VFIO_GROUP_GET_STATUS, &status) < 0 ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		err = -EINVAL;
		snprintf(why, why_size, "group %d is not viable", group_nr);
		goto fail;
	}
	if (ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container) < 0) {
		err = -errno;
		snprintf(why, why_size, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 &&
	    ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
		err = -errno;
		snprintf(why, why_size, "VFIO_SET_IOMMU type1: %s", strerror(errno));
		goto fail;
	}
	v.device = ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (v.device < 0) {
		err = -errno;
		snprintf(why, why_size, "VFIO_GROUP_GET_DEVICE_FD %s: %s", uuid, strerror(errno));
		goto fail;
	}
	*ret = v;
	return 0;
fail:
	vm_vfio_close(&v);
	return err;
}

void vm_vfio_close(struct vm_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->group = v->container = -1;
}

struct vfio_region_info *vm_region_info(int device, uint32_t index)
{
	struct vfio_region_info *info;
	uint32_t argsz = sizeof(*info);

	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return NULL;
		info->argsz = argsz;
		info->index = index;
		if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, info) < 0) {
			int e = errno;

			free(info);
			errno = e;
			return NULL;
		}
		if (info->argsz <= argsz)
			return info;
		argsz = info->argsz;
		free(info);
	}
}

const struct vfio_info_cap_header *vm_region_cap(const struct vfio_region_info *info,
						 uint16_t id)
{
	uint32_t off;
	unsigned int guard = 0;

	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	for (off = info->cap_offset; off && guard < 16; guard++) {
		const struct vfio_info_cap_header *h;

		if (off < sizeof(*info) || off + sizeof(*h) > info->argsz)
			return NULL;
		h = (const void *)((const uint8_t *)info + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

/* ---- guest over VFIO ---- */

int vm_display_init(struct vm_display *d, int device)
{
	struct vfio_region_info *bar0, *bar2;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->device = device;
	bar0 = vm_region_info(device, VFIO_PCI_BAR0_REGION_INDEX);
	bar2 = vm_region_info(device, VFIO_PCI_BAR2_REGION_INDEX);
	if (!bar0 || !bar2) {
		ret = -errno;
		goto out;
	}
	d->bar0_offset = bar0->offset;
	d->bar2_offset = bar2->offset;
	d->bar2_size = bar2->size;
	d->bar2 = mmap(NULL, bar2->size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		       bar2->offset);
	if (d->bar2 == MAP_FAILED) {
		ret = -errno;
		d->bar2 = NULL;
	}
out:
	free(bar0);
	free(bar2);
	return ret;
}

void vm_display_finish(struct vm_display *d)
{
	if (d->guest_ready)
		gvtsim_guest_finish(&d->guest);
	d->guest_ready = false;
	if (d->bar2)
		munmap(d->bar2, d->bar2_size);
	d->bar2 = NULL;
}

uint32_t vm_reg_read(struct vm_display *d, uint32_t offset)
{
	uint32_t v = 0;

	if (pread(d->device, &v, 4, d->bar0_offset + offset) != 4)
		d->io_errors++;
	return v;
}

void vm_reg_write(struct vm_display *d, uint32_t offset, uint32_t value)
{
	if (pwrite(d->device, &value, 4, d->bar0_offset + offset) != 4)
		d->io_errors++;
}

static void guest_write(void *user, uint32_t offset, uint32_t value)
{
	vm_reg_write(user, offset, value);
}

static uint32_t guest_read(void *user, uint32_t offset)
{
	return vm_reg_read(user, offset);
}

int vm_guest_start(struct vm_display *d, const struct gvtsim_guest_config *cfg)
{
	int ret;

	if (d->guest_ready)
		gvtsim_guest_finish(&d->guest);
	d->guest_ready = false;
	if (!d->bar2)
		return -ENXIO;
	ret = gvtsim_guest_init(&d->guest, cfg, guest_write, guest_read, d, d->bar2,
				d->bar2_size);
	if (ret)
		return ret;
	d->guest_ready = true;
	gvtsim_guest_program_mode(&d->guest);
	return 0;
}

uint64_t vm_frame_time(uint64_t frame)
{
	return 1000000 + frame * 16667;
}

void vm_guest_show(struct vm_display *d, uint64_t frame)
{
	gvtsim_guest_show_frame(&d->guest, frame, vm_frame_time(frame));
}

/* ---- planes and pixels ---- */

int vm_query(int device, uint32_t flags, uint32_t plane_type,
	     struct vfio_device_gfx_plane_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->argsz = sizeof(*ret);
	ret->flags = flags;
	ret->drm_plane_type = plane_type;
	if (ioctl(device, VFIO_DEVICE_QUERY_GFX_PLANE, ret) < 0)
		return -errno;
	return 0;
}

int vm_get_dmabuf(int device, uint32_t dmabuf_id)
{
	int fd = ioctl(device, VFIO_DEVICE_GET_GFX_DMABUF, &dmabuf_id);

	return fd < 0 ? -errno : fd;
}

static uint32_t format_cpp(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_RGB565:
	case DRM_FORMAT_YUYV:
		return 2;
	default:
		return 4;
	}
}

int vm_check_primary_map(const void *map, size_t size,
			 const struct vfio_device_gfx_plane_info *p,
			 const struct gvtsim_guest_config *cfg, uint64_t frame,
			 char *why, size_t why_size)
{
	uint32_t cpp = format_cpp(p->drm_format);
	uint32_t x, y, bad = 0, first_x = 0, first_y = 0, got0 = 0, want0 = 0;
	uint8_t *lin;
	int ret;

	lin = malloc((size_t)p->width * cpp * p->height);
	if (!lin) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	ret = gvtdmabuf_detile(p->drm_format_mod, cpp, map, p->stride, size, p->width,
			       p->height, lin, p->width * cpp);
	if (ret) {
		snprintf(why, why_size, "gvtdmabuf_detile(modifier 0x%llx, stride %u, size %zu, %ux%u): %s",
			 (unsigned long long)p->drm_format_mod, p->stride, size, p->width,
			 p->height, strerror(-ret));
		free(lin);
		return -1;
	}
	for (y = 0; y < p->height; y++) {
		for (x = 0; x < p->width; x++) {
			const uint8_t *px = lin + ((size_t)y * p->width + x) * cpp;
			uint32_t got, want;

			if (cpp == 4)
				got = px[0] | px[1] << 8 | px[2] << 16 | (uint32_t)px[3] << 24;
			else
				got = px[0] | px[1] << 8;
			want = gvtsim_guest_expected_native(cfg, frame, vm_frame_time(frame), x, y);
			if (got != want) {
				if (!bad++) {
					first_x = x;
					first_y = y;
					got0 = got;
					want0 = want;
				}
			}
		}
	}
	free(lin);
	if (bad) {
		snprintf(why, why_size, "%u of %u pixels differ, first at (%u,%u): 0x%08x, expected 0x%08x",
			 bad, p->width * p->height, first_x, first_y, got0, want0);
		return -1;
	}
	return 0;
}

int vm_check_primary_pixels(int dmabuf_fd, const struct vfio_device_gfx_plane_info *p,
			    const struct gvtsim_guest_config *cfg, uint64_t frame,
			    char *why, size_t why_size)
{
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	void *map;
	int ret;

	map = mmap(NULL, p->size, PROT_READ, MAP_SHARED, dmabuf_fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, why_size, "mmap of the dma-buf (%u bytes): %s", p->size,
			 strerror(errno));
		return -1;
	}
	if (ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0) {
		snprintf(why, why_size, "DMA_BUF_IOCTL_SYNC start: %s", strerror(errno));
		munmap(map, p->size);
		return -1;
	}
	ret = vm_check_primary_map(map, p->size, p, cfg, frame, why, why_size);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	if (ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && ret == 0) {
		snprintf(why, why_size, "DMA_BUF_IOCTL_SYNC end: %s", strerror(errno));
		ret = -1;
	}
	munmap(map, p->size);
	return ret;
}
