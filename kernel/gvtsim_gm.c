// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim BAR2: graphics memory.
 *
 * Backed by single pages allocated on first touch, so a 256 MiB vGPU needs
 * neither contiguous memory nor 256 MiB until the guest draws into it.  The
 * page array holds one reference per page; dma-buf objects take their own
 * references, which is what keeps an exported buffer readable after the
 * vGPU is gone.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "gvtsim.h"

int gvtsim_gm_init(struct gvtsim_vgpu *vgpu)
{
	vgpu->gm_npages = vgpu->type->gm_size >> PAGE_SHIFT;
	vgpu->gm_pages = kvcalloc(vgpu->gm_npages, sizeof(*vgpu->gm_pages),
				  GFP_KERNEL);
	return vgpu->gm_pages ? 0 : -ENOMEM;
}

void gvtsim_gm_fini(struct gvtsim_vgpu *vgpu)
{
	unsigned long i;

	if (!vgpu->gm_pages)
		return;
	for (i = 0; i < vgpu->gm_npages; i++)
		if (vgpu->gm_pages[i])
			put_page(vgpu->gm_pages[i]);
	kvfree(vgpu->gm_pages);
	vgpu->gm_pages = NULL;
}

/*
 * The page backing graphics memory page @idx, allocated (zeroed) if @alloc,
 * else NULL when the guest never touched it.  No reference is taken: the
 * caller takes one before dropping vgpu->lock.
 */
struct page *gvtsim_gm_get_page(struct gvtsim_vgpu *vgpu, unsigned long idx,
				bool alloc)
{
	struct page *page;

	lockdep_assert_held(&vgpu->lock);

	if (idx >= vgpu->gm_npages)
		return NULL;
	page = vgpu->gm_pages[idx];
	if (!page && alloc) {
		page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
		vgpu->gm_pages[idx] = page;
	}
	return page;
}

/* read()/write() on BAR2, a page at a time.  The page is pinned by a
 * reference and vgpu->lock dropped before touching user memory. */
ssize_t gvtsim_gm_rw(struct gvtsim_vgpu *vgpu, char __user *buf,
		     size_t count, u64 pos, bool is_write)
{
	size_t done = 0;

	if (!gvtsim_access_ok(pos, count, vgpu->type->gm_size))
		return -EINVAL;

	while (done < count) {
		u64 at = pos + done;
		unsigned long idx = at >> PAGE_SHIFT;
		size_t in_page = offset_in_page(at);
		size_t chunk = min_t(size_t, count - done, PAGE_SIZE - in_page);
		struct page *page;
		unsigned long left;
		void *va;

		mutex_lock(&vgpu->lock);
		page = gvtsim_gm_get_page(vgpu, idx, is_write);
		if (page)
			get_page(page);
		mutex_unlock(&vgpu->lock);

		if (!page) {
			if (is_write)
				return done ? done : -ENOMEM;
			/* Never written: reads as zeros, stays unallocated. */
			left = clear_user(buf + done, chunk);
		} else {
			va = kmap_local_page(page);
			if (is_write)
				left = copy_from_user(va + in_page, buf + done, chunk);
			else
				left = copy_to_user(buf + done, va + in_page, chunk);
			kunmap_local(va);
			put_page(page);
		}
		if (left)
			return done ? done : -EFAULT;
		done += chunk;
	}
	return count;
}

static vm_fault_t gvtsim_gm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gvtsim_vgpu *vgpu = vma->vm_private_data;
	unsigned long base = VFIO_PCI_BAR2_REGION_INDEX <<
			     (GVTSIM_OFFSET_SHIFT - PAGE_SHIFT);
	unsigned long idx;
	struct page *page;

	if (vmf->pgoff < base)
		return VM_FAULT_SIGBUS;
	idx = vmf->pgoff - base;

	mutex_lock(&vgpu->lock);
	if (idx >= vgpu->gm_npages) {
		mutex_unlock(&vgpu->lock);
		return VM_FAULT_SIGBUS;
	}
	page = gvtsim_gm_get_page(vgpu, idx, true);
	if (page)
		get_page(page);
	mutex_unlock(&vgpu->lock);

	if (!page)
		return VM_FAULT_OOM;
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct gvtsim_gm_vm_ops = {
	.fault = gvtsim_gm_fault,
};

/* mmap of BAR2 through the device fd.  The vma keeps the device file open,
 * so the vGPU (and its page array) outlives every mapping. */
int gvtsim_gm_mmap(struct gvtsim_vgpu *vgpu, struct vm_area_struct *vma)
{
	unsigned long first = vma->vm_pgoff &
			      (GVTSIM_OFFSET_MASK >> PAGE_SHIFT);
	unsigned long npages = vma_pages(vma);

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (first >= vgpu->gm_npages || npages > vgpu->gm_npages - first)
		return -EINVAL;

	vma->vm_ops = &gvtsim_gm_vm_ops;
	vma->vm_private_data = vgpu;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
#endif
	return 0;
}
