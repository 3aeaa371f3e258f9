/* SPDX-License-Identifier: MIT */
/*
 * Listing mediated devices: SYSFS/bus/mdev/devices holds one symlink per
 * mdev, named by its UUID, to the device's directory below its parent
 * (/sys/devices/pci0000:00/0000:00:02.0/UUID for i915,
 * /sys/devices/virtual/gvtsim/gvtsim/UUID for gvtsim).  In that directory
 * mdev_type links to the type (…/mdev_supported_types/i915-GVTg_V5_4, with
 * a "name" attribute) and iommu_group to …/kernel/iommu_groups/N.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "vfio-private.h"

/* Copy @p src into @p out, truncating to fit (the fields are fixed-size). */
static void
copy_str(char *out, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(out, src, len);
	out[len] = '\0';
}

/* Copy the last path component of @p path into @p out (truncating). */
static void
copy_basename(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');

	copy_str(out, size, base ? base + 1 : path);
}

/* Last component of the target of symlink @p dir/@p name, or -errno. */
static int
link_basename(const char *dir, const char *name, char *out, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int r = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	target[n] = '\0';
	copy_basename(target, out, size);
out:
	return r;
}

/* First line of a small sysfs attribute, without the newline. */
static int
read_attr(const char *dir, const char *name, char *out, size_t size)
{
	char path[PATH_MAX], buf[256];
	ssize_t n;
	int fd = -1, r = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	copy_str(out, size, buf);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int
parse_group(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	return (int)v;
}

/* Fill @p info for the mdev whose bus link is @p link. */
static int
describe_mdev(struct gvtdmabuf_context *ctx, const char *link, const char *uuid,
	      bool probe, struct gvtdmabuf_mdev_info *info)
{
	char real[PATH_MAX], group[32], *slash;
	struct gvtdmabuf_device *dev = NULL;
	int r = 0;

	memset(info, 0, sizeof(*info));
	copy_str(info->uuid, sizeof(info->uuid), uuid);
	info->iommu_group = -1;

	/* The parent is the directory the device lives in. */
	if (!realpath(link, real)) {
		r = -errno;
		goto out;
	}
	slash = strrchr(real, '/');
	if (slash && slash != real) {
		*slash = '\0';
		copy_basename(real, info->parent, sizeof(info->parent));
		*slash = '/';
	}

	if (link_basename(real, "mdev_type", info->type_id, sizeof(info->type_id)) == 0)
		read_attr(real, "mdev_type/name", info->type_name, sizeof(info->type_name));
	if (link_basename(real, "iommu_group", group, sizeof(group)) == 0)
		info->iommu_group = parse_group(group);

	if (probe) {
		r = gvtdmabuf_device_open(ctx, uuid, &dev, NULL, 0);
		if (r == 0)
			info->display = 1;
		else if (r == -ENOTTY)
			info->display = 0;
		else
			info->display = r;
		r = 0;
	}
out:
	gvtdmabuf_device_close(dev);
	return r;
}

static int
compare_uuid(const void *a, const void *b)
{
	const struct gvtdmabuf_mdev_info *x = a, *y = b;

	return strcmp(x->uuid, y->uuid);
}

/**
 * List the mediated devices in SYSFS/bus/mdev/devices, sorted by UUID.
 * Without mdev support in the kernel the list is empty.  With @p probe,
 * each device is opened to ask whether it exports dma-bufs.
 *
 * @param ret_list receives a malloc()ed array (NULL when empty); free() it
 * @param ret_n receives the number of entries
 * @return 0, -EINVAL for NULL out-parameters, -ENOMEM, or the errno of
 *         reading the directory
 */
GVTDMABUF_EXPORT int
gvtdmabuf_list_mdevs(struct gvtdmabuf_context *ctx, bool probe,
		     struct gvtdmabuf_mdev_info **ret_list, size_t *ret_n)
{
	const char *sysfs = gvtdmabuf_context_sysfs_root(ctx);
	struct gvtdmabuf_mdev_info *list = NULL, *grown;
	char dirpath[PATH_MAX], link[PATH_MAX];
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *dir = NULL;
	int r = 0;

	if (!ret_list || !ret_n) {
		r = -EINVAL;
		goto out;
	}
	if (snprintf(dirpath, sizeof(dirpath), "%s/bus/mdev/devices", sysfs) >=
	    (int)sizeof(dirpath)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	dir = opendir(dirpath);
	if (!dir) {
		/* No mdev module: nothing to list, not an error. */
		if (errno != ENOENT && errno != ENOTDIR)
			r = -errno;
		goto done;
	}

	for (;;) {
		char uuid[GVTDMABUF_UUID_LEN + 1];

		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno)
				r = -errno;
			break;
		}
		/* Only UUID names are devices; skip ".", ".." and strays. */
		if (!gvtdmabuf_uuid_parse(de->d_name, uuid) ||
		    strcmp(uuid, de->d_name) != 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			grown = realloc(list, alloc * sizeof(*list));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			list = grown;
		}
		if (snprintf(link, sizeof(link), "%s/%s", dirpath, uuid) >=
		    (int)sizeof(link))
			continue;
		/* A device removed while we look is simply not listed. */
		if (describe_mdev(ctx, link, uuid, probe, &list[n]) == 0)
			n++;
	}
	if (r < 0)
		goto out;
	if (n > 1)
		qsort(list, n, sizeof(*list), compare_uuid);
done:
	if (r == 0) {
		if (n == 0) {
			free(list);
			list = NULL;
		}
		*ret_list = list;
		*ret_n = n;
		list = NULL;
	}
out:
	if (dir)
		closedir(dir);
	free(list);
	return r;
}
