/*
 * fault.c - the wrappers behind fault.h. Each is the real call, unless it
 * is the armed one: then it fails as the call's man page says a failure
 * looks (the return value, errno) without being made.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "fault.h"

static int timed_waits;            /* fault_timed_waits() */
static int armed_nth;              /* 0: disarmed */
static int armed_err;
static int calls;
static const char *fired;

void fault_arm(int nth, int err)
{
	armed_nth = nth;
	armed_err = err;
	calls = 0;
	fired = NULL;
}

void fault_disarm(void)
{
	armed_nth = 0;
}

const char *fault_fired(void)
{
	return fired;
}

int fault_calls(void)
{
	return calls;
}

int fault_timed_waits(void)
{
	return timed_waits;
}

static int timed(const struct timespec *t)
{
	return t != NULL && (t->tv_sec != 0 || t->tv_nsec != 0);
}

/* 1 when this call is the one to fail (errno is then set). */
static int hit(const char *call)
{
	if (armed_nth == 0)
		return 0;
	if (++calls != armed_nth)
		return 0;
	armed_nth = 0;
	fired = call;
	errno = armed_err;
	return 1;
}

/* A call that may wait until t is counted when it may (fault_timed_waits). */
#define WRAP_TIMED(ret, call, failed, params, args, t) \
	ret __real_##call params; \
	ret __wrap_##call params; \
	ret __wrap_##call params \
	{ \
		if (hit(#call)) \
			return failed; \
		timed_waits += timed(t); \
		return __real_##call args; \
	}

#define WRAP(ret, call, failed, params, args) WRAP_TIMED(ret, call, failed, params, args, NULL)

/* SysV */
WRAP(int, shmget, -1, (key_t key, size_t size, int flg), (key, size, flg))
WRAP(void *, shmat, (void *)-1, (int id, const void *addr, int flg), (id, addr, flg))
WRAP(int, shmdt, -1, (const void *addr), (addr))
WRAP(int, shmctl, -1, (int id, int cmd, struct shmid_ds *buf), (id, cmd, buf))
WRAP(int, semget, -1, (key_t key, int nsems, int flg), (key, nsems, flg))
WRAP(int, semop, -1, (int id, struct sembuf *ops, size_t n), (id, ops, n))
WRAP_TIMED(int, semtimedop, -1, (int id, struct sembuf *ops, size_t n, const struct timespec *t),
	   (id, ops, n, t), t)
WRAP(int, msgget, -1, (key_t key, int flg), (key, flg))
WRAP(int, msgsnd, -1, (int id, const void *msg, size_t len, int flg), (id, msg, len, flg))
WRAP(ssize_t, msgrcv, -1, (int id, void *msg, size_t len, long type, int flg),
     (id, msg, len, type, flg))
WRAP(int, msgctl, -1, (int id, int cmd, struct msqid_ds *buf), (id, cmd, buf))

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

/* The fourth argument exists only for the commands that take one (semctl(2)). */
int __real_semctl(int id, int num, int cmd, ...);
int __wrap_semctl(int id, int num, int cmd, ...);
int __wrap_semctl(int id, int num, int cmd, ...)
{
	union semun arg = { 0 };
	va_list ap;

	switch (cmd) {
	case SETVAL: case GETALL: case SETALL: case IPC_STAT: case IPC_SET:
	case IPC_INFO: case SEM_INFO: case SEM_STAT: case SEM_STAT_ANY:
		va_start(ap, cmd);
		arg = va_arg(ap, union semun);
		va_end(ap);
		break;
	}
	if (hit("semctl"))
		return -1;
	return __real_semctl(id, num, cmd, arg);
}

/* POSIX */
WRAP(int, shm_open, -1, (const char *name, int flags, mode_t mode), (name, flags, mode))
WRAP(int, shm_unlink, -1, (const char *name), (name))
WRAP(int, fstat, -1, (int fd, struct stat *st), (fd, st))
WRAP(void *, mmap, MAP_FAILED, (void *addr, size_t len, int prot, int flags, int fd, off_t off),
     (addr, len, prot, flags, fd, off))
WRAP(int, munmap, -1, (void *addr, size_t len), (addr, len))
WRAP(int, sem_close, -1, (sem_t *sem), (sem))
WRAP(int, sem_unlink, -1, (const char *name), (name))
WRAP(int, sem_post, -1, (sem_t *sem), (sem))
WRAP(int, sem_trywait, -1, (sem_t *sem), (sem))
WRAP_TIMED(int, sem_timedwait, -1, (sem_t *sem, const struct timespec *t), (sem, t), t)
WRAP(int, mq_close, -1, (mqd_t mqd), (mqd))
WRAP(int, mq_unlink, -1, (const char *name), (name))
WRAP(int, mq_getattr, -1, (mqd_t mqd, struct mq_attr *attr), (mqd, attr))
WRAP_TIMED(int, mq_timedsend, -1,
	   (mqd_t mqd, const char *msg, size_t len, unsigned prio, const struct timespec *t),
	   (mqd, msg, len, prio, t), t)
WRAP_TIMED(ssize_t, mq_timedreceive, -1,
	   (mqd_t mqd, char *msg, size_t len, unsigned *prio, const struct timespec *t),
	   (mqd, msg, len, prio, t), t)

/* posix_fallocate returns the error number instead of setting errno. */
int __real_posix_fallocate(int fd, off_t off, off_t len);
int __wrap_posix_fallocate(int fd, off_t off, off_t len);
int __wrap_posix_fallocate(int fd, off_t off, off_t len)
{
	return hit("posix_fallocate") ? armed_err : __real_posix_fallocate(fd, off, len);
}

/* sem_open and mq_open take a mode and a value (attributes) with O_CREAT. */
sem_t *__real_sem_open(const char *name, int flags, ...);
sem_t *__wrap_sem_open(const char *name, int flags, ...);
sem_t *__wrap_sem_open(const char *name, int flags, ...)
{
	mode_t mode = 0;
	unsigned value = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	if (hit("sem_open"))
		return SEM_FAILED;
	return __real_sem_open(name, flags, mode, value);
}

mqd_t __real_mq_open(const char *name, int flags, ...);
mqd_t __wrap_mq_open(const char *name, int flags, ...);
mqd_t __wrap_mq_open(const char *name, int flags, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	if (hit("mq_open"))
		return (mqd_t)-1;
	return __real_mq_open(name, flags, mode, attr);
}

/* Memory */
WRAP(void *, malloc, NULL, (size_t size), (size))
WRAP(void *, calloc, NULL, (size_t n, size_t size), (n, size))
WRAP(void *, realloc, NULL, (void *p, size_t size), (p, size))
