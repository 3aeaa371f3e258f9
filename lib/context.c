/* SPDX-License-Identifier: MIT */
/*
 * The library context: where sysfs and /dev live.  Tests point these at
 * fake trees; a NULL context means the real ones.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

#define DEFAULT_SYSFS_ROOT "/sys"
#define DEFAULT_DEV_ROOT "/dev"

struct gvtdmabuf_context {
	char *sysfs_root;	/* NULL: DEFAULT_SYSFS_ROOT */
	char *dev_root;		/* NULL: DEFAULT_DEV_ROOT */
};

/**
 * Create a context with the default roots ("/sys" and "/dev").
 *
 * @param ret_ctx receives the context
 * @return 0, -EINVAL for a NULL @p ret_ctx, -ENOMEM
 */
GVTDMABUF_EXPORT int
gvtdmabuf_context_create(struct gvtdmabuf_context **ret_ctx)
{
	struct gvtdmabuf_context *ctx;
	int r = 0;

	if (!ret_ctx) {
		r = -EINVAL;
		goto out;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		r = -ENOMEM;
		goto out;
	}
	*ret_ctx = ctx;
out:
	return r;
}

/**
 * Destroy a context.  NULL is accepted.
 */
GVTDMABUF_EXPORT void
gvtdmabuf_context_destroy(struct gvtdmabuf_context *ctx)
{
	if (!ctx)
		return;
	free(ctx->sysfs_root);
	free(ctx->dev_root);
	free(ctx);
}

/* Replace *slot by a copy of path without trailing slashes ("/" stays). */
static int
set_root(struct gvtdmabuf_context *ctx, char **slot, const char *path)
{
	size_t len;
	char *copy;
	int r = 0;

	if (!ctx || !path || path[0] != '/') {
		r = -EINVAL;
		goto out;
	}
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	copy = strndup(path, len);
	if (!copy) {
		r = -ENOMEM;
		goto out;
	}
	free(*slot);
	*slot = copy;
out:
	return r;
}

/**
 * Use @p path instead of "/sys".
 *
 * @return 0, -EINVAL for a NULL context, a NULL or relative path, -ENOMEM
 */
GVTDMABUF_EXPORT int
gvtdmabuf_context_set_sysfs_root(struct gvtdmabuf_context *ctx, const char *path)
{
	return set_root(ctx, ctx ? &ctx->sysfs_root : NULL, path);
}

/**
 * Use @p path instead of "/dev".
 *
 * @return 0, -EINVAL for a NULL context, a NULL or relative path, -ENOMEM
 */
GVTDMABUF_EXPORT int
gvtdmabuf_context_set_dev_root(struct gvtdmabuf_context *ctx, const char *path)
{
	return set_root(ctx, ctx ? &ctx->dev_root : NULL, path);
}

const char *
gvtdmabuf_context_sysfs_root(const struct gvtdmabuf_context *ctx)
{
	return ctx && ctx->sysfs_root ? ctx->sysfs_root : DEFAULT_SYSFS_ROOT;
}

const char *
gvtdmabuf_context_dev_root(const struct gvtdmabuf_context *ctx)
{
	return ctx && ctx->dev_root ? ctx->dev_root : DEFAULT_DEV_ROOT;
}

void
gvtdmabuf_set_error(char *errbuf, size_t errbuf_size, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || errbuf_size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errbuf_size, fmt, ap);
	va_end(ap);
}
