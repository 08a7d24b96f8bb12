/*
 * conformance.c - the contract of ipcmp.h, one process, every backend.
 *
 * Expected values come from ipcmp.h (and the man pages behind it), never
 * from what a backend happened to return. Sizes come from ipcmp_limits():
 * a posix-mq channel may hold 10 messages of 8 KiB, a sysv-shm ring more.
 */
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "timing.h"

/* A small capacity every backend accepts. */
static size_t small_capacity(const struct ipcmp_ops *ops, size_t want)
{
	struct ipcmp_limits lim;

	limits_ok(ops, &lim);
	return want < lim.capacity_limit ? want : lim.capacity_limit;
}

BACKEND_TEST(lifecycle)
{
	const char *name = fixture_name();
	struct ipcmp_limits lim;
	struct ipcmp_chan *c, *p, *q;
	int rc;

	/* 0 in create asks for the defaults the backend reports from the
	 * kernel's limits (ipcmp_limits) */
	limits_ok(ops, &lim);
	c = chan_create_ok(ops, name, 0, 0, 0);
	cr_assert(eq(sz, c->msg_max, lim.msg_max_default), "%s: create: msg_max %zu, default %zu",
		  ops->name, c->msg_max, lim.msg_max_default);
	cr_assert(eq(sz, c->capacity, lim.capacity_default), "%s: create: capacity %zu, default %zu",
		  ops->name, c->capacity, lim.capacity_default);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	cr_assert(eq(sz, p->msg_max, c->msg_max), "%s: open: msg_max as created", ops->name);
	cr_assert(eq(sz, q->capacity, c->capacity), "%s: open: capacity as created", ops->name);
	chan_close_ok(p);
	chan_close_ok(q);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink twice: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q);
	cr_assert(eq(int, rc, -ENOENT), "%s: open after unlink: %s", ops->name, ipcmp_strerror(rc));
	cr_assert(eq(ptr, q, NULL), "%s: open after unlink: handle", ops->name);
}

/* create is exclusive (IPC_EXCL / O_EXCL), and a failed create leaves the
 * existing channel as it was. */
BACKEND_TEST(create_exclusive)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c, *c2 = NULL, *p;
	char *buf;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_CONSUMER);
	rc = ipcmp_create(ops, name, NULL, &c2);
	cr_assert(eq(int, rc, -EEXIST), "%s: create twice: %s", ops->name, ipcmp_strerror(rc));
	cr_assert(eq(ptr, c2, NULL), "%s: create twice: handle", ops->name);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	rc = ipcmp_send(p, "abc", 3, 0);
	cr_assert(eq(int, rc, 0), "%s: send after a failed create: %s", ops->name, ipcmp_strerror(rc));
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, 3), "%s: recv after a failed create: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "length");
	cr_assert(eq(int, memcmp(buf, "abc", 3), 0), "%s: recv after a failed create: content",
		  ops->name);
	free(buf);
	chan_close_ok(p);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST(open_missing)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c = NULL;
	int rc;

	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
	cr_assert(eq(int, rc, -ENOENT), "%s: open missing: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &c);
	cr_assert(eq(int, rc, -ENOENT), "%s: open missing as producer: %s", ops->name,
		  ipcmp_strerror(rc));
	cr_assert(eq(ptr, c, NULL), "%s: open missing: handle", ops->name);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink missing: %s", ops->name, ipcmp_strerror(rc));
}

/* Names are 1..32 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
BACKEND_TEST(invalid_names)
{
	static const struct {
		const char *name;
		int err;
	} cases[] = {
		{ "", -EINVAL },
		{ "a/b", -EINVAL },
		{ "has space", -EINVAL },
		{ ".dot", -EINVAL },
		{ "-dash", -EINVAL },
		{ "tab\tname", -EINVAL },
		{ "abcdefghijklmnopqrstuvwxyz0123456", -ENAMETOOLONG },   /* 33 */
	};
	struct ipcmp_chan *c;
	const char *longest;
	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = cases[i].name;

		c = NULL;
		rc = ipcmp_create(ops, name, NULL, &c);
		cr_assert(eq(int, rc, cases[i].err), "%s: create \"%s\": %s", ops->name, name,
			  ipcmp_strerror(rc));
		cr_assert(eq(ptr, c, NULL), "%s: create \"%s\": handle", ops->name, name);
		rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
		cr_assert(eq(int, rc, cases[i].err), "%s: open \"%s\": %s", ops->name, name,
			  ipcmp_strerror(rc));
		rc = ipcmp_unlink(ops, name);
		cr_assert(eq(int, rc, cases[i].err), "%s: unlink \"%s\": %s", ops->name, name,
			  ipcmp_strerror(rc));
	}
	/* IPCMP_NAME_MAX characters are fine */
	longest = fixture_name_len(IPCMP_NAME_MAX);
	c = chan_create_ok(ops, longest, 0, 0, 0);
	chan_close_ok(c);
	chan_unlink_ok(ops, longest);
}

BACKEND_TEST(round_trip)
{
	const char *name = fixture_name();
	static const char msg[] = "hello, channel";
	struct ipcmp_chan *c;
	char *buf;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = calloc(1, c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: calloc", ops->name);
	rc = ipcmp_send(c, msg, sizeof(msg), 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, (long)sizeof(msg)), "%s: recv: %ld (%s)", ops->name, (long)n,
		  n < 0 ? ipcmp_strerror((int)n) : "length");
	cr_assert(eq(int, memcmp(buf, msg, sizeof(msg)), 0), "%s: recv: content", ops->name);
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv again (empty, producer open): %s",
		  ops->name, ipcmp_strerror((int)n));
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A message of 0 bytes is a message: recv returns 0, never IPCMP_EOS. */
BACKEND_TEST(empty_message)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	char *buf;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = calloc(1, c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: calloc", ops->name);
	rc = ipcmp_send(c, buf, 0, 0);
	cr_assert(eq(int, rc, 0), "%s: send 0 bytes: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_send(c, "x", 1, 0);
	cr_assert(eq(int, rc, 0), "%s: send 1 byte: %s", ops->name, ipcmp_strerror(rc));
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, 0), "%s: recv the empty message: %ld (%s)", ops->name, (long)n,
		  n < 0 ? ipcmp_strerror((int)n) : "length");
	n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, 1), "%s: recv after the empty message: %ld", ops->name, (long)n);
	cr_assert(eq(chr, buf[0], 'x'), "%s: recv after the empty message: content", ops->name);
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* Exactly msg_max fits; msg_max + 1 is -EMSGSIZE and leaves nothing behind. */
BACKEND_TEST(msg_max)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	char *out, *in;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	out = malloc(c->msg_max + 1);
	in = calloc(1, c->msg_max + 1);
	cr_assert(ne(ptr, out, NULL), "%s: malloc", ops->name);
	cr_assert(ne(ptr, in, NULL), "%s: calloc", ops->name);
	payload_fill(out, c->msg_max + 1, 7);

	rc = ipcmp_send(c, out, c->msg_max + 1, 0);
	cr_assert(eq(int, rc, -EMSGSIZE), "%s: send msg_max+1 (%zu): %s", ops->name,
		  c->msg_max + 1, ipcmp_strerror(rc));
	n = ipcmp_recv(c, in, c->msg_max, 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv after a refused send: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "got a message");

	rc = ipcmp_send(c, out, c->msg_max, 0);
	cr_assert(eq(int, rc, 0), "%s: send msg_max (%zu): %s", ops->name, c->msg_max,
		  ipcmp_strerror(rc));
	n = ipcmp_recv(c, in, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, (long)c->msg_max), "%s: recv msg_max: %ld (%s)", ops->name,
		  (long)n, n < 0 ? ipcmp_strerror((int)n) : "length");
	cr_assert(eq(int, payload_check(in, c->msg_max, 7), 0), "%s: recv msg_max: content",
		  ops->name);
	free(out);
	free(in);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A buffer too small for the next message: -EMSGSIZE, and the message is
 * kept for the next call, which gets it intact. */
BACKEND_TEST(recv_small_buffer)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	size_t len;
	char *out, *in;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	len = c->msg_max < 100 ? c->msg_max : 100;
	out = malloc(len);
	in = calloc(1, c->msg_max);
	cr_assert(ne(ptr, out, NULL), "%s: malloc", ops->name);
	cr_assert(ne(ptr, in, NULL), "%s: calloc", ops->name);
	payload_fill(out, len, 42);
	rc = ipcmp_send(c, out, len, 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_send(c, "next", 4, 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));

	n = ipcmp_recv(c, in, len - 1, fixture_wait_ms());
	cr_assert(eq(long, (long)n, -EMSGSIZE), "%s: recv %zu bytes into %zu: %s", ops->name, len,
		  len - 1, n < 0 ? ipcmp_strerror((int)n) : "got a message");
	n = ipcmp_recv(c, in, len - 1, fixture_wait_ms());
	cr_assert(eq(long, (long)n, -EMSGSIZE), "%s: recv into the small buffer again: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "got a message");
	n = ipcmp_recv(c, in, len, fixture_wait_ms());
	cr_assert(eq(long, (long)n, (long)len), "%s: recv with a big enough buffer: %ld (%s)",
		  ops->name, (long)n, n < 0 ? ipcmp_strerror((int)n) : "length");
	cr_assert(eq(int, payload_check(in, len, 42), 0), "%s: the kept message: content", ops->name);
	n = ipcmp_recv(c, in, c->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, 4), "%s: recv the next message: %ld", ops->name, (long)n);
	cr_assert(eq(int, memcmp(in, "next", 4), 0), "%s: the next message: content", ops->name);
	free(out);
	free(in);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A handle does only what its roles allow. */
BACKEND_TEST(roles)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c, *p, *q;
	char buf[16];
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, 0);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	rc = ipcmp_send(q, "x", 1, 0);
	cr_assert(eq(int, rc, -EBADF), "%s: send on a consumer: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_send(c, "x", 1, 0);
	cr_assert(eq(int, rc, -EBADF), "%s: send on a roleless handle: %s", ops->name,
		  ipcmp_strerror(rc));
	n = ipcmp_recv(p, buf, sizeof(buf), 0);
	cr_assert(eq(long, (long)n, -EBADF), "%s: recv on a producer: %s", ops->name,
		  ipcmp_strerror((int)n));
	chan_close_ok(q);
	chan_close_ok(p);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* msg_max and capacity are fixed at create, seen by every opener, and
 * bounded by the limits the backend reports. */
BACKEND_TEST(attributes)
{
	const char *name = fixture_name(), *name2 = fixture_name();
	struct ipcmp_limits lim;
	struct ipcmp_attr attr = { 0 };
	struct ipcmp_chan *c, *q, *x = NULL;
	size_t msg_max, capacity;
	int rc;

	limits_ok(ops, &lim);
	cr_assert(le(sz, lim.msg_max_default, lim.msg_max_limit), "%s: limits: msg_max", ops->name);
	cr_assert(le(sz, lim.capacity_default, lim.capacity_limit), "%s: limits: capacity",
		  ops->name);
	msg_max = lim.msg_max_limit < 100 ? lim.msg_max_limit : 100;
	capacity = small_capacity(ops, 3);
	c = chan_create_ok(ops, name, msg_max, capacity, 0);
	cr_assert(eq(sz, c->msg_max, msg_max), "%s: create: msg_max", ops->name);
	cr_assert(eq(sz, c->capacity, capacity), "%s: create: capacity", ops->name);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	cr_assert(eq(sz, q->msg_max, msg_max), "%s: open: msg_max", ops->name);
	cr_assert(eq(sz, q->capacity, capacity), "%s: open: capacity", ops->name);
	chan_close_ok(q);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);

	attr.msg_max = lim.msg_max_limit + 1;
	rc = ipcmp_create(ops, name2, &attr, &x);
	cr_assert(eq(int, rc, -EINVAL), "%s: create with msg_max above the limit: %s", ops->name,
		  ipcmp_strerror(rc));
	attr.msg_max = 0;
	attr.capacity = lim.capacity_limit + 1;
	rc = ipcmp_create(ops, name2, &attr, &x);
	cr_assert(eq(int, rc, -EINVAL), "%s: create with capacity above the limit: %s", ops->name,
		  ipcmp_strerror(rc));
	cr_assert(eq(ptr, x, NULL), "%s: refused create: handle", ops->name);
}

/* FIFO over many messages of varying sizes; sends and receives interleave
 * in bursts, so a channel of a few slots suffices. */
BACKEND_TEST(fifo_order)
{
	const char *name = fixture_name();
	size_t total = fixture_scale(10000, 1000);
	struct ipcmp_chan *c;
	size_t maxlen, burst, sent = 0, got = 0;
	char *buf;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	maxlen = c->msg_max < 512 ? c->msg_max : 512;
	burst = c->capacity < 7 ? c->capacity : 7;
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	while (got < total) {
		for (size_t i = 0; i < burst && sent < total; i++, sent++) {
			size_t len = payload_len(sent, maxlen);
			int rc;

			payload_fill(buf, len, sent);
			if ((rc = ipcmp_send(c, buf, len, fixture_wait_ms())) != 0)
				cr_fatal("%s: send #%zu: %s", ops->name, sent, ipcmp_strerror(rc));
		}
		for (; got < sent; got++) {
			ssize_t n = ipcmp_recv(c, buf, c->msg_max, fixture_wait_ms());

			if (n != (ssize_t)payload_len(got, maxlen))
				cr_fatal("%s: recv #%zu: %ld, expected %zu bytes (%s)", ops->name, got,
					 (long)n, payload_len(got, maxlen),
					 n < 0 ? ipcmp_strerror((int)n) : "length");
			if (payload_check(buf, (size_t)n, got) != 0)
				cr_fatal("%s: recv #%zu: content differs at byte %d", ops->name, got,
					 payload_check(buf, (size_t)n, got) - 1);
		}
	}
	/* nothing more than what was sent: no message delivered twice */
	{
		ssize_t n = ipcmp_recv(c, buf, c->msg_max, 0);

		cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv after all %zu messages: %s",
			  ops->name, total, n < 0 ? ipcmp_strerror((int)n) : "one more message");
	}
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A full channel: a bounded send runs out (-ETIMEDOUT) no earlier than its
 * timeout and within the margin (timing.h), timeout 0 does not wait
 * (-EAGAIN). capacity counts messages, whatever their size, so the channel
 * is filled with 1-byte messages. */
BACKEND_TEST(full_channel)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	size_t capacity = small_capacity(ops, 4);
	char *buf;
	ssize_t n;
	long t0;
	int rc;

	c = chan_create_ok(ops, name, 0, capacity, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = calloc(1, c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: calloc", ops->name);
	cr_assert(eq(sz, c->capacity, capacity), "%s: capacity as asked", ops->name);
	for (size_t i = 0; i < capacity; i++) {
		rc = ipcmp_send(c, buf, 1, 0);
		cr_assert(eq(int, rc, 0), "%s: send %zu of capacity %zu: %s", ops->name, i + 1,
			  capacity, ipcmp_strerror(rc));
	}
	t0 = timing_now_ms();
	rc = ipcmp_send(c, buf, 1, T_EXPIRE);
	cr_assert(eq(int, rc, -ETIMEDOUT), "%s: send to a full channel, %d ms: %s", ops->name,
		  T_EXPIRE, ipcmp_strerror(rc));
	timing_assert_expired(timing_now_ms() - t0, T_EXPIRE, ops->name, "send to a full channel");
	rc = ipcmp_send(c, buf, 1, 0);
	cr_assert(eq(int, rc, -EAGAIN), "%s: send to a full channel, no wait: %s", ops->name,
		  ipcmp_strerror(rc));
	/* taking one message makes room for exactly one */
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, 1), "%s: recv from a full channel: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "length");
	rc = ipcmp_send(c, buf, 1, 0);
	cr_assert(eq(int, rc, 0), "%s: send after a recv: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_send(c, buf, 1, 0);
	cr_assert(eq(int, rc, -EAGAIN), "%s: send to the full channel again: %s", ops->name,
		  ipcmp_strerror(rc));
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A channel created with `flags` and nothing in it: recv with a bound runs
 * out (-ETIMEDOUT, after its timeout and within the margin) and recv with
 * timeout 0 does not wait (-EAGAIN). */
static void expect_nothing_to_receive(const struct ipcmp_ops *ops, int flags, const char *what)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	char *buf;
	ssize_t n;
	long t0;

	c = chan_create_ok(ops, name, 0, 0, flags);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	t0 = timing_now_ms();
	n = ipcmp_recv(c, buf, c->msg_max, T_EXPIRE);
	cr_assert(eq(long, (long)n, -ETIMEDOUT), "%s: recv %s, %d ms: %s",
		  ops->name, what, T_EXPIRE, ipcmp_strerror((int)n));
	timing_assert_expired(timing_now_ms() - t0, T_EXPIRE, ops->name, what);
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv %s, no wait: %s",
		  ops->name, what, ipcmp_strerror((int)n));
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* An empty channel with a producer open: not end of stream. */
BACKEND_TEST(empty_channel)
{
	expect_nothing_to_receive(ops, IPCMP_PRODUCER | IPCMP_CONSUMER,
				  "from an empty channel");
}

/* No producer has opened the channel yet: waiting for one is a timeout,
 * not end of stream. */
BACKEND_TEST(recv_before_producer)
{
	expect_nothing_to_receive(ops, IPCMP_CONSUMER, "before any producer");
}

/* End of stream: the producer sends N and closes; a consumer gets the N
 * messages, then IPCMP_EOS, and IPCMP_EOS again. */
BACKEND_TEST(eos_after_drain)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c, *p, *q;
	size_t count;
	char *buf;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, 0);
	count = c->capacity < 5 ? c->capacity : 5;
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	for (size_t i = 0; i < count; i++) {
		payload_fill(buf, 16, i);
		rc = ipcmp_send(p, buf, 16, 0);
		cr_assert(eq(int, rc, 0), "%s: send %zu: %s", ops->name, i, ipcmp_strerror(rc));
	}
	chan_close_ok(p);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	for (size_t i = 0; i < count; i++) {
		n = ipcmp_recv(q, buf, q->msg_max, fixture_wait_ms());
		cr_assert(eq(long, (long)n, 16), "%s: recv %zu of %zu after the producer closed: %s",
			  ops->name, i, count, n < 0 ? ipcmp_strerror((int)n) : "length");
		cr_assert(eq(int, payload_check(buf, 16, i), 0), "%s: recv %zu: content", ops->name, i);
	}
	n = ipcmp_recv(q, buf, q->msg_max, fixture_wait_ms());
	cr_assert(eq(long, (long)n, IPCMP_EOS), "%s: recv after the drain: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	n = ipcmp_recv(q, buf, q->msg_max, 0);
	cr_assert(eq(long, (long)n, IPCMP_EOS), "%s: recv after end of stream: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	free(buf);
	chan_close_ok(q);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}
