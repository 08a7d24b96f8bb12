/*
 * posix_shm.c - the channel over POSIX shared memory and named semaphores.
 *
 * One object (shm_open, mmap) holds the ring of common/ring.h; four named
 * semaphores (sem_open, sem_timedwait) guard it, all named from the channel
 * by ipcmp_posix_name: /ipcmp.NAME.ring and /ipcmp.NAME.{lock,items,slots,takers}.
 * Read it beside sysv/sysv_shm.c: the same functions in the same order, so
 * each call faces its System V counterpart.
 *
 *   $ ipcmp create -b posix-shm jobs
 *   $ ipcmp recv -b posix-shm jobs > copy &
 *   $ ipcmp send -b posix-shm jobs < file
 *   $ ipcmp unlink -b posix-shm jobs
 */
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipcmp.h"
#include "ringchan.h"
#include "shm_ring.h"

/* LOCK, ITEMS, SLOTS and TAKERS are the protocol's LOCK (the producers'),
 * DATA, ROOM and GETLOCK (the consumers' lock) (ringchan.h). */
enum { LOCK = IPCMP_RING_LOCK, ITEMS = IPCMP_RING_DATA, SLOTS = IPCMP_RING_ROOM,
       TAKERS = IPCMP_RING_GETLOCK, NSEMS };

static const char *const sem_suffix[NSEMS] = { "lock", "items", "slots", "takers" };

#define PATH_LEN IPCMP_SHM_RING_PATH_LEN

struct posix_shm {
	struct ipcmp_ringchan rc;  /* first: the protocol's part of the handle */
	sem_t *sem[NSEMS];         /* SEM_FAILED: none */
};

static struct posix_shm *priv(struct ipcmp_chan *chan)
{
	return (struct posix_shm *)chan->priv;
}

static sem_t *sem_of(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem)
{
	return ((struct posix_shm *)rc)->sem[sem];
}

/*
 * POSIX: sem_timedwait takes an absolute CLOCK_REALTIME deadline, so after
 * EINTR the same deadline is simply passed again. A semaphore whose name was
 * unlinked goes on working for those who have it open. No undo: a holder
 * of the lock that dies keeps it (ringchan.c finds it dead by its pid, or
 * orphaned when it died before it recorded its pid).
 */
static int take(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem, const struct timespec *deadline)
{
	for (;;) {
		int r = deadline == NULL ? sem_trywait(sem_of(rc, sem)) :
					   sem_timedwait(sem_of(rc, sem), deadline);

		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return -EAGAIN;
		if (errno == ETIMEDOUT)
			return -ETIMEDOUT;
		return ipcmp_fail(deadline == NULL ? "sem_trywait" : "sem_timedwait", errno);
	}
}

static int post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem)
{
	return sem_post(sem_of(rc, sem)) < 0 ? ipcmp_fail("sem_post", errno) : 0;
}

/* POSIX: two calls; a semaphore is one counter, never a set, so there is
 * no taking or giving two at once (SysV: one semop of two operations). An
 * uncontended sem_trywait/sem_post stays in user space (a futex word in
 * the semaphore), so the two calls cost no system call unless someone
 * sleeps. */
static int unlock_and_post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem lock,
			   enum ipcmp_ring_sem sem)
{
	int r = post(rc, lock);

	return r < 0 || sem == lock ? r : post(rc, sem);
}

/* POSIX: no undo, so no count the kernel keeps: producers register in the
 * ring (common/stream.c) and a consumer checks that they live. */
static const struct ipcmp_ring_prims prims = {
	.clock = CLOCK_REALTIME,
	.take = take,
	.post = post,
	.unlock_and_post = unlock_and_post,
	.take_and_lock = NULL,
	.count = NULL,
	.live = NULL,
	.undo = 0,
};

static int chan_limits(struct ipcmp_limits *lim)
{
	lim->msg_max_default = 4096;
	lim->capacity_default = 64;
	lim->msg_max_limit = IPCMP_RING_MSG_MAX;
	lim->capacity_limit = 1u << 20;
	lim->msg_max_source = "ipcmp ring slot limit";
	lim->capacity_source = "ipcmp ring slot limit";
	return 0;
}

static int chan_close(struct ipcmp_chan *chan);

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct posix_shm *s = priv(chan);
	unsigned init[NSEMS] = { 1, 0, (unsigned)attr->capacity, 1 };
	char path[PATH_LEN];
	int made = 0;                   /* objects made, for the unwind */
	int rc;

	s->rc.prims = &prims;
	for (int i = 0; i < NSEMS; i++)
		s->sem[i] = SEM_FAILED;
	ipcmp_posix_name(path, sizeof(path), chan->name, "ring");
	if ((rc = ipcmp_shm_ring_create(&s->rc.ring, path, chan->name, attr)) < 0)
		return rc;

	/* POSIX: sem_open sets the value as it creates, so there is no window
	 * with an undefined value; the ring is still marked ready last. */
	for (made = 0; made < NSEMS; made++) {
		ipcmp_posix_name(path, sizeof(path), chan->name, sem_suffix[made]);
		s->sem[made] = sem_open(path, O_CREAT | O_EXCL, attr->mode, init[made]);
		if (s->sem[made] == SEM_FAILED) {
			rc = ipcmp_fail("sem_open", errno);
			goto fail;
		}
	}
	ipcmp_ring_set_ready(&s->rc.ring);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	if ((chan->flags & IPCMP_PRODUCER) && (rc = ipcmp_ringchan_join(&s->rc)) < 0)
		goto fail;
	return 0;

fail:
	while (made-- > 0) {
		ipcmp_posix_name(path, sizeof(path), chan->name, sem_suffix[made]);
		sem_unlink(path);
	}
	ipcmp_posix_name(path, sizeof(path), chan->name, "ring");
	shm_unlink(path);
	chan_close(chan);
	return rc;
}

static int chan_open(struct ipcmp_chan *chan)
{
	struct posix_shm *s = priv(chan);
	char path[PATH_LEN];
	int rc;

	s->rc.prims = &prims;
	for (int i = 0; i < NSEMS; i++)
		s->sem[i] = SEM_FAILED;
	ipcmp_posix_name(path, sizeof(path), chan->name, "ring");
	if ((rc = ipcmp_shm_ring_open(&s->rc.ring, path, chan->name)) < 0)
		return rc;
	for (int i = 0; i < NSEMS; i++) {
		ipcmp_posix_name(path, sizeof(path), chan->name, sem_suffix[i]);
		if ((s->sem[i] = sem_open(path, 0)) == SEM_FAILED) {
			rc = ipcmp_fail("sem_open", errno);
			goto fail;
		}
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
	struct posix_shm *s = priv(chan);
	int rc = ipcmp_shm_ring_close(&s->rc.ring);

	for (int i = 0; i < NSEMS; i++) {
		if (s->sem[i] != SEM_FAILED && sem_close(s->sem[i]) < 0 && rc == 0)
			rc = ipcmp_fail("sem_close", errno);
		s->sem[i] = SEM_FAILED;
	}
	return rc;
}

/* How many of the channel's semaphores exist, or -errno. */
static int sems_present(const char *name)
{
	char path[PATH_LEN];
	int n = 0;

	for (int i = 0; i < NSEMS; i++) {
		sem_t *sem;

		ipcmp_posix_name(path, sizeof(path), name, sem_suffix[i]);
		if ((sem = sem_open(path, 0)) != SEM_FAILED) {
			sem_close(sem);
			n++;
		} else if (errno != ENOENT) {
			return ipcmp_fail("sem_open", errno);
		}
	}
	return n;
}

/*
 * Removes every name the channel made, once the ring is known to be this
 * channel's (something else there, with none of the channel's semaphores:
 * -EPROTO, nothing removed); those open stay usable until closed. A ring
 * overwritten, cut short or gone while semaphores of the channel remain,
 * or a semaphore gone, is a damaged channel: removed, IPCMP_DAMAGED.
 */
static int chan_unlink(const char *name)
{
	char path[PATH_LEN];
	int ring, sems, rc = 0;

	ipcmp_posix_name(path, sizeof(path), name, "ring");
	if ((ring = ipcmp_shm_ring_holds(path, name)) < 0)
		return ring;
	if ((sems = sems_present(name)) < 0)
		return sems;
	if (ring == IPCMP_SHM_RING_FOREIGN && sems == 0)
		return -EPROTO;
	if (ring == IPCMP_SHM_RING_MISSING && sems == 0)
		return ipcmp_fail("shm_unlink", ENOENT);
	if (ring != IPCMP_SHM_RING_MISSING && shm_unlink(path) < 0 && errno != ENOENT)
		return ipcmp_fail("shm_unlink", errno);
	for (int i = 0; i < NSEMS; i++) {
		ipcmp_posix_name(path, sizeof(path), name, sem_suffix[i]);
		if (sem_unlink(path) < 0 && errno != ENOENT && rc == 0)
			rc = ipcmp_fail("sem_unlink", errno);
	}
	return rc < 0 ? rc : ring == IPCMP_SHM_RING_OURS && sems == NSEMS ? 0 : IPCMP_DAMAGED;
}

/* Is the channel whole? 1, IPCMP_OWNS_DAMAGED (a part gone, the ring
 * overwritten or cut short), or 1 when its objects cannot be read. */
static int whole(const char *name)
{
	char path[PATH_LEN];
	int ring, sems;

	ipcmp_posix_name(path, sizeof(path), name, "ring");
	if ((ring = ipcmp_shm_ring_holds(path, name)) < 0 || (sems = sems_present(name)) < 0)
		return 1;
	return ring == IPCMP_SHM_RING_OURS && sems == NSEMS ? 1 : IPCMP_OWNS_DAMAGED;
}

/* POSIX: objects have names; the suffix tells which of ours it is. */
static int chan_owns(const char *kind, const char *object, long id, char *channel, size_t size)
{
	(void)id;
	if (strcmp(kind, "posix-shm") == 0 && ipcmp_posix_channel(object, "ring", channel, size))
		return whole(channel);
	if (strcmp(kind, "posix-sem") == 0)
		for (int i = 0; i < NSEMS; i++)
			if (ipcmp_posix_channel(object, sem_suffix[i], channel, size))
				return whole(channel);
	return 0;
}

/* The API map (ipcmp compare): the calls above, step by step. */
static const struct ipcmp_step steps[IPCMP_STEPS] = {
	[IPCMP_STEP_CREATE] = { "shm_open, posix_fallocate, mmap, sem_open", "O_CREAT|O_EXCL: /ipcmp.NAME.ring, .lock, .items, .slots, .takers; ready last" },
	[IPCMP_STEP_OPEN] = { "shm_open, fstat, mmap, sem_open", "the size from fstat" },
	[IPCMP_STEP_SIZE] = { "posix_fallocate", "reserves the pages (ftruncate would not)" },
	[IPCMP_STEP_MAP] = { "mmap", "MAP_SHARED" },
	[IPCMP_STEP_OWNS] = { "", "by name: /ipcmp.NAME.ring and its semaphores (common/names.c)" },
	[IPCMP_STEP_JOIN] = { "", "no call: the stream word (compare-and-swap); pid and start time in the ring's registry" },
	[IPCMP_STEP_LOCK] = { "sem_trywait, sem_timedwait", "the producers' .lock or the consumers' .takers, after the wait for slots or items (no call takes two); the holder writes its pid in the ring" },
	[IPCMP_STEP_ROOM] = { "sem_trywait, sem_timedwait", "on slots: tried first without waiting (user space), then waited for" },
	[IPCMP_STEP_PUBLISH] = { "memcpy", "into the ring, with sequence number and checksum (common/ring.c)" },
	[IPCMP_STEP_WAKE] = { "sem_post", "lock, then items: two calls" },
	[IPCMP_STEP_DATA] = { "sem_trywait, sem_timedwait", "on items: tried first without waiting (user space), then waited for" },
	[IPCMP_STEP_END] = { "sem_post", "the stream word says ENDED; items +1 wakes a consumer" },
	[IPCMP_STEP_ABORT] = { "sem_post", "the stream word says ABORTED; items +1" },
	[IPCMP_STEP_DEATH] = { "open, read", "a stalled consumer reads /proc/PID/stat of each registered producer" },
	[IPCMP_STEP_DEAD_LOCK] = { "open, read", "a stalled waiter finds the holder's pid dead in /proc: -ENOTRECOVERABLE" },
	[IPCMP_STEP_CLOSE] = { "munmap, sem_close", "" },
	[IPCMP_STEP_REMOVE] = { "shm_unlink, sem_unlink", "" },
};

const struct ipcmp_ops ipcmp_posix_shm_ops = {
	.name = "posix-shm",
	.family = "POSIX",
	.calls = "shm_open posix_fallocate mmap sem_open sem_timedwait sem_post munmap shm_unlink sem_unlink",
	.priv_size = sizeof(struct posix_shm),
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
