/* SPDX-License-Identifier: MIT */
/*
 * "qemu:" device names (QEMU's D-Bus display): every malformed name is
 * -EINVAL with a message naming what was wrong, an unreachable bus or an
 * absent QEMU says so, and the backends without damage, input or
 * resolution requests answer -ENOTSUP.  The real thing is the qemu suite.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <linux/input-event-codes.h>

#include "gvt-dmabuf/gvt-dmabuf.h"

static void
expect_error(const char *name, int want, const char *words)
{
	char err[GVTDMABUF_ERROR_MAX] = "";
	struct gvtdmabuf_device *dev = (struct gvtdmabuf_device *)&err;
	int r;

	r = gvtdmabuf_device_open(NULL, name, &dev, err, sizeof(err));
	g_test_message("%s -> %d: %s", name, r, err);
	g_assert_cmpint(r, ==, want);
	g_assert_true(dev == (struct gvtdmabuf_device *)&err);	/* untouched */
	g_assert_nonnull(strstr(err, words));
}

static bool
built_without(void)
{
	if (!strstr(gvtdmabuf_qemu_spec_help(), "not available"))
		return false;
	g_test_skip("libgvtdmabuf built without QEMU D-Bus display support");
	return true;
}

static void
test_bad_names(void)
{
	if (built_without())
		return;
	expect_error("qemu:bogus", -EINVAL, "unknown option 'bogus'");
	expect_error("qemu:console=x", -EINVAL, "bad number in 'console=x'");
	expect_error("qemu:console=-1", -EINVAL, "console number from 0 to 4095");
	expect_error("qemu:console=4096", -EINVAL, "console=4096");
	expect_error("qemu:fd=", -EINVAL, "unknown option 'fd='");
	expect_error("qemu:fd=12abc", -EINVAL, "open file descriptor");
	expect_error("qemu:bus=", -EINVAL, "bus= needs a D-Bus address");
	expect_error("qemu:name=:1.42", -EINVAL, "not a well-known D-Bus name");
	expect_error("qemu:name=org..qemu", -EINVAL, "not a well-known D-Bus name");
	expect_error("qemu:fd=0,name=org.qemu", -EINVAL, "drop name=");
}

static void
test_unreachable(void)
{
	char path[] = "/tmp/gvtdmabuf-nobus-XXXXXX", addr[128];
	int fd;

	if (built_without())
		return;
	fd = mkstemp(path);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	unlink(path);
	/* No socket there: the bus cannot be reached. */
	snprintf(addr, sizeof(addr), "qemu:console=1,bus=unix:path=%s,guid=0", path);
	expect_error(addr, -ECONNREFUSED, "cannot connect");
	/* A descriptor that is not open, one that is not a socket. */
	expect_error("qemu:fd=987", -EBADF, "fd 987 is not open");
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(addr, sizeof(addr), "qemu:fd=%d", fd);
	expect_error(addr, -ENOTSOCK, "is not a socket");
	close(fd);
}

static void
test_sim_damage_no_input(void)
{
	struct gvtdmabuf_device *dev;
	struct gvtdmabuf_rect rect;
	size_t n = 99;

	g_assert_cmpint(gvtdmabuf_device_open(NULL, "sim:640x360,clock=manual", &dev, NULL, 0), ==, 0);
	/* the sim's damage: a new frame is the whole surface, once */
	g_assert_cmpint(gvtdmabuf_device_get_damage(dev, &rect, 1, &n), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(rect.x, ==, 0);
	g_assert_cmpint(rect.y, ==, 0);
	g_assert_cmpuint(rect.width, ==, 640);
	g_assert_cmpuint(rect.height, ==, 360);
	g_assert_cmpint(gvtdmabuf_device_get_damage(dev, &rect, 1, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(gvtdmabuf_sim_set_frame(dev, 1), ==, 0);
	g_assert_cmpint(gvtdmabuf_device_get_damage(dev, &rect, 1, &n), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(gvtdmabuf_sim_set_display(dev, false), ==, 0);
	g_assert_cmpint(gvtdmabuf_device_get_damage(dev, &rect, 1, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(gvtdmabuf_sim_set_display(dev, true), ==, 0);
	g_assert_cmpint(gvtdmabuf_device_get_damage(dev, &rect, 1, &n), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	n = 99;
	g_assert_cmpint(gvtdmabuf_device_get_damage(dev, &rect, 0, &n), ==, -EINVAL);
	g_assert_cmpuint(n, ==, 99);
	g_assert_cmpint(gvtdmabuf_device_send_key(dev, KEY_A, true), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_send_pointer_absolute(dev, 1, 1), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_send_pointer_relative(dev, 1, 1), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_send_button(dev, BTN_LEFT, true), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_send_wheel(dev, 1), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_send_wheel(dev, 121), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_device_request_resolution(dev, 800, 600), ==, -ENOTSUP);
	g_assert_cmpint(gvtdmabuf_device_request_resolution(dev, 16385, 600), ==, -EINVAL);
	gvtdmabuf_device_close(dev);
	g_assert_cmpint(gvtdmabuf_device_send_key(NULL, KEY_A, true), ==, -EINVAL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qemu-spec/bad-names", test_bad_names);
	g_test_add_func("/qemu-spec/unreachable", test_unreachable);
	g_test_add_func("/qemu-spec/sim-damage-no-input", test_sim_damage_no_input);
	return g_test_run();
}
