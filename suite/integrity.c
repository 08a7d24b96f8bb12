/*
 * integrity.c - a peer that rewrites the ring: lost, repeated and reordered
 * messages, and a slot rewritten in place.
 *
 * Every message in a ring carries its producer's sequence number, checked
 * by the consumer that takes it: a message lost (head moved past it), one
 * repeated (head moved back) or two swapped give -EBADMSG. A producer
 * opened with IPCMP_CHECKSUM stamps each message with a checksum, so a slot
 * whose bytes were rewritten with its length left alone gives -EBADMSG too.
 * White box, like corrupt.c: the test writes the ring as a hostile process
 * could (ringmap.h; slot i at IPCMP_RING_SLOTS_OFFSET + i * slot_size).
 *
 *   $ ./build/suite --filter 'posix_shm/integrity_*'
 */
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "ringmap.h"

#define MSG 64

static struct ipcmp_ring_hdr *map_ok(const struct ipcmp_ops *ops, const char *name, size_t *size)
{
	int err = 0;
	struct ipcmp_ring_hdr *h = ringmap_open(ops, name, size, &err);

	cr_assert(ne(ptr, h, NULL), "%s: map the ring: %s", ops->name, strerror(-err));
	return h;
}

static unsigned char *slot(struct ipcmp_ring_hdr *h, uint64_t i)
{
	return (unsigned char *)h + IPCMP_RING_SLOTS_OFFSET + (size_t)(i % h->capacity) * h->slot_size;
}

static struct ipcmp_chan *sent(const struct ipcmp_ops *ops, const char *name, int flags, int n,
			       struct ipcmp_chan **q)
{
	struct ipcmp_chan *p;

	*q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER | flags);
	for (int i = 0; i < n; i++) {
		char m[8] = "msg-0";
		int rc;

		m[4] = (char)('0' + i);
		rc = ipcmp_send(p, m, 5, 0);
		cr_assert(eq(int, rc, 0), "%s: send %d: %s", ops->name, i, ipcmp_strerror(rc));
	}
	return p;
}

static void recv_is(const struct ipcmp_ops *ops, struct ipcmp_chan *q, long want, const char *what)
{
	char buf[MSG];
	ssize_t n = ipcmp_recv(q, buf, sizeof(buf), 0);

	cr_assert(eq(long, (long)n, want), "%s: %s: recv gave %s", ops->name, what,
		  n < 0 ? ipcmp_strerror((int)n) : n == 5 ? "the message" : "a length");
}

static void done(const struct ipcmp_ops *ops, const char *name, struct ipcmp_chan *p,
		 struct ipcmp_chan *q, struct ipcmp_ring_hdr *h, size_t size)
{
	ringmap_close(ops, h, size);
	ipcmp_abort(p);
	ipcmp_close(q);
	chan_unlink_ok(ops, name);
}

/* Lost: head moved past message 0 (a peer took it). */
static void lost(const struct ipcmp_ops *ops)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q, *p = sent(ops, name, 0, 3, &q);
	size_t size;
	struct ipcmp_ring_hdr *h = map_ok(ops, name, &size);

	h->head++;
	recv_is(ops, q, -EBADMSG, "message 0 lost");
	done(ops, name, p, q, h, size);
}

/* Repeated: after message 0 was taken, head moved back onto it. */
static void repeated(const struct ipcmp_ops *ops)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q, *p = sent(ops, name, 0, 2, &q);
	size_t size;
	struct ipcmp_ring_hdr *h = map_ok(ops, name, &size);

	recv_is(ops, q, 5, "message 0");
	h->head--;
	recv_is(ops, q, -EBADMSG, "message 0 again");
	done(ops, name, p, q, h, size);
}

/* Reordered: the slots of messages 0 and 1 swapped. */
static void reordered(const struct ipcmp_ops *ops)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q, *p = sent(ops, name, 0, 2, &q);
	size_t size;
	struct ipcmp_ring_hdr *h = map_ok(ops, name, &size);
	unsigned char *tmp = malloc(h->slot_size);

	cr_assert(ne(ptr, tmp, NULL), "%s: malloc", ops->name);
	memcpy(tmp, slot(h, h->head), h->slot_size);
	memcpy(slot(h, h->head), slot(h, h->head + 1), h->slot_size);
	memcpy(slot(h, h->head + 1), tmp, h->slot_size);
	free(tmp);
	recv_is(ops, q, -EBADMSG, "messages 0 and 1 swapped");
	done(ops, name, p, q, h, size);
}

BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, integrity_sequence)
{
	lost(ops);
	repeated(ops);
	reordered(ops);
}

/* Rewritten in place, the length left alone: caught with IPCMP_CHECKSUM,
 * delivered as written without it (the checksum is what catches it). */
static void rewritten(const struct ipcmp_ops *ops, int flags, long want)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q, *p = sent(ops, name, flags, 1, &q);
	size_t size;
	struct ipcmp_ring_hdr *h = map_ok(ops, name, &size);
	unsigned char *s = slot(h, h->head);
	unsigned char *hit = memchr(s, 'm', h->slot_size);

	cr_assert(ne(ptr, hit, NULL), "%s: the message is not in its slot", ops->name);
	*hit = 'M';
	recv_is(ops, q, want, flags ? "a checksummed slot rewritten" : "a slot rewritten");
	done(ops, name, p, q, h, size);
}

BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, integrity_checksum)
{
	rewritten(ops, IPCMP_CHECKSUM, -EBADMSG);
	rewritten(ops, 0, 5);
}

/* Every backend accepts IPCMP_CHECKSUM; a clean stream passes its checks. */
BACKEND_TEST(integrity_clean_stream)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q = chan_create_ok(ops, name, MSG, 4, IPCMP_CONSUMER);
	struct ipcmp_chan *a = chan_open_ok(ops, name, IPCMP_PRODUCER | IPCMP_CHECKSUM);
	struct ipcmp_chan *b = chan_open_ok(ops, name, IPCMP_PRODUCER);
	char buf[MSG];
	ssize_t n;

	for (int round = 0; round < 3; round++) {
		cr_assert(eq(int, ipcmp_send(a, "aaaaa", 5, 0), 0), "%s: send a", ops->name);
		cr_assert(eq(int, ipcmp_send(b, "bb", 2, 0), 0), "%s: send b", ops->name);
		recv_is(ops, q, 5, "from a");
		recv_is(ops, q, 2, "from b");
	}
	chan_close_ok(a);
	chan_close_ok(b);
	n = ipcmp_recv(q, buf, sizeof(buf), 0);
	cr_assert(eq(long, (long)n, (long)IPCMP_EOS), "%s: end: %s", ops->name,
		  ipcmp_strerror((int)n));
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}
