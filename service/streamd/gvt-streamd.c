/* SPDX-License-Identifier: MIT */
/*
 * gvt-streamd: one capture per vGPU, published as a PipeWire Video/Source
 * node, with a D-Bus control interface.  See gvt-streamd(8).
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif
#ifdef HAVE_GUDEV
#include <gudev/gudev.h>
#endif

#include <gvt-dmabuf/gvt-dmabuf.h>

#include "input.h"
#include "streamd.h"
#include "encode.h"
#include "push.h"
#include "rtsp.h"
#include "webrtc.h"

#define BUS_NAME "org.gvtdmabuf.Streamd1"
#define OBJECT_PATH "/org/gvtdmabuf/Streamd1"

static const char introspection_xml[] =
	"<node>"
	"  <interface name='org.gvtdmabuf.Streamd1'>"
	"    <method name='GetStatus'>"
	"      <arg type='a{sv}' name='daemon' direction='out'/>"
	"      <arg type='aa{sv}' name='vgpus' direction='out'/>"
	"    </method>"
	"    <method name='Reload'/>"
	"    <method name='SendInput'>"
	"      <arg type='s' name='device' direction='in'/>"
	"      <arg type='s' name='message' direction='in'/>"
	"    </method>"
	"  </interface>"
	"</node>";

struct daemon {
	GMainLoop *loop;
	char *config_path;
	bool config_required;
	char **overrides;
	struct streamd_config *cfg;
	struct streamd_pw *pw;
	struct streamd_rtsp *rtsp;
	struct streamd_webrtc *webrtc;	/* NULL: no WebRTC (webrtcbin missing) */
	GHashTable *vgpus;	/* device -> struct streamd_vgpu * */
	GHashTable *failed;	/* device -> last error text, logged once */
	GHashTable *found_vms;	/* qemu: devices that discovery started */
	GHashTable *removed;	/* device -> struct removed_vgpu *: waiting to return */
	GPtrArray *removals;	/* struct removal *: reported, their idle call not run yet */
	guint rescan_source;
#ifdef HAVE_GUDEV
	GUdevClient *udev;	/* mdev uevents, when udevd runs */
#endif
	guint uevent_source;	/* an mdev rescan due to a uevent */
	char *uevent_why;	/* what it was, for the log */
	GDBusNodeInfo *introspection;
	guint owner_id;
	guint registration_id;
	GDBusConnection *bus;
	bool user;
	int exit_code;
};

static void notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	/* The sd_notify protocol: one datagram to $NOTIFY_SOCKET. */
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
#endif
}

/*
 * A configured vGPU that was removed while streaming: opened again with
 * backoff until it opens (a sim vGPU's return-after=, a QEMU display
 * that comes back).  Discovered mdevs and VMs need none: discovery starts
 * them again when they reappear.
 */
struct removed_vgpu {
	struct daemon *d;
	char *device;
	guint source;
	guint delay_ms;
	gint64 since;		/* monotonic us */
	gint64 next_try;	/* monotonic us: when the armed timer fires */
};

#define RETURN_FIRST_MS 100
#define RETURN_MAX_MS 5000

static void removed_vgpu_free(gpointer p)
{
	struct removed_vgpu *r = p;

	if (r->source)
		g_source_remove(r->source);
	g_free(r->device);
	g_free(r);
}

static void vgpu_start(struct daemon *d, const struct streamd_vgpu_config *vc);

static gboolean removed_retry(gpointer user)
{
	struct removed_vgpu *r = user;
	struct daemon *d = r->d;
	const struct streamd_vgpu_config *vc = streamd_config_find(d->cfg, r->device);

	r->source = 0;
	if (!g_hash_table_contains(d->vgpus, r->device) && vc && vc->enabled)
		vgpu_start(d, vc);
	if (g_hash_table_contains(d->vgpus, r->device)) {
		slog(G_LOG_LEVEL_MESSAGE, "capture", r->device,
		     "%s: vGPU back after %.1f s, streaming again", r->device,
		     (double)(g_get_monotonic_time() - r->since) / 1e6);
		g_hash_table_remove(d->removed, r->device);
		return G_SOURCE_REMOVE;
	}
	if (!vc || !vc->enabled) {
		/* a reload dropped or disabled it meanwhile */
		g_hash_table_remove(d->removed, r->device);
		return G_SOURCE_REMOVE;
	}
	r->delay_ms = MIN(r->delay_ms * 2, RETURN_MAX_MS);
	r->next_try = g_get_monotonic_time() + (gint64)r->delay_ms * 1000;
	r->source = g_timeout_add(r->delay_ms, removed_retry, r);
	return G_SOURCE_REMOVE;
}

struct removal {
	struct daemon *d;
	struct streamd_vgpu *v;
	char *device;
	guint source;
};

/* A removal's idle call ran, or the daemon ends before it could (SIGTERM
 * right after a removal): d->removals owns it until then. */
static void removal_free(gpointer p)
{
	struct removal *rm = p;

	if (rm->source)
		g_source_remove(rm->source);
	g_free(rm->device);
	g_free(rm);
}

/* From an idle call: the capture's bus watch reported the removal. */
static gboolean vgpu_removed_main(gpointer user)
{
	struct removal *rm = user;
	struct daemon *d = rm->d;
	const struct streamd_vgpu_config *vc = streamd_config_find(d->cfg, rm->device);
	bool discovered = g_uuid_string_is_valid(rm->device) ||
			  g_hash_table_contains(d->found_vms, rm->device);

	/* its node, RTSP mount (viewers get EOS) and pipeline go; the
	 * daemon and the other vGPUs go on */
	if (g_hash_table_lookup(d->vgpus, rm->device) == rm->v &&
	    g_hash_table_remove(d->vgpus, rm->device)) {
		slog(G_LOG_LEVEL_MESSAGE, "capture", rm->device,
		     "%s: streams closed (PipeWire node, RTSP mount); %s", rm->device,
		     discovered ? "it returns when discovery sees it again"
				: "opening it again until it returns");
		if (!discovered && vc && vc->enabled && !g_hash_table_contains(d->removed, rm->device)) {
			struct removed_vgpu *r = g_new0(struct removed_vgpu, 1);

			r->d = d;
			r->device = g_strdup(rm->device);
			r->delay_ms = RETURN_FIRST_MS;
			r->since = g_get_monotonic_time();
			r->next_try = r->since + (gint64)r->delay_ms * 1000;
			r->source = g_timeout_add(r->delay_ms, removed_retry, r);
			g_hash_table_insert(d->removed, g_strdup(rm->device), r);
		}
	}
	rm->source = 0;	/* returning G_SOURCE_REMOVE ends it */
	g_ptr_array_remove_fast(d->removals, rm);
	return G_SOURCE_REMOVE;
}

static void on_vgpu_removed(void *data, struct streamd_vgpu *v, const char *device)
{
	struct removal *rm = g_new0(struct removal, 1);

	rm->d = data;
	rm->v = v;
	rm->device = g_strdup(device);
	rm->source = g_idle_add(vgpu_removed_main, rm);
	g_ptr_array_add(rm->d->removals, rm);
}

static void vgpu_start(struct daemon *d, const struct streamd_vgpu_config *vc)
{
	g_autoptr(GError) err = NULL;
	struct streamd_vgpu *v;

	if (!vc->enabled) {
		slog(G_LOG_LEVEL_MESSAGE, "discovery", vc->device, "%s: disabled in the configuration",
		     vc->device);
		return;
	}
	v = streamd_vgpu_create(vc, d->pw, &err);
	if (!v) {
		/* Discovery tries again at every rescan (a VM may let go of
		 * its vGPU); say so once per different reason. */
		if (g_strcmp0(g_hash_table_lookup(d->failed, vc->device), err->message)) {
			slog(G_LOG_LEVEL_WARNING, "capture", vc->device, "%s: %s", vc->device, err->message);
			g_hash_table_insert(d->failed, g_strdup(vc->device), g_strdup(err->message));
		}
		return;
	}
	g_hash_table_remove(d->failed, vc->device);
	g_hash_table_insert(d->vgpus, g_strdup(vc->device), v);
	streamd_vgpu_set_removed_cb(v, on_vgpu_removed, d);
	streamd_vgpu_pw_changed(v, streamd_pw_is_up(d->pw));
	if (d->rtsp && vc->rtsp) {
		struct streamd_encode *e = streamd_vgpu_encode(v, &err);
		struct streamd_rtsp_mount *m = e ? streamd_rtsp_mount_create(d->rtsp, e, vc, &err) : NULL;

		if (m)
			streamd_vgpu_set_rtsp(v, m);
		else
			slog(G_LOG_LEVEL_WARNING, "rtsp", vc->device, "%s: no RTSP mount: %s",
			     vc->device, err->message);
		g_clear_error(&err);
	}
	if (d->webrtc && vc->webrtc) {
		struct streamd_encode *e = streamd_vgpu_encode(v, &err);
		struct streamd_webrtc_mount *m = e ? streamd_webrtc_mount_create(d->webrtc, v, e, vc, &err) : NULL;

		if (m)
			streamd_vgpu_set_webrtc(v, m);
		else
			slog(G_LOG_LEVEL_WARNING, "webrtc", vc->device, "%s: no WebRTC page: %s",
			     vc->device, err->message);
		g_clear_error(&err);
	}
	if (vc->push) {
		struct streamd_encode *e = streamd_vgpu_encode(v, &err);
		struct streamd_push *p = e ? streamd_push_create(e, vc->device, vc->push, &err) : NULL;

		if (p) {
			streamd_vgpu_set_push(v, p);
		} else {
			g_autoptr(GUri) uri = g_uri_parse(vc->push, G_URI_FLAGS_HAS_PASSWORD, NULL);
			g_autofree char *shown = uri ? g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD)
						     : g_strdup("(push URL)");

			slog(G_LOG_LEVEL_WARNING, "push", vc->device, "%s: no push to %s: %s",
			     vc->device, shown, err->message);
		}
		g_clear_error(&err);
	}
}

static void vgpu_start_device(struct daemon *d, const char *device, const char *name,
			      const char *node_key)
{
	const struct streamd_vgpu_config *vc = streamd_config_find(d->cfg, device);
	struct streamd_vgpu_config def = { 0 };

	if (vc) {
		vgpu_start(d, vc);
		return;
	}
	streamd_vgpu_config_defaults(&def, device);
	if (name && *name) {
		g_free(def.name);
		def.name = g_strdup(name);
	}
	def.node_key = node_key ? g_strdup(node_key) : NULL;
	vgpu_start(d, &def);
	g_free(def.device);
	g_free(def.name);
	g_free(def.encoder);
	g_free(def.io_mode);
	g_free(def.node_key);
}

/*
 * Running VMs that offer QEMU's D-Bus display on the session or system
 * bus: each one's console 0 is streamed through QEMU (its vGPU is QEMU's,
 * never opened here), named after the VM, and dropped when the VM goes.
 * VMs on libvirt's private buses are configured as [vgpu qemu:bus=...].
 */
static void rescan_vms(struct daemon *d)
{
	struct gvtdmabuf_qemu_display *list = NULL;
	size_t n = 0;
	GHashTableIter it;
	gpointer key;

	if (!d->cfg->discover_qemu || gvtdmabuf_list_qemu_displays(NULL, &list, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct streamd_vgpu_config *vc = streamd_config_find(d->cfg, list[i].device);

		if (g_hash_table_contains(d->vgpus, list[i].device) || (vc && !vc->enabled))
			continue;
		if (!g_hash_table_contains(d->found_vms, list[i].device))
			slog(G_LOG_LEVEL_MESSAGE, "discovery", list[i].device,
			     "%s: VM '%s' offers a D-Bus display (%s bus, %s)", list[i].device,
			     list[i].vm_name, list[i].bus, list[i].bus_name);
		g_hash_table_add(d->found_vms, g_strdup(list[i].device));
		{
			/* A stable node.name: the VM's UUID, else its name. */
			/* QEMU without -uuid reports the nil UUID. */
			bool uuid = list[i].vm_uuid[0] &&
				    strcmp(list[i].vm_uuid, "00000000-0000-0000-0000-000000000000");
			g_autofree char *node_key = uuid ? g_strdup_printf("vm-%s", list[i].vm_uuid)
					     : list[i].vm_name[0] ? g_strdup_printf("vm-%s", list[i].vm_name)
					     : NULL;

			vgpu_start_device(d, list[i].device, list[i].vm_name, node_key);
		}
	}
	g_hash_table_iter_init(&it, d->found_vms);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		bool found = false;

		for (size_t i = 0; !found && i < n; i++)
			found = !strcmp(list[i].device, key);
		if (!found) {
			slog(G_LOG_LEVEL_MESSAGE, "discovery", key, "%s: VM gone", (char *)key);
			if (!streamd_config_find(d->cfg, key))
				g_hash_table_remove(d->vgpus, key);
			g_hash_table_remove(d->failed, key);
			g_hash_table_iter_remove(&it);
		}
	}
	free(list);
}

/* Whether mdevs are followed at all: every one (discover-mdev), or those
 * that a [vgpu UUID] section names. */
static bool mdevs_wanted(const struct streamd_config *cfg)
{
	if (cfg->discover_mdev)
		return true;
	for (guint i = 0; i < cfg->vgpus->len; i++) {
		const struct streamd_vgpu_config *vc = cfg->vgpus->pdata[i];

		if (vc->enabled && g_uuid_string_is_valid(vc->device))
			return true;
	}
	return false;
}

/*
 * Discovery of mdev vGPUs: a readdir of /sys/bus/mdev/devices, no device
 * is opened.  sysfs sends no inotify events for devices that appear, so
 * it runs on udev's events (mdev_uevents_start()) where udevd runs, and
 * every rescan-interval seconds in any case (containers, initramfs
 * without udevd).  WHY names what started it, for the log.
 */
static void rescan_mdevs(struct daemon *d, const char *why)
{
	struct gvtdmabuf_mdev_info *list = NULL;
	size_t n = 0;
	GHashTableIter it;
	gpointer key, value;

	if (!mdevs_wanted(d->cfg) || gvtdmabuf_list_mdevs(NULL, false, &list, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (!g_hash_table_contains(d->vgpus, list[i].uuid)) {
			const struct streamd_vgpu_config *vc = streamd_config_find(d->cfg, list[i].uuid);

			/* without discovery, only the configured ones */
			if (vc ? !vc->enabled : !d->cfg->discover_mdev)
				continue;
			if (!g_hash_table_contains(d->failed, list[i].uuid))
				slog(G_LOG_LEVEL_MESSAGE, "discovery", list[i].uuid,
				     "%s: vGPU appeared (%s; found by %s)", list[i].uuid,
				     list[i].type_id, why);
			vgpu_start_device(d, list[i].uuid, NULL, NULL);
		}
	/* A removed mdev: its capture ends (the element sees the device
	 * request or -ENODEV); drop it so that it returns with the vGPU. */
	g_hash_table_iter_init(&it, d->vgpus);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		bool found = !g_uuid_string_is_valid(key);

		for (size_t i = 0; !found && i < n; i++)
			found = !strcmp(list[i].uuid, key);
		if (!found) {
			slog(G_LOG_LEVEL_MESSAGE, "discovery", key, "%s: vGPU removed (found by %s)",
			     (char *)key, why);
			g_hash_table_iter_remove(&it);
		}
	}
	g_hash_table_iter_init(&it, d->failed);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		bool found = !g_uuid_string_is_valid(key);

		for (size_t i = 0; !found && i < n; i++)
			found = !strcmp(list[i].uuid, key);
		if (!found)
			g_hash_table_iter_remove(&it);
	}
	free(list);
}

static gboolean rescan(gpointer user)
{
	struct daemon *d = user;

	rescan_vms(d);
	rescan_mdevs(d, "the rescan");
	return G_SOURCE_CONTINUE;
}

static gboolean uevent_rescan(gpointer user)
{
	struct daemon *d = user;

	d->uevent_source = 0;
	rescan_mdevs(d, d->uevent_why);
	g_clear_pointer(&d->uevent_why, g_free);
	return G_SOURCE_REMOVE;
}

#ifdef HAVE_GUDEV
/*
 * An mdev is usable once its driver is bound (the "bind" event follows
 * "add" after the vendor driver's probe registered the VFIO device); it
 * is gone at "unbind"/"remove".  One rescan for a burst of events.
 */
static void on_uevent(GUdevClient *client, const char *action, GUdevDevice *dev, gpointer user)
{
	struct daemon *d = user;
	const char *name = g_udev_device_get_name(dev);

	(void)client;
	if (strcmp(action, "bind") && strcmp(action, "unbind") && strcmp(action, "remove"))
		return;
	slog(G_LOG_LEVEL_DEBUG, "discovery", name, "%s: udev %s (mdev)", name, action);
	if (!d->uevent_why)
		d->uevent_why = g_strdup_printf("udev %s", action);
	if (!d->uevent_source)
		d->uevent_source = g_idle_add(uevent_rescan, d);
}

static bool udevd_runs(void)
{
	/* udevd's control socket, which libudev's own check looked for */
	return g_file_test("/run/udev/control", G_FILE_TEST_EXISTS);
}
#endif

/* Listen to udev's mdev events (once, at start). */
static void mdev_uevents_start(struct daemon *d)
{
#ifdef HAVE_GUDEV
	static const char *const subsystems[] = { "mdev", NULL };

	if (!mdevs_wanted(d->cfg) || d->udev)
		return;
	d->udev = g_udev_client_new(subsystems);
	g_signal_connect(d->udev, "uevent", G_CALLBACK(on_uevent), d);
	if (udevd_runs())
		slog(G_LOG_LEVEL_MESSAGE, "discovery", NULL,
		     "mdev hotplug: udev events, and a rescan every %u s", d->cfg->rescan_interval);
	else
		slog(G_LOG_LEVEL_MESSAGE, "discovery", NULL,
		     "mdev hotplug: no udevd runs (no /run/udev/control), so a rescan every %u s "
		     "finds them; udev events are taken if udevd starts", d->cfg->rescan_interval);
#else
	if (mdevs_wanted(d->cfg))
		slog(G_LOG_LEVEL_MESSAGE, "discovery", NULL,
		     "mdev hotplug: a rescan every %u s (built without libgudev)",
		     d->cfg->rescan_interval);
#endif
}

static void apply_config(struct daemon *d)
{
	mdev_uevents_start(d);
	for (guint i = 0; i < d->cfg->vgpus->len; i++) {
		const struct streamd_vgpu_config *vc = d->cfg->vgpus->pdata[i];

		/* Configured sim and qemu vGPUs come up at start; mdevs when
		 * discovery sees them. */
		if (!g_uuid_string_is_valid(vc->device) && !g_hash_table_contains(d->vgpus, vc->device))
			vgpu_start(d, vc);
	}
	if (d->rescan_source)
		g_source_remove(d->rescan_source);
	d->rescan_source = g_timeout_add_seconds(d->cfg->rescan_interval, rescan, d);
	rescan(d);
}

static bool vgpu_config_equal(const struct streamd_vgpu_config *a, const struct streamd_vgpu_config *b)
{
	return a && b && a->enabled == b->enabled && a->max_fps == b->max_fps &&
	       a->keepalive_ms == b->keepalive_ms && !g_strcmp0(a->name, b->name) &&
	       a->rtsp == b->rtsp && a->webrtc == b->webrtc &&
	       !g_strcmp0(a->encoder, b->encoder) && !g_strcmp0(a->io_mode, b->io_mode) &&
	       a->bitrate == b->bitrate && a->gop == b->gop && !g_strcmp0(a->push, b->push) &&
	       (a->allowed_users == NULL) == (b->allowed_users == NULL) &&
	       (!a->allowed_users || g_strv_equal((const char *const *)a->allowed_users,
						  (const char *const *)b->allowed_users)) &&
	       a->input == b->input &&
	       (a->input_users == NULL) == (b->input_users == NULL) &&
	       (!a->input_users || g_strv_equal((const char *const *)a->input_users,
						(const char *const *)b->input_users));
}

static bool users_equal(const GPtrArray *a, const GPtrArray *b)
{
	if (!a || !b)
		return a == b;
	if (a->len != b->len)
		return false;
	for (guint i = 0; i < a->len; i++)
		if (strcmp(a->pdata[i], b->pdata[i]))
			return false;
	return true;
}

static bool reload(struct daemon *d, GError **error)
{
	struct streamd_config *cfg = streamd_config_load(d->config_path, d->config_required,
							  d->overrides, error);
	struct streamd_config *old = d->cfg;
	GHashTableIter it;
	gpointer key;

	if (!cfg)
		return false;
	if (cfg->pipewire != old->pipewire)
		slog(G_LOG_LEVEL_WARNING, "config", NULL,
		     "[daemon] pipewire changes take effect at the next start");
	if (cfg->rtsp_port != old->rtsp_port || g_strcmp0(cfg->rtsp_address, old->rtsp_address))
		slog(G_LOG_LEVEL_WARNING, "config", NULL,
		     "[daemon] rtsp-address and rtsp-port changes take effect at the next start");
	if (cfg->webrtc_port != old->webrtc_port || g_strcmp0(cfg->webrtc_address, old->webrtc_address) ||
	    g_strcmp0(cfg->webrtc_token, old->webrtc_token) || g_strcmp0(cfg->stun_server, old->stun_server) ||
	    g_strcmp0(cfg->turn_server, old->turn_server))
		slog(G_LOG_LEVEL_WARNING, "config", NULL,
		     "[daemon] webrtc-address, webrtc-port, webrtc-token, stun-server and turn-server "
		     "changes take effect at the next start");
	if (!users_equal(cfg->rtsp_users, old->rtsp_users) ||
	    !cfg->tls_certificate != !old->tls_certificate ||
	    (cfg->tls_certificate && !g_tls_certificate_is_same(cfg->tls_certificate,
								old->tls_certificate)))
		slog(G_LOG_LEVEL_WARNING, "config", NULL,
		     "[daemon] rtsp-users, tls-certificate and tls-key changes take effect at the next start");
	d->cfg = cfg;
	/* Restart the vGPUs whose settings changed; keep the others open. */
	g_hash_table_iter_init(&it, d->vgpus);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const struct streamd_vgpu_config *a = streamd_config_find(old, key);
		const struct streamd_vgpu_config *b = streamd_config_find(cfg, key);

		if (!(a == NULL && b == NULL) && !vgpu_config_equal(a, b)) {
			slog(G_LOG_LEVEL_MESSAGE, "config", key, "%s: settings changed, restarting", (char *)key);
			g_hash_table_iter_remove(&it);
		}
	}
	streamd_config_free(old);
	apply_config(d);
	slog(G_LOG_LEVEL_MESSAGE, "config", NULL, "configuration reloaded from %s",
	     cfg->path ? cfg->path : "(defaults)");
	return true;
}

static gboolean on_sighup(gpointer user)
{
	struct daemon *d = user;
	g_autoptr(GError) err = NULL;

	notify("RELOADING=1");
	if (!reload(d, &err))
		slog(G_LOG_LEVEL_WARNING, "config", NULL,
		     "reload refused, the running configuration stays: %s", err->message);
	notify("READY=1");
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigterm(gpointer user)
{
	struct daemon *d = user;

	slog(G_LOG_LEVEL_MESSAGE, "daemon", NULL, "stopping");
	notify("STOPPING=1");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static void on_pw_connected(void *data, bool up)
{
	struct daemon *d = data;
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, d->vgpus);
	while (g_hash_table_iter_next(&it, NULL, &value))
		streamd_vgpu_pw_changed(value, up);
}

static void on_method_call(GDBusConnection *conn, const char *sender, const char *path,
			   const char *iface, const char *method, GVariant *params,
			   GDBusMethodInvocation *inv, gpointer user)
{
	struct daemon *d = user;

	if (!strcmp(method, "GetStatus")) {
		GVariantBuilder dm, vl;
		GHashTableIter it;
		gpointer value;

		g_variant_builder_init(&dm, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&dm, "{sv}", "version", g_variant_new_string(GVT_DMABUF_VERSION));
		g_variant_builder_add(&dm, "{sv}", "pipewire",
				      g_variant_new_boolean(streamd_pw_is_up(d->pw)));
		g_variant_builder_add(&dm, "{sv}", "config",
				      g_variant_new_string(d->cfg->path ? d->cfg->path : ""));
		g_variant_builder_init(&vl, G_VARIANT_TYPE("aa{sv}"));
		g_hash_table_iter_init(&it, d->vgpus);
		while (g_hash_table_iter_next(&it, NULL, &value))
			g_variant_builder_add_value(&vl, streamd_vgpu_status(value));
		g_hash_table_iter_init(&it, d->removed);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			const struct removed_vgpu *r = value;
			const struct streamd_vgpu_config *vc = streamd_config_find(d->cfg, r->device);
			gint64 now = g_get_monotonic_time();
			GVariantBuilder rb;

			g_variant_builder_init(&rb, G_VARIANT_TYPE_VARDICT);
			g_variant_builder_add(&rb, "{sv}", "device", g_variant_new_string(r->device));
			g_variant_builder_add(&rb, "{sv}", "name",
					      g_variant_new_string(vc && vc->name ? vc->name : r->device));
			g_variant_builder_add(&rb, "{sv}", "state", g_variant_new_string("removed"));
			g_variant_builder_add(&rb, "{sv}", "node-id", g_variant_new_int64(-1));
			/* no picture, so no width, height or fps: how long it
			 * has been gone and when it is next tried instead */
			g_variant_builder_add(&rb, "{sv}", "removed-seconds",
					      g_variant_new_double((double)(now - r->since) / 1e6));
			g_variant_builder_add(&rb, "{sv}", "retry-in-ms",
					      g_variant_new_uint32(r->next_try > now ?
						(guint32)((r->next_try - now + 999) / 1000) : 0));
			g_variant_builder_add_value(&vl, g_variant_builder_end(&rb));
		}
		g_dbus_method_invocation_return_value(inv, g_variant_new("(a{sv}aa{sv})", &dm, &vl));
	} else if (!strcmp(method, "SendInput")) {
		/* A viewer's input message (input.h) from the bus, as an anonymous
		 * viewer: the vGPU's input and input-users decide as for any. */
		g_autoptr(GError) err = NULL;
		const char *device, *message;
		struct streamd_vgpu *v;

		g_variant_get(params, "(&s&s)", &device, &message);
		v = g_hash_table_lookup(d->vgpus, device);
		if (!v)
			g_dbus_method_invocation_return_error(inv, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
							      "no vGPU '%s' is streaming", device);
		else if (!streamd_input_message(v, NULL, message, &err))
			g_dbus_method_invocation_return_dbus_error(inv,
				g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ?
				"org.freedesktop.DBus.Error.AccessDenied" :
				g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ?
				"org.freedesktop.DBus.Error.InvalidArgs" :
				"org.freedesktop.DBus.Error.Failed", err->message);
		else
			g_dbus_method_invocation_return_value(inv, NULL);
	} else if (!strcmp(method, "Reload")) {
		g_autoptr(GError) err = NULL;

		if (reload(d, &err))
			g_dbus_method_invocation_return_value(inv, NULL);
		else
			g_dbus_method_invocation_return_error(inv, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
							      "%s", err->message);
	}
}

static const GDBusInterfaceVTable vtable = { .method_call = on_method_call };

static void on_bus_acquired(GDBusConnection *conn, const char *name, gpointer user)
{
	struct daemon *d = user;
	g_autoptr(GError) err = NULL;

	d->registration_id = g_dbus_connection_register_object(conn, OBJECT_PATH,
		d->introspection->interfaces[0], &vtable, d, NULL, &err);
	if (!d->registration_id)
		slog(G_LOG_LEVEL_WARNING, "control", NULL, "cannot export %s: %s", OBJECT_PATH,
		     err->message);
	else
		d->bus = g_object_ref(conn);
}

static void on_name_lost(GDBusConnection *conn, const char *name, gpointer user)
{
	slog(G_LOG_LEVEL_WARNING, "control", NULL,
	     "no D-Bus control: %s %s (is another gvt-streamd running, or is the policy file installed?)",
	     conn ? "cannot own" : "no bus for", name);
}

static void on_name_acquired(GDBusConnection *conn, const char *name, gpointer user)
{
	slog(G_LOG_LEVEL_MESSAGE, "control", NULL, "control interface %s on the %s bus", name,
	     ((struct daemon *)user)->user ? "session" : "system");
}

static void vgpu_destroy_cb(gpointer p)
{
	streamd_vgpu_destroy(p);
}

int main(int argc, char **argv)
{
	g_autofree char *config = NULL;
	g_auto(GStrv) sets = NULL;
	gboolean user = FALSE, check = FALSE, version = FALSE, no_dbus = FALSE;
	const GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
		  "Configuration file (default: /etc/gvt-streamd.conf, with --user "
		  "$XDG_CONFIG_HOME/gvt-streamd.conf)", "FILE" },
		{ "user", 0, 0, G_OPTION_ARG_NONE, &user,
		  "Run as a user service: user configuration, session bus", NULL },
		{ "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
		  "Override a configuration key, e.g. --set 'vgpu sim.name=Desk' (repeatable)",
		  "SECTION.KEY=VALUE" },
		{ "check", 0, 0, G_OPTION_ARG_NONE, &check,
		  "Check the configuration and exit", NULL },
		{ "no-dbus", 0, 0, G_OPTION_ARG_NONE, &no_dbus,
		  "Do not offer the D-Bus control interface", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) oc = g_option_context_new(NULL);
	g_autoptr(GError) err = NULL;
	struct daemon d = { .exit_code = 0 };

	g_option_context_set_summary(oc,
		"Publish every vGPU (Intel GVT-g, gvtsim, sim, a VM's QEMU D-Bus display)\n"
		"as a PipeWire Video/Source node, an RTSP mount and a WebRTC page.\n"
		"See gvt-streamd(8) and gvt-streamd.conf(5).");
	g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_add_group(oc, gst_init_get_option_group());
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		fprintf(stderr, "gvt-streamd: %s (see --help)\n", err->message);
		return 2;
	}
	if (argc > 1) {
		fprintf(stderr, "gvt-streamd: unexpected argument '%s' (see --help)\n", argv[1]);
		return 2;
	}
	if (version) {
		printf("gvt-streamd %s\n", GVT_DMABUF_VERSION);
		return 0;
	}
	d.user = user;
	d.config_required = config != NULL;
	d.config_path = config ? g_strdup(config)
			: user ? g_build_filename(g_get_user_config_dir(), "gvt-streamd.conf", NULL)
			: g_strdup("/etc/gvt-streamd.conf");
	d.overrides = sets;
	d.cfg = streamd_config_load(d.config_path, d.config_required, d.overrides, &err);
	if (!d.cfg) {
		fprintf(stderr, "gvt-streamd: %s\n", err->message);
		g_free(d.config_path);
		return 1;
	}
	if (check) {
		printf("%s: configuration is valid (%u vGPU sections)\n",
		       d.cfg->path ? d.cfg->path : "defaults", d.cfg->vgpus->len);
		streamd_config_free(d.cfg);
		g_free(d.config_path);
		return 0;
	}

	/* Before anything is opened: a port in use ends the start cleanly. */
	d.rtsp = streamd_rtsp_create(d.cfg, &err);
	if (!d.rtsp) {
		fprintf(stderr, "gvt-streamd: %s\n", err->message);
		streamd_config_free(d.cfg);
		g_free(d.config_path);
		return 1;
	}
	d.webrtc = streamd_webrtc_create(d.cfg, &err);
	if (!d.webrtc && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
		/* Elements missing: the rest of the daemon still serves. */
		slog(G_LOG_LEVEL_WARNING, "webrtc", NULL, "%s", err->message);
		g_clear_error(&err);
	} else if (!d.webrtc) {
		fprintf(stderr, "gvt-streamd: %s\n", err->message);
		streamd_rtsp_destroy(d.rtsp);
		streamd_config_free(d.cfg);
		g_free(d.config_path);
		return 1;
	}
	d.loop = g_main_loop_new(NULL, FALSE);
	d.vgpus = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, vgpu_destroy_cb);
	d.failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	d.found_vms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d.removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, removed_vgpu_free);
	d.removals = g_ptr_array_new_with_free_func(removal_free);
	g_unix_signal_add(SIGTERM, on_sigterm, &d);
	g_unix_signal_add(SIGINT, on_sigterm, &d);
	g_unix_signal_add(SIGHUP, on_sighup, &d);
	if (d.cfg->pipewire)
		d.pw = streamd_pw_create(on_pw_connected, &d);
	else
		slog(G_LOG_LEVEL_MESSAGE, "pipewire", NULL, "PipeWire nodes disabled ([daemon] pipewire=false)");
	if (!no_dbus) {
		d.introspection = g_dbus_node_info_new_for_xml(introspection_xml, NULL);
		d.owner_id = g_bus_own_name(user ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, BUS_NAME,
					    G_BUS_NAME_OWNER_FLAGS_NONE, on_bus_acquired,
					    on_name_acquired, on_name_lost, &d, NULL);
	}
	apply_config(&d);
	slog(G_LOG_LEVEL_MESSAGE, "daemon", NULL, "gvt-streamd %s running (%s, %u vGPUs)",
	     GVT_DMABUF_VERSION, d.cfg->path ? d.cfg->path : "default configuration",
	     g_hash_table_size(d.vgpus));
	notify("READY=1");
	g_main_loop_run(d.loop);

	/* Clean end: every capture and node closed before PipeWire goes. */
	g_hash_table_destroy(d.vgpus);
	g_hash_table_destroy(d.removed);
	g_ptr_array_unref(d.removals);
	streamd_rtsp_destroy(d.rtsp);
	streamd_webrtc_destroy(d.webrtc);
	g_hash_table_destroy(d.failed);
	g_hash_table_destroy(d.found_vms);
	if (d.rescan_source)
		g_source_remove(d.rescan_source);
	if (d.uevent_source)
		g_source_remove(d.uevent_source);
	g_free(d.uevent_why);
#ifdef HAVE_GUDEV
	g_clear_object(&d.udev);
#endif
	if (d.owner_id)
		g_bus_unown_name(d.owner_id);
	if (d.bus) {
		g_dbus_connection_unregister_object(d.bus, d.registration_id);
		g_object_unref(d.bus);
	}
	if (d.introspection)
		g_dbus_node_info_unref(d.introspection);
	streamd_pw_destroy(d.pw);
	streamd_config_free(d.cfg);
	g_free(d.config_path);
	g_main_loop_unref(d.loop);
	gst_deinit();
	return d.exit_code;
}
