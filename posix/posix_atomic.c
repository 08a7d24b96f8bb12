/*
 * posix_atomic.c - the channel over POSIX shared memory and C11 atomics.
 *
 * One object (shm_open, mmap), /ipcmp.NAME.atomic, holds the ring of
 * common/ring.h, and nothing else: no semaphore. Producers and consumers
 * claim slots by compare-and-swap (common/atomicring.c) and sleep on futex
 * words in the ring only when it is empty or full. The object is made,
 * opened and removed as posix_shm.c's ring is (posix/shm_ring.c), and
 * there are no semaphores besides it: read the two side by side.
 *
 *   $ ipcmp create -b posix-atomic jobs
 *   $ ipcmp recv -b posix-atomic jobs > copy &
 *   $ ipcmp send -b posix-atomic jobs < file
 *   $ ipcmp unlink -b posix-atomic jobs
 */
#include <string.h>
#include <sys/mman.h>

#include "atomicring.h"
#include "ipcmp.h"
#include "shm_ring.h"

#define SUFFIX "atomic"
#define PATH_LEN IPCMP_SHM_RING_PATH_LEN

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

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct posix_atomic *s = priv(chan);
	char path[PATH_LEN];
	int rc;

	ipcmp_posix_name(path, sizeof(path), chan->name, SUFFIX);
	if ((rc = ipcmp_shm_ring_create(&s->ar.ring, path, chan->name, attr)) < 0)
		return rc;
	/* the turns and futex words start with the ring: nothing else to make */
	ipcmp_ring_set_ready(&s->ar.ring);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	if ((rc = ipcmp_atomicring_join(&s->ar, chan->flags & IPCMP_PRODUCER)) < 0) {
		shm_unlink(path);
		chan_close(chan);
	}
	return rc;
}

static int chan_open(struct ipcmp_chan *chan)
{
	struct posix_atomic *s = priv(chan);
	char path[PATH_LEN];
	int rc;

	ipcmp_posix_name(path, sizeof(path), chan->name, SUFFIX);
	if ((rc = ipcmp_shm_ring_open(&s->ar.ring, path, chan->name)) < 0)
		return rc;
	chan->msg_max = s->ar.ring.msg_max;
	chan->capacity = s->ar.ring.capacity;
	if ((rc = ipcmp_atomicring_join(&s->ar, chan->flags & IPCMP_PRODUCER)) < 0)
		chan_close(chan);
	return rc;
}

static int chan_close(struct ipcmp_chan *chan)
{
	return ipcmp_shm_ring_close(&priv(chan)->ar.ring);
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
	if ((ring = ipcmp_shm_ring_holds(path, name)) < 0)
		return ring;
	if (ring == IPCMP_SHM_RING_FOREIGN)
		return -EPROTO;
	if (ring == IPCMP_SHM_RING_MISSING)
		return ipcmp_fail("shm_unlink", ENOENT);
	if (shm_unlink(path) < 0)
		return ipcmp_fail("shm_unlink", errno);
	return ring == IPCMP_SHM_RING_OURS ? 0 : IPCMP_DAMAGED;
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
