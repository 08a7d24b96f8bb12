/* frame.c - see frame.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fnv.h"
#include "frame.h"
#include "ipcmp.h"

/* FNV-1a (fnv.h) over producer, sequence number and payload. */
static uint32_t checksum(const struct ipcmp_frame *f, const unsigned char *p, size_t len)
{
	uint32_t h = IPCMP_FNV_BASIS;

	for (int i = 0; i < 64; i += 8) {
		h = (h ^ (uint8_t)(f->producer >> i)) * IPCMP_FNV_PRIME;
		h = (h ^ (uint8_t)(f->seq >> i)) * IPCMP_FNV_PRIME;
	}
	return ipcmp_fnv1a(h, p, len);
}

void *ipcmp_frame_stage(void *mem, const void *user, size_t before)
{
	uintptr_t at = (uintptr_t)user - before - (uintptr_t)mem;

	return (unsigned char *)mem + (at & (IPCMP_FRAME_SLACK - sizeof(long)));
}

void ipcmp_frame_tx_init(struct ipcmp_frame_tx *tx, int flags)
{
	static uint32_t handles;   /* producer handles opened in this process */

	tx->producer = (uint64_t)(uint32_t)getpid() << 32 |
		       __atomic_add_fetch(&handles, 1u, __ATOMIC_RELAXED);
	tx->seq = 0;
	tx->checksum = (flags & IPCMP_CHECKSUM) != 0;
}

size_t ipcmp_frame_put(struct ipcmp_frame_tx *tx, void *msg, size_t len)
{
	struct ipcmp_frame f = { tx->producer, tx->seq++, 0, 0 };

	if (tx->checksum) {
		f.flags = IPCMP_FRAME_SUM;
		f.sum = checksum(&f, (const unsigned char *)msg + IPCMP_FRAME_SIZE, len);
	}
	memcpy(msg, &f, sizeof(f));
	return IPCMP_FRAME_SIZE + len;
}

ssize_t ipcmp_frame_check(struct ipcmp_frame_rx *rx, const void *msg, size_t n)
{
	struct ipcmp_frame f;
	size_t len = n - IPCMP_FRAME_SIZE;
	unsigned i;

	if (n < IPCMP_FRAME_SIZE)
		return -EBADMSG;
	memcpy(&f, msg, sizeof(f));
	if ((f.flags & ~IPCMP_FRAME_SUM) != 0 ||
	    ((f.flags & IPCMP_FRAME_SUM) &&
	     checksum(&f, (const unsigned char *)msg + IPCMP_FRAME_SIZE, len) != f.sum))
		return -EBADMSG;
	for (i = 0; i < rx->used && rx->producer[i] != f.producer; i++)
		;
	if (i == rx->used) {
		/* a producer not seen yet, or forgotten: its numbers start here */
		if (rx->used < IPCMP_FRAME_SEEN)
			rx->used++;
		else
			i = rx->evict++ % IPCMP_FRAME_SEEN;
		rx->producer[i] = f.producer;
	} else if (f.seq < rx->next[i]) {
		return -EBADMSG;        /* repeated or reordered */
	}
	rx->next[i] = f.seq + 1;
	rx->taken++;
	return (ssize_t)len;
}
