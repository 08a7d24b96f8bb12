/*
 * false_sharing.c - processes that share no data can still fight over a
 * cache line.
 *
 * Each process increments only its own counter, with an atomic add, as
 * per-CPU statistics counters do (a plain ++ can hide the cost on CPUs that
 * forward a store to the next load without owning the line). Run twice:
 * the counters next to each other (one cache line holds them all), then
 * each on a cache line of its own (padded to the line size, read from the
 * system). The data never overlaps, yet in the first run every increment
 * must take the line away from the other CPU: the coherence protocol works
 * per line, not per variable.
 *
 * The two processes must run at the same moment for the lines to bounce:
 * on a busy machine they often take turns, and the slowdown shrinks.
 *
 *   $ ipcmp lesson false-sharing --iterations 20000000
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lesson.h"

#define MEM_SIZE (64 * 1024)

/* The cache line size: the C library (cpuid on x86), else the kernel's
 * view of the first cache, else the common 64. */
static long line_size(const char **source)
{
	long v = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
	FILE *f;

	*source = "sysconf(_SC_LEVEL1_DCACHE_LINESIZE)";
	if (v >= 16 && v <= 1024 && (v & (v - 1)) == 0)
		return v;
	*source = "/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size";
	f = fopen(*source, "re");
	if (f != NULL) {
		int ok = fscanf(f, "%ld", &v) == 1;

		fclose(f);
		if (ok && v >= 16 && v <= 1024)
			return v;
	}
	*source = "assumed";
	return 64;
}

#define CHUNK 10000               /* increments timed as one piece */

/* Each worker's progress and result, on a line of its own (outside the
 * lines being measured). */
struct lane {
	_Alignas(128) atomic_ulong chunks; /* chunks done so far */
	double together_s;         /* CPU time of the chunks run while all others ran too */
	unsigned long together_n;  /* increments in those chunks */
};

struct counters {
	char *base;
	size_t stride;             /* bytes between two processes' counters */
	unsigned long n;
	unsigned procs;
	struct lane *lane;
};

/* CPU time, not wall time: on a busy machine a process may wait for a CPU
 * mid-loop, and that wait is not the cost of sharing a line. */
static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Increments in chunks; a chunk counts only if every other process finished
 * a chunk meanwhile, i.e. all ran at the same time. On a busy machine the
 * processes often take turns, and a turn alone shows no sharing at all.
 */
static int count(int i, void *arg)
{
	struct counters *c = arg;
	_Atomic long *mine = (_Atomic long *)(c->base + (size_t)i * c->stride);
	unsigned long before[LESSON_PROC_MAX];

	for (unsigned long k = 0; k < c->n;) {
		unsigned long len = c->n - k < CHUNK ? c->n - k : CHUNK;
		int together = 1;
		double t0;

		for (unsigned j = 0; j < c->procs; j++)
			before[j] = atomic_load(&c->lane[j].chunks);
		t0 = cpu_seconds();
		for (unsigned long q = 0; q < len; q++)
			atomic_fetch_add_explicit(mine, 1, memory_order_relaxed);
		t0 = cpu_seconds() - t0;
		atomic_fetch_add(&c->lane[i].chunks, 1);
		for (unsigned j = 0; j < c->procs; j++)
			if (j != (unsigned)i && atomic_load(&c->lane[j].chunks) == before[j])
				together = 0;
		if (together) {
			c->lane[i].together_s += t0;
			c->lane[i].together_n += len;
		}
		k += len;
	}
	return 0;
}

/* ns per increment while all ran together (0: they never did), and the
 * share of the increments that were. */
static int timed(struct lesson_mem *m, size_t stride, unsigned procs, unsigned long n,
		 double *ns, double *share, int *exact, int *ncpu)
{
	struct counters c = { .base = m->p, .stride = stride, .n = n, .procs = procs };
	size_t size = LESSON_PROC_MAX * sizeof(struct lane);
	struct lesson_team team;
	double s = 0;
	unsigned long together = 0;
	int rc;

	c.lane = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c.lane == MAP_FAILED)
		return -errno;
	memset(m->p, 0, m->size);
	rc = lesson_team_run(&team, (int)procs, count, &c, 60000);
	*ncpu = team.ncpu;
	for (unsigned i = 0; i < procs; i++) {
		s += c.lane[i].together_s;
		together += c.lane[i].together_n;
		if (*(volatile long *)(c.base + i * stride) != (long)n)
			*exact = 0;
	}
	*ns = together > 0 ? s * 1e9 / (double)together : 0;
	*share = (double)together / ((double)n * procs);
	munmap(c.lane, size);
	return rc;
}

int lesson_false_sharing(const struct lesson_opts *o, struct false_sharing_result *r)
{
	struct lesson_mem m;
	unsigned most;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->line_size = line_size(&r->line_source);
	most = (unsigned)(r->line_size / (long)sizeof(long));
	r->processes = lesson_processes(o, 2);
	if (r->processes > most)
		r->processes = most;
	if ((size_t)r->line_size * r->processes > MEM_SIZE)
		return -EINVAL;
	r->iterations = lesson_iterations(o, 20000000);
	r->counts_exact = 1;
	for (int fam = 0; fam < LESSON_FAMILIES && rc == 0; fam++) {
		if ((rc = lesson_mem_create(&m, fam, MEM_SIZE)) < 0)
			return rc;
		rc = timed(&m, sizeof(long), r->processes, r->iterations, &r->same_line_ns[fam],
			   &r->same_line_together[fam], &r->counts_exact, &r->ncpu);
		if (rc == 0)
			rc = timed(&m, (size_t)r->line_size, r->processes, r->iterations,
				   &r->padded_ns[fam], &r->padded_together[fam], &r->counts_exact,
				   &r->ncpu);
		lesson_mem_destroy(&m);
	}
	return rc;
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct false_sharing_result r;
	int rc = lesson_false_sharing(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "Cache line: %ld bytes (%s).\n", r.line_size, r.line_source);
	lesson_say(out, "%u processes x %lu increments of their own counter, on %d CPU%s:\n\n",
		   r.processes, r.iterations, r.ncpu,
		   r.ncpu >= 2 ? "s" : " (no two caches: expect no slowdown)");
	lesson_say(out, "  %-10s %22s %22s %9s\n", "memory", "one line", "padded", "slowdown");
	lesson_int(out, "line_size", r.line_size);
	lesson_str(out, "line_source", r.line_source);
	lesson_int(out, "processes", r.processes);
	lesson_int(out, "iterations", (long long)r.iterations);
	lesson_int(out, "cpus", r.ncpu);
	lesson_int(out, "counts_exact", r.counts_exact);
	lesson_array(out, "rows");
	for (int f = 0; f < LESSON_FAMILIES; f++) {
		double slow = r.padded_ns[f] > 0 ? r.same_line_ns[f] / r.padded_ns[f] : 0;

		lesson_say(out, "  %-10s %8.1f ns (%3.0f%% run) %8.1f ns (%3.0f%% run) %8.1fx\n",
			   lesson_family[f], r.same_line_ns[f], 100 * r.same_line_together[f],
			   r.padded_ns[f], 100 * r.padded_together[f], slow);
		lesson_open(out, NULL);
		lesson_str(out, "memory", lesson_family[f]);
		lesson_num(out, "same_line_ns", r.same_line_ns[f]);
		lesson_num(out, "padded_ns", r.padded_ns[f]);
		lesson_num(out, "same_line_together", r.same_line_together[f]);
		lesson_num(out, "padded_together", r.padded_together[f]);
		lesson_num(out, "slowdown", slow);
		lesson_close(out);
	}
	lesson_close_array(out);
	lesson_say(out, "\n  (CPU time per increment, counted over the stretches in which all the\n"
		   "   processes ran at once; %% run: the share of the increments in them)\n");
	return 0;
}

const struct lesson lesson_false_sharing_def = {
	.name = "false-sharing",
	.summary = "two processes, two counters, one cache line: the slowdown measured",
	.intro =
	"Each process increments its own counter and nobody else's. First the\n"
	"counters sit side by side in one cache line, then each is padded onto a\n"
	"line of its own. Same work, same results; only the layout differs.\n",
	.why =
	"Caches keep coherent per line, not per variable: to write, a core must\n"
	"own the whole line exclusively, so two cores writing different words of\n"
	"one line pass it back and forth at every write (the same transfer the\n"
	"visibility lesson times). Padding each process's hot data to the line\n"
	"size (alignas(64), or the size read here) removes the contention. Some\n"
	"CPUs fetch lines in pairs (Intel's adjacent-line prefetcher), so 128-byte\n"
	"padding is a common choice for data written by different cores.\n",
	.run = show,
};
