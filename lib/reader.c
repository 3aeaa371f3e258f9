/* SPDX-License-Identifier: MIT */
/*
 * Reading dma-bufs into linear system memory (the fallback paths of the
 * element and the service, the tool's snapshot).
 *
 * Two ways, chosen per buffer:
 *  - mmap: map the buffer once, then per read DMA_BUF_IOCTL_SYNC and
 *    gvtdmabuf_detile().  Works on gvtsim with dmabuf_mmap=1, on the sim
 *    backend, and on dma-bufs of exporters that implement mmap;
 *  - egl: a real GVT-g dma-buf cannot be mapped (i915 builds it on a GEM
 *    object without shmem, i915_gem_dmabuf_mmap() says -ENODEV), so it is
 *    imported once with its modifier through EGL and read back linear by
 *    the GPU (reader-egl.c).
 *
 * Buffers are remembered in a small LRU keyed on the dma-buf's inode (and
 * its geometry: the sim backend hands out one memfd for every buffer).
 * dmabuf_ids are no key: i915 reuses them.  Each entry holds its own dup
 * of the fd, so the inode stays the buffer's for as long as the entry
 * lives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <linux/dma-buf.h>

#include <drm_fourcc.h>

#include "backend.h"
#include "reader-private.h"

#define READER_ENTRIES 8

enum method {
	METHOD_NONE,
	METHOD_MMAP,
	METHOD_EGL,
};

static const char *const method_names[] = {
	[METHOD_NONE] = NULL,
	[METHOD_MMAP] = "mmap",
	[METHOD_EGL] = "egl",
};

struct reader_entry {
	bool used;
	uint64_t last_use;
	/* key */
	dev_t st_dev;
	ino_t st_ino;
	uint32_t offset, stride, size, width, height, fourcc;
	uint64_t modifier;

	int fd;			/* our dup: keeps the inode the buffer's */
	enum method method;
	/* mmap */
	void *map;
	size_t map_len;
	size_t delta;		/* surface start within the map */
	uint64_t avail;		/* readable bytes from the surface start */
	bool is_dmabuf;
	/* egl */
	struct gvtdmabuf_egl_image *image;
};

struct gvtdmabuf_reader {
	uint32_t flags;
	uint64_t clock;
	enum method last;
	struct reader_entry entries[READER_ENTRIES];
	struct gvtdmabuf_egl *egl;	/* NULL until a buffer needs it */
	int egl_err;			/* cached failure to set it up */
	/* sub-reasons, combined into error */
	char egl_why[320];
	char scratch[320];
	char error[1024];
};

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int r;

	do {
		r = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : 0;
}

/* Bytes behind fd, or 0 when it cannot be told (then the caller's size is
 * trusted).  fstat for a memfd; a dma-buf reports its size to SEEK_END
 * (and has no file position anyone relies on). */
static uint64_t fd_size(int fd, const struct stat *st)
{
	off_t end;
	uint64_t size = 0;

	if (S_ISREG(st->st_mode)) {
		size = (uint64_t)st->st_size;
		goto out;
	}
	end = lseek(fd, 0, SEEK_END);
	if (end > 0)
		size = (uint64_t)end;
out:
	return size;
}

static void entry_clear(struct gvtdmabuf_reader *reader, struct reader_entry *e)
{
	if (!e->used)
		return;
	if (e->map && e->map != MAP_FAILED)
		munmap(e->map, e->map_len);
	if (e->image)
		gvtdmabuf_egl_image_destroy(reader->egl, e->image);
	if (e->fd >= 0)
		close(e->fd);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

GVTDMABUF_EXPORT int gvtdmabuf_reader_create(uint32_t flags, struct gvtdmabuf_reader **ret_reader)
{
	struct gvtdmabuf_reader *reader;
	unsigned int i;

	if (!ret_reader || (flags & ~(uint32_t)(GVTDMABUF_READER_GPU_ONLY |
						GVTDMABUF_READER_CPU_ONLY)) ||
	    (flags & GVTDMABUF_READER_GPU_ONLY && flags & GVTDMABUF_READER_CPU_ONLY))
		return -EINVAL;
	reader = calloc(1, sizeof(*reader));
	if (!reader)
		return -ENOMEM;
	reader->flags = flags;
	for (i = 0; i < READER_ENTRIES; i++)
		reader->entries[i].fd = -1;
	*ret_reader = reader;
	return 0;
}

GVTDMABUF_EXPORT void gvtdmabuf_reader_destroy(struct gvtdmabuf_reader *reader)
{
	unsigned int i;

	if (!reader)
		return;
	for (i = 0; i < READER_ENTRIES; i++)
		entry_clear(reader, &reader->entries[i]);
	gvtdmabuf_egl_destroy(reader->egl);
	free(reader);
}

GVTDMABUF_EXPORT const char *gvtdmabuf_reader_get_method(const struct gvtdmabuf_reader *reader)
{
	return reader ? method_names[reader->last] : NULL;
}

GVTDMABUF_EXPORT const char *gvtdmabuf_reader_get_error(const struct gvtdmabuf_reader *reader)
{
	return reader ? reader->error : "";
}

static bool entry_matches(const struct reader_entry *e, const struct stat *st,
			  const struct gvtdmabuf_dmabuf *b)
{
	return e->used && e->st_dev == st->st_dev && e->st_ino == st->st_ino &&
	       e->offset == b->offset[0] && e->stride == b->stride[0] &&
	       e->size == b->size && e->width == b->width && e->height == b->height &&
	       e->fourcc == b->fourcc && e->modifier == b->modifier;
}

/* Map the buffer: 0, or -errno with the reason in reader->scratch. */
static int entry_map(struct gvtdmabuf_reader *reader, struct reader_entry *e,
		     const struct stat *st)
{
	uint64_t page, map_off, real;
	void *map;

	/* mmap offsets must be page aligned: map from the page holding the
	 * surface's first byte.  Never map past the end of the file: touching
	 * such a page is SIGBUS, not an error code. */
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	map_off = e->offset & ~(page - 1);
	e->delta = e->offset - map_off;
	e->avail = e->size;
	real = fd_size(e->fd, st);
	if (real) {
		if (e->offset >= real) {
			snprintf(reader->scratch, sizeof(reader->scratch),
				 "its offset %u is past its end (%llu bytes)",
				 e->offset, (unsigned long long)real);
			return -EINVAL;
		}
		if (real - e->offset < e->avail)
			e->avail = real - e->offset;
	}
	if (e->delta + e->avail > SIZE_MAX)
		return -EINVAL;
	e->map_len = (size_t)(e->delta + e->avail);
	map = mmap(NULL, e->map_len, PROT_READ, MAP_SHARED, e->fd, (off_t)map_off);
	if (map == MAP_FAILED) {
		int err = errno;

		snprintf(reader->scratch, sizeof(reader->scratch), "mmap: %s%s", strerror(err),
			 err == ENODEV ? " (the exporter cannot map it for the CPU, as i915 GVT-g)" : "");
		return -err;
	}
	e->map = map;
	return 0;
}

/* Import the buffer through EGL: 0, or -errno with the reason in scratch. */
static int entry_import(struct gvtdmabuf_reader *reader, struct reader_entry *e,
			const struct gvtdmabuf_format_info *fmt)
{
	struct gvtdmabuf_egl_import imp = {
		.fd = e->fd,
		.offset = e->offset,
		.stride = e->stride,
		.width = e->width,
		.height = e->height,
		.cpp = fmt->cpp,
		.modifier = e->modifier,
	};
	int r;

	if (!e->is_dmabuf) {
		snprintf(reader->scratch, sizeof(reader->scratch),
			 "it is a memfd, not a dma-buf (the sim backend without /dev/udmabuf): "
			 "no GPU can import it");
		return -ENOTSUP;
	}
	if (!reader->egl && !reader->egl_err) {
		r = gvtdmabuf_egl_create(&reader->egl, reader->egl_why, sizeof(reader->egl_why));
		if (r < 0)
			reader->egl_err = r;
	}
	if (reader->egl_err) {
		snprintf(reader->scratch, sizeof(reader->scratch), "%s", reader->egl_why);
		return reader->egl_err;
	}
	return gvtdmabuf_egl_image_create(reader->egl, &imp, &e->image,
					  reader->scratch, sizeof(reader->scratch));
}

static int entry_fill(struct gvtdmabuf_reader *reader, struct reader_entry *e,
		      const struct gvtdmabuf_dmabuf *b, const struct stat *st,
		      const struct gvtdmabuf_format_info *fmt)
{
	char mmap_why[320] = "";
	int r = -ENOTSUP, mmap_r = 0;

	e->used = true;
	e->st_dev = st->st_dev;
	e->st_ino = st->st_ino;
	e->offset = b->offset[0];
	e->stride = b->stride[0];
	e->size = b->size;
	e->width = b->width;
	e->height = b->height;
	e->fourcc = b->fourcc;
	e->modifier = b->modifier;
	/* A regular file (the sim's memfd, handed on as memory:DMABuf by a
	 * forced io-mode) has no caches to sync and no EGL import. */
	e->is_dmabuf = b->is_dmabuf && !S_ISREG(st->st_mode);
	e->fd = fcntl(b->fd[0], F_DUPFD_CLOEXEC, 3);
	if (e->fd < 0) {
		r = -errno;
		snprintf(reader->error, sizeof(reader->error), "cannot duplicate fd %d: %s",
			 b->fd[0], strerror(errno));
		goto error;
	}

	if (!(reader->flags & GVTDMABUF_READER_GPU_ONLY)) {
		if (!gvtdmabuf_modifier_supported(b->modifier)) {
			mmap_r = -ENOTSUP;
			snprintf(mmap_why, sizeof(mmap_why), "the CPU cannot detile modifier 0x%llx",
				 (unsigned long long)b->modifier);
		} else {
			mmap_r = entry_map(reader, e, st);
			if (mmap_r == 0) {
				e->method = METHOD_MMAP;
				return 0;
			}
			snprintf(mmap_why, sizeof(mmap_why), "%s", reader->scratch);
			/* a buffer that is too small is no better on the GPU */
			if (mmap_r == -EINVAL) {
				r = mmap_r;
				snprintf(reader->error, sizeof(reader->error),
					 "cannot read dma-buf %u: %s", b->dmabuf_id, mmap_why);
				goto error;
			}
		}
	} else {
		snprintf(mmap_why, sizeof(mmap_why), "not tried (GPU only)");
	}

	if (!(reader->flags & GVTDMABUF_READER_CPU_ONLY)) {
		r = entry_import(reader, e, fmt);
		if (r == 0) {
			e->method = METHOD_EGL;
			return 0;
		}
	} else {
		r = mmap_r;
		snprintf(reader->scratch, sizeof(reader->scratch),
			 "not tried (CPU only)");
	}
	snprintf(reader->error, sizeof(reader->error),
		 "cannot read dma-buf %u (%ux%u %s, %s) into system memory: CPU: %s; GPU: %s",
		 b->dmabuf_id, b->width, b->height, fmt->name,
		 gvtdmabuf_modifier_name(b->modifier), mmap_why, reader->scratch);
error:
	entry_clear(reader, e);
	return r;
}

static struct reader_entry *entry_slot(struct gvtdmabuf_reader *reader)
{
	struct reader_entry *victim = &reader->entries[0];
	unsigned int i;

	for (i = 0; i < READER_ENTRIES; i++) {
		struct reader_entry *e = &reader->entries[i];

		if (!e->used)
			return e;
		if (e->last_use < victim->last_use)
			victim = e;
	}
	entry_clear(reader, victim);
	return victim;
}

GVTDMABUF_EXPORT int gvtdmabuf_reader_read(struct gvtdmabuf_reader *reader,
					   const struct gvtdmabuf_dmabuf *dmabuf,
					   void *dst, uint32_t dst_stride)
{
	const struct gvtdmabuf_format_info *fmt;
	struct reader_entry *e = NULL;
	struct stat st;
	unsigned int i;
	int r = -EINVAL;

	if (!reader)
		return -EINVAL;
	reader->error[0] = '\0';
	reader->last = METHOD_NONE;
	if (!dmabuf || !dst || dmabuf->n_planes < 1 || dmabuf->fd[0] < 0 ||
	    dmabuf->size == 0 || !dmabuf->width || !dmabuf->height) {
		snprintf(reader->error, sizeof(reader->error),
			 "not a dma-buf description (no plane, no fd, or size 0)");
		goto out;
	}
	fmt = gvtdmabuf_format_lookup(dmabuf->fourcc);
	if (!fmt) {
		r = -ENOTSUP;
		snprintf(reader->error, sizeof(reader->error),
			 "format 0x%08x is not in the library's table", dmabuf->fourcc);
		goto out;
	}
	if ((uint64_t)dst_stride < (uint64_t)dmabuf->width * fmt->cpp) {
		snprintf(reader->error, sizeof(reader->error),
			 "destination stride %u is less than a row (%u pixels of %u bytes)",
			 dst_stride, dmabuf->width, fmt->cpp);
		goto out;
	}
	if (fstat(dmabuf->fd[0], &st) < 0) {
		r = -errno;
		snprintf(reader->error, sizeof(reader->error), "fstat(%d): %s",
			 dmabuf->fd[0], strerror(errno));
		goto out;
	}

	for (i = 0; i < READER_ENTRIES; i++) {
		if (entry_matches(&reader->entries[i], &st, dmabuf)) {
			e = &reader->entries[i];
			break;
		}
	}
	if (!e) {
		e = entry_slot(reader);
		r = entry_fill(reader, e, dmabuf, &st, fmt);
		if (r < 0)
			goto out;
	}
	e->last_use = ++reader->clock;

	if (e->method == METHOD_MMAP) {
		bool synced = false;

		if (e->is_dmabuf) {
			r = dmabuf_sync(e->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			if (r < 0) {
				snprintf(reader->error, sizeof(reader->error),
					 "DMA_BUF_IOCTL_SYNC on dma-buf %u: %s",
					 dmabuf->dmabuf_id, strerror(-r));
				goto out;
			}
			synced = true;
		}
		r = gvtdmabuf_detile(e->modifier, fmt->cpp, (const uint8_t *)e->map + e->delta,
				     e->stride, (size_t)e->avail, e->width, e->height,
				     dst, dst_stride);
		if (synced)
			dmabuf_sync(e->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		if (r < 0)
			snprintf(reader->error, sizeof(reader->error),
				 "dma-buf %u: %ux%u with stride %u does not fit in its %llu bytes",
				 dmabuf->dmabuf_id, e->width, e->height, e->stride,
				 (unsigned long long)e->avail);
	} else {
		r = gvtdmabuf_egl_image_read(reader->egl, e->image, dst, dst_stride,
					     reader->error, sizeof(reader->error));
	}
	if (r == 0)
		reader->last = e->method;
	else
		entry_clear(reader, e);
out:
	return r;
}

/**
 * One-shot: a reader for one read (see gvtdmabuf_reader_read()).
 */
GVTDMABUF_EXPORT int gvtdmabuf_dmabuf_read_linear(const struct gvtdmabuf_dmabuf *dmabuf,
						  void *dst, uint32_t dst_stride)
{
	struct gvtdmabuf_reader *reader = NULL;
	int r;

	r = gvtdmabuf_reader_create(0, &reader);
	if (r < 0)
		return r;
	r = gvtdmabuf_reader_read(reader, dmabuf, dst, dst_stride);
	gvtdmabuf_reader_destroy(reader);
	return r;
}
