/*
 * corrupt.c - a ring header written by a hostile or broken process.
 *
 * The shared memory of a ring is untrusted input: any process that can map
 * it can write anything there. A corrupt header gives -EBADMSG on open, and
 * on send and recv through a handle opened before the damage, never an
 * access out of bounds (make valgrind watches that too).
 *
 * Shm backends only: sysv-msg and posix-mq keep their messages in the
 * kernel, which no other process can corrupt, so there is no header to
 * write and these tests are not generated for them.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "ringmap.h"

struct damage {
	const char *what;
	size_t offset;             /* into struct ipcmp_ring_hdr */
	int wide;                  /* 1: a uint64_t field */
	uint64_t value;            /* UINT64_MAX: relative, see set() */
};

#define FIELD(f) offsetof(struct ipcmp_ring_hdr, f), \
		 sizeof(((struct ipcmp_ring_hdr *)0)->f) == 8
#define PAST_HEAD UINT64_MAX       /* tail: head + capacity + 1 */

static const struct damage header_damage[] = {
	{ "msg_max above the ring limit", FIELD(msg_max), IPCMP_RING_MSG_MAX + 1 },
	{ "capacity 0", FIELD(capacity), 0 },
	{ "capacity larger than the object", FIELD(capacity), 0x7fffffff },
	{ "slot_size wrong", FIELD(slot_size), 3 },
	{ "tail more than capacity past head", FIELD(tail), PAST_HEAD },
};

static void set(struct ipcmp_ring_hdr *h, const struct damage *d)
{
	char *field = (char *)h + d->offset;
	uint64_t v = d->value;

	if (v == PAST_HEAD)
		v = h->head + h->capacity + 1;
	if (d->wide)
		memcpy(field, &v, sizeof(uint64_t));
	else
		memcpy(field, &(uint32_t){ (uint32_t)v }, sizeof(uint32_t));
}

static struct ipcmp_ring_hdr *map_ok(const struct ipcmp_ops *ops, const char *name, size_t *size)
{
	struct ipcmp_ring_hdr *h;
	int err = 0;

	h = ringmap_open(ops, name, size, &err);
	cr_assert(ne(ptr, h, NULL), "%s: map the ring of %s: %s", ops->name, name, strerror(-err));
	cr_assert(ge(sz, *size, sizeof(*h)), "%s: ring object of %zu bytes", ops->name, *size);
	return h;
}

/* open validates the header against the size the kernel reports. */
BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, corrupt_header_open)
{
	const char *name = fixture_name();
	struct ipcmp_ring_hdr *h, saved;
	struct ipcmp_chan *c, *q;
	size_t size;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER);
	h = map_ok(ops, name, &size);
	memcpy(&saved, h, sizeof(saved));
	for (size_t i = 0; i < sizeof(header_damage) / sizeof(header_damage[0]); i++) {
		const struct damage *d = &header_damage[i];

		set(h, d);
		q = NULL;
		rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q);
		memcpy(h, &saved, sizeof(saved));
		ipcmp_close(q);
		cr_assert(eq(int, rc, -EBADMSG), "%s: open with %s: %s", ops->name, d->what,
			  ipcmp_strerror(rc));
	}
	/* repaired, it opens again */
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	ringmap_close(ops, h, size);
	chan_close_ok(q);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* Damage after open: every later read of the header and of a slot length
 * is checked, and a corrupt read consumes nothing (ringchan.c keeps the
 * message and its DATA item). The header is repaired before close, so that
 * cleanup is tested as well as the error. */
BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, corrupt_header_recv)
{
	static const struct damage after_open[] = {
		{ "msg_max changed", FIELD(msg_max), 16 },
		{ "capacity changed", FIELD(capacity), 1 },
	};
	const char *name = fixture_name();
	struct ipcmp_ring_hdr *h, saved;
	struct ipcmp_chan *c;
	char *buf;
	size_t size;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	h = map_ok(ops, name, &size);
	for (size_t i = 0; i < sizeof(after_open) / sizeof(after_open[0]); i++) {
		const struct damage *d = &after_open[i];

		/* one message in the ring, so recv gets past its wait */
		rc = ipcmp_send(c, "msg", 3, 0);
		cr_assert(eq(int, rc, 0), "%s: send before damage: %s", ops->name, ipcmp_strerror(rc));
		memcpy(&saved, h, sizeof(saved));
		set(h, d);
		n = ipcmp_recv(c, buf, c->msg_max, 0);
		memcpy(h, &saved, sizeof(saved));
		cr_assert(eq(long, (long)n, -EBADMSG), "%s: recv with %s: %s", ops->name, d->what,
			  n < 0 ? ipcmp_strerror((int)n) : "a message");
		set(h, d);
		rc = ipcmp_send(c, "msg", 3, 0);
		memcpy(h, &saved, sizeof(saved));
		cr_assert(eq(int, rc, -EBADMSG), "%s: send with %s: %s", ops->name, d->what,
			  ipcmp_strerror(rc));
		/* the corrupt read took nothing: once repaired, the message
		 * (and the item that announces it) is still there, once */
		n = ipcmp_recv(c, buf, c->msg_max, 0);
		cr_assert(eq(long, (long)n, 3), "%s: recv after %s was repaired: %s", ops->name,
			  d->what, n < 0 ? ipcmp_strerror((int)n) : "length");
		n = ipcmp_recv(c, buf, c->msg_max, 0);
		cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv again after %s was repaired: %s",
			  ops->name, d->what, n < 0 ? ipcmp_strerror((int)n) : "a message");
	}
	ringmap_close(ops, h, size);
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * tail, the producers' index, set more than capacity past head. Producers
 * claim at tail: send says -EBADMSG. A consumer reads tail where it uses
 * it, and the rings use it in different places, so the table says when a
 * recv sees the lie:
 *   locked rings: every get compares tail to head (ring.c: that is how it
 *     finds the ring empty), so a recv with a message announced says
 *     -EBADMSG and takes nothing; on an empty ring the semaphore says so
 *     first (-EAGAIN) and the ring is not read;
 *   posix-atomic: a consumer takes a message by its slot's turn and head,
 *     never tail (reading the producers' line at every message cost a
 *     third of the throughput and half the round trip: atomicring.c), so
 *     the message published before the lie is taken; once the ring looks
 *     empty, tail - head is checked before the call gives up: -EBADMSG.
 */
static const struct tail_lie {
	const struct ipcmp_ops *ops;
	long with_message;         /* recv, a message in the ring */
	long when_empty;           /* recv, the ring empty */
} tail_lies[] = {
	{ &ipcmp_sysv_shm_ops, -EBADMSG, -EAGAIN },
	{ &ipcmp_posix_shm_ops, -EBADMSG, -EAGAIN },
	{ &ipcmp_posix_atomic_ops, 3, -EBADMSG },
};

static const struct tail_lie *tail_lie_of(const struct ipcmp_ops *ops)
{
	for (size_t i = 0; i < sizeof(tail_lies) / sizeof(tail_lies[0]); i++)
		if (tail_lies[i].ops == ops)
			return &tail_lies[i];
	cr_fatal("%s: no row in tail_lies", ops->name);
	return NULL;
}

/* recv or send with tail damaged, then tail repaired (only tail: a recv
 * that succeeds moves head); the result. */
static long lied_to(struct ipcmp_chan *c, struct ipcmp_ring_hdr *h, char *buf, int send)
{
	const struct damage d = { "tail", FIELD(tail), PAST_HEAD };
	uint64_t saved = h->tail;
	long n;

	set(h, &d);
	n = send ? ipcmp_send(c, "msg", 3, 0) : (long)ipcmp_recv(c, buf, c->msg_max, 0);
	h->tail = saved;
	return n;
}

BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, corrupt_tail)
{
	const struct tail_lie *want = tail_lie_of(ops);
	const char *name = fixture_name();
	struct ipcmp_ring_hdr *h;
	struct ipcmp_chan *c;
	char *buf;
	size_t size;
	long n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	h = map_ok(ops, name, &size);

	/* a message in the ring */
	rc = ipcmp_send(c, "msg", 3, 0);
	cr_assert(eq(int, rc, 0), "%s: send before damage: %s", ops->name, ipcmp_strerror(rc));
	n = lied_to(c, h, buf, 0);
	cr_assert(eq(long, n, want->with_message), "%s: recv, a message in the ring, tail more "
		  "than capacity past head: %s", ops->name, n < 0 ? ipcmp_strerror((int)n) : "a message");
	if (n < 0) {               /* it took nothing: once repaired, the message is there */
		n = ipcmp_recv(c, buf, c->msg_max, 0);
		cr_assert(eq(long, n, 3), "%s: recv after the repair: %s", ops->name,
			  n < 0 ? ipcmp_strerror((int)n) : "length");
	}

	/* the ring empty */
	n = lied_to(c, h, buf, 0);
	cr_assert(eq(long, n, want->when_empty), "%s: recv, the ring empty, tail more than "
		  "capacity past head: %s", ops->name, n < 0 ? ipcmp_strerror((int)n) : "a message");

	/* producers claim at tail */
	n = lied_to(c, h, buf, 1);
	cr_assert(eq(long, n, -EBADMSG), "%s: send with tail more than capacity past head: %s",
		  ops->name, ipcmp_strerror((int)n));

	/* repaired, the channel works, and the lies left nothing behind */
	rc = ipcmp_send(c, "msg", 3, 0);
	cr_assert(eq(int, rc, 0), "%s: send after the repair: %s", ops->name, ipcmp_strerror(rc));
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, n, 3), "%s: recv after the repair: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "length");
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, n, -EAGAIN), "%s: recv again after the repair: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	ringmap_close(ops, h, size);
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A slot length above msg_max (the slot of the next message, right after
 * the header: slot i is at IPCMP_RING_SLOTS_OFFSET + (i % capacity) *
 * slot_size, length first). */
BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, corrupt_slot_length)
{
	const char *name = fixture_name();
	struct ipcmp_ring_hdr *h;
	struct ipcmp_chan *c;
	uint32_t *len, saved;
	char *buf;
	size_t size;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	h = map_ok(ops, name, &size);
	rc = ipcmp_send(c, "msg", 3, 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	len = (uint32_t *)((char *)h + IPCMP_RING_SLOTS_OFFSET +
			 (size_t)(h->head % h->capacity) * h->slot_size);
	cr_assert(le(sz, (size_t)((char *)(len + 1) - (char *)h), size), "%s: slot in bounds",
		  ops->name);
	saved = *len;
	*len = (uint32_t)c->msg_max + 1;
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	*len = saved;
	cr_assert(eq(long, (long)n, -EBADMSG), "%s: recv a slot of length msg_max+1: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "a message");
	ringmap_close(ops, h, size);
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}
