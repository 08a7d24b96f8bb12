/*
 * bench.h - what the benchmark's cases, its baselines and its report share.
 *
 * A case moves messages of one size from a producer process to a consumer
 * process (a stream), or bounces one message between a client and a server
 * (a round trip), over one transport: a backend through the ipcmp API, or a
 * baseline written plainly over raw calls (bench/raw_*.c, pipe.c, ...).
 * The two processes are forked and pinned to two CPUs by pair.c, which also
 * times them, bounds them and collects what they report; a baseline file
 * holds only its objects and its two loops.
 *
 * Every message is stamped and checked: its sequence number is written at
 * its start, its middle and its end (8 bytes each), the last message of a
 * case has BENCH_LAST set in it, and the consumer checks the length and the
 * three stamps of every message. That catches lost, repeated, reordered,
 * truncated and torn messages for three stores and three loads a message;
 * the bytes between the stamps are not checked.
 */
#ifndef IPCMP_BENCH_H
#define IPCMP_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>

#include "ipcmp.h"

#define BENCH_LAST (UINT64_C(1) << 63)    /* in the stamp of a case's last message */
#define BENCH_MIN_SIZE 24                 /* three stamps of 8 bytes */
#define BENCH_CAPACITY 64                 /* messages in flight, on every transport that has a count */
#define BENCH_RTT_SIZE 64                 /* bytes of a round trip's message */
#define BENCH_RTT_SAMPLES 200000          /* round trips kept for p50 and p99 */
#define BENCH_RTT_WARMUP 100              /* first round trips, not counted */
#define BENCH_WAIT_S 10                   /* bound on every single wait in a loop */

enum bench_mode { BENCH_STREAM = 1, BENCH_ROUNDTRIP = 2 };

struct bench_case {
	const char *name;          /* what the report calls it: "sysv-shm", "pipe" */
	enum bench_mode mode;
	size_t size;               /* bytes a message */
	size_t capacity;           /* messages in flight the transport is made for */
	double seconds;            /* run this long, or: */
	uint64_t messages;         /* this many messages (round trips); 0: by time */
	int cpu[2];                /* producer (client), consumer (server) */
	int timeout_ms;            /* bound on the whole case, start to end */
	const struct ipcmp_ops *ops;   /* backend cases: the backend */
	char tag[24];              /* unique in this run: names objects ("bench-123-7") */
};

struct bench_sample {
	double seconds;            /* stream: release to last message received */
	uint64_t messages;         /* stream: received; round trip: measured */
	double p50_ns, p99_ns;     /* round trip */
	size_t capacity;           /* in flight, as made (0: not a count of messages) */
	char note[200];             /* how the transport was sized, when it matters */
	char error[200];           /* non-empty: the case failed, and why */
};

/*
 * One baseline or the backend driver: makes its objects, calls bench_pair
 * with its two loops, removes its objects on every path. Returns 0, or -1
 * with s->error saying why.
 */
typedef int bench_fn(const struct bench_case *, struct bench_sample *);

bench_fn bench_backend;            /* backend.c: any backend, through ipcmp_* */
bench_fn bench_raw_sysv_shm;
bench_fn bench_raw_posix_shm;
bench_fn bench_raw_sysv_msg;
bench_fn bench_raw_sysv_2op;       /* raw_sysv_shm.c: with sysv-shm's semops */
bench_fn bench_raw_msg_sem;        /* raw_sysv_msg.c: with sysv-msg's bounded waits */
bench_fn bench_raw_posix_mq;
bench_fn bench_pipe;
bench_fn bench_socketpair;
bench_fn bench_memcpy;
bench_fn bench_pingpong;
bench_fn bench_futex;
bench_fn bench_spsc_ring;

/* What a loop sees of its run (pair.c). */
struct bench_run;
const struct bench_case *bench_case_of(struct bench_run *);
int bench_side_of(struct bench_run *);     /* 0: producer or client; 1: consumer or server */

/*
 * pair.c forks the two sides, pins each to its CPU, arms a watchdog in each
 * (alarm: no call blocks past the case's bound, also the calls that take no
 * timeout, msgsnd, msgrcv, read, write), releases both at once and waits
 * for them, bounded. side[0] is the producer (client), side[1] the consumer
 * (server). prepare (may be NULL) runs in each side before the release.
 * A side returns 0 or the result of bench_fail.
 */
typedef int bench_side(struct bench_run *, void *arg);
int bench_pair(const struct bench_case *, struct bench_sample *, bench_side *prepare,
	       bench_side *producer, bench_side *consumer, void *arg);
/* One process, pinned to cpu[0], for what has no peer (memcpy). */
int bench_single(const struct bench_case *, struct bench_sample *, bench_side *, void *arg);

/* Producer, client: 1 when message seq is the case's last (time or count). */
int bench_last(struct bench_run *, uint64_t seq);
/* Consumer: the stream ended after `received` messages (records the time). */
int bench_done(struct bench_run *, uint64_t received);
/* Client: one round trip ended (records its time). */
void bench_lap(struct bench_run *);
/* Records why the side failed (the first reason counts); returns -1. */
int bench_fail(struct bench_run *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Consumer: checks message seq; 1 when it is the last, 0 when more follow,
 * -1 (after bench_fail) when it is wrong. */
int bench_check(struct bench_run *, const void *buf, ssize_t len, uint64_t seq);
/*
 * Before making an object: 1 (after a short sleep) when err says a budget
 * shared with other processes is spent for now, and it is worth trying
 * again; 0 to give up. RLIMIT_MSGQUEUE is such a budget: it is charged per
 * user, so every queue that any process of the same uid holds (in any IPC
 * namespace) counts against it, and on a busy machine it comes and goes.
 */
int bench_again(int err, int *tries);
/* Absolute CLOCK_REALTIME deadline for POSIX timed waits: the case's bound. */
struct timespec bench_deadline(struct bench_run *);
/* Relative timeout for SysV semtimedop and futex: the case's bound. */
struct timespec bench_timeout(struct bench_run *);

/*
 * A message transport: a baseline gives its two calls, and loops.c runs
 * the stream (producer puts, consumer gets) or the round trip (the client
 * puts on direction 0 and gets on 1, the server the other way round), with
 * the stamping, checking and timing written once. open runs in each side
 * before the release (not timed), close after its loop; both may be NULL.
 * Each returns 0 (get: the length) or the result of bench_fail.
 */
struct bench_transport {
	int (*open)(struct bench_run *, void *t, int side);
	int (*put)(struct bench_run *, void *t, int dir, const void *buf, size_t len);
	ssize_t (*get)(struct bench_run *, void *t, int dir, void *buf, size_t cap);
	int (*close)(struct bench_run *, void *t, int side);
};
int bench_transport(const struct bench_case *, struct bench_sample *,
		    const struct bench_transport *, void *t);

static inline void bench_stamp(void *buf, size_t len, uint64_t seq, int last)
{
	unsigned char *p = buf;
	uint64_t v = seq | (last ? BENCH_LAST : 0);

	memcpy(p, &v, 8);
	memcpy(p + ((len / 2) & ~(size_t)7), &v, 8);
	memcpy(p + len - 8, &v, 8);
}

/* The plan (run.c): every case of every size, interleaved, repeated. */
#define BENCH_SIZES_MAX 8
#define BENCH_REPS_MAX 99

struct bench_options {
	size_t sizes[BENCH_SIZES_MAX];
	size_t nsizes;
	int reps;
	double seconds;            /* a case runs this long, or: */
	uint64_t messages;         /* this many messages (round trips); 0: by time */
	const char *only;          /* comma-separated case names; NULL: all */
	int modes;                 /* 1 << BENCH_STREAM | 1 << BENCH_ROUNDTRIP; 0: both */
	int progress;              /* 1: a progress line on stderr */
};

struct bench_result {
	const char *name;          /* "sysv-shm", "raw-sysv-shm", "pipe" */
	const char *kind;          /* "backend", "raw loop", "baseline", "floor" */
	const char *family;        /* "System V", "POSIX"; NULL: neither */
	const char *raw;           /* backends: the name of the loop they are held to */
	enum bench_mode mode;
	size_t size;
	size_t capacity;           /* as made (0: not a count of messages) */
	char note[200];             /* how it was sized, when that matters */
	char skipped[200];         /* non-empty: not run, and why */
	char error[240];           /* non-empty: a run failed, and why */
	int reps;                  /* samples taken */
	double mps[3], mbps[3];    /* messages/s and MB/s: median, min, max */
	double p50[3], p99[3];     /* round trip ns: median, min, max */
	double x_raw[3];           /* backends: their figure over their raw loop's, taken
				    * in each repetition (the two ran side by side):
				    * median, min, max; 0: no pair */
	double sample[BENCH_REPS_MAX][2];  /* stream: messages/s; round trip: p50, p99 */
};

struct bench_report {
	struct bench_result *r;
	size_t n;
	struct bench_options opt;
	int cpu[2];
	int failed;                /* cases with an error */
	unsigned tags;             /* cases run: their tags were "bench-PID-0".. "bench-PID-(tags-1)" */
	char limits[600];          /* the limits the run used */
	char isolation[200];       /* where it ran: a private IPC namespace or the host */
};

int bench_run(const struct bench_options *, struct bench_report *);
void bench_report_free(struct bench_report *);
const struct bench_result *bench_find(const struct bench_report *, const char *name,
				      enum bench_mode, size_t size);
/* The names --only accepts, one per line. */
void bench_list(FILE *);

/* report.c */
void bench_print_table(const struct bench_report *, FILE *);
void bench_print_json(const struct bench_report *, FILE *);
void bench_print_markdown(const struct bench_report *, const char *svg, const char *note, FILE *);
int bench_write_svg(const struct bench_report *, const char *path);

#endif
