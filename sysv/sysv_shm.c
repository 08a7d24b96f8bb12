/*
 * sysv_shm.c - the channel over System V shared memory and semaphores.
 *
 * One segment (shmget, shmat) holds the ring of common/ring.h; one set of
 * four semaphores (semget, semtimedop) guards it; both under the key
 * ipcmp_sysv_key(name). Read it beside posix/posix_shm.c: the same
 * functions in the same order, so each call faces its POSIX counterpart.
 *
 *   $ ipcmp create -b sysv-shm jobs
 *   $ ipcmp recv -b sysv-shm jobs > copy &
 *   $ ipcmp send -b sysv-shm jobs < file
 *   $ ipcmp unlink -b sysv-shm jobs
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <stdio.h>
#include <time.h>

#include "ipcmp.h"
#include "ring.h"

enum { LOCK, ITEMS, SLOTS, PRODUCERS, NSEMS };

#define SEMVMX 32767               /* SysV: largest semaphore value (sem.h, not exported) */

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct sysv_shm {
	int shmid;                 /* -1: none */
	int semid;                 /* -1: none */
	struct ipcmp_ring ring;    /* ring.hdr NULL: not attached */
	int producer;              /* counted in PRODUCERS */
};

static struct sysv_shm *priv(struct ipcmp_chan *chan)
{
	return (struct sysv_shm *)chan->priv;
}

/*
 * SysV: semtimedop takes a relative timeout, so after EINTR what is left of
 * the deadline is computed again. A set removed while we wait gives EIDRM;
 * one removed before the call gives EINVAL: both mean the channel is gone.
 */
static int semops(int semid, struct sembuf *sops, size_t n, const struct timespec *deadline)
{
	struct timespec left;

	for (;;) {
		int rc;

		if (deadline == NULL) {
			for (size_t i = 0; i < n; i++)
				sops[i].sem_flg |= IPC_NOWAIT;
			rc = semop(semid, sops, n);
		} else {
			if (ipcmp_remaining(deadline, CLOCK_MONOTONIC, &left) < 0)
				return -ETIMEDOUT;
			rc = semtimedop(semid, sops, n, &left);
		}
		if (rc == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return deadline == NULL ? -EAGAIN : -ETIMEDOUT;
		if (errno == EIDRM || errno == EINVAL)
			return ipcmp_fail("semtimedop", EIDRM);
		return ipcmp_fail("semtimedop", errno);
	}
}

static int take(struct sysv_shm *s, unsigned short sem, const struct timespec *deadline)
{
	struct sembuf op = { sem, -1, 0 };

	return semops(s->semid, &op, 1, deadline);
}

/* SysV: SEM_UNDO gives the lock back if its holder dies. */
static int lock(struct sysv_shm *s)
{
	struct sembuf op = { LOCK, -1, SEM_UNDO };
	struct timespec deadline;

	int rc;

	ipcmp_deadline(&deadline, CLOCK_MONOTONIC, IPCMP_LOCK_WAIT_MS);
	rc = semops(s->semid, &op, 1, &deadline);
	return rc == -ETIMEDOUT ? -ENOTRECOVERABLE : rc;
}

/* SysV: one semop releases the lock and posts `sem` atomically. */
static int unlock_and_post(struct sysv_shm *s, unsigned short sem)
{
	struct sembuf ops[2] = { { LOCK, 1, SEM_UNDO }, { sem, 1, 0 } };

	return semops(s->semid, ops, 2, NULL);
}

static int unlock(struct sysv_shm *s)
{
	struct sembuf op = { LOCK, 1, SEM_UNDO };

	return semops(s->semid, &op, 1, NULL);
}

static int producers(struct sysv_shm *s)
{
	int n = semctl(s->semid, PRODUCERS, GETVAL);

	return n < 0 ? ipcmp_fail("semctl(GETVAL)", errno) : n;
}

/* SysV: SEM_UNDO uncounts a producer that dies without closing. */
static int producer_join(struct sysv_shm *s)
{
	struct sembuf op = { PRODUCERS, 1, SEM_UNDO };
	int rc;

	if ((rc = lock(s)) < 0)
		return rc;
	if ((rc = semops(s->semid, &op, 1, NULL)) == 0) {
		ipcmp_ring_mark_seen(&s->ring);
		s->producer = 1;
	}
	unlock(s);
	return rc;
}

/* The last producer out posts ITEMS once with nothing in the ring: the
 * end-of-stream token, which every consumer passes on. */
static int producer_leave(struct sysv_shm *s)
{
	struct sembuf op = { PRODUCERS, -1, SEM_UNDO };
	int rc;

	s->producer = 0;
	if ((rc = lock(s)) < 0)
		return rc;
	if ((rc = semops(s->semid, &op, 1, NULL)) < 0 || (rc = producers(s)) != 0) {
		unlock(s);
		return rc < 0 ? rc : 0;
	}
	return unlock_and_post(s, ITEMS);
}

/* After a wait ran out: the ring is drained and every producer is gone. */
static int at_end(struct sysv_shm *s)
{
	int rc, n;

	if ((rc = lock(s)) < 0)
		return rc;
	n = producers(s);
	rc = n < 0 ? n : (n == 0 && ipcmp_ring_seen(&s->ring) && ipcmp_ring_empty(&s->ring));
	unlock(s);
	return rc;
}

static int chan_limits(struct ipcmp_limits *lim)
{
	lim->msg_max_default = 4096;
	lim->capacity_default = 64;
	lim->msg_max_limit = IPCMP_RING_MSG_MAX;
	lim->capacity_limit = SEMVMX;
	lim->msg_max_source = "ipcmp ring slot limit";
	lim->capacity_source = "SEMVMX, the largest SysV semaphore value";
	return 0;
}

static int chan_close(struct ipcmp_chan *chan);

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct sysv_shm *s = priv(chan);
	key_t key = ipcmp_sysv_key(chan->name);
	size_t size = ipcmp_ring_size(attr->msg_max, attr->capacity);
	unsigned short init[NSEMS] = { 1, 0, (unsigned short)attr->capacity, 0 };
	void *mem;
	int rc;

	s->shmid = s->semid = -1;
	/* SysV: the mode is taken as given; the umask does not apply. */
	s->shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | (int)attr->mode);
	if (s->shmid < 0)
		return ipcmp_fail("shmget", errno);
	if ((mem = shmat(s->shmid, NULL, 0)) == (void *)-1) {
		rc = ipcmp_fail("shmat", errno);
		goto fail;
	}
	ipcmp_ring_init(&s->ring, mem, size, chan->name, attr->msg_max, attr->capacity);

	/* SysV: semget leaves the values undefined until SETALL, so an opener
	 * must not use the set before the creator marks the ring ready. */
	s->semid = semget(key, NSEMS, IPC_CREAT | IPC_EXCL | (int)attr->mode);
	if (s->semid < 0) {
		rc = ipcmp_fail("semget", errno);
		goto fail;
	}
	if (semctl(s->semid, 0, SETALL, (union semun){ .array = init }) < 0) {
		rc = ipcmp_fail("semctl(SETALL)", errno);
		goto fail;
	}
	ipcmp_ring_set_ready(&s->ring);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	if ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0)
		goto fail;
	return 0;

fail:
	if (s->semid >= 0)
		semctl(s->semid, 0, IPC_RMID);
	if (s->shmid >= 0)
		shmctl(s->shmid, IPC_RMID, NULL);
	s->producer = 0;
	chan_close(chan);
	return rc;
}

static int chan_open(struct ipcmp_chan *chan)
{
	struct sysv_shm *s = priv(chan);
	key_t key = ipcmp_sysv_key(chan->name);
	struct shmid_ds ds;
	struct semid_ds sds;
	void *mem;
	int rc;

	s->shmid = s->semid = -1;
	if ((s->shmid = shmget(key, 0, 0)) < 0)
		return ipcmp_fail("shmget", errno);
	/* SysV: the size the kernel keeps is the one asked for at shmget. */
	if (shmctl(s->shmid, IPC_STAT, &ds) < 0) {
		rc = ipcmp_fail("shmctl(IPC_STAT)", errno);
		goto fail;
	}
	if ((mem = shmat(s->shmid, NULL, 0)) == (void *)-1) {
		rc = ipcmp_fail("shmat", errno);
		goto fail;
	}
	s->ring.hdr = mem;
	if ((rc = ipcmp_ring_wait_ready(mem, ds.shm_segsz)) < 0 ||
	    (rc = ipcmp_ring_attach(&s->ring, mem, ds.shm_segsz, chan->name)) < 0)
		goto fail;
	if ((s->semid = semget(key, 0, 0)) < 0) {
		rc = ipcmp_fail("semget", errno);
		goto fail;
	}
	if (semctl(s->semid, 0, IPC_STAT, (union semun){ .buf = &sds }) < 0) {
		rc = ipcmp_fail("semctl(IPC_STAT)", errno);
		goto fail;
	}
	if (sds.sem_nsems != NSEMS) {
		rc = -EPROTO;
		goto fail;
	}
	chan->msg_max = s->ring.msg_max;
	chan->capacity = s->ring.capacity;
	if ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0)
		goto fail;
	return 0;

fail:
	chan_close(chan);
	return rc;
}

static int chan_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	struct sysv_shm *s = priv(chan);
	struct timespec deadline;
	int rc;

	ipcmp_deadline(&deadline, CLOCK_MONOTONIC, timeout_ms);
	if ((rc = take(s, SLOTS, timeout_ms > 0 ? &deadline : NULL)) < 0)
		return rc;
	if ((rc = lock(s)) < 0) {
		struct sembuf op = { SLOTS, 1, 0 };
		semops(s->semid, &op, 1, NULL);
		return rc;
	}
	if ((rc = ipcmp_ring_put(&s->ring, buf, len)) < 0) {
		unlock_and_post(s, SLOTS);
		return rc;
	}
	return unlock_and_post(s, ITEMS);
}

static ssize_t chan_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	struct sysv_shm *s = priv(chan);
	struct timespec deadline;
	ssize_t n;
	int rc;

	ipcmp_deadline(&deadline, CLOCK_MONOTONIC, timeout_ms);
	for (;;) {
		rc = take(s, ITEMS, timeout_ms > 0 ? &deadline : NULL);
		if (rc == -ETIMEDOUT || rc == -EAGAIN) {
			int end = at_end(s);
			return end < 0 ? end : end ? IPCMP_EOS : rc;
		}
		if (rc < 0)
			return rc;
		if ((rc = lock(s)) < 0)
			return rc;
		n = ipcmp_ring_get(&s->ring, buf, cap);
		if (n >= 0) {
			rc = unlock_and_post(s, SLOTS);
			return rc < 0 ? rc : n;
		}
		if (n != -EAGAIN) {            /* corrupt: leave the item for the next call */
			unlock_and_post(s, ITEMS);
			return n;
		}
		/* An item but an empty ring: the end-of-stream token. */
		if ((rc = producers(s)) == 0) {
			unlock_and_post(s, ITEMS);
			return IPCMP_EOS;
		}
		unlock(s);                      /* a producer came back: a stale token */
		if (rc < 0)
			return rc;
	}
}

static int chan_close(struct ipcmp_chan *chan)
{
	struct sysv_shm *s = priv(chan);
	int rc = 0;

	if (s->producer)
		rc = producer_leave(s);
	if (rc == -EIDRM)               /* removed under us: nothing to tell */
		rc = 0;
	/* SysV: detaching leaves the segment; it goes at IPC_RMID once unattached. */
	if (s->ring.hdr != NULL && shmdt(s->ring.hdr) < 0 && rc == 0)
		rc = ipcmp_fail("shmdt", errno);
	s->ring.hdr = NULL;
	s->shmid = s->semid = -1;
	return rc;
}

/* Removes only a segment that carries this channel's name: a key collision
 * must not destroy somebody else's object. */
static int chan_unlink(const char *name)
{
	key_t key = ipcmp_sysv_key(name);
	int shmid = shmget(key, 0, 0);
	int semid = semget(key, 0, 0);
	struct shmid_ds ds;
	void *mem;
	int owned;

	if (shmid < 0)
		return ipcmp_fail("shmget", errno);
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return ipcmp_fail("shmctl(IPC_STAT)", errno);
	if ((mem = shmat(shmid, NULL, SHM_RDONLY)) == (void *)-1)
		return ipcmp_fail("shmat", errno);
	owned = ipcmp_ring_owned(mem, ds.shm_segsz, name);
	shmdt(mem);
	if (!owned)
		return -EPROTO;
	if (shmctl(shmid, IPC_RMID, NULL) < 0)
		return ipcmp_fail("shmctl(IPC_RMID)", errno);
	if (semid >= 0 && semctl(semid, 0, IPC_RMID) < 0)
		return ipcmp_fail("semctl(IPC_RMID)", errno);
	return 0;
}

/* For `ipcmp clean`: SysV objects have no names, so the header tells. */
int ipcmp_sysv_shm_channel(int shmid, char *name, size_t size)
{
	const struct ipcmp_ring_hdr *h;
	struct shmid_ds ds;
	int rc = -EPROTO;

	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return ipcmp_fail("shmctl(IPC_STAT)", errno);
	if ((h = shmat(shmid, NULL, SHM_RDONLY)) == (void *)-1)
		return ipcmp_fail("shmat", errno);
	if (ds.shm_segsz >= sizeof(*h) && h->magic == IPCMP_RING_MAGIC) {
		snprintf(name, size, "%.*s", (int)sizeof(h->name) - 1, h->name);
		if (ipcmp_name_check(name) == 0 && ipcmp_ring_owned(h, ds.shm_segsz, name))
			rc = 0;
	}
	shmdt(h);
	return rc;
}

const struct ipcmp_ops ipcmp_sysv_shm_ops = {
	.name = "sysv-shm",
	.family = "System V",
	.calls = "shmget shmat semget semctl semtimedop shmdt shmctl(IPC_RMID)",
	.priv_size = sizeof(struct sysv_shm),
	.limits = chan_limits,
	.create = chan_create,
	.open = chan_open,
	.send = chan_send,
	.recv = chan_recv,
	.close = chan_close,
	.unlink = chan_unlink,
};
