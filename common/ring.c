/*
 * ring.c - layout, validation and copying for the shared-memory ring.
 * See ring.h for the layout and what is trusted.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "fnv.h"
#include "ring.h"

/* One load or store of a shared field: the compiler may not split or repeat it. */
#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

_Static_assert(sizeof(struct ipcmp_ring_hdr) == 5 * IPCMP_RING_LINE, "ring header is 5 lines");
_Static_assert(offsetof(struct ipcmp_ring_hdr, head) == IPCMP_RING_LINE, "head on line 1");
_Static_assert(offsetof(struct ipcmp_ring_hdr, tail) == 2 * IPCMP_RING_LINE, "tail on line 2");
_Static_assert(offsetof(struct ipcmp_ring_hdr, data_waiters) == 3 * IPCMP_RING_LINE, "line 3");
_Static_assert(offsetof(struct ipcmp_ring_hdr, room_waiters) == 4 * IPCMP_RING_LINE, "line 4");
_Static_assert(IPCMP_RING_SLOTS_OFFSET % IPCMP_RING_LINE == 0, "slots from a line of their own");

#define slot ipcmp_ring_slot

_Static_assert(sizeof(struct ipcmp_ring_slot) == 32, "slot header is 32 bytes");

#define SLOT_ALIGN 64               /* a cache line */

static size_t slot_size(size_t msg_max)
{
	return (sizeof(struct slot) + msg_max + SLOT_ALIGN - 1) & ~(size_t)(SLOT_ALIGN - 1);
}

struct slot *ipcmp_ring_slot_at(const struct ipcmp_ring *r, uint64_t i)
{
	return (struct slot *)((char *)r->hdr + IPCMP_RING_SLOTS_OFFSET +
			       (size_t)(i % r->capacity) * r->slot_size);
}

size_t ipcmp_ring_size(size_t msg_max, size_t capacity)
{
	return IPCMP_RING_SLOTS_OFFSET + capacity * slot_size(msg_max);
}

void ipcmp_ring_init(struct ipcmp_ring *r, void *mem, size_t size, const char *name,
		     size_t msg_max, size_t capacity)
{
	struct ipcmp_ring_hdr *h = mem;

	memset(mem, 0, sizeof(struct ipcmp_ring_top));
	strncpy(h->name, name, sizeof(h->name) - 1);
	strncpy(h->seal_name, name, sizeof(h->seal_name) - 1);
	h->seal_magic = IPCMP_RING_MAGIC;
	h->version = IPCMP_RING_VERSION;
	h->msg_max = (uint32_t)msg_max;
	h->capacity = (uint32_t)capacity;
	h->slot_size = (uint32_t)slot_size(msg_max);
	STORE(h->magic, IPCMP_RING_MAGIC);
	r->hdr = h;
	r->top = mem;
	r->stream = &((struct ipcmp_ring_top *)mem)->stream;
	r->size = size;
	r->msg_max = msg_max;
	r->capacity = capacity;
	r->slot_size = slot_size(msg_max);
	for (size_t i = 0; i < capacity; i++)    /* posix-atomic: slot i is free for put i */
		ipcmp_ring_slot_at(r, i)->turn = (uint32_t)i;
}

void ipcmp_ring_set_ready(struct ipcmp_ring *r)
{
	STORE(r->hdr->ready, 1u);
}

/*
 * An opener can find the object between its creation and the creator's
 * last step (SysV: the semget + semctl(SETALL) race; POSIX: shm_open before
 * sem_open). Wait, bounded, for `ready`; a foreign object is not waited for,
 * and one still zero-filled after IPCMP_OPEN_WAIT_MS is foreign too.
 */
int ipcmp_ring_wait_ready(void *mem, size_t size)
{
	struct ipcmp_ring_hdr *h = mem;
	struct timespec tick = { 0, 1000000 };

	if (size < sizeof(*h))
		return -EPROTO;
	for (struct ipcmp_until u = IPCMP_OPEN_UNTIL; !ipcmp_until_passed(&u); ipcmp_sleep(&tick)) {
		uint32_t magic = LOAD(h->magic);
		if (magic != 0 && magic != IPCMP_RING_MAGIC)
			return -EPROTO;
		if (magic == IPCMP_RING_MAGIC && LOAD(h->ready) == 1)
			return 0;
	}
	return LOAD(h->magic) == 0 ? -EPROTO : -ETIMEDOUT;
}

/* Is this object an ipcmp channel of this name (whatever state it is in)? */
int ipcmp_ring_owned(const void *mem, size_t size, const char *name)
{
	const struct ipcmp_ring_hdr *h = mem;
	char stored[sizeof(h->name)];

	if (size < sizeof(*h) || LOAD(h->magic) != IPCMP_RING_MAGIC)
		return 0;
	memcpy(stored, h->name, sizeof(stored));
	stored[sizeof(stored) - 1] = '\0';
	return strcmp(stored, name) == 0;
}

int ipcmp_ring_sealed(const void *mem, size_t size, const char *name)
{
	const struct ipcmp_ring_hdr *h = mem;
	char stored[sizeof(h->seal_name)];

	if (size < sizeof(*h) || LOAD(h->seal_magic) != IPCMP_RING_MAGIC)
		return 0;
	memcpy(stored, h->seal_name, sizeof(stored));
	stored[sizeof(stored) - 1] = '\0';
	return strcmp(stored, name) == 0;
}

int ipcmp_ring_attach(struct ipcmp_ring *r, void *mem, size_t size, const char *name)
{
	struct ipcmp_ring_hdr *h = mem;
	size_t msg_max, capacity;
	uint64_t head, tail;

	if (!ipcmp_ring_owned(mem, size, name) || LOAD(h->version) != IPCMP_RING_VERSION)
		return -EPROTO;
	msg_max = LOAD(h->msg_max);
	capacity = LOAD(h->capacity);
	if (msg_max > IPCMP_RING_MSG_MAX || capacity == 0 || capacity > UINT32_MAX / 2 ||
	    LOAD(h->slot_size) != slot_size(msg_max) ||
	    ipcmp_ring_size(msg_max, capacity) > size)
		return -EBADMSG;
	head = LOAD(h->head);
	tail = LOAD(h->tail);
	if (tail - head > capacity)
		return -EBADMSG;
	r->hdr = h;
	r->top = mem;
	r->stream = &((struct ipcmp_ring_top *)mem)->stream;
	r->size = size;
	r->msg_max = msg_max;
	r->capacity = capacity;
	r->slot_size = slot_size(msg_max);
	return 0;
}

/* The fields an operation relies on still agree with what open validated. */
static int ring_sane(const struct ipcmp_ring *r, uint64_t *head, uint64_t *tail)
{
	struct ipcmp_ring_hdr *h = r->hdr;

	if (LOAD(h->magic) != IPCMP_RING_MAGIC || LOAD(h->msg_max) != r->msg_max ||
	    LOAD(h->capacity) != r->capacity)
		return -EBADMSG;
	*head = LOAD(h->head);
	*tail = LOAD(h->tail);
	if (*tail - *head > r->capacity)
		return -EBADMSG;
	return 0;
}

/* FNV-1a (fnv.h) over the length, the sequence number and the payload: it
 * catches a payload rewritten in place. */
static uint32_t checksum(const void *buf, size_t len, uint64_t seq)
{
	uint32_t h = IPCMP_FNV_BASIS ^ (uint32_t)len;

	h = (h ^ (uint32_t)seq) * IPCMP_FNV_PRIME;
	h = (h ^ (uint32_t)(seq >> 32)) * IPCMP_FNV_PRIME;
	return ipcmp_fnv1a(h, buf, len);
}

int ipcmp_ring_fixed(const struct ipcmp_ring *r)
{
	struct ipcmp_ring_hdr *h = r->hdr;

	return LOAD(h->magic) != IPCMP_RING_MAGIC || LOAD(h->msg_max) != r->msg_max ||
	       LOAD(h->capacity) != r->capacity ? -EBADMSG : 0;
}

/*
 * ring_sane without a lock: head and tail move while they are read. tail
 * is read first, so head can only have grown since: tail - head is at most
 * capacity in any honest ring, and may be negative (both moved on).
 */
int ipcmp_ring_check(const struct ipcmp_ring *r)
{
	struct ipcmp_ring_hdr *h = r->hdr;
	uint64_t head, tail;

	if (ipcmp_ring_fixed(r) < 0)
		return -EBADMSG;
	tail = LOAD(h->tail);
	head = LOAD(h->head);
	return (int64_t)(tail - head) > (int64_t)r->capacity ? -EBADMSG : 0;
}

void ipcmp_ring_fill(struct slot *s, const void *buf, size_t len, int producer, uint64_t seq,
		     int sum)
{
	if (len > 0)
		memcpy(s->data, buf, len);
	STORE(s->producer, (uint32_t)producer);
	STORE(s->seq, seq);
	STORE(s->flags, sum ? IPCMP_SLOT_SUM : 0u);
	STORE(s->sum, sum ? checksum(buf, len, seq) : 0u);
	STORE(s->len, (uint32_t)len);
}

/* The payload is checked in the caller's copy, which no peer can change. */
ssize_t ipcmp_ring_read(const struct ipcmp_ring *r, const struct slot *s, void *buf, size_t cap,
			uint32_t *producer, uint64_t *seq)
{
	uint32_t len = LOAD(s->len), flags = LOAD(s->flags), sum = LOAD(s->sum);

	*producer = LOAD(s->producer);
	*seq = LOAD(s->seq);
	if (len > r->msg_max || *producer >= IPCMP_STREAM_PRODUCERS)
		return -EBADMSG;            /* corrupt */
	if (len > cap)
		return -EMSGSIZE;
	if (len > 0)
		memcpy(buf, s->data, len);
	if ((flags & IPCMP_SLOT_SUM) && checksum(buf, len, *seq) != sum)
		return -EBADMSG;            /* rewritten in place */
	return (ssize_t)len;
}

/* Caller holds the lock and a free slot; producer is its registry place. */
int ipcmp_ring_put(const struct ipcmp_ring *r, const void *buf, size_t len, int producer,
		   int sum)
{
	uint64_t head, tail, seq;
	int rc;

	if ((rc = ring_sane(r, &head, &tail)) < 0)
		return rc;
	if (tail - head == r->capacity)     /* we hold a slot, so the ring lied */
		return -EBADMSG;
	if (producer < 0 || producer >= IPCMP_STREAM_PRODUCERS)
		return -EINVAL;
	seq = LOAD(r->top->sent[producer]);
	ipcmp_ring_fill(ipcmp_ring_slot_at(r, tail), buf, len, producer, seq, sum);
	STORE(r->top->sent[producer], seq + 1);
	STORE(r->hdr->tail, tail + 1);
	return 0;
}

/* Caller holds the lock and an item; -EAGAIN: the ring is empty. */
ssize_t ipcmp_ring_get(const struct ipcmp_ring *r, void *buf, size_t cap)
{
	uint64_t head, tail, seq;
	uint32_t producer;
	ssize_t n;
	int rc;

	if ((rc = ring_sane(r, &head, &tail)) < 0)
		return rc;
	if (tail == head)
		return -EAGAIN;
	n = ipcmp_ring_read(r, ipcmp_ring_slot_at(r, head), buf, cap, &producer, &seq);
	if (n < 0)
		return n;
	if (seq != LOAD(r->top->taken[producer]))
		return -EBADMSG;            /* lost, repeated or reordered */
	STORE(r->top->taken[producer], seq + 1);
	STORE(r->hdr->head, head + 1);
	return n;
}
