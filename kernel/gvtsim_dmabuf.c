// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim dma-buf export.
 *
 * Like i915 GVT-g (gvt/dmabuf.c): QUERY_GFX_PLANE names a surface by a
 * dmabuf_id; the id belongs to a gvtsim_dmabuf_obj kept on the vGPU's list
 * while (surface address, size, modifier, format, width, height) are
 * unchanged.  Each GET_GFX_DMABUF exports a new dma-buf of that object (a
 * fresh fd every call).  The object is refcounted: the list holds one
 * reference, every exported dma-buf one more, and the object holds a
 * reference on each page of the surface.  Closing or destroying the vGPU
 * only unlinks the objects (mbochs' "unlinked" pattern), so buffers
 * already handed out stay valid and readable.
 *
 * Id life cycle, as i915's: a new object takes the lowest free id from 1
 * (idr_alloc(..., 1, 0, ...)) and is "held by the query" (i915's
 * initref) until its first GET_GFX_DMABUF; a later query of the same
 * surface holds it again.  An object neither held by a query nor exported
 * any more is freed, and its id is free for the next new surface: i915
 * frees it when the last dma-buf goes (dmabuf_gem_object_free); gvtsim
 * notices at the next ioctl that looks ids up, which user space cannot
 * tell apart.  Closing the device frees every id (i915:
 * intel_vgpu_dmabuf_cleanup).  monotonic_ids=1 keeps objects until they
 * fall off the max_dmabufs list or the device closes, and never hands an
 * id out twice while the vGPU exists.
 *
 * The CPU cannot map an i915 GVT-g dma-buf: its GEM object has no shmem
 * file (drm_gem_private_object_init), so i915_gem_dmabuf_mmap() is
 * -ENODEV, and its pages have no struct page, so vmap
 * (i915_gem_object_pin_map()) fails with -ENXIO.  gvtsim refuses both
 * unless dmabuf_mmap=1.  begin/end_cpu_access (DMA_BUF_IOCTL_SYNC)
 * succeed, as on i915.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/version.h>

#include "gvtsim.h"

struct gvtsim_dmabuf_obj {
	struct kref ref;
	struct list_head link;	/* on vgpu->dmabufs while linked */
	u32 id;
	bool held;		/* by a query, until the next export (i915's initref) */

	/* what identifies the surface */
	u64 gm_offset;
	u32 size;
	u64 modifier;
	u32 drm_format;
	u32 width;
	u32 height;

	struct page **pages;	/* one reference each */
	unsigned long npages;
};

static void obj_release(struct kref *ref)
{
	struct gvtsim_dmabuf_obj *obj =
		container_of(ref, struct gvtsim_dmabuf_obj, ref);
	unsigned long i;

	for (i = 0; i < obj->npages; i++)
		put_page(obj->pages[i]);
	kvfree(obj->pages);
	kfree(obj);
}

static void obj_put(struct gvtsim_dmabuf_obj *obj)
{
	kref_put(&obj->ref, obj_release);
}

static void obj_unlink(struct gvtsim_vgpu *vgpu, struct gvtsim_dmabuf_obj *obj)
{
	lockdep_assert_held(&vgpu->lock);

	list_del_init(&obj->link);
	vgpu->n_dmabufs--;
	obj_put(obj);
}

static bool obj_matches(const struct gvtsim_dmabuf_obj *obj,
			const struct gvtsim_plane *plane)
{
	return obj->gm_offset == plane->gm_offset &&
	       obj->size == plane->size &&
	       obj->modifier == plane->modifier &&
	       obj->drm_format == plane->drm_format &&
	       obj->width == plane->width &&
	       obj->height == plane->height;
}

/* A new object referencing the surface's pages (allocated if the guest
 * never touched them). */
static struct gvtsim_dmabuf_obj *obj_create(struct gvtsim_vgpu *vgpu,
					    const struct gvtsim_plane *plane)
{
	struct gvtsim_dmabuf_obj *obj;
	unsigned long first, i;
	u64 end;

	lockdep_assert_held(&vgpu->lock);

	/* The decoder checked these; a buffer is only ever built from
	 * values checked here again, since they come from the guest. */
	if (!plane->size || !PAGE_ALIGNED(plane->gm_offset) ||
	    !PAGE_ALIGNED((u64)plane->size) ||
	    check_add_overflow(plane->gm_offset, (u64)plane->size, &end) ||
	    end > vgpu->type->gm_size)
		return ERR_PTR(-EFAULT);

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	kref_init(&obj->ref);
	INIT_LIST_HEAD(&obj->link);
	obj->gm_offset = plane->gm_offset;
	obj->size = plane->size;
	obj->modifier = plane->modifier;
	obj->drm_format = plane->drm_format;
	obj->width = plane->width;
	obj->height = plane->height;

	obj->pages = kvcalloc(plane->size >> PAGE_SHIFT, sizeof(*obj->pages),
			      GFP_KERNEL);
	if (!obj->pages)
		goto err_free_obj;

	first = plane->gm_offset >> PAGE_SHIFT;
	for (i = 0; i < (plane->size >> PAGE_SHIFT); i++) {
		struct page *page = gvtsim_gm_get_page(vgpu, first + i, true);

		if (!page)
			goto err_put_pages;
		get_page(page);
		obj->pages[i] = page;
		obj->npages++;
	}
	return obj;

err_put_pages:
	for (i = 0; i < obj->npages; i++)
		put_page(obj->pages[i]);
	kvfree(obj->pages);
err_free_obj:
	kfree(obj);
	return ERR_PTR(-ENOMEM);
}

static bool id_in_use(struct gvtsim_vgpu *vgpu, u32 id)
{
	struct gvtsim_dmabuf_obj *obj;

	list_for_each_entry(obj, &vgpu->dmabufs, link)
		if (obj->id == id)
			return true;
	return false;
}

/* The lowest free id from 1, as i915's idr_alloc(..., 1, 0, ...); or,
 * with monotonic_ids, the next one after the last handed out (skipping
 * ids still on the list, should the parameter have changed meanwhile).
 * The list is far shorter than 2^32: a free id is always found. */
static u32 alloc_id(struct gvtsim_vgpu *vgpu)
{
	u32 id;

	lockdep_assert_held(&vgpu->lock);

	if (READ_ONCE(gvtsim_param_monotonic_ids)) {
		do {
			id = vgpu->next_dmabuf_id++;
			if (!vgpu->next_dmabuf_id)	/* 0 is never an id */
				vgpu->next_dmabuf_id = 1;
		} while (!id || id_in_use(vgpu, id));
		return id;
	}
	for (id = 1; id_in_use(vgpu, id); id++)
		;
	return id;
}

/*
 * Free the objects that nothing holds any more: not held by a query, and
 * no exported dma-buf left (the list's reference is the only one).  A
 * reference is only ever taken under vgpu->lock, so one seen as the last
 * stays the last; a dma-buf released concurrently is freed next time.
 */
static void reap_unused(struct gvtsim_vgpu *vgpu)
{
	struct gvtsim_dmabuf_obj *obj, *tmp;

	lockdep_assert_held(&vgpu->lock);

	if (READ_ONCE(gvtsim_param_monotonic_ids))
		return;
	list_for_each_entry_safe(obj, tmp, &vgpu->dmabufs, link)
		if (!obj->held && kref_read(&obj->ref) == 1)
			obj_unlink(vgpu, obj);
}

/*
 * Which object makes room when the list is full: the least recently
 * queried one.  With lowest-free ids only one without an exported dma-buf:
 * unlinking an exported object frees its id while its buffers live on, so
 * the id could name another surface while user space still holds (and
 * caches) the old one, which i915, having no bound, never does.  The list
 * then grows past the bound, by no more than the buffers user space holds.
 */
static struct gvtsim_dmabuf_obj *evict_candidate(struct gvtsim_vgpu *vgpu)
{
	struct gvtsim_dmabuf_obj *obj;

	lockdep_assert_held(&vgpu->lock);

	if (list_empty(&vgpu->dmabufs))
		return NULL;
	if (READ_ONCE(gvtsim_param_monotonic_ids))
		return list_last_entry(&vgpu->dmabufs, struct gvtsim_dmabuf_obj, link);
	list_for_each_entry_reverse(obj, &vgpu->dmabufs, link)
		if (kref_read(&obj->ref) == 1)
			return obj;
	return NULL;
}

/*
 * The dmabuf_id of the surface @plane describes: the existing one if the
 * surface is unchanged, else a new object.  The list is bounded by
 * gvtsim_max_dmabufs (i915 has no bound); the least recently queried
 * object is unlinked first (its exported buffers stay valid, its id
 * becomes unknown), with lowest-free ids only one nobody holds a dma-buf of.
 */
int gvtsim_dmabuf_lookup(struct gvtsim_vgpu *vgpu,
			 const struct gvtsim_plane *plane, u32 *ret_id)
{
	struct gvtsim_dmabuf_obj *obj;

	lockdep_assert_held(&vgpu->lock);

	reap_unused(vgpu);
	list_for_each_entry(obj, &vgpu->dmabufs, link) {
		if (obj_matches(obj, plane)) {
			list_move(&obj->link, &vgpu->dmabufs);
			obj->held = true;
			*ret_id = obj->id;
			return 0;
		}
	}

	obj = obj_create(vgpu, plane);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	while (vgpu->n_dmabufs >= max(READ_ONCE(gvtsim_max_dmabufs), 1u)) {
		struct gvtsim_dmabuf_obj *victim = evict_candidate(vgpu);

		if (!victim)
			break;
		obj_unlink(vgpu, victim);
	}

	obj->id = alloc_id(vgpu);
	obj->held = true;
	list_add(&obj->link, &vgpu->dmabufs);
	vgpu->n_dmabufs++;
	*ret_id = obj->id;
	return 0;
}

/* Drop the list's references: ids become unknown, exported buffers live
 * on.  Called on close and on destroy. */
void gvtsim_dmabuf_unlink_all(struct gvtsim_vgpu *vgpu)
{
	struct gvtsim_dmabuf_obj *obj, *tmp;

	lockdep_assert_held(&vgpu->lock);

	list_for_each_entry_safe(obj, tmp, &vgpu->dmabufs, link)
		obj_unlink(vgpu, obj);
}

/* ---- dma_buf_ops ---- */

static struct sg_table *gvtsim_map_dma_buf(struct dma_buf_attachment *at,
					   enum dma_data_direction dir)
{
	struct gvtsim_dmabuf_obj *obj = at->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, obj->pages, obj->npages, 0,
					(unsigned long)obj->npages << PAGE_SHIFT,
					GFP_KERNEL);
	if (ret)
		goto err_free_sgt;
	ret = dma_map_sgtable(at->dev, sgt, dir, 0);
	if (ret)
		goto err_free_table;
	return sgt;

err_free_table:
	sg_free_table(sgt);
err_free_sgt:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void gvtsim_unmap_dma_buf(struct dma_buf_attachment *at,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	dma_unmap_sgtable(at->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void gvtsim_dmabuf_release(struct dma_buf *buf)
{
	obj_put(buf->priv);
}

static vm_fault_t gvtsim_dmabuf_fault(struct vm_fault *vmf)
{
	struct gvtsim_dmabuf_obj *obj = vmf->vma->vm_private_data;

	if (vmf->pgoff >= obj->npages)
		return VM_FAULT_SIGBUS;
	vmf->page = obj->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct gvtsim_dmabuf_vm_ops = {
	.fault = gvtsim_dmabuf_fault,
};

/* The mapping holds the dma-buf's file, which holds the object. */
static int gvtsim_dmabuf_mmap(struct dma_buf *buf, struct vm_area_struct *vma)
{
	struct gvtsim_dmabuf_obj *obj = buf->priv;

	/* i915_gem_dmabuf_mmap(): a mapping larger than the object is
	 * -EINVAL, then an object without a shmem file is -ENODEV. */
	if (vma_pages(vma) > obj->npages)
		return -EINVAL;
	if (!READ_ONCE(gvtsim_param_dmabuf_mmap))
		return -ENODEV;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= obj->npages ||
	    vma_pages(vma) > obj->npages - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_ops = &gvtsim_dmabuf_vm_ops;
	vma->vm_private_data = obj;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
#endif
	return 0;
}

/*
 * The pages are ordinary cacheable system memory, written by the CPU
 * (the "guest") through cacheable mappings: nothing to flush on x86.
 * Device mappings made by map_dma_buf use the streaming DMA API, which
 * does its own maintenance at map/unmap time.
 */
static int gvtsim_begin_cpu_access(struct dma_buf *buf,
				   enum dma_data_direction dir)
{
	return 0;
}

static int gvtsim_end_cpu_access(struct dma_buf *buf,
				 enum dma_data_direction dir)
{
	return 0;
}

static int gvtsim_dmabuf_vmap(struct dma_buf *buf, struct iosys_map *map)
{
	struct gvtsim_dmabuf_obj *obj = buf->priv;
	void *vaddr;

	if (!READ_ONCE(gvtsim_param_dmabuf_mmap))
		return -ENXIO;	/* i915_gem_object_pin_map() without struct pages */
	vaddr = vmap(obj->pages, obj->npages, VM_MAP, PAGE_KERNEL);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void gvtsim_dmabuf_vunmap(struct dma_buf *buf, struct iosys_map *map)
{
	vunmap(map->vaddr);
}

static const struct dma_buf_ops gvtsim_dmabuf_ops = {
	.map_dma_buf = gvtsim_map_dma_buf,
	.unmap_dma_buf = gvtsim_unmap_dma_buf,
	.release = gvtsim_dmabuf_release,
	.mmap = gvtsim_dmabuf_mmap,
	.begin_cpu_access = gvtsim_begin_cpu_access,
	.end_cpu_access = gvtsim_end_cpu_access,
	.vmap = gvtsim_dmabuf_vmap,
	.vunmap = gvtsim_dmabuf_vunmap,
};

/* VFIO_DEVICE_GET_GFX_DMABUF: a new dma-buf fd of object @id. */
int gvtsim_dmabuf_get_fd(struct gvtsim_vgpu *vgpu, u32 id)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct gvtsim_dmabuf_obj *obj, *found = NULL;
	struct dma_buf *buf;
	int fd;

	mutex_lock(&vgpu->lock);
	reap_unused(vgpu);
	list_for_each_entry(obj, &vgpu->dmabufs, link) {
		if (obj->id == id) {
			found = obj;
			kref_get(&found->ref);
			/* As i915: the first export takes over from the
			 * query's hold; if it fails below, the next ioctl
			 * frees the object like any unused one. */
			found->held = false;
			break;
		}
	}
	mutex_unlock(&vgpu->lock);
	if (!found) {
		dev_dbg_ratelimited(gvtsim_dev(vgpu),
				    "GET_GFX_DMABUF: unknown dmabuf_id %u\n", id);
		return -EINVAL;
	}

	exp.ops = &gvtsim_dmabuf_ops;
	exp.size = (size_t)found->npages << PAGE_SHIFT;
	exp.flags = O_RDWR;
	exp.priv = found;
	buf = dma_buf_export(&exp);
	if (IS_ERR(buf)) {
		obj_put(found);
		return PTR_ERR(buf);
	}

	/* From here the dma-buf owns the reference: its release drops it. */
	fd = dma_buf_fd(buf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(buf);
	return fd;
}
