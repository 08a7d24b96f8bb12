/*
 * race.c - N processes add 1 to one counter in shared memory, each many
 * times. Four ways, and the count each ends with:
 *
 *   plain      (*counter)++ on a volatile long: a load, an add, a store.
 *              Two processes load the same value, both store value+1: one
 *              increment is lost. volatile forces each access to memory but
 *              makes nothing atomic.
 *   atomic     atomic_fetch_add: one indivisible read-modify-write (on x86
 *              `lock xadd`, on ARM an ldadd or an ldxr/stxr loop). Exact.
 *   SysV sem   semtimedop -1 / +1 around the plain increment: a lock made of
 *              two system calls per increment (SEM_UNDO: the kernel releases
 *              it if the holder dies). Exact, slower.
 *   POSIX sem  sem_timedwait / sem_post around it, the semaphore itself in
 *              the shared memory (sem_init with pshared = 1): a futex, a
 *              system call only when contended. Exact.
 *
 *   $ ipcmp lesson race --processes 4 --iterations 1000000
 */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include "lesson.h"

#define SEM_WAIT_S 10              /* bound on one wait for the lock */

struct race_arg {
	int method;
	void *counter;             /* the first word of the shared memory */
	int semid;                 /* SysV semaphore set of one, value 1 */
	sem_t *sem;                /* POSIX semaphore in the shared memory */
	unsigned long n;
};

static int sysv_lock(int semid, int delta)
{
	struct sembuf op = { .sem_num = 0, .sem_op = (short)delta, .sem_flg = SEM_UNDO };
	struct timespec bound = { SEM_WAIT_S, 0 };

	return semtimedop(semid, &op, 1, &bound);
}

static int increment(int i, void *p)
{
	struct race_arg *a = p;
	volatile long *plain = a->counter;
	_Atomic long *atomic = a->counter;
	struct timespec until;
	double t0 = lesson_clock();

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SEM_WAIT_S;
	for (unsigned long k = 0; k < a->n; k++) {
		switch (a->method) {
		case RACE_PLAIN:
			(*plain)++;
			break;
		case RACE_ATOMIC:
			atomic_fetch_add_explicit(atomic, 1, memory_order_relaxed);
			break;
		case RACE_SYSV_SEM:
			if (sysv_lock(a->semid, -1) < 0)
				return 1;
			(*plain)++;
			if (sysv_lock(a->semid, +1) < 0)
				return 1;
			break;
		case RACE_POSIX_SEM:
			if (sem_timedwait(a->sem, &until) < 0)
				return 1;
			(*plain)++;
			sem_post(a->sem);
			break;
		}
	}
	lesson_team_times(i, lesson_clock() - t0);
	return 0;
}

static int run_one(struct race_row *row, int method, int family, unsigned procs,
		   unsigned long n, int *ncpu)
{
	struct race_arg a = { .method = method, .semid = -1, .n = n };
	struct lesson_team team;
	struct lesson_mem m;
	int rc;

	memset(row, 0, sizeof(*row));
	row->method = method;
	row->family = family;
	row->expected = (unsigned long long)procs * n;
	if ((rc = lesson_mem_create(&m, family, 4096)) < 0)
		return rc;
	a.counter = m.p;
	*(volatile long *)a.counter = 0;
	if (method == RACE_SYSV_SEM) {
		union { int val; } one = { 1 };   /* semctl(2): the caller defines union semun */

		a.semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (a.semid < 0 || semctl(a.semid, 0, SETVAL, one) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if (method == RACE_POSIX_SEM) {
		a.sem = (sem_t *)((char *)m.p + 64);
		if (sem_init(a.sem, 1, 1) < 0) {
			rc = -errno;
			a.sem = NULL;
			goto out;
		}
	}
	rc = lesson_team_run(&team, (int)procs, increment, &a, 60000);
	*ncpu = team.ncpu;
	row->final = (unsigned long long)*(volatile long *)a.counter;
	row->ns_per_increment = lesson_team_max(&team) * 1e9 / (double)row->expected;
out:
	if (a.semid >= 0)
		semctl(a.semid, 0, IPC_RMID);
	if (a.sem != NULL)
		sem_destroy(a.sem);
	lesson_mem_destroy(&m);
	return rc;
}

int lesson_race(const struct lesson_opts *o, struct race_result *r)
{
	static const struct { int method, family; } plan[RACE_ROWS] = {
		{ RACE_PLAIN, LESSON_SYSV }, { RACE_PLAIN, LESSON_POSIX },
		{ RACE_ATOMIC, LESSON_SYSV }, { RACE_ATOMIC, LESSON_POSIX },
		{ RACE_SYSV_SEM, LESSON_SYSV }, { RACE_POSIX_SEM, LESSON_POSIX },
	};
	int cpus[LESSON_PROC_MAX];
	int rc;

	memset(r, 0, sizeof(*r));
	r->processes = lesson_processes(o, (unsigned)lesson_cpus(cpus, LESSON_PROC_MAX));
	r->iterations = lesson_iterations(o, 1000000);
	/* A contended SysV semaphore puts the loser to sleep in the kernel at
	 * every increment (tens of microseconds): the locked rows do a hundredth. */
	for (int i = 0; i < RACE_ROWS; i++) {
		unsigned long n = r->iterations;

		if (plan[i].method == RACE_SYSV_SEM || plan[i].method == RACE_POSIX_SEM)
			n = n / 100 > 0 ? n / 100 : 1;
		if ((rc = run_one(&r->row[i], plan[i].method, plan[i].family, r->processes, n,
				  &r->ncpu)) < 0)
			return rc;
	}
	return 0;
}

static const char *const method_name[RACE_METHODS] = {
	"plain ++", "atomic fetch-add", "SysV semaphore", "POSIX semaphore",
};

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct race_result r;
	int rc = lesson_race(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "%u processes x %lu increments each (a hundredth under a semaphore), on %d CPU%s:\n\n",
		   r.processes, r.iterations, r.ncpu,
		   r.ncpu == 1 ? " (they take turns: fewer collisions)" : "s");
	lesson_say(out, "  %-17s %-10s %12s %12s %12s %9s\n", "method", "memory", "expected",
		   "final", "lost", "ns/incr");
	lesson_int(out, "processes", r.processes);
	lesson_int(out, "iterations", (long long)r.iterations);
	lesson_int(out, "cpus", r.ncpu);
	lesson_array(out, "rows");
	for (int i = 0; i < RACE_ROWS; i++) {
		const struct race_row *w = &r.row[i];

		lesson_say(out, "  %-17s %-10s %12llu %12llu %12llu %9.1f\n", method_name[w->method],
			   lesson_family[w->family], w->expected, w->final, w->expected - w->final,
			   w->ns_per_increment);
		lesson_open(out, NULL);
		lesson_str(out, "method", method_name[w->method]);
		lesson_str(out, "memory", lesson_family[w->family]);
		lesson_int(out, "expected", (long long)w->expected);
		lesson_int(out, "final", (long long)w->final);
		lesson_num(out, "ns_per_increment", w->ns_per_increment);
		lesson_close(out);
	}
	lesson_close_array(out);
	for (int i = 0; i < RACE_ROWS; i++)
		if (r.row[i].method == RACE_PLAIN && r.row[i].final == r.row[i].expected) {
			lesson_say(out, "\n  (plain ++ lost nothing on %s this time: the processes did not\n"
				   "   overlap, on a busy machine or one CPU. Run it again.)\n",
				   lesson_family[r.row[i].family]);
			break;
		}
	return 0;
}

const struct lesson lesson_race_def = {
	.name = "race",
	.summary = "N processes increment one counter: plain ++ loses updates, atomics and semaphores do not",
	.intro =
	"Several processes add 1 to the same counter in shared memory, each many\n"
	"times, first with a plain increment, then with an atomic fetch-add, then\n"
	"with the increment inside a SysV and a POSIX semaphore. The counter should\n"
	"end at processes x iterations; each way's final count and cost follow.\n",
	.why =
	"A plain `counter++` is three steps: load, add, store. When two CPUs load\n"
	"the same value, both store value+1 and one increment vanishes; volatile\n"
	"does not help, it only forces the three steps to happen in memory. The\n"
	"atomic fetch-add makes the three steps one indivisible instruction (x86\n"
	"`lock xadd`): exact, and far cheaper than a lock. A semaphore makes the\n"
	"increment exclusive: exact too, but a SysV semaphore costs two system calls\n"
	"per increment, while a POSIX semaphore (a futex) enters the kernel only\n"
	"when another process holds it.\n",
	.run = show,
};
