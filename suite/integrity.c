/*
 * integrity.c - a peer that rewrites the ring or the queue: lost, repeated
 * and reordered messages, and a message rewritten in place.
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
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

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

/*
 * The queue backends: the kernel holds the messages, and a hostile peer
 * with write access takes and puts them with the raw calls (white box:
 * sysv-msg's data messages are mtype 2, posix-mq's priority 1; each starts
 * with its frame, common/frame.h). A repeated or reordered message gives
 * -EBADMSG when it is taken; a lost one at end of stream, when the
 * consumer taking the end is the only one (the counts of sent and taken
 * messages disagree); a rewritten one with IPCMP_CHECKSUM.
 */
#define RAW_MAX 4096

static ssize_t take_sysv(const char *name, void *buf)
{
	static struct { long mtype; unsigned char text[RAW_MAX]; } m;
	int id = msgget(ipcmp_sysv_key(name), 0);
	ssize_t n = id < 0 ? -1 : msgrcv(id, &m, sizeof(m.text), 2, IPC_NOWAIT);

	if (n < 0)
		return -errno;
	memcpy(buf, m.text, (size_t)n);
	return n;
}

static int put_sysv(const char *name, const void *buf, size_t len)
{
	static struct { long mtype; unsigned char text[RAW_MAX]; } m;
	int id = msgget(ipcmp_sysv_key(name), 0);

	m.mtype = 2;
	memcpy(m.text, buf, len);
	return id < 0 || msgsnd(id, &m, len, IPC_NOWAIT) < 0 ? -errno : 0;
}

static mqd_t queue_of(const char *name)
{
	char path[IPCMP_NAME_MAX + 32];

	ipcmp_posix_name(path, sizeof(path), name, NULL);
	return mq_open(path, O_RDWR | O_NONBLOCK);
}

static ssize_t take_posix(const char *name, void *buf)
{
	mqd_t q = queue_of(name);
	ssize_t n = q == (mqd_t)-1 ? -1 : mq_receive(q, buf, RAW_MAX, NULL);
	int err = errno;

	if (q != (mqd_t)-1)
		mq_close(q);
	return n < 0 ? -err : n;
}

static int put_posix(const char *name, const void *buf, size_t len)
{
	mqd_t q = queue_of(name);
	int rc = q == (mqd_t)-1 || mq_send(q, buf, len, 1) < 0 ? -errno : 0;

	if (q != (mqd_t)-1)
		mq_close(q);
	return rc;
}

static const struct {
	const char *backend;
	ssize_t (*take)(const char *name, void *buf);
	int (*put)(const char *name, const void *buf, size_t len);
} raw[] = {
	{ "sysv-msg", take_sysv, put_sysv },
	{ "posix-mq", take_posix, put_posix },
};

struct rawmsg {
	unsigned char bytes[RAW_MAX];
	size_t len;
};

static size_t raw_of(const struct ipcmp_ops *ops)
{
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		if (strcmp(raw[i].backend, ops->name) == 0)
			return i;
	cr_fatal("%s: no raw calls for this backend", ops->name);
	return 0;
}

static void raw_take(const struct ipcmp_ops *ops, const char *name, struct rawmsg *m)
{
	static unsigned char big[RAW_MAX];
	ssize_t n = raw[raw_of(ops)].take(name, big);

	cr_assert(ge(long, (long)n, 0), "%s: take a message with the raw call: %s", ops->name,
		  strerror((int)-n));
	memcpy(m->bytes, big, (size_t)n);
	m->len = (size_t)n;
}

static void raw_put(const struct ipcmp_ops *ops, const char *name, const struct rawmsg *m)
{
	int rc = raw[raw_of(ops)].put(name, m->bytes, m->len);

	cr_assert(eq(int, rc, 0), "%s: put a message with the raw call: %s", ops->name, strerror(-rc));
}

static void queue_done(const struct ipcmp_ops *ops, const char *name, struct ipcmp_chan *p,
		       struct ipcmp_chan *q)
{
	ipcmp_abort(p);
	ipcmp_close(q);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST_ON(IPCMP_SUITE_QUEUE_BACKENDS, integrity_queue_sequence)
{
	struct rawmsg a, b;
	struct ipcmp_chan *q, *p;
	const char *name;

	/* repeated: message 0 taken and put back twice, before message 1 */
	name = fixture_name();
	p = sent(ops, name, 0, 2, &q);
	raw_take(ops, name, &a);
	raw_take(ops, name, &b);
	raw_put(ops, name, &a);
	raw_put(ops, name, &a);
	raw_put(ops, name, &b);
	recv_is(ops, q, 5, "message 0");
	recv_is(ops, q, -EBADMSG, "message 0 again");
	queue_done(ops, name, p, q);

	/* reordered: messages 0 and 1 put back swapped */
	name = fixture_name();
	p = sent(ops, name, 0, 2, &q);
	raw_take(ops, name, &a);
	raw_take(ops, name, &b);
	raw_put(ops, name, &b);
	raw_put(ops, name, &a);
	recv_is(ops, q, 5, "message 1, first");
	recv_is(ops, q, -EBADMSG, "message 0 after message 1");
	queue_done(ops, name, p, q);

	/* lost: message 1 of 3 taken by a peer; the stream then ends */
	name = fixture_name();
	p = sent(ops, name, 0, 3, &q);
	recv_is(ops, q, 5, "message 0");
	raw_take(ops, name, &a);
	chan_close_ok(p);
	recv_is(ops, q, 5, "message 2");
	recv_is(ops, q, -EBADMSG, "the end, message 1 lost");
	chan_close_ok(q);
	chan_unlink_ok(ops, name);
}

/* Taken, one byte rewritten, put back: caught with IPCMP_CHECKSUM,
 * delivered as written without it. */
static void queue_rewritten(const struct ipcmp_ops *ops, int flags, long want)
{
	const char *name = fixture_name();
	struct ipcmp_chan *q, *p = sent(ops, name, flags, 1, &q);
	struct rawmsg m;
	unsigned char *hit;

	raw_take(ops, name, &m);
	hit = memchr(m.bytes, 'm', m.len);
	cr_assert(ne(ptr, hit, NULL), "%s: the message is not in what the raw call took", ops->name);
	*hit = 'M';
	raw_put(ops, name, &m);
	recv_is(ops, q, want, flags ? "a checksummed message rewritten" : "a message rewritten");
	queue_done(ops, name, p, q);
}

BACKEND_TEST_ON(IPCMP_SUITE_QUEUE_BACKENDS, integrity_queue_checksum)
{
	queue_rewritten(ops, IPCMP_CHECKSUM, -EBADMSG);
	queue_rewritten(ops, 0, 5);
}

/* Two consumers share a stream: neither sees every message, and the end is
 * clean for both (the count of taken messages is every consumer's). */
BACKEND_TEST(integrity_two_consumers_end)
{
	const char *name = fixture_name();
	struct ipcmp_chan *a, *p = sent(ops, name, IPCMP_CHECKSUM, 4, &a);
	struct ipcmp_chan *b = chan_open_ok(ops, name, IPCMP_CONSUMER);

	recv_is(ops, a, 5, "message 0, by a");
	recv_is(ops, b, 5, "message 1, by b");
	recv_is(ops, b, 5, "message 2, by b");
	recv_is(ops, a, 5, "message 3, by a");
	chan_close_ok(p);
	recv_is(ops, b, IPCMP_EOS, "the end, for b (a still open)");
	chan_close_ok(b);
	recv_is(ops, a, IPCMP_EOS, "the end, for a (the only consumer left)");
	chan_close_ok(a);
	chan_unlink_ok(ops, name);
}
