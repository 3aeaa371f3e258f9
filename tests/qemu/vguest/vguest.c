/* SPDX-License-Identifier: MIT */
/*
 * vguest: the guest of the qemu suite's VFIO test, a bare-metal program
 * (no kernel: a Linux guest would boot for minutes under TCG inside TCG)
 * that QEMU runs with -kernel next to a gvtsim vGPU passed through as
 * vfio-pci at 00:03.0.  It assigns the vGPU's BARs in PCI config space and
 * runs the guest model over them: registers written to BAR0, pixels painted
 * straight into BAR2, a frame every ~1.5 s, flipped between two buffers.
 * Progress goes to QEMU's debug console (port 0xe9).
 */
#include <stddef.h>
#include <stdint.h>

#include "guest-model.h"

#define CFG(reg) (0x80001800u | (reg))	/* bus 0, device 3, function 0 */
#define BAR0 0xe0000000u
#define BAR2 0xc0000000u
#define FRAME_TSC 1500000000ull

static inline void
outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t
inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void
say(const char *s)
{
	while (*s)
		outb(0xe9, (uint8_t)*s++);
}

static void
cfg_write(uint32_t reg, uint32_t v)
{
	outl(0xcf8, CFG(reg));
	outl(0xcfc, v);
}

static uint32_t
cfg_read(uint32_t reg)
{
	outl(0xcf8, CFG(reg));
	return inl(0xcfc);
}

/* The little the guest model needs from a libc. */
static uint8_t heap[16u << 20];
static size_t heap_used;

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *calloc(size_t n, size_t size);
void free(void *p);

void *
memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *
memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void *
calloc(size_t n, size_t size)
{
	size_t bytes = (n * size + 15) & ~(size_t)15;
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (bytes > sizeof(heap) - heap_used)
		return NULL;
	p = heap + heap_used;
	heap_used += bytes;
	return memset(p, 0, bytes);
}

void
free(void *p)
{
	(void)p;	/* a bump allocator: the guest never ends */
}

static void
reg_write(void *user, uint32_t offset, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(BAR0 + offset) = value;
}

void guest_main(void);

void
guest_main(void)
{
	static struct gvtsim_guest g;
	struct gvtsim_guest_config cfg;
	struct gvtsim_guest_layout lay;
	uint64_t frame;

	say("vguest: start\n");
	if ((cfg_read(0) & 0xffff) != 0x8086) {
		say("vguest: no vGPU at 00:03.0\n");
		return;
	}
	cfg_write(0x10, BAR0);	/* both BARs are 64-bit */
	cfg_write(0x14, 0);
	cfg_write(0x18, BAR2);
	cfg_write(0x1c, 0);
	cfg_write(0x04, cfg_read(0x04) | 0x6);	/* memory decode, bus master */
	gvtsim_guest_config_default(&cfg);
	cfg.width = 640;
	cfg.height = 480;
	cfg.cursor_size = 64;
	if (gvtsim_guest_compute_layout(&cfg, &lay) < 0 ||
	    gvtsim_guest_init(&g, &cfg, reg_write, NULL, NULL, (void *)(uintptr_t)BAR2,
			      lay.gm_size) < 0) {
		say("vguest: guest model setup failed\n");
		return;
	}
	gvtsim_guest_program_mode(&g);
	say("vguest: mode set\n");
	for (frame = 1;; frame++) {
		uint64_t t0 = rdtsc();

		/* The flip time in the block code: any value the checker
		 * can read back; 0.5 s per frame. */
		gvtsim_guest_show_frame(&g, frame, 1000000 + frame * 500000);
		say("vguest: frame\n");
		while (rdtsc() - t0 < FRAME_TSC)
			;
	}
}
