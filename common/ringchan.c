/*
 * ringchan.c - the stream protocol over a shared-memory ring (ringchan.h).
 *
 * send: wait for ROOM, take the producers' lock, copy into the slot at
 * tail, publish (unlock and post DATA). recv: wait for DATA, take the
 * consumers' lock, copy out of the slot at head, unlock and post ROOM. The
 * two locks are apart, so a producer never waits for a consumer's copy.
 * The end or abort of the stream is decided in the stream's word
 * (stream.c) and announced by one extra DATA post with the ring empty:
 * the token, which every consumer that takes it posts again.
 *
 * Waits for DATA are cut into slices of SLICE_MS; between two, a consumer
 * checks that the stream's producers live (a dead one aborts the stream).
 * Waits for the lock are cut likewise; between two, the lock's holder is
 * checked (POSIX: no undo, a dead holder keeps the lock for good). Every
 * call returns by its deadline plus IPCMP_TIMEOUT_MARGIN_MS: the lock gets
 * LOCK_MARGIN_MS beyond the caller's deadline, since it is held for one
 * copy only, and a caller who got its message or its slot must not lose
 * it to a lock that is about to be free.
 *
 * The fast path: a call that finds its slot or message and the lock free
 * reads no clock. POSIX: it tries each semaphore without waiting first (an
 * uncontended sem_trywait and sem_post stay in user space), so it makes no
 * system call at all; the deadline is taken only when it has to wait.
 * SysV: it tries the one semop that takes the item or slot and the lock
 * together with IPC_NOWAIT, which gives the kernel no timeout to arm (a
 * semtimedop with one reads the clock and converts it, even when it need
 * not sleep); every semop is a system call, so after a failed try the
 * next calls wait at once for a while (ipcmp_try_first).
 */
#include <string.h>
#include <unistd.h>

#include "ipcmp.h"
#include "ringchan.h"

#define SLICE_MS 50
#define LOCK_SLICE_MS 10
#define LOCK_MARGIN_MS (IPCMP_TIMEOUT_MARGIN_MS / 2)
#define ORPHAN_MS 500              /* held this long with no holder recorded: orphaned */

static struct ipcmp_ringchan *ringchan(struct ipcmp_chan *chan)
{
	return (struct ipcmp_ringchan *)chan->priv;
}

static int32_t *holder_of(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem lock)
{
	return lock == IPCMP_RING_LOCK ? &rc->ring.hdr->locker : &rc->ring.hdr->getlocker;
}

/*
 * A lock (the producers' or the consumers'), until the deadline +
 * LOCK_MARGIN_MS; a free one without a clock read. SysV: the kernel frees
 * the lock of a holder that dies (SEM_UNDO), and nothing is recorded.
 * POSIX: nothing does, so a holder records its pid, and a waiter that
 * finds it dead says the channel is broken (-ENOTRECOVERABLE) at once. A
 * holder killed between its take and its record (or between clearing it
 * and its post) leaves the lock taken with no holder: no record can be
 * made in the same step as a sem_wait. The lock is held for one copy, so a
 * waiter that finds no holder recorded for ORPHAN_MS on end says
 * -ENOTRECOVERABLE too (a live holder stopped or descheduled that long in
 * those two instructions would be taken for dead: the caller gets the
 * error, nobody gets the lock). SysV needs no such rule.
 *
 * The record is on the line of the lock's side (ring.h), which that side
 * writes anyway, and its stores are release: a release store is a plain
 * MOV on x86, where the seq_cst store it replaces was an XCHG, a full
 * barrier at every lock and unlock. Nothing weaker than the semaphores
 * already give is needed: the record follows a successful take, an
 * acquire (glibc's sem_trywait is an acquire CAS; semop, a system call),
 * so it cannot rise above it, and the clearing precedes the post, a
 * release (glibc's sem_post is a release add), so it cannot sink below
 * it. Relaxed would be enough for that; release keeps the clearing after
 * the copy on ARM, so a waiter that sees 0 sees the holder done. A waiter
 * reads the record only after a whole slice without the lock (acquire,
 * pairing): a stale value there could only name an earlier holder.
 */
static int lock(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem which, struct ipcmp_until *u)
{
	const struct ipcmp_ring_prims *p = rc->prims;
	int32_t *holder_at = holder_of(rc, which);
	struct ipcmp_until hard = IPCMP_UNTIL(p->clock, 0);
	struct ipcmp_until orphan = IPCMP_UNTIL(p->clock, ORPHAN_MS);
	struct timespec slice;
	/* before the take: the first call in a process is a system call, and
	 * between the take and the record the lock is held by nobody known */
	pid_t holder, self = p->undo ? 0 : ipcmp_self();
	int r;

	if ((r = p->take(rc, which, NULL)) == -EAGAIN) {
		ipcmp_until_extend(&hard, ipcmp_until_date(u), LOCK_MARGIN_MS);
		for (;;) {
			slice = ipcmp_until_slice(&hard, LOCK_SLICE_MS);
			if ((r = p->take(rc, which, &slice)) != -ETIMEDOUT)
				break;
			holder = __atomic_load_n(holder_at, __ATOMIC_ACQUIRE);
			if (!p->undo && holder != 0 && !ipcmp_pid_alive(holder, 0))
				return -ENOTRECOVERABLE;
			if (holder != 0 || p->undo)
				orphan.dated = 0;
			else if (!orphan.dated)
				ipcmp_until_date(&orphan);   /* no holder recorded: from now */
			else if (ipcmp_until_passed(&orphan))
				return -ENOTRECOVERABLE;
			if (ipcmp_until_passed(&hard))
				return -ETIMEDOUT;
		}
	}
	if (r == 0 && !p->undo)
		__atomic_store_n(holder_at, (int32_t)self, __ATOMIC_RELEASE);
	return r;
}

static int unlock_and_post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem which,
			   enum ipcmp_ring_sem sem)
{
	if (!rc->prims->undo)        /* release: see lock() */
		__atomic_store_n(holder_of(rc, which), 0, __ATOMIC_RELEASE);
	return rc->prims->unlock_and_post(rc, which, sem);
}

/*
 * A unit of sem, then the lock. SysV: one semtimedop of two operations,
 * which the kernel applies both or neither (a sleeper is woken only when
 * both can be taken), so the slot or message and the lock come together.
 * POSIX: a semaphore is one counter and there is no operation on two: take
 * one, then the other, and give the first back if the second fails; each
 * tried first without waiting. wait: 0, do not wait for sem (the lock may
 * still be waited for, to its margin). 0: both are held; -errno: neither.
 */
static int take_then_lock(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem,
			  enum ipcmp_ring_sem which, int wait, struct ipcmp_until *u)
{
	const struct ipcmp_ring_prims *p = rc->prims;
	int r;

	if (p->take_and_lock != NULL) {
		if (!wait || ipcmp_try_first(&rc->send_pause)) {
			if ((r = p->take_and_lock(rc, sem, which, NULL)) != -EAGAIN || !wait)
				return r;
			rc->send_pause = IPCMP_TRY_PAUSE;
		}
		return p->take_and_lock(rc, sem, which, ipcmp_until_date(u));
	}
	if ((r = p->take(rc, sem, NULL)) == -EAGAIN && wait)
		r = p->take(rc, sem, ipcmp_until_date(u));
	if (r < 0)
		return r;
	if ((r = lock(rc, which, u)) < 0) {
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
	struct ipcmp_until u = IPCMP_UNTIL(rc->prims->clock, timeout_ms);
	int r;

	/* put reads head, the consumers' line (the check of tail - head):
	 * fetch it while the wait runs (SysV: a system call) */
	__builtin_prefetch(&rc->ring.hdr->head);
	r = take_then_lock(rc, IPCMP_RING_ROOM, IPCMP_RING_LOCK, timeout_ms > 0, &u);
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
			    struct ipcmp_until *u, int had_item, int locked)
{
	ssize_t n;
	int r;

	if (!locked && (r = lock(rc, IPCMP_RING_GETLOCK, u)) < 0) {
		if (had_item)
			rc->prims->post(rc, IPCMP_RING_DATA);
		return r;
	}
	n = ipcmp_ring_get(&rc->ring, buf, cap);
	if (n >= 0) {
		/* the message is taken: a failed unlock must not lose it too.
		 * The lock stays held, so the next call fails instead. */
		unlock_and_post(rc, IPCMP_RING_GETLOCK, IPCMP_RING_ROOM);
		return n;
	}
	/* corrupt: the message stays, and so does its item */
	unlock_and_post(rc, IPCMP_RING_GETLOCK,
			n != -EAGAIN && had_item ? IPCMP_RING_DATA : IPCMP_RING_GETLOCK);
	return n;
}

/* A DATA unit, within the next slice (timeout 0: without waiting). SysV:
 * and the consumers' lock, in the same semop (locked). The first try of a
 * call does not wait, and reads no clock (SysV: unless paused). */
static int take_item(struct ipcmp_ringchan *rc, int locked, int first, struct ipcmp_until *u)
{
	const struct ipcmp_ring_prims *p = rc->prims;
	struct timespec slice, *wait = NULL;
	int r;

	if (!locked && first && (r = p->take(rc, IPCMP_RING_DATA, NULL)) != -EAGAIN)
		return r;
	if (locked && first && u->timeout_ms > 0 && ipcmp_try_first(&rc->recv_pause)) {
		if ((r = p->take_and_lock(rc, IPCMP_RING_DATA, IPCMP_RING_GETLOCK, NULL)) != -EAGAIN)
			return r;
		rc->recv_pause = IPCMP_TRY_PAUSE;
	}
	if (u->timeout_ms > 0) {
		slice = ipcmp_until_slice(u, SLICE_MS);
		wait = &slice;
	}
	return locked ? p->take_and_lock(rc, IPCMP_RING_DATA, IPCMP_RING_GETLOCK, wait) :
			p->take(rc, IPCMP_RING_DATA, wait);
}

ssize_t ipcmp_ringchan_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	struct ipcmp_ringchan *rc = ringchan(chan);
	const struct ipcmp_ring_prims *p = rc->prims;
	struct ipcmp_until u = IPCMP_UNTIL(p->clock, timeout_ms);
	ssize_t n;
	int r, st, moved, locked = p->take_and_lock != NULL;

	__builtin_prefetch(&rc->ring.hdr->tail);   /* get reads it: see send */
	for (int first = 1;; first = 0) {
		if ((r = take_item(rc, locked, first, &u)) == 0) {
			n = take_message(rc, buf, cap, &u, 1, locked);
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
			n = take_message(rc, buf, cap, &u, 0, 0);
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
		if (ipcmp_until_passed(&u))
			return -ETIMEDOUT;
	}
}
