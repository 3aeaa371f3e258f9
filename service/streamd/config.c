/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

enum key_type { KEY_BOOL, KEY_UINT, KEY_STRING, KEY_CHOICE, KEY_PUSH_URL, KEY_RESERVED };

struct key_desc {
	const char *name;
	enum key_type type;
	unsigned int min, max;
	const char *reserved_for;	/* KEY_RESERVED: what will implement it */
	const char *const *choices;	/* KEY_CHOICE: NULL-terminated */
};

static const char *const encoder_choices[] = {
	"auto", "vah264enc", "vaapih264enc", "x264enc", "openh264enc", NULL
};

static const char *const io_mode_choices[] = { "auto", "system", "dmabuf", NULL };

static const struct key_desc daemon_keys[] = {
	{ "pipewire", KEY_BOOL },
	{ "discover-mdev", KEY_BOOL },
	{ "discover-vms", KEY_BOOL },
	{ "rescan-interval", KEY_UINT, 1, 3600 },
	{ "rtsp-address", KEY_STRING },
	{ "rtsp-port", KEY_UINT, 0, 65535 },
	{ "rtsp-users", KEY_STRING },
	{ "tls-certificate", KEY_STRING },
	{ "tls-key", KEY_STRING },
	{ "webrtc-address", KEY_STRING },
	{ "webrtc-port", KEY_UINT, 0, 65535 },
	{ "webrtc-token", KEY_STRING },
	{ "stun-server", KEY_STRING },
	{ "turn-server", KEY_STRING },
	{ NULL }
};

static const struct key_desc vgpu_keys[] = {
	{ "name", KEY_STRING },
	{ "enabled", KEY_BOOL },
	{ "max-framerate", KEY_UINT, 0, 240 },
	{ "keepalive", KEY_UINT, 0, 60000 },
	{ "rtsp", KEY_BOOL },
	{ "encoder", KEY_CHOICE, .choices = encoder_choices },
	{ "io-mode", KEY_CHOICE, .choices = io_mode_choices },
	{ "bitrate", KEY_UINT, 100, 100000 },
	{ "gop", KEY_UINT, 1, 1000 },
	{ "allowed-users", KEY_STRING },
	{ "push", KEY_PUSH_URL },
	{ "webrtc", KEY_BOOL },
	{ "input", KEY_BOOL },
	{ "input-users", KEY_STRING },
	{ NULL }
};

/* Where each group and key was defined, for error messages: GKeyFile
 * keeps no line numbers, so the file is scanned a second time. */
struct origin {
	const char *file;	/* NULL: command line */
	GHashTable *lines;	/* "group\nkey" or "group" -> line number */
};

static void origin_scan(struct origin *o, const char *file, const char *data)
{
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	g_autofree char *group = NULL;

	o->file = file;
	o->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; lines[i]; i++) {
		char *l = g_strstrip(lines[i]);
		char *eq;

		if (*l == '[') {
			char *end = strrchr(l, ']');

			g_free(group);
			group = g_strndup(l + 1, end ? (gsize)(end - l - 1) : strlen(l + 1));
			g_hash_table_insert(o->lines, g_strdup(group), GUINT_TO_POINTER(i + 1));
		} else if (*l && *l != '#' && group && (eq = strchr(l, '='))) {
			g_autofree char *key = g_strstrip(g_strndup(l, eq - l));

			g_hash_table_insert(o->lines, g_strdup_printf("%s\n%s", group, key),
					    GUINT_TO_POINTER(i + 1));
		}
	}
}

/* "FILE:LINE: [GROUP] KEY" or "--set GROUP.KEY" for the message prefix. */
static char *where(const struct origin *o, GHashTable *cmdline, const char *group,
		   const char *key)
{
	g_autofree char *k = key ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);
	guint line;

	if (cmdline && g_hash_table_contains(cmdline, k))
		return key ? g_strdup_printf("--set '%s.%s'", group, key)
			   : g_strdup_printf("--set '%s...'", group);
	line = o->lines ? GPOINTER_TO_UINT(g_hash_table_lookup(o->lines, k)) : 0;
	if (line)
		return key ? g_strdup_printf("%s:%u: [%s] %s", o->file, line, group, key)
			   : g_strdup_printf("%s:%u: [%s]", o->file, line, group);
	return key ? g_strdup_printf("[%s] %s", group, key) : g_strdup_printf("[%s]", group);
}

#define CFG_ERROR(err, ...) g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, __VA_ARGS__)

static bool parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/*
 * A push URL (push.c): what rtspclientsink takes (rtsp:// or rtsps://
 * with a host), or srt://HOST:PORT for srtsink in caller mode, whose only
 * query option is latency=MS.  RET_WHY: the complaint, with any password
 * hidden.
 */
#define SRT_LATENCY_MAX 10000
static bool push_url_check(const char *raw, char **ret_why)
{
	g_autoptr(GUri) uri = g_uri_parse(raw, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_QUERY, NULL);
	g_autofree char *shown = uri ? g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD) : g_strdup(raw);
	const char *scheme = uri ? g_uri_get_scheme(uri) : "";
	const char *host = uri ? g_uri_get_host(uri) : NULL;

	if (!g_ascii_strcasecmp(scheme, "rtsp") || !g_ascii_strcasecmp(scheme, "rtsps")) {
		if (host && *host)
			return true;
	} else if (!g_ascii_strcasecmp(scheme, "srt")) {
		const char *query = g_uri_get_query(uri);
		const char *path = g_uri_get_path(uri);
		unsigned int ms;

		if (!host || !*host || g_uri_get_port(uri) <= 0) {
			*ret_why = g_strdup_printf("'%s' needs a host and a port (srt://HOST:PORT, "
						   "the media server's SRT listener)", shown);
			return false;
		}
		if (g_uri_get_userinfo(uri) || (*path && strcmp(path, "/"))) {
			*ret_why = g_strdup_printf("'%s': an srt:// URL has no user and no path "
						   "(srt://HOST:PORT[?latency=MS])", shown);
			return false;
		}
		if (!query)
			return true;
		if (g_str_has_prefix(query, "latency=") && parse_uint(query + 8, 0, SRT_LATENCY_MAX, &ms))
			return true;
		*ret_why = g_strdup_printf("'%s': the only srt:// option is latency=MS (0 to %u)",
					   shown, SRT_LATENCY_MAX);
		return false;
	}
	*ret_why = g_strdup_printf("'%s' is not an rtsp://, rtsps:// or srt:// URL with a host "
				   "(e.g. rtsp://media.example:8554/vm1 or srt://media.example:9000)", shown);
	return false;
}

static bool check_group(GKeyFile *kf, const char *group, const struct key_desc *keys,
			const struct origin *o, GHashTable *cmdline, GError **error)
{
	g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint i = 0; names && names[i]; i++) {
		const struct key_desc *d;
		g_autofree char *at = where(o, cmdline, group, names[i]);
		g_autofree char *raw = NULL;
		unsigned int u;

		for (d = keys; d->name; d++)
			if (!strcmp(d->name, names[i]))
				break;
		if (!d->name) {
			GString *known = g_string_new(NULL);

			for (d = keys; d->name; d++)
				if (d->type != KEY_RESERVED)
					g_string_append_printf(known, "%s%s", known->len ? ", " : "", d->name);
			CFG_ERROR(error, "%s: unknown key (known keys here: %s)", at, known->str);
			g_string_free(known, TRUE);
			return false;
		}
		if (d->type == KEY_RESERVED) {
			CFG_ERROR(error, "%s: reserved for %s, which this version of gvt-streamd does not have",
				  at, d->reserved_for);
			return false;
		}
		raw = g_key_file_get_string(kf, group, names[i], NULL);
		switch (d->type) {
		case KEY_BOOL:
			if (strcmp(raw, "true") && strcmp(raw, "false")) {
				CFG_ERROR(error, "%s: '%s' is not a boolean (true or false)", at, raw);
				return false;
			}
			break;
		case KEY_UINT:
			if (!parse_uint(raw, d->min, d->max, &u)) {
				CFG_ERROR(error, "%s: '%s' is not a whole number from %u to %u",
					  at, raw, d->min, d->max);
				return false;
			}
			break;
		case KEY_CHOICE: {
			g_autofree char *list = g_strjoinv(", ", (char **)d->choices);

			if (!g_strv_contains(d->choices, raw)) {
				CFG_ERROR(error, "%s: '%s' is not one of %s", at, raw, list);
				return false;
			}
			break;
		}
		case KEY_PUSH_URL: {
			g_autofree char *why = NULL;

			if (!push_url_check(raw, &why)) {
				CFG_ERROR(error, "%s: %s", at, why);
				return false;
			}
			break;
		}
		case KEY_STRING:
			if (!*raw) {
				CFG_ERROR(error, "%s: empty value", at);
				return false;
			}
			break;
		default:
			break;
		}
	}
	return true;
}

static bool get_bool(GKeyFile *kf, const char *g, const char *k, bool def)
{
	g_autofree char *s = g_key_file_get_string(kf, g, k, NULL);

	return s ? !strcmp(s, "true") : def;
}

static unsigned int get_uint(GKeyFile *kf, const char *g, const char *k, unsigned int def)
{
	g_autofree char *s = g_key_file_get_string(kf, g, k, NULL);

	return s ? (unsigned int)strtoul(s, NULL, 10) : def;
}

void streamd_vgpu_config_defaults(struct streamd_vgpu_config *v, const char *device)
{
	v->device = g_strdup(device);
	v->name = g_strdup(device);
	v->enabled = true;
	v->max_fps = 0;
	v->keepalive_ms = 0;
	v->rtsp = true;
	v->webrtc = true;
	v->encoder = g_strdup("auto");
	v->io_mode = g_strdup("auto");
	v->bitrate = 4000;
	v->gop = 60;
	/* the caller's struct may be uninitialised (a discovered VM's) */
	v->input = false;
	v->input_users = NULL;
}

static void vgpu_config_free(gpointer p)
{
	struct streamd_vgpu_config *v = p;

	g_free(v->device);
	g_free(v->name);
	g_free(v->encoder);
	g_free(v->io_mode);
	g_free(v->node_key);
	g_free(v->push);
	g_strfreev(v->allowed_users);
	g_strfreev(v->input_users);
	g_free(v);
}

void streamd_config_free(struct streamd_config *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->path);
	g_free(cfg->rtsp_address);
	g_free(cfg->webrtc_address);
	g_free(cfg->webrtc_token);
	g_free(cfg->stun_server);
	g_free(cfg->turn_server);
	if (cfg->rtsp_users)
		g_ptr_array_unref(cfg->rtsp_users);
	g_clear_object(&cfg->tls_certificate);
	if (cfg->vgpus)
		g_ptr_array_unref(cfg->vgpus);
	g_free(cfg);
}

const struct streamd_vgpu_config *streamd_config_find(const struct streamd_config *cfg,
						      const char *device)
{
	for (guint i = 0; i < cfg->vgpus->len; i++) {
		const struct streamd_vgpu_config *v = cfg->vgpus->pdata[i];

		if (!strcmp(v->device, device))
			return v;
	}
	return NULL;
}

bool streamd_secret_equal(const char *want, const char *got)
{
	size_t n = strlen(want), g = got ? strlen(got) : 0;
	unsigned char diff = n != g;

	/* Constant time in GOT: a secret's prefix is not found by timing. */
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < g ? got[i] : 0);
	return got && !diff;
}

bool streamd_users_check(const GPtrArray *users, const char *user, const char *password)
{
	bool ok = false;

	if (!users || !user || !password)
		return false;
	/* Every entry is compared, so that a known user name is not told
	 * apart from an unknown one by timing either. */
	for (guint i = 0; i + 1 < users->len; i += 2) {
		bool same_user = !strcmp(users->pdata[i], user);

		ok |= streamd_secret_equal(users->pdata[i + 1], password) && same_user;
	}
	return ok;
}

/* A device name as the library takes it: a UUID, sim[:...], qemu[:...]. */
static bool valid_device(const char *d)
{
	if (!strcmp(d, "sim") || g_str_has_prefix(d, "sim:") ||
	    !strcmp(d, "qemu") || g_str_has_prefix(d, "qemu:"))
		return true;
	return g_uuid_string_is_valid(d);
}

/*
 * The users file: one "user:password" a line, '#' comments and blank lines
 * ignored.  It holds passwords in the clear (digest authentication needs
 * them), so it must not be readable by group or others.
 */
static bool load_users(const char *file, const char *at, GPtrArray *users, GError **error)
{
	g_autofree char *data = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	struct stat st;
	GError *e = NULL;

	if (stat(file, &st) < 0) {
		CFG_ERROR(error, "%s: cannot read users file '%s': %s", at, file, g_strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		CFG_ERROR(error, "%s: users file '%s' has mode %04o: it holds passwords, so group and "
			  "others must have no access (chmod 600)", at, file, (unsigned int)(st.st_mode & 07777));
		return false;
	}
	if (!g_file_get_contents(file, &data, NULL, &e)) {
		CFG_ERROR(error, "%s: cannot read users file: %s", at, e->message);
		g_clear_error(&e);
		return false;
	}
	lines = g_strsplit(data, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		char *l = lines[i], *colon;
		size_t n = strlen(l);

		if (n && l[n - 1] == '\r')
			l[--n] = '\0';
		if (!*l || *l == '#')
			continue;
		colon = strchr(l, ':');
		if (!colon || colon == l || !colon[1]) {
			CFG_ERROR(error, "%s:%u: expected USER:PASSWORD (both non-empty)", file, i + 1);
			return false;
		}
		*colon = '\0';
		for (const char *c = l; *c; c++) {
			if (!g_ascii_isalnum(*c) && !strchr("._-@", *c)) {
				CFG_ERROR(error, "%s:%u: user '%s': only letters, digits and . _ - @ are allowed",
					  file, i + 1, l);
				return false;
			}
		}
		if (!g_utf8_validate(colon + 1, -1, NULL)) {
			CFG_ERROR(error, "%s:%u: the password is not UTF-8", file, i + 1);
			return false;
		}
		if (!g_hash_table_add(seen, l)) {
			CFG_ERROR(error, "%s:%u: user '%s' is listed twice", file, i + 1, l);
			return false;
		}
		g_ptr_array_add(users, g_strdup(l));
		g_ptr_array_add(users, g_strdup(colon + 1));
	}
	if (!users->len) {
		CFG_ERROR(error, "%s: users file '%s' lists no user", at, file);
		return false;
	}
	return true;
}

/*
 * The RTSP server listens on loopback unless told otherwise; a
 * non-loopback address needs both authentication and TLS, so that no
 * desktop and no password crosses the network in the clear.
 */
static bool check_rtsp_address(const struct streamd_config *cfg, const struct origin *o,
			       GHashTable *cmdline, GError **error)
{
	const char *addr = cfg->rtsp_address;
	g_autofree char *at = where(o, cmdline, "daemon", "rtsp-address");
	g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(addr);

	if (!ia) {
		CFG_ERROR(error, "%s: '%s' is not an IP address (e.g. 127.0.0.1 or ::1)", at, addr);
		return false;
	}
	if (!g_inet_address_get_is_loopback(ia) && (!cfg->rtsp_users || !cfg->tls_certificate)) {
		CFG_ERROR(error, "%s: refusing to listen on '%s', which is not a loopback address: "
			  "RTSP on the network needs authentication and TLS, and %s "
			  "(%s; or use 127.0.0.1 or ::1, and an SSH tunnel for remote viewers)", at, addr,
			  !cfg->rtsp_users && !cfg->tls_certificate ? "neither is configured" :
			  !cfg->rtsp_users ? "authentication is not configured" : "TLS is not configured",
			  !cfg->rtsp_users && !cfg->tls_certificate ?
			  "set [daemon] rtsp-users, tls-certificate and tls-key" :
			  !cfg->rtsp_users ? "set [daemon] rtsp-users" :
			  "set [daemon] tls-certificate and tls-key");
		return false;
	}
	return true;
}

/* The same rule for the WebRTC server: on the network only with a token
 * and TLS (https and wss). */
static bool check_webrtc(const struct streamd_config *cfg, const struct origin *o,
			 GHashTable *cmdline, GError **error)
{
	const char *addr = cfg->webrtc_address;
	g_autofree char *at = where(o, cmdline, "daemon", "webrtc-address");
	g_autofree char *at_t = where(o, cmdline, "daemon", "webrtc-token");
	g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(addr);

	if (cfg->webrtc_token) {
		for (const char *c = cfg->webrtc_token; *c; c++) {
			if (!g_ascii_isalnum(*c) && !strchr("-._~", *c)) {
				CFG_ERROR(error, "%s: the token may only have letters, digits and - . _ ~ "
					  "(it goes into URLs as ?token=TOKEN)", at_t);
				return false;
			}
		}
		if (!*cfg->webrtc_token) {
			CFG_ERROR(error, "%s: the token is empty (remove the key for no token)", at_t);
			return false;
		}
	}
	if (!ia) {
		CFG_ERROR(error, "%s: '%s' is not an IP address (e.g. 127.0.0.1 or ::1)", at, addr);
		return false;
	}
	if (!g_inet_address_get_is_loopback(ia) && (!cfg->webrtc_token || !cfg->tls_certificate)) {
		CFG_ERROR(error, "%s: refusing to listen on '%s', which is not a loopback address: "
			  "WebRTC on the network needs a token and TLS (a login, HTTP basic "
			  "authentication, is only taken over TLS or on loopback), and %s "
			  "(%s; or use 127.0.0.1 or ::1, and an SSH tunnel for remote viewers)", at, addr,
			  !cfg->webrtc_token && !cfg->tls_certificate ? "neither is configured" :
			  !cfg->webrtc_token ? "no token is configured" : "TLS is not configured",
			  !cfg->webrtc_token && !cfg->tls_certificate ?
			  "set [daemon] webrtc-token, tls-certificate and tls-key" :
			  !cfg->webrtc_token ? "set [daemon] webrtc-token" :
			  "set [daemon] tls-certificate and tls-key");
		return false;
	}
	return true;
}

/* stun://HOST[:PORT] and turn[s]://USER:PASSWORD@HOST[:PORT], the forms
 * webrtcbin's stun-server and turn-server properties take. */
static bool check_ice_server(char *url, const char *key, const struct origin *o,
			     GHashTable *cmdline, GError **error)
{
	g_autofree char *at = NULL;
	g_autoptr(GUri) uri = NULL;
	bool turn = !strcmp(key, "turn-server");
	const char *scheme, *form = turn ? "turn://USER:PASSWORD@HOST[:PORT] or turns://..." :
				       "stun://HOST[:PORT]";

	if (!url)
		return true;
	g_strstrip(url);
	at = where(o, cmdline, "daemon", key);
	uri = g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD, NULL);
	scheme = uri ? g_uri_get_scheme(uri) : NULL;
	if (!uri || !g_uri_get_host(uri) || !*g_uri_get_host(uri) ||
	    (*g_uri_get_path(uri) && strcmp(g_uri_get_path(uri), "/")) || g_uri_get_query(uri) ||
	    (turn ? strcmp(scheme, "turn") && strcmp(scheme, "turns") : strcmp(scheme, "stun"))) {
		CFG_ERROR(error, "%s: '%s' is not a %s server URL (%s)", at, url, turn ? "TURN" : "STUN",
			  form);
		return false;
	}
	if (turn && (!g_uri_get_user(uri) || !*g_uri_get_user(uri) || !g_uri_get_password(uri))) {
		CFG_ERROR(error, "%s: '%s' names no user and password (%s)", at, url, form);
		return false;
	}
	return true;
}

static bool load_tls(GKeyFile *kf, struct streamd_config *cfg, const struct origin *o,
		     GHashTable *cmdline, GError **error)
{
	g_autofree char *cert = g_key_file_get_string(kf, "daemon", "tls-certificate", NULL);
	g_autofree char *key = g_key_file_get_string(kf, "daemon", "tls-key", NULL);
	g_autofree char *at_c = where(o, cmdline, "daemon", "tls-certificate");
	g_autofree char *at_k = where(o, cmdline, "daemon", "tls-key");
	GError *e = NULL;

	if (!cert && !key)
		return true;
	if (!cert || !key) {
		CFG_ERROR(error, "%s: needs [daemon] %s as well", cert ? at_c : at_k,
			  cert ? "tls-key" : "tls-certificate");
		return false;
	}
	/* Each file read on its own first, so an error names the one at fault. */
	if (!g_file_test(cert, G_FILE_TEST_IS_REGULAR) || access(cert, R_OK)) {
		CFG_ERROR(error, "%s: cannot read certificate file '%s'", at_c, cert);
		return false;
	}
	if (!g_file_test(key, G_FILE_TEST_IS_REGULAR) || access(key, R_OK)) {
		CFG_ERROR(error, "%s: cannot read key file '%s'", at_k, key);
		return false;
	}
	cfg->tls_certificate = g_tls_certificate_new_from_files(cert, key, &e);
	if (!cfg->tls_certificate) {
		CFG_ERROR(error, "%s, %s: cannot load certificate '%s' with key '%s': %s", at_c, at_k,
			  cert, key, e->message);
		g_clear_error(&e);
		return false;
	}
	return true;
}

static bool apply_override(GKeyFile *kf, GHashTable *cmdline, const char *ov, GError **error)
{
	const char *eq = strchr(ov, '=');
	const char *dot = NULL;
	g_autofree char *lhs = NULL;

	/* Section names may hold '=' and '.' (sim:WxH,fps=30), keys neither:
	 * the key is the word after the last dot before the first '=' that
	 * has one. */
	for (; eq; eq = strchr(eq + 1, '=')) {
		g_free(lhs);
		lhs = g_strndup(ov, eq - ov);
		dot = strrchr(lhs, '.');
		if (dot && !strchr(dot, '='))
			break;
	}
	if (!eq) {
		CFG_ERROR(error, "--set '%s': expected SECTION.KEY=VALUE", ov);
		return false;
	}
	if (!dot || dot == lhs || !dot[1]) {
		CFG_ERROR(error, "--set '%s': expected SECTION.KEY=VALUE, e.g. daemon.pipewire=false", ov);
		return false;
	}
	lhs[dot - lhs] = '\0';
	g_key_file_set_value(kf, lhs, dot + 1, eq + 1);
	g_hash_table_add(cmdline, g_strdup_printf("%s\n%s", lhs, dot + 1));
	g_hash_table_add(cmdline, g_strdup(lhs));
	return true;
}

struct streamd_config *streamd_config_load(const char *path, bool required,
					   char **overrides, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GHashTable) cmdline = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *data = NULL;
	g_auto(GStrv) groups = NULL;
	struct origin o = { 0 };
	struct streamd_config *cfg = NULL;
	GError *e = NULL;
	gsize len;

	if (path) {
		if (!g_file_get_contents(path, &data, &len, &e)) {
			if (!required && g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
				g_clear_error(&e);
			} else {
				g_propagate_prefixed_error(error, e, "cannot read configuration: ");
				goto error;
			}
		}
	}
	if (data) {
		origin_scan(&o, path, data);
		if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)) {
			/* GKeyFile's parse errors name the line's text, not its number. */
			g_propagate_prefixed_error(error, e, "%s: ", path);
			goto error;
		}
	}
	for (guint i = 0; overrides && overrides[i]; i++)
		if (!apply_override(kf, cmdline, overrides[i], error))
			goto error;

	cfg = g_new0(struct streamd_config, 1);
	cfg->path = g_strdup(data ? path : NULL);
	cfg->vgpus = g_ptr_array_new_with_free_func(vgpu_config_free);
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i]; i++) {
		const char *g = groups[i];
		g_autofree char *at = where(&o, cmdline, g, NULL);

		if (!strcmp(g, "daemon")) {
			if (!check_group(kf, g, daemon_keys, &o, cmdline, error))
				goto error;
		} else if (g_str_has_prefix(g, "vgpu ")) {
			const char *dev = g + 5;
			struct streamd_vgpu_config *v;

			if (!valid_device(dev)) {
				CFG_ERROR(error, "%s: '%s' is not a vGPU (an mdev UUID, sim[:SPEC] or qemu[:SPEC])",
					  at, dev);
				goto error;
			}
			if (!check_group(kf, g, vgpu_keys, &o, cmdline, error))
				goto error;
			v = g_new0(struct streamd_vgpu_config, 1);
			streamd_vgpu_config_defaults(v, dev);
			if (g_key_file_has_key(kf, g, "name", NULL)) {
				g_free(v->name);
				v->name = g_key_file_get_string(kf, g, "name", NULL);
			}
			v->enabled = get_bool(kf, g, "enabled", true);
			v->max_fps = get_uint(kf, g, "max-framerate", 0);
			v->keepalive_ms = get_uint(kf, g, "keepalive", 0);
			v->rtsp = get_bool(kf, g, "rtsp", true);
			v->webrtc = get_bool(kf, g, "webrtc", true);
			if (g_key_file_has_key(kf, g, "encoder", NULL)) {
				g_free(v->encoder);
				v->encoder = g_key_file_get_string(kf, g, "encoder", NULL);
			}
			if (g_key_file_has_key(kf, g, "io-mode", NULL)) {
				g_free(v->io_mode);
				v->io_mode = g_key_file_get_string(kf, g, "io-mode", NULL);
			}
			v->bitrate = get_uint(kf, g, "bitrate", v->bitrate);
			v->gop = get_uint(kf, g, "gop", v->gop);
			v->allowed_users = g_key_file_get_string_list(kf, g, "allowed-users", NULL, NULL);
			v->push = g_key_file_get_string(kf, g, "push", NULL);
			v->input = get_bool(kf, g, "input", false);
			v->input_users = g_key_file_get_string_list(kf, g, "input-users", NULL, NULL);
			g_ptr_array_add(cfg->vgpus, v);
		} else {
			CFG_ERROR(error, "%s: unknown section (expected [daemon] or [vgpu DEVICE])", at);
			goto error;
		}
	}
	cfg->pipewire = get_bool(kf, "daemon", "pipewire", true);
	cfg->discover_mdev = get_bool(kf, "daemon", "discover-mdev", true);
	cfg->discover_qemu = get_bool(kf, "daemon", "discover-vms", true);
	cfg->rescan_interval = get_uint(kf, "daemon", "rescan-interval", 2);
	cfg->rtsp_port = get_uint(kf, "daemon", "rtsp-port", 8554);
	cfg->rtsp_address = g_key_file_get_string(kf, "daemon", "rtsp-address", NULL);
	if (!cfg->rtsp_address)
		cfg->rtsp_address = g_strdup("127.0.0.1");
	if (g_key_file_has_key(kf, "daemon", "rtsp-users", NULL)) {
		g_autofree char *file = g_key_file_get_string(kf, "daemon", "rtsp-users", NULL);
		g_autofree char *at = where(&o, cmdline, "daemon", "rtsp-users");

		cfg->rtsp_users = g_ptr_array_new_with_free_func(g_free);
		if (!load_users(file, at, cfg->rtsp_users, error))
			goto error;
	}
	if (!load_tls(kf, cfg, &o, cmdline, error))
		goto error;
	/* Every name in a vGPU's allowed-users is a user of the users file. */
	for (guint i = 0; i < cfg->vgpus->len; i++) {
		struct streamd_vgpu_config *v = cfg->vgpus->pdata[i];
		g_autofree char *group = g_strdup_printf("vgpu %s", v->device);
		g_autofree char *at = where(&o, cmdline, group, "allowed-users");

		if (!v->allowed_users)
			continue;
		if (!cfg->rtsp_users) {
			CFG_ERROR(error, "%s: needs [daemon] rtsp-users (the file of users)", at);
			goto error;
		}
		for (char **u = v->allowed_users; *u; u++) {
			bool known = false;

			g_strstrip(*u);
			for (guint j = 0; j < cfg->rtsp_users->len && !known; j += 2)
				known = !strcmp(cfg->rtsp_users->pdata[j], *u);
			if (!known) {
				CFG_ERROR(error, "%s: '%s' is not a user of the users file", at, *u);
				goto error;
			}
		}
	}
	/* Input: only a running VM's QEMU display takes it; input-users are
	 * users of the users file and mean nothing without input = true. */
	for (guint i = 0; i < cfg->vgpus->len; i++) {
		struct streamd_vgpu_config *v = cfg->vgpus->pdata[i];
		g_autofree char *group = g_strdup_printf("vgpu %s", v->device);
		g_autofree char *at = where(&o, cmdline, group, "input");
		g_autofree char *at_u = where(&o, cmdline, group, "input-users");

		if (v->input && strcmp(v->device, "qemu") && !g_str_has_prefix(v->device, "qemu:")) {
			CFG_ERROR(error, "%s: '%s' has no input (a %s): only a running VM's QEMU "
				  "display (qemu[:SPEC]) takes keyboard and pointer; set input = false",
				  at, v->device, g_str_has_prefix(v->device, "sim") ?
				  "simulated vGPU" : "vGPU read through VFIO");
			goto error;
		}
		if (!v->input_users)
			continue;
		if (!v->input) {
			CFG_ERROR(error, "%s: needs input = true in the same section", at_u);
			goto error;
		}
		if (!cfg->rtsp_users) {
			CFG_ERROR(error, "%s: needs [daemon] rtsp-users (the file of users)", at_u);
			goto error;
		}
		for (char **u = v->input_users; *u; u++) {
			bool known = false;

			g_strstrip(*u);
			for (guint j = 0; j < cfg->rtsp_users->len && !known; j += 2)
				known = !strcmp(cfg->rtsp_users->pdata[j], *u);
			if (!known) {
				CFG_ERROR(error, "%s: '%s' is not a user of the users file", at_u, *u);
				goto error;
			}
		}
	}
	if (!check_rtsp_address(cfg, &o, cmdline, error))
		goto error;
	cfg->webrtc_port = get_uint(kf, "daemon", "webrtc-port", 8080);
	cfg->webrtc_address = g_key_file_get_string(kf, "daemon", "webrtc-address", NULL);
	if (!cfg->webrtc_address)
		cfg->webrtc_address = g_strdup("127.0.0.1");
	cfg->webrtc_token = g_key_file_get_string(kf, "daemon", "webrtc-token", NULL);
	if (cfg->webrtc_token)
		g_strstrip(cfg->webrtc_token);
	if (!check_webrtc(cfg, &o, cmdline, error))
		goto error;
	cfg->stun_server = g_key_file_get_string(kf, "daemon", "stun-server", NULL);
	cfg->turn_server = g_key_file_get_string(kf, "daemon", "turn-server", NULL);
	if (!check_ice_server(cfg->stun_server, "stun-server", &o, cmdline, error) ||
	    !check_ice_server(cfg->turn_server, "turn-server", &o, cmdline, error))
		goto error;
	if (o.lines)
		g_hash_table_unref(o.lines);
	return cfg;

error:
	if (o.lines)
		g_hash_table_unref(o.lines);
	streamd_config_free(cfg);
	return NULL;
}
