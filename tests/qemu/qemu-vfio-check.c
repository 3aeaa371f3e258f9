/* SPDX-License-Identifier: MIT */
/*
 * The product's path end to end: a gvtsim vGPU held by a real QEMU
 * (Debian 13's QEMU 10: -device vfio-pci,sysfsdev=...,display=on
 * -display dbus,gl=on) and read through libgvtdmabuf's "qemu:" device, in
 * the 6.12 VM (run-dmabuf-vm.sh ... vfio).  The guest is vguest, which
 * runs the guest model over the vGPU's BARs.  QEMU's vfio display exports
 * each surface with VFIO_DEVICE_GET_GFX_DMABUF and passes it on with
 * ScanoutDMABUF: the frames received must be dma-bufs of gvtsim's format,
 * carry increasing block codes and equal the guest model pixel for pixel.
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "tap.h"
#include "guest-model.h"

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
main(void)
{
	struct gvtdmabuf_device *dev = NULL;
	struct gvtsim_guest_config cfg;
	char err[GVTDMABUF_ERROR_MAX], link[64], target[128] = "";
	uint32_t *buf = NULL;
	uint64_t last = 0, deadline;
	int good = 0, bad = 0, r = -1, efd, i;
	bool dmabuf = true, increasing = true;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gvtsim_guest_config_default(&cfg);
	cfg.width = 640;
	cfg.height = 480;
	cfg.cursor_size = 64;
	for (i = 0; i < 600; i++) {
		r = gvtdmabuf_device_open(NULL, "qemu:", &dev, err, sizeof(err));
		if (r == 0)
			break;
		usleep(100000);
	}
	if (!tap_check(r == 0, "open qemu: (QEMU 10, vfio-pci display=on, -display dbus,gl=on): %s",
		   r ? err : "ok"))
		goto out;
	efd = gvtdmabuf_device_get_event_fd(dev);
	buf = malloc((size_t)cfg.width * cfg.height * 4);
	deadline = now_us() + 240000000ull;
	while (good < 4 && now_us() < deadline) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		struct gvtdmabuf_plane_info pi;
		const struct gvtdmabuf_dmabuf *db;
		uint64_t got, gt, v;
		size_t diff = 0;
		uint32_t x, y;

		if (poll(&p, 1, 500) == 1)
			while (read(efd, &v, sizeof(v)) == sizeof(v))
				;
		/* Before the guest's first flip QEMU shows a placeholder of
		 * its own (a GL texture, XBGR8888): wait for gvtsim's plane. */
		if (gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_PRIMARY, &pi) < 0 ||
		    !pi.enabled || pi.width != cfg.width || pi.height != cfg.height ||
		    pi.fourcc != DRM_FORMAT_XRGB8888 ||
		    gvtdmabuf_device_get_dmabuf(dev, &pi, &db) < 0)
			continue;
		if (!target[0]) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", db->fd[0]);
			if (readlink(link, target, sizeof(target) - 1) < 0)
				target[0] = '\0';
			printf("# plane %ux%u fourcc 0x%08x modifier 0x%llx stride %u, fd %s\n",
			       pi.width, pi.height, pi.fourcc, (unsigned long long)pi.modifier,
			       pi.stride, target);
		}
		if (!db->is_dmabuf)
			dmabuf = false;
		if ((r = gvtdmabuf_dmabuf_read_linear(db, buf, cfg.width * 4)) < 0) {
			printf("# read_linear: %s\n", strerror(-r));
			usleep(500000);
			continue;
		}
		if (gvtsim_guest_decode_blockcode(buf, cfg.width * 4, cfg.width, cfg.height, &got, &gt) < 0)
			continue;
		if (got == last)
			continue;
		for (y = 0; y < cfg.height; y++)
			for (x = 0; x < cfg.width; x++)
				if ((buf[y * cfg.width + x] ^
				     gvtsim_guest_expected_argb(&cfg, got, gt, x, y)) & 0xffffff)
					diff++;
		if (got < last)
			increasing = false;
		last = got;
		printf("# frame %llu: %zu pixels differ\n", (unsigned long long)got, diff);
		if (diff)
			bad++;
		else
			good++;
	}
	tap_check(good >= 4 && bad == 0,
	      "%d frames the guest flipped arrived through QEMU's vfio display, pixel-exact (%d differ)",
	      good, bad);
	tap_check(increasing, "their block codes increase (last %llu)", (unsigned long long)last);
	tap_check(good && dmabuf && strncmp(target, "/dmabuf:", 8) == 0,
	      "each is gvtsim's XRGB8888 dma-buf (ScanoutDMABUF of VFIO_DEVICE_GET_GFX_DMABUF's, fd %s)",
	      target);
out:
	gvtdmabuf_device_close(dev);
	free(buf);
	return tap_done();
}
