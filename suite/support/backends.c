/*
 * backends.c - one Criterion suite per backend, named after it.
 *
 * The timeout counts the worker's start-up and valgrind's 20-50x slowdown;
 * the tests' own waits (fixture_wait_ms) run out well before it.
 */
#include "backends.h"

#define SUITE_(suite, ops_sym, unused) TestSuite(suite, .timeout = 180);
IPCMP_SUITE_BACKENDS(SUITE_, ~)
