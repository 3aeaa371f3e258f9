// SPDX-License-Identifier: GPL-2.0
/*
 * gvtsim dma-buf export.
 *
 * Like i915 GVT-g: QUERY_GFX_PLANE names a surface by a dmabuf_id; the id
 * belongs to a gvtsim_dmabuf_obj kept on the vGPU's list while (surface
 * address, size, modifier, format, width, height) are unchanged.  Each
 * GET_GFX_DMABUF exports a new dma-buf of that object (a fresh fd every
 * call).  The object is refcounted: the list holds one reference, every
 * exported dma-buf one more, and the object holds a reference on each page
 * of the surface.  Closing or destroying the vGPU only unlinks the objects
 * (mbochs' "unlinked" pattern), so buffers already handed out stay valid
 * and readable.
 *
 * Ids grow monotonically and are never reused while the vGPU exists, so a
 * user-space cache keyed by id never maps an id to the wrong surface.
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

/*
 * The dmabuf_id of the surface @plane describes: the existing one if the
 * surface is unchanged, else a new object.  The list is bounded by
 * gvtsim_max_dmabufs; the least recently queried object is unlinked first
 * (its exported buffers stay valid, its id becomes unknown).
 */
int gvtsim_dmabuf_lookup(struct gvtsim_vgpu *vgpu,
			 const struct gvtsim_plane *plane, u32 *ret_id)
{
	struct gvtsim_dmabuf_obj *obj;

	lockdep_assert_held(&vgpu->lock);

	list_for_each_entry(obj, &vgpu->dmabufs, link) {
		if (obj_matches(obj, plane)) {
			list_move(&obj->link, &vgpu->dmabufs);
			*ret_id = obj->id;
			return 0;
		}
	}

	obj = obj_create(vgpu, plane);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	while (vgpu->n_dmabufs >= max(READ_ONCE(gvtsim_max_dmabufs), 1u))
		obj_unlink(vgpu, list_last_entry(&vgpu->dmabufs,
						 struct gvtsim_dmabuf_obj, link));

	obj->id = vgpu->next_dmabuf_id++;
	if (!vgpu->next_dmabuf_id)	/* 0 is never an id */
		vgpu->next_dmabuf_id = 1;
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
	list_for_each_entry(obj, &vgpu->dmabufs, link) {
		if (obj->id == id) {
			found = obj;
			kref_get(&found->ref);
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
