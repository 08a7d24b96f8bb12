/*
 * raw_posix_shm.c - a plain shm_open + sem_open ring: what posix-shm is
 * measured against.
 *
 * The same ring as raw_sysv_shm.c: `capacity` slots of [length][bytes] in
 * one shared memory object, and two named semaphores, SLOTS (free slots,
 * capacity at first) and ITEMS (full slots, 0 at first). One producer and
 * one consumer, so no lock. A POSIX semaphore is a counter in shared
 * memory: sem_post and a sem_timedwait that finds it positive stay in user
 * space, and only a side that must sleep enters the kernel (futex).
 *
 * The names ("/ipcmp.TAG" and "/ipcmp.TAG.s0"...) are made exclusively and
 * unlinked as soon as they are open: the mappings live on, the children
 * inherit them across fork, and nothing is left behind on any path.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

struct ring {
	unsigned char *mem;        /* capacity slots of `stride` bytes; NULL: none */
	sem_t *slots, *items;      /* SEM_FAILED: none */
	size_t stride;
	uint64_t next;             /* this side's index */
	struct timespec deadline;  /* POSIX: waits take an absolute CLOCK_REALTIME time */
};

struct rings {
	struct ring ring[2];
	size_t capacity;
	size_t bytes;              /* of each mapping */
};

static int sem_take(struct bench_run *r, struct ring *g, sem_t *sem, const char *what)
{
	while (sem_timedwait(sem, &g->deadline) < 0)
		if (errno != EINTR)
			return bench_fail(r, "sem_timedwait(%s): %s", what, strerror(errno));
	return 0;
}

static int ring_open(struct bench_run *r, void *t, int side)
{
	struct rings *rs = t;

	(void)side;
	rs->ring[0].deadline = rs->ring[1].deadline = bench_deadline(r);
	return 0;
}

static int ring_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct rings *rs = t;
	struct ring *g = &rs->ring[dir];
	unsigned char *slot = g->mem + (g->next++ % rs->capacity) * g->stride;
	uint64_t n = len;

	if (sem_take(r, g, g->slots, "SLOTS") < 0)
		return -1;
	memcpy(slot, &n, 8);
	memcpy(slot + 8, buf, len);
	if (sem_post(g->items) < 0)
		return bench_fail(r, "sem_post(ITEMS): %s", strerror(errno));
	return 0;
}

static ssize_t ring_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct rings *rs = t;
	struct ring *g = &rs->ring[dir];
	unsigned char *slot = g->mem + (g->next++ % rs->capacity) * g->stride;
	uint64_t n;

	if (sem_take(r, g, g->items, "ITEMS") < 0)
		return -1;
	memcpy(&n, slot, 8);
	if (n > cap)                   /* the other process wrote it: check */
		return bench_fail(r, "slot length %llu over %zu", (unsigned long long)n, cap);
	memcpy(buf, slot + 8, n);
	if (sem_post(g->slots) < 0)
		return bench_fail(r, "sem_post(SLOTS): %s", strerror(errno));
	return (ssize_t)n;
}

static const struct bench_transport ring_transport = {
	.open = ring_open,
	.put = ring_put,
	.get = ring_get,
};

static sem_t *sem_make(const char *tag, int i, const char *which, unsigned value,
		       struct bench_sample *s)
{
	char name[IPCMP_NAME_MAX + 32];
	sem_t *sem;

	snprintf(name, sizeof(name), "%s%s.%s%d", IPCMP_POSIX_PREFIX, tag, which, i);
	if ((sem = sem_open(name, O_CREAT | O_EXCL, 0600, value)) == SEM_FAILED)
		snprintf(s->error, sizeof(s->error), "sem_open(%s): %s", name, strerror(errno));
	else
		sem_unlink(name);
	return sem;
}

static int ring_make(struct rings *rs, int i, const char *tag, size_t size, struct bench_sample *s)
{
	struct ring *g = &rs->ring[i];
	char name[IPCMP_NAME_MAX + 32];
	int fd;

	g->stride = (8 + size + 63) & ~(size_t)63;
	rs->bytes = g->stride * rs->capacity;
	snprintf(name, sizeof(name), "%s%s.%d", IPCMP_POSIX_PREFIX, tag, i);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0) {
		snprintf(s->error, sizeof(s->error), "shm_open(%s): %s", name, strerror(errno));
		return -1;
	}
	shm_unlink(name);
	if (ftruncate(fd, (off_t)rs->bytes) < 0) {
		snprintf(s->error, sizeof(s->error), "ftruncate(%s): %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	g->mem = mmap(NULL, rs->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		snprintf(s->error, sizeof(s->error), "mmap(%s): %s", name, strerror(errno));
		return -1;
	}
	if ((g->slots = sem_make(tag, i, "s", (unsigned)rs->capacity, s)) == SEM_FAILED ||
	    (g->items = sem_make(tag, i, "i", 0, s)) == SEM_FAILED)
		return -1;
	return 0;
}

static void ring_remove(struct rings *rs, int i)
{
	struct ring *g = &rs->ring[i];

	if (g->mem != NULL)
		munmap(g->mem, rs->bytes);
	if (g->slots != SEM_FAILED)
		sem_close(g->slots);
	if (g->items != SEM_FAILED)
		sem_close(g->items);
}

int bench_raw_posix_shm(const struct bench_case *c, struct bench_sample *s)
{
	struct rings rs = { .capacity = c->capacity };
	int rc = 0;

	for (int i = 0; i < 2; i++)
		rs.ring[i].slots = rs.ring[i].items = SEM_FAILED;
	for (int i = 0; i < (c->mode == BENCH_ROUNDTRIP ? 2 : 1) && rc == 0; i++)
		rc = ring_make(&rs, i, c->tag, c->size, s);
	s->capacity = c->capacity;
	if (rc == 0)
		rc = bench_transport(c, s, &ring_transport, &rs);
	ring_remove(&rs, 0);
	ring_remove(&rs, 1);
	return rc;
}
