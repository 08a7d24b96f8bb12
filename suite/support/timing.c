/* timing.c - see timing.h. */
#include <time.h>

#include "fixture.h"
#include "timing.h"

long timing_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

long timing_allowance_ms(void)
{
	return fixture_valgrind() ? 10000 : 1000;
}
