/*
 * raw_sysv_msg.c - plain msgsnd/msgrcv: what sysv-msg is measured against.
 *
 * One queue made with IPC_PRIVATE (no key to collide), its byte budget
 * (msg_qbytes) set to capacity x size, so that it holds `capacity`
 * messages of the size under test, as the channel does. msgsnd blocks when
 * the queue is full, msgrcv when it is empty: two system calls a message.
 * A round trip uses two queues.
 *
 * SysV: msgsnd and msgrcv take no timeout; the watchdog that pair.c arms in
 * every side (alarm) is their bound.
 *
 * raw-msg-sem is the same loop with sysv-msg's bounded waits: a library
 * may not cut msgsnd or msgrcv short with a signal, so neither waits
 * (IPC_NOWAIT), and every wait is a semtimedop on a set of two semaphores
 * beside the queue: the producer takes a slot (SLOTS -1, USED +1) and
 * sends; the consumer receives, and frees the slot (SLOTS +1, USED -1),
 * or, finding nothing, sleeps until USED > 0 (-1 and +1 in one semop).
 * Four calls a message: its ratio to raw-sysv-msg is what bounded waits
 * cost a System V queue, measured without the channel.
 *
 * The text is staged at the caller's buffer's offset within a cache line,
 * as the channel stages it (common/frame.c): a copy between two different
 * offsets runs at a third of the speed on some CPUs, which would slow this
 * loop, not the kernel's queue.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

#include "bench.h"

struct qmsg {                      /* SysV: a long type, then the text */
	long mtype;
	char mtext[];
};

#define LINE 64

enum { SLOTS, USED };

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct queues {
	int msqid[2];              /* -1: none */
	int semid[2];              /* raw-msg-sem: each queue's SLOTS and USED; -1: none */
	void *mem;                 /* in a side: LINE-aligned, mtype + size + LINE bytes */
};

static int queue_open(struct bench_run *r, void *t, int side)
{
	struct queues *q = t;
	size_t size = sizeof(struct qmsg) + bench_case_of(r)->size + LINE;

	(void)side;
	if ((q->mem = aligned_alloc(LINE, (size + LINE - 1) / LINE * LINE)) == NULL)
		return bench_fail(r, "no memory");
	return 0;
}

static int queue_close(struct bench_run *r, void *t, int side)
{
	struct queues *q = t;

	(void)r;
	(void)side;
	free(q->mem);
	return 0;
}

/* The message whose text sits at user's offset in a line (long-aligned). */
static struct qmsg *staged(struct queues *q, const void *user)
{
	uintptr_t at = (uintptr_t)user - offsetof(struct qmsg, mtext);

	return (struct qmsg *)((char *)q->mem + (at & (LINE - sizeof(long))));
}

static int queue_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct qmsg *m = staged(t, buf);
	struct queues *q = t;

	m->mtype = 1;
	memcpy(m->mtext, buf, len);
	while (msgsnd(q->msqid[dir], m, len, 0) < 0)
		if (errno != EINTR)
			return bench_fail(r, "msgsnd: %s", strerror(errno));
	return 0;
}

static ssize_t queue_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct qmsg *m = staged(t, buf);
	struct queues *q = t;
	ssize_t n;

	while ((n = msgrcv(q->msqid[dir], m, cap, 0, 0)) < 0)
		if (errno != EINTR)
			return bench_fail(r, "msgrcv: %s", strerror(errno));
	memcpy(buf, m->mtext, (size_t)n);
	return n;
}

static const struct bench_transport queue_transport = {
	.open = queue_open,
	.put = queue_put,
	.get = queue_get,
	.close = queue_close,
};

/* raw-msg-sem: one semop of two operations, bounded when wait, else
 * IPC_NOWAIT. 0, or -1 with errno. */
static int sem_pair(struct bench_run *r, int semid, struct sembuf ops[2], int wait)
{
	struct timespec bound = bench_timeout(r);
	int rc;

	if (!wait)
		ops[0].sem_flg = ops[1].sem_flg = IPC_NOWAIT;
	while ((rc = semtimedop(semid, ops, 2, wait ? &bound : NULL)) < 0 && errno == EINTR)
		;
	return rc;
}

static int bounded_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct sembuf claim[2] = { { SLOTS, -1, 0 }, { USED, 1, 0 } };
	struct qmsg *m = staged(t, buf);
	struct queues *q = t;

	if (sem_pair(r, q->semid[dir], claim, 1) < 0)
		return bench_fail(r, "semtimedop(SLOTS -1, USED +1): %s", strerror(errno));
	m->mtype = 1;
	memcpy(m->mtext, buf, len);
	if (msgsnd(q->msqid[dir], m, len, IPC_NOWAIT) < 0)
		return bench_fail(r, "msgsnd: %s", strerror(errno));
	return 0;
}

static ssize_t bounded_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct sembuf await_used[2] = { { USED, -1, 0 }, { USED, 1, 0 } };
	struct sembuf release[2] = { { SLOTS, 1, 0 }, { USED, -1, 0 } };
	struct qmsg *m = staged(t, buf);
	struct queues *q = t;
	ssize_t n;

	while ((n = msgrcv(q->msqid[dir], m, cap, 0, IPC_NOWAIT)) < 0) {
		if (errno != ENOMSG && errno != EINTR)
			return bench_fail(r, "msgrcv: %s", strerror(errno));
		if (errno == ENOMSG && sem_pair(r, q->semid[dir], await_used, 1) < 0)
			return bench_fail(r, "semtimedop(USED -1 +1): %s", strerror(errno));
	}
	memcpy(buf, m->mtext, (size_t)n);
	if (sem_pair(r, q->semid[dir], release, 0) < 0)
		return bench_fail(r, "semop(SLOTS +1, USED -1): %s", strerror(errno));
	return n;
}

static const struct bench_transport bounded_transport = {
	.open = queue_open,
	.put = bounded_put,
	.get = bounded_get,
	.close = queue_close,
};

/* raw-msg-sem: SLOTS = capacity, USED = 0 (semctl(2) SETALL: the values
 * are undefined until set). */
static int make_sems(struct queues *q, int i, size_t capacity, struct bench_sample *s)
{
	unsigned short init[2] = { (unsigned short)capacity, 0 };
	union semun arg = { .array = init };

	if ((q->semid[i] = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600)) < 0) {
		snprintf(s->error, sizeof(s->error), "semget: %s", strerror(errno));
		return -1;
	}
	if (semctl(q->semid[i], 0, SETALL, arg) < 0) {
		snprintf(s->error, sizeof(s->error), "semctl(SETALL): %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int run(const struct bench_case *c, struct bench_sample *s, int bounded)
{
	struct queues q = { .msqid = { -1, -1 }, .semid = { -1, -1 } };
	struct msqid_ds ds;
	int rc = 0;

	for (int i = 0; i < (c->mode == BENCH_ROUNDTRIP ? 2 : 1) && rc == 0; i++) {
		if ((q.msqid[i] = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) < 0) {
			snprintf(s->error, sizeof(s->error), "msgget: %s", strerror(errno));
			rc = -1;
			break;
		}
		/* msg_qbytes above kernel.msgmnb needs CAP_SYS_RESOURCE */
		ds.msg_qbytes = 0;
		if (msgctl(q.msqid[i], IPC_STAT, &ds) == 0) {
			ds.msg_qbytes = c->capacity * c->size;
			if (msgctl(q.msqid[i], IPC_SET, &ds) < 0) {
				snprintf(s->error, sizeof(s->error), "msgctl(IPC_SET, msg_qbytes %zu): %s",
					 c->capacity * c->size, strerror(errno));
				rc = -1;
			}
		}
		if (rc == 0 && bounded)
			rc = make_sems(&q, i, c->capacity, s);
	}
	s->capacity = c->capacity;
	if (rc == 0)
		rc = bench_transport(c, s, bounded ? &bounded_transport : &queue_transport, &q);
	for (int i = 0; i < 2; i++) {
		if (q.msqid[i] >= 0)
			msgctl(q.msqid[i], IPC_RMID, NULL);
		if (q.semid[i] >= 0)
			semctl(q.semid[i], 0, IPC_RMID);
	}
	return rc;
}

int bench_raw_sysv_msg(const struct bench_case *c, struct bench_sample *s)
{
	return run(c, s, 0);
}

int bench_raw_msg_sem(const struct bench_case *c, struct bench_sample *s)
{
	return run(c, s, 1);
}
