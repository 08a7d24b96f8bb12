/*
 * errno_sem.c - the errno probes of semaphores: semget, semop, semtimedop,
 * semctl (System V) and sem_open, sem_timedwait, sem_trywait, sem_post,
 * sem_unlink (POSIX). One probe a row of errno_rows.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errno_kit.h"
#include "errno_rows.h"

#define PROBE(test) int probe_##test(char *skip __attribute__((unused)), \
				     size_t size __attribute__((unused)))

/* Linux's largest semval (linux/sem.h, which clashes with sys/sem.h); a
 * constant of the kernel, not a tunable. */
#define SEMVMX 32767

union semun {                        /* semctl(2): the caller defines it */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* SysV: a fresh set of nsems semaphores at 0, mode 0600; its id or -errno. */
static int set_make(int key, int nsems)
{
	int id = semget(key, nsems, IPC_CREAT | IPC_EXCL | 0600);

	return id < 0 ? -errno : id;
}

static void set_remove(int id)
{
	if (id >= 0)
		semctl(id, 0, IPC_RMID);
}

static int set_value(int id, int value)
{
	union semun arg = { .val = value };

	return semctl(id, 0, SETVAL, arg) < 0 ? -errno : 0;
}

/* POSIX: a fresh named semaphore at value, 0600. */
static sem_t *named(const char *name, unsigned value)
{
	return sem_open(name, O_CREAT | O_EXCL, 0600, value);
}

static void named_remove(const char *name, sem_t *sem)
{
	if (sem != SEM_FAILED)
		sem_close(sem);
	sem_unlink(name);
}

/* A call that should fail, but opened (maybe made) a semaphore: undo it. */
static int sem_open_err(const char *name, int oflag, unsigned value)
{
	sem_t *sem = sem_open(name, oflag, 0600, value);

	if (sem == SEM_FAILED)
		return errno;
	sem_close(sem);
	if (oflag & O_CREAT)
		sem_unlink(name);
	return 0;
}

static int semop_one(int id, int num, int op, int flags)
{
	struct sembuf sop = { (unsigned short)num, (short)op, (short)flags };

	return KIT_ERR(semop(id, &sop, 1));
}

static int semtimedop_one(int id, int op, const struct timespec *t)
{
	struct sembuf sop = { 0, (short)op, 0 };

	return KIT_ERR(semtimedop(id, &sop, 1, t));
}

static struct timespec relative(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	return t;
}

/* kernel.sem: SEMMSL SEMMNS SEMOPM SEMMNI. */
static int sem_limits(long v[4])
{
	FILE *f = fopen("/proc/sys/kernel/sem", "re");
	int n;

	if (f == NULL)
		return -errno;
	n = fscanf(f, "%ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3]);
	fclose(f);
	return n == 4 ? 0 : -EPROTO;
}

/* ---- exists, missing, removed ---- */

PROBE(semget_exists)
{
	int key = probe_sysv_key(), id = set_make(key, 1), again, err;

	if (id < 0)
		return id;
	again = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	err = KIT_ERR(again);
	set_remove(id);
	return err;
}

PROBE(sem_open_exists)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), 0);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	err = sem_open_err(name, O_CREAT | O_EXCL, 0);
	named_remove(name, sem);
	return err;
}

PROBE(semget_missing)
{
	int id = semget(probe_sysv_key(), 1, 0600), err = KIT_ERR(id);

	set_remove(id);
	return err;
}

PROBE(sem_open_missing)
{
	char name[KIT_NAME];

	return sem_open_err(probe_posix_name(name, sizeof(name), "sem"), 0, 0);
}

PROBE(semctl_remove_again)
{
	int id = set_make(probe_sysv_key(), 1);

	if (id < 0)
		return id;
	if (semctl(id, 0, IPC_RMID) < 0)
		return -errno;
	return KIT_ERR(semctl(id, 0, IPC_RMID));
}

PROBE(sem_unlink_missing)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), 0);

	if (sem == SEM_FAILED)
		return -errno;
	named_remove(name, sem);
	return KIT_ERR(sem_unlink(name));
}

PROBE(semop_removed)
{
	int id = set_make(probe_sysv_key(), 1);

	if (id < 0)
		return id;
	set_remove(id);
	return semop_one(id, 0, 1, 0);
}

/* POSIX: sem_unlink removes the name; the semaphore lives on while open. */
PROBE(sem_post_removed)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), 0);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	sem_unlink(name);
	err = KIT_ERR(sem_post(sem));
	sem_close(sem);
	return err;
}

/* ---- waits: removed, timed out, interrupted ---- */

struct waiter {
	int id;                      /* SysV set, or -1 */
	sem_t *sem;                  /* POSIX semaphore, or SEM_FAILED */
	const char *name;
	int ms;                      /* how long the waiter waits */
};

static int wait_semtimedop(void *arg)
{
	struct waiter *w = arg;
	struct timespec t = relative(w->ms);

	return semtimedop_one(w->id, -1, &t);
}

static int wait_sem_timedwait(void *arg)
{
	struct waiter *w = arg;
	struct timespec t = kit_deadline(w->ms);

	return KIT_ERR(sem_timedwait(w->sem, &t));
}

static int remove_set(void *arg)
{
	struct waiter *w = arg;

	return semctl(w->id, 0, IPC_RMID) < 0 ? -errno : 0;
}

static int unlink_named(void *arg)
{
	struct waiter *w = arg;

	return sem_unlink(w->name) < 0 ? -errno : 0;
}

/* A SysV waiter on a set at 0, blocked in semtimedop while the parent
 * removes the set or signals it. */
static int sysv_blocked(int (*act)(void *), int sig, int restart, int ms)
{
	struct waiter w = { set_make(probe_sysv_key(), 1), SEM_FAILED, NULL, ms };
	struct kit_blocked b = { wait_semtimedop, SYS_semtimedop, act, sig, restart, &w };
	int err;

	if (w.id < 0)
		return w.id;
	err = kit_while_blocked(&b);
	set_remove(w.id);
	return err;
}

/* The same for a POSIX waiter in sem_timedwait (a futex wait in glibc). */
static int posix_blocked(int (*act)(void *), int sig, int restart, int ms)
{
	char name[KIT_NAME];
	struct waiter w = { -1, SEM_FAILED, probe_posix_name(name, sizeof(name), "sem"), ms };
	struct kit_blocked b = { wait_sem_timedwait, SYS_futex, act, sig, restart, &w };
	int err;

	if ((w.sem = named(name, 0)) == SEM_FAILED)
		return -errno;
	err = kit_while_blocked(&b);
	named_remove(name, w.sem);
	return err;
}

/* A wait that ends when the parent acts: bounded, but never reached. */
static int long_wait(void)
{
	return 10 * kit_wait_ms() + 5000;
}

PROBE(semtimedop_removed_waiting)
{
	return sysv_blocked(remove_set, 0, 0, long_wait());
}

/* POSIX: the waiter has the semaphore mapped; unlinking the name does not
 * wake it, so it waits until its timeout. */
PROBE(sem_timedwait_unlinked_waiting)
{
	return posix_blocked(unlink_named, 0, 0, kit_wait_ms());
}

PROBE(semtimedop_interrupted)
{
	return sysv_blocked(NULL, SIGUSR1, 0, long_wait());
}

PROBE(sem_timedwait_interrupted)
{
	return posix_blocked(NULL, SIGUSR1, 0, long_wait());
}

/* A short wait: a call that is restarted runs into its timeout instead. */
PROBE(semtimedop_interrupted_restart)
{
	return sysv_blocked(NULL, SIGUSR1, 1, kit_wait_ms());
}

PROBE(sem_timedwait_interrupted_restart)
{
	return posix_blocked(NULL, SIGUSR1, 1, kit_wait_ms());
}

PROBE(semtimedop_timeout)
{
	int id = set_make(probe_sysv_key(), 1), err;
	struct timespec t = relative(1);

	if (id < 0)
		return id;
	err = semtimedop_one(id, -1, &t);
	set_remove(id);
	return err;
}

PROBE(sem_timedwait_timeout)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), 0);
	struct timespec t = kit_deadline(1);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	err = KIT_ERR(sem_timedwait(sem, &t));
	named_remove(name, sem);
	return err;
}

PROBE(semop_nowait)
{
	int id = set_make(probe_sysv_key(), 1), err;

	if (id < 0)
		return id;
	err = semop_one(id, 0, -1, IPC_NOWAIT);
	set_remove(id);
	return err;
}

PROBE(sem_trywait_nowait)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), 0);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	err = KIT_ERR(sem_trywait(sem));
	named_remove(name, sem);
	return err;
}

/* ---- bad timeouts: on a semaphore at 0 (would block) or 1 (would not) ---- */

static int sysv_timeout(int value, int op, struct timespec t)
{
	int id = set_make(probe_sysv_key(), 1), err;

	if (id < 0)
		return id;
	if ((err = set_value(id, value)) == 0)
		err = semtimedop_one(id, op, &t);
	set_remove(id);
	return err;
}

static int posix_timeout(unsigned value, struct timespec t)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), value);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	err = KIT_ERR(sem_timedwait(sem, &t));
	named_remove(name, sem);
	return err;
}

static const struct timespec bad_nsec = { 0, 1000000000 };
static const struct timespec negative = { -1, 0 };

PROBE(semtimedop_bad_nsec)
{
	return sysv_timeout(0, -1, bad_nsec);
}

PROBE(sem_timedwait_bad_nsec)
{
	return posix_timeout(0, bad_nsec);
}

PROBE(semtimedop_bad_nsec_ready)
{
	return sysv_timeout(1, -1, bad_nsec);
}

PROBE(sem_timedwait_bad_nsec_ready)
{
	return posix_timeout(1, bad_nsec);
}

PROBE(semtimedop_negative_timeout)
{
	return sysv_timeout(0, -1, negative);
}

/* An absolute time before the epoch is simply in the past. */
PROBE(sem_timedwait_negative_timeout)
{
	return posix_timeout(0, negative);
}

/* ---- another user ---- */

/* Root's fresh set of one semaphore, met by fn(&id) as nobody. */
static int set_as_nobody(int (*fn)(void *), char *skip, size_t size)
{
	int id = set_make(probe_sysv_key(), 1), err;

	if (id < 0)
		return id;
	err = kit_as_nobody(fn, &id, skip, size);
	set_remove(id);
	return err;
}

/* Root's fresh named semaphore, met by fn(name) as nobody. */
static int named_as_nobody(int (*fn)(void *), char *skip, size_t size)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), 0);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	err = kit_as_nobody(fn, name, skip, size);
	named_remove(name, sem);
	return err;
}

static int nobody_semget(void *arg)
{
	return KIT_ERR(semget(*(int *)arg, 1, 0600));
}

PROBE(semget_no_permission)
{
	int key = probe_sysv_key(), id = set_make(key, 1), err;

	if (id < 0)
		return id;
	err = kit_as_nobody(nobody_semget, &key, skip, size);
	set_remove(id);
	return err;
}

static int nobody_sem_open(void *arg)
{
	return sem_open_err(arg, 0, 0);
}

PROBE(sem_open_no_permission)
{
	return named_as_nobody(nobody_sem_open, skip, size);
}

static int nobody_semop(void *arg)
{
	return semop_one(*(int *)arg, 0, 1, IPC_NOWAIT);
}

PROBE(semop_no_permission)
{
	return set_as_nobody(nobody_semop, skip, size);
}

static int nobody_semctl_rmid(void *arg)
{
	return KIT_ERR(semctl(*(int *)arg, 0, IPC_RMID));
}

PROBE(semctl_rmid_not_owner)
{
	return set_as_nobody(nobody_semctl_rmid, skip, size);
}

static int nobody_sem_unlink(void *arg)
{
	return KIT_ERR(sem_unlink(arg));
}

/* As shm_unlink: the kernel's EPERM (sticky /dev/shm) becomes EACCES in
 * glibc. */
PROBE(sem_unlink_not_owner)
{
	return named_as_nobody(nobody_sem_unlink, skip, size);
}

/* ---- limits and values ---- */

PROBE(semget_over_semmsl)
{
	long lim[4];
	int id, err = sem_limits(lim);

	if (err < 0)
		return err;
	id = semget(probe_sysv_key(), (int)lim[0] + 1, IPC_CREAT | IPC_EXCL | 0600);
	err = KIT_ERR(id);
	set_remove(id);
	return err;
}

PROBE(semop_over_semopm)
{
	long lim[4];
	int id, err = sem_limits(lim);
	struct sembuf *sops;

	if (err < 0)
		return err;
	if ((sops = calloc((size_t)lim[2] + 1, sizeof(*sops))) == NULL)
		return -ENOMEM;
	if ((id = set_make(probe_sysv_key(), 1)) < 0) {
		free(sops);
		return id;
	}
	for (long i = 0; i <= lim[2]; i++)
		sops[i].sem_flg = IPC_NOWAIT;      /* sem_op 0 on a semaphore at 0: no wait */
	err = KIT_ERR(semop(id, sops, (size_t)lim[2] + 1));
	set_remove(id);
	free(sops);
	return err;
}

/* Lowers one field of kernel.sem in this private IPC namespace, creates
 * sets of nsems until one fails (at most 4), undoes it all. */
static int sem_exhaust(int field, int nsems, char *skip, size_t size)
{
	char old[128], value[128];
	long lim[4];
	int id[4], n = 0, err = 0, rc;

	if ((rc = kit_private_ipc(skip, size)) != 0)
		return rc;
	if ((rc = sem_limits(lim)) < 0)
		return rc;
	lim[field] = 1;
	snprintf(value, sizeof(value), "%ld %ld %ld %ld", lim[0], lim[1], lim[2], lim[3]);
	if ((rc = kit_sysctl_set("kernel/sem", value, old, sizeof(old))) < 0) {
		snprintf(skip, size, "cannot write /proc/sys/kernel/sem here: %s", strerror(-rc));
		return PROBE_SKIPPED;
	}
	while (n < 4 && err == 0) {
		id[n] = semget(probe_sysv_key(), nsems, IPC_CREAT | IPC_EXCL | 0600);
		err = KIT_ERR(id[n]);
		n++;
	}
	while (n-- > 0)
		set_remove(id[n]);
	if ((rc = kit_sysctl_set("kernel/sem", old, NULL, 0)) < 0)
		return rc;
	return err;
}

PROBE(semget_over_semmni)
{
	return sem_exhaust(3, 1, skip, size);
}

PROBE(semget_over_semmns)
{
	return sem_exhaust(1, 2, skip, size);
}

static int sem_open_no_fd(void *arg)
{
	return sem_open_err(arg, O_CREAT | O_EXCL, 0);
}

PROBE(sem_open_over_rlimit_nofile)
{
	char name[KIT_NAME];
	int err = kit_child_no_fds(sem_open_no_fd, (void *)probe_posix_name(name, sizeof(name), "sem"));

	sem_unlink(name);
	return err;
}

PROBE(semop_over_semvmx)
{
	int id = set_make(probe_sysv_key(), 1), err;

	if (id < 0)
		return id;
	if ((err = set_value(id, SEMVMX)) == 0)
		err = semop_one(id, 0, 1, IPC_NOWAIT);
	set_remove(id);
	return err;
}

PROBE(sem_post_overflow)
{
	char name[KIT_NAME];
	sem_t *sem = named(probe_posix_name(name, sizeof(name), "sem"), SEM_VALUE_MAX);
	int err;

	if (sem == SEM_FAILED)
		return -errno;
	err = KIT_ERR(sem_post(sem));
	named_remove(name, sem);
	return err;
}

PROBE(semctl_setval_over_semvmx)
{
	int id = set_make(probe_sysv_key(), 1), err;
	union semun arg = { .val = SEMVMX + 1 };

	if (id < 0)
		return id;
	err = KIT_ERR(semctl(id, 0, SETVAL, arg));
	set_remove(id);
	return err;
}

PROBE(sem_open_value_over_max)
{
	char name[KIT_NAME];

	return sem_open_err(probe_posix_name(name, sizeof(name), "sem"), O_CREAT | O_EXCL,
			    (unsigned)SEM_VALUE_MAX + 1);
}

PROBE(semctl_setval_negative)
{
	int id = set_make(probe_sysv_key(), 1), err;
	union semun arg = { .val = -1 };

	if (id < 0)
		return id;
	err = KIT_ERR(semctl(id, 0, SETVAL, arg));
	set_remove(id);
	return err;
}

/* ---- bad ids, indexes, counts ---- */

PROBE(semop_bad_id)
{
	return semop_one(-1, 0, 1, IPC_NOWAIT);
}

PROBE(semop_bad_index)
{
	int id = set_make(probe_sysv_key(), 1), err;

	if (id < 0)
		return id;
	err = semop_one(id, 1, 1, IPC_NOWAIT);
	set_remove(id);
	return err;
}

PROBE(semget_more_than_existing)
{
	int key = probe_sysv_key(), id = set_make(key, 1), err;

	if (id < 0)
		return id;
	err = KIT_ERR(semget(key, 2, 0600));
	set_remove(id);
	return err;
}

PROBE(semop_zero_nsops)
{
	int id = set_make(probe_sysv_key(), 1), err;
	struct sembuf sop = { 0, 1, IPC_NOWAIT };

	if (id < 0)
		return id;
	err = KIT_ERR(semop(id, &sop, 0));
	set_remove(id);
	return err;
}

/* ---- names ---- */

/* glibc strips the leading slashes: /dev/shm/sem.NAME either way. */
PROBE(sem_open_no_slash)
{
	char name[KIT_NAME];

	return sem_open_err(probe_posix_name(name, sizeof(name), "sem") + 1, O_CREAT | O_EXCL, 0);
}

PROBE(sem_open_slash_inside)
{
	char name[KIT_NAME];

	return sem_open_err(probe_posix_name(name, sizeof(name), "dir/sem"), O_CREAT | O_EXCL, 0);
}

PROBE(sem_open_just_slash)
{
	return sem_open_err("/", O_CREAT | O_EXCL, 0);
}

PROBE(sem_open_name_too_long)
{
	char name[KIT_NAME];

	return sem_open_err(kit_long_name(name, sizeof(name), NAME_MAX + 1), O_CREAT | O_EXCL, 0);
}

PROBE(sem_unlink_name_too_long)
{
	char name[KIT_NAME];

	return KIT_ERR(sem_unlink(kit_long_name(name, sizeof(name), NAME_MAX + 1)));
}

/* glibc opens /dev/shm/sem.NAME: NAME_MAX - 3 characters are already too
 * many for the file, though the name itself is under NAME_MAX. */
PROBE(sem_open_file_name_too_long)
{
	char name[KIT_NAME];

	return sem_open_err(kit_long_name(name, sizeof(name), NAME_MAX - 3), O_CREAT | O_EXCL, 0);
}

PROBE(sem_unlink_file_name_too_long)
{
	char name[KIT_NAME];

	return KIT_ERR(sem_unlink(kit_long_name(name, sizeof(name), NAME_MAX - 3)));
}
