/*
 * producers.c - who counts as a producer of a stream.
 *
 * A forked child inherits its parent's producer handle, but it did not
 * join the stream: its close (or its exit) must neither end nor abort the
 * parent's stream. The backends whose stream lives in shared memory
 * (common/stream.c) register each producer by pid in a table of
 * IPCMP_STREAM_PRODUCERS entries; one more is refused (-EUSERS) until one
 * leaves. sysv-msg counts producers in a semaphore and has no such table.
 *
 *   $ ./build/suite --filter 'posix_mq/producer*'
 */
#include <string.h>

#include "backends.h"
#include "stream.h"

#define REGISTRY_BACKENDS(X, ...) \
	X(sysv_shm, ipcmp_sysv_shm_ops, __VA_ARGS__) \
	X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__) \
	X(posix_mq, ipcmp_posix_mq_ops, __VA_ARGS__)

BACKEND_TEST(producer_child_close_keeps_stream)
{
	const char *name = fixture_name();
	struct ipcmp_chan *p = chan_create_ok(ops, name, 64, 4, IPCMP_PRODUCER);
	struct ipcmp_chan *c = chan_open_ok(ops, name, IPCMP_CONSUMER);
	char buf[64];
	ssize_t n;
	pid_t pid;

	child_inherits(p);
	child_inherits(c);
	if ((pid = child_start(0)) == 0) {
		ipcmp_close(p);           /* not a member here: nothing changes */
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "close an inherited producer handle");
	n = ipcmp_recv(c, buf, sizeof(buf), 0);
	cr_assert(eq(int, (int)n, -EAGAIN), "%s: after a child closed the parent's producer handle, "
		  "recv gives %s, want EAGAIN (the stream open)", ops->name, ipcmp_strerror((int)n));
	cr_assert(eq(int, ipcmp_send(p, "after", 5, 0), 0), "%s: send after the child's close",
		  ops->name);
	n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(int, (int)n, 5), "%s: recv after the child's close: %s", ops->name,
		  ipcmp_strerror((int)n));
	chan_close_ok(p);
	n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(int, (int)n, IPCMP_EOS), "%s: after the parent's close: %s, want end of stream",
		  ops->name, ipcmp_strerror((int)n));
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST_ON(REGISTRY_BACKENDS, producers_beyond_registry_refused)
{
	const char *name = fixture_name();
	struct ipcmp_chan *p[IPCMP_STREAM_PRODUCERS], *extra = NULL;
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, IPCMP_CONSUMER);
	char buf[64];
	ssize_t n;
	int rc;

	for (int i = 0; i < IPCMP_STREAM_PRODUCERS; i++)
		p[i] = chan_open_ok(ops, name, IPCMP_PRODUCER);
	rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &extra);
	cr_assert(eq(int, rc, -EUSERS), "%s: producer %d of a stream that registers %d: %s, want "
		  "EUSERS", ops->name, IPCMP_STREAM_PRODUCERS + 1, IPCMP_STREAM_PRODUCERS,
		  ipcmp_strerror(rc));
	cr_assert(extra == NULL, "%s: a refused open leaves *out set", ops->name);
	chan_close_ok(p[0]);
	p[0] = chan_open_ok(ops, name, IPCMP_PRODUCER);    /* a free entry again */
	/* the refused one was never a member: the stream ends when the 32 leave */
	for (int i = 0; i < IPCMP_STREAM_PRODUCERS; i++)
		chan_close_ok(p[i]);
	n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(int, (int)n, IPCMP_EOS), "%s: after every producer left: %s, want end of "
		  "stream", ops->name, ipcmp_strerror((int)n));
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}
