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
 *
 * A stream ends (consumers see end of stream) only when send read all of
 * stdin and sent it; a send that fails, or is interrupted by SIGINT,
 * SIGTERM or SIGPIPE, aborts it (ipcmp_abort). Interrupted, send and recv
 * exit 128 + the signal's number, as a shell reports a killed command.
 */
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char usage_main[] =
	"usage: ipcmp COMMAND [OPTIONS]\n"
	"\n"
	"  backends                                  list the transports, one per line\n"
	"  create -b BACKEND NAME [--msg-size N] [--capacity N] [--mode OCTAL]\n"
	"  send   -b BACKEND NAME [--timeout MS] [--no-checksum]\n"
	"                                            stdin -> messages, then end of stream\n"
	"  recv   -b BACKEND NAME [--timeout MS]      messages -> stdout until end of stream\n"
	"  unlink -b BACKEND NAME                    remove the channel's objects\n"
	"  compare [--only LIST] [--no-speed] [--markdown|--json]\n"
	"                                            System V and POSIX side by side, observed\n"
	"  census                                    the IPC objects of both families\n"
	"  clean [--dry-run]                         remove the objects ipcmp made\n"
	"  bench [--sizes LIST] [--reps N] [--json]  backends beside raw loops and floors, measured\n"
	"  lesson [NAME] [--json]                    what shared memory does underneath, live\n"
	"  soak [--messages N] [--seed S]            kill and restart producers and consumers, check\n"
	"\n"
	"'ipcmp COMMAND --help' describes one command.\n";

static const char usage_create[] =
	"usage: ipcmp create -b BACKEND NAME [--msg-size N] [--capacity N] [--mode OCTAL]\n"
	"Create the channel NAME (exclusively) and leave it for send and recv.\n"
	"  --msg-size N   largest message in bytes (default: the backend's)\n"
	"  --capacity N   messages the channel holds (default: the backend's)\n"
	"  --mode OCTAL   permission bits, exactly: the umask is not applied on either\n"
	"                 family (default 0600). A mode without u+rw (0000, 0400) is\n"
	"                 refused: as a plain user its owner could not use the channel\n"
	"                 (System V refuses the create itself, shmat or semctl: EACCES;\n"
	"                 POSIX creates it, then refuses every open: EACCES).\n";

static const char usage_send[] =
	"usage: ipcmp send -b BACKEND NAME [--timeout MS] [--no-checksum]\n"
	"Read stdin and send it as messages of the channel's msg-size, then end of\n"
	"stream. Each send waits at most MS milliseconds for room (default 30000).\n"
	"Each message carries a checksum that recv checks, so a message rewritten\n"
	"in the channel is an error, not data (IPCMP_CHECKSUM); --no-checksum\n"
	"leaves it out (a lost, repeated or reordered message is caught either way).\n"
	"A send that fails (timeout, read error, stdin closed) aborts the stream\n"
	"instead and exits 1; SIGINT, SIGTERM or SIGPIPE abort it and exit 128 + the\n"
	"signal's number.\n";

static const char usage_recv[] =
	"usage: ipcmp recv -b BACKEND NAME [--timeout MS]\n"
	"Receive messages and write them to stdout until end of stream. Each\n"
	"receive waits at most MS milliseconds (default 30000). Exits 0 only at end\n"
	"of stream with every message written; 1 on an error (an aborted stream, a\n"
	"corrupt message: a checksum or sequence number that does not match, a\n"
	"failed write, stdout closed); 128 + the signal's number on SIGINT, SIGTERM\n"
	"or SIGPIPE.\n";

static const char usage_unlink[] =
	"usage: ipcmp unlink -b BACKEND NAME\n"
	"Remove every object of the channel NAME. Handles still open keep working\n"
	"on POSIX; on System V, waiting calls fail with EIDRM.\n";

static const char usage_backends[] =
	"usage: ipcmp backends\n"
	"Print the name of each transport, one per line.\n";

int cli_fail(const char *cmd, const struct ipcmp_ops *ops, const char *name, int rc)
{
	char limit[160];

	if (ipcmp_call != NULL && limit_behind(ipcmp_call, -rc, limit, sizeof(limit)) != NULL)
		fprintf(stderr, "ipcmp: %s %s \"%s\": %s: %s (over a limit: %s)\n",
			cmd, ops->name, name, ipcmp_call, ipcmp_strerror(rc), limit);
	else if (ipcmp_call != NULL)
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

static const struct option *long_option(const struct option *longopts, int val)
{
	for (; longopts->name != NULL; longopts++)
		if (longopts->val == val)
			return longopts;
	return NULL;
}

/* What getopt_long's caller has: the element it just read is argv[optind - 1]
 * (for a short option inside a cluster, "-xy", an earlier one: then it is
 * not a long one, which is all that is asked of it here). */
static const char *last_arg(int argc, char **argv)
{
	return optind >= 1 && optind <= argc ? argv[optind - 1] : "";
}

const char *cli_option_name(const struct option *longopts, int c, int argc, char **argv)
{
	static char name[64];
	const struct option *o = long_option(longopts, c);
	const char *arg = last_arg(argc, argv);

	if (optarg != NULL && arg == optarg && optind >= 2)
		arg = argv[optind - 2];    /* "--seconds 0": the option is before its argument */
	if (strncmp(arg, "--", 2) == 0 && o != NULL)
		snprintf(name, sizeof(name), "--%s", o->name);
	else if (c > 0 && c < 256 && isgraph(c))
		snprintf(name, sizeof(name), "-%c", c);
	else if (o != NULL)
		snprintf(name, sizeof(name), "--%s", o->name);
	else
		snprintf(name, sizeof(name), "?");
	return name;
}

/* The word after the option in the usage ("--mode OCTAL" gives OCTAL). */
static int usage_argname(const char *usage, const char *opt, char *buf, size_t size)
{
	size_t len = strlen(opt), n;
	const char *p;

	for (p = strstr(usage, opt); p != NULL; p = strstr(p + 1, opt))
		if ((p == usage || p[-1] == ' ' || p[-1] == '[') && p[len] == ' ' &&
		    isupper((unsigned char)p[len + 1])) {
			p += len + 1;
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
			snprintf(buf, size, "%.*s", (int)n, p);
			return 1;
		}
	return 0;
}

int cli_option_error(const char *cmd, const char *usage, const struct option *longopts,
		     int c, int argc, char **argv)
{
	const char *arg = last_arg(argc, argv);
	char text[64], argname[32];
	const struct option *o;
	int matches = 0;

	if (c == ':') {
		const char *name = cli_option_name(longopts, optopt, argc, argv);
		char shortname[4];

		snprintf(shortname, sizeof(shortname), "-%c", optopt > 0 && optopt < 256 ? optopt : '?');
		if (usage_argname(usage, name, argname, sizeof(argname)) ||
		    usage_argname(usage, shortname, argname, sizeof(argname)))
			return cli_usage_error(cmd, usage, "option '%s' needs an argument (%s)",
					       name, argname);
		return cli_usage_error(cmd, usage, "option '%s' needs an argument", name);
	}
	if (strncmp(arg, "--", 2) != 0 || (optopt > 0 && optopt < 256 && strchr(arg, '=') == NULL))
		return cli_usage_error(cmd, usage, "unknown option '-%c'", optopt > 0 ? optopt : '?');
	snprintf(text, sizeof(text), "%.*s", (int)strcspn(arg, "="), arg);
	if (optopt != 0 && (o = long_option(longopts, optopt)) != NULL && o->has_arg == no_argument)
		return cli_usage_error(cmd, usage, "option '--%s' takes no argument", o->name);
	for (o = longopts; o->name != NULL; o++)
		matches += strncmp(o->name, text + 2, strlen(text + 2)) == 0;
	if (matches > 1)
		return cli_usage_error(cmd, usage, "option '%s' is ambiguous", text);
	return cli_usage_error(cmd, usage, "unknown option '%s'", text);
}

/* What create, send, recv and unlink share: -b BACKEND NAME and options. */
struct args {
	const char *cmd;
	const char *usage;
	const struct ipcmp_ops *ops;
	const char *name;
	struct ipcmp_attr attr;
	int mode_given;
	int timeout_ms;
	int flags;                 /* send: IPCMP_CHECKSUM unless --no-checksum */
};

enum { OPT_MSG_SIZE = 256, OPT_CAPACITY, OPT_MODE, OPT_TIMEOUT, OPT_NO_CHECKSUM };
#define ALLOW(opt) (1 << ((opt) - OPT_MSG_SIZE))

#define SIZE_OPT_MAX ((size_t)1 << 30)
#define TIMEOUT_OPT_MAX (24u * 3600 * 1000)

/* Returns 0, or the exit code when the command should stop here (-1: --help). */
static int parse(struct args *a, int argc, char **argv, int allowed)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "msg-size", required_argument, NULL, OPT_MSG_SIZE },
		{ "capacity", required_argument, NULL, OPT_CAPACITY },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "no-checksum", no_argument, NULL, OPT_NO_CHECKSUM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *backend = NULL;
	size_t v;
	int c;

	a->timeout_ms = CLI_TIMEOUT_MS;
	a->flags = IPCMP_CHECKSUM;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:h", longopts, NULL)) != -1) {
		int opt = c == ':' ? optopt : c;

		if (opt >= OPT_MSG_SIZE && !(allowed & ALLOW(opt)))
			return cli_usage_error(a->cmd, a->usage, "option '%s' is not an option of %s",
					       cli_option_name(longopts, opt, argc, argv), a->cmd);
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'h':
			fputs(a->usage, stdout);
			return -1;
		case OPT_MSG_SIZE:
			if (cli_number(optarg, SIZE_OPT_MAX, &v) < 0 || v == 0)
				return cli_usage_error(a->cmd, a->usage,
						       "option '--msg-size' needs bytes from 1 to %zu, not '%s'",
						       SIZE_OPT_MAX, optarg);
			a->attr.msg_max = v;
			break;
		case OPT_CAPACITY:
			if (cli_number(optarg, SIZE_OPT_MAX, &v) < 0 || v == 0)
				return cli_usage_error(a->cmd, a->usage,
						       "option '--capacity' needs messages from 1 to %zu, not '%s'",
						       SIZE_OPT_MAX, optarg);
			a->attr.capacity = v;
			break;
		case OPT_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (optarg[0] < '0' || optarg[0] > '7' || *end != '\0' || m > 0777)
				return cli_usage_error(a->cmd, a->usage,
						       "option '--mode' needs octal permission bits from 0 to 0777, not '%s'",
						       optarg);
			a->attr.mode = (mode_t)m;
			a->mode_given = 1;
			break;
		}
		case OPT_TIMEOUT:
			if (cli_number(optarg, TIMEOUT_OPT_MAX, &v) < 0)
				return cli_usage_error(a->cmd, a->usage,
						       "option '--timeout' needs milliseconds from 0 to %u, not '%s'",
						       TIMEOUT_OPT_MAX, optarg);
			a->timeout_ms = (int)v;
			break;
		case OPT_NO_CHECKSUM:
			a->flags &= ~IPCMP_CHECKSUM;
			break;
		default:
			return cli_option_error(a->cmd, a->usage, longopts, c, argc, argv);
		}
	}
	if (backend == NULL)
		return cli_usage_error(a->cmd, a->usage, "option '-b BACKEND' is required ('ipcmp backends' lists them)");
	if ((a->ops = ipcmp_backend(backend)) == NULL)
		return cli_usage_error(a->cmd, a->usage, "unknown backend '%s' ('ipcmp backends' lists them)", backend);
	if (optind == argc)
		return cli_usage_error(a->cmd, a->usage, "the channel NAME is missing");
	if (optind < argc - 1)
		return cli_usage_error(a->cmd, a->usage, "unexpected '%s' after the channel NAME '%s'",
				       argv[optind + 1], argv[optind]);
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

/* A mode the owner cannot read and write leaves the channel unusable for
 * him, as a plain user, on both families (checked on Linux 6.1, uid 65534):
 * SysV: create itself fails, shmat or semctl(SETALL) give EACCES, since
 * the kernel checks the mode at every operation, the creator's too;
 * POSIX: create succeeds (the opening that creates is not checked), and
 * every later open, send's and recv's, gives EACCES. Root would get past
 * both (CAP_IPC_OWNER, CAP_DAC_OVERRIDE), which hides the mistake. */
static int check_mode(const struct args *a)
{
	if (!a->mode_given || (a->attr.mode & 0600) == 0600)
		return 0;
	return cli_usage_error(a->cmd, a->usage,
			       "option '--mode' %04o leaves the owner without read and write (u+rw): "
			       "a plain user could not use the channel (System V: create fails; "
			       "POSIX: send and recv fail to open it; EACCES)",
			       (unsigned)a->attr.mode);
}

static int cmd_create(int argc, char **argv)
{
	struct args a = { .cmd = "create", .usage = usage_create };
	struct ipcmp_chan *chan;
	mode_t umask_was;
	int rc;

	if ((rc = parse(&a, argc, argv, ALLOW(OPT_MSG_SIZE) | ALLOW(OPT_CAPACITY) | ALLOW(OPT_MODE))) != 0 ||
	    (rc = check_mode(&a)) != 0 || (rc = check_limits(&a)) != 0)
		return rc < 0 ? 0 : rc;
	/* POSIX: the umask applies to shm_open, sem_open and mq_open modes;
	 * SysV: it does not. Cleared here, the mode is what was asked on both. */
	umask_was = umask(0);
	rc = ipcmp_create(a.ops, a.name, &a.attr, &chan);
	umask(umask_was);
	if (rc < 0)
		return cli_fail("create", a.ops, a.name, rc);
	printf("%s \"%s\": msg-size %zu, capacity %zu\n", a.ops->name, a.name,
	       chan->msg_max, chan->capacity);
	if ((rc = ipcmp_close(chan)) < 0)
		return cli_fail("create", a.ops, a.name, rc);
	return 0;
}

/* Opens the channel in one role with a buffer of its msg_max; 0 or the exit code. */
static int open_with_buffer(const struct args *a, int role, struct ipcmp_chan **chan, char **buf)
{
	int rc;

	if ((rc = ipcmp_open(a->ops, a->name, role, chan)) < 0)
		return cli_fail(a->cmd, a->ops, a->name, rc);
	if ((*buf = malloc((*chan)->msg_max + 1)) == NULL) {
		ipcmp_abort(*chan);
		return cli_fail(a->cmd, a->ops, a->name, -ENOMEM);
	}
	return 0;
}

/* "ipcmp: CMD BACKEND "NAME": WHAT: REASON"; returns 1. */
static int stream_fail(const struct args *a, const char *what, int rc)
{
	fprintf(stderr, "ipcmp: %s %s \"%s\": %s: %s\n", a->cmd, a->ops->name, a->name, what,
		ipcmp_strerror(rc));
	return 1;
}

/* Interrupted: 128 + the signal, as a shell reports a command it killed.
 * SIGPIPE is what `ipcmp recv | head` ends with: said by the status only. */
static int stream_interrupted(const struct args *a, int sig, const char *outcome)
{
	if (sig != SIGPIPE)
		fprintf(stderr, "ipcmp: %s %s \"%s\": %s: %s\n", a->cmd, a->ops->name, a->name,
			strsignal(sig), outcome);
	return 128 + sig;
}

static int cmd_send(int argc, char **argv)
{
	struct args a = { .cmd = "send", .usage = usage_send };
	struct ipcmp_chan *chan;
	char *buf;
	ssize_t n = 0;
	int rc, sig, status = 0;

	if ((rc = parse(&a, argc, argv, ALLOW(OPT_TIMEOUT) | ALLOW(OPT_NO_CHECKSUM))) != 0)
		return rc < 0 ? 0 : rc;
	cli_catch_signals();
	cli_catch_damage(a.ops->name, a.name);
	if ((rc = open_with_buffer(&a, IPCMP_PRODUCER | a.flags, &chan, &buf)) != 0)
		return rc;
	if (cli_stdio_closed(STDIN_FILENO)) {
		fprintf(stderr, "ipcmp: send %s \"%s\": stdin is closed\n", a.ops->name, a.name);
		status = 1;
	}
	while (status == 0 && !cli_caught()) {
		if ((n = cli_read_full(STDIN_FILENO, buf, chan->msg_max)) < 0) {
			if (n != -EINTR)
				status = stream_fail(&a, "read stdin", (int)n);
			break;
		}
		if (n > 0 && (rc = cli_send(chan, buf, (size_t)n, a.timeout_ms)) < 0) {
			if (rc != -EINTR)
				status = cli_fail("send", a.ops, a.name, rc);
			break;
		}
		if ((size_t)n < chan->msg_max)
			break;                 /* end of stdin, all sent */
	}
	free(buf);
	if (status == 0 && (sig = cli_caught()) != 0)
		status = stream_interrupted(&a, sig, "stream aborted");
	/* Closing the last producer handle is what ends the stream: only a
	 * send that sent all of stdin may; any other aborts it. */
	if (status != 0) {
		ipcmp_abort(chan);
		return status;
	}
	if ((rc = ipcmp_close(chan)) < 0)
		return cli_fail("send", a.ops, a.name, rc);
	return 0;
}

static int cmd_recv(int argc, char **argv)
{
	struct args a = { .cmd = "recv", .usage = usage_recv };
	struct ipcmp_chan *chan;
	char *buf;
	ssize_t n = 0;
	int rc, sig, status = 0;

	if ((rc = parse(&a, argc, argv, ALLOW(OPT_TIMEOUT))) != 0)
		return rc < 0 ? 0 : rc;
	/* before the channel is opened: not a message is taken from it */
	if (cli_stdio_closed(STDOUT_FILENO)) {
		fprintf(stderr, "ipcmp: recv %s \"%s\": stdout is closed\n", a.ops->name, a.name);
		return 1;
	}
	cli_catch_signals();
	cli_catch_damage(a.ops->name, a.name);
	if ((rc = open_with_buffer(&a, IPCMP_CONSUMER, &chan, &buf)) != 0)
		return rc;
	while (!cli_caught() && (n = cli_recv(chan, buf, chan->msg_max, a.timeout_ms)) >= 0) {
		if ((rc = cli_write_full(STDOUT_FILENO, buf, (size_t)n)) < 0) {
			if (rc != -EINTR)
				status = stream_fail(&a, "write stdout", rc);
			break;
		}
	}
	if (status == 0 && n < 0 && n != IPCMP_EOS && n != -EINTR)
		status = cli_fail("recv", a.ops, a.name, (int)n);
	free(buf);
	ipcmp_close(chan);
	if (status == 0 && (sig = cli_caught()) != 0)
		status = stream_interrupted(&a, sig, "stopped receiving");
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
	if (rc == IPCMP_DAMAGED)
		printf("removed %s \"%s\", a damaged channel (a part was missing or overwritten)\n",
		       a.ops->name, a.name);
	return 0;
}

static int cmd_backends(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_backends, stdout);
		return 0;
	}
	if (argc > 1 && argv[1][0] == '-')
		return cli_usage_error("backends", usage_backends, "unknown option '%s'", argv[1]);
	if (argc > 1)
		return cli_usage_error("backends", usage_backends, "unexpected '%s' (backends takes no NAME)",
				       argv[1]);
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
	{ "bench", cmd_bench },
	{ "lesson", cmd_lesson },
	{ "soak", cmd_soak },
};

/* The command's status, or 1 when what it printed could not be written. */
static int finish(const char *cmd, int status)
{
	if (cli_close_stdout(cmd) < 0 && status == 0)
		return 1;
	return status;
}

int main(int argc, char **argv)
{
	int rc;

	if ((rc = cli_reserve_stdio()) < 0) {
		fprintf(stderr, "ipcmp: descriptors 0-2: open /dev/null to hold a closed one: %s\n",
			strerror(-rc));
		return 1;
	}
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return finish("help", 0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return finish(argv[1], commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "ipcmp: unknown command '%s'\n%s", argv[1], usage_main);
	return 2;
}
