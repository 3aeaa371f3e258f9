/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int n_test, n_fail;

bool tap_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	n_fail += !cond;
	printf("%s %d - ", cond ? "ok" : "not ok", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	/* The harness reads the output while the program still runs. */
	fflush(stdout);
	return cond;
}

void tap_note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", n_test, n_test - n_fail, n_fail);
	fflush(stdout);
	return n_fail ? 1 : 0;
}
