/*
 * sem_messages.c - message queues: receive buffers, order, selection.
 *
 * SysV: a message longer than msgrcv's msgsz fails with E2BIG and stays
 *       queued, unless MSG_NOERROR truncates it; msgtyp picks the first
 *       message of a type (0: any, -n: the lowest type <= n, MSG_EXCEPT:
 *       any other type); otherwise FIFO (msgrcv(2)).
 * POSIX: the buffer must hold mq_msgsize bytes, whatever the message
 *       (EMSGSIZE); the oldest message of the highest priority comes
 *       first, and there is no other choice (mq_receive(3)).
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "semantics.h"

#define MSG_BYTES 16

struct msgbuf16 {
	long mtype;
	char mtext[MSG_BYTES];
};

struct queues {
	int id;
	mqd_t mq;
	char name[96];
};

static int queues_open(struct queues *q)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = MSG_BYTES };
	int rc;

	if ((q->id = msgget(probe_sysv_key(), IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_posix_name(q->name, sizeof(q->name), "mq");
	if ((q->mq = mq_open(q->name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &attr)) == (mqd_t)-1) {
		rc = -errno;
		msgctl(q->id, IPC_RMID, NULL);
		return rc;
	}
	mq_unlink(q->name);
	return 0;
}

static void queues_close(struct queues *q)
{
	msgctl(q->id, IPC_RMID, NULL);
	mq_close(q->mq);
}

/* Sends three messages, types and priorities 1, 3, 2 in that order; the
 * text of each is its number. */
static int send_132(struct queues *q)
{
	static const int order[] = { 1, 3, 2 };
	struct msgbuf16 m;

	memset(&m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m.mtype = order[i];
		snprintf(m.mtext, sizeof(m.mtext), "%d", order[i]);
		if (msgsnd(q->id, &m, MSG_BYTES, IPC_NOWAIT) < 0 ||
		    mq_send(q->mq, m.mtext, MSG_BYTES, (unsigned)order[i]) < 0)
			return -errno;
	}
	return 0;
}

int probe_recv_buffer_small(struct probe_result *r)
{
	struct msgbuf16 m = { .mtype = 1, .mtext = "0123456789abcde" };
	char buf[MSG_BYTES];
	struct queues q;
	ssize_t n, kept;
	int rc;

	if ((rc = queues_open(&q)) < 0)
		return rc;
	/* SysV: 16 bytes into 8, then with MSG_NOERROR */
	if (msgsnd(q.id, &m, MSG_BYTES, IPC_NOWAIT) < 0) {
		rc = -errno;
		goto out;
	}
	n = msgrcv(q.id, &m, 8, 0, IPC_NOWAIT);
	rc = errno;
	kept = msgrcv(q.id, &m, 8, 0, IPC_NOWAIT | MSG_NOERROR);
	probe_say(&r->sysv, "%s, kept; MSG_NOERROR: %zd bytes", n < 0 ? probe_errno_name(rc) : "received", kept);
	/* POSIX: a 1-byte message into a buffer shorter than mq_msgsize */
	if (mq_send(q.mq, "x", 1, 0) < 0) {
		rc = -errno;
		goto out;
	}
	n = mq_receive(q.mq, buf, MSG_BYTES - 1, NULL);
	rc = errno;
	kept = mq_receive(q.mq, buf, MSG_BYTES, NULL);
	probe_say(&r->posix, "1 byte into %d: %s, %s", MSG_BYTES - 1, n < 0 ? probe_errno_name(rc) : "received",
		  kept == 1 ? "kept" : "lost");
	rc = 0;
out:
	queues_close(&q);
	return rc;
}

int probe_message_order(struct probe_result *r)
{
	struct msgbuf16 m;
	char buf[MSG_BYTES], sysv[4] = "---", posix[4] = "---";
	struct queues q;
	int rc;

	if ((rc = queues_open(&q)) < 0)
		return rc;
	if ((rc = send_132(&q)) == 0)
		for (int i = 0; i < 3; i++) {
			if (msgrcv(q.id, &m, MSG_BYTES, 0, IPC_NOWAIT) > 0)
				sysv[i] = m.mtext[0];
			if (mq_receive(q.mq, buf, MSG_BYTES, NULL) > 0)
				posix[i] = buf[0];
		}
	probe_say(&r->sysv, "sent 1,3,2; received %c,%c,%c", sysv[0], sysv[1], sysv[2]);
	probe_say(&r->posix, "sent 1,3,2; received %c,%c,%c", posix[0], posix[1], posix[2]);
	queues_close(&q);
	return rc;
}

int probe_message_select(struct probe_result *r)
{
	struct msgbuf16 m;
	char buf[MSG_BYTES];
	char got[3][4] = { "-", "-", "-" };
	static const struct { long typ; int flags; } pick[] = { { 2, 0 }, { 1, MSG_EXCEPT }, { -2, 0 } };
	struct queues q;
	int rc;

	if ((rc = queues_open(&q)) < 0)
		return rc;
	if ((rc = send_132(&q)) == 0) {
		for (int i = 0; i < 3; i++)
			if (msgrcv(q.id, &m, MSG_BYTES, pick[i].typ, IPC_NOWAIT | pick[i].flags) > 0)
				snprintf(got[i], sizeof(got[i]), "%.1s", m.mtext);
		probe_say(&r->sysv, "msgtyp 2: %s; 1|MSG_EXCEPT: %s; -2: %s", got[0], got[1], got[2]);
		if (mq_receive(q.mq, buf, MSG_BYTES, NULL) > 0)
			probe_say(&r->posix, "first: %.1s (no way to ask for another)", buf);
	}
	queues_close(&q);
	return rc;
}
