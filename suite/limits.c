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
 *   $ ./build/suite --filter 'sysv_shm/limit_*'
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

/* The limit lowered in this process; 0, or the reason to skip. */
static const char *lower(const struct exhaustion *x, const struct ipcmp_ops *ops)
{
	static char why[160];
	int rc;

	switch (x->lower) {
	case SYSCTL:
		if ((rc = kit_sysctl_set(x->sysctl, x->value, NULL, 0)) < 0) {
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

static void exhaust(const struct ipcmp_ops *ops, const struct exhaustion *x)
{
	const char *name = fixture_name();
	const char *why;

	if (x->lower != RLIM && !fixture_isolated())
		cr_skip("%s: %s: needs a private IPC and mount namespace (run as root): the "
			"host's limits are never lowered", ops->name, x->limit);
	if ((why = lower(x, ops)) != NULL)
		cr_skip("%s: %s: %s", ops->name, x->limit, why);
	if (x->lower == RLIM && x->resource == RLIMIT_NOFILE && fixture_valgrind())
		cr_skip("%s: %s under valgrind: its openat lets the kernel create the file, then "
			"closes it and says EMFILE (a descriptor over its own count), so the "
			"object exists though the call failed", ops->name, x->limit);
	create_fails(x, ops, name);
	cli_names_limit(x, ops, name);
	if (x->lower == DEVSHM_FULL)
		unlink(DEVSHM_FILLER);
}

/* mq_overview(7): queues_max and msg_max do not bind a process with
 * CAP_SYS_RESOURCE. This worker (and the command it runs: the bounding set
 * holds across exec) gives it up; it is disposable. */
static void drop_sys_resource(const struct ipcmp_ops *ops, const struct exhaustion *x)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int has;

	if (syscall(SYS_capget, &head, data) < 0)
		cr_fatal("%s: capget: %s", ops->name, strerror(errno));
	has = (data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE)) != 0;
	if (!has)
		return;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) < 0)
		cr_skip("%s: %s does not bind CAP_SYS_RESOURCE (mq_overview(7)), which this "
			"process has and cannot drop: %s", ops->name, x->limit, strerror(errno));
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].permitted &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].inheritable &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	if (syscall(SYS_capset, &head, data) < 0)
		cr_fatal("%s: capset without CAP_SYS_RESOURCE: %s", ops->name, strerror(errno));
}

#define SYSV_BACKENDS(X, ...) \
	X(sysv_shm, ipcmp_sysv_shm_ops, __VA_ARGS__) \
	X(sysv_msg, ipcmp_sysv_msg_ops, __VA_ARGS__)
#define POSIX_BACKENDS(X, ...) \
	X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__) \
	X(posix_mq, ipcmp_posix_mq_ops, __VA_ARGS__)
#define SYSV_SHM(X, ...) X(sysv_shm, ipcmp_sysv_shm_ops, __VA_ARGS__)
#define SYSV_MSG(X, ...) X(sysv_msg, ipcmp_sysv_msg_ops, __VA_ARGS__)
#define POSIX_MQ(X, ...) X(posix_mq, ipcmp_posix_mq_ops, __VA_ARGS__)

BACKEND_TEST_ON(SYSV_SHM, limit_shmmni) { exhaust(ops, &shmmni); }
BACKEND_TEST_ON(SYSV_SHM, limit_shmall) { exhaust(ops, &shmall); }
BACKEND_TEST_ON(SYSV_BACKENDS, limit_semmni) { exhaust(ops, &semmni); }
BACKEND_TEST_ON(SYSV_BACKENDS, limit_semmns) { exhaust(ops, &semmns); }
BACKEND_TEST_ON(SYSV_BACKENDS, limit_semmsl) { exhaust(ops, &semmsl); }
BACKEND_TEST_ON(SYSV_MSG, limit_msgmni) { exhaust(ops, &msgmni); }
BACKEND_TEST_ON(SYSV_MSG, limit_msgmnb) { exhaust(ops, &msgmnb); }
BACKEND_TEST_ON(POSIX_MQ, limit_queues_max)
{
	drop_sys_resource(ops, &queues_max);
	exhaust(ops, &queues_max);
}
BACKEND_TEST_ON(POSIX_MQ, limit_msg_max)
{
	drop_sys_resource(ops, &msg_max);
	exhaust(ops, &msg_max);
}
BACKEND_TEST_ON(POSIX_MQ, limit_rlimit_msgqueue) { exhaust(ops, &msgqueue); }
BACKEND_TEST_ON(POSIX_BACKENDS, limit_rlimit_nofile)
{
	exhaust(ops, ops == &ipcmp_posix_mq_ops ? &nofile_mq : &nofile_shm);
}
BACKEND_TEST_ON(POSIX_BACKENDS, limit_devshm_full) { exhaust(ops, &devshm); }
