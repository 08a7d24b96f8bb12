/*
 * frame.h - what a queue backend puts before the bytes of each message.
 *
 * A ring checks sequence numbers under its lock (ring.h). A queue has no
 * lock and no shared place for them: the kernel holds the messages, and
 * anyone with write access to the queue can take, add or reorder them
 * (msgrcv, msgsnd, mq_receive, mq_send). So each message carries a frame:
 * its producer (the process and its handle), that producer's sequence
 * number, and optionally (IPCMP_CHECKSUM) a checksum over the three and
 * the payload. Each consumer remembers, per producer, the next number it
 * may see: a number below it is a message repeated or reordered, -EBADMSG.
 * A consumer sees only the messages it takes, so numbers may skip (other
 * consumers took the rest): a lost message is not seen here, but by the
 * counts the backend keeps: tx.seq is what a producer sent, rx.taken what
 * a consumer took; at end of stream, the messages the producers sent
 * against those the consumers took, checked by a consumer that is the only
 * one (sysv-msg: in the UNTAKEN semaphore; posix-mq: in its state).
 *
 * The frame is extra bytes in the kernel's message: msg_max stays what the
 * user asked for, and the kernel limits (kernel.msgmax, mq_msgsize) are
 * checked against msg_max + IPCMP_FRAME_SIZE.
 */
#ifndef IPCMP_FRAME_H
#define IPCMP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ipcmp_frame {
	uint64_t producer;         /* pid << 32 | the handle's number in its process */
	uint64_t seq;              /* the producer's sequence number, from 0 */
	uint32_t flags;            /* IPCMP_FRAME_SUM */
	uint32_t sum;              /* checksum of producer, seq and payload */
};

#define IPCMP_FRAME_SIZE sizeof(struct ipcmp_frame)
#define IPCMP_FRAME_SUM 1u
#define IPCMP_FRAME_SEEN 64        /* producers a consumer remembers at once */

struct ipcmp_frame_tx {            /* in a producer's handle */
	uint64_t producer;
	uint64_t seq;
	int checksum;
};

struct ipcmp_frame_rx {            /* in a consumer's handle */
	uint64_t producer[IPCMP_FRAME_SEEN];
	uint64_t next[IPCMP_FRAME_SEEN];
	unsigned used, evict;
	uint64_t taken;            /* messages that passed the check */
};

/*
 * Where to stage a message whose payload is copied to or from the caller's
 * bytes at user: in a buffer of IPCMP_FRAME_SLACK bytes more than the
 * message, at the place that puts the payload (`before` bytes into the
 * message) on the same offset in a 64-byte line as user, to 8 bytes (a
 * SysV message starts with a long). memcpy then moves whole lines: on the
 * 2-core AMD EPYC test machine, glibc's copy of 4 KiB (rep movsb) took 45 ns
 * between buffers so placed and 140-160 ns between some others, and a
 * queue backend whose staging buffer fell at such an offset ran at 0.44x its
 * plain loop at 4 KiB and 64 KiB, 0.9x placed so.
 */
#define IPCMP_FRAME_SLACK 64
void *ipcmp_frame_stage(void *mem, const void *user, size_t before);

/* A producer handle's frames: a new producer id; checksum if flags say so. */
void ipcmp_frame_tx_init(struct ipcmp_frame_tx *tx, int flags);
/* Writes the frame at msg, whose payload of len bytes follows it; returns
 * the kernel message's length, IPCMP_FRAME_SIZE + len. */
size_t ipcmp_frame_put(struct ipcmp_frame_tx *tx, void *msg, size_t len);
/* Checks a message of n bytes as received: the payload's length (it starts
 * at msg + IPCMP_FRAME_SIZE), or -EBADMSG (too short, a wrong checksum, a
 * sequence number repeated or out of order). */
ssize_t ipcmp_frame_check(struct ipcmp_frame_rx *rx, const void *msg, size_t n);

#endif
