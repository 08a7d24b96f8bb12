/*
 * ring.h - the shared-memory ring both shm backends use.
 *
 * Layout: a 128-byte header, the stream's state (common/stream.h: end, abort,
 * the producers registered), the sequence numbers, then `capacity` slots of
 * `slot_size` bytes, each a slot header and up to msg_max bytes of payload.
 * head and tail count messages taken and put since create; the slot of
 * message i is i % capacity.
 *
 * Each message carries the number of its producer's place in the stream's
 * registry and a sequence number for that place: put takes sent[place]++,
 * get expects taken[place] and advances it, both under the lock, so every
 * consumer checks every producer's sequence (a message lost, repeated or
 * reordered by a peer gives -EBADMSG), and optionally a checksum.
 *
 * Another process can write anything here, so nothing read from the mapping
 * is trusted: open validates the header against the size the kernel reports
 * for the object, and keeps its own copy of msg_max, capacity and slot_size;
 * every later read of head, tail or a length is checked before use.
 *
 * The ring does no locking: the protocol (ringchan.c) holds the backend's
 * lock around ipcmp_ring_put and ipcmp_ring_get (a semaphore operation is a
 * full barrier).
 */
#ifndef IPCMP_RING_H
#define IPCMP_RING_H

#include <stdint.h>
#include <sys/types.h>

#include "ipcmp.h"
#include "stream.h"

#define IPCMP_RING_MAGIC   0x52434d49u    /* "IMCR" little-endian */
#define IPCMP_RING_VERSION 2u
#define IPCMP_RING_MSG_MAX (1u << 20)     /* largest msg_max a ring takes */

struct ipcmp_ring_hdr {
	uint32_t magic;            /* IPCMP_RING_MAGIC, written first by the creator */
	uint32_t version;
	char name[40];             /* channel name: a SysV key collision shows here */
	uint32_t msg_max;
	uint32_t capacity;
	uint32_t slot_size;
	uint32_t ready;            /* written last: fields and semaphores are set up */
	int32_t locker;            /* the process holding the lock; 0: none or unknown */
	uint32_t unused;
	uint64_t head;             /* messages taken */
	uint64_t tail;             /* messages put */
	unsigned char pad[128 - 88];
};

/* What follows the header: the stream, the sequence numbers, then the slots. */
struct ipcmp_ring_top {
	struct ipcmp_ring_hdr hdr;
	struct ipcmp_stream stream;
	uint64_t sent[IPCMP_STREAM_PRODUCERS];     /* next sequence number to put, per place */
	uint64_t taken[IPCMP_STREAM_PRODUCERS];    /* next sequence number to get, per place */
};

/* A slot: this header, then the payload. */
struct ipcmp_ring_slot {
	uint32_t len;
	uint32_t sum;              /* checksum of len, seq and payload, if IPCMP_SLOT_SUM */
	uint32_t producer;         /* the producer's place in the registry */
	uint32_t flags;            /* IPCMP_SLOT_SUM */
	uint64_t seq;              /* the producer's sequence number */
	unsigned char data[];
};

#define IPCMP_SLOT_SUM 1u

#define IPCMP_RING_SLOTS_OFFSET sizeof(struct ipcmp_ring_top)

/* A validated, private view of a ring: the sizes never come from the mapping again. */
struct ipcmp_ring {
	struct ipcmp_ring_hdr *hdr;     /* NULL: not mapped */
	struct ipcmp_stream *stream;    /* right after hdr */
	struct ipcmp_ring_top *top;     /* hdr, stream and sequence numbers */
	size_t size;                    /* mapped bytes, as the kernel reports them */
	size_t msg_max;
	size_t capacity;
	size_t slot_size;
};

size_t ipcmp_ring_size(size_t msg_max, size_t capacity);
void ipcmp_ring_init(struct ipcmp_ring *r, void *mem, size_t size, const char *name,
		     size_t msg_max, size_t capacity);
void ipcmp_ring_set_ready(struct ipcmp_ring *r);
int ipcmp_ring_wait_ready(void *mem, size_t size);
int ipcmp_ring_owned(const void *mem, size_t size, const char *name);
int ipcmp_ring_attach(struct ipcmp_ring *r, void *mem, size_t size, const char *name);
int ipcmp_ring_put(const struct ipcmp_ring *r, const void *buf, size_t len, int producer,
		   int checksum);
ssize_t ipcmp_ring_get(const struct ipcmp_ring *r, void *buf, size_t cap);

#endif
