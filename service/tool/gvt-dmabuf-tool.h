/* SPDX-License-Identifier: MIT */
/*
 * Private to the gvt-dmabuf command-line tool: exit codes, option and error
 * helpers shared by the commands, and the pixel conversion used by snapshot.
 */
#ifndef GVT_DMABUF_TOOL_H
#define GVT_DMABUF_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gvt-dmabuf/gvt-dmabuf.h>

#define TOOL_NAME "gvt-dmabuf"

/* Exit codes; documented in --help and in gvt-dmabuf(1). */
enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_FAILURE = 1,		/* runtime failure */
	TOOL_EXIT_USAGE = 2,		/* bad command line */
	TOOL_EXIT_NOT_FOUND = 3,	/* no such device, no VFIO/mdev */
	TOOL_EXIT_PERMISSION = 4,	/* permission denied */
	TOOL_EXIT_BUSY = 5,		/* device busy */
	TOOL_EXIT_NO_PICTURE = 6,	/* not a display device, plane off */
};

struct tool_command {
	const char *name;
	const char *summary;
	const char *usage;	/* the full --help text, without DEVICE help */
	bool takes_device;	/* append the DEVICE help to --help */
	int (*run)(int argc, char **argv);
};

extern const struct tool_command tool_list_command;
extern const struct tool_command tool_info_command;
extern const struct tool_command tool_snapshot_command;
extern const struct tool_command tool_watch_command;
#ifdef HAVE_GIO
extern const struct tool_command tool_status_command;
#endif

/* Messages go to stderr as "gvt-dmabuf: ..." (or "gvt-dmabuf CMD: ..."). */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error naming the command and how to get help; returns
 * TOOL_EXIT_USAGE. */
int tool_usage_error(const struct tool_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints the --help text of a command to @p f. */
void tool_print_command_help(const struct tool_command *cmd, FILE *f);

/* The exit code for a negative errno from the library. */
int tool_exit_code(int err);

/*
 * getopt_long() wrapper for the commands: handles --help (returns -1 after
 * printing help, *ret_exit = 0), an unknown option or a missing value
 * (returns -1, *ret_exit = 2).  Otherwise returns what getopt_long returns.
 * The short option string must start with ':' and contain 'h'.
 */
struct option;
int tool_getopt(const struct tool_command *cmd, int argc, char **argv,
		const char *shortopts, const struct option *longopts,
		int *ret_exit);

/* Number parsing: false (after printing an error naming @p opt) when @p s is
 * not a number in the range. */
bool tool_parse_double(const struct tool_command *cmd, const char *opt,
		       const char *s, double min, double max, double *ret);
bool tool_parse_u64(const struct tool_command *cmd, const char *opt,
		    const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Open a device, printing the library's error text on failure.
 * Returns 0 or an exit code. */
int tool_open_device(const char *name, struct gvtdmabuf_device **ret_dev);

/* "primary", "cursor", "sprite". */
const char *tool_plane_name(enum gvtdmabuf_plane plane);

/* "XRGB8888" from the library's table, else the four characters; @p buf
 * holds at least 16 bytes. */
const char *tool_fourcc_name(uint32_t fourcc, char *buf);

/* JSON string output (with escaping). */
void tool_json_string(FILE *f, const char *s);

/* Monotonic time in seconds. */
double tool_now(void);

/* ---- pixels (gvt-dmabuf-pixels.c) ---- */

/* Whether gvtdmabuf_convert_row_rgba8() converts @p fourcc. */
bool tool_pixels_supported(uint32_t fourcc);

/* Whether @p fourcc carries alpha the picture should keep. */
bool tool_pixels_has_alpha(uint32_t fourcc);

/* Blend one non-premultiplied RGBA pixel @p src over opaque @p dst. */
void tool_pixels_blend(uint8_t *dst, const uint8_t *src);

/* An RGBA picture, 4 bytes per pixel, rows packed. */
struct tool_image {
	uint32_t width;
	uint32_t height;
	bool has_alpha;		/* write RGBA rather than RGB */
	uint8_t *rgba;
};

/* Draw @p top (RGBA) onto @p dst with its top-left corner at (x, y),
 * which may be negative or outside: only the overlap is drawn. */
void tool_image_compose(struct tool_image *dst, const struct tool_image *top,
			int64_t x, int64_t y);

void tool_image_finish(struct tool_image *img);

#endif /* GVT_DMABUF_TOOL_H */
