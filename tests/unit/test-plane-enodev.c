/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabuf_device_query_plane() on the two ways a kernel says "this plane
 * is off" and on a device that is gone:
 *  - i915 answers 0 and leaves the caller's struct untouched;
 *  - a kernel that lets i915's decoder -ENODEV through answers -ENODEV,
 *    which a removed vGPU answers too.
 * The library tells them apart with the device request eventfd and a
 * VFIO_DEVICE_GET_INFO on the device fd.  The backend here is a fake, and
 * this file defines ioctl() so that GET_INFO on the fake device fd answers
 * as the test says (every other ioctl goes to the kernel).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <glib.h>

#include "backend.h"
#include "vfio-compat.h"

/* What the fake "kernel" answers VFIO_DEVICE_GET_INFO on fake_device_fd. */
static int fake_device_fd = -1;
static int get_info_errno;	/* 0: success */
static unsigned int get_info_calls;

int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd >= 0 && fd == fake_device_fd && req == VFIO_DEVICE_GET_INFO) {
		struct vfio_device_info *info = arg;

		get_info_calls++;
		if (get_info_errno) {
			errno = get_info_errno;
			return -1;
		}
		g_assert_cmpuint(info->argsz, >=, sizeof(*info));
		info->flags = VFIO_DEVICE_FLAGS_PCI;
		info->num_regions = 9;
		info->num_irqs = 5;
		return 0;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

enum answer {
	ANSWER_ENODEV,		/* -ENODEV */
	ANSWER_UNTOUCHED,	/* 0, struct as passed (upstream i915) */
	ANSWER_ENABLED,		/* 0, an XRGB8888 plane */
	ANSWER_EINVAL,
};

struct fake_backend {
	struct gvtdmabuf_backend base;
	enum answer answer;
	bool with_request_fd;
	bool with_device_fd;
	int request_fd;
	int device_fd;
};

static struct fake_backend *
to_fake(struct gvtdmabuf_backend *b)
{
	return (struct fake_backend *)b;
}

static int
fake_query_plane(struct gvtdmabuf_backend *b, struct vfio_device_gfx_plane_info *info)
{
	switch (to_fake(b)->answer) {
	case ANSWER_ENODEV:
		return -ENODEV;
	case ANSWER_UNTOUCHED:
		return 0;
	case ANSWER_ENABLED:
		info->drm_format = DRM_FORMAT_XRGB8888;
		info->drm_format_mod = DRM_FORMAT_MOD_LINEAR;
		info->width = 640;
		info->height = 480;
		info->stride = 2560;
		info->size = 2560 * 480;
		info->dmabuf_id = 3;
		return 0;
	case ANSWER_EINVAL:
	default:
		return -EINVAL;
	}
}

static int
fake_get_dmabuf(struct gvtdmabuf_backend *b, uint32_t id, bool *is_dmabuf,
		uint32_t *offset)
{
	return -EINVAL;
}

static int
fake_get_fd(struct gvtdmabuf_backend *b)
{
	struct fake_backend *f = to_fake(b);

	return f->with_device_fd ? f->device_fd : -ENOTSUP;
}

static int
fake_get_request_fd(struct gvtdmabuf_backend *b)
{
	struct fake_backend *f = to_fake(b);

	return f->with_request_fd ? f->request_fd : -ENOTSUP;
}

static void
fake_destroy(struct gvtdmabuf_backend *b)
{
	struct fake_backend *f = to_fake(b);

	close(f->request_fd);
	close(f->device_fd);
	fake_device_fd = -1;
	g_free(f);
}

static const struct gvtdmabuf_backend_ops fake_ops = {
	.name = "fake",
	.query_plane = fake_query_plane,
	.get_dmabuf = fake_get_dmabuf,
	.get_fd = fake_get_fd,
	.get_request_fd = fake_get_request_fd,
	.destroy = fake_destroy,
};

/* Every backend op the probes could use left NULL. */
static const struct gvtdmabuf_backend_ops fake_minimal_ops = {
	.name = "fake-minimal",
	.query_plane = fake_query_plane,
	.get_dmabuf = fake_get_dmabuf,
	.destroy = fake_destroy,
};

static struct gvtdmabuf_device *
open_fake(bool minimal, bool request_fd, bool device_fd, struct fake_backend **ret_fake)
{
	struct fake_backend *f = g_new0(struct fake_backend, 1);
	struct gvtdmabuf_device *dev = NULL;

	f->base.ops = minimal ? &fake_minimal_ops : &fake_ops;
	f->with_request_fd = request_fd;
	f->with_device_fd = device_fd;
	f->request_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g_assert_cmpint(f->request_fd, >=, 0);
	f->device_fd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	g_assert_cmpint(f->device_fd, >=, 0);
	fake_device_fd = f->device_fd;
	get_info_errno = 0;
	get_info_calls = 0;
	g_assert_cmpint(gvtdmabuf_device_new(&f->base, "fake", &dev), ==, 0);
	*ret_fake = f;
	return dev;
}

static void
assert_disabled(const struct gvtdmabuf_plane_info *info, enum gvtdmabuf_plane plane)
{
	g_assert_cmpint(info->plane, ==, plane);
	g_assert_false(info->enabled);
	g_assert_cmpuint(info->fourcc, ==, 0);
	g_assert_cmpuint(info->size, ==, 0);
	g_assert_cmpuint(info->dmabuf_id, ==, 0);
	g_assert_false(info->hotspot_known);
}

static void
signal_request(struct fake_backend *f)
{
	uint64_t one = 1;

	g_assert_cmpint(write(f->request_fd, &one, sizeof(one)), ==, sizeof(one));
}

/* Upstream i915: 0 and the struct as passed in reads as disabled. */
static void
test_untouched_is_disabled(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(false, true, true, &f);
	struct gvtdmabuf_plane_info info;

	f->answer = ANSWER_UNTOUCHED;
	memset(&info, 0x5a, sizeof(info));
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info), ==, 0);
	assert_disabled(&info, GVTDMABUF_PLANE_CURSOR);
	g_assert_cmpuint(get_info_calls, ==, 0);	/* no probe needed */

	f->answer = ANSWER_ENABLED;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info), ==, 0);
	g_assert_true(info.enabled);
	g_assert_cmpuint(info.dmabuf_id, ==, 3);
	gvtdmabuf_device_close(dev);
}

/* -ENODEV from a live device: disabled, whichever probe says so. */
static void
test_enodev_live_device(void)
{
	static const struct {
		bool request_fd, device_fd;
	} probes[] = {
		{ true, true },
		{ true, false },	/* request eventfd only */
		{ false, true },	/* GET_INFO only (i915 has no REQ) */
	};
	struct gvtdmabuf_plane_info info;
	struct fake_backend *f;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(probes); i++) {
		struct gvtdmabuf_device *dev =
			open_fake(false, probes[i].request_fd, probes[i].device_fd, &f);

		f->answer = ANSWER_ENODEV;
		memset(&info, 0x5a, sizeof(info));
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info),
				==, 0);
		assert_disabled(&info, GVTDMABUF_PLANE_PRIMARY);
		g_assert_cmpuint(get_info_calls, ==, probes[i].device_fd ? 1 : 0);

		/* and the plane coming back on is seen at once */
		f->answer = ANSWER_ENABLED;
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info),
				==, 0);
		g_assert_true(info.enabled);
		gvtdmabuf_device_close(dev);
	}
}

/* -ENODEV once the kernel asked for the device back: gone. */
static void
test_enodev_requested(void)
{
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(false, true, true, &f);
	struct gvtdmabuf_plane_info info, before;
	uint64_t count = 0;

	f->answer = ANSWER_ENODEV;
	signal_request(f);
	memset(&info, 0x5a, sizeof(info));
	before = info;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info),
			==, -ENODEV);
	g_assert_cmpmem(&info, sizeof(info), &before, sizeof(before));	/* untouched */
	/* polled, not read: whoever owns the request fd still sees it */
	g_assert_cmpint(read(f->request_fd, &count, sizeof(count)), ==, sizeof(count));
	g_assert_cmpuint(count, ==, 1);
	gvtdmabuf_device_close(dev);
}

/* -ENODEV and the device fd no longer answers GET_INFO: gone. */
static void
test_enodev_dead_fd(void)
{
	static const int errnos[] = { ENODEV, EIO, EBADF };
	struct gvtdmabuf_plane_info info;
	struct fake_backend *f;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(errnos); i++) {
		struct gvtdmabuf_device *dev = open_fake(false, true, true, &f);

		f->answer = ANSWER_ENODEV;
		get_info_errno = errnos[i];
		g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &info),
				==, -ENODEV);
		g_assert_cmpuint(get_info_calls, ==, 1);
		gvtdmabuf_device_close(dev);
	}
}

/* No way to ask: the backend's -ENODEV stands. */
static void
test_enodev_no_probe(void)
{
	struct gvtdmabuf_plane_info info;
	struct fake_backend *f;
	struct gvtdmabuf_device *dev;

	dev = open_fake(true, true, true, &f);	/* ops NULL */
	f->answer = ANSWER_ENODEV;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info),
			==, -ENODEV);
	g_assert_cmpuint(get_info_calls, ==, 0);
	gvtdmabuf_device_close(dev);

	dev = open_fake(false, false, false, &f);	/* ops say -ENOTSUP */
	f->answer = ANSWER_ENODEV;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &info),
			==, -ENODEV);
	gvtdmabuf_device_close(dev);
}

/* Other errors are passed on as they are, with no probing. */
static void
test_other_errors(void)
{
	struct gvtdmabuf_plane_info info;
	struct fake_backend *f;
	struct gvtdmabuf_device *dev = open_fake(false, true, true, &f);

	f->answer = ANSWER_EINVAL;
	g_assert_cmpint(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_SPRITE, &info),
			==, -EINVAL);
	g_assert_cmpuint(get_info_calls, ==, 0);
	gvtdmabuf_device_close(dev);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plane-enodev/untouched-is-disabled", test_untouched_is_disabled);
	g_test_add_func("/plane-enodev/live-device", test_enodev_live_device);
	g_test_add_func("/plane-enodev/requested", test_enodev_requested);
	g_test_add_func("/plane-enodev/dead-fd", test_enodev_dead_fd);
	g_test_add_func("/plane-enodev/no-probe", test_enodev_no_probe);
	g_test_add_func("/plane-enodev/other-errors", test_other_errors);
	return g_test_run();
}
