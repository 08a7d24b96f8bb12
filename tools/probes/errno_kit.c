/* errno_kit.c - see errno_kit.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errno_kit.h"

#define NOBODY 65534

struct report {
	int result;                  /* what fn returned */
	int err;                     /* the errno of a failed setup step */
	const char *step;            /* a string literal: the same address in the child */
};

static int valgrind(void)
{
	const char *v = getenv("IPCMP_VALGRIND");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

int kit_wait_ms(void)
{
	return valgrind() ? 1000 : 250;
}

/* How long a child may take to end or to block: a bound, not a pace. */
static int child_ms(void)
{
	return valgrind() ? 60000 : 5000;
}

struct timespec kit_deadline(int ms)
{
	return probe_clock_after(CLOCK_REALTIME, ms);
}

static void tick(void)
{
	struct timespec ms = { 0, 1000000 };

	nanosleep(&ms, NULL);
}

static _Noreturn void report_exit(int fd, int result, int err, const char *step)
{
	struct report r = { result, err, step };

	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	_exit(0);
}

/* Forks; in the child (0) the read end is closed and the child dies with
 * its parent. */
static pid_t start(int fds[2])
{
	pid_t parent = getpid();
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		return 0;
	}
	close(fds[1]);
	return pid;
}

/* Waits (bounded) for the child and reads its report. */
static int collect(pid_t pid, int fd, struct report *r)
{
	int st = 0, waited = 0, limit = child_ms();
	pid_t rc;

	while ((rc = waitpid(pid, &st, WNOHANG)) == 0 && waited++ < limit)
		tick();
	if (rc == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	memset(r, 0, sizeof(*r));
	if (read(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		r->result = rc == 0 ? -ETIMEDOUT : -ECHILD;
	close(fd);
	return r->result;
}

int kit_child(int (*fn)(void *), void *arg)
{
	struct report r;
	int fds[2];
	pid_t pid = start(fds);

	if (pid < 0)
		return -errno;
	if (pid == 0)
		report_exit(fds[1], fn(arg), 0, NULL);
	return collect(pid, fds[0], &r);
}

/* SysV: root passes every permission check (CAP_IPC_OWNER); POSIX: root
 * opens every file (CAP_DAC_OVERRIDE). Only another user meets the modes. */
int kit_as_nobody(int (*fn)(void *), void *arg, char *skip, size_t size)
{
	struct report r;
	int fds[2];
	pid_t pid;

	if (geteuid() != 0) {
		snprintf(skip, size, "needs another user: only root can become nobody (%d)", NOBODY);
		return PROBE_SKIPPED;
	}
	if ((pid = start(fds)) < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(0, NULL) < 0)
			report_exit(fds[1], PROBE_SKIPPED, errno, "setgroups(0)");
		if (setgid(NOBODY) < 0)
			report_exit(fds[1], PROBE_SKIPPED, errno, "setgid(65534)");
		if (setuid(NOBODY) < 0)
			report_exit(fds[1], PROBE_SKIPPED, errno, "setuid(65534)");
		report_exit(fds[1], fn(arg), 0, NULL);
	}
	if (collect(pid, fds[0], &r) == PROBE_SKIPPED)
		snprintf(skip, size, "needs another user: cannot become nobody: %s: %s "
			 "(a user namespace without uid %d?)", r.step, strerror(r.err), NOBODY);
	return r.result;
}

/* valgrind emulates a process's own setrlimit(RLIMIT_NOFILE): it lets an
 * open() through and closes the fd afterwards, so the file is made anyway.
 * Set by the parent through prlimit, the limit is the kernel's; the parent
 * sets it once the child says it is ready (valgrind makes a pipe of its
 * own in a new child). */
int kit_child_no_fds(int (*fn)(void *), void *arg)
{
	struct rlimit rl;
	struct report r;
	int fds[2], ready[2], go[2], rc = 0;
	pid_t pid;
	char c = 'g';

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(go, O_CLOEXEC) < 0) {
		rc = -errno;
		goto close_ready;
	}
	if ((pid = start(fds)) < 0) {
		rc = -errno;
		goto close_go;
	}
	if (pid == 0) {
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			report_exit(fds[1], -EPIPE, EPIPE, "pipe");
		report_exit(fds[1], fn(arg), 0, NULL);
	}
	if (read(ready[0], &c, 1) != 1 || prlimit(pid, RLIMIT_NOFILE, NULL, &rl) < 0)
		rc = -errno;
	rl.rlim_cur = 0;
	if (rc == 0 && prlimit(pid, RLIMIT_NOFILE, &rl, NULL) < 0)
		rc = -errno;
	if (rc == 0 && write(go[1], &c, 1) != 1)
		rc = -errno;
	if (rc < 0)
		kill(pid, SIGKILL);
	collect(pid, fds[0], &r);
	if (rc == 0)
		rc = r.result;
close_go:
	close(go[0]);
	close(go[1]);
close_ready:
	close(ready[0]);
	close(ready[1]);
	return rc;
}

int kit_without_sys_resource(int (*fn)(void *), void *arg)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct report r;
	int fds[2];
	pid_t pid = start(fds);

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (syscall(SYS_capget, &head, data) < 0)
			report_exit(fds[1], -errno, errno, "capget");
		data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
		if (syscall(SYS_capset, &head, data) < 0)
			report_exit(fds[1], -errno, errno, "capset");
		report_exit(fds[1], fn(arg), 0, NULL);
	}
	return collect(pid, fds[0], &r);
}

static void on_signal(int sig)
{
	(void)sig;
}

/* The text of /proc/<pid>/<file> in buf, NUL-terminated: 0, or -1. */
static int proc_text(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* /proc/PID/syscall names the syscall of a task that is not running;
 * /proc/PID/stat shows 'S' once it sleeps interruptibly (in the wait, not
 * in a page fault). */
static int sleeps_in(pid_t pid, long nr)
{
	char buf[256], *p;
	long got;

	if (proc_text(pid, "syscall", buf, sizeof(buf)) < 0)
		return 0;
	got = strtol(buf, &p, 10);
	if (p == buf || got != nr)
		return 0;
	if (proc_text(pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'S';
}

int kit_while_blocked(const struct kit_blocked *b)
{
	struct report r;
	int fds[2], waited = 0, limit = child_ms(), rc = 0;
	pid_t pid = start(fds);

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (b->sig != 0) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_signal;
			sa.sa_flags = b->restart ? SA_RESTART : 0;
			sigemptyset(&sa.sa_mask);
			if (sigaction(b->sig, &sa, NULL) < 0)
				report_exit(fds[1], -errno, errno, "sigaction");
		}
		alarm(60);     /* a bound of its own, should the parent stall */
		report_exit(fds[1], b->call(b->arg), 0, NULL);
	}
	while (!sleeps_in(pid, b->nr) && waited++ < limit) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			break;     /* ended (or failed) before it blocked */
		tick();
	}
	if (!sleeps_in(pid, b->nr)) {
		kill(pid, SIGKILL);
		collect(pid, fds[0], &r);
		return -EAGAIN;          /* never seen blocked: the probe proves nothing */
	}
	if (b->act != NULL)
		rc = b->act(b->arg);
	if (rc == 0 && b->sig != 0 && kill(pid, b->sig) < 0)
		rc = -errno;
	if (rc < 0) {
		kill(pid, SIGKILL);
		collect(pid, fds[0], &r);
		return rc;
	}
	return collect(pid, fds[0], &r);
}

static int ns_link(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char buf[512], *p;
	long ppid = 0;

	if (proc_text(pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

/*
 * Private: not the initial IPC namespace (whose inode is fixed,
 * PROC_IPC_INIT_INO), and not the namespace of the ancestors: some
 * ancestor we may look at is in another one, so ours was made below it
 * (the suite's fixture, compare's child). pid 1's link is often closed to
 * us (ptrace rules), so it cannot be the only witness.
 */
int kit_private_ipc(char *skip, size_t size)
{
	char self[64], other[64], path[64];
	pid_t pid = getpid();
	int rc;

	if ((rc = ns_link("/proc/self/ns/ipc", self, sizeof(self))) < 0) {
		snprintf(skip, size, "needs a private IPC namespace (root): "
			 "cannot read /proc/self/ns/ipc: %s", strerror(-rc));
		return PROBE_SKIPPED;
	}
	if (strcmp(self, "ipc:[4026531839]") == 0) {
		snprintf(skip, size, "needs a private IPC namespace (root): this is the "
			 "initial one, and its limits are not ours to change");
		return PROBE_SKIPPED;
	}
	while ((pid = parent_of(pid)) > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", (long)pid);
		if (ns_link(path, other, sizeof(other)) < 0)
			break;
		if (strcmp(self, other) != 0)
			return 0;
		if (pid == 1)
			break;
	}
	snprintf(skip, size, "needs a private IPC namespace (root): this one is shared with "
		 "the processes above us, and its limits are not ours to change");
	return PROBE_SKIPPED;
}

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int kit_sysctl_set(const char *path, const char *value, char *old, size_t oldsize)
{
	char full[128], skip[PROBE_TEXT];
	int fd, rc;

	if (kit_private_ipc(skip, sizeof(skip)) != 0)
		return -EPERM;           /* never the host's limits */
	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if (old != NULL && (rc = read_text(full, old, oldsize)) < 0)
		return rc;
	if ((fd = open(full, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	rc = write(fd, value, strlen(value)) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

long kit_sysctl_long(const char *path)
{
	char full[128], buf[128];
	int rc;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if ((rc = read_text(full, buf, sizeof(buf))) < 0)
		return rc;
	return strtol(buf, NULL, 10);
}

const char *kit_long_name(char *buf, size_t size, size_t len)
{
	size_t n = strlen(probe_posix_name(buf, size, "long"));

	while (n < len + 1 && n + 1 < size)
		buf[n++] = 'x';
	buf[n] = '\0';
	return buf;
}
