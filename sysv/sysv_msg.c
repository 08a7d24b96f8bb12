/*
 * sysv_msg.c - the channel over a System V message queue.
 *
 * One queue (msgget, msgsnd, msgrcv) carries the messages; one set of
 * semaphores (semget, semtimedop) bounds every wait, since msgrcv has none.
 * Read it beside posix/posix_mq.c: the same functions in the same order, so
 * each call faces its POSIX counterpart.
 *
 * Message types (mtype) in the queue:
 *   1  HEAD   the channel's header (struct head below): sent once by the
 *             creator as its last step, never removed, so it stays at
 *             position 0 where openers read it with MSG_COPY (a copy, the
 *             message stays) to detect key collisions and learn the sizes;
 *   2  DATA   one message of the channel: its frame (common/frame.h:
 *             producer, sequence number, checksum), then 0..msg_max bytes;
 *   3  EOS    the end-of-stream token, 0 bytes, sent by the last producer
 *             to close; data and tokens are received with msgtyp 1 and
 *             MSG_EXCEPT ("first message that is not the header"), so FIFO
 *             order holds and the token comes after all data sent before it.
 *
 * The data path is the queue's own two calls, each with IPC_NOWAIT, and one
 * semop beside each: a producer takes a slot (SLOTS -1, USED +1, one call)
 * and sends; a consumer receives and frees the slot (SLOTS +1, USED -1):
 * four system calls a message, where a plain msgsnd/msgrcv loop makes two.
 * SysV: msgsnd and msgrcv can wait, but with no timeout and no restart after
 * a signal, and the library installs no signal handler to cut them short;
 * so they never wait, and every wait is a semtimedop, bounded. A sleeping
 * process must be woken by the process that changes what it waits for, and
 * only a semaphore (no shared memory here) tells the waker that someone
 * sleeps: the semop beside each queue call is that wake-up, and SLOTS also
 * keeps the count of messages exact (the queue's msg_qbytes counts bytes).
 * POSIX: mq_timedsend and mq_timedreceive wait themselves, to a deadline, and
 * wake each other in the kernel: posix-mq makes only the queue's two calls.
 *
 * The semaphores, a set under the queue's key; they hold the stream's state
 * (common/stream.h says what it means) the System V way, with no shared
 * memory: one semop changes several of them atomically, and GETALL reads
 * them all at one instant.
 *   USED       slots in use: taken by a producer before its msgsnd, freed by
 *              the consumer that took the message, plus one while the EOS
 *              token is queued; a consumer with nothing to take sleeps until
 *              USED > 0 without taking it (one semop of -1 then +1), so a
 *              producer wakes it by taking a slot, never by one more call
 *   SLOTS      free slots; capacity at create (SLOTS + USED keeps its sum:
 *              every semop that changes one changes the other)
 *   PRODUCERS  producers joined and alive: counted with SEM_UNDO, so the
 *              kernel uncounts a producer killed without closing
 *   JOINED     producers joined and not yet left (no undo): more JOINED
 *              than PRODUCERS means a producer died, and the stream aborts
 *   ENDED      1 once the last producer left cleanly
 *   ABORTED    1 once a producer aborted or died
 *   TOKEN      1 while an EOS token is in the queue: at most one is sent
 *   CONSUMERS  consumer handles open (no undo: one that died stays counted)
 *   UNTAKEN    messages sent by the producers that left cleanly less those
 *              taken by the consumers that closed, modulo 32768: at end of
 *              stream, a consumer that is the only one open finds there
 *              what it took itself, or messages were lost
 *   COUNTING   1 when free: the lock (SEM_UNDO) around a change of UNTAKEN
 *   MARK       SET_MARK for good: a set without a queue is still known as a
 *              sysv-msg channel's (an orphan after `ipcrm -q`)
 *
 *   $ ipcmp create -b sysv-msg jobs
 *   $ ipcmp recv -b sysv-msg jobs > copy &
 *   $ ipcmp send -b sysv-msg jobs < file
 *   $ ipcmp unlink -b sysv-msg jobs
 */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "ipcmp.h"
#include "sysv_pair.h"

enum { USED, SLOTS, PRODUCERS, JOINED, ENDED, ABORTED, TOKEN, CONSUMERS, UNTAKEN, COUNTING,
       MARK, NSEMS };
enum { HEAD = 1, DATA = 2, EOS = 3 };

#define SEMVMX 32767               /* SysV: largest semaphore value (sem.h, not exported) */
#define HEAD_MAGIC 0x514d4d49u     /* "IMMQ" little-endian */
#define HEAD_VERSION 3u
#define SET_MARK 0x4d51            /* "MQ" */

/*
 * The longest a wait sleeps before it looks around: semtimedop wakes for
 * its own semaphore only, so a producer that was SIGKILLed (SEM_UNDO
 * uncounts it, nobody sends the token) or a queue removed on its own
 * (msgctl(IPC_RMID) wakes only msgrcv/msgsnd sleepers, and ours sleep in
 * semtimedop) are noticed within this slice: 20 wake-ups a second, no
 * busy-waiting.
 */
#define SLICE_MS 50

/* The name of the limit a channel too big for its queue runs into. */
#define MSGMNB_LIMIT "kernel.msgmnb (64 + capacity x msg_max bytes)"

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct head {                      /* the text of the HEAD message */
	uint32_t magic;            /* HEAD_MAGIC */
	uint32_t version;          /* HEAD_VERSION */
	char name[40];             /* channel name: a key collision shows here */
	uint32_t msg_max;
	uint32_t capacity;
	uint32_t nsems;            /* NSEMS */
	uint32_t unused;
};

_Static_assert(sizeof(struct head) == 64, "the header message is 64 bytes");

struct qmsg {                      /* SysV: msgsnd/msgrcv take a long type, then the text */
	long mtype;
	char mtext[];
};

struct sysv_msg {
	int msqid;                 /* -1: none */
	int semid;                 /* -1: none */
	unsigned char *mem;        /* where messages are staged (STAGE_SIZE); NULL: none */
	pid_t producer;            /* the process counted in PRODUCERS; 0: none */
	pid_t consumer;            /* the process counted in CONSUMERS; 0: none */
	struct ipcmp_frame_tx tx;  /* a producer's frames */
	struct ipcmp_frame_rx rx;  /* the frames a consumer has seen */
};

static struct sysv_msg *priv(struct ipcmp_chan *chan)
{
	return (struct sysv_msg *)chan->priv;
}

/*
 * Semaphore keys are a namespace of their own, so the set takes the queue's
 * key, as everything of a SysV channel does (census, cleanup and tests find
 * a channel's objects by ipcmp_sysv_key(name)). sysv-shm keeps its set under
 * the same key: one name is a channel of one SysV backend at a time (create
 * gives -EEXIST, open -EPROTO: the set has 4 semaphores, not NSEMS).
 */

/* A queue or set that no longer exists: EIDRM while we waited on it,
 * EINVAL when it went before the call. */
static int gone(int err)
{
	return err == EIDRM || err == EINVAL;
}

static int queue_alive(struct sysv_msg *s)
{
	struct msqid_ds ds;

	if (msgctl(s->msqid, IPC_STAT, &ds) == 0)
		return 0;
	return gone(errno) ? ipcmp_fail("msgctl(IPC_STAT)", EIDRM) : 0;
}

/*
 * SysV: semtimedop takes a relative timeout, so after EINTR what is left of
 * the CLOCK_MONOTONIC deadline is computed again (semop is never restarted
 * after a signal handler, SA_RESTART or not). deadline NULL: IPC_NOWAIT.
 * Each sleep lasts at most SLICE_MS; between slices the queue is checked,
 * so a queue removed under us gives -EIDRM even though the set still exists.
 */
static int semops(struct sysv_msg *s, struct sembuf *sops, size_t n,
		  const struct timespec *deadline)
{
	struct timespec left, slice = { SLICE_MS / 1000, (SLICE_MS % 1000) * 1000000L };
	int rc;

	for (;;) {
		if (deadline == NULL) {
			for (size_t i = 0; i < n; i++)
				sops[i].sem_flg |= IPC_NOWAIT;
			rc = semop(s->semid, sops, n);
		} else {
			if (ipcmp_remaining(deadline, CLOCK_MONOTONIC, &left) < 0)
				return -ETIMEDOUT;
			if (left.tv_sec > slice.tv_sec ||
			    (left.tv_sec == slice.tv_sec && left.tv_nsec > slice.tv_nsec))
				left = slice;
			rc = semtimedop(s->semid, sops, n, &left);
		}
		if (rc == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (gone(errno))
			return ipcmp_fail("semtimedop", EIDRM);
		if (errno != EAGAIN)
			return ipcmp_fail("semtimedop", errno);
		if (deadline == NULL)
			return -EAGAIN;
		/* a slice ran out: the caller looks around, then waits on */
		return -EINPROGRESS;
	}
}

/* A producer takes a slot: SLOTS -1 and USED +1, in one semop, so that a
 * consumer asleep on USED wakes. deadline NULL: at once or -EAGAIN; else
 * it waits, and between slices a removed queue ends the wait. */
static int claim(struct sysv_msg *s, const struct timespec *deadline)
{
	for (;;) {
		struct sembuf ops[2] = { { SLOTS, -1, 0 }, { USED, 1, 0 } };
		int rc = semops(s, ops, 2, deadline);

		if (rc != -EINPROGRESS)
			return rc;
		if ((rc = queue_alive(s)) < 0)
			return rc;
	}
}

/*
 * A message is gone from the queue (a consumer took it, or its msgsnd
 * failed): its slot is free again, SLOTS +1 and USED -1 in one semop,
 * which wakes a producer waiting for room. USED 0 means the message took
 * no slot (a peer sent it, or wrote the semaphores): nothing is freed, and
 * SLOTS + USED keeps its sum. Only a removed set is an error.
 */
static int release(struct sysv_msg *s)
{
	struct sembuf ops[2] = { { SLOTS, 1, 0 }, { USED, -1, 0 } };
	int rc = semops(s, ops, 2, NULL);

	return rc == -EIDRM ? rc : 0;
}

/*
 * A consumer that found the queue empty sleeps until USED > 0 without
 * taking it: -1 and +1 in one semop, which the kernel applies together or
 * not at all. SysV: POSIX semaphores have no such wait for a value. USED
 * rises before the message is in the queue (a producer takes its slot,
 * then sends), so whatever a producer does after our look finds us asleep
 * or awake: no wake-up is lost. 0, -EINPROGRESS at the end of a slice,
 * -ETIMEDOUT or -errno.
 */
static int await_used(struct sysv_msg *s, const struct timespec *deadline)
{
	struct sembuf ops[2] = { { USED, -1, 0 }, { USED, 1, 0 } };

	return semops(s, ops, 2, deadline);
}

/* The token left the queue: TOKEN -1, USED -1; either may already be 0
 * when a peer wrote the semaphores. */
static int drop_token(struct sysv_msg *s)
{
	struct sembuf token = { TOKEN, -1, 0 }, used = { USED, -1, 0 };
	int rc = semops(s, &token, 1, NULL);

	if (rc == 0 || rc == -EAGAIN)
		rc = semops(s, &used, 1, NULL);
	return rc == -EAGAIN ? 0 : rc;
}

/* Sends the EOS token unless one is already queued (TOKEN 0 -> 1); it holds
 * a unit of USED while queued, which wakes a sleeping consumer. */
static int send_token(struct sysv_msg *s)
{
	struct sembuf ops[3] = { { TOKEN, 0, 0 }, { TOKEN, 1, 0 }, { USED, 1, 0 } };
	long token = EOS;              /* SysV: the type alone, no text */
	int rc;

	if ((rc = semops(s, ops, 3, NULL)) < 0)
		return rc == -EAGAIN ? 0 : rc;
	if (msgsnd(s->msqid, &token, 0, IPC_NOWAIT) < 0) {
		/* EAGAIN: no room (strangers' messages, or msg_qbytes lowered by
		 * IPC_SET): no token, and waiting consumers find the end by
		 * their status check within a slice; not a reason to fail */
		rc = gone(errno) ? ipcmp_fail("msgsnd", EIDRM) :
		     errno == EAGAIN ? 0 : ipcmp_fail("msgsnd", errno);
		drop_token(s);          /* take back our TOKEN +1, USED +1 */
		return rc;
	}
	return 0;
}

/* Sets ENDED or ABORTED once (0 -> 1) and wakes a consumer: 1 if this call
 * did it, 0 if the stream was over already or a producer joined. */
static int finish(struct sysv_msg *s, int aborted)
{
	struct sembuf end[4] = { { JOINED, 0, 0 }, { ENDED, 0, 0 }, { ABORTED, 0, 0 }, { ENDED, 1, 0 } };
	struct sembuf abort[3] = { { ENDED, 0, 0 }, { ABORTED, 0, 0 }, { ABORTED, 1, 0 } };
	int rc = aborted ? semops(s, abort, 3, NULL) : semops(s, end, 4, NULL);

	if (rc == -EAGAIN)
		return 0;
	return rc < 0 ? rc : send_token(s);
}

/*
 * What a consumer that found nothing says: IPCMP_EOS, IPCMP_ABORTED or 0.
 * SysV: GETALL reads the whole set at one instant; a join or a leave moves
 * JOINED and PRODUCERS in one semop, so PRODUCERS < JOINED in a snapshot
 * is the kernel's undo of a producer that died, and GETPID names the last
 * process that changed a semaphore: on PRODUCERS the dead one (the undo),
 * on ABORTED a producer that aborted (or the consumer that saw a death).
 */
static int status(struct sysv_msg *s, pid_t *aborter)
{
	unsigned short v[NSEMS];
	int rc;

	if (semctl(s->semid, 0, GETALL, (union semun){ .array = v }) < 0)
		return ipcmp_fail("semctl(GETALL)", gone(errno) ? EIDRM : errno);
	if (v[ABORTED]) {
		*aborter = semctl(s->semid, ABORTED, GETPID);
		return IPCMP_ABORTED;
	}
	if (v[ENDED])
		return IPCMP_EOS;
	if (v[PRODUCERS] >= v[JOINED])
		return 0;
	*aborter = semctl(s->semid, PRODUCERS, GETPID);
	if ((rc = finish(s, 1)) < 0)
		return rc;
	return IPCMP_ABORTED;
}

/* A producer joins unless the stream is over: the test and the counts are
 * one semop. SysV: SEM_UNDO on PRODUCERS only, so a death shows. */
static int producer_join(struct sysv_msg *s)
{
	struct sembuf ops[4] = {
		{ ENDED, 0, 0 }, { ABORTED, 0, 0 }, { JOINED, 1, 0 }, { PRODUCERS, 1, SEM_UNDO },
	};
	int rc = semops(s, ops, 4, NULL);

	if (rc == -EAGAIN)
		return -ESHUTDOWN;
	if (rc == 0)
		s->producer = getpid();
	return rc;
}

/* A consumer handle is counted while open (see UNTAKEN). */
static int consumer_join(struct ipcmp_chan *chan)
{
	struct sysv_msg *s = priv(chan);
	struct sembuf op = { CONSUMERS, 1, 0 };
	int rc;

	if (!(chan->flags & IPCMP_CONSUMER))
		return 0;
	if ((rc = semops(s, &op, 1, NULL)) == 0)
		s->consumer = getpid();
	return rc;
}

/*
 * SysV: msgsnd and msgrcv take a long type, then the text, in one buffer:
 * each message is staged, its payload copied in or out once (the plain loop
 * copies too, for the same reason), where the copy is fastest
 * (ipcmp_frame_stage, common/frame.h).
 */
#define STAGE_SIZE(msg_max) (sizeof(struct qmsg) + IPCMP_FRAME_SIZE + (msg_max) + 1 + IPCMP_FRAME_SLACK)

static struct qmsg *stage(struct sysv_msg *s, const void *user)
{
	return ipcmp_frame_stage(s->mem, user, sizeof(struct qmsg) + IPCMP_FRAME_SIZE);
}

/* The message's bytes: its frame, then the payload (common/frame.c). */
static size_t frame_put(struct sysv_msg *s, struct qmsg *m, const void *buf, size_t len)
{
	if (len > 0)
		memcpy(m->mtext + IPCMP_FRAME_SIZE, buf, len);
	return ipcmp_frame_put(&s->tx, m->mtext, len);
}

/* The payload's length, or -EBADMSG; the payload is copied to buf. */
static ssize_t frame_check(struct sysv_msg *s, const struct qmsg *m, size_t n, void *buf, size_t cap)
{
	ssize_t len = ipcmp_frame_check(&s->rx, m->mtext, n);

	if (len < 0 || (size_t)len > cap)
		return -EBADMSG;
	if (len > 0)
		memcpy(buf, m->mtext + IPCMP_FRAME_SIZE, (size_t)len);
	return len;
}

/*
 * UNTAKEN += delta, modulo 32768 (a semaphore holds 0..SEMVMX): read and
 * set under COUNTING, which the kernel releases if we die holding it.
 * When that fails, the count can no longer be trusted: CONSUMERS is raised
 * for good, and no consumer will judge the end by it.
 */
static void count_untaken(struct sysv_msg *s, long delta)
{
	struct sembuf lock = { COUNTING, -1, SEM_UNDO }, unlock = { COUNTING, 1, SEM_UNDO };
	struct sembuf poison = { CONSUMERS, 1, 0 };
	struct timespec deadline;
	int rc, v = -1;

	ipcmp_deadline(&deadline, CLOCK_MONOTONIC, IPCMP_OPEN_WAIT_MS);
	while ((rc = semops(s, &lock, 1, &deadline)) == -EINPROGRESS)
		;
	if (rc == 0) {
		v = semctl(s->semid, UNTAKEN, GETVAL);
		if (v >= 0 && semctl(s->semid, UNTAKEN, SETVAL,
				     (union semun){ .val = (int)(((v + delta) % 32768 + 32768) % 32768) }) < 0)
			v = -1;
		semops(s, &unlock, 1, NULL);
	}
	if (v < 0)
		semops(s, &poison, 1, NULL);
}

/* At end of stream, were messages lost? See UNTAKEN. -EBADMSG or 0. */
static int lost(struct sysv_msg *s)
{
	unsigned short v[NSEMS];

	if (s->consumer != getpid() || semctl(s->semid, 0, GETALL, (union semun){ .array = v }) < 0 ||
	    v[CONSUMERS] != 1)
		return 0;
	return v[UNTAKEN] != s->rx.taken % 32768 ? -EBADMSG : 0;
}

/*
 * The producer that leaves last ends the stream (one that aborts aborts
 * it) and sends the token, which wakes a waiting consumer at once; every
 * consumer passes it on. A handle inherited over fork() is counted in the
 * process that opened it (SEM_UNDO adjustments are per process and not
 * inherited), so only that process uncounts it.
 */
static int chan_leave(struct ipcmp_chan *chan, int abort)
{
	struct sysv_msg *s = priv(chan);
	struct sembuf ops[2] = { { JOINED, -1, 0 }, { PRODUCERS, -1, SEM_UNDO } };
	int rc;

	if (s->producer != getpid()) {
		s->producer = 0;
		return 0;
	}
	s->producer = 0;
	if (!abort)
		count_untaken(s, (long)(s->tx.seq % 32768));     /* before the end can be seen */
	if ((rc = semops(s, ops, 2, NULL)) == 0)
		rc = finish(s, abort);
	return rc == -EIDRM ? 0 : rc < 0 ? rc : 0;      /* removed under us: nobody to tell */
}

/*
 * What fits: a message of msg_max bytes and its frame must pass msgsnd
 * (kernel.msgmax), and the queue must hold the header, capacity such
 * messages and the token (kernel.msgmnb, the default msg_qbytes; the kernel also
 * counts each message as one byte against it, which the header's 64 bytes
 * cover). The semaphores hold at most SEMVMX.
 */
static size_t queue_bytes(size_t msg_max, size_t capacity)
{
	return sizeof(struct head) + capacity * (msg_max + IPCMP_FRAME_SIZE);
}

static int chan_limits(struct ipcmp_limits *lim)
{
	size_t msgmax, msgmnb;
	int rc;

	if ((rc = ipcmp_read_limit("/proc/sys/kernel/msgmax", &msgmax)) < 0 ||
	    (rc = ipcmp_read_limit("/proc/sys/kernel/msgmnb", &msgmnb)) < 0)
		return rc;
	if (msgmnb <= sizeof(struct head) + IPCMP_FRAME_SIZE || msgmax <= IPCMP_FRAME_SIZE)
		return ipcmp_fail("kernel.msgmnb", ENOSPC);
	/* One message per queue at most: msg_max is bounded by both limits,
	 * less the frame each message carries. */
	lim->msg_max_limit = msgmax - IPCMP_FRAME_SIZE;
	lim->msg_max_source = "kernel.msgmax";
	if (msgmnb - sizeof(struct head) < msgmax) {
		lim->msg_max_limit = msgmnb - sizeof(struct head) - IPCMP_FRAME_SIZE;
		lim->msg_max_source = "kernel.msgmnb";
	}
	/* Messages of one byte at most; create checks the product. */
	lim->capacity_limit = (msgmnb - sizeof(struct head)) / (1 + IPCMP_FRAME_SIZE);
	lim->capacity_source = "kernel.msgmnb";
	if (lim->capacity_limit > SEMVMX) {
		lim->capacity_limit = SEMVMX;
		lim->capacity_source = "SEMVMX (largest SysV semaphore value)";
	}
	/* Defaults: 1 KiB messages, as many as the default queue holds (15
	 * with msgmnb 16384), so the default channel always fits. */
	lim->msg_max_default = lim->msg_max_limit < 1024 ? lim->msg_max_limit : 1024;
	lim->capacity_default = (msgmnb - sizeof(struct head)) / (lim->msg_max_default + IPCMP_FRAME_SIZE);
	if (lim->capacity_default > lim->capacity_limit)
		lim->capacity_default = lim->capacity_limit;
	return 0;
}

static int chan_close(struct ipcmp_chan *chan);
static int wait_ready(int msqid, const char *name, struct head *h);

/* create found a queue under the key: this channel's (-EEXIST, perhaps
 * still being made by another creator) or not (-EPROTO: a key collision). */
static int existing(key_t key, const char *name)
{
	struct head h;
	int msqid = msgget(key, 0);

	if (msqid < 0 || wait_ready(msqid, name, &h) != -EPROTO)
		return ipcmp_fail("msgget", EEXIST);
	return ipcmp_fail("msgget", EPROTO);
}

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct sysv_msg *s = priv(chan);
	key_t key = ipcmp_sysv_key(chan->name);
	unsigned short init[NSEMS] = { [SLOTS] = (unsigned short)attr->capacity, [COUNTING] = 1,
				       [MARK] = SET_MARK };
	struct { long mtype; struct head h; } head = { HEAD, { 0 } };
	struct ipcmp_limits lim = { 0 };
	struct msqid_ds ds;
	size_t msgmnb;
	int rc;

	s->msqid = s->semid = -1;
	s->mem = NULL;
	s->producer = 0;
	if ((rc = chan_limits(&lim)) < 0 ||
	    (rc = ipcmp_read_limit("/proc/sys/kernel/msgmnb", &msgmnb)) < 0)
		return rc;
	/* chan.c checked each limit alone; the queue's byte budget is a product. */
	if (queue_bytes(attr->msg_max, attr->capacity) > msgmnb)
		return ipcmp_fail(MSGMNB_LIMIT, EINVAL);
	if ((s->mem = malloc(STAGE_SIZE(attr->msg_max))) == NULL)
		return -ENOMEM;

	/* SysV: the mode is taken as given; the umask does not apply. */
	s->msqid = msgget(key, IPC_CREAT | IPC_EXCL | (int)attr->mode);
	if (s->msqid < 0) {
		rc = errno == EEXIST ? existing(key, chan->name) : ipcmp_fail("msgget", errno);
		goto fail;
	}
	/* msg_qbytes came from kernel.msgmnb as the queue was made: trust it, not
	 * the value read above (which another root may have changed since). */
	if (msgctl(s->msqid, IPC_STAT, &ds) < 0) {
		rc = ipcmp_fail("msgctl(IPC_STAT)", errno);
		goto fail;
	}
	if (queue_bytes(attr->msg_max, attr->capacity) > ds.msg_qbytes) {
		rc = ipcmp_fail(MSGMNB_LIMIT, EINVAL);
		goto fail;
	}

	/* SysV: semget leaves the values undefined until SETALL, so an opener
	 * must not use the set before the creator sends the header, last. */
	s->semid = semget(key, NSEMS, IPC_CREAT | IPC_EXCL | (int)attr->mode);
	if (s->semid < 0) {
		rc = ipcmp_fail("semget", errno);
		goto fail;
	}
	if (semctl(s->semid, 0, SETALL, (union semun){ .array = init }) < 0) {
		rc = ipcmp_fail("semctl(SETALL)", errno);
		goto fail;
	}
	head.h.magic = HEAD_MAGIC;
	head.h.version = HEAD_VERSION;
	strncpy(head.h.name, chan->name, sizeof(head.h.name) - 1);
	head.h.msg_max = (uint32_t)attr->msg_max;
	head.h.capacity = (uint32_t)attr->capacity;
	head.h.nsems = NSEMS;
	if (msgsnd(s->msqid, &head, sizeof(head.h), IPC_NOWAIT) < 0) {
		rc = ipcmp_fail("msgsnd", errno);
		goto fail;
	}
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	ipcmp_frame_tx_init(&s->tx, chan->flags);
	if ((rc = consumer_join(chan)) < 0 ||
	    ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0))
		goto fail;
	return 0;

fail:
	if (s->semid >= 0)
		semctl(s->semid, 0, IPC_RMID);
	if (s->msqid >= 0)
		msgctl(s->msqid, IPC_RMID, NULL);
	s->producer = 0;
	chan_close(chan);
	return rc;
}

/*
 * Reads the header without taking it. SysV: MSG_COPY (Linux 3.8, needs
 * CONFIG_CHECKPOINT_RESTORE) makes msgtyp a position in the queue and
 * copies that message; it must come with IPC_NOWAIT. Returns 0, -EAGAIN
 * when the queue has no message yet (the creator is not done), -EPROTO
 * when position 0 is not a header of this channel, or -errno.
 */
static int read_head(int msqid, const char *name, struct head *h)
{
	struct { long mtype; struct head h; } m;
	char stored[sizeof(h->name)];
	ssize_t n;

	n = msgrcv(msqid, &m, sizeof(m.h), 0, MSG_COPY | IPC_NOWAIT);
	if (n < 0) {
		if (errno == ENOMSG)
			return -EAGAIN;
		if (errno == E2BIG)     /* longer than any header: not ours */
			return -EPROTO;
		return ipcmp_fail("msgrcv(MSG_COPY)", gone(errno) ? ENOENT : errno);
	}
	if ((size_t)n != sizeof(m.h) || m.mtype != HEAD || m.h.magic != HEAD_MAGIC ||
	    m.h.version != HEAD_VERSION)
		return -EPROTO;
	memcpy(stored, m.h.name, sizeof(stored));
	stored[sizeof(stored) - 1] = '\0';
	if (name != NULL && strcmp(stored, name) != 0)
		return -EPROTO;
	*h = m.h;
	return 0;
}

/* Between the creator's msgget and its header the queue is empty: wait,
 * bounded, for the header; a queue still empty then is not a channel. */
static int wait_ready(int msqid, const char *name, struct head *h)
{
	struct timespec tick = { 0, 1000000 };

	for (struct ipcmp_until u = IPCMP_OPEN_UNTIL; !ipcmp_until_passed(&u); ipcmp_sleep(&tick)) {
		int rc = read_head(msqid, name, h);

		if (rc != -EAGAIN)
			return rc;
	}
	return -EPROTO;
}

static int chan_open(struct ipcmp_chan *chan)
{
	struct sysv_msg *s = priv(chan);
	key_t key = ipcmp_sysv_key(chan->name);
	struct semid_ds sds;
	struct head h = { 0 };
	size_t msgmax;
	int rc;

	s->msqid = s->semid = -1;
	s->mem = NULL;
	s->producer = 0;
	if ((s->msqid = msgget(key, 0)) < 0)
		return ipcmp_fail("msgget", errno);
	if ((rc = wait_ready(s->msqid, chan->name, &h)) < 0)
		goto fail;
	/* The header is untrusted: anyone with write access sends what he likes. */
	if ((rc = ipcmp_read_limit("/proc/sys/kernel/msgmax", &msgmax)) < 0)
		goto fail;
	if (h.msg_max == 0 || h.msg_max + IPCMP_FRAME_SIZE > msgmax || h.capacity == 0 ||
	    h.capacity > SEMVMX || h.nsems != NSEMS) {
		rc = -EBADMSG;
		goto fail;
	}
	if ((s->semid = semget(key, 0, 0)) < 0) {
		rc = ipcmp_fail("semget", errno);
		goto fail;
	}
	if (semctl(s->semid, 0, IPC_STAT, (union semun){ .buf = &sds }) < 0) {
		rc = ipcmp_fail("semctl(IPC_STAT)", errno);
		goto fail;
	}
	if (sds.sem_nsems != NSEMS || (rc = semctl(s->semid, MARK, GETVAL)) != SET_MARK) {
		/* another shape or mark: not ours; a mark we could not read: an error */
		rc = sds.sem_nsems == NSEMS && rc < 0 ? ipcmp_fail("semctl(GETVAL)", errno) : -EPROTO;
		goto fail;
	}
	if ((s->mem = malloc(STAGE_SIZE(h.msg_max))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	chan->msg_max = h.msg_max;
	chan->capacity = h.capacity;
	ipcmp_frame_tx_init(&s->tx, chan->flags);
	if ((rc = consumer_join(chan)) < 0 ||
	    ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0))
		goto fail;
	return 0;

fail:
	chan_close(chan);
	return rc;
}

/*
 * SysV: msgsnd can wait for room, but with no timeout and no restart after
 * a signal; so the wait is for a slot (semtimedop) and msgsnd never waits.
 * The queue was sized at create to hold capacity messages, so with a slot
 * in hand IPC_NOWAIT succeeds unless a stranger filled the queue. The
 * deadline is read only when the first try finds no slot.
 */
static int chan_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	struct sysv_msg *s = priv(chan);
	struct qmsg *m = stage(s, buf);
	struct timespec deadline;
	int rc = claim(s, NULL);

	if (rc == -EAGAIN && timeout_ms > 0) {
		ipcmp_deadline(&deadline, CLOCK_MONOTONIC, timeout_ms);
		rc = claim(s, &deadline);
	}
	if (rc < 0)
		return rc;
	m->mtype = DATA;
	len = frame_put(s, m, buf, len);
	if (msgsnd(s->msqid, m, len, IPC_NOWAIT) < 0) {
		int err = errno;

		release(s);
		if (gone(err))
			return ipcmp_fail("msgsnd", EIDRM);
		/* full with a slot in hand: messages that are not the channel's */
		return err == EAGAIN ? ipcmp_fail("msgsnd", EBADMSG) : ipcmp_fail("msgsnd", err);
	}
	return 0;
}

/*
 * SysV: msgrcv can wait, but with no timeout and no restart after a signal;
 * so it never waits (the wait is on USED, in chan_recv). It asks for
 * msg_max + 1 bytes with MSG_NOERROR: a longer foreign message is taken,
 * cut, and seen to be too long, and never overflows the buffer. A message
 * of the channel frees its slot. Returns the length, -EAGAIN when the queue
 * holds nothing for us, or -ENOMSG for the token.
 */
static ssize_t take_message(struct ipcmp_chan *chan, void *buf, size_t cap)
{
	struct sysv_msg *s = priv(chan);
	struct qmsg *m = stage(s, buf);
	ssize_t n;
	int rc;

	n = msgrcv(s->msqid, m, IPCMP_FRAME_SIZE + chan->msg_max + 1, HEAD,
		   MSG_EXCEPT | MSG_NOERROR | IPC_NOWAIT);
	if (n < 0) {
		int err = errno;

		if (gone(err))
			return ipcmp_fail("msgrcv", EIDRM);
		/* SysV: permission is checked at every call (EACCES after a
		 * mode change): then the message stays */
		return err == ENOMSG ? -EAGAIN : ipcmp_fail("msgrcv", err);
	}
	if (m->mtype == DATA && (size_t)n <= IPCMP_FRAME_SIZE + chan->msg_max) {
		if ((rc = release(s)) < 0)
			return rc;
		return frame_check(s, m, (size_t)n, buf, cap);
	}
	if (m->mtype != EOS || n != 0)
		return -EBADMSG;        /* a stranger's message: it took no slot */
	drop_token(s);
	return -ENOMSG;                 /* the token */
}

/*
 * Woken (USED > 0) and still nothing to take: a producer is between its
 * slot and its msgsnd, or a consumer between its msgrcv and its release,
 * for microseconds; or the unit will not come back: a process killed
 * between its two calls, a message a stranger took. The wait goes on as a
 * poll that backs off from yielding the CPU to sleeping 1.28 ms, bounded
 * by the deadline; the caller looks at the stream's state every slice.
 */
static void back_off(unsigned *polls, const struct timespec *deadline)
{
	struct timespec left, pause = { 0, 0 };
	unsigned k = *polls < 8 ? 0 : *polls - 8;

	if ((*polls)++ < 8) {
		sched_yield();
		return;
	}
	pause.tv_nsec = 10000L << (k < 7 ? k : 7);
	if (ipcmp_remaining(deadline, CLOCK_MONOTONIC, &left) < 0)
		return;
	if (left.tv_sec == 0 && left.tv_nsec < pause.tv_nsec)
		pause = left;
	ipcmp_sleep(&pause);
}

static int past(const struct timespec *t)
{
	struct timespec left;

	return ipcmp_remaining(t, CLOCK_MONOTONIC, &left) < 0;
}

/*
 * Takes what the queue holds; with nothing, and time left, sleeps until
 * USED > 0 and looks again. The stream's state (a GETALL) is read only when
 * recv would return without a message (timeout 0, the deadline), after a
 * token, and once a slice while it waits, not on the way of a message.
 */
static ssize_t chan_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	struct sysv_msg *s = priv(chan);
	struct timespec deadline, look;
	pid_t aborter = 0;
	unsigned polls = 0;
	int rc = 0, st, armed = 0, woken = 0, timed_out = 0;
	ssize_t n;

	for (;;) {
		n = take_message(chan, buf, cap);
		if (n >= 0 || (n != -EAGAIN && n != -ENOMSG))
			return n;
		if (timeout_ms == 0 || timed_out || n == -ENOMSG || rc == -EINPROGRESS ||
		    (woken && past(&look))) {
			if ((st = status(s, &aborter)) == IPCMP_EOS || st == IPCMP_ABORTED) {
				/* over: what is still queued comes first (a producer
				 * may have sent it as the stream ended) */
				n = take_message(chan, buf, cap);
				if (n >= 0 || (n != -ENOMSG && n != -EAGAIN))
					return n;
				if ((rc = send_token(s)) < 0)   /* pass it on */
					return rc;
				if (st == IPCMP_ABORTED && chan->aborter == 0)
					chan->aborter = aborter > 0 ? aborter : 0;
				return st == IPCMP_EOS && lost(s) < 0 ? -EBADMSG : st;
			}
			if (st < 0)
				return st;
			if (rc == -EINPROGRESS && (rc = queue_alive(s)) < 0)
				return rc;
			if (armed)
				ipcmp_deadline(&look, CLOCK_MONOTONIC, SLICE_MS);
		}
		if (n == -ENOMSG)               /* a stale token */
			continue;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (timed_out)
			return -ETIMEDOUT;
		if (!armed) {
			ipcmp_deadline(&deadline, CLOCK_MONOTONIC, timeout_ms);
			ipcmp_deadline(&look, CLOCK_MONOTONIC, SLICE_MS);
			armed = 1;
		}
		if (woken)
			back_off(&polls, &deadline);
		rc = await_used(s, &deadline);
		woken = rc == 0;
		if (rc == -ETIMEDOUT)
			timed_out = 1;
		else if (rc < 0 && rc != -EINPROGRESS)
			return rc;
	}
}

static int chan_close(struct ipcmp_chan *chan)
{
	struct sysv_msg *s = priv(chan);

	struct sembuf op = { CONSUMERS, -1, 0 };

	if (s->semid >= 0 && s->consumer == getpid()) {
		count_untaken(s, -(long)(s->rx.taken % 32768));
		semops(s, &op, 1, NULL);
	}
	s->consumer = 0;
	/* SysV: there is nothing to detach: a msqid is no descriptor. */
	free(s->mem);
	s->mem = NULL;
	s->msqid = s->semid = -1;
	s->producer = 0;
	return 0;
}

/* What the queue holds (enum ipcmp_sysv_holds); the channel its header
 * names in other. name NULL: any channel is IPCMP_SYSV_OTHER. */
static int queue_holds(int msqid, const char *name, char *other, size_t size)
{
	struct head h;
	int rc;

	if (msqid < 0)
		return IPCMP_SYSV_MISSING;
	if ((rc = read_head(msqid, NULL, &h)) == -EAGAIN || rc == -EPROTO)
		return IPCMP_SYSV_UNREADABLE;
	if (rc < 0)
		return rc;
	snprintf(other, size, "%.*s", (int)sizeof(h.name) - 1, h.name);
	if (ipcmp_name_check(other) < 0)
		return IPCMP_SYSV_UNREADABLE;
	return name != NULL && strcmp(other, name) == 0 ? IPCMP_SYSV_OURS : IPCMP_SYSV_OTHER;
}

static int queue_of(key_t key)
{
	return msgget(key, 0);
}

static const struct ipcmp_sysv_pair pair = {
	.kind = "msg",
	.get = queue_of,
	.holds = queue_holds,
	.nsems = NSEMS,
	.mark_sem = MARK,
	.mark = SET_MARK,
};

/*
 * Removes the channel: its queue when the header carries this channel's
 * name (a key collision must not destroy somebody else's queue), and its
 * set. A set with our mark and no queue (`ipcrm -q`), or with a queue
 * whose header is gone, is a damaged channel: removed, IPCMP_DAMAGED. The
 * set goes first, so an unlink cut short leaves the queue, which a second
 * one finds.
 */
static int chan_unlink(const char *name)
{
	key_t key = ipcmp_sysv_key(name);
	int msqid = msgget(key, 0);
	int semid;
	char other[IPCMP_NAME_MAX + 8];
	int q, marked;

	if (msqid < 0 && errno != ENOENT)
		return ipcmp_fail("msgget", errno);
	if ((semid = semget(key, 0, 0)) < 0 && errno != ENOENT)
		return ipcmp_fail("semget", errno);
	if ((q = queue_holds(msqid, name, other, sizeof(other))) < 0)
		return q;
	marked = ipcmp_sysv_set_is_ours(&pair, semid);
	if (q == IPCMP_SYSV_OTHER || (q == IPCMP_SYSV_UNREADABLE && !marked))
		return -EPROTO;
	if (q == IPCMP_SYSV_MISSING && !marked)
		return ipcmp_fail("msgget", ENOENT);
	if (semid >= 0 && semctl(semid, 0, IPC_RMID) < 0 && !gone(errno))
		return ipcmp_fail("semctl(IPC_RMID)", errno);
	if (msqid >= 0 && msgctl(msqid, IPC_RMID, NULL) < 0)
		return ipcmp_fail("msgctl(IPC_RMID)", gone(errno) ? ENOENT : errno);
	return q == IPCMP_SYSV_OURS && semid >= 0 ? 0 : IPCMP_DAMAGED;
}

static int chan_owns(const char *kind, const char *object, long id, char *channel, size_t size)
{
	return ipcmp_sysv_pair_owns(&pair, kind, object, id, channel, size);
}

/* The API map (ipcmp compare): the calls above, step by step. */
static const struct ipcmp_step steps[IPCMP_STEPS] = {
	[IPCMP_STEP_CREATE] = { "msgget, semget, semctl, msgsnd", "IPC_CREAT|IPC_EXCL; SETALL; the header message last" },
	[IPCMP_STEP_OPEN] = { "msgget, msgrcv, semget, semctl", "the header read with MSG_COPY; the set's shape and MARK" },
	[IPCMP_STEP_SIZE] = { "msgctl", "IPC_STAT: msg_qbytes (kernel.msgmnb) must hold capacity x msg_max" },
	[IPCMP_STEP_MAP] = { "", "none: msgsnd and msgrcv copy through the kernel" },
	[IPCMP_STEP_OWNS] = { "msgrcv, semctl", "the name in the header message (MSG_COPY); the set's MARK (GETVAL)" },
	[IPCMP_STEP_JOIN] = { "semop", "unless ENDED or ABORTED: JOINED +1, PRODUCERS +1 with SEM_UNDO, one call" },
	[IPCMP_STEP_LOCK] = { "", "none: msgsnd and msgrcv are atomic" },
	[IPCMP_STEP_ROOM] = { "semop, semtimedop", "SLOTS -1 and USED +1 in one call, IPC_NOWAIT first; semtimedop waits (msgsnd has no timeout)" },
	[IPCMP_STEP_PUBLISH] = { "msgsnd", "IPC_NOWAIT; a frame: producer, sequence number, checksum (common/frame.c)" },
	[IPCMP_STEP_WAKE] = { "", "none: the room step's USED +1 wakes a consumer asleep on USED" },
	[IPCMP_STEP_DATA] = { "msgrcv, semop, semtimedop", "msgrcv(MSG_EXCEPT, IPC_NOWAIT) first, then SLOTS +1 and USED -1 in one call; with nothing, semtimedop until USED > 0 (-1 and +1 in one call)" },
	[IPCMP_STEP_END] = { "semop, semctl, msgsnd", "UNTAKEN += sent (SETVAL); JOINED -1, PRODUCERS -1, then ENDED 0 -> 1 if JOINED is 0; an EOS token message" },
	[IPCMP_STEP_ABORT] = { "semop, msgsnd", "ABORTED 0 -> 1; the token" },
	[IPCMP_STEP_DEATH] = { "semctl", "GETALL: PRODUCERS (lowered by SEM_UNDO) below JOINED; GETPID names the dead" },
	[IPCMP_STEP_DEAD_LOCK] = { "", "no lock" },
	[IPCMP_STEP_CLOSE] = { "semop, semctl", "a consumer: UNTAKEN -= what it took, CONSUMERS -1; nothing to detach: a msqid is no descriptor" },
	[IPCMP_STEP_REMOVE] = { "msgctl, semctl", "IPC_RMID each" },
};

const struct ipcmp_ops ipcmp_sysv_msg_ops = {
	.name = "sysv-msg",
	.family = "System V",
	.calls = "msgget msgsnd msgrcv(MSG_COPY, MSG_EXCEPT) semget semctl semtimedop msgctl(IPC_RMID)",
	.priv_size = sizeof(struct sysv_msg),
	.limits = chan_limits,
	.create = chan_create,
	.open = chan_open,
	.send = chan_send,
	.recv = chan_recv,
	.leave = chan_leave,
	.close = chan_close,
	.unlink = chan_unlink,
	.owns = chan_owns,
	.steps = steps,
};
