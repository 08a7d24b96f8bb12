/*
 * visibility.c - one process sets a flag in shared memory, another spins
 * until it sees it. Does it see it, and how soon?
 *
 * Plain load: `while (*flag == 0) ;` on an int *. Nothing in the loop
 * writes memory, so the compiler may load *flag once and spin on the copy
 * in a register forever, or (C11 6.8.5p6: a loop without side effects may
 * be assumed to end) drop the loop. Which it does depends on the compiler
 * and the -O level; the lesson reports what this build did.
 *
 * volatile load: every iteration reads memory. Seen.
 * atomic load (memory_order_acquire): every iteration reads memory, and the
 * reads after it cannot move before it. Seen, and the ordering is portable.
 *
 * How soon: the two processes bounce two flags (ping, pong) on separate
 * cache lines; each handoff moves a cache line from one CPU's cache to the
 * other's. Half a round trip is the time a write takes to become visible;
 * the fastest batch of round trips is reported, which load cannot fake.
 *
 *   $ ipcmp lesson visibility --iterations 100000
 */
#include <signal.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lesson.h"

#define PLAIN_WAIT_MS 300

struct flags {
	_Alignas(64) int ping;
	_Alignas(64) int pong;
	_Alignas(64) atomic_int left_with;  /* the flag as the plain spinner left */
};

/* Deliberately wrong: a plain load in a loop with no side effects. */
__attribute__((noinline)) static void spin_plain(int *flag)
{
	while (*flag == 0)
		;
}

static int plain_spinner(void *arg)
{
	struct flags *f = arg;

	spin_plain(&f->ping);
	atomic_store(&f->left_with, atomic_load((atomic_int *)&f->ping) + 1);
	return 0;
}

/* The plain spinner: seen, never seen (killed), or the loop gone. */
static int plain(struct flags *f, struct visibility_result *r)
{
	struct timespec pause = { 0, 20 * 1000000L };
	pid_t pid;
	int st, rc;

	memset(f, 0, sizeof(*f));
	if ((pid = lesson_child(plain_spinner, f)) < 0)
		return pid;
	nanosleep(&pause, NULL);           /* it is spinning (or gone) by now */
	atomic_store((atomic_int *)&f->ping, 1);
	rc = lesson_child_wait(pid, PLAIN_WAIT_MS, &st);
	r->plain_wait_ms = PLAIN_WAIT_MS;
	if (rc == -ETIMEDOUT)
		r->plain_outcome = NEVER_SEEN;
	else if (rc < 0)
		return rc;
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -EPROTO;
	else
		r->plain_outcome = atomic_load(&f->left_with) == 2 ? SEEN : LEFT_EARLY;
	return 0;
}

struct pingpong {
	struct flags *f;
	int kind;
	unsigned long n;
};

/* Waits until *p == want, reading it the `kind` way; bounded. */
static int wait_for(int *p, int want, int kind, double deadline)
{
	for (unsigned long turn = 1;; turn++) {
		int v = kind == SPIN_VOLATILE ? *(volatile int *)p
			: atomic_load_explicit((atomic_int *)p, memory_order_acquire);

		if (v == want)
			return 0;
		if (lesson_spin(turn, deadline) < 0)
			return -1;
	}
}

static void put(int *p, int v, int kind)
{
	if (kind == SPIN_VOLATILE)
		*(volatile int *)p = v;
	else
		atomic_store_explicit((atomic_int *)p, v, memory_order_release);
}

/* Round trips are timed in batches; the fastest batch is the answer, as a
 * busy machine can only slow a batch down (the other side waiting for a
 * CPU), never speed it up. */
#define BATCH 1000

static int bounce(int i, void *arg)
{
	struct pingpong *a = arg;
	double deadline = lesson_clock() + 30, t0 = lesson_clock(), best = 0;

	for (int k = 1; k <= (int)a->n; k++) {
		if (i == 0) {
			put(&a->f->ping, k, a->kind);
			if (wait_for(&a->f->pong, k, a->kind, deadline) < 0)
				return 1;
		} else {
			if (wait_for(&a->f->ping, k, a->kind, deadline) < 0)
				return 1;
			put(&a->f->pong, k, a->kind);
		}
		if (k % BATCH == 0 || k == (int)a->n) {
			double t = (lesson_clock() - t0) / (k % BATCH == 0 ? BATCH : k % BATCH);

			best = best == 0 || t < best ? t : best;
			t0 = lesson_clock();
		}
	}
	lesson_team_times(i, best);        /* seconds per round trip */
	return 0;
}

int lesson_visibility(const struct lesson_opts *o, struct visibility_result *r)
{
	struct lesson_team team;
	struct lesson_mem m;
	int cpus[2], rc;

	memset(r, 0, sizeof(*r));
	r->round_trips = lesson_iterations(o, 100000);
	if (r->round_trips > 1000000000)
		r->round_trips = 1000000000;
	if (lesson_cpus(cpus, 2) < 2 && r->round_trips > 5000)
		r->round_trips = 5000;     /* one CPU: each handoff is a context switch */
	for (int fam = 0; fam < LESSON_FAMILIES; fam++) {
		if ((rc = lesson_mem_create(&m, fam, 4096)) < 0)
			return rc;
		if (fam == LESSON_SYSV)
			rc = plain(m.p, r);
		for (int kind = SPIN_VOLATILE; kind < SPIN_KINDS && rc == 0; kind++) {
			struct pingpong a = { .f = m.p, .kind = kind, .n = r->round_trips };

			memset(a.f, 0, sizeof(*a.f));
			rc = lesson_team_run(&team, 2, bounce, &a, 60000);
			r->ncpu = team.ncpu;
			r->one_way_ns[kind][fam] = team.seconds[0] * 1e9 / 2.0;
		}
		lesson_mem_destroy(&m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	static const char *const outcome[] = {
		[SEEN] = "seen: this build reloads the flag",
		[NEVER_SEEN] = "NEVER seen: the load was hoisted out of the loop; killed",
		[LEFT_EARLY] = "left the loop BEFORE the flag was set: the loop was removed",
	};
	static const char *const kind[SPIN_KINDS] = { "plain", "volatile", "atomic acquire" };
	struct visibility_result r;
	int rc = lesson_visibility(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "Plain load, `while (*flag == 0) ;`, flag set after 20 ms, waited %.0f ms:\n"
		   "  %s\n\n", r.plain_wait_ms, outcome[r.plain_outcome]);
	lesson_say(out, "Flag handed back and forth %lu times between two processes%s:\n\n",
		   r.round_trips, r.ncpu >= 2 ? " on two CPUs" : " on ONE CPU (each handoff is a context switch)");
	lesson_say(out, "  %-16s %12s %12s   (the fastest batch of %d)\n", "load",
		   lesson_family[LESSON_SYSV], lesson_family[LESSON_POSIX], BATCH);
	lesson_str(out, "plain", r.plain_outcome == SEEN ? "seen" : r.plain_outcome == NEVER_SEEN ?
		   "never seen" : "loop removed");
	lesson_int(out, "cpus", r.ncpu);
	lesson_int(out, "round_trips", (long long)r.round_trips);
	lesson_open(out, "one_way_ns");
	for (int k = SPIN_VOLATILE; k < SPIN_KINDS; k++) {
		lesson_say(out, "  %-16s %9.0f ns %9.0f ns   one way (half a round trip)\n",
			   kind[k], r.one_way_ns[k][LESSON_SYSV], r.one_way_ns[k][LESSON_POSIX]);
		lesson_open(out, kind[k]);
		lesson_num(out, lesson_family[LESSON_SYSV], r.one_way_ns[k][LESSON_SYSV]);
		lesson_num(out, lesson_family[LESSON_POSIX], r.one_way_ns[k][LESSON_POSIX]);
		lesson_close(out);
	}
	lesson_close(out);
	return 0;
}

const struct lesson lesson_visibility_def = {
	.name = "visibility",
	.summary = "a flag set by one process, spun on by another: seen or not, and how soon",
	.intro =
	"One process spins on a flag in shared memory until another sets it. First\n"
	"with a plain load, which the compiler is free to read once; then with a\n"
	"volatile and an atomic load, bouncing the flag between two processes to\n"
	"time how long a write takes to reach the other CPU.\n",
	.why =
	"The compiler may assume no one else writes memory it has not been told is\n"
	"shared: a plain load in a loop with no side effects can be hoisted (spin\n"
	"forever on a register) or the loop deleted. volatile forces a load per\n"
	"iteration; an atomic load does too and also orders the accesses around it\n"
	"(acquire), which volatile does not. Once the load reaches memory, the\n"
	"hardware keeps caches coherent: the write is seen after a cache-line\n"
	"transfer between the cores, tens to hundreds of nanoseconds, whether the\n"
	"memory came from shmget or from shm_open.\n",
	.run = show,
};
