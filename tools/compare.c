/*
 * compare.c - `ipcmp compare`: the same workload through every backend.
 *
 * For each backend: create a channel, fork a consumer and a producer
 * process, move N messages of mixed sizes with every payload checked by
 * the consumer, remove the channel, and count the IPC objects left behind
 * (a census of the kernel's objects before and after). One row each.
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "cli.h"

#define WORK_MSG_MAX 512           /* sizes 0..512: every backend's defaults fit */
#define WORK_CAPACITY 64
#define WORK_TIMEOUT_MS 10000

static const char usage_compare[] =
	"usage: ipcmp compare [--messages N]\n"
	"Move N messages (default 200000) of 0..512 bytes from a producer process\n"
	"to a consumer process through each backend, check every payload, and\n"
	"print one row per backend: calls, messages/s, MB/s, integrity, objects left.\n";

static size_t work_len(uint64_t i)
{
	return (size_t)((i * 7919u) % (WORK_MSG_MAX + 1));
}

static void work_fill(unsigned char *buf, uint64_t i, size_t len)
{
	for (size_t j = 0; j < len; j++)
		buf[j] = (unsigned char)(i * 131u + j);
}

static int work_check(const unsigned char *buf, uint64_t i, ssize_t len)
{
	if (len < 0 || (size_t)len != work_len(i))
		return 0;
	for (size_t j = 0; j < (size_t)len; j++)
		if (buf[j] != (unsigned char)(i * 131u + j))
			return 0;
	return 1;
}

/* Children end with _exit: 0 all good, 1 a call failed, 2 a payload was wrong. */
static void producer(const struct ipcmp_ops *ops, const char *name, uint64_t n)
{
	unsigned char buf[WORK_MSG_MAX];
	struct ipcmp_chan *chan;

	if (ipcmp_open(ops, name, IPCMP_PRODUCER, &chan) < 0)
		_exit(1);
	for (uint64_t i = 0; i < n; i++) {
		work_fill(buf, i, work_len(i));
		if (ipcmp_send(chan, buf, work_len(i), WORK_TIMEOUT_MS) < 0)
			_exit(1);
	}
	_exit(ipcmp_close(chan) < 0);
}

static void consumer(const struct ipcmp_ops *ops, const char *name, uint64_t n)
{
	unsigned char buf[WORK_MSG_MAX];
	struct ipcmp_chan *chan;
	uint64_t i = 0;
	ssize_t len;

	if (ipcmp_open(ops, name, IPCMP_CONSUMER, &chan) < 0)
		_exit(1);
	while ((len = ipcmp_recv(chan, buf, sizeof(buf), WORK_TIMEOUT_MS)) >= 0) {
		if (i >= n || !work_check(buf, i, len))
			_exit(2);
		i++;
	}
	ipcmp_close(chan);
	_exit(len == IPCMP_EOS && i == n ? 0 : 1);
}

static pid_t spawn(void (*fn)(const struct ipcmp_ops *, const char *, uint64_t),
		   const struct ipcmp_ops *ops, const char *name, uint64_t n)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(ops, name, n);
	}
	return pid;
}

static size_t census_new(const struct ipcmp_census *before, const struct ipcmp_census *after)
{
	size_t n = 0;

	for (size_t i = 0; i < after->n; i++)
		if (ipcmp_census_find(before, &after->e[i]) == NULL)
			n++;
	return n;
}

struct row {
	double seconds;
	int status;                /* 0: verified; else what failed */
	const char *failure;
	size_t capacity;
	long left;                 /* -1: no census */
};

static void run_backend(const struct ipcmp_ops *ops, uint64_t n, const char *mqdir, struct row *r)
{
	struct ipcmp_census before = { 0 }, after = { 0 };
	struct ipcmp_attr attr = { .msg_max = WORK_MSG_MAX, .capacity = WORK_CAPACITY };
	struct ipcmp_limits lim;
	struct ipcmp_chan *chan;
	struct timespec t0, t1;
	char name[IPCMP_NAME_MAX + 1];
	pid_t cons, prod;
	int st_c = 0, st_p = 0, rc;

	memset(r, 0, sizeof(*r));
	r->left = -1;
	snprintf(name, sizeof(name), "compare-%ld", (long)getpid());
	ipcmp_limits(ops, &lim);
	if (attr.capacity > lim.capacity_limit)
		attr.capacity = lim.capacity_limit;
	int counted = ipcmp_census_take(&before, mqdir) >= 0;

	/* Some limits are on capacity x msg_max (SysV kernel.msgmnb, POSIX
	 * RLIMIT_MSGQUEUE): take the largest capacity up to ours that fits. */
	while ((rc = ipcmp_create(ops, name, &attr, &chan)) == -EINVAL && attr.capacity > 1)
		attr.capacity /= 2;
	r->capacity = attr.capacity;
	if (rc < 0) {
		cli_fail("compare", ops, name, rc);
		r->status = 1;
		r->failure = "create failed";
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cons = spawn(consumer, ops, name, n);
	prod = spawn(producer, ops, name, n);
	if (prod > 0)
		waitpid(prod, &st_p, 0);
	if (cons > 0)
		waitpid(cons, &st_c, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (cons < 0 || prod < 0) {
		r->status = 1;
		r->failure = "fork failed";
	} else if (!WIFEXITED(st_p) || WEXITSTATUS(st_p) != 0) {
		r->status = 1;
		r->failure = "producer failed";
	} else if (WIFEXITED(st_c) && WEXITSTATUS(st_c) == 2) {
		r->status = 2;
		r->failure = "WRONG PAYLOAD";
	} else if (!WIFEXITED(st_c) || WEXITSTATUS(st_c) != 0) {
		r->status = 1;
		r->failure = "consumer failed";
	}
	ipcmp_close(chan);
	if ((rc = ipcmp_unlink(ops, name)) < 0)
		cli_fail("compare", ops, name, rc);
out:
	if (counted && ipcmp_census_take(&after, mqdir) >= 0)
		r->left = (long)census_new(&before, &after);
	ipcmp_census_free(&before);
	ipcmp_census_free(&after);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "messages", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t n = 200000;
	char dirbuf[64];
	const char *mqdir;
	int c, status = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_compare, stdout);
			return 0;
		}
		if (c != 'n' || cli_number(optarg, (size_t)1 << 32, &n) < 0 || n == 0)
			return cli_usage_error("compare", usage_compare, "bad option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("compare", usage_compare, "unexpected '%s'", argv[optind]);

	mqdir = cli_mqueue_view(dirbuf, sizeof(dirbuf));
	printf("ipcmp compare: %zu messages of 0..%d bytes, one producer and one consumer\n"
	       "process per backend, every payload checked by the consumer.\n\n",
	       n, WORK_MSG_MAX);
	printf("%-10s %-9s %8s %11s %8s  %-10s %s\n", "backend", "family", "capacity",
	       "messages/s", "MB/s", "integrity", "objects left");
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++) {
		const struct ipcmp_ops *ops = ipcmp_backends[i];
		struct row r;
		char left[32];

		run_backend(ops, n, mqdir, &r);
		if (r.left < 0)
			snprintf(left, sizeof(left), "not counted");
		else
			snprintf(left, sizeof(left), "%ld", r.left);
		if (r.status == 0)
			printf("%-10s %-9s %8zu %11.0f %8.1f  %-10s %s\n", ops->name, ops->family,
			       r.capacity, (double)n / r.seconds,
			       (double)n * (WORK_MSG_MAX / 2.0) / r.seconds / 1e6, "verified", left);
		else
			printf("%-10s %-9s %8zu %11s %8s  %-10s %s\n", ops->name, ops->family,
			       r.capacity, "-", "-", r.failure, left);
		fflush(stdout);
		if (r.status != 0 || r.left != 0)
			status = 1;
	}
	printf("\ncalls:\n");
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++)
		printf("  %-10s %s\n", ipcmp_backends[i]->name, ipcmp_backends[i]->calls);
	if (mqdir == NULL)
		printf("\n(POSIX message queues not counted: no mqueue filesystem could be mounted)\n");
	cli_mqueue_unview(mqdir);
	return status;
}
