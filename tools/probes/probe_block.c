/* probe_block.c - see probe_block.h. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_block.h"

#define MSG_BYTES 8
#define LONG_WAIT_S 30               /* longer than any probe: only a release ends it */

struct msg8 {
	long mtype;
	char mtext[MSG_BYTES];
};

static const struct {
	const char *name;
	long nr;                     /* the system call the child sleeps in */
	const char *release;         /* what block_release does */
} calls[] = {
	/* glibc makes semop a semtimedop without a timeout */
	[BLOCK_SEMOP] = { "semop", SYS_semtimedop, "semop +1" },
	[BLOCK_SEMTIMEDOP] = { "semtimedop", SYS_semtimedop, "semop +1" },
	[BLOCK_MSGRCV] = { "msgrcv", SYS_msgrcv, "msgsnd" },
	[BLOCK_MSGSND] = { "msgsnd", SYS_msgsnd, "msgrcv" },
	[BLOCK_SEM_WAIT] = { "sem_wait", SYS_futex, "sem_post" },
	[BLOCK_SEM_TIMEDWAIT] = { "sem_timedwait", SYS_futex, "sem_post" },
	[BLOCK_MQ_RECEIVE] = { "mq_receive", SYS_mq_timedreceive, "mq_send" },
	[BLOCK_MQ_SEND] = { "mq_send", SYS_mq_timedsend, "mq_receive" },
};

const char *block_release_name(enum block_call call)
{
	return calls[call].release;
}

int block_is_sysv(enum block_call call)
{
	return call <= BLOCK_MSGSND;
}

int block_setup(struct blocker *b, enum block_call call)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = MSG_BYTES };
	struct msg8 m = { .mtype = 1 };
	struct msqid_ds ds;

	memset(b, 0, sizeof(*b));
	b->call = call;
	b->id = -1;
	b->sem = SEM_FAILED;
	b->mq = (mqd_t)-1;
	switch (call) {
	case BLOCK_SEMOP:
	case BLOCK_SEMTIMEDOP:
		/* Linux creates the set with every value 0: a decrement blocks */
		if ((b->id = semget(probe_sysv_key(), 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
			return -errno;
		return 0;
	case BLOCK_MSGRCV:
	case BLOCK_MSGSND:
		if ((b->id = msgget(probe_sysv_key(), IPC_CREAT | IPC_EXCL | 0600)) < 0)
			return -errno;
		if (call == BLOCK_MSGRCV)
			return 0;
		/* full: lower msg_qbytes (the owner may) to one message */
		if (msgctl(b->id, IPC_STAT, &ds) < 0)
			return -errno;
		ds.msg_qbytes = MSG_BYTES;
		if (msgctl(b->id, IPC_SET, &ds) < 0 || msgsnd(b->id, &m, MSG_BYTES, IPC_NOWAIT) < 0)
			return -errno;
		return 0;
	case BLOCK_SEM_WAIT:
	case BLOCK_SEM_TIMEDWAIT:
		probe_posix_name(b->name, sizeof(b->name), "sem");
		if ((b->sem = sem_open(b->name, O_CREAT | O_EXCL, 0600, 0)) == SEM_FAILED)
			return -errno;
		return 0;
	case BLOCK_MQ_RECEIVE:
	case BLOCK_MQ_SEND:
		probe_posix_name(b->name, sizeof(b->name), "mq");
		if ((b->mq = mq_open(b->name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
			return -errno;
		if (call == BLOCK_MQ_SEND && mq_send(b->mq, "12345678", MSG_BYTES, 0) < 0)
			return -errno;
		return 0;
	}
	return -EINVAL;
}

int block_call(struct blocker *b)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1 };
	struct timespec rel = { LONG_WAIT_S, 0 }, abs;
	struct msg8 m = { .mtype = 1 };
	char buf[MSG_BYTES];
	int rc = -1;

	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_sec += LONG_WAIT_S;
	switch (b->call) {
	case BLOCK_SEMOP:
		rc = semop(b->id, &down, 1);
		break;
	case BLOCK_SEMTIMEDOP:
		rc = semtimedop(b->id, &down, 1, &rel);
		break;
	case BLOCK_MSGRCV:
		rc = msgrcv(b->id, &m, MSG_BYTES, 0, 0) < 0 ? -1 : 0;
		break;
	case BLOCK_MSGSND:
		rc = msgsnd(b->id, &m, MSG_BYTES, 0);
		break;
	case BLOCK_SEM_WAIT:
		rc = sem_wait(b->sem);
		break;
	case BLOCK_SEM_TIMEDWAIT:
		rc = sem_timedwait(b->sem, &abs);
		break;
	case BLOCK_MQ_RECEIVE:
		rc = mq_receive(b->mq, buf, sizeof(buf), NULL) < 0 ? -1 : 0;
		break;
	case BLOCK_MQ_SEND:
		rc = mq_send(b->mq, "87654321", MSG_BYTES, 0);
		break;
	}
	return rc < 0 ? errno : 0;
}

int block_start(struct blocker *b, void (*child_setup)(void), pid_t *pid)
{
	int rc;

	if ((*pid = probe_fork()) < 0)
		return -errno;
	if (*pid == 0) {
		if (child_setup != NULL)
			child_setup();
		_exit(block_call(b));
	}
	rc = probe_wait_in_call(*pid, calls[b->call].nr, probe_bound_ms(5000));
	return rc == -ECHILD ? 0 : rc;    /* ended at once: its status tells */
}

int block_wait(struct blocker *b, pid_t pid)
{
	return probe_wait_in_call(pid, calls[b->call].nr, probe_bound_ms(5000));
}

int block_remove(struct blocker *b)
{
	int rc = 0;

	switch (b->call) {
	case BLOCK_SEMOP:
	case BLOCK_SEMTIMEDOP:
		rc = semctl(b->id, 0, IPC_RMID);
		break;
	case BLOCK_MSGRCV:
	case BLOCK_MSGSND:
		rc = msgctl(b->id, IPC_RMID, NULL);
		break;
	case BLOCK_SEM_WAIT:
	case BLOCK_SEM_TIMEDWAIT:
		rc = sem_unlink(b->name);
		break;
	case BLOCK_MQ_RECEIVE:
	case BLOCK_MQ_SEND:
		rc = mq_unlink(b->name);
		break;
	}
	if (rc < 0)
		return -errno;
	b->removed = 1;
	return 0;
}

int block_release(struct blocker *b)
{
	struct sembuf up = { .sem_num = 0, .sem_op = 1 };
	struct msg8 m = { .mtype = 1 };
	char buf[MSG_BYTES];
	int rc = -1;

	switch (b->call) {
	case BLOCK_SEMOP:
	case BLOCK_SEMTIMEDOP:
		rc = semop(b->id, &up, 1);
		break;
	case BLOCK_MSGRCV:
		rc = msgsnd(b->id, &m, MSG_BYTES, IPC_NOWAIT);
		break;
	case BLOCK_MSGSND:
		rc = msgrcv(b->id, &m, MSG_BYTES, 0, IPC_NOWAIT) < 0 ? -1 : 0;
		break;
	case BLOCK_SEM_WAIT:
	case BLOCK_SEM_TIMEDWAIT:
		rc = sem_post(b->sem);
		break;
	case BLOCK_MQ_RECEIVE:
		rc = mq_send(b->mq, "12345678", MSG_BYTES, 0);
		break;
	case BLOCK_MQ_SEND:
		rc = mq_receive(b->mq, buf, sizeof(buf), NULL) < 0 ? -1 : 0;
		break;
	}
	return rc < 0 ? -errno : 0;
}

void block_cleanup(struct blocker *b)
{
	if (!b->removed && (b->id >= 0 || b->sem != SEM_FAILED || b->mq != (mqd_t)-1))
		block_remove(b);
	if (b->sem != SEM_FAILED)
		sem_close(b->sem);
	if (b->mq != (mqd_t)-1)
		mq_close(b->mq);
	b->id = -1;
	b->sem = SEM_FAILED;
	b->mq = (mqd_t)-1;
}

void block_outcome(struct probe_obs *o, int status, const char *kept_text)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		probe_say(o, "%s", kept_text);
	else
		probe_say(o, "%s", probe_status_text(status));
}
