/* SPDX-License-Identifier: MIT */
/*
 * The sim backend's spec: "sim" or "sim:OPTION,OPTION,..." parsed into a
 * guest model configuration (see sim_help for the syntax).  Every bad
 * option gets a message naming it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "backend.h"
#include "guest-model.h"
#include "sim-spec.h"

static const char sim_help[] =
	"sim[:OPTION,OPTION,...]  a simulated vGPU (no kernel support needed)\n"
	"  WxH                     mode, e.g. 1920x1080 (default 1280x720;\n"
	"                          256x160 .. 8192x8192)\n"
	"  linear|xtiled|ytiled|yftiled\n"
	"                          primary tiling (default linear; Y and Yf need gen=9)\n"
	"  xrgb8888|argb8888|xbgr8888|abgr8888|rgb565|xrgb2101010|xbgr2101010|yuyv\n"
	"                          primary format (default xrgb8888; yuyv needs gen=9)\n"
	"  fps=N                   guest frame rate, 1..240 (default 60)\n"
	"  buffers=2|3             framebuffers the guest flips between (default 2)\n"
	"  cursor=64|128|256|off   cursor size (default 64)\n"
	"  sprite=on|off           also show the sprite plane (default off)\n"
	"  gen=8|9                 register layout: 8 Broadwell, 9 Skylake (default 9)\n"
	"  clock=realtime|manual   frames follow the clock at fps (default), or change\n"
	"                          only when asked to (gvt-dmabuf snapshot --frame N);\n"
	"                          manual frames carry the time frame * 1000000 / fps\n"
	"                          us in their block code, clocked ones the\n"
	"                          CLOCK_MONOTONIC time of the flip\n"
	"  remove-after=N          the vGPU is removed N frames after it is opened\n"
	"                          (1..10000000): its device request fd fires as\n"
	"                          the kernel's does, and from then on opening the\n"
	"                          same spec in this process fails with ENODEV, as\n"
	"                          for a removed mdev, until it returns\n"
	"  return-after=MS         with remove-after: the vGPU returns (opens again,\n"
	"                          and is not removed again) MS ms (0..600000) after\n"
	"                          the removed one was closed (default: never)\n"
	"  modeset=WxH@N           the guest sets the mode WxH at its frame N\n"
	"                          (1..10000000) and goes on in it (clock=realtime\n"
	"                          only; the graphics memory holds both modes)\n"
	"Each option at most once.\n"
	"Example: sim:1920x1080,xtiled,fps=30,cursor=128\n";

GVTDMABUF_EXPORT const char *gvtdmabuf_sim_spec_help(void)
{
	return sim_help;
}

struct word {
	const char *name;
	uint64_t value;
};

static const struct word tiling_words[] = {
	{ "linear", DRM_FORMAT_MOD_LINEAR },
	{ "xtiled", I915_FORMAT_MOD_X_TILED },
	{ "ytiled", I915_FORMAT_MOD_Y_TILED },
	{ "yftiled", I915_FORMAT_MOD_Yf_TILED },
};

static const struct word format_words[] = {
	{ "xrgb8888", DRM_FORMAT_XRGB8888 },
	{ "argb8888", DRM_FORMAT_ARGB8888 },
	{ "xbgr8888", DRM_FORMAT_XBGR8888 },
	{ "abgr8888", DRM_FORMAT_ABGR8888 },
	{ "rgb565", DRM_FORMAT_RGB565 },
	{ "xrgb2101010", DRM_FORMAT_XRGB2101010 },
	{ "xbgr2101010", DRM_FORMAT_XBGR2101010 },
	{ "yuyv", DRM_FORMAT_YUYV },
};

#define N_WORDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct word *find_word(const struct word *w, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(w[i].name, s))
			return &w[i];
	return NULL;
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static int parse_uint(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* Whether @p s is meant as a mode: a number and an x (either case), or an
 * x and a number ("1280x", "x720", "1920X1080" and "1920x10a0" are
 * malformed modes, not unknown options). */
static bool looks_like_mode(const char *s)
{
	bool digit0 = s[0] >= '0' && s[0] <= '9';

	return (digit0 && strpbrk(s, "xX")) ||
	       ((s[0] == 'x' || s[0] == 'X') && s[1] >= '0' && s[1] <= '9');
}

/* "WxH": 0, or -EINVAL with a message saying what is wrong. */
static int parse_mode(const char *s, uint32_t *w, uint32_t *h, char *errbuf, size_t errbuf_size)
{
	const char *x = strpbrk(s, "xX");
	char wbuf[16];
	size_t n = (size_t)(x - s);
	uint32_t vw = 0, vh = 0;
	int rw, rh;

	if (*x == 'X') {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: malformed mode '%s' (write WxH with a lower-case x, e.g. %.*sx%s)",
				    s, (int)n, s, x + 1);
		return -EINVAL;
	}
	if (n == 0 || !x[1] || n >= sizeof(wbuf)) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: malformed mode '%s' (expected WxH, e.g. 1920x1080)", s);
		return -EINVAL;
	}
	memcpy(wbuf, s, n);
	wbuf[n] = '\0';
	rw = parse_uint(wbuf, GVTSIM_GUEST_MAX_WIDTH, &vw);
	rh = parse_uint(x + 1, GVTSIM_GUEST_MAX_HEIGHT, &vh);
	if (rw == -EINVAL || rh == -EINVAL) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: malformed mode '%s' (expected WxH in decimal, e.g. 1920x1080)",
				    s);
		return -EINVAL;
	}
	if (rw || vw < GVTSIM_GUEST_MIN_WIDTH || rh || vh < GVTSIM_GUEST_MIN_HEIGHT) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: mode '%s': %s %s is out of range (%ux%u .. %ux%u)", s,
				    rw || vw < GVTSIM_GUEST_MIN_WIDTH ? "width" : "height",
				    rw || vw < GVTSIM_GUEST_MIN_WIDTH ? wbuf : x + 1,
				    GVTSIM_GUEST_MIN_WIDTH, GVTSIM_GUEST_MIN_HEIGHT,
				    GVTSIM_GUEST_MAX_WIDTH, GVTSIM_GUEST_MAX_HEIGHT);
		return -EINVAL;
	}
	*w = vw;
	*h = vh;
	return 0;
}

/* What each option sets, to refuse a second one that would silently
 * override the first ("sim:1920x1080,1280x720"). */
enum option_class {
	OPT_MODE, OPT_TILING, OPT_FORMAT, OPT_FPS, OPT_BUFFERS, OPT_CURSOR,
	OPT_SPRITE, OPT_GEN, OPT_CLOCK, OPT_REMOVE, OPT_RETURN, OPT_MODESET, N_OPTION_CLASSES,
};

static int parse_option(struct gvtsim_guest_config *cfg, bool *manual,
			struct gvtdmabuf_sim_events *rm, const char *opt,
			enum option_class *ret_class, char *errbuf, size_t errbuf_size)
{
	const struct word *w;
	const char *eq = strchr(opt, '=');
	bool bad = false;
	uint32_t v = 0;

	if (!*opt) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: empty option (options are separated by single commas)");
		return -EINVAL;
	}
	if ((w = find_word(tiling_words, N_WORDS(tiling_words), opt))) {
		cfg->modifier = w->value;
		*ret_class = OPT_TILING;
		return 0;
	}
	if ((w = find_word(format_words, N_WORDS(format_words), opt))) {
		cfg->fourcc = (uint32_t)w->value;
		*ret_class = OPT_FORMAT;
		return 0;
	}
	if (!eq) {
		if (looks_like_mode(opt)) {
			*ret_class = OPT_MODE;
			return parse_mode(opt, &cfg->width, &cfg->height, errbuf, errbuf_size);
		}
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: unknown option '%s' (valid: WxH, "
				    "linear|xtiled|ytiled|yftiled, xrgb8888|argb8888|"
				    "xbgr8888|abgr8888|rgb565|xrgb2101010|xbgr2101010|yuyv, "
				    "fps=N, buffers=N, cursor=N|off, sprite=on|off, gen=8|9, "
				    "clock=realtime|manual, remove-after=N, return-after=MS)", opt);
		return -EINVAL;
	}

	if (!strncmp(opt, "fps=", 4)) {
		*ret_class = OPT_FPS;
		bad = parse_uint(eq + 1, 240, &v) || v < 1;
		if (!bad)
			cfg->fps = v;
	} else if (!strncmp(opt, "buffers=", 8)) {
		*ret_class = OPT_BUFFERS;
		bad = parse_uint(eq + 1, 3, &v) || v < 2;
		if (!bad)
			cfg->n_buffers = v;
	} else if (!strncmp(opt, "cursor=", 7)) {
		*ret_class = OPT_CURSOR;
		if (!strcmp(eq + 1, "off"))
			cfg->cursor_size = 0;
		else if (!parse_uint(eq + 1, 256, &v) && (v == 64 || v == 128 || v == 256))
			cfg->cursor_size = v;
		else
			bad = true;
	} else if (!strncmp(opt, "sprite=", 7)) {
		*ret_class = OPT_SPRITE;
		if (!strcmp(eq + 1, "on"))
			cfg->sprite = true;
		else if (!strcmp(eq + 1, "off"))
			cfg->sprite = false;
		else
			bad = true;
	} else if (!strncmp(opt, "gen=", 4)) {
		*ret_class = OPT_GEN;
		bad = parse_uint(eq + 1, 9, &v) || (v != 8 && v != 9);
		if (!bad)
			cfg->gen = v;
	} else if (!strncmp(opt, "clock=", 6)) {
		*ret_class = OPT_CLOCK;
		if (!strcmp(eq + 1, "manual"))
			*manual = true;
		else if (!strcmp(eq + 1, "realtime"))
			*manual = false;
		else
			bad = true;
	} else if (!strncmp(opt, "remove-after=", 13)) {
		*ret_class = OPT_REMOVE;
		if (parse_uint(eq + 1, 10000000, &v) || v < 1) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim spec: bad value in '%s' (remove-after=N frames, "
					    "1..10000000)", opt);
			return -EINVAL;
		}
		rm->remove_after = v;
		return 0;
	} else if (!strncmp(opt, "return-after=", 13)) {
		*ret_class = OPT_RETURN;
		if (parse_uint(eq + 1, 600000, &v)) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim spec: bad value in '%s' (return-after=MS, "
					    "0..600000 ms)", opt);
			return -EINVAL;
		}
		rm->returns = true;
		rm->return_after_ms = v;
		return 0;
	} else if (!strncmp(opt, "modeset=", 8)) {
		const char *at = strchr(opt, '@');
		char mode[32];
		int ret;

		*ret_class = OPT_MODESET;
		if (!at || at == eq + 1 || (size_t)(at - eq - 1) >= sizeof(mode) ||
		    parse_uint(at + 1, 10000000, &v) || v < 1) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim spec: bad value in '%s' (modeset=WxH@N: a mode, "
					    "then the frame 1..10000000, e.g. modeset=640x480@30)", opt);
			return -EINVAL;
		}
		memcpy(mode, eq + 1, (size_t)(at - eq - 1));
		mode[at - eq - 1] = '\0';
		if (!looks_like_mode(mode)) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim spec: bad mode in '%s' (modeset=WxH@N, e.g. "
					    "modeset=640x480@30)", opt);
			return -EINVAL;
		}
		ret = parse_mode(mode, &rm->modeset_width, &rm->modeset_height, errbuf,
				 errbuf_size);
		if (ret)
			return ret;
		rm->modeset_frame = v;
		return 0;
	} else {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: unknown option '%s' (valid keys: fps=, buffers=, "
				    "cursor=, sprite=, gen=, clock=, remove-after=, return-after=, "
				    "modeset=)", opt);
		return -EINVAL;
	}

	if (bad) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec: bad value in '%s' (fps=1..240, buffers=2|3, "
				    "cursor=64|128|256|off, sprite=on|off, gen=8|9, "
				    "clock=realtime|manual)", opt);
		return -EINVAL;
	}
	return 0;
}

static const char *const class_names[N_OPTION_CLASSES] = {
	[OPT_MODE] = "mode", [OPT_TILING] = "tiling", [OPT_FORMAT] = "format",
	[OPT_FPS] = "frame rate", [OPT_BUFFERS] = "number of buffers",
	[OPT_CURSOR] = "cursor size", [OPT_SPRITE] = "sprite", [OPT_GEN] = "register layout",
	[OPT_CLOCK] = "clock", [OPT_REMOVE] = "removal", [OPT_RETURN] = "return",
	[OPT_MODESET] = "modeset",
};

int gvtdmabuf_sim_parse_spec(const char *spec, struct gvtsim_guest_config *cfg, bool *manual,
			     struct gvtdmabuf_sim_events *rm, char *errbuf, size_t errbuf_size)
{
	struct gvtdmabuf_sim_events rm_unused;
	const char *seen[N_OPTION_CLASSES] = { NULL };
	char *copy = NULL, *opt, *next;
	const char *why = NULL;
	int ret;

	gvtsim_guest_config_default(cfg);
	*manual = false;
	if (!rm)
		rm = &rm_unused;
	memset(rm, 0, sizeof(*rm));

	if (!spec || strncmp(spec, "sim", 3) || (spec[3] != '\0' && spec[3] != ':')) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "'%s' is not a sim spec (expected \"sim\" or \"sim:OPTIONS\")",
				    spec ? spec : "(null)");
		ret = -EINVAL;
		goto out;
	}
	if (spec[3] == ':') {
		copy = strdup(spec + 4);
		if (!copy) {
			ret = -ENOMEM;
			goto out;
		}
		for (opt = copy; opt; opt = next) {
			next = strchr(opt, ',');
			if (next)
				*next++ = '\0';
			enum option_class cls = N_OPTION_CLASSES;

			ret = parse_option(cfg, manual, rm, opt, &cls, errbuf, errbuf_size);
			if (ret)
				goto out;
			if (seen[cls]) {
				gvtdmabuf_set_error(errbuf, errbuf_size,
						    "sim spec: '%s' and '%s' both set the %s (give it once)",
						    seen[cls], opt, class_names[cls]);
				ret = -EINVAL;
				goto out;
			}
			seen[cls] = opt;
		}
	}
	if (rm->returns && !rm->remove_after) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec '%s': return-after needs remove-after (a vGPU "
				    "returns only once it was removed)", spec);
		ret = -EINVAL;
		goto out;
	}

	if (rm->modeset_frame && *manual) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec '%s': modeset needs clock=realtime (a manual guest "
				    "changes only when asked to)", spec);
		ret = -EINVAL;
		goto out;
	}
	ret = gvtsim_guest_config_check(cfg, &why);
	if (ret == 0 && rm->modeset_frame) {
		struct gvtsim_guest_config after = *cfg;

		after.width = rm->modeset_width;
		after.height = rm->modeset_height;
		if (gvtsim_guest_config_check(&after, &why)) {
			gvtdmabuf_set_error(errbuf, errbuf_size, "sim spec '%s': modeset: %s",
					    spec, why);
			ret = -EINVAL;
			goto out;
		}
	}
	if (ret) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "sim spec '%s': %s", spec, why);
		/* the spec asks for something the hardware can do but the
		 * sim cannot paint: still the user's spec that is wrong */
		ret = -EINVAL;
	}
out:
	free(copy);
	return ret;
}
