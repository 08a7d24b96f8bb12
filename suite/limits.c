/*
 * limits.c - each kernel limit a channel can run into, exhausted inside the
 * test's private IPC namespace: create fails with the error the kernel
 * gives (the man pages' and the kernel's, not the library's idea of it),
 * ipcmp_call names the call, `ipcmp create` names the limit, and nothing
 * is left behind.
 *
 * The IPC sysctls (kernel.shm*, kernel.sem, kernel.msg*, fs.mqueue.*) are
 * per IPC namespace: they are lowered only in the test's own, which dies
 * with the test; a test that is not isolated skips. Resource limits are
 * lowered in a child (setrlimit), /dev/shm is the test's private tmpfs,
 * remounted small.
 *
 *   $ ./build/suite --filter 'sysv_shm/limits_exhausted' --verbose
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backends.h"
#include "clirun.h"
#include "errno_kit.h"

#define DEVSHM_FILLER "/dev/shm/filler"
#define DEVSHM_SIZE "64k"

enum lower { SYSCTL, RLIM, DEVSHM_FULL };

struct exhaustion {
	const char *limit;         /* the name `ipcmp create` must print */
	enum lower lower;
	const char *sysctl;        /* SYSCTL: under /proc/sys, and the value written */
	const char *value;
	int resource;              /* RLIM: the resource and its soft limit */
	unsigned long cur;
	const char *capacity;      /* --capacity of the create (NULL: default) */
	int err;                   /* what create returns (-err) */
	const char *call;          /* ipcmp_call, up to its first " (" */
};

/* SysV: the kernel.sem fields are SEMMSL SEMMNS SEMOPM SEMMNI; each
 * channel needs one set of a few semaphores (semget(2): EINVAL for nsems >
 * SEMMSL, ENOSPC for SEMMNS or SEMMNI). shmget(2): ENOSPC for SHMMNI or
 * SHMALL. msgget(2): ENOSPC for MSGMNI. */
static const struct exhaustion shmmni = {
	"kernel.shmmni", SYSCTL, "kernel/shmmni", "0", 0, 0, NULL, ENOSPC, "shmget" };
static const struct exhaustion shmall = {
	"kernel.shmall", SYSCTL, "kernel/shmall", "0", 0, 0, NULL, ENOSPC, "shmget" };
static const struct exhaustion semmni = {
	"kernel.sem SEMMNI", SYSCTL, "kernel/sem", "32000 1024000000 500 0", 0, 0, NULL, ENOSPC,
	"semget" };
static const struct exhaustion semmns = {
	"kernel.sem SEMMNS", SYSCTL, "kernel/sem", "32000 1 500 32000", 0, 0, NULL, ENOSPC,
	"semget" };
static const struct exhaustion semmsl = {
	"kernel.sem SEMMSL", SYSCTL, "kernel/sem", "1 1024000000 500 32000", 0, 0, NULL, EINVAL,
	"semget" };
static const struct exhaustion msgmni = {
	"kernel.msgmni", SYSCTL, "kernel/msgmni", "0", 0, 0, NULL, ENOSPC, "msgget" };
/* The library checks msgmnb itself (a queue that holds no message is no
 * channel): its own error, which names the limit as the call. */
static const struct exhaustion msgmnb = {
	"kernel.msgmnb", SYSCTL, "kernel/msgmnb", "8", 0, 0, NULL, ENOSPC, "kernel.msgmnb" };
/* mq_open(3): ENOSPC at queues_max (mq_overview(7): unless the caller has
 * CAP_SYS_RESOURCE); EINVAL for mq_maxmsg > msg_max likewise. msg_max is
 * what limits() reads, so the library refuses first (its own -EINVAL) and
 * the CLI says "over the limit". */
static const struct exhaustion queues_max = {
	"fs.mqueue.queues_max", SYSCTL, "fs/mqueue/queues_max", "0", 0, 0, NULL, ENOSPC, "mq_open" };
static const struct exhaustion msg_max = {
	"fs.mqueue.msg_max", SYSCTL, "fs/mqueue/msg_max", "1", 0, 0, "2", EINVAL, NULL };
/* RLIMIT_MSGQUEUE below one channel's bytes: the library sees it before
 * the kernel does (mq_open(3) would give EMFILE) and refuses the size, as
 * for any attribute over a limit: -EINVAL, the call naming the limit. */
static const struct exhaustion msgqueue = {
	"RLIMIT_MSGQUEUE", RLIM, NULL, NULL, RLIMIT_MSGQUEUE, 512, NULL, EINVAL, "RLIMIT_MSGQUEUE" };
/* open(2), shm_open(3): EMFILE at RLIMIT_NOFILE; 3: only 0-2 fit. The
 * first descriptor posix-mq needs is a /proc/sys file (its limits). */
static const struct exhaustion nofile_shm = {
	"RLIMIT_NOFILE", RLIM, NULL, NULL, RLIMIT_NOFILE, 3, NULL, EMFILE, "shm_open" };
static const struct exhaustion nofile_mq = {
	"RLIMIT_NOFILE", RLIM, NULL, NULL, RLIMIT_NOFILE, 3, NULL, EMFILE, "open" };
/* posix_fallocate(3): ENOSPC on a full tmpfs. */
static const struct exhaustion devshm = {
	"/dev/shm size", DEVSHM_FULL, NULL, NULL, 0, 0, NULL, ENOSPC, "posix_fallocate" };

/* Fills the test's private /dev/shm, remounted to DEVSHM_SIZE. */
static void devshm_fill(const struct ipcmp_ops *ops)
{
	static const char zeros[4096];
	int fd;

	if (mount("none", "/dev/shm", "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV,
		  "size=" DEVSHM_SIZE ",mode=1777") < 0)
		cr_fatal("%s: remount the test's /dev/shm with size=" DEVSHM_SIZE ": %s", ops->name,
			 strerror(errno));
	if ((fd = open(DEVSHM_FILLER, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		cr_fatal("%s: create " DEVSHM_FILLER ": %s", ops->name, strerror(errno));
	while (write(fd, zeros, sizeof(zeros)) > 0)
		;
	close(fd);
}

/* The limit lowered in this process (old: the sysctl's text before, for
 * restore); NULL, or the reason it cannot be. */
static const char *lower(const struct exhaustion *x, const struct ipcmp_ops *ops, char *old,
			 size_t oldsize)
{
	static char why[160];
	int rc;

	switch (x->lower) {
	case SYSCTL:
		if ((rc = kit_sysctl_set(x->sysctl, x->value, old, oldsize)) < 0) {
			snprintf(why, sizeof(why), "cannot write /proc/sys/%s in this IPC namespace: %s",
				 x->sysctl, strerror(-rc));
			return why;
		}
		return NULL;
	case DEVSHM_FULL:
		devshm_fill(ops);
		return NULL;
	case RLIM:
		return NULL;               /* in the child (create_fails) */
	}
	return NULL;
}

/* The next row runs with every limit as it was. */
static void restore(const struct exhaustion *x, const struct ipcmp_ops *ops, const char *old)
{
	int rc;

	if (x->lower == SYSCTL && (rc = kit_sysctl_set(x->sysctl, old, NULL, 0)) < 0)
		cr_fatal("%s: restore /proc/sys/%s to %s: %s", ops->name, x->sysctl, old,
			 strerror(-rc));
	if (x->lower == DEVSHM_FULL) {
		unlink(DEVSHM_FILLER);
		if (mount("none", "/dev/shm", "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV,
			  "size=50%,mode=1777") < 0)
			cr_fatal("%s: remount the test's /dev/shm at its usual size: %s", ops->name,
				 strerror(errno));
	}
}

static void attr_of(const struct exhaustion *x, struct ipcmp_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->capacity = x->capacity != NULL ? strtoul(x->capacity, NULL, 10) : 0;
}

static int call_is(const char *call, const char *want)
{
	if (want == NULL || call == NULL)
		return want == call;
	return strncmp(call, want, strlen(want)) == 0 &&
	       (call[strlen(want)] == '\0' || call[strlen(want)] == ' ');
}

/* In a child, under the resource limit: create must fail as x says. */
static void create_fails_in_child(const struct exhaustion *x, const struct ipcmp_ops *ops,
				  const char *name)
{
	struct ipcmp_attr attr;
	struct ipcmp_chan *c = NULL;
	struct rlimit rl;
	pid_t pid;
	int rc;

	attr_of(x, &attr);
	if ((pid = child_start(0)) == 0) {
		if (getrlimit((__rlimit_resource_t)x->resource, &rl) < 0)
			child_failf("getrlimit: %s", strerror(errno));
		rl.rlim_cur = x->cur;
		if (setrlimit((__rlimit_resource_t)x->resource, &rl) < 0)
			child_failf("setrlimit(%s, %lu): %s", x->limit, x->cur, strerror(errno));
		rc = ipcmp_create(ops, name, &attr, &c);
		if (rc != -x->err || !call_is(ipcmp_call, x->call))
			child_failf("%s: create under %s = %lu: %s (call %s), want %s (call %s)",
				    ops->name, x->limit, x->cur, ipcmp_strerror(rc),
				    ipcmp_call ? ipcmp_call : "none", strerror(x->err),
				    x->call ? x->call : "none");
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "create under a resource limit");
}

static void create_fails(const struct exhaustion *x, const struct ipcmp_ops *ops,
			 const char *name)
{
	struct ipcmp_attr attr;
	struct ipcmp_chan *c = NULL;
	int rc;

	if (x->lower == RLIM) {
		create_fails_in_child(x, ops, name);
		return;
	}
	attr_of(x, &attr);
	ipcmp_call = NULL;
	rc = ipcmp_create(ops, name, &attr, &c);
	if (rc == 0) {
		ipcmp_close(c);
		ipcmp_unlink(ops, name);
	}
	cr_assert(eq(int, rc, -x->err), "%s: create with %s exhausted: %s, want %s", ops->name,
		  x->limit, ipcmp_strerror(rc), strerror(x->err));
	cr_assert(call_is(ipcmp_call, x->call), "%s: create with %s exhausted: ipcmp_call %s, want %s",
		  ops->name, x->limit, ipcmp_call ? ipcmp_call : "none", x->call ? x->call : "none");
}

/* `ipcmp create` fails (1) and names the limit. */
static void cli_names_limit(const struct exhaustion *x, const struct ipcmp_ops *ops,
			    const char *name)
{
	const char *argv[] = { "create", "-b", ops->name, name, NULL, NULL, NULL };
	struct cli_spec spec = { 0 };
	struct cli_run r;

	if (x->capacity != NULL) {
		argv[4] = "--capacity";
		argv[5] = x->capacity;
	}
	if (x->lower == RLIM) {
		spec.set_rlimit = 1;
		spec.rlimit_resource = x->resource;
		spec.rlimit_cur = x->cur;
		/* ld.so opens the libraries on the free descriptor 0; ipcmp then
		 * reserves 0-2, and the channel's first open finds none left */
		spec.in = CLI_CLOSED;
	}
	cli_run(&r, &spec, argv);
	cr_assert(eq(int, r.status, 1), "%s: ipcmp create with %s exhausted: status %d, want 1; "
		  "stderr: %s", ops->name, x->limit, r.status, r.errbuf);
	cr_assert(strstr(r.errbuf, x->limit) != NULL,
		  "%s: ipcmp create with %s exhausted does not name it: %s", ops->name, x->limit,
		  r.errbuf);
}

/* ASan's runtime opens descriptors of its own when a program starts: a
 * sanitized command under RLIMIT_NOFILE 3 never reaches main (it hangs). */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

/* One limit: NULL when it ran, else why it could not. */
static const char *exhaust(const struct ipcmp_ops *ops, const struct exhaustion *x, int cli)
{
	static char why[320];
	const char *name = fixture_name();
	const char *cannot;
	char old[128] = "";

	if (x->lower != RLIM && !fixture_isolated())
		return "needs a private IPC and mount namespace (run as root): the host's limits "
		       "are never lowered";
	if (x->lower == RLIM && x->resource == RLIMIT_NOFILE && fixture_valgrind())
		return "under valgrind, its openat lets the kernel create the file, then closes "
		       "it and says EMFILE (a descriptor over its own count): the object exists "
		       "though the call failed";
	if ((cannot = lower(x, ops, old, sizeof(old))) != NULL) {
		snprintf(why, sizeof(why), "%s", cannot);
		return why;
	}
	create_fails(x, ops, name);
	if (cli && !(ASAN_BUILD && x->lower == RLIM && x->resource == RLIMIT_NOFILE))
		cli_names_limit(x, ops, name);
	restore(x, ops, old);
	return NULL;
}

/* mq_overview(7): queues_max and msg_max do not bind a process with
 * CAP_SYS_RESOURCE. This worker (and the command it runs: the bounding set
 * holds across exec) gives it up; it is disposable. */
static const char *drop_sys_resource(const struct ipcmp_ops *ops)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int has;

	if (syscall(SYS_capget, &head, data) < 0)
		cr_fatal("%s: capget: %s", ops->name, strerror(errno));
	has = (data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE)) != 0;
	if (!has)
		return NULL;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) < 0)
		return "it does not bind CAP_SYS_RESOURCE (mq_overview(7)), which this process "
		       "has and cannot drop";
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].permitted &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].inheritable &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	if (syscall(SYS_capset, &head, data) < 0)
		cr_fatal("%s: capset without CAP_SYS_RESOURCE: %s", ops->name, strerror(errno));
	return NULL;
}

/* Which backend runs into which limit. One test per backend walks its rows,
 * each limit restored after its row: a worker per limit costs seconds under
 * valgrind. */
static const struct {
	const char *backend;
	const struct exhaustion *x;
	int no_sys_resource;       /* binds only without CAP_SYS_RESOURCE */
} rows[] = {
	{ "sysv-shm", &shmmni, 0 },     { "sysv-shm", &shmall, 0 },
	{ "sysv-shm", &semmni, 0 },     { "sysv-shm", &semmns, 0 },
	{ "sysv-shm", &semmsl, 0 },
	{ "sysv-msg", &msgmni, 0 },     { "sysv-msg", &msgmnb, 0 },
	{ "sysv-msg", &semmni, 0 },     { "sysv-msg", &semmns, 0 },
	{ "sysv-msg", &semmsl, 0 },
	{ "posix-shm", &nofile_shm, 0 }, { "posix-shm", &devshm, 0 },
	{ "posix-mq", &msgqueue, 0 },   { "posix-mq", &nofile_mq, 0 },
	{ "posix-mq", &devshm, 0 },
	{ "posix-mq", &queues_max, 1 }, { "posix-mq", &msg_max, 1 },
};

BACKEND_TEST(limits_exhausted)
{
	char skipped[1024] = "";
	size_t used = 0;
	int ran = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct exhaustion *x = rows[i].x;
		const char *why = NULL;

		if (strcmp(rows[i].backend, ops->name) != 0)
			continue;
		if (rows[i].no_sys_resource)
			why = drop_sys_resource(ops);
		/* under valgrind, where each command costs seconds, the command
		 * runs for the first limit only */
		if (why == NULL)
			why = exhaust(ops, x, !fixture_valgrind() || ran == 0);
		if (why == NULL) {
			ran++;
			continue;
		}
		used += (size_t)snprintf(skipped + used, used < sizeof(skipped) ?
					 sizeof(skipped) - used : 0, "%s%s: %s", used ? "; " : "",
					 x->limit, why);
		if (used >= sizeof(skipped))
			used = sizeof(skipped) - 1;
	}
	if (ran == 0)
		cr_skip("%s: no limit could be exhausted here: %s", ops->name, skipped);
	/* info, not a warning: Criterion's runner exits 1 on any warning */
	if (skipped[0] != '\0')
		cr_log_info("%s: %d limits exhausted; not: %s", ops->name, ran, skipped);
}
