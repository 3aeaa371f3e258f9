/* SPDX-License-Identifier: MIT */
/* Helpers the unit tests share: fake sysfs and /dev trees on disk. */
#ifndef GVTDMABUF_TEST_UTIL_H
#define GVTDMABUF_TEST_UTIL_H

/* Remove @path and everything below it; symlinks are removed, not
 * followed.  Returns what the final rmdir() returns. */
int test_rm_rf(const char *path);

#endif
