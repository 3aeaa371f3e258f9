/* SPDX-License-Identifier: MIT */
/*
 * Private to reader.c and reader-egl.c: the GPU readback path.  A
 * gvtdmabuf_egl is one EGL display and GLES context of the reader's own;
 * a gvtdmabuf_egl_image is one imported dma-buf (EGLImage, texture and
 * framebuffer) that can be read back linear any number of times.
 *
 * Every function that can fail writes a sentence saying what is missing
 * into errbuf.  Built without EGL (-Degl=disabled), create fails with
 * -ENOTSUP and says so.
 */
#ifndef GVTDMABUF_READER_PRIVATE_H
#define GVTDMABUF_READER_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

struct gvtdmabuf_egl;
struct gvtdmabuf_egl_image;

/* What to import: plane 0 of a dma-buf, byte-exact (see reader-egl.c). */
struct gvtdmabuf_egl_import {
	int fd;
	uint32_t offset, stride;
	uint32_t width, height;	/* pixels */
	uint32_t cpp;		/* 2 or 4 */
	uint64_t modifier;
};

int gvtdmabuf_egl_create(struct gvtdmabuf_egl **ret_egl, char *errbuf, size_t errbuf_size);
void gvtdmabuf_egl_destroy(struct gvtdmabuf_egl *egl);
/* "EGL device (software, llvmpipe)", "EGL device /dev/dri/renderD128"... */
const char *gvtdmabuf_egl_describe(const struct gvtdmabuf_egl *egl);

int gvtdmabuf_egl_image_create(struct gvtdmabuf_egl *egl,
			       const struct gvtdmabuf_egl_import *imp,
			       struct gvtdmabuf_egl_image **ret_image,
			       char *errbuf, size_t errbuf_size);
void gvtdmabuf_egl_image_destroy(struct gvtdmabuf_egl *egl, struct gvtdmabuf_egl_image *image);
/* The image's rows (width * cpp bytes each) into dst, dst_stride apart. */
int gvtdmabuf_egl_image_read(struct gvtdmabuf_egl *egl, struct gvtdmabuf_egl_image *image,
			     void *dst, uint32_t dst_stride,
			     char *errbuf, size_t errbuf_size);

#endif /* GVTDMABUF_READER_PRIVATE_H */
