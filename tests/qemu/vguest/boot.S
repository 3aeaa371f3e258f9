/* SPDX-License-Identifier: MIT */
/*
 * vguest's entry: a Multiboot image (the address kludge, so QEMU's -kernel
 * loads the flat binary at 1 MiB) that goes from 32-bit protected mode to
 * long mode with the first 4 GiB identity-mapped in 2 MiB pages (the
 * vGPU's BARs live below 4 GiB) and SSE enabled (the compiler may use it),
 * then calls guest_main().
 */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00010000
	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header
	.long mb_header
	.long _load_end
	.long _bss_end
	.long entry32

	.section .text32, "ax"
	.code32
	.globl entry32
entry32:
	cli
	mov $stack_top, %esp
	/* PML4[0] -> PDPT, PDPT[k] -> PD k, PD k [i] -> k GiB + i * 2 MiB */
	mov $pdpt, %eax
	or $3, %eax
	mov %eax, pml4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $pd, %eax
	or $3, %eax
	mov %eax, pdpt(,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, pd(,%ecx,8)
	mov %ecx, %edx
	shr $11, %edx
	mov %edx, pd+4(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b
	mov $pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x620, %eax		/* PAE, OSFXSR, OSXMMEXCPT */
	mov %eax, %cr4
	mov $0xC0000080, %ecx
	rdmsr
	or $0x100, %eax		/* LME */
	wrmsr
	mov %cr0, %eax
	and $~0x4, %eax		/* no EM */
	or $0x80000003, %eax	/* PG, PE, MP */
	mov %eax, %cr0
	lgdt gdt_ptr
	ljmp $0x08, $entry64

	.code64
entry64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $stack_top, %rsp
	call guest_main
3:	hlt
	jmp 3b

	.section .rodata
	.align 8
gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF
	.quad 0x00CF92000000FFFF
gdt_ptr:
	.word 23
	.long gdt

	.section .bss
	.align 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
stack:	.skip 65536
stack_top:

	.section .note.GNU-stack, "", @progbits
