/*
 * hostile.c - objects under a channel's name that a hostile or confused
 * peer put there.
 *
 * impostor_objects: the objects under name B are a copy of channel A's
 * (SysV: a key collision, two names hashing to one key, looks just like
 * this; POSIX: a hard link in /dev/shm). Every object is well formed and
 * says it is channel A: opening B must refuse it (-EPROTO, ipcmp.h), not
 * join A's stream. Only the name stored in the objects tells them apart.
 *
 * queue_*: the queue backends keep their messages in the kernel, but their
 * queue and their state are open to anyone who may open the channel. A
 * stranger's message in the queue, a message taken by a stranger, a queue
 * filled by strangers, a damaged header record or state: -EBADMSG, and the
 * channel's own messages stay. The tests write what a hostile peer would,
 * with msgsnd/mq_send and the state's bytes (white box: the offsets of
 * struct head in sysv/sysv_msg.c and struct state in posix/posix_mq.c).
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stddef.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends.h"
#include "clirun.h"
#include "crashkit.h"
#include "frame.h"
#include "ringmap.h"
#include "timing.h"

union semun_arg {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* SysV: the set under key `from` copied to key `to`, values included. */
static void copy_sem(const struct ipcmp_ops *ops, key_t from, key_t to, int *made)
{
	struct semid_ds ds;
	unsigned short vals[64];
	int a = semget(from, 0, 0), b;

	cr_assert(ge(int, a, 0), "%s: semget the original set: %s", ops->name, strerror(errno));
	cr_assert(eq(int, semctl(a, 0, IPC_STAT, (union semun_arg){ .buf = &ds }), 0),
		  "%s: semctl IPC_STAT", ops->name);
	cr_assert(le(sz, (size_t)ds.sem_nsems, sizeof(vals) / sizeof(vals[0])), "%s: nsems",
		  ops->name);
	semctl(a, 0, GETALL, (union semun_arg){ .array = vals });
	b = semget(to, (int)ds.sem_nsems, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert(ge(int, b, 0), "%s: semget the copy: %s", ops->name, strerror(errno));
	*made = b;
	semctl(b, 0, SETALL, (union semun_arg){ .array = vals });
}

static void impostor_sysv_shm(const struct ipcmp_ops *ops, key_t from, key_t to, int ids[2])
{
	struct shmid_ds ds;
	int a = shmget(from, 0, 0), b;
	void *pa, *pb;

	cr_assert(ge(int, a, 0), "%s: shmget the original: %s", ops->name, strerror(errno));
	cr_assert(eq(int, shmctl(a, IPC_STAT, &ds), 0), "%s: shmctl IPC_STAT", ops->name);
	b = shmget(to, ds.shm_segsz, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert(ge(int, b, 0), "%s: shmget the copy: %s", ops->name, strerror(errno));
	ids[0] = b;
	pa = shmat(a, NULL, SHM_RDONLY);
	pb = shmat(b, NULL, 0);
	cr_assert(ne(ptr, pa, (void *)-1), "%s: shmat the original", ops->name);
	cr_assert(ne(ptr, pb, (void *)-1), "%s: shmat the copy", ops->name);
	memcpy(pb, pa, ds.shm_segsz);
	shmdt(pa);
	shmdt(pb);
	copy_sem(ops, from, to, &ids[1]);
}

/* The queue's first message, the channel's head record, is read from A and
 * sent back to A and to the copy. */
static void impostor_sysv_msg(const struct ipcmp_ops *ops, key_t from, key_t to, int ids[2])
{
	struct { long mtype; char text[8192]; } m;
	int a = msgget(from, 0), b;
	ssize_t n;

	cr_assert(ge(int, a, 0), "%s: msgget the original: %s", ops->name, strerror(errno));
	b = msgget(to, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert(ge(int, b, 0), "%s: msgget the copy: %s", ops->name, strerror(errno));
	ids[0] = b;
	n = msgrcv(a, &m, sizeof(m.text), 0, IPC_NOWAIT);
	cr_assert(ge(long, (long)n, 0), "%s: the original queue holds no record: %s", ops->name,
		  strerror(errno));
	cr_assert(eq(int, msgsnd(b, &m, (size_t)n, IPC_NOWAIT), 0), "%s: msgsnd the copy", ops->name);
	cr_assert(eq(int, msgsnd(a, &m, (size_t)n, IPC_NOWAIT), 0), "%s: msgsnd back", ops->name);
	copy_sem(ops, from, to, &ids[1]);
}

static void link_shm(const struct ipcmp_ops *ops, const char *a, const char *b,
		     const char *prefix, const char *suffix)
{
	char from[128], to[128], pa[96], pb[96];

	ipcmp_posix_name(pa, sizeof(pa), a, suffix);
	ipcmp_posix_name(pb, sizeof(pb), b, suffix);
	snprintf(from, sizeof(from), "/dev/shm/%s%s", prefix, pa + 1);
	snprintf(to, sizeof(to), "/dev/shm/%s%s", prefix, pb + 1);
	cr_assert(eq(int, link(from, to), 0), "%s: link %s %s: %s", ops->name, from, to,
		  strerror(errno));
}

static void unlink_shm(const char *b, const char *prefix, const char *suffix)
{
	char to[128], pb[96];

	ipcmp_posix_name(pb, sizeof(pb), b, suffix);
	snprintf(to, sizeof(to), "/dev/shm/%s%s", prefix, pb + 1);
	unlink(to);
}

#define SYSV_MSG_ONLY(X, ...) X(sysv_msg, ipcmp_sysv_msg_ops, __VA_ARGS__)

static const char *const shm_sems[] = { "lock", "items", "slots", "takers" };
#define SHM_SEMS (sizeof(shm_sems) / sizeof(shm_sems[0]))

BACKEND_TEST(impostor_objects)
{
	const char *a = fixture_name(), *b = fixture_name();
	struct ipcmp_chan *c, *x = NULL;
	int ids[2] = { -1, -1 }, rc;

	c = chan_create_ok(ops, a, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	if (ops == &ipcmp_sysv_shm_ops) {
		impostor_sysv_shm(ops, ipcmp_sysv_key(a), ipcmp_sysv_key(b), ids);
	} else if (ops == &ipcmp_sysv_msg_ops) {
		impostor_sysv_msg(ops, ipcmp_sysv_key(a), ipcmp_sysv_key(b), ids);
	} else if (ops != &ipcmp_posix_mq_ops) {
		link_shm(ops, a, b, "", ringmap_posix_suffix(ops));
		for (size_t i = 0; ops == &ipcmp_posix_shm_ops && i < SHM_SEMS; i++)
			link_shm(ops, a, b, "sem.", shm_sems[i]);
	} else {
		struct mq_attr ma = { .mq_maxmsg = (long)c->capacity, .mq_msgsize = (long)c->msg_max };
		char qb[96];
		mqd_t q;

		ipcmp_posix_name(qb, sizeof(qb), b, NULL);
		q = mq_open(qb, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
		cr_assert(ne(int, (int)q, -1), "%s: mq_open %s: %s", ops->name, qb, strerror(errno));
		mq_close(q);
		link_shm(ops, a, b, "", "mq");
	}
	rc = ipcmp_open(ops, b, IPCMP_CONSUMER, &x);
	cr_assert(eq(int, rc, -EPROTO), "%s: open %s, whose objects are channel %s's: %s",
		  ops->name, b, a, rc < 0 ? ipcmp_strerror(rc) : "opened");
	rc = ipcmp_open(ops, b, IPCMP_PRODUCER, &x);
	cr_assert(eq(int, rc, -EPROTO), "%s: open %s as producer, whose objects are %s's: %s",
		  ops->name, b, a, rc < 0 ? ipcmp_strerror(rc) : "opened");
	/* unlink B: SysV refuses (-EPROTO); POSIX removes B's names as a
	 * damaged channel (IPCMP_DAMAGED: the stored name is not B), which
	 * leaves A's names, and so channel A, whole */
	rc = ipcmp_unlink(ops, b);
	cr_assert(rc == -EPROTO || rc == IPCMP_DAMAGED, "%s: unlink %s, whose objects are %s's: %s",
		  ops->name, b, a, rc < 0 ? ipcmp_strerror(rc) : rc == 0 ? "removed" : "damaged");
	/* whatever is left of the impostor goes; channel A is whole */
	if (kit_is_sysv(ops)) {
		if (ops == &ipcmp_sysv_shm_ops)
			shmctl(ids[0], IPC_RMID, NULL);
		else
			msgctl(ids[0], IPC_RMID, NULL);
		semctl(ids[1], 0, IPC_RMID);
	} else if (ops != &ipcmp_posix_mq_ops) {
		unlink_shm(b, "", ringmap_posix_suffix(ops));
		for (size_t i = 0; ops == &ipcmp_posix_shm_ops && i < SHM_SEMS; i++)
			unlink_shm(b, "sem.", shm_sems[i]);
	} else {
		char qb[96];

		ipcmp_posix_name(qb, sizeof(qb), b, NULL);
		mq_unlink(qb);
		unlink_shm(b, "", "mq");
	}
	x = chan_open_ok(ops, a, IPCMP_CONSUMER);
	chan_close_ok(x);
	rc = ipcmp_send(c, "a", 1, 0);
	cr_assert(eq(int, rc, 0), "%s: send on %s after the impostor: %s", ops->name, a,
		  ipcmp_strerror(rc));
	chan_close_ok(c);
	chan_unlink_ok(ops, a);
}

/* SysV: the types of the channel's messages (sysv_msg.c); POSIX: the
 * priorities (posix_mq.c). A stranger's message has neither. */
#define SYSV_HEAD 1
#define STRANGER_TYPE 9
#define STRANGER_PRIO 7
/* msg_max in struct head (sysv_msg.c) and in struct state (posix_mq.c):
 * after two uint32_t and a 40-byte name. */
#define MSG_MAX_OFFSET 48

static int queue_id(const char *name)
{
	return msgget(ipcmp_sysv_key(name), 0);
}

static mqd_t queue_open(const char *name)
{
	char q[96];

	ipcmp_posix_name(q, sizeof(q), name, NULL);
	return mq_open(q, O_RDWR);
}

/* A message from a stranger: SysV type STRANGER_TYPE; POSIX priority
 * STRANGER_PRIO, above the channel's, so it comes first. */
static void stranger_send(const struct ipcmp_ops *ops, const char *name)
{
	int rc;

	if (kit_is_sysv(ops)) {
		struct { long mtype; char text[8]; } m = { STRANGER_TYPE, "evil" };

		rc = msgsnd(queue_id(name), &m, 4, IPC_NOWAIT);
	} else {
		mqd_t q = queue_open(name);

		rc = mq_send(q, "evil", 4, STRANGER_PRIO);
		mq_close(q);
	}
	cr_assert(eq(int, rc, 0), "%s: a stranger's message: %s", ops->name, strerror(errno));
}

BACKEND_TEST_ON(IPCMP_SUITE_QUEUE_BACKENDS, queue_stranger_message)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	char *buf;
	ssize_t n;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	stranger_send(ops, name);
	rc = ipcmp_send(c, "ok", 2, 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, -EBADMSG), "%s: recv a stranger's message: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, 2), "%s: recv the channel's message after the stranger's: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "length");
	cr_assert(eq(int, memcmp(buf, "ok", 2), 0), "%s: the channel's message: content", ops->name);
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv once more: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * SysV: a stranger takes the channel's message. Its slot stays in use
 * (USED, sysv_msg.c), which is also what a message on its way looks like,
 * so a waiting consumer is not told at once: it polls, and returns at its
 * bound (-ETIMEDOUT, within the margin), never later; once the stream ends,
 * the only consumer finds the count of sent messages short (-EBADMSG), as
 * posix-mq does (integrity.c). (POSIX: the queue is all there is, so a
 * stolen message is just not there.)
 */
BACKEND_TEST_ON(SYSV_MSG_ONLY, queue_stolen_message)
{
	const char *name = fixture_name();
	struct { long mtype; char text[64]; } m;
	struct ipcmp_chan *c, *p;
	char *buf;
	ssize_t n;
	long t0;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_CONSUMER);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	buf = malloc(c->msg_max);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	rc = ipcmp_send(p, "ok", 2, 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	n = msgrcv(queue_id(name), &m, sizeof(m.text), SYSV_HEAD, MSG_EXCEPT | IPC_NOWAIT);
	/* our message, as the kernel holds it: the frame, then "ok" */
	cr_assert(eq(long, (long)n, (long)(IPCMP_FRAME_SIZE + 2)), "%s: the stranger's msgrcv: %s",
		  ops->name, n < 0 ? strerror(errno) : "another length");
	n = ipcmp_recv(c, buf, c->msg_max, 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s: recv, no wait, after the theft: %s", ops->name,
		  n < 0 ? ipcmp_strerror((int)n) : "a message");
	t0 = timing_now_ms();
	n = ipcmp_recv(c, buf, c->msg_max, T_EXPIRE);
	cr_assert(eq(long, (long)n, -ETIMEDOUT), "%s: recv, %d ms, after the theft: %s", ops->name,
		  T_EXPIRE, n < 0 ? ipcmp_strerror((int)n) : "a message");
	timing_assert_expired(timing_now_ms() - t0, T_EXPIRE, ops->name, "recv after the theft");
	chan_close_ok(p);
	n = ipcmp_recv(c, buf, c->msg_max, T_EXPIRE);
	cr_assert(eq(long, (long)n, -EBADMSG), "%s: recv at the end, one message stolen: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "a message");
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* SysV: strangers fill the queue's bytes; a send with a slot in hand finds
 * no room. (POSIX: the kernel counts messages, and strangers' messages
 * take places like ours: send waits, as for a full channel.) */
BACKEND_TEST_ON(SYSV_MSG_ONLY, queue_filled_by_strangers)
{
	const char *name = fixture_name();
	struct { long mtype; char text[1024]; } m = { STRANGER_TYPE, { 0 } };
	struct ipcmp_chan *c;
	int id, rc, sent = 0;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	id = queue_id(name);
	/* bytes, to the last one: msg_qbytes bounds the sum of the lengths */
	for (size_t len = sizeof(m.text); len > 0; len /= 4) {
		while (msgsnd(id, &m, len, IPC_NOWAIT) == 0)
			sent++;
		cr_assert(eq(int, errno, EAGAIN), "%s: filling the queue: %s", ops->name,
			  strerror(errno));
	}
	rc = ipcmp_send(c, "ok", 2, 0);
	cr_assert(eq(int, rc, -EBADMSG), "%s: send into a queue strangers filled (%d messages): %s",
		  ops->name, sent, ipcmp_strerror(rc));
	while (msgrcv(id, &m, sizeof(m.text), STRANGER_TYPE, IPC_NOWAIT) >= 0)
		;
	rc = ipcmp_send(c, "ok", 2, 0);
	cr_assert(eq(int, rc, 0), "%s: send once the strangers' messages are gone: %s", ops->name,
		  ipcmp_strerror(rc));
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* The header record (SysV) or the state (POSIX) says msg_max 0, or a size
 * the queue does not have: open refuses the channel. */
BACKEND_TEST_ON(IPCMP_SUITE_QUEUE_BACKENDS, queue_header_damaged)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c, *x = NULL;
	uint32_t zero = 0, saved;
	int rc;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_CONSUMER);
	if (kit_is_sysv(ops)) {
		struct { long mtype; char text[64]; } m;
		int id = queue_id(name);
		ssize_t n = msgrcv(id, &m, sizeof(m.text), SYSV_HEAD, IPC_NOWAIT);

		cr_assert(eq(long, (long)n, 64), "%s: take the header record: %s", ops->name,
			  strerror(errno));
		memcpy(m.text + MSG_MAX_OFFSET, &zero, sizeof(zero));
		cr_assert(eq(int, msgsnd(id, &m, (size_t)n, IPC_NOWAIT), 0),
			  "%s: put back a damaged header record", ops->name);
		rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &x);
		cr_assert(eq(int, rc, -EBADMSG), "%s: open with msg_max 0 in the header record: %s",
			  ops->name, rc < 0 ? ipcmp_strerror(rc) : "opened");
	} else {
		char path[128], pn[96];
		int fd;
		char *st;

		ipcmp_posix_name(pn, sizeof(pn), name, "mq");
		snprintf(path, sizeof(path), "/dev/shm/%s", pn + 1);
		fd = open(path, O_RDWR);
		cr_assert(ge(int, fd, 0), "%s: open %s: %s", ops->name, path, strerror(errno));
		st = mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		cr_assert(ne(ptr, st, MAP_FAILED), "%s: mmap %s", ops->name, path);
		memcpy(&saved, st + MSG_MAX_OFFSET, sizeof(saved));
		memcpy(st + MSG_MAX_OFFSET, &(uint32_t){ saved + 1 }, sizeof(saved));
		rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &x);
		memcpy(st + MSG_MAX_OFFSET, &saved, sizeof(saved));
		munmap(st, 64);
		cr_assert(eq(int, rc, -EBADMSG), "%s: open with a state msg_max the queue has not: %s",
			  ops->name, rc < 0 ? ipcmp_strerror(rc) : "opened");
	}
	cr_assert(eq(ptr, x, NULL), "%s: refused open: handle", ops->name);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * A POSIX object shrunk under a live channel (ftruncate by anyone who may
 * open it): the pages past the new end are gone, and the next touch of one
 * raises SIGBUS in every process that maps it. The library cannot prevent
 * that without a signal handler, which a library must not install behind
 * its caller's back; it checks the size (fstat) at open, so a channel
 * truncated before open is refused, and the window after open remains.
 * The command line catches SIGBUS, says so, and exits 1 (a producer's
 * stream is then aborted: it died). SysV: a segment's size is fixed at
 * shmget; nothing can shrink it, so there is no such window.
 */
#define POSIX_BACKENDS(X, ...) \
	X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__) \
	X(posix_mq, ipcmp_posix_mq_ops, __VA_ARGS__)

/* The object the backend maps: posix-shm its ring, posix-mq its state. */
static void mapped_object(const struct ipcmp_ops *ops, const char *name, char *path, size_t size)
{
	char pn[96];

	ipcmp_posix_name(pn, sizeof(pn), name, ops == &ipcmp_posix_shm_ops ? "ring" : "mq");
	snprintf(path, size, "/dev/shm/%s", pn + 1);
}

struct saved_object {
	char path[128];
	void *bytes;
	size_t size;
};

static void truncate_object(const struct ipcmp_ops *ops, const char *name, struct saved_object *o)
{
	struct stat sb;
	int fd;

	mapped_object(ops, name, o->path, sizeof(o->path));
	fd = open(o->path, O_RDWR);
	cr_assert(ge(int, fd, 0), "%s: open %s: %s", ops->name, o->path, strerror(errno));
	cr_assert(eq(int, fstat(fd, &sb), 0), "%s: fstat %s", ops->name, o->path);
	o->size = (size_t)sb.st_size;
	o->bytes = malloc(o->size);
	cr_assert(ne(ptr, o->bytes, NULL), "%s: malloc", ops->name);
	cr_assert(eq(long, (long)pread(fd, o->bytes, o->size, 0), (long)o->size), "%s: read %s",
		  ops->name, o->path);
	cr_assert(eq(int, ftruncate(fd, 0), 0), "%s: ftruncate %s: %s", ops->name, o->path,
		  strerror(errno));
	close(fd);
}

static void restore_object(const struct ipcmp_ops *ops, struct saved_object *o)
{
	int fd = open(o->path, O_RDWR);

	cr_assert(ge(int, fd, 0), "%s: open %s: %s", ops->name, o->path, strerror(errno));
	cr_assert(eq(long, (long)pwrite(fd, o->bytes, o->size, 0), (long)o->size),
		  "%s: restore %s", ops->name, o->path);
	close(fd);
	free(o->bytes);
}

BACKEND_TEST_ON(POSIX_BACKENDS, truncated_object)
{
	const char *name = fixture_name();
	struct saved_object o;
	struct ipcmp_chan *c, *x = NULL;
	int go[2], st, rc;
	pid_t pid;
	char byte;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER);
	cr_assert(eq(int, pipe(go), 0), "%s: pipe", ops->name);
	child_inherits(c);
	if ((pid = child_start(0)) == 0) {
		static struct ipcmp_chan *q;
		static char buf[16];

		close(go[1]);
		if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &q)) < 0)
			child_failf("consumer: open: %s", ipcmp_strerror(rc));
		if (read(go[0], &byte, 1) != 1)
			child_failf("consumer: read(go)");
		rc = (int)ipcmp_recv(q, buf, q->msg_max, 0);
		child_failf("consumer: recv on a truncated object returned %s",
			    ipcmp_strerror(rc));
	}
	close(go[0]);
	kit_sleep_us(fixture_valgrind() ? 2000000 : 100000);   /* the consumer opens */
	truncate_object(ops, name, &o);
	/* an object of 0 bytes has no header: not a channel (-EPROTO) */
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &x);
	st = (int)write(go[1], "g", 1);
	close(go[1]);
	cr_assert(eq(int, st, 1), "%s: write(go)", ops->name);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	restore_object(ops, &o);
	cr_assert(eq(int, rc, -EPROTO), "%s: open after %s was truncated: %s", ops->name, o.path,
		  rc < 0 ? ipcmp_strerror(rc) : "opened");
	cr_assert(eq(int, WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, 1),
		  "%s: a consumer on a truncated %s: status %#x, want death by SIGBUS", ops->name,
		  o.path, st);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* The command line on a truncated channel: a message naming the cause, and
 * exit status 1, not death by SIGBUS. */
BACKEND_TEST_ON(POSIX_BACKENDS, truncated_object_cli, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "recv", "-b", ops->name, name, "--timeout", "60000", NULL };
	struct saved_object o;
	struct cli_run r;
	struct ipcmp_chan *c;
	int rc, status;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER);
	cli_start(&r, &(struct cli_spec){ 0 }, argv);
	rc = ipcmp_send(c, "one", 3, fixture_wait_ms());
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	cli_read_out(&r, 3, fixture_wait_ms());     /* it is in its receive loop */
	truncate_object(ops, name, &o);
	status = cli_wait_exit(&r, fixture_wait_ms());
	restore_object(ops, &o);
	cr_assert(eq(int, status, 1), "%s: ipcmp recv on a truncated channel: status %d "
		  "(1000 + signal when killed); stderr: %s", ops->name, status, r.errbuf);
	cr_assert(ne(ptr, strstr(r.errbuf, "truncated by another process"), NULL),
		  "%s: ipcmp recv on a truncated channel: stderr: %s", ops->name, r.errbuf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * posix-shm: another process overwrites a named semaphore's file
 * (/dev/shm/sem.NAME), here with a count of 0 and a garbage flags word
 * (glibc's struct new_sem: a 64-bit value and waiter count, then the futex
 * "private" flag). The next wait on it passes the garbage to futex(2),
 * which refuses it; glibc treats that as impossible and aborts: the
 * process dies by SIGABRT inside sem_timedwait, before the library can
 * look. The library cannot tell a damaged semaphore from a good one
 * without reading glibc's private layout, so it does not try. The command
 * line catches SIGABRT, says so, and exits 1.
 */
#define POSIX_SHM_ONLY(X, ...) X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__)

/* Overwrites the semaphore's first 16 bytes, after saving them in saved;
 * restore: puts them back. */
static void damage_semaphore(const struct ipcmp_ops *ops, const char *name, const char *suffix,
			     unsigned char saved[16], int restore)
{
	struct { uint64_t value; int32_t flags; int32_t pad; } garbage = { 0, 0x5a5a5a5a, 0 };
	char path[128], pn[96];
	int fd;

	ipcmp_posix_name(pn, sizeof(pn), name, suffix);
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", pn + 1);
	fd = open(path, O_RDWR);
	cr_assert(ge(int, fd, 0), "%s: open %s: %s", ops->name, path, strerror(errno));
	if (!restore)
		cr_assert(eq(long, (long)pread(fd, saved, 16, 0), 16L), "%s: read %s", ops->name,
			  path);
	cr_assert(eq(long, (long)pwrite(fd, restore ? (void *)saved : (void *)&garbage, 16, 0), 16L),
		  "%s: write %s", ops->name, path);
	close(fd);
}

BACKEND_TEST_ON(POSIX_SHM_ONLY, damaged_semaphore)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	unsigned char saved[16];
	int st;
	pid_t pid;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
	damage_semaphore(ops, name, "items", saved, 0);
	child_inherits(c);
	if ((pid = child_start(0)) == 0) {
		static char buf[16];
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, STDERR_FILENO);        /* glibc's message */
		ssize_t n = ipcmp_recv(c, buf, sizeof(buf), T_EXPIRE);

		child_failf("recv on a damaged semaphore returned %s", ipcmp_strerror((int)n));
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* repaired: the dead waiter's count went with it (closing the
	 * producer posts this semaphore, and would abort too) */
	damage_semaphore(ops, name, "items", saved, 1);
	cr_assert(eq(int, WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, 1),
		  "%s: recv on a damaged semaphore: status %#x, want death by SIGABRT (glibc)",
		  ops->name, st);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST_ON(POSIX_SHM_ONLY, damaged_semaphore_cli, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "recv", "-b", ops->name, name, "--timeout", "60000", NULL };
	struct cli_run r;
	struct ipcmp_chan *c;
	unsigned char saved[16];
	int status;

	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER);
	damage_semaphore(ops, name, "items", saved, 0);
	cli_start(&r, &(struct cli_spec){ 0 }, argv);
	status = cli_wait_exit(&r, fixture_wait_ms());
	damage_semaphore(ops, name, "items", saved, 1);
	cr_assert(eq(int, status, 1), "%s: ipcmp recv on a damaged semaphore: status %d "
		  "(1000 + signal when killed); stderr: %s", ops->name, status, r.errbuf);
	cr_assert(ne(ptr, strstr(r.errbuf, "overwrote a semaphore"), NULL),
		  "%s: ipcmp recv on a damaged semaphore: stderr: %s", ops->name, r.errbuf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * Random bytes, again and again, over what another process can write while
 * the channel is live: the ring (header and slots) of the shm backends, the
 * state of posix-mq, the semaphore values of sysv-msg. Between two
 * scribbles the channel is used with timeout 0: every call returns at once
 * (within the margin) with its message or an error, never crashes, and
 * never writes past the caller's buffer (a guard after it) or reads outside
 * its mapping (make valgrind and make sanitize watch that); a recv that
 * failed took nothing: with the scribble undone, the next one gets the
 * message. One exception, a known limit of the locked rings: a tail lowered
 * (or a head raised) by one hides the last message behind a wake-up that
 * looks stale (see the loop). The seed is printed; IPCMP_SEED=N replays it. At the end the channel's first bytes
 * are put back, so that unlink finds its channel.
 */
#define GUARD 64
#define KEEP sizeof(struct ipcmp_ring_hdr)   /* the header, head and tail included: scribbled most, restored at the end */

struct scribbler {
	unsigned char *mem;        /* shm: the ring; posix-mq: the state */
	size_t size;
	int semid;                 /* sysv-msg: the set; -1 otherwise */
	_Alignas(max_align_t) unsigned char keep[KEEP];   /* read as a ring header */
	unsigned short vals[64];   /* sysv-msg: the values, restored at the end */
	int shm;                   /* 1: mem is a ring (common/ring.h) */
	struct { size_t at; int old, new; } log[16];   /* the last scribble */
	unsigned nlog;
};

static void scribbler_open(const struct ipcmp_ops *ops, const char *name, struct scribbler *w)
{
	int err = 0;

	w->mem = NULL;
	w->semid = -1;
	w->shm = 0;
	if (ops == &ipcmp_sysv_msg_ops) {
		w->semid = semget(ipcmp_sysv_key(name), 0, 0);
		cr_assert(ge(int, w->semid, 0), "%s: semget: %s", ops->name, strerror(errno));
		semctl(w->semid, 0, GETALL, (union semun_arg){ .array = w->vals });
		return;
	}
	if (ops == &ipcmp_posix_mq_ops) {
		char path[128];
		int fd;

		mapped_object(ops, name, path, sizeof(path));
		fd = open(path, O_RDWR);
		cr_assert(ge(int, fd, 0), "%s: open %s: %s", ops->name, path, strerror(errno));
		w->size = 640;             /* struct state, posix_mq.c */
		w->mem = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		cr_assert(ne(ptr, w->mem, MAP_FAILED), "%s: mmap %s", ops->name, path);
	} else {
		w->mem = (unsigned char *)ringmap_open(ops, name, &w->size, &err);
		cr_assert(ne(ptr, w->mem, NULL), "%s: map the ring: %s", ops->name, strerror(-err));
		w->shm = 1;
	}
	memcpy(w->keep, w->mem, KEEP);
}

static void poke(struct scribbler *w, size_t at, int v)
{
	if (w->nlog < sizeof(w->log) / sizeof(w->log[0])) {
		w->log[w->nlog].at = at;
		w->log[w->nlog].old = w->semid >= 0 ? semctl(w->semid, (int)at, GETVAL) : w->mem[at];
		w->log[w->nlog++].new = v;
	}
	if (w->semid >= 0)
		semctl(w->semid, (int)at, SETVAL, (union semun_arg){ .val = v });
	else
		w->mem[at] = (unsigned char)v;
}

/* sysv-msg: the stream's semaphores (PRODUCERS, JOINED, ENDED, ABORTED,
 * TOKEN, CONSUMERS; sysv_msg.c); USED and SLOTS are the queue_* tests'. */
static void scribble(struct scribbler *w)
{
	w->nlog = 0;
	if (w->semid >= 0) {
		poke(w, 2 + kit_rand(6), (int)kit_rand(4));
		return;
	}
	for (unsigned i = 0, n = 1 + kit_rand(8); i < n; i++)
		/* mostly the header, where the indices and lengths are */
		poke(w, kit_rand(4) ? kit_rand(KEEP) : kit_rand((unsigned)w->size), (int)kit_rand(256));
	if (w->shm && kit_rand(4) == 0) {
		/* the length of the slot at head, as the header was made (its
		 * first line, which keep holds) */
		uint32_t capacity, slot_size;
		size_t at;

		_Static_assert(offsetof(struct ipcmp_ring_hdr, slot_size) + 4 <= KEEP, "in keep");
		memcpy(&capacity, w->keep + offsetof(struct ipcmp_ring_hdr, capacity), 4);
		memcpy(&slot_size, w->keep + offsetof(struct ipcmp_ring_hdr, slot_size), 4);
		at = IPCMP_RING_SLOTS_OFFSET +
		     (size_t)(((const struct ipcmp_ring_hdr *)(void *)w->mem)->head % capacity) *
		     slot_size + kit_rand(4);

		if (at < w->size)
			poke(w, at, (int)kit_rand(256));
	}
}

/* The last scribble lowered the ring's tail (messages put) or raised its
 * head (messages taken): the ring may look empty. */
static int emptied(const struct scribbler *w)
{
	size_t head = offsetof(struct ipcmp_ring_hdr, head), tail = offsetof(struct ipcmp_ring_hdr, tail);

	for (unsigned i = 0; i < w->nlog; i++) {
		size_t at = w->log[i].at;

		if (w->shm && at >= tail && at < tail + 8 && w->log[i].new < w->log[i].old)
			return 1;
		if (w->shm && at >= head && at < head + 8 && w->log[i].new > w->log[i].old)
			return 1;
	}
	return 0;
}

/* Posts the ring's DATA semaphore from outside (SysV: semaphore 1 of the
 * set; POSIX: /ipcmp.NAME.items), as a producer does. */
static void post_item(const struct ipcmp_ops *ops, const char *name)
{
	int rc;

	if (kit_is_sysv(ops)) {
		struct sembuf op = { 1, 1, 0 };

		rc = semop(semget(ipcmp_sysv_key(name), 0, 0), &op, 1);
	} else {
		char path[96];
		sem_t *sem;

		ipcmp_posix_name(path, sizeof(path), name, "items");
		sem = sem_open(path, 0);
		rc = sem == SEM_FAILED ? -1 : sem_post(sem);
		if (sem != SEM_FAILED)
			sem_close(sem);
	}
	cr_assert(eq(int, rc, 0), "%s: post the ring's DATA semaphore: %s", ops->name,
		  strerror(errno));
}

/* Undoes the last scribble, newest first, where it still shows (a call
 * that succeeded may have written a field since, as recv writes head). */
static void unscribble(struct scribbler *w)
{
	while (w->nlog > 0) {
		unsigned i = --w->nlog;
		size_t at = w->log[i].at;
		int now = w->semid >= 0 ? semctl(w->semid, (int)at, GETVAL) : w->mem[at];

		if (now != w->log[i].new)
			continue;
		if (w->semid >= 0)
			semctl(w->semid, (int)at, SETVAL, (union semun_arg){ .val = w->log[i].old });
		else
			w->mem[at] = (unsigned char)w->log[i].old;
	}
}

static void scribbler_close(const struct ipcmp_ops *ops, struct scribbler *w)
{
	if (w->semid >= 0)
		semctl(w->semid, 0, SETALL, (union semun_arg){ .array = w->vals });
	if (w->mem == NULL)
		return;
	memcpy(w->mem, w->keep, KEEP);
	if (ops == &ipcmp_posix_mq_ops)
		munmap(w->mem, w->size);
	else
		ringmap_close(ops, (struct ipcmp_ring_hdr *)w->mem, w->size);
}

static int expected_error(long rc)
{
	static const long ok[] = { -EAGAIN, -EBADMSG, -EMSGSIZE, -ETIMEDOUT, IPCMP_EOS,
				   IPCMP_ABORTED, -ENOTRECOVERABLE, -ESHUTDOWN };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (rc == ok[i])
			return 1;
	return 0;
}

/*
 * Where a ring made to look empty (its tail lowered, its head raised) hides
 * the last message behind a wake-up that looks stale: the locked rings,
 * whose consumers take head == tail for an empty ring. posix-atomic's
 * consumers read the slot's turn, which head and tail do not move: a
 * repaired head or tail hides nothing there.
 */
static const struct ipcmp_ops *const hides_behind_item[] = { &ipcmp_sysv_shm_ops,
							      &ipcmp_posix_shm_ops };

static int emptied_hides(const struct ipcmp_ops *ops)
{
	for (size_t i = 0; i < sizeof(hides_behind_item) / sizeof(hides_behind_item[0]); i++)
		if (hides_behind_item[i] == ops)
			return 1;
	return 0;
}

BACKEND_TEST(scribbled_live, .timeout = 240)
{
	const char *name = fixture_name();
	size_t rounds = fixture_scale(3000, 150);
	struct scribbler w;
	struct ipcmp_chan *c;
	unsigned char *buf;
	long t0, took, worst = 0;
	size_t errors = 0, stranded = 0;

	kit_seed_print(ops->name, "scribbled_live");
	c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER | IPCMP_CHECKSUM);
	buf = malloc(c->msg_max + GUARD);
	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	memset(buf + c->msg_max, 0xa5, GUARD);
	scribbler_open(ops, name, &w);
	for (size_t i = 0; i < rounds; i++) {
		size_t len = kit_rand(2) ? 8 : 0;
		long rc;

		payload_fill(buf, len, i);
		rc = ipcmp_send(c, buf, len, 0);
		if (rc < 0)
			cr_fatal("%s: round %zu (IPCMP_SEED=%u): send before the scribble: %s",
				 ops->name, i, kit_seed(), ipcmp_strerror((int)rc));
		scribble(&w);
		t0 = timing_now_ms();
		rc = (long)ipcmp_recv(c, buf, c->msg_max, 0);
		took = timing_now_ms() - t0;
		if (rc < 0 && !expected_error(rc))
			cr_fatal("%s: round %zu (IPCMP_SEED=%u): recv: %s", ops->name, i, kit_seed(),
				 ipcmp_strerror((int)rc));
		for (size_t g = 0; g < GUARD; g++)
			if (buf[c->msg_max + g] != 0xa5)
				cr_fatal("%s: round %zu (IPCMP_SEED=%u): recv wrote past its buffer",
					 ops->name, i, kit_seed());
		if (took > worst)
			worst = took;
		if (rc == -EAGAIN && emptied_hides(ops) && emptied(&w)) {
			/* a known limit: an empty ring and an item is what a
			 * consumer also sees when it took a message before its
			 * item was posted (POSIX posts after it unlocks); it
			 * drops the item as stale, and the message, once head
			 * or tail is put back, waits for the next item */
			unscribble(&w);
			post_item(ops, name);
			stranded++;
		} else {
			unscribble(&w);
		}
		if (rc < 0) {
			/* the failed recv took nothing: repaired, the message is there */
			errors++;
			rc = (long)ipcmp_recv(c, buf, c->msg_max, 0);
		}
		/* checksummed: a message the scribble changed is never delivered */
		if (rc != (long)len || payload_check(buf, len, i) != 0)
			cr_fatal("%s: round %zu (IPCMP_SEED=%u): recv%s: %ld (%s)", ops->name, i,
				 kit_seed(), errors > 0 ? " (after a repair?)" : "", rc,
				 rc < 0 ? ipcmp_strerror((int)rc) : "length or content");
	}
	scribbler_close(ops, &w);
	cr_log_info("%s: scribbled_live: %zu rounds, %zu errors, %zu messages stranded by a "
		    "moved head or tail, slowest %ld ms", ops->name, rounds, errors, stranded, worst);
	cr_assert(lt(long, worst, 2 * IPCMP_TIMEOUT_MARGIN_MS + timing_allowance_ms()),
		  "%s: a send and a recv with timeout 0 took %ld ms (IPCMP_SEED=%u)", ops->name,
		  worst, kit_seed());
	free(buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}
