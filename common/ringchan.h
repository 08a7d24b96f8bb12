/*
 * ringchan.h - the stream protocol over a shared-memory ring, written once.
 *
 * ringchan.c claims a slot, copies, publishes and wakes; it ends and aborts
 * streams, checks that producers live and that a lock holder lives, and
 * bounds every wait. A shm backend supplies only its family's primitives
 * below (and maps and removes its objects in create, open and unlink), as
 * Redis's ae_epoll.c and ae_kqueue.c supply only their system's calls to
 * ae.c: sysv/sysv_shm.c and posix/posix_shm.c are one table each.
 *
 * Four counters, whatever a family makes them of: LOCK, the producers'
 * lock, and GETLOCK, the consumers' (1 when free), DATA (messages a
 * consumer may take) and ROOM (free slots). Producers serialize only among
 * producers and consumers among consumers: a producer never waits for a
 * consumer's copy. The lock-free ring (atomicring.c) needs none of this.
 */
#ifndef IPCMP_RINGCHAN_H
#define IPCMP_RINGCHAN_H

#include <time.h>

#include "ring.h"
#include "stream.h"

enum ipcmp_ring_sem { IPCMP_RING_LOCK, IPCMP_RING_DATA, IPCMP_RING_ROOM, IPCMP_RING_GETLOCK };

struct ipcmp_ringchan;

struct ipcmp_ring_prims {
	clockid_t clock;           /* the clock of the deadlines take() is given */
	/* Waits for one unit of sem until the absolute deadline (NULL: does
	 * not wait). 0, -EAGAIN (NULL), -ETIMEDOUT, -EIDRM (removed), -errno.
	 * ringchan.c tries a lock with NULL before it reads the clock, and so
	 * (POSIX) DATA and ROOM: best when a try costs no system call. */
	int (*take)(struct ipcmp_ringchan *, enum ipcmp_ring_sem, const struct timespec *deadline);
	int (*post)(struct ipcmp_ringchan *, enum ipcmp_ring_sem);
	/* Releases lock (LOCK or GETLOCK) and posts sem (sem == lock: nothing more). */
	int (*unlock_and_post)(struct ipcmp_ringchan *, enum ipcmp_ring_sem lock,
			       enum ipcmp_ring_sem sem);
	/* Waits for one unit of sem AND the lock, as one atomic operation, or
	 * NULL: the family has none, and ringchan.c takes one, then the other. */
	int (*take_and_lock)(struct ipcmp_ringchan *, enum ipcmp_ring_sem sem,
			     enum ipcmp_ring_sem lock, const struct timespec *deadline);
	/* Counts a producer in or out in the kernel, undone if it dies; with
	 * live(), the kernel's count. NULL: no undo, the registry tells. */
	int (*count)(struct ipcmp_ringchan *, int delta);
	int (*live)(void *ringchan);
	/* 1: the kernel gives back the lock of a holder that dies (SysV
	 * SEM_UNDO), so no holder is recorded in the ring. 0 (POSIX): the
	 * holder records its pid, and a waiter checks it. */
	int undo;
};

/* The first member of a shm backend's private state. */
struct ipcmp_ringchan {
	const struct ipcmp_ring_prims *prims;
	struct ipcmp_ring ring;            /* ring.hdr NULL: not mapped */
	struct ipcmp_stream_member member; /* a producer's place in the stream */
	unsigned send_pause, recv_pause;   /* SysV: calls that wait at once (ipcmp_try_first) */
};

/* The last step of create and open for a producer handle. */
int ipcmp_ringchan_join(struct ipcmp_ringchan *rc);

/* The ipcmp_ops members every shm backend shares. */
int ipcmp_ringchan_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms);
ssize_t ipcmp_ringchan_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms);
int ipcmp_ringchan_leave(struct ipcmp_chan *chan, int abort);

#endif
