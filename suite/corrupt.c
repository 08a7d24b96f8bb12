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
		{ "tail more than capacity past head", FIELD(tail), PAST_HEAD },
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

/* A slot length above msg_max (the slot of the next message, right after
 * the header: slot i is at 128 + (i % capacity) * slot_size, length first). */
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
