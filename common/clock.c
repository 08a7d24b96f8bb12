/*
 * clock.c - deadlines for bounded waits.
 *
 * SysV: semtimedop(2) takes a relative timeout, so after EINTR the caller
 * recomputes what is left of an absolute CLOCK_MONOTONIC deadline.
 * POSIX: sem_timedwait(3) and mq_timedreceive(3) take an absolute
 * CLOCK_REALTIME deadline, which survives EINTR as it is.
 *
 * struct ipcmp_until dates a call's deadline when the call first has to
 * wait: a call that finds its message or its room at once reads no clock
 * (a clock read is some 20 ns, a tenth of a cheap system call).
 */
#include <errno.h>
#include <time.h>

#include "ipcmp.h"

static void add_ms(struct timespec *t, int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void ipcmp_deadline(struct timespec *abs, clockid_t clock, int timeout_ms)
{
	clock_gettime(clock, abs);
	add_ms(abs, timeout_ms);
}

const struct timespec *ipcmp_until_date(struct ipcmp_until *u)
{
	if (!u->dated) {
		ipcmp_deadline(&u->at, u->clock, u->timeout_ms);
		u->dated = 1;
	}
	return &u->at;
}

void ipcmp_until_extend(struct ipcmp_until *u, const struct timespec *from, int ms)
{
	u->at = *from;
	add_ms(&u->at, ms);
	u->dated = 1;
}

struct timespec ipcmp_until_slice(struct ipcmp_until *u, int slice_ms)
{
	struct timespec t;

	clock_gettime(u->clock, &t);
	if (!u->dated)
		ipcmp_until_extend(u, &t, u->timeout_ms);
	add_ms(&t, slice_ms);
	return before(&u->at, &t) ? u->at : t;
}

int ipcmp_until_passed(struct ipcmp_until *u)
{
	struct timespec left;

	return ipcmp_remaining(ipcmp_until_date(u), u->clock, &left) < 0;
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

int ipcmp_try_first(unsigned *pause)
{
	if (*pause == 0)
		return 1;
	--*pause;
	return 0;
}
