/*
 * bench_cmd.c - `ipcmp bench`: every backend beside plain loops over its
 * family's raw calls, a pipe, a socketpair, memcpy and two floors, in one
 * interleaved run (bench/).
 *
 * As root, the run happens in a private IPC namespace (with a private
 * /dev/shm when a private mount namespace can be had), where the queue
 * limits are raised so that every backend carries every size with the same
 * capacity: kernel.msgmax, kernel.msgmnb, fs.mqueue.msg_max and
 * fs.mqueue.msgsize_max are per namespace, and the host's are not touched.
 * RLIMIT_MSGQUEUE is not per namespace: it is the process's own ceiling on
 * the bytes of the POSIX queues its user holds, and root (with
 * CAP_SYS_RESOURCE) raises it for this process alone; where it still
 * forbids a capacity, the report says so. Not as root, the host's limits
 * apply, and the report prints them.
 *
 * A census of the IPC objects before and after the run must match: a run
 * that leaves an object behind fails, as does any case that fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "census.h"
#include "cli.h"

static const char usage_bench[] =
	"usage: ipcmp bench [--sizes LIST] [--reps N] [--seconds S | --messages N]\n"
	"                   [--only LIST] [--mode M] [--json] [--svg FILE] [--markdown] [--note TEXT] [--list]\n"
	"Measure every backend beside plain loops over its family's raw calls, a pipe,\n"
	"a socketpair, memcpy, a cache-line ping-pong and a futex wake round trip:\n"
	"one-way throughput at each size, and a 64-byte round trip (p50, p99), the\n"
	"producer and the consumer pinned to two CPUs, every message checked.\n"
	"  --sizes LIST    message sizes in bytes, comma-separated (default 64,4096,65536;\n"
	"                  each at least 24)\n"
	"  --reps N        interleaved repetitions of every case (default 5)\n"
	"  --seconds S     how long each case runs (default 0.4)\n"
	"  --messages N    instead: how many messages (round trips) each case moves\n"
	"  --only LIST     only these cases, comma-separated ('--list' names them)\n"
	"  --mode M        stream or roundtrip: only that half (default both)\n"
	"  --json          the results as JSON on stdout instead of the table\n"
	"  --svg FILE      also write a plot of throughput against message size\n"
	"  --markdown      the results as a Markdown page (make docs)\n"
	"  --note TEXT     a line for the top of the Markdown page\n"
	"  --list          print the case names and stop\n"
	"Progress goes to stderr when it is a terminal. As root, the run uses a private\n"
	"IPC namespace with raised queue limits. Exit status 1 when a case fails or an\n"
	"IPC object is left behind.\n";

static int write_sysctl(const char *path, size_t value)
{
	char text[32];
	int fd, n, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "%zu\n", value);
	if (write(fd, text, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

/* RLIMIT_MSGQUEUE: room for the queues of a round trip (two channels, or
 * two raw queues) of BENCH_CAPACITY messages of the largest size, each
 * message with its frame and the kernel's bookkeeping (under 4 KiB). */
static void raise_rlimit_msgqueue(size_t max_size, char *why, size_t size)
{
	rlim_t need = (rlim_t)4 * BENCH_CAPACITY * (max_size + 4096);
	struct rlimit rl;
	size_t len = strlen(why);

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0)
		snprintf(why + len, size - len, "; could not raise RLIMIT_MSGQUEUE: %s",
			 strerror(errno));
	else
		snprintf(why + len, size - len, ", RLIMIT_MSGQUEUE raised for this run");
}

/* The limits a run needs: queues that hold BENCH_CAPACITY messages of the
 * largest size, plus a channel's header (sysv-msg: 64 bytes); each message
 * also carries its frame (common/frame.h), which the 64 and 4096 cover. */
static void raise_limits(size_t max_size, char *why, size_t size)
{
	static const struct {
		const char *path;
		int bytes;         /* 1: capacity x size (+ header); 0: one size; -1: capacity */
	} want[] = {
		{ "/proc/sys/kernel/msgmax", 0 },
		{ "/proc/sys/kernel/msgmnb", 1 },
		{ "/proc/sys/fs/mqueue/msgsize_max", 0 },
		{ "/proc/sys/fs/mqueue/msg_max", -1 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t cur = 0, need = want[i].bytes > 0 ? BENCH_CAPACITY * max_size + 4096
				     : want[i].bytes == 0 ? max_size + 64 : BENCH_CAPACITY;
		int rc;

		if (ipcmp_read_limit(want[i].path, &cur) == 0 && cur >= need)
			continue;
		if ((rc = write_sysctl(want[i].path, need)) < 0) {
			size_t len = strlen(why);
			snprintf(why + len, size - len, "; could not raise %s: %s", want[i].path + 10,
				 strerror(-rc));
		}
	}
	raise_rlimit_msgqueue(max_size, why, size);
}

/* Private IPC and mount namespaces, raised limits, a private /dev/shm.
 * Describes in `where` what was had; 1 when the IPC namespace is private. */
static int isolate(size_t max_size, char *where, size_t size)
{
	if (geteuid() != 0) {
		snprintf(where, size, "the host's IPC namespace (not root): the host's limits");
		return 0;
	}
	if (unshare(CLONE_NEWIPC) < 0) {
		snprintf(where, size, "the host's IPC namespace (unshare(CLONE_NEWIPC): %s): "
			 "the host's limits", strerror(errno));
		return 0;
	}
	snprintf(where, size, "a private IPC namespace (root), queue limits raised in it");
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0) {
		size_t len = strlen(where);
		snprintf(where + len, size - len, ", and a private /dev/shm");
	}
	raise_limits(max_size, where, size);
	return 1;
}

static void describe_limits(char *buf, size_t size)
{
	static const char *const names[] = {
		"kernel.msgmax", "kernel.msgmnb", "fs.mqueue.msg_max", "fs.mqueue.msgsize_max",
	};
	static const char *const paths[] = {
		"/proc/sys/kernel/msgmax", "/proc/sys/kernel/msgmnb",
		"/proc/sys/fs/mqueue/msg_max", "/proc/sys/fs/mqueue/msgsize_max",
	};
	struct rlimit rl;
	size_t len = 0, v;

	buf[0] = '\0';
	for (size_t i = 0; i < 4; i++) {
		if (ipcmp_read_limit(paths[i], &v) == 0)
			len += (size_t)snprintf(buf + len, size - len, "%s %zu, ", names[i], v);
		if (len >= size)
			return;
	}
	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(buf + len, size - len, "RLIMIT_MSGQUEUE %llu bytes; capacity %d asked of every transport",
			 (unsigned long long)rl.rlim_cur, BENCH_CAPACITY);
	else
		snprintf(buf + len, size - len, "RLIMIT_MSGQUEUE unlimited; capacity %d asked of every transport",
			 BENCH_CAPACITY);
}

static int parse_sizes(const char *text, struct bench_options *o)
{
	o->nsizes = 0;
	for (const char *p = text; *p != '\0';) {
		char item[24];
		size_t n = strcspn(p, ","), v;

		if (n == 0 || n >= sizeof(item) || o->nsizes == BENCH_SIZES_MAX)
			return -1;
		memcpy(item, p, n);
		item[n] = '\0';
		if (cli_number(item, (size_t)1 << 24, &v) < 0 || v < BENCH_MIN_SIZE)
			return -1;
		if (o->nsizes > 0 && v <= o->sizes[o->nsizes - 1])
			return -1;             /* ascending, for the plot */
		o->sizes[o->nsizes++] = v;
		p += n + (p[n] == ',');
	}
	return o->nsizes > 0 ? 0 : -1;
}

/*
 * Whether a census entry can be the run's. In a private IPC namespace every
 * object is. On the host, other processes make objects too: ours are the
 * POSIX names "/ipcmp.bench-PID-..." and the SysV objects under the keys of
 * the backend channels' names, or made with IPC_PRIVATE (key 0, the raw
 * loops) by our uid.
 */
static int ours(const struct ipcmp_census_entry *e, int isolated, unsigned tags)
{
	char prefix[48], name[32], key[16];

	if (isolated)
		return 1;
	if (e->id < 0) {               /* POSIX */
		snprintf(prefix, sizeof(prefix), "%sbench-%ld-", IPCMP_POSIX_PREFIX, (long)getpid());
		return strncmp(e->name, prefix, strlen(prefix)) == 0;
	}
	if (strcmp(e->name, "0x00000000") == 0)
		return e->uid == geteuid();
	for (unsigned i = 0; i <= tags; i++)
		for (int b = 0; b < 2; b++) {
			if (i < tags)
				snprintf(name, sizeof(name), "bench-%ld-%u%s", (long)getpid(), i, b ? "b" : "");
			else
				snprintf(name, sizeof(name), "bench-%ld-fit", (long)getpid());
			snprintf(key, sizeof(key), "0x%08x", (unsigned)ipcmp_sysv_key(name));
			if (strcmp(e->name, key) == 0)
				return 1;
		}
	return 0;
}

static size_t census_new(const struct ipcmp_census *before, const struct ipcmp_census *after,
			 int isolated, unsigned tags)
{
	size_t n = 0;

	for (size_t i = 0; i < after->n; i++)
		if (ipcmp_census_find(before, &after->e[i]) == NULL &&
		    ours(&after->e[i], isolated, tags)) {
			fprintf(stderr, "ipcmp: bench: left behind: %s %s (id %ld)\n", after->e[i].kind,
				after->e[i].name, after->e[i].id);
			n++;
		}
	return n;
}

enum { OPT_SIZES = 256, OPT_REPS, OPT_SECONDS, OPT_MESSAGES, OPT_ONLY, OPT_JSON, OPT_SVG,
       OPT_MARKDOWN, OPT_NOTE, OPT_LIST, OPT_MODE };

int cmd_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sizes", required_argument, NULL, OPT_SIZES },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "messages", required_argument, NULL, OPT_MESSAGES },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "markdown", no_argument, NULL, OPT_MARKDOWN },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_options o = { .sizes = { 64, 4096, 65536 }, .nsizes = 3, .reps = 5,
				   .seconds = 0.4 };
	struct ipcmp_census before = { 0 }, after = { 0 };
	struct bench_report rep;
	const char *svg = NULL, *note = NULL, *mqdir;
	char dirbuf[64], where[200];
	int c, json = 0, markdown = 0, status = 0, counted, isolated;
	unsigned tags = 0;
	size_t v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_bench, stdout);
			return 0;
		case OPT_LIST:
			bench_list(stdout);
			return 0;
		case OPT_SIZES:
			if (parse_sizes(optarg, &o) < 0)
				return cli_usage_error("bench", usage_bench,
						       "bad --sizes '%s' (ascending, at most %d, each %d..16777216)",
						       optarg, BENCH_SIZES_MAX, BENCH_MIN_SIZE);
			break;
		case OPT_REPS:
			if (cli_number(optarg, BENCH_REPS_MAX, &v) < 0 || v == 0)
				return cli_usage_error("bench", usage_bench, "bad --reps '%s' (1..%d)",
						       optarg, BENCH_REPS_MAX);
			o.reps = (int)v;
			break;
		case OPT_SECONDS: {
			char *end;
			o.seconds = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(o.seconds > 0 && o.seconds <= 600))
				return cli_usage_error("bench", usage_bench, "bad --seconds '%s' (0..600)", optarg);
			o.messages = 0;
			break;
		}
		case OPT_MESSAGES:
			if (cli_number(optarg, (size_t)1 << 40, &v) < 0 || v == 0)
				return cli_usage_error("bench", usage_bench, "bad --messages '%s'", optarg);
			o.messages = v;
			break;
		case OPT_ONLY:
			o.only = optarg;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "stream") == 0)
				o.modes = 1 << BENCH_STREAM;
			else if (strcmp(optarg, "roundtrip") == 0)
				o.modes = 1 << BENCH_ROUNDTRIP;
			else
				return cli_usage_error("bench", usage_bench,
						       "bad --mode '%s' (stream or roundtrip)", optarg);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_SVG:
			svg = optarg;
			break;
		case OPT_MARKDOWN:
			markdown = 1;
			break;
		case OPT_NOTE:
			note = optarg;
			break;
		default:
			return cli_option_error("bench", usage_bench, longopts, c, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("bench", usage_bench, "unexpected '%s'", argv[optind]);
	o.progress = isatty(STDERR_FILENO);

	isolated = isolate(o.sizes[o.nsizes - 1], where, sizeof(where));
	mqdir = cli_mqueue_view(dirbuf, sizeof(dirbuf));
	counted = ipcmp_census_take(&before, mqdir) >= 0;
	if (bench_run(&o, &rep) < 0 && rep.r == NULL) {
		status = 1;
		goto out;
	}
	tags = rep.tags;
	snprintf(rep.isolation, sizeof(rep.isolation), "%s", where);
	describe_limits(rep.limits, sizeof(rep.limits));
	if (json)
		bench_print_json(&rep, stdout);
	else if (markdown)
		bench_print_markdown(&rep, svg, note, stdout);
	else
		bench_print_table(&rep, stdout);
	if (svg != NULL && bench_write_svg(&rep, svg) < 0) {
		fprintf(stderr, "ipcmp: bench: write %s: %s\n", svg, strerror(errno));
		status = 1;
	}
	for (size_t i = 0; i < rep.n; i++)
		if (rep.r[i].error[0] != '\0') {
			fprintf(stderr, "ipcmp: bench: %s (%s, %zu B) failed: %s\n", rep.r[i].name,
				rep.r[i].mode == BENCH_STREAM ? "stream" : "round trip", rep.r[i].size,
				rep.r[i].error);
			status = 1;
		}
	bench_report_free(&rep);
out:
	if (counted && ipcmp_census_take(&after, mqdir) >= 0 && census_new(&before, &after, isolated, tags) > 0)
		status = 1;
	else if (!counted)
		fprintf(stderr, "ipcmp: bench: no census: objects left behind are not checked\n");
	else if (mqdir == NULL)
		fprintf(stderr, "ipcmp: bench: POSIX message queues are not in the census (no mqueue "
			"filesystem at /dev/mqueue, and not root to mount one)\n");
	ipcmp_census_free(&before);
	ipcmp_census_free(&after);
	cli_mqueue_unview(mqdir);
	return status;
}
