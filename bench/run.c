/*
 * run.c - the plan: which cases, in which order, how often; the capacity
 * each transport is made with; medians, minima and maxima.
 *
 * Every backend (through the ipcmp API), the plain loop over its family's
 * raw calls, and the baselines and floors run in one process, one case
 * after the other, and the whole list is repeated: repetition k of every
 * case runs before repetition k+1 of any, so a slow minute of the machine
 * spreads over all cases instead of landing on one. A backend and its raw
 * loop run one right after the other, the backend first in odd
 * repetitions and the loop first in even ones, and a backend's ratio to
 * its loop is the median of the ratios of each repetition: on a machine
 * whose speed drifts (a VM with neighbours), a pair run seconds apart
 * sees the same machine, where medians taken over the whole run may not.
 *
 * Capacity: every transport is made for BENCH_CAPACITY messages in flight.
 * Where the kernel's limits refuse that for a size (the queue backends:
 * kernel.msgmnb, fs.mqueue.msg_max, RLIMIT_MSGQUEUE), the largest capacity
 * that the backend's create accepts is used, for the backend and for its
 * raw loop alike, and the report says so; a size the backend cannot carry
 * at all is skipped with the limit that forbids it.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"


/* The plain loop each backend is held to (by name, so that a backend added
 * later names its loop here). */
static const struct {
	const char *backend;
	const char *loop;
	bench_fn *fn;              /* NULL: the loop is a baseline below */
} raw_loops[] = {
	{ "sysv-shm", "raw-sysv-shm", bench_raw_sysv_shm },
	{ "sysv-msg", "raw-sysv-msg", bench_raw_sysv_msg },
	{ "posix-shm", "raw-posix-shm", bench_raw_posix_shm },
	{ "posix-mq", "raw-posix-mq", bench_raw_posix_mq },
	{ "posix-atomic", "spsc-ring", NULL },
};

/*
 * Beside a raw loop, the same loop with one mechanism of its backend and
 * nothing else of the channel: its ratio to the raw loop is what that
 * mechanism costs, and the backend's ratio to it what the rest of the
 * channel does (bench/raw_sysv_shm.c, bench/raw_sysv_msg.c say which).
 */
static const struct {
	const char *backend;
	const char *loop;
	bench_fn *fn;
} mechanism_loops[] = {
	{ "sysv-shm", "raw-sysv-2op", bench_raw_sysv_2op },
	{ "sysv-msg", "raw-msg-sem", bench_raw_msg_sem },
};

#define NMECH (sizeof(mechanism_loops) / sizeof(mechanism_loops[0]))

enum { STREAM = 1 << BENCH_STREAM, ROUNDTRIP = 1 << BENCH_ROUNDTRIP };

static const struct {
	const char *name;
	const char *kind;
	bench_fn *fn;
	int modes;
} baselines[] = {
	{ "pipe", "baseline", bench_pipe, STREAM | ROUNDTRIP },
	{ "socketpair", "baseline", bench_socketpair, STREAM | ROUNDTRIP },
	{ "spsc-ring", "baseline", bench_spsc_ring, STREAM | ROUNDTRIP },
	{ "memcpy", "floor", bench_memcpy, STREAM },
	{ "cacheline", "floor", bench_pingpong, ROUNDTRIP },
	{ "futex", "floor", bench_futex, ROUNDTRIP },
};

#define NBASE (sizeof(baselines) / sizeof(baselines[0]))
#define NRAW (sizeof(raw_loops) / sizeof(raw_loops[0]))

/* One case name, and what runs it. */
struct entry {
	const char *name;
	const char *kind;
	const char *family;
	const char *raw;           /* backends: their loop's name */
	const struct ipcmp_ops *ops;   /* backends */
	const struct ipcmp_ops *sized_by;  /* backends and raw loops: whose capacity */
	bench_fn *fn;
	int modes;
};

static size_t entries(struct entry *e, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; ipcmp_backends[i] != NULL && n + 3 <= max; i++) {
		const struct ipcmp_ops *ops = ipcmp_backends[i];

		e[n++] = (struct entry){ .name = ops->name, .kind = "backend", .family = ops->family,
					 .ops = ops, .sized_by = ops, .fn = bench_backend,
					 .modes = STREAM | ROUNDTRIP };
		for (size_t j = 0; j < NRAW; j++) {
			if (strcmp(raw_loops[j].backend, ops->name) != 0)
				continue;
			e[n - 1].raw = raw_loops[j].loop;
			if (raw_loops[j].fn != NULL)
				e[n++] = (struct entry){ .name = raw_loops[j].loop, .kind = "raw loop",
							 .family = ops->family, .sized_by = ops,
							 .fn = raw_loops[j].fn,
							 .modes = STREAM | ROUNDTRIP };
			for (size_t k = 0; k < NMECH; k++)
				if (strcmp(mechanism_loops[k].backend, ops->name) == 0)
					e[n++] = (struct entry){ .name = mechanism_loops[k].loop,
								 .kind = "raw loop",
								 .family = ops->family,
								 .raw = raw_loops[j].loop,
								 .sized_by = ops,
								 .fn = mechanism_loops[k].fn,
								 .modes = STREAM | ROUNDTRIP };
		}
	}
	for (size_t j = 0; j < NBASE && n < max; j++)
		e[n++] = (struct entry){ .name = baselines[j].name, .kind = baselines[j].kind,
					 .fn = baselines[j].fn, .modes = baselines[j].modes };
	return n;
}

void bench_list(FILE *f)
{
	struct entry e[32];
	size_t n = entries(e, 32);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-14s %s%s%s\n", e[i].name, e[i].kind, e[i].family ? ", " : "",
			e[i].family ? e[i].family : "");
}

static int selected(const char *only, const char *name)
{
	size_t len = strlen(name);

	if (only == NULL)
		return 1;
	for (const char *p = only; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, n) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The name list of --only: each must be a case. 0, or -1 naming the bad one. */
static int only_valid(const char *only, const struct entry *e, size_t n, char *bad, size_t size)
{
	for (const char *p = only; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < n; i++)
			if (strlen(e[i].name) == len && strncmp(p, e[i].name, len) == 0)
				break;
		if (i == n) {
			snprintf(bad, size, "%.*s", (int)len, p);
			return -1;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

/* The largest capacity up to BENCH_CAPACITY that ops creates at msg_max
 * size; 0 and *why when none. */
static size_t fit(const struct ipcmp_ops *ops, size_t size, const char *tag, char *why, size_t wsize)
{
	struct ipcmp_limits lim;
	size_t lo = 0, hi = BENCH_CAPACITY;
	int rc;

	why[0] = '\0';
	if ((rc = ipcmp_limits(ops, &lim)) < 0) {
		snprintf(why, wsize, "limits: %s%s%s", ipcmp_call ? ipcmp_call : "",
			 ipcmp_call ? ": " : "", ipcmp_strerror(rc));
		return 0;
	}
	if (size > lim.msg_max_limit) {
		snprintf(why, wsize, "%zu B is over %s (%zu)", size, lim.msg_max_source,
			 lim.msg_max_limit);
		return 0;
	}
	if (hi > lim.capacity_limit) {
		snprintf(why, wsize, "capacity %d is over %s (%zu)", BENCH_CAPACITY,
			 lim.capacity_source, lim.capacity_limit);
		hi = lim.capacity_limit;
	}
	/* BENCH_CAPACITY, else a binary search for the largest that works: the
	 * limits that bind are products (capacity x size), which the kernel
	 * alone knows exactly. */
	for (size_t mid = hi; lo < hi; mid = (lo + hi + 1) / 2) {
		struct ipcmp_attr attr = { .msg_max = size, .capacity = mid };
		struct ipcmp_chan *chan;
		int tries = 0;

		while ((rc = ipcmp_create(ops, tag, &attr, &chan)) < 0 && bench_again(-rc, &tries))
			;
		if (rc == 0) {
			ipcmp_close(chan);
			ipcmp_unlink(ops, tag);
			lo = mid;
		} else {
			if (why[0] == '\0')
				snprintf(why, wsize, "capacity %d refused: %s%s%s", BENCH_CAPACITY,
					 ipcmp_call ? ipcmp_call : "", ipcmp_call ? ": " : "",
					 ipcmp_strerror(rc));
			hi = mid - 1;
		}
	}
	return lo;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median, min, max of v[0..n) */
static void summarize(double out[3], const double *v, int n)
{
	double s[BENCH_REPS_MAX];

	memcpy(s, v, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	out[0] = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	out[1] = s[0];
	out[2] = s[n - 1];
}

static void pick_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	cpu[0] = cpu[1] = 0;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	if (n == 1)
		cpu[1] = cpu[0];
}

const struct bench_result *bench_find(const struct bench_report *rep, const char *name,
				      enum bench_mode mode, size_t size)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->r[i].name, name) == 0 && rep->r[i].mode == mode &&
		    rep->r[i].size == size)
			return &rep->r[i];
	return NULL;
}

void bench_report_free(struct bench_report *rep)
{
	free(rep->r);
	rep->r = NULL;
	rep->n = 0;
}

/* Lays out the results: every selected case at every size it runs at,
 * streams size by size, then the round trips; capacities fitted. */
static int plan(const struct bench_options *o, struct bench_report *rep, const char *tag)
{
	struct entry e[32];
	size_t n = entries(e, 32), cap = (o->nsizes + 1) * n;

	if ((rep->r = calloc(cap, sizeof(rep->r[0]))) == NULL)
		return -1;
	for (int m = BENCH_STREAM; m <= BENCH_ROUNDTRIP; m++) {
		size_t nsizes = m == BENCH_STREAM ? o->nsizes : 1;

		for (size_t k = 0; k < nsizes; k++) {
			size_t size = m == BENCH_STREAM ? o->sizes[k] : BENCH_RTT_SIZE;

			for (size_t i = 0; i < n; i++) {
				struct bench_result *r;

				if (!(e[i].modes & (1 << m)) || !selected(o->only, e[i].name) ||
				    (o->modes != 0 && !(o->modes & (1 << m))))
					continue;
				r = &rep->r[rep->n++];
				r->name = e[i].name;
				r->kind = e[i].kind;
				r->family = e[i].family;
				r->raw = e[i].raw;
				r->mode = (enum bench_mode)m;
				r->size = size;
				r->capacity = BENCH_CAPACITY;
				if (e[i].sized_by != NULL) {
					r->capacity = fit(e[i].sized_by, size, tag, r->skipped,
							  sizeof(r->skipped));
					if (r->capacity == 0)
						continue;      /* skipped says why */
					if (r->capacity < BENCH_CAPACITY) {
						snprintf(r->note, sizeof(r->note), "%s", r->skipped);
						r->skipped[0] = '\0';
					} else {
						r->skipped[0] = '\0';
					}
				}
			}
		}
	}
	return 0;
}

static bench_fn *fn_of(const char *name)
{
	struct entry e[32];
	size_t n = entries(e, 32);

	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return e[i].fn;
	return NULL;
}

/* The index of the case that runs at position i of repetition k: a
 * backend and its raw loop (next to it in the plan) swap places every
 * other repetition. */
static size_t run_order(const struct bench_report *rep, int k, size_t i)
{
	const struct bench_result *r = rep->r;

	if (k % 2 == 0)
		return i;
	if (i + 1 < rep->n && r[i].raw != NULL && strcmp(r[i].raw, r[i + 1].name) == 0 &&
	    r[i].mode == r[i + 1].mode && r[i].size == r[i + 1].size)
		return i + 1;
	if (i > 0 && r[i - 1].raw != NULL && strcmp(r[i - 1].raw, r[i].name) == 0 &&
	    r[i - 1].mode == r[i].mode && r[i - 1].size == r[i].size)
		return i - 1;
	return i;
}

/* A backend's ratio to its raw loop, repetition by repetition (x_raw). */
static void pair_ratios(struct bench_report *rep, struct bench_result *r)
{
	const struct bench_result *raw;
	double v[BENCH_REPS_MAX];

	if (r->raw == NULL || r->error[0] != '\0' ||
	    (raw = bench_find(rep, r->raw, r->mode, r->size)) == NULL || raw->error[0] != '\0' ||
	    raw->reps != r->reps || r->reps == 0)
		return;
	for (int k = 0; k < r->reps; k++) {
		if (r->sample[k][0] <= 0 || raw->sample[k][0] <= 0)
			return;
		v[k] = r->sample[k][0] / raw->sample[k][0];
	}
	summarize(r->x_raw, v, r->reps);
}

int bench_run(const struct bench_options *o, struct bench_report *rep)
{
	struct entry e[32];
	size_t n = entries(e, 32), done = 0, total;
	char tag[24], bad[64];
	unsigned serial = 0;

	memset(rep, 0, sizeof(*rep));
	rep->opt = *o;
	pick_cpus(rep->cpu);
	if (only_valid(o->only, e, n, bad, sizeof(bad)) < 0) {
		fprintf(stderr, "ipcmp: bench: no case named '%s' ('ipcmp bench --list')\n", bad);
		return -1;
	}
	snprintf(tag, sizeof(tag), "bench-%ld-fit", (long)getpid());
	if (plan(o, rep, tag) < 0)
		return -1;
	total = rep->n * (size_t)o->reps;
	for (int k = 0; k < o->reps; k++) {
		for (size_t i = 0; i < rep->n; i++) {
			struct bench_result *r = &rep->r[run_order(rep, k, i)];
			struct bench_sample s = { 0 };
			struct bench_case c = {
				.name = r->name, .mode = r->mode, .size = r->size,
				.capacity = r->capacity, .seconds = o->seconds,
				.messages = o->messages, .cpu = { rep->cpu[0], rep->cpu[1] },
				.ops = ipcmp_backend(r->name),
				.timeout_ms = o->messages ? 60000 : 20000 + (int)(2000 * o->seconds),
			};

			done++;
			if (r->skipped[0] != '\0' || r->error[0] != '\0')
				continue;
			if (o->progress) {
				fprintf(stderr, "\r\033[K[%zu/%zu] repetition %d/%d: %s, %s %zu B", done,
					total, k + 1, o->reps, r->name,
					r->mode == BENCH_STREAM ? "stream" : "round trip", r->size);
				fflush(stderr);
			}
			snprintf(c.tag, sizeof(c.tag), "bench-%ld-%u", (long)getpid(), serial++);
			if (fn_of(r->name)(&c, &s) < 0 || s.error[0] != '\0') {
				snprintf(r->error, sizeof(r->error), "repetition %d: %s", k + 1,
					 s.error[0] ? s.error : "failed");
				rep->failed++;
				continue;
			}
			if (s.note[0] != '\0' && r->note[0] == '\0')
				snprintf(r->note, sizeof(r->note), "%s", s.note);
			r->capacity = s.capacity;
			if (r->mode == BENCH_STREAM) {
				r->sample[r->reps][0] = s.seconds > 0 ? (double)s.messages / s.seconds : 0;
			} else {
				r->sample[r->reps][0] = s.p50_ns;
				r->sample[r->reps][1] = s.p99_ns;
			}
			r->reps++;
		}
	}
	rep->tags = serial;
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	for (size_t i = 0; i < rep->n; i++) {
		struct bench_result *r = &rep->r[i];
		double v[BENCH_REPS_MAX];

		if (r->reps == 0)
			continue;
		for (int k = 0; k < r->reps; k++)
			v[k] = r->sample[k][0];
		if (r->mode == BENCH_STREAM) {
			summarize(r->mps, v, r->reps);
			for (int j = 0; j < 3; j++)
				r->mbps[j] = r->mps[j] * (double)r->size / 1e6;
		} else {
			summarize(r->p50, v, r->reps);
			for (int k = 0; k < r->reps; k++)
				v[k] = r->sample[k][1];
			summarize(r->p99, v, r->reps);
		}
	}
	for (size_t i = 0; i < rep->n; i++)
		pair_ratios(rep, &rep->r[i]);
	return rep->failed ? -1 : 0;
}
