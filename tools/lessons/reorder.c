/*
 * reorder.c - two litmus tests between two processes on two CPUs, run
 * round after round over shared memory, counting the outcomes that a
 * sequentially consistent machine could never give.
 *
 * Store buffering (SB), x = y = 0 at the start of each round:
 *
 *	P0: x = 1; [fence]; r0 = y;        P1: y = 1; [fence]; r1 = x;
 *
 *   r0 == 0 && r1 == 0 means each load ran before the other's store became
 *   visible. x86 allows it: a store waits in the CPU's store buffer while
 *   the following load goes ahead. A full fence (atomic_thread_fence with
 *   memory_order_seq_cst: x86 mfence or a locked instruction, ARM dmb ish)
 *   drains the buffer before the load, and the outcome disappears.
 *
 * Message passing (MP), data = flag = 0:
 *
 *	P0: data = 1; flag = 1;            P1: r0 = flag; r1 = data;
 *
 *   r0 == 1 && r1 == 0 means P1 saw the flag but not the data it guards.
 *   x86 never reorders two stores or two loads, so it never happens there,
 *   even with relaxed accesses; ARM and POWER do. A release store of the
 *   flag and an acquire load of it forbid it everywhere.
 *
 * Every access is a C11 atomic (relaxed unless said otherwise), so the
 * program has no data race; relaxed accesses compile to plain moves.
 * atomic_signal_fence stops the compiler (only) from reordering them: what
 * remains is what the CPU does.
 *
 *   $ ipcmp lesson reorder --iterations 1000000
 */
#include <stdatomic.h>
#include <string.h>

#include "lesson.h"

const char *const reorder_test_name[REORDER_TESTS] = {
	"SB, no fence", "SB, seq_cst fence", "MP, relaxed", "MP, release/acquire",
};

/* The outcome each test forbids under sequential consistency, as r0*2+r1. */
static const int forbidden_outcome[REORDER_TESTS] = { 0, 0, 2, 2 };

struct litmus {
	_Alignas(64) atomic_int x;         /* SB: x; MP: data */
	_Alignas(64) atomic_int y;         /* SB: y; MP: flag */
	_Alignas(64) atomic_ulong arrived; /* the barrier between rounds */
	_Alignas(64) atomic_int r1;        /* P1's result, read by P0 after the round */
	unsigned long outcomes[4];         /* P0 counts; the parent reads after */
};

struct reorder_arg {
	struct litmus *l;
	int test;
	unsigned long rounds;
};

/* Both processes meet here twice a round; spinning, so both leave together. */
static int barrier(struct litmus *l, unsigned long *gen, double deadline)
{
	unsigned long target = (*gen += 2);

	atomic_fetch_add(&l->arrived, 1);
	for (unsigned long turn = 1; atomic_load(&l->arrived) < target; turn++)
		if (lesson_spin(turn, deadline) < 0)
			return -1;
	return 0;
}

/* A few cycles of jitter, so the two CPUs' stores and loads overlap in
 * every alignment over the rounds. */
static void jitter(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	for (volatile unsigned k = (*seed >> 16) & 7; k > 0; k--)
		;
}

static int side(int i, void *p)
{
	struct reorder_arg *a = p;
	struct litmus *l = a->l;
	double deadline = lesson_clock() + 30;
	unsigned long gen = 0;
	unsigned seed = (unsigned)i * 7919u + 1;
	int r = 0;

	for (unsigned long round = 0; round < a->rounds; round++) {
		if (barrier(l, &gen, deadline) < 0)
			return 1;
		jitter(&seed);
		switch (a->test * 2 + i) {
		case REORDER_SB * 2 + 0:
			atomic_store_explicit(&l->x, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			r = atomic_load_explicit(&l->y, memory_order_relaxed);
			break;
		case REORDER_SB * 2 + 1:
			atomic_store_explicit(&l->y, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			r = atomic_load_explicit(&l->x, memory_order_relaxed);
			break;
		case REORDER_SB_FENCE * 2 + 0:
			atomic_store_explicit(&l->x, 1, memory_order_relaxed);
			atomic_thread_fence(memory_order_seq_cst);     /* x86: mfence */
			r = atomic_load_explicit(&l->y, memory_order_relaxed);
			break;
		case REORDER_SB_FENCE * 2 + 1:
			atomic_store_explicit(&l->y, 1, memory_order_relaxed);
			atomic_thread_fence(memory_order_seq_cst);
			r = atomic_load_explicit(&l->x, memory_order_relaxed);
			break;
		case REORDER_MP * 2 + 0:
			atomic_store_explicit(&l->x, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			atomic_store_explicit(&l->y, 1, memory_order_relaxed);
			break;
		case REORDER_MP * 2 + 1:
			r = atomic_load_explicit(&l->y, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			r = r * 2 + atomic_load_explicit(&l->x, memory_order_relaxed);
			break;
		case REORDER_MP_RELACQ * 2 + 0:
			atomic_store_explicit(&l->x, 1, memory_order_relaxed);
			atomic_store_explicit(&l->y, 1, memory_order_release);
			break;
		case REORDER_MP_RELACQ * 2 + 1:
			r = atomic_load_explicit(&l->y, memory_order_acquire);
			r = r * 2 + atomic_load_explicit(&l->x, memory_order_relaxed);
			break;
		}
		if (i == 1)
			atomic_store_explicit(&l->r1, r, memory_order_relaxed);
		if (barrier(l, &gen, deadline) < 0)
			return 1;
		/* SB: P0 holds r0, P1 r1; MP: P1 holds both (r0*2+r1) */
		if (i == 0) {
			int r1 = atomic_load_explicit(&l->r1, memory_order_relaxed);

			l->outcomes[a->test >= REORDER_MP ? r1 : r * 2 + r1]++;
		}
		atomic_store_explicit(i == 0 ? &l->x : &l->y, 0, memory_order_relaxed);
	}
	return 0;
}

static int run_one(struct reorder_row *row, int test, int family, unsigned long rounds,
		   struct reorder_result *r)
{
	struct reorder_arg a = { .test = test, .rounds = rounds };
	struct lesson_team team;
	struct lesson_mem m;
	int rc;

	memset(row, 0, sizeof(*row));
	row->test = test;
	row->family = family;
	row->rounds = rounds;
	if ((rc = lesson_mem_create(&m, family, 4096)) < 0)
		return rc;
	a.l = m.p;
	memset(a.l, 0, sizeof(*a.l));
	rc = lesson_team_run(&team, 2, side, &a, 60000);
	r->ncpu = team.ncpu;
	r->pinned = team.cpu[0] >= 0 && team.cpu[0] != team.cpu[1];
	memcpy(row->outcomes, a.l->outcomes, sizeof(row->outcomes));
	row->forbidden = row->outcomes[forbidden_outcome[test]];
	lesson_mem_destroy(&m);
	return rc;
}

int lesson_reorder(const struct lesson_opts *o, struct reorder_result *r)
{
	unsigned long rounds = lesson_iterations(o, 100000);
	int cpus[2], rc;

	memset(r, 0, sizeof(*r));
	/* One CPU: every round is two context switches, and the store buffer
	 * drains at each; a few thousand rounds show that as well as more. */
	if (lesson_cpus(cpus, 2) < 2 && rounds > 5000)
		rounds = 5000;
	for (int t = 0; t < REORDER_TESTS; t++)
		for (int f = 0; f < LESSON_FAMILIES; f++)
			if ((rc = run_one(&r->row[t * 2 + f], t, f, rounds, r)) < 0)
				return rc;
	return 0;
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct reorder_result r;
	int rc = lesson_reorder(o, &r);

	if (rc < 0)
		return rc;
	if (r.pinned)
		lesson_say(out, "Two processes pinned to two CPUs, %lu rounds per test:\n\n",
			   r.row[0].rounds);
	else
		lesson_say(out, "Only one CPU here: the two processes take turns on it, so the\n"
			   "store buffer drains at every switch and reordering cannot show.\n\n");
	lesson_say(out, "  %-20s %-10s %8s %8s %8s %8s  %s\n", "test", "memory", "00", "01", "10",
		   "11", "forbidden by SC, per million");
	lesson_int(out, "cpus", r.ncpu);
	lesson_int(out, "pinned", r.pinned);
	lesson_array(out, "rows");
	for (int i = 0; i < REORDER_ROWS; i++) {
		const struct reorder_row *w = &r.row[i];
		double ppm = w->rounds ? (double)w->forbidden * 1e6 / (double)w->rounds : 0;

		lesson_say(out, "  %-20s %-10s %8lu %8lu %8lu %8lu  %lu (%.1f)\n",
			   reorder_test_name[w->test], lesson_family[w->family], w->outcomes[0],
			   w->outcomes[1], w->outcomes[2], w->outcomes[3], w->forbidden, ppm);
		lesson_open(out, NULL);
		lesson_str(out, "test", reorder_test_name[w->test]);
		lesson_str(out, "memory", lesson_family[w->family]);
		lesson_int(out, "rounds", (long long)w->rounds);
		lesson_int(out, "forbidden", (long long)w->forbidden);
		lesson_num(out, "per_million", ppm);
		lesson_close(out);
	}
	lesson_close_array(out);
	lesson_say(out, "\n  (columns: how many rounds ended with r0 r1 = 00, 01, 10, 11;\n"
		   "   SB forbids 00, MP forbids 10)\n");
	return 0;
}

const struct lesson lesson_reorder_def = {
	.name = "reorder",
	.summary = "store buffering and message passing litmus tests: what a fence and release/acquire forbid",
	.intro =
	"Two processes on two CPUs run a tiny program against each other, round\n"
	"after round. Store buffering: each stores 1 to its own variable, then\n"
	"loads the other's; could both load 0? Message passing: one writes data\n"
	"then a flag, the other reads the flag then the data; could it see the\n"
	"flag but old data? Each test runs without and with the C11 ordering\n"
	"that forbids the surprise, over SysV and POSIX shared memory.\n",
	.why =
	"x86 (TSO) keeps stores in order and loads in order, but lets a load\n"
	"overtake an earlier store to another address: the store sits in the CPU's\n"
	"store buffer, invisible to other CPUs, while the load reads the cache. So\n"
	"SB without a fence can give 00, and atomic_thread_fence(seq_cst) (mfence;\n"
	"dmb ish on ARM) forbids it. MP never fails on x86, even relaxed: the\n"
	"hardware keeps store-store and load-load order; on ARM or POWER the\n"
	"relaxed MP can fail and release/acquire (stlr/ldar) is what forbids it.\n"
	"The counts are a sample, not a proof: 0 can mean a machine (or a\n"
	"virtual machine, or a single CPU) where the window is too narrow to hit\n"
	"in this many rounds. The memory family makes no difference: both are\n"
	"the same pages of RAM once mapped.\n",
	.run = show,
};
