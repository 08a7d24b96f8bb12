/*
 * ring.h - the shared-memory ring both shm backends use.
 *
 * Layout: a header of five IPCMP_RING_LINE lines (identity, head, tail and
 * the two sides' futex words), the stream's state (common/stream.h: end,
 * abort, the producers registered), the sequence numbers, then `capacity`
 * slots of `slot_size` bytes, each a slot header and up to msg_max bytes of
 * payload, rounded up to whole 64-byte cache lines so that a slot being
 * filled and the one before it being read never share a line.
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
 * The ring does no locking: the protocol (ringchan.c) holds the producers'
 * lock around ipcmp_ring_put and the consumers' lock around ipcmp_ring_get
 * (a semaphore operation is a full barrier). The two run at once: put
 * writes only the slot at tail, which a free slot (ROOM) keeps away from
 * head, and moves only tail; get reads the slot at head and moves only
 * head; each publishes its move with a release store.
 */
#ifndef IPCMP_RING_H
#define IPCMP_RING_H

#include <stdint.h>
#include <sys/types.h>

#include "ipcmp.h"
#include "stream.h"

#define IPCMP_RING_MAGIC   0x52434d49u    /* "IMCR" little-endian */
#define IPCMP_RING_VERSION 4u
#define IPCMP_RING_MSG_MAX (1u << 20)     /* largest msg_max a ring takes */
#define IPCMP_RING_LINE 128               /* the unit of false sharing, see the header */

struct ipcmp_ring_hdr {
	/* line 0: what create writes once; every call reads it, nobody writes it */
	uint32_t magic;            /* IPCMP_RING_MAGIC, written first by the creator */
	uint32_t version;
	char name[40];             /* channel name: a SysV key collision shows here */
	uint32_t msg_max;
	uint32_t capacity;
	uint32_t slot_size;
	uint32_t ready;            /* written last: fields and semaphores are set up */
	unsigned char pad0[IPCMP_RING_LINE - 64];
	/*
	 * Each line below is written by one side only (IPCMP_RING_LINE: two
	 * 64-byte lines, since x86's adjacent-line prefetcher pulls pairs), so
	 * consumers moving head never invalidate the line producers move tail
	 * on, nor a write to either the line every call reads (false sharing).
	 * Line 1, the consumers': head, and the holder of their lock.
	 */
	uint64_t head;             /* messages taken */
	int32_t getlocker;         /* the consumer holding the consumers' lock; 0: none or unknown */
	unsigned char pad1[IPCMP_RING_LINE - 12];
	/* line 2, the producers': tail, and the holder of their lock */
	uint64_t tail;             /* messages put */
	int32_t locker;            /* the producer holding the producers' lock; 0: none or unknown */
	unsigned char pad2[IPCMP_RING_LINE - 12];
	/* lines 3 and 4 (posix-atomic; the locked rings leave them 0): the
	 * futex word and the count of sleepers of each side, written only when
	 * a side sleeps or wakes a sleeper, so a busy ring only reads them */
	uint32_t data_waiters;     /* consumers asleep on data_futex */
	uint32_t data_futex;       /* bumped when a message or the end is published */
	unsigned char pad3[IPCMP_RING_LINE - 8];
	uint32_t room_waiters;     /* producers asleep on room_futex */
	uint32_t room_futex;       /* bumped when a slot is freed */
	/* A second copy of magic and name, away from the first line: a ring
	 * of one object (posix-atomic) whose header was overwritten is told
	 * from a foreign object by it (unlink: IPCMP_DAMAGED, not -EPROTO). */
	uint32_t seal_magic;
	char seal_name[40];
	unsigned char pad4[IPCMP_RING_LINE - 52];
};

/* What follows the header: the stream, the sequence numbers, then the
 * slots, from a line of their own. sent is the producers', taken the
 * consumers': each on its own lines. */
struct ipcmp_ring_top {
	struct ipcmp_ring_hdr hdr;
	struct ipcmp_stream stream;
	_Alignas(IPCMP_RING_LINE)
	uint64_t sent[IPCMP_STREAM_PRODUCERS];     /* next sequence number to put, per place */
	_Alignas(IPCMP_RING_LINE)
	uint64_t taken[IPCMP_STREAM_PRODUCERS];    /* next sequence number to get, per place */
};

/* A slot: this header, then the payload. */
struct ipcmp_ring_slot {
	uint32_t len;
	uint32_t sum;              /* checksum of len, seq and payload, if IPCMP_SLOT_SUM */
	uint32_t producer;         /* the producer's place in the registry */
	uint32_t flags;            /* IPCMP_SLOT_SUM */
	uint64_t seq;              /* the producer's sequence number */
	/* posix-atomic (common/atomicring.c): the slot's turn, Vyukov's cell
	 * sequence (pos: free for the put of message pos; pos + 1: message pos
	 * published), and the process that last claimed it. */
	uint32_t turn;
	int32_t claimer;
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
int ipcmp_ring_sealed(const void *mem, size_t size, const char *name);   /* the seal says ours */
int ipcmp_ring_attach(struct ipcmp_ring *r, void *mem, size_t size, const char *name);
int ipcmp_ring_put(const struct ipcmp_ring *r, const void *buf, size_t len, int producer,
		   int checksum);
ssize_t ipcmp_ring_get(const struct ipcmp_ring *r, void *buf, size_t cap);

/* The parts of put and get a lock-free ring shares (common/atomicring.c). */
struct ipcmp_ring_slot *ipcmp_ring_slot_at(const struct ipcmp_ring *r, uint64_t i);
int ipcmp_ring_check(const struct ipcmp_ring *r);    /* ipcmp_ring_fixed, and tail - head */
int ipcmp_ring_fixed(const struct ipcmp_ring *r);    /* magic, msg_max, capacity: line 0 only */
void ipcmp_ring_fill(struct ipcmp_ring_slot *s, const void *buf, size_t len, int producer,
		     uint64_t seq, int sum);
/* Copies the message out and checks its length and checksum (not its
 * sequence number); its producer's place and sequence number in *producer
 * and *seq. */
ssize_t ipcmp_ring_read(const struct ipcmp_ring *r, const struct ipcmp_ring_slot *s, void *buf,
			size_t cap, uint32_t *producer, uint64_t *seq);

#endif
