/* SPDX-License-Identifier: MIT */
/*
 * TAP output for the test programs that run inside VMs or beside QEMU,
 * where GLib's g_test is not at hand (static guests) or one failed check
 * must not end the run.
 */
#ifndef GVT_TESTS_TAP_H
#define GVT_TESTS_TAP_H

#include <stdbool.h>

/* Print "ok N - ..." or "not ok N - ..."; returns cond. */
bool tap_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a "# ..." diagnostic line. */
void tap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the plan and the tally; the exit status (0 when nothing failed). */
int tap_done(void);

#endif
