/* probe_util.c - what every probe shares: names, keys, errno names, bounded
 * children, waiting until a child really blocks, acting as another user. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

/* Valgrind's client requests are no-ops natively; the header is optional. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

static unsigned probe_counter;

const char *probe_posix_name(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/ipcmp.probe.%ld.%u.%s", (long)getpid(), probe_counter++, tag);
	return buf;
}

/* Keys in 0x7e000000..0x7effffff, from the pid and a counter: parallel probes
 * (the suite runs tests in parallel) do not share a key, and probes create with
 * IPC_EXCL, so a collision with a stranger's object is an error, not a mix-up. */
int probe_sysv_key(void)
{
	unsigned n = probe_counter++;

	return (int)(0x7e000000u | (((unsigned)getpid() & 0xffffu) << 8) | (n & 0xffu));
}

const char *probe_errno_name(int err)
{
	static _Thread_local char buf[24];
	const char *name;

	if (err == 0)
		return "0";
	if ((name = strerrorname_np(err)) != NULL)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

int probe_bound_ms(int native_ms)
{
	const char *v = getenv("IPCMP_VALGRIND");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0 ? native_ms * 10 : native_ms;
}

struct timespec probe_clock_after(clockid_t clock, int ms)
{
	struct timespec t;

	clock_gettime(clock, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

pid_t probe_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(PROBE_EXIT_SETUP);
		/* the last bound on a child whose parent forgets it: SIGALRM kills */
		signal(SIGALRM, SIG_DFL);
		alarm((unsigned)(probe_bound_ms(10000) / 1000));
	}
	return pid;
}

static void nap_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

int probe_reap(pid_t pid, int timeout_ms, int *status)
{
	pid_t rc;

	for (int waited = 0;; waited++) {
		rc = waitpid(pid, status, WNOHANG);
		if (rc == pid)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (waited >= timeout_ms)
			break;
		nap_ms(1);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

const char *probe_status_text(int status)
{
	static _Thread_local char buf[32];
	const char *name;

	if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, sizeof(buf), "SIG%s", name != NULL ? name : "?");
		return buf;
	}
	switch (WEXITSTATUS(status)) {
	case PROBE_EXIT_SETUP:
		return "child setup failed";
	case PROBE_EXIT_NOBODY:
		return "could not become nobody";
	default:
		return probe_errno_name(WEXITSTATUS(status));
	}
}

/* Field 3 of /proc/PID/stat, after the ")" that ends the command name. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

/* 1: blocked in nr; 0: not (yet); -1: cannot tell from /proc/PID/syscall. */
static int in_call(pid_t pid, long nr)
{
	char path[64], buf[64];
	FILE *f;
	long now;
	int ok;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	if (sscanf(buf, "%ld", &now) != 1)
		return 0;              /* "running" */
	/* a wait with a timeout that a stop interrupted resumes as restart_syscall */
	return (now == nr || now == SYS_restart_syscall) && proc_state(pid) == 'S';
}

static int ended(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

int probe_wait_in_call(pid_t pid, long nr, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited++) {
		int rc = in_call(pid, nr);

		if (rc > 0 || (rc < 0 && proc_state(pid) == 'S'))
			return 0;
		if (ended(pid))
			return -ECHILD;
		nap_ms(1);
	}
	return -ETIMEDOUT;
}

int probe_wait_state(pid_t pid, char state, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited++) {
		if (proc_state(pid) == state)
			return 0;
		if (ended(pid))
			return -ECHILD;
		nap_ms(1);
	}
	return -ETIMEDOUT;
}

int probe_become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return -errno;
	return 0;
}

int probe_other_uid(char *why, size_t size)
{
	int status = 0;
	pid_t pid;

	if (geteuid() != 0) {
		snprintf(why, size, "needs root: only root can act as another user (nobody)");
		return 0;
	}
	if ((pid = probe_fork()) < 0) {
		snprintf(why, size, "fork: %s", probe_errno_name(errno));
		return 0;
	}
	if (pid == 0)
		_exit(-probe_become_nobody());
	if (probe_reap(pid, probe_bound_ms(5000), &status) < 0 || !WIFEXITED(status)) {
		snprintf(why, size, "a child to become nobody did not end");
		return 0;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(why, size, "needs root with uid 65534 mapped: setgroups, setgid, setuid(65534): %s%s",
			 probe_errno_name(WEXITSTATUS(status)),
			 WEXITSTATUS(status) == EINVAL ? " (a user namespace without it)" : "");
		return 0;
	}
	return 1;
}

void *probe_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void probe_unshared(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

void probe_say(struct probe_obs *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->observed, sizeof(o->observed), fmt, ap);
	va_end(ap);
}

void probe_note(struct probe_obs *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof(o->detail), fmt, ap);
	va_end(ap);
}

int probe_skip(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->skip, sizeof(r->skip), fmt, ap);
	va_end(ap);
	return 1;
}

int probe_in_child(struct probe_result *r, int (*fn)(struct probe_result *), int as_nobody,
		   int timeout_ms)
{
	struct probe_result *shared = probe_shared(sizeof(*shared));
	int status = 0, rc;
	pid_t pid;

	if (shared == NULL)
		return -errno;
	memset(shared, 0, sizeof(*shared));
	if ((pid = probe_fork()) < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		if (as_nobody && (rc = probe_become_nobody()) < 0) {
			probe_skip(shared, "setuid(65534): %s", probe_errno_name(-rc));
			_exit(1);
		}
		rc = fn(shared);
		_exit(rc >= 0 ? rc : 2 + -rc);
	}
	if ((rc = probe_reap(pid, timeout_ms, &status)) < 0)
		goto out;
	*r = *shared;
	if (WIFSIGNALED(status))
		rc = -ECHILD;
	else
		rc = WEXITSTATUS(status) < 2 ? WEXITSTATUS(status) : -(WEXITSTATUS(status) - 2);
out:
	probe_unshared(shared, sizeof(*shared));
	return rc;
}

void probe_fault_expected(void)
{
#ifdef VALGRIND_DISABLE_ERROR_REPORTING
	VALGRIND_DISABLE_ERROR_REPORTING;
#endif
}
