/*
 * sysv_shm.c - the channel over System V shared memory and semaphores.
 *
 * One segment (shmget, shmat) holds the ring of common/ring.h; one set of
 * six semaphores (semget, semtimedop) guards it; both under the key
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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipcmp.h"
#include "ringchan.h"
#include "sysv_pair.h"

/* LOCK, ITEMS, SLOTS and GETLOCK are the protocol's LOCK (the producers'),
 * DATA, ROOM and GETLOCK (the consumers' lock) (ringchan.h); MARK holds
 * SET_MARK for good: a set without a segment is still known as a sysv-shm
 * channel's (an orphan after `ipcrm -m`), and removed as one. */
enum { LOCK, ITEMS, SLOTS, PRODUCERS, MARK, GETLOCK, NSEMS };

static const unsigned short semnum[] = {
	[IPCMP_RING_LOCK] = LOCK, [IPCMP_RING_DATA] = ITEMS, [IPCMP_RING_ROOM] = SLOTS,
	[IPCMP_RING_GETLOCK] = GETLOCK,
};

static short undo_of(enum ipcmp_ring_sem sem)
{
	return sem == IPCMP_RING_LOCK || sem == IPCMP_RING_GETLOCK ? SEM_UNDO : 0;
}

#define SET_MARK 0x5348            /* "SH" */

#define SEMVMX 32767               /* SysV: largest semaphore value (sem.h, not exported) */

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct sysv_shm {
	struct ipcmp_ringchan rc;  /* first: the protocol's part of the handle */
	int shmid;                 /* -1: none */
	int semid;                 /* -1: none */
};

static struct sysv_shm *priv(struct ipcmp_chan *chan)
{
	return (struct sysv_shm *)chan->priv;
}

static int semid_of(struct ipcmp_ringchan *rc)
{
	return ((struct sysv_shm *)rc)->semid;
}

/* A set that no longer exists: EIDRM while we waited on it, EINVAL when it
 * went before the call. */
static int gone(int err)
{
	return err == EIDRM || err == EINVAL;
}

/*
 * SysV: semtimedop takes a relative timeout, so after EINTR what is left of
 * the CLOCK_MONOTONIC deadline is computed again. deadline NULL: IPC_NOWAIT.
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
		return ipcmp_fail("semtimedop", gone(errno) ? EIDRM : errno);
	}
}

/* SysV: the locks are taken and given back with SEM_UNDO, so the kernel
 * gives one back if its holder dies. */
static int take(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem, const struct timespec *deadline)
{
	struct sembuf op = { semnum[sem], -1, undo_of(sem) };

	return semops(semid_of(rc), &op, 1, deadline);
}

static int post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem)
{
	struct sembuf op = { semnum[sem], 1, undo_of(sem) };

	return semops(semid_of(rc), &op, 1, NULL);
}

/*
 * SysV: a semop applies all its operations or none, atomically, and sleeps
 * until all can be applied. "Wait for a free slot and take the producers'
 * lock" is one semtimedop of two operations, and "release the lock and
 * publish" another; likewise for consumers. POSIX: a semaphore is a single
 * counter and sem_timedwait takes one: two calls, and a window between.
 */
static int take_and_lock(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem,
			 enum ipcmp_ring_sem lock, const struct timespec *deadline)
{
	struct sembuf ops[2] = { { semnum[sem], -1, 0 }, { semnum[lock], -1, SEM_UNDO } };

	return semops(semid_of(rc), ops, 2, deadline);
}

static int unlock_and_post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem lock,
			   enum ipcmp_ring_sem sem)
{
	struct sembuf ops[2] = { { semnum[lock], 1, SEM_UNDO }, { semnum[sem], 1, 0 } };

	return semops(semid_of(rc), ops, sem == lock ? 1 : 2, NULL);
}

/* SysV: SEM_UNDO uncounts a producer that dies without closing, so the
 * kernel's count is the count of live producers. */
static int count(struct ipcmp_ringchan *rc, int delta)
{
	struct sembuf op = { PRODUCERS, (short)delta, SEM_UNDO };

	return semops(semid_of(rc), &op, 1, NULL);
}

static int live(void *rc)
{
	int n = semctl(semid_of(rc), PRODUCERS, GETVAL);

	return n < 0 ? ipcmp_fail("semctl(GETVAL)", gone(errno) ? EIDRM : errno) : n;
}

static const struct ipcmp_ring_prims prims = {
	.clock = CLOCK_MONOTONIC,
	.take = take,
	.post = post,
	.unlock_and_post = unlock_and_post,
	.take_and_lock = take_and_lock,
	.count = count,
	.live = live,
	.undo = 1,
};

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

/* create found a segment under the key: this channel's (-EEXIST, perhaps
 * still being made by another creator) or not (-EPROTO: a key collision). */
static int existing(key_t key, const char *name)
{
	struct shmid_ds ds;
	void *mem;
	int id, rc;

	if ((id = shmget(key, 0, 0)) < 0 || shmctl(id, IPC_STAT, &ds) < 0 ||
	    (mem = shmat(id, NULL, SHM_RDONLY)) == (void *)-1)
		return ipcmp_fail("shmget", EEXIST);
	rc = ipcmp_ring_wait_ready(mem, ds.shm_segsz);
	if (rc != -EPROTO)
		rc = ipcmp_ring_owned(mem, ds.shm_segsz, name) ? -EEXIST : -EPROTO;
	shmdt(mem);
	return ipcmp_fail("shmget", -rc);
}

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct sysv_shm *s = priv(chan);
	key_t key = ipcmp_sysv_key(chan->name);
	size_t size = ipcmp_ring_size(attr->msg_max, attr->capacity);
	unsigned short init[NSEMS] = { 1, 0, (unsigned short)attr->capacity, 0, SET_MARK, 1 };
	void *mem;
	int rc;

	s->rc.prims = &prims;
	s->shmid = s->semid = -1;
	/* SysV: the mode is taken as given; the umask does not apply. */
	s->shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | (int)attr->mode);
	if (s->shmid < 0)
		return errno == EEXIST ? existing(key, chan->name) : ipcmp_fail("shmget", errno);
	if ((mem = shmat(s->shmid, NULL, 0)) == (void *)-1) {
		rc = ipcmp_fail("shmat", errno);
		goto fail;
	}
	ipcmp_ring_init(&s->rc.ring, mem, size, chan->name, attr->msg_max, attr->capacity);

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
	ipcmp_ring_set_ready(&s->rc.ring);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	if ((chan->flags & IPCMP_PRODUCER) && (rc = ipcmp_ringchan_join(&s->rc)) < 0)
		goto fail;
	return 0;

fail:
	if (s->semid >= 0)
		semctl(s->semid, 0, IPC_RMID);
	if (s->shmid >= 0)
		shmctl(s->shmid, IPC_RMID, NULL);
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

	s->rc.prims = &prims;
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
	s->rc.ring.hdr = mem;
	if ((rc = ipcmp_ring_wait_ready(mem, ds.shm_segsz)) < 0 ||
	    (rc = ipcmp_ring_attach(&s->rc.ring, mem, ds.shm_segsz, chan->name)) < 0)
		goto fail;
	if ((s->semid = semget(key, 0, 0)) < 0) {
		rc = ipcmp_fail("semget", errno);
		goto fail;
	}
	if (semctl(s->semid, 0, IPC_STAT, (union semun){ .buf = &sds }) < 0) {
		rc = ipcmp_fail("semctl(IPC_STAT)", errno);
		goto fail;
	}
	if (sds.sem_nsems != NSEMS || (rc = semctl(s->semid, MARK, GETVAL)) != SET_MARK) {
		/* another shape or mark: not ours; a mark we could not read: an error */
		rc = sds.sem_nsems == NSEMS && rc < 0 ? ipcmp_fail("semctl(GETVAL)", errno) : -EPROTO;
		goto fail;
	}
	chan->msg_max = s->rc.ring.msg_max;
	chan->capacity = s->rc.ring.capacity;
	if ((chan->flags & IPCMP_PRODUCER) && (rc = ipcmp_ringchan_join(&s->rc)) < 0)
		goto fail;
	return 0;

fail:
	chan_close(chan);
	return rc;
}

static int chan_close(struct ipcmp_chan *chan)
{
	struct sysv_shm *s = priv(chan);
	int rc = 0;

	/* SysV: detaching leaves the segment; it goes at IPC_RMID once unattached. */
	if (s->rc.ring.hdr != NULL && shmdt(s->rc.ring.hdr) < 0)
		rc = ipcmp_fail("shmdt", errno);
	s->rc.ring.hdr = NULL;
	s->shmid = s->semid = -1;
	return rc;
}

/* What the segment holds (enum ipcmp_sysv_holds); the channel its header
 * names in other. name NULL: any channel is IPCMP_SYSV_OTHER. */
static int segment_holds(int shmid, const char *name, char *other, size_t size)
{
	const struct ipcmp_ring_hdr *h;
	struct shmid_ds ds;
	int rc = IPCMP_SYSV_UNREADABLE;

	if (shmid < 0)
		return IPCMP_SYSV_MISSING;
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return ipcmp_fail("shmctl(IPC_STAT)", errno);
	if ((h = shmat(shmid, NULL, SHM_RDONLY)) == (void *)-1)
		return ipcmp_fail("shmat", errno);
	if (ds.shm_segsz >= sizeof(*h) && h->magic == IPCMP_RING_MAGIC) {
		snprintf(other, size, "%.*s", (int)sizeof(h->name) - 1, h->name);
		if (ipcmp_name_check(other) == 0)
			rc = name != NULL && strcmp(other, name) == 0 ? IPCMP_SYSV_OURS : IPCMP_SYSV_OTHER;
	}
	shmdt(h);
	return rc;
}

static int segment_of(key_t key)
{
	return shmget(key, 0, 0);
}

static const struct ipcmp_sysv_pair pair = {
	.kind = "shm",
	.get = segment_of,
	.holds = segment_holds,
	.nsems = NSEMS,
	.mark_sem = MARK,
	.mark = SET_MARK,
};

/*
 * Removes the channel: its segment when it carries this channel's name (a
 * key collision must not destroy somebody else's object), and its set. A
 * set with our mark and no segment (`ipcrm -m`), or with a segment whose
 * header was overwritten, is a damaged channel: removed, IPCMP_DAMAGED.
 */
static int chan_unlink(const char *name)
{
	key_t key = ipcmp_sysv_key(name);
	int shmid = shmget(key, 0, 0);
	int semid;
	char other[IPCMP_NAME_MAX + 8];
	int seg, marked;

	if (shmid < 0 && errno != ENOENT)
		return ipcmp_fail("shmget", errno);
	if ((semid = semget(key, 0, 0)) < 0 && errno != ENOENT)
		return ipcmp_fail("semget", errno);
	if ((seg = segment_holds(shmid, name, other, sizeof(other))) < 0)
		return seg;
	marked = ipcmp_sysv_set_is_ours(&pair, semid);
	if (seg == IPCMP_SYSV_OTHER || (seg == IPCMP_SYSV_UNREADABLE && !marked))
		return -EPROTO;
	if (seg == IPCMP_SYSV_MISSING && !marked)
		return ipcmp_fail("shmget", ENOENT);
	if (shmid >= 0 && shmctl(shmid, IPC_RMID, NULL) < 0)
		return ipcmp_fail("shmctl(IPC_RMID)", errno);
	if (semid >= 0 && semctl(semid, 0, IPC_RMID) < 0)
		return ipcmp_fail("semctl(IPC_RMID)", errno);
	return seg == IPCMP_SYSV_OURS && semid >= 0 ? 0 : IPCMP_DAMAGED;
}

static int chan_owns(const char *kind, const char *object, long id, char *channel, size_t size)
{
	return ipcmp_sysv_pair_owns(&pair, kind, object, id, channel, size);
}

/* The API map (ipcmp compare): the calls above, step by step. */
static const struct ipcmp_step steps[IPCMP_STEPS] = {
	[IPCMP_STEP_CREATE] = { "shmget, semget, semctl", "IPC_CREAT|IPC_EXCL; SETALL; the ring's header marked ready last" },
	[IPCMP_STEP_OPEN] = { "shmget, shmctl, semget, semctl", "key of the name; IPC_STAT: the size, the set's shape and MARK" },
	[IPCMP_STEP_SIZE] = { "shmget", "size fixed at create" },
	[IPCMP_STEP_MAP] = { "shmat", "" },
	[IPCMP_STEP_OWNS] = { "shmat, semctl", "the name in the ring's header (SHM_RDONLY); the set's MARK (GETVAL)" },
	[IPCMP_STEP_JOIN] = { "semop", "PRODUCERS +1 with SEM_UNDO; the stream word (compare-and-swap)" },
	[IPCMP_STEP_LOCK] = { "semtimedop", "the producers' LOCK or the consumers' GETLOCK -1 with SEM_UNDO, in the same call as the wait for ROOM or DATA" },
	[IPCMP_STEP_ROOM] = { "semtimedop", "ROOM -1 and LOCK -1: one call, two semaphores" },
	[IPCMP_STEP_PUBLISH] = { "memcpy", "into the ring, with sequence number and checksum (common/ring.c)" },
	[IPCMP_STEP_WAKE] = { "semop", "LOCK +1 and DATA +1 in one call" },
	[IPCMP_STEP_DATA] = { "semtimedop", "DATA -1 and GETLOCK -1: one call, two semaphores" },
	[IPCMP_STEP_END] = { "semop", "the stream word says ENDED; PRODUCERS -1; DATA +1 wakes a consumer" },
	[IPCMP_STEP_ABORT] = { "semop", "the stream word says ABORTED; PRODUCERS -1; DATA +1" },
	[IPCMP_STEP_DEATH] = { "semctl", "GETVAL: PRODUCERS, which the kernel's SEM_UNDO lowered, below the joined count" },
	[IPCMP_STEP_DEAD_LOCK] = { "", "SEM_UNDO: the kernel gives the lock back" },
	[IPCMP_STEP_CLOSE] = { "shmdt", "" },
	[IPCMP_STEP_REMOVE] = { "shmctl, semctl", "IPC_RMID each" },
};

const struct ipcmp_ops ipcmp_sysv_shm_ops = {
	.name = "sysv-shm",
	.family = "System V",
	.calls = "shmget shmat semget semctl semtimedop shmdt shmctl(IPC_RMID)",
	.priv_size = sizeof(struct sysv_shm),
	.limits = chan_limits,
	.create = chan_create,
	.open = chan_open,
	.send = ipcmp_ringchan_send,
	.recv = ipcmp_ringchan_recv,
	.leave = ipcmp_ringchan_leave,
	.close = chan_close,
	.unlink = chan_unlink,
	.owns = chan_owns,
	.steps = steps,
};
