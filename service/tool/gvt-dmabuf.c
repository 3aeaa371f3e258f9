/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf: list vGPUs, show their VFIO regions and display planes, save
 * their screen as PNG and watch their flips.  The modern counterpart of the
 * example program that came with the GVT-g dma-buf series.
 *
 * This file: main(), help, shared helpers, and the "list" command.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gvt-dmabuf-tool.h"

#ifndef GVT_DMABUF_VERSION
#define GVT_DMABUF_VERSION "unknown"
#endif

static const struct tool_command *const commands[] = {
	&tool_list_command,
	&tool_info_command,
	&tool_snapshot_command,
	&tool_watch_command,
#ifdef HAVE_GIO
	&tool_status_command,
#endif
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_status_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  failure (I/O error, unexpected error from the kernel or library)\n"
	"  2  usage error (unknown command or option, bad or missing argument)\n"
	"  3  device not found (no such mdev, no VFIO or mdev in the kernel)\n"
	"  4  permission denied on the device's VFIO nodes\n"
	"  5  device busy (another process, e.g. QEMU, holds it)\n"
	"  6  no picture (not a display device, plane disabled or not\n"
	"     supported by the kernel)\n";

/* The name of the running command, for messages. */
static const char *current_command;

/* NULL (the real /sys and /dev) unless GVT_DMABUF_SYSFS_ROOT or
 * GVT_DMABUF_DEV_ROOT point elsewhere (tests, chroots). */
static struct gvtdmabuf_context *tool_ctx;
static const char *sysfs_root = "/sys";

void tool_error(const char *fmt, ...)
{
	va_list ap;

	if (current_command)
		fprintf(stderr, "%s %s: ", TOOL_NAME, current_command);
	else
		fprintf(stderr, "%s: ", TOOL_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tool_usage_error(const struct tool_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", TOOL_NAME, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", TOOL_NAME, cmd->name);
	return TOOL_EXIT_USAGE;
}

static void print_device_help(FILE *f)
{
	const char *sim = gvtdmabuf_sim_spec_help();

	fputs("DEVICE is the UUID of a mediated device (see 'gvt-dmabuf list')\n"
	      "or a simulated vGPU, always available:\n", f);
	if (sim && *sim) {
		size_t n = strlen(sim);

		fputs(sim, f);
		if (sim[n - 1] != '\n')
			fputc('\n', f);
	} else {
		fputs("  sim   the built-in simulated vGPU\n", f);
	}
	fputs("or a running VM's console through QEMU's D-Bus display\n"
	      "(QEMU's -display dbus; its vGPU is held by QEMU, so it is read there):\n",
	      f);
	fputs(gvtdmabuf_qemu_spec_help(), f);
}

void tool_print_command_help(const struct tool_command *cmd, FILE *f)
{
	fputs(cmd->usage, f);
	if (cmd->takes_device) {
		fputc('\n', f);
		print_device_help(f);
	}
}

static void print_main_help(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: %s [--help] [--version] COMMAND [ARGS...]\n"
		"\n"
		"Show and capture the display of Intel GVT-g vGPUs (VFIO mediated\n"
		"devices), of gvtsim vGPUs and of the built-in simulated vGPU.\n"
		"\n"
		"Commands:\n", TOOL_NAME);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "  %-10s %s\n", "help",
		"show the help of a command ('gvt-dmabuf help COMMAND')");
	fputs("\n"
	      "Options:\n"
	      "  -h, --help     show this help\n"
	      "  -V, --version  show the version\n"
	      "\n"
	      "Run 'gvt-dmabuf COMMAND --help' for a command's options.\n"
	      "\n", f);
	print_device_help(f);
	fputc('\n', f);
	fputs(exit_status_help, f);
	fputs("\n"
	      "Environment:\n"
	      "  GVT_DMABUF_SYSFS_ROOT  use this directory instead of /sys\n"
	      "  GVT_DMABUF_DEV_ROOT    use this directory instead of /dev\n", f);
}

int tool_exit_code(int err)
{
	switch (err) {
	case 0:
		return TOOL_EXIT_OK;
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return TOOL_EXIT_NOT_FOUND;
	case -EACCES:
	case -EPERM:
		return TOOL_EXIT_PERMISSION;
	case -EBUSY:
		return TOOL_EXIT_BUSY;
	case -ENOTTY:
	case -ENODATA:
		return TOOL_EXIT_NO_PICTURE;
	case -EINVAL:
		return TOOL_EXIT_USAGE;
	default:
		return TOOL_EXIT_FAILURE;
	}
}

int tool_getopt(const struct tool_command *cmd, int argc, char **argv,
		const char *shortopts, const struct option *longopts,
		int *ret_exit)
{
	int c;
	const char *arg;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	switch (c) {
	case 'h':
		tool_print_command_help(cmd, stdout);
		*ret_exit = TOOL_EXIT_OK;
		return -1;
	case '?':
		/* For a long option getopt leaves optopt at 0; the option is
		 * the argument it just consumed. */
		arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
		if (optopt && !strncmp(arg, "--", 2))
			/* A known long option given a value it does not take. */
			*ret_exit = tool_usage_error(cmd, "option '%.*s' takes no value",
						     (int)strcspn(arg, "="), arg);
		else if (optopt)
			*ret_exit = tool_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			*ret_exit = tool_usage_error(cmd, "unknown option '%.*s'",
						     (int)strcspn(arg, "="), arg);
		return -1;
	case ':':
		arg = argv[optind - 1];
		if (optopt && arg[0] == '-' && arg[1] != '-')
			*ret_exit = tool_usage_error(cmd, "option '-%c' needs a value",
						     optopt);
		else
			*ret_exit = tool_usage_error(cmd, "option '%.*s' needs a value",
						     (int)strcspn(arg, "="), arg);
		return -1;
	case -1:
		*ret_exit = TOOL_EXIT_OK;
		return -2;	/* end of options */
	default:
		return c;
	}
}

bool tool_parse_double(const struct tool_command *cmd, const char *opt,
		       const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
		tool_usage_error(cmd, "bad number for %s: '%s' (expected %g to %g)",
				 opt, s, min, max);
		return false;
	}
	*ret = v;
	return true;
}

bool tool_parse_u64(const struct tool_command *cmd, const char *opt,
		    const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v = 0;
	int base = 10;

	/* strtoull() skips blanks and accepts a sign (" -1" is 2^64 - 1), and
	 * base 0 reads "010" as octal 8: digits only, decimal or 0x hex. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    isxdigit((unsigned char)s[2]))
		base = 16;
	errno = 0;
	if (isdigit((unsigned char)s[0]))
		v = strtoull(s, &end, base);
	if (!end || errno || *end || v < min || v > max) {
		tool_usage_error(cmd, "bad number for %s: '%s' (expected an integer from %llu to %llu)",
				 opt, s, (unsigned long long)min,
				 (unsigned long long)max);
		return false;
	}
	*ret = v;
	return true;
}

int tool_open_device(const char *name, struct gvtdmabuf_device **ret_dev)
{
	char errbuf[GVTDMABUF_ERROR_MAX] = "";
	int r;

	r = gvtdmabuf_device_open(tool_ctx, name, ret_dev, errbuf, sizeof(errbuf));
	if (r < 0) {
		if (errbuf[0])
			tool_error("%s", errbuf);
		else
			tool_error("cannot open %s: %s", name, strerror(-r));
		return tool_exit_code(r);
	}
	return TOOL_EXIT_OK;
}

const char *tool_plane_name(enum gvtdmabuf_plane plane)
{
	switch (plane) {
	case GVTDMABUF_PLANE_PRIMARY:
		return "primary";
	case GVTDMABUF_PLANE_CURSOR:
		return "cursor";
	case GVTDMABUF_PLANE_SPRITE:
		return "sprite";
	}
	return "unknown";
}

const char *tool_fourcc_name(uint32_t fourcc, char *buf)
{
	const struct gvtdmabuf_format_info *fi = gvtdmabuf_format_lookup(fourcc);
	int i;

	if (fi && fi->name)
		return fi->name;
	for (i = 0; i < 4; i++) {
		char c = (char)((fourcc >> (8 * i)) & 0xff);

		buf[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}

void tool_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

double tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- list ------------------------------------------------------------- */

static const char list_usage[] =
	"Usage: gvt-dmabuf list [--no-probe] [--no-vms] [--json]\n"
	"\n"
	"List the mediated devices (mdevs) of this machine: UUID, parent device,\n"
	"mdev type and its name, IOMMU group, and whether the device exports its\n"
	"display as dma-bufs (found out by opening it, unless --no-probe).\n"
	"DISPLAY is yes, no (not a display device), busy (held by QEMU or\n"
	"another program), no-access, no-vfio or error:REASON.\n"
	"Then the running VMs that offer QEMU's D-Bus display on the session\n"
	"and the system bus, with the DEVICE name that opens them.  VMs on a\n"
	"private bus (libvirt) are not found: open them with qemu:bus=ADDRESS.\n"
	"The simulated vGPU \"sim\" is always available and is not listed.\n"
	"\n"
	"Options:\n"
	"  --no-probe  do not open the devices (DISPLAY shows \"?\")\n"
	"  --no-vms    do not look for VMs on the D-Bus buses\n"
	"  --json      print a JSON array instead of a table (entries have\n"
	"              \"kind\": \"mdev\" or \"qemu-dbus\")\n"
	"  -h, --help  show this help\n";

static const char *display_text(const struct gvtdmabuf_mdev_info *m, bool probe,
				char *buf, size_t size)
{
	if (!probe)
		return "?";
	if (m->display > 0)
		return "yes";
	if (m->display == 0)
		return "no";
	switch (m->display) {
	case -EBUSY:
		return "busy";
	case -ENODEV:
		return "no-vfio";
	case -EACCES:
	case -EPERM:
		return "no-access";
	default:
		snprintf(buf, size, "error:%s", strerror(-m->display));
		return buf;
	}
}

/* Where to create an mdev: the parents that offer types.  Reads sysfs
 * directly because this is only a hint for the user. */
static void print_create_hint(void)
{
	char bus[PATH_MAX];
	DIR *d;
	struct dirent *e;
	bool any = false;

	snprintf(bus, sizeof(bus), "%s/class/mdev_bus", sysfs_root);
	d = opendir(bus);

	printf("No mediated devices found.\n");
	if (d) {
		while ((e = readdir(d))) {
			char path[PATH_MAX];
			DIR *t;
			struct dirent *te;

			if (e->d_name[0] == '.' ||
			    snprintf(path, sizeof(path), "%s/%s/mdev_supported_types",
				     bus, e->d_name) >= (int)sizeof(path))
				continue;
			t = opendir(path);
			if (!t)
				continue;
			while ((te = readdir(t))) {
				if (te->d_name[0] == '.')
					continue;
				if (!any)
					printf("Create one with (as root):\n");
				any = true;
				printf("  echo \"$(uuidgen)\" > %s/%s/create\n",
				       path, te->d_name);
			}
			closedir(t);
		}
		closedir(d);
	}
	if (!any)
		printf("No mdev parent device either: load i915 with enable_gvt=1 on a\n"
		       "GVT-g capable Intel GPU (Broadwell to Comet Lake, Gen8 to Gen9.5),\n"
		       "or load the gvtsim module,\n"
		       "then create one with\n"
		       "  echo \"$(uuidgen)\" > %s/PARENT/mdev_supported_types/TYPE/create\n",
		       bus);
	printf("The simulated vGPU is always available: use DEVICE \"sim\" "
	       "(see 'gvt-dmabuf help device').\n");
}

static int list_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-probe", no_argument, NULL, 'P' },
		{ "no-vms", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gvtdmabuf_mdev_info *list = NULL;
	struct gvtdmabuf_qemu_display *vms = NULL;
	bool probe = true, json = false, find_vms = true;
	size_t n = 0, n_vms = 0, i;
	int c, ret = TOOL_EXIT_OK, r;
	char buf[64];

	while ((c = tool_getopt(&tool_list_command, argc, argv, ":h", opts, &ret)) >= 0) {
		switch (c) {
		case 'P':
			probe = false;
			break;
		case 'V':
			find_vms = false;
			break;
		case 'j':
			json = true;
			break;
		}
	}
	if (c == -1)
		goto out;
	if (optind < argc) {
		ret = tool_usage_error(&tool_list_command,
				       "unexpected argument '%s'", argv[optind]);
		goto out;
	}

	r = gvtdmabuf_list_mdevs(tool_ctx, probe, &list, &n);
	if (r < 0) {
		tool_error("cannot list mediated devices in %s/bus/mdev/devices: %s",
			   sysfs_root, strerror(-r));
		ret = tool_exit_code(r) == TOOL_EXIT_USAGE ? TOOL_EXIT_FAILURE
							  : tool_exit_code(r);
		goto out;
	}
	/* Without GIO (-ENOTSUP) or without reachable buses there are no VMs
	 * to show; neither is an error of 'list'. */
	if (find_vms && gvtdmabuf_list_qemu_displays(tool_ctx, &vms, &n_vms) < 0)
		n_vms = 0;

	if (json) {
		printf("[");
		for (i = 0; i < n; i++) {
			const struct gvtdmabuf_mdev_info *m = &list[i];

			printf("%s\n  {\"kind\": \"mdev\", \"uuid\": ", i ? "," : "");
			tool_json_string(stdout, m->uuid);
			printf(", \"parent\": ");
			tool_json_string(stdout, m->parent);
			printf(", \"type\": ");
			tool_json_string(stdout, m->type_id);
			printf(", \"type_name\": ");
			tool_json_string(stdout, m->type_name);
			printf(", \"iommu_group\": %d, \"display\": ", m->iommu_group);
			if (!probe)
				printf("null");
			else if (m->display >= 0)
				printf("%s", m->display ? "true" : "false");
			else
				tool_json_string(stdout, display_text(m, probe, buf, sizeof(buf)));
			printf("}");
		}
		for (i = 0; i < n_vms; i++) {
			const struct gvtdmabuf_qemu_display *v = &vms[i];

			printf("%s\n  {\"kind\": \"qemu-dbus\", \"device\": ", n + i ? "," : "");
			tool_json_string(stdout, v->device);
			printf(", \"bus\": ");
			tool_json_string(stdout, v->bus);
			printf(", \"bus_name\": ");
			tool_json_string(stdout, v->bus_name);
			printf(", \"vm_name\": ");
			tool_json_string(stdout, v->vm_name);
			printf(", \"vm_uuid\": ");
			tool_json_string(stdout, v->vm_uuid);
			printf(", \"consoles\": %u}", v->n_consoles);
		}
		printf("%s]\n", n + n_vms ? "\n" : "");
		goto out;
	}

	if (n_vms) {
		printf("%-40s  %-16s  %-36s  %s\n", "DEVICE (running VM, QEMU D-Bus display)",
		       "VM NAME", "VM UUID", "CONSOLES");
		for (i = 0; i < n_vms; i++)
			printf("%-40s  %-16s  %-36s  %u\n", vms[i].device,
			       vms[i].vm_name[0] ? vms[i].vm_name : "-",
			       vms[i].vm_uuid[0] ? vms[i].vm_uuid : "-",
			       vms[i].n_consoles);
		if (n)
			printf("\n");
	}
	if (n == 0) {
		if (n_vms == 0)
			print_create_hint();
		goto out;
	}
	printf("%-36s  %-14s  %-20s  %-16s  %5s  %s\n",
	       "UUID", "PARENT", "TYPE", "TYPE NAME", "GROUP", "DISPLAY");
	for (i = 0; i < n; i++) {
		const struct gvtdmabuf_mdev_info *m = &list[i];
		char group[16];

		if (m->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", m->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		printf("%-36s  %-14s  %-20s  %-16s  %5s  %s\n", m->uuid,
		       m->parent[0] ? m->parent : "-",
		       m->type_id[0] ? m->type_id : "-",
		       m->type_name[0] ? m->type_name : "-", group,
		       display_text(m, probe, buf, sizeof(buf)));
	}
	printf("The simulated vGPU \"sim\" is also available (see 'gvt-dmabuf help device').\n");
out:
	free(vms);
	free(list);
	return ret;
}

const struct tool_command tool_list_command = {
	.name = "list",
	.summary = "list mediated devices and whether they export their display",
	.usage = list_usage,
	.takes_device = false,
	.run = list_run,
};

/* ---- main ------------------------------------------------------------- */

static const struct tool_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static int help_run(int argc, char **argv)
{
	const struct tool_command *cmd;

	if (argc < 2) {
		print_main_help(stdout);
		return TOOL_EXIT_OK;
	}
	if (argc > 2) {
		tool_error("help: unexpected argument '%s'\nTry 'gvt-dmabuf --help'.",
			   argv[2]);
		return TOOL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "device")) {
		print_device_help(stdout);
		return TOOL_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		print_main_help(stdout);
		return TOOL_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		tool_error("help: unknown command '%s'\nTry 'gvt-dmabuf --help'.",
			   argv[1]);
		return TOOL_EXIT_USAGE;
	}
	tool_print_command_help(cmd, stdout);
	return TOOL_EXIT_OK;
}

/* GVT_DMABUF_SYSFS_ROOT / GVT_DMABUF_DEV_ROOT: a context with other roots.
 * Returns 0 or an exit code. */
static int setup_context(void)
{
	static const struct {
		const char *var;
		int (*set)(struct gvtdmabuf_context *, const char *);
	} roots[] = {
		{ "GVT_DMABUF_SYSFS_ROOT", gvtdmabuf_context_set_sysfs_root },
		{ "GVT_DMABUF_DEV_ROOT", gvtdmabuf_context_set_dev_root },
	};
	const char *v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		v = getenv(roots[i].var);
		if (!v || !*v)
			continue;
		if (!tool_ctx) {
			r = gvtdmabuf_context_create(&tool_ctx);
			if (r < 0) {
				tool_error("cannot create a context: %s", strerror(-r));
				return TOOL_EXIT_FAILURE;
			}
		}
		r = roots[i].set(tool_ctx, v);
		if (r < 0) {
			tool_error("bad %s '%s': %s", roots[i].var, v,
				   r == -EINVAL ? "not an absolute path" : strerror(-r));
			return TOOL_EXIT_USAGE;
		}
		if (i == 0)
			sysfs_root = v;
	}
	return TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct tool_command *cmd;
	const char *arg;
	int ret;

	if (argc < 2) {
		print_main_help(stderr);
		return TOOL_EXIT_USAGE;
	}
	arg = argv[1];
	if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
		return help_run(argc - 1, argv + 1);
	if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
		printf("%s %s\n", TOOL_NAME, GVT_DMABUF_VERSION);
		return TOOL_EXIT_OK;
	}
	if (arg[0] == '-') {
		tool_error("unknown option '%.*s'\nTry 'gvt-dmabuf --help'.",
			   (int)strcspn(arg, "="), arg);
		return TOOL_EXIT_USAGE;
	}
	if (!strcmp(arg, "help"))
		return help_run(argc - 1, argv + 1);
	cmd = find_command(arg);
	if (!cmd) {
		tool_error("unknown command '%s'\nTry 'gvt-dmabuf --help'.", arg);
		return TOOL_EXIT_USAGE;
	}
	current_command = cmd->name;
	ret = setup_context();
	if (ret)
		return ret;
	/* The command sees its own name as argv[0]. */
	optind = 1;
	ret = cmd->run(argc - 1, argv + 1);
	gvtdmabuf_context_destroy(tool_ctx);
	return ret;
}
