/* SPDX-License-Identifier: MIT */
/*
 * gvtdmabuf_list_mdevs() over a fake sysfs laid out like the kernel's:
 * bus/mdev/devices/UUID links into the parent's directory, mdev_type and
 * iommu_group links beside the device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "backend.h"
#include "test-util.h"

/* Listed out of order on purpose: the result is sorted. */
#define UUID_I915 "f0000000-0000-4000-8000-000000000001"
#define UUID_SIM "10000000-0000-4000-8000-0000000000aa"
#define UUID_SIM2 "20000000-0000-4000-8000-0000000000bb"

static char *root;

static void
mkdirs(const char *rel)
{
	char *p = g_build_filename(root, rel, NULL);

	g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
	g_free(p);
}

static void
put(const char *rel, const char *text)
{
	char *p = g_build_filename(root, rel, NULL);

	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	g_free(p);
}

static void
link_(const char *target, const char *rel)
{
	char *p = g_build_filename(root, rel, NULL);

	g_assert_cmpint(symlink(target, p), ==, 0);
	g_free(p);
}

static void
add_mdev(const char *parent_dir, const char *type, const char *type_name,
	 const char *uuid, int group)
{
	char *dev = g_build_filename(parent_dir, uuid, NULL);
	char *types = g_build_filename(parent_dir, "mdev_supported_types", type, NULL);
	char *name = g_build_filename(types, "name", NULL);
	char *rel, *up;

	mkdirs(dev);
	mkdirs(types);
	if (type_name)
		put(name, type_name);
	rel = g_build_filename(dev, "mdev_type", NULL);
	up = g_strdup_printf("../mdev_supported_types/%s", type);
	link_(up, rel);
	g_free(rel);
	g_free(up);

	if (group >= 0) {
		char *gdir = g_strdup_printf("sys/kernel/iommu_groups/%d", group);
		int depth = 0;
		const char *c;
		GString *target = g_string_new(NULL);

		mkdirs(gdir);
		/* From sys/.../UUID back up to sys/. */
		for (c = dev; *c; c++)
			if (*c == '/')
				depth++;
		for (; depth > 0; depth--)
			g_string_append(target, "../");
		g_string_append_printf(target, "kernel/iommu_groups/%d", group);
		rel = g_build_filename(dev, "iommu_group", NULL);
		link_(target->str, rel);
		g_free(rel);
		g_free(gdir);
		g_string_free(target, TRUE);
	}

	mkdirs("sys/bus/mdev/devices");
	rel = g_strdup_printf("sys/bus/mdev/devices/%s", uuid);
	/* dev is "sys/devices/..."; the link lives three levels below sys. */
	up = g_strdup_printf("../../../%s", dev + strlen("sys/"));
	link_(up, rel);
	g_free(rel);
	g_free(up);
	g_free(dev);
	g_free(types);
	g_free(name);
}

static struct gvtdmabuf_context *
make_ctx(void)
{
	struct gvtdmabuf_context *ctx = NULL;
	char *sys = g_build_filename(root, "sys", NULL);
	char *dev = g_build_filename(root, "dev", NULL);

	g_assert_cmpint(gvtdmabuf_context_create(&ctx), ==, 0);
	g_assert_cmpint(gvtdmabuf_context_set_sysfs_root(ctx, sys), ==, 0);
	g_assert_cmpint(gvtdmabuf_context_set_dev_root(ctx, dev), ==, 0);
	g_free(sys);
	g_free(dev);
	return ctx;
}

static void
test_no_mdev_support(void)
{
	struct gvtdmabuf_context *ctx;
	struct gvtdmabuf_mdev_info *list = (void *)0x1;
	size_t n = 99;

	root = g_dir_make_tmp("gvtdmabuf-discover-XXXXXX", NULL);
	mkdirs("sys");
	ctx = make_ctx();
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, false, &list, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_null(list);
	/* An empty bus is the same answer. */
	mkdirs("sys/bus/mdev/devices");
	n = 99;
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, true, &list, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, false, NULL, &n), ==, -EINVAL);
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, false, &list, NULL), ==, -EINVAL);
	gvtdmabuf_context_destroy(ctx);
}

static void
test_list(void)
{
	struct gvtdmabuf_context *ctx;
	struct gvtdmabuf_mdev_info *list = NULL;
	size_t n = 0;

	root = g_dir_make_tmp("gvtdmabuf-discover-XXXXXX", NULL);
	add_mdev("sys/devices/pci0000:00/0000:00:02.0", "i915-GVTg_V5_4",
		 "GVTg_V5_4\n", UUID_I915, 12);
	add_mdev("sys/devices/virtual/gvtsim/gvtsim", "gvtsim-GVTg_V5_8",
		 "GVTg_V5_8\n", UUID_SIM, -1);
	add_mdev("sys/devices/virtual/gvtsim/gvtsim", "gvtsim-GVTg_V5_4",
		 NULL, UUID_SIM2, 3);
	/* Strays in the bus directory are not devices. */
	put("sys/bus/mdev/devices/README", "not a device\n");
	link_("../../../devices/nowhere", "sys/bus/mdev/devices/not-a-uuid");

	ctx = make_ctx();
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, false, &list, &n), ==, 0);
	g_assert_cmpuint(n, ==, 3);
	g_assert_nonnull(list);

	g_assert_cmpstr(list[0].uuid, ==, UUID_SIM);
	g_assert_cmpstr(list[0].parent, ==, "gvtsim");
	g_assert_cmpstr(list[0].type_id, ==, "gvtsim-GVTg_V5_8");
	g_assert_cmpstr(list[0].type_name, ==, "GVTg_V5_8");
	g_assert_cmpint(list[0].iommu_group, ==, -1);
	g_assert_cmpint(list[0].display, ==, 0);

	g_assert_cmpstr(list[1].uuid, ==, UUID_SIM2);
	g_assert_cmpstr(list[1].parent, ==, "gvtsim");
	g_assert_cmpstr(list[1].type_id, ==, "gvtsim-GVTg_V5_4");
	g_assert_cmpstr(list[1].type_name, ==, "");
	g_assert_cmpint(list[1].iommu_group, ==, 3);

	g_assert_cmpstr(list[2].uuid, ==, UUID_I915);
	g_assert_cmpstr(list[2].parent, ==, "0000:00:02.0");
	g_assert_cmpstr(list[2].type_id, ==, "i915-GVTg_V5_4");
	g_assert_cmpstr(list[2].type_name, ==, "GVTg_V5_4");
	g_assert_cmpint(list[2].iommu_group, ==, 12);
	free(list);

	/* Probing opens each: there is no /dev/vfio here, so each says why
	 * it could not be asked (a negative errno), none claims a display. */
	list = NULL;
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, true, &list, &n), ==, 0);
	g_assert_cmpuint(n, ==, 3);
	g_assert_cmpint(list[0].display, ==, -ENODEV);	/* no IOMMU group */
	g_assert_cmpint(list[1].display, ==, -ENODEV);	/* no /dev/vfio/vfio */
	g_assert_cmpint(list[2].display, ==, -ENODEV);
	free(list);
	gvtdmabuf_context_destroy(ctx);
}

#define UUID_LONG "30000000-0000-4000-8000-0000000000cc"
#define UUID_BADGROUP "40000000-0000-4000-8000-0000000000dd"
#define UUID_HUGEGROUP "50000000-0000-4000-8000-0000000000ee"
#define UUID_GONE "60000000-0000-4000-8000-0000000000ff"

/* Odd sysfs content: names longer than the fields, a type name with no
 * newline and control characters, group links that are not numbers or
 * overflow, a device that went away, an upper-case name. */
static void
test_odd_content(void)
{
	struct gvtdmabuf_context *ctx;
	struct gvtdmabuf_mdev_info *list = NULL;
	char long_type[201], long_name[301];
	size_t n = 0, i;

	memset(long_type, 't', sizeof(long_type) - 1);
	long_type[sizeof(long_type) - 1] = '\0';
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';

	root = g_dir_make_tmp("gvtdmabuf-discover-XXXXXX", NULL);
	add_mdev("sys/devices/virtual/gvtsim/gvtsim", long_type, long_name,
		 UUID_LONG, 5);
	add_mdev("sys/devices/virtual/gvtsim/gvtsim", "t", "a\x1b[2Jb\n", UUID_BADGROUP, -1);
	mkdirs("sys/kernel/iommu_groups/12abc");
	link_("../../../../kernel/iommu_groups/12abc",
	      "sys/devices/virtual/gvtsim/gvtsim/" UUID_BADGROUP "/iommu_group");
	add_mdev("sys/devices/virtual/gvtsim/gvtsim", "u", NULL, UUID_HUGEGROUP, -1);
	link_("../../../../kernel/iommu_groups/99999999999999999999",
	      "sys/devices/virtual/gvtsim/gvtsim/" UUID_HUGEGROUP "/iommu_group");
	link_("../../../devices/virtual/gvtsim/gvtsim/" UUID_GONE,
	      "sys/bus/mdev/devices/" UUID_GONE);
	link_("../../../devices/virtual/gvtsim/gvtsim/" UUID_LONG,
	      "sys/bus/mdev/devices/30000000-0000-4000-8000-0000000000CC");

	ctx = make_ctx();
	g_assert_cmpint(gvtdmabuf_list_mdevs(ctx, false, &list, &n), ==, 0);
	/* neither the vanished device nor the upper-case alias */
	g_assert_cmpuint(n, ==, 3);
	for (i = 0; i < n; i++) {
		g_assert_cmpuint(strnlen(list[i].uuid, sizeof(list[i].uuid)), ==,
				 GVTDMABUF_UUID_LEN);
		g_assert_cmpuint(strnlen(list[i].parent, sizeof(list[i].parent)), <,
				 sizeof(list[i].parent));
		g_assert_cmpuint(strnlen(list[i].type_id, sizeof(list[i].type_id)), <,
				 sizeof(list[i].type_id));
		g_assert_cmpuint(strnlen(list[i].type_name, sizeof(list[i].type_name)), <,
				 sizeof(list[i].type_name));
	}
	g_assert_cmpstr(list[0].uuid, ==, UUID_LONG);
	g_assert_cmpint(list[0].iommu_group, ==, 5);
	g_assert_true(g_str_has_prefix(long_type, list[0].type_id));
	g_assert_true(g_str_has_prefix(long_name, list[0].type_name));
	g_assert_cmpstr(list[1].uuid, ==, UUID_BADGROUP);
	g_assert_cmpint(list[1].iommu_group, ==, -1);
	g_assert_cmpstr(list[1].type_name, ==, "a\x1b[2Jb");
	g_assert_cmpstr(list[2].uuid, ==, UUID_HUGEGROUP);
	g_assert_cmpint(list[2].iommu_group, ==, -1);
	free(list);
	gvtdmabuf_context_destroy(ctx);
}

static void
cleanup(void)
{
	if (root && g_str_has_prefix(root, g_get_tmp_dir()))
		test_rm_rf(root);
	g_free(root);
	root = NULL;
}

static void
test_no_mdev_support_wrapped(void)
{
	test_no_mdev_support();
	cleanup();
}

static void
test_list_wrapped(void)
{
	test_list();
	cleanup();
}

static void
test_odd_content_wrapped(void)
{
	test_odd_content();
	cleanup();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/discover/no-mdev-support", test_no_mdev_support_wrapped);
	g_test_add_func("/discover/list", test_list_wrapped);
	g_test_add_func("/discover/odd-content", test_odd_content_wrapped);
	return g_test_run();
}
