/* SPDX-License-Identifier: MIT */
/*
 * The qemu-dbus backend: a running VM's console through QEMU's D-Bus
 * display (-display dbus).  QEMU holds the vGPU for the VM's life, so this
 * is how a VM that runs is reached; the dma-buf it hands over with
 * ScanoutDMABUF is the one QEMU got from VFIO_DEVICE_GET_GFX_DMABUF.
 *
 * How it works: Console.RegisterListener hands QEMU one end of a socket
 * pair; QEMU runs a peer-to-peer D-Bus server on it and calls our
 * org.qemu.Display1.Listener object on every display change.  The calls
 * arrive in a GMainContext of our own, iterated by a private thread, so
 * that a consumer that is slow (or blocked in its own poll) never stalls
 * QEMU: QEMU's GL path holds the guest's rendering until UpdateDMABUF is
 * answered, and its non-GL path queues Update messages without bound.  The
 * thread only records state under a lock and answers at once; the public
 * API reads that state like a VFIO plane query.
 *
 * Mapping onto the VFIO model:
 *   ScanoutDMABUF   primary plane, the fd as it came; the dmabuf_id is
 *                   stable per buffer (same dma-buf inode and geometry),
 *                   so a guest flipping between two buffers gives two ids.
 *   Scanout/Update  QEMU sends the pixels themselves (no GL): they go into
 *                   memfds of ours (is_dmabuf false), two per geometry
 *                   taken in turn by full scanouts (two ids, as a guest
 *                   flipping); Update rewrites its rectangle in place.
 *   CursorDefine    cursor plane, ARGB8888 in a memfd, a new id per shape.
 *   MouseSet        cursor position (the plane's top left, as QEMU's
 *                   display devices report it) and visibility.
 *   Disable         primary plane disabled.
 *   Update*DMABUF   damage rectangles (gvtdmabuf_device_get_damage()).
 * The event fd is written on each of them; the request fd when QEMU goes
 * away (its name loses its owner, or either connection closes), after
 * which every call answers -ENODEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <linux/input-event-codes.h>

#include "backend.h"
#include "qemu-display1.h"
#include "vfio-compat.h"

#define DEFAULT_BUS_NAME "org.qemu"
#define OBJ_PREFIX "/org/qemu/Display1/"
#define LISTENER_PATH OBJ_PREFIX "Listener"
#define MAX_DIM 16384
#define MAX_CURSOR 512
#define MAX_DAMAGE 64
/* Distinct dma-bufs whose ids are remembered (a guest flips among 2-3). */
#define N_KNOWN 8
/* How long open waits for QEMU's first scanout. */
#define FIRST_STATE_WAIT_US (2 * G_USEC_PER_SEC)

/* pixman format codes: PIXMAN_FORMAT(bpp, type, a, r, g, b) */
#define PIXMAN_FMT(bpp, type, a, r, g, b) \
	(((uint32_t)(bpp) << 24) | ((type) << 16) | ((a) << 12) | \
	 ((r) << 8) | ((g) << 4) | (b))
#define PIXMAN_TYPE_ARGB 2
#define PIXMAN_TYPE_ABGR 3
#define PIXMAN_TYPE_BGRA 8
#define PIXMAN_TYPE_RGBA 9

struct surface {
	bool enabled;
	int fd;			/* dma-buf (from QEMU) or memfd (ours) */
	bool is_dmabuf;
	uint8_t *map;		/* memfd only */
	uint32_t width, height, stride, fourcc, cpp, size, id;
	uint64_t modifier;
	bool y0_top;
};

struct known_buf {
	dev_t dev;
	ino_t ino;
	uint32_t width, height, stride, fourcc, id;
	uint64_t modifier;
};

struct qemu_backend {
	struct gvtdmabuf_backend base;

	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
	GDBusConnection *conn;		/* to QEMU: a bus, or peer-to-peer */
	GDBusConnection *peer;		/* QEMU's listener connection */
	GvtdmabufQemuConsole *console;
	GvtdmabufQemuKeyboard *kbd;
	GvtdmabufQemuMouse *mouse;
	GvtdmabufQemuListener *listener;
	guint name_watch;
	gulong conn_closed_id, peer_closed_id;
	int event_fd, request_fd;

	GMutex lock;	/* everything below; taken by both threads */
	GCond first_cond;	/* signalled with have_state */
	bool have_state;	/* QEMU said what is on screen */
	bool gone;
	struct surface primary;
	struct surface spare;	/* by-value scanouts: the other memfd */
	struct known_buf known[N_KNOWN];
	unsigned int known_next;
	uint32_t next_id;
	struct {
		bool defined, visible;
		int fd;
		uint32_t width, height, size, id;
		int32_t x, y, hot_x, hot_y;
		uint32_t *pixels;	/* to tell a repeated shape */
	} cursor;
	struct gvtdmabuf_rect damage[MAX_DAMAGE];
	size_t n_damage;
	bool damage_full;
};

static const struct gvtdmabuf_backend_ops qemu_ops;

static struct qemu_backend *
to_qemu(struct gvtdmabuf_backend *b)
{
	return (struct qemu_backend *)b;
}

static void
signal_fd(int fd)
{
	uint64_t one = 1;

	/* A full eventfd counter still reads as readable: nothing to do. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
	}
}

/* ---- state updates (listener thread, lock held) ------------------------- */

static void
surface_clear(struct surface *s)
{
	if (s->map)
		munmap(s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void
damage_add(struct qemu_backend *q, int32_t x, int32_t y, int32_t w, int32_t h)
{
	const struct surface *s = &q->primary;
	int64_t x0 = x, y0 = y, x1 = (int64_t)x + w, y1 = (int64_t)y + h;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > s->width)
		x1 = s->width;
	if (y1 > s->height)
		y1 = s->height;
	if (x1 <= x0 || y1 <= y0 || q->damage_full)
		return;
	if (q->n_damage == MAX_DAMAGE) {
		q->damage_full = true;
		return;
	}
	q->damage[q->n_damage++] = (struct gvtdmabuf_rect){
		(int32_t)x0, (int32_t)y0, (uint32_t)(x1 - x0), (uint32_t)(y1 - y0) };
}

static void
damage_all(struct qemu_backend *q)
{
	q->n_damage = 0;
	q->damage_full = true;
	q->have_state = true;
	g_cond_broadcast(&q->first_cond);
}

static uint32_t
new_id(struct qemu_backend *q)
{
	/* Ids only grow (as gvtsim's): an id the consumer still caches never
	 * names another buffer.  0 means "none" in the VFIO uAPI. */
	if (++q->next_id == 0)
		q->next_id = 1;
	return q->next_id;
}

static bool
pixman_to_fourcc(uint32_t pixman, uint32_t *ret_fourcc, uint32_t *ret_cpp)
{
	static const struct { uint32_t pixman, fourcc, cpp; } map[] = {
		{ PIXMAN_FMT(32, PIXMAN_TYPE_ARGB, 0, 8, 8, 8), DRM_FORMAT_XRGB8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_ARGB, 8, 8, 8, 8), DRM_FORMAT_ARGB8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_ABGR, 0, 8, 8, 8), DRM_FORMAT_XBGR8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_ABGR, 8, 8, 8, 8), DRM_FORMAT_ABGR8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_BGRA, 0, 8, 8, 8), DRM_FORMAT_BGRX8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_BGRA, 8, 8, 8, 8), DRM_FORMAT_BGRA8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_RGBA, 0, 8, 8, 8), DRM_FORMAT_RGBX8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_RGBA, 8, 8, 8, 8), DRM_FORMAT_RGBA8888, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_ARGB, 0, 10, 10, 10), DRM_FORMAT_XRGB2101010, 4 },
		{ PIXMAN_FMT(32, PIXMAN_TYPE_ABGR, 0, 10, 10, 10), DRM_FORMAT_XBGR2101010, 4 },
		{ PIXMAN_FMT(16, PIXMAN_TYPE_ARGB, 0, 5, 6, 5), DRM_FORMAT_RGB565, 2 },
		{ PIXMAN_FMT(16, PIXMAN_TYPE_ARGB, 0, 5, 5, 5), DRM_FORMAT_XRGB1555, 2 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(map); i++) {
		if (map[i].pixman == pixman) {
			*ret_fourcc = map[i].fourcc;
			*ret_cpp = map[i].cpp;
			return true;
		}
	}
	return false;
}

/* A memfd of @p size bytes, mapped; -errno. */
static int
memfd_new(const char *name, uint32_t size, uint8_t **ret_map)
{
	void *map;
	int fd, r;

	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) < 0) {
		r = -errno;
		goto error;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto error;
	}
	*ret_map = map;
	return fd;
error:
	close(fd);
	return r;
}

static uint32_t
page_align(uint64_t n)
{
	return (uint32_t)((n + 4095) & ~(uint64_t)4095);
}

static gboolean
reply_invalid(GDBusMethodInvocation *inv, const char *what)
{
	g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR,
		G_DBUS_ERROR_INVALID_ARGS, "gvtdmabuf: %s", what);
	return TRUE;
}

static gboolean
on_scanout(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
	   guint width, guint height, guint stride, guint pixman_format,
	   GVariant *data, gpointer user_data)
{
	struct qemu_backend *q = user_data;
	struct surface *s = &q->primary;
	uint32_t fourcc, cpp, row, y;
	const uint8_t *src;
	gsize len;
	uint8_t *map = NULL;
	int fd;

	if (!pixman_to_fourcc(pixman_format, &fourcc, &cpp))
		return reply_invalid(inv, "unsupported pixman format");
	src = g_variant_get_fixed_array(data, &len, 1);
	if (width < 1 || height < 1 || width > MAX_DIM || height > MAX_DIM ||
	    stride < width * cpp || stride > MAX_DIM * 8 ||
	    len < (gsize)stride * (height - 1) + width * cpp)
		return reply_invalid(inv, "scanout geometry does not fit its data");
	row = width * cpp;

	g_mutex_lock(&q->lock);
	if (!(s->enabled && !s->is_dmabuf && s->width == width &&
	      s->height == height && s->fourcc == fourcc))
		surface_clear(s);	/* a new mode: start afresh */
	/* Two memfds taken in turn, like a guest's two framebuffers: a full
	 * scanout goes into the one not on screen, so a consumer reading the
	 * previous frame is not torn by this one (one id per memfd). */
	if (!(q->spare.fd >= 0 && q->spare.width == width &&
	      q->spare.height == height && q->spare.fourcc == fourcc)) {
		struct surface *n = &q->spare;
		/* Our memfd is packed (stride = width * cpp): what QEMU's
		 * stride was does not matter once the rows are copied. */
		uint32_t size = page_align((uint64_t)row * height);

		surface_clear(n);
		fd = memfd_new("gvtdmabuf-qemu-scanout", size, &map);
		if (fd < 0) {
			g_mutex_unlock(&q->lock);
			g_dbus_method_invocation_return_error(inv, G_IO_ERROR,
				g_io_error_from_errno(-fd), "gvtdmabuf: no memory for the scanout");
			return TRUE;
		}
		n->enabled = true;
		n->fd = fd;
		n->map = map;
		n->is_dmabuf = false;
		n->width = width;
		n->height = height;
		n->stride = row;
		n->cpp = cpp;
		n->fourcc = fourcc;
		n->modifier = DRM_FORMAT_MOD_LINEAR;
		n->size = size;
		n->id = new_id(q);
	}
	{
		struct surface t = *s;

		*s = q->spare;
		q->spare = t;
	}
	for (y = 0; y < height; y++)
		memcpy(s->map + (size_t)y * s->stride, src + (size_t)y * stride, row);
	damage_all(q);
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_scanout(l, inv);
	return TRUE;
}

static gboolean
on_update(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
	  gint x, gint y, gint w, gint h, guint stride, guint pixman_format,
	  GVariant *data, gpointer user_data)
{
	struct qemu_backend *q = user_data;
	struct surface *s = &q->primary;
	uint32_t fourcc, cpp, row;
	const uint8_t *src;
	gsize len;
	gint i;

	src = g_variant_get_fixed_array(data, &len, 1);
	if (!pixman_to_fourcc(pixman_format, &fourcc, &cpp))
		return reply_invalid(inv, "unsupported pixman format");
	g_mutex_lock(&q->lock);
	if (!s->enabled || s->is_dmabuf || fourcc != s->fourcc || x < 0 || y < 0 ||
	    w < 1 || h < 1 || (uint32_t)x + (uint32_t)w > s->width ||
	    (uint32_t)y + (uint32_t)h > s->height ||
	    stride < (uint32_t)w * cpp ||
	    len < (gsize)stride * (h - 1) + (gsize)w * cpp) {
		g_mutex_unlock(&q->lock);
		return reply_invalid(inv, "update outside the scanout");
	}
	row = (uint32_t)w * cpp;
	for (i = 0; i < h; i++)
		memcpy(s->map + (size_t)(y + i) * s->stride + (size_t)x * cpp,
		       src + (size_t)i * stride, row);
	damage_add(q, x, y, w, h);
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_update(l, inv);
	return TRUE;
}

static gboolean
on_scanout_dmabuf(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
		  GUnixFDList *fd_list, GVariant *handle, guint width,
		  guint height, guint stride, guint fourcc, guint64 modifier,
		  gboolean y0_top, gpointer user_data)
{
	struct qemu_backend *q = user_data;
	struct surface *s = &q->primary;
	const struct gvtdmabuf_format_info *fi;
	struct known_buf *k = NULL;
	GError *err = NULL;
	struct stat st;
	off_t end;
	int fd;
	unsigned int i;

	fi = gvtdmabuf_format_lookup(fourcc);
	if (!fi || width < 1 || height < 1 || width > MAX_DIM ||
	    height > MAX_DIM || stride < width * fi->cpp)
		return reply_invalid(inv, "dma-buf format or geometry not handled");
	if (!fd_list)
		return reply_invalid(inv, "no dma-buf fd");
	fd = g_unix_fd_list_get(fd_list, g_variant_get_handle(handle), &err);
	if (fd < 0) {
		g_clear_error(&err);
		return reply_invalid(inv, "no dma-buf fd");
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return reply_invalid(inv, "dma-buf fd cannot be examined");
	}
	/* A dma-buf's size is its end; the offset is shared with the dups
	 * consumers get, so put it back. */
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	if (end <= 0 || end > UINT32_MAX)
		end = (off_t)stride * height;

	/* The same buffer again (a guest flipping between two or three):
	 * its id again.  dma-buf inode numbers are not reused while the
	 * kernel runs (a 64-bit counter since Linux 5.x). */
	g_mutex_lock(&q->lock);
	for (i = 0; i < N_KNOWN; i++) {
		struct known_buf *c = &q->known[i];

		if (c->id && c->dev == st.st_dev && c->ino == st.st_ino &&
		    c->width == width && c->height == height &&
		    c->stride == stride && c->fourcc == fourcc &&
		    c->modifier == modifier) {
			k = c;
			break;
		}
	}
	if (!k) {
		k = &q->known[q->known_next];
		q->known_next = (q->known_next + 1) % N_KNOWN;
		*k = (struct known_buf){ st.st_dev, st.st_ino, width, height,
					 stride, fourcc, new_id(q), modifier };
	}
	surface_clear(s);
	surface_clear(&q->spare);
	s->enabled = true;
	s->fd = fd;
	s->is_dmabuf = true;
	s->width = width;
	s->height = height;
	s->stride = stride;
	s->cpp = fi->cpp;
	s->fourcc = fourcc;
	s->modifier = modifier;
	s->size = (uint32_t)end;
	s->id = k->id;
	s->y0_top = y0_top;
	damage_all(q);
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_scanout_dmabuf(l, inv, NULL);
	return TRUE;
}

static gboolean
on_update_dmabuf(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
		 gint x, gint y, gint w, gint h, gpointer user_data)
{
	struct qemu_backend *q = user_data;

	/* Answer at once: QEMU holds the guest's GL rendering until it has
	 * the reply, whatever the consumer is doing. */
	g_mutex_lock(&q->lock);
	if (q->primary.enabled && q->primary.is_dmabuf)
		damage_add(q, x, y, w, h);
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_update_dmabuf(l, inv);
	return TRUE;
}

static gboolean
on_disable(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
	   gpointer user_data)
{
	struct qemu_backend *q = user_data;

	g_mutex_lock(&q->lock);
	surface_clear(&q->primary);
	surface_clear(&q->spare);
	damage_all(q);
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_disable(l, inv);
	return TRUE;
}

static gboolean
on_mouse_set(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
	     gint x, gint y, gint on, gpointer user_data)
{
	struct qemu_backend *q = user_data;

	g_mutex_lock(&q->lock);
	q->cursor.x = x;
	q->cursor.y = y;
	q->cursor.visible = on != 0;
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_mouse_set(l, inv);
	return TRUE;
}

static gboolean
on_cursor_define(GvtdmabufQemuListener *l, GDBusMethodInvocation *inv,
		 gint w, gint h, gint hot_x, gint hot_y, GVariant *data,
		 gpointer user_data)
{
	struct qemu_backend *q = user_data;
	const uint8_t *src;
	uint32_t bytes, size;
	uint32_t *pixels;
	uint8_t *map;
	gsize len;
	int fd;

	src = g_variant_get_fixed_array(data, &len, 1);
	if (w < 1 || h < 1 || w > MAX_CURSOR || h > MAX_CURSOR ||
	    len < (gsize)w * h * 4)
		return reply_invalid(inv, "cursor geometry does not fit its data");
	bytes = (uint32_t)w * (uint32_t)h * 4;

	g_mutex_lock(&q->lock);
	if (q->cursor.defined && q->cursor.width == (uint32_t)w &&
	    q->cursor.height == (uint32_t)h && q->cursor.hot_x == hot_x &&
	    q->cursor.hot_y == hot_y && memcmp(q->cursor.pixels, src, bytes) == 0)
		goto done;	/* the same shape again: keep its id */
	size = page_align(bytes);
	pixels = malloc(bytes);
	fd = pixels ? memfd_new("gvtdmabuf-qemu-cursor", size, &map) : -ENOMEM;
	if (fd < 0) {
		free(pixels);
		g_mutex_unlock(&q->lock);
		g_dbus_method_invocation_return_error(inv, G_IO_ERROR,
			g_io_error_from_errno(-fd), "gvtdmabuf: no memory for the cursor");
		return TRUE;
	}
	/* QEMU's cursor data are 32-bit ARGB words in host order: on a
	 * little-endian host that is DRM_FORMAT_ARGB8888's byte layout. */
	memcpy(map, src, bytes);
	memcpy(pixels, src, bytes);
	munmap(map, size);
	if (q->cursor.fd >= 0)
		close(q->cursor.fd);
	free(q->cursor.pixels);
	q->cursor.fd = fd;
	q->cursor.pixels = pixels;
	q->cursor.defined = true;
	q->cursor.width = (uint32_t)w;
	q->cursor.height = (uint32_t)h;
	q->cursor.size = size;
	q->cursor.hot_x = hot_x;
	q->cursor.hot_y = hot_y;
	q->cursor.id = new_id(q);
done:
	g_mutex_unlock(&q->lock);
	signal_fd(q->event_fd);
	gvtdmabuf_qemu_listener_complete_cursor_define(l, inv);
	return TRUE;
}

/* QEMU went away: its bus name lost its owner or a connection closed. */
static void
mark_gone(struct qemu_backend *q)
{
	bool was;

	g_mutex_lock(&q->lock);
	was = q->gone;
	q->gone = true;
	q->have_state = true;
	g_cond_broadcast(&q->first_cond);
	g_mutex_unlock(&q->lock);
	if (!was) {
		signal_fd(q->request_fd);
		signal_fd(q->event_fd);
	}
}

static void
on_closed(GDBusConnection *c, gboolean remote_peer_vanished, GError *error,
	  gpointer user_data)
{
	mark_gone(user_data);
}

static void
on_name_vanished(GDBusConnection *c, const gchar *name, gpointer user_data)
{
	mark_gone(user_data);
}

static gboolean
quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static gpointer
loop_thread(gpointer data)
{
	struct qemu_backend *q = data;

	g_main_context_push_thread_default(q->ctx);
	g_main_loop_run(q->loop);
	g_main_context_pop_thread_default(q->ctx);
	return NULL;
}

/* ---- errors ------------------------------------------------------------- */

static int
gerror_to_errno(struct qemu_backend *q, const GError *err)
{
	char *remote;
	int r = -EIO;

	if (q) {
		bool gone;

		g_mutex_lock(&q->lock);
		gone = q->gone;
		g_mutex_unlock(&q->lock);
		if (gone)
			return -ENODEV;
	}
	if (!err)
		return -EIO;
	/* QEMU's own errors (org.qemu.Display1.Error.{Failed,Invalid,
	 * Unsupported}) arrive as G_IO_ERROR_DBUS_ERROR: GIO knows no
	 * domain for them. */
	remote = g_dbus_error_get_remote_error(err);
	if (remote) {
		if (g_str_has_prefix(remote, "org.qemu.")) {
			if (g_str_has_suffix(remote, ".Invalid"))
				r = -EINVAL;
			else if (g_str_has_suffix(remote, ".Unsupported"))
				r = -ENOTSUP;
			g_free(remote);
			return r;
		}
		g_free(remote);
	}
	if (err->domain == G_IO_ERROR) {
		switch (err->code) {
		case G_IO_ERROR_CLOSED:
		case G_IO_ERROR_BROKEN_PIPE:
			return -ENODEV;
		case G_IO_ERROR_NOT_FOUND:
			return -ENOENT;
		case G_IO_ERROR_PERMISSION_DENIED:
			return -EACCES;
		case G_IO_ERROR_TIMED_OUT:
			return -ETIMEDOUT;
		case G_IO_ERROR_CONNECTION_REFUSED:
			return -ECONNREFUSED;
		default:
			return -EIO;
		}
	}
	if (err->domain != G_DBUS_ERROR)
		return -EIO;
	switch (err->code) {
	case G_DBUS_ERROR_SERVICE_UNKNOWN:
	case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
	case G_DBUS_ERROR_NO_REPLY:
	case G_DBUS_ERROR_DISCONNECTED:
		return -ENODEV;
	case G_DBUS_ERROR_UNKNOWN_METHOD:
	case G_DBUS_ERROR_UNKNOWN_INTERFACE:
	case G_DBUS_ERROR_UNKNOWN_OBJECT:
	case G_DBUS_ERROR_NOT_SUPPORTED:
		return -ENOTSUP;
	case G_DBUS_ERROR_ACCESS_DENIED:
	case G_DBUS_ERROR_AUTH_FAILED:
		return -EACCES;
	case G_DBUS_ERROR_TIMEOUT:
	case G_DBUS_ERROR_TIMED_OUT:
		return -ETIMEDOUT;
	case G_DBUS_ERROR_INVALID_ARGS:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* ---- backend ops (caller's thread) ------------------------------------- */

static int
qemu_query_plane(struct gvtdmabuf_backend *b,
		 struct vfio_device_gfx_plane_info *info)
{
	struct qemu_backend *q = to_qemu(b);
	const struct surface *s = &q->primary;
	int r = 0;

	if (!(info->flags & VFIO_GFX_PLANE_TYPE_DMABUF) ||
	    (info->flags & ~(VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF)))
		return -EINVAL;
	if (info->drm_plane_type != DRM_PLANE_TYPE_PRIMARY &&
	    info->drm_plane_type != DRM_PLANE_TYPE_CURSOR)
		return -EINVAL;
	if (info->flags & VFIO_GFX_PLANE_TYPE_PROBE)
		return 0;

	g_mutex_lock(&q->lock);
	if (q->gone) {
		/* Keep the request fd readable for as long as the device is
		 * gone, even when its owner read it: that is how the device
		 * core tells this -ENODEV from a kernel's "plane off". */
		signal_fd(q->request_fd);
		r = -ENODEV;
		goto out;
	}
	info->drm_format = 0;
	info->dmabuf_id = 0;
	if (info->drm_plane_type == DRM_PLANE_TYPE_PRIMARY) {
		if (!s->enabled)
			goto out;
		info->drm_format = s->fourcc;
		info->drm_format_mod = s->modifier;
		info->width = s->width;
		info->height = s->height;
		info->stride = s->stride;
		info->size = s->size;
		info->x_pos = 0;
		info->y_pos = 0;
		info->x_hot = 0xFFFFFFFFu;
		info->y_hot = 0xFFFFFFFFu;
		info->dmabuf_id = s->id;
	} else {
		if (!q->cursor.defined || !q->cursor.visible)
			goto out;
		info->drm_format = DRM_FORMAT_ARGB8888;
		info->drm_format_mod = DRM_FORMAT_MOD_LINEAR;
		info->width = q->cursor.width;
		info->height = q->cursor.height;
		info->stride = q->cursor.width * 4;
		info->size = q->cursor.size;
		info->x_pos = (uint32_t)q->cursor.x;
		info->y_pos = (uint32_t)q->cursor.y;
		info->x_hot = (uint32_t)q->cursor.hot_x;
		info->y_hot = (uint32_t)q->cursor.hot_y;
		info->dmabuf_id = q->cursor.id;
	}
out:
	g_mutex_unlock(&q->lock);
	return r;
}

static int
qemu_get_dmabuf(struct gvtdmabuf_backend *b, uint32_t dmabuf_id,
		bool *is_dmabuf, uint32_t *offset)
{
	struct qemu_backend *q = to_qemu(b);
	int fd, src = -1;
	bool dmabuf = false;

	g_mutex_lock(&q->lock);
	if (q->gone) {
		g_mutex_unlock(&q->lock);
		return -ENODEV;
	}
	if (dmabuf_id && q->primary.enabled && dmabuf_id == q->primary.id) {
		src = q->primary.fd;
		dmabuf = q->primary.is_dmabuf;
	} else if (dmabuf_id && q->cursor.defined && dmabuf_id == q->cursor.id) {
		src = q->cursor.fd;
	}
	fd = src >= 0 ? fcntl(src, F_DUPFD_CLOEXEC, 3) : -1;
	if (src >= 0 && fd < 0)
		fd = -errno;
	else if (src < 0)
		fd = -EINVAL;	/* as i915 for an id it does not know */
	g_mutex_unlock(&q->lock);
	if (fd >= 0) {
		*is_dmabuf = dmabuf;
		*offset = 0;
	}
	return fd;
}

static int
qemu_get_event_fd(struct gvtdmabuf_backend *b)
{
	return to_qemu(b)->event_fd;
}

static int
qemu_get_request_fd(struct gvtdmabuf_backend *b)
{
	return to_qemu(b)->request_fd;
}

static int
qemu_get_damage(struct gvtdmabuf_backend *b, struct gvtdmabuf_rect *rects,
		size_t max, size_t *ret_n)
{
	struct qemu_backend *q = to_qemu(b);
	size_t n = 0;
	int r = 0;

	g_mutex_lock(&q->lock);
	if (q->gone) {
		r = -ENODEV;
		goto out;
	}
	if (q->primary.enabled &&
	    (q->damage_full || q->n_damage > max)) {
		rects[0] = (struct gvtdmabuf_rect){ 0, 0, q->primary.width,
						    q->primary.height };
		n = 1;
	} else if (q->primary.enabled) {
		n = q->n_damage;
		memcpy(rects, q->damage, n * sizeof(rects[0]));
	}
	q->n_damage = 0;
	q->damage_full = false;
	*ret_n = n;
out:
	g_mutex_unlock(&q->lock);
	return r;
}

/* Linux evdev key code to QEMU's key number (PC set 1; 0xe0 keys | 0x80).
 * Codes 1..88 are the set 1 scancodes themselves (KEY_ESC..KEY_F12, with
 * the gaps below); the rest are listed. */
static int
evdev_to_qnum(uint32_t code)
{
	static const struct { uint16_t evdev, qnum; } ext[] = {
		{ KEY_KPENTER, 0x9c }, { KEY_RIGHTCTRL, 0x9d },
		{ KEY_KPSLASH, 0xb5 }, { KEY_SYSRQ, 0x54 },
		{ KEY_RIGHTALT, 0xb8 }, { KEY_HOME, 0xc7 }, { KEY_UP, 0xc8 },
		{ KEY_PAGEUP, 0xc9 }, { KEY_LEFT, 0xcb }, { KEY_RIGHT, 0xcd },
		{ KEY_END, 0xcf }, { KEY_DOWN, 0xd0 }, { KEY_PAGEDOWN, 0xd1 },
		{ KEY_INSERT, 0xd2 }, { KEY_DELETE, 0xd3 }, { KEY_MUTE, 0xa0 },
		{ KEY_VOLUMEDOWN, 0xae }, { KEY_VOLUMEUP, 0xb0 },
		{ KEY_PAUSE, 0xc6 }, { KEY_LEFTMETA, 0xdb },
		{ KEY_RIGHTMETA, 0xdc }, { KEY_COMPOSE, 0xdd },
		{ KEY_PRINT, 0xb7 },
	};
	size_t i;

	if (code >= KEY_ESC && code <= KEY_KPDOT)
		return (int)code;
	if (code == KEY_102ND || code == KEY_F11 || code == KEY_F12)
		return (int)code;
	for (i = 0; i < G_N_ELEMENTS(ext); i++)
		if (ext[i].evdev == code)
			return ext[i].qnum;
	return -EINVAL;
}

static int
qemu_send_key(struct gvtdmabuf_backend *b, uint32_t code, bool pressed)
{
	struct qemu_backend *q = to_qemu(b);
	GError *err = NULL;
	int qnum = evdev_to_qnum(code), r = 0;
	gboolean ok;

	if (qnum < 0)
		return qnum;
	if (pressed)
		ok = gvtdmabuf_qemu_keyboard_call_press_sync(q->kbd, (guint)qnum, NULL, &err);
	else
		ok = gvtdmabuf_qemu_keyboard_call_release_sync(q->kbd, (guint)qnum, NULL, &err);
	if (!ok) {
		r = gerror_to_errno(q, err);
		g_error_free(err);
	}
	return r;
}

static int
qemu_send_pointer(struct gvtdmabuf_backend *b, bool absolute, int32_t x, int32_t y)
{
	struct qemu_backend *q = to_qemu(b);
	GError *err = NULL;
	gboolean ok;
	int r = 0;

	if (absolute)
		ok = gvtdmabuf_qemu_mouse_call_set_abs_position_sync(q->mouse,
			(guint)x, (guint)y, NULL, &err);
	else
		ok = gvtdmabuf_qemu_mouse_call_rel_motion_sync(q->mouse, x, y,
			NULL, &err);
	if (!ok) {
		r = gerror_to_errno(q, err);
		g_error_free(err);
	}
	return r;
}

static int
mouse_button(struct qemu_backend *q, guint button, bool pressed)
{
	GError *err = NULL;
	gboolean ok;
	int r = 0;

	if (pressed)
		ok = gvtdmabuf_qemu_mouse_call_press_sync(q->mouse, button, NULL, &err);
	else
		ok = gvtdmabuf_qemu_mouse_call_release_sync(q->mouse, button, NULL, &err);
	if (!ok) {
		r = gerror_to_errno(q, err);
		g_error_free(err);
	}
	return r;
}

static int
qemu_send_button(struct gvtdmabuf_backend *b, uint32_t button, bool pressed)
{
	/* QEMU's button values: 0 left, 1 middle, 2 right, 5 side, 6 extra */
	switch (button) {
	case BTN_LEFT:
		return mouse_button(to_qemu(b), 0, pressed);
	case BTN_MIDDLE:
		return mouse_button(to_qemu(b), 1, pressed);
	case BTN_RIGHT:
		return mouse_button(to_qemu(b), 2, pressed);
	case BTN_SIDE:
		return mouse_button(to_qemu(b), 5, pressed);
	case BTN_EXTRA:
		return mouse_button(to_qemu(b), 6, pressed);
	default:
		return -EINVAL;
	}
}

static int
qemu_send_wheel(struct gvtdmabuf_backend *b, int32_t steps)
{
	/* A notch is a press and release of button 3 (up) or 4 (down). */
	guint button = steps > 0 ? 3 : 4;
	int32_t i, n = steps > 0 ? steps : -steps;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		r = mouse_button(to_qemu(b), button, true);
		if (r == 0)
			r = mouse_button(to_qemu(b), button, false);
	}
	return r;
}

static int
qemu_request_resolution(struct gvtdmabuf_backend *b, uint32_t width,
			uint32_t height)
{
	struct qemu_backend *q = to_qemu(b);
	GError *err = NULL;
	int r = 0;

	/* The physical size goes into the guest's EDID: say 96 dpi. */
	if (!gvtdmabuf_qemu_console_call_set_uiinfo_sync(q->console,
			(guint16)(width * 254 / 960), (guint16)(height * 254 / 960),
			0, 0, width, height, NULL, &err)) {
		r = gerror_to_errno(q, err);
		g_error_free(err);
	}
	return r;
}

static void
qemu_destroy(struct gvtdmabuf_backend *b)
{
	struct qemu_backend *q = to_qemu(b);

	if (q->thread) {
		/* Quit from inside the loop: a g_main_loop_quit() before the
		 * thread reached g_main_loop_run() would be lost. */
		GSource *src = g_idle_source_new();

		g_source_set_callback(src, quit_loop, q->loop, NULL);
		g_source_attach(src, q->ctx);
		g_source_unref(src);
		g_thread_join(q->thread);
	}
	if (q->ctx)
		g_main_context_push_thread_default(q->ctx);
	if (q->name_watch)
		g_bus_unwatch_name(q->name_watch);
	if (q->listener) {
		g_signal_handlers_disconnect_by_data(q->listener, q);
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(q->listener));
		g_object_unref(q->listener);
	}
	if (q->peer) {
		if (q->peer_closed_id)
			g_signal_handler_disconnect(q->peer, q->peer_closed_id);
		/* Closing tells QEMU the listener is gone (it drops it and
		 * lifts the keys we held). */
		g_dbus_connection_close_sync(q->peer, NULL, NULL);
		g_object_unref(q->peer);
	}
	g_clear_object(&q->kbd);
	g_clear_object(&q->mouse);
	g_clear_object(&q->console);
	if (q->conn) {
		if (q->conn_closed_id)
			g_signal_handler_disconnect(q->conn, q->conn_closed_id);
		g_dbus_connection_close_sync(q->conn, NULL, NULL);
		g_object_unref(q->conn);
	}
	if (q->ctx) {
		/* Let pending idles and the unwatch's notify run out. */
		while (g_main_context_iteration(q->ctx, FALSE))
			;
		g_main_context_pop_thread_default(q->ctx);
		g_main_context_unref(q->ctx);
	}
	if (q->loop)
		g_main_loop_unref(q->loop);
	surface_clear(&q->primary);
	surface_clear(&q->spare);
	if (q->cursor.fd >= 0)
		close(q->cursor.fd);
	free(q->cursor.pixels);
	if (q->event_fd >= 0)
		close(q->event_fd);
	if (q->request_fd >= 0)
		close(q->request_fd);
	g_cond_clear(&q->first_cond);
	g_mutex_clear(&q->lock);
	free(q);
}

static const struct gvtdmabuf_backend_ops qemu_ops = {
	.name = "qemu-dbus",
	.query_plane = qemu_query_plane,
	.get_dmabuf = qemu_get_dmabuf,
	.get_event_fd = qemu_get_event_fd,
	.get_request_fd = qemu_get_request_fd,
	.destroy = qemu_destroy,
	.get_damage = qemu_get_damage,
	.send_key = qemu_send_key,
	.send_pointer = qemu_send_pointer,
	.send_button = qemu_send_button,
	.send_wheel = qemu_send_wheel,
	.request_resolution = qemu_request_resolution,
};

/* ---- the device name ---------------------------------------------------- */

struct qemu_spec {
	GBusType bus;		/* G_BUS_TYPE_NONE with address or fd */
	char *address;		/* bus=ADDRESS */
	int fd;			/* fd=N (peer-to-peer), else -1 */
	char *name;		/* name=BUSNAME */
	unsigned int console;
};

GVTDMABUF_EXPORT const char *
gvtdmabuf_qemu_spec_help(void)
{
	return
	"qemu[:OPTION,...]   a running VM's console through QEMU's D-Bus display\n"
	"                    (QEMU started with -display dbus)\n"
	"  session           QEMU on the session bus (the default)\n"
	"  system            QEMU on the system bus\n"
	"  bus=ADDRESS       QEMU on the bus at a D-Bus address, e.g. libvirt's\n"
	"                    private bus unix:path=/run/libvirt/qemu/dbus/...;\n"
	"                    takes the rest of the name, so it comes last\n"
	"  fd=N              a socket connected to QEMU's peer-to-peer display\n"
	"                    (-display dbus,p2p=yes, handed over with QMP add_client)\n"
	"  name=BUSNAME      the name QEMU owns (default org.qemu)\n"
	"  console=N         console number (default 0)\n"
	"  e.g. qemu:  qemu:system,console=1  qemu:bus=unix:path=/tmp/vm1-bus\n";
}

static int
parse_spec(const char *spec, struct qemu_spec *ret, char *errbuf, size_t errbuf_size)
{
	const char *p;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	ret->bus = G_BUS_TYPE_SESSION;
	ret->fd = -1;
	if (strcmp(spec, "qemu") == 0)
		goto done;
	p = spec + strlen("qemu:");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		unsigned long v;
		char *e;

		if (strncmp(p, "bus=", 4) == 0) {
			if (!p[4]) {
				gvtdmabuf_set_error(errbuf, errbuf_size,
					"%s: bus= needs a D-Bus address", spec);
				r = -EINVAL;
				goto out;
			}
			ret->bus = G_BUS_TYPE_NONE;
			ret->address = strdup(p + 4);
			if (!ret->address)
				r = -ENOMEM;
			goto done;	/* an address may hold commas */
		} else if (len == 7 && strncmp(p, "session", 7) == 0) {
			ret->bus = G_BUS_TYPE_SESSION;
		} else if (len == 6 && strncmp(p, "system", 6) == 0) {
			ret->bus = G_BUS_TYPE_SYSTEM;
		} else if (strncmp(p, "name=", 5) == 0 && len > 5) {
			free(ret->name);
			ret->name = strndup(p + 5, len - 5);
			if (!ret->name) {
				r = -ENOMEM;
				goto out;
			}
			if (!g_dbus_is_name(ret->name) || g_dbus_is_unique_name(ret->name)) {
				gvtdmabuf_set_error(errbuf, errbuf_size,
					"%s: '%s' is not a well-known D-Bus name", spec, ret->name);
				r = -EINVAL;
				goto out;
			}
		} else if ((strncmp(p, "console=", 8) == 0 && len > 8) ||
			   (strncmp(p, "fd=", 3) == 0 && len > 3)) {
			bool is_fd = p[0] == 'f';
			const char *num = p + (is_fd ? 3 : 8);

			errno = 0;
			v = strtoul(num, &e, 10);
			if (errno || e != p + len || *num == '-' || v > (is_fd ? INT_MAX : 4095)) {
				gvtdmabuf_set_error(errbuf, errbuf_size,
					"%s: bad number in '%.*s' (expected %s)", spec,
					(int)len, p, is_fd ? "an open file descriptor" :
					"a console number from 0 to 4095");
				r = -EINVAL;
				goto out;
			}
			if (is_fd) {
				ret->fd = (int)v;
				ret->bus = G_BUS_TYPE_NONE;
			} else {
				ret->console = (unsigned int)v;
			}
		} else {
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s: unknown option '%.*s' (options: session, system, "
				"bus=ADDRESS, fd=N, name=BUSNAME, console=N)", spec, (int)len, p);
			r = -EINVAL;
			goto out;
		}
		p += len;
		if (*p == ',')
			p++;
	}
done:
	if (r == 0 && ret->fd >= 0 && ret->name) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: a peer-to-peer connection (fd=) has no bus name: drop name=", spec);
		r = -EINVAL;
	}
out:
	if (r == -ENOMEM)
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: out of memory", spec);
	return r;
}

static const char *
bus_label(const struct qemu_spec *s)
{
	if (s->fd >= 0)
		return "peer-to-peer socket";
	if (s->address)
		return "bus at that address";
	return s->bus == G_BUS_TYPE_SYSTEM ? "system bus" : "session bus";
}

/* ---- open --------------------------------------------------------------- */

static int
connect_to_qemu(struct qemu_backend *q, const struct qemu_spec *s,
		const char *spec, char *errbuf, size_t errbuf_size)
{
	GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT;
	GSocketConnection *stream = NULL;
	GSocket *sock = NULL;
	GError *err = NULL;
	char *address = NULL;
	int fd = -1, r = 0;

	if (s->fd >= 0) {
		/* Keep the caller's fd: GSocket closes the one it owns. */
		fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			r = -errno;
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s: fd %d is not open: %s", spec, s->fd, strerror(-r));
			goto out;
		}
		sock = g_socket_new_from_fd(fd, &err);
		if (!sock) {
			close(fd);
			r = -ENOTSOCK;
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s: fd %d is not a socket: %s", spec, s->fd, err->message);
			goto out;
		}
		stream = g_socket_connection_factory_create_connection(sock);
		q->conn = g_dbus_connection_new_sync(G_IO_STREAM(stream), NULL, flags,
						     NULL, NULL, &err);
	} else {
		if (s->address) {
			address = g_strdup(s->address);
		} else {
			address = g_dbus_address_get_for_bus_sync(s->bus, NULL, &err);
			if (!address) {
				r = -ECONNREFUSED;
				gvtdmabuf_set_error(errbuf, errbuf_size,
					"%s: no %s: %s", spec, bus_label(s), err->message);
				goto out;
			}
		}
		/* A private connection: closing the device closes it, and no
		 * state is shared with the process's own bus singletons. */
		q->conn = g_dbus_connection_new_for_address_sync(address,
			flags | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, &err);
	}
	if (!q->conn) {
		r = gerror_to_errno(NULL, err);
		if (r == -EIO || r == -ENOENT)
			r = -ECONNREFUSED;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: cannot connect to the %s: %s", spec, bus_label(s), err->message);
		goto out;
	}
	g_dbus_connection_set_exit_on_close(q->conn, FALSE);
out:
	g_clear_error(&err);
	g_free(address);
	g_clear_object(&stream);
	g_clear_object(&sock);
	return r;
}

static int
register_listener(struct qemu_backend *q, const struct qemu_spec *s,
		  const char *spec, char *errbuf, size_t errbuf_size)
{
	GSocketConnection *stream = NULL;
	GUnixFDList *fds = NULL;
	GSocket *sock = NULL;
	GError *err = NULL;
	int sv[2] = { -1, -1 }, r = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: socketpair: %s", spec, strerror(-r));
		goto out;
	}
	fds = g_unix_fd_list_new_from_array(&sv[1], 1);	/* takes sv[1] */
	sv[1] = -1;
	if (!gvtdmabuf_qemu_console_call_register_listener_sync(q->console,
			g_variant_new_handle(0), fds, NULL, NULL, &err)) {
		r = gerror_to_errno(NULL, err);
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: QEMU refused the display listener: %s", spec, err->message);
		goto out;
	}
	sock = g_socket_new_from_fd(sv[0], &err);
	if (!sock) {
		r = -EIO;
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: %s", spec, err->message);
		goto out;
	}
	sv[0] = -1;
	stream = g_socket_connection_factory_create_connection(sock);
	/* QEMU is the server of this connection.  Hold the messages until
	 * the listener object is exported: QEMU asks for its properties at
	 * once. */
	q->peer = g_dbus_connection_new_sync(G_IO_STREAM(stream), NULL,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING, NULL, NULL, &err);
	if (!q->peer) {
		r = -EIO;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: the listener connection failed: %s", spec, err->message);
		goto out;
	}
	g_dbus_connection_set_exit_on_close(q->peer, FALSE);

	q->listener = gvtdmabuf_qemu_listener_skeleton_new();
	g_signal_connect(q->listener, "handle-scanout", G_CALLBACK(on_scanout), q);
	g_signal_connect(q->listener, "handle-update", G_CALLBACK(on_update), q);
	g_signal_connect(q->listener, "handle-scanout-dmabuf",
			 G_CALLBACK(on_scanout_dmabuf), q);
	g_signal_connect(q->listener, "handle-update-dmabuf",
			 G_CALLBACK(on_update_dmabuf), q);
	g_signal_connect(q->listener, "handle-disable", G_CALLBACK(on_disable), q);
	g_signal_connect(q->listener, "handle-mouse-set", G_CALLBACK(on_mouse_set), q);
	g_signal_connect(q->listener, "handle-cursor-define",
			 G_CALLBACK(on_cursor_define), q);
	{
		/* No optional listener interfaces (Unix/Win32 shared maps):
		 * QEMU then uses Scanout/Update and ScanoutDMABUF. */
		const char *const none[] = { NULL };

		gvtdmabuf_qemu_listener_set_interfaces(q->listener, none);
	}
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(q->listener),
					      q->peer, LISTENER_PATH, &err)) {
		r = -EIO;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: cannot export the listener: %s", spec, err->message);
		goto out;
	}
	q->peer_closed_id = g_signal_connect(q->peer, "closed", G_CALLBACK(on_closed), q);
	g_dbus_connection_start_message_processing(q->peer);
out:
	g_clear_error(&err);
	g_clear_object(&stream);
	g_clear_object(&sock);
	g_clear_object(&fds);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return r;
}

int
gvtdmabuf_qemu_open(const char *spec, struct gvtdmabuf_backend **ret_backend,
		    char *errbuf, size_t errbuf_size)
{
	struct qemu_backend *q = NULL;
	struct qemu_spec s;
	const char *name, *type;
	GError *err = NULL;
	char path[64];
	char *owner = NULL;
	bool pushed = false;
	int r;

	r = parse_spec(spec, &s, errbuf, errbuf_size);
	if (r < 0)
		goto out;
	name = s.fd >= 0 ? NULL : (s.name ? s.name : DEFAULT_BUS_NAME);
	snprintf(path, sizeof(path), OBJ_PREFIX "Console_%u", s.console);

	q = calloc(1, sizeof(*q));
	if (!q) {
		r = -ENOMEM;
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: out of memory", spec);
		goto out;
	}
	q->base.ops = &qemu_ops;
	g_mutex_init(&q->lock);
	g_cond_init(&q->first_cond);
	q->primary.fd = -1;
	q->spare.fd = -1;
	q->cursor.fd = -1;
	q->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->request_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->event_fd < 0 || q->request_fd < 0) {
		r = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: eventfd: %s", spec, strerror(-r));
		goto out;
	}
	/* Every object is made with our context as the thread default, so
	 * their signals and method calls are dispatched in it (and so in
	 * the private thread once it runs). */
	q->ctx = g_main_context_new();
	q->loop = g_main_loop_new(q->ctx, FALSE);
	g_main_context_push_thread_default(q->ctx);
	pushed = true;

	r = connect_to_qemu(q, &s, spec, errbuf, errbuf_size);
	if (r < 0)
		goto out;
	q->console = gvtdmabuf_qemu_console_proxy_new_sync(q->conn,
		G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, name, path, NULL, &err);
	if (!q->console) {
		r = gerror_to_errno(NULL, err);
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: %s", spec, err->message);
		goto out;
	}
	if (name) {
		owner = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(q->console));
		if (!owner) {
			r = -ENOENT;
			gvtdmabuf_set_error(errbuf, errbuf_size,
				"%s: nobody owns %s on the %s (is QEMU running with -display dbus?)",
				spec, name, bus_label(&s));
			goto out;
		}
	}
	type = gvtdmabuf_qemu_console_get_type_(q->console);
	if (!type) {
		r = -ENOENT;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: QEMU has no console %u (%s)", spec, s.console, path);
		goto out;
	}
	if (strcmp(type, "Graphic") != 0) {
		r = -ENOTTY;
		gvtdmabuf_set_error(errbuf, errbuf_size,
			"%s: console %u is a %s console, not a graphic one",
			spec, s.console, type);
		goto out;
	}
	q->kbd = gvtdmabuf_qemu_keyboard_proxy_new_sync(q->conn,
		G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, name, path, NULL, &err);
	if (q->kbd)
		q->mouse = gvtdmabuf_qemu_mouse_proxy_new_sync(q->conn,
			G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, name, path, NULL, &err);
	if (!q->kbd || !q->mouse) {
		r = gerror_to_errno(NULL, err);
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: %s", spec, err->message);
		goto out;
	}
	r = register_listener(q, &s, spec, errbuf, errbuf_size);
	if (r < 0)
		goto out;
	if (name)
		q->name_watch = g_bus_watch_name_on_connection(q->conn, name,
			G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_name_vanished, q, NULL);
	q->conn_closed_id = g_signal_connect(q->conn, "closed", G_CALLBACK(on_closed), q);

	g_main_context_pop_thread_default(q->ctx);
	pushed = false;
	q->thread = g_thread_try_new("gvtdmabuf-qemu", loop_thread, q, &err);
	if (!q->thread) {
		r = -EAGAIN;
		gvtdmabuf_set_error(errbuf, errbuf_size, "%s: no thread: %s", spec, err->message);
		goto out;
	}
	/* QEMU sends what is on screen as soon as the listener is there:
	 * wait for it (briefly: a console without a surface sends nothing),
	 * so that a query right after open sees the screen, as on VFIO. */
	{
		gint64 end = g_get_monotonic_time() + FIRST_STATE_WAIT_US;

		g_mutex_lock(&q->lock);
		while (!q->have_state)
			if (!g_cond_wait_until(&q->first_cond, &q->lock, end))
				break;
		g_mutex_unlock(&q->lock);
	}
	*ret_backend = &q->base;
	q = NULL;
out:
	if (pushed)
		g_main_context_pop_thread_default(q->ctx);
	if (q)
		qemu_destroy(&q->base);
	g_clear_error(&err);
	g_free(owner);
	free(s.address);
	free(s.name);
	return r;
}

/* ---- discovery ---------------------------------------------------------- */

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int
list_bus(GBusType bus, struct gvtdmabuf_qemu_display **list, size_t *n)
{
	GDBusConnection *c = NULL;
	GVariant *names = NULL;
	GVariant *arr = NULL;
	GVariantIter it;
	const char *nm;
	char *address;
	int r = 0;

	address = g_dbus_address_get_for_bus_sync(bus, NULL, NULL);
	if (address)
		c = g_dbus_connection_new_for_address_sync(address,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, NULL);
	if (!c)
		goto out;	/* no such bus here: nothing on it */
	names = g_dbus_connection_call_sync(c, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames",
		NULL, G_VARIANT_TYPE("(as)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	if (!names)
		goto out;
	arr = g_variant_get_child_value(names, 0);
	g_variant_iter_init(&it, arr);
	while (g_variant_iter_next(&it, "&s", &nm)) {
		struct gvtdmabuf_qemu_display *d, *grown;
		GVariant *props;
		GVariant *v;

		if (strcmp(nm, DEFAULT_BUS_NAME) != 0 && !g_str_has_prefix(nm, "org.qemu."))
			continue;
		props = g_dbus_connection_call_sync(c, nm, OBJ_PREFIX "VM",
			"org.freedesktop.DBus.Properties", "GetAll",
			g_variant_new("(s)", "org.qemu.Display1.VM"),
			G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
			5000, NULL, NULL);
		if (!props)
			continue;	/* another org.qemu.* service */
		grown = realloc(*list, (*n + 1) * sizeof(**list));
		if (!grown) {
			g_variant_unref(props);
			r = -ENOMEM;
			goto out;
		}
		*list = grown;
		d = &grown[(*n)++];
		memset(d, 0, sizeof(*d));
		copy_str(d->bus, sizeof(d->bus), bus == G_BUS_TYPE_SYSTEM ? "system" : "session");
		copy_str(d->bus_name, sizeof(d->bus_name), nm);
		if (strcmp(nm, DEFAULT_BUS_NAME) == 0)
			snprintf(d->device, sizeof(d->device), "qemu:%s", d->bus);
		else
			snprintf(d->device, sizeof(d->device), "qemu:%s,name=%s", d->bus, nm);
		v = g_variant_get_child_value(props, 0);
		{
			GVariant *val;

			val = g_variant_lookup_value(v, "Name", G_VARIANT_TYPE_STRING);
			if (val) {
				copy_str(d->vm_name, sizeof(d->vm_name), g_variant_get_string(val, NULL));
				g_variant_unref(val);
			}
			val = g_variant_lookup_value(v, "UUID", G_VARIANT_TYPE_STRING);
			if (val) {
				copy_str(d->vm_uuid, sizeof(d->vm_uuid), g_variant_get_string(val, NULL));
				g_variant_unref(val);
			}
			val = g_variant_lookup_value(v, "ConsoleIDs", G_VARIANT_TYPE("au"));
			if (val) {
				d->n_consoles = (unsigned int)g_variant_n_children(val);
				g_variant_unref(val);
			}
		}
		g_variant_unref(v);
		g_variant_unref(props);
	}
out:
	if (arr)
		g_variant_unref(arr);
	if (names)
		g_variant_unref(names);
	if (c) {
		g_dbus_connection_close_sync(c, NULL, NULL);
		g_object_unref(c);
	}
	g_free(address);
	return r;
}

GVTDMABUF_EXPORT int
gvtdmabuf_list_qemu_displays(struct gvtdmabuf_context *ctx,
			     struct gvtdmabuf_qemu_display **ret_list,
			     size_t *ret_n)
{
	struct gvtdmabuf_qemu_display *list = NULL;
	GMainContext *mc;
	size_t n = 0;
	int r;

	if (!ret_list || !ret_n)
		return -EINVAL;
	/* A context of our own: the caller's default one sees nothing. */
	mc = g_main_context_new();
	g_main_context_push_thread_default(mc);
	r = list_bus(G_BUS_TYPE_SESSION, &list, &n);
	if (r == 0)
		r = list_bus(G_BUS_TYPE_SYSTEM, &list, &n);
	while (g_main_context_iteration(mc, FALSE))
		;
	g_main_context_pop_thread_default(mc);
	g_main_context_unref(mc);
	if (r < 0) {
		free(list);
		return r;
	}
	*ret_list = list;
	*ret_n = n;
	return 0;
}
