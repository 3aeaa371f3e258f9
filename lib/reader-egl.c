/* SPDX-License-Identifier: MIT */
/*
 * The reader's GPU path: import a dma-buf through EGL
 * (EGL_EXT_image_dma_buf_import, with _modifiers for tiled buffers) into a
 * GLES texture and read it back linear with glReadPixels from a
 * framebuffer object.
 *
 * Byte-exact: the buffer is imported as DRM_FORMAT_ABGR8888 (bytes R, G,
 * B, A in memory order, GL_RGBA / GL_UNSIGNED_BYTE in glReadPixels) with
 * the width in 4-byte units, whatever its real format (every format of
 * the table has 2 or 4 bytes per pixel; tiling is byte-addressed).  No
 * colour conversion happens and the 10-bit and YUV formats come back
 * exactly as the guest wrote them, as from the CPU path.
 *
 * Which GPU: the EGL device platform (EGL_EXT_device_enumeration), first
 * a device with a render node of a real GPU (the i915 render node on an
 * Intel host), else Mesa's software device (EGL_MESA_device_software,
 * llvmpipe).  vgem and vkms render nodes are skipped: Mesa drives them
 * with kms_swrast, whose dma-buf imports read zeros (measured with Mesa
 * 25.0.7).  Without device enumeration, Mesa's surfaceless platform.
 *
 * The reader's context is made current only inside its calls, and the
 * caller's current context (of the bound client API) is restored after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "reader-private.h"

#ifndef HAVE_EGL

struct gvtdmabuf_egl {
	int unused;
};

int gvtdmabuf_egl_create(struct gvtdmabuf_egl **ret_egl, char *errbuf, size_t errbuf_size)
{
	gvtdmabuf_set_error(errbuf, errbuf_size,
			    "libgvtdmabuf was built without EGL (-Degl=disabled, or no libEGL/libGLESv2 "
			    "at build time), so it has no GPU readback");
	return -ENOTSUP;
}

void gvtdmabuf_egl_destroy(struct gvtdmabuf_egl *egl)
{
}

const char *gvtdmabuf_egl_describe(const struct gvtdmabuf_egl *egl)
{
	return "no EGL";
}

int gvtdmabuf_egl_image_create(struct gvtdmabuf_egl *egl,
			       const struct gvtdmabuf_egl_import *imp,
			       struct gvtdmabuf_egl_image **ret_image,
			       char *errbuf, size_t errbuf_size)
{
	return -ENOTSUP;
}

void gvtdmabuf_egl_image_destroy(struct gvtdmabuf_egl *egl, struct gvtdmabuf_egl_image *image)
{
}

int gvtdmabuf_egl_image_read(struct gvtdmabuf_egl *egl, struct gvtdmabuf_egl_image *image,
			     void *dst, uint32_t dst_stride,
			     char *errbuf, size_t errbuf_size)
{
	return -ENOTSUP;
}

#else /* HAVE_EGL */

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#ifndef EGL_DRM_RENDER_NODE_FILE_EXT
#define EGL_DRM_RENDER_NODE_FILE_EXT 0x3377
#endif
#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif

#define MAX_DEVICES 16
#define MAX_MODIFIERS 64

struct gvtdmabuf_egl {
	EGLDisplay dpy;
	EGLContext ctx;
	bool es3;
	bool modifiers;		/* EGL_EXT_image_dma_buf_import_modifiers */
	char desc[128];
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;
};

struct gvtdmabuf_egl_image {
	EGLImageKHR image;
	GLuint tex, fbo;
	uint32_t width4;	/* width in 4-byte units */
	uint32_t height;
	uint32_t row_bytes;	/* width * cpp */
	uint8_t *scratch;	/* tight rows, when dst cannot take them */
};

struct saved_current {
	EGLenum api;
	EGLDisplay dpy;
	EGLSurface draw, read;
	EGLContext ctx;
};

/* Whether the space-separated list @p list holds @p name. */
static bool has_ext(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && (p = strstr(p, name))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static const char *egl_error_name(EGLint e)
{
	switch (e) {
	case EGL_SUCCESS: return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
	case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
	case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
	case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
	case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
	default: return "EGL error";
	}
}

static bool make_current(struct gvtdmabuf_egl *egl, struct saved_current *s)
{
	s->api = eglQueryAPI();
	s->dpy = eglGetCurrentDisplay();
	s->draw = eglGetCurrentSurface(EGL_DRAW);
	s->read = eglGetCurrentSurface(EGL_READ);
	s->ctx = eglGetCurrentContext();
	if (!eglBindAPI(EGL_OPENGL_ES_API))
		return false;
	return eglMakeCurrent(egl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, egl->ctx);
}

static void restore_current(struct gvtdmabuf_egl *egl, const struct saved_current *s)
{
	if (s->ctx != EGL_NO_CONTEXT && s->dpy != EGL_NO_DISPLAY)
		eglMakeCurrent(s->dpy, s->draw, s->read, s->ctx);
	else
		eglMakeCurrent(egl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglBindAPI(s->api);
}

/* The DRM driver behind a render node ("i915", "vgem"), into name. */
static void node_driver(const char *node, char *name, size_t size)
{
	drmVersionPtr v;
	int fd;

	snprintf(name, size, "?");
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	v = drmGetVersion(fd);
	if (v) {
		snprintf(name, size, "%s", v->name ? v->name : "?");
		drmFreeVersion(v);
	}
	close(fd);
}

/* A display on the best device: a real GPU's render node, else the
 * software device; EGL_NO_DISPLAY if neither.  skipped lists what was
 * passed over. */
static EGLDisplay device_display(struct gvtdmabuf_egl *egl, char *skipped, size_t skipped_size)
{
	PFNEGLQUERYDEVICESEXTPROC query_devices =
		(PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
	PFNEGLQUERYDEVICESTRINGEXTPROC query_string =
		(PFNEGLQUERYDEVICESTRINGEXTPROC)eglGetProcAddress("eglQueryDeviceStringEXT");
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	EGLDeviceEXT devs[MAX_DEVICES], hw = EGL_NO_DEVICE_EXT, sw = EGL_NO_DEVICE_EXT;
	char hw_desc[96] = "", drv[32];
	EGLint n = 0, i;
	size_t used = 0;

	skipped[0] = '\0';
	if (!query_devices || !query_string || !get_display ||
	    !query_devices(MAX_DEVICES, devs, &n))
		return EGL_NO_DISPLAY;
	for (i = 0; i < n; i++) {
		const char *exts = query_string(devs[i], EGL_EXTENSIONS);
		const char *node = NULL;

		if (has_ext(exts, "EGL_EXT_device_drm_render_node"))
			node = query_string(devs[i], EGL_DRM_RENDER_NODE_FILE_EXT);
		if (node) {
			node_driver(node, drv, sizeof(drv));
			if (!strcmp(drv, "vgem") || !strcmp(drv, "vkms")) {
				int k = snprintf(skipped + used, skipped_size - used, "%s%s (%s)",
						 used ? ", " : "", node, drv);

				if (k > 0 && (size_t)k < skipped_size - used)
					used += (size_t)k;
				continue;
			}
			if (hw == EGL_NO_DEVICE_EXT) {
				hw = devs[i];
				snprintf(hw_desc, sizeof(hw_desc), "EGL device %s (%s)", node, drv);
			}
		} else if (has_ext(exts, "EGL_MESA_device_software") && sw == EGL_NO_DEVICE_EXT) {
			sw = devs[i];
		}
	}
	if (hw != EGL_NO_DEVICE_EXT) {
		snprintf(egl->desc, sizeof(egl->desc), "%s", hw_desc);
		return get_display(EGL_PLATFORM_DEVICE_EXT, hw, NULL);
	}
	if (sw != EGL_NO_DEVICE_EXT) {
		snprintf(egl->desc, sizeof(egl->desc), "EGL software device");
		return get_display(EGL_PLATFORM_DEVICE_EXT, sw, NULL);
	}
	return EGL_NO_DISPLAY;
}

void gvtdmabuf_egl_destroy(struct gvtdmabuf_egl *egl)
{
	if (!egl)
		return;
	if (egl->dpy != EGL_NO_DISPLAY) {
		if (egl->ctx != EGL_NO_CONTEXT)
			eglDestroyContext(egl->dpy, egl->ctx);
		eglTerminate(egl->dpy);
	}
	free(egl);
}

int gvtdmabuf_egl_create(struct gvtdmabuf_egl **ret_egl, char *errbuf, size_t errbuf_size)
{
	static const EGLint es3[] = { EGL_CONTEXT_CLIENT_VERSION, 3, EGL_NONE };
	static const EGLint es2[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE };
	static const EGLint config_attribs[] = {
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_SURFACE_TYPE, 0, EGL_NONE,
	};
	struct gvtdmabuf_egl *egl;
	const char *client, *exts;
	char skipped[256];
	EGLConfig config = NULL;
	EGLint major, minor, n;
	EGLenum api;
	int r = -ENOTSUP;

	egl = calloc(1, sizeof(*egl));
	if (!egl)
		return -ENOMEM;
	egl->dpy = EGL_NO_DISPLAY;
	egl->ctx = EGL_NO_CONTEXT;

	client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (!client) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "EGL has no client extensions (libEGL older than 1.5?): no GPU readback");
		goto error;
	}
	if (has_ext(client, "EGL_EXT_device_enumeration") &&
	    has_ext(client, "EGL_EXT_platform_device"))
		egl->dpy = device_display(egl, skipped, sizeof(skipped));
	else
		skipped[0] = '\0';
	if (egl->dpy == EGL_NO_DISPLAY && has_ext(client, "EGL_MESA_platform_surfaceless")) {
		PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
			(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");

		if (get_display) {
			egl->dpy = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
			snprintf(egl->desc, sizeof(egl->desc), "EGL surfaceless platform");
		}
	}
	if (egl->dpy == EGL_NO_DISPLAY) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "no EGL device to import dma-bufs with: no GPU render node%s%s%s, no "
				    "software device (EGL_MESA_device_software) and no surfaceless platform "
				    "(install Mesa's libegl-mesa0, or run on a host with a GPU)",
				    skipped[0] ? " (skipped: " : "", skipped, skipped[0] ? ")" : "");
		goto error;
	}
	if (!eglInitialize(egl->dpy, &major, &minor)) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "eglInitialize on the %s failed: %s",
				    egl->desc, egl_error_name(eglGetError()));
		egl->dpy = EGL_NO_DISPLAY;
		goto error;
	}
	exts = eglQueryString(egl->dpy, EGL_EXTENSIONS);
	if (!has_ext(exts, "EGL_EXT_image_dma_buf_import") ||
	    !has_ext(exts, "EGL_KHR_image_base") ||
	    !has_ext(exts, "EGL_KHR_surfaceless_context")) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "the %s (EGL %d.%d) lacks %s: it cannot import dma-bufs "
				    "(Mesa's llvmpipe imports them from Mesa 24.1)", egl->desc, major, minor,
				    !has_ext(exts, "EGL_EXT_image_dma_buf_import") ?
				    "EGL_EXT_image_dma_buf_import" :
				    !has_ext(exts, "EGL_KHR_image_base") ? "EGL_KHR_image_base" :
				    "EGL_KHR_surfaceless_context");
		goto error;
	}
	egl->modifiers = has_ext(exts, "EGL_EXT_image_dma_buf_import_modifiers");
	egl->create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	egl->destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	egl->query_modifiers =
		(PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress("eglQueryDmaBufModifiersEXT");
	egl->image_target_texture =
		(PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress("glEGLImageTargetTexture2DOES");
	if (!egl->create_image || !egl->destroy_image || !egl->image_target_texture) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "the %s has no eglCreateImageKHR or glEGLImageTargetTexture2DOES",
				    egl->desc);
		goto error;
	}
	if (!egl->query_modifiers)
		egl->modifiers = false;

	api = eglQueryAPI();
	if (!eglBindAPI(EGL_OPENGL_ES_API)) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "the %s has no OpenGL ES", egl->desc);
		goto error;
	}
	if (!has_ext(exts, "EGL_KHR_no_config_context") &&
	    (!eglChooseConfig(egl->dpy, config_attribs, &config, 1, &n) || n < 1)) {
		eglBindAPI(api);
		gvtdmabuf_set_error(errbuf, errbuf_size, "the %s has no OpenGL ES 2 config",
				    egl->desc);
		goto error;
	}
	egl->ctx = eglCreateContext(egl->dpy, config, EGL_NO_CONTEXT, es3);
	egl->es3 = egl->ctx != EGL_NO_CONTEXT;
	if (!egl->es3)
		egl->ctx = eglCreateContext(egl->dpy, config, EGL_NO_CONTEXT, es2);
	eglBindAPI(api);
	if (egl->ctx == EGL_NO_CONTEXT) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "cannot create an OpenGL ES context on the %s: %s", egl->desc,
				    egl_error_name(eglGetError()));
		goto error;
	}
	*ret_egl = egl;
	return 0;

error:
	gvtdmabuf_egl_destroy(egl);
	return r;
}

const char *gvtdmabuf_egl_describe(const struct gvtdmabuf_egl *egl)
{
	return egl ? egl->desc : "no EGL";
}

/* Whether the display imports ABGR8888 with @p modifier.  Lists what it
 * takes into why.  An external-only claim is not trusted either way (the
 * framebuffer check after the import tells): Mesa 25's llvmpipe leaves
 * the array unwritten. */
static bool modifier_importable(struct gvtdmabuf_egl *egl, uint64_t modifier,
				char *why, size_t why_size)
{
	EGLuint64KHR mods[MAX_MODIFIERS];
	EGLBoolean external[MAX_MODIFIERS];
	EGLint n = 0, i;
	size_t used = 0;

	why[0] = '\0';
	memset(external, 0, sizeof(external));
	if (!egl->modifiers)
		return modifier == DRM_FORMAT_MOD_LINEAR;
	if (!egl->query_modifiers(egl->dpy, DRM_FORMAT_ABGR8888, MAX_MODIFIERS, mods,
				  external, &n))
		return true;	/* cannot tell: let eglCreateImage decide */
	if (n == 0)
		return true;	/* no list: implicit modifiers only, try */
	for (i = 0; i < n; i++) {
		int k;

		if (mods[i] == modifier)
			return true;
		k = snprintf(why + used, why_size - used, "%s%s%s", used ? ", " : "",
			     gvtdmabuf_modifier_name(mods[i]), external[i] ? " (external only)" : "");
		if (k > 0 && (size_t)k < why_size - used)
			used += (size_t)k;
	}
	return false;
}

void gvtdmabuf_egl_image_destroy(struct gvtdmabuf_egl *egl, struct gvtdmabuf_egl_image *img)
{
	struct saved_current s;

	if (!img)
		return;
	if (egl && make_current(egl, &s)) {
		if (img->fbo)
			glDeleteFramebuffers(1, &img->fbo);
		if (img->tex)
			glDeleteTextures(1, &img->tex);
		restore_current(egl, &s);
	}
	if (egl && img->image != EGL_NO_IMAGE_KHR)
		egl->destroy_image(egl->dpy, img->image);
	free(img->scratch);
	free(img);
}

int gvtdmabuf_egl_image_create(struct gvtdmabuf_egl *egl,
			       const struct gvtdmabuf_egl_import *imp,
			       struct gvtdmabuf_egl_image **ret_image,
			       char *errbuf, size_t errbuf_size)
{
	struct gvtdmabuf_egl_image *img;
	struct saved_current s;
	char takes[256];
	EGLint attribs[32];
	unsigned int k = 0;
	bool current = false;
	GLenum status;
	int r = -ENOTSUP;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->image = EGL_NO_IMAGE_KHR;
	img->row_bytes = imp->width * imp->cpp;
	img->width4 = (img->row_bytes + 3) / 4;
	img->height = imp->height;
	if ((imp->cpp != 2 && imp->cpp != 4) || (uint64_t)img->width4 * 4 > imp->stride) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "%u-byte pixels in rows of %u bytes cannot be imported byte-exact",
				    imp->cpp, imp->stride);
		goto error;
	}
	if (!modifier_importable(egl, imp->modifier, takes, sizeof(takes))) {
		if (!egl->modifiers)
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "the %s lacks EGL_EXT_image_dma_buf_import_modifiers, so it "
					    "imports LINEAR buffers only, not %s", egl->desc,
					    gvtdmabuf_modifier_name(imp->modifier));
		else
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "the %s does not import modifier %s (it takes: %s)",
					    egl->desc, gvtdmabuf_modifier_name(imp->modifier), takes);
		goto error;
	}

	attribs[k++] = EGL_WIDTH;
	attribs[k++] = (EGLint)img->width4;
	attribs[k++] = EGL_HEIGHT;
	attribs[k++] = (EGLint)imp->height;
	attribs[k++] = EGL_LINUX_DRM_FOURCC_EXT;
	attribs[k++] = DRM_FORMAT_ABGR8888;
	attribs[k++] = EGL_DMA_BUF_PLANE0_FD_EXT;
	attribs[k++] = imp->fd;
	attribs[k++] = EGL_DMA_BUF_PLANE0_OFFSET_EXT;
	attribs[k++] = (EGLint)imp->offset;
	attribs[k++] = EGL_DMA_BUF_PLANE0_PITCH_EXT;
	attribs[k++] = (EGLint)imp->stride;
	if (egl->modifiers) {
		attribs[k++] = EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT;
		attribs[k++] = (EGLint)(imp->modifier & 0xffffffffu);
		attribs[k++] = EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT;
		attribs[k++] = (EGLint)(imp->modifier >> 32);
	}
	attribs[k++] = EGL_NONE;

	img->image = egl->create_image(egl->dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL,
				       attribs);
	if (img->image == EGL_NO_IMAGE_KHR) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "the %s refuses to import it (eglCreateImage: %s; modifier %s)",
				    egl->desc, egl_error_name(eglGetError()),
				    gvtdmabuf_modifier_name(imp->modifier));
		goto error;
	}
	if (!make_current(egl, &s)) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "eglMakeCurrent on the %s: %s",
				    egl->desc, egl_error_name(eglGetError()));
		goto error;
	}
	current = true;
	glGenTextures(1, &img->tex);
	glBindTexture(GL_TEXTURE_2D, img->tex);
	egl->image_target_texture(GL_TEXTURE_2D, (GLeglImageOES)img->image);
	glGenFramebuffers(1, &img->fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, img->fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, img->tex, 0);
	status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glBindTexture(GL_TEXTURE_2D, 0);
	if (status != GL_FRAMEBUFFER_COMPLETE || glGetError() != GL_NO_ERROR) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "the %s imported it but cannot read from it (framebuffer status 0x%x)",
				    egl->desc, status);
		goto error;
	}
	restore_current(egl, &s);
	*ret_image = img;
	return 0;

error:
	if (current)
		restore_current(egl, &s);
	gvtdmabuf_egl_image_destroy(egl, img);
	return r;
}

int gvtdmabuf_egl_image_read(struct gvtdmabuf_egl *egl, struct gvtdmabuf_egl_image *img,
			     void *dst, uint32_t dst_stride,
			     char *errbuf, size_t errbuf_size)
{
	struct saved_current s;
	bool direct;
	GLenum err;
	uint32_t y;
	int r = 0;

	if (!make_current(egl, &s)) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "eglMakeCurrent on the %s: %s",
				    egl->desc, egl_error_name(eglGetError()));
		return -EIO;
	}
	/* Straight into dst when its rows take whole 4-byte units (ES 3's
	 * GL_PACK_ROW_LENGTH), else through tight rows of our own. */
	direct = egl->es3 && dst_stride % 4 == 0 && img->width4 * 4u <= dst_stride;
	if (!direct && !img->scratch) {
		img->scratch = malloc((size_t)img->width4 * 4 * img->height);
		if (!img->scratch) {
			r = -ENOMEM;
			goto out;
		}
	}
	glBindFramebuffer(GL_FRAMEBUFFER, img->fbo);
	glPixelStorei(GL_PACK_ALIGNMENT, 4);
	if (egl->es3)
		glPixelStorei(GL_PACK_ROW_LENGTH, direct ? (GLint)(dst_stride / 4) : 0);
	glReadPixels(0, 0, (GLsizei)img->width4, (GLsizei)img->height, GL_RGBA, GL_UNSIGNED_BYTE,
		     direct ? dst : img->scratch);
	err = glGetError();
	if (egl->es3)
		glPixelStorei(GL_PACK_ROW_LENGTH, 0);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	if (err != GL_NO_ERROR) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "glReadPixels on the %s: GL error 0x%x",
				    egl->desc, err);
		r = -EIO;
		goto out;
	}
	if (!direct)
		for (y = 0; y < img->height; y++)
			memcpy((uint8_t *)dst + (size_t)y * dst_stride,
			       img->scratch + (size_t)y * img->width4 * 4, img->row_bytes);
out:
	restore_current(egl, &s);
	return r;
}

#endif /* HAVE_EGL */
