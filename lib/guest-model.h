/* SPDX-License-Identifier: MIT */
/*
 * The guest model: a tiny "guest driver" that programs a gvtsim vGPU's
 * display registers and paints an animated desktop into its graphics
 * memory, flipping between two or three framebuffers.
 *
 * Transport-agnostic: registers go through a callback (VFIO region writes
 * in the vm suite, a plain array in the sim backend) and pixels go to a
 * pointer to graphics memory (BAR2 mmap, or the sim's memfd mapping).
 * Plain C + libdrm's drm_fourcc.h, no GLib: the vm suite links it into
 * static test programs.
 *
 * Everything a frame shows is a pure function of (config, frame number,
 * flip time), so a test computes what it should receive with the
 * gvtsim_guest_expected_*() functions instead of keeping copies.  Each frame
 * carries its frame number and flip time (microseconds, chosen by the
 * caller) as a black/white block code in the top-left corner, readable
 * after lossy encoding with gvtsim_guest_decode_blockcode().
 *
 * Graphics memory layout (gvtsim_guest_compute_layout()):
 *   [fb 0][fb 1][fb 2?][cursor image][sprite image?]
 * each part page (4 KiB) aligned, framebuffers in whole tile rows.
 *
 * Coordinates: (0,0) is the top-left pixel of the primary plane.  Cursor
 * positions are the top-left corner of the cursor image (hotspot 0, as the
 * kernel reports the hotspot unknown) and may be negative.
 */
#ifndef GVTSIM_GUEST_MODEL_H
#define GVTSIM_GUEST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Block code geometry: GVTSIM_BLOCKCODE_COLS x GVTSIM_BLOCKCODE_ROWS cells
 * of GVTSIM_BLOCKCODE_CELL x GVTSIM_BLOCKCODE_CELL pixels at (0,0).
 * Row 0: sync pattern (white, black, white...), rows 1-4: frame number
 * (64 bits, MSB first), rows 5-8: time in us (64 bits), row 9: 16-bit
 * check value over the 16 payload bytes.  White = 1. */
#define GVTSIM_BLOCKCODE_CELL	16u
#define GVTSIM_BLOCKCODE_COLS	16u
#define GVTSIM_BLOCKCODE_ROWS	10u
#define GVTSIM_BLOCKCODE_WIDTH	(GVTSIM_BLOCKCODE_CELL * GVTSIM_BLOCKCODE_COLS)
#define GVTSIM_BLOCKCODE_HEIGHT	(GVTSIM_BLOCKCODE_CELL * GVTSIM_BLOCKCODE_ROWS)

/* Smallest and largest modes the model paints. */
#define GVTSIM_GUEST_MIN_WIDTH	GVTSIM_BLOCKCODE_WIDTH
#define GVTSIM_GUEST_MIN_HEIGHT	GVTSIM_BLOCKCODE_HEIGHT
#define GVTSIM_GUEST_MAX_WIDTH	8192u
#define GVTSIM_GUEST_MAX_HEIGHT	8192u

#define GVTSIM_GUEST_MAX_BUFFERS 3u

/* The sprite (when enabled) is a fixed-size opaque XRGB8888 linear
 * "video overlay" that moves with the frame number. */
#define GVTSIM_GUEST_SPRITE_WIDTH	128u
#define GVTSIM_GUEST_SPRITE_HEIGHT	96u

/**
 * What the guest sets up.  Zero-initialise, then fill; see
 * gvtsim_guest_config_default().
 */
struct gvtsim_guest_config {
	uint32_t width;		/**< primary plane / pipe size in pixels */
	uint32_t height;
	uint32_t fourcc;	/**< DRM_FORMAT_XRGB8888, ARGB8888, XBGR8888,
				     ABGR8888, RGB565, XRGB2101010,
				     XBGR2101010, YUYV */
	uint64_t modifier;	/**< DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED,
				     I915_FORMAT_MOD_Y_TILED, I915_FORMAT_MOD_Yf_TILED
				     (Y and Yf: gen 9 only) */
	unsigned int n_buffers;	/**< 2 or 3 framebuffers */
	unsigned int gen;	/**< 8 (DSPCNTR layout) or 9 (PLANE_CTL) */
	uint32_t cursor_size;	/**< 64, 128, 256, or 0 for no cursor */
	bool sprite;		/**< also show the sprite plane */
	uint32_t fps;		/**< frame rate (only used by callers for timing) */
};

/** Where everything lives in graphics memory. */
struct gvtsim_guest_layout {
	uint32_t cpp;			/**< bytes per pixel of the primary */
	uint32_t stride;		/**< primary stride in bytes */
	uint32_t tile_height;		/**< rows per tile row (1 linear, 8 X, 32 Y/Yf) */
	uint32_t fb_size;		/**< bytes per framebuffer (page aligned) */
	uint64_t fb_offset[GVTSIM_GUEST_MAX_BUFFERS];
	uint64_t cursor_offset;		/**< cursor image (if cursor_size) */
	uint32_t cursor_bytes;		/**< cursor_size^2 * 4, page aligned */
	uint64_t sprite_offset;		/**< sprite image (if sprite) */
	uint32_t sprite_stride;		/**< bytes */
	uint32_t sprite_bytes;
	uint64_t gm_size;		/**< graphics memory needed in total */
};

/** Register write (offset = byte offset in BAR0). */
typedef void (*gvtsim_guest_write_reg_fn)(void *user, uint32_t offset, uint32_t value);
/** Register read; may be NULL (the model never needs to read back). */
typedef uint32_t (*gvtsim_guest_read_reg_fn)(void *user, uint32_t offset);

/**
 * A guest.  Caller memory: gvtsim_guest_init() / gvtsim_guest_finish().
 * Fields are read-only for users.
 */
struct gvtsim_guest {
	struct gvtsim_guest_config cfg;
	struct gvtsim_guest_layout layout;
	gvtsim_guest_write_reg_fn write_reg;
	gvtsim_guest_read_reg_fn read_reg;
	void *user;
	uint8_t *gm;			/**< graphics memory mapping */
	uint64_t gm_size;
	uint8_t *band;			/**< scratch: one tile row of native pixels */
	uint32_t *argb_row;		/**< scratch: one ARGB row */
	uint32_t *bg_base;		/**< per column: background red | x & 0xff */
	uint32_t *win_rows;		/**< per window: its row patterns */
	bool have_frame;
	uint64_t frame;			/**< frame on screen (if have_frame) */
	unsigned int front;		/**< buffer index on screen */
};

/** Fill @p cfg with the defaults: 1280x720 XRGB8888 linear, 2 buffers,
 * gen 9, 64x64 cursor, no sprite, 60 fps. */
void gvtsim_guest_config_default(struct gvtsim_guest_config *cfg);

/**
 * Check a config.
 * @param why if not NULL, receives a static sentence naming the bad field
 * @return 0 or -EINVAL (bad value or combination the hardware cannot do)
 */
int gvtsim_guest_config_check(const struct gvtsim_guest_config *cfg, const char **why);

/**
 * Compute where framebuffers, cursor and sprite go.
 * @return 0 or the error of gvtsim_guest_config_check() (ret untouched)
 */
int gvtsim_guest_compute_layout(const struct gvtsim_guest_config *cfg,
				struct gvtsim_guest_layout *ret_layout);

/**
 * Set up a guest over graphics memory @p gm of @p gm_size bytes (at least
 * the layout's gm_size).  Writes nothing yet.
 * @return 0, -EINVAL (bad config, memory too small), -ENOMEM
 */
int gvtsim_guest_init(struct gvtsim_guest *g, const struct gvtsim_guest_config *cfg,
		      gvtsim_guest_write_reg_fn write_reg,
		      gvtsim_guest_read_reg_fn read_reg, void *user,
		      void *gm, uint64_t gm_size);

/** Free the scratch memory.  Accepts a zeroed or finished guest. */
void gvtsim_guest_finish(struct gvtsim_guest *g);

/**
 * Program the mode: pipe (PIPESRC, PIPECONF), primary plane control and
 * stride, cursor control and image, sprite control/size/stride and image.
 * The primary surface is set by the first gvtsim_guest_show_frame().
 */
void gvtsim_guest_program_mode(struct gvtsim_guest *g);

/** Turn planes and pipe off (PLANE_CTL, CURCNTR, sprite, PIPECONF = 0). */
void gvtsim_guest_disable(struct gvtsim_guest *g);

/** Buffer index frame @p frame is painted into (frame % n_buffers). */
unsigned int gvtsim_guest_buffer_of(const struct gvtsim_guest *g, uint64_t frame);

/** Paint frame @p frame (flip time @p time_us) into its buffer, directly in
 * the configured tiled layout.  Does not flip. */
void gvtsim_guest_paint(struct gvtsim_guest *g, uint64_t frame, uint64_t time_us);

/** Flip the primary to frame @p frame's buffer (PLANE_SURF written last). */
void gvtsim_guest_flip(struct gvtsim_guest *g, uint64_t frame);

/** Move the cursor (CURPOS with sign bits, then CURBASE to latch) and the
 * sprite (PLANE_POS / SPRPOS, then its SURF) for frame @p frame. */
void gvtsim_guest_move_cursor(struct gvtsim_guest *g, uint64_t frame);

/** Paint, flip and move the cursor: one displayed frame. */
void gvtsim_guest_show_frame(struct gvtsim_guest *g, uint64_t frame, uint64_t time_us);

/* ---- pure expected values (no guest object needed) -------------------- */

/**
 * The primary's pixel (x, y) of frame @p frame as ARGB8888 (alpha 0xff),
 * after quantisation to the configured format and expansion back to 8 bits
 * per channel (RGB565: bit replication; 2101010: top 8 bits).  For YUYV
 * the value is the RGB the model converted to YUV (compare in native form
 * with gvtsim_guest_expected_native() instead).
 */
uint32_t gvtsim_guest_expected_argb(const struct gvtsim_guest_config *cfg,
				    uint64_t frame, uint64_t time_us,
				    uint32_t x, uint32_t y);

/**
 * The primary's pixel (x, y) in the native format as it sits in linear
 * memory, read little-endian: the 32-bit value for 4-byte formats, the
 * 16-bit value for RGB565, and for YUYV the 16-bit pair at bytes 2x, 2x+1
 * (Y | chroma << 8, chroma = U for even x, V for odd x).
 */
uint32_t gvtsim_guest_expected_native(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, uint64_t time_us,
				      uint32_t x, uint32_t y);

/** Cursor image pixel (x, y), 0 <= x, y < cursor_size: ARGB8888 (alpha 0,
 * 0x80 for the black shadow, 0xff; colour identical premultiplied or not). */
uint32_t gvtsim_guest_expected_cursor_pixel(const struct gvtsim_guest_config *cfg,
					    uint32_t x, uint32_t y);

/** Cursor top-left position for frame @p frame (may be negative: the path
 * goes partly off the left and top edges).  It never covers the block
 * code, where the mode leaves room beside or below it. */
void gvtsim_guest_expected_cursor_pos(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, int32_t *ret_x, int32_t *ret_y);

/** Sprite image pixel (x, y), XRGB8888 with alpha 0xff. */
uint32_t gvtsim_guest_expected_sprite_pixel(const struct gvtsim_guest_config *cfg,
					    uint32_t x, uint32_t y);

/** Sprite top-left position for frame @p frame (always inside the pipe;
 * off the block code where the mode has room for the whole sprite beside
 * or below it, e.g. not at 320x200). */
void gvtsim_guest_expected_sprite_pos(const struct gvtsim_guest_config *cfg,
				      uint64_t frame, int32_t *ret_x, int32_t *ret_y);

/**
 * What a display would show at (x, y): the primary (expected_argb), the
 * sprite on top when enabled, and the cursor alpha-blended at its position
 * (hotspot 0).  ARGB8888 with alpha 0xff.
 */
uint32_t gvtsim_guest_expected_composited(const struct gvtsim_guest_config *cfg,
					  uint64_t frame, uint64_t time_us,
					  uint32_t x, uint32_t y);

/* ---- block code --------------------------------------------------------- */

/**
 * Read the block code from the top-left corner of an XRGB8888 image
 * (alpha ignored).  Samples the centre of every cell (averaging a few
 * pixels) and thresholds luminance at mid-grey, so it survives lossy
 * encoding, scaling noise and mild blur.
 *
 * @param xrgb pixels; @p stride bytes per row
 * @param w,h image size (at least GVTSIM_BLOCKCODE_WIDTH x _HEIGHT)
 * @return 0, -EINVAL (image too small), -EBADMSG (sync or check failed:
 *         no code, or too damaged); outputs untouched on failure
 */
int gvtsim_guest_decode_blockcode(const uint32_t *xrgb, uint32_t stride,
				  uint32_t w, uint32_t h,
				  uint64_t *ret_frame, uint64_t *ret_time_us);

/** The block code's value for pixel (x, y) inside the code area:
 * true = white.  Exposed for tests. */
bool gvtsim_guest_blockcode_bit(uint64_t frame, uint64_t time_us, uint32_t x, uint32_t y);

#ifdef __cplusplus
}
#endif

#endif /* GVTSIM_GUEST_MODEL_H */
