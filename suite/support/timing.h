/*
 * timing.h - bounded waits checked against their bounds.
 *
 * ipcmp.h promises that a call with timeout_ms > 0 that runs out returns
 * no earlier than timeout_ms and within timeout_ms + IPCMP_TIMEOUT_MARGIN_MS
 * "on an idle machine". The suite runs on loaded machines and under
 * valgrind, so the upper bound gets a wide scheduling allowance on top of
 * the margin; the lower bound gets none: a timeout that comes early is a
 * bug on any machine.
 */
#ifndef SUITE_TIMING_H
#define SUITE_TIMING_H

#include <criterion/criterion.h>
#include "asserts.h"

long timing_now_ms(void);                  /* CLOCK_MONOTONIC */
/* What the scheduler may add to any wait: 1 s natively, 10 s under valgrind. */
long timing_allowance_ms(void);

/* A call that ran out after `took` ms of a timeout_ms wait: took >= timeout_ms
 * and took < timeout_ms + IPCMP_TIMEOUT_MARGIN_MS + timing_allowance_ms(). */
#define timing_assert_expired(took, timeout_ms, backend, what) \
	do { \
		long took_ = (took), bound_ = (timeout_ms) + IPCMP_TIMEOUT_MARGIN_MS + \
					     timing_allowance_ms(); \
		cr_assert(ge(long, took_, (long)(timeout_ms)), \
			  "%s: %s: returned after %ld ms, before its %d ms timeout", \
			  (backend), (what), took_, (int)(timeout_ms)); \
		cr_assert(lt(long, took_, bound_), \
			  "%s: %s: returned after %ld ms, %d ms timeout: bound %ld ms", \
			  (backend), (what), took_, (int)(timeout_ms), bound_); \
	} while (0)

#endif
