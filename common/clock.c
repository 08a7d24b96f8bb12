/*
 * clock.c - deadlines for bounded waits.
 *
 * SysV: semtimedop(2) takes a relative timeout, so after EINTR the caller
 * recomputes what is left of an absolute CLOCK_MONOTONIC deadline.
 * POSIX: sem_timedwait(3) and mq_timedreceive(3) take an absolute
 * CLOCK_REALTIME deadline, which survives EINTR as it is.
 */
#include <errno.h>
#include <time.h>

#include "ipcmp.h"

void ipcmp_deadline(struct timespec *abs, clockid_t clock, int timeout_ms)
{
	clock_gettime(clock, abs);
	abs->tv_sec += timeout_ms / 1000;
	abs->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (abs->tv_nsec >= 1000000000L) {
		abs->tv_sec++;
		abs->tv_nsec -= 1000000000L;
	}
}

int ipcmp_remaining(const struct timespec *abs, clockid_t clock, struct timespec *left)
{
	struct timespec now;

	clock_gettime(clock, &now);
	left->tv_sec = abs->tv_sec - now.tv_sec;
	left->tv_nsec = abs->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	if (left->tv_sec < 0 || (left->tv_sec == 0 && left->tv_nsec == 0))
		return -ETIMEDOUT;
	return 0;
}

/* The whole of *t, whatever signal handlers run meanwhile (nanosleep
 * returns early with EINTR and what is left). */
void ipcmp_sleep(const struct timespec *t)
{
	struct timespec left = *t;

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}
