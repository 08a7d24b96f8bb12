/*
 * raw_sysv_shm.c - a plain shmget + semop ring: what sysv-shm is measured
 * against.
 *
 * One segment holds `capacity` slots of [length][bytes]; one set of two
 * semaphores counts them: SLOTS (free, capacity at first) and ITEMS (full,
 * 0 at first). The producer takes a free slot, copies in, adds an item; the
 * consumer takes an item, copies out, gives the slot back. One producer and
 * one consumer, so each index belongs to one side and needs no lock: four
 * semop calls a message, nothing else. A round trip uses two rings.
 *
 * raw-sysv-2op is the same ring with sysv-shm's semaphore operations: each
 * side waits for its unit and takes its side's lock in one semop of two
 * operations, the lock under SEM_UNDO, and releases the lock and posts the
 * other side's unit in another. Still four calls a message, but the
 * kernel takes the whole set's lock for an operation on two semaphores
 * (ipc/sem.c), where one on a single semaphore locks only that one, and
 * keeps an undo record: its ratio to raw-sysv-shm is what System V's
 * atomic multi-semaphore operation costs, measured without the channel.
 *
 * Both objects are made with IPC_PRIVATE, so no key can collide; the
 * segment is marked for removal as soon as it is attached (it lives on
 * while attached, and the children inherit the attachment across fork);
 * the semaphore set is removed by the parent when the case ends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "bench.h"

enum { SLOTS, ITEMS, LOCK, GETLOCK, NSEMS };

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct ring {
	unsigned char *mem;        /* capacity slots of `stride` bytes */
	int semid;                 /* -1: none */
	size_t stride;             /* 8-byte length + the message, rounded to 64 */
	uint64_t next;             /* this side's index: producer's or consumer's */
};

struct rings {
	struct ring ring[2];
	size_t capacity;
	int locked;                /* raw-sysv-2op: a lock in each semop */
};

static const char *const sem_name[NSEMS] = { "SLOTS", "ITEMS", "LOCK", "GETLOCK" };

/* SysV: semtimedop takes a relative timeout; semop would wait forever.
 * With lock (raw-sysv-2op), the same semop also takes (delta < 0) or
 * gives back (delta > 0) that lock, under SEM_UNDO. */
static int sem_add(struct bench_run *r, int semid, unsigned short sem, short delta, int lock)
{
	struct sembuf ops[2] = { { .sem_num = sem, .sem_op = delta, .sem_flg = 0 },
				 { .sem_num = (unsigned short)lock, .sem_op = delta < 0 ? -1 : 1,
				   .sem_flg = SEM_UNDO } };
	struct timespec bound = bench_timeout(r);

	while (semtimedop(semid, ops, lock ? 2 : 1, delta < 0 ? &bound : NULL) < 0)
		if (errno != EINTR)
			return bench_fail(r, "semtimedop(%s %+d%s%s): %s", sem_name[sem], delta,
					  lock ? ", " : "", lock ? sem_name[lock] : "",
					  strerror(errno));
	return 0;
}

static int ring_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct rings *rs = t;
	struct ring *g = &rs->ring[dir];
	unsigned char *slot = g->mem + (g->next++ % rs->capacity) * g->stride;
	uint64_t n = len;

	int lock = rs->locked ? LOCK : 0;

	if (sem_add(r, g->semid, SLOTS, -1, lock) < 0)
		return -1;
	memcpy(slot, &n, 8);
	memcpy(slot + 8, buf, len);
	return sem_add(r, g->semid, ITEMS, +1, lock);
}

static ssize_t ring_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct rings *rs = t;
	struct ring *g = &rs->ring[dir];
	unsigned char *slot = g->mem + (g->next++ % rs->capacity) * g->stride;
	uint64_t n;
	int lock = rs->locked ? GETLOCK : 0;

	if (sem_add(r, g->semid, ITEMS, -1, lock) < 0)
		return -1;
	memcpy(&n, slot, 8);
	if (n > cap)                   /* the other process wrote it: check */
		return bench_fail(r, "slot length %llu over %zu", (unsigned long long)n, cap);
	memcpy(buf, slot + 8, n);
	if (sem_add(r, g->semid, SLOTS, +1, lock) < 0)
		return -1;
	return (ssize_t)n;
}

static const struct bench_transport ring_transport = {
	.put = ring_put,
	.get = ring_get,
};

static int ring_make(struct ring *g, size_t size, size_t capacity, struct bench_sample *s)
{
	unsigned short init[NSEMS] = { (unsigned short)capacity, 0, 1, 1 };
	union semun arg = { .array = init };
	int shmid;

	g->stride = (8 + size + 63) & ~(size_t)63;
	if ((shmid = shmget(IPC_PRIVATE, g->stride * capacity, IPC_CREAT | 0600)) < 0) {
		snprintf(s->error, sizeof(s->error), "shmget(%zu bytes): %s", g->stride * capacity,
			 strerror(errno));
		return -1;
	}
	g->mem = shmat(shmid, NULL, 0);
	shmctl(shmid, IPC_RMID, NULL);      /* gone when the last process detaches */
	if (g->mem == (void *)-1) {
		g->mem = NULL;
		snprintf(s->error, sizeof(s->error), "shmat: %s", strerror(errno));
		return -1;
	}
	if ((g->semid = semget(IPC_PRIVATE, NSEMS, IPC_CREAT | 0600)) < 0) {
		snprintf(s->error, sizeof(s->error), "semget: %s", strerror(errno));
		return -1;
	}
	/* SysV: the values are undefined until set (semctl(2) SETALL). */
	if (semctl(g->semid, 0, SETALL, arg) < 0) {
		snprintf(s->error, sizeof(s->error), "semctl(SETALL): %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void ring_remove(struct ring *g)
{
	if (g->mem != NULL)
		shmdt(g->mem);
	if (g->semid >= 0)
		semctl(g->semid, 0, IPC_RMID);
}

static int run(const struct bench_case *c, struct bench_sample *s, int locked)
{
	struct rings rs = { .ring = { { .semid = -1 }, { .semid = -1 } }, .capacity = c->capacity,
			    .locked = locked };
	int rc = 0;

	for (int i = 0; i < (c->mode == BENCH_ROUNDTRIP ? 2 : 1) && rc == 0; i++)
		rc = ring_make(&rs.ring[i], c->size, c->capacity, s);
	s->capacity = c->capacity;
	if (rc == 0)
		rc = bench_transport(c, s, &ring_transport, &rs);
	ring_remove(&rs.ring[0]);
	ring_remove(&rs.ring[1]);
	return rc;
}

int bench_raw_sysv_shm(const struct bench_case *c, struct bench_sample *s)
{
	return run(c, s, 0);
}

int bench_raw_sysv_2op(const struct bench_case *c, struct bench_sample *s)
{
	return run(c, s, 1);
}
