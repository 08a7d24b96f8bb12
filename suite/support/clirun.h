/*
 * clirun.h - the ipcmp command run as a child of a test, with its
 * descriptors 0-2 chosen (a pipe to the test, a file, or closed), its
 * signals at their defaults, and every wait for it bounded.
 *
 * The command is $IPCMP_BIN (the Makefile's test and valgrind targets set
 * it), else build/ipcmp from the current directory. Under `make valgrind`
 * it is traced as the suite is (--trace-children), so it must be clean.
 * cli_start and cli_finish run in the test worker (they assert).
 */
#ifndef SUITE_CLIRUN_H
#define SUITE_CLIRUN_H

#include <stddef.h>
#include <sys/types.h>

#define CLI_CLOSED "<closed>"     /* a descriptor the command starts without */
#define CLI_OUT_KEEP 4096          /* bytes of stdout and stderr kept for asserts */

struct cli_spec {
	const char *in;            /* NULL: a pipe from the test; CLI_CLOSED; a path */
	const char *out;           /* NULL: a pipe to the test; CLI_CLOSED; a path */
	int set_umask;             /* 1: the command runs with umask below */
	unsigned umask;
	int set_rlimit;            /* 1: the command runs with this soft limit */
	int rlimit_resource;       /* RLIMIT_NOFILE, ... */
	unsigned long rlimit_cur;
	int as_nobody;             /* 1: the command runs as nobody (65534), its
				    * descriptors opened first; check
				    * fixture_no_nobody() before */
	int in_user_ns;            /* 1: in a user namespace of its own, as root
				    * mapped to our uid (unshare -Ur): 65534 is not
				    * mapped there; check cli_user_ns_why() before */
};

struct cli_run {
	pid_t pid;
	int in, out, err;          /* the test's ends of the pipes, or -1 */
	char outbuf[CLI_OUT_KEEP], errbuf[CLI_OUT_KEEP];   /* NUL-terminated */
	size_t out_total;          /* bytes it wrote to stdout */
	int status;                /* exit status, 1000 + signal when killed */
	const char *what;          /* "recv" and so on, for messages */
};

/* Starts `ipcmp argv[0] argv[1] ...` (argv NULL-terminated). */
void cli_start(struct cli_run *r, const struct cli_spec *spec, const char *const argv[]);
/* Closes the test's end of stdin (end of file for the command), reads its
 * output and waits for it, all within timeout_ms; kills it and fails the
 * test when it runs longer. Returns r->status. */
int cli_finish(struct cli_run *r, int timeout_ms);
/* Like cli_finish, but stdin stays open until the command has exited: for
 * a command that must end by itself (on a signal), not at end of file. */
int cli_wait_exit(struct cli_run *r, int timeout_ms);
/* cli_start, then cli_finish with fixture_wait_ms(). */
int cli_run(struct cli_run *r, const struct cli_spec *spec, const char *const argv[]);
/* Reads the command's stdout until it wrote at least want bytes (asserts,
 * within timeout_ms); what it read stays in r->outbuf. */
void cli_read_out(struct cli_run *r, size_t want, int timeout_ms);
/* Writes all of buf to the command's stdin pipe (asserts). */
void cli_feed(struct cli_run *r, const void *buf, size_t len);
void cli_close_fd(int *fd);
/* NULL when a child can make a user namespace here; else why not. */
const char *cli_user_ns_why(void);

#endif
