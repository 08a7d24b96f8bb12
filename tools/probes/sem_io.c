/*
 * sem_io.c - waiting on several things at once, and being told.
 *
 * SysV: a queue is an id, not a descriptor: poll, select and epoll cannot
 *       wait on it, and there is no notification (msgget(2)).
 * POSIX: on Linux a queue descriptor is a file descriptor that poll and
 *       epoll take (mq_overview(7)); mq_notify registers one process for
 *       one signal when a message arrives in an empty queue, and the
 *       registration is removed once it fires (mq_notify(3)).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#include "semantics.h"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int probe_poll_queue(struct probe_result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct { long mtype; char mtext[8]; } m = { 1, "1234567" };
	struct msqid_ds ds;
	struct pollfd p;
	char name[96];
	int before, id, rc;
	mqd_t mq;

	before = count_fds();
	if ((id = msgget(probe_sysv_key(), IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	rc = count_fds() - before;
	msgsnd(id, &m, 8, IPC_NOWAIT);
	msgctl(id, IPC_STAT, &ds);
	probe_say(&r->sysv, "%s; a message shows only in IPC_STAT (msg_qnum %lu)",
		  rc == 0 ? "no descriptor" : "a descriptor", (unsigned long)ds.msg_qnum);
	msgctl(id, IPC_RMID, NULL);

	before = count_fds();
	probe_posix_name(name, sizeof(name), "mq");
	if ((mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	rc = count_fds() - before;
	mq_send(mq, "1234567", 8, 0);
	p.fd = (int)mq;
	p.events = POLLIN;
	p.revents = 0;
	poll(&p, 1, 0);
	probe_say(&r->posix, "%s; poll: %s", rc == 1 ? "a descriptor" : "no descriptor",
		  p.revents & POLLIN ? "POLLIN" : "nothing");
	mq_close(mq);
	return 0;
}

int probe_notify(struct probe_result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
	struct timespec wait = { probe_bound_ms(5000) / 1000, 0 };
	sigset_t set, old;
	siginfo_t si;
	char name[96];
	int rc, got, again;
	mqd_t mq;

	struct { long mtype; char mtext[8]; } m = { 1, "1234567" };
	struct msqid_ds ds;
	int id;

	/* SysV has no call for it: a message is seen only by polling IPC_STAT */
	if ((id = msgget(probe_sysv_key(), IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	msgsnd(id, &m, 8, IPC_NOWAIT);
	msgctl(id, IPC_STAT, &ds);
	probe_say(&r->sysv, "no notification; IPC_STAT shows msg_qnum %lu", (unsigned long)ds.msg_qnum);
	msgctl(id, IPC_RMID, NULL);
	probe_posix_name(name, sizeof(name), "mq");
	if ((mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (mq_notify(mq, &ev) < 0) {
		rc = -errno;
		goto out;
	}
	mq_send(mq, "1234567", 8, 0);
	got = sigtimedwait(&set, &si, &wait);
	/* registered again at once: the first registration is gone */
	again = mq_notify(mq, &ev);
	probe_say(&r->posix, "%s; then %s", got == SIGUSR2 && si.si_code == SI_MESGQ ? "SIGUSR2 (SI_MESGQ) on arrival"
		  : "no signal", again == 0 ? "unregistered (one-shot)" : "still registered");
	mq_notify(mq, NULL);
	rc = 0;
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	mq_close(mq);
	return rc;
}
