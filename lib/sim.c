/* SPDX-License-Identifier: MIT */
/*
 * The "sim" backend: a user-space vGPU.  A register file and a memfd of
 * graphics memory stand in for BAR0 and BAR2; the guest model paints into
 * the memfd and programs the registers; the same decoder as gvtsim.ko
 * (kernel/gvtsim_fb_decoder.c) answers plane queries, with the same ioctl
 * rules.  Lets everything above the library run with no kernel support.
 *
 * With the realtime clock the guest is a thread, as a real guest paints
 * on its own: it paints frame N+1 into the buffer that is not on screen,
 * waits for frame N+1's flip time (start + (N+1) / fps, absolute
 * CLOCK_MONOTONIC), flips, and signals the event fd.  Frames it cannot
 * keep up with are skipped.  s->lock guards the register file and the
 * dma-buf objects: the guest holds it only while it writes the flip and
 * cursor registers, a query while it decodes, never while pixels are
 * painted, so a query costs microseconds.  With clock=manual (or after
 * set_frame) there is no thread: set_frame paints and flips in the caller.
 *
 * fork(): the guest thread does not exist in a child, and the child may
 * inherit s->lock held by it, so a realtime sim device is for the process
 * that opened it: open sim devices after fork() (test harnesses that fork
 * per test open them in the test).  A manual one works in a child, but its
 * graphics memory (a MAP_SHARED memfd) stays shared with the parent's copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include <drm_fourcc.h>

#include "backend.h"
#include "gvt-dmabuf/gvtsim-uapi.h"
#include "gvtsim_fb_decoder.h"
#include "guest-model.h"
#include "sim-spec.h"
#include "vfio-compat.h"

/* Dma-buf objects remembered per vGPU (i915 keeps one per distinct
 * surface until it is released; a bound keeps a hostile config cheap). */
#define SIM_MAX_OBJECTS 64

#define UDMABUF_PATH "/dev/udmabuf"

struct sim_object {
	uint32_t id;		/* 0 = free slot */
	uint64_t gm_offset;
	uint32_t size;
	uint64_t modifier;
	uint32_t format;
	uint32_t width;
	uint32_t height;
	uint64_t last_use;
};

struct sim_backend {
	struct gvtdmabuf_backend base;
	/* guards mmio, objects, use_counter, frame, stop; never held while
	 * painting in realtime mode */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* tells a waiting guest thread to stop */
	bool lock_ready, wake_ready;
	/* serialises set_frame and destroy: stopping (joining) the thread */
	pthread_mutex_t ctl_lock;
	bool ctl_lock_ready;
	struct gvtsim_guest_config cfg;
	struct gvtsim_guest_layout layout;
	struct gvtsim_guest guest;	/* only the guest thread while it runs */
	bool guest_ready;
	uint32_t *mmio;
	int memfd;
	uint8_t *gm;
	uint64_t gm_size;
	int event_fd;
	int request_fd;		/* the kernel's device request, fired by request_removal */
	char *spec;
	struct gvtdmabuf_sim_events rm;	/* remove-after=, return-after=, modeset= */
	bool removal_fired;	/* by remove-after: the registry holds the spec */
	bool modeset_done;	/* modeset= happened (lock) */
	bool manual;		/* frames advance only by set_frame */
	uint64_t start_ns;	/* CLOCK_MONOTONIC time of frame 0 */
	pthread_t thread;
	bool thread_running;	/* ctl_lock */
	bool stop;
	uint64_t frame;		/* on screen */
	struct sim_object objects[SIM_MAX_OBJECTS];
	uint64_t use_counter;
	/* what the last get_damage reported (lock): the guest repaints a
	 * whole buffer per frame, so any new frame is whole-surface damage */
	bool damage_known;
	uint64_t damage_frame;
	uint64_t damage_offset;
	uint32_t damage_width, damage_height;
	/* the primary plane as last decoded (lock), valid while no register
	 * was written since (reg_gen): get_damage, a sim-only call, takes it
	 * from there instead of decoding the registers once more per frame */
	uint64_t reg_gen;	/* register writes so far */
	bool primary_known;
	uint64_t primary_gen;
	bool primary_ok;	/* decoded, enabled */
	uint64_t primary_offset;
	uint32_t primary_width, primary_height;
};

static const struct gvtdmabuf_backend_ops sim_ops;

/*
 * The sim vGPUs that remove-after= removed, by spec: what the kernel would
 * know of a removed mdev.  A reopen fails until return-after has passed
 * since the removed one was closed; then it returns for good.  A handful
 * of entries at most (one per spec a test removes), kept for the process.
 */
struct sim_removed {
	struct sim_removed *next;
	bool open;		/* the removed instance is not closed yet */
	bool returned;
	uint64_t closed_ns;
	char spec[];
};

static pthread_mutex_t removed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_removed *removed_list;

/* The list lives as long as the library: freed when it is unloaded (at
 * exit), so that a leak checker sees nothing of it. */
__attribute__((destructor)) static void removed_list_free(void)
{
	struct sim_removed *r;

	pthread_mutex_lock(&removed_lock);
	while ((r = removed_list)) {
		removed_list = r->next;
		free(r);
	}
	pthread_mutex_unlock(&removed_lock);
}

/* Called with removed_lock held. */
static struct sim_removed *removed_find(const char *spec)
{
	struct sim_removed *r;

	for (r = removed_list; r; r = r->next)
		if (!strcmp(r->spec, spec))
			return r;
	return NULL;
}

static struct sim_backend *to_sim(struct gvtdmabuf_backend *b)
{
	return (struct sim_backend *)b;
}

/* ---- registers and clock ---------------------------------------------- */

static void sim_write_reg(void *user, uint32_t offset, uint32_t value)
{
	struct sim_backend *s = user;

	if (offset < GVTSIM_MMIO_SIZE && !(offset & 3)) {
		s->mmio[offset / 4] = value;
		s->reg_gen++;	/* every writer holds s->lock (or runs alone) */
	}
}

static uint32_t sim_read_reg(void *user, uint32_t offset)
{
	struct sim_backend *s = user;

	if (offset < GVTSIM_MMIO_SIZE && !(offset & 3))
		return s->mmio[offset / 4];
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC time frame @p frame is flipped at in realtime mode:
 * start + floor(frame * 1e9 / fps), split so it cannot overflow. */
static uint64_t flip_time_ns(const struct sim_backend *s, uint64_t frame)
{
	uint64_t fps = s->cfg.fps;

	return s->start_ns + frame / fps * 1000000000ull + frame % fps * 1000000000ull / fps;
}

/* The last frame whose flip time has come: floor(elapsed * fps / 1e9). */
static uint64_t frame_due(const struct sim_backend *s, uint64_t now)
{
	uint64_t elapsed = now - s->start_ns, fps = s->cfg.fps;

	return elapsed / 1000000000ull * fps + elapsed % 1000000000ull * fps / 1000000000ull;
}

static void signal_event(struct sim_backend *s)
{
	uint64_t one = 1;

	/* cannot fail but by overflowing a counter nobody reads: fine */
	if (write(s->event_fd, &one, sizeof(one)) < 0)
		return;
}

/* remove-after= reached: the vGPU is being removed, as the kernel tells it
 * (the request fd); the device keeps working until it is closed.  Called
 * without s->lock. */
static void maybe_remove(struct sim_backend *s, uint64_t frame)
{
	struct sim_removed *r;
	uint64_t one = 1;

	if (!s->rm.remove_after || s->removal_fired || frame < s->rm.remove_after)
		return;
	pthread_mutex_lock(&removed_lock);
	r = removed_find(s->spec);
	if (!r) {
		r = calloc(1, sizeof(*r) + strlen(s->spec) + 1);
		if (r) {
			strcpy(r->spec, s->spec);
			r->next = removed_list;
			removed_list = r;
		}
	}
	if (r) {
		r->open = true;
		r->returned = false;
		s->removal_fired = true;
	}
	pthread_mutex_unlock(&removed_lock);
	/* out of memory: not removed, the guest goes on (tried again next frame) */
	if (s->removal_fired && write(s->request_fd, &one, sizeof(one)) < 0)
		return;
}

/* Manual frames: paint, flip and move the cursor in the caller, with the
 * frame's nominal time so it is a pure function of the frame number.
 * Called with s->lock held and no guest thread. */
static void show_frame_manual(struct sim_backend *s, uint64_t frame)
{
	gvtsim_guest_show_frame(&s->guest, frame, frame * 1000000ull / s->cfg.fps);
	s->frame = frame;
}

/* The guest sets the mode @width x @height (s->lock held, the guest
 * thread's or the caller's guest): 0, -ENOSPC when the graphics memory
 * (sized at open) cannot hold it, or the guest model's error; the old mode
 * stays on failure.  The caller shows a frame in it. */
static int guest_set_mode(struct sim_backend *s, uint32_t width, uint32_t height)
{
	struct gvtsim_guest_config cfg = s->cfg;
	struct gvtsim_guest_layout layout;
	struct gvtsim_guest guest;
	int ret;

	cfg.width = width;
	cfg.height = height;
	ret = gvtsim_guest_compute_layout(&cfg, &layout);
	if (ret)
		return ret;
	if (layout.gm_size > s->gm_size)
		return -ENOSPC;
	memset(&guest, 0, sizeof(guest));
	ret = gvtsim_guest_init(&guest, &cfg, sim_write_reg, sim_read_reg, s, s->gm, s->gm_size);
	if (ret)
		return ret;
	gvtsim_guest_finish(&s->guest);
	s->guest = guest;
	s->cfg = cfg;
	s->layout = layout;
	gvtsim_guest_program_mode(&s->guest);
	return 0;
}

/* modeset= reached (the guest thread, s->lock held): the guest sets its
 * new mode and shows @frame in it at once, as a guest's modeset shows a
 * painted framebuffer.  The one frame is painted under the lock: readers
 * wait for it once.  0, or the error (the old mode stays). */
static int modeset_realtime(struct sim_backend *s, uint64_t frame)
{
	int ret = guest_set_mode(s, s->rm.modeset_width, s->rm.modeset_height);

	if (ret)
		return ret;
	gvtsim_guest_show_frame(&s->guest, frame, flip_time_ns(s, frame) / 1000);
	s->frame = frame;
	return 0;
}

/* The realtime guest.  Frame N carries its flip time start + N / fps in
 * its block code; it is painted before that time into a buffer not on
 * screen and flipped at it (late when painting overran).  At modeset='s
 * frame the guest changes its mode instead (modeset_realtime()). */
static void *guest_thread(void *arg)
{
	struct sim_backend *s = arg;
	struct gvtsim_guest *g = &s->guest;
	uint64_t last = s->frame, next = last + 1, due, deadline;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);

		deadline = flip_time_ns(s, next);
		gvtsim_guest_paint(g, next, deadline / 1000);

		pthread_mutex_lock(&s->lock);
		ts.tv_sec = (time_t)(deadline / 1000000000ull);
		ts.tv_nsec = (long)(deadline % 1000000000ull);
		/* absolute CLOCK_MONOTONIC wait that destroy can cut short
		 * (a plain clock_nanosleep would keep it waiting up to 1 s) */
		while (!s->stop && now_ns() < deadline)
			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		if (s->stop)
			break;
		if (s->rm.modeset_frame && next >= s->rm.modeset_frame && !s->modeset_done) {
			/* the painted frame is of the old mode: shown anew */
			s->modeset_done = true;
			if (modeset_realtime(s, next) == 0) {
				pthread_mutex_unlock(&s->lock);
				signal_event(s);
				last = next;
				next = last + 1;
				pthread_mutex_lock(&s->lock);
				continue;
			}
		}
		gvtsim_guest_flip(g, next);
		gvtsim_guest_move_cursor(g, next);
		s->frame = next;
		pthread_mutex_unlock(&s->lock);
		signal_event(s);
		maybe_remove(s, next);

		/* skip the frames whose time has passed, and never paint into
		 * the buffer on screen (with 2 buffers: skip one more) */
		last = next;
		due = frame_due(s, now_ns());
		next = due + 1 > last + 1 ? due + 1 : last + 1;
		if (gvtsim_guest_buffer_of(g, next) == gvtsim_guest_buffer_of(g, last))
			next++;

		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Start the guest thread with every signal blocked (signals are for the
 * application's threads).  Called with ctl_lock held. */
static int start_guest_thread(struct sim_backend *s)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&s->thread, NULL, guest_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret == 0) {
		s->thread_running = true;
		pthread_setname_np(s->thread, "gvtsim-guest");
	}
	return ret;
}

/* Stop and join the guest thread if it runs.  Called with ctl_lock held,
 * s->lock not held. */
static void stop_guest_thread(struct sim_backend *s)
{
	if (!s->thread_running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->thread_running = false;
}

/* ---- dma-buf objects -------------------------------------------------- */

static const struct sim_object *object_find(const struct sim_backend *s, uint32_t id);

static uint32_t object_id(struct sim_backend *s, const struct gvtsim_plane *p)
{
	struct sim_object *o, *victim = NULL;
	uint32_t id;
	unsigned int i;

	s->use_counter++;
	for (i = 0; i < SIM_MAX_OBJECTS; i++) {
		o = &s->objects[i];
		if (o->id && o->gm_offset == p->gm_offset && o->size == p->size &&
		    o->modifier == p->modifier && o->format == p->drm_format &&
		    o->width == p->width && o->height == p->height) {
			o->last_use = s->use_counter;
			return o->id;
		}
	}

	/* a free slot, else the least recently used object goes */
	for (i = 0; i < SIM_MAX_OBJECTS; i++) {
		o = &s->objects[i];
		if (!o->id) {
			victim = o;
			break;
		}
		if (!victim || o->last_use < victim->last_use)
			victim = o;
	}
	/* The lowest id no remembered object has, as gvtsim.ko and i915 hand
	 * them out: an evicted object's id names the next new surface, which
	 * the library's cache must cope with (the sim cannot see its fds
	 * close, so eviction is when an id becomes free). */
	victim->id = 0;
	for (id = 1; object_find(s, id); id++)
		;

	victim->id = id;
	victim->gm_offset = p->gm_offset;
	victim->size = p->size;
	victim->modifier = p->modifier;
	victim->format = p->drm_format;
	victim->width = p->width;
	victim->height = p->height;
	victim->last_use = s->use_counter;
	return id;
}

static const struct sim_object *object_find(const struct sim_backend *s, uint32_t id)
{
	unsigned int i;

	if (!id)
		return NULL;
	for (i = 0; i < SIM_MAX_OBJECTS; i++)
		if (s->objects[i].id == id)
			return &s->objects[i];
	return NULL;
}

/* ---- backend ops ------------------------------------------------------ */

/* The argument checks of i915's QUERY_GFX_PLANE: 1 = PROBE answered,
 * 0 = a query of *ret_id, -EINVAL otherwise. */
static int check_query(const struct vfio_device_gfx_plane_info *info,
		       enum gvtsim_plane_id *ret_id)
{
	const size_t minsz = offsetof(struct vfio_device_gfx_plane_info, dmabuf_id) +
			     sizeof(info->dmabuf_id);

	if (info->argsz < minsz)
		return -EINVAL;
	return gvtsim_query_args(info->flags, info->drm_plane_type, ret_id);
}

/* The decoder's view of the sim's registers and memory (lock held). */
static void decoder_input(const struct sim_backend *s, struct gvtsim_decoder_input *in)
{
	in->mmio = s->mmio;
	in->mmio_size = GVTSIM_MMIO_SIZE;
	in->gm_size = s->gm_size;
	in->gen = s->cfg.gen == 8 ? GVTSIM_GEN8 : GVTSIM_GEN9;
	in->max_width = s->cfg.width;
	in->max_height = s->cfg.height;
}

/* Note the primary plane's decode for get_damage (lock held). */
static void primary_remember(struct sim_backend *s, int decode_ret,
			     const struct gvtsim_plane *p)
{
	s->primary_known = true;
	s->primary_gen = s->reg_gen;
	s->primary_ok = decode_ret == 0 && p->enabled;
	s->primary_offset = s->primary_ok ? p->gm_offset : 0;
	s->primary_width = s->primary_ok ? p->width : 0;
	s->primary_height = s->primary_ok ? p->height : 0;
}

static int sim_query_plane(struct gvtdmabuf_backend *b,
			   struct vfio_device_gfx_plane_info *info)
{
	struct sim_backend *s = to_sim(b);
	struct gvtsim_decoder_input in;
	struct gvtsim_plane p;
	enum gvtsim_plane_id id = GVTSIM_PLANE_PRIMARY;
	int ret;

	ret = check_query(info, &id);
	if (ret != 0)
		return ret < 0 ? ret : 0;

	pthread_mutex_lock(&s->lock);
	decoder_input(s, &in);
	ret = gvtsim_decode_plane(&in, id, &p, NULL);
	if (id == GVTSIM_PLANE_PRIMARY)
		primary_remember(s, ret, &p);
	/* as gvtsim.ko and i915: a disabled plane leaves *info untouched */
	if (ret == 0)
		gvtsim_plane_info_fill(&p, p.enabled ? object_id(s, &p) : 0, info);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int sim_get_damage(struct gvtdmabuf_backend *b, struct gvtdmabuf_rect *rects,
			  size_t max, size_t *ret_n)
{
	struct sim_backend *s = to_sim(b);
	struct gvtsim_decoder_input in;
	struct gvtsim_plane p;
	size_t n = 0;

	(void)max;	/* at least 1, checked by the device */
	pthread_mutex_lock(&s->lock);
	/* the registers as the last primary query saw them: no decode */
	if (!s->primary_known || s->primary_gen != s->reg_gen) {
		decoder_input(s, &in);
		primary_remember(s, gvtsim_decode_plane(&in, GVTSIM_PLANE_PRIMARY, &p, NULL), &p);
	}
	if (s->primary_ok) {
		if (!s->damage_known || s->damage_frame != s->frame ||
		    s->damage_offset != s->primary_offset ||
		    s->damage_width != s->primary_width ||
		    s->damage_height != s->primary_height) {
			rects[0] = (struct gvtdmabuf_rect){ 0, 0, s->primary_width,
							    s->primary_height };
			n = 1;
		}
		s->damage_known = true;
		s->damage_frame = s->frame;
		s->damage_offset = s->primary_offset;
		s->damage_width = s->primary_width;
		s->damage_height = s->primary_height;
	} else {
		/* nothing on screen: the next picture is all new */
		s->damage_known = false;
	}
	pthread_mutex_unlock(&s->lock);
	*ret_n = n;
	return 0;
}

/* A dma-buf of the surface from the memfd: the fd, -ENODEV when
 * /dev/udmabuf cannot be opened (absent, or no permission: the caller
 * falls back to the memfd), or the ioctl's -errno. */
static int export_udmabuf(struct sim_backend *s, const struct sim_object *o)
{
	struct udmabuf_create create;
	int dev, fd, ret;

	dev = open(UDMABUF_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -ENODEV;
	memset(&create, 0, sizeof(create));
	create.memfd = (uint32_t)s->memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.offset = o->gm_offset;
	create.size = o->size;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	ret = fd < 0 ? -errno : fd;
	close(dev);
	return ret;
}

static int sim_get_dmabuf(struct gvtdmabuf_backend *b, uint32_t dmabuf_id,
			  bool *is_dmabuf, uint32_t *offset)
{
	struct sim_backend *s = to_sim(b);
	const struct sim_object *o;
	int fd;

	pthread_mutex_lock(&s->lock);
	o = object_find(s, dmabuf_id);
	if (!o) {
		fd = -EINVAL;
		goto out;
	}

	/* A real dma-buf where the kernel can make one from the memfd; a
	 * kernel without udmabuf gets the memfd itself, surface at offset. */
	fd = export_udmabuf(s, o);
	if (fd >= 0) {
		*is_dmabuf = true;
		*offset = 0;
		goto out;
	}
	if (fd != -ENODEV)
		goto out;

	fd = fcntl(s->memfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		fd = -errno;
		goto out;
	}
	*is_dmabuf = false;
	*offset = (uint32_t)o->gm_offset;
out:
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static int sim_get_event_fd(struct gvtdmabuf_backend *b)
{
	return to_sim(b)->event_fd;
}

static int sim_get_request_fd(struct gvtdmabuf_backend *b)
{
	return to_sim(b)->request_fd;
}

static int sim_get_fd(struct gvtdmabuf_backend *b)
{
	return -ENOTSUP;
}

static void sim_destroy(struct gvtdmabuf_backend *b)
{
	struct sim_backend *s = to_sim(b);

	if (!s)
		return;
	/* the guest thread paints into gm: it goes first */
	if (s->ctl_lock_ready)
		stop_guest_thread(s);
	if (s->guest_ready)
		gvtsim_guest_finish(&s->guest);
	if (s->gm && s->gm != MAP_FAILED)
		munmap(s->gm, s->gm_size);
	if (s->memfd >= 0)
		close(s->memfd);
	if (s->event_fd >= 0)
		close(s->event_fd);
	if (s->request_fd >= 0)
		close(s->request_fd);
	if (s->removal_fired) {
		/* closed: the removal completes, return-after counts from now */
		pthread_mutex_lock(&removed_lock);
		struct sim_removed *r = removed_find(s->spec);

		if (r) {
			r->open = false;
			r->closed_ns = now_ns();
		}
		pthread_mutex_unlock(&removed_lock);
	}
	free(s->spec);
	free(s->mmio);
	if (s->wake_ready)
		pthread_cond_destroy(&s->wake);
	if (s->lock_ready)
		pthread_mutex_destroy(&s->lock);
	if (s->ctl_lock_ready)
		pthread_mutex_destroy(&s->ctl_lock);
	free(s);
}

static const struct gvtdmabuf_backend_ops sim_ops = {
	.name = "sim",
	.query_plane = sim_query_plane,
	.get_dmabuf = sim_get_dmabuf,
	.get_event_fd = sim_get_event_fd,
	.get_request_fd = sim_get_request_fd,
	.get_fd = sim_get_fd,
	.get_damage = sim_get_damage,
	.destroy = sim_destroy,
};

/* A spec that remove-after= removed opens again only once it returned
 * (and is then not removed again). */
static int check_removed(const char *spec, struct gvtdmabuf_sim_events *rm, char *errbuf,
			 size_t errbuf_size)
{
	struct sim_removed *r;
	int ret = 0;

	pthread_mutex_lock(&removed_lock);
	r = removed_find(spec);
	if (r && !r->returned) {
		if (!rm->returns) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim vGPU '%s' was removed (remove-after=%u frames; "
					    "it returns only with return-after=MS)", spec,
					    rm->remove_after);
			ret = -ENODEV;
		} else if (r->open || now_ns() < r->closed_ns +
					 (uint64_t)rm->return_after_ms * 1000000ull) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim vGPU '%s' was removed (remove-after=%u frames); "
					    "it returns %u ms after it was closed",
					    spec, rm->remove_after, rm->return_after_ms);
			ret = -ENODEV;
		} else {
			r->returned = true;
		}
	}
	if (r && r->returned)
		rm->remove_after = 0;
	pthread_mutex_unlock(&removed_lock);
	return ret;
}

int gvtdmabuf_sim_open(const char *spec, struct gvtdmabuf_backend **ret_backend,
		       char *errbuf, size_t errbuf_size)
{
	struct sim_backend *s = NULL;
	pthread_condattr_t attr;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto error;
	}
	s->base.ops = &sim_ops;
	s->memfd = -1;
	s->event_fd = -1;
	s->request_fd = -1;
	ret = -pthread_mutex_init(&s->lock, NULL);
	if (ret)
		goto error;
	s->lock_ready = true;
	ret = -pthread_mutex_init(&s->ctl_lock, NULL);
	if (ret)
		goto error;
	s->ctl_lock_ready = true;
	/* the guest waits for absolute CLOCK_MONOTONIC flip times */
	ret = -pthread_condattr_init(&attr);
	if (ret)
		goto error;
	ret = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (ret == 0)
		ret = -pthread_cond_init(&s->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		goto error;
	s->wake_ready = true;

	ret = gvtdmabuf_sim_parse_spec(spec, &s->cfg, &s->manual, &s->rm, errbuf, errbuf_size);
	if (ret)
		goto error;
	ret = check_removed(spec, &s->rm, errbuf, errbuf_size);
	if (ret)
		goto error;
	s->spec = strdup(spec);
	if (!s->spec) {
		ret = -ENOMEM;
		goto error;
	}
	ret = gvtsim_guest_compute_layout(&s->cfg, &s->layout);
	if (ret) {
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim spec '%s': the mode does not fit the plane's stride register",
				    spec);
		goto error;
	}

	s->mmio = calloc(1, GVTSIM_MMIO_SIZE);
	if (!s->mmio) {
		ret = -ENOMEM;
		goto error;
	}

	s->gm_size = s->layout.gm_size;
	if (s->rm.modeset_frame) {
		/* room for the guest's second mode too (modeset=) */
		struct gvtsim_guest_config after = s->cfg;
		struct gvtsim_guest_layout l;

		after.width = s->rm.modeset_width;
		after.height = s->rm.modeset_height;
		ret = gvtsim_guest_compute_layout(&after, &l);
		if (ret) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim spec '%s': the modeset's mode does not fit the "
					    "plane's stride register", spec);
			goto error;
		}
		if (l.gm_size > s->gm_size)
			s->gm_size = l.gm_size;
	}
	s->memfd = memfd_create("gvtsim-gm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->memfd < 0) {
		ret = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim: cannot create the graphics memory memfd: %s",
				    strerror(-ret));
		goto error;
	}
	/* udmabuf wants the memfd unable to shrink under the dma-buf */
	if (ftruncate(s->memfd, (off_t)s->gm_size) < 0 ||
	    fcntl(s->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		ret = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim: cannot size and seal %" PRIu64 " bytes of graphics memory: %s",
				    s->gm_size, strerror(-ret));
		goto error;
	}
	s->gm = mmap(NULL, s->gm_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->memfd, 0);
	if (s->gm == MAP_FAILED) {
		ret = -errno;
		s->gm = NULL;
		gvtdmabuf_set_error(errbuf, errbuf_size,
				    "sim: cannot map graphics memory: %s", strerror(-ret));
		goto error;
	}

	ret = gvtsim_guest_init(&s->guest, &s->cfg, sim_write_reg, sim_read_reg, s,
				s->gm, s->gm_size);
	if (ret) {
		gvtdmabuf_set_error(errbuf, errbuf_size, "sim: cannot set up the guest: %s",
				    strerror(-ret));
		goto error;
	}
	s->guest_ready = true;

	s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->event_fd < 0) {
		ret = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size, "sim: cannot create an eventfd: %s",
				    strerror(-ret));
		goto error;
	}

	s->request_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->request_fd < 0) {
		ret = -errno;
		gvtdmabuf_set_error(errbuf, errbuf_size, "sim: cannot create an eventfd: %s",
				    strerror(-ret));
		goto error;
	}

	/* the mode is set and frame 0 shown before anyone looks */
	gvtsim_guest_program_mode(&s->guest);
	s->start_ns = now_ns();
	gvtsim_guest_show_frame(&s->guest, 0, s->manual ? 0 : s->start_ns / 1000);
	s->frame = 0;
	if (!s->manual) {
		ret = start_guest_thread(s);
		if (ret) {
			gvtdmabuf_set_error(errbuf, errbuf_size,
					    "sim: cannot start the guest thread: %s",
					    strerror(-ret));
			goto error;
		}
	}

	*ret_backend = &s->base;
	return 0;

error:
	if (s)
		sim_destroy(&s->base);
	return ret;
}

bool gvtdmabuf_backend_is_sim(const struct gvtdmabuf_backend *b)
{
	return b && b->ops == &sim_ops;
}

int gvtdmabuf_sim_backend_set_frame(struct gvtdmabuf_backend *b, uint64_t frame)
{
	struct sim_backend *s;

	if (!gvtdmabuf_backend_is_sim(b))
		return -ENOTSUP;
	s = to_sim(b);
	pthread_mutex_lock(&s->ctl_lock);
	/* from now on only set_frame advances: the guest thread goes */
	stop_guest_thread(s);
	pthread_mutex_lock(&s->lock);
	s->manual = true;
	show_frame_manual(s, frame);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->ctl_lock);
	signal_event(s);
	maybe_remove(s, frame);
	return 0;
}

int gvtdmabuf_sim_backend_get_frame(struct gvtdmabuf_backend *b, uint64_t *ret_frame)
{
	struct sim_backend *s;

	if (!gvtdmabuf_backend_is_sim(b))
		return -ENOTSUP;
	s = to_sim(b);
	pthread_mutex_lock(&s->lock);
	*ret_frame = s->frame;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Stop the guest thread and take s->lock: from now on the caller drives
 * the guest (set_frame, set_mode, set_display). */
static struct sim_backend *sim_take_guest(struct gvtdmabuf_backend *b)
{
	struct sim_backend *s = to_sim(b);

	pthread_mutex_lock(&s->ctl_lock);
	stop_guest_thread(s);
	pthread_mutex_lock(&s->lock);
	s->manual = true;
	return s;
}

static void sim_release_guest(struct sim_backend *s, bool changed)
{
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->ctl_lock);
	if (changed)
		signal_event(s);
}

int gvtdmabuf_sim_backend_set_mode(struct gvtdmabuf_backend *b, uint32_t width,
				   uint32_t height)
{
	struct sim_backend *s;
	int ret;

	if (!gvtdmabuf_backend_is_sim(b))
		return -ENOTSUP;
	s = sim_take_guest(b);
	/* the graphics memory was sized for the mode of the spec */
	ret = guest_set_mode(s, width, height);
	if (ret == 0)
		show_frame_manual(s, s->frame + 1);
	sim_release_guest(s, ret == 0);
	return ret;
}

int gvtdmabuf_sim_backend_set_display(struct gvtdmabuf_backend *b, bool on)
{
	struct sim_backend *s;

	if (!gvtdmabuf_backend_is_sim(b))
		return -ENOTSUP;
	s = sim_take_guest(b);
	if (on) {
		gvtsim_guest_program_mode(&s->guest);
		show_frame_manual(s, s->frame + 1);
	} else {
		gvtsim_guest_disable(&s->guest);
	}
	sim_release_guest(s, true);
	return 0;
}

int gvtdmabuf_sim_backend_request_removal(struct gvtdmabuf_backend *b)
{
	uint64_t one = 1;

	if (!gvtdmabuf_backend_is_sim(b))
		return -ENOTSUP;
	/* as the kernel does: the counter rises, the device keeps working */
	if (write(to_sim(b)->request_fd, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}
