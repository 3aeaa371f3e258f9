/* SPDX-License-Identifier: MIT */
/*
 * Every way opening a vGPU can fail on the host says what failed, on
 * which file, and what to do; and no two failures read the same.
 *
 * Fake sysfs and /dev trees below a temporary directory stand in for the
 * kernel.  What needs a real VFIO (a busy vGPU, a device that is not a
 * display) is covered here through the pure errno-to-message mapping and
 * for real in the vm suite.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "vfio-private.h"
#include "test-util.h"

#define UUID "9b3e4c1a-5d2f-4e6b-8a7c-0123456789ab"
#define UUID_UPPER "9B3E4C1A-5D2F-4E6B-8A7C-0123456789AB"
#define NOBODY 65534

struct tree {
	char *root;
	char *sys;
	char *dev;
	struct gvtdmabuf_context *ctx;
};

static void
mkdirs(const char *path)
{
	g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(chmod(path, mode), ==, 0);
}

static void
symlink_at(const char *target, const char *path)
{
	g_assert_cmpint(symlink(target, path), ==, 0);
}

static void
tree_init(struct tree *t)
{
	t->root = g_dir_make_tmp("gvtdmabuf-open-XXXXXX", NULL);
	g_assert_nonnull(t->root);
	/* World-searchable so that the unprivileged child can look. */
	g_assert_cmpint(chmod(t->root, 0755), ==, 0);
	t->sys = g_build_filename(t->root, "sys", NULL);
	t->dev = g_build_filename(t->root, "dev", NULL);
	mkdirs(t->sys);
	mkdirs(t->dev);
	g_assert_cmpint(gvtdmabuf_context_create(&t->ctx), ==, 0);
	g_assert_cmpint(gvtdmabuf_context_set_sysfs_root(t->ctx, t->sys), ==, 0);
	g_assert_cmpint(gvtdmabuf_context_set_dev_root(t->ctx, t->dev), ==, 0);
}

static void
tree_fini(struct tree *t)
{
	gvtdmabuf_context_destroy(t->ctx);
	test_rm_rf(t->root);
	g_free(t->root);
	g_free(t->sys);
	g_free(t->dev);
}

/* An mdev below a fake i915 parent, in IOMMU group 7 when @p group. */
static void
tree_add_mdev(struct tree *t, bool group)
{
	char *parent = g_build_filename(t->sys, "devices/pci0000:00/0000:00:02.0", NULL);
	char *devdir = g_build_filename(parent, UUID, NULL);
	char *bus = g_build_filename(t->sys, "bus/mdev/devices", NULL);
	char *link = g_build_filename(bus, UUID, NULL);
	char *groups = g_build_filename(t->sys, "kernel/iommu_groups/7", NULL);

	mkdirs(devdir);
	mkdirs(bus);
	mkdirs(groups);
	symlink_at("../../../devices/pci0000:00/0000:00:02.0/" UUID, link);
	if (group) {
		char *gl = g_build_filename(devdir, "iommu_group", NULL);

		symlink_at("../../../../kernel/iommu_groups/7", gl);
		g_free(gl);
	}
	g_free(parent);
	g_free(devdir);
	g_free(bus);
	g_free(link);
	g_free(groups);
}

static char *
tree_path(struct tree *t, const char *rel)
{
	return g_build_filename(t->root, rel, NULL);
}

static void
mkdirs_in(struct tree *t, const char *rel)
{
	char *p = tree_path(t, rel);

	mkdirs(p);
	g_free(p);
}

/* Messages of every failure seen, to check that no two are alike. */
static GPtrArray *messages;

static int
try_open(struct tree *t, const char *name, char *errbuf)
{
	struct gvtdmabuf_device *dev = (void *)0x1;
	int r;

	memset(errbuf, 0, GVTDMABUF_ERROR_MAX);
	r = gvtdmabuf_device_open(t ? t->ctx : NULL, name, &dev, errbuf,
				  GVTDMABUF_ERROR_MAX);
	/* Out-parameters stay untouched on failure. */
	g_assert_cmpint(r, <, 0);
	g_assert_true(dev == (void *)0x1);
	g_assert_cmpuint(strlen(errbuf), >, 0);
	g_test_message("%s -> %d: %s", name ? name : "(null)", r, errbuf);
	g_ptr_array_add(messages, g_strdup(errbuf));
	return r;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		g_error("'%s' does not mention '%s'", haystack, needle);
}

/* ---- cases ------------------------------------------------------------- */

static void
test_malformed(void)
{
	char err[GVTDMABUF_ERROR_MAX];
	static const char *const bad[] = {
		"", "foo", "9b3e4c1a5d2f4e6b8a7c0123456789ab",
		"9b3e4c1a-5d2f-4e6b-8a7c-0123456789a",
		"9b3e4c1a-5d2f-4e6b-8a7c-0123456789abc",
		"9b3e4c1a-5d2f-4e6b-8a7c_0123456789ab",
		"9b3e4c1g-5d2f-4e6b-8a7c-0123456789ab",
		"../../../../etc/passwd-xxxxxxxxxxxxxx",
		"simulator",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(try_open(NULL, bad[i], err), ==, -EINVAL);
		assert_contains(err, "not a UUID or sim spec");
		assert_contains(err, bad[i]);
	}
	g_assert_cmpint(try_open(NULL, NULL, err), ==, -EINVAL);
	g_assert_true(gvtdmabuf_uuid_parse(UUID_UPPER, NULL));
}

static void
test_no_mdev_bus(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *bus;

	tree_init(&t);
	bus = tree_path(&t, "sys/bus/mdev");
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, bus);
	assert_contains(err, "mediated device");
	g_free(bus);
	tree_fini(&t);
}

static void
test_no_such_vgpu(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *devdir;

	tree_init(&t);
	mkdirs_in(&t, "sys/bus/mdev/devices");
	devdir = tree_path(&t, "sys/bus/mdev/devices/" UUID);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENOENT);
	assert_contains(err, devdir);
	assert_contains(err, "gvt-dmabuf list");
	assert_contains(err, "mdev_supported_types");
	g_free(devdir);
	tree_fini(&t);
}

static void
test_no_iommu_group(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];

	tree_init(&t);
	tree_add_mdev(&t, false);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, "no IOMMU group");
	assert_contains(err, UUID);
	tree_fini(&t);
}

static void
test_no_vfio(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *container;

	tree_init(&t);
	tree_add_mdev(&t, true);
	container = tree_path(&t, "dev/vfio/vfio");
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, container);
	assert_contains(err, "the kernel has no VFIO");
	assert_contains(err, "modprobe");

	/* Upper case is the same vGPU (sysfs spells it lower case). */
	g_assert_cmpint(try_open(&t, UUID_UPPER, err), ==, -ENODEV);
	assert_contains(err, container);
	g_ptr_array_remove_index(messages, messages->len - 1);
	g_free(container);
	tree_fini(&t);
}

static void
test_not_a_container(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *container;

	tree_init(&t);
	tree_add_mdev(&t, true);
	mkdirs_in(&t, "dev/vfio");
	container = tree_path(&t, "dev/vfio/vfio");

	/* A regular file: ioctl() says ENOTTY. */
	write_file(container, "", 0666);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, container);
	assert_contains(err, "is not a VFIO container");
	assert_contains(err, "VFIO_GET_API_VERSION");

	/* A character device of another driver. */
	g_assert_cmpint(unlink(container), ==, 0);
	symlink_at("/dev/null", container);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, container);
	assert_contains(err, "is not a VFIO container");
	/* Same words as the regular file: only one of the two counts. */
	g_ptr_array_remove_index(messages, messages->len - 1);
	g_free(container);
	tree_fini(&t);
}

static void
test_permission_denied(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *container;
	int pipefd[2], status, r = 0;
	pid_t pid;
	ssize_t n;

	if (geteuid() != 0) {
		g_test_skip("needs root to drop to an unprivileged user");
		return;
	}
	tree_init(&t);
	tree_add_mdev(&t, true);
	mkdirs_in(&t, "dev/vfio");
	container = tree_path(&t, "dev/vfio/vfio");
	write_file(container, "", 0600);

	/* As root DAC does not apply: ask as nobody. */
	g_assert_cmpint(pipe(pipefd), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct gvtdmabuf_device *dev = NULL;
		char buf[GVTDMABUF_ERROR_MAX] = "";

		close(pipefd[0]);
		if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(2);
		r = gvtdmabuf_device_open(t.ctx, UUID, &dev, buf, sizeof(buf));
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r) ||
		    write(pipefd[1], buf, sizeof(buf)) != sizeof(buf))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], &r, sizeof(r));
	g_assert_cmpint(n, ==, sizeof(r));
	n = read(pipefd[0], err, sizeof(err));
	g_assert_cmpint(n, ==, sizeof(err));
	close(pipefd[0]);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	err[sizeof(err) - 1] = '\0';
	g_test_message("as nobody -> %d: %s", r, err);
	g_assert_cmpint(r, ==, -EACCES);
	assert_contains(err, container);
	assert_contains(err, "Permission denied");
	assert_contains(err, "group kvm");
	assert_contains(err, "udev rule");
	g_ptr_array_add(messages, g_strdup(err));
	g_free(container);
	tree_fini(&t);
}

/* A kernel with a VFIO cdev and iommufd: that path is taken. */
static void
test_cdev_path(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *node, *iommu;

	tree_init(&t);
	tree_add_mdev(&t, true);
	mkdirs_in(&t, "sys/devices/pci0000:00/0000:00:02.0/" UUID "/vfio-dev/vfio3");
	iommu = tree_path(&t, "dev/iommu");
	write_file(iommu, "", 0666);
	node = tree_path(&t, "dev/vfio/devices/vfio3");

	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, node);
	assert_contains(err, "no VFIO device node");

	mkdirs_in(&t, "dev/vfio/devices");
	write_file(node, "", 0666);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, node);
	assert_contains(err, "VFIO_DEVICE_BIND_IOMMUFD");

	/* Without /dev/iommu the group path is used. */
	g_assert_cmpint(unlink(iommu), ==, 0);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, "the kernel has no VFIO");
	g_ptr_array_remove_index(messages, messages->len - 1);
	g_free(node);
	g_free(iommu);
	tree_fini(&t);
}

/*
 * A kernel with both interfaces where the cdev path cannot open its nodes
 * (/dev/iommu is root-only unless a rule says otherwise; udev may not
 * populate /dev/vfio/devices) but the group node exists: the group path,
 * which VFIO setups have given users for years, is tried instead.
 */
static void
test_cdev_falls_back_to_group(void)
{
	struct tree t;
	char err[GVTDMABUF_ERROR_MAX];
	char *container, *group, *iommu, *cdev;

	tree_init(&t);
	tree_add_mdev(&t, true);
	mkdirs_in(&t, "sys/devices/pci0000:00/0000:00:02.0/" UUID "/vfio-dev/vfio3");
	iommu = tree_path(&t, "dev/iommu");
	write_file(iommu, "", 0666);
	mkdirs_in(&t, "dev/vfio");
	container = tree_path(&t, "dev/vfio/vfio");
	write_file(container, "", 0666);
	group = tree_path(&t, "dev/vfio/7");
	write_file(group, "", 0666);

	/* No /dev/vfio/devices/vfio3: the group path's error, not the
	 * cdev's "no VFIO device node". */
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, container);
	assert_contains(err, "VFIO_GET_API_VERSION");
	/* Same words as test_not_a_container's. */
	g_ptr_array_remove_index(messages, messages->len - 1);

	/* The cdev node opens but /dev/iommu does not (here: a directory,
	 * EISDIR even for root; on a real host a root-only node): only
	 * iommufd failed, and the group path is still taken. */
	mkdirs_in(&t, "dev/vfio/devices");
	cdev = tree_path(&t, "dev/vfio/devices/vfio3");
	write_file(cdev, "", 0666);
	g_assert_cmpint(unlink(iommu), ==, 0);
	mkdirs_in(&t, "dev/iommu");
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, container);
	assert_contains(err, "VFIO_GET_API_VERSION");
	g_ptr_array_remove_index(messages, messages->len - 1);
	g_assert_cmpint(rmdir(iommu), ==, 0);
	write_file(iommu, "", 0666);
	g_assert_cmpint(unlink(cdev), ==, 0);

	/* Without the group node the cdev's error stays. */
	g_assert_cmpint(unlink(group), ==, 0);
	g_assert_cmpint(try_open(&t, UUID, err), ==, -ENODEV);
	assert_contains(err, "no VFIO device node");
	g_ptr_array_remove_index(messages, messages->len - 1);

	g_free(container);
	g_free(group);
	g_free(iommu);
	g_free(cdev);
	tree_fini(&t);
}

static void
test_errbuf_optional(void)
{
	struct gvtdmabuf_device *dev = NULL;
	char small[8];

	g_assert_cmpint(gvtdmabuf_device_open(NULL, "nope", &dev, NULL, 0), ==, -EINVAL);
	memset(small, 'x', sizeof(small));
	g_assert_cmpint(gvtdmabuf_device_open(NULL, "nope", &dev, small, sizeof(small)), ==, -EINVAL);
	g_assert_cmpuint(strlen(small), ==, sizeof(small) - 1);
	g_assert_null(dev);
}

static void
test_messages_distinct(void)
{
	guint i, j;

	g_assert_cmpuint(messages->len, >=, 8);
	for (i = 0; i < messages->len; i++)
		for (j = i + 1; j < messages->len; j++)
			if (strcmp(messages->pdata[i], messages->pdata[j]) == 0)
				g_error("two failures read the same: %s",
					(char *)messages->pdata[i]);
}

/* ---- the pure mapping, for every errno ---------------------------------- */

static void
test_explain_every_errno(void)
{
	const char *path = "/dev/vfio/12";
	char err[GVTDMABUF_ERROR_MAX];
	int step, e, r;

	for (step = 0; step < GVTDMABUF_VFIO_N_STEPS; step++) {
		g_assert_cmpstr(gvtdmabuf_vfio_step_name(step), !=, "?");
		for (e = 1; e < 134; e++) {
			err[0] = '\0';
			r = gvtdmabuf_vfio_explain(step, e, path, UUID, err, sizeof(err));
			g_assert_cmpint(r, <, 0);
			assert_contains(err, path);
			switch (e) {
			case EACCES:
			case EPERM:
				g_assert_cmpint(r, ==, -EACCES);
				assert_contains(err, "group kvm");
				break;
			case EBUSY:
				g_assert_cmpint(r, ==, -EBUSY);
				assert_contains(err, "in use by another process");
				assert_contains(err, UUID);
				break;
			default:
				break;
			}
			if (step == GVTDMABUF_VFIO_PROBE && (e == EINVAL || e == ENOTTY)) {
				g_assert_cmpint(r, ==, -ENOTTY);
				assert_contains(err, "is not a display device");
				assert_contains(err, "display=on");
			}
			/* Nothing but a non-display device says -ENOTTY. */
			if (r == -ENOTTY)
				g_assert_cmpint(step, ==, GVTDMABUF_VFIO_PROBE);
		}
	}
	g_assert_cmpstr(gvtdmabuf_vfio_step_name(GVTDMABUF_VFIO_N_STEPS), ==, "?");
	/* A non-positive errno still gives a message. */
	r = gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_SET_IOMMU, 0, NULL, NULL, err, sizeof(err));
	g_assert_cmpint(r, ==, -EIO);
	g_assert_cmpuint(strlen(err), >, 0);
	/* No buffer is fine. */
	g_assert_cmpint(gvtdmabuf_vfio_explain(GVTDMABUF_VFIO_OPEN_GROUP, EBUSY,
					       path, UUID, NULL, 0), ==, -EBUSY);
}

static void
test_explain_specific(void)
{
	static const struct {
		enum gvtdmabuf_vfio_step step;
		int err;
		int expect;
		const char *words;
	} cases[] = {
		{ GVTDMABUF_VFIO_OPEN_CONTAINER, ENOENT, -ENODEV, "the kernel has no VFIO (no " },
		{ GVTDMABUF_VFIO_OPEN_CONTAINER, ENODEV, -ENODEV, "vfio_iommu_type1" },
		{ GVTDMABUF_VFIO_OPEN_CONTAINER, EACCES, -EACCES, "cannot open" },
		{ GVTDMABUF_VFIO_API_VERSION, ENOTTY, -ENODEV, "is not a VFIO container" },
		{ GVTDMABUF_VFIO_OPEN_GROUP, ENOENT, -ENODEV, "no VFIO group node" },
		{ GVTDMABUF_VFIO_OPEN_GROUP, EBUSY, -EBUSY, "one process at a time" },
		{ GVTDMABUF_VFIO_GROUP_STATUS, ENOTTY, -ENODEV, "is not a VFIO group" },
		{ GVTDMABUF_VFIO_SET_CONTAINER, EBUSY, -EBUSY, "(QEMU?)" },
		{ GVTDMABUF_VFIO_SET_IOMMU, EINVAL, -ENODEV, "Type1v2" },
		{ GVTDMABUF_VFIO_SET_IOMMU, EPERM, -EACCES, "locked-memory" },
		{ GVTDMABUF_VFIO_GET_DEVICE, ENODEV, -ENOENT, "has no device" },
		{ GVTDMABUF_VFIO_GET_DEVICE, EBUSY, -EBUSY, "in use" },
		{ GVTDMABUF_VFIO_OPEN_CDEV, ENOENT, -ENODEV, "no VFIO device node" },
		{ GVTDMABUF_VFIO_OPEN_IOMMUFD, ENOENT, -ENODEV, "modprobe iommufd" },
		{ GVTDMABUF_VFIO_BIND, ENOTTY, -ENODEV, "cannot be bound to iommufd" },
		{ GVTDMABUF_VFIO_BIND, EBUSY, -EBUSY, "in use" },
		{ GVTDMABUF_VFIO_IOAS_ALLOC, ENOTTY, -ENODEV, "not an iommufd" },
		{ GVTDMABUF_VFIO_PROBE, EINVAL, -ENOTTY, "not a display device" },
		{ GVTDMABUF_VFIO_PROBE, EIO, -EIO, "VFIO_DEVICE_QUERY_GFX_PLANE" },
		{ GVTDMABUF_VFIO_OPEN_GROUP, EMFILE, -EMFILE, "cannot open" },
	};
	char err[GVTDMABUF_ERROR_MAX];
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
	const char *path = "/dev/vfio/12";
	guint i, j;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		int r = gvtdmabuf_vfio_explain(cases[i].step, cases[i].err, path,
					       UUID, err, sizeof(err));

		g_test_message("%s/%d -> %d: %s",
			       gvtdmabuf_vfio_step_name(cases[i].step),
			       cases[i].err, r, err);
		g_assert_cmpint(r, ==, cases[i].expect);
		assert_contains(err, cases[i].words);
		assert_contains(err, path);
		g_ptr_array_add(seen, g_strdup(err));
	}
	/* Different causes read differently, except the same cause (busy)
	 * met at different steps. */
	for (i = 0; i < seen->len; i++)
		for (j = i + 1; j < seen->len; j++)
			if (cases[i].expect != -EBUSY || cases[j].expect != -EBUSY)
				g_assert_cmpstr(seen->pdata[i], !=, seen->pdata[j]);
	g_ptr_array_unref(seen);
}

/* ---- gvtsim's IRQ capability chain -------------------------------------- */

struct irq_answer {
	struct gvtsim_irq_info info;
	struct gvtsim_irq_info_cap_type cap[3];
};

static void
irq_answer_init(struct irq_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->info.argsz = sizeof(*a);
	a->info.flags = VFIO_IRQ_INFO_EVENTFD | GVTSIM_IRQ_INFO_FLAG_CAPS;
	a->info.index = VFIO_PCI_NUM_IRQS;
	a->info.count = 1;
	/* An unrelated capability first, then the display one. */
	a->info.cap_offset = offsetof(struct irq_answer, cap[0]);
	a->cap[0].id = 0x77;
	a->cap[0].version = 1;
	a->cap[0].next = offsetof(struct irq_answer, cap[1]);
	a->cap[1].id = GVTSIM_IRQ_INFO_CAP_TYPE;
	a->cap[1].version = 1;
	a->cap[1].type = GVTSIM_IRQ_TYPE_GFX;
	a->cap[1].subtype = GVTSIM_IRQ_SUBTYPE_GFX_DISPLAY_IRQ;
}

static void
test_irq_caps(void)
{
	struct irq_answer a;

	irq_answer_init(&a);
	g_assert_true(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));

	/* Without the flags, or without a chain, it is not ours. */
	a.info.flags = VFIO_IRQ_INFO_EVENTFD;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	a.info.flags = GVTSIM_IRQ_INFO_FLAG_CAPS;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	a.info.cap_offset = 0;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));

	/* Another type or subtype. */
	irq_answer_init(&a);
	a.cap[1].subtype = 2;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	a.cap[1].type = 2;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));

	/* The chain does not fit what the kernel filled in or what we read. */
	irq_answer_init(&a);
	a.info.argsz = offsetof(struct irq_answer, cap[1]) + 4;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, offsetof(struct irq_answer, cap[1])));
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a.info) - 1));
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(NULL, sizeof(a)));

	/* Offsets into the header, past the end, or around in a loop. */
	irq_answer_init(&a);
	a.info.cap_offset = 4;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	a.cap[0].next = 0xFFFFFFF0u;
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	a.cap[0].next = offsetof(struct irq_answer, cap[0]);
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	irq_answer_init(&a);
	a.cap[0].next = offsetof(struct irq_answer, cap[2]);
	a.cap[2].next = offsetof(struct irq_answer, cap[0]);
	g_assert_false(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
	/* ... and further down a long but proper chain it is found. */
	irq_answer_init(&a);
	a.cap[0].next = offsetof(struct irq_answer, cap[2]);
	a.cap[2].id = 0x78;
	a.cap[2].next = offsetof(struct irq_answer, cap[1]);
	g_assert_true(gvtdmabuf_vfio_irq_info_is_display(&a, sizeof(a)));
}

static void
test_context(void)
{
	struct gvtdmabuf_context *ctx = NULL;

	g_assert_cmpstr(gvtdmabuf_context_sysfs_root(NULL), ==, "/sys");
	g_assert_cmpstr(gvtdmabuf_context_dev_root(NULL), ==, "/dev");
	g_assert_cmpint(gvtdmabuf_context_create(NULL), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_context_create(&ctx), ==, 0);
	g_assert_cmpstr(gvtdmabuf_context_sysfs_root(ctx), ==, "/sys");
	g_assert_cmpstr(gvtdmabuf_context_dev_root(ctx), ==, "/dev");
	g_assert_cmpint(gvtdmabuf_context_set_sysfs_root(ctx, "relative/sys"), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_context_set_sysfs_root(ctx, NULL), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_context_set_dev_root(ctx, ""), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_context_set_dev_root(NULL, "/x"), ==, -EINVAL);
	g_assert_cmpstr(gvtdmabuf_context_sysfs_root(ctx), ==, "/sys");
	g_assert_cmpint(gvtdmabuf_context_set_sysfs_root(ctx, "/tmp/fake/sys//"), ==, 0);
	g_assert_cmpstr(gvtdmabuf_context_sysfs_root(ctx), ==, "/tmp/fake/sys");
	g_assert_cmpint(gvtdmabuf_context_set_dev_root(ctx, "/"), ==, 0);
	g_assert_cmpstr(gvtdmabuf_context_dev_root(ctx), ==, "/");
	gvtdmabuf_context_destroy(ctx);
	gvtdmabuf_context_destroy(NULL);
}

int
main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	messages = g_ptr_array_new_with_free_func(g_free);
	g_test_add_func("/context/roots", test_context);
	g_test_add_func("/open/malformed", test_malformed);
	g_test_add_func("/open/no-mdev-bus", test_no_mdev_bus);
	g_test_add_func("/open/no-such-vgpu", test_no_such_vgpu);
	g_test_add_func("/open/no-iommu-group", test_no_iommu_group);
	g_test_add_func("/open/no-vfio", test_no_vfio);
	g_test_add_func("/open/not-a-container", test_not_a_container);
	g_test_add_func("/open/permission-denied", test_permission_denied);
	g_test_add_func("/open/cdev-path", test_cdev_path);
	g_test_add_func("/open/cdev-falls-back-to-group", test_cdev_falls_back_to_group);
	g_test_add_func("/open/errbuf-optional", test_errbuf_optional);
	/* Runs after the cases above: g_test runs in order of addition. */
	g_test_add_func("/open/messages-distinct", test_messages_distinct);
	g_test_add_func("/explain/every-errno", test_explain_every_errno);
	g_test_add_func("/explain/specific", test_explain_specific);
	g_test_add_func("/vfio/irq-caps", test_irq_caps);
	r = g_test_run();
	g_ptr_array_unref(messages);
	return r;
}
