/* SPDX-License-Identifier: MIT */
/*
 * The dma-buf half of QEMU's D-Bus display, by construction: a child
 * process plays QEMU's side of a peer-to-peer display connection
 * (-display dbus,p2p=yes after QMP add_client) and calls the library's
 * listener with what QEMU's interface description says QEMU sends:
 * ScanoutDMABUF with an fd, UpdateDMABUF, CursorDefine, MouseSet, Scanout
 * and Update with pixels, Disable, and malformed calls; then it vanishes.
 * The parent opens it as "qemu:fd=N" and checks what the library makes of
 * each step.  No real QEMU hands out a dma-buf on these machines (that
 * needs a GL display; see README), so this is the test of that path.
 *
 * The buffers are memfds (the host has no udmabuf): the library passes
 * the fd through untouched, which is what is checked.  Prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <linux/input-event-codes.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "tap.h"
#include "qemu-display1.h"

#define W 64
#define H 48
#define STRIDE 256	/* wider than W * 4: the stride must come through */
#define PIXMAN_X8R8G8B8 0x20020888u

/* The pixel of buffer @p b at (x, y): known to both sides. */
static uint32_t
pattern(unsigned int b, uint32_t x, uint32_t y)
{
	return 0xff000000u | (b * 0x400000u) | ((x * 4) << 8) | (y * 5);
}

/* ---- the fake QEMU (child) ---------------------------------------------- */

static GDBusConnection *listener_conn;
static GvtdmabufQemuListener *listener;
static int memfd[2] = { -1, -1 };
static int ack_fd;
static unsigned int n_keys;
static guint last_key;

static int
make_buffer(unsigned int b)
{
	int fd = memfd_create("fake-qemu-scanout", MFD_CLOEXEC);
	uint32_t *p;
	uint32_t x, y;

	if (fd < 0 || ftruncate(fd, STRIDE * H) < 0)
		return -1;
	p = mmap(NULL, STRIDE * H, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	for (y = 0; y < H; y++)
		for (x = 0; x < STRIDE / 4; x++)
			p[y * (STRIDE / 4) + x] = x < W ? pattern(b, x, y) : 0xdeadbeefu;
	munmap(p, STRIDE * H);
	return fd;
}

static gboolean
scanout_dmabuf(int fd, uint32_t fourcc)
{
	GUnixFDList *l = g_unix_fd_list_new();
	gboolean ok;

	if (fd >= 0)
		g_unix_fd_list_append(l, fd, NULL);
	ok = gvtdmabuf_qemu_listener_call_scanout_dmabuf_sync(listener,
		g_variant_new_handle(0), W, H, STRIDE, fourcc,
		DRM_FORMAT_MOD_LINEAR, FALSE, fd >= 0 ? l : NULL, NULL, NULL, NULL);
	g_object_unref(l);
	return ok;
}

/* One step per command byte from the parent; 'k' or 'e' back. */
static gboolean
on_command(gint fd, GIOCondition cond, gpointer data)
{
	static uint8_t cursor[8 * 8 * 4], pixels[32 * 16 * 5];
	char c, ack = 'k';
	gboolean ok = TRUE;
	unsigned int i;

	if (read(fd, &c, 1) != 1)
		_exit(0);
	switch (c) {
	case 'A':	/* scanout buffer 0 */
		ok = scanout_dmabuf(memfd[0], DRM_FORMAT_XRGB8888);
		break;
	case 'u':
		ok = gvtdmabuf_qemu_listener_call_update_dmabuf_sync(listener,
			1, 2, 3, 4, NULL, NULL) &&
		     gvtdmabuf_qemu_listener_call_update_dmabuf_sync(listener,
			60, 40, 10, 10, NULL, NULL);
		break;
	case 'B':
		ok = scanout_dmabuf(memfd[1], DRM_FORMAT_XRGB8888);
		break;
	case 'x':	/* malformed: no fd, then a format nobody knows */
		ok = !scanout_dmabuf(-1, DRM_FORMAT_XRGB8888) &&
		     !scanout_dmabuf(memfd[1], 0x20202020u);
		break;
	case 'c':
		for (i = 0; i < sizeof(cursor) / 4; i++)
			((uint32_t *)cursor)[i] = pattern(3, i % 8, i / 8);
		ok = gvtdmabuf_qemu_listener_call_cursor_define_sync(listener,
			8, 8, 1, 2, g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
				cursor, sizeof(cursor), 1), NULL, NULL) &&
		     gvtdmabuf_qemu_listener_call_mouse_set_sync(listener,
			-3, 20, 1, NULL, NULL);
		break;
	case 'h':
		ok = gvtdmabuf_qemu_listener_call_mouse_set_sync(listener,
			5, 5, 0, NULL, NULL);
		break;
	case 's':	/* 32x16 pixels by value, stride 160 */
		for (i = 0; i < sizeof(pixels) / 4; i++)
			((uint32_t *)pixels)[i] = pattern(4, i % 40, i / 40);
		ok = gvtdmabuf_qemu_listener_call_scanout_sync(listener, 32, 16, 160,
			PIXMAN_X8R8G8B8, g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
				pixels, sizeof(pixels), 1), NULL, NULL);
		break;
	case 'p':	/* a 2x2 update at 30,14 with pattern 5 */
		for (i = 0; i < 4; i++)
			((uint32_t *)pixels)[i] = pattern(5, 30 + i % 2, 14 + i / 2);
		ok = gvtdmabuf_qemu_listener_call_update_sync(listener, 30, 14, 2, 2, 8,
			PIXMAN_X8R8G8B8, g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
				pixels, 16, 1), NULL, NULL) &&
		     /* outside the surface: refused */
		     !gvtdmabuf_qemu_listener_call_update_sync(listener, 31, 15, 2, 2, 8,
			PIXMAN_X8R8G8B8, g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
				pixels, 16, 1), NULL, NULL);
		break;
	case 'd':
		ok = gvtdmabuf_qemu_listener_call_disable_sync(listener, NULL, NULL);
		break;
	case 'K':	/* what arrived at Keyboard.Press */
		ack = (char)(n_keys == 1 && last_key == 0xc8 ? 'k' : 'e');
		break;
	case 'q':	/* vanish, mid-stream, as a crashing QEMU */
		_exit(0);
	}
	if (!ok)
		ack = 'e';
	if (write(ack_fd, &ack, 1) != 1)
		_exit(1);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_register(GvtdmabufQemuConsole *con, GDBusMethodInvocation *inv,
	    GUnixFDList *fds, GVariant *handle, gpointer data)
{
	GSocketConnection *stream;
	GSocket *sock;
	char *guid = g_dbus_generate_guid();
	int fd = g_unix_fd_list_get(fds, g_variant_get_handle(handle), NULL);

	/* As QEMU: answer, then be the server of the listener connection. */
	gvtdmabuf_qemu_console_complete_register_listener(con, inv, NULL);
	sock = g_socket_new_from_fd(fd, NULL);
	stream = g_socket_connection_factory_create_connection(sock);
	listener_conn = g_dbus_connection_new_sync(G_IO_STREAM(stream), guid,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER, NULL, NULL, NULL);
	listener = gvtdmabuf_qemu_listener_proxy_new_sync(listener_conn,
		G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL,
		"/org/qemu/Display1/Listener", NULL, NULL);
	if (!listener)
		_exit(1);
	g_free(guid);
	return TRUE;
}

static gboolean
on_key(GvtdmabufQemuKeyboard *kbd, GDBusMethodInvocation *inv, guint key, gpointer data)
{
	n_keys++;
	last_key = key;
	gvtdmabuf_qemu_keyboard_complete_press(kbd, inv);
	return TRUE;
}

static void
fake_qemu(int sock_fd, int cmd_fd)
{
	GvtdmabufQemuConsole *con = gvtdmabuf_qemu_console_skeleton_new();
	GvtdmabufQemuKeyboard *kbd = gvtdmabuf_qemu_keyboard_skeleton_new();
	GvtdmabufQemuMouse *mouse = gvtdmabuf_qemu_mouse_skeleton_new();
	GSocket *sock = g_socket_new_from_fd(sock_fd, NULL);
	GSocketConnection *stream = g_socket_connection_factory_create_connection(sock);
	char *guid = g_dbus_generate_guid();
	GDBusConnection *conn;
	const char *path = "/org/qemu/Display1/Console_0";

	conn = g_dbus_connection_new_sync(G_IO_STREAM(stream), guid,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER, NULL, NULL, NULL);
	if (!conn)
		_exit(1);
	gvtdmabuf_qemu_console_set_type_(con, "Graphic");
	gvtdmabuf_qemu_console_set_label(con, "fake");
	g_signal_connect(con, "handle-register-listener", G_CALLBACK(on_register), NULL);
	g_signal_connect(kbd, "handle-press", G_CALLBACK(on_key), NULL);
	g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(con), conn, path, NULL);
	g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(kbd), conn, path, NULL);
	g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(mouse), conn, path, NULL);
	g_unix_fd_add(cmd_fd, G_IO_IN | G_IO_HUP, on_command, NULL);
	g_main_loop_run(g_main_loop_new(NULL, FALSE));
	_exit(0);
}

/* ---- the consumer (parent) ---------------------------------------------- */

static int cmd_w, ack_r;

/* Run one step in the fake QEMU; its answer ('k' all as expected). */
static char
step(char c)
{
	char ack = '?';
	struct pollfd p = { .fd = ack_r, .events = POLLIN };

	if (write(cmd_w, &c, 1) != 1 || poll(&p, 1, 10000) != 1 || read(ack_r, &ack, 1) != 1)
		return '?';
	return ack;
}

static bool
pixels_are(struct gvtdmabuf_device *dev, const struct gvtdmabuf_plane_info *pi,
	   unsigned int b, uint32_t px, uint32_t py, unsigned int b2)
{
	const struct gvtdmabuf_dmabuf *db;
	const uint8_t *map;
	bool same = true;
	uint32_t x, y;

	/* mmap the fd the library hands out: read_linear() would ask a
	 * memfd for DMA_BUF_IOCTL_SYNC, which only dma-bufs answer. */
	if (gvtdmabuf_device_get_dmabuf(dev, pi, &db) < 0)
		return false;
	map = mmap(NULL, db->size, PROT_READ, MAP_SHARED, db->fd[0], 0);
	if (map == MAP_FAILED)
		return false;
	for (y = 0; y < pi->height && same; y++)
		for (x = 0; x < pi->width && same; x++) {
			bool in = x >= px && x < px + 2 && y >= py && y < py + 2;
			uint32_t v;

			memcpy(&v, map + db->offset[0] + (size_t)y * db->stride[0] + x * 4, 4);
			same = v == pattern(in ? b2 : b, x, y);
		}
	munmap((void *)map, db->size);
	return same;
}

static bool
damage_is(struct gvtdmabuf_device *dev, const struct gvtdmabuf_rect *want, size_t n_want)
{
	struct gvtdmabuf_rect r[8];
	size_t n = 0;

	return gvtdmabuf_device_get_damage(dev, r, 8, &n) == 0 && n == n_want &&
	       (n == 0 || memcmp(r, want, n * sizeof(r[0])) == 0);
}

static int
consumer(int sock_fd, pid_t child)
{
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info pi, pa;
	const struct gvtdmabuf_dmabuf *db;
	char err[GVTDMABUF_ERROR_MAX], name[32];
	struct pollfd p;
	struct stat st;
	uint32_t id_a;
	int r, efd, rfd;

	snprintf(name, sizeof(name), "qemu:fd=%d", sock_fd);
	r = gvtdmabuf_device_open(NULL, name, &dev, err, sizeof(err));
	if (!tap_check(r == 0, "open %s (peer-to-peer): %s", name, r ? err : "ok"))
		return 1;
	efd = gvtdmabuf_device_get_event_fd(dev);
	rfd = gvtdmabuf_device_get_request_fd(dev);
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && !pi.enabled, "no scanout yet: primary disabled");

	tap_check(step('A') == 'k', "fake QEMU: ScanoutDMABUF answered");
	p = (struct pollfd){ .fd = efd, .events = POLLIN };
	tap_check(poll(&p, 1, 0) == 1, "event fd fired on ScanoutDMABUF");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pa);
	tap_check(r == 0 && pa.enabled && pa.width == W && pa.height == H && pa.stride == STRIDE &&
	      pa.fourcc == DRM_FORMAT_XRGB8888 && pa.modifier == DRM_FORMAT_MOD_LINEAR &&
	      pa.dmabuf_id != 0 && pa.size == STRIDE * H,
	      "primary plane is the scanout: %ux%u stride %u id %u size %u",
	      pa.width, pa.height, pa.stride, pa.dmabuf_id, pa.size);
	id_a = pa.dmabuf_id;
	r = gvtdmabuf_device_get_dmabuf(dev, &pa, &db);
	{
		struct stat sent;

		tap_check(r == 0 && db->is_dmabuf && db->offset[0] == 0 && db->stride[0] == STRIDE &&
		      fstat(db->fd[0], &st) == 0 && fstat(memfd[0], &sent) == 0 &&
		      st.st_ino == sent.st_ino && st.st_dev == sent.st_dev,
		      "the fd handed over is the very buffer QEMU sent (same inode; is_dmabuf, offset 0, same stride)");
	}
	tap_check(pixels_are(dev, &pa, 0, 999, 999, 0), "its pixels are buffer 0's");
	tap_check(damage_is(dev, &(struct gvtdmabuf_rect){ 0, 0, W, H }, 1),
	      "a new scanout damages the whole surface");
	tap_check(damage_is(dev, NULL, 0), "damage is cleared by reading it");

	tap_check(step('u') == 'k', "fake QEMU: UpdateDMABUF answered");
	tap_check(damage_is(dev, (struct gvtdmabuf_rect[]){ { 1, 2, 3, 4 }, { 60, 40, 4, 8 } }, 2),
	      "UpdateDMABUF rectangles come out as damage, clipped to the surface");

	tap_check(step('B') == 'k', "fake QEMU: ScanoutDMABUF of a second buffer");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && pi.enabled && pi.dmabuf_id != id_a, "second buffer, second id (%u, %u)",
	      id_a, pi.dmabuf_id);
	tap_check(pixels_are(dev, &pi, 1, 999, 999, 1), "its pixels are buffer 1's");
	gvtdmabuf_device_flush_cache(dev);
	tap_check(gvtdmabuf_device_get_dmabuf(dev, &pa, &db) == -ESTALE,
	      "uncached, the first id is stale while buffer 1 is on screen");
	tap_check(step('A') == 'k', "fake QEMU: buffer 0 again");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && pi.dmabuf_id == id_a, "buffer 0 has its id back (%u): ids are per buffer",
	      pi.dmabuf_id);
	tap_check(pixels_are(dev, &pi, 0, 999, 999, 0), "its pixels are buffer 0's");
	tap_check(step('x') == 'k', "fake QEMU: ScanoutDMABUF without an fd or with an unknown format is refused");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && pi.dmabuf_id == id_a, "and the screen stays as it was");

	tap_check(step('c') == 'k', "fake QEMU: CursorDefine and MouseSet");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &pi);
	tap_check(r == 0 && pi.enabled && pi.width == 8 && pi.height == 8 &&
	      pi.fourcc == DRM_FORMAT_ARGB8888 && pi.hotspot_known && pi.x_hot == 1 &&
	      pi.y_hot == 2 && pi.x == -3 && pi.y == 20,
	      "cursor plane: 8x8 ARGB8888, hotspot 1,2, at -3,20 (got %ux%u hot %u,%u at %d,%d)",
	      pi.width, pi.height, pi.x_hot, pi.y_hot, pi.x, pi.y);
	{
		static uint32_t cb[64];
		uint32_t i;
		bool same = gvtdmabuf_device_get_dmabuf(dev, &pi, &db) == 0 &&
			    gvtdmabuf_dmabuf_read_linear(db, cb, 32) == 0 && !db->is_dmabuf;

		for (i = 0; same && i < 64; i++)
			same = cb[i] == pattern(3, i % 8, i / 8);
		tap_check(same, "cursor pixels are the shape QEMU sent (a memfd, not a dma-buf)");
	}
	tap_check(step('h') == 'k', "fake QEMU: MouseSet hides the cursor");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &pi);
	tap_check(r == 0 && !pi.enabled, "cursor plane disabled");

	tap_check(step('s') == 'k', "fake QEMU: Scanout with pixels (no GL)");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && pi.enabled && pi.width == 32 && pi.height == 16 && pi.stride == 128 &&
	      pi.dmabuf_id != id_a, "primary plane 32x16, packed stride 128, a new id");
	r = gvtdmabuf_device_get_dmabuf(dev, &pi, &db);
	tap_check(r == 0 && !db->is_dmabuf, "a Scanout becomes a memfd buffer (is_dmabuf false)");
	tap_check(pixels_are(dev, &pi, 4, 999, 999, 4), "its pixels are the ones sent, without the stride padding");
	id_a = pi.dmabuf_id;
	{
		uint32_t id_b;

		tap_check(step('s') == 'k', "fake QEMU: the same Scanout again (a full update)");
		r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
		id_b = pi.dmabuf_id;
		tap_check(r == 0 && id_b != id_a && pixels_are(dev, &pi, 4, 999, 999, 4),
		      "a full Scanout goes into the other memfd (ids %u, %u): the previous frame stays whole",
		      id_a, id_b);
		tap_check(step('s') == 'k', "fake QEMU: and once more");
		r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
		tap_check(r == 0 && pi.dmabuf_id == id_a, "the two memfds are taken in turn (id %u again)",
		      pi.dmabuf_id);
	}
	(void)damage_is(dev, NULL, 0);
	tap_check(step('p') == 'k', "fake QEMU: Update inside the surface answered, one outside refused");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && pi.dmabuf_id == id_a, "Update keeps the id");
	tap_check(pixels_are(dev, &pi, 4, 30, 14, 5), "Update rewrote exactly its rectangle");
	tap_check(damage_is(dev, &(struct gvtdmabuf_rect){ 30, 14, 2, 2 }, 1), "Update is damage");

	r = gvtdmabuf_device_send_key(dev, KEY_UP, true);
	tap_check(r == 0 && step('K') == 'k', "KEY_UP reaches QEMU as key number 0xc8");

	tap_check(step('d') == 'k', "fake QEMU: Disable");
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
	tap_check(r == 0 && !pi.enabled, "primary plane disabled");

	p = (struct pollfd){ .fd = rfd, .events = POLLIN };
	tap_check(poll(&p, 1, 0) == 0, "request fd quiet while the peer is there");
	step('q');
	waitpid(child, NULL, 0);
	tap_check(poll(&p, 1, 5000) == 1, "request fd fires when the peer vanishes");
	{
		uint64_t v;

		/* Its owner reads it (eventfd semantics): still gone. */
		tap_check(read(rfd, &v, sizeof(v)) == sizeof(v), "request fd read");
	}
	tap_check(gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi) == -ENODEV,
	      "query_plane is -ENODEV afterwards (not a disabled plane), also after the fd was read");
	tap_check(poll(&p, 1, 0) == 1, "and the request fd is readable again");
	gvtdmabuf_device_close(dev);
	return 0;
}

int
main(void)
{
	int sv[2], cmd[2], ack[2];
	pid_t child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Made before the fork: the consumer knows which buffers were sent. */
	memfd[0] = make_buffer(0);
	memfd[1] = make_buffer(1);
	if (memfd[0] < 0 || memfd[1] < 0)
		return 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(cmd, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0)
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(sv[0]);
		close(cmd[1]);
		close(ack[0]);
		ack_fd = ack[1];
		fake_qemu(sv[1], cmd[0]);
	}
	close(sv[1]);
	close(cmd[0]);
	close(ack[1]);
	cmd_w = cmd[1];
	ack_r = ack[0];
	consumer(sv[0], child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return tap_done();
}
