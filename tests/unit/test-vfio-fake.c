/* SPDX-License-Identifier: MIT */
/*
 * The VFIO group path of lib/vfio.c against a fake kernel: this file
 * defines ioctl(), which the test binary's copy of the library calls
 * instead of libc's, and answers the VFIO ioctls on regular files of a
 * fake /dev the way the kernel does.  One ioctl at a time can be made to
 * fail, so every failure branch of opening is walked and checked for
 * leaked fds; the event and device-request eventfds are attached and
 * detached where a gvtsim vGPU has them and not where i915's has none.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-compat.h"
#include "test-util.h"

#define UUID "9b3e4c1a-5d2f-4e6b-8a7c-0123456789ab"
#define GROUP 7
#define MAX_SET_IRQS 16
#define MAX_OBJECTS 16

/* ---- the fake kernel --------------------------------------------------- */

static struct {
	bool active;
	dev_t dev;
	ino_t container, group, device;
	char *device_path;
	/* like gvtsim (display IRQ and device request) or like kvmgt */
	bool gvtsim;
	/* make this request fail with fail_errno */
	unsigned long fail_req;
	int fail_errno;
	/* answer this request with EINTR eintr_left times first */
	unsigned long eintr_req;
	int eintr_left;
	/* VFIO_DEVICE_SET_IRQS calls: index and eventfd (-1: detach) */
	struct {
		uint32_t index;
		int32_t fd;
	} set_irqs[MAX_SET_IRQS];
	unsigned int n_set_irqs;
	/* The primary plane (0 address: off) and i915's dma-buf objects. */
	struct surface {
		uint64_t addr;
		uint32_t width, height, stride, size;
	} primary;
	struct object {
		uint32_t id;		/* 0: free */
		struct surface s;
		ino_t inodes[8];	/* exported memfds */
		unsigned int n_inodes;
	} objects[MAX_OBJECTS];
	unsigned int exports;
} fk;

enum node { NODE_OTHER, NODE_CONTAINER, NODE_GROUP, NODE_DEVICE };

static enum node
node_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_dev != fk.dev)
		return NODE_OTHER;
	if (st.st_ino == fk.container)
		return NODE_CONTAINER;
	if (st.st_ino == fk.group)
		return NODE_GROUP;
	if (st.st_ino == fk.device)
		return NODE_DEVICE;
	return NODE_OTHER;
}

static int
fake_irq_info(struct vfio_irq_info *info)
{
	if (info->argsz < sizeof(*info))
		return -EINVAL;
	switch (info->index) {
	case VFIO_PCI_REQ_IRQ_INDEX:
		/* kvmgt: no vector; gvtsim: one eventfd, as vfio-pci */
		info->flags = fk.gvtsim ? VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE : 0;
		info->count = fk.gvtsim ? 1 : 0;
		return 0;
	case VFIO_PCI_NUM_IRQS: {
		struct {
			struct gvtsim_irq_info info;
			struct gvtsim_irq_info_cap_type cap;
		} out;
		uint32_t argsz = info->argsz;

		if (!fk.gvtsim)
			return -EINVAL;
		memset(&out, 0, sizeof(out));
		out.info.argsz = sizeof(out);
		out.info.flags = VFIO_IRQ_INFO_EVENTFD | GVTSIM_IRQ_INFO_FLAG_CAPS;
		out.info.index = info->index;
		out.info.count = 1;
		if (argsz >= sizeof(out)) {
			out.info.cap_offset = sizeof(out.info);
			out.cap.id = GVTSIM_IRQ_INFO_CAP_TYPE;
			out.cap.version = 1;
			out.cap.type = GVTSIM_IRQ_TYPE_GFX;
			out.cap.subtype = GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ;
		}
		memcpy(info, &out, argsz < sizeof(out) ? argsz : sizeof(out));
		return 0;
	}
	default:
		if (info->index > VFIO_PCI_NUM_IRQS)
			return -EINVAL;
		info->flags = 0;
		info->count = 0;
		return 0;
	}
}

/* Whether a fd of this process refers to memfd inode @p ino. */
static bool
inode_open(ino_t ino)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/proc/self/fd");

	g_assert_nonnull(d);
	while (!found && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] != '.' &&
		    fstat(atoi(de->d_name), &st) == 0 && st.st_ino == ino &&
		    S_ISREG(st.st_mode))
			found = true;
	}
	closedir(d);
	return found;
}

/*
 * i915 (gvt/dmabuf.c): an object per distinct surface, its id the lowest
 * free one (idr_alloc(..., 1, 0)); once exported, it lives as long as a
 * dma-buf of it is open, then its id is free again.
 */
static void
objects_release_closed(void)
{
	unsigned int i, k;

	for (i = 0; i < MAX_OBJECTS; i++) {
		struct object *o = &fk.objects[i];
		bool open = false;

		if (!o->id || !o->n_inodes)
			continue;
		for (k = 0; k < o->n_inodes && !open; k++)
			open = inode_open(o->inodes[k]);
		if (!open)
			memset(o, 0, sizeof(*o));
	}
}

static uint32_t
object_for(const struct surface *s)
{
	struct object *slot = NULL;
	uint32_t id;
	unsigned int i;
	bool used;

	objects_release_closed();
	for (i = 0; i < MAX_OBJECTS; i++)
		if (fk.objects[i].id && !memcmp(&fk.objects[i].s, s, sizeof(*s)))
			return fk.objects[i].id;
	for (id = 1;; id++) {
		used = false;
		for (i = 0; i < MAX_OBJECTS; i++)
			used |= fk.objects[i].id == id;
		if (!used)
			break;
	}
	for (i = 0; i < MAX_OBJECTS && !slot; i++)
		if (!fk.objects[i].id)
			slot = &fk.objects[i];
	g_assert_nonnull(slot);
	slot->id = id;
	slot->s = *s;
	return id;
}

/* A new memfd holding the surface's address (no O_CLOEXEC: drivers
 * differ, the library must set it). */
static int
object_export(uint32_t id)
{
	struct stat st;
	unsigned int i;
	int fd;

	objects_release_closed();
	for (i = 0; i < MAX_OBJECTS; i++) {
		struct object *o = &fk.objects[i];

		if (o->id != id || !id)
			continue;
		fd = memfd_create("fake-gvt-dmabuf", 0);
		g_assert_cmpint(fd, >=, 0);
		g_assert_cmpint(ftruncate(fd, o->s.size), ==, 0);
		g_assert_cmpint(pwrite(fd, &o->s.addr, sizeof(o->s.addr), 0), ==,
				sizeof(o->s.addr));
		g_assert_cmpint(fstat(fd, &st), ==, 0);
		g_assert_cmpuint(o->n_inodes, <, G_N_ELEMENTS(o->inodes));
		o->inodes[o->n_inodes++] = st.st_ino;
		fk.exports++;
		return fd;
	}
	return -EINVAL;
}

static int
fake_ioctl(enum node node, unsigned long req, void *arg)
{
	if (fk.fail_req == req)
		return -fk.fail_errno;
	if (fk.eintr_req == req && fk.eintr_left > 0) {
		fk.eintr_left--;
		return -EINTR;
	}

	switch (node) {
	case NODE_CONTAINER:
		if (req == VFIO_GET_API_VERSION)
			return VFIO_API_VERSION;
		if (req == VFIO_CHECK_EXTENSION)
			return (uintptr_t)arg == VFIO_TYPE1v2_IOMMU;
		if (req == VFIO_SET_IOMMU)
			return 0;
		break;
	case NODE_GROUP:
		if (req == VFIO_GROUP_GET_STATUS) {
			struct vfio_group_status *st = arg;

			st->flags = VFIO_GROUP_FLAGS_VIABLE;
			return 0;
		}
		if (req == VFIO_GROUP_SET_CONTAINER)
			return 0;
		if (req == VFIO_GROUP_GET_DEVICE_FD) {
			int fd;

			if (strcmp(arg, UUID) != 0)
				return -ENODEV;
			/* The kernel's device fds are O_CLOEXEC. */
			fd = open(fk.device_path, O_RDWR | O_CLOEXEC);
			return fd < 0 ? -errno : fd;
		}
		break;
	case NODE_DEVICE:
		if (req == VFIO_DEVICE_QUERY_GFX_PLANE) {
			struct vfio_device_gfx_plane_info *p = arg;

			/* probe: yes; a query: the plane is off */
			if (p->flags == (VFIO_GFX_PLANE_TYPE_PROBE |
					 VFIO_GFX_PLANE_TYPE_DMABUF))
				return 0;
			if (p->flags != VFIO_GFX_PLANE_TYPE_DMABUF)
				return -EINVAL;
			p->drm_format = 0;
			p->size = p->width = p->height = p->stride = 0;
			p->dmabuf_id = 0;
			if (p->drm_plane_type != DRM_PLANE_TYPE_PRIMARY ||
			    !fk.primary.addr)
				return 0;
			p->drm_format = DRM_FORMAT_XRGB8888;
			p->drm_format_mod = DRM_FORMAT_MOD_LINEAR;
			p->width = fk.primary.width;
			p->height = fk.primary.height;
			p->stride = fk.primary.stride;
			p->size = fk.primary.size;
			p->dmabuf_id = object_for(&fk.primary);
			return 0;
		}
		if (req == VFIO_DEVICE_GET_GFX_DMABUF) {
			uint32_t id;

			memcpy(&id, arg, sizeof(id));
			return object_export(id);
		}
		if (req == VFIO_DEVICE_GET_INFO) {
			struct vfio_device_info *di = arg;

			di->flags = VFIO_DEVICE_FLAGS_PCI;
			di->num_regions = VFIO_PCI_NUM_REGIONS;
			di->num_irqs = VFIO_PCI_NUM_IRQS + (fk.gvtsim ? 1 : 0);
			return 0;
		}
		if (req == VFIO_DEVICE_GET_IRQ_INFO)
			return fake_irq_info(arg);
		if (req == VFIO_DEVICE_SET_IRQS) {
			struct vfio_irq_set *s = arg;
			int32_t efd;

			if (s->flags != (VFIO_IRQ_SET_DATA_EVENTFD |
					 VFIO_IRQ_SET_ACTION_TRIGGER) ||
			    s->count != 1 || s->start != 0 ||
			    s->argsz < sizeof(*s) + sizeof(efd))
				return -EINVAL;
			if (s->index != VFIO_PCI_REQ_IRQ_INDEX &&
			    !(fk.gvtsim && s->index == VFIO_PCI_NUM_IRQS))
				return -EINVAL;
			memcpy(&efd, s->data, sizeof(efd));
			g_assert_cmpuint(fk.n_set_irqs, <, MAX_SET_IRQS);
			fk.set_irqs[fk.n_set_irqs].index = s->index;
			fk.set_irqs[fk.n_set_irqs].fd = efd;
			fk.n_set_irqs++;
			return 0;
		}
		break;
	default:
		break;
	}
	return -ENOTTY;
}

/* Replaces libc's ioctl() for this binary (the library is linked in
 * statically); fds that are not fake nodes go to the kernel. */
int
ioctl(int fd, unsigned long req, ...)
{
	enum node node;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	node = fk.active ? node_of(fd) : NODE_OTHER;
	if (node == NODE_OTHER)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	r = fake_ioctl(node, req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

/* ---- the tree ------------------------------------------------------------ */

struct tree {
	char *root;
	struct gvtdmabuf_context *ctx;
};

static char *
tree_file(struct tree *t, const char *rel, ino_t *ret_ino)
{
	char *path = g_build_filename(t->root, rel, NULL);
	char *dir = g_path_get_dirname(path);
	struct stat st;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, "", 0, NULL));
	g_assert_cmpint(stat(path, &st), ==, 0);
	fk.dev = st.st_dev;
	*ret_ino = st.st_ino;
	g_free(dir);
	return path;
}

static void
tree_init(struct tree *t, bool gvtsim)
{
	char *sys, *dev, *devdir, *p;

	memset(&fk, 0, sizeof(fk));
	fk.gvtsim = gvtsim;
	t->root = g_dir_make_tmp("gvtdmabuf-vfio-XXXXXX", NULL);
	g_assert_nonnull(t->root);
	sys = g_build_filename(t->root, "sys", NULL);
	dev = g_build_filename(t->root, "dev", NULL);
	devdir = g_build_filename(sys, "devices/pci0000:00/0000:00:02.0", UUID, NULL);
	g_assert_cmpint(g_mkdir_with_parents(devdir, 0755), ==, 0);
	p = g_build_filename(sys, "kernel/iommu_groups/7", NULL);
	g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
	g_free(p);
	p = g_build_filename(devdir, "iommu_group", NULL);
	g_assert_cmpint(symlink("../../../../kernel/iommu_groups/7", p), ==, 0);
	g_free(p);
	p = g_build_filename(sys, "bus/mdev/devices", NULL);
	g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
	g_free(p);
	p = g_build_filename(sys, "bus/mdev/devices", UUID, NULL);
	g_assert_cmpint(symlink("../../../devices/pci0000:00/0000:00:02.0/" UUID, p), ==, 0);
	g_free(p);

	g_free(tree_file(t, "dev/vfio/vfio", &fk.container));
	g_free(tree_file(t, "dev/vfio/7", &fk.group));
	fk.device_path = tree_file(t, "device-node", &fk.device);

	g_assert_cmpint(gvtdmabuf_context_create(&t->ctx), ==, 0);
	g_assert_cmpint(gvtdmabuf_context_set_sysfs_root(t->ctx, sys), ==, 0);
	g_assert_cmpint(gvtdmabuf_context_set_dev_root(t->ctx, dev), ==, 0);
	fk.active = true;
	g_free(sys);
	g_free(dev);
	g_free(devdir);
}

static void
tree_fini(struct tree *t)
{
	fk.active = false;
	gvtdmabuf_context_destroy(t->ctx);
	test_rm_rf(t->root);
	g_free(t->root);
	g_free(fk.device_path);
	fk.device_path = NULL;
}

/* ---- fds ----------------------------------------------------------------- */

/* Open fds, and how many of them lack FD_CLOEXEC. */
static unsigned int
count_fds(unsigned int *ret_inheritable)
{
	unsigned int n = 0, inheritable = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	g_assert_nonnull(d);
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		n++;
		if (fd > 2 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			inheritable++;
	}
	closedir(d);
	if (ret_inheritable)
		*ret_inheritable = inheritable;
	return n;
}

/* ---- cases --------------------------------------------------------------- */

static void
test_open_close(void)
{
	struct gvtdmabuf_device *dev = NULL;
	unsigned int base, inh_base, inh;
	char err[GVTDMABUF_ERROR_MAX];
	struct tree t;

	tree_init(&t, true);
	base = count_fds(&inh_base);
	g_assert_cmpint(gvtdmabuf_device_open(t.ctx, UUID, &dev, err, sizeof(err)), ==, 0);
	g_assert_nonnull(dev);
	g_assert_cmpstr(gvtdmabuf_device_get_backend(dev), ==, "vfio-group");
	g_assert_cmpint(gvtdmabuf_device_get_fd(dev), >=, 0);
	/* container, group, device; all close-on-exec */
	g_assert_cmpuint(count_fds(&inh), ==, base + 3);
	g_assert_cmpuint(inh, ==, inh_base);
	gvtdmabuf_device_close(dev);
	g_assert_cmpuint(count_fds(NULL), ==, base);
	tree_fini(&t);
}

/* Every ioctl of the open sequence failing: a negative errno, a message,
 * ret_device untouched, and no fd left open. */
static void
test_every_step_fails(void)
{
	static const struct {
		unsigned long req;
		int err;
	} steps[] = {
		{ VFIO_GET_API_VERSION, ENOTTY },
		{ VFIO_CHECK_EXTENSION, ENOTTY },
		{ VFIO_GROUP_GET_STATUS, EINVAL },
		{ VFIO_GROUP_SET_CONTAINER, EBUSY },
		{ VFIO_SET_IOMMU, EPERM },
		{ VFIO_GROUP_GET_DEVICE_FD, EBUSY },
		{ VFIO_DEVICE_QUERY_GFX_PLANE, ENOTTY },
		{ VFIO_DEVICE_QUERY_GFX_PLANE, EACCES },
	};
	struct tree t;
	unsigned int base, i;

	tree_init(&t, true);
	base = count_fds(NULL);
	for (i = 0; i < G_N_ELEMENTS(steps); i++) {
		struct gvtdmabuf_device *dev = (void *)0x1;
		char err[GVTDMABUF_ERROR_MAX] = "";
		int r;

		fk.fail_req = steps[i].req;
		fk.fail_errno = steps[i].err;
		r = gvtdmabuf_device_open(t.ctx, UUID, &dev, err, sizeof(err));
		g_test_message("ioctl 0x%lx fails with %d -> %d: %s", steps[i].req,
			       steps[i].err, r, err);
		g_assert_cmpint(r, <, 0);
		g_assert_true(dev == (void *)0x1);
		g_assert_cmpuint(strlen(err), >, 0);
		g_assert_cmpuint(count_fds(NULL), ==, base);
	}
	tree_fini(&t);
}

/* A signal during any ioctl (EINTR) is retried, not reported. */
static void
test_eintr(void)
{
	static const unsigned long reqs[] = {
		VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_GROUP_GET_STATUS,
		VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU, VFIO_GROUP_GET_DEVICE_FD,
		VFIO_DEVICE_QUERY_GFX_PLANE,
	};
	struct gvtdmabuf_plane_info pi;
	struct tree t;
	unsigned int i;

	tree_init(&t, true);
	for (i = 0; i < G_N_ELEMENTS(reqs); i++) {
		struct gvtdmabuf_device *dev = NULL;

		fk.eintr_req = reqs[i];
		fk.eintr_left = 3;
		g_assert_cmpint(gvtdmabuf_device_open(t.ctx, UUID, &dev, NULL, 0), ==, 0);
		g_assert_cmpint(fk.eintr_left, ==, 0);
		fk.eintr_req = VFIO_DEVICE_QUERY_GFX_PLANE;
		fk.eintr_left = 2;
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY,
							     &pi), ==, 0);
		g_assert_false(pi.enabled);
		g_assert_cmpint(fk.eintr_left, ==, 0);
		gvtdmabuf_device_close(dev);
	}
	tree_fini(&t);
}

/* gvtsim: the display IRQ and the device request get eventfds, attached on
 * first use and detached on close. */
static void
test_irqs_gvtsim(void)
{
	struct gvtdmabuf_device *dev = NULL;
	unsigned int base;
	struct tree t;
	int efd, rfd;

	tree_init(&t, true);
	base = count_fds(NULL);
	g_assert_cmpint(gvtdmabuf_device_open(t.ctx, UUID, &dev, NULL, 0), ==, 0);
	g_assert_cmpuint(fk.n_set_irqs, ==, 0);

	efd = gvtdmabuf_device_get_event_fd(dev);
	g_assert_cmpint(efd, >=, 0);
	g_assert_cmpuint(fk.n_set_irqs, ==, 1);
	g_assert_cmpuint(fk.set_irqs[0].index, ==, VFIO_PCI_NUM_IRQS);
	g_assert_cmpint(fk.set_irqs[0].fd, ==, efd);
	g_assert_cmpint(gvtdmabuf_device_get_event_fd(dev), ==, efd);

	rfd = gvtdmabuf_device_get_request_fd(dev);
	g_assert_cmpint(rfd, >=, 0);
	g_assert_cmpint(rfd, !=, efd);
	g_assert_cmpuint(fk.n_set_irqs, ==, 2);
	g_assert_cmpuint(fk.set_irqs[1].index, ==, VFIO_PCI_REQ_IRQ_INDEX);
	g_assert_cmpint(fk.set_irqs[1].fd, ==, rfd);
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(dev), ==, rfd);
	g_assert_cmpuint(fk.n_set_irqs, ==, 2);
	g_assert_true(fcntl(rfd, F_GETFD) & FD_CLOEXEC);
	g_assert_true(fcntl(rfd, F_GETFL) & O_NONBLOCK);
	g_assert_cmpuint(count_fds(NULL), ==, base + 5);

	gvtdmabuf_device_close(dev);
	/* both detached (eventfd -1) before their fds were closed */
	g_assert_cmpuint(fk.n_set_irqs, ==, 4);
	g_assert_cmpint(fk.set_irqs[2].fd, ==, -1);
	g_assert_cmpint(fk.set_irqs[3].fd, ==, -1);
	g_assert_cmpuint(fk.set_irqs[2].index + fk.set_irqs[3].index, ==,
			 VFIO_PCI_NUM_IRQS + VFIO_PCI_REQ_IRQ_INDEX);
	g_assert_cmpuint(count_fds(NULL), ==, base);
	tree_fini(&t);
}

/* i915's kvmgt: neither IRQ; -ENOTSUP, asked once, nothing attached. */
static void
test_irqs_kvmgt(void)
{
	struct gvtdmabuf_device *dev = NULL;
	unsigned int base;
	struct tree t;

	tree_init(&t, false);
	base = count_fds(NULL);
	g_assert_cmpint(gvtdmabuf_device_open(t.ctx, UUID, &dev, NULL, 0), ==, 0);
	g_assert_cmpint(gvtdmabuf_device_get_event_fd(dev), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(dev), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(dev), ==, -ENOTSUP);
	g_assert_cmpuint(fk.n_set_irqs, ==, 0);
	g_assert_cmpuint(count_fds(NULL), ==, base + 3);
	gvtdmabuf_device_close(dev);
	g_assert_cmpuint(count_fds(NULL), ==, base);
	tree_fini(&t);
}

/* Attaching the request eventfd fails: the fd is not leaked, the error
 * comes back, and a later call tries again. */
static void
test_request_attach_fails(void)
{
	struct gvtdmabuf_device *dev = NULL;
	unsigned int base;
	struct tree t;

	tree_init(&t, true);
	g_assert_cmpint(gvtdmabuf_device_open(t.ctx, UUID, &dev, NULL, 0), ==, 0);
	base = count_fds(NULL);
	fk.fail_req = VFIO_DEVICE_SET_IRQS;
	fk.fail_errno = ENOMEM;
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(dev), ==, -ENOMEM);
	g_assert_cmpuint(count_fds(NULL), ==, base);
	fk.fail_req = 0;
	g_assert_cmpint(gvtdmabuf_device_get_request_fd(dev), >=, 0);
	gvtdmabuf_device_close(dev);
	tree_fini(&t);
}

/* Which surface a dma-buf shows (the fake writes its address first). */
static uint64_t
surface_of(const struct gvtdmabuf_dmabuf *b)
{
	uint64_t addr = 0;

	g_assert_cmpint(pread(b->fd[0], &addr, sizeof(addr), 0), ==, sizeof(addr));
	return addr;
}

static const struct gvtdmabuf_dmabuf *
show(struct gvtdmabuf_device *dev, uint64_t addr, uint32_t *ret_id)
{
	const struct gvtdmabuf_dmabuf *b = NULL;
	struct gvtdmabuf_plane_info pi;

	fk.primary = (struct surface){ addr, 64, 64, 256, 16384 };
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi), ==, 0);
	g_assert_true(pi.enabled);
	g_assert_cmpint(gvtdmabuf_device_get_dmabuf(dev, &pi, &b), ==, 0);
	g_assert_cmpuint(b->dmabuf_id, ==, pi.dmabuf_id);
	/* never another surface's buffer */
	g_assert_cmpuint(surface_of(b), ==, addr);
	*ret_id = pi.dmabuf_id;
	return b;
}

/*
 * i915 hands a freed id to the next new surface, even one of the same
 * geometry.  An id is only freed once every fd of it is closed, so the
 * cache (which holds one) and a caller holding a dup never see it change
 * meaning: the cache must never answer with another surface's buffer.
 */
static void
test_i915_id_reuse(void)
{
	const struct gvtdmabuf_dmabuf *b;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_dmabuf held;
	uint32_t a, bb, c, d, id;
	struct tree t;

	tree_init(&t, false);
	g_assert_cmpint(gvtdmabuf_device_open(t.ctx, UUID, &dev, NULL, 0), ==, 0);

	b = show(dev, 0x10000, &a);
	g_assert_cmpuint(a, ==, 1);
	/* the driver's fd had no O_CLOEXEC: the library's has */
	g_assert_true(fcntl(b->fd[0], F_GETFD) & FD_CLOEXEC);
	show(dev, 0x20000, &bb);
	g_assert_cmpuint(bb, ==, 2);
	/* flipping back: the cached buffer of id 1, no export */
	show(dev, 0x10000, &id);
	g_assert_cmpuint(id, ==, a);
	g_assert_cmpuint(fk.exports, ==, 2);

	/* The cache lets id 2 go: i915 frees it and gives it to a new
	 * surface of the same geometry. */
	g_assert_cmpint(gvtdmabuf_device_set_cache_size(dev, 1), ==, 0);
	show(dev, 0x30000, &c);
	g_assert_cmpuint(c, ==, 2);

	/* A caller keeps id 2's buffer (as an element keeps a GstMemory per
	 * id): the id keeps naming that surface even after the cache drops
	 * it, and new surfaces get other ids. */
	b = show(dev, 0x30000, &id);
	g_assert_cmpint(gvtdmabuf_dmabuf_dup(b, &held), ==, 0);
	gvtdmabuf_device_flush_cache(dev);
	show(dev, 0x40000, &d);
	g_assert_cmpuint(d, !=, c);
	show(dev, 0x30000, &id);
	g_assert_cmpuint(id, ==, c);
	g_assert_cmpuint(surface_of(&held), ==, 0x30000);
	gvtdmabuf_dmabuf_finish(&held);

	gvtdmabuf_device_close(dev);
	tree_fini(&t);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vfio-fake/open-close", test_open_close);
	g_test_add_func("/vfio-fake/every-step-fails", test_every_step_fails);
	g_test_add_func("/vfio-fake/eintr", test_eintr);
	g_test_add_func("/vfio-fake/irqs-gvtsim", test_irqs_gvtsim);
	g_test_add_func("/vfio-fake/irqs-kvmgt", test_irqs_kvmgt);
	g_test_add_func("/vfio-fake/request-attach-fails", test_request_attach_fails);
	g_test_add_func("/vfio-fake/i915-id-reuse", test_i915_id_reuse);
	return g_test_run();
}
