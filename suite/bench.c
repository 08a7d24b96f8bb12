/*
 * bench.c - the benchmark's cases run once each, with tiny counts: every
 * backend and every baseline moves its messages, the consumer's check of
 * every payload catches what it says it catches, a case that hangs is
 * bounded, and nothing is left behind. Speed is not asserted (no timing in
 * tests); `make bench` measures.
 */
#include <criterion/criterion.h>
#include "asserts.h"
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "bench.h"

#define TINY_TIMEOUT_MS 60000

/* The fixture names a test's subject by an ops table; a baseline has none. */
static const struct ipcmp_ops no_backend = { .name = "bench" };

static struct bench_case tiny(enum bench_mode mode, size_t size, const struct ipcmp_ops *ops)
{
	struct bench_case c = {
		.name = ops != NULL ? ops->name : "baseline", .mode = mode, .size = size,
		.capacity = 8, .messages = fixture_scale(2000, 40),
		.cpu = { 0, 0 }, .timeout_ms = TINY_TIMEOUT_MS, .ops = ops,
	};
	cpu_set_t set;

	/* the first two CPUs this worker may use, as ipcmp bench picks them */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0, n = 0; i < CPU_SETSIZE && n < 2; i++)
			if (CPU_ISSET(i, &set))
				c.cpu[n++] = i;
	if (mode == BENCH_ROUNDTRIP)
		c.messages = fixture_scale(400, 30);
	snprintf(c.tag, sizeof(c.tag), "%s", fixture_name());
	return c;
}

static void run_ok(bench_fn *fn, const struct bench_case *c, const char *what)
{
	struct bench_sample s = { 0 };
	int rc = fn(c, &s);

	cr_assert(eq(int, rc, 0), "%s %s %zu B: %s", what,
		  c->mode == BENCH_STREAM ? "stream" : "round trip", c->size, s.error);
	cr_assert(eq(str, s.error, ""), "%s: error without failure: %s", what, s.error);
	if (c->mode == BENCH_STREAM)
		cr_assert(eq(u64, s.messages, c->messages), "%s %zu B: %llu of %llu messages arrived",
			  what, c->size, (unsigned long long)s.messages,
			  (unsigned long long)c->messages);
	else
		cr_assert(gt(dbl, s.p50_ns, 0.0), "%s: round trip without a time", what);
}

/* Every message checked, end of stream after the last, both channels gone. */
BACKEND_TEST(bench_stream_checked)
{
	static const size_t sizes[] = { BENCH_MIN_SIZE, 64, 1000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct bench_case c = tiny(BENCH_STREAM, sizes[i], ops);

		run_ok(bench_backend, &c, ops->name);
	}
}

BACKEND_TEST(bench_roundtrip_checked)
{
	struct bench_case c = tiny(BENCH_ROUNDTRIP, BENCH_RTT_SIZE, ops);

	run_ok(bench_backend, &c, ops->name);
}

/* Each baseline: its stream and its round trip, each once. */
#define BASELINE(fn, modes) \
	Test(bench, fn, .init = fixture_init, .fini = fixture_fini, .timeout = 120) \
	{ \
		fixture_begin(&no_backend); \
		for (int m = BENCH_STREAM; m <= BENCH_ROUNDTRIP; m++) { \
			struct bench_case c; \
			if (!((modes) & (1 << m))) \
				continue; \
			c = tiny((enum bench_mode)m, m == BENCH_STREAM ? 1000 : BENCH_RTT_SIZE, NULL); \
			run_ok(fn, &c, #fn); \
		} \
		census_assert_clean(); \
	}

#define S (1 << BENCH_STREAM)
#define R (1 << BENCH_ROUNDTRIP)
BASELINE(bench_raw_sysv_shm, S | R)
BASELINE(bench_raw_posix_shm, S | R)
BASELINE(bench_raw_sysv_msg, S | R)
BASELINE(bench_raw_posix_mq, S | R)
BASELINE(bench_pipe, S | R)
BASELINE(bench_socketpair, S | R)
BASELINE(bench_spsc_ring, S | R)
BASELINE(bench_memcpy, S)
BASELINE(bench_pingpong, R)
BASELINE(bench_futex, R)

/*
 * The consumer's check: a transport (a socketpair) that damages message
 * FAULTY_SEQ in one way per row, and the failure the check must report.
 */
#define FAULTY_SEQ 5

enum fault { DROP, REPEAT, SWAP, TEAR_MIDDLE, TEAR_END, SHORT, HANG };

static const struct {
	enum fault fault;
	const char *what;
	const char *expect;        /* in the case's error */
} faults[] = {
	{ DROP, "a message lost", "message 5: wrong payload (first stamp 6)" },
	{ REPEAT, "a message twice", "message 6: wrong payload (first stamp 5)" },
	{ SWAP, "two messages swapped", "message 5: wrong payload (first stamp 6)" },
	{ TEAR_MIDDLE, "the middle of a message from another", "message 5: wrong payload (middle stamp 4)" },
	{ TEAR_END, "the end of a message from another", "message 5: wrong payload (last stamp 4)" },
	{ SHORT, "a message cut short", "message 5: 63 bytes, expected 64" },
	{ HANG, "a receiver that never returns", "no end after 1000 ms" },
};

struct faulty {
	int fd[2];
	enum fault fault;
	uint64_t sent;             /* in the producer */
	unsigned char held[BENCH_RTT_SIZE];
};

static int faulty_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct faulty *f = t;
	unsigned char copy[BENCH_RTT_SIZE];
	uint64_t seq = f->sent++;

	(void)dir;
	memcpy(copy, buf, len);
	if (seq == FAULTY_SEQ) {
		switch (f->fault) {
		case DROP:
			return 0;
		case SWAP:
			memcpy(f->held, copy, len);    /* sent after the next one */
			return 0;
		case TEAR_MIDDLE:
			bench_stamp(f->held, len, seq - 1, 0);
			memcpy(copy + 32, f->held + 32, 8);
			break;
		case TEAR_END:
			bench_stamp(f->held, len, seq - 1, 0);
			memcpy(copy + len - 8, f->held + len - 8, 8);
			break;
		case SHORT:
			len--;
			break;
		case REPEAT:
			if (send(f->fd[0], copy, len, 0) < 0)
				return bench_fail(r, "send: %s", strerror(errno));
			break;
		case HANG:
			break;
		}
	}
	if (send(f->fd[0], copy, len, 0) < 0)
		return bench_fail(r, "send: %s", strerror(errno));
	if (f->fault == SWAP && seq == FAULTY_SEQ + 1 && send(f->fd[0], f->held, len, 0) < 0)
		return bench_fail(r, "send: %s", strerror(errno));
	return 0;
}

static ssize_t faulty_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct faulty *f = t;
	ssize_t n;

	(void)dir;
	if (f->fault == HANG)
		for (;;)
			pause();
	if ((n = recv(f->fd[1], buf, cap, 0)) < 0)
		return bench_fail(r, "recv: %s", strerror(errno));
	return n;
}

static const struct bench_transport faulty_transport = { .put = faulty_put, .get = faulty_get };

Test(bench, check_catches_damage, .init = fixture_init, .fini = fixture_fini, .timeout = 120)
{
	fixture_begin(&no_backend);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct bench_case c = tiny(BENCH_STREAM, BENCH_RTT_SIZE, NULL);
		struct faulty f = { .fault = faults[i].fault };
		struct bench_sample s = { 0 };
		struct timespec t0, t1;
		int rc;

		c.messages = 20;
		c.timeout_ms = faults[i].fault == HANG ? 1000 : TINY_TIMEOUT_MS;
		cr_assert(eq(int, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f.fd), 0),
			  "socketpair: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = bench_transport(&c, &s, &faulty_transport, &f);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		close(f.fd[0]);
		close(f.fd[1]);
		cr_assert(eq(int, rc, -1), "%s: the case passed", faults[i].what);
		cr_assert(ne(ptr, strstr(s.error, faults[i].expect), NULL),
			  "%s: error \"%s\", expected \"%s\" in it", faults[i].what, s.error,
			  faults[i].expect);
		/* the bound: the case's 1 s, the watchdog's 2 s more, wide margin */
		cr_assert(lt(long, (long)(t1.tv_sec - t0.tv_sec), 30L), "%s: took %ld s",
			  faults[i].what, (long)(t1.tv_sec - t0.tv_sec));
	}
	census_assert_clean();
}

static int same(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fabs(b);
}

/* The whole plan, tiny: fitted capacities, interleaving, every report. */
Test(bench, plan_and_reports, .init = fixture_init, .fini = fixture_fini, .timeout = 240)
{
	struct bench_options o = { .sizes = { 64, 1000 }, .nsizes = 2, .reps = 2,
				   .messages = fixture_scale(300, 20) };
	struct bench_report rep;
	char svg[] = "/tmp/ipcmp-bench-svg.XXXXXX", *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd;

	fixture_begin(&no_backend);
	cr_assert(eq(int, bench_run(&o, &rep), 0), "bench_run: %d case(s) failed", rep.failed);
	for (size_t i = 0; i < rep.n; i++)
		cr_assert(eq(int, rep.r[i].reps + (rep.r[i].skipped[0] != '\0') * 2, 2),
			  "%s %zu B: %d repetitions (%s)", rep.r[i].name, rep.r[i].size,
			  rep.r[i].reps, rep.r[i].skipped);
	cr_assert(ne(ptr, (void *)bench_find(&rep, "raw-sysv-shm", BENCH_STREAM, 1000), NULL),
		  "no raw-sysv-shm at 1000 B");
	/* x raw: the median (of two: their mean), min and max of the ratios
	 * taken repetition by repetition, not a ratio of medians */
	for (size_t i = 0; i < rep.n; i++) {
		const struct bench_result *r = &rep.r[i], *raw;
		double x0, x1;

		if (r->raw == NULL || r->reps == 0 ||
		    (raw = bench_find(&rep, r->raw, r->mode, r->size)) == NULL || raw->reps == 0)
			continue;
		x0 = r->sample[0][0] / raw->sample[0][0];
		x1 = r->sample[1][0] / raw->sample[1][0];
		cr_assert(same(r->x_raw[0], (x0 + x1) / 2) && same(r->x_raw[1], fmin(x0, x1)) &&
			  same(r->x_raw[2], fmax(x0, x1)),
			  "%s %zu B: x raw %g [%g, %g], the repetitions' ratios %g and %g", r->name,
			  r->size, r->x_raw[0], r->x_raw[1], r->x_raw[2], x0, x1);
	}
	f = open_memstream(&text, &len);
	bench_print_table(&rep, f);
	bench_print_json(&rep, f);
	bench_print_markdown(&rep, "bench.svg", "a note", f);
	fclose(f);
	cr_assert(ne(ptr, strstr(text, "\"results\": ["), NULL), "no JSON results");
	cr_assert(ne(ptr, strstr(text, "round trip, 64 B"), NULL), "no round-trip table");
	free(text);
	cr_assert(ge(int, fd = mkstemp(svg), 0), "mkstemp: %s", strerror(errno));
	close(fd);
	cr_assert(eq(int, bench_write_svg(&rep, svg), 0), "bench_write_svg");
	unlink(svg);
	bench_report_free(&rep);
	census_assert_clean();
}
