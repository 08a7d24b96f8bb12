/*
 * sem_semaphores.c - semaphores: range, creation, atomic sets, waiters.
 *
 * SysV: a value is at most SEMVMX, 32767 (semctl(2), semop(2): ERANGE);
 *       semget makes a set whose values are 0 on Linux and a second call
 *       (SETVAL) sets them, a window other processes can see, told by
 *       sem_otime 0 (semget(2)); semop changes several semaphores of a set
 *       all or none; GETNCNT counts the waiters (semctl(2)).
 * POSIX: a value is at most SEM_VALUE_MAX (sem_post(3): EOVERFLOW);
 *       sem_open creates with its value in one call; one semaphore per
 *       call; sem_getvalue gives 0 when there are waiters on Linux
 *       (sem_getvalue(3)).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

#include "probe_block.h"
#include "semantics.h"

static sem_t *posix_sem(unsigned value)
{
	char name[96];
	sem_t *sem = sem_open(probe_posix_name(name, sizeof(name), "sem"), O_CREAT | O_EXCL, 0600, value);

	if (sem != SEM_FAILED)
		sem_unlink(name);
	return sem;
}

int probe_sem_max_value(struct probe_result *r)
{
	struct sembuf up = { .sem_num = 0, .sem_op = 1, .sem_flg = IPC_NOWAIT };
	int id, max, rc;
	sem_t *sem;

	if ((id = semget(probe_sysv_key(), 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	/* the largest value SETVAL takes, by halving the step */
	max = 0;
	for (int step = 1 << 30; step > 0; step >>= 1)
		if (semctl(id, 0, SETVAL, max + step) == 0)
			max += step;
	semctl(id, 0, SETVAL, max);
	rc = semop(id, &up, 1);
	probe_say(&r->sysv, "%d; one more: %s", max, rc < 0 ? probe_errno_name(errno) : "0");
	semctl(id, 0, IPC_RMID);
	if ((sem = posix_sem(SEM_VALUE_MAX)) == SEM_FAILED)
		return -errno;
	rc = sem_post(sem);
	probe_say(&r->posix, "%d; one more: %s", SEM_VALUE_MAX, rc < 0 ? probe_errno_name(errno) : "0");
	sem_close(sem);
	return 0;
}

int probe_sem_initial_value(struct probe_result *r)
{
	struct semid_ds ds;
	int id, val;
	sem_t *sem;

	if ((id = semget(probe_sysv_key(), 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	val = semctl(id, 0, GETVAL);
	semctl(id, 0, IPC_STAT, &ds);
	probe_say(&r->sysv, "value %d at create, sem_otime %ld", val, (long)ds.sem_otime);
	semctl(id, 0, IPC_RMID);
	if ((sem = posix_sem(3)) == SEM_FAILED)
		return -errno;
	sem_getvalue(sem, &val);
	probe_say(&r->posix, "value %d at create (sem_open's value)", val);
	sem_close(sem);
	return 0;
}

int probe_sem_atomic_set(struct probe_result *r)
{
	struct sembuf both[2] = {
		{ .sem_num = 0, .sem_op = -1, .sem_flg = IPC_NOWAIT },
		{ .sem_num = 1, .sem_op = -1, .sem_flg = IPC_NOWAIT },
	};
	int id, rc, v0, v1;
	sem_t *a, *b;

	/* values 1 and 0: the first could be taken, the second not */
	if ((id = semget(probe_sysv_key(), 2, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	semctl(id, 0, SETVAL, 1);
	rc = semop(id, both, 2);
	v0 = semctl(id, 0, GETVAL);
	v1 = semctl(id, 1, GETVAL);
	probe_say(&r->sysv, "%s; values %d,%d: %s", rc < 0 ? probe_errno_name(errno) : "0", v0, v1,
		  v0 == 1 ? "neither taken" : "the first taken");
	semctl(id, 0, IPC_RMID);
	a = posix_sem(1);
	b = posix_sem(0);
	if (a == SEM_FAILED || b == SEM_FAILED) {
		rc = -errno;
	} else {
		/* one semaphore a call: the first is taken before the second fails */
		sem_trywait(a);
		rc = sem_trywait(b);
		sem_getvalue(a, &v0);
		sem_getvalue(b, &v1);
		probe_say(&r->posix, "%s; values %d,%d: %s", rc < 0 ? probe_errno_name(errno) : "0",
			  v0, v1, v0 == 1 ? "neither taken" : "the first taken");
		rc = 0;
	}
	if (a != SEM_FAILED)
		sem_close(a);
	if (b != SEM_FAILED)
		sem_close(b);
	return rc;
}

static int waiters(struct probe_obs *o, enum block_call call)
{
	struct blocker b;
	pid_t pid = -1;
	int status = 0, rc, val = -1;

	if ((rc = block_setup(&b, call)) < 0 || (rc = block_start(&b, NULL, &pid)) < 0)
		goto out;
	if (block_is_sysv(call)) {
		probe_say(o, "GETNCNT %d", semctl(b.id, 0, GETNCNT));
	} else {
		sem_getvalue(b.sem, &val);
		probe_say(o, "sem_getvalue %d; no count of waiters", val);
	}
	block_release(&b);
	rc = probe_reap(pid, probe_bound_ms(5000), &status);
	pid = -1;
out:
	if (pid > 0)
		probe_reap(pid, 0, &status);
	block_cleanup(&b);
	return rc;
}

int probe_sem_waiters(struct probe_result *r)
{
	int rc = waiters(&r->sysv, BLOCK_SEMOP);

	return rc < 0 ? rc : waiters(&r->posix, BLOCK_SEM_WAIT);
}
