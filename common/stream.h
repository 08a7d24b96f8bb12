/*
 * stream.h - end and abort of a stream, and who is still producing: the
 * part of the protocol every channel kept in shared memory has in common
 * (the ring of sysv-shm and posix-shm, the state object of posix-mq).
 * sysv-msg has no shared memory; it keeps the same state in semaphores.
 *
 * A stream is IDLE until its first producer joins, then OPEN. It ENDS when
 * its last producer leaves cleanly, and is ABORTED when a producer aborts
 * or dies. ENDED and ABORTED are final: a producer that would join then is
 * refused (-ESHUTDOWN), so one channel carries one stream.
 *
 * The state, the producer count and a generation number share one 32-bit
 * word changed by compare-and-swap, so a join can never slip in after the
 * end was decided, and no lock is needed (posix-mq has none).
 *
 * Liveness. System V: a producer joins with a SEM_UNDO semaphore operation,
 * so the kernel's count of live producers drops when one dies (live()).
 * POSIX: there is no undo; every producer registers here with its pid and
 * start time, and a consumer whose wait stalls counts the registered
 * processes still alive. Fewer live producers than joined ones: one died,
 * and the stream is aborted.
 *
 * Another process can write anything here: a bad value can abort a stream
 * or delay its end, never make an access out of bounds.
 */
#ifndef IPCMP_STREAM_H
#define IPCMP_STREAM_H

#include <stdint.h>
#include <sys/types.h>

#define IPCMP_STREAM_PRODUCERS 32  /* producers registered at once */

enum ipcmp_stream_state { IPCMP_STREAM_IDLE, IPCMP_STREAM_OPEN, IPCMP_STREAM_ENDED,
			  IPCMP_STREAM_ABORTED };

struct ipcmp_stream_producer {
	int32_t pid;               /* 0: a free entry */
	uint32_t unused;
	uint64_t start;            /* start time (/proc/PID/stat), 0: unknown */
};

struct ipcmp_stream {
	uint32_t word;             /* state:2 | generation:14 | joined:16 */
	int32_t aborter;           /* the producer that aborted or died; 0: unknown */
	struct ipcmp_stream_producer producer[IPCMP_STREAM_PRODUCERS];
	unsigned char pad[56];
};

/* A producer's membership, kept in its handle. */
struct ipcmp_stream_member {
	pid_t pid;                 /* the process that joined; 0: not a member */
	int slot;                  /* its entry in producer[] */
};

/* The kernel's count of live producers (System V), or NULL: the registry. */
typedef int (*ipcmp_live_fn)(void *arg);

void ipcmp_stream_init(struct ipcmp_stream *st);
/* 0, -ESHUTDOWN (ended or aborted), -EUSERS (too many producers) */
int ipcmp_stream_join(struct ipcmp_stream *st, struct ipcmp_stream_member *m);
/* Leaves cleanly, or aborts. 1: this call ended or aborted the stream (the
 * caller wakes the consumers), 0: it did not. A handle used in a process
 * other than the one that joined (inherited over fork) leaves nothing. */
int ipcmp_stream_leave(struct ipcmp_stream *st, struct ipcmp_stream_member *m, int abort);
/*
 * What a consumer that found nothing to take should say: IPCMP_EOS,
 * IPCMP_ABORTED, 0 (the stream goes on), or -errno from live(). Checks
 * liveness, and aborts the stream when a producer died; *moved is set
 * when this call did it (the caller wakes the other consumers).
 */
int ipcmp_stream_status(struct ipcmp_stream *st, ipcmp_live_fn live, void *arg, int *moved);
/* Just the state, without a liveness check. */
int ipcmp_stream_over(const struct ipcmp_stream *st);   /* IPCMP_EOS, IPCMP_ABORTED or 0 */
pid_t ipcmp_stream_aborter(const struct ipcmp_stream *st);

/* 1 when the process pid (started at `start`, 0: unknown) is alive. */
int ipcmp_pid_alive(pid_t pid, uint64_t start);
uint64_t ipcmp_pid_start(pid_t pid);      /* 0: unknown (no /proc) */
/* getpid(), without a system call after the first in a process. */
pid_t ipcmp_self(void);

#endif
