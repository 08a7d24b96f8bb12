/*
 * spsc_ring.c - a single-producer single-consumer ring with C11 atomics,
 * a bounded spin and then a futex wait: the baseline for a lock-free
 * backend, and what shared memory gives when no semaphore stands between
 * the two sides.
 *
 * Shared memory (an anonymous MAP_SHARED mapping, inherited over fork):
 *   line 0   head: messages published, written by the producer only;
 *            producer_asleep, written by the producer only
 *   line 1   tail: messages consumed, written by the consumer only;
 *            consumer_asleep, written by the consumer only
 *   slots    capacity x [length][bytes], capacity a power of two
 * Each line is written by one side only, so the two sides never fight for
 * a line they both write (false sharing); a side reads the other's line
 * once per message, or while it spins.
 *
 * A side that finds the ring full (empty) spins a while re-reading the
 * other's index, then says it sleeps (its flag) and sleeps on the other's
 * index with FUTEX_WAIT, bounded by the case's bound. A side that moves its
 * index wakes the other only when that one said it sleeps, so a busy ring
 * makes no system call at all.
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

#define SPINS 2000                 /* re-reads of the other index before sleeping */

struct ring {
	_Alignas(64) _Atomic uint32_t head;
	_Atomic uint32_t producer_asleep;
	_Alignas(64) _Atomic uint32_t tail;
	_Atomic uint32_t consumer_asleep;
	_Alignas(64) unsigned char slots[];
};

struct rings {
	struct ring *ring[2];      /* NULL: none */
	size_t capacity, stride, bytes;
	uint32_t next[2];          /* in a side: its own index on each ring */
};

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause");
#endif
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *bound)
{
	return syscall(SYS_futex, addr, op, val, bound, NULL, 0);
}

/*
 * Waits until the ring has room (full: the producer) or a message (the
 * consumer), judged from the other side's index. The
 * sleeper's flag store and the waker's index store are both seq_cst, and so
 * are the loads after them (Dekker): either the waker sees the flag and
 * wakes, or the sleeper sees the new index and does not sleep. With release
 * and acquire only, each could read the old value of the other's store (a
 * store-load reordering, allowed on x86 too) and the sleeper would sleep
 * through its wake-up until the bound.
 */
static int wait_for(struct bench_run *r, _Atomic uint32_t *other, _Atomic uint32_t *asleep,
		    uint32_t mine, size_t cap, int full)
{
	struct timespec bound = bench_timeout(r);

	for (;;) {
		for (int i = 0; i < SPINS; i++) {
			/* acquire: the slot contents the other side wrote before its
			 * index are visible once we see the index */
			uint32_t o = atomic_load_explicit(other, memory_order_acquire);

			if (full ? (uint32_t)(mine - o) < cap : o != mine)
				return 0;
			relax();
		}
		atomic_store(asleep, 1);
		uint32_t o = atomic_load(other);

		if (full ? (uint32_t)(mine - o) < cap : o != mine) {
			atomic_store(asleep, 0);
			return 0;
		}
		if (futex(other, FUTEX_WAIT, o, &bound) < 0 && errno != EAGAIN && errno != EINTR) {
			atomic_store(asleep, 0);
			return bench_fail(r, "futex(FUTEX_WAIT): %s", strerror(errno));
		}
		atomic_store(asleep, 0);
	}
}

static void publish(_Atomic uint32_t *mine, uint32_t value, _Atomic uint32_t *peer_asleep)
{
	atomic_store(mine, value);         /* seq_cst: see wait_for */
	if (atomic_load(peer_asleep))
		futex(mine, FUTEX_WAKE, 1, NULL);
}

static int ring_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct rings *rs = t;
	struct ring *g = rs->ring[dir];
	uint32_t h = rs->next[dir];
	unsigned char *slot = g->slots + (h & (rs->capacity - 1)) * rs->stride;
	uint64_t n = len;

	if (wait_for(r, &g->tail, &g->producer_asleep, h, rs->capacity, 1) < 0)
		return -1;
	memcpy(slot, &n, 8);
	memcpy(slot + 8, buf, len);
	publish(&g->head, ++rs->next[dir], &g->consumer_asleep);
	return 0;
}

static ssize_t ring_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct rings *rs = t;
	struct ring *g = rs->ring[dir];
	uint32_t tl = rs->next[dir];
	unsigned char *slot = g->slots + (tl & (rs->capacity - 1)) * rs->stride;
	uint64_t n;

	if (wait_for(r, &g->head, &g->consumer_asleep, tl, rs->capacity, 0) < 0)
		return -1;
	memcpy(&n, slot, 8);
	if (n > cap)                   /* the other process wrote it: check */
		return bench_fail(r, "slot length %llu over %zu", (unsigned long long)n, cap);
	memcpy(buf, slot + 8, n);
	publish(&g->tail, ++rs->next[dir], &g->producer_asleep);
	return (ssize_t)n;
}

static const struct bench_transport ring_transport = {
	.put = ring_put,
	.get = ring_get,
};

int bench_spsc_ring(const struct bench_case *c, struct bench_sample *s)
{
	struct rings rs = { .capacity = c->capacity };
	int rc = 0;

	if (c->capacity == 0 || (c->capacity & (c->capacity - 1)) != 0) {
		snprintf(s->error, sizeof(s->error), "capacity %zu is not a power of two", c->capacity);
		return -1;
	}
	rs.stride = (8 + c->size + 63) & ~(size_t)63;
	rs.bytes = sizeof(struct ring) + rs.stride * rs.capacity;
	for (int i = 0; i < (c->mode == BENCH_ROUNDTRIP ? 2 : 1); i++) {
		rs.ring[i] = mmap(NULL, rs.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (rs.ring[i] == MAP_FAILED) {
			rs.ring[i] = NULL;
			snprintf(s->error, sizeof(s->error), "mmap(%zu bytes): %s", rs.bytes, strerror(errno));
			rc = -1;
			break;
		}
	}
	s->capacity = c->capacity;
	if (rc == 0)
		rc = bench_transport(c, s, &ring_transport, &rs);
	for (int i = 0; i < 2; i++)
		if (rs.ring[i] != NULL)
			munmap(rs.ring[i], rs.bytes);
	return rc;
}
