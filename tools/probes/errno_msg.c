/*
 * errno_msg.c - the errno probes of message queues: msgget, msgsnd,
 * msgrcv, msgctl (System V) and mq_open, mq_timedsend, mq_timedreceive,
 * mq_unlink (POSIX). One probe a row of errno_rows.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errno_kit.h"
#include "errno_rows.h"

#define PROBE(test) int probe_##test(char *skip __attribute__((unused)), \
				     size_t size __attribute__((unused)))

#define MSG_TEXT 64                  /* bytes a probe message carries at most */
#define FULL_BYTES 64                /* SysV: msg_qbytes of a queue made full */
#define MQ_DEPTH 2                   /* POSIX: mq_maxmsg of a probe queue */

struct message {
	long mtype;
	char mtext[MSG_TEXT];
};

static const struct message one = { 1, "x" };

/* ---- SysV: queues ---- */

static int queue_make(int key)
{
	int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);

	return id < 0 ? -errno : id;
}

static void queue_remove(int id)
{
	if (id >= 0)
		msgctl(id, IPC_RMID, NULL);
}

/* A queue holding FULL_BYTES bytes, full: the owner may lower msg_qbytes. */
static int queue_full(void)
{
	struct msqid_ds ds;
	struct message m = { 1, "" };
	int id = queue_make(probe_sysv_key()), err;

	if (id < 0)
		return id;
	if (msgctl(id, IPC_STAT, &ds) < 0)
		goto fail;
	ds.msg_qbytes = FULL_BYTES;
	if (msgctl(id, IPC_SET, &ds) < 0 || msgsnd(id, &m, FULL_BYTES, IPC_NOWAIT) < 0)
		goto fail;
	return id;
fail:
	err = -errno;
	queue_remove(id);
	return err;
}

static int msgrcv_err(int id, size_t len, long type, int flags)
{
	struct message m;

	return msgrcv(id, &m, len, type, flags) < 0 ? errno : 0;
}

/* ---- POSIX: queues ---- */

static mqd_t mq_make(const char *name, int flags, long maxmsg, long msgsize)
{
	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };

	return mq_open(name, O_CREAT | O_EXCL | O_RDWR | flags, 0600, &attr);
}

static mqd_t mq_small(const char *name, int flags)
{
	return mq_make(name, flags, MQ_DEPTH, MSG_TEXT);
}

static void mq_remove(const char *name, mqd_t q)
{
	if (q != (mqd_t)-1)
		mq_close(q);
	mq_unlink(name);
}

/* A call that should fail, but opened (maybe made) a queue: undo it. */
static int mq_open_err(const char *name, int oflag, const struct mq_attr *attr)
{
	mqd_t q = mq_open(name, oflag, 0600, attr);

	if (q == (mqd_t)-1)
		return errno;
	mq_close(q);
	if (oflag & O_CREAT)
		mq_unlink(name);
	return 0;
}

static int send_err(mqd_t q, size_t len, unsigned prio, struct timespec t)
{
	static const char text[MSG_TEXT + 1];     /* up to one byte too many */

	return KIT_ERR(mq_timedsend(q, text, len, prio, &t));
}

static int receive_err(mqd_t q, size_t len, struct timespec t)
{
	char buf[MSG_TEXT];

	return KIT_ERR(mq_timedreceive(q, buf, len, NULL, &t));
}

static int mq_fill(mqd_t q)
{
	int err = 0;

	for (int i = 0; i < MQ_DEPTH && err == 0; i++)
		err = send_err(q, 1, 0, kit_deadline(0));
	return -err;
}

static const struct timespec bad_nsec = { 0, 1000000000 };

/* ---- exists, missing, removed ---- */

PROBE(msgget_exists)
{
	int key = probe_sysv_key(), id = queue_make(key), again, err;

	if (id < 0)
		return id;
	again = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	err = KIT_ERR(again);
	queue_remove(id);
	return err;
}

PROBE(mq_open_exists)
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), 0);
	int err;

	if (q == (mqd_t)-1)
		return -errno;
	err = mq_open_err(name, O_CREAT | O_EXCL | O_RDWR, NULL);
	mq_remove(name, q);
	return err;
}

PROBE(msgget_missing)
{
	int id = msgget(probe_sysv_key(), 0600), err = KIT_ERR(id);

	queue_remove(id);
	return err;
}

PROBE(mq_open_missing)
{
	char name[KIT_NAME];

	return mq_open_err(probe_posix_name(name, sizeof(name), "mq"), O_RDWR, NULL);
}

PROBE(msgctl_remove_again)
{
	int id = queue_make(probe_sysv_key());

	if (id < 0)
		return id;
	if (msgctl(id, IPC_RMID, NULL) < 0)
		return -errno;
	return KIT_ERR(msgctl(id, IPC_RMID, NULL));
}

PROBE(mq_unlink_missing)
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), 0);

	if (q == (mqd_t)-1)
		return -errno;
	mq_remove(name, q);
	return KIT_ERR(mq_unlink(name));
}

PROBE(msgsnd_removed)
{
	int id = queue_make(probe_sysv_key());

	if (id < 0)
		return id;
	queue_remove(id);
	return KIT_ERR(msgsnd(id, &one, 1, IPC_NOWAIT));
}

/* POSIX: the name goes at once; the queue lives on while open. */
PROBE(mq_timedsend_removed)
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), 0);
	int err;

	if (q == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	err = send_err(q, 1, 0, kit_deadline(0));
	mq_close(q);
	return err;
}

/* ---- waits: removed, timed out, interrupted ---- */

struct waiter {
	int id;                      /* SysV queue, or -1 */
	mqd_t q;                     /* POSIX queue, or -1 */
	const char *name;
	int ms;                      /* how long a POSIX waiter waits */
};

/* SysV: msgrcv and msgsnd take no timeout; the parent's act ends the
 * wait, and kit_while_blocked bounds it. */
static int wait_msgrcv(void *arg)
{
	return msgrcv_err(((struct waiter *)arg)->id, MSG_TEXT, 0, 0);
}

static int wait_msgsnd(void *arg)
{
	return KIT_ERR(msgsnd(((struct waiter *)arg)->id, &one, 1, 0));
}

static int wait_mq_timedreceive(void *arg)
{
	struct waiter *w = arg;

	return receive_err(w->q, MSG_TEXT, kit_deadline(w->ms));
}

static int wait_mq_timedsend(void *arg)
{
	struct waiter *w = arg;

	return send_err(w->q, 1, 0, kit_deadline(w->ms));
}

static int remove_queue(void *arg)
{
	return msgctl(((struct waiter *)arg)->id, IPC_RMID, NULL) < 0 ? -errno : 0;
}

static int unlink_queue(void *arg)
{
	return mq_unlink(((struct waiter *)arg)->name) < 0 ? -errno : 0;
}

/* A receiver on an empty queue, or a sender on a full one (full != 0). */
static int sysv_blocked(int full, int (*act)(void *), int sig, int restart)
{
	struct waiter w = { full ? queue_full() : queue_make(probe_sysv_key()), -1, NULL, 0 };
	struct kit_blocked b = { full ? wait_msgsnd : wait_msgrcv,
				 full ? SYS_msgsnd : SYS_msgrcv, act, sig, restart, &w };
	int err;

	if (w.id < 0)
		return w.id;
	err = kit_while_blocked(&b);
	queue_remove(w.id);
	return err;
}

static int posix_blocked(int full, int (*act)(void *), int sig, int restart, int ms)
{
	char name[KIT_NAME];
	struct waiter w = { -1, -1, probe_posix_name(name, sizeof(name), "mq"), ms };
	struct kit_blocked b = { full ? wait_mq_timedsend : wait_mq_timedreceive,
				 full ? SYS_mq_timedsend : SYS_mq_timedreceive, act, sig, restart, &w };
	int err;

	if ((w.q = mq_small(name, 0)) == (mqd_t)-1)
		return -errno;
	if (full && (err = mq_fill(w.q)) < 0) {
		mq_remove(name, w.q);
		return err;
	}
	err = kit_while_blocked(&b);
	mq_remove(name, w.q);
	return err;
}

/* A wait that ends when the parent acts: bounded, but never reached. */
static int long_wait(void)
{
	return 10 * kit_wait_ms() + 5000;
}

PROBE(msgrcv_removed_waiting)
{
	return sysv_blocked(0, remove_queue, 0, 0);
}

/* POSIX: an open queue outlives its name; the waiter waits on. */
PROBE(mq_timedreceive_unlinked_waiting)
{
	return posix_blocked(0, unlink_queue, 0, 0, kit_wait_ms());
}

PROBE(msgsnd_removed_waiting)
{
	return sysv_blocked(1, remove_queue, 0, 0);
}

PROBE(mq_timedsend_unlinked_waiting)
{
	return posix_blocked(1, unlink_queue, 0, 0, kit_wait_ms());
}

PROBE(msgrcv_interrupted)
{
	return sysv_blocked(0, NULL, SIGUSR1, 0);
}

PROBE(mq_timedreceive_interrupted)
{
	return posix_blocked(0, NULL, SIGUSR1, 0, long_wait());
}

PROBE(msgsnd_interrupted)
{
	return sysv_blocked(1, NULL, SIGUSR1, 0);
}

PROBE(mq_timedsend_interrupted)
{
	return posix_blocked(1, NULL, SIGUSR1, 0, long_wait());
}

/* SysV: never restarted (signal(7)), so no timeout is needed to end it. */
PROBE(msgrcv_interrupted_restart)
{
	return sysv_blocked(0, NULL, SIGUSR1, 1);
}

/* POSIX: restarted; the absolute timeout then ends it. */
PROBE(mq_timedreceive_interrupted_restart)
{
	return posix_blocked(0, NULL, SIGUSR1, 1, kit_wait_ms());
}

static int posix_call(int full, int flags, int (*call)(mqd_t q))
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), flags);
	int err;

	if (q == (mqd_t)-1)
		return -errno;
	err = full ? mq_fill(q) : 0;
	if (err == 0)
		err = call(q);
	mq_remove(name, q);
	return err;
}

static int receive_soon(mqd_t q)
{
	return receive_err(q, MSG_TEXT, kit_deadline(1));
}

static int send_soon(mqd_t q)
{
	return send_err(q, 1, 0, kit_deadline(1));
}

PROBE(mq_timedreceive_timeout)
{
	return posix_call(0, 0, receive_soon);
}

PROBE(mq_timedsend_timeout)
{
	return posix_call(1, 0, send_soon);
}

PROBE(msgrcv_nowait)
{
	int id = queue_make(probe_sysv_key()), err;

	if (id < 0)
		return id;
	err = msgrcv_err(id, MSG_TEXT, 0, IPC_NOWAIT);
	queue_remove(id);
	return err;
}

PROBE(mq_timedreceive_nonblock)
{
	return posix_call(0, O_NONBLOCK, receive_soon);
}

PROBE(msgsnd_nowait_full)
{
	int id = queue_full(), err;

	if (id < 0)
		return id;
	err = KIT_ERR(msgsnd(id, &one, 1, IPC_NOWAIT));
	queue_remove(id);
	return err;
}

PROBE(mq_timedsend_nonblock_full)
{
	return posix_call(1, O_NONBLOCK, send_soon);
}

/* ---- bad timeouts: empty queue (would block) or a message ready ---- */

static int receive_bad(mqd_t q)
{
	return receive_err(q, MSG_TEXT, bad_nsec);
}

static int send_bad(mqd_t q)
{
	return send_err(q, 1, 0, bad_nsec);
}

static int receive_ready_bad(mqd_t q)
{
	int err = send_err(q, 1, 0, kit_deadline(0));

	return err != 0 ? -err : receive_bad(q);
}

static int receive_negative(mqd_t q)
{
	struct timespec t = { -1, 0 };

	return receive_err(q, MSG_TEXT, t);
}

PROBE(mq_timedreceive_bad_nsec)
{
	return posix_call(0, 0, receive_bad);
}

PROBE(mq_timedsend_bad_nsec)
{
	return posix_call(1, 0, send_bad);
}

PROBE(mq_timedreceive_bad_nsec_ready)
{
	return posix_call(0, 0, receive_ready_bad);
}

PROBE(mq_timedsend_bad_nsec_ready)
{
	return posix_call(0, 0, send_bad);
}

PROBE(mq_timedreceive_negative_timeout)
{
	return posix_call(0, 0, receive_negative);
}

/* ---- another user ---- */

static int nobody_msgget(void *arg)
{
	return KIT_ERR(msgget(*(int *)arg, 0600));
}

PROBE(msgget_no_permission)
{
	int key = probe_sysv_key(), id = queue_make(key), err;

	if (id < 0)
		return id;
	err = kit_as_nobody(nobody_msgget, &key, skip, size);
	queue_remove(id);
	return err;
}

static int nobody_mq_open(void *arg)
{
	return mq_open_err(arg, O_RDWR, NULL);
}

PROBE(mq_open_no_permission)
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), 0);
	int err;

	if (q == (mqd_t)-1)
		return -errno;
	err = kit_as_nobody(nobody_mq_open, name, skip, size);
	mq_remove(name, q);
	return err;
}

static int nobody_msgsnd(void *arg)
{
	return KIT_ERR(msgsnd(*(int *)arg, &one, 1, IPC_NOWAIT));
}

static int nobody_msgrcv(void *arg)
{
	return msgrcv_err(*(int *)arg, MSG_TEXT, 0, IPC_NOWAIT);
}

static int nobody_msgctl_stat(void *arg)
{
	struct msqid_ds ds;

	return KIT_ERR(msgctl(*(int *)arg, IPC_STAT, &ds));
}

static int nobody_msgctl_rmid(void *arg)
{
	return KIT_ERR(msgctl(*(int *)arg, IPC_RMID, NULL));
}

/* Root's queue holding one message, met by nobody. */
static int sysv_as_nobody(int (*fn)(void *), char *skip, size_t size)
{
	int id = queue_make(probe_sysv_key()), err;

	if (id < 0)
		return id;
	if (msgsnd(id, &one, 1, IPC_NOWAIT) < 0)
		err = -errno;
	else
		err = kit_as_nobody(fn, &id, skip, size);
	queue_remove(id);
	return err;
}

PROBE(msgsnd_no_permission)
{
	return sysv_as_nobody(nobody_msgsnd, skip, size);
}

PROBE(msgrcv_no_permission)
{
	return sysv_as_nobody(nobody_msgrcv, skip, size);
}

PROBE(msgctl_stat_no_permission)
{
	return sysv_as_nobody(nobody_msgctl_stat, skip, size);
}

PROBE(msgctl_rmid_not_owner)
{
	return sysv_as_nobody(nobody_msgctl_rmid, skip, size);
}

static int nobody_mq_unlink(void *arg)
{
	return KIT_ERR(mq_unlink(arg));
}

/* The mqueue root is sticky too: the kernel's EPERM becomes EACCES in
 * glibc's mq_unlink. */
PROBE(mq_unlink_not_owner)
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), 0);
	int err;

	if (q == (mqd_t)-1)
		return -errno;
	err = kit_as_nobody(nobody_mq_unlink, name, skip, size);
	mq_remove(name, q);
	return err;
}

/* ---- handles opened for one direction ---- */

static int other_direction(int oflag, int send)
{
	char name[KIT_NAME];
	mqd_t q = mq_small(probe_posix_name(name, sizeof(name), "mq"), 0), h;
	int err;

	if (q == (mqd_t)-1)
		return -errno;
	if ((h = mq_open(name, oflag)) == (mqd_t)-1) {
		err = -errno;
	} else {
		err = send ? send_soon(h) : receive_soon(h);
		mq_close(h);
	}
	mq_remove(name, q);
	return err;
}

PROBE(mq_timedsend_readonly)
{
	return other_direction(O_RDONLY, 1);
}

PROBE(mq_timedreceive_writeonly)
{
	return other_direction(O_WRONLY, 0);
}

/* ---- sizes ---- */

PROBE(msgsnd_too_big)
{
	long max = kit_sysctl_long("kernel/msgmax");
	struct message *m;
	int id, err;

	if (max < 0)
		return (int)max;
	if ((m = calloc(1, sizeof(long) + (size_t)max + 1)) == NULL)
		return -ENOMEM;
	m->mtype = 1;
	if ((id = queue_make(probe_sysv_key())) < 0) {
		free(m);
		return id;
	}
	err = KIT_ERR(msgsnd(id, m, (size_t)max + 1, IPC_NOWAIT));
	queue_remove(id);
	free(m);
	return err;
}

static int send_too_big(mqd_t q)
{
	return send_err(q, MSG_TEXT + 1, 0, kit_deadline(0));
}

PROBE(mq_timedsend_too_big)
{
	return posix_call(0, 0, send_too_big);
}

PROBE(msgrcv_small_buffer)
{
	int id = queue_make(probe_sysv_key()), err;
	struct message m = { 1, "sixteen bytes.." };

	if (id < 0)
		return id;
	if (msgsnd(id, &m, 16, IPC_NOWAIT) < 0)
		err = -errno;
	else
		err = msgrcv_err(id, 8, 0, IPC_NOWAIT);
	queue_remove(id);
	return err;
}

/* POSIX: the buffer is checked against mq_msgsize, not the message. */
static int receive_small(mqd_t q)
{
	int err = send_err(q, 1, 0, kit_deadline(0));

	return err != 0 ? -err : receive_err(q, MSG_TEXT - 1, kit_deadline(0));
}

PROBE(mq_timedreceive_small_buffer)
{
	return posix_call(0, 0, receive_small);
}

/* SysV: a message larger than msg_qbytes never fits; with IPC_NOWAIT it
 * says EAGAIN, without it would wait forever. */
PROBE(msgsnd_over_queue_bytes)
{
	struct msqid_ds ds;
	struct message m = { 1, "" };
	int id = queue_make(probe_sysv_key()), err;

	if (id < 0)
		return id;
	if (msgctl(id, IPC_STAT, &ds) < 0) {
		err = -errno;
	} else {
		ds.msg_qbytes = MSG_TEXT / 2;
		err = msgctl(id, IPC_SET, &ds) < 0 ? -errno :
			KIT_ERR(msgsnd(id, &m, MSG_TEXT, IPC_NOWAIT));
	}
	queue_remove(id);
	return err;
}

PROBE(mq_open_zero_maxmsg)
{
	char name[KIT_NAME];
	struct mq_attr attr = { .mq_maxmsg = 0, .mq_msgsize = MSG_TEXT };

	return mq_open_err(probe_posix_name(name, sizeof(name), "mq"),
			   O_CREAT | O_EXCL | O_RDWR, &attr);
}

/* ---- kernel limits ---- */

struct over {
	const char *name;
	struct mq_attr attr;
};

static int mq_open_over(void *arg)
{
	struct over *o = arg;

	return mq_open_err(o->name, O_CREAT | O_EXCL | O_RDWR, &o->attr);
}

/* CAP_SYS_RESOURCE lifts msg_max and msgsize_max (mq_overview(7)): the
 * call is made without it. */
static int mq_over_sysctl(const char *sysctl, int field)
{
	char name[KIT_NAME];
	long max = kit_sysctl_long(sysctl);
	struct over o = { probe_posix_name(name, sizeof(name), "mq"), { .mq_maxmsg = 1,
								      .mq_msgsize = 1 } };
	int err;

	if (max < 0)
		return (int)max;
	if (field == 0)
		o.attr.mq_maxmsg = max + 1;
	else
		o.attr.mq_msgsize = max + 1;
	err = kit_without_sys_resource(mq_open_over, &o);
	mq_unlink(name);
	return err;
}

PROBE(mq_open_over_msg_max)
{
	return mq_over_sysctl("fs/mqueue/msg_max", 0);
}

PROBE(mq_open_over_msgsize_max)
{
	return mq_over_sysctl("fs/mqueue/msgsize_max", 1);
}

static int raise_qbytes(void *arg)
{
	struct msqid_ds ds;
	long mnb = kit_sysctl_long("kernel/msgmnb");

	if (mnb < 0)
		return (int)mnb;
	if (msgctl(*(int *)arg, IPC_STAT, &ds) < 0)
		return -errno;
	ds.msg_qbytes = (msglen_t)mnb + 1;
	return KIT_ERR(msgctl(*(int *)arg, IPC_SET, &ds));
}

PROBE(msgctl_raise_qbytes)
{
	int id = queue_make(probe_sysv_key()), err;

	if (id < 0)
		return id;
	err = kit_without_sys_resource(raise_qbytes, &id);
	queue_remove(id);
	return err;
}

PROBE(msgget_over_msgmni)
{
	char old[64];
	int id[4], n = 0, err = 0, rc;

	if ((rc = kit_private_ipc(skip, size)) != 0)
		return rc;
	if ((rc = kit_sysctl_set("kernel/msgmni", "1", old, sizeof(old))) < 0) {
		snprintf(skip, size, "cannot write /proc/sys/kernel/msgmni here: %s", strerror(-rc));
		return PROBE_SKIPPED;
	}
	while (n < 4 && err == 0) {
		id[n] = msgget(probe_sysv_key(), IPC_CREAT | IPC_EXCL | 0600);
		err = KIT_ERR(id[n]);
		n++;
	}
	while (n-- > 0)
		queue_remove(id[n]);
	if ((rc = kit_sysctl_set("kernel/msgmni", old, NULL, 0)) < 0)
		return rc;
	return err;
}

/* Creates queues until one fails (at most 4), removes them. Without
 * CAP_SYS_RESOURCE, which lifts queues_max (mq_overview(7)). */
static int mq_exhaust(void *arg)
{
	char names[4][KIT_NAME];
	mqd_t q = 0;
	int n = 0, err = 0;

	(void)arg;
	while (n < 4 && q != (mqd_t)-1) {
		q = mq_small(probe_posix_name(names[n], sizeof(names[n]), "mq"), 0);
		err = q == (mqd_t)-1 ? errno : 0;
		if (q != (mqd_t)-1)
			mq_close(q);
		n++;
	}
	while (n-- > 0)
		mq_unlink(names[n]);
	return err;
}

PROBE(mq_open_over_queues_max)
{
	char old[64];
	int err, rc;

	if ((rc = kit_private_ipc(skip, size)) != 0)
		return rc;
	if ((rc = kit_sysctl_set("fs/mqueue/queues_max", "1", old, sizeof(old))) < 0) {
		snprintf(skip, size, "cannot write /proc/sys/fs/mqueue/queues_max here: %s",
			 strerror(-rc));
		return PROBE_SKIPPED;
	}
	err = kit_without_sys_resource(mq_exhaust, NULL);
	if ((rc = kit_sysctl_set("fs/mqueue/queues_max", old, NULL, 0)) < 0)
		return rc;
	return err;
}

/* RLIMIT_MSGQUEUE counts the bytes of all the user's queues; lowered in a
 * child below what one small queue needs. */
static int mq_open_over_bytes(void *arg)
{
	struct rlimit rl = { MSG_TEXT, MSG_TEXT };

	if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0)
		return -errno;
	return mq_open_err(arg, O_CREAT | O_EXCL | O_RDWR, NULL);
}

PROBE(mq_open_over_rlimit_msgqueue)
{
	char name[KIT_NAME];
	int err = kit_child(mq_open_over_bytes, (void *)probe_posix_name(name, sizeof(name), "mq"));

	mq_unlink(name);
	return err;
}

static int mq_open_no_fd(void *arg)
{
	return mq_open_err(arg, O_CREAT | O_EXCL | O_RDWR, NULL);
}

PROBE(mq_open_over_rlimit_nofile)
{
	char name[KIT_NAME];
	int err = kit_child_no_fds(mq_open_no_fd, (void *)probe_posix_name(name, sizeof(name), "mq"));

	mq_unlink(name);
	return err;
}

/* ---- bad ids, descriptors, types, flags ---- */

PROBE(msgsnd_bad_id)
{
	return KIT_ERR(msgsnd(-1, &one, 1, IPC_NOWAIT));
}

PROBE(mq_timedsend_bad_mqd)
{
	return send_err((mqd_t)-1, 1, 0, kit_deadline(0));
}

PROBE(msgrcv_bad_id)
{
	return msgrcv_err(-1, MSG_TEXT, 0, IPC_NOWAIT);
}

PROBE(mq_timedreceive_bad_mqd)
{
	return receive_err((mqd_t)-1, MSG_TEXT, kit_deadline(0));
}

PROBE(msgsnd_zero_mtype)
{
	int id = queue_make(probe_sysv_key()), err;
	struct message m = { 0, "x" };

	if (id < 0)
		return id;
	err = KIT_ERR(msgsnd(id, &m, 1, IPC_NOWAIT));
	queue_remove(id);
	return err;
}

static int send_prio_over(mqd_t q)
{
	return send_err(q, 1, (unsigned)sysconf(_SC_MQ_PRIO_MAX), kit_deadline(0));
}

PROBE(mq_timedsend_prio_over_max)
{
	return posix_call(0, 0, send_prio_over);
}

PROBE(msgrcv_copy_without_nowait)
{
	int id = queue_make(probe_sysv_key()), err;

	if (id < 0)
		return id;
	err = msgrcv_err(id, MSG_TEXT, 0, MSG_COPY);
	queue_remove(id);
	return err;
}

/* ---- names ---- */

PROBE(mq_open_no_slash)
{
	char name[KIT_NAME];
	struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH, .mq_msgsize = MSG_TEXT };

	return mq_open_err(probe_posix_name(name, sizeof(name), "mq") + 1,
			   O_CREAT | O_EXCL | O_RDWR, &attr);
}

PROBE(mq_unlink_no_slash)
{
	char name[KIT_NAME];

	return KIT_ERR(mq_unlink(probe_posix_name(name, sizeof(name), "mq") + 1));
}

PROBE(mq_open_slash_inside)
{
	char name[KIT_NAME];
	struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH, .mq_msgsize = MSG_TEXT };

	return mq_open_err(probe_posix_name(name, sizeof(name), "dir/mq"),
			   O_CREAT | O_EXCL | O_RDWR, &attr);
}

PROBE(mq_open_just_slash)
{
	return mq_open_err("/", O_RDONLY, NULL);
}

PROBE(mq_open_name_too_long)
{
	char name[KIT_NAME];
	struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH, .mq_msgsize = MSG_TEXT };

	return mq_open_err(kit_long_name(name, sizeof(name), NAME_MAX + 1),
			   O_CREAT | O_EXCL | O_RDWR, &attr);
}

PROBE(mq_unlink_name_too_long)
{
	char name[KIT_NAME];

	return KIT_ERR(mq_unlink(kit_long_name(name, sizeof(name), NAME_MAX + 1)));
}
