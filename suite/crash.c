/*
 * crash.c - peers SIGKILLed at random moments: what the survivors see.
 *
 * The outcome each family promises, asserted here (see ipcmp.h, ring.h):
 *
 * A producer killed mid-stream. The consumer gets every message that was
 * fully sent (the producer recorded seq k in a shared counter after
 * ipcmp_send(k) returned 0), in order, intact, and at most one more: the
 * message in flight, also intact (a message is published by advancing the
 * tail after the copy, so it is never torn). Then IPCMP_ABORTED, on every
 * backend, never end of stream and never a timeout (ipcmp.h):
 *   System V: the producer joined with a SEM_UNDO semaphore operation; the
 *             kernel undoes it, and fewer live producers than joined ones
 *             is a death. A lock it held is given back.
 *   POSIX:    nothing is undone; the producer registered its pid, and the
 *             consumer, its wait stalled, finds it dead. A lock it held
 *             is the producers' lock, which consumers never take.
 * The consumer never hangs: it is a child collected within a bound.
 *
 * A consumer killed mid-stream. The producer's send times out once the
 * channel is full (-ETIMEDOUT), and a new consumer opens the channel and
 * continues where the dead one stopped (at most the one message it had
 * taken is gone), or, posix-shm when the dead consumer held the consumers'
 * lock, gets -ENOTRECOVERABLE (producers never take that lock).
 *
 * A producer killed holding the producers' lock (shm backends, caught
 * inside the lock with SIGSTOP, then SIGKILLed): SysV's SEM_UNDO gives the
 * lock back, POSIX has no undo and the lock stays taken; consumers never
 * take it, so on both they get every message, then IPCMP_ABORTED. (A
 * further producer would find the holder dead: -ENOTRECOVERABLE.)
 *
 * A producer stopped at a step of the protocol, then killed (stop_points),
 * and a consumer stopped with the consumers' lock taken before it recorded
 * itself (getlock_taker_killed): the windows a random kill almost never
 * hits, reached on purpose. The victim's handle gets a copy of its
 * backend's primitives (common/ringchan.h) that raises SIGSTOP at the
 * step; the library itself has no test hook.
 *
 * After every run, unlink (and on the last run `ipcmp clean`) leaves the
 * census as it was. The random runs stop early once a time budget is spent
 * (the count is logged). Their random choices come from one seed, printed
 * on stderr at the start; IPCMP_SEED=N replays them (the choices, not the
 * scheduler's interleaving).
 *
 *   $ make build/suite build/ipcmp && ./build/suite --filter 'posix_shm/producer_killed'
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "crashkit.h"
#include "ringchan.h"
#include "ringmap.h"
#include "timing.h"

/* The consumer's wait. Before the producer is reaped a timeout is only
 * waited out again; after, nothing more can come, so it need not be long. */
#define FINAL_WAIT_MS 20
#define MSG_MAX 512
#define RUN_BUDGET_MS 5000        /* random runs start no later than this (natively) */

/*
 * What a consumer killed at the wrong instant may leave behind, as its
 * backend documents; such a run ends there, counted, and such runs must
 * stay rare (WEDGED_MAX), or the backend's recovery is broken.
 *   posix-shm: the consumers' lock held for good (common/ringchan.c): the
 *     new consumer gets nothing, only -ENOTRECOVERABLE, and that only after
 *     the orphan grace when the dead one had not yet recorded itself as the
 *     holder (500 ms: its first recv waits FIRST_WAIT_MS).
 *   posix-atomic (common/atomicring.c, the two windows not covered):
 *     killed between its claim on head and recording itself, it leaves a
 *     slot no one frees: the send that needs it times out; killed before
 *     advancing its producer's sequence number, that producer's next
 *     message never passes its check: recv gives -EBADMSG.
 */
enum wedge_at { AT_RECV, AT_SEND };

static const struct wedge {
	const char *backend;
	enum wedge_at at;
	long err;
	int got_nothing;        /* only when the new consumer got nothing */
} wedges[] = {
	{ "posix-shm", AT_RECV, -ENOTRECOVERABLE, 1 },
	{ "posix-atomic", AT_RECV, -EBADMSG, 0 },
	{ "posix-atomic", AT_SEND, -ETIMEDOUT, 0 },
};

#define WEDGED_MAX(runs) (1 + (runs) / 10)
#define FIRST_WAIT_MS 1000

static int is_wedge(const struct ipcmp_ops *ops, enum wedge_at at, long err, int got_nothing)
{
	for (size_t i = 0; i < sizeof(wedges) / sizeof(wedges[0]); i++)
		if (strcmp(wedges[i].backend, ops->name) == 0 && wedges[i].at == at &&
		    wedges[i].err == err && (got_nothing || !wedges[i].got_nothing))
			return 1;
	return 0;
}

/* A channel capacity every backend accepts (posix-mq: often 10). */
static size_t capacity_for(const struct ipcmp_ops *ops, size_t want)
{
	struct ipcmp_limits lim;

	limits_ok(ops, &lim);
	return want < lim.capacity_limit ? want : lim.capacity_limit;
}

static int budget_left(long start)
{
	return kit_now_ms() - start < (long)fixture_scale(RUN_BUDGET_MS, 20 * RUN_BUDGET_MS);
}

/* Unlink, or `ipcmp clean`; either way the census is as before. */
static void run_cleanup(const struct ipcmp_ops *ops, const char *name, int with_clean)
{
	static const char *const clean[] = { "ipcmp", "clean", NULL };
	static char out[4096];
	int st, rc;

	if (with_clean && fixture_isolated()) {
		st = kit_run_ipcmp(clean, out, sizeof(out));
		cr_assert(eq(int, st, 0), "%s: ipcmp clean after a crash: status %d (%s); output:\n%s",
			  ops->name, st, st < 0 ? strerror(-st) : "-", out);
		rc = ipcmp_unlink(ops, name);
		cr_assert(eq(int, rc, -ENOENT), "%s: ipcmp clean after a crash left the channel: %s",
			  ops->name, ipcmp_strerror(rc));
	} else {
		chan_unlink_ok(ops, name);
	}
	census_assert_clean();
}

static void reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* ---- producer killed ------------------------------------------------ */

struct prun {
	int opened;                /* producer: open returned */
	uint64_t sent;             /* producer: seq k fully sent -> k + 1 */
	int killed;                /* parent: the producer is dead and reaped */
	uint64_t got;              /* consumer: messages received (0..got-1, in order) */
	int corrupt;               /* consumer: torn or corrupt messages */
	int disorder;              /* consumer: a message out of order */
	uint64_t disorder_seq;
	long final_rc;             /* consumer: what ended its loop */
	long send_rc;              /* producer: a failed send (should not happen) */
};

static char pbuf[MSG_MAX];         /* static: no leak report from a killed child */

static _Noreturn void killed_producer(const struct ipcmp_ops *ops, const char *name,
				      struct prun *r)
{
	static struct ipcmp_chan *p;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
		child_failf("producer: open: %s", ipcmp_strerror(rc));
	__atomic_store_n(&r->opened, 1, __ATOMIC_SEQ_CST);
	for (uint64_t seq = 0;; seq++) {
		size_t len = kit_msg_fill(pbuf, MSG_MAX, seq);

		if ((rc = ipcmp_send(p, pbuf, len, fixture_wait_ms())) < 0) {
			r->send_rc = rc;
			child_failf("producer: send %llu: %s", (unsigned long long)seq,
				    ipcmp_strerror(rc));
		}
		__atomic_store_n(&r->sent, seq + 1, __ATOMIC_SEQ_CST);
	}
}

static char cbuf[MSG_MAX];

/* Receives until an error after the producer's death; a timeout before it
 * is only a slow producer (valgrind) and is waited out. */
static _Noreturn void surviving_consumer(const struct ipcmp_ops *ops, const char *name,
					 struct prun *r)
{
	static struct ipcmp_chan *q;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q)) < 0)
		child_failf("consumer: open: %s", ipcmp_strerror(rc));
	for (;;) {
		int killed = __atomic_load_n(&r->killed, __ATOMIC_SEQ_CST);
		ssize_t n = ipcmp_recv(q, cbuf, sizeof(cbuf), FINAL_WAIT_MS);
		int64_t seq;

		if (n >= 0) {
			if ((seq = kit_msg_check(cbuf, n, MSG_MAX)) < 0)
				r->corrupt++;
			else if ((uint64_t)seq != r->got && !r->disorder++)
				r->disorder_seq = (uint64_t)seq;
			r->got++;
			continue;
		}
		if ((n == -ETIMEDOUT || n == -EAGAIN) && !killed)
			continue;
		r->final_rc = n;
		break;
	}
	ipcmp_close(q);
	q = NULL;
	child_exit();
}

/* The outcome after the last message (see the top of the file). Consumers
 * never take the producers' lock, so a producer that died holding it
 * changes nothing for them (posix-shm included). */
static void assert_producer_death_outcome(const struct ipcmp_ops *ops, const struct prun *r,
					  int run)
{
	cr_assert(eq(long, r->final_rc, (long)IPCMP_ABORTED), "%s: run %d: after the producer "
		  "was killed (%llu sent, %llu received): %s, want IPCMP_ABORTED", ops->name, run,
		  (unsigned long long)r->sent, (unsigned long long)r->got,
		  ipcmp_strerror((int)r->final_rc));
	cr_assert(ge(u64, r->got, r->sent), "%s: run %d: %llu messages fully sent, %llu received",
		  ops->name, run, (unsigned long long)r->sent, (unsigned long long)r->got);
}

BACKEND_TEST(producer_killed, .timeout = 240)
{
	const char *name = fixture_name();
	size_t runs = fixture_scale(100, 5), cap = capacity_for(ops, 8);
	unsigned delay_us = (unsigned)fixture_scale(3000, 100000);
	struct prun *r = kit_shared(sizeof(*r));
	long start = kit_now_ms();
	int run;

	kit_seed_print(ops->name, "producer_killed");
	cr_assert(ne(ptr, r, NULL), "%s: mmap", ops->name);
	for (run = 0; run < (int)runs && (run < 5 || budget_left(start)); run++) {
		struct ipcmp_chan *c = chan_create_ok(ops, name, MSG_MAX, cap, 0);
		pid_t cons, prod;

		chan_close_ok(c);
		memset(r, 0, sizeof(*r));
		if ((cons = child_start(0)) == 0)
			surviving_consumer(ops, name, r);
		if ((prod = child_start(1)) == 0)
			killed_producer(ops, name, r);
		for (int i = 0; i < fixture_wait_ms() && !__atomic_load_n(&r->opened, __ATOMIC_SEQ_CST);
		     i++)
			kit_sleep_us(1000);
		cr_assert(eq(int, r->opened, 1), "%s: run %d: the producer did not open", ops->name,
			  run);
		kit_sleep_us(kit_rand(delay_us));
		kill(prod, SIGKILL);
		reap(prod);
		__atomic_store_n(&r->killed, 1, __ATOMIC_SEQ_CST);
		cr_assert(eq(long, r->send_rc, 0), "%s: run %d: the producer's send failed: %s",
			  ops->name, run, ipcmp_strerror((int)r->send_rc));
		/* never hangs: bounded by the lock wait and two waits that succeed */
		child_assert_ok(cons, 0, IPCMP_TIMEOUT_MARGIN_MS + 2 * fixture_wait_ms(), "consumer");
		cr_assert(eq(int, r->corrupt, 0), "%s: run %d: %d torn or corrupt messages",
			  ops->name, run, r->corrupt);
		cr_assert(eq(int, r->disorder, 0), "%s: run %d: message %llu out of order",
			  ops->name, run, (unsigned long long)r->disorder_seq);
		assert_producer_death_outcome(ops, r, run);
		cr_assert(le(u64, r->got, r->sent + 1), "%s: run %d: %llu received, only %llu sent "
			  "(+1 in flight)", ops->name, run, (unsigned long long)r->got,
			  (unsigned long long)r->sent);
		run_cleanup(ops, name, run + 1 == (int)runs || !budget_left(start));
	}
	cr_log_info("%s: producer_killed: %d runs", ops->name, run);
	kit_unshare(r, sizeof(*r));
}

/* ---- consumer killed ------------------------------------------------ */

struct crun {
	int opened;                /* consumer: open returned */
	uint64_t got;              /* consumer: messages 0..got-1 received, in order */
	int bad;                   /* consumer: a torn, corrupt or disordered message */
};

static _Noreturn void killed_consumer(const struct ipcmp_ops *ops, const char *name,
				      struct crun *r)
{
	static struct ipcmp_chan *q;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q)) < 0)
		child_failf("consumer: open: %s", ipcmp_strerror(rc));
	__atomic_store_n(&r->opened, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		ssize_t n = ipcmp_recv(q, cbuf, sizeof(cbuf), fixture_wait_ms());
		int64_t seq = n >= 0 ? kit_msg_check(cbuf, n, MSG_MAX) : -1;

		if (n < 0)
			child_failf("consumer: recv: %s", ipcmp_strerror((int)n));
		if (seq < 0 || (uint64_t)seq != r->got)
			r->bad = 1;
		__atomic_store_n(&r->got, r->got + 1, __ATOMIC_SEQ_CST);
	}
}

static void send_seq(const struct ipcmp_ops *ops, struct ipcmp_chan *p, uint64_t seq,
		     int timeout_ms, int *rc)
{
	size_t len = kit_msg_fill(pbuf, MSG_MAX, seq);

	*rc = ipcmp_send(p, pbuf, len, timeout_ms);
	(void)ops;
}

/*
 * The producer (this process) streams to a consumer child, which is
 * SIGKILLed at a random point. The producer's send then times out once
 * the channel is full, and a new consumer takes over: it gets the messages
 * from where the dead one stopped (the one it may have taken unrecorded
 * aside), in order, then the producer's further messages, then end of
 * stream; or, rarely, what the table of wedges above says.
 */
BACKEND_TEST(consumer_killed, .timeout = 240)
{
	const char *name = fixture_name();
	size_t runs = fixture_scale(20, 3), cap = capacity_for(ops, 8);
	struct crun *r = kit_shared(sizeof(*r));
	long start = kit_now_ms();
	int wedged = 0, run;

	kit_seed_print(ops->name, "consumer_killed");
	cr_assert(ne(ptr, r, NULL), "%s: mmap", ops->name);
	for (run = 0; run < (int)runs && (run < 3 || budget_left(start)); run++) {
		struct ipcmp_chan *p = chan_create_ok(ops, name, MSG_MAX, cap, IPCMP_PRODUCER);
		struct ipcmp_chan *q;
		uint64_t seq = 0, k = 1 + kit_rand(200), next, a_got;
		pid_t cons;
		ssize_t n;
		int rc = 0;

		memset(r, 0, sizeof(*r));
		if ((cons = child_start(0)) == 0)
			killed_consumer(ops, name, r);
		for (int i = 0; i < fixture_wait_ms() && !__atomic_load_n(&r->opened, __ATOMIC_SEQ_CST);
		     i++)
			kit_sleep_us(1000);
		for (; seq < k; seq++) {
			send_seq(ops, p, seq, fixture_wait_ms(), &rc);
			cr_assert(eq(int, rc, 0), "%s: run %d: send %llu to a live consumer: %s",
				  ops->name, run, (unsigned long long)seq, ipcmp_strerror(rc));
		}
		kit_sleep_us(kit_rand((unsigned)fixture_scale(50, 5000)));
		kill(cons, SIGKILL);
		reap(cons);
		a_got = __atomic_load_n(&r->got, __ATOMIC_SEQ_CST);
		cr_assert(eq(int, r->bad, 0), "%s: run %d: the consumer got a bad message", ops->name,
			  run);

		/* no consumer: the sends fill the channel, then time out */
		for (;; seq++) {
			send_seq(ops, p, seq, FINAL_WAIT_MS, &rc);
			if (rc < 0)
				break;
			cr_assert(le(u64, seq - k, (uint64_t)cap), "%s: run %d: %llu sends after the "
				  "consumer died, capacity %zu", ops->name, run,
				  (unsigned long long)(seq - k + 1), cap);
		}
		/* producers never take the consumers' lock */
		cr_assert(eq(int, rc, -ETIMEDOUT), "%s: run %d: send with the consumer dead and the "
			  "channel full: %s, want -ETIMEDOUT", ops->name, run, ipcmp_strerror(rc));
		q = chan_open_ok(ops, name, IPCMP_CONSUMER);
		/* the new consumer continues: first what is in the channel... */
		next = a_got;
		for (;;) {
			int64_t s;

			/* the channel is full: only a wedge makes the first wait */
			n = ipcmp_recv(q, cbuf, sizeof(cbuf), next == a_got ? FIRST_WAIT_MS :
				       FINAL_WAIT_MS);
			if (n < 0)
				break;
			s = kit_msg_check(cbuf, n, MSG_MAX);
			cr_assert(ge(i64, s, 0), "%s: run %d: new consumer: a corrupt message",
				  ops->name, run);
			/* the dead consumer may have taken one it never recorded */
			if (next == a_got && (uint64_t)s == a_got + 1)
				next++;
			cr_assert(eq(u64, (uint64_t)s, next), "%s: run %d: new consumer got %lld, want "
				  "%llu (the dead one had %llu)", ops->name, run, (long long)s,
				  (unsigned long long)next, (unsigned long long)a_got);
			next++;
		}
		if (is_wedge(ops, AT_RECV, (long)n, next == a_got)) {
			wedged++;
			chan_close_ok(q);
			chan_close_ok(p);
			run_cleanup(ops, name, 0);
			continue;
		}
		cr_assert(eq(long, (long)n, -ETIMEDOUT), "%s: run %d: new consumer, channel drained, "
			  "producer open: %s", ops->name, run, ipcmp_strerror((int)n));
		/* one left behind unsignalled (the dead one took its item, not it) */
		cr_assert(ge(u64, next + 1, seq), "%s: run %d: new consumer stopped at %llu of %llu",
			  ops->name, run, (unsigned long long)next, (unsigned long long)seq);
		/* ...then what the producer sends now, then end of stream */
		send_seq(ops, p, seq, fixture_wait_ms(), &rc);
		if (is_wedge(ops, AT_SEND, rc, next == a_got)) {
			wedged++;
			chan_close_ok(q);
			chan_close_ok(p);
			run_cleanup(ops, name, 0);
			continue;
		}
		cr_assert(eq(int, rc, 0), "%s: run %d: send to the new consumer: %s", ops->name, run,
			  ipcmp_strerror(rc));
		chan_close_ok(p);
		for (;;) {
			n = ipcmp_recv(q, cbuf, sizeof(cbuf), FINAL_WAIT_MS);
			if (n < 0)
				break;
			cr_assert(eq(i64, kit_msg_check(cbuf, n, MSG_MAX), (int64_t)next),
				  "%s: run %d: new consumer after the producer's last send", ops->name,
				  run);
			next++;
		}
		cr_assert(eq(long, (long)n, (long)IPCMP_EOS), "%s: run %d: new consumer after the "
			  "producer closed: %s", ops->name, run, ipcmp_strerror((int)n));
		cr_assert(eq(u64, next, seq + 1), "%s: run %d: new consumer ended at %llu, sent %llu",
			  ops->name, run, (unsigned long long)next, (unsigned long long)(seq + 1));
		chan_close_ok(q);
		run_cleanup(ops, name, run + 1 == (int)runs);
	}
	cr_log_info("%s: consumer_killed: %d runs, %d wedged as documented", ops->name, run,
		    wedged);
	cr_assert(le(int, wedged, WEDGED_MAX(run)), "%s: %d of %d runs wedged: the windows "
		  "documented are a few instructions wide", ops->name, wedged, run);
	kit_unshare(r, sizeof(*r));
}

/* ---- lock holder killed (shm backends) ------------------------------ */

#define BIG_MSG (1u << 20)         /* a long copy under the lock, to catch it there */
#define BIG_CAP 8

static _Noreturn void big_producer(const struct ipcmp_ops *ops, const char *name,
				   struct prun *r)
{
	static struct ipcmp_chan *p;
	static char *buf;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
		child_failf("producer: open: %s", ipcmp_strerror(rc));
	if ((buf = malloc(BIG_MSG)) == NULL)
		child_failf("producer: malloc");
	__atomic_store_n(&r->opened, 1, __ATOMIC_SEQ_CST);
	for (uint64_t seq = 0;; seq++) {
		payload_fill(buf, BIG_MSG, seq);
		if ((rc = ipcmp_send(p, buf, BIG_MSG, fixture_wait_ms())) < 0)
			child_failf("producer: send %llu: %s", (unsigned long long)seq,
				    ipcmp_strerror(rc));
		__atomic_store_n(&r->sent, seq + 1, __ATOMIC_SEQ_CST);
	}
}

/*
 * Stops the producer (the channel's only user) when the lock is taken and,
 * if it is still taken with the producer stopped, the producer holds it:
 * SIGKILL. 1: killed inside the lock; 0: the ring filled first (retry).
 */
static int kill_inside_lock(const struct ipcmp_ops *ops, const char *name, pid_t pid,
			    struct prun *r)
{
	int st;

	/* not in the first message: its first calls into libc resolve their
	 * symbols (lazy binding), which under valgrind holds the lock for
	 * milliseconds between the record's clearing and the release */
	for (int i = 0; i < fixture_wait_ms() && __atomic_load_n(&r->sent, __ATOMIC_SEQ_CST) < 1;
	     i++)
		kit_sleep_us(1000);
	while (__atomic_load_n(&r->sent, __ATOMIC_SEQ_CST) < BIG_CAP) {
		if (kit_lock_value(ops, name) != 0)
			continue;
		kill(pid, SIGSTOP);
		while (waitpid(pid, &st, WUNTRACED) < 0 && errno == EINTR)
			;
		if (kit_lock_value(ops, name) == 0) {
			kill(pid, SIGKILL);
			reap(pid);
			return 1;
		}
		kill(pid, SIGCONT);
	}
	kill(pid, SIGKILL);
	reap(pid);
	return 0;
}

/*
 * Does the ring say who held the producers' lock (white box: ring.h's
 * locker)? SysV: nobody is recorded, the kernel gives a dead holder's
 * lock back (SEM_UNDO): 0. POSIX: the holder's pid, which is how a waiter
 * learns it died (-ENOTRECOVERABLE). The record is written just after the
 * take and cleared just before the release, so a holder stopped in those
 * few instructions (rarely, more often under valgrind) is caught without
 * it: the caller tries again.
 */
static int locker_recorded(const struct ipcmp_ops *ops, const char *name, pid_t holder)
{
	struct ipcmp_ring_hdr *h;
	size_t size;
	int err = 0, ok;

	h = ringmap_open(ops, name, &size, &err);
	cr_assert(ne(ptr, h, NULL), "%s: map the ring: %s", ops->name, strerror(-err));
	ok = h->locker == (kit_is_sysv(ops) ? 0 : holder);
	ringmap_close(ops, h, size);
	return ok;
}

/*
 * A producer SIGKILLed while it holds the producers' lock (caught there
 * with SIGSTOP, checked, then killed). System V: the kernel undoes its
 * SEM_UNDO semops, so the lock is free (value 1). POSIX: a named semaphore
 * has no undo; the lock stays taken (value 0). Either way consumers never
 * take the producers' lock (split locks): the consumer gets every message
 * sent, and IPCMP_ABORTED (the death is seen by the kernel's count or the
 * registry), not -ENOTRECOVERABLE.
 */
BACKEND_TEST_ON(IPCMP_SUITE_LOCKED_SHM_BACKENDS, lock_holder_killed, .timeout = 240)
{
	const char *name = fixture_name();
	struct prun *r = kit_shared(sizeof(*r));
	struct ipcmp_chan *c, *q;
	char *buf = malloc(BIG_MSG);
	int caught = 0, tries, v;
	uint64_t got = 0;
	pid_t prod = 0;
	ssize_t n;

	cr_assert(ne(ptr, r, NULL), "%s: mmap", ops->name);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	for (tries = 0; tries < 20 && !caught; tries++) {

		c = chan_create_ok(ops, name, BIG_MSG, BIG_CAP, 0);
		chan_close_ok(c);
		memset(r, 0, sizeof(*r));
		if ((prod = child_start(1)) == 0)
			big_producer(ops, name, r);
		for (int i = 0; i < fixture_wait_ms() && !__atomic_load_n(&r->opened, __ATOMIC_SEQ_CST);
		     i++)
			kit_sleep_us(1000);
		cr_assert(eq(int, r->opened, 1), "%s: the producer did not open", ops->name);
		caught = kill_inside_lock(ops, name, prod, r) && locker_recorded(ops, name, prod);
		if (!caught)
			run_cleanup(ops, name, 0);
	}
	cr_assert(eq(int, caught, 1), "%s: in %d tries the producer was never caught holding "
		  "the lock, recorded as its holder (POSIX) or not recorded (SysV)", ops->name,
		  tries);
	v = kit_lock_value(ops, name);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	if (kit_is_sysv(ops))
		cr_assert(eq(int, v, 1), "%s: lock value %d after its holder died, want 1 "
			  "(SEM_UNDO)", ops->name, v);
	else
		cr_assert(eq(int, v, 0), "%s: lock value %d after its holder died, want 0 (POSIX "
			  "semaphores have no undo)", ops->name, v);
	/* consumers never take the producers' lock: they get everything */
	while ((n = ipcmp_recv(q, buf, BIG_MSG, FINAL_WAIT_MS)) >= 0) {
		cr_assert(eq(long, (long)n, (long)BIG_MSG), "%s: message %llu: length",
			  ops->name, (unsigned long long)got);
		cr_assert(eq(int, payload_check(buf, BIG_MSG, got), 0), "%s: message %llu: "
			  "torn or corrupt", ops->name, (unsigned long long)got);
		got++;
	}
	cr_assert(ge(u64, got, r->sent), "%s: %llu messages fully sent, %llu received",
		  ops->name, (unsigned long long)r->sent, (unsigned long long)got);
	cr_assert(le(u64, got, r->sent + 1), "%s: %llu received, %llu sent (+1 in flight)",
		  ops->name, (unsigned long long)got, (unsigned long long)r->sent);
	cr_assert(eq(long, (long)n, (long)IPCMP_ABORTED), "%s: after a lock holder's death: "
		  "%s, want IPCMP_ABORTED", ops->name, ipcmp_strerror((int)n));
	chan_close_ok(q);
	free(buf);
	run_cleanup(ops, name, 1);
	kit_unshare(r, sizeof(*r));
}

/* ---- a producer stopped at a step, then killed (shm backends) -------- */

enum stop_at { STOP_LOCK_TAKEN, STOP_BEFORE_DATA_POST, STOP_GETLOCK_TAKEN };

/*
 * Each row: where the producer stops (after STOP_SENT messages went out
 * whole), and what a consumer then sees, per family.
 *   lock taken: the producer took the producers' lock (LOCK) for message
 *     STOP_SENT and has not yet recorded itself as the holder. Consumers
 *     never take LOCK (split locks: they have GETLOCK), so on both
 *     families the consumer gets STOP_SENT messages, then IPCMP_ABORTED
 *     once the producer is found dead (SysV: SEM_UNDO on its count; POSIX:
 *     the registry of producers). The lock itself: SysV's is freed by
 *     SEM_UNDO; POSIX's stays taken (lock_holder_killed).
 *   published, not signalled: message STOP_SENT is in the ring and the
 *     lock free, DATA not posted. The consumer gets all STOP_SENT + 1
 *     messages (the stream is over, so the ring is read without an item),
 *     then IPCMP_ABORTED. SysV posts DATA and frees LOCK in one semop, so
 *     this state arises only through the copy here; POSIX (two sem_posts)
 *     reaches it on its own.
 */
#define STOP_SENT 3
#define STOP_RECV_MS 500

static const struct stop_point {
	const char *what;
	enum stop_at at;
	struct { uint64_t got; long last; } sysv, posix;
} stop_rows[] = {
	{ "lock taken, holder not recorded", STOP_LOCK_TAKEN,
	  { STOP_SENT, IPCMP_ABORTED }, { STOP_SENT, IPCMP_ABORTED } },
	{ "published, DATA not posted", STOP_BEFORE_DATA_POST,
	  { STOP_SENT + 1, IPCMP_ABORTED }, { STOP_SENT + 1, IPCMP_ABORTED } },
};

static const struct ipcmp_ring_prims *real_prims;
static enum stop_at stop_at;

/* The step is "lock just taken" for this lock. */
static int stops_at_lock(enum ipcmp_ring_sem lock)
{
	return (lock == IPCMP_RING_LOCK && stop_at == STOP_LOCK_TAKEN) ||
	       (lock == IPCMP_RING_GETLOCK && stop_at == STOP_GETLOCK_TAKEN);
}

static int stop_take(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem,
		     const struct timespec *deadline)
{
	int r = real_prims->take(rc, sem, deadline);

	if (r == 0 && stops_at_lock(sem))
		raise(SIGSTOP);
	return r;
}

/* SysV takes a free slot (or an item) and the lock in one semop. */
static int stop_take_and_lock(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem sem,
			      enum ipcmp_ring_sem lock, const struct timespec *deadline)
{
	int r = real_prims->take_and_lock(rc, sem, lock, deadline);

	if (r == 0 && stops_at_lock(lock))
		raise(SIGSTOP);
	return r;
}

static int stop_unlock_and_post(struct ipcmp_ringchan *rc, enum ipcmp_ring_sem lock,
				enum ipcmp_ring_sem sem)
{
	int r;

	if (lock != IPCMP_RING_LOCK || sem != IPCMP_RING_DATA || stop_at != STOP_BEFORE_DATA_POST)
		return real_prims->unlock_and_post(rc, lock, sem);
	if ((r = real_prims->unlock_and_post(rc, lock, lock)) < 0)
		return r;
	raise(SIGSTOP);
	return real_prims->post(rc, sem);
}

/* The handle's primitives become a copy that stops at the step. */
static void stop_prims(struct ipcmp_chan *chan, enum stop_at at)
{
	static struct ipcmp_ring_prims stopping;
	struct ipcmp_ringchan *rc = (struct ipcmp_ringchan *)chan->priv;   /* ringchan.h: first */

	real_prims = rc->prims;
	stopping = *real_prims;
	stopping.take = stop_take;
	if (real_prims->take_and_lock != NULL)
		stopping.take_and_lock = stop_take_and_lock;
	stopping.unlock_and_post = stop_unlock_and_post;
	stop_at = at;
	rc->prims = &stopping;
}

static _Noreturn void stopped_producer(const struct ipcmp_ops *ops, const char *name,
				       enum stop_at at)
{
	static struct ipcmp_chan *p;
	int rc_;

	if ((rc_ = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
		child_failf("producer: open: %s", ipcmp_strerror(rc_));
	for (uint64_t seq = 0; seq < STOP_SENT; seq++)
		if ((rc_ = ipcmp_send(p, pbuf, kit_msg_fill(pbuf, MSG_MAX, seq), 0)) < 0)
			child_failf("producer: send %llu: %s", (unsigned long long)seq,
				    ipcmp_strerror(rc_));
	stop_prims(p, at);
	rc_ = ipcmp_send(p, pbuf, kit_msg_fill(pbuf, MSG_MAX, STOP_SENT), 0);
	child_failf("producer: not stopped at the step (send: %s)", ipcmp_strerror(rc_));
}

/* Waits (bounded) until pid stops; 1, or 0 when it exited instead. */
static int wait_stopped(pid_t pid)
{
	int st;

	for (int i = 0; i < fixture_wait_ms(); i++) {
		pid_t w = waitpid(pid, &st, WUNTRACED | WNOHANG);

		if (w == pid)
			return WIFSTOPPED(st);
		kit_sleep_us(1000);
	}
	return 0;
}

BACKEND_TEST_ON(IPCMP_SUITE_LOCKED_SHM_BACKENDS, stop_points, .timeout = 120)
{
	const char *name = fixture_name();

	for (size_t i = 0; i < sizeof(stop_rows) / sizeof(stop_rows[0]); i++) {
		const struct stop_point *sp = &stop_rows[i];
		uint64_t want_got = kit_is_sysv(ops) ? sp->sysv.got : sp->posix.got, got = 0;
		long want_last = kit_is_sysv(ops) ? sp->sysv.last : sp->posix.last, t0;
		struct ipcmp_chan *c;
		ssize_t n;
		pid_t prod;

		c = chan_create_ok(ops, name, MSG_MAX, capacity_for(ops, 8), IPCMP_CONSUMER);
		child_inherits(c);
		if ((prod = child_start(1)) == 0)
			stopped_producer(ops, name, sp->at);
		if (!wait_stopped(prod))
			child_assert_ok(prod, 1, 0, "producer");   /* says why it did not stop */
		kill(prod, SIGKILL);
		reap(prod);
		for (;;) {
			t0 = timing_now_ms();
			n = ipcmp_recv(c, cbuf, sizeof(cbuf), STOP_RECV_MS);
			if (n < 0)
				break;
			cr_assert(eq(i64, kit_msg_check(cbuf, n, MSG_MAX), (int64_t)got),
				  "%s: %s: message %llu", ops->name, sp->what, (unsigned long long)got);
			got++;
		}
		cr_assert(eq(u64, got, want_got), "%s: %s, then killed: %llu messages received, "
			  "want %llu", ops->name, sp->what, (unsigned long long)got,
			  (unsigned long long)want_got);
		cr_assert(eq(long, (long)n, want_last), "%s: %s, then killed: recv gave %s, want %s",
			  ops->name, sp->what, ipcmp_strerror((int)n), ipcmp_strerror((int)want_last));
		if (n == -ETIMEDOUT)
			timing_assert_expired(timing_now_ms() - t0, STOP_RECV_MS, ops->name, sp->what);
		else    /* any call's bound (timing.h), whatever ended it */
			cr_assert(lt(long, timing_now_ms() - t0, STOP_RECV_MS +
				     IPCMP_TIMEOUT_MARGIN_MS + timing_allowance_ms()),
				  "%s: %s, then killed: the end took %ld ms, timeout %d ms",
				  ops->name, sp->what, timing_now_ms() - t0, STOP_RECV_MS);
		chan_close_ok(c);
		run_cleanup(ops, name, 0);
	}
}

/*
 * A consumer stopped right after it took the consumers' lock (GETLOCK),
 * before it recorded itself as the holder, then killed. The stream holds
 * STOP_SENT messages and is over (the producer closed). What the next
 * consumer gets, per family:
 *   SysV: SEM_UNDO gives the lock back. The item the dead one took in the
 *     same semop is not undone (no SEM_UNDO on items), so the message stays
 *     in the ring without one: the stream is over, so it is read anyway.
 *     Every message, then IPCMP_EOS.
 *   POSIX: no undo, the lock stays taken with no holder to find dead. A
 *     waiter that finds none recorded for the orphan grace (500 ms,
 *     common/ringchan.c) gets -ENOTRECOVERABLE, long before its timeout:
 *     never a silent wait until it runs out.
 * Each recv waits up to fixture_wait_ms() and must end within
 * ORPHAN_BOUND_MS (plus the scheduler's allowance).
 */
#define ORPHAN_BOUND_MS (500 + IPCMP_TIMEOUT_MARGIN_MS)

static const struct {
	struct { uint64_t got; long last; } sysv, posix;
} getlock_row = { { STOP_SENT, IPCMP_EOS }, { 0, -ENOTRECOVERABLE } };

static _Noreturn void stopped_consumer(const struct ipcmp_ops *ops, const char *name)
{
	static struct ipcmp_chan *q;
	ssize_t n;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q)) < 0)
		child_failf("consumer: open: %s", ipcmp_strerror(rc));
	stop_prims(q, STOP_GETLOCK_TAKEN);
	n = ipcmp_recv(q, cbuf, sizeof(cbuf), 0);
	child_failf("consumer: not stopped at the step (recv: %s)", ipcmp_strerror((int)n));
}

BACKEND_TEST_ON(IPCMP_SUITE_LOCKED_SHM_BACKENDS, getlock_taker_killed, .timeout = 120)
{
	const char *name = fixture_name();
	const char *what = "consumers' lock taken, holder not recorded";
	uint64_t want_got = kit_is_sysv(ops) ? getlock_row.sysv.got : getlock_row.posix.got;
	long want_last = kit_is_sysv(ops) ? getlock_row.sysv.last : getlock_row.posix.last;
	long bound = ORPHAN_BOUND_MS + timing_allowance_ms(), t0, took;
	struct ipcmp_chan *p, *q;
	uint64_t got = 0;
	ssize_t n;
	pid_t cons;
	int rc;

	cr_assert(lt(long, bound, (long)fixture_wait_ms()), "%s: the bound must be below the "
		  "timeout to tell an error from a wait that ran out", ops->name);
	p = chan_create_ok(ops, name, MSG_MAX, capacity_for(ops, 8), IPCMP_PRODUCER);
	for (uint64_t seq = 0; seq < STOP_SENT; seq++) {
		rc = ipcmp_send(p, pbuf, kit_msg_fill(pbuf, MSG_MAX, seq), 0);
		cr_assert(eq(int, rc, 0), "%s: send %llu: %s", ops->name, (unsigned long long)seq,
			  ipcmp_strerror(rc));
	}
	chan_close_ok(p);
	if ((cons = child_start(1)) == 0)
		stopped_consumer(ops, name);
	if (!wait_stopped(cons))
		child_assert_ok(cons, 1, 0, "consumer");   /* says why it did not stop */
	kill(cons, SIGKILL);
	reap(cons);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	for (;;) {
		t0 = timing_now_ms();
		n = ipcmp_recv(q, cbuf, sizeof(cbuf), fixture_wait_ms());
		took = timing_now_ms() - t0;
		cr_assert(lt(long, took, bound), "%s: %s, then killed: recv took %ld ms (%s), bound "
			  "%ld ms, timeout %d ms", ops->name, what, took,
			  n < 0 ? ipcmp_strerror((int)n) : "a message", bound, fixture_wait_ms());
		if (n < 0)
			break;
		cr_assert(eq(i64, kit_msg_check(cbuf, n, MSG_MAX), (int64_t)got),
			  "%s: %s: message %llu", ops->name, what, (unsigned long long)got);
		got++;
	}
	cr_assert(eq(u64, got, want_got), "%s: %s, then killed: %llu messages received, want %llu",
		  ops->name, what, (unsigned long long)got, (unsigned long long)want_got);
	cr_assert(eq(long, (long)n, want_last), "%s: %s, then killed: recv gave %s, want %s",
		  ops->name, what, ipcmp_strerror((int)n), ipcmp_strerror((int)want_last));
	chan_close_ok(q);
	run_cleanup(ops, name, 0);
}
