/*
 * pair.c - two processes pinned to two CPUs, released at once, bounded.
 *
 * The parent forks the sides; each pins itself, arms its watchdog, says it
 * is ready on a pipe and blocks reading another pipe, which the parent
 * closes once every side is ready: that instant is the start of the case.
 * The results come back through a shared anonymous mapping. A side that
 * fails makes the parent kill the other at once; a case that outlives its
 * bound is killed whole. Nothing here depends on what the sides move.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct shared {
	struct timespec go;        /* parent: the release */
	struct timespec end;       /* consumer: its last message */
	uint64_t received;
	uint64_t laps;
	double p50_ns, p99_ns;
	char error[2][200];
};

struct bench_run {
	const struct bench_case *c;
	struct shared *sh;
	int side;
	int stop;                  /* the producer decided: the next message is the last */
	struct timespec until;     /* go + seconds */
	struct timespec prev;      /* the previous lap */
	uint64_t lap;              /* laps so far, warm-up included */
	uint64_t warmup;
	uint32_t *ns;              /* measured laps */
	size_t nns;
};

static double ts_ns(const struct timespec *t)
{
	return (double)t->tv_sec * 1e9 + (double)t->tv_nsec;
}

static int ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

const struct bench_case *bench_case_of(struct bench_run *r)
{
	return r->c;
}

int bench_side_of(struct bench_run *r)
{
	return r->side;
}

int bench_fail(struct bench_run *r, const char *fmt, ...)
{
	char *e = r->sh->error[r->side];
	va_list ap;

	if (e[0] != '\0')
		return -1;                 /* the first failure is the cause */
	va_start(ap, fmt);
	vsnprintf(e, sizeof(r->sh->error[0]), fmt, ap);
	va_end(ap);
	return -1;
}

int bench_last(struct bench_run *r, uint64_t seq)
{
	struct timespec now;

	if (r->c->messages != 0)
		return seq + 1 >= r->c->messages;
	if (r->stop)
		return 1;
	if (r->c->mode == BENCH_ROUNDTRIP && r->nns >= BENCH_RTT_SAMPLES)
		return r->stop = 1;
	/* The clock every 64 messages: it costs about as much as a fast message. */
	if ((seq & 63) == 0 || r->c->mode == BENCH_ROUNDTRIP) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		r->stop = ts_after(&now, &r->until);
	}
	return r->stop;
}

int bench_done(struct bench_run *r, uint64_t received)
{
	clock_gettime(CLOCK_MONOTONIC, &r->sh->end);
	r->sh->received = received;
	return 0;
}

void bench_lap(struct bench_run *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->lap++ >= r->warmup && r->nns < BENCH_RTT_SAMPLES)
		r->ns[r->nns++] = (uint32_t)(ts_ns(&now) - ts_ns(&r->prev));
	r->prev = now;
}

int bench_check(struct bench_run *r, const void *buf, ssize_t len, uint64_t seq)
{
	const unsigned char *p = buf;
	size_t want = r->c->size;
	uint64_t at[3];

	if (len != (ssize_t)want)
		return bench_fail(r, "message %llu: %zd bytes, expected %zu",
				  (unsigned long long)seq, len, want);
	memcpy(&at[0], p, 8);
	memcpy(&at[1], p + ((want / 2) & ~(size_t)7), 8);
	memcpy(&at[2], p + want - 8, 8);
	for (int i = 0; i < 3; i++)
		if ((at[i] & ~BENCH_LAST) != seq || (at[i] & BENCH_LAST) != (at[0] & BENCH_LAST))
			return bench_fail(r, "message %llu: wrong payload (%s stamp %llu)",
					  (unsigned long long)seq,
					  i == 0 ? "first" : i == 1 ? "middle" : "last",
					  (unsigned long long)(at[i] & ~BENCH_LAST));
	return (at[0] & BENCH_LAST) != 0;
}

int bench_again(int err, int *tries)
{
	if (err != EMFILE || ++*tries > 40)
		return 0;
	nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
	return 1;
}

struct timespec bench_deadline(struct bench_run *r)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += r->c->timeout_ms / 1000;
	return t;
}

struct timespec bench_timeout(struct bench_run *r)
{
	return (struct timespec){ r->c->timeout_ms / 1000, (r->c->timeout_ms % 1000) * 1000000L };
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void percentiles(struct bench_run *r)
{
	if (r->nns == 0)
		return;
	qsort(r->ns, r->nns, sizeof(r->ns[0]), cmp_u32);
	r->sh->p50_ns = r->ns[r->nns / 2];
	r->sh->p99_ns = r->ns[(r->nns * 99) / 100];
	r->sh->laps = r->nns;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static _Noreturn void side_main(struct bench_run *r, bench_side *prepare, bench_side *fn,
				void *arg, const sigset_t *mask, int ready, int go)
{
	const struct bench_case *c = r->c;
	char byte;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* The watchdog: SIGALRM's default action ends the process, whatever call
	 * it is blocked in. */
	alarm((unsigned)(c->timeout_ms / 1000 + 2));
	if (pin(c->cpu[r->side]) < 0) {
		bench_fail(r, "sched_setaffinity(CPU %d): %s", c->cpu[r->side], strerror(errno));
		_exit(1);
	}
	if (c->mode == BENCH_ROUNDTRIP && r->side == 0 &&
	    (r->ns = malloc(BENCH_RTT_SAMPLES * sizeof(r->ns[0]))) == NULL) {
		bench_fail(r, "no memory for the round trip times");
		_exit(1);
	}
	if (prepare != NULL && prepare(r, arg) < 0)
		_exit(1);
	if (write(ready, "r", 1) != 1 || read(go, &byte, 1) != 0)
		_exit(1);                  /* the parent went away or gave up */
	r->until = r->sh->go;
	r->until.tv_sec += (time_t)c->seconds;
	r->until.tv_nsec += (long)((c->seconds - (double)(time_t)c->seconds) * 1e9);
	if (r->until.tv_nsec >= 1000000000L) {
		r->until.tv_sec++;
		r->until.tv_nsec -= 1000000000L;
	}
	r->prev = r->sh->go;
	r->warmup = BENCH_RTT_WARMUP;
	if (c->messages != 0 && r->warmup > c->messages / 10)
		r->warmup = c->messages / 10;
	rc = fn(r, arg);
	if (rc == 0 && c->mode == BENCH_ROUNDTRIP && r->side == 0)
		percentiles(r);
	free(r->ns);
	_exit(rc == 0 ? 0 : 1);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((ts_ns(&now) - ts_ns(t0)) / 1e6);
}

/* Why a side ended badly, or NULL when it ended well. */
static const char *side_failure(int st, const char *error, int timeout_ms, char *buf, size_t size)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NULL;
	if (error[0] != '\0')
		return error;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(buf, size, "watchdog: no end after %d ms", timeout_ms);
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, size, "exit status %d", WEXITSTATUS(st));
	return buf;
}

/*
 * Waits for every side, bounded by the case's timeout; kills them all as
 * soon as one fails or the time is up. The reason given is the one a side
 * wrote, else the first abnormal end. Returns 0 when every side ended 0.
 */
static int reap(const struct bench_case *c, pid_t *pid, int n, struct shared *sh,
		struct bench_sample *s, const sigset_t *chld)
{
	static const char *const role[2][2] = { { "producer", "consumer" }, { "client", "server" } };
	const char *const *who = role[c->mode == BENCH_ROUNDTRIP];
	int st[2] = { 0, 0 }, left = n, failed = 0, timed_out = 0;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		long ms = c->timeout_ms - ms_since(&t0);
		struct timespec wait = { ms / 1000, (ms % 1000) * 1000000L };

		for (int i = 0; i < n; i++) {
			if (pid[i] <= 0 || waitpid(pid[i], &st[i], WNOHANG) != pid[i])
				continue;
			pid[i] = 0;
			left--;
			failed |= !(WIFEXITED(st[i]) && WEXITSTATUS(st[i]) == 0);
		}
		if (left == 0)
			break;
		if (failed || ms <= 0) {
			timed_out |= !failed;
			failed = 1;
			for (int i = 0; i < n; i++)
				if (pid[i] > 0)
					kill(pid[i], SIGKILL);
			wait.tv_sec = 1;
			wait.tv_nsec = 0;
		}
		sigtimedwait(chld, NULL, &wait);
	}
	if (!failed)
		return 0;
	if (timed_out) {
		snprintf(s->error, sizeof(s->error), "no end after %d ms", c->timeout_ms);
		return -1;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			char buf[64];
			const char *why = side_failure(st[i], sh->error[i], c->timeout_ms, buf, sizeof(buf));

			if (pass == 1 && s->error[0] != '\0')
				return -1;         /* run_sides said why already */
			if (why != NULL && (pass == 1 || sh->error[i][0] != '\0')) {
				/* a role is one short word: the reason keeps what room is left */
				snprintf(s->error, sizeof(s->error), "%s: %.*s", who[i],
					 (int)(sizeof(s->error) - 16), why);
				return -1;
			}
		}
	return -1;
}

static int run_sides(const struct bench_case *c, struct bench_sample *s, int n,
		     bench_side *prepare, bench_side *fn[2], void *arg)
{
	struct shared *sh;
	pid_t pid[2] = { 0, 0 };
	sigset_t chld, old;
	int ready[2], go[2], started = 0, rc = -1;
	char byte;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(s->error, sizeof(s->error), "mmap: %s", strerror(errno));
		return -1;
	}
	memset(sh, 0, sizeof(*sh));
	if (pipe2(ready, O_CLOEXEC) < 0) {
		snprintf(s->error, sizeof(s->error), "pipe: %s", strerror(errno));
		munmap(sh, sizeof(*sh));
		return -1;
	}
	if (pipe2(go, O_CLOEXEC) < 0) {
		snprintf(s->error, sizeof(s->error), "pipe: %s", strerror(errno));
		close(ready[0]);
		close(ready[1]);
		munmap(sh, sizeof(*sh));
		return -1;
	}
	/* SIGCHLD stays blocked, so the parent can wait for it with a bound. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	for (int i = 0; i < n; i++) {
		struct bench_run r = { .c = c, .sh = sh, .side = i };

		if ((pid[i] = fork()) == 0) {
			close(ready[0]);
			close(go[1]);
			side_main(&r, prepare, fn[i], arg, &old, ready[1], go[0]);
		}
		if (pid[i] < 0) {
			snprintf(s->error, sizeof(s->error), "fork: %s", strerror(errno));
			pid[i] = 0;
			break;
		}
		started++;
	}
	close(ready[1]);
	close(go[0]);
	for (int got = 0; started == n && got < n; got++) {
		struct pollfd p = { .fd = ready[0], .events = POLLIN };

		if (poll(&p, 1, 5000) != 1 || read(ready[0], &byte, 1) != 1) {
			snprintf(s->error, sizeof(s->error), "a side did not start");
			started = -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &sh->go);
	close(go[1]);                      /* the release: every side reads EOF */
	close(ready[0]);
	if (started != n)
		for (int i = 0; i < n; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
	if (reap(c, pid, n, sh, s, &chld) == 0 && started == n) {
		s->seconds = (ts_ns(&sh->end) - ts_ns(&sh->go)) / 1e9;
		s->messages = c->mode == BENCH_STREAM ? sh->received : sh->laps;
		s->p50_ns = sh->p50_ns;
		s->p99_ns = sh->p99_ns;
		rc = 0;
	}
	sigtimedwait(&chld, NULL, &(struct timespec){ 0, 0 });   /* drop a pending one */
	sigprocmask(SIG_SETMASK, &old, NULL);
	munmap(sh, sizeof(*sh));
	return rc;
}

int bench_pair(const struct bench_case *c, struct bench_sample *s, bench_side *prepare,
	       bench_side *producer, bench_side *consumer, void *arg)
{
	bench_side *fn[2] = { producer, consumer };

	return run_sides(c, s, 2, prepare, fn, arg);
}

int bench_single(const struct bench_case *c, struct bench_sample *s, bench_side *fn, void *arg)
{
	bench_side *one[2] = { fn, NULL };

	return run_sides(c, s, 1, NULL, one, arg);
}
