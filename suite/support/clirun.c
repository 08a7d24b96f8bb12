/*
 * clirun.c - see clirun.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "clirun.h"
#include "crashkit.h"
#include "fixture.h"
#include "procinfo.h"

#define ARGS_MAX 16

void cli_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: descriptor fd becomes the pipe end, the file, or closed. */
static int child_fd(int fd, const char *spec, int pipe_end)
{
	int f;

	if (spec == NULL)
		return dup2(pipe_end, fd) < 0 ? -1 : 0;
	if (strcmp(spec, CLI_CLOSED) == 0)
		return close(fd) < 0 && errno != EBADF ? -1 : 0;
	if ((f = open(spec, fd == STDIN_FILENO ? O_RDONLY : O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	return dup2(f, fd) < 0 ? -1 : 0;
}

static int set_soft_limit(int resource, unsigned long cur)
{
	struct rlimit rl;

	if (getrlimit((__rlimit_resource_t)resource, &rl) < 0)
		return -1;
	rl.rlim_cur = cur;
	return setrlimit((__rlimit_resource_t)resource, &rl);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return rc;
}

/* In a child: a user namespace where it is root, mapped to its own uid and
 * gid, and nobody else is mapped, as `unshare -Ur` makes it. */
static int enter_user_ns(void)
{
	char uid_map[32], gid_map[32];

	snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)geteuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)getegid());
	if (unshare(CLONE_NEWUSER) < 0 || write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", uid_map) < 0 || write_file("/proc/self/gid_map", gid_map) < 0)
		return -errno;
	return 0;
}

const char *cli_user_ns_why(void)
{
	static char why[128];
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(-enter_user_ns());
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return "a child to make a user namespace failed";
	if (WEXITSTATUS(st) == 0)
		return NULL;
	snprintf(why, sizeof(why), "no user namespace here: unshare(CLONE_NEWUSER) and its maps: %s%s",
		 strerror(WEXITSTATUS(st)), WEXITSTATUS(st) == EPERM ? " (a chroot?)" : "");
	return why;
}

/* In the child: no cr_* call; what fails is exit status 126 or 127. */
static _Noreturn void child(const char *path, const struct cli_spec *spec,
			    const char *const argv[], const int in[2], const int out[2],
			    const int err[2])
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE };
	char *args[ARGS_MAX + 2];
	sigset_t none;
	size_t n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Criterion's worker may ignore or block some; the command must see
	 * them as a shell's foreground job does. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (spec->set_umask)
		umask((mode_t)spec->umask);
	if (spec->set_rlimit && set_soft_limit(spec->rlimit_resource, spec->rlimit_cur) < 0)
		_exit(126);
	if (dup2(err[1], STDERR_FILENO) < 0 || child_fd(STDIN_FILENO, spec->in, in[0]) < 0 ||
	    child_fd(STDOUT_FILENO, spec->out, out[1]) < 0)
		_exit(126);
	if (spec->as_nobody && drop_to_nobody() < 0)
		_exit(126);
	if (spec->in_user_ns && enter_user_ns() < 0)
		_exit(126);
	prctl(PR_SET_PDEATHSIG, SIGKILL);  /* new credentials cleared it */
	args[n++] = (char *)path;
	for (size_t i = 0; argv[i] != NULL && n <= ARGS_MAX; i++)
		args[n++] = (char *)argv[i];
	args[n] = NULL;
	execv(path, args);
	_exit(127);
}

void cli_start(struct cli_run *r, const struct cli_spec *spec, const char *const argv[])
{
	static const struct cli_spec plain;
	const char *path = kit_ipcmp_path();
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };

	if (spec == NULL)
		spec = &plain;
	memset(r, 0, sizeof(*r));
	r->what = argv[0];
	r->status = -1;
	if (access(path, X_OK) < 0)
		cr_fatal("cli %s: %s: %s (build it: make build/ipcmp; or set IPCMP_BIN)", argv[0],
			 path, strerror(errno));
	if ((spec->in == NULL && pipe2(in, O_CLOEXEC) < 0) ||
	    (spec->out == NULL && pipe2(out, O_CLOEXEC) < 0) || pipe2(err, O_CLOEXEC) < 0)
		cr_fatal("cli %s: pipe: %s", argv[0], strerror(errno));
	if ((r->pid = fork()) < 0)
		cr_fatal("cli %s: fork: %s", argv[0], strerror(errno));
	if (r->pid == 0)
		child(path, spec, argv, in, out, err);
	cli_close_fd(&in[0]);
	cli_close_fd(&out[1]);
	cli_close_fd(&err[1]);
	r->in = in[1];
	r->out = out[0];
	r->err = err[0];
}

void cli_feed(struct cli_run *r, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(r->in, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			cr_fatal("cli %s: write its stdin: %s", r->what, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there into buf (kept up to its size, counted in *total). */
static void drain(int *fd, char *buf, size_t *kept, size_t *total)
{
	char sink[4096];
	char *dst = *kept + 1 < CLI_OUT_KEEP ? buf + *kept : sink;
	size_t room = *kept + 1 < CLI_OUT_KEEP ? CLI_OUT_KEEP - 1 - *kept : sizeof(sink);
	ssize_t n = read(*fd, dst, room);

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		cli_close_fd(fd);
		return;
	}
	if (total != NULL)
		*total += (size_t)n;
	if (dst != sink) {
		*kept += (size_t)n;
		buf[*kept] = '\0';
	}
}

static _Noreturn void overdue(struct cli_run *r, int timeout_ms)
{
	int st;

	size_t kept = strlen(r->errbuf), total = 0;

	kill(r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	while (r->err >= 0)                /* its writer is dead: no read blocks */
		drain(&r->err, r->errbuf, &kept, &total);
	cli_close_fd(&r->out);
	cr_fatal("cli %s: still running after %d ms (killed); its stderr: %s", r->what,
		 timeout_ms, r->errbuf);
}

static int collect(struct cli_run *r, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	size_t out_kept = strlen(r->outbuf), err_kept = strlen(r->errbuf), err_total = 0;
	int st;
	pid_t rc;

	while (r->out >= 0 || r->err >= 0) {
		struct pollfd p[2] = { { .fd = r->out, .events = POLLIN },
				       { .fd = r->err, .events = POLLIN } };
		long left = deadline - now_ms();

		if (left <= 0)
			overdue(r, timeout_ms);
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			cr_fatal("cli %s: poll: %s", r->what, strerror(errno));
		if (p[0].revents != 0)
			drain(&r->out, r->outbuf, &out_kept, &r->out_total);
		if (p[1].revents != 0)
			drain(&r->err, r->errbuf, &err_kept, &err_total);
	}
	while ((rc = waitpid(r->pid, &st, WNOHANG)) == 0) {
		struct timespec tick = { 0, 1000000 };

		if (now_ms() > deadline)
			overdue(r, timeout_ms);
		nanosleep(&tick, NULL);
	}
	if (rc < 0)
		cr_fatal("cli %s: waitpid: %s", r->what, strerror(errno));
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
	return r->status;
}

int cli_finish(struct cli_run *r, int timeout_ms)
{
	cli_close_fd(&r->in);
	return collect(r, timeout_ms);
}

int cli_wait_exit(struct cli_run *r, int timeout_ms)
{
	int status = collect(r, timeout_ms);

	cli_close_fd(&r->in);
	return status;
}

void cli_read_out(struct cli_run *r, size_t want, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	size_t kept = strlen(r->outbuf);

	while (r->out_total < want) {
		struct pollfd p = { .fd = r->out, .events = POLLIN };
		long left = deadline - now_ms();

		if (r->out < 0)
			cr_fatal("cli %s: stdout ended after %zu bytes, not %zu; its stderr: %s",
				 r->what, r->out_total, want, r->errbuf);
		if (left <= 0)
			overdue(r, timeout_ms);
		if (poll(&p, 1, (int)left) > 0)
			drain(&r->out, r->outbuf, &kept, &r->out_total);
	}
}

int cli_run(struct cli_run *r, const struct cli_spec *spec, const char *const argv[])
{
	cli_start(r, spec, argv);
	return cli_finish(r, fixture_wait_ms());
}
