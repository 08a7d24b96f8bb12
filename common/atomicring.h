/*
 * atomicring.h - the stream protocol over a lock-free ring (posix-atomic).
 *
 * The ring of common/ring.h, claimed without a lock: producers and
 * consumers take positions by compare-and-swap on tail and head, and each
 * slot's turn says whether it is free for a put or holds a message to get
 * (Dmitry Vyukov's bounded MPMC queue). No system call on the data path:
 * a side spins a little, then sleeps on a futex word in the ring, and is
 * woken only when it said it sleeps. What it shares with ringchan.c is
 * everything but the claim: the stream (stream.c: end, abort, liveness),
 * the layout, validation, sequence numbers and checksum (ring.c) and the
 * deadlines (clock.c).
 */
#ifndef IPCMP_ATOMICRING_H
#define IPCMP_ATOMICRING_H

#include "ring.h"
#include "stream.h"

/* The first member of a lock-free backend's private state. */
struct ipcmp_atomicring {
	struct ipcmp_ring ring;            /* ring.hdr NULL: not mapped */
	struct ipcmp_stream_member member; /* a producer's place in the stream */
};

/* The last step of create and open (a producer joins the stream). */
int ipcmp_atomicring_join(struct ipcmp_atomicring *ar, int producer);
int ipcmp_atomicring_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms);
ssize_t ipcmp_atomicring_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms);
int ipcmp_atomicring_leave(struct ipcmp_chan *chan, int abort);

#endif
