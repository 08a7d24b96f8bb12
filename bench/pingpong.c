/*
 * pingpong.c - a cache line bounced between two CPUs: the floor of any
 * shared-memory handoff.
 *
 * One 64-bit counter alone on its cache line, in memory shared by the two
 * processes. The client writes an odd value and spins until the server has
 * written the next even one; each round trip moves the line to the other
 * CPU and back, and nothing else. No system call, no sleep: both sides
 * spin, so this is what a lock-free ring costs when both sides are busy.
 * The counter is the payload: each side checks it is exactly the value it
 * waits for. A spin is bounded: the clock is read every 2^20 turns, and a
 * peer silent for the case's bound fails the case.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#include "bench.h"

struct line {
	_Alignas(64) _Atomic uint64_t value;     /* BENCH_LAST set in the last round */
	char pad[64 - sizeof(uint64_t)];
};

/* Waits until the line holds want (with or without BENCH_LAST). */
static int await(struct bench_run *r, struct line *l, uint64_t want, uint64_t *got)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long spin = 1;; spin++) {
		/* acquire: pairs with the peer's release, as a ring's index would */
		*got = atomic_load_explicit(&l->value, memory_order_acquire);
		if ((*got & ~BENCH_LAST) == want)
			return 0;
		if ((spin & ((1ul << 20) - 1)) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > bench_case_of(r)->timeout_ms / 1000)
				return bench_fail(r, "peer silent: the line holds %llu, not %llu",
						  (unsigned long long)*got, (unsigned long long)want);
		}
	}
}

static int client(struct bench_run *r, void *arg)
{
	struct line *l = arg;
	uint64_t got;
	int last = 0;

	for (uint64_t seq = 0; !last; seq++) {
		last = bench_last(r, seq);
		atomic_store_explicit(&l->value, (2 * seq + 1) | (last ? BENCH_LAST : 0),
				      memory_order_release);
		if (await(r, l, 2 * seq + 2, &got) < 0)
			return -1;
		bench_lap(r);
	}
	return 0;
}

static int server(struct bench_run *r, void *arg)
{
	struct line *l = arg;
	uint64_t got = 0;

	for (uint64_t seq = 0; !(got & BENCH_LAST); seq++) {
		if (await(r, l, 2 * seq + 1, &got) < 0)
			return -1;
		atomic_store_explicit(&l->value, 2 * seq + 2, memory_order_release);
	}
	return 0;
}

int bench_pingpong(const struct bench_case *c, struct bench_sample *s)
{
	struct line *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rc;

	if (l == MAP_FAILED) {
		snprintf(s->error, sizeof(s->error), "mmap: %m");
		return -1;
	}
	atomic_init(&l->value, 0);
	s->capacity = 1;
	rc = bench_pair(c, s, NULL, client, server, l);
	munmap(l, sizeof(*l));
	return rc;
}
