/*
 * compare_speed.c - the section "speed" of ipcmp compare: a short measure
 * of each backend through the channel API, the same message sizes and the
 * same capacity on every backend.
 *
 * For each backend and size: a producer and a consumer process move N
 * messages (every payload checked by the consumer), several runs, and the
 * median, min and max of messages/s; then 64-byte round trips through two
 * channels (ping, pong), whose median is the latency. As root it runs in a
 * private IPC and mount namespace where the per-namespace queue limits
 * (kernel.msgmnb, fs.mqueue.msg_max) are raised, so every backend gets the
 * same capacity; otherwise the capacity is the smallest every backend takes
 * here. `make bench` measures more carefully; this is a glance.
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"

#define SPEED_CAPACITY 64
#define SPEED_TIMEOUT_MS 10000
#define RTT_TRIPS 1000
#define RTT_BYTES 64
#define RUNS_MAX 15

static const size_t sizes[] = { 64, 1024 };

static void fill(unsigned char *buf, uint64_t i, size_t len)
{
	for (size_t j = 0; j < len; j++)
		buf[j] = (unsigned char)(i * 131u + j);
}

static int check(const unsigned char *buf, uint64_t i, size_t len)
{
	for (size_t j = 0; j < len; j++)
		if (buf[j] != (unsigned char)(i * 131u + j))
			return 0;
	return 1;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Children end with _exit: 0 all good, 1 a call failed, 2 a payload was wrong. */
static void producer(const struct ipcmp_ops *ops, const char *name, uint64_t n, size_t len)
{
	unsigned char buf[1024];
	struct ipcmp_chan *chan;

	if (ipcmp_open(ops, name, IPCMP_PRODUCER, &chan) < 0)
		_exit(1);
	for (uint64_t i = 0; i < n; i++) {
		fill(buf, i, len);
		if (ipcmp_send(chan, buf, len, SPEED_TIMEOUT_MS) < 0)
			_exit(1);
	}
	_exit(ipcmp_close(chan) < 0);
}

static void consumer(const struct ipcmp_ops *ops, const char *name, uint64_t n, size_t len)
{
	unsigned char buf[1024];
	struct ipcmp_chan *chan;
	uint64_t i = 0;
	ssize_t got;

	if (ipcmp_open(ops, name, IPCMP_CONSUMER, &chan) < 0)
		_exit(1);
	while ((got = ipcmp_recv(chan, buf, sizeof(buf), SPEED_TIMEOUT_MS)) >= 0) {
		if (i >= n || (size_t)got != len || !check(buf, i, len))
			_exit(2);
		i++;
	}
	ipcmp_close(chan);
	_exit(got == IPCMP_EOS && i == n ? 0 : 1);
}

static pid_t spawn(void (*fn)(const struct ipcmp_ops *, const char *, uint64_t, size_t),
		   const struct ipcmp_ops *ops, const char *name, uint64_t n, size_t len)
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(ops, name, n, len);
	}
	return pid;
}

static int ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The largest capacity up to SPEED_CAPACITY that ops creates with msg_max len. */
static size_t capacity_for(const struct ipcmp_ops *ops, size_t len)
{
	struct ipcmp_attr attr = { .msg_max = len, .capacity = SPEED_CAPACITY };
	struct ipcmp_chan *chan;
	char name[IPCMP_NAME_MAX + 1];
	int rc;

	snprintf(name, sizeof(name), "speed-%ld-cap", (long)getpid());
	while ((rc = ipcmp_create(ops, name, &attr, &chan)) == -EINVAL && attr.capacity > 1)
		attr.capacity /= 2;
	if (rc < 0)
		return 0;
	ipcmp_close(chan);
	ipcmp_unlink(ops, name);
	return attr.capacity;
}

/* One run: messages/s, or < 0 when it failed. */
static double one_run(const struct ipcmp_ops *ops, size_t len, size_t capacity, uint64_t n)
{
	struct ipcmp_attr attr = { .msg_max = len, .capacity = capacity };
	struct ipcmp_chan *chan;
	char name[IPCMP_NAME_MAX + 1];
	int st_c = 1, st_p = 1;
	double t0, t;
	pid_t c, p;

	snprintf(name, sizeof(name), "speed-%ld", (long)getpid());
	if (ipcmp_create(ops, name, &attr, &chan) < 0)
		return -1;
	t0 = now_s();
	c = spawn(consumer, ops, name, n, len);
	p = spawn(producer, ops, name, n, len);
	if (p > 0)
		waitpid(p, &st_p, 0);
	if (c > 0)
		waitpid(c, &st_c, 0);
	t = now_s() - t0;
	ipcmp_close(chan);
	ipcmp_unlink(ops, name);
	return ok(st_p) && ok(st_c) ? (double)n / t : -1;
}

/* The echo side of the round trips: receive on ping, send it back on pong. */
static void echo(const struct ipcmp_ops *ops, const char *name, uint64_t n, size_t len)
{
	struct ipcmp_chan *in, *out;
	char pong[IPCMP_NAME_MAX + 1];
	unsigned char buf[RTT_BYTES];
	ssize_t got;

	(void)len;
	snprintf(pong, sizeof(pong), "%.24s-b", name);
	if (ipcmp_open(ops, name, IPCMP_CONSUMER, &in) < 0 || ipcmp_open(ops, pong, IPCMP_PRODUCER, &out) < 0)
		_exit(1);
	for (uint64_t i = 0; i < n; i++)
		if ((got = ipcmp_recv(in, buf, sizeof(buf), SPEED_TIMEOUT_MS)) < 0 ||
		    ipcmp_send(out, buf, (size_t)got, SPEED_TIMEOUT_MS) < 0)
			_exit(1);
	ipcmp_close(in);
	_exit(ipcmp_close(out) < 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median round trip in microseconds, or < 0. */
static double rtt_us(const struct ipcmp_ops *ops, size_t capacity)
{
	struct ipcmp_attr attr = { .msg_max = RTT_BYTES, .capacity = capacity,
				   .flags = IPCMP_PRODUCER };
	struct ipcmp_chan *ping = NULL, *pong = NULL;
	char a[IPCMP_NAME_MAX + 1], b[IPCMP_NAME_MAX + 1];
	unsigned char buf[RTT_BYTES] = { 0 };
	static double trips[RTT_TRIPS];
	double result = -1, t0;
	int status = 1;
	pid_t pid = -1;
	size_t i = 0;

	snprintf(a, sizeof(a), "speed-%ld-rtt", (long)getpid());
	snprintf(b, sizeof(b), "%.24s-b", a);
	if (ipcmp_create(ops, a, &attr, &ping) < 0)
		return -1;
	attr.flags = IPCMP_CONSUMER;
	if (ipcmp_create(ops, b, &attr, &pong) < 0)
		goto out;
	if ((pid = spawn(echo, ops, a, RTT_TRIPS, RTT_BYTES)) < 0)
		goto out;
	for (; i < RTT_TRIPS; i++) {
		t0 = now_s();
		if (ipcmp_send(ping, buf, sizeof(buf), SPEED_TIMEOUT_MS) < 0 ||
		    ipcmp_recv(pong, buf, sizeof(buf), SPEED_TIMEOUT_MS) < 0)
			break;
		trips[i] = (now_s() - t0) * 1e6;
	}
out:
	ipcmp_close(ping);
	ipcmp_close(pong);
	if (pid > 0)
		waitpid(pid, &status, 0);
	ipcmp_unlink(ops, a);
	ipcmp_unlink(ops, b);
	if (i == RTT_TRIPS && ok(status)) {
		qsort(trips, RTT_TRIPS, sizeof(trips[0]), cmp_double);
		result = trips[RTT_TRIPS / 2];
	}
	return result;
}

/* Root: a private IPC namespace (and /dev/shm) whose queue limits we may
 * raise without touching the host's. 1: isolated, 0: not. */
static int isolate(void)
{
	static const struct { const char *path, *value; } raise[] = {
		{ "/proc/sys/fs/mqueue/msg_max", "64" },
		{ "/proc/sys/kernel/msgmnb", "1048576" },
	};

	if (geteuid() != 0 || unshare(CLONE_NEWIPC | CLONE_NEWNS) < 0)
		return 0;
	if (mount("none", "/dev/shm", "none", MS_PRIVATE, NULL) == 0)
		mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	for (size_t i = 0; i < sizeof(raise) / sizeof(raise[0]); i++) {
		FILE *f = fopen(raise[i].path, "we");

		if (f != NULL) {
			fputs(raise[i].value, f);
			fclose(f);
		}
	}
	return 1;
}

static void speed_rows(enum compare_format fmt, size_t messages, int runs)
{
	double v[RUNS_MAX];
	int first = 1, isolated = isolate();

	if (fmt == FMT_TEXT)
		printf("%s; %zu messages a run, %d runs; round trip: %d x %d bytes\n"
		       "%-12s %6s %8s %12s %12s %12s %10s\n",
		       isolated ? "private IPC namespace, queue limits raised" : "host limits",
		       messages, runs, RTT_TRIPS, RTT_BYTES, "backend", "bytes", "capacity",
		       "msgs/s med", "min", "max", "rtt p50 us");
	else if (fmt == FMT_MARKDOWN)
		printf("%s; %zu messages a run, median of %d runs (min, max); round trip: %d bytes.\n\n"
		       "| backend | message bytes | capacity | messages/s median | min | max | round trip p50 (us) |\n"
		       "|---|---:|---:|---:|---:|---:|---:|\n",
		       isolated ? "Private IPC namespace with the queue limits raised" : "Host limits",
		       messages, runs, RTT_BYTES);
	else
		printf("[");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t capacity = SPEED_CAPACITY;

		/* the same capacity on every backend: the smallest one takes */
		for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
			size_t c = capacity_for(ipcmp_backends[b], sizes[s]);

			if (c > 0 && c < capacity)
				capacity = c;
		}
		for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
			const struct ipcmp_ops *ops = ipcmp_backends[b];
			double rtt = s == 0 ? rtt_us(ops, capacity) : -1;
			int good = 0;

			for (int r = 0; r < runs; r++)
				if ((v[good] = one_run(ops, sizes[s], capacity, messages)) >= 0)
					good++;
			qsort(v, (size_t)good, sizeof(v[0]), cmp_double);
			if (fmt == FMT_JSON) {
				printf("%s\n  {\"backend\": \"%s\", \"msg_bytes\": %zu, \"capacity\": %zu, ",
				       first ? "" : ",", ops->name, sizes[s], capacity);
				if (good == runs)
					printf("\"msgs_per_s\": {\"median\": %.0f, \"min\": %.0f, \"max\": %.0f}",
					       v[good / 2], v[0], v[good - 1]);
				else
					printf("\"msgs_per_s\": null, \"failed\": \"%d of %d runs failed\"",
					       runs - good, runs);
				if (rtt >= 0)
					printf(", \"rtt_us_p50\": %.1f}", rtt);
				else
					printf(", \"rtt_us_p50\": null}");
				first = 0;
			} else if (good < runs) {
				printf(fmt == FMT_MARKDOWN ? "| %s | %zu | %zu | %d of %d runs failed | | | |\n"
				       : "%-12s %6zu %8zu %d of %d runs failed\n",
				       ops->name, sizes[s], capacity, runs - good, runs);
			} else {
				char r[32] = "-";

				if (rtt >= 0)
					snprintf(r, sizeof(r), "%.1f", rtt);
				printf(fmt == FMT_MARKDOWN ? "| %s | %zu | %zu | %.0f | %.0f | %.0f | %s |\n"
				       : "%-12s %6zu %8zu %12.0f %12.0f %12.0f %10s\n",
				       ops->name, sizes[s], capacity, v[good / 2], v[0], v[good - 1], r);
			}
			fflush(stdout);
		}
	}
	if (fmt == FMT_JSON)
		printf("]");
	fflush(stdout);
}

int compare_speed(enum compare_format fmt, size_t messages, int runs)
{
	int status = 0;
	pid_t pid;

	if (runs > RUNS_MAX)
		runs = RUNS_MAX;
	/* in a child: the namespace it may make must not hold the report */
	fflush(NULL);
	if ((pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		speed_rows(fmt, messages, runs);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
