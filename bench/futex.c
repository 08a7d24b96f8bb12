/*
 * futex.c - a futex wake round trip: the floor of any blocking handoff.
 *
 * One 32-bit word in memory shared by the two processes. The client writes
 * an odd value, wakes the server (FUTEX_WAKE) and sleeps (FUTEX_WAIT) until
 * the server has written the next even value and woken it. Neither side
 * spins: every half of a round trip is a store, a wake and a sleep, the
 * least a handoff costs when the other side is asleep in the kernel, which
 * is what a semaphore or a message queue does underneath. The word is the
 * payload, checked by each side. Every sleep is bounded by the case's bound.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

struct word {
	_Atomic uint32_t value;    /* the round trip's counter, mod 2^32 */
	_Atomic uint32_t last;     /* 1: the client's current round is the last */
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *bound)
{
	/* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
	return syscall(SYS_futex, addr, op, val, bound, NULL, 0);
}

static int handoff(struct bench_run *r, struct word *w, uint32_t give, uint32_t want)
{
	struct timespec bound = bench_timeout(r);
	uint32_t v;

	atomic_store(&w->value, give);
	if (futex(&w->value, FUTEX_WAKE, 1, NULL) < 0)
		return bench_fail(r, "futex(FUTEX_WAKE): %s", strerror(errno));
	while ((v = atomic_load(&w->value)) != want) {
		/* Sleeps only while the word still holds v: no wake-up is lost. */
		if (futex(&w->value, FUTEX_WAIT, v, &bound) < 0 && errno != EAGAIN &&
		    errno != EINTR)
			return bench_fail(r, "futex(FUTEX_WAIT) for %u, the word holds %u: %s",
					  want, v, strerror(errno));
	}
	return 0;
}

static int client(struct bench_run *r, void *arg)
{
	struct word *w = arg;
	int last = 0;

	for (uint32_t seq = 0; !last; seq++) {
		last = bench_last(r, seq);
		atomic_store(&w->last, (uint32_t)last);
		if (handoff(r, w, 2 * seq + 1, 2 * seq + 2) < 0)
			return -1;
		bench_lap(r);
	}
	return 0;
}

static int server(struct bench_run *r, void *arg)
{
	struct word *w = arg;
	struct timespec bound = bench_timeout(r);
	uint32_t v;

	/* The first wait, then each handoff waits for the next odd value. */
	while ((v = atomic_load(&w->value)) != 1)
		if (futex(&w->value, FUTEX_WAIT, v, &bound) < 0 && errno != EAGAIN && errno != EINTR)
			return bench_fail(r, "futex(FUTEX_WAIT) for 1: %s", strerror(errno));
	for (uint32_t seq = 0;; seq++) {
		int last = atomic_load(&w->last) != 0;

		if (last) {
			atomic_store(&w->value, 2 * seq + 2);
			futex(&w->value, FUTEX_WAKE, 1, NULL);
			return 0;
		}
		if (handoff(r, w, 2 * seq + 2, 2 * seq + 3) < 0)
			return -1;
	}
}

int bench_futex(const struct bench_case *c, struct bench_sample *s)
{
	struct word *w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rc;

	if (w == MAP_FAILED) {
		snprintf(s->error, sizeof(s->error), "mmap: %m");
		return -1;
	}
	atomic_init(&w->value, 0);
	atomic_init(&w->last, 0);
	s->capacity = 1;
	rc = bench_pair(c, s, NULL, client, server, w);
	munmap(w, sizeof(*w));
	return rc;
}
