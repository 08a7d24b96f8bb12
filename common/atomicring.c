/*
 * atomicring.c - the stream protocol over a lock-free ring (atomicring.h).
 *
 * Positions. tail counts puts claimed, head gets claimed; message pos lives
 * in slot pos % capacity, whose turn (32 bits, compared modulo 2^32) is
 *   pos             free: the producer that claims pos may fill it
 *   pos + 1         message pos published: the consumer that claims pos may take it
 *   pos + capacity  taken: free for the put of pos + capacity.
 * A producer claims pos by CAS on tail (tail == pos, turn == pos), fills the
 * slot and publishes it (turn = pos + 1); a consumer copies the message out
 * and checks it (length, checksum, the producer's sequence number) first,
 * then claims it by CAS on head (head == pos, turn == pos + 1) and frees it
 * (turn = pos + capacity): a message that fails its checks is not claimed,
 * and stays for the next recv, as in the locked rings. Two producers never wait
 * for each other's copy, nor a producer for a consumer's: each side waits
 * only when the ring is empty or full, or on the one slot it claimed.
 *
 * Sleeping. A side spins SPIN_TRIES times, then registers in its waiters
 * count and sleeps on its futex word (a plain FUTEX_WAIT: the word is shared
 * between processes, so not FUTEX_PRIVATE_FLAG) for at most one slice.
 * Whoever publishes or frees a slot bumps the word and wakes only if the
 * count says someone sleeps: Dekker's pattern, both sides' seq_cst steps
 * see at least one of the two writes, so no wake-up is lost.
 *
 * Deaths. A producer killed between claiming pos and publishing it leaves a
 * turn that never moves: consumers sleep on it slice by slice, and after
 * each slice without a wake-up check the stream's producers (stream.c: the
 * registry's pids and start times); the dead one aborts the stream, and the
 * consumers get what was published before it, then IPCMP_ABORTED. A
 * consumer killed between claiming a slot and freeing it: it recorded its
 * pid in the slot (claimer) right after the claim, and a producer that
 * waits on that slot for a slice finds it dead and frees the slot for it
 * (the message is lost, as with any consumer that dies holding one). Two
 * windows are not covered, each a couple of instructions wide: a consumer
 * killed between its CAS on head and recording itself (producers then time
 * out on that slot), or before advancing its producer's sequence number
 * (that producer's next message then never passes its check: every recv
 * gets -EBADMSG within SEQ_WAIT_MS and leaves it in place, as a corrupt
 * message stays in a locked ring).
 *
 * Untrusted memory. Indices are always pos % capacity (private copies); a
 * turn or head that contradicts itself is -EBADMSG; futex words and waiter
 * counts written by a peer cause spurious wake-ups or sleeps of one slice,
 * never an unbounded wait. A process-shared mutex in the mapping would be
 * scribbled on just as easily and could then block for good: that is why
 * there is none.
 *
 * Memory ordering, x86 and ARM: x86 (TSO) keeps loads and stores in order
 * except a store followed by a load, so acquire and release cost nothing
 * there and only the seq_cst steps (a locked instruction or MFENCE) matter;
 * ARM reorders freely, and each acquire/release below is what keeps a copy
 * inside its claim. Each atomic step says what a weaker order would break.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atomicring.h"

#define SPIN_TRIES 256      /* failed claims before sleeping */
#define SLICE_MS 50         /* longest sleep between two liveness checks */
#define SEQ_WAIT_MS 50      /* longest wait for a consumer of an earlier message */

/* The shared fields are plain in ring.h (tests and the locked rings read
 * them); here they are accessed as C11 atomics of the same size. */
#define A32(x) ((_Atomic uint32_t *)&(x))
#define AI32(x) ((_Atomic int32_t *)&(x))
#define A64(x) ((_Atomic uint64_t *)&(x))

#define CLOCK CLOCK_MONOTONIC

/*
 * A call's deadline is taken when it first has to wait, not on entry
 * (struct ipcmp_until): a call that finds its slot or message at once
 * reads no clock. The spin before it lasts microseconds, far inside
 * IPCMP_TIMEOUT_MARGIN_MS.
 */

static struct ipcmp_atomicring *atomicring(struct ipcmp_chan *chan)
{
	return (struct ipcmp_atomicring *)chan->priv;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Sleeps while *word == val, at most until deadline: wakes, timeouts,
 * signals and a changed word all just return (the caller looks again).
 * 1: a whole slice passed without a wake-up. */
static int futex_sleep(uint32_t *word, uint32_t val, const struct timespec *deadline)
{
	struct timespec left, slice = { SLICE_MS / 1000, (long)(SLICE_MS % 1000) * 1000000L };

	if (ipcmp_remaining(deadline, CLOCK, &left) < 0)
		return 0;
	if (left.tv_sec > slice.tv_sec ||
	    (left.tv_sec == slice.tv_sec && left.tv_nsec > slice.tv_nsec))
		left = slice;
	/* FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the word is in a MAP_SHARED
	 * mapping and the waker is another process. */
	if (syscall(SYS_futex, word, FUTEX_WAIT, val, &left, NULL, 0) < 0 && errno == ETIMEDOUT)
		return 1;
	return 0;
}

/*
 * Tells the sleepers of one side that their condition may have changed.
 * The fence orders the caller's publish (a turn store) before the load of
 * the waiters count. Without it (even with release/acquire alone), x86
 * may let the load pass the store in its store buffer, and ARM likewise:
 * the waker reads 0 waiters while the sleeper, having counted itself in,
 * still sees the old turn, and sleeps through a published message for a
 * whole slice. The bump is release so that a sleeper that reads the new
 * value (acquire) and so skips its sleep also sees the publish.
 */
static void wake(uint32_t *waiters, uint32_t *word, int all)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (!all && atomic_load_explicit(A32(*waiters), memory_order_relaxed) == 0)
		return;
	atomic_fetch_add_explicit(A32(*word), 1, memory_order_release);
	syscall(SYS_futex, word, FUTEX_WAKE, all ? INT_MAX : 1, NULL, NULL, 0);
}

/*
 * The sleeper's half of wake(): count in, read the word, look once more
 * (ready()), sleep if still nothing. The increment is seq_cst (on x86 a
 * LOCK XADD, a full barrier; on ARM LDAXR/STLXR plus the fence semantics
 * seq_cst gives): with anything weaker, the look that follows could be
 * satisfied before the count is visible to the waker, the mirror of the
 * waker's race above. The word is read with acquire so that seeing a bump
 * means seeing what was published before it.
 */
static int sleep_until(uint32_t *waiters, uint32_t *word, int (*ready)(void *), void *arg,
		       const struct timespec *deadline)
{
	uint32_t val;
	int idle = 0;

	atomic_fetch_add_explicit(A32(*waiters), 1, memory_order_seq_cst);
	val = atomic_load_explicit(A32(*word), memory_order_acquire);
	if (!ready(arg))
		idle = futex_sleep(word, val, deadline);
	/* relaxed: a stale count only costs a waker one needless FUTEX_WAKE */
	atomic_fetch_sub_explicit(A32(*waiters), 1, memory_order_relaxed);
	return idle;
}

static uint32_t turn_of(const struct ipcmp_ring_slot *s)
{
	/* acquire: pairs with the release that set the turn, so the slot's
	 * contents written before it (a producer's fill, a consumer's copy
	 * out) are complete before this side touches the slot. Relaxed would
	 * let ARM read a half-filled message, or overwrite one still being
	 * copied out; x86 would not reorder, but the compiler could. */
	return atomic_load_explicit(A32(((struct ipcmp_ring_slot *)s)->turn), memory_order_acquire);
}

static void set_turn(struct ipcmp_ring_slot *s, uint32_t turn)
{
	/* release: the fill or copy out before this store is visible to
	 * whoever acquires the new turn. Relaxed: on ARM the store could
	 * become visible before the memcpy's stores (the consumer reads a torn
	 * message) or before the copy-out's loads complete (the producer
	 * overwrites a message being read). */
	atomic_store_explicit(A32(s->turn), turn, memory_order_release);
}

/*
 * Claims a position on one side: tail for a put (want = pos), head for a
 * get (want = pos + 1). 0 with *pos claimed; -EAGAIN: the ring is full or
 * empty at *pos (or its slot is claimed and not yet published or freed);
 * -EBADMSG: turns and position contradict each other.
 */
static int claim(const struct ipcmp_ring *r, uint64_t *side, uint32_t offset, uint64_t *posp)
{
	/* relaxed: a stale position only makes the CAS fail or the turn
	 * mismatch; the turn's acquire is what orders the slot. */
	uint64_t pos = atomic_load_explicit(A64(*side), memory_order_relaxed), now;

	for (;;) {
		struct ipcmp_ring_slot *s = ipcmp_ring_slot_at(r, pos);
		int32_t d = (int32_t)(turn_of(s) - (uint32_t)(pos + offset));

		if (d == 0) {
			/* relaxed CAS: the slot's contents were ordered by
			 * turn_of's acquire, and what we write goes out with
			 * set_turn's release; the CAS only has to be atomic
			 * (one winner per position), which every order is. */
			if (atomic_compare_exchange_weak_explicit(A64(*side), &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed)) {
				*posp = pos;
				return 0;
			}
			continue;
		}
		if (d < 0) {
			*posp = pos;
			return -EAGAIN;
		}
		/* the slot is ahead of pos: another claimer moved on, so the
		 * position must have too (the acquire of the turn makes its
		 * CAS visible); if not, the ring lies */
		now = atomic_load_explicit(A64(*side), memory_order_relaxed);
		if (now == pos)
			return -EBADMSG;
		pos = now;
	}
}

/* ---- producers ---------------------------------------------------------- */

int ipcmp_atomicring_join(struct ipcmp_atomicring *ar, int producer)
{
	return producer ? ipcmp_stream_join(ar->ring.stream, &ar->member) : 0;
}

/*
 * The slot at pos is held by a consumer that claimed message pos - capacity
 * and has not freed it. If the consumer it names is dead, free it on its
 * behalf (its message is lost). The CAS only wins if the turn is still the
 * dead consumer's; acq_rel: acquire as turn_of, release as set_turn.
 */
static void free_if_dead(const struct ipcmp_ring *r, uint64_t pos)
{
	struct ipcmp_ring_slot *s = ipcmp_ring_slot_at(r, pos);
	uint32_t held = (uint32_t)(pos - r->capacity + 1);
	int32_t claimer;

	if (turn_of(s) != held)
		return;
	claimer = atomic_load_explicit(AI32(s->claimer), memory_order_relaxed);
	if (claimer != 0 && !ipcmp_pid_alive(claimer, 0))
		atomic_compare_exchange_strong_explicit(A32(s->turn), &held, (uint32_t)pos,
							memory_order_acq_rel, memory_order_relaxed);
}

struct look {
	const struct ipcmp_ring *r;
	uint64_t pos;
};

static int room_ready(void *arg)
{
	struct look *l = arg;

	return turn_of(ipcmp_ring_slot_at(l->r, l->pos)) == (uint32_t)l->pos;
}

int ipcmp_atomicring_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	struct ipcmp_atomicring *ar = atomicring(chan);
	const struct ipcmp_ring *r = &ar->ring;
	struct ipcmp_ring_hdr *h = r->hdr;
	struct ipcmp_until u = IPCMP_UNTIL(CLOCK, timeout_ms);
	struct look l = { r, 0 };
	uint64_t pos, seq;
	int rc, tries = 0;

	if ((rc = ipcmp_ring_fixed(r)) < 0)
		return rc;
	if (ar->member.slot < 0 || ar->member.slot >= IPCMP_STREAM_PRODUCERS)
		return -EINVAL;
	while ((rc = claim(r, &h->tail, 0, &pos)) < 0) {
		if (rc != -EAGAIN)
			return rc;
		if (++tries < SPIN_TRIES) {
			cpu_relax();
			continue;
		}
		if ((rc = ipcmp_ring_check(r)) < 0)
			return rc;              /* full, or an index lies: see recv */
		if (timeout_ms == 0)
			return -EAGAIN;
		if (ipcmp_until_passed(&u))
			return -ETIMEDOUT;
		l.pos = pos;
		if (sleep_until(&h->room_waiters, &h->room_futex, room_ready, &l,
				ipcmp_until_date(&u)))
			free_if_dead(r, pos);
		tries = SPIN_TRIES / 2;
	}
	/* relaxed: sent[place] is this handle's own; the slot's release
	 * publishes it with the message */
	seq = atomic_load_explicit(A64(r->top->sent[ar->member.slot]), memory_order_relaxed);
	ipcmp_ring_fill(ipcmp_ring_slot_at(r, pos), buf, len, ar->member.slot, seq,
			chan->flags & IPCMP_CHECKSUM);
	atomic_store_explicit(A64(r->top->sent[ar->member.slot]), seq + 1, memory_order_relaxed);
	set_turn(ipcmp_ring_slot_at(r, pos), (uint32_t)(pos + 1));
	wake(&h->data_waiters, &h->data_futex, 0);
	return 0;
}

int ipcmp_atomicring_leave(struct ipcmp_chan *chan, int abort)
{
	struct ipcmp_atomicring *ar = atomicring(chan);
	struct ipcmp_ring_hdr *h = ar->ring.hdr;

	if (h == NULL || ar->member.pid == 0)
		return 0;
	if (ipcmp_stream_leave(ar->ring.stream, &ar->member, abort))
		wake(&h->data_waiters, &h->data_futex, 1);   /* every consumer: it is over */
	return 0;
}

/* ---- consumers ---------------------------------------------------------- */

/*
 * The sequence check, lock-free. Messages of one producer sit at rising
 * positions with rising sequence numbers, and are claimed in position
 * order; taken[place] moves by CAS from seq to seq + 1 right after the
 * claim, so a consumer of seq + 1 may find taken still at seq: a consumer
 * of the earlier message between its two CASes. It waits for it, bounded.
 * seq_cst: the CAS is the point where "message seq of this producer was
 * taken" becomes one total order among consumers; acq_rel would do on x86
 * (every locked RMW is a full barrier) and is what ARM needs at least.
 */
static int take_seq(const struct ipcmp_ring *r, uint32_t producer, uint64_t seq)
{
	uint64_t *taken = &r->top->taken[producer];
	struct ipcmp_until until = IPCMP_UNTIL(CLOCK, SEQ_WAIT_MS);
	uint64_t v = seq;

	while (!atomic_compare_exchange_strong_explicit(A64(*taken), &v, seq + 1,
							memory_order_seq_cst,
							memory_order_seq_cst)) {
		if (v > seq || seq - v > r->capacity || ipcmp_until_passed(&until))
			return -EBADMSG;        /* lost, repeated or reordered */
		sched_yield();
		v = seq;
	}
	return 0;
}

/*
 * Before the claim: message seq of producer is the next of its messages to
 * be taken, once the consumers of its earlier ones (they claimed them
 * already, head is past them) have advanced taken[producer]: bounded, as
 * in take_seq. -EBADMSG: lost, repeated or reordered, or the message was
 * taken meanwhile (the caller looks at head again to tell).
 */
static int seq_ready(const struct ipcmp_ring *r, uint32_t producer, uint64_t seq)
{
	uint64_t *taken = &r->top->taken[producer];
	struct ipcmp_until until = IPCMP_UNTIL(CLOCK, SEQ_WAIT_MS);
	uint64_t v;

	while ((v = atomic_load_explicit(A64(*taken), memory_order_acquire)) != seq) {
		if (v > seq || seq - v > r->capacity || ipcmp_until_passed(&until))
			return -EBADMSG;
		sched_yield();
	}
	return 0;
}

/*
 * A published message is checked before it is claimed: copied out into the
 * caller's buffer (where no peer can change it) with its length, checksum
 * and sequence number checked. Until the claim, the slot cannot change
 * honestly (it is freed, then refilled, only after a consumer claimed it,
 * which moves head), so a copy that fails its checks while head and the
 * turn still say "message pos, unclaimed" is what the ring really holds:
 * the message stays where it is and the caller gets the error, as the
 * locked rings keep a corrupt message under their lock. Otherwise another
 * consumer took pos meanwhile (the copy may be torn): look again.
 * -EAGAIN: nothing published at head.
 */
static ssize_t get(const struct ipcmp_ring *r, pid_t self, void *buf, size_t cap)
{
	uint64_t *head = &r->hdr->head;

	for (;;) {
		uint64_t pos = atomic_load_explicit(A64(*head), memory_order_relaxed), seq;
		struct ipcmp_ring_slot *s = ipcmp_ring_slot_at(r, pos);
		int32_t d = (int32_t)(turn_of(s) - (uint32_t)(pos + 1));
		uint32_t producer;
		ssize_t n;

		if (d < 0)
			return -EAGAIN;
		if (d > 0) {
			/* as in claim(): the slot is ahead, so head must be */
			if (atomic_load_explicit(A64(*head), memory_order_relaxed) == pos)
				return -EBADMSG;
			continue;
		}
		n = ipcmp_ring_read(r, s, buf, cap, &producer, &seq);
		if (n >= 0 && seq_ready(r, producer, seq) < 0)
			n = -EBADMSG;
		/* acquire: the copy's loads above complete before head and the
		 * turn are looked at again (a seqlock's reader check) */
		atomic_thread_fence(memory_order_acquire);
		if (n < 0) {
			if (atomic_load_explicit(A64(*head), memory_order_relaxed) == pos &&
			    turn_of(s) == (uint32_t)(pos + 1))
				return n;       /* the message as published: left in place */
			continue;
		}
		/* relaxed CAS, as in claim(): the turn orders the slot */
		if (!atomic_compare_exchange_strong_explicit(A64(*head), &pos, pos + 1,
							     memory_order_relaxed,
							     memory_order_relaxed))
			continue;               /* another consumer took it */
		/* relaxed: only read by a producer that waited a whole slice
		 * on this slot, long after; a stale 0 makes it wait */
		atomic_store_explicit(AI32(s->claimer), (int32_t)self, memory_order_relaxed);
		if (take_seq(r, producer, seq) < 0)
			n = -EBADMSG;           /* taken twice: a peer wrote taken[] meanwhile */
		atomic_store_explicit(AI32(s->claimer), 0, memory_order_relaxed);
		set_turn(s, (uint32_t)(pos + r->capacity));
		wake(&r->hdr->room_waiters, &r->hdr->room_futex, 0);
		return n;
	}
}

static int data_ready(void *arg)
{
	struct look *l = arg;
	struct ipcmp_ring_hdr *h = l->r->hdr;
	uint64_t head = atomic_load_explicit(A64(h->head), memory_order_relaxed);

	return turn_of(ipcmp_ring_slot_at(l->r, head)) == (uint32_t)(head + 1) ||
	       ipcmp_stream_over(l->r->stream) != 0;
}

ssize_t ipcmp_atomicring_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	struct ipcmp_atomicring *ar = atomicring(chan);
	const struct ipcmp_ring *r = &ar->ring;
	struct ipcmp_ring_hdr *h = r->hdr;
	struct ipcmp_until u = IPCMP_UNTIL(CLOCK, timeout_ms);
	struct look l = { r, 0 };
	pid_t self = ipcmp_self();     /* what a claimed slot records: this process, after a fork too */
	int rc, st, moved, tries = 0, idle = 0;
	ssize_t n;

	/*
	 * Line 0 only. A side claims by the slot's turn and its own index,
	 * never the other side's: tail - head, which would read the line the
	 * other side writes at every message (and make its next CAS there
	 * wait for this core's copy to be invalidated: measured, that read
	 * cost a third of the throughput and half the round trip), is checked
	 * only once the ring looks empty or full, before the call sleeps or
	 * gives up. A lying index is caught there, or by claim.
	 */
	if ((rc = ipcmp_ring_fixed(r)) < 0)
		return rc;
	for (;;) {
		if ((n = get(r, self, buf, cap)) != -EAGAIN)
			return n;
		if (++tries < SPIN_TRIES) {
			cpu_relax();
			continue;
		}
		if ((rc = ipcmp_ring_check(r)) < 0)
			return rc;              /* empty, or an index lies */
		/* Idle. Liveness (reading /proc) only when a slice passed with
		 * no wake-up, or the caller will not wait. */
		if (idle || timeout_ms == 0) {
			st = ipcmp_stream_status(r->stream, NULL, NULL, &moved);
			if (moved)
				wake(&h->data_waiters, &h->data_futex, 1);
		} else {
			st = ipcmp_stream_over(r->stream);
		}
		if (st == IPCMP_EOS || st == IPCMP_ABORTED) {
			/* over: what was published first comes first (the end
			 * is decided after the last publish, so it shows now) */
			if ((n = get(r, self, buf, cap)) != -EAGAIN)
				return n;
			if (st == IPCMP_ABORTED)
				chan->aborter = ipcmp_stream_aborter(r->stream);
			return st;
		}
		if (st < 0)
			return st;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (ipcmp_until_passed(&u))
			return -ETIMEDOUT;
		idle = sleep_until(&h->data_waiters, &h->data_futex, data_ready, &l,
				   ipcmp_until_date(&u));
		tries = SPIN_TRIES / 2;
	}
}
