/*
 * faults.c - every system call of every channel operation, failed in turn.
 *
 * A failure the machine rarely gives on request (an mmap, a semctl, a
 * malloc in the middle of a create) is injected (support/fault.h): the
 * operation runs once with its first call failing, once with its second,
 * and so on until it makes no more calls; each time
 *   - it returns the injected error, -ENOMEM, as it came: not success, not
 *     another error (a failed read of a channel's mark is not "not this
 *     channel"), except where the ridden[] table says it rides the failure
 *     out by design, and with what result;
 *   - a create over an existing channel says -EEXIST whatever fails after
 *     its exclusive create found the name taken;
 *   - create and open leave no handle and nothing behind: the kernel's
 *     objects (the census) and the process's descriptors and mappings are
 *     as before; a failed producer open leaves no producer in the stream,
 *     so end of stream still comes;
 *   - a recv either fails or delivers the message for real, and one whose
 *     first call fails takes nothing; a close either fails or ends
 *     the producer's part for real (its consumer gets end of stream), and
 *     fails when a release (shmdt, munmap, sem_close, mq_close) does; an
 *     unlink either fails, and the next one finishes the job, or removes
 *     everything.
 * ENOMEM: a failure each of these calls can meet, which no backend reads
 * as anything but an error to pass on. posix-atomic waits with futex
 * (syscall, not wrapped): its send and recv make no call to fail.
 * A failure after a recv copied the message (its unlock) loses that
 * message: the protocol cannot give it back; not asserted.
 *
 *   $ ./build/suite --filter 'sysv_shm/fault_*'   (or posix_mq, ...)
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends.h"
#include "fault.h"
#include "procinfo.h"

#define FAULT_ERR ENOMEM
#define POSITIONS_MAX 64           /* more wrapped calls than any operation makes */
#define MSG "fault"

static const int both = IPCMP_PRODUCER | IPCMP_CONSUMER;

/* One run of an operation with its nth call failing: the call that
 * failed, NULL when the operation made fewer than n calls (and succeeded). */
typedef const char *position_fn(const struct ipcmp_ops *ops, const char *name, int nth);

/* Runs fn at every position; returns how many calls the operation makes. */
static int every_position(const struct ipcmp_ops *ops, const char *name, position_fn *fn)
{
	int n;

	for (n = 1; n <= POSITIONS_MAX; n++)
		if (fn(ops, name, n) == NULL)
			break;
	cr_assert(le(int, n, POSITIONS_MAX), "%s: an operation made over %d calls", ops->name,
		  POSITIONS_MAX);
	return n - 1;
}

/* The failures an operation rides out by design, and what it gives then. */
static const struct ridden {
	const char *backend, *op, *call;
	long rc;
	const char *why;
} ridden[] = {
	{ "sysv-msg", "recv (waiting)", "msgctl", -ETIMEDOUT,
	  "the check between slices whether the queue was removed: only EIDRM or EINVAL say so" },
};

static void assert_injected(const struct ipcmp_ops *ops, const char *op, const char *call,
			    int nth, long rc)
{
	for (size_t i = 0; i < sizeof(ridden) / sizeof(ridden[0]); i++)
		if (strcmp(ridden[i].backend, ops->name) == 0 && strcmp(ridden[i].op, op) == 0 &&
		    strcmp(ridden[i].call, call) == 0) {
			cr_assert(eq(long, rc, ridden[i].rc), "%s: %s with %s failing (%s): %s, "
				  "want %s", ops->name, op, call, ridden[i].why,
				  ipcmp_strerror((int)rc), ipcmp_strerror((int)ridden[i].rc));
			return;
		}
	cr_assert(eq(long, rc, -FAULT_ERR), "%s: %s with call %d (%s) failing: %s (%s), "
		  "want the injected %s", ops->name, op, nth, call, ipcmp_strerror((int)rc),
		  ipcmp_call ? ipcmp_call : "-", strerror(FAULT_ERR));
}

/* A release that fails is reported: there is nothing to ride out. */
static int is_release(const char *call)
{
	static const char *const releases[] = { "shmdt", "munmap", "sem_close", "mq_close" };

	for (size_t i = 0; call != NULL && i < sizeof(releases) / sizeof(releases[0]); i++)
		if (strcmp(call, releases[i]) == 0)
			return 1;
	return 0;
}

/*
 * Operations whose calls include a release (close, unlink, a create that
 * peeks at what exists) run in a child: a release that fails (shmdt,
 * munmap) leaves its mapping to the process, which then ends. The child
 * arms the fault after its setup and reports what the operation gave.
 */
struct report {
	int rc;
	char call[32];
};

typedef int child_op(const struct ipcmp_ops *ops, const char *name, int nth);

static const char *in_child(const struct ipcmp_ops *ops, const char *name, int nth,
			    child_op *op, int *rc)
{
	struct report *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static char call[sizeof(r->call)];
	pid_t pid;

	cr_assert(r != MAP_FAILED, "%s: mmap: %s", ops->name, strerror(errno));
	if ((pid = child_start(0)) == 0) {
		r->rc = op(ops, name, nth);
		fault_disarm();
		snprintf(r->call, sizeof(r->call), "%s", fault_fired() ? fault_fired() : "");
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "the faulted operation");
	*rc = r->rc;
	snprintf(call, sizeof(call), "%s", r->call);
	munmap(r, sizeof(*r));
	return call[0] != '\0' ? call : NULL;
}

static struct ipcmp_chan *create_with_message(const struct ipcmp_ops *ops, const char *name)
{
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, both);
	int rc = ipcmp_send(c, MSG, strlen(MSG), 0);

	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	return c;
}

static const char *create_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_attr attr = { .msg_max = 64, .capacity = 4, .flags = both };
	struct ipcmp_chan *c = (struct ipcmp_chan *)&c;
	const char *call;
	struct usage u;
	int rc;

	usage_take(&u);
	fault_arm(nth, FAULT_ERR);
	rc = ipcmp_create(ops, name, &attr, &c);
	fault_disarm();
	if ((call = fault_fired()) == NULL) {
		cr_assert(eq(int, rc, 0), "%s: create: %s", ops->name, ipcmp_strerror(rc));
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
		return NULL;
	}
	assert_injected(ops, "create", call, nth, rc);
	cr_assert(c == NULL, "%s: create failed at %s and left *out set", ops->name, call);
	census_assert_clean();
	usage_assert_same(&u, ops->name, call);
	return call;
}

/* A create over an existing channel: its first system call (the
 * exclusive create) or a memory allocation that fails is passed on; once
 * that call found the name taken, whatever fails while it looks at what
 * is there, the answer is that it exists (-EEXIST). */
static int create_existing(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_attr attr = { .msg_max = 64, .capacity = 4, .flags = both };
	struct ipcmp_chan *c = (struct ipcmp_chan *)&c;
	int rc;

	fault_arm(nth, FAULT_ERR);
	rc = ipcmp_create(ops, name, &attr, &c);
	if (c != NULL)
		child_failf("%s: create over an existing channel left *out set", ops->name);
	return rc;
}

static const char *create_existing_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	static int seen_exclusive;
	const char *call;
	int rc, memory;

	if (nth == 1)
		seen_exclusive = 0;
	call = in_child(ops, name, nth, create_existing, &rc);
	memory = call != NULL && (strcmp(call, "calloc") == 0 || strcmp(call, "malloc") == 0);
	if (memory || (call != NULL && !seen_exclusive++))
		assert_injected(ops, "create (existing)", call, nth, rc);
	else
		cr_assert(eq(int, rc, -EEXIST), "%s: create over an existing channel with %s "
			  "failing: %s", ops->name, call ? call : "nothing", ipcmp_strerror(rc));
	return call;
}

static const char *open_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *o = (struct ipcmp_chan *)&o;
	struct ipcmp_census before;
	const char *call;
	struct usage u;
	int rc;

	usage_take(&u);
	census_for(&before, name);
	fault_arm(nth, FAULT_ERR);
	rc = ipcmp_open(ops, name, both, &o);
	fault_disarm();
	if ((call = fault_fired()) == NULL) {
		cr_assert(eq(int, rc, 0), "%s: open: %s", ops->name, ipcmp_strerror(rc));
		rc = ipcmp_send(o, MSG, strlen(MSG), 0);
		cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
		chan_close_ok(o);
	} else {
		assert_injected(ops, "open", call, nth, rc);
		cr_assert(o == NULL, "%s: open failed at %s and left *out set", ops->name, call);
		usage_assert_same(&u, ops->name, call);
		census_assert_plus(&before, name, NULL, 0, ops->name, call);
	}
	kcensus_free(&before);
	return call;
}

static const char *send_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, both);
	const char *call;
	int rc;

	fault_arm(nth, FAULT_ERR);
	rc = ipcmp_send(c, MSG, strlen(MSG), 0);
	fault_disarm();
	if ((call = fault_fired()) == NULL)
		cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	else
		assert_injected(ops, "send", call, nth, rc);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	return call;
}

/* A recv with a message there either delivers it for real (a failure
 * after it took the message is ridden out rather than lose it) or fails
 * with the injected error having taken nothing: the next recv gets it. */
static const char *recv_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *c = create_with_message(ops, name);
	char buf[64];
	const char *call;
	ssize_t n;

	fault_arm(nth, FAULT_ERR);
	n = ipcmp_recv(c, buf, sizeof(buf), 0);
	fault_disarm();
	if ((call = fault_fired()) != NULL && n < 0) {
		assert_injected(ops, "recv", call, nth, (long)n);
		n = ipcmp_recv(c, buf, sizeof(buf), 0);
	}
	cr_assert(eq(long, (long)n, (long)strlen(MSG)), "%s: recv (%s failing, or after it "
		  "failed): %s", ops->name, call ? call : "nothing", ipcmp_strerror((int)n));
	cr_assert(eq(int, memcmp(buf, MSG, strlen(MSG)), 0), "%s: recv with %s failing: wrong "
		  "bytes", ops->name, call ? call : "nothing");
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	return call;
}

/* A recv that waits on an empty channel (its wait calls). */
static const char *recv_empty_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, both);
	char buf[64];
	const char *call;
	ssize_t n;

	fault_arm(nth, FAULT_ERR);
	n = ipcmp_recv(c, buf, sizeof(buf), 1);
	fault_disarm();
	if ((call = fault_fired()) == NULL)
		cr_assert(eq(long, (long)n, -ETIMEDOUT), "%s: recv on an empty channel: %s",
			  ops->name, ipcmp_strerror((int)n));
	else
		assert_injected(ops, "recv (waiting)", call, nth, (long)n);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	return call;
}

static int close_producer(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *p = NULL;

	if (ipcmp_open(ops, name, IPCMP_PRODUCER, &p) < 0 ||
	    ipcmp_send(p, MSG, strlen(MSG), 0) < 0)
		child_failf("%s: open and send: %s", ops->name, ipcmp_call ? ipcmp_call : "-");
	fault_arm(nth, FAULT_ERR);
	return ipcmp_close(p);
}

/* The producer's close either fails with the injected error or succeeds
 * for real: then its consumer gets the message and end of stream. A
 * failed release always fails the close. */
static const char *close_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *q = chan_create_ok(ops, name, 64, 4, IPCMP_CONSUMER);
	const char *call;
	char buf[64];
	ssize_t n;
	int rc;

	child_inherits(q);
	call = in_child(ops, name, nth, close_producer, &rc);
	if (call != NULL && (rc != 0 || is_release(call))) {
		assert_injected(ops, "close", call, nth, rc);
	} else {
		cr_assert(eq(int, rc, 0), "%s: close: %s", ops->name, ipcmp_strerror(rc));
		n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());
		cr_assert(eq(long, (long)n, (long)strlen(MSG)), "%s: recv after a close that "
			  "succeeded with %s failing: %s", ops->name, call ? call : "-",
			  ipcmp_strerror((int)n));
		n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());
		cr_assert(eq(long, (long)n, (long)IPCMP_EOS), "%s: close succeeded with %s failing, "
			  "but the consumer got %s, not end of stream", ops->name,
			  call ? call : "-", ipcmp_strerror((int)n));
	}
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
	census_assert_clean();
	return call;
}

static int unlink_channel(const struct ipcmp_ops *ops, const char *name, int nth)
{
	fault_arm(nth, FAULT_ERR);
	return ipcmp_unlink(ops, name);
}

/* unlink fails with the injected error, and the next unlink finishes the
 * job; or it succeeds for real (it may ignore the release of a peek). */
static const char *unlink_at(const struct ipcmp_ops *ops, const char *name, int nth)
{
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, 0);
	const char *call;
	int rc, rc2;

	chan_close_ok(c);
	call = in_child(ops, name, nth, unlink_channel, &rc);
	rc2 = ipcmp_unlink(ops, name);
	if (call == NULL || rc == 0)
		cr_assert(rc == 0 && rc2 == -ENOENT, "%s: unlink with %s failing: %s, then a "
			  "second unlink: %s", ops->name, call ? call : "nothing",
			  ipcmp_strerror(rc), ipcmp_strerror(rc2));
	else
		assert_injected(ops, "unlink", call, nth, rc);
	cr_assert(rc2 == 0 || rc2 == IPCMP_DAMAGED || rc2 == -ENOENT, "%s: unlink after unlink "
		  "failed at %s: %s", ops->name, call, ipcmp_strerror(rc2));
	census_assert_clean();
	return call;
}

BACKEND_TEST(fault_create_open)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q;
	char buf[64];
	ssize_t n;

	/* one whole cycle first: an allocator maps its arenas on first use
	 * (ASan's does), which is not the channel's */
	chan_close_ok(chan_create_ok(ops, name, 64, 4, both));
	chan_unlink_ok(ops, name);
	cr_assert(gt(int, every_position(ops, name, create_at), 0), "%s: create made no "
		  "wrapped call: is the suite linked with SUITE_WRAP?", ops->name);
	/* open: each failed producer open must leave the stream as it was */
	q = chan_create_ok(ops, name, 64, 4, IPCMP_CONSUMER);
	child_inherits(q);
	every_position(ops, name, create_existing_at);
	cr_assert(gt(int, every_position(ops, name, open_at), 0), "%s: open made no call",
		  ops->name);
	n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(long, (long)n, (long)strlen(MSG)), "%s: recv of the one message sent: %s",
		  ops->name, ipcmp_strerror((int)n));
	n = ipcmp_recv(q, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(long, (long)n, (long)IPCMP_EOS), "%s: after failed producer opens and one "
		  "that closed: %s, want end of stream", ops->name, ipcmp_strerror((int)n));
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST(fault_send_recv)
{
	const char *name = fixture_name();

	every_position(ops, name, send_at);
	every_position(ops, name, recv_at);
	every_position(ops, name, recv_empty_at);
}

BACKEND_TEST(fault_close_unlink)
{
	const char *name = fixture_name();

	every_position(ops, name, close_at);
	cr_assert(gt(int, every_position(ops, name, unlink_at), 0), "%s: unlink made no call",
		  ops->name);
}
