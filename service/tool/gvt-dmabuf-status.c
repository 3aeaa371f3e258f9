/* SPDX-License-Identifier: MIT */
/*
 * gvt-dmabuf status: what gvt-streamd is doing, read from its D-Bus
 * control interface (org.gvtdmabuf.Streamd1, see gvt-streamd(8)).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "gvt-dmabuf-tool.h"

static const char status_usage[] =
	"Usage: gvt-dmabuf status [--system | --session] [--json]\n"
	"\n"
	"Show what gvt-streamd is doing: per vGPU its stream state, frame rate,\n"
	"resolution, PipeWire node and consumers.  Asks the system service\n"
	"(system bus) and, if none runs, the user service (session bus).\n"
	"\n"
	"Options:\n"
	"  --system    ask only the system service\n"
	"  --session   ask only the user service (gvt-streamd --user)\n"
	"  --json      print a JSON object {\"daemon\": {...}, \"vgpus\": [...]}\n"
	"  -h, --help  show this help\n";

static void json_value(FILE *f, GVariant *v)
{
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
		tool_json_string(f, g_variant_get_string(v, NULL));
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		fputs(g_variant_get_boolean(v) ? "true" : "false", f);
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		fprintf(f, "%u", g_variant_get_uint32(v));
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
		fprintf(f, "%lld", (long long)g_variant_get_int64(v));
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
		fprintf(f, "%llu", (unsigned long long)g_variant_get_uint64(v));
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
		fprintf(f, "%.2f", g_variant_get_double(v));
	else if (g_variant_is_of_type(v, G_VARIANT_TYPE_ARRAY) &&
		 !g_variant_is_of_type(v, G_VARIANT_TYPE_DICTIONARY)) {
		fputc('[', f);
		for (gsize i = 0; i < g_variant_n_children(v); i++) {
			g_autoptr(GVariant) c = g_variant_get_child_value(v, i);

			fputs(i ? ", " : "", f);
			json_value(f, c);
		}
		fputc(']', f);
	} else
		fputs("null", f);
}

static void json_dict(FILE *f, GVariant *dict)
{
	GVariantIter it;
	const char *key;
	GVariant *v;
	bool first = true;

	fputc('{', f);
	g_variant_iter_init(&it, dict);
	while (g_variant_iter_next(&it, "{&sv}", &key, &v)) {
		fputs(first ? "" : ", ", f);
		tool_json_string(f, key);
		fputs(": ", f);
		json_value(f, v);
		g_variant_unref(v);
		first = false;
	}
	fputc('}', f);
}

static const char *dict_str(GVariant *d, const char *key)
{
	const char *s = NULL;

	return g_variant_lookup(d, key, "&s", &s) ? s : "";
}

static GVariant *ask(GBusType type, GError **error)
{
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(type, NULL, error);

	if (!bus)
		return NULL;
	return g_dbus_connection_call_sync(bus, "org.gvtdmabuf.Streamd1", "/org/gvtdmabuf/Streamd1",
					   "org.gvtdmabuf.Streamd1", "GetStatus", NULL,
					   G_VARIANT_TYPE("(a{sv}aa{sv})"),
					   G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, error);
}

static int status_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "system", no_argument, NULL, 'y' },
		{ "session", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tool_command *cmd = &tool_status_command;
	bool json = false, sys = true, ses = true;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) daemon = NULL;
	g_autoptr(GVariant) vgpus = NULL;
	g_autoptr(GError) err = NULL;
	int c, ret = TOOL_EXIT_OK;
	const char *where = "system";
	GVariantIter it;
	GVariant *v;
	bool up = false;

	while ((c = tool_getopt(cmd, argc, argv, ":h", opts, &ret)) >= 0) {
		if (c == 'j')
			json = true;
		else if (c == 'y')
			ses = false;
		else if (c == 'e')
			sys = false;
	}
	if (c == -1)	/* --help printed, or a usage error */
		return ret;
	if (optind < argc)
		return tool_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!sys && !ses)
		return tool_usage_error(cmd, "--system and --session exclude each other");
	if (sys)
		reply = ask(G_BUS_TYPE_SYSTEM, &err);
	if (!reply && ses) {
		g_clear_error(&err);
		where = "session";
		reply = ask(G_BUS_TYPE_SESSION, &err);
	}
	if (!reply) {
		tool_error("no gvt-streamd on the %s bus%s: %s", where, sys && ses ? " (nor on the system bus)" : "",
			   err->message);
		return TOOL_EXIT_NOT_FOUND;
	}
	g_variant_get(reply, "(@a{sv}@aa{sv})", &daemon, &vgpus);
	if (json) {
		bool first = true;

		fputs("{\"daemon\": ", stdout);
		json_dict(stdout, daemon);
		fputs(", \"vgpus\": [", stdout);
		g_variant_iter_init(&it, vgpus);
		while ((v = g_variant_iter_next_value(&it))) {
			fputs(first ? "" : ", ", stdout);
			json_dict(stdout, v);
			g_variant_unref(v);
			first = false;
		}
		fputs("]}\n", stdout);
		return TOOL_EXIT_OK;
	}
	g_variant_lookup(daemon, "pipewire", "b", &up);
	printf("gvt-streamd %s on the %s bus, PipeWire %s\n", dict_str(daemon, "version"), where,
	       up ? "connected" : "not connected");
	g_variant_iter_init(&it, vgpus);
	while ((v = g_variant_iter_next_value(&it))) {
		uint32_t w = 0, h = 0, consumers = 0;
		int64_t node = -1;
		double fps = 0;

		g_variant_lookup(v, "width", "u", &w);
		g_variant_lookup(v, "height", "u", &h);
		g_variant_lookup(v, "fps", "d", &fps);
		g_variant_lookup(v, "node-id", "x", &node);
		g_variant_lookup(v, "consumers", "u", &consumers);
		printf("%s (%s)\n", dict_str(v, "device"), dict_str(v, "name"));
		if (!strcmp(dict_str(v, "state"), "removed")) {
			/* gone: no picture; when it went and when it is next
			 * opened instead (configured vGPUs; discovery brings
			 * back the others) */
			double gone = 0;
			uint32_t retry = 0;
			bool has_retry = g_variant_lookup(v, "retry-in-ms", "u", &retry);

			g_variant_lookup(v, "removed-seconds", "d", &gone);
			printf("  state: removed %.1f s ago, no picture", gone);
			if (has_retry)
				printf(", next open attempt in %.1f s", retry / 1000.0);
			printf("\n");
		} else if (!w || !h) {
			printf("  state: %s, no picture yet\n", dict_str(v, "state"));
		} else {
			printf("  state: %s, %ux%u, %.1f fps\n", dict_str(v, "state"), w, h, fps);
		}
		if (node >= 0)
			printf("  PipeWire node %lld %s, %u consumer%s%s%s\n", (long long)node,
			       dict_str(v, "node-name"), consumers, consumers == 1 ? "" : "s",
			       *dict_str(v, "format") ? ", " : "", dict_str(v, "format"));
		else
			printf("  no PipeWire node\n");
		if (*dict_str(v, "rtsp-url")) {
			uint32_t viewers = 0;

			g_variant_lookup(v, "rtsp-viewers", "u", &viewers);
			printf("  RTSP %s, %s, %u viewer%s\n", dict_str(v, "rtsp-url"),
			       dict_str(v, "rtsp-encoder"), viewers, viewers == 1 ? "" : "s");
		}
		if (*dict_str(v, "webrtc-url")) {
			uint32_t viewers = 0, connected = 0;
			gboolean token = FALSE;

			g_variant_lookup(v, "webrtc-viewers", "u", &viewers);
			g_variant_lookup(v, "webrtc-connected", "u", &connected);
			g_variant_lookup(v, "webrtc-token-needed", "b", &token);
			g_autoptr(GVariant) users = g_variant_lookup_value(v, "webrtc-viewer-users",
									   G_VARIANT_TYPE_STRING_ARRAY);
			g_autoptr(GVariant) inputs = g_variant_lookup_value(v, "webrtc-viewer-input",
									    G_VARIANT_TYPE("ab"));
			gboolean login = FALSE;

			g_variant_lookup(v, "webrtc-login-needed", "b", &login);
			printf("  WebRTC %s%s, %slogin, %u viewer%s (%u connected)", dict_str(v, "webrtc-url"),
			       token ? "?token=..." : "", login ? "" : "no ", viewers,
			       viewers == 1 ? "" : "s", connected);
			/* Each viewer: its user (none without a login) and input. */
			for (gsize i = 0; users && inputs && i < g_variant_n_children(users) &&
			     i < g_variant_n_children(inputs); i++) {
				const char *u = NULL;
				gboolean in = FALSE;

				g_variant_get_child(users, i, "&s", &u);
				g_variant_get_child(inputs, i, "b", &in);
				printf("%s%s (%s)", i ? ", " : ": ", *u ? u : "no login", in ? "input" : "view only");
			}
			putchar('\n');
		}
		if (*dict_str(v, "encode-encoder")) {
			uint32_t subs = 0;
			uint64_t units = 0, read = 0, imported = 0;

			g_variant_lookup(v, "encode-subscribers", "u", &subs);
			g_variant_lookup(v, "encode-units", "t", &units);
			g_variant_lookup(v, "encode-frames-read", "t", &read);
			g_variant_lookup(v, "encode-frames-imported", "t", &imported);
			/* the feed: what takes the capture's frames to the encoder,
			 * and how many went as dma-bufs or were read by the CPU */
			printf("  H.264 encode %s, %u subscriber%s, %llu units; feed %s, "
			       "%llu frames imported, %llu read\n",
			       dict_str(v, "encode-encoder"), subs, subs == 1 ? "" : "s",
			       (unsigned long long)units, dict_str(v, "encode-feed"),
			       (unsigned long long)imported, (unsigned long long)read);
		}
		if (*dict_str(v, "push-url")) {
			/* gvt-streamd shows the URL without its password. */
			uint64_t reconnects = 0;

			g_variant_lookup(v, "push-reconnects", "t", &reconnects);
			printf("  push to %s: %s, %llu reconnect%s%s%s\n", dict_str(v, "push-url"),
			       dict_str(v, "push-state"), (unsigned long long)reconnects,
			       reconnects == 1 ? "" : "s",
			       *dict_str(v, "push-last-error") ? "; last error: " : "",
			       dict_str(v, "push-last-error"));
		}
		g_variant_unref(v);
	}
	return TOOL_EXIT_OK;
}

const struct tool_command tool_status_command = {
	.name = "status",
	.summary = "show what gvt-streamd streams (its D-Bus interface)",
	.usage = status_usage,
	.takes_device = false,
	.run = status_run,
};
