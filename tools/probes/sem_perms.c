/*
 * sem_perms.c - who may do what, and when it is checked.
 *
 * SysV: the mode is taken as given, umask or not (shmget(2): "the least
 *       significant 9 bits"); permission is checked at every operation
 *       (msgsnd(2): EACCES), also against the creator itself; only the
 *       owner or creator may remove (shmctl(2): EPERM).
 * POSIX: the mode is filtered by the umask and checked at open only, as
 *       for a file (shm_open(3), mq_open(3)); the creator's own descriptor
 *       works whatever the mode; removal follows the sticky /dev/shm.
 * Root bypasses these checks, so the probes act as nobody when root.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "semantics.h"

#define PAGE 4096

/* Lockstep between the parent and a child as nobody: each waits (bounded)
 * for one byte from the other. */
static int step_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, probe_bound_ms(5000)) != 1 || read(fd, &c, 1) != 1)
		return -ETIMEDOUT;
	return 0;
}

static int step_go(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -EPIPE;
}

struct chmod_case {
	int key, msqid;
	mqd_t mq;
	char name[96];
	int to_child[2], to_parent[2];
};

/* The child, as nobody: opens and sends, lets the parent chmod, sends again.
 * Exit code: the errno of the second send (0: it worked). */
static void chmod_child(struct chmod_case *c, int sysv)
{
	struct { long mtype; char mtext[8]; } m = { 1, "1234567" };
	mqd_t mq = (mqd_t)-1;
	int id = -1;

	if (probe_become_nobody() < 0)
		_exit(PROBE_EXIT_NOBODY);
	if (sysv ? (id = msgget(c->key, 0)) < 0 || msgsnd(id, &m, 8, IPC_NOWAIT) < 0
		 : (mq = mq_open(c->name, O_WRONLY)) == (mqd_t)-1 || mq_send(mq, "1234567", 8, 0) < 0)
		_exit(PROBE_EXIT_SETUP);
	if (step_go(c->to_parent[1]) < 0 || step_wait(c->to_child[0]) < 0)
		_exit(PROBE_EXIT_SETUP);
	if (sysv)
		_exit(msgsnd(id, &m, 8, IPC_NOWAIT) < 0 ? errno : 0);
	_exit(mq_send(mq, "1234567", 8, 0) < 0 ? errno : 0);
}

static int chmod_after_open(struct probe_obs *o, struct chmod_case *c, int sysv)
{
	struct msqid_ds ds;
	int status = 0, rc;
	pid_t pid;

	if (pipe(c->to_child) < 0)
		return -errno;
	if (pipe(c->to_parent) < 0) {
		rc = -errno;
		goto out2;
	}
	if ((pid = probe_fork()) < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0)
		chmod_child(c, sysv);
	if ((rc = step_wait(c->to_parent[0])) == 0) {
		/* SysV: IPC_SET on the queue; POSIX: fchmod on the descriptor */
		if (sysv) {
			msgctl(c->msqid, IPC_STAT, &ds);
			ds.msg_perm.mode = 0600;
			msgctl(c->msqid, IPC_SET, &ds);
		} else {
			fchmod(c->mq, 0600);
		}
		rc = step_go(c->to_child[1]);
	}
	if (probe_reap(pid, probe_bound_ms(5000), &status) < 0)
		rc = -ETIMEDOUT;
	else if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == PROBE_EXIT_NOBODY)
		rc = -EPERM;
	else if (rc == 0)
		probe_say(o, "%s", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "still works"
			  : probe_status_text(status));
out:
	close(c->to_parent[0]);
	close(c->to_parent[1]);
out2:
	close(c->to_child[0]);
	close(c->to_child[1]);
	return rc;
}

int probe_chmod_after_open(struct probe_result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 8 };
	struct chmod_case c = { .key = probe_sysv_key() };
	int rc;

	if (!probe_other_uid(r->skip, sizeof(r->skip)))
		return 1;
	if ((c.msqid = msgget(c.key, IPC_CREAT | IPC_EXCL | 0666)) < 0)
		return -errno;
	rc = chmod_after_open(&r->sysv, &c, 1);
	msgctl(c.msqid, IPC_RMID, NULL);
	if (rc < 0)
		return rc;
	probe_posix_name(c.name, sizeof(c.name), "mq");
	if ((c.mq = mq_open(c.name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
		return -errno;
	if (fchmod(c.mq, 0666) == 0)          /* past the umask */
		rc = chmod_after_open(&r->posix, &c, 0);
	else
		rc = -errno;
	mq_unlink(c.name);
	mq_close(c.mq);
	return rc;
}

/* Mode 0666 under umask 077. */
int probe_umask(struct probe_result *r)
{
	struct shmid_ds ds;
	struct stat st;
	char name[96];
	mode_t old = umask(077);
	int id, fd, rc = 0;

	id = shmget(probe_sysv_key(), PAGE, IPC_CREAT | IPC_EXCL | 0666);
	fd = shm_open(probe_posix_name(name, sizeof(name), "shm"), O_RDWR | O_CREAT | O_EXCL, 0666);
	umask(old);
	if (id < 0 || fd < 0)
		rc = -errno;
	if (id >= 0 && shmctl(id, IPC_STAT, &ds) == 0)
		probe_say(&r->sysv, "%04o", (unsigned)ds.shm_perm.mode & 0777);
	if (fd >= 0 && fstat(fd, &st) == 0)
		probe_say(&r->posix, "%04o", (unsigned)st.st_mode & 0777);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (fd >= 0) {
		shm_unlink(name);
		close(fd);
	}
	return rc;
}

/* In a child that is not root (root bypasses the mode): create with mode
 * 0000, then use the object. */
static int mode_0000(struct probe_result *r)
{
	char name[96];
	void *p;
	int id, fd, fd2;

	if ((id = shmget(probe_sysv_key(), PAGE, IPC_CREAT | IPC_EXCL | 0000)) < 0)
		return -errno;
	p = shmat(id, NULL, 0);
	probe_say(&r->sysv, "shmat: %s", p == (void *)-1 ? probe_errno_name(errno) : "works");
	if (p != (void *)-1)
		shmdt(p);
	shmctl(id, IPC_RMID, NULL);       /* the owner may, whatever the mode */

	probe_posix_name(name, sizeof(name), "shm");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0000)) < 0)
		return -errno;
	p = ftruncate(fd, PAGE) < 0 ? MAP_FAILED
		: mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fd2 = shm_open(name, O_RDWR, 0);
	probe_say(&r->posix, "own descriptor %s; reopening: %s",
		  p == MAP_FAILED ? "fails" : "works", fd2 < 0 ? probe_errno_name(errno) : "works");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	if (fd2 >= 0)
		close(fd2);
	shm_unlink(name);
	close(fd);
	return 0;
}

int probe_mode_0000(struct probe_result *r)
{
	int root = geteuid() == 0;

	if (root && !probe_other_uid(r->skip, sizeof(r->skip)))
		return 1;
	return probe_in_child(r, mode_0000, root, probe_bound_ms(5000));
}

/* Another user with write permission on the object removes it. */
struct removal {
	int id;
	char name[96];
};

static struct removal removal;

static int remove_as_nobody(struct probe_result *r)
{
	probe_say(&r->sysv, "%s", shmctl(removal.id, IPC_RMID, NULL) < 0 ? probe_errno_name(errno)
		  : "removed");
	probe_say(&r->posix, "%s", shm_unlink(removal.name) < 0 ? probe_errno_name(errno)
		  : "removed");
	return 0;
}

int probe_remove_by_other(struct probe_result *r)
{
	int fd, rc;

	if (!probe_other_uid(r->skip, sizeof(r->skip)))
		return 1;
	if ((removal.id = shmget(probe_sysv_key(), PAGE, IPC_CREAT | IPC_EXCL | 0666)) < 0)
		return -errno;
	probe_posix_name(removal.name, sizeof(removal.name), "shm");
	if ((fd = shm_open(removal.name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0) {
		rc = -errno;
		shmctl(removal.id, IPC_RMID, NULL);
		return rc;
	}
	fchmod(fd, 0666);
	close(fd);
	rc = probe_in_child(r, remove_as_nobody, 1, probe_bound_ms(5000));
	shmctl(removal.id, IPC_RMID, NULL);
	shm_unlink(removal.name);
	return rc;
}
