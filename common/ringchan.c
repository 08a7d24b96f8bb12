/*
 * ringchan.c - the stream protocol over a shared-memory ring (ringchan.h).
 *
 * send: wait for ROOM, take the producers' lock, copy into the slot at
 * tail, publish (unlock and post DATA). recv: wait for DATA, take the
 * consumers' lock, copy out of the slot at head, unlock and post ROOM. The
 * two locks are apart, so a producer never waits for a consumer's copy. The end or abort of the stream is decided in the
 * stream's word (stream.c) and announced by one extra DATA post with the
 * ring empty: the token, which every consumer that takes it posts again.
 *
 * Waits for DATA are cut into slices of SLICE_MS; between two, a consumer
 * checks that the stream's producers live (a dead one aborts the stream).
 * Waits for the lock are cut likewise; between two, the lock's holder is
 * checked (POSIX: no undo, a dead holder keeps the lock for good). Every
 * call returns by its deadline plus IPCMP_TIMEOUT_MARGIN_MS: the lock gets
 * LOCK_MARGIN_MS beyond the caller's deadline, since it is held for one
 * copy only, and a caller who got its message or its slot must not lose
 * it to a lock that is about to be free.
 */
#include <string.h>
#include <unistd.h>

#include "ipcmp.h"
#include "ringchan.h"

#define SLICE_MS 50
#define LOCK_SLICE_MS 10
#define LOCK_MARGIN_MS (IPCMP_TIMEOUT_MARGIN_MS / 2)
#define ORPHAN_MS 500              /* held this long with no holder recorded: orphaned */

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static struct ipcmp_ringchan *ringchan(struct ipcmp_chan *chan)
{
	return (struct ipcmp_ringchan *)chan->priv;
}

static void add_ms(struct timespec *t, int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The end of the next slice: slice_ms from now, or the deadline if sooner. */
static struct timespec slice_end(clockid_t clock, const struct timespec *deadline, int slice_ms)
{
	struct timespec t;

	ipcmp_deadline(&t, clock, slice_ms);
	return before(deadline, &t) ? *deadline : t;
}

static int passed(clockid_t clock, const struct timespec *deadline)
{
	struct timespec left;

	return ipcmp_remaining(deadline, clock, &left) < 0;
}

static int32_t *holder_of(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem lock)
{
	return lock == IPCMP_RING_LOCK ? &rc->ring.hdr->locker : &rc->ring.hdr->getlocker;
}

/*
 * A lock (the producers' or the consumers'), until deadline +
 * LOCK_MARGIN_MS. SysV: the kernel frees the lock of a holder that dies
 * (SEM_UNDO). POSIX: nothing does, so a holder records its pid, and a
 * waiter that finds it dead says the channel is broken (-ENOTRECOVERABLE)
 * at once. A holder killed between its take and its record (or between
 * clearing it and its post) leaves the lock taken with no holder: no
 * record can be made in the same step as a sem_wait. The lock is held for
 * one copy, so a waiter that finds no holder recorded for ORPHAN_MS on
 * end says -ENOTRECOVERABLE too (a live holder stopped or descheduled that
 * long in those two instructions would be taken for dead: the caller gets
 * the error, nobody gets the lock). SysV needs no such rule.
 */
static int lock(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem which,
		const struct timespec *deadline)
{
	const struct ipcmp_ring_prims *p = rc->prims;
	struct timespec hard = *deadline, slice, orphan;
	int32_t *holder_at = holder_of(rc, which);
	int unowned = 0, undo = p->count != NULL;     /* ringchan.h: count, the kernel's undo */
	pid_t holder;
	int r;

	add_ms(&hard, LOCK_MARGIN_MS);
	for (;;) {
		slice = slice_end(p->clock, &hard, LOCK_SLICE_MS);
		if ((r = p->take(rc, which, &slice)) == 0) {
			STORE(*holder_at, (int32_t)getpid());
			return 0;
		}
		if (r != -ETIMEDOUT)
			return r;
		holder = LOAD(*holder_at);
		if (holder != 0 && !ipcmp_pid_alive(holder, 0))
			return -ENOTRECOVERABLE;
		if (holder != 0 || undo)
			unowned = 0;
		else if (!unowned++)
			ipcmp_deadline(&orphan, p->clock, ORPHAN_MS);
		else if (passed(p->clock, &orphan))
			return -ENOTRECOVERABLE;
		if (passed(p->clock, &hard))
			return -ETIMEDOUT;
	}
}

static int unlock_and_post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem which,
			   enum ipcmp_ring_sem sem)
{
	STORE(*holder_of(rc, which), 0);
	return rc->prims->unlock_and_post(rc, which, sem);
}

/*
 * A unit of sem, then the lock. SysV: one semtimedop of two operations,
 * which the kernel applies both or neither (a sleeper is woken only when
 * both can be taken), so the slot or message and the lock come together.
 * POSIX: a semaphore is one counter and there is no operation on two: take
 * one, then the other, and give the first back if the second fails.
 * 0: both are held; -errno: neither.
 */
static int take_then_lock(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem,
			  enum ipcmp_ring_sem which, const struct timespec *wait,
			  const struct timespec *deadline)
{
	const struct ipcmp_ring_prims *p = rc->prims;
	int r;

	if (p->take_and_lock != NULL)
		return p->take_and_lock(rc, sem, which, wait);
	if ((r = p->take(rc, sem, wait)) < 0)
		return r;
	if ((r = lock(rc, which, deadline)) < 0) {
		p->post(rc, sem);
		return r;
	}
	return 0;
}

static int live(void *arg)
{
	struct ipcmp_ringchan *rc = arg;

	return rc->prims->live(rc);
}

int ipcmp_ringchan_join(struct ipcmp_ringchan *rc)
{
	int r;

	if (rc->prims->count != NULL && (r = rc->prims->count(rc, 1)) < 0)
		return r;
	if ((r = ipcmp_stream_join(rc->ring.stream, &rc->member)) < 0 && rc->prims->count != NULL)
		rc->prims->count(rc, -1);
	return r;
}

int ipcmp_ringchan_leave(struct ipcmp_chan *chan, int abort)
{
	struct ipcmp_ringchan *rc = ringchan(chan);
	pid_t pid = rc->member.pid;
	int moved, r = 0;

	if (rc->ring.hdr == NULL || pid == 0)
		return 0;
	moved = ipcmp_stream_leave(rc->ring.stream, &rc->member, abort);
	if (pid == getpid() && rc->prims->count != NULL)
		r = rc->prims->count(rc, -1);
	if (moved && r == 0)
		r = rc->prims->post(rc, IPCMP_RING_DATA);     /* the token */
	return r == -EIDRM ? 0 : r;                          /* removed under us: nobody to tell */
}

int ipcmp_ringchan_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	struct ipcmp_ringchan *rc = ringchan(chan);
	const struct ipcmp_ring_prims *p = rc->prims;
	struct timespec deadline;
	int r;

	ipcmp_deadline(&deadline, p->clock, timeout_ms);
	r = take_then_lock(rc, IPCMP_RING_ROOM, IPCMP_RING_LOCK, timeout_ms > 0 ? &deadline : NULL,
			   &deadline);
	if (r < 0)
		return r == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : r;
	if ((r = ipcmp_ring_put(&rc->ring, buf, len, rc->member.slot,
				chan->flags & IPCMP_CHECKSUM)) < 0) {
		unlock_and_post(rc, IPCMP_RING_LOCK, IPCMP_RING_ROOM);
		return r;
	}
	return unlock_and_post(rc, IPCMP_RING_LOCK, IPCMP_RING_DATA);
}

/* Under the consumers' lock, the message at head. had_item: the caller took
 * a DATA unit for it, to be given back if there is no good message. locked:
 * the caller holds the lock already. -EAGAIN: the ring is empty. */
static ssize_t take_message(struct ipcmp_ringchan *rc, void *buf, size_t cap,
			    const struct timespec *deadline, int had_item, int locked)
{
	ssize_t n;
	int r;

	if (!locked && (r = lock(rc, IPCMP_RING_GETLOCK, deadline)) < 0) {
		if (had_item)
			rc->prims->post(rc, IPCMP_RING_DATA);
		return r;
	}
	n = ipcmp_ring_get(&rc->ring, buf, cap);
	if (n >= 0) {
		r = unlock_and_post(rc, IPCMP_RING_GETLOCK, IPCMP_RING_ROOM);
		return r < 0 ? r : n;
	}
	/* corrupt: the message stays, and so does its item */
	unlock_and_post(rc, IPCMP_RING_GETLOCK,
			n != -EAGAIN && had_item ? IPCMP_RING_DATA : IPCMP_RING_GETLOCK);
	return n;
}

ssize_t ipcmp_ringchan_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	struct ipcmp_ringchan *rc = ringchan(chan);
	const struct ipcmp_ring_prims *p = rc->prims;
	struct timespec deadline, slice;
	ssize_t n;
	int r, st, moved, locked = p->take_and_lock != NULL;

	ipcmp_deadline(&deadline, p->clock, timeout_ms);
	for (;;) {
		/* SysV: the item and the consumers' lock in one semop */
		if (timeout_ms == 0) {
			r = locked ? p->take_and_lock(rc, IPCMP_RING_DATA, IPCMP_RING_GETLOCK, NULL) :
				     p->take(rc, IPCMP_RING_DATA, NULL);
		} else {
			slice = slice_end(p->clock, &deadline, SLICE_MS);
			r = locked ? p->take_and_lock(rc, IPCMP_RING_DATA, IPCMP_RING_GETLOCK, &slice) :
				     p->take(rc, IPCMP_RING_DATA, &slice);
		}
		if (r == 0) {
			n = take_message(rc, buf, cap, &deadline, 1, locked);
			if (n != -EAGAIN)
				return n == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : n;
			/* an item and an empty ring: the token, or a stale item
			 * (POSIX posts DATA after it unlocks: a consumer may take
			 * the message before its item) */
		} else if (r != -ETIMEDOUT && r != -EAGAIN) {
			return r;
		}
		st = ipcmp_stream_status(rc->ring.stream, p->live != NULL ? live : NULL, rc, &moved);
		if (moved)
			p->post(rc, IPCMP_RING_DATA);   /* we aborted it: the token */
		if (st == IPCMP_EOS || st == IPCMP_ABORTED) {
			/* over: what is still in the ring comes first (a producer
			 * may have died between publishing and posting DATA) */
			if (r == 0)
				p->post(rc, IPCMP_RING_DATA);   /* pass the token on */
			n = take_message(rc, buf, cap, &deadline, 0, 0);
			if (n == -EAGAIN && st == IPCMP_ABORTED)
				chan->aborter = ipcmp_stream_aborter(rc->ring.stream);
			return n == -EAGAIN ? st : n == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : n;
		}
		if (st < 0)
			return st;
		if (r == 0)
			continue;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (passed(p->clock, &deadline))
			return -ETIMEDOUT;
	}
}
