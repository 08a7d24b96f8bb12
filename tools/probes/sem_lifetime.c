/*
 * sem_lifetime.c - how long objects live: removed while in use, a lock
 * holder killed, the creator gone.
 *
 * SysV: IPC_RMID marks a segment SHM_DEST and frees its key at once; the
 *       segment lives until the last detach (shmctl(2)). SEM_UNDO makes
 *       the kernel undo a dead process's semaphore operations (semop(2)).
 * POSIX: shm_unlink and sem_unlink remove the name; mappings and open
 *       semaphores keep working (shm_unlink(3), sem_unlink(3)). Nothing
 *       undoes a dead holder's sem_wait; a robust process-shared mutex
 *       tells the next locker with EOWNERDEAD (pthread_mutexattr_setrobust(3)).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "semantics.h"

#define PAGE 4096

int probe_remove_while_attached(struct probe_result *r)
{
	char name[96];
	struct shmid_ds ds;
	int key = probe_sysv_key(), id, id2, fd, rc = 0;
	volatile char *p, *q;

	/* SysV */
	if ((id = shmget(key, PAGE, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	p = shmat(id, NULL, 0);
	if (p == (void *)-1 || shmctl(id, IPC_RMID, NULL) < 0) {
		rc = -errno;
		if (p != (void *)-1)
			shmdt((void *)p);
		shmctl(id, IPC_RMID, NULL);
		return rc;
	}
	p[0] = 42;
	ds.shm_perm.mode = 0;
	shmctl(id, IPC_STAT, &ds);
	id2 = shmget(key, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	/* Linux attaches a segment marked for destruction, by its id (shmctl(2)) */
	q = shmat(id, NULL, 0);
	probe_say(&r->sysv, "mapping works; %s; key %s; shmat by id %s", 
		  ds.shm_perm.mode & SHM_DEST ? "SHM_DEST" : "no SHM_DEST",
		  id2 >= 0 ? "free at once" : probe_errno_name(errno),
		  q == (void *)-1 ? probe_errno_name(errno) : q[0] == 42 ? "works" : "other memory");
	if (q != (void *)-1)
		shmdt((void *)q);
	if (id2 >= 0)
		shmctl(id2, IPC_RMID, NULL);
	p[0] = p[0] == 42 ? 0 : 1;
	shmdt((void *)p);

	/* POSIX */
	probe_posix_name(name, sizeof(name), "shm");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	if (ftruncate(fd, PAGE) < 0 ||
	    (p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		rc = -errno;
		shm_unlink(name);
		close(fd);
		return rc;
	}
	shm_unlink(name);
	p[0] = 42;
	id2 = shm_open(name, O_RDWR, 0);
	probe_say(&r->posix, "mapping works; name %s", id2 >= 0 ? "still there" :
		  errno == ENOENT ? "gone (ENOENT)" : probe_errno_name(errno));
	if (id2 >= 0)
		close(id2);
	munmap((void *)p, PAGE);
	close(fd);
	return 0;
}

/* Children: take the lock, then die holding it. */
static void die_holding_sysv(int id)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO | IPC_NOWAIT };

	if (semop(id, &down, 1) < 0)
		_exit(PROBE_EXIT_SETUP);
	raise(SIGKILL);
	_exit(PROBE_EXIT_SETUP);
}

static int killed_child(void (*fn)(void *), void *arg)
{
	int status = 0, rc;
	pid_t pid = probe_fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		fn(arg);
	if ((rc = probe_reap(pid, probe_bound_ms(5000), &status)) < 0)
		return rc;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -ECHILD;
}

static void sysv_holder(void *arg)
{
	die_holding_sysv(*(int *)arg);
}

static void posix_holder(void *arg)
{
	if (sem_trywait(arg) < 0)
		_exit(PROBE_EXIT_SETUP);
	raise(SIGKILL);
	_exit(PROBE_EXIT_SETUP);
}

static int sysv_killed_holder(struct probe_obs *o, int check_nowait)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1, .sem_flg = IPC_NOWAIT };
	int id, rc, val;

	if ((id = semget(probe_sysv_key(), 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	if (semctl(id, 0, SETVAL, 1) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = killed_child(sysv_holder, &id)) < 0)
		goto out;
	val = semctl(id, 0, GETVAL);
	if (!check_nowait)
		probe_say(o, val == 1 ? "released by the kernel" : "still held (value %d)", val);
	else if (semop(id, &down, 1) == 0)
		probe_say(o, "taken; no sign that the holder died");
	else
		probe_say(o, "%s", probe_errno_name(errno));
	probe_note(o, "semval %d after the holder's SIGKILL", val);
out:
	semctl(id, 0, IPC_RMID);
	return rc;
}

int probe_lock_holder_killed(struct probe_result *r)
{
	char name[96];
	sem_t *sem;
	int rc, val = -1;

	if ((rc = sysv_killed_holder(&r->sysv, 0)) < 0)
		return rc;
	probe_posix_name(name, sizeof(name), "sem");
	if ((sem = sem_open(name, O_CREAT | O_EXCL, 0600, 1)) == SEM_FAILED)
		return -errno;
	sem_unlink(name);
	if ((rc = killed_child(posix_holder, sem)) == 0) {
		sem_getvalue(sem, &val);
		probe_say(&r->posix, val == 1 ? "released" : "still held (value %d)", val);
	}
	sem_close(sem);
	return rc;
}

static void mutex_holder(void *arg)
{
	if (pthread_mutex_lock(arg) != 0)
		_exit(PROBE_EXIT_SETUP);
	raise(SIGKILL);
	_exit(PROBE_EXIT_SETUP);
}

int probe_lock_owner_dead(struct probe_result *r)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *m;
	char name[96];
	int fd, rc, err;

	if ((rc = sysv_killed_holder(&r->sysv, 1)) < 0)
		return rc;
	/* POSIX: a robust, process-shared mutex in POSIX shared memory */
	probe_posix_name(name, sizeof(name), "shm");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	shm_unlink(name);
	if (ftruncate(fd, PAGE) < 0 ||
	    (m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	if ((rc = killed_child(mutex_holder, m)) == 0) {
		err = pthread_mutex_trylock(m);
		probe_say(&r->posix, "%s", probe_errno_name(err));
		if (err == EOWNERDEAD) {
			pthread_mutex_consistent(m);
			pthread_mutex_unlock(m);
		} else if (err == 0) {
			pthread_mutex_unlock(m);
		}
	}
	pthread_mutex_destroy(m);
	munmap(m, PAGE);
	return rc;
}

/* The creator makes a segment and a POSIX object, and exits. */
struct made {
	int key;
	char name[96];
};

static void create_and_exit(void *arg)
{
	struct made *m = arg;
	int fd;

	if (shmget(m->key, PAGE, IPC_CREAT | IPC_EXCL | 0600) < 0)
		_exit(PROBE_EXIT_SETUP);
	if ((fd = shm_open(m->name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		_exit(PROBE_EXIT_SETUP);
	raise(SIGKILL);
	_exit(PROBE_EXIT_SETUP);
}

int probe_outlive_creator(struct probe_result *r)
{
	struct made m = { .key = probe_sysv_key() };
	int id, fd, rc;

	probe_posix_name(m.name, sizeof(m.name), "shm");
	rc = killed_child(create_and_exit, &m);
	id = shmget(m.key, 0, 0);
	fd = shm_open(m.name, O_RDWR, 0);
	probe_say(&r->sysv, "%s", id >= 0 ? "still there" : probe_errno_name(errno));
	probe_say(&r->posix, "%s", fd >= 0 ? "still there" : probe_errno_name(errno));
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (fd >= 0)
		close(fd);
	shm_unlink(m.name);
	return rc;
}
