/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf snapshot: what the vGPU's monitor shows, as a PNG file.  The
 * planes are read with one gvtdmabuf_reader (mmap and detile, or a GPU
 * import where the CPU cannot map the dma-buf, as on real GVT-g),
 * converted to 8-bit RGB, and the cursor is blended over it at its position
 * minus its hotspot, clipped to the screen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>

#include "gvt-dmabuf-tool.h"

static const char snapshot_usage[] =
	"Usage: gvt-dmabuf snapshot DEVICE FILE.png [--no-cursor] [--no-sprite]\n"
	"                           [--plane primary|sprite|cursor] [--frame N]\n"
	"                           [--read auto|mmap|egl]\n"
	"\n"
	"Save what DEVICE's monitor shows as a PNG file: the primary plane, the\n"
	"sprite plane over it when the kernel has one and it is enabled, and the\n"
	"cursor at its position minus its hotspot (0 when unknown), alpha\n"
	"blended and clipped to the screen.  Tiled surfaces are detiled; RGB565,\n"
	"XRGB/ARGB/XBGR/ABGR8888, XRGB/XBGR2101010 (10 bits rounded to 8) and\n"
	"packed YUV 4:2:2 (BT.601 limited range) become 8-bit RGB.\n"
	"FILE \"-\" writes the PNG to standard output.  FILE is replaced only\n"
	"when the picture was saved completely.  A disabled primary plane ends\n"
	"with exit status 6 (no picture).\n"
	"\n"
	"Options:\n"
	"  --no-cursor      do not draw the cursor\n"
	"  --no-sprite      do not draw the sprite plane\n"
	"  --plane PLANE    save one plane alone: primary (without the cursor),\n"
	"                   sprite or cursor (with its alpha channel when it has\n"
	"                   one); default: the primary plane with the sprite\n"
	"                   and the cursor\n"
	"  --frame N        sim devices only: switch the simulated guest to frame\n"
	"                   N first (useful with clock=manual)\n"
	"  --read HOW       how pixels reach the CPU: mmap (map and detile), egl\n"
	"                   (import into the GPU through EGL and read back, what\n"
	"                   real GVT-g dma-bufs need: the CPU cannot map them), or\n"
	"                   auto (default: mmap, else egl)\n"
	"  -h, --help       show this help\n";

enum what {
	WHAT_SCREEN,		/* primary + cursor */
	WHAT_PLANE,		/* one plane alone */
};

/* Read a queried, enabled plane into an RGBA picture.  Returns 0 or an exit
 * code after printing an error. */
static int read_plane(struct gvtdmabuf_device *dev, struct gvtdmabuf_reader *reader,
		      const struct gvtdmabuf_plane_info *pi,
		      struct tool_image *ret_img)
{
	const struct gvtdmabuf_format_info *fi = gvtdmabuf_format_lookup(pi->fourcc);
	const struct gvtdmabuf_dmabuf *buf = NULL;
	const char *plane = tool_plane_name(pi->plane);
	uint8_t *linear = NULL, *rgba = NULL;
	uint32_t stride, cpp, y;
	char fbuf[16];
	int r, ret = TOOL_EXIT_OK;

	if (!fi || !tool_pixels_supported(pi->fourcc)) {
		tool_error("the %s plane's format %s (0x%08x) cannot be converted to RGB",
			   plane, tool_fourcc_name(pi->fourcc, fbuf), pi->fourcc);
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	if (!pi->width || !pi->height || pi->width > 16384 || pi->height > 16384) {
		tool_error("the %s plane has an implausible size %ux%u",
			   plane, pi->width, pi->height);
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	cpp = fi->cpp;
	/* Packed 4:2:2 comes in pixel pairs: round up to whole pairs. */
	stride = ((pi->width + 1) & ~1u) * cpp;
	linear = calloc(pi->height, stride);
	rgba = malloc((size_t)pi->width * pi->height * 4);
	if (!linear || !rgba) {
		tool_error("out of memory for a %ux%u picture", pi->width, pi->height);
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}

	r = gvtdmabuf_device_get_dmabuf(dev, pi, &buf);
	if (r < 0) {
		tool_error("cannot get the %s plane's dma-buf (dmabuf_id %u): %s%s",
			   plane, pi->dmabuf_id, strerror(-r),
			   r == -ESTALE ? " (the guest changed it meanwhile: try again)" : "");
		ret = r == -ENODATA ? TOOL_EXIT_NO_PICTURE : TOOL_EXIT_FAILURE;
		goto out;
	}
	r = gvtdmabuf_reader_read(reader, buf, linear, stride);
	if (r < 0) {
		tool_error("cannot read the %s plane's pixels: %s (%s)", plane,
			   gvtdmabuf_reader_get_error(reader), strerror(-r));
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	for (y = 0; y < pi->height; y++)
		gvtdmabuf_convert_row_rgba8(pi->fourcc, linear + (size_t)y * stride, pi->width,
				    rgba + (size_t)y * pi->width * 4);

	ret_img->width = pi->width;
	ret_img->height = pi->height;
	ret_img->has_alpha = tool_pixels_has_alpha(pi->fourcc);
	ret_img->rgba = rgba;
	rgba = NULL;
out:
	free(linear);
	free(rgba);
	return ret;
}

/* Query a plane that must be enabled.  Returns 0 or an exit code. */
static int query_enabled(struct gvtdmabuf_device *dev, enum gvtdmabuf_plane plane,
			 struct gvtdmabuf_plane_info *ret_pi)
{
	const char *name = tool_plane_name(plane);
	int r;

	r = gvtdmabuf_device_query_plane(dev, plane, ret_pi);
	if (r == -EINVAL && plane == GVTDMABUF_PLANE_SPRITE) {
		tool_error("the sprite plane is not supported by this kernel (upstream i915 has only primary and cursor)");
		return TOOL_EXIT_NO_PICTURE;
	}
	if (r < 0) {
		tool_error("cannot query the %s plane of %s: %s", name,
			   gvtdmabuf_device_get_name(dev), strerror(-r));
		return TOOL_EXIT_FAILURE;
	}
	if (!ret_pi->enabled) {
		if (plane == GVTDMABUF_PLANE_PRIMARY)
			tool_error("no picture: the primary plane of %s is disabled (the guest has not set a mode, or its display is off)",
				   gvtdmabuf_device_get_name(dev));
		else
			tool_error("no picture: the %s plane of %s is disabled",
				   name, gvtdmabuf_device_get_name(dev));
		return TOOL_EXIT_NO_PICTURE;
	}
	return TOOL_EXIT_OK;
}

struct png_state {
	jmp_buf jmp;
	char msg[256];
};

static void png_error_cb(png_structp png, png_const_charp msg)
{
	struct png_state *st = png_get_error_ptr(png);

	snprintf(st->msg, sizeof(st->msg), "%s", msg);
	longjmp(st->jmp, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg)
{
}

/* Write @p img to @p f.  Returns 0 or -1 with @p st->msg set. */
static int write_png(FILE *f, const struct tool_image *img, struct png_state *st)
{
	png_structp png;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;
	uint32_t x, y;
	volatile int ret = -1;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, st, png_error_cb,
				      png_warning_cb);
	if (!png) {
		snprintf(st->msg, sizeof(st->msg), "out of memory");
		goto out;
	}
	info = png_create_info_struct(png);
	if (!info) {
		snprintf(st->msg, sizeof(st->msg), "out of memory");
		goto out;
	}
	if (setjmp(st->jmp))
		goto out;

	png_init_io(png, f);
	png_set_IHDR(png, info, img->width, img->height, 8,
		     img->has_alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	/* Speed over size: the screen of a desktop compresses well anyway. */
	png_set_compression_level(png, 3);
	png_write_info(png, info);
	if (img->has_alpha) {
		for (y = 0; y < img->height; y++)
			png_write_row(png, img->rgba + (size_t)y * img->width * 4);
	} else {
		row = malloc((size_t)img->width * 3);
		if (!row) {
			snprintf(st->msg, sizeof(st->msg), "out of memory");
			goto out;
		}
		for (y = 0; y < img->height; y++) {
			const uint8_t *s = img->rgba + (size_t)y * img->width * 4;

			for (x = 0; x < img->width; x++) {
				row[x * 3 + 0] = s[x * 4 + 0];
				row[x * 3 + 1] = s[x * 4 + 1];
				row[x * 3 + 2] = s[x * 4 + 2];
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, info);
	ret = 0;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	return ret;
}

/* The temporary file next to FILE, so that rename() replaces FILE at once
 * and a failed snapshot leaves no half-written picture. */
static int open_output(const char *path, char **ret_tmp, FILE **ret_f)
{
	size_t n = strlen(path) + 16;
	char *tmp;
	int fd = -1, ret = TOOL_EXIT_FAILURE;
	FILE *f;

	tmp = malloc(n);
	if (!tmp) {
		tool_error("out of memory");
		goto out;
	}
	snprintf(tmp, n, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		tool_error("cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		tool_error("cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	*ret_tmp = tmp;
	*ret_f = f;
	tmp = NULL;
	fd = -1;
	ret = TOOL_EXIT_OK;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

struct snapshot_args {
	const char *device;
	const char *path;
	enum what what;
	enum gvtdmabuf_plane plane;
	bool cursor;
	bool sprite;
	bool have_frame;
	uint64_t frame;
	uint32_t read_flags;	/* gvtdmabuf_reader_create()'s */
};

/* Parse the command line.  Returns 0, or an exit code after printing the
 * help or a usage error (nothing to clean up here). */
static int snapshot_parse(int argc, char **argv, struct snapshot_args *a)
{
	static const struct option opts[] = {
		{ "no-cursor", no_argument, NULL, 'C' },
		{ "no-sprite", no_argument, NULL, 'S' },
		{ "plane", required_argument, NULL, 'p' },
		{ "frame", required_argument, NULL, 'f' },
		{ "read", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tool_command *cmd = &tool_snapshot_command;
	int c, ret = TOOL_EXIT_OK;

	memset(a, 0, sizeof(*a));
	a->what = WHAT_SCREEN;
	a->plane = GVTDMABUF_PLANE_PRIMARY;
	a->cursor = true;
	a->sprite = true;
	while ((c = tool_getopt(cmd, argc, argv, ":h", opts, &ret)) >= 0) {
		switch (c) {
		case 'C':
			a->cursor = false;
			break;
		case 'S':
			a->sprite = false;
			break;
		case 'p':
			a->what = WHAT_PLANE;
			if (!strcmp(optarg, "primary"))
				a->plane = GVTDMABUF_PLANE_PRIMARY;
			else if (!strcmp(optarg, "cursor"))
				a->plane = GVTDMABUF_PLANE_CURSOR;
			else if (!strcmp(optarg, "sprite"))
				a->plane = GVTDMABUF_PLANE_SPRITE;
			else
				return tool_usage_error(cmd, "bad value for --plane: '%s' (expected primary, sprite or cursor)",
							optarg);
			break;
		case 'f':
			if (!tool_parse_u64(cmd, "--frame", optarg, 0, UINT64_MAX, &a->frame))
				return TOOL_EXIT_USAGE;
			a->have_frame = true;
			break;
		case 'r':
			if (!strcmp(optarg, "auto"))
				a->read_flags = 0;
			else if (!strcmp(optarg, "mmap"))
				a->read_flags = GVTDMABUF_READER_CPU_ONLY;
			else if (!strcmp(optarg, "egl"))
				a->read_flags = GVTDMABUF_READER_GPU_ONLY;
			else
				return tool_usage_error(cmd, "bad value for --read: '%s' (expected auto, mmap or egl)",
							optarg);
			break;
		}
	}
	if (c == -1)
		return ret == TOOL_EXIT_OK ? -1 : ret;	/* -1: help shown */
	if (optind >= argc)
		return tool_usage_error(cmd, "missing DEVICE");
	if (optind + 1 >= argc)
		return tool_usage_error(cmd, "missing FILE (the PNG file to write, or - for standard output)");
	if (optind + 2 < argc)
		return tool_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
	a->device = argv[optind];
	a->path = argv[optind + 1];
	if (!*a->path)
		return tool_usage_error(cmd, "FILE is empty");
	if (a->what == WHAT_PLANE && (!a->cursor || !a->sprite))
		return tool_usage_error(cmd, "%s and --plane do not go together (--plane saves one plane alone)",
					a->cursor ? "--no-sprite" : "--no-cursor");
	return TOOL_EXIT_OK;
}

/* Draw the sprite and the cursor over the primary plane's picture. */
static int compose_screen(struct gvtdmabuf_device *dev, struct gvtdmabuf_reader *reader,
			  const struct snapshot_args *a,
			  const struct gvtdmabuf_plane_info *pi, struct tool_image *img)
{
	struct gvtdmabuf_plane_info si, ci;
	struct tool_image spr = { 0 }, cur = { 0 };
	int r, ret = TOOL_EXIT_OK;

	/* The screen is opaque. */
	img->has_alpha = false;
	/* The sprite only exists on gvtsim: -EINVAL elsewhere. */
	r = a->sprite ? gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_SPRITE, &si) : -EINVAL;
	if (r < 0 && r != -EINVAL) {
		tool_error("cannot query the sprite plane of %s: %s (use --no-sprite to skip it)",
			   a->device, strerror(-r));
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	if (r == 0 && si.enabled) {
		ret = read_plane(dev, reader, &si, &spr);
		if (ret)
			goto out;
		tool_image_compose(img, &spr, (int64_t)si.x - pi->x, (int64_t)si.y - pi->y);
	}

	if (!a->cursor)
		goto out;
	r = gvtdmabuf_device_query_plane(dev, GVTDMABUF_PLANE_CURSOR, &ci);
	if (r < 0) {
		tool_error("cannot query the cursor plane of %s: %s (use --no-cursor to skip it)",
			   a->device, strerror(-r));
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	if (ci.enabled) {
		ret = read_plane(dev, reader, &ci, &cur);
		if (ret)
			goto out;
		/* The cursor's position is on the pipe, the picture starts
		 * at the primary plane's position; the image's top-left is
		 * the position minus the hotspot. */
		tool_image_compose(img, &cur,
				   (int64_t)ci.x - (ci.hotspot_known ? (int64_t)ci.x_hot : 0) - pi->x,
				   (int64_t)ci.y - (ci.hotspot_known ? (int64_t)ci.y_hot : 0) - pi->y);
	}
out:
	tool_image_finish(&spr);
	tool_image_finish(&cur);
	return ret;
}

static int snapshot_run(int argc, char **argv)
{
	struct snapshot_args a;
	struct gvtdmabuf_device *dev = NULL;
	struct gvtdmabuf_reader *reader = NULL;
	struct gvtdmabuf_plane_info pi;
	struct tool_image img = { 0 };
	struct png_state st = { .msg = "" };
	char *tmp = NULL;
	FILE *f = NULL;
	bool own_f = false;
	int r, ret;
	mode_t mask;

	ret = snapshot_parse(argc, argv, &a);
	if (ret) {
		ret = ret < 0 ? TOOL_EXIT_OK : ret;
		goto out;
	}

	/* Fail on an unwritable FILE before touching the device. */
	if (!strcmp(a.path, "-")) {
		f = stdout;
	} else {
		ret = open_output(a.path, &tmp, &f);
		if (ret)
			goto out;
		own_f = true;
		/* mkstemp() made it 0600; a picture gets the usual mode. */
		mask = umask(0);
		umask(mask);
		fchmod(fileno(f), 0666 & ~mask);
	}

	ret = tool_open_device(a.device, &dev);
	if (ret)
		goto out;

	if (a.have_frame) {
		r = gvtdmabuf_sim_set_frame(dev, a.frame);
		if (r == -ENOTSUP) {
			ret = tool_usage_error(&tool_snapshot_command,
					       "--frame only works with sim devices, not with %s",
					       a.device);
			goto out;
		} else if (r < 0) {
			tool_error("cannot switch %s to frame %" PRIu64 ": %s", a.device,
				   a.frame, strerror(-r));
			ret = TOOL_EXIT_FAILURE;
			goto out;
		}
	}

	r = gvtdmabuf_reader_create(a.read_flags, &reader);
	if (r < 0) {
		tool_error("cannot create a reader: %s", strerror(-r));
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	ret = query_enabled(dev, a.plane, &pi);
	if (ret)
		goto out;
	ret = read_plane(dev, reader, &pi, &img);
	if (ret)
		goto out;
	if (a.what == WHAT_SCREEN) {
		ret = compose_screen(dev, reader, &a, &pi, &img);
		if (ret)
			goto out;
	}

	if (write_png(f, &img, &st) < 0 || fflush(f) != 0 || ferror(f)) {
		tool_error("cannot write '%s': %s", a.path,
			   st.msg[0] ? st.msg : strerror(errno));
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	if (tmp) {
		r = fclose(f);
		f = NULL;
		if (r != 0 || rename(tmp, a.path) < 0) {
			tool_error("cannot write '%s': %s", a.path, strerror(errno));
			ret = TOOL_EXIT_FAILURE;
			goto out;
		}
		free(tmp);
		tmp = NULL;
	}
out:
	if (own_f && f)
		fclose(f);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	tool_image_finish(&img);
	gvtdmabuf_reader_destroy(reader);
	gvtdmabuf_device_close(dev);
	return ret;
}

const struct tool_command tool_snapshot_command = {
	.name = "snapshot",
	.summary = "save a vGPU's screen (primary plane and cursor) as PNG",
	.usage = snapshot_usage,
	.takes_device = true,
	.run = snapshot_run,
};
