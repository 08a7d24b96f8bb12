/*
 * sem_timeouts.c - bounded waits.
 *
 * SysV: semtimedop takes a relative interval and fails with EAGAIN when it
 *       runs out (semop(2)); msgrcv and msgsnd have no timeout at all, only
 *       IPC_NOWAIT (ENOMSG, EAGAIN).
 * POSIX: sem_timedwait, mq_timedreceive and mq_timedsend take an absolute
 *       CLOCK_REALTIME time and fail with ETIMEDOUT (sem_wait(3),
 *       mq_receive(3)); sem_timedwait does not check the time when it can
 *       take the semaphore at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>

#include "semantics.h"

#define INTERVAL_MS 300

/* A semaphore of each family holding value: SysV set id, POSIX sem_t. */
struct pair {
	int id;
	sem_t *sem;
};

static int pair_open(struct pair *p, int value)
{
	char name[96];

	p->sem = SEM_FAILED;
	if ((p->id = semget(probe_sysv_key(), 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	if (semctl(p->id, 0, SETVAL, value) < 0)
		goto fail;
	probe_posix_name(name, sizeof(name), "sem");
	if ((p->sem = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)value)) == SEM_FAILED)
		goto fail;
	sem_unlink(name);
	return 0;
fail:
	semctl(p->id, 0, IPC_RMID);
	return -errno;
}

static void pair_close(struct pair *p)
{
	semctl(p->id, 0, IPC_RMID);
	if (p->sem != SEM_FAILED)
		sem_close(p->sem);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void say_wait(struct probe_obs *o, int rc, const struct timespec *t0)
{
	double ms = ms_since(t0);

	probe_say(o, "%s %s", rc < 0 ? probe_errno_name(errno) : "0",
		  ms >= INTERVAL_MS ? "after the interval" : "at once");
	probe_note(o, "returned after %.0f ms", ms);
}

/* The same timespec, {0, 300 ms}, given to both: an interval to SysV, a
 * moment of 1970 to POSIX. */
int probe_timeout_relative(struct probe_result *r)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1 };
	struct timespec ts = { 0, INTERVAL_MS * 1000000L }, t0;
	struct pair p;
	int rc;

	if ((rc = pair_open(&p, 0)) < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = semtimedop(p.id, &down, 1, &ts);
	say_wait(&r->sysv, rc, &t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sem_timedwait(p.sem, &ts);
	say_wait(&r->posix, rc, &t0);
	pair_close(&p);
	return 0;
}

/* sem_timedwait measures CLOCK_REALTIME: a deadline read from
 * CLOCK_MONOTONIC (time since boot) lies decades in the past. */
int probe_timeout_clock(struct probe_result *r)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1 };
	struct timespec ts = { 0, INTERVAL_MS * 1000000L }, t0;
	struct pair p;
	int rc;

	if ((rc = pair_open(&p, 0)) < 0)
		return rc;
	/* SysV: an interval has no clock to choose */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = semtimedop(p.id, &down, 1, &ts);
	say_wait(&r->sysv, rc, &t0);
	ts = probe_clock_after(CLOCK_MONOTONIC, INTERVAL_MS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sem_timedwait(p.sem, &ts);
	say_wait(&r->posix, rc, &t0);
	pair_close(&p);
	return 0;
}

int probe_timeout_errno(struct probe_result *r)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1 };
	struct timespec rel = { 0, 1000000L }, abs;
	struct pair p;
	int rc;

	if ((rc = pair_open(&p, 0)) < 0)
		return rc;
	rc = semtimedop(p.id, &down, 1, &rel);
	probe_say(&r->sysv, "%s", rc < 0 ? probe_errno_name(errno) : "0");
	abs = probe_clock_after(CLOCK_REALTIME, 1);
	rc = sem_timedwait(p.sem, &abs);
	probe_say(&r->posix, "%s", rc < 0 ? probe_errno_name(errno) : "0");
	pair_close(&p);
	return 0;
}

/* tv_nsec out of range, on a semaphore of value (1: could be taken at once). */
static int invalid_timeout(struct probe_result *r, int value)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1, .sem_flg = IPC_NOWAIT };
	struct timespec bad = { 0, 1000000000L };
	struct pair p;
	int rc;

	if ((rc = pair_open(&p, value)) < 0)
		return rc;
	if (value == 0)
		down.sem_flg = 0;
	rc = semtimedop(p.id, &down, 1, &bad);
	probe_say(&r->sysv, "%s", rc < 0 ? probe_errno_name(errno) : "0 (taken)");
	rc = sem_timedwait(p.sem, &bad);
	probe_say(&r->posix, "%s", rc < 0 ? probe_errno_name(errno) : "0 (taken)");
	pair_close(&p);
	return 0;
}

int probe_timeout_invalid_free(struct probe_result *r)
{
	return invalid_timeout(r, 1);
}

int probe_timeout_invalid_blocking(struct probe_result *r)
{
	return invalid_timeout(r, 0);
}

/* An empty queue, and a receiver that must not wait long. */
int probe_queue_no_timeout(struct probe_result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct { long mtype; char mtext[8]; } m;
	struct timespec abs;
	char name[96], buf[8];
	int id, rc;
	mqd_t mq;

	if ((id = msgget(probe_sysv_key(), IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	rc = (int)msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT);
	probe_say(&r->sysv, "IPC_NOWAIT: %s", rc < 0 ? probe_errno_name(errno) : "a message");
	msgctl(id, IPC_RMID, NULL);
	probe_posix_name(name, sizeof(name), "mq");
	if ((mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	abs = probe_clock_after(CLOCK_REALTIME, 1);
	rc = (int)mq_timedreceive(mq, buf, sizeof(buf), NULL, &abs);
	probe_say(&r->posix, "mq_timedreceive: %s", rc < 0 ? probe_errno_name(errno) : "a message");
	mq_close(mq);
	return 0;
}
