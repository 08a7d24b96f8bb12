/*
 * stream.c - end and abort of a stream, and what comes after it.
 *
 * The protocol (ipcmp.h): a consumer sees end of stream only when every
 * producer that joined the stream closed it; a producer that died (SIGKILL)
 * or gave up (ipcmp_abort) makes the consumers get IPCMP_ABORTED after the
 * messages it had sent. A stream that has ended, or aborted, is over: a new
 * producer is refused with -ESHUTDOWN, on every backend alike, so a stale
 * end of stream can never be read as the end of a second stream.
 *
 * The families learn of a death differently (the backends say how), but
 * the outcome asserted here is the same for all four.
 *
 *   $ ./build/suite --filter 'posix_mq/abort_*'
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "crashkit.h"
#include "stream.h"
#include "timing.h"

#define MSG 64

static void recv_seq_ok(const struct ipcmp_ops *ops, struct ipcmp_chan *q, uint64_t seq,
			const char *when)
{
	char buf[MSG];
	ssize_t n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());

	cr_assert(ge(long, (long)n, 0), "%s: %s: recv message %llu: %s", ops->name, when,
		  (unsigned long long)seq, n < 0 ? ipcmp_strerror((int)n) : "");
	cr_assert(eq(i64, kit_msg_check(buf, n, MSG), (int64_t)seq), "%s: %s: message %llu "
		  "torn or out of order", ops->name, when, (unsigned long long)seq);
}

static void send_seq_ok(const struct ipcmp_ops *ops, struct ipcmp_chan *p, uint64_t seq)
{
	char buf[MSG];
	int rc = ipcmp_send(p, buf, kit_msg_fill(buf, MSG, seq), fixture_wait_ms());

	cr_assert(eq(int, rc, 0), "%s: send %llu: %s", ops->name, (unsigned long long)seq,
		  ipcmp_strerror(rc));
}

static void recv_end(const struct ipcmp_ops *ops, struct ipcmp_chan *q, long want,
		     const char *when)
{
	char buf[MSG];
	ssize_t n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());

	cr_assert(eq(long, (long)n, want), "%s: %s: recv gave %s, want %s", ops->name, when,
		  n < 0 ? ipcmp_strerror((int)n) : "a message", ipcmp_strerror((int)want));
}

/* A producer that calls ipcmp_abort (the command line does after a failed
 * read, a failed send or a signal): its messages arrive, then the abort. */
BACKEND_TEST(abort_after_messages)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	struct ipcmp_chan *p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	int rc;

	send_seq_ok(ops, p, 0);
	send_seq_ok(ops, p, 1);
	rc = ipcmp_abort(p);
	cr_assert(eq(int, rc, 0), "%s: abort: %s", ops->name, ipcmp_strerror(rc));
	recv_seq_ok(ops, q, 0, "after the abort");
	recv_seq_ok(ops, q, 1, "after the abort");
	recv_end(ops, q, IPCMP_ABORTED, "drained, the producer aborted");
	cr_assert(eq(int, (int)q->aborter, (int)getpid()), "%s: the abort names pid %d, want %d",
		  ops->name, (int)q->aborter, (int)getpid());
	recv_end(ops, q, IPCMP_ABORTED, "again");
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}

/* One producer of two aborts, the other closes cleanly: the stream is
 * aborted, whatever the order. */
BACKEND_TEST(abort_one_of_two)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	struct ipcmp_chan *a = chan_open_ok(ops, name, IPCMP_PRODUCER);
	struct ipcmp_chan *b = chan_open_ok(ops, name, IPCMP_PRODUCER);
	int rc;

	send_seq_ok(ops, a, 0);
	rc = ipcmp_abort(a);
	cr_assert(eq(int, rc, 0), "%s: abort: %s", ops->name, ipcmp_strerror(rc));
	send_seq_ok(ops, b, 1);
	chan_close_ok(b);
	recv_seq_ok(ops, q, 0, "one of two aborted");
	recv_seq_ok(ops, q, 1, "one of two aborted");
	recv_end(ops, q, IPCMP_ABORTED, "drained, one producer aborted, one closed");
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}

struct killed {
	int sent;                  /* the child sent its messages */
};

/*
 * A producer SIGKILLed with the stream open (it cannot close): the consumer
 * gets what it sent, then IPCMP_ABORTED within its wait, not end of stream
 * (what System V's SEM_UNDO alone gave) and not a timeout (what POSIX,
 * with no undo, gave). Reaped first, then not reaped (a zombie is dead).
 */
static void producer_killed(const struct ipcmp_ops *ops, int reap_first)
{
	const char *name = fixture_name();
	struct killed *k = kit_shared(sizeof(*k));
	struct ipcmp_chan *q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	pid_t pid;
	int st;

	cr_assert(ne(ptr, k, NULL), "%s: mmap", ops->name);
	child_inherits(q);
	if ((pid = child_start(0)) == 0) {
		static struct ipcmp_chan *p;
		static char buf[MSG];
		int rc;

		if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
			child_failf("producer: open: %s", ipcmp_strerror(rc));
		for (uint64_t i = 0; i < 3; i++)
			if ((rc = ipcmp_send(p, buf, kit_msg_fill(buf, MSG, i), fixture_wait_ms())) < 0)
				child_failf("producer: send: %s", ipcmp_strerror(rc));
		__atomic_store_n(&k->sent, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	for (int i = 0; i < fixture_wait_ms() && !__atomic_load_n(&k->sent, __ATOMIC_SEQ_CST); i++)
		kit_sleep_us(1000);
	cr_assert(eq(int, k->sent, 1), "%s: the producer did not send", ops->name);
	kill(pid, SIGKILL);
	if (reap_first)
		waitpid(pid, &st, 0);
	for (uint64_t i = 0; i < 3; i++)
		recv_seq_ok(ops, q, i, "producer killed");
	recv_end(ops, q, IPCMP_ABORTED, "drained, the producer was SIGKILLed");
	cr_assert(eq(int, (int)q->aborter, (int)pid), "%s: the abort names pid %d, want the "
		  "killed producer %d", ops->name, (int)q->aborter, (int)pid);
	if (!reap_first)
		waitpid(pid, &st, 0);
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
	kit_unshare(k, sizeof(*k));
}

BACKEND_TEST(abort_producer_killed)
{
	producer_killed(ops, 1);
	producer_killed(ops, 0);
}

/*
 * A second stream on a channel whose stream ended is refused (-ESHUTDOWN)
 * on every backend; the consumer still reads end of stream, never a stale
 * token ahead of new data (sysv-msg used to: issue 8, defect 3). Likewise
 * after an abort.
 */
static void second_stream(const struct ipcmp_ops *ops, int abort_first)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	struct ipcmp_chan *p = chan_open_ok(ops, name, IPCMP_PRODUCER), *x = NULL;
	long end = abort_first ? IPCMP_ABORTED : IPCMP_EOS;
	int rc;

	send_seq_ok(ops, p, 0);
	rc = abort_first ? ipcmp_abort(p) : ipcmp_close(p);
	cr_assert(eq(int, rc, 0), "%s: first stream: close: %s", ops->name, ipcmp_strerror(rc));
	recv_seq_ok(ops, q, 0, "first stream");
	recv_end(ops, q, end, "first stream");
	rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &x);
	cr_assert(eq(int, rc, -ESHUTDOWN), "%s: a producer after the stream %s: %s, want "
		  "-ESHUTDOWN", ops->name, abort_first ? "aborted" : "ended",
		  rc == 0 ? "opened" : ipcmp_strerror(rc));
	cr_assert(eq(ptr, x, NULL), "%s: a refused open returned a handle", ops->name);
	recv_end(ops, q, end, "after the refused producer");
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST(second_stream_refused)
{
	second_stream(ops, 0);
	second_stream(ops, 1);
}

/* Until a producer joins, a stream is not over: a consumer waits (it does
 * not see end of stream), and a producer opened later is the first one. */
BACKEND_TEST(stream_starts_with_first_producer)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER), *p;
	char buf[MSG];
	ssize_t n = ipcmp_recv(q, buf, sizeof(buf), 0);

	cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv before any producer: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	send_seq_ok(ops, p, 0);
	chan_close_ok(p);
	recv_seq_ok(ops, q, 0, "first producer");
	recv_end(ops, q, IPCMP_EOS, "first producer closed");
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}

/*
 * posix-shm: a process that took the ring's lock and died (a POSIX named
 * semaphore has no undo, so the lock stays taken) before it recorded
 * itself as the holder. A send with timeout 0 and one with 1000 ms return
 * within their timeout plus IPCMP_TIMEOUT_MARGIN_MS (plus a wide allowance
 * for a loaded machine), not after a fixed 5 s wait: -EAGAIN at once, and
 * -ENOTRECOVERABLE once the lock was seen held with no holder recorded for
 * the orphan grace (500 ms, common/ringchan.c), within the 1000 ms.
 * White box: the lock is the named semaphore the backend documents.
 */
Test(posix_shm, dead_lock_holder_timeout, .init = fixture_init, .fini = fixture_fini,
     .timeout = 60)
{
	const struct ipcmp_ops *ops = &ipcmp_posix_shm_ops;
	static const int timeouts[] = { 0, 1000 };
	static const int want[] = { -EAGAIN, -ENOTRECOVERABLE };
	const char *name;
	struct ipcmp_chan *p;
	pid_t pid;

	fixture_begin(ops);
	name = fixture_name();
	p = chan_create_ok(ops, name, MSG, 4, IPCMP_PRODUCER);
	if ((pid = child_start(0)) == 0) {
		int rc = kit_lock_take(ops, name);

		if (rc < 0)
			child_failf("take the lock: %s", strerror(-rc));
		child_exit();          /* dies holding it */
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "lock taker");
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		long bound = timeouts[i] + IPCMP_TIMEOUT_MARGIN_MS + timing_allowance_ms(), ms, t0;
		char buf[MSG];
		int rc;

		t0 = timing_now_ms();
		rc = ipcmp_send(p, buf, kit_msg_fill(buf, MSG, 0), timeouts[i]);
		ms = timing_now_ms() - t0;
		cr_assert(lt(long, ms, bound), "%s: send, timeout %d ms, with a dead lock holder: "
			  "returned after %ld ms", ops->name, timeouts[i], ms);
		cr_assert(eq(int, rc, want[i]), "%s: send, timeout %d ms, with a dead lock holder: "
			  "%s, want %s", ops->name, timeouts[i], ipcmp_strerror(rc),
			  ipcmp_strerror(want[i]));
	}
	ipcmp_abort(p);
	chan_unlink_ok(ops, name);
	census_assert_clean();
}

/*
 * ipcmp_self(), the pid a POSIX ring records as its lock's holder, is
 * cached (getpid is a system call, and a lock is taken at every message).
 * A child of fork() is another process: once its parent has cached its
 * own pid, the child must still get its own, or a lock it dies holding
 * would name its parent, alive, and waiters would wait out every timeout
 * instead of saying -ENOTRECOVERABLE. Grandchildren likewise.
 */
Test(liveness, self_after_fork, .init = fixture_init, .fini = fixture_fini, .timeout = 60)
{
	pid_t pid;

	fixture_begin_probe("liveness");
	cr_assert(eq(int, (int)ipcmp_self(), (int)getpid()), "ipcmp_self in the parent");
	if ((pid = child_start(0)) == 0) {
		pid_t grandchild;
		int st = -1;

		if (ipcmp_self() != getpid())
			child_failf("ipcmp_self() %d in the child %d", (int)ipcmp_self(), (int)getpid());
		if ((grandchild = fork()) == 0)
			fixture_exit(ipcmp_self() == getpid() ? 0 : 3);
		if (grandchild < 0 || waitpid(grandchild, &st, 0) != grandchild ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			child_failf("ipcmp_self() in the grandchild: wrong (status %d)", st);
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "child");
	cr_assert(eq(int, (int)ipcmp_self(), (int)getpid()), "ipcmp_self in the parent, after");
}
