/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the sim backend's ioctl argument checks and spec
 * parser: VFIO_DEVICE_QUERY_GFX_PLANE with any argsz / flags / plane type,
 * GET_GFX_DMABUF with any id, frame changes in any order.  Invariants: only
 * the errnos the uAPI allows, an enabled plane always has an id that
 * exports, a surface always lies inside what the exported fd holds, and no
 * fd leaks.
 *
 * Input layout:
 *   byte 0        spec tail length n (mod 48)
 *   bytes 1..n    spec options appended to "sim:256x160,clock=manual,"
 *                 (tokens starting with a digit are dropped: the mode
 *                 stays small so an input runs in microseconds)
 *   then records of 8 bytes: op, then 7 argument bytes
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-compat.h"

#define SPEC_PREFIX "sim:256x160,clock=manual,"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Build the spec: prefix + fuzzed options without mode words. */
static void build_spec(const uint8_t *data, size_t n, char *spec, size_t spec_size)
{
	char tail[64];
	char *tok, *save = NULL;
	size_t i;

	for (i = 0; i < n && i < sizeof(tail) - 1; i++)
		tail[i] = data[i] ? (char)data[i] : ',';
	tail[i] = '\0';

	snprintf(spec, spec_size, "%s", SPEC_PREFIX);
	for (tok = strtok_r(tail, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (tok[0] >= '0' && tok[0] <= '9')
			continue;
		strncat(spec, tok, spec_size - strlen(spec) - 2);
		strncat(spec, ",", spec_size - strlen(spec) - 1);
	}
	/* drop the trailing comma: an empty option is an error by design,
	 * and that path is covered by keeping a few of them below */
	if (spec[strlen(spec) - 1] == ',' && !(n & 1))
		spec[strlen(spec) - 1] = '\0';
}

static void run_ops(struct gvtdmabuf_backend *b, const uint8_t *data, size_t size)
{
	static const uint32_t types[] = { DRM_PLANE_TYPE_PRIMARY, DRM_PLANE_TYPE_CURSOR,
					  GVTSIM_GFX_PLANE_TYPE_SPRITE, 0, 3 };
	uint32_t last_id = 0, last_size = 0;
	size_t i;

	for (i = 0; i + 8 <= size; i += 8) {
		const uint8_t *a = data + i + 1;
		struct vfio_device_gfx_plane_info info;
		bool is_dmabuf;
		uint32_t offset;
		uint64_t frame;
		int r, fd;

		switch (data[i] % 5) {
		case 0:	/* query with fuzzed argsz / flags / plane */
			memset(&info, 0, sizeof(info));
			info.argsz = (a[0] & 0x80) ? le32(a + 1) : sizeof(info);
			info.flags = (a[0] & 0x40) ? a[5] : VFIO_GFX_PLANE_TYPE_DMABUF;
			info.drm_plane_type = (a[0] & 0x20) ? le32(a + 1) : types[a[6] % 5];
			r = b->ops->query_plane(b, &info);
			if (r != 0 && r != -EINVAL)
				abort();
			if (r == 0 && info.flags == VFIO_GFX_PLANE_TYPE_DMABUF) {
				if (!!info.drm_format != !!info.dmabuf_id ||
				    !!info.drm_format != !!info.size)
					abort();
				if (info.dmabuf_id) {
					last_id = info.dmabuf_id;
					last_size = info.size;
				}
			}
			break;
		case 1:	/* export the last id, or a fuzzed one */
			fd = b->ops->get_dmabuf(b, (a[0] & 1) ? le32(a + 1) : last_id,
						&is_dmabuf, &offset);
			if (fd < 0 && fd != -EINVAL)
				abort();
			if (fd < 0 && !(a[0] & 1) && last_id)
				abort();	/* a reported id must export */
			if (fd >= 0) {
				struct stat st;

				if (fstat(fd, &st))
					abort();
				if (!is_dmabuf && !(a[0] & 1) &&
				    (uint64_t)offset + last_size > (uint64_t)st.st_size)
					abort();
				close(fd);
			}
			break;
		case 2:
			if (gvtdmabuf_sim_backend_set_frame(b, le32(a) | (uint64_t)a[4] << 32))
				abort();
			break;
		case 3:
			if (gvtdmabuf_sim_backend_get_frame(b, &frame))
				abort();
			break;
		default:
			if (b->ops->get_event_fd(b) < 0 || b->ops->get_fd(b) != -ENOTSUP)
				abort();
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvtdmabuf_backend *b = NULL;
	char spec[160], err[GVTDMABUF_ERROR_MAX];
	size_t n;
	int fds, r;

	if (size < 1)
		return 0;
	n = data[0] % 48;
	if (n > size - 1)
		n = size - 1;
	build_spec(data + 1, n, spec, sizeof(spec));

	fds = count_fds();
	err[0] = '\0';
	r = gvtdmabuf_sim_open(spec, &b, err, sizeof(err));
	if (r) {
		/* bad specs say so, with a message */
		if (r != -EINVAL || !err[0] || b)
			abort();
	} else {
		run_ops(b, data + 1 + n, size - 1 - n);
		b->ops->destroy(b);
	}
	if (count_fds() != fds)
		abort();
	return 0;
}
