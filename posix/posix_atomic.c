/*
 * posix_atomic.c - the channel over POSIX shared memory and C11 atomics.
 *
 * One object (shm_open, mmap), /ipcmp.NAME.atomic, holds the ring of
 * common/ring.h, and nothing else: no semaphore. Producers and consumers
 * claim slots by compare-and-swap (common/atomicring.c) and sleep on futex
 * words in the ring only when it is empty or full. The objects' life is
 * posix_shm.c's, less the semaphores: read the two side by side.
 *
 *   $ ipcmp create -b posix-atomic jobs
 *   $ ipcmp recv -b posix-atomic jobs > copy &
 *   $ ipcmp send -b posix-atomic jobs < file
 *   $ ipcmp unlink -b posix-atomic jobs
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicring.h"
#include "ipcmp.h"

#define SUFFIX "atomic"
#define PATH_LEN (sizeof(IPCMP_POSIX_PREFIX) + IPCMP_NAME_MAX + 8)

struct posix_atomic {
	struct ipcmp_atomicring ar;  /* first: the protocol's part of the handle */
};

static struct posix_atomic *priv(struct ipcmp_chan *chan)
{
	return (struct posix_atomic *)chan->priv;
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
static int object_size(int fd, size_t *size);

/* create found a ring under the name: this channel's (-EEXIST, perhaps
 * still being made by another creator) or not (-EPROTO). */
static int existing(const char *path, const char *name)
{
	size_t size = 0;
	void *mem;
	int fd, rc;

	if ((fd = shm_open(path, O_RDONLY, 0)) < 0)
		return ipcmp_fail("shm_open", EEXIST);
	if ((rc = object_size(fd, &size)) < 0) {
		close(fd);
		return ipcmp_fail("shm_open", rc == -EPROTO ? EPROTO : EEXIST);
	}
	mem = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("shm_open", EEXIST);
	rc = ipcmp_ring_wait_ready(mem, size);
	if (rc != -EPROTO)
		rc = ipcmp_ring_owned(mem, size, name) ? -EEXIST : -EPROTO;
	munmap(mem, size);
	return ipcmp_fail("shm_open", -rc);
}

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct posix_atomic *s = priv(chan);
	size_t size = ipcmp_ring_size(attr->msg_max, attr->capacity);
	char path[PATH_LEN];
	void *mem;
	int fd, rc;

	ipcmp_posix_name(path, sizeof(path), chan->name, SUFFIX);
	/* POSIX: the umask applies to the mode, as for open(2). */
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, attr->mode)) < 0)
		return errno == EEXIST ? existing(path, chan->name) : ipcmp_fail("shm_open", errno);
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
	/* the turns and futex words start with the ring: nothing else to make */
	ipcmp_ring_init(&s->ar.ring, mem, size, chan->name, attr->msg_max, attr->capacity);
	ipcmp_ring_set_ready(&s->ar.ring);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	if ((rc = ipcmp_atomicring_join(&s->ar, chan->flags & IPCMP_PRODUCER)) < 0)
		goto fail;
	return 0;

fail:
	shm_unlink(path);
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
	struct posix_atomic *s = priv(chan);
	char path[PATH_LEN];
	size_t size = 0;
	void *mem;
	int fd, rc;

	ipcmp_posix_name(path, sizeof(path), chan->name, SUFFIX);
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
	s->ar.ring.hdr = mem;
	s->ar.ring.size = size;
	if ((rc = ipcmp_ring_wait_ready(mem, size)) < 0 ||
	    (rc = ipcmp_ring_attach(&s->ar.ring, mem, size, chan->name)) < 0)
		goto fail;
	chan->msg_max = s->ar.ring.msg_max;
	chan->capacity = s->ar.ring.capacity;
	if ((rc = ipcmp_atomicring_join(&s->ar, chan->flags & IPCMP_PRODUCER)) < 0)
		goto fail;
	return 0;

fail:
	chan_close(chan);
	return rc;
}

static int chan_close(struct ipcmp_chan *chan)
{
	struct posix_atomic *s = priv(chan);
	int rc = 0;

	/* POSIX: unmapping is the whole of detaching; the name may be gone already. */
	if (s->ar.ring.hdr != NULL && munmap(s->ar.ring.hdr, s->ar.ring.size) < 0)
		rc = ipcmp_fail("munmap", errno);
	s->ar.ring.hdr = NULL;
	return rc;
}

enum { MISSING, OURS, HALF_MADE, OVERWRITTEN, FOREIGN };

/* What the object at path holds: this channel's ring, nothing yet (empty or
 * zeroed: a create cut short), this channel's ring with its header
 * overwritten (the seal still names it), or something else. */
static int ring_holds(const char *path, const char *name)
{
	struct stat st;
	void *mem;
	int fd, rc;

	if ((fd = shm_open(path, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? MISSING : ipcmp_fail("shm_open", errno);
	if (fstat(fd, &st) < 0) {
		rc = ipcmp_fail("fstat", errno);
		close(fd);
		return rc;
	}
	if ((size_t)st.st_size < sizeof(struct ipcmp_ring_hdr)) {
		close(fd);
		return st.st_size == 0 ? HALF_MADE : FOREIGN;
	}
	mem = mmap(NULL, sizeof(struct ipcmp_ring_hdr), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("mmap", errno);
	rc = ((struct ipcmp_ring_hdr *)mem)->magic == 0 ? HALF_MADE :
	     ipcmp_ring_owned(mem, sizeof(struct ipcmp_ring_hdr), name) ? OURS :
	     ipcmp_ring_sealed(mem, sizeof(struct ipcmp_ring_hdr), name) ? OVERWRITTEN : FOREIGN;
	munmap(mem, sizeof(struct ipcmp_ring_hdr));
	return rc;
}

/*
 * Removes the channel's object once it is known to be this channel's
 * (something else there: -EPROTO, nothing removed); those open stay usable
 * until closed. An object left empty or zeroed by a create cut short, or
 * whose header was overwritten, is removed too: IPCMP_DAMAGED.
 */
static int chan_unlink(const char *name)
{
	char path[PATH_LEN];
	int ring;

	ipcmp_posix_name(path, sizeof(path), name, SUFFIX);
	if ((ring = ring_holds(path, name)) < 0)
		return ring;
	if (ring == FOREIGN)
		return -EPROTO;
	if (ring == MISSING)
		return ipcmp_fail("shm_unlink", ENOENT);
	if (shm_unlink(path) < 0)
		return ipcmp_fail("shm_unlink", errno);
	return ring == OURS ? 0 : IPCMP_DAMAGED;
}

/* POSIX: objects have names; the suffix tells which of ours it is. */
static int chan_owns(const char *kind, const char *object, long id, char *channel, size_t size)
{
	(void)id;
	if (strcmp(kind, "posix-shm") == 0)
		return ipcmp_posix_channel(object, SUFFIX, channel, size);
	return 0;
}

static const struct ipcmp_step steps[IPCMP_STEPS] = {
	[IPCMP_STEP_CREATE] = { "shm_open, posix_fallocate, mmap", "O_CREAT|O_EXCL: /ipcmp.NAME.atomic, the only object; ready last" },
	[IPCMP_STEP_OPEN] = { "shm_open, fstat, mmap", "the size from fstat" },
	[IPCMP_STEP_SIZE] = { "posix_fallocate", "reserves the pages (ftruncate would not)" },
	[IPCMP_STEP_MAP] = { "mmap", "MAP_SHARED" },
	[IPCMP_STEP_OWNS] = { "", "by name: /ipcmp.NAME.atomic, its header's magic, name and seal" },
	[IPCMP_STEP_JOIN] = { "", "no call: the stream word (compare-and-swap); pid and start time in the ring's registry" },
	[IPCMP_STEP_LOCK] = { "", "no lock: compare-and-swap on tail (producers) or head (consumers) claims a slot" },
	[IPCMP_STEP_ROOM] = { "syscall", "spin, then FUTEX_WAIT on the room word, only when the ring is full" },
	[IPCMP_STEP_PUBLISH] = { "memcpy", "into the claimed slot, then a release store of its turn" },
	[IPCMP_STEP_WAKE] = { "syscall", "FUTEX_WAKE, only when the waiters count says a consumer sleeps" },
	[IPCMP_STEP_DATA] = { "syscall", "spin, then FUTEX_WAIT on the data word, only when the ring is empty" },
	[IPCMP_STEP_END] = { "syscall", "the stream word says ENDED; FUTEX_WAKE of every sleeper" },
	[IPCMP_STEP_ABORT] = { "syscall", "the stream word says ABORTED; FUTEX_WAKE of every sleeper" },
	[IPCMP_STEP_DEATH] = { "open, read", "a consumer idle for a slice reads /proc/PID/stat of each registered producer, and of a slot's claimer" },
	[IPCMP_STEP_DEAD_LOCK] = { "", "no lock to hold: a consumer that died claiming a slot has its pid in the slot; a producer frees it" },
	[IPCMP_STEP_CLOSE] = { "munmap", "" },
	[IPCMP_STEP_REMOVE] = { "shm_unlink", "" },
};

const struct ipcmp_ops ipcmp_posix_atomic_ops = {
	.name = "posix-atomic",
	.family = "POSIX",
	.calls = "shm_open posix_fallocate mmap futex munmap shm_unlink",
	.priv_size = sizeof(struct posix_atomic),
	.limits = chan_limits,
	.create = chan_create,
	.open = chan_open,
	.send = ipcmp_atomicring_send,
	.recv = ipcmp_atomicring_recv,
	.leave = ipcmp_atomicring_leave,
	.close = chan_close,
	.unlink = chan_unlink,
	.owns = chan_owns,
	.steps = steps,
};
