// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim BAR0: the emulated display register file.
 *
 * Ordinary display registers store what the guest writes; the decoder
 * interprets them when user space queries a plane.  A write that flips a
 * plane (a surface register) or changes the mode raises the display refresh
 * IRQ, coalesced to at most one event per emulated vblank.  The gvtsim-only
 * block (ID, hotplug, mode limit, EDID window) is read-only for the guest
 * except for the hotplug event bit, which it clears by writing 1.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "gvtsim.h"

static enum hrtimer_restart vblank_timer_fn(struct hrtimer *timer);

int gvtsim_regs_init(struct gvtsim_vgpu *vgpu)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(&vgpu->vblank_timer, vblank_timer_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_ABS);
#else
	hrtimer_init(&vgpu->vblank_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vgpu->vblank_timer.function = vblank_timer_fn;
#endif
	vgpu->mmio = kvzalloc(GVTSIM_MMIO_SIZE, GFP_KERNEL);
	if (!vgpu->mmio)
		return -ENOMEM;
	vgpu->mmio[GVTSIM_REG_ID / 4] = GVTSIM_ID_VALUE;
	return 0;
}

void gvtsim_regs_fini(struct gvtsim_vgpu *vgpu)
{
	kvfree(vgpu->mmio);
	vgpu->mmio = NULL;
}

/* Device reset: display registers go back to zero (all planes and the
 * pipe off); the monitor stays plugged in, so the EDID-derived registers
 * are restored; graphics memory is untouched.  The pipe going off is a
 * mode change like any other: it raises the refresh IRQ. */
void gvtsim_regs_reset(struct gvtsim_vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->lock);

	memset(vgpu->mmio, 0, GVTSIM_MMIO_SIZE);
	vgpu->mmio[GVTSIM_REG_ID / 4] = GVTSIM_ID_VALUE;
	gvtsim_edid_apply_regs(vgpu);
	vgpu->mmio[GVTSIM_REG_HOTPLUG / 4] &= ~GVTSIM_HOTPLUG_EVENT;
	gvtsim_refresh_event(vgpu);
}

u32 gvtsim_mmio_read(struct gvtsim_vgpu *vgpu, u32 offset)
{
	lockdep_assert_held(&vgpu->lock);

	if (offset >= GVTSIM_MMIO_SIZE || (offset & 3))
		return 0;
	return vgpu->mmio[offset / 4];
}

/* Registers whose every write latches a new surface (a flip). */
static bool is_flip_reg(u32 offset)
{
	switch (offset) {
	case GVTSIM_PLANE_SURF(1):	/* == DSPASURF */
	case GVTSIM_PLANE_SURF(2):	/* == SPRASURF */
	case GVTSIM_CURABASE:
		return true;
	default:
		return false;
	}
}

/* Registers whose change alters what is scanned out without a flip. */
static bool is_mode_reg(u32 offset)
{
	switch (offset) {
	case GVTSIM_PIPEACONF:
	case GVTSIM_PIPEASRC:
	case GVTSIM_PLANE_CTL(1):	/* == DSPACNTR */
	case GVTSIM_PLANE_CTL(2):	/* == SPRACTL */
	case GVTSIM_CURACNTR:
	case GVTSIM_CURAPOS:
		return true;
	default:
		return false;
	}
}

void gvtsim_mmio_write(struct gvtsim_vgpu *vgpu, u32 offset, u32 val)
{
	u32 *reg, old;

	lockdep_assert_held(&vgpu->lock);

	if (offset >= GVTSIM_MMIO_SIZE || (offset & 3))
		return;
	reg = &vgpu->mmio[offset / 4];

	if (offset == GVTSIM_REG_HOTPLUG) {
		/* Only the event bit is writable, and only to clear it. */
		*reg &= ~(val & GVTSIM_HOTPLUG_EVENT);
		return;
	}
	if (offset >= GVTSIM_REG_BASE) {
		/* ID, mode limit, EDID size and window: read-only. */
		dev_dbg_ratelimited(gvtsim_dev(vgpu),
				    "guest wrote read-only register 0x%x\n",
				    offset);
		return;
	}

	old = *reg;
	*reg = val;
	if (is_flip_reg(offset) || (is_mode_reg(offset) && old != val))
		gvtsim_refresh_event(vgpu);
}

/*
 * read()/write() on BAR0: dword accesses only (offset and length multiples
 * of 4).  User memory is copied outside vgpu->lock, through a small bounce
 * buffer, so a user buffer that is itself an mmap of BAR2 (whose fault
 * handler takes the lock) cannot deadlock.
 */
ssize_t gvtsim_mmio_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		       size_t count, u64 pos, bool is_write)
{
	u32 bounce[64];
	size_t done = 0;

	if (!gvtsim_access_ok(pos, count, GVTSIM_MMIO_SIZE) ||
	    (pos & 3) || (count & 3)) {
		dev_dbg_ratelimited(gvtsim_dev(vgpu),
				    "BAR0 access of %zu bytes at 0x%llx rejected: dword accesses only\n",
				    count, pos);
		return -EINVAL;
	}

	while (done < count) {
		size_t chunk = min_t(size_t, count - done, sizeof(bounce));
		u32 off = (u32)(pos + done);
		size_t i;

		if (is_write) {
			if (copy_from_user(bounce, buf + done, chunk))
				return -EFAULT;
			mutex_lock(&vgpu->lock);
			for (i = 0; i < chunk / 4; i++)
				gvtsim_mmio_write(vgpu, off + 4 * i, bounce[i]);
			mutex_unlock(&vgpu->lock);
		} else {
			mutex_lock(&vgpu->lock);
			for (i = 0; i < chunk / 4; i++)
				bounce[i] = gvtsim_mmio_read(vgpu, off + 4 * i);
			mutex_unlock(&vgpu->lock);
			if (copy_to_user(buf + done, bounce, chunk))
				return -EFAULT;
		}
		done += chunk;
	}
	return count;
}

/* ---- display refresh IRQ ---- */

static void refresh_signal_locked(struct gvtsim_vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->irq_lock);

	if (!vgpu->refresh_trigger)
		return;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(vgpu->refresh_trigger);
#else
	eventfd_signal(vgpu->refresh_trigger, 1);
#endif
	vgpu->last_refresh = ktime_get();
}

static enum hrtimer_restart vblank_timer_fn(struct hrtimer *timer)
{
	struct gvtsim_vgpu *vgpu =
		container_of(timer, struct gvtsim_vgpu, vblank_timer);
	unsigned long flags;

	spin_lock_irqsave(&vgpu->irq_lock, flags);
	vgpu->refresh_pending = false;
	refresh_signal_locked(vgpu);
	spin_unlock_irqrestore(&vgpu->irq_lock, flags);
	return HRTIMER_NORESTART;
}

/* A flip or mode change: signal now if the last event is a vblank old,
 * else once at the next emulated vblank. */
void gvtsim_refresh_event(struct gvtsim_vgpu *vgpu)
{
	unsigned long flags;
	ktime_t next;

	spin_lock_irqsave(&vgpu->irq_lock, flags);
	if (!vgpu->refresh_trigger || vgpu->refresh_pending)
		goto out;
	next = ktime_add_ns(vgpu->last_refresh, GVTSIM_VBLANK_NS);
	if (ktime_compare(ktime_get(), next) >= 0) {
		refresh_signal_locked(vgpu);
	} else {
		vgpu->refresh_pending = true;
		hrtimer_start(&vgpu->vblank_timer, next, HRTIMER_MODE_ABS);
	}
out:
	spin_unlock_irqrestore(&vgpu->irq_lock, flags);
}

/* VFIO_IRQ_SET_DATA_NONE / DATA_BOOL trigger: signal at once. */
void gvtsim_refresh_signal_now(struct gvtsim_vgpu *vgpu)
{
	unsigned long flags;

	spin_lock_irqsave(&vgpu->irq_lock, flags);
	refresh_signal_locked(vgpu);
	spin_unlock_irqrestore(&vgpu->irq_lock, flags);
}

/* Attach the eventfd @fd, or detach with fd -1.  Called with vgpu->lock
 * held, which serialises it against flips. */
int gvtsim_refresh_set_trigger(struct gvtsim_vgpu *vgpu, int fd)
{
	struct eventfd_ctx *new = NULL, *old;
	unsigned long flags;

	lockdep_assert_held(&vgpu->lock);

	if (fd >= 0) {
		new = eventfd_ctx_fdget(fd);
		if (IS_ERR(new))
			return PTR_ERR(new);
	} else if (fd != -1) {
		return -EINVAL;
	}

	spin_lock_irqsave(&vgpu->irq_lock, flags);
	old = vgpu->refresh_trigger;
	vgpu->refresh_trigger = NULL;
	spin_unlock_irqrestore(&vgpu->irq_lock, flags);

	/* The timer callback takes irq_lock: cancel without holding it. */
	hrtimer_cancel(&vgpu->vblank_timer);

	spin_lock_irqsave(&vgpu->irq_lock, flags);
	vgpu->refresh_pending = false;
	vgpu->refresh_trigger = new;
	spin_unlock_irqrestore(&vgpu->irq_lock, flags);

	if (old)
		eventfd_ctx_put(old);
	return 0;
}
