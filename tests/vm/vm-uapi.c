/* SPDX-License-Identifier: MIT */
/*
 * vm-uapi: gvtsim's VFIO display uAPI through raw VFIO, no library (only
 * gvtdmabuf_detile() to compare tiled pixels).  Runs inside the vm suite's
 * VM with gvtsim loaded: creates two vGPUs, drives them with the guest
 * model through VFIO region accesses, checks every rule of the uAPI
 * contract (DESIGN.md) and removes a vGPU while one of its dma-bufs is
 * still held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_fourcc.h>

#include "gvt-dmabuf/gvt-dmabuf.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "gvtsim_hw.h"
#include "vm-common.h"

#define UUID_A "d1b2a6c0-0000-4000-8000-0000000000a1"	/* GVTg_V5_4, Gen9 */
#define UUID_B "d1b2a6c0-0000-4000-8000-0000000000b1"	/* GVTg_V4_4, Gen8 */
#define UUID_C "d1b2a6c0-0000-4000-8000-0000000000c1"	/* GVTg_V5_2, Gen9, 4K */
#define UUID_R "d1b2a6c0-0000-4000-8000-0000000000e1"	/* GVTg_V5_4, device request */

#define PROBE_DMABUF (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF)

static char why[512];

static void check_import(int fd, const char *what);

static bool is_zero_plane(const struct vfio_device_gfx_plane_info *p)
{
	return p->drm_format == 0 && p->size == 0 && p->width == 0 && p->height == 0;
}

static void guest_config(struct gvtsim_guest_config *cfg, unsigned int gen, uint64_t modifier,
			 uint32_t w, uint32_t h)
{
	gvtsim_guest_config_default(cfg);
	cfg->gen = gen;
	cfg->modifier = modifier;
	cfg->width = w;
	cfg->height = h;
	cfg->n_buffers = 2;
	cfg->cursor_size = 64;
	cfg->sprite = true;
	cfg->fourcc = DRM_FORMAT_XRGB8888;
}

static bool start_guest(struct vm_display *d, const struct gvtsim_guest_config *cfg)
{
	int ret = vm_guest_start(d, cfg);

	if (ret)
		vm_fail("guest model starts %ux%u gen %u modifier 0x%llx: %s", cfg->width,
			cfg->height, cfg->gen, (unsigned long long)cfg->modifier, strerror(-ret));
	return ret == 0;
}

/* ---- sysfs and device info ---- */

static void test_types(void)
{
	static const char *const types[] = { "GVTg_V5_4", "GVTg_V5_2", "GVTg_V4_4" };
	char path[256], buf[256];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), VM_GVTSIM_TYPES "/gvtsim-%s/device_api", types[i]);
		vm_check(vm_sysfs_read(path, buf, sizeof(buf)) == 0 && !strcmp(buf, "vfio-pci"),
			 "type gvtsim-%s: device_api is vfio-pci", types[i]);
		snprintf(path, sizeof(path), VM_GVTSIM_TYPES "/gvtsim-%s/available_instances",
			 types[i]);
		vm_check(vm_sysfs_read(path, buf, sizeof(buf)) == 0 && atoi(buf) > 0,
			 "type gvtsim-%s: available_instances > 0 (%s)", types[i], buf);
		snprintf(path, sizeof(path), VM_GVTSIM_TYPES "/gvtsim-%s/description", types[i]);
		vm_check(vm_sysfs_read(path, buf, sizeof(buf)) == 0 && strstr(buf, "resolution"),
			 "type gvtsim-%s: description names the resolution", types[i]);
	}
}

static void test_device_info(int dev, unsigned int gen)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info *r;
	uint16_t ids[2] = { 0, 0 };
	uint8_t class[3] = { 0 };
	uint64_t want_gm = 64ull << 20;
	bool ok;

	if (!vm_check(ioctl(dev, VFIO_DEVICE_GET_INFO, &info) == 0, "gen%u: VFIO_DEVICE_GET_INFO", gen))
		return;
	vm_check(info.flags & VFIO_DEVICE_FLAGS_PCI, "gen%u: device flags say PCI (0x%x)", gen,
		 info.flags);
	vm_check(info.num_regions >= VFIO_PCI_NUM_REGIONS + 2,
		 "gen%u: num_regions %u >= VFIO_PCI_NUM_REGIONS + 2", gen, info.num_regions);
	vm_check(info.num_irqs == VFIO_PCI_NUM_IRQS + 1, "gen%u: num_irqs %u == VFIO_PCI_NUM_IRQS + 1",
		 gen, info.num_irqs);

	r = vm_region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX);
	if (vm_check(r != NULL, "gen%u: config region info", gen)) {
		/* Read first: vm_check()'s arguments are evaluated in any order. */
		ok = pread(dev, ids, 4, r->offset) == 4;
		vm_check(ok && ids[0] == GVTSIM_PCI_VENDOR_ID &&
			 ids[1] == (gen == 9 ? GVTSIM_PCI_DEVICE_ID_GEN9 : GVTSIM_PCI_DEVICE_ID_GEN8),
			 "gen%u: PCI config vendor:device %04x:%04x", gen, ids[0], ids[1]);
		ok = pread(dev, class, 3, r->offset + 9) == 3;
		vm_check(ok && class[2] == 0x03 && class[1] == 0x00,
			 "gen%u: PCI class is VGA (%02x%02x%02x)", gen, class[2], class[1], class[0]);
	}
	free(r);
	r = vm_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX);
	vm_check(r && r->size == GVTSIM_MMIO_SIZE &&
		 (r->flags & VFIO_REGION_INFO_FLAG_READ) && (r->flags & VFIO_REGION_INFO_FLAG_WRITE),
		 "gen%u: BAR0 is %u bytes, rw (size %llu flags 0x%x)", gen, GVTSIM_MMIO_SIZE,
		 r ? (unsigned long long)r->size : 0, r ? r->flags : 0);
	free(r);
	r = vm_region_info(dev, VFIO_PCI_BAR2_REGION_INDEX);
	vm_check(r && r->size == want_gm && (r->flags & VFIO_REGION_INFO_FLAG_MMAP),
		 "gen%u: BAR2 is 64 MiB and mmap-able (size %llu flags 0x%x)", gen,
		 r ? (unsigned long long)r->size : 0, r ? r->flags : 0);
	free(r);
}

/* The EDID header is accessed one 4-byte field at a time (as QEMU and
 * i915 GVT-g do). */
static int edid_read_header(int dev, uint64_t region, struct vfio_region_gfx_edid *h)
{
	uint32_t *f = (uint32_t *)h;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < sizeof(*h) / 4; i++)
		if (pread(dev, &f[i], 4, region + 4 * i) != 4)
			return -errno;
	return 0;
}

static void test_regions(int dev, unsigned int gen)
{
	const struct vfio_region_info_cap_type *ct;
	struct vfio_region_gfx_edid edid;
	struct vfio_region_info *r;
	char sig[17] = { 0 };
	bool ok;
	char junk[16] = "0123456789abcdef";

	r = vm_region_info(dev, VFIO_PCI_NUM_REGIONS + 0);
	if (vm_check(r != NULL, "gen%u: OpRegion region info (%s)", gen, r ? "ok" : strerror(errno))) {
		ct = (const void *)vm_region_cap(r, VFIO_REGION_INFO_CAP_TYPE);
		vm_check(ct && ct->type == ((uint32_t)VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086u) &&
			 ct->subtype == VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION,
			 "gen%u: OpRegion cap type 0x%x subtype %u", gen, ct ? ct->type : 0,
			 ct ? ct->subtype : 0);
		vm_check(r->size == 8192 && (r->flags & VFIO_REGION_INFO_FLAG_READ) &&
			 !(r->flags & VFIO_REGION_INFO_FLAG_WRITE),
			 "gen%u: OpRegion is 8 KiB read-only (size %llu flags 0x%x)", gen,
			 (unsigned long long)r->size, r->flags);
		ok = pread(dev, sig, 16, r->offset) == 16;
		vm_check(ok && !memcmp(sig, "IntelGraphicsMem", 16),
			 "gen%u: OpRegion signature \"%s\"", gen, sig);
		ok = pwrite(dev, junk, 16, r->offset) < 0;
		vm_check(ok, "gen%u: OpRegion write is refused (%s)", gen,
			 ok ? strerror(errno) : "accepted");
		memset(sig, 0, sizeof(sig));
		ok = pread(dev, sig, 16, r->offset) == 16;
		vm_check(ok && !memcmp(sig, "IntelGraphicsMem", 16),
			 "gen%u: OpRegion unchanged after the refused write (\"%s\")", gen, sig);
	}
	free(r);

	r = vm_region_info(dev, VFIO_PCI_NUM_REGIONS + 1);
	if (vm_check(r != NULL, "gen%u: EDID region info", gen)) {
		ct = (const void *)vm_region_cap(r, VFIO_REGION_INFO_CAP_TYPE);
		vm_check(ct && ct->type == VFIO_REGION_TYPE_GFX &&
			 ct->subtype == VFIO_REGION_SUBTYPE_GFX_EDID,
			 "gen%u: EDID cap type %u subtype %u", gen, ct ? ct->type : 0,
			 ct ? ct->subtype : 0);
		if (vm_check(edid_read_header(dev, r->offset, &edid) == 0,
			     "gen%u: EDID region header readable field by field", gen)) {
			vm_check(edid.edid_offset >= sizeof(edid) && edid.edid_max_size >= 128 &&
				 edid.edid_offset + edid.edid_max_size <= r->size,
				 "gen%u: EDID header offset %u max_size %u inside region of %llu", gen,
				 edid.edid_offset, edid.edid_max_size, (unsigned long long)r->size);
			vm_check(edid.max_xres == 1920 && edid.max_yres == 1080,
				 "gen%u: EDID max_xres x max_yres = %ux%u (type maximum 1920x1080)",
				 gen, edid.max_xres, edid.max_yres);
		}
	}
	free(r);
}

/* ---- the query rules ---- */

static void test_flags(int dev)
{
	static const struct { uint32_t flags; const char *name; } bad[] = {
		{ 0, "flags 0" },
		{ VFIO_GFX_PLANE_TYPE_REGION, "REGION" },
		{ VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION, "PROBE|REGION" },
		{ VFIO_GFX_PLANE_TYPE_PROBE, "PROBE alone" },
		{ VFIO_GFX_PLANE_TYPE_DMABUF | VFIO_GFX_PLANE_TYPE_REGION, "DMABUF|REGION" },
		{ PROBE_DMABUF | VFIO_GFX_PLANE_TYPE_REGION, "PROBE|DMABUF|REGION" },
		{ VFIO_GFX_PLANE_TYPE_DMABUF | (1u << 3), "DMABUF|unknown bit 3" },
		{ PROBE_DMABUF | (1u << 31), "PROBE|DMABUF|unknown bit 31" },
	};
	static const uint32_t bad_planes[] = { 0 /* overlay */, 3, 99 };
	struct vfio_device_gfx_plane_info p;
	unsigned int i;
	int ret;

	ret = vm_query(dev, PROBE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	vm_check(ret == 0, "QUERY_GFX_PLANE PROBE|DMABUF -> 0 (%s)", strerror(-ret));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = vm_query(dev, bad[i].flags, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == -EINVAL, "QUERY_GFX_PLANE %s -> -EINVAL (got %d)", bad[i].name, ret);
	}
	memset(&p, 0, sizeof(p));
	p.argsz = 8;
	p.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	p.drm_plane_type = DRM_PLANE_TYPE_PRIMARY;
	ret = ioctl(dev, VFIO_DEVICE_QUERY_GFX_PLANE, &p) < 0 ? -errno : 0;
	vm_check(ret == -EINVAL, "QUERY_GFX_PLANE argsz 8 -> -EINVAL (%d)", ret);
	memset(&p, 0, sizeof(p));
	p.argsz = offsetof(struct vfio_device_gfx_plane_info, dmabuf_id);
	p.flags = VFIO_GFX_PLANE_TYPE_DMABUF;
	p.drm_plane_type = DRM_PLANE_TYPE_PRIMARY;
	ret = ioctl(dev, VFIO_DEVICE_QUERY_GFX_PLANE, &p) < 0 ? -errno : 0;
	vm_check(ret == -EINVAL, "QUERY_GFX_PLANE argsz without dmabuf_id -> -EINVAL (%d)", ret);
	for (i = 0; i < 3; i++) {
		ret = vm_query(dev, VFIO_GFX_PLANE_TYPE_DMABUF, bad_planes[i], &p);
		vm_check(ret == -EINVAL, "QUERY_GFX_PLANE plane type %u -> -EINVAL (got %d)",
			 bad_planes[i], ret);
	}
}

static void test_no_pipe(int dev)
{
	static const uint32_t planes[] = { DRM_PLANE_TYPE_PRIMARY, DRM_PLANE_TYPE_CURSOR,
					   GVTSIM_GFX_PLANE_TYPE_SPRITE };
	struct vfio_device_gfx_plane_info p;
	unsigned int i;
	int ret;

	for (i = 0; i < 3; i++) {
		ret = vm_query(dev, VFIO_GFX_PLANE_TYPE_DMABUF, planes[i], &p);
		vm_check(ret == 0 && is_zero_plane(&p),
			 "no active pipe: plane 0x%x -> 0 with zeros (ret %d format 0x%x %ux%u size %u)",
			 planes[i], ret, p.drm_format, p.width, p.height, p.size);
	}
}

/* The exporter's mmap must not reach past the buffer. */
static void test_dmabuf_mmap_bounds(int fd, uint32_t size)
{
	size_t big = ((size_t)size + 4095) / 4096 * 4096 + 4096;
	void *m;

	m = mmap(NULL, big, PROT_READ, MAP_SHARED, fd, 0);
	vm_check(m == MAP_FAILED, "dma-buf mmap one page longer than the buffer is refused");
	if (m != MAP_FAILED)
		munmap(m, big);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, big - 4096);
	vm_check(m == MAP_FAILED, "dma-buf mmap at an offset past the buffer is refused");
	if (m != MAP_FAILED)
		munmap(m, 4096);
}

/* Primary query, ids, fresh fds, unknown id, disabled plane. */
static void test_ids(struct vm_display *d)
{
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p1, p2, p3, p4;
	struct stat st1, st2;
	int fd1, fd2, ret;

	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 640, 480);
	if (!start_guest(d, &cfg))
		return;
	vm_guest_show(d, 0);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p1);
	if (!vm_check(ret == 0, "primary query after the guest's first frame (%s)", strerror(-ret)))
		return;
	vm_check(p1.drm_format == DRM_FORMAT_XRGB8888 && p1.drm_format_mod == DRM_FORMAT_MOD_LINEAR &&
		 p1.width == 640 && p1.height == 480 && p1.stride == 640 * 4 &&
		 p1.size >= 640u * 4 * 480,
		 "primary: XRGB8888 linear 640x480 stride 2560 (got 0x%x mod 0x%llx %ux%u stride %u size %u)",
		 p1.drm_format, (unsigned long long)p1.drm_format_mod, p1.width, p1.height,
		 p1.stride, p1.size);
	vm_check(p1.dmabuf_id == 1, "first dmabuf_id is 1 (got %u)", p1.dmabuf_id);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p2);
	vm_check(ret == 0 && p2.dmabuf_id == p1.dmabuf_id,
		 "dmabuf_id stable while the surface is unchanged (%u, %u)", p1.dmabuf_id, p2.dmabuf_id);

	fd1 = vm_get_dmabuf(d->device, p1.dmabuf_id);
	fd2 = vm_get_dmabuf(d->device, p1.dmabuf_id);
	vm_check(fd1 >= 0 && fd2 >= 0 && fd1 != fd2 && fstat(fd1, &st1) == 0 && fstat(fd2, &st2) == 0,
		 "GET_GFX_DMABUF hands out a fresh fd each call (%d, %d)", fd1, fd2);
	if (fd1 >= 0 && fd2 >= 0) {
		vm_note("the two fds are %s dma-buf (inodes %lu, %lu)",
			st1.st_ino == st2.st_ino ? "the same" : "different",
			(unsigned long)st1.st_ino, (unsigned long)st2.st_ino);
		ret = vm_check_primary_pixels(fd1, &p1, &cfg, 0, why, sizeof(why));
		vm_check(ret == 0, "first fd: pixels of frame 0 exact (%s)", ret ? why : "ok");
		test_dmabuf_mmap_bounds(fd1, p1.size);
		close(fd1);
		ret = vm_check_primary_pixels(fd2, &p1, &cfg, 0, why, sizeof(why));
		vm_check(ret == 0, "second fd still valid after closing the first (%s)", ret ? why : "ok");
		close(fd2);
	} else {
		if (fd1 >= 0)
			close(fd1);
		if (fd2 >= 0)
			close(fd2);
	}
	ret = vm_get_dmabuf(d->device, 0xdeadbeef);
	vm_check(ret == -EINVAL || ret == -ENOENT, "GET_GFX_DMABUF unknown id -> -EINVAL/-ENOENT (%d)",
		 ret);
	if (ret >= 0)
		close(ret);

	vm_guest_show(d, 1);	/* the other buffer */
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p3);
	vm_check(ret == 0 && p3.dmabuf_id != 0 && p3.dmabuf_id != p1.dmabuf_id,
		 "flip to another buffer: new dmabuf_id (%u -> %u)", p1.dmabuf_id, p3.dmabuf_id);
	vm_guest_show(d, 2);	/* back to the first buffer */
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p4);
	vm_check(ret == 0 && p4.dmabuf_id == p1.dmabuf_id,
		 "flip back to the first buffer: its dmabuf_id again (%u, first %u)", p4.dmabuf_id,
		 p1.dmabuf_id);

	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 800, 600);
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 1);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p4);
		vm_check(ret == 0 && p4.width == 800 && p4.dmabuf_id != 0 &&
			 p4.dmabuf_id != p3.dmabuf_id && p4.dmabuf_id != p1.dmabuf_id,
			 "mode change: new dmabuf_id (%u -> %u, %ux%u)", p3.dmabuf_id, p4.dmabuf_id,
			 p4.width, p4.height);
	}

	/* Disabled cursor with the pipe on. */
	vm_reg_write(d, GVTSIM_CURACNTR, 0);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR, &p4);
	vm_check(ret == 0 && is_zero_plane(&p4),
		 "disabled cursor -> 0 with zeros (ret %d format 0x%x %ux%u)", ret, p4.drm_format,
		 p4.width, p4.height);
	vm_reg_write(d, GVTSIM_PLANE_CTL(1), 0);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p4);
	vm_check(ret == 0 && is_zero_plane(&p4),
		 "disabled primary -> 0 with zeros (ret %d format 0x%x %ux%u)", ret, p4.drm_format,
		 p4.width, p4.height);
}

static void test_pixels(struct vm_display *d, unsigned int gen, uint64_t modifier, const char *name)
{
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	uint64_t frame;
	int fd, ret;

	guest_config(&cfg, gen, modifier, 640, 480);
	if (!start_guest(d, &cfg))
		return;
	for (frame = 2; frame < 4; frame++) {
		vm_guest_show(d, frame);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		if (!vm_check(ret == 0 && p.drm_format_mod == modifier && p.width == 640 &&
			      p.height == 480,
			      "gen%u %s frame %llu: query says modifier 0x%llx %ux%u stride %u (ret %d)",
			      gen, name, (unsigned long long)frame,
			      (unsigned long long)p.drm_format_mod, p.width, p.height, p.stride, ret))
			continue;
		fd = vm_get_dmabuf(d->device, p.dmabuf_id);
		if (!vm_check(fd >= 0, "gen%u %s: GET_GFX_DMABUF (%d)", gen, name, fd))
			continue;
		ret = vm_check_primary_pixels(fd, &p, &cfg, frame, why, sizeof(why));
		vm_check(ret == 0, "gen%u %s frame %llu: pixels exact after detiling (%s)", gen, name,
			 (unsigned long long)frame, ret ? why : "ok");
		if (frame == 2) {
			char what[64];

			snprintf(what, sizeof(what), "gen%u %s", gen, name);
			check_import(fd, what);
		}
		close(fd);
	}
}

/* ---- a real importer: vgem (a DRM driver) takes the dma-buf through
 * PRIME, which attaches and maps it (the exporter's sg-table path). ---- */

static int vgem_fd = -1;

static void vgem_open(void)
{
	char name[16] = "";
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
	char path[32];
	int i, fd;

	for (i = 0; i < 8 && vgem_fd < 0; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && !strcmp(name, "vgem"))
			vgem_fd = fd;
		else
			close(fd);
	}
	if (vgem_fd < 0)
		vm_note("no vgem device: dma-buf import checks skipped");
}

/* Import @fd into vgem and release it again; 0 or -errno. */
static int vgem_import(int fd)
{
	struct drm_prime_handle h = { .fd = fd };
	struct drm_gem_close c = { 0 };

	if (ioctl(vgem_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &h) < 0)
		return -errno;
	c.handle = h.handle;
	if (ioctl(vgem_fd, DRM_IOCTL_GEM_CLOSE, &c) < 0)
		return -errno;
	return 0;
}

static void check_import(int fd, const char *what)
{
	int ret;

	if (vgem_fd < 0)
		return;
	ret = vgem_import(fd);
	vm_check(ret == 0, "%s: vgem imports the dma-buf (PRIME attach + map) (%s)", what,
		 strerror(-ret));
}

/* Every primary format the guest model paints, linear, and Yf tiling. */
static void test_formats(struct vm_display *d, unsigned int gen)
{
	static const struct { uint32_t fourcc; uint64_t modifier; const char *name; } fmts[] = {
		{ DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR, "ARGB8888" },
		{ DRM_FORMAT_XBGR8888, DRM_FORMAT_MOD_LINEAR, "XBGR8888" },
		{ DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR, "ABGR8888" },
		{ DRM_FORMAT_RGB565, DRM_FORMAT_MOD_LINEAR, "RGB565" },
		{ DRM_FORMAT_XRGB2101010, DRM_FORMAT_MOD_LINEAR, "XRGB2101010" },
		{ DRM_FORMAT_XBGR2101010, DRM_FORMAT_MOD_LINEAR, "XBGR2101010" },
		{ DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR, "YUYV" },
		{ DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_Yf_TILED, "XRGB8888 Yf-tiled" },
		{ DRM_FORMAT_RGB565, I915_FORMAT_MOD_X_TILED, "RGB565 X-tiled" },
	};
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	const char *bad;
	unsigned int i;
	int fd, ret;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		guest_config(&cfg, gen, fmts[i].modifier, 640, 480);
		cfg.fourcc = fmts[i].fourcc;
		if (gvtsim_guest_config_check(&cfg, &bad)) {
			vm_note("gen%u %s: not a mode of this hardware (%s)", gen, fmts[i].name, bad);
			continue;
		}
		if (!start_guest(d, &cfg))
			continue;
		vm_guest_show(d, 40 + i);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		if (!vm_check(ret == 0 && p.drm_format == cfg.fourcc &&
			      p.drm_format_mod == cfg.modifier && p.width == 640,
			      "gen%u %s: query says format 0x%08x modifier 0x%llx %ux%u (ret %d)", gen,
			      fmts[i].name, p.drm_format, (unsigned long long)p.drm_format_mod,
			      p.width, p.height, ret))
			continue;
		fd = vm_get_dmabuf(d->device, p.dmabuf_id);
		if (!vm_check(fd >= 0, "gen%u %s: GET_GFX_DMABUF (%d)", gen, fmts[i].name, fd))
			continue;
		ret = vm_check_primary_pixels(fd, &p, &cfg, 40 + i, why, sizeof(why));
		vm_check(ret == 0, "gen%u %s: pixels exact (%s)", gen, fmts[i].name, ret ? why : "ok");
		close(fd);
	}
}

static int check_plane_image(int dev, const struct vfio_device_gfx_plane_info *p, bool cursor,
			     const struct gvtsim_guest_config *cfg)
{
	uint32_t x, y, bad = 0, got = 0, want = 0;
	const uint32_t *px;
	void *map;
	int fd;

	fd = vm_get_dmabuf(dev, p->dmabuf_id);
	if (fd < 0) {
		snprintf(why, sizeof(why), "GET_GFX_DMABUF: %s", strerror(-fd));
		return -1;
	}
	map = mmap(NULL, p->size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, sizeof(why), "mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	for (y = 0; y < p->height; y++) {
		px = (const uint32_t *)((const uint8_t *)map + (size_t)y * p->stride);
		for (x = 0; x < p->width; x++) {
			uint32_t g = px[x], w;

			if (cursor) {
				w = gvtsim_guest_expected_cursor_pixel(cfg, x, y);
			} else {
				w = gvtsim_guest_expected_sprite_pixel(cfg, x, y) & 0xffffff;
				g &= 0xffffff;
			}
			if (g != w && !bad++) {
				got = g;
				want = w;
			}
		}
	}
	munmap(map, p->size);
	close(fd);
	if (bad) {
		snprintf(why, sizeof(why), "%u pixels differ, first 0x%08x expected 0x%08x", bad, got,
			 want);
		return -1;
	}
	return 0;
}

static void test_cursor_sprite(struct vm_display *d, unsigned int gen, uint32_t cursor_size)
{
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	int32_t ex, ey;
	uint64_t frame, neg = UINT64_MAX, pos = UINT64_MAX, shown = 0;
	int ret;

	guest_config(&cfg, gen, DRM_FORMAT_MOD_LINEAR, 640, 480);
	cfg.cursor_size = cursor_size;
	if (!start_guest(d, &cfg))
		return;
	for (frame = 0; frame < 100000 && (neg == UINT64_MAX || pos == UINT64_MAX); frame++) {
		gvtsim_guest_expected_cursor_pos(&cfg, frame, &ex, &ey);
		if ((ex < 0 || ey < 0) && neg == UINT64_MAX)
			neg = frame;
		if (ex > 0 && ey > 0 && pos == UINT64_MAX)
			pos = frame;
	}
	if (pos != UINT64_MAX) {
		vm_guest_show(d, pos);
		shown = pos;
		gvtsim_guest_expected_cursor_pos(&cfg, pos, &ex, &ey);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR, &p);
		vm_check(ret == 0 && p.drm_format == DRM_FORMAT_ARGB8888 && p.width == cursor_size &&
			 p.height == cursor_size && p.drm_format_mod == DRM_FORMAT_MOD_LINEAR &&
			 (int32_t)p.x_pos == ex && (int32_t)p.y_pos == ey,
			 "gen%u cursor: ARGB8888 %ux%u linear at (%d,%d), expected %ux%u at (%d,%d) (ret %d)",
			 gen, p.width, p.height, (int32_t)p.x_pos, (int32_t)p.y_pos, cursor_size,
			 cursor_size, ex, ey, ret);
		vm_check(p.x_hot == 0 && p.y_hot == 0,
			 "gen%u cursor hotspot 0,0 (no PV info hotspot, as i915): 0x%x,0x%x", gen,
			 p.x_hot, p.y_hot);
		if (ret == 0 && p.dmabuf_id) {
			ret = check_plane_image(d->device, &p, true, &cfg);
			vm_check(ret == 0, "gen%u %ux%u cursor image exact (%s)", gen, cursor_size,
				 cursor_size, ret ? why : "ok");
		}
	} else {
		vm_fail("guest model has a cursor position inside the screen");
	}
	if (neg != UINT64_MAX) {
		vm_guest_show(d, neg);
		shown = neg;
		gvtsim_guest_expected_cursor_pos(&cfg, neg, &ex, &ey);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR, &p);
		vm_check(ret == 0 && (int32_t)p.x_pos == ex && (int32_t)p.y_pos == ey,
			 "gen%u cursor partly off screen: position (%d,%d) keeps its sign, expected (%d,%d)",
			 gen, (int32_t)p.x_pos, (int32_t)p.y_pos, ex, ey);
	} else {
		vm_fail("guest model moves the cursor to a negative position");
	}

	/* The sprite where it is not at the origin. */
	for (frame = shown + 1; frame < shown + 1000; frame++) {
		gvtsim_guest_expected_sprite_pos(&cfg, frame, &ex, &ey);
		if (ex > 0 && ey > 0)
			break;
	}
	vm_guest_show(d, frame);
	shown = frame;
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, GVTSIM_GFX_PLANE_TYPE_SPRITE, &p);
	gvtsim_guest_expected_sprite_pos(&cfg, shown, &ex, &ey);
	if (vm_check(ret == 0 && p.width == GVTSIM_GUEST_SPRITE_WIDTH &&
		     p.height == GVTSIM_GUEST_SPRITE_HEIGHT &&
		     (p.drm_format == DRM_FORMAT_XRGB8888 || p.drm_format == DRM_FORMAT_ARGB8888) &&
		     (int32_t)p.x_pos == ex && (int32_t)p.y_pos == ey,
		     "gen%u sprite plane: %ux%u format 0x%x at (%d,%d), expected %ux%u at (%d,%d) (ret %d)",
		     gen, p.width, p.height, p.drm_format, (int32_t)p.x_pos, (int32_t)p.y_pos,
		     GVTSIM_GUEST_SPRITE_WIDTH, GVTSIM_GUEST_SPRITE_HEIGHT, ex, ey, ret)) {
		ret = check_plane_image(d->device, &p, false, &cfg);
		vm_check(ret == 0, "gen%u sprite image exact (%s)", gen, ret ? why : "ok");
	}
}

/* Guest-controlled values are hostile: the query refuses them, no oops. */
static void test_hostile(struct vm_display *d)
{
	static const struct {
		uint32_t reg, value;
		uint32_t plane;
		const char *name;
		uint32_t reg2, value2;	/* a second write, if reg2 */
	} cases[] = {
		{ GVTSIM_PLANE_SURF(1), 0xfffff000u, DRM_PLANE_TYPE_PRIMARY, "PLANE_SURF beyond BAR2" },
		{ GVTSIM_PLANE_SURF(1), (64u << 20) - 4096, DRM_PLANE_TYPE_PRIMARY,
		  "PLANE_SURF: surface runs past the end of BAR2" },
		{ GVTSIM_PLANE_STRIDE(1), GVTSIM_PLANE_STRIDE_MASK, DRM_PLANE_TYPE_PRIMARY,
		  "huge PLANE_STRIDE at 1920x1080: stride * height beyond BAR2",
		  GVTSIM_PIPEASRC, (1919u << 16) | 1079 },
		{ GVTSIM_PLANE_CTL(1), GVTSIM_PLANE_CTL_ENABLE | (0x7u << 24), DRM_PLANE_TYPE_PRIMARY,
		  "reserved PLANE_CTL format 0x7" },
		{ GVTSIM_PLANE_CTL(1), GVTSIM_PLANE_CTL_ENABLE | GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 |
		  (0x7u << 10), DRM_PLANE_TYPE_PRIMARY, "reserved PLANE_CTL tiling 0x7" },
		{ GVTSIM_PIPEASRC, (1920u << 16) | 1079, DRM_PLANE_TYPE_PRIMARY,
		  "PIPESRC 1921 wide, above the mode limit" },
		{ GVTSIM_PIPEASRC, 0x1fff1fffu, DRM_PLANE_TYPE_PRIMARY, "PIPESRC 8192x8192" },
		{ GVTSIM_CURABASE, 0xfffff000u, DRM_PLANE_TYPE_CURSOR, "CURBASE beyond BAR2" },
		{ GVTSIM_PLANE_SURF(2), 0xfffff000u, GVTSIM_GFX_PLANE_TYPE_SPRITE,
		  "sprite PLANE_SURF beyond BAR2" },
	};
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	unsigned int i;
	int ret, fd;

	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 640, 480);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!start_guest(d, &cfg))
			return;
		vm_guest_show(d, 5);
		vm_reg_write(d, cases[i].reg, cases[i].value);
		if (cases[i].reg2)
			vm_reg_write(d, cases[i].reg2, cases[i].value2);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, cases[i].plane, &p);
		vm_check(ret == -EINVAL || ret == -EFAULT,
			 "hostile %s -> -EINVAL/-EFAULT (got %d%s)", cases[i].name, ret,
			 ret == 0 && is_zero_plane(&p) ? ", a disabled plane" : "");
		if (ret == 0 && p.dmabuf_id) {
			fd = vm_get_dmabuf(d->device, p.dmabuf_id);
			if (fd >= 0)
				close(fd);
		}
	}
	/* Overflow: X tiling's largest stride times the largest height that
	 * still passes the mode check, at the very end of 32-bit space. */
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 5);
		vm_reg_write(d, GVTSIM_PLANE_CTL(1), GVTSIM_PLANE_CTL_ENABLE |
			     GVTSIM_PLANE_CTL_FORMAT_XRGB_8888 | GVTSIM_PLANE_CTL_TILED_X);
		vm_reg_write(d, GVTSIM_PLANE_STRIDE(1), GVTSIM_PLANE_STRIDE_MASK);
		vm_reg_write(d, GVTSIM_PIPEASRC, (1919u << 16) | 1079);
		vm_reg_write(d, GVTSIM_PLANE_SURF(1), 0xfffff000u);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == -EINVAL || ret == -EFAULT,
			 "hostile surface + stride * height past 4 GiB -> -EINVAL/-EFAULT (got %d)", ret);
	}
	/* The device still works afterwards. */
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 6);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == 0 && p.width == 640, "sane registers again: query answers (%d)", ret);
	}
	vm_check(d->io_errors == 0, "BAR0 register accesses all succeeded (%d failed)", d->io_errors);
}

/* ---- EDID ---- */

static void make_edid(uint8_t e[128], uint32_t w, uint32_t h)
{
	uint32_t hblank = 160, vblank = 30, sum = 0;
	uint32_t clock = (w + hblank) * (h + vblank) * 60 / 10000;	/* 10 kHz units */
	unsigned int i;

	memset(e, 0, 128);
	e[1] = e[2] = e[3] = e[4] = e[5] = e[6] = 0xff;
	e[8] = 0x1e;	/* "GVT" */
	e[9] = 0xd4;
	e[17] = 30;	/* 2020 */
	e[18] = 1;
	e[19] = 4;
	e[20] = 0xa5;
	e[21] = 53;
	e[22] = 30;
	e[23] = 0x78;
	e[24] = 0x06;
	for (i = 38; i < 54; i++)
		e[i] = 0x01;
	e[54] = clock & 0xff;
	e[55] = clock >> 8;
	e[56] = w & 0xff;
	e[57] = hblank & 0xff;
	e[58] = ((w >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf);
	e[59] = h & 0xff;
	e[60] = vblank & 0xff;
	e[61] = ((h >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf);
	e[62] = 48;
	e[63] = 32;
	e[64] = 3 << 4 | 5;
	e[71] = 0x1e;
	for (i = 72; i < 126; i += 18)
		e[i + 3] = 0x10;	/* dummy descriptors */
	for (i = 0; i < 127; i++)
		sum += e[i];
	e[127] = (256 - (sum & 0xff)) & 0xff;
}

static int edid_set(int dev, uint64_t region, uint32_t w, uint32_t h)
{
	struct vfio_region_gfx_edid hdr;
	uint32_t v;
	uint8_t blob[128];

	if (edid_read_header(dev, region, &hdr))
		return -errno;
	make_edid(blob, w, h);
	v = VFIO_DEVICE_GFX_LINK_STATE_DOWN;
	if (pwrite(dev, &v, 4, region + offsetof(struct vfio_region_gfx_edid, link_state)) != 4)
		return -errno;
	if (pwrite(dev, blob, sizeof(blob), region + hdr.edid_offset) != sizeof(blob))
		return -errno;
	v = sizeof(blob);
	if (pwrite(dev, &v, 4, region + offsetof(struct vfio_region_gfx_edid, edid_size)) != 4)
		return -errno;
	v = VFIO_DEVICE_GFX_LINK_STATE_UP;
	if (pwrite(dev, &v, 4, region + offsetof(struct vfio_region_gfx_edid, link_state)) != 4)
		return -errno;
	return 0;
}

static void test_edid(struct vm_display *d)
{
	struct vfio_region_info *r = vm_region_info(d->device, VFIO_PCI_NUM_REGIONS + 1);
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	uint32_t mm, hp, win[2];
	int ret;

	if (!vm_check(r != NULL, "EDID region for the resize test"))
		return;
	vm_note("MAX_MODE before any EDID: %ux%u, HOTPLUG 0x%x",
		vm_reg_read(d, GVTSIM_REG_MAX_MODE) >> 16, vm_reg_read(d, GVTSIM_REG_MAX_MODE) & 0xffff,
		vm_reg_read(d, GVTSIM_REG_HOTPLUG));
	vm_reg_write(d, GVTSIM_REG_HOTPLUG, GVTSIM_HOTPLUG_EVENT);

	ret = edid_set(d->device, r->offset, 1024, 768);
	vm_check(ret == 0, "EDID with preferred mode 1024x768 written (link down, blob, size, up) (%s)",
		 strerror(-ret));
	mm = vm_reg_read(d, GVTSIM_REG_MAX_MODE);
	vm_check(mm == (1024u << 16 | 768), "guest sees MAX_MODE 1024x768 (0x%08x)", mm);
	hp = vm_reg_read(d, GVTSIM_REG_HOTPLUG);
	vm_check((hp & GVTSIM_HOTPLUG_CONNECTED) && (hp & GVTSIM_HOTPLUG_EVENT),
		 "guest sees HOTPLUG connected + event (0x%x)", hp);
	vm_reg_write(d, GVTSIM_REG_HOTPLUG, GVTSIM_HOTPLUG_EVENT);
	hp = vm_reg_read(d, GVTSIM_REG_HOTPLUG);
	vm_check((hp & GVTSIM_HOTPLUG_CONNECTED) && !(hp & GVTSIM_HOTPLUG_EVENT),
		 "writing 1 clears the hotplug event (0x%x)", hp);
	vm_check(vm_reg_read(d, GVTSIM_REG_EDID_SIZE) == 128, "guest sees EDID_SIZE 128");
	win[0] = vm_reg_read(d, GVTSIM_REG_EDID_WINDOW);
	win[1] = vm_reg_read(d, GVTSIM_REG_EDID_WINDOW + 4);
	vm_check(win[0] == 0xffffff00u && win[1] == 0x00ffffffu,
		 "guest reads the EDID header through the window (%08x %08x)", win[0], win[1]);

	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 1280, 720);
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 7);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == -EINVAL, "mode 1280x720 above the EDID's 1024x768 -> -EINVAL (%d)", ret);
	}
	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 1024, 768);
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 7);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == 0 && p.width == 1024 && p.height == 768,
			 "mode 1024x768 at the EDID's limit is accepted (%d, %ux%u)", ret, p.width,
			 p.height);
	}
	ret = edid_set(d->device, r->offset, 2560, 1440);
	mm = vm_reg_read(d, GVTSIM_REG_MAX_MODE);
	vm_check(ret == 0 && mm == (1920u << 16 | 1080),
		 "EDID preferring 2560x1440 is clamped to the type's 1920x1080 (0x%08x)", mm);
	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 1280, 720);
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 8);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		vm_check(ret == 0 && p.width == 1280, "1280x720 accepted again after the larger EDID (%d)",
			 ret);
	}
	free(r);
}

/* A broken EDID must not replace the current one. */
static void test_edid_hostile(struct vm_display *d)
{
	struct vfio_region_info *r = vm_region_info(d->device, VFIO_PCI_NUM_REGIONS + 1);
	struct vfio_region_gfx_edid hdr;
	uint32_t before, v, off_size, off_link;
	uint8_t blob[128];
	bool ok;

	if (!vm_check(r && edid_read_header(d->device, r->offset, &hdr) == 0,
		      "EDID region for the hostile EDID test"))
		goto out;
	off_size = offsetof(struct vfio_region_gfx_edid, edid_size);
	off_link = offsetof(struct vfio_region_gfx_edid, link_state);
	before = vm_reg_read(d, GVTSIM_REG_MAX_MODE);

	/* Bad checksum. */
	make_edid(blob, 800, 600);
	blob[127] ^= 0x55;
	v = VFIO_DEVICE_GFX_LINK_STATE_DOWN;
	ok = pwrite(d->device, &v, 4, r->offset + off_link) == 4 &&
	     pwrite(d->device, blob, sizeof(blob), r->offset + hdr.edid_offset) == sizeof(blob);
	v = sizeof(blob);
	ok = ok && pwrite(d->device, &v, 4, r->offset + off_size) == 4;
	v = VFIO_DEVICE_GFX_LINK_STATE_UP;
	ok = ok && pwrite(d->device, &v, 4, r->offset + off_link) == 4;
	vm_check(vm_reg_read(d, GVTSIM_REG_MAX_MODE) == before,
		 "EDID with a bad checksum does not change MAX_MODE (link up %s)",
		 ok ? "accepted" : "refused");

	/* A size above edid_max_size. */
	v = hdr.edid_max_size + 1;
	ok = pwrite(d->device, &v, 4, r->offset + off_size) == 4;
	vm_check(!ok, "edid_size above edid_max_size (%u) is refused", hdr.edid_max_size);
	v = 0x12345;
	ok = pwrite(d->device, &v, 4, r->offset + offsetof(struct vfio_region_gfx_edid, max_xres)) == 4;
	vm_check(!ok, "writing the read-only max_xres is refused");
	ok = pwrite(d->device, blob, 16, r->offset + r->size - 8) == 16;
	vm_check(!ok, "EDID region write past its end is refused");
	ok = pwrite(d->device, &v, 4, r->offset + off_link) == 4;
	vm_check(!ok, "link_state 0x12345 is refused");

	/* A valid EDID again restores a sane state. */
	vm_check(edid_set(d->device, r->offset, 1920, 1080) == 0 &&
		 vm_reg_read(d, GVTSIM_REG_MAX_MODE) == (1920u << 16 | 1080),
		 "valid 1920x1080 EDID accepted after the broken ones");
out:
	free(r);
}

/* Accesses outside a region, unaligned or of odd sizes: refused, no oops. */
static void test_region_bounds(struct vm_display *d)
{
	struct vfio_region_info *cfg = vm_region_info(d->device, VFIO_PCI_CONFIG_REGION_INDEX);
	struct vfio_region_info *op = vm_region_info(d->device, VFIO_PCI_NUM_REGIONS);
	uint8_t buf[64] = { 0 };
	void *m;
	bool ok;

	ok = pread(d->device, buf, 4, d->bar0_offset + GVTSIM_MMIO_SIZE - 2) < 0;
	vm_check(ok, "BAR0 read crossing its end is refused");
	ok = pwrite(d->device, buf, 4, d->bar0_offset + GVTSIM_MMIO_SIZE) < 0;
	vm_check(ok, "BAR0 write at its end is refused");
	ok = pwrite(d->device, buf, 2, d->bar0_offset + GVTSIM_PLANE_SURF(1) + 1) < 0;
	vm_check(ok, "BAR0 2-byte unaligned write is refused");
	ok = pread(d->device, buf, 8, d->bar2_offset + d->bar2_size - 4) < 0;
	vm_check(ok, "BAR2 read crossing its end is refused");
	if (cfg) {
		ok = pread(d->device, buf, 8, cfg->offset + cfg->size - 4) < 0;
		vm_check(ok, "config space read crossing its end is refused");
	}
	if (op) {
		ok = pread(d->device, buf, 16, op->offset + op->size - 8) < 0;
		vm_check(ok, "OpRegion read crossing its end is refused");
	}
	ok = pread(d->device, buf, 0, d->bar0_offset) == 0 &&
	     pwrite(d->device, buf, 0, d->bar2_offset) == 0;
	vm_check(ok, "zero-length accesses return 0, as on i915 GVT-g and vfio-pci");
	/* Far beyond every region whatever the offset encoding. */
	ok = pread(d->device, buf, 4, (uint64_t)60 << 40) < 0;
	vm_check(ok, "access to a region index that does not exist is refused");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d->device, d->bar0_offset);
	vm_check(m == MAP_FAILED, "mmap of BAR0 (registers, not mmap-able) is refused");
	if (m != MAP_FAILED)
		munmap(m, 4096);
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, d->device, d->bar2_offset + d->bar2_size - 4096);
	vm_check(m == MAP_FAILED, "mmap of BAR2 past its end is refused");
	if (m != MAP_FAILED)
		munmap(m, 8192);
	free(cfg);
	free(op);
}

/* ---- refresh IRQ ---- */

static bool wait_event(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(efd, &v, 8) == 8 && v > 0;
}

static void test_irq(struct vm_display *d)
{
	union { struct gvtsim_irq_info info; uint8_t raw[256]; } u;
	const struct gvtsim_irq_info_cap_type *cap = NULL;
	struct { struct vfio_irq_set set; int32_t fd; } s;
	struct gvtsim_guest_config cfg;
	int efd, ret;
	uint64_t v;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	u.info.index = VFIO_PCI_NUM_IRQS;
	ret = ioctl(d->device, VFIO_DEVICE_GET_IRQ_INFO, &u.info);
	if (!vm_check(ret == 0, "GET_IRQ_INFO of the display IRQ (%s)", ret ? strerror(errno) : "ok"))
		return;
	vm_check((u.info.flags & VFIO_IRQ_INFO_EVENTFD) && (u.info.flags & GVTSIM_IRQ_INFO_FLAG_CAPS) &&
		 u.info.count == 1,
		 "display IRQ: flags 0x%x has EVENTFD and CAPS, count %u", u.info.flags, u.info.count);
	if (u.info.cap_offset >= sizeof(u.info) && u.info.cap_offset + sizeof(*cap) <= sizeof(u))
		cap = (const void *)(u.raw + u.info.cap_offset);
	vm_check(cap && cap->id == GVTSIM_IRQ_INFO_CAP_TYPE && cap->type == GVTSIM_IRQ_TYPE_GFX &&
		 cap->subtype == GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ,
		 "display IRQ cap chain: type GFX / DISPLAY_IRQ (cap_offset %u id %u type %u subtype %u)",
		 u.info.cap_offset, cap ? cap->id : 0, cap ? cap->type : 0, cap ? cap->subtype : 0);

	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 640, 480);
	if (!start_guest(d, &cfg))
		return;
	vm_guest_show(d, 10);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&s, 0, sizeof(s));
	s.set.argsz = sizeof(s);
	s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = VFIO_PCI_NUM_IRQS;
	s.set.start = 0;
	s.set.count = 1;
	s.fd = efd;
	ret = ioctl(d->device, VFIO_DEVICE_SET_IRQS, &s);
	if (!vm_check(ret == 0, "SET_IRQS attaches an eventfd (%s)", ret ? strerror(errno) : "ok")) {
		close(efd);
		return;
	}
	usleep(100000);
	while (read(efd, &v, 8) == 8)
		;
	vm_check(!wait_event(efd, 300), "no refresh event without a flip");
	vm_guest_show(d, 11);
	vm_check(wait_event(efd, 2000), "refresh event after a flip");
	vm_guest_show(d, 12);
	vm_check(wait_event(efd, 2000), "refresh event after the next flip");
	usleep(50000);
	while (read(efd, &v, 8) == 8)
		;
	gvtsim_guest_move_cursor(&d->guest, 13);
	vm_check(wait_event(efd, 2000), "refresh event after a cursor move (CURBASE latch)");
	s.fd = -1;
	ret = ioctl(d->device, VFIO_DEVICE_SET_IRQS, &s);
	vm_check(ret == 0, "SET_IRQS with fd -1 detaches (%s)", ret ? strerror(errno) : "ok");
	usleep(100000);
	while (read(efd, &v, 8) == 8)
		;
	vm_guest_show(d, 13);
	vm_check(!wait_event(efd, 300), "no event after detaching");
	close(efd);
}

/* More surfaces than the module remembers (max_dmabufs, default 32): old
 * ids are forgotten, their exported fds stay valid. */
static void test_eviction(struct vm_display *d)
{
	enum { N = 40 };
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	uint32_t ids[N], sizes[N];
	int fds[N], i, n = 0, ret, readable = 0;
	volatile const uint8_t *m;
	uint8_t sum = 0;

	for (i = 0; i < N; i++) {
		guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 320 + 16 * i, 240);
		if (!start_guest(d, &cfg))
			break;
		vm_guest_show(d, 200 + i);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
		if (ret || !p.dmabuf_id)
			break;
		fds[n] = vm_get_dmabuf(d->device, p.dmabuf_id);
		if (fds[n] < 0)
			break;
		ids[n] = p.dmabuf_id;
		sizes[n] = p.size;
		n++;
	}
	if (!vm_check(n == N, "eviction: %d of %d surfaces exported", n, N))
		goto out;
	ret = vm_get_dmabuf(d->device, ids[0]);
	vm_check(ret == -EINVAL || ret == -ENOENT,
		 "eviction: the id of the oldest of %d surfaces is forgotten (%d)", N, ret);
	if (ret >= 0)
		close(ret);
	ret = vm_get_dmabuf(d->device, ids[N - 1]);
	vm_check(ret >= 0, "eviction: the newest id still exports (%d)", ret);
	if (ret >= 0)
		close(ret);
	for (i = 0; i < n; i++) {
		m = mmap(NULL, sizes[i], PROT_READ, MAP_SHARED, fds[i], 0);
		if (m == MAP_FAILED)
			continue;
		sum += m[0] + m[sizes[i] - 1];
		munmap((void *)m, sizes[i]);
		readable++;
	}
	vm_check(readable == n, "eviction: all %d exported fds still map and read (%d, %u)", n,
		 readable, sum);
out:
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* VFIO_DEVICE_RESET: the display turns off, held buffers stay valid, the
 * guest can start over. */
static void test_reset(struct vm_display *d)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p, q;
	struct { struct vfio_irq_set set; int32_t fd; } s;
	int fd, ret, efd;
	uint64_t v;
	bool irq;

	if (ioctl(d->device, VFIO_DEVICE_GET_INFO, &info) < 0 ||
	    !(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		vm_note("device does not advertise VFIO_DEVICE_FLAGS_RESET: reset not tested");
		return;
	}
	guest_config(&cfg, 9, DRM_FORMAT_MOD_LINEAR, 640, 480);
	if (!start_guest(d, &cfg))
		return;
	vm_guest_show(d, 300);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	fd = ret ? ret : vm_get_dmabuf(d->device, p.dmabuf_id);
	if (!vm_check(fd >= 0, "reset: a buffer exported before the reset (%d)", fd))
		return;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&s, 0, sizeof(s));
	s.set.argsz = sizeof(s);
	s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = VFIO_PCI_NUM_IRQS;
	s.set.count = 1;
	s.fd = efd;
	irq = ioctl(d->device, VFIO_DEVICE_SET_IRQS, &s) == 0;
	vm_check(irq, "reset: refresh eventfd attached (%s)", irq ? "ok" : strerror(errno));
	usleep(50000);
	while (read(efd, &v, 8) == 8)
		;
	ret = ioctl(d->device, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
	vm_check(ret == 0, "VFIO_DEVICE_RESET (%d)", ret);
	if (irq) {
		vm_check(wait_event(efd, 2000), "reset: the display going off raises the refresh IRQ");
		s.fd = -1;
		ioctl(d->device, VFIO_DEVICE_SET_IRQS, &s);
	}
	close(efd);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &q);
	vm_check(ret == 0 && is_zero_plane(&q), "after reset the primary is off (%d, %ux%u)", ret,
		 q.width, q.height);
	vm_check(vm_reg_read(d, GVTSIM_REG_ID) == GVTSIM_ID_VALUE &&
		 vm_reg_read(d, GVTSIM_REG_MAX_MODE) != 0,
		 "after reset GVTSIM_REG_ID and MAX_MODE read as before");
	ret = vm_check_primary_pixels(fd, &p, &cfg, 300, why, sizeof(why));
	vm_check(ret == 0, "after reset the held buffer still shows frame 300 (%s)", ret ? why : "ok");
	close(fd);
	if (start_guest(d, &cfg)) {
		vm_guest_show(d, 301);
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &q);
		vm_check(ret == 0 && q.width == 640, "after reset the guest sets a mode again (%d)", ret);
	}
}

/* ---- concurrency: flips, IRQ attach/detach and exports at once ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_stress(struct vm_display *d, bool modes)
{
	struct { struct vfio_irq_set set; int32_t fd; } s;
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	unsigned int queries = 0, exports = 0, qerr = 0, eerr = 0, stale = 0, transient = 0;
	const char *what = modes ? "mode-change stress" : "stress";
	pid_t flipper, toggler;
	double end;
	int status, ret, fd;
	bool children_ok = true;

	guest_config(&cfg, 9, I915_FORMAT_MOD_X_TILED, 640, 480);
	if (!start_guest(d, &cfg))
		return;
	vm_guest_show(d, 100);
	end = now_s() + 3.0;
	flipper = fork();
	if (flipper == 0) {
		uint64_t f = 101;

		for (; now_s() < end; f++) {
			if (modes && f % 4 == 0) {
				struct gvtsim_guest_config c2 = cfg;

				c2.width = 320 + 64 * (f / 4 % 6);
				if (vm_guest_start(d, &c2))
					_exit(2);
			}
			gvtsim_guest_show_frame(&d->guest, f, vm_frame_time(f));
		}
		_exit(d->io_errors ? 1 : 0);
	}
	toggler = fork();
	if (toggler == 0) {
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), bad = 0;
		uint64_t v;

		memset(&s, 0, sizeof(s));
		s.set.argsz = sizeof(s);
		s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		s.set.index = VFIO_PCI_NUM_IRQS;
		s.set.count = 1;
		while (now_s() < end) {
			s.fd = efd;
			bad += ioctl(d->device, VFIO_DEVICE_SET_IRQS, &s) < 0;
			usleep(1000);
			if (read(efd, &v, 8) < 0 && errno != EAGAIN)
				bad++;
			s.fd = -1;
			bad += ioctl(d->device, VFIO_DEVICE_SET_IRQS, &s) < 0;
		}
		close(efd);
		_exit(bad ? 1 : 0);
	}
	while (now_s() < end) {
		ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF,
			       queries % 3 == 2 ? DRM_PLANE_TYPE_CURSOR : DRM_PLANE_TYPE_PRIMARY, &p);
		queries++;
		/* Mid-reprogramming the registers may describe no valid
		 * surface for a moment. */
		if (modes && (ret == -EINVAL || ret == -EFAULT || (ret == 0 && !p.dmabuf_id))) {
			transient++;
			continue;
		}
		if (ret || !p.dmabuf_id) {
			qerr++;
			continue;
		}
		fd = vm_get_dmabuf(d->device, p.dmabuf_id);
		if (fd == -EINVAL || fd == -ENOENT) {
			stale++;
			continue;
		}
		if (fd < 0) {
			eerr++;
			continue;
		}
		exports++;
		if (vgem_fd >= 0 && exports % 4 == 0 && vgem_import(fd))
			eerr++;
		close(fd);
	}
	if (flipper < 0 || waitpid(flipper, &status, 0) != flipper || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		children_ok = false;
	if (toggler < 0 || waitpid(toggler, &status, 0) != toggler || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		children_ok = false;
	vm_check(children_ok, "%s: flipping and IRQ attach/detach processes ran without errors",
		 what);
	vm_check(qerr == 0 && eerr == 0 && exports > 0,
		 "%s: %u queries, %u exports, %u ids already forgotten, %u mid-update answers, %u query errors, %u export errors",
		 what, queries, exports, stale, transient, qerr, eerr);
	if (!start_guest(d, &cfg))	/* the flipper may have left another mode */
		return;
	vm_guest_show(d, 99);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	fd = ret ? ret : vm_get_dmabuf(d->device, p.dmabuf_id);
	ret = fd < 0 ? -1 : vm_check_primary_pixels(fd, &p, &cfg, 99, why, sizeof(why));
	vm_check(ret == 0, "after the %s: frame 99 exact (%s)", what,
		 fd < 0 ? strerror(-fd) : ret ? why : "ok");
	if (fd >= 0)
		close(fd);
}

/* ---- removal while a dma-buf is held ---- */

static void test_remove_held(struct vm_vfio *v, struct vm_display *d, const char *uuid)
{
	struct gvtsim_guest_config cfg;
	struct vfio_device_gfx_plane_info p;
	void *map;
	int fd, ret;

	guest_config(&cfg, 8, I915_FORMAT_MOD_X_TILED, 640, 480);
	if (!start_guest(d, &cfg))
		return;
	vm_guest_show(d, 20);
	ret = vm_query(d->device, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY, &p);
	if (!vm_check(ret == 0 && p.dmabuf_id, "held buffer: query (%d)", ret))
		return;
	fd = vm_get_dmabuf(d->device, p.dmabuf_id);
	if (!vm_check(fd >= 0, "held buffer: GET_GFX_DMABUF (%d)", fd))
		return;
	map = mmap(NULL, p.size, PROT_READ, MAP_SHARED, fd, 0);
	vm_check(map != MAP_FAILED, "held buffer mapped");
	vm_display_finish(d);
	vm_vfio_close(v);
	ret = vm_mdev_remove(uuid);
	vm_check(ret == 0 && !vm_mdev_exists(uuid),
		 "vGPU removed while its dma-buf is held and mapped (%s)", strerror(-ret));
	if (map != MAP_FAILED) {
		ret = vm_check_primary_map(map, p.size, &p, &cfg, 20, why, sizeof(why));
		vm_check(ret == 0, "after removal: the old mapping still shows frame 20 (%s)",
			 ret ? why : "ok");
		munmap(map, p.size);
	}
	ret = vm_check_primary_pixels(fd, &p, &cfg, 20, why, sizeof(why));
	vm_check(ret == 0, "after removal: a new mapping of the held fd shows frame 20 (%s)",
		 ret ? why : "ok");
	check_import(fd, "after removal");
	close(fd);
}

/* ---- device request ---- */

/* Removing a vGPU whose device fd is still open waits for the fd to close;
 * the module relays the wait to the REQ eventfd (as vfio-pci does) so a
 * VMM can let go.  Without it the remove just blocks. */
static void test_request(void)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_REQ_IRQ_INDEX };
	struct { struct vfio_irq_set set; int32_t fd; } s;
	struct vm_vfio v = { -1, -1, -1 };
	int efd = -1, ret, status = 0, i;
	char err[256];
	pid_t pid = -1;

	ret = vm_mdev_create("GVTg_V5_4", UUID_R);
	if (!vm_check(ret == 0, "create %s for the device request (%s)", UUID_R, strerror(-ret)))
		return;
	ret = vm_vfio_open(UUID_R, &v, err, sizeof(err));
	if (!vm_check(ret == 0, "open %s (%s)", UUID_R, ret ? err : "ok"))
		goto out_remove;
	ret = ioctl(v.device, VFIO_DEVICE_GET_IRQ_INFO, &info);
	vm_check(ret == 0 && info.count == 1 && (info.flags & VFIO_IRQ_INFO_EVENTFD),
		 "REQ IRQ: one eventfd vector (%d, count %u, flags 0x%x)", ret, info.count,
		 info.flags);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&s, 0, sizeof(s));
	s.set.argsz = sizeof(s);
	s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = VFIO_PCI_REQ_IRQ_INDEX;
	s.set.count = 1;
	s.fd = efd;
	ret = ioctl(v.device, VFIO_DEVICE_SET_IRQS, &s);
	if (!vm_check(ret == 0, "SET_IRQS attaches the REQ eventfd (%s)", ret ? strerror(errno) : "ok"))
		goto out_close;
	s.set.argsz = sizeof(s.set);
	s.set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	ret = ioctl(v.device, VFIO_DEVICE_SET_IRQS, &s.set);
	vm_check(ret == 0 && wait_event(efd, 1000), "REQ loopback (DATA_NONE, count 1) signals (%s)",
		 ret ? strerror(errno) : "ok");

	pid = fork();
	if (pid == 0) {
		/* The child's copy of the device fd would hold the device too. */
		vm_vfio_close(&v);
		_exit(vm_mdev_remove(UUID_R) == 0 ? 0 : 1);
	}
	vm_check(pid > 0 && wait_event(efd, 5000),
		 "removing a vGPU held open signals its REQ eventfd");
out_close:
	vm_vfio_close(&v);
	if (efd >= 0)
		close(efd);
	if (pid > 0) {
		/* The child's remove returns once the device is closed. */
		for (i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
			usleep(100000);
		vm_check(i < 100 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
			 !vm_mdev_exists(UUID_R),
			 "the remove completes when the device is closed (status 0x%x)", status);
		return;
	}
out_remove:
	ret = vm_mdev_remove(UUID_R);
	vm_check(ret == 0, "remove %s (%s)", UUID_R, strerror(-ret));
}

/* The large type: 256 MiB of graphics memory, modes up to 3840x2160. */
static void test_v5_2(void)
{
	struct vfio_region_info *r;
	struct vfio_region_gfx_edid edid;
	struct vm_display d;
	struct vm_vfio v;
	char err[256];
	uint32_t mm;
	int ret;

	ret = vm_mdev_create("GVTg_V5_2", UUID_C);
	if (!vm_check(ret == 0, "create %s (GVTg_V5_2) (%s)", UUID_C, strerror(-ret)))
		return;
	ret = vm_vfio_open(UUID_C, &v, err, sizeof(err));
	if (vm_check(ret == 0, "open %s (%s)", UUID_C, ret ? err : "ok")) {
		r = vm_region_info(v.device, VFIO_PCI_BAR2_REGION_INDEX);
		vm_check(r && r->size == 256ull << 20, "GVTg_V5_2: BAR2 is 256 MiB (%llu)",
			 r ? (unsigned long long)r->size : 0);
		free(r);
		r = vm_region_info(v.device, VFIO_PCI_NUM_REGIONS + 1);
		ret = r ? edid_read_header(v.device, r->offset, &edid) : -ENOENT;
		vm_check(ret == 0 && edid.max_xres == 3840 && edid.max_yres == 2160,
			 "GVTg_V5_2: EDID max_xres x max_yres = %ux%u", edid.max_xres, edid.max_yres);
		free(r);
		if (vm_display_init(&d, v.device) == 0) {
			mm = vm_reg_read(&d, GVTSIM_REG_MAX_MODE);
			vm_check(mm == (3840u << 16 | 2160), "GVTg_V5_2: guest sees MAX_MODE 3840x2160 (0x%08x)",
				 mm);
			vm_display_finish(&d);
		}
		vm_vfio_close(&v);
	}
	ret = vm_mdev_remove(UUID_C);
	vm_check(ret == 0 && !vm_mdev_exists(UUID_C), "remove %s (%s)", UUID_C, strerror(-ret));
}

/* max_vgpus (default 4) counts every type together. */
static void test_instances(void)
{
	static const char *const extra[] = {
		"d1b2a6c0-0000-4000-8000-0000000000d1",
		"d1b2a6c0-0000-4000-8000-0000000000d2",
		"d1b2a6c0-0000-4000-8000-0000000000d3",
	};
	char path[256], buf[64], max[64] = "";
	unsigned int i, made = 0;
	int avail0, avail, ret;

	snprintf(path, sizeof(path), VM_GVTSIM_TYPES "/gvtsim-GVTg_V5_4/available_instances");
	if (vm_sysfs_read(path, buf, sizeof(buf)))
		return;
	avail0 = atoi(buf);
	vm_sysfs_read("/sys/module/gvtsim/parameters/max_vgpus", max, sizeof(max));
	vm_note("available_instances %d with 2 vGPUs, max_vgpus %s", avail0, max);
	for (i = 0; i < 3 && avail0 - (int)made > 0; i++) {
		ret = vm_mdev_create(i % 2 ? "GVTg_V4_4" : "GVTg_V5_2", extra[i]);
		if (!vm_check(ret == 0, "create extra vGPU %s (%s)", extra[i], strerror(-ret)))
			break;
		made++;
		vm_sysfs_read(path, buf, sizeof(buf));
		avail = atoi(buf);
		vm_check(avail == avail0 - (int)made,
			 "available_instances of another type counts it: %d", avail);
	}
	if (avail0 - (int)made == 0) {
		ret = vm_mdev_create("GVTg_V5_4", extra[2]);
		vm_check(ret < 0 && !vm_mdev_exists(extra[2]),
			 "a vGPU beyond max_vgpus is refused and leaves no device (%s)", strerror(-ret));
		if (ret == 0)
			vm_mdev_remove(extra[2]);
	}
	for (i = 0; i < made; i++) {
		ret = vm_mdev_remove(extra[i]);
		vm_check(ret == 0, "remove extra vGPU %s (%s)", extra[i], strerror(-ret));
	}
	vm_sysfs_read(path, buf, sizeof(buf));
	vm_check(atoi(buf) == avail0, "available_instances back to %d (%s)", avail0, buf);
}

int main(void)
{
	struct vm_vfio va = { -1, -1, -1 }, vb = { -1, -1, -1 }, again;
	struct vm_display da, db;
	char err[256];
	uint32_t id;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm_note("vm-uapi: gvtsim's uAPI through raw VFIO (kernel %s)",
		getenv("GVT_VM_KERNEL") ? getenv("GVT_VM_KERNEL") : "?");
	if (access(VM_GVTSIM_TYPES, F_OK) != 0) {
		vm_fail("gvtsim is not loaded (%s missing)", VM_GVTSIM_TYPES);
		return vm_done("vm-uapi");
	}
	vgem_open();
	vm_test_i915_defaults();
	test_types();
	test_v5_2();
	ret = vm_mdev_create("GVTg_V5_4", UUID_A);
	vm_check(ret == 0 && vm_mdev_exists(UUID_A), "create %s (GVTg_V5_4) (%s)", UUID_A,
		 strerror(-ret));
	ret = vm_mdev_create("GVTg_V4_4", UUID_B);
	vm_check(ret == 0 && vm_mdev_exists(UUID_B), "create %s (GVTg_V4_4) (%s)", UUID_B,
		 strerror(-ret));
	ret = vm_mdev_create("GVTg_V5_4", UUID_A);
	vm_check(ret < 0, "creating the same UUID twice fails (%s)", strerror(-ret));
	test_instances();

	ret = vm_vfio_open(UUID_A, &va, err, sizeof(err));
	if (!vm_check(ret == 0, "open %s through group + container (%s)", UUID_A, ret ? err : "ok"))
		goto out;
	ret = vm_vfio_open(UUID_A, &again, err, sizeof(err));
	vm_check(ret == -EBUSY, "opening the same vGPU twice -> -EBUSY (%d: %s)", ret,
		 ret ? err : "opened");
	if (ret == 0)
		vm_vfio_close(&again);
	ret = vm_vfio_open(UUID_B, &vb, err, sizeof(err));
	vm_check(ret == 0, "open %s through group + container (%s)", UUID_B, ret ? err : "ok");

	test_device_info(va.device, 9);
	test_regions(va.device, 9);
	if (vb.device >= 0) {
		test_device_info(vb.device, 8);
		test_regions(vb.device, 8);
	}
	ret = vm_display_init(&da, va.device);
	if (!vm_check(ret == 0, "gen9: BAR0/BAR2 set up, BAR2 mapped (%s)", strerror(-ret)))
		goto out;
	id = vm_reg_read(&da, GVTSIM_REG_ID);
	vm_check(id == GVTSIM_ID_VALUE, "GVTSIM_REG_ID reads \"GVTS\" (0x%08x)", id);

	/* The rest runs with the convenience parameters on, as before i915's
	 * behaviour became the default: CPU mapping for the pixel checks,
	 * ids that never come back for the id and eviction checks. */
	vm_param_set("dmabuf_mmap", true);
	vm_param_set("monotonic_ids", true);
	test_no_pipe(va.device);
	test_flags(va.device);
	test_ids(&da);
	test_pixels(&da, 9, DRM_FORMAT_MOD_LINEAR, "linear");
	test_pixels(&da, 9, I915_FORMAT_MOD_X_TILED, "X-tiled");
	test_pixels(&da, 9, I915_FORMAT_MOD_Y_TILED, "Y-tiled");
	test_formats(&da, 9);
	test_cursor_sprite(&da, 9, 64);
	test_cursor_sprite(&da, 9, 128);
	test_cursor_sprite(&da, 9, 256);
	test_hostile(&da);
	test_edid(&da);
	test_edid_hostile(&da);
	test_region_bounds(&da);
	test_irq(&da);
	test_eviction(&da);
	test_reset(&da);
	test_stress(&da, false);
	test_stress(&da, true);

	if (vb.device >= 0 && vm_display_init(&db, vb.device) == 0) {
		test_no_pipe(vb.device);
		test_pixels(&db, 8, DRM_FORMAT_MOD_LINEAR, "linear");
		test_pixels(&db, 8, I915_FORMAT_MOD_X_TILED, "X-tiled");
		test_formats(&db, 8);
		test_cursor_sprite(&db, 8, 64);
		test_remove_held(&vb, &db, UUID_B);
	} else {
		vm_fail("gen8 display set up");
	}
	test_request();
	vm_display_finish(&da);
out:
	vm_vfio_close(&va);
	vm_vfio_close(&vb);
	if (vm_mdev_exists(UUID_A))
		vm_check(vm_mdev_remove(UUID_A) == 0 && !vm_mdev_exists(UUID_A), "remove %s", UUID_A);
	if (vm_mdev_exists(UUID_B))
		vm_check(vm_mdev_remove(UUID_B) == 0 && !vm_mdev_exists(UUID_B), "remove %s", UUID_B);
	if (vgem_fd >= 0)
		close(vgem_fd);
	/* Leave i915's behaviour for whatever runs next. */
	vm_param_set("dmabuf_mmap", false);
	vm_param_set("monotonic_ids", false);
	return vm_done("vm-uapi");
}
