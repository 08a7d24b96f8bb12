/*
 * sem_process.c - what fork and exec do to IPC objects.
 *
 * SysV: a child inherits the parent's attachments (shm_nattch counts it)
 *       but not its semaphore adjustments (fork(2): "The child does not
 *       inherit semaphore adjustments"); exec detaches every segment
 *       (shmat(2)).
 * POSIX: a child inherits mappings and descriptors; exec unmaps, and the
 *       descriptors of shm_open and mq_open are close-on-exec
 *       (shm_open(3), mq_overview(7)).
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "semantics.h"

#define PAGE 4096
#define SHELL "/bin/sh"

int probe_fork_inherits(struct probe_result *r)
{
	struct shmid_ds ds;
	char name[96];
	volatile char *p, *q;
	int id, fd, status = 0, rc = 0;
	pid_t pid;

	if ((id = shmget(probe_sysv_key(), PAGE, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_posix_name(name, sizeof(name), "shm");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0) {
		rc = -errno;
		shmctl(id, IPC_RMID, NULL);
		return rc;
	}
	shm_unlink(name);
	p = shmat(id, NULL, 0);
	q = ftruncate(fd, PAGE) < 0 ? MAP_FAILED
		: mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == (void *)-1 || q == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	/* the child reports its view: nattch seen, then writes through both */
	if ((pid = probe_fork()) == 0) {
		if (shmctl(id, IPC_STAT, &ds) < 0)
			_exit(PROBE_EXIT_SETUP);
		p[0] = 1;
		q[0] = 1;
		_exit((int)ds.shm_nattch);
	}
	if (pid < 0 || probe_reap(pid, probe_bound_ms(5000), &status) < 0 || !WIFEXITED(status)) {
		rc = -ECHILD;
		goto out;
	}
	probe_say(&r->sysv, "child attached (shm_nattch %d), writes shared%s", WEXITSTATUS(status),
		  p[0] == 1 ? "" : " NOT");
	probe_say(&r->posix, "child has the mapping, writes shared%s", q[0] == 1 ? "" : " NOT");
out:
	if (p != (void *)-1)
		shmdt((void *)p);
	if (q != MAP_FAILED)
		munmap((void *)q, PAGE);
	shmctl(id, IPC_RMID, NULL);
	close(fd);
	return rc;
}

/* Does /proc/PID/maps or /proc/PID/fd show text? */
static int proc_shows(pid_t pid, const char *what, const char *text)
{
	char path[64], buf[512];
	FILE *f;
	int found = 0;

	if (strcmp(what, "maps") == 0) {
		snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
		if ((f = fopen(path, "re")) == NULL)
			return -1;
		while (!found && fgets(buf, sizeof(buf), f) != NULL)
			found = strstr(buf, text) != NULL;
		fclose(f);
		return found;
	}
	for (int fd = 0; fd < 64 && !found; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
		if ((n = readlink(path, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			found = strstr(buf, text) != NULL;
		}
	}
	return found;
}

int probe_exec_drops(struct probe_result *r)
{
	struct shmid_ds ds;
	char name[96], mqname[96];
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	void *p = (void *)-1, *q = MAP_FAILED;
	int id, fd, keep[2] = { -1, -1 }, status = 0, rc = 0, in_maps, fd_shm, fd_mq;
	mqd_t mq = (mqd_t)-1;
	pid_t pid = -1;

	if (access(SHELL, X_OK) < 0)
		return probe_skip(r, "needs " SHELL " to exec: there is none here");
	if ((id = shmget(probe_sysv_key(), PAGE, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_posix_name(name, sizeof(name), "shm");
	probe_posix_name(mqname, sizeof(mqname), "mq");
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	mq = mq_open(mqname, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (fd < 0 || mq == (mqd_t)-1 || (p = shmat(id, NULL, 0)) == (void *)-1 ||
	    ftruncate(fd, PAGE) < 0 ||
	    (q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED ||
	    pipe(keep) < 0) {
		rc = -errno;
		goto out;
	}
	/* the child execs a shell that waits on the pipe: the parent looks at it */
	if ((pid = probe_fork()) == 0) {
		/* the shell's read ends only when no one holds the write end */
		close(keep[1]);
		dup2(keep[0], 0);
		execl(SHELL, "sh", "-c", "read x", (char *)NULL);
		_exit(PROBE_EXIT_SETUP);
	}
	if (pid < 0 || (rc = probe_wait_in_call(pid, SYS_read, probe_bound_ms(5000))) < 0) {
		rc = pid < 0 ? -errno : rc;
		goto out;
	}
	shmctl(id, IPC_STAT, &ds);
	in_maps = proc_shows(pid, "maps", "SYSV");
	probe_say(&r->sysv, "%s (shm_nattch %lu)", in_maps ? "still attached" : "detached",
		  (unsigned long)ds.shm_nattch);
	in_maps = proc_shows(pid, "maps", name + 1);
	fd_shm = proc_shows(pid, "fd", name + 1);
	fd_mq = proc_shows(pid, "fd", mqname + 1);
	probe_say(&r->posix, "%s; descriptors %s", in_maps ? "still mapped" : "unmapped",
		  fd_shm || fd_mq ? "kept" : "closed");
	probe_note(&r->posix, "shm descriptor %s, mq descriptor %s", fd_shm ? "kept" : "closed",
		   fd_mq ? "kept" : "closed");
out:
	if (keep[1] >= 0)
		close(keep[1]);          /* the shell's read ends */
	if (pid > 0)
		probe_reap(pid, probe_bound_ms(5000), &status);
	if (keep[0] >= 0)
		close(keep[0]);
	if (p != (void *)-1)
		shmdt(p);
	if (q != MAP_FAILED)
		munmap(q, PAGE);
	shmctl(id, IPC_RMID, NULL);
	if (fd >= 0) {
		shm_unlink(name);
		close(fd);
	}
	if (mq != (mqd_t)-1) {
		mq_unlink(mqname);
		mq_close(mq);
	}
	return rc;
}

/* The parent holds a lock taken with SEM_UNDO; a child it forked exits. */
int probe_fork_semadj(struct probe_result *r)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO | IPC_NOWAIT };
	char name[96];
	sem_t *sem;
	int id, val = -1, status = 0, rc = 0;
	pid_t pid;

	if ((id = semget(probe_sysv_key(), 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_posix_name(name, sizeof(name), "sem");
	if ((sem = sem_open(name, O_CREAT | O_EXCL, 0600, 1)) == SEM_FAILED) {
		rc = -errno;
		semctl(id, 0, IPC_RMID);
		return rc;
	}
	sem_unlink(name);
	if (semctl(id, 0, SETVAL, 1) < 0 || semop(id, &down, 1) < 0 || sem_trywait(sem) < 0) {
		rc = -errno;
		goto out;
	}
	if ((pid = probe_fork()) == 0)
		_exit(0);
	if (pid < 0 || probe_reap(pid, probe_bound_ms(5000), &status) < 0) {
		rc = -ECHILD;
		goto out;
	}
	val = semctl(id, 0, GETVAL);
	probe_say(&r->sysv, val == 0 ? "still held: the child had no semadj" : "released by the child's exit (value %d)", val);
	sem_getvalue(sem, &val);
	probe_say(&r->posix, val == 0 ? "still held: nothing to undo" : "released (value %d)", val);
	/* SysV: the parent's own adjustment is still due; undo it by hand */
	down.sem_op = 1;
	semop(id, &down, 1);
out:
	semctl(id, 0, IPC_RMID);
	sem_close(sem);
	return rc;
}
