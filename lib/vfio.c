/* SPDX-License-Identifier: MIT */
/*
 * Opening a mediated device through VFIO, and the backend that answers the
 * display ioctls on it.
 *
 * Two ways in, chosen by what the kernel offers:
 *  - cdev + iommufd (Linux >= 6.6 with CONFIG_IOMMUFD and
 *    CONFIG_VFIO_DEVICE_CDEV): /dev/vfio/devices/vfioN bound to /dev/iommu;
 *  - the VFIO group and container (every kernel since 3.6, the only one on
 *    Debian's kernels): /dev/vfio/vfio + /dev/vfio/<group>.
 * Documentation/driver-api/vfio.rst describes both sequences.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-compat.h"
#include "vfio-private.h"
#include "vfio-backend.h"

/* ---- helpers ----------------------------------------------------------- */

bool
gvtdmabuf_uuid_parse(const char *s, char ret_lower[GVTDMABUF_UUID_LEN + 1])
{
	static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	char lower[GVTDMABUF_UUID_LEN + 1];
	size_t i;

	if (!s || strlen(s) != GVTDMABUF_UUID_LEN)
		return false;
	for (i = 0; i < GVTDMABUF_UUID_LEN; i++) {
		char c = s[i];

		if (pattern[i] == '-') {
			if (c != '-')
				return false;
		} else if (c >= '0' && c <= '9') {
			/* fine */
		} else if (c >= 'a' && c <= 'f') {
			/* fine */
		} else if (c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		} else {
			return false;
		}
		lower[i] = c;
	}
	lower[GVTDMABUF_UUID_LEN] = '\0';
	if (ret_lower)
		memcpy(ret_lower, lower, sizeof(lower));
	return true;
}

static int __attribute__((format(printf, 3, 4)))
path_printf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

static int
xopen(const char *path)
{
	int fd;

	do {
		fd = open(path, O_RDWR | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return fd;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* "…/kernel/iommu_groups/12" -> 12; -1 if not a group link. */
static int
read_iommu_group(const char *devdir)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *base;
	char *end;
	ssize_t n;
	long v;
	int r = -1;

	if (path_printf(link, sizeof(link), "%s/iommu_group", devdir) < 0)
		goto out;
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		goto out;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (*base < '0' || *base > '9')
		goto out;
	errno = 0;
	v = strtol(base, &end, 10);
	if (errno || *end || v < 0 || v > INT_MAX)
		goto out;
	r = (int)v;
out:
	return r;
}

/* The "vfioN" name below DEVDIR/vfio-dev (Linux >= 6.6 with a VFIO cdev),
 * or -ENOENT. */
static int
find_vfio_cdev(const char *devdir, char *ret_name, size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir = NULL;
	int r = -ENOENT;

	if (path_printf(path, sizeof(path), "%s/vfio-dev", devdir) < 0)
		goto out;
	dir = opendir(path);
	if (!dir)
		goto out;
	while ((de = readdir(dir))) {
		const char *d = de->d_name;

		if (strncmp(d, "vfio", 4) != 0 || !d[4] ||
		    strspn(d + 4, "0123456789") != strlen(d + 4))
			continue;
		if (strlen(d) < size) {
			strcpy(ret_name, d);
			r = 0;
		}
		break;
	}
out:
	if (dir)
		closedir(dir);
	return r;
}

/* ---- backend ops ------------------------------------------------------- */

static int
vfio_query_plane(struct gvtdmabuf_backend *b,
		 struct vfio_device_gfx_plane_info *info)
{
	struct vfio_backend *vb = to_vfio(b);

	return xioctl(vb->device_fd, VFIO_DEVICE_QUERY_GFX_PLANE, info) < 0 ?
		-errno : 0;
}

static int
vfio_get_dmabuf(struct gvtdmabuf_backend *b, uint32_t dmabuf_id,
		bool *is_dmabuf, uint32_t *offset)
{
	struct vfio_backend *vb = to_vfio(b);
	uint32_t id = dmabuf_id;
	int fd;

	fd = xioctl(vb->device_fd, VFIO_DEVICE_GET_GFX_DMABUF, &id);
	if (fd < 0)
		return -errno;
	/* Drivers differ on O_CLOEXEC; our fds must not leak into children. */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*is_dmabuf = true;
	*offset = 0;
	return fd;
}

static int
vfio_get_fd(struct gvtdmabuf_backend *b)
{
	return to_vfio(b)->device_fd;
}


static void
vfio_backend_free(struct vfio_backend *vb)
{
	if (!vb)
		return;
	if (vb->event_fd >= 0 && vb->device_fd >= 0)
		set_irq_eventfd(vb->device_fd, vb->event_index, -1);
	if (vb->request_fd >= 0 && vb->device_fd >= 0)
		set_irq_eventfd(vb->device_fd, VFIO_PCI_REQ_IRQ_INDEX, -1);
	close_fd(&vb->event_fd);
	close_fd(&vb->request_fd);
	close_fd(&vb->device_fd);
	close_fd(&vb->group_fd);
	close_fd(&vb->container_fd);
	close_fd(&vb->iommufd);
	free(vb);
}

static void
vfio_destroy(struct gvtdmabuf_backend *b)
{
	vfio_backend_free(to_vfio(b));
}

static const struct gvtdmabuf_backend_ops vfio_group_ops = {
	.name = "vfio-group",
	.query_plane = vfio_query_plane,
	.get_dmabuf = vfio_get_dmabuf,
	.get_event_fd = vfio_get_event_fd,
	.get_fd = vfio_get_fd,
	.get_request_fd = vfio_get_request_fd,
	.destroy = vfio_destroy,
};

static const struct gvtdmabuf_backend_ops vfio_cdev_ops = {
	.name = "vfio-cdev",
	.query_plane = vfio_query_plane,
	.get_dmabuf = vfio_get_dmabuf,
	.get_event_fd = vfio_get_event_fd,
	.get_fd = vfio_get_fd,
	.get_request_fd = vfio_get_request_fd,
	.destroy = vfio_destroy,
};

/* ---- opening ----------------------------------------------------------- */

/* VFIO group + container (vfio.rst, "VFIO Usage Example"). */
static int
open_group(struct vfio_backend *vb, const struct gvtdmabuf_context *ctx,
	   const char *uuid, const char *devdir, char *dev_path,
	   size_t dev_path_size, char *errbuf, size_t errbuf_size)
{
	const char *devroot = gvtdmabuf_context_dev_root(ctx);
	struct vfio_group_status status;
	char container[PATH_MAX];
	int group, r, fd;

	group = read_iommu_group(devdir);
	if (group < 0) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"vGPU %s has no IOMMU group (no %s/iommu_group): its parent driver did not register it with VFIO (is kvmgt or gvtsim loaded?)",
			uuid, devdir);
		r = -ENODEV;
		goto out;
	}

	r = path_printf(container, sizeof(container), "%s/vfio/vfio", devroot);
	if (r < 0)
		goto err_path;
	r = path_printf(dev_path, dev_path_size, "%s/vfio/%d", devroot, group);
	if (r < 0)
		goto err_path;

	vb->container_fd = xopen(container);
	if (vb->container_fd < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_OPEN_CONTAINER, errno,
					   container, uuid, errbuf, errbuf_size);
		goto out;
	}
	r = xioctl(vb->container_fd, VFIO_GET_API_VERSION, NULL);
	if (r < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_API_VERSION, errno,
					   container, uuid, errbuf, errbuf_size);
		goto out;
	}
	if (r != VFIO_API_VERSION) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s speaks VFIO API version %d, the library knows %d",
			container, r, VFIO_API_VERSION);
		r = -ENODEV;
		goto out;
	}
	r = xioctl(vb->container_fd, VFIO_CHECK_EXTENSION,
		   (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (r <= 0) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"the VFIO container %s offers no Type1v2 IOMMU (modprobe vfio_iommu_type1)",
			container);
		r = -ENODEV;
		goto out;
	}

	vb->group_fd = xopen(dev_path);
	if (vb->group_fd < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_OPEN_GROUP, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	memset(&status, 0, sizeof(status));
	status.argsz = sizeof(status);
	if (xioctl(vb->group_fd, VFIO_GROUP_GET_STATUS, &status) < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_GROUP_STATUS, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"VFIO group %s of vGPU %s is not viable: some device in IOMMU group %d is not bound to a VFIO driver",
			dev_path, uuid, group);
		r = -EPERM;
		goto out;
	}
	if (xioctl(vb->group_fd, VFIO_GROUP_SET_CONTAINER, &vb->container_fd) < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_SET_CONTAINER, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	if (xioctl(vb->container_fd, VFIO_SET_IOMMU,
		   (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_SET_IOMMU, errno,
					   container, uuid, errbuf, errbuf_size);
		goto out;
	}
	fd = xioctl(vb->group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)uuid);
	if (fd < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_GET_DEVICE, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	vb->device_fd = fd;
	vb->base.ops = &vfio_group_ops;
	r = 0;
	goto out;

err_path:
	gvtdmabuf_set_error(errbuf, errbuf_size,
		"path of the VFIO nodes below %s is too long", devroot);
out:
	return r;
}

/* cdev + iommufd (vfio.rst, "VFIO Device cdev"): bind the device to a
 * fresh iommufd and attach it to an empty IO address space; the display
 * ioctls need no DMA mappings. */
static int
open_cdev(struct vfio_backend *vb, const struct gvtdmabuf_context *ctx,
	  const char *uuid, const char *cdev_name, char *dev_path,
	  size_t dev_path_size, char *errbuf, size_t errbuf_size)
{
	const char *devroot = gvtdmabuf_context_dev_root(ctx);
	struct vfio_device_bind_iommufd bind;
	struct vfio_device_attach_iommufd_pt attach;
	struct iommu_ioas_alloc alloc;
	char iommu[PATH_MAX];
	int r;

	r = path_printf(iommu, sizeof(iommu), "%s/iommu", devroot);
	if (r == 0)
		r = path_printf(dev_path, dev_path_size, "%s/vfio/devices/%s",
				devroot, cdev_name);
	if (r < 0) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"path of the VFIO nodes below %s is too long", devroot);
		goto out;
	}

	vb->device_fd = xopen(dev_path);
	if (vb->device_fd < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_OPEN_CDEV, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	vb->iommufd = xopen(iommu);
	if (vb->iommufd < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_OPEN_IOMMUFD, errno,
					   iommu, uuid, errbuf, errbuf_size);
		goto out;
	}

	memset(&bind, 0, sizeof(bind));
	bind.argsz = sizeof(bind);
	bind.iommufd = vb->iommufd;
	if (xioctl(vb->device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_BIND, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	memset(&alloc, 0, sizeof(alloc));
	alloc.size = sizeof(alloc);
	if (xioctl(vb->iommufd, IOMMU_IOAS_ALLOC, &alloc) < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_IOAS_ALLOC, errno,
					   iommu, uuid, errbuf, errbuf_size);
		goto out;
	}
	memset(&attach, 0, sizeof(attach));
	attach.argsz = sizeof(attach);
	attach.pt_id = alloc.out_ioas_id;
	if (xioctl(vb->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0) {
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_ATTACH, errno,
					   dev_path, uuid, errbuf, errbuf_size);
		goto out;
	}
	vb->base.ops = &vfio_cdev_ops;
	r = 0;
out:
	return r;
}

/* Does SYSFS/bus/mdev/devices/UUID exist?  Fills devdir. */
static int
check_mdev(const struct gvtdmabuf_context *ctx, const char *uuid,
	   char *devdir, size_t devdir_size, char *errbuf, size_t errbuf_size)
{
	const char *sysfs = gvtdmabuf_context_sysfs_root(ctx);
	char bus[PATH_MAX];
	int r;

	r = path_printf(bus, sizeof(bus), "%s/bus/mdev", sysfs);
	if (r == 0)
		r = path_printf(devdir, devdir_size, "%s/bus/mdev/devices/%s",
				sysfs, uuid);
	if (r < 0) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"sysfs path below %s is too long", sysfs);
		goto out;
	}
	if (access(devdir, F_OK) == 0)
		goto out;
	if (errno != ENOENT) {
		r = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"cannot look up vGPU %s in sysfs (%s): %s",
			uuid, devdir, strerror(-r));
		goto out;
	}
	if (access(bus, F_OK) != 0) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"the kernel has no mediated device support (no %s: modprobe mdev, and kvmgt or gvtsim for a vGPU)",
			bus);
		r = -ENODEV;
		goto out;
	}
	gvtdmabuf_set_error(errbuf, errbuf_size,
		"no vGPU with UUID %s (no %s; see 'gvt-dmabuf list'; create one with echo %s > %s/class/mdev_bus/PARENT/mdev_supported_types/TYPE/create)",
		uuid, devdir, uuid, sysfs);
	r = -ENOENT;
out:
	return r;
}

/* Whether DEV/vfio/<group of devdir> exists. */
static bool
group_node_exists(const struct gvtdmabuf_context *ctx, const char *devdir)
{
	char path[PATH_MAX];
	int group = read_iommu_group(devdir);

	return group >= 0 &&
	       path_printf(path, sizeof(path), "%s/vfio/%d",
			   gvtdmabuf_context_dev_root(ctx), group) == 0 &&
	       access(path, F_OK) == 0;
}

/* Ask the device whether it exports its planes as dma-bufs. */
static int
probe_display(struct vfio_backend *vb, const char *uuid, const char *dev_path,
	      char *errbuf, size_t errbuf_size)
{
	struct vfio_device_gfx_plane_info probe;
	int r = 0;

	memset(&probe, 0, sizeof(probe));
	probe.argsz = sizeof(probe);
	probe.flags = VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF;
	probe.drm_plane_type = DRM_PLANE_TYPE_PRIMARY;
	if (xioctl(vb->device_fd, VFIO_DEVICE_QUERY_GFX_PLANE, &probe) < 0)
		r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_PROBE, errno,
					   dev_path, uuid, errbuf, errbuf_size);
	return r;
}

int
gvtdmabuf_vfio_open(struct gvtdmabuf_context *ctx, const char *uuid_in,
		    struct gvtdmabuf_backend **ret_backend,
		    char *errbuf, size_t errbuf_size)
{
	char uuid[GVTDMABUF_UUID_LEN + 1];
	char devdir[PATH_MAX], dev_path[PATH_MAX], iommu[PATH_MAX];
	char cdev_name[64];
	struct vfio_backend *vb = NULL;
	bool use_cdev;
	int r;

	if (!ret_backend) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "no place to return the device");
		r = -EINVAL;
		goto out;
	}
	if (!gvtdmabuf_uuid_parse(uuid_in, uuid)) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"'%s' is not a UUID or sim spec (expected an mdev UUID like 01234567-89ab-cdef-0123-456789abcdef, or sim[:OPTIONS])",
			uuid_in ? uuid_in : "(null)");
		r = -EINVAL;
		goto out;
	}
	r = check_mdev(ctx, uuid, devdir, sizeof(devdir), errbuf, errbuf_size);
	if (r < 0)
		goto out;

	vb = calloc(1, sizeof(*vb));
	if (!vb) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "out of memory opening vGPU %s", uuid);
		r = -ENOMEM;
		goto out;
	}
	vb->container_fd = vb->group_fd = vb->iommufd = -1;
	vb->device_fd = vb->event_fd = vb->request_fd = -1;

	/* Prefer the cdev when both it and iommufd exist: it is the only way
	 * on kernels built without the group interface (VFIO_GROUP=n). */
	use_cdev = find_vfio_cdev(devdir, cdev_name, sizeof(cdev_name)) == 0 &&
		   path_printf(iommu, sizeof(iommu), "%s/iommu",
			       gvtdmabuf_context_dev_root(ctx)) == 0 &&
		   access(iommu, F_OK) == 0;
	if (use_cdev) {
		r = open_cdev(vb, ctx, uuid, cdev_name, dev_path, sizeof(dev_path),
			      errbuf, errbuf_size);
		/* On a kernel with both interfaces /dev/iommu is root-only
		 * unless a rule says otherwise, and udev may not populate
		 * /dev/vfio/devices, while the group node is what VFIO
		 * setups have given users for years: when the cdev path
		 * cannot open its nodes, take the group path if it has one
		 * (then its error is the one reported). */
		if (r < 0 && (vb->device_fd < 0 || vb->iommufd < 0) &&
		    group_node_exists(ctx, devdir)) {
			close_fd(&vb->device_fd);
			close_fd(&vb->iommufd);
			use_cdev = false;
		}
	}
	if (!use_cdev)
		r = open_group(vb, ctx, uuid, devdir, dev_path, sizeof(dev_path),
			       errbuf, errbuf_size);
	if (r < 0)
		goto out;
	/* A fallback leaves the cdev's message behind. */
	if (errbuf && errbuf_size)
		errbuf[0] = '\0';

	r = probe_display(vb, uuid, dev_path, errbuf, errbuf_size);
	if (r < 0)
		goto out;

	*ret_backend = &vb->base;
	vb = NULL;
out:
	vfio_backend_free(vb);
	return r;
}
