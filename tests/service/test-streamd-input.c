/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd's viewer input (input.c) and its configuration keys
 * (config.c) on their own: the JSON messages, the key table, the policy
 * (view only by default, input-users), and the errors of bad messages and
 * bad keys.  The vGPU is a stub that records what would reach the element.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <linux/input-event-codes.h>

#include "config.h"
#include "input.h"
#include "streamd.h"

struct streamd_vgpu {
	bool input;
	char **users;
	GstStructure *sent;
};

bool streamd_vgpu_input_policy(const struct streamd_vgpu *v, char *const **ret_users)
{
	*ret_users = v->users;
	return v->input;
}

bool streamd_vgpu_send_input(struct streamd_vgpu *v, GstStructure *s)
{
	if (v->sent)
		gst_structure_free(v->sent);
	v->sent = s;
	return true;
}

const char *streamd_vgpu_device(const struct streamd_vgpu *v)
{
	(void)v;
	return "qemu:name=test";
}

static void test_key_table(void)
{
	g_assert_cmpuint(streamd_input_key_code("KeyA"), ==, KEY_A);
	g_assert_cmpuint(streamd_input_key_code("KeyZ"), ==, KEY_Z);
	g_assert_cmpuint(streamd_input_key_code("Digit0"), ==, KEY_0);
	g_assert_cmpuint(streamd_input_key_code("Digit9"), ==, KEY_9);
	g_assert_cmpuint(streamd_input_key_code("ShiftLeft"), ==, KEY_LEFTSHIFT);
	g_assert_cmpuint(streamd_input_key_code("Enter"), ==, KEY_ENTER);
	g_assert_cmpuint(streamd_input_key_code("ArrowUp"), ==, KEY_UP);
	g_assert_cmpuint(streamd_input_key_code("F1"), ==, KEY_F1);
	g_assert_cmpuint(streamd_input_key_code("F12"), ==, KEY_F12);
	g_assert_cmpuint(streamd_input_key_code("Space"), ==, KEY_SPACE);
	g_assert_cmpuint(streamd_input_key_code("F13"), ==, 0);
	g_assert_cmpuint(streamd_input_key_code("F01"), ==, 0);
	g_assert_cmpuint(streamd_input_key_code("Keya"), ==, 0);
	g_assert_cmpuint(streamd_input_key_code("KeyAB"), ==, 0);
	g_assert_cmpuint(streamd_input_key_code("a"), ==, 0);
	g_assert_cmpuint(streamd_input_key_code(""), ==, 0);
}

static void check_sent(struct streamd_vgpu *v, const char *msg, const char *expect)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *got = NULL;

	g_assert_true(streamd_input_message(v, NULL, msg, &e));
	g_assert_no_error(e);
	g_assert_nonnull(v->sent);
	got = gst_structure_to_string(v->sent);
	g_assert_cmpstr(got, ==, expect);
}

static void test_messages(void)
{
	struct streamd_vgpu v = { .input = true };

	check_sent(&v, "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}",
		   "gvtdmabuf-input, key=(uint)30, pressed=(boolean)true;");
	check_sent(&v, "{\"type\":\"key\",\"code\":\"ShiftLeft\",\"down\":false}",
		   "gvtdmabuf-input, key=(uint)42, pressed=(boolean)false;");
	check_sent(&v, "{\"type\":\"move\",\"x\":120,\"y\":45}",
		   "gvtdmabuf-input, x=(uint)120, y=(uint)45;");
	check_sent(&v, "{\"type\":\"move\",\"x\":120.0,\"y\":0}",
		   "gvtdmabuf-input, x=(uint)120, y=(uint)0;");
	check_sent(&v, "{\"type\":\"button\",\"button\":0,\"down\":true}",
		   "gvtdmabuf-input, button=(uint)272, pressed=(boolean)true;");
	check_sent(&v, "{\"type\":\"button\",\"button\":1,\"down\":true}",
		   "gvtdmabuf-input, button=(uint)274, pressed=(boolean)true;");
	check_sent(&v, "{\"type\":\"button\",\"button\":2,\"down\":false}",
		   "gvtdmabuf-input, button=(uint)273, pressed=(boolean)false;");
	check_sent(&v, "{\"type\":\"wheel\",\"steps\":-3}", "gvtdmabuf-input, wheel=(int)-3;");
	gst_structure_free(v.sent);
}

static const struct {
	const char *msg, *error;
} bad[] = {
	{ "", "empty" },
	{ "{", "not JSON" },
	{ "[1]", "not a JSON object" },
	{ "{}", "no \"type\"" },
	{ "{\"type\":3}", "no \"type\"" },
	{ "{\"type\":\"tap\"}", "unknown type \"tap\"" },
	{ "{\"type\":\"key\",\"down\":true}", "no \"code\"" },
	{ "{\"type\":\"key\",\"code\":\"Hyper\",\"down\":true}", "unknown key code \"Hyper\"" },
	{ "{\"type\":\"key\",\"code\":\"KeyA\"}", "no \"down\"" },
	{ "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":1}", "\"down\" is not true or false" },
	{ "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true,\"repeat\":true}", "unknown member \"repeat\"" },
	{ "{\"type\":\"move\",\"x\":-1,\"y\":0}", "\"x\" is -1, outside 0 to 32767" },
	{ "{\"type\":\"move\",\"x\":1.5,\"y\":0}", "\"x\" is 1.5, not a whole number" },
	{ "{\"type\":\"move\",\"x\":1}", "no \"y\"" },
	{ "{\"type\":\"move\",\"x\":\"1\",\"y\":2}", "\"x\" is not a number" },
	{ "{\"type\":\"button\",\"button\":3,\"down\":true}", "\"button\" is 3, outside 0 to 2" },
	{ "{\"type\":\"wheel\",\"steps\":0}", "\"steps\" is 0" },
	{ "{\"type\":\"wheel\",\"steps\":121}", "\"steps\" is 121, outside -120 to 120" },
};

static void test_bad_messages(void)
{
	struct streamd_vgpu v = { .input = true };

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;

		g_assert_false(streamd_input_message(&v, NULL, bad[i].msg, &e));
		g_assert_error(e, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		if (!strstr(e->message, bad[i].error))
			g_error("'%s': error '%s' does not say '%s'", bad[i].msg, e->message, bad[i].error);
		g_assert_null(v.sent);
	}
}

static void test_policy(void)
{
	char *users[] = { "alice", NULL };
	struct streamd_vgpu off = { .input = false };
	struct streamd_vgpu some = { .input = true, .users = users };
	const char *key = "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}";
	g_autoptr(GError) e = NULL;

	g_assert_false(streamd_input_allowed(&off, NULL));
	g_assert_false(streamd_input_allowed(&off, "alice"));
	g_assert_false(streamd_input_message(&off, "alice", key, &e));
	g_assert_error(e, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(e->message, "view only"));
	g_assert_null(off.sent);
	g_clear_error(&e);
	/* a bad message from a view-only viewer is refused as view only */
	g_assert_false(streamd_input_message(&off, NULL, "junk", &e));
	g_assert_error(e, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_clear_error(&e);

	g_assert_true(streamd_input_allowed(&some, "alice"));
	g_assert_false(streamd_input_allowed(&some, "bob"));
	g_assert_false(streamd_input_allowed(&some, NULL));
	g_assert_false(streamd_input_message(&some, "bob", key, &e));
	g_assert_error(e, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_null(some.sent);
	g_clear_error(&e);
	g_assert_true(streamd_input_message(&some, "alice", key, &e));
	g_assert_nonnull(some.sent);
	gst_structure_free(some.sent);

	g_assert_true(streamd_input_policy(true, NULL, NULL));
	g_assert_true(streamd_input_policy(true, NULL, "bob"));
}

/* ---- configuration keys ---- */

static char *dir;

static char *write_file(const char *name, const char *text, int mode)
{
	char *p = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	g_assert_cmpint(chmod(p, mode), ==, 0);
	return p;
}

static struct streamd_config *load(const char *text, GError **e)
{
	g_autofree char *users = write_file("users", "alice:pw\nbob:pw\n", 0600);
	g_autofree char *body = g_strdup_printf("[daemon]\nrtsp-users=%s\n%s", users, text);
	g_autofree char *conf = write_file("gvt-streamd.conf", body, 0644);

	return streamd_config_load(conf, true, NULL, e);
}

static void expect_config_error(const char *text, const char *what)
{
	g_autoptr(GError) e = NULL;

	g_assert_null(load(text, &e));
	g_assert_nonnull(e);
	if (!strstr(e->message, what) || !strstr(e->message, "gvt-streamd.conf:"))
		g_error("config error '%s' does not say '%s' with file and line", e->message, what);
}

static void test_config(void)
{
	g_autoptr(GError) e = NULL;
	struct streamd_config *cfg;
	const struct streamd_vgpu_config *vc;
	struct streamd_vgpu_config defaults = { 0 };

	streamd_vgpu_config_defaults(&defaults, "qemu:name=vm");
	g_assert_false(defaults.input);
	g_assert_null(defaults.input_users);
	g_free(defaults.device);
	g_free(defaults.name);
	g_free(defaults.encoder);

	cfg = load("[vgpu qemu:name=a]\n[vgpu qemu:name=b]\ninput=true\n"
		   "[vgpu qemu:name=c]\ninput=true\ninput-users=alice; bob\n", &e);
	g_assert_no_error(e);
	vc = streamd_config_find(cfg, "qemu:name=a");
	g_assert_false(vc->input);
	vc = streamd_config_find(cfg, "qemu:name=b");
	g_assert_true(vc->input);
	g_assert_null(vc->input_users);
	vc = streamd_config_find(cfg, "qemu:name=c");
	g_assert_true(vc->input);
	g_assert_cmpuint(g_strv_length(vc->input_users), ==, 2);
	g_assert_cmpstr(vc->input_users[1], ==, "bob");
	streamd_config_free(cfg);

	expect_config_error("[vgpu sim]\ninput=true\n", "has no input");
	expect_config_error("[vgpu 5f1d7e4c-0000-4d0b-9e36-a1b2c3d4e5f6]\ninput=true\n", "VFIO");
	expect_config_error("[vgpu qemu]\ninput=yes\n", "'yes' is not a boolean");
	expect_config_error("[vgpu qemu]\ninput=true\ninput-users=carol\n",
			    "[vgpu qemu] input-users: 'carol' is not a user of the users file");
	expect_config_error("[vgpu qemu]\ninput-users=alice\n", "needs input = true");
}

/* The users file's one password check (config.c), which the WebRTC login
 * (webrtc.c) uses: the file as loaded, exact user and password. */
static void test_users_check(void)
{
	g_autofree char *users = write_file("users", "alice:pw\nbob:pass word:2\n", 0600);
	g_autofree char *body = g_strdup_printf("[daemon]\nrtsp-users=%s\n", users);
	g_autofree char *conf = write_file("gvt-streamd.conf", body, 0644);
	g_autoptr(GError) e = NULL;
	struct streamd_config *cfg = streamd_config_load(conf, true, NULL, &e);

	g_assert_no_error(e);
	g_assert_true(streamd_users_check(cfg->rtsp_users, "alice", "pw"));
	g_assert_true(streamd_users_check(cfg->rtsp_users, "bob", "pass word:2"));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "alice", "pass word:2"));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "bob", "pw"));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "alice", "pw "));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "alice", "p"));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "alice", ""));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "Alice", "pw"));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "carol", "pw"));
	g_assert_false(streamd_users_check(cfg->rtsp_users, "alice", NULL));
	g_assert_false(streamd_users_check(NULL, "alice", "pw"));
	streamd_config_free(cfg);
	g_assert_true(streamd_secret_equal("t0k", "t0k"));
	g_assert_false(streamd_secret_equal("t0k", "t0"));
	g_assert_false(streamd_secret_equal("t0k", "t0kk"));
	g_assert_false(streamd_secret_equal("t0k", NULL));
}

int main(int argc, char **argv)
{
	int r;

	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("streamd-input-XXXXXX", NULL);
	g_test_add_func("/input/key-table", test_key_table);
	g_test_add_func("/input/messages", test_messages);
	g_test_add_func("/input/bad-messages", test_bad_messages);
	g_test_add_func("/input/policy", test_policy);
	g_test_add_func("/input/config", test_config);
	g_test_add_func("/input/users-check", test_users_check);
	r = g_test_run();
	{
		g_autofree char *u = g_build_filename(dir, "users", NULL);
		g_autofree char *c = g_build_filename(dir, "gvt-streamd.conf", NULL);

		unlink(u);
		unlink(c);
		rmdir(dir);
	}
	g_free(dir);
	return r;
}
