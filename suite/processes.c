/*
 * processes.c - producers and consumers in separate processes.
 *
 * Children make no cr_* call (it would hang the runner): they report through
 * child_failf and their exit status, and the parent asserts. Every wait is
 * bounded: the channel calls by fixture_wait_ms(), the children by
 * child_assert_ok, and the whole test by the suite's .timeout; a child dies
 * with the worker (PR_SET_PDEATHSIG).
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "timing.h"

/* Sends count messages numbered first.., their sizes and contents derived
 * from the number; closes, and so ends the stream if it is the last. */
static _Noreturn void produce(const struct ipcmp_ops *ops, const char *name, uint64_t first,
			      size_t count, size_t maxlen, int ready_fd)
{
	struct ipcmp_chan *p;
	char *buf;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
		child_failf("producer: open: %s", ipcmp_strerror(rc));
	if (ready_fd >= 0 && write(ready_fd, "r", 1) != 1)
		child_failf("producer: write(ready)");
	if ((buf = malloc(p->msg_max)) == NULL)
		child_failf("producer: malloc");
	for (uint64_t seq = first; seq < first + count; seq++) {
		size_t len = 8 + payload_len(seq, maxlen - 8);

		payload_fill(buf, len, seq);
		if ((rc = ipcmp_send(p, buf, len, fixture_wait_ms())) < 0)
			child_failf("producer: send #%llu: %s", (unsigned long long)seq,
				    ipcmp_strerror(rc));
	}
	free(buf);
	if ((rc = ipcmp_close(p)) < 0)
		child_failf("producer: close: %s", ipcmp_strerror(rc));
	child_exit();
}

/* One producer process, the parent consuming: every message arrives, in
 * order, byte for byte, then end of stream. */
BACKEND_TEST(stream_two_processes)
{
	const char *name = fixture_name();
	size_t total = fixture_scale(100000, 2000);
	struct ipcmp_chan *c;
	size_t maxlen;
	char *buf;
	ssize_t n;
	pid_t pid;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_CONSUMER);
	maxlen = c->msg_max < 1024 ? c->msg_max : 1024;
	cr_assert(ge(sz, maxlen, 8), "%s: msg_max %zu too small for the test", ops->name, maxlen);
	child_inherits(c);
	if ((pid = child_start(0)) == 0)
		produce(ops, name, 0, total, maxlen, -1);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	for (size_t seq = 0; seq < total; seq++) {
		size_t len = 8 + payload_len(seq, maxlen - 8);
		int bad;

		n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
		if (n != (ssize_t)len)
			cr_fatal("%s: recv #%zu: %ld, expected %zu bytes (%s)", ops->name, seq, (long)n,
				 len, n < 0 ? ipcmp_strerror((int)n) : "length");
		if ((bad = payload_check(buf, len, seq)) != 0)
			cr_fatal("%s: recv #%zu: byte %d differs (message #%llu?)", ops->name, seq,
				 bad - 1, (unsigned long long)payload_seq(buf));
	}
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, IPCMP_EOS), "%s: recv after %zu messages and close: %s",
		  ops->name, total, n < 0 ? ipcmp_strerror((int)n) : "one more message");
	child_assert_ok(pid, 0, fixture_wait_ms(), "producer");
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

#define NPROD 4
#define NCONS 4

/* Receives until end of stream; counts each message in the shared array
 * and checks that each producer's messages come in order. */
static _Noreturn void consume(const struct ipcmp_ops *ops, const char *name, size_t per,
			      uint32_t *seen)
{
	long long last[NPROD];
	struct ipcmp_chan *q;
	char *buf;
	ssize_t n;
	int rc;

	for (int i = 0; i < NPROD; i++)
		last[i] = -1;
	if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q)) < 0)
		child_failf("consumer: open: %s", ipcmp_strerror(rc));
	if ((buf = malloc(q->msg_max)) == NULL)
		child_failf("consumer: malloc");
	while ((n = ipcmp_recv(q, buf, q->msg_max, fixture_wait_ms())) != IPCMP_EOS) {
		uint64_t seq;
		size_t p, i;

		if (n < 8)
			child_failf("consumer: recv: %s",
				    n < 0 ? ipcmp_strerror((int)n) : "shorter than 8 bytes");
		seq = payload_seq(buf);
		if (seq >= NPROD * per)
			child_failf("consumer: message #%llu: no such message",
				    (unsigned long long)seq);
		if (payload_check(buf, (size_t)n, seq) != 0)
			child_failf("consumer: message #%llu: content differs",
				    (unsigned long long)seq);
		p = seq / per;
		i = seq % per;
		if ((long long)i <= last[p])
			child_failf("consumer: producer %zu: message %zu after %lld", p, i, last[p]);
		last[p] = (long long)i;
		__atomic_fetch_add(&seen[seq], 1, __ATOMIC_RELAXED);
	}
	free(buf);
	if ((rc = ipcmp_close(q)) < 0)
		child_failf("consumer: close: %s", ipcmp_strerror(rc));
	child_exit();
}

/*
 * 4 producers and 4 consumers, each a process: every message is delivered
 * exactly once, in order per producer, and every consumer sees end of stream.
 * End of stream needs every producer to have opened before the last one
 * closes: the parent holds a producer handle until all have said so.
 */
BACKEND_TEST(many_to_many)
{
	const char *name = fixture_name();
	size_t per = fixture_scale(10000, 250);
	size_t total = NPROD * per, maxlen, missing = 0, twice = 0, first_bad = 0;
	struct ipcmp_chan *c, *hold;
	pid_t pids[NPROD + NCONS];
	uint32_t *seen;
	int ready[2];
	char byte;

	c = chan_create_ok(ops, name, 0, 0, 0);
	maxlen = c->msg_max < 256 ? c->msg_max : 256;
	cr_assert(ge(sz, maxlen, 8), "%s: msg_max %zu too small for the test", ops->name, maxlen);
	hold = chan_open_ok(ops, name, IPCMP_PRODUCER);
	seen = mmap(NULL, total * sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(ne(ptr, seen, MAP_FAILED), "%s: mmap", ops->name);
	cr_assert(eq(int, pipe(ready), 0), "%s: pipe", ops->name);
	child_inherits(c);
	child_inherits(hold);

	for (int i = 0; i < NCONS; i++)
		if ((pids[NPROD + i] = child_start(NPROD + i)) == 0) {
			close(ready[0]);
			close(ready[1]);
			consume(ops, name, per, seen);
		}
	for (int i = 0; i < NPROD; i++)
		if ((pids[i] = child_start(i)) == 0) {
			close(ready[0]);
			produce(ops, name, (uint64_t)i * per, per, maxlen, ready[1]);
		}
	close(ready[1]);

	/* all producers have opened: now the last close ends the stream */
	for (int i = 0; i < NPROD; i++) {
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };

		if (poll(&pfd, 1, fixture_wait_ms()) != 1 || read(ready[0], &byte, 1) != 1) {
			/* a producer that failed says why; the rest die with us */
			for (int j = 0; j < NPROD; j++) {
				siginfo_t si = { 0 };

				if (waitid(P_PID, (id_t)pids[j], &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
				    si.si_pid == pids[j])
					child_assert_ok(pids[j], j, 0, "producer");
			}
			cr_fatal("%s: only %d of %d producers opened", ops->name, i, NPROD);
		}
	}
	close(ready[0]);
	chan_close_ok(hold);

	for (int i = 0; i < NPROD + NCONS; i++)
		child_assert_ok(pids[i], i, 3 * fixture_wait_ms(), i < NPROD ? "producer" : "consumer");
	for (size_t i = 0; i < total; i++)
		if (seen[i] != 1) {
			if (missing + twice == 0)
				first_bad = i;
			if (seen[i] == 0)
				missing++;
			else
				twice++;
		}
	munmap(seen, total * sizeof(*seen));
	cr_assert(eq(sz, missing + twice, 0),
		  "%s: of %zu messages %zu never arrived, %zu more than once (first: #%zu)",
		  ops->name, total, missing, twice, first_bad);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * A consumer blocked on an empty channel wakes with end of stream when the
 * last producer closes (in another process), at once: the close posts a
 * wake-up. Without it the consumer would still see the end, at its next
 * liveness check: the library checks between slices of 50 ms (SLICE_MS in
 * common/ringchan.c, sysv/sysv_msg.c, posix/posix_mq.c). So the producer
 * closes as the consumer starts to wait, and the fastest of a few rounds
 * must take less than half a slice; a missing wake-up takes a whole one.
 * Under valgrind, where a wake-up alone may take that long, only the
 * wide bound of timing.h is checked.
 */
#define EOS_WAKE_MS 25

static long eos_wake_round(const struct ipcmp_ops *ops)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	char *buf;
	ssize_t n;
	pid_t pid;
	long t0, took;
	int go[2];

	c = chan_create_ok(ops, name, 0, 0, IPCMP_CONSUMER);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	cr_assert(eq(int, pipe(go), 0), "%s: pipe", ops->name);
	child_inherits(c);
	child_inherits(buf);
	if ((pid = child_start(0)) == 0) {
		struct ipcmp_chan *p;
		struct pollfd pfd = { .fd = go[0], .events = POLLIN };
		int rc;

		close(go[1]);
		if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
			child_failf("producer: open: %s", ipcmp_strerror(rc));
		if ((rc = ipcmp_send(p, "one", 3, fixture_wait_ms())) < 0)
			child_failf("producer: send: %s", ipcmp_strerror(rc));
		/* close only once the parent has taken the message and is
		 * about to wait again (or the parent is gone) */
		poll(&pfd, 1, fixture_wait_ms());
		if ((rc = ipcmp_close(p)) < 0)
			child_failf("producer: close: %s", ipcmp_strerror(rc));
		child_exit();
	}
	close(go[0]);
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, 3), "%s: recv the message: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "length");
	t0 = timing_now_ms();
	close(go[1]);           /* the producer may close now */
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	took = timing_now_ms() - t0;
	cr_assert(eq(long, (long)n, IPCMP_EOS), "%s: recv while the producer closes: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "a message");
	cr_assert(lt(long, took, timing_allowance_ms()),
		  "%s: end of stream woke the consumer after %ld ms", ops->name, took);
	child_assert_ok(pid, 0, fixture_wait_ms(), "producer");
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	return took;
}

BACKEND_TEST(eos_wakes_consumer)
{
	int rounds = (int)fixture_scale(5, 1);
	long fastest = -1;

	for (int i = 0; i < rounds; i++) {
		long took = eos_wake_round(ops);

		if (fastest < 0 || took < fastest)
			fastest = took;
	}
	if (!fixture_valgrind())
		cr_assert(lt(long, fastest, EOS_WAKE_MS),
			  "%s: end of stream woke the consumer after %ld ms at best in %d rounds: "
			  "no wake-up, only the %d ms liveness check?", ops->name, fastest, rounds,
			  EOS_WAKE_MS * 2);
}
