/*
 * ipcmp.c - the command line: create a channel, move stdin through it,
 * remove it, on any of the backends; and compare them.
 *
 * A channel outlives the command that made it (kernel persistence), so two
 * terminals can share one:
 *
 *   $ ipcmp create -b posix-shm jobs
 *   $ ipcmp recv -b posix-shm jobs > copy        # terminal 1: waits
 *   $ ipcmp send -b posix-shm jobs < file        # terminal 2
 *   $ ipcmp unlink -b posix-shm jobs
 *
 * Every error is one line naming the channel, the call and the reason; the
 * backends only return -errno and the failing call (ipcmp_call).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_main[] =
	"usage: ipcmp COMMAND [OPTIONS]\n"
	"\n"
	"  backends                                  list the transports, one per line\n"
	"  create -b BACKEND NAME [--msg-size N] [--capacity N] [--mode OCTAL]\n"
	"  send   -b BACKEND NAME [--timeout MS]      stdin -> messages, then end of stream\n"
	"  recv   -b BACKEND NAME [--timeout MS]      messages -> stdout until end of stream\n"
	"  unlink -b BACKEND NAME                    remove the channel's objects\n"
	"  compare [--messages N]                    the backends side by side, measured\n"
	"  census                                    the IPC objects of both families\n"
	"  clean [--dry-run]                         remove the objects ipcmp made\n"
	"  lesson [NAME] [--json]                    what shared memory does underneath, live\n"
	"\n"
	"'ipcmp COMMAND --help' describes one command.\n";

static const char usage_create[] =
	"usage: ipcmp create -b BACKEND NAME [--msg-size N] [--capacity N] [--mode OCTAL]\n"
	"Create the channel NAME (exclusively) and leave it for send and recv.\n"
	"  --msg-size N   largest message in bytes (default: the backend's)\n"
	"  --capacity N   messages the channel holds (default: the backend's)\n"
	"  --mode OCTAL   permission bits (default 0600; POSIX applies the umask)\n";

static const char usage_send[] =
	"usage: ipcmp send -b BACKEND NAME [--timeout MS]\n"
	"Read stdin and send it as messages of the channel's msg-size, then end of\n"
	"stream. Each send waits at most MS milliseconds for room (default 30000).\n";

static const char usage_recv[] =
	"usage: ipcmp recv -b BACKEND NAME [--timeout MS]\n"
	"Receive messages and write them to stdout until end of stream. Each\n"
	"receive waits at most MS milliseconds (default 30000).\n";

static const char usage_unlink[] =
	"usage: ipcmp unlink -b BACKEND NAME\n"
	"Remove every object of the channel NAME. Handles still open keep working\n"
	"on POSIX; on System V, waiting calls fail with EIDRM.\n";

static const char usage_backends[] =
	"usage: ipcmp backends\n"
	"Print the name of each transport, one per line.\n";

int cli_fail(const char *cmd, const struct ipcmp_ops *ops, const char *name, int rc)
{
	if (ipcmp_call != NULL)
		fprintf(stderr, "ipcmp: %s %s \"%s\": %s: %s\n", cmd, ops->name, name,
			ipcmp_call, ipcmp_strerror(rc));
	else
		fprintf(stderr, "ipcmp: %s %s \"%s\": %s\n", cmd, ops->name, name,
			ipcmp_strerror(rc));
	return 1;
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ipcmp: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%.*s(see 'ipcmp %s --help')\n", (int)strcspn(usage, "\n") + 1, usage, cmd);
	return 2;
}

int cli_number(const char *text, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -ERANGE;
	*out = (size_t)v;
	return 0;
}

/* What create, send, recv and unlink share: -b BACKEND NAME and options. */
struct args {
	const char *cmd;
	const char *usage;
	const struct ipcmp_ops *ops;
	const char *name;
	struct ipcmp_attr attr;
	int timeout_ms;
};

enum { OPT_MSG_SIZE = 256, OPT_CAPACITY, OPT_MODE, OPT_TIMEOUT };

/* Returns 0, or the exit code when the command should stop here. */
static int parse(struct args *a, int argc, char **argv, int allowed)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "msg-size", required_argument, NULL, OPT_MSG_SIZE },
		{ "capacity", required_argument, NULL, OPT_CAPACITY },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *backend = NULL;
	size_t v;
	int c;

	a->timeout_ms = CLI_TIMEOUT_MS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:h", longopts, NULL)) != -1) {
		if (c != 'b' && c != 'h' && c != '?' && !(allowed & (1 << (c - OPT_MSG_SIZE))))
			c = '?';
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'h':
			fputs(a->usage, stdout);
			return -1;
		case OPT_MSG_SIZE:
			if (cli_number(optarg, (size_t)1 << 30, &v) < 0 || v == 0)
				return cli_usage_error(a->cmd, a->usage, "bad --msg-size '%s'", optarg);
			a->attr.msg_max = v;
			break;
		case OPT_CAPACITY:
			if (cli_number(optarg, (size_t)1 << 30, &v) < 0 || v == 0)
				return cli_usage_error(a->cmd, a->usage, "bad --capacity '%s'", optarg);
			a->attr.capacity = v;
			break;
		case OPT_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || m > 0777)
				return cli_usage_error(a->cmd, a->usage, "bad --mode '%s' (octal, at most 0777)", optarg);
			a->attr.mode = (mode_t)m;
			break;
		}
		case OPT_TIMEOUT:
			if (cli_number(optarg, 24u * 3600 * 1000, &v) < 0)
				return cli_usage_error(a->cmd, a->usage, "bad --timeout '%s' (milliseconds)", optarg);
			a->timeout_ms = (int)v;
			break;
		default:
			return cli_usage_error(a->cmd, a->usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (backend == NULL)
		return cli_usage_error(a->cmd, a->usage, "-b BACKEND is required ('ipcmp backends' lists them)");
	if ((a->ops = ipcmp_backend(backend)) == NULL)
		return cli_usage_error(a->cmd, a->usage, "unknown backend '%s' ('ipcmp backends' lists them)", backend);
	if (optind != argc - 1)
		return cli_usage_error(a->cmd, a->usage, "one channel NAME is required");
	a->name = argv[optind];
	if (ipcmp_name_check(a->name) < 0)
		return cli_usage_error(a->cmd, a->usage,
				       "bad channel name '%s' (1 to %d of A-Z a-z 0-9 _ . -, not starting with . or -)",
				       a->name, IPCMP_NAME_MAX);
	return 0;
}

/* Names the kernel limit an attribute would break, before create tries. */
static int check_limits(const struct args *a)
{
	struct ipcmp_limits lim;
	int rc = ipcmp_limits(a->ops, &lim);

	if (rc < 0)
		return cli_fail(a->cmd, a->ops, a->name, rc);
	if (a->attr.msg_max > lim.msg_max_limit) {
		fprintf(stderr, "ipcmp: create %s \"%s\": --msg-size %zu is over the limit %zu (%s)\n",
			a->ops->name, a->name, a->attr.msg_max, lim.msg_max_limit, lim.msg_max_source);
		return 1;
	}
	if (a->attr.capacity > lim.capacity_limit) {
		fprintf(stderr, "ipcmp: create %s \"%s\": --capacity %zu is over the limit %zu (%s)\n",
			a->ops->name, a->name, a->attr.capacity, lim.capacity_limit, lim.capacity_source);
		return 1;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct args a = { .cmd = "create", .usage = usage_create };
	struct ipcmp_chan *chan;
	int rc;

	if ((rc = parse(&a, argc, argv, 7)) != 0 || (rc = check_limits(&a)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ipcmp_create(a.ops, a.name, &a.attr, &chan)) < 0)
		return cli_fail("create", a.ops, a.name, rc);
	printf("%s \"%s\": msg-size %zu, capacity %zu\n", a.ops->name, a.name,
	       chan->msg_max, chan->capacity);
	if ((rc = ipcmp_close(chan)) < 0)
		return cli_fail("create", a.ops, a.name, rc);
	return 0;
}

/* Fills buf from fd up to cap bytes; returns the count (< cap only at EOF). */
static ssize_t read_full(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens the channel in one role with a buffer of its msg_max; 0 or the exit code. */
static int open_with_buffer(const struct args *a, int role, struct ipcmp_chan **chan, char **buf)
{
	int rc;

	if ((rc = ipcmp_open(a->ops, a->name, role, chan)) < 0)
		return cli_fail(a->cmd, a->ops, a->name, rc);
	if ((*buf = malloc((*chan)->msg_max + 1)) == NULL) {
		ipcmp_close(*chan);
		return cli_fail(a->cmd, a->ops, a->name, -ENOMEM);
	}
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct args a = { .cmd = "send", .usage = usage_send };
	struct ipcmp_chan *chan;
	char *buf;
	ssize_t n;
	int rc, status = 0;

	if ((rc = parse(&a, argc, argv, 1 << (OPT_TIMEOUT - OPT_MSG_SIZE))) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = open_with_buffer(&a, IPCMP_PRODUCER, &chan, &buf)) != 0)
		return rc;
	do {
		if ((n = read_full(STDIN_FILENO, buf, chan->msg_max)) < 0) {
			fprintf(stderr, "ipcmp: send %s \"%s\": read stdin: %s\n", a.ops->name,
				a.name, strerror((int)-n));
			status = 1;
			break;
		}
		if (n > 0 && (rc = ipcmp_send(chan, buf, (size_t)n, a.timeout_ms)) < 0) {
			status = cli_fail("send", a.ops, a.name, rc);
			break;
		}
	} while ((size_t)n == chan->msg_max);
	free(buf);
	/* Closing the last producer handle is what ends the stream. */
	if ((rc = ipcmp_close(chan)) < 0 && status == 0)
		status = cli_fail("send", a.ops, a.name, rc);
	return status;
}

static int cmd_recv(int argc, char **argv)
{
	struct args a = { .cmd = "recv", .usage = usage_recv };
	struct ipcmp_chan *chan;
	char *buf;
	ssize_t n;
	int rc, status = 0;

	if ((rc = parse(&a, argc, argv, 1 << (OPT_TIMEOUT - OPT_MSG_SIZE))) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = open_with_buffer(&a, IPCMP_CONSUMER, &chan, &buf)) != 0)
		return rc;
	while ((n = ipcmp_recv(chan, buf, chan->msg_max, a.timeout_ms)) >= 0) {
		if ((rc = write_full(STDOUT_FILENO, buf, (size_t)n)) < 0) {
			fprintf(stderr, "ipcmp: recv %s \"%s\": write stdout: %s\n", a.ops->name,
				a.name, strerror(-rc));
			status = 1;
			break;
		}
	}
	if (n < 0 && n != IPCMP_EOS)
		status = cli_fail("recv", a.ops, a.name, (int)n);
	free(buf);
	ipcmp_close(chan);
	return status;
}

static int cmd_unlink(int argc, char **argv)
{
	struct args a = { .cmd = "unlink", .usage = usage_unlink };
	int rc;

	if ((rc = parse(&a, argc, argv, 0)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ipcmp_unlink(a.ops, a.name)) < 0)
		return cli_fail("unlink", a.ops, a.name, rc);
	return 0;
}

static int cmd_backends(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_backends, stdout);
		return 0;
	}
	if (argc > 1)
		return cli_usage_error("backends", usage_backends, "unexpected '%s'", argv[1]);
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++)
		printf("%s\n", ipcmp_backends[i]->name);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "backends", cmd_backends },
	{ "create", cmd_create },
	{ "send", cmd_send },
	{ "recv", cmd_recv },
	{ "unlink", cmd_unlink },
	{ "compare", cmd_compare },
	{ "census", cmd_census },
	{ "clean", cmd_clean },
	{ "lesson", cmd_lesson },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ipcmp: unknown command '%s'\n%s", argv[1], usage_main);
	return 2;
}
