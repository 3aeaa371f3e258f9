/* SPDX-License-Identifier: MIT */
/*
 * ScanoutDMABUF from a real QEMU: run inside the 6.12 VM (run-dmabuf-vm.sh)
 * next to Debian 13's QEMU 10 with -display dbus,gl=on on vgem's render
 * node.  With GL, QEMU exports what it shows as a dma-buf; the library must
 * hand that dma-buf out, and its pixels must be QEMU's own picture of the
 * console (QMP screendump, a reference that nobody here wrote).  Prints TAP.
 *
 *   qemu-dmabuf-check QMP_SOCKET SCRATCH_DIR
 *
 * The D-Bus session bus comes from DBUS_SESSION_BUS_ADDRESS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "tap.h"

/* One QMP command; true when QEMU answered {"return": ...}. */
static bool
qmp(FILE *f, const char *cmd)
{
	char line[4096];

	fprintf(f, "%s\n", cmd);
	fflush(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "\"return\""))
			return true;
		if (strstr(line, "\"error\""))
			return false;
		/* an event: read on */
	}
	return false;
}

static FILE *
qmp_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[4096];
	FILE *f;
	int fd;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return NULL;
	f = fdopen(fd, "r+");
	if (!f || !fgets(line, sizeof(line), f) || !qmp(f, "{\"execute\": \"qmp_capabilities\"}"))
		return NULL;
	return f;
}

/* A binary PPM (P6, maxval 255) as 0x00RRGGBB words. */
static uint32_t *
read_ppm(const char *path, int *ret_w, int *ret_h)
{
	FILE *f = fopen(path, "rb");
	uint32_t *px = NULL;
	int w, h, mx, i;

	if (!f)
		return NULL;
	if (fscanf(f, "P6 %d %d %d", &w, &h, &mx) != 3 || mx != 255 || w < 1 || h < 1 ||
	    w > 8192 || h > 8192 || fgetc(f) == EOF)
		goto out;
	px = malloc((size_t)w * h * 4);
	for (i = 0; px && i < w * h; i++) {
		int r = fgetc(f), g = fgetc(f), b = fgetc(f);

		if (b == EOF) {
			free(px);
			px = NULL;
			break;
		}
		px[i] = (uint32_t)(r << 16 | g << 8 | b);
	}
	*ret_w = w;
	*ret_h = h;
out:
	fclose(f);
	return px;
}

/* A 32-bit pixel of the four RGB byte orders as 0x00RRGGBB. */
static bool
to_rgb(uint32_t fourcc, uint32_t v, uint32_t *ret)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		*ret = v & 0xffffff;
		return true;
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		*ret = (v & 0xff) << 16 | (v & 0xff00) | ((v >> 16) & 0xff);
		return true;
	default:
		return false;
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_plane_info pi = { 0 };
	const struct gvtdmabuf_dmabuf *db = NULL;
	char err[GVTDMABUF_ERROR_MAX], link[64], target[128] = "", ppm[512], cmd[700];
	struct gvtdmabuf_rect rects[8];
	size_t n, best = SIZE_MAX, total = 0;
	uint32_t *buf = NULL;
	double end;
	FILE *q = NULL;
	int r = -1, attempt;
	bool stable_seen = false;

	if (argc != 3) {
		fprintf(stderr, "usage: qemu-dmabuf-check QMP_SOCKET SCRATCH_DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(ppm, sizeof(ppm), "%s/screendump.ppm", argv[2]);
	end = now_s() + 120;
	while (now_s() < end) {
		r = gvtdmabuf_device_open(NULL, "qemu:", &dev, err, sizeof(err));
		if (r == 0)
			break;
		usleep(200000);
	}
	if (!tap_check(r == 0, "open qemu: (QEMU 10, -display dbus,gl=on): %s", r ? err : "ok"))
		goto out;
	/* SeaBIOS switches the VGA to text mode; wait for a scanout. */
	while (now_s() < end) {
		r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi);
		if (r == 0 && pi.enabled)
			break;
		usleep(200000);
	}
	if (!tap_check(pi.enabled, "primary plane enabled"))
		goto out;
	q = qmp_open(argv[1]);
	if (!tap_check(q != NULL, "QMP monitor %s", argv[1]))
		goto out;

	/* Compare when nothing changed between our read and QEMU's dump:
	 * no damage across both means both saw the same picture. */
	for (attempt = 0; attempt < 40 && best != 0; attempt++) {
		uint32_t *ref, x, y;
		int w, h;

		usleep(300000);
		(void)gvtdmabuf_device_get_damage(dev, rects, 8, &n);
		if (gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi) < 0 || !pi.enabled)
			continue;
		if (gvtdmabuf_device_get_dmabuf(dev, &pi, &db) < 0)
			continue;
		if (attempt == 0 || !target[0]) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", db->fd[0]);
			if (readlink(link, target, sizeof(target) - 1) < 0)
				target[0] = '\0';
		}
		free(buf);
		buf = malloc((size_t)pi.width * pi.height * 4);
		if (!buf || gvtdmabuf_dmabuf_read_linear(db, buf, pi.width * 4) < 0)
			continue;
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"%s\"}}", ppm);
		if (!qmp(q, cmd))
			continue;
		if (gvtdmabuf_device_get_damage(dev, rects, 8, &n) < 0 || n)
			continue;	/* the console changed meanwhile */
		ref = read_ppm(ppm, &w, &h);
		if (!ref)
			continue;
		stable_seen = true;
		if ((uint32_t)w == pi.width && (uint32_t)h == pi.height) {
			size_t bad = 0;

			for (y = 0; y < pi.height; y++)
				for (x = 0; x < pi.width; x++) {
					uint32_t v;

					if (!to_rgb(pi.fourcc, buf[y * pi.width + x], &v) ||
					    v != ref[y * w + x])
						bad++;
				}
			if (bad < best) {
				best = bad;
				total = (size_t)w * h;
			}
		}
		free(ref);
	}
	printf("# plane %ux%u fourcc 0x%08x modifier 0x%016llx stride %u, fd %s\n",
	       pi.width, pi.height, pi.fourcc, (unsigned long long)pi.modifier, pi.stride, target);
	tap_check(db && db->is_dmabuf && strncmp(target, "/dmabuf:", 8) == 0,
	      "the buffer is a real dma-buf from QEMU (is_dmabuf, fd %s)", target);
	tap_check(pi.modifier == DRM_FORMAT_MOD_LINEAR || gvtdmabuf_modifier_supported(pi.modifier),
	      "ScanoutDMABUF's modifier (0x%llx) is one the library reads",
	      (unsigned long long)pi.modifier);
	tap_check(stable_seen, "a moment without damage between our read and QEMU's screendump");
	tap_check(best == 0, "the dma-buf's pixels are QEMU's screendump, top row first (%zu of %zu differ at best)",
	      best == SIZE_MAX ? 0 : best, total);
out:
	if (q)
		fclose(q);
	free(buf);
	gvtdmabuf_device_close(dev);
	return tap_done();
}
