/*
 * signals.c - a signal handler that runs during every kind of wait.
 *
 * The families differ sharply here (signal(7); the rows eintr_* and
 * restart_* of `ipcmp compare` and semantics.c show it call by call): a
 * SysV semtimedop, msgsnd or msgrcv interrupted by a handler fails with
 * EINTR even under SA_RESTART, sem_timedwait too (the system disagrees
 * with signal(7) there), while sem_wait, mq_send and mq_receive restart.
 * ipcmp hides the difference (ipcmp.h): a handler does not end a wait, the
 * call goes on for what is left of its timeout (SysV: semtimedop takes a
 * relative timeout, recomputed from an absolute deadline; POSIX: the same
 * absolute deadline is passed again). So, under a storm of SIGALRM (an
 * interval timer of 200 us or 1 ms, in every process of the test), with
 * and without SA_RESTART:
 *   signal_timeouts: recv waiting for data, send waiting for room and (shm
 *     backends) a wait for the ring's lock run out no earlier than their
 *     timeout and within the margin, with -ETIMEDOUT, never -EINTR; open
 *     waiting for a creator that never finishes waits IPCMP_OPEN_WAIT_MS,
 *     no less, then says -EPROTO;
 *   signal_storm_stream: a stream of numbered messages from a producer
 *     process arrives complete, in order, once, then end of stream.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <unistd.h>

#include "backends.h"
#include "ringmap.h"
#include "crashkit.h"
#include "timing.h"

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

/* SIGALRM every us microseconds in this process until storm_stop. */
static int storm_start(int sa_flags, long us)
{
	struct sigaction sa;
	struct itimerval it = { { 0, us }, { 0, us } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = sa_flags;
	sigemptyset(&sa.sa_mask);
	ticks = 0;
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		return -errno;
	return 0;
}

static void storm_stop(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);          /* one may still be pending */
}

static const struct {
	int flags;
	const char *what;
} storms[] = {
	{ 0, "without SA_RESTART" },
	{ SA_RESTART, "with SA_RESTART" },
};

#define NSTORMS (sizeof(storms) / sizeof(storms[0]))

/* The consumers' lock, which recv waits for (split locks: producers have
 * their own). SysV: semaphore 5 (GETLOCK) of the set under the channel's
 * key; POSIX: the named semaphore /ipcmp.NAME.takers. Taken from outside,
 * without undo and without recording a holder: a lock held by nobody known. */
static int lock_hold(const struct ipcmp_ops *ops, const char *name, int take)
{
	if (kit_is_sysv(ops)) {
		struct sembuf op = { 5, (short)(take ? -1 : 1), IPC_NOWAIT };
		int id = semget(ipcmp_sysv_key(name), 0, 0);

		return id < 0 || semop(id, &op, 1) < 0 ? -errno : 0;
	} else {
		char path[96];
		sem_t *s;
		int rc;

		ipcmp_posix_name(path, sizeof(path), name, "takers");
		if ((s = sem_open(path, 0)) == SEM_FAILED)
			return -errno;
		rc = take ? sem_trywait(s) : sem_post(s);
		rc = rc < 0 ? -errno : 0;
		sem_close(s);
		return rc;
	}
}

/*
 * A zero-filled object under the channel's name or key, as a creator that
 * has not yet written its header leaves it (the object each backend looks
 * at first; ownership.c makes the same foreign objects). open waits up to
 * IPCMP_OPEN_WAIT_MS for the creator, then says -EPROTO. 0 or -errno.
 */
static int half_made(const struct ipcmp_ops *ops, const char *name, int make)
{
	char path[96];
	int fd;

	if (ops == &ipcmp_sysv_shm_ops) {
		int id = shmget(ipcmp_sysv_key(name), 4096, make ? IPC_CREAT | IPC_EXCL | 0600 : 0);

		return id < 0 ? -errno : make ? 0 : shmctl(id, IPC_RMID, NULL);
	}
	if (ops == &ipcmp_sysv_msg_ops) {
		int id = msgget(ipcmp_sysv_key(name), make ? IPC_CREAT | IPC_EXCL | 0600 : 0);

		return id < 0 ? -errno : make ? 0 : msgctl(id, IPC_RMID, NULL);
	}
	if (ops == &ipcmp_posix_mq_ops) {
		struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8 };
		mqd_t q;

		ipcmp_posix_name(path, sizeof(path), name, NULL);
		if (!make) {
			mq_unlink(path);
			ipcmp_posix_name(path, sizeof(path), name, "mq");
			return shm_unlink(path);
		}
		if ((q = mq_open(path, O_RDWR | O_CREAT | O_EXCL, 0600, &a)) == (mqd_t)-1)
			return -errno;
		mq_close(q);
		/* and its state, zero-filled */
		ipcmp_posix_name(path, sizeof(path), name, "mq");
	} else {
		ipcmp_posix_name(path, sizeof(path), name, ringmap_posix_suffix(ops));
	}
	if (!make)
		return shm_unlink(path);
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	fd = ftruncate(fd, 4096) < 0 ? -errno : close(fd);
	return fd;
}

/* The storm during the timeouts: dense enough (200 us) to cut the 1 ms
 * sleeps of an open that waits for its creator; under valgrind 1 ms. */
static long timeouts_us(void)
{
	return (long)fixture_scale(200, 1000);
}

static void expect_expired(const struct ipcmp_ops *ops, long rc, long t0, const char *what,
			   const char *storm)
{
	char label[160];

	snprintf(label, sizeof(label), "%s, %s", what, storm);
	cr_assert(eq(long, rc, (long)-ETIMEDOUT), "%s: %s: %s, want -ETIMEDOUT", ops->name, label,
		  ipcmp_strerror((int)rc));
	timing_assert_expired(timing_now_ms() - t0, T_EXPIRE, ops->name, label);
}

BACKEND_TEST(signal_timeouts, .timeout = 120)
{
	for (size_t k = 0; k < NSTORMS; k++) {
		const char *name = fixture_name();
		struct ipcmp_chan *c;
		size_t cap;
		char *buf;
		long t0, rc;

		c = chan_create_ok(ops, name, 0, 0, IPCMP_PRODUCER | IPCMP_CONSUMER);
		cap = c->capacity < 4 ? c->capacity : 4;
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
		c = chan_create_ok(ops, name, 0, cap, IPCMP_PRODUCER | IPCMP_CONSUMER);
		buf = calloc(1, c->msg_max);
		cr_assert(ne(ptr, buf, NULL), "%s: calloc", ops->name);
		cr_assert(eq(int, storm_start(storms[k].flags, timeouts_us()), 0), "%s: setitimer",
			  ops->name);

		t0 = timing_now_ms();
		rc = (long)ipcmp_recv(c, buf, c->msg_max, T_EXPIRE);
		expect_expired(ops, rc, t0, "recv waiting for data", storms[k].what);

		for (size_t i = 0; i < cap; i++) {
			rc = ipcmp_send(c, buf, 1, fixture_wait_ms());
			cr_assert(eq(long, rc, 0L), "%s: send %zu, %s: %s", ops->name, i,
				  storms[k].what, ipcmp_strerror((int)rc));
		}
		t0 = timing_now_ms();
		rc = ipcmp_send(c, buf, 1, T_EXPIRE);
		expect_expired(ops, rc, t0, "send waiting for room", storms[k].what);

		if (ops == &ipcmp_sysv_shm_ops || ops == &ipcmp_posix_shm_ops) {
			rc = lock_hold(ops, name, 1);
			cr_assert(eq(long, rc, 0L), "%s: take the lock: %s", ops->name,
				  strerror((int)-rc));
			t0 = timing_now_ms();
			rc = (long)ipcmp_recv(c, buf, c->msg_max, T_EXPIRE);
			lock_hold(ops, name, 0);
			expect_expired(ops, rc, t0, "recv waiting for the lock", storms[k].what);
		}
		storm_stop();
		cr_assert(gt(long, (long)ticks, 0L), "%s: %s: no signal arrived", ops->name,
			  storms[k].what);
		free(buf);
		chan_close_ok(c);
		chan_unlink_ok(ops, name);

		/* open waiting for a creator that never finishes */
		name = fixture_name();
		rc = half_made(ops, name, 1);
		cr_assert(eq(long, rc, 0L), "%s: a half-made channel: %s", ops->name,
			  strerror((int)-rc));
		cr_assert(eq(int, storm_start(storms[k].flags, timeouts_us()), 0), "%s: setitimer",
			  ops->name);
		c = NULL;
		t0 = timing_now_ms();
		rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
		t0 = timing_now_ms() - t0;
		storm_stop();
		half_made(ops, name, 0);
		cr_assert(eq(long, rc, (long)-EPROTO), "%s: open waiting for a creator, %s: %s, "
			  "want -EPROTO", ops->name, storms[k].what, ipcmp_strerror((int)rc));
		timing_assert_expired(t0, IPCMP_OPEN_WAIT_MS, ops->name, "open waiting for a creator");
	}
}

#define STREAM_US 1000             /* the storm during a stream: every millisecond */

struct tally {
	long ticks;                /* producer: signals it handled */
};

static _Noreturn void storm_producer(const struct ipcmp_ops *ops, const char *name, int flags,
				     size_t total, struct tally *t)
{
	static struct ipcmp_chan *p;
	static char buf[64];
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &p)) < 0)
		child_failf("producer: open: %s", ipcmp_strerror(rc));
	if ((rc = storm_start(flags, STREAM_US)) < 0)
		child_failf("producer: setitimer: %s", strerror(-rc));
	for (uint64_t seq = 0; seq < total; seq++) {
		size_t len = 8 + payload_len(seq, sizeof(buf) - 8);

		payload_fill(buf, len, seq);
		if ((rc = ipcmp_send(p, buf, len, fixture_wait_ms())) < 0)
			child_failf("producer: send #%llu: %s", (unsigned long long)seq,
				    ipcmp_strerror(rc));
	}
	storm_stop();
	t->ticks = ticks;
	if ((rc = ipcmp_close(p)) < 0)
		child_failf("producer: close: %s", ipcmp_strerror(rc));
	p = NULL;
	child_exit();
}

BACKEND_TEST(signal_storm_stream, .timeout = 240)
{
	size_t total = fixture_scale(20000, 400);

	for (size_t k = 0; k < NSTORMS; k++) {
		const char *name = fixture_name();
		struct tally *t = kit_shared(sizeof(*t));
		struct ipcmp_chan *c;
		char buf[64];
		ssize_t n;
		pid_t pid;

		cr_assert(ne(ptr, t, NULL), "%s: mmap", ops->name);
		/* 4 slots: both sides wait often, and the signals find them waiting */
		c = chan_create_ok(ops, name, 64, 4, IPCMP_CONSUMER);
		child_inherits(c);
		if ((pid = child_start(0)) == 0)
			storm_producer(ops, name, storms[k].flags, total, t);
		cr_assert(eq(int, storm_start(storms[k].flags, STREAM_US), 0), "%s: setitimer",
			  ops->name);
		for (size_t seq = 0; seq < total; seq++) {
			size_t len = 8 + payload_len(seq, sizeof(buf) - 8);

			n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms());
			if (n != (ssize_t)len || payload_check(buf, len, seq) != 0) {
				storm_stop();
				cr_fatal("%s: %s: recv #%zu: %ld bytes (%s), message #%llu?", ops->name,
					 storms[k].what, seq, (long)n,
					 n < 0 ? ipcmp_strerror((int)n) : "length or content",
					 n >= 8 ? (unsigned long long)payload_seq(buf) : 0ULL);
			}
		}
		n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms());
		storm_stop();
		cr_assert(eq(long, (long)n, (long)IPCMP_EOS), "%s: %s: after %zu messages: %s",
			  ops->name, storms[k].what, total,
			  n < 0 ? ipcmp_strerror((int)n) : "one more message");
		child_assert_ok(pid, 0, fixture_wait_ms(), "producer");
		cr_log_info("%s: %s: %zu messages; signals: consumer %ld, producer %ld", ops->name,
			    storms[k].what, total, (long)ticks, t->ticks);
		cr_assert(gt(long, (long)ticks + t->ticks, 0L), "%s: %s: no signal arrived",
			  ops->name, storms[k].what);
		kit_unshare(t, sizeof(*t));
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
	}
}
