/*
 * posix_mq.c - the channel over a POSIX message queue.
 *
 * One queue (mq_open, mq_timedsend, mq_timedreceive) carries the messages,
 * named /ipcmp.NAME; a small shared-memory object /ipcmp.NAME.mq holds what
 * a queue cannot: the stream's state (common/stream.h), with the producers
 * registered by pid, since POSIX has no undo to tell of a death. Read it beside
 * sysv/sysv_msg.c: the same functions in the same order, so each call faces
 * its System V counterpart.
 *
 * Priorities in the queue (mq delivers the highest first, FIFO within one):
 *   1  DATA   one message of the channel: its frame (common/frame.h:
 *             producer, sequence number, checksum), then 0..msg_max bytes;
 *   0  EOS    the end-of-stream token, 0 bytes: below every data message,
 *             so it comes after all of them whenever it was sent, and an
 *             empty data message stays distinct from it with no framing.
 *
 *   $ ipcmp create -b posix-mq jobs
 *   $ ipcmp recv -b posix-mq jobs > copy &
 *   $ ipcmp send -b posix-mq jobs < file
 *   $ ipcmp unlink -b posix-mq jobs
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "ipcmp.h"
#include "stream.h"

enum { EOS = 0, DATA = 1 };        /* message priorities */

#define STATE_MAGIC 0x514d5049u    /* "IPMQ" little-endian */
#define STATE_VERSION 3u

/* A consumer's wait is cut into slices; between two it checks that the
 * producers live. */
#define SLICE_MS 50

/*
 * What the kernel charges against RLIMIT_MSGQUEUE per queue (mq_overview(7),
 * ipc/mqueue.c): mq_maxmsg * (mq_msgsize + sizeof(struct msg_msg) +
 * sizeof(struct posix_msg_tree_node)), two structures of 48 bytes each on
 * 64-bit Linux; we count 12 pointers, which is that or more.
 */
#define MQ_MSG_OVERHEAD (12 * sizeof(void *))

#define PATH_LEN (sizeof(IPCMP_POSIX_PREFIX) + IPCMP_NAME_MAX + 8)

/* One load or store of a shared field; sequentially consistent, which the
 * waiters/producers hand-over below relies on. */
#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* The shared state. Anyone who may open the channel may write it: nothing
 * here is trusted; a bad value can delay end of stream, never overflow. */
struct state {
	uint32_t magic;            /* STATE_MAGIC, written first by the creator */
	uint32_t version;
	char name[40];             /* channel name */
	uint32_t msg_max;          /* must agree with the queue's mq_msgsize */
	uint32_t capacity;         /* and mq_maxmsg */
	uint32_t ready;            /* written last: the queue exists */
	uint32_t token;            /* 1 while an EOS token is in the queue */
	uint32_t consumers;        /* consumer handles open (one that died stays counted) */
	uint32_t unused;
	uint64_t sent;             /* messages sent by the producers that left cleanly */
	uint64_t taken;            /* messages taken by the consumers that closed */
	struct ipcmp_stream stream;   /* end, abort, the producers */
};

_Static_assert(sizeof(struct state) == 664, "state is 664 bytes");

struct posix_mq {
	mqd_t mqd;                 /* (mqd_t)-1: none */
	struct state *st;          /* NULL: not mapped */
	struct ipcmp_stream_member member;   /* a producer's place in the stream */
	pid_t consumer;            /* the process counted in st->consumers; 0: none */
	unsigned char *mem;        /* where messages are staged (STAGE_SIZE); NULL: none */
	struct ipcmp_frame_tx tx;  /* a producer's frames */
	struct ipcmp_frame_rx rx;  /* the frames a consumer has seen */
	unsigned send_pause;       /* sends that wait at once (ipcmp_try_first) */
	unsigned recv_pause;       /* likewise, receives */
};

static const struct timespec zero = { 0, 0 };   /* a deadline that has passed: do not wait */

static struct posix_mq *priv(struct ipcmp_chan *chan)
{
	return (struct posix_mq *)chan->priv;
}

/*
 * POSIX: mq_timedsend and mq_timedreceive take an absolute CLOCK_REALTIME
 * deadline, which survives EINTR as it is; a deadline already past (zero)
 * makes them return at once when they would wait, without O_NONBLOCK.
 * The queue's name may be unlinked while we wait: an open queue goes on
 * working, so a removed channel gives -ETIMEDOUT here, never -EIDRM.
 */
static ssize_t receive(struct posix_mq *s, void *buf, size_t cap, unsigned *prio,
		       const struct timespec *deadline)
{
	for (;;) {
		ssize_t n = mq_timedreceive(s->mqd, buf, cap, prio, deadline);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return errno == ETIMEDOUT ? -ETIMEDOUT : ipcmp_fail("mq_timedreceive", errno);
	}
}

static int transmit(struct posix_mq *s, const void *buf, size_t len, unsigned prio,
		    const struct timespec *deadline)
{
	for (;;) {
		if (mq_timedsend(s->mqd, buf, len, prio, deadline) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return errno == ETIMEDOUT ? -ETIMEDOUT : ipcmp_fail("mq_timedsend", errno);
	}
}

/*
 * Sends the EOS token unless one is queued already (token 0 -> 1): it
 * wakes a waiting consumer at once. It takes one of the queue's places,
 * and never waits for room: with the queue full, consumers find the end
 * by their status check within a slice.
 */
static int send_token(struct posix_mq *s)
{
	uint32_t none = 0;
	int rc;

	if (!__atomic_compare_exchange_n(&s->st->token, &none, 1u, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return 0;
	if ((rc = transmit(s, "", 0, EOS, &zero)) < 0)
		STORE(s->st->token, 0u);
	return rc == -ETIMEDOUT || rc == -EAGAIN ? 0 : rc;
}

/* POSIX: no undo; the producer registers in the state with its pid, and
 * consumers check that it lives (common/stream.c). */
static int producer_join(struct posix_mq *s)
{
	return ipcmp_stream_join(&s->st->stream, &s->member);
}

/* A consumer handle is counted while open, so that a consumer can tell
 * whether it is the only one. */
static int consumer_join(struct ipcmp_chan *chan)
{
	struct posix_mq *s = priv(chan);

	if (!(chan->flags & IPCMP_CONSUMER))
		return 0;
	__atomic_add_fetch(&s->st->consumers, 1u, __ATOMIC_SEQ_CST);
	s->consumer = getpid();
	return 0;
}

/*
 * POSIX: mq_timedsend and mq_timedreceive take one buffer, the frame and
 * the payload together, and no iovec: each message is staged, its payload
 * copied in or out once, where the copy is fastest (ipcmp_frame_stage,
 * common/frame.h). The plain loop has no frame and copies nothing.
 */
#define STAGE_SIZE(msgsize) ((msgsize) + IPCMP_FRAME_SLACK)

static unsigned char *stage(struct posix_mq *s, const void *user)
{
	return ipcmp_frame_stage(s->mem, user, IPCMP_FRAME_SIZE);
}

/* The message's bytes: its frame, then the payload (common/frame.c). */
static size_t frame_put(struct posix_mq *s, unsigned char *m, const void *buf, size_t len)
{
	if (len > 0)
		memcpy(m + IPCMP_FRAME_SIZE, buf, len);
	return ipcmp_frame_put(&s->tx, m, len);
}

/* The payload's length, or -EBADMSG; the payload is copied to buf. */
static ssize_t frame_check(struct posix_mq *s, const unsigned char *m, size_t n, void *buf,
			   size_t cap)
{
	ssize_t len = ipcmp_frame_check(&s->rx, m, n);

	if (len < 0 || (size_t)len > cap)
		return -EBADMSG;
	if (len > 0)
		memcpy(buf, m + IPCMP_FRAME_SIZE, (size_t)len);
	return len;
}

/*
 * At end of stream: were messages lost? Only a consumer that is the only
 * one open can tell: then every other consumer closed and added what it
 * took, and every producer left and added what it sent. One that died
 * stays counted, and then nobody can tell. -EBADMSG or 0.
 */
static int lost(struct posix_mq *s)
{
	uint64_t taken;

	if (s->consumer != getpid() || LOAD(s->st->consumers) != 1)
		return 0;
	taken = LOAD(s->st->taken) + s->rx.taken;
	return taken != LOAD(s->st->sent) ? -EBADMSG : 0;
}

/* The producer that leaves last ends the stream (one that aborts aborts
 * it) and sends the token. A handle inherited over fork() leaves only in
 * the process that joined, as on sysv-msg. What it sent is counted before
 * the stream can end. */
static int chan_leave(struct ipcmp_chan *chan, int abort)
{
	struct posix_mq *s = priv(chan);

	if (s->st == NULL)
		return 0;
	if (!abort && s->member.pid == getpid())
		__atomic_add_fetch(&s->st->sent, s->tx.seq, __ATOMIC_SEQ_CST);
	if (ipcmp_stream_leave(&s->st->stream, &s->member, abort) <= 0)
		return 0;
	return send_token(s);
}

static size_t rlimit_msgqueue(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > SIZE_MAX)
		return SIZE_MAX;
	return (size_t)rl.rlim_cur;
}

/* A message of msg_max bytes is mq_msgsize = msg_max + its frame. */
static size_t charge(size_t msg_max, size_t capacity)
{
	if (msg_max > (SIZE_MAX / capacity) - MQ_MSG_OVERHEAD - IPCMP_FRAME_SIZE)
		return SIZE_MAX;
	return capacity * (msg_max + IPCMP_FRAME_SIZE + MQ_MSG_OVERHEAD);
}

/*
 * What fits: fs.mqueue.msgsize_max and fs.mqueue.msg_max bound mq_msgsize
 * and mq_maxmsg (root could go past them with CAP_SYS_RESOURCE; we hold
 * every user to them), and each queue is charged against the user's
 * RLIMIT_MSGQUEUE, shared by all his queues (819200 bytes by default).
 */
static int chan_limits(struct ipcmp_limits *lim)
{
	size_t msg_max, msgsize_max, msg_default, msgsize_default;
	size_t rlim = rlimit_msgqueue();
	int rc;

	if ((rc = ipcmp_read_limit("/proc/sys/fs/mqueue/msg_max", &msg_max)) < 0 ||
	    (rc = ipcmp_read_limit("/proc/sys/fs/mqueue/msgsize_max", &msgsize_max)) < 0)
		return rc;
	/* the *_default sysctls came with Linux 3.5; before, the maxima */
	if (ipcmp_read_limit("/proc/sys/fs/mqueue/msg_default", &msg_default) < 0)
		msg_default = msg_max;
	if (ipcmp_read_limit("/proc/sys/fs/mqueue/msgsize_default", &msgsize_default) < 0)
		msgsize_default = msgsize_max;
	if (rlim < charge(1, 1) || msg_max == 0 || msgsize_max <= IPCMP_FRAME_SIZE)
		return ipcmp_fail("RLIMIT_MSGQUEUE", ENOSPC);
	lim->msg_max_limit = msgsize_max - IPCMP_FRAME_SIZE;   /* mq_msgsize holds the frame too */
	lim->msg_max_source = "fs.mqueue.msgsize_max";
	if (charge(lim->msg_max_limit, 1) > rlim) {
		lim->msg_max_limit = rlim - MQ_MSG_OVERHEAD - IPCMP_FRAME_SIZE;
		lim->msg_max_source = "RLIMIT_MSGQUEUE";
	}
	lim->capacity_limit = msg_max;
	lim->capacity_source = "fs.mqueue.msg_max";
	if (charge(1, msg_max) > rlim) {
		lim->capacity_limit = rlim / (1 + IPCMP_FRAME_SIZE + MQ_MSG_OVERHEAD);
		lim->capacity_source = "RLIMIT_MSGQUEUE";
	}
	/*
	 * Defaults: the kernel's own (fs.mqueue.msg_default, msgsize_default:
	 * 10 and 8192), but the message size halved until one queue takes at
	 * most 1/16 of RLIMIT_MSGQUEUE, so that a user's many channels (tests
	 * run in parallel, all as one user) fit: 10 x 4096 bytes here.
	 */
	lim->capacity_default = msg_default < lim->capacity_limit ? msg_default : lim->capacity_limit;
	if (lim->capacity_default == 0)
		lim->capacity_default = 1;
	lim->msg_max_default = msgsize_default;
	while (lim->msg_max_default > 64 &&
	       (lim->msg_max_default > lim->msg_max_limit ||
		charge(lim->msg_max_default, lim->capacity_default) > rlim / 16))
		lim->msg_max_default /= 2;
	if (lim->msg_max_default > lim->msg_max_limit)
		lim->msg_max_default = lim->msg_max_limit;
	if (lim->msg_max_default == 0)
		lim->msg_max_default = 1;
	return 0;
}

static int chan_close(struct ipcmp_chan *chan);
static int wait_ready(struct state *st, const char *name);

/* create found a state object under the name: this channel's (-EEXIST,
 * perhaps still being made by another creator) or not (-EPROTO). */
static int existing(const char *spath, const char *name)
{
	struct timespec tick = { 0, 1000000 };
	struct stat sb;
	void *mem;
	int fd, rc;

	if ((fd = shm_open(spath, O_RDONLY, 0)) < 0)
		return ipcmp_fail("shm_open", EEXIST);
	for (struct ipcmp_until u = IPCMP_OPEN_UNTIL; (rc = fstat(fd, &sb)) == 0 &&
	     (size_t)sb.st_size < sizeof(struct state) && !ipcmp_until_passed(&u);)
		ipcmp_sleep(&tick);
	if (rc < 0) {                   /* something is there; we cannot tell what */
		close(fd);
		return ipcmp_fail("fstat", EEXIST);
	}
	if ((size_t)sb.st_size < sizeof(struct state)) {
		close(fd);
		return ipcmp_fail("shm_open", EPROTO);
	}
	mem = mmap(NULL, sizeof(struct state), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("shm_open", EEXIST);
	rc = wait_ready(mem, name);
	munmap(mem, sizeof(struct state));
	return ipcmp_fail("shm_open", rc == -EPROTO ? EPROTO : EEXIST);
}

static int chan_create(struct ipcmp_chan *chan, const struct ipcmp_attr *attr)
{
	struct posix_mq *s = priv(chan);
	struct mq_attr ma = { .mq_maxmsg = (long)attr->capacity,
			      .mq_msgsize = (long)(IPCMP_FRAME_SIZE + attr->msg_max) };
	char qpath[PATH_LEN], spath[PATH_LEN];
	int made = 0;                   /* objects made, for the unwind */
	void *mem;
	int fd, rc;

	s->mqd = (mqd_t)-1;
	s->st = NULL;
	s->member.pid = 0;
	/* chan.c checked each limit alone; the byte budget is a product. */
	if (charge(attr->msg_max, attr->capacity) > rlimit_msgqueue())
		return ipcmp_fail("RLIMIT_MSGQUEUE (capacity x (msg_max + frame + kernel overhead) bytes)", EINVAL);
	if ((s->mem = malloc(STAGE_SIZE(IPCMP_FRAME_SIZE + attr->msg_max))) == NULL)
		return -ENOMEM;
	ipcmp_posix_name(qpath, sizeof(qpath), chan->name, NULL);
	ipcmp_posix_name(spath, sizeof(spath), chan->name, "mq");

	/* The state first: an opener that finds the queue finds the state. */
	/* POSIX: the umask applies to the mode, as for open(2). */
	if ((fd = shm_open(spath, O_RDWR | O_CREAT | O_EXCL, attr->mode)) < 0) {
		rc = errno == EEXIST ? existing(spath, chan->name) : ipcmp_fail("shm_open", errno);
		chan_close(chan);
		return rc;
	}
	made++;
	if ((rc = posix_fallocate(fd, 0, (off_t)sizeof(struct state))) != 0) {
		close(fd);
		rc = ipcmp_fail("posix_fallocate", rc);
		goto fail;
	}
	mem = mmap(NULL, sizeof(struct state), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);                      /* POSIX: the mapping outlives the descriptor */
	if (mem == MAP_FAILED) {
		rc = ipcmp_fail("mmap", errno);
		goto fail;
	}
	s->st = mem;
	memset(s->st, 0, sizeof(*s->st));
	strncpy(s->st->name, chan->name, sizeof(s->st->name) - 1);
	s->st->version = STATE_VERSION;
	s->st->msg_max = (uint32_t)attr->msg_max;
	s->st->capacity = (uint32_t)attr->capacity;
	ipcmp_stream_init(&s->st->stream);
	STORE(s->st->magic, STATE_MAGIC);

	/* POSIX: the queue's sizes are fixed here, by mq_maxmsg and mq_msgsize.
	 * The state is ours, so a queue under the name is somebody else's. */
	s->mqd = mq_open(qpath, O_RDWR | O_CREAT | O_EXCL, attr->mode, &ma);
	if (s->mqd == (mqd_t)-1 && errno == EEXIST) {
		rc = ipcmp_fail("mq_open", EPROTO);
		goto fail;
	}
	if (s->mqd == (mqd_t)-1) {
		/* EMFILE: descriptors, or the user's RLIMIT_MSGQUEUE bytes
		 * (taken by his other queues); ENOSPC: fs.mqueue.queues_max */
		rc = ipcmp_fail(errno == EMFILE ? "mq_open (RLIMIT_MSGQUEUE)" :
				errno == ENOSPC ? "mq_open (fs.mqueue.queues_max)" : "mq_open", errno);
		goto fail;
	}
	made++;
	STORE(s->st->ready, 1u);
	chan->msg_max = attr->msg_max;
	chan->capacity = attr->capacity;
	ipcmp_frame_tx_init(&s->tx, chan->flags);
	if ((rc = consumer_join(chan)) < 0 ||
	    ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0))
		goto fail;
	return 0;

fail:
	if (made > 1)
		mq_unlink(qpath);
	shm_unlink(spath);
	chan_close(chan);
	return rc;
}

/* The creator makes the state, then the queue, then sets ready: wait,
 * bounded, for ready; a foreign object is not waited for. */
static int wait_ready(struct state *st, const char *name)
{
	struct timespec tick = { 0, 1000000 };
	char stored[sizeof(st->name)];

	for (struct ipcmp_until u = IPCMP_OPEN_UNTIL; !ipcmp_until_passed(&u); ipcmp_sleep(&tick)) {
		uint32_t magic = LOAD(st->magic);

		if (magic != 0 && magic != STATE_MAGIC)
			return -EPROTO;
		if (magic == STATE_MAGIC && LOAD(st->ready) == 1) {
			memcpy(stored, st->name, sizeof(stored));
			stored[sizeof(stored) - 1] = '\0';
			if (strcmp(stored, name) != 0 || LOAD(st->version) != STATE_VERSION)
				return -EPROTO;
			return 0;
		}
	}
	return LOAD(st->magic) == 0 ? -EPROTO : -ETIMEDOUT;
}

static int chan_open(struct ipcmp_chan *chan)
{
	struct posix_mq *s = priv(chan);
	char qpath[PATH_LEN], spath[PATH_LEN];
	struct mq_attr ma;
	struct stat sb;
	void *mem;
	int fd, rc;

	s->mqd = (mqd_t)-1;
	s->st = NULL;
	s->member.pid = 0;
	ipcmp_posix_name(qpath, sizeof(qpath), chan->name, NULL);
	ipcmp_posix_name(spath, sizeof(spath), chan->name, "mq");
	/* Consumers send too: they pass the EOS token on. */
	if ((s->mqd = mq_open(qpath, O_RDWR)) == (mqd_t)-1)
		return ipcmp_fail("mq_open", errno);
	if (mq_getattr(s->mqd, &ma) < 0) {
		rc = ipcmp_fail("mq_getattr", errno);
		goto fail;
	}
	/* A queue without its state is not one of ours (or is being unlinked). */
	if ((fd = shm_open(spath, O_RDWR, 0)) < 0) {
		rc = errno == ENOENT ? -EPROTO : ipcmp_fail("shm_open", errno);
		goto fail;
	}
	if (fstat(fd, &sb) < 0) {
		rc = ipcmp_fail("fstat", errno);
		close(fd);
		goto fail;
	}
	if ((size_t)sb.st_size < sizeof(struct state)) {
		close(fd);
		rc = -EPROTO;
		goto fail;
	}
	mem = mmap(NULL, sizeof(struct state), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED) {
		rc = ipcmp_fail("mmap", errno);
		goto fail;
	}
	s->st = mem;
	if ((rc = wait_ready(s->st, chan->name)) < 0)
		goto fail;
	/* The kernel's sizes are the truth; the state must agree with them. */
	if (ma.mq_msgsize < (long)IPCMP_FRAME_SIZE || ma.mq_maxmsg <= 0 ||
	    LOAD(s->st->msg_max) != (uint32_t)(ma.mq_msgsize - (long)IPCMP_FRAME_SIZE) ||
	    LOAD(s->st->capacity) != (uint32_t)ma.mq_maxmsg) {
		rc = -EBADMSG;
		goto fail;
	}
	chan->msg_max = (size_t)ma.mq_msgsize - IPCMP_FRAME_SIZE;
	chan->capacity = (size_t)ma.mq_maxmsg;
	if ((s->mem = malloc(STAGE_SIZE((size_t)ma.mq_msgsize))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	ipcmp_frame_tx_init(&s->tx, chan->flags);
	if ((rc = consumer_join(chan)) < 0 ||
	    ((chan->flags & IPCMP_PRODUCER) && (rc = producer_join(s)) < 0))
		goto fail;
	return 0;

fail:
	chan_close(chan);
	return rc;
}

/* POSIX: mq_timedsend waits for room itself, bounded by the deadline; it
 * is tried with a deadline already past first (ipcmp_try_first). */
static int chan_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	struct posix_mq *s = priv(chan);
	struct ipcmp_until u = IPCMP_UNTIL(CLOCK_REALTIME, timeout_ms);
	unsigned char *m = stage(s, buf);
	int rc;

	len = frame_put(s, m, buf, len);
	if (timeout_ms == 0 || ipcmp_try_first(&s->send_pause)) {
		rc = transmit(s, m, len, DATA, &zero);
		if (rc != -ETIMEDOUT || timeout_ms == 0)
			return rc == -ETIMEDOUT ? -EAGAIN : rc;
		s->send_pause = IPCMP_TRY_PAUSE;
	}
	return transmit(s, m, len, DATA, ipcmp_until_date(&u));
}

/*
 * POSIX: mq_timedreceive waits itself, bounded by the deadline, cut into
 * slices here. It needs a buffer of mq_msgsize bytes at least (the handle's,
 * sized from the queue at open), and the kernel never returns more; the
 * frame is checked, and so is the priority (a stranger's message).
 * -ETIMEDOUT: nothing to take; -ENOMSG: the token.
 */
static ssize_t take_message(struct ipcmp_chan *chan, void *buf, size_t cap,
			    const struct timespec *deadline)
{
	struct posix_mq *s = priv(chan);
	unsigned char *m = stage(s, buf);
	unsigned prio;
	ssize_t n = receive(s, m, IPCMP_FRAME_SIZE + chan->msg_max, &prio, deadline);

	if (n < 0)
		return n;
	if (prio == DATA && (size_t)n <= IPCMP_FRAME_SIZE + chan->msg_max)
		return frame_check(s, m, (size_t)n, buf, cap);
	if (prio != EOS || n != 0)
		return -EBADMSG;        /* a stranger's message */
	STORE(s->st->token, 0u);
	return -ENOMSG;
}

static ssize_t chan_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	struct posix_mq *s = priv(chan);
	struct ipcmp_until u = IPCMP_UNTIL(CLOCK_REALTIME, timeout_ms);
	struct timespec slice;
	ssize_t n;
	int st, moved;

	for (int first = 1;; first = 0) {
		int tried = timeout_ms == 0 || (first && ipcmp_try_first(&s->recv_pause));

		slice = tried ? zero : ipcmp_until_slice(&u, SLICE_MS);
		n = take_message(chan, buf, cap, &slice);
		if (n >= 0 || (n != -ETIMEDOUT && n != -ENOMSG))
			return n;
		if (tried && timeout_ms > 0 && n == -ETIMEDOUT) {
			s->recv_pause = IPCMP_TRY_PAUSE;
			continue;       /* now wait: the stream is looked at after a slice */
		}
		st = ipcmp_stream_status(&s->st->stream, NULL, NULL, &moved);
		if (st == IPCMP_EOS || st == IPCMP_ABORTED) {
			/* over: what is still queued comes first */
			n = take_message(chan, buf, cap, &zero);
			if (n >= 0 || (n != -ETIMEDOUT && n != -ENOMSG))
				return n;
			send_token(s);          /* pass it on */
			if (st == IPCMP_ABORTED)
				chan->aborter = ipcmp_stream_aborter(&s->st->stream);
			return st == IPCMP_EOS && lost(s) < 0 ? -EBADMSG : st;
		}
		if (st < 0)
			return st;
		if (n == -ENOMSG)               /* a stale token */
			continue;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (ipcmp_until_passed(&u))
			return -ETIMEDOUT;
	}
}

static int chan_close(struct ipcmp_chan *chan)
{
	struct posix_mq *s = priv(chan);
	int rc = 0;

	if (s->st != NULL && s->consumer == getpid()) {
		__atomic_add_fetch(&s->st->taken, s->rx.taken, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&s->st->consumers, 1u, __ATOMIC_SEQ_CST);
	}
	s->consumer = 0;
	/* POSIX: mq_close is the whole of detaching; the name may be gone already. */
	if (s->mqd != (mqd_t)-1 && mq_close(s->mqd) < 0)
		rc = ipcmp_fail("mq_close", errno);
	s->mqd = (mqd_t)-1;
	if (s->st != NULL && munmap(s->st, sizeof(struct state)) < 0 && rc == 0)
		rc = ipcmp_fail("munmap", errno);
	s->st = NULL;
	free(s->mem);
	s->mem = NULL;
	return rc;
}

enum { MISSING, OURS, HALF_MADE, FOREIGN };

/* What the object at path holds: this channel's state, nothing yet (empty
 * or zeroed: a create cut short), or something else wrote there. */
static int state_holds(const char *path, const char *name)
{
	char stored[sizeof(((struct state *)0)->name)];
	struct stat st;
	struct state *m;
	int fd, rc;

	if ((fd = shm_open(path, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? MISSING : ipcmp_fail("shm_open", errno);
	if (fstat(fd, &st) < 0) {
		rc = ipcmp_fail("fstat", errno);
		close(fd);
		return rc;
	}
	if ((size_t)st.st_size < sizeof(struct state)) {
		close(fd);
		return st.st_size == 0 ? HALF_MADE : FOREIGN;
	}
	m = mmap(NULL, sizeof(struct state), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return ipcmp_fail("mmap", errno);
	memcpy(stored, m->name, sizeof(stored));
	stored[sizeof(stored) - 1] = '\0';
	rc = m->magic == 0 ? HALF_MADE :
	     m->magic == STATE_MAGIC && strcmp(stored, name) == 0 ? OURS : FOREIGN;
	munmap(m, sizeof(struct state));
	return rc;
}

/* Does the channel's queue exist? 1, 0, or -errno. */
static int queue_present(const char *qpath)
{
	mqd_t mqd = mq_open(qpath, O_RDONLY);

	if (mqd == (mqd_t)-1)
		return errno == ENOENT ? 0 : ipcmp_fail("mq_open", errno);
	mq_close(mqd);
	return 1;
}

/*
 * Removes both names, once the state is known to be this channel's
 * (-EPROTO: something else is there, and nothing is removed); those open
 * stay usable until closed. A queue without its state is not ours: create
 * makes the state first, and unlink removes it last. A state overwritten
 * or cut short beside the queue, or a queue gone, is a damaged channel:
 * removed, IPCMP_DAMAGED.
 */
static int chan_unlink(const char *name)
{
	char qpath[PATH_LEN], spath[PATH_LEN];
	int state, queue;

	ipcmp_posix_name(qpath, sizeof(qpath), name, NULL);
	ipcmp_posix_name(spath, sizeof(spath), name, "mq");
	if ((state = state_holds(spath, name)) < 0)
		return state;
	if ((queue = queue_present(qpath)) < 0)
		return queue;
	if (state == MISSING)
		return queue ? -EPROTO : ipcmp_fail("mq_unlink", ENOENT);
	if (state == FOREIGN && !queue)
		return -EPROTO;
	if (queue && mq_unlink(qpath) < 0 && errno != ENOENT)
		return ipcmp_fail("mq_unlink", errno);
	if (shm_unlink(spath) < 0 && errno != ENOENT)
		return ipcmp_fail("shm_unlink", errno);
	return state == OURS && queue ? 0 : IPCMP_DAMAGED;
}

/* Is the channel whole? 1, IPCMP_OWNS_DAMAGED (its queue gone, its state
 * overwritten or cut short), or 1 when its objects cannot be read. */
static int whole(const char *name)
{
	char qpath[PATH_LEN], spath[PATH_LEN];
	int state, queue;

	ipcmp_posix_name(qpath, sizeof(qpath), name, NULL);
	ipcmp_posix_name(spath, sizeof(spath), name, "mq");
	if ((state = state_holds(spath, name)) < 0 || (queue = queue_present(qpath)) < 0)
		return 1;
	return state == OURS && queue ? 1 : IPCMP_OWNS_DAMAGED;
}

/* POSIX: objects have names; the kind and suffix tell which of ours it is. */
static int chan_owns(const char *kind, const char *object, long id, char *channel, size_t size)
{
	(void)id;
	if (strcmp(kind, "mqueue") == 0 && ipcmp_posix_channel(object, NULL, channel, size))
		return whole(channel);
	if (strcmp(kind, "posix-shm") == 0 && ipcmp_posix_channel(object, "mq", channel, size))
		return whole(channel);
	return 0;
}

/* The API map (ipcmp compare): the calls above, step by step. */
static const struct ipcmp_step steps[IPCMP_STEPS] = {
	[IPCMP_STEP_CREATE] = { "shm_open, posix_fallocate, mmap, mq_open", "O_CREAT|O_EXCL: the state /ipcmp.NAME.mq, then the queue /ipcmp.NAME" },
	[IPCMP_STEP_OPEN] = { "mq_open, mq_getattr, shm_open, fstat, mmap", "the queue's sizes from mq_getattr" },
	[IPCMP_STEP_SIZE] = { "mq_open", "mq_attr: mq_maxmsg and mq_msgsize, fixed at create" },
	[IPCMP_STEP_MAP] = { "mmap", "the state object only: the kernel copies the messages" },
	[IPCMP_STEP_OWNS] = { "", "by name: /ipcmp.NAME (queue), /ipcmp.NAME.mq (state) (common/names.c)" },
	[IPCMP_STEP_JOIN] = { "", "no call: the stream word (compare-and-swap); pid and start time in the state's registry" },
	[IPCMP_STEP_LOCK] = { "", "none: mq_timedsend and mq_timedreceive are atomic" },
	[IPCMP_STEP_ROOM] = { "mq_timedsend", "blocks until an absolute CLOCK_REALTIME deadline" },
	[IPCMP_STEP_PUBLISH] = { "mq_timedsend", "priority 1; a frame: producer, sequence number, checksum (common/frame.c)" },
	[IPCMP_STEP_WAKE] = { "", "none: mq_timedsend wakes a receiver" },
	[IPCMP_STEP_DATA] = { "mq_timedreceive", "in 50 ms slices, the producers' liveness checked between them" },
	[IPCMP_STEP_END] = { "mq_timedsend", "sent counted in the state; the stream word says ENDED; an EOS token at priority 0" },
	[IPCMP_STEP_ABORT] = { "mq_timedsend", "the stream word says ABORTED; the token" },
	[IPCMP_STEP_DEATH] = { "open, read", "a stalled consumer reads /proc/PID/stat of each registered producer" },
	[IPCMP_STEP_DEAD_LOCK] = { "", "no lock" },
	[IPCMP_STEP_CLOSE] = { "mq_close, munmap", "a consumer adds what it took to the state" },
	[IPCMP_STEP_REMOVE] = { "mq_unlink, shm_unlink", "" },
};

const struct ipcmp_ops ipcmp_posix_mq_ops = {
	.name = "posix-mq",
	.family = "POSIX",
	.calls = "mq_open mq_timedsend mq_timedreceive mq_getattr mq_close mq_unlink shm_open mmap",
	.priv_size = sizeof(struct posix_mq),
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
