/*
 * posix_shm.c - the channel over POSIX shared memory and named semaphores.
 *
 * One object (shm_open, mmap) holds the ring of common/ring.h; three named
 * semaphores (sem_open, sem_timedwait) guard it, all named from the channel
 * by ipcmp_posix_name: /ipcmp.NAME and /ipcmp.NAME.{lock,items,slots}.
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
#include <time.h>
#include <unistd.h>

#include "ipcmp.h"
#include "ring.h"

enum { LOCK, ITEMS, SLOTS, NSEMS };

static const char *const sem_suffix[NSEMS] = { "lock", "items", "slots" };

#define PATH_LEN (sizeof(IPCMP_POSIX_PREFIX) + IPCMP_NAME_MAX + 8)

struct posix_shm {
	sem_t *sem[NSEMS];         /* SEM_FAILED: none */
	struct ipcmp_ring ring;    /* ring.hdr NULL: not mapped */
	int producer;              /* counted in the ring header */
};

static struct posix_shm *priv(struct ipcmp_chan *chan)
{
	return (struct posix_shm *)chan->priv;
}

/*
 * POSIX: sem_timedwait takes an absolute CLOCK_REALTIME deadline, so after
 * EINTR the same deadline is simply passed again. A semaphore whose name was
 * unlinked goes on working for those who have it open.
 */
static int take_sem(sem_t *sem, const struct timespec *deadline)
{
	for (;;) {
		int rc = deadline == NULL ? sem_trywait(sem) : sem_timedwait(sem, deadline);

		if (rc == 0)
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

static int take(struct posix_shm *s, int sem, const struct timespec *deadline)
{
	return take_sem(s->sem[sem], deadline);
}

/* POSIX: no undo; a holder that dies keeps the lock, and we say so. */
static int lock(struct posix_shm *s)
{
	struct timespec deadline;
	int rc;

	ipcmp_deadline(&deadline, CLOCK_REALTIME, IPCMP_LOCK_WAIT_MS);
	rc = take(s, LOCK, &deadline);
	return rc == -ETIMEDOUT ? -ENOTRECOVERABLE : rc;
}

/* POSIX: two calls; a semaphore is one counter, never a set. */
static int unlock_and_post(struct posix_shm *s, int sem)
{
	if (sem_post(s->sem[LOCK]) < 0 || sem_post(s->sem[sem]) < 0)
		return ipcmp_fail("sem_post", errno);
	return 0;
}

static int unlock(struct posix_shm *s)
{
	return sem_post(s->sem[LOCK]) < 0 ? ipcmp_fail("sem_post", errno) : 0;
}

static int producers(struct posix_shm *s)
{
	return (int)ipcmp_ring_producers(&s->ring);
}

static int producer_join(struct posix_shm *s)
{
	int rc;

	if ((rc = lock(s)) < 0)
		return rc;
	ipcmp_ring_producers_add(&s->ring, 1);
	s->producer = 1;
	return unlock(s);
}

/* The last producer out posts ITEMS once with nothing in the ring: the
 * end-of-stream token, which every consumer passes on. */
static int producer_leave(struct posix_shm *s)
{
	int rc;

	s->producer = 0;
	if ((rc = lock(s)) < 0)
		return rc;
	if (ipcmp_ring_producers_add(&s->ring, -1) != 0)
		return unlock(s);
	return unlock_and_post(s, ITEMS);
}

/* After a wait ran out: the ring is drained and every producer is gone. */
static int at_end(struct posix_shm *s)
{
	int rc;

	if ((rc = lock(s)) < 0)
		return rc;
	rc = producers(s) == 0 && ipcmp_ring_seen(&s->ring) && ipcmp_ring_empty(&s->ring);
	unlock(s);
	return rc;
}

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
	size_t size = ipcmp_ring_size(attr->msg_max, attr->capacity);
	unsigned init[NSEMS] = { 1, 0, (unsigned)attr->capacity };
	char path[PATH_LEN];
	int made = 0;                   /* objects made, for the unwind */
	void *mem;
	int fd, rc;

	for (int i = 0; i < NSEMS; i++)
		s->sem[i] = SEM_FAILED;
	ipcmp_posix_name(path, sizeof(path), chan->name, NULL);
	/* POSIX: the umask applies to the mode, as for open(2). */
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, attr->mode)) < 0)
		return ipcmp_fail("shm_open", errno);
	/* POSIX: reserve the pages now, so a full /dev/shm is ENOSPC here and
	 * not SIGBUS at the first write to the mapping. */
	if ((rc = posix_fallocate(fd, 0, (off_t)size)) != 0) {
		close(fd);
		rc = ipcmp_fail("posix_fallocate", rc);
		goto fail;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);                      /* POSIX: the mapping outlives the descriptor */
	if (mem == MAP_FAILED) {
		rc = ipcmp_fail("mmap", errno);
		goto fail;
	}
	ipcmp_ring_init(&s->ring, mem, size, chan->name, attr->msg_max, attr->capacity);

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
	ipcmp_ring_set_ready(&s->ring);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	if ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0)
		goto fail;
	return 0;

fail:
	while (made-- > 0) {
		ipcmp_posix_name(path, sizeof(path), chan->name, sem_suffix[made]);
		sem_unlink(path);
	}
	ipcmp_posix_name(path, sizeof(path), chan->name, NULL);
	shm_unlink(path);
	s->producer = 0;
	chan_close(chan);
	return rc;
}

/* POSIX: between the creator's shm_open and posix_fallocate the object is
 * empty; wait, bounded, for its size. */
static int object_size(int fd, size_t *size)
{
	struct timespec tick = { 0, 1000000 };
	struct stat st;

	for (int waited = 0; waited < IPCMP_OPEN_WAIT_MS; waited++) {
		if (fstat(fd, &st) < 0)
			return ipcmp_fail("fstat", errno);
		if ((size_t)st.st_size >= sizeof(struct ipcmp_ring_hdr)) {
			*size = (size_t)st.st_size;
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	return -EPROTO;
}

static int chan_open(struct ipcmp_chan *chan)
{
	struct posix_shm *s = priv(chan);
	char path[PATH_LEN];
	size_t size = 0;
	void *mem;
	int fd, rc;

	for (int i = 0; i < NSEMS; i++)
		s->sem[i] = SEM_FAILED;
	ipcmp_posix_name(path, sizeof(path), chan->name, NULL);
	if ((fd = shm_open(path, O_RDWR, 0)) < 0)
		return ipcmp_fail("shm_open", errno);
	if ((rc = object_size(fd, &size)) < 0) {
		close(fd);
		return rc;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("mmap", errno);
	s->ring.hdr = mem;
	s->ring.size = size;
	if ((rc = ipcmp_ring_wait_ready(mem, size)) < 0 ||
	    (rc = ipcmp_ring_attach(&s->ring, mem, size, chan->name)) < 0)
		goto fail;
	for (int i = 0; i < NSEMS; i++) {
		ipcmp_posix_name(path, sizeof(path), chan->name, sem_suffix[i]);
		if ((s->sem[i] = sem_open(path, 0)) == SEM_FAILED) {
			rc = ipcmp_fail("sem_open", errno);
			goto fail;
		}
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
	struct posix_shm *s = priv(chan);
	struct timespec deadline;
	int rc;

	ipcmp_deadline(&deadline, CLOCK_REALTIME, timeout_ms);
	if ((rc = take(s, SLOTS, timeout_ms > 0 ? &deadline : NULL)) < 0)
		return rc;
	if ((rc = lock(s)) < 0) {
		sem_post(s->sem[SLOTS]);
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
	struct posix_shm *s = priv(chan);
	struct timespec deadline;
	ssize_t n;
	int rc;

	ipcmp_deadline(&deadline, CLOCK_REALTIME, timeout_ms);
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
		if (producers(s) == 0) {
			unlock_and_post(s, ITEMS);
			return IPCMP_EOS;
		}
		unlock(s);                      /* a producer came back: a stale token */
	}
}

static int chan_close(struct ipcmp_chan *chan)
{
	struct posix_shm *s = priv(chan);
	int rc = 0;

	if (s->producer)
		rc = producer_leave(s);
	/* POSIX: unmapping is the whole of detaching; the name may be gone already. */
	if (s->ring.hdr != NULL && munmap(s->ring.hdr, s->ring.size) < 0 && rc == 0)
		rc = ipcmp_fail("munmap", errno);
	s->ring.hdr = NULL;
	for (int i = 0; i < NSEMS; i++) {
		if (s->sem[i] != SEM_FAILED && sem_close(s->sem[i]) < 0 && rc == 0)
			rc = ipcmp_fail("sem_close", errno);
		s->sem[i] = SEM_FAILED;
	}
	return rc;
}

/* Removes every name the channel made; those open stay usable until closed. */
static int chan_unlink(const char *name)
{
	char path[PATH_LEN];
	int gone = 0, rc = 0;

	ipcmp_posix_name(path, sizeof(path), name, NULL);
	if (shm_unlink(path) < 0) {
		if (errno != ENOENT)
			return ipcmp_fail("shm_unlink", errno);
		gone++;
	}
	for (int i = 0; i < NSEMS; i++) {
		ipcmp_posix_name(path, sizeof(path), name, sem_suffix[i]);
		if (sem_unlink(path) == 0)
			continue;
		if (errno == ENOENT)
			gone++;
		else if (rc == 0)
			rc = ipcmp_fail("sem_unlink", errno);
	}
	if (gone == 1 + NSEMS)
		return ipcmp_fail("shm_unlink", ENOENT);
	return rc;
}

const struct ipcmp_ops ipcmp_posix_shm_ops = {
	.name = "posix-shm",
	.family = "POSIX",
	.calls = "shm_open posix_fallocate mmap sem_open sem_timedwait sem_post munmap shm_unlink sem_unlink",
	.priv_size = sizeof(struct posix_shm),
	.limits = chan_limits,
	.create = chan_create,
	.open = chan_open,
	.send = chan_send,
	.recv = chan_recv,
	.close = chan_close,
	.unlink = chan_unlink,
};
