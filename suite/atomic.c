/*
 * atomic.c - posix-atomic: a peer that dies holding a slot it claimed.
 *
 * The lock-free ring has no lock to die holding, but a producer can die
 * between claiming a position (its CAS on tail) and publishing it, and a
 * consumer between claiming a message (its CAS on head) and freeing its
 * slot. The random kills of crash.c rarely land there, so a child leaves
 * the ring exactly so, as a process killed at that instruction would (white
 * box: common/atomicring.c's claim, done by hand through ringmap.h), and
 * dies. The survivors must not wait forever:
 *   producer died claiming: consumers get what was published before it,
 *     then IPCMP_ABORTED naming it, within their timeout;
 *   consumer died claiming: a producer waiting for that slot frees it
 *     (the dead one's message is lost) and its send succeeds.
 *
 *   $ ./build/suite --filter '*_died_claiming'
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "crashkit.h"
#include "ringmap.h"
#include "timing.h"

#define MSG 64

static const struct ipcmp_ops *const ops = &ipcmp_posix_atomic_ops;

static struct ipcmp_ring_hdr *child_map(const char *name, size_t *size)
{
	int err = 0;
	struct ipcmp_ring_hdr *h = ringmap_open(ops, name, size, &err);

	if (h == NULL)
		child_failf("map the ring: %s", strerror(-err));
	return h;
}

static struct ipcmp_ring_slot *slot(struct ipcmp_ring_hdr *h, uint64_t i)
{
	return (struct ipcmp_ring_slot *)((char *)h + IPCMP_RING_SLOTS_OFFSET +
					  (size_t)(i % h->capacity) * h->slot_size);
}

Test(posix_atomic, producer_died_claiming, .init = fixture_init, .fini = fixture_fini,
     .timeout = 60)
{
	long bound = fixture_wait_ms() + IPCMP_TIMEOUT_MARGIN_MS + timing_allowance_ms(), ms, t0;
	struct ipcmp_chan *q;
	const char *name;
	char buf[MSG];
	ssize_t n;
	pid_t pid;

	fixture_begin(ops);
	name = fixture_name();
	q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	child_inherits(q);
	if ((pid = child_start(0)) == 0) {
		static struct ipcmp_chan *p;   /* reachable when the child dies */
		struct ipcmp_ring_hdr *h;
		uint64_t pos = 1;
		size_t size;
		int rc;

		if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
			child_failf("open: %s", ipcmp_strerror(rc));
		if ((rc = ipcmp_send(p, "published", 9, 0)) < 0)
			child_failf("send: %s", ipcmp_strerror(rc));
		h = child_map(name, &size);
		/* claim position 1, as send does, and never publish it */
		if (!__atomic_compare_exchange_n(&h->tail, &pos, pos + 1, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			child_failf("claim: tail is %llu", (unsigned long long)pos);
		child_exit();          /* dies without leaving the stream */
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "producer");
	n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(long, (long)n, 9L), "%s: the message published before the death: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "a length");
	t0 = timing_now_ms();
	n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());
	ms = timing_now_ms() - t0;
	cr_assert(eq(long, (long)n, (long)IPCMP_ABORTED), "%s: recv behind a slot claimed by a "
		  "dead producer: %s, want IPCMP_ABORTED", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	cr_assert(eq(int, (int)q->aborter, (int)pid), "%s: the abort names %d, want the dead "
		  "producer %d", ops->name, (int)q->aborter, (int)pid);
	cr_assert(lt(long, ms, bound), "%s: recv took %ld ms (bound %ld)", ops->name, ms, bound);
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
	census_assert_clean();
}

Test(posix_atomic, consumer_died_claiming, .init = fixture_init, .fini = fixture_fini,
     .timeout = 60)
{
	long bound = fixture_wait_ms() + IPCMP_TIMEOUT_MARGIN_MS + timing_allowance_ms(), ms, t0;
	struct ipcmp_chan *p, *q;
	const char *name;
	char buf[MSG];
	ssize_t n;
	pid_t pid;
	int rc;

	fixture_begin(ops);
	name = fixture_name();
	p = chan_create_ok(ops, name, MSG, 2, IPCMP_PRODUCER);
	for (int i = 0; i < 2; i++) {
		rc = ipcmp_send(p, i == 0 ? "zero" : "one", i == 0 ? 4 : 3, 0);
		cr_assert(eq(int, rc, 0), "%s: send %d: %s", ops->name, i, ipcmp_strerror(rc));
	}
	child_inherits(p);
	if ((pid = child_start(0)) == 0) {
		struct ipcmp_ring_hdr *h;
		struct ipcmp_ring_slot *s;
		uint64_t pos = 0, seq = 0;
		size_t size;

		h = child_map(name, &size);
		s = slot(h, 0);
		/* claim message 0 and record itself, as recv does, then die
		 * before copying it out and freeing the slot */
		if (!__atomic_compare_exchange_n(&h->head, &pos, pos + 1, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			child_failf("claim: head is %llu", (unsigned long long)pos);
		__atomic_store_n(&s->claimer, (int32_t)getpid(), __ATOMIC_SEQ_CST);
		if (!__atomic_compare_exchange_n(&((struct ipcmp_ring_top *)h)->taken[s->producer],
						 &seq, seq + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			child_failf("sequence: taken is %llu", (unsigned long long)seq);
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "consumer");
	t0 = timing_now_ms();
	rc = ipcmp_send(p, "two", 3, fixture_wait_ms());
	ms = timing_now_ms() - t0;
	cr_assert(eq(int, rc, 0), "%s: send into the slot of a consumer that died holding it: %s",
		  ops->name, ipcmp_strerror(rc));
	cr_assert(lt(long, ms, bound), "%s: send took %ld ms (bound %ld)", ops->name, ms, bound);
	chan_close_ok(p);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	n = ipcmp_recv(q, buf, sizeof(buf), 0);
	cr_assert(eq(long, (long)n, 3L), "%s: message 1 after the dead consumer's: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a length");
	cr_assert(eq(int, memcmp(buf, "one", 3), 0), "%s: message 1 is \"one\"", ops->name);
	n = ipcmp_recv(q, buf, sizeof(buf), 0);
	cr_assert(eq(long, (long)n, 3L), "%s: message 2: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a length");
	cr_assert(eq(int, memcmp(buf, "two", 3), 0), "%s: message 2 is \"two\"", ops->name);
	n = ipcmp_recv(q, buf, sizeof(buf), 0);
	cr_assert(eq(long, (long)n, (long)IPCMP_EOS), "%s: then the end: %s", ops->name,
		  ipcmp_strerror((int)n));
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
	census_assert_clean();
}
