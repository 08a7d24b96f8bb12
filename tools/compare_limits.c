/*
 * compare_limits.c - this machine's IPC limits, each with what changes it
 * and the error its excess gives (the section "limits" of ipcmp compare).
 *
 * SysV limits are sysctls under kernel.* (per IPC namespace); POSIX queue
 * limits are under fs.mqueue.* (per IPC namespace) and RLIMIT_MSGQUEUE
 * (per user); POSIX shared memory and semaphores are files, bounded by the
 * size of the tmpfs on /dev/shm.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "compare.h"
#include "ipcmp.h"

enum source { SYSCTL, SYSCTL_FIELD, RLIMIT, DEVSHM, CONSTANT };

static const struct limit {
	const char *name;
	enum source source;
	const char *path;            /* /proc/sys file */
	int field;                   /* SYSCTL_FIELD: which number of the file;
					RLIMIT: the resource */
	long constant;
	const char *change_with;
	const char *excess_gives;
	/* The calls (space-separated) whose error err this limit gives, so the
	 * command can name the limit behind a failed create (limit_behind). */
	const char *calls;
	int err;
} limits[] = {
	{ "kernel.shmmax", SYSCTL, "/proc/sys/kernel/shmmax", 0, 0, "sysctl kernel.shmmax (per IPC namespace)",
	  "shmget: EINVAL (size > SHMMAX)",
	  "shmget", EINVAL },
	{ "kernel.shmall", SYSCTL, "/proc/sys/kernel/shmall", 0, 0, "sysctl kernel.shmall (pages, per IPC namespace)",
	  "shmget: ENOSPC (all segments' pages > SHMALL)",
	  "shmget", ENOSPC },
	{ "kernel.shmmni", SYSCTL, "/proc/sys/kernel/shmmni", 0, 0, "sysctl kernel.shmmni (per IPC namespace)",
	  "shmget: ENOSPC (segments > SHMMNI)",
	  "shmget", ENOSPC },
	{ "kernel.sem SEMMSL", SYSCTL_FIELD, "/proc/sys/kernel/sem", 0, 0, "sysctl kernel.sem, 1st field",
	  "semget: EINVAL (nsems > SEMMSL)",
	  "semget", EINVAL },
	{ "kernel.sem SEMMNS", SYSCTL_FIELD, "/proc/sys/kernel/sem", 1, 0, "sysctl kernel.sem, 2nd field",
	  "semget: ENOSPC (semaphores in all sets > SEMMNS)",
	  "semget", ENOSPC },
	{ "kernel.sem SEMOPM", SYSCTL_FIELD, "/proc/sys/kernel/sem", 2, 0, "sysctl kernel.sem, 3rd field",
	  "semop: E2BIG (nsops > SEMOPM)",
	  "semop semtimedop", E2BIG },
	{ "kernel.sem SEMMNI", SYSCTL_FIELD, "/proc/sys/kernel/sem", 3, 0, "sysctl kernel.sem, 4th field",
	  "semget: ENOSPC (sets > SEMMNI)",
	  "semget", ENOSPC },
	{ "SEMVMX", CONSTANT, NULL, 0, 32767, "fixed in the kernel", "semop, semctl SETVAL: ERANGE",
	  "semctl(SETALL) semctl(SETVAL)", ERANGE },
	{ "kernel.msgmax", SYSCTL, "/proc/sys/kernel/msgmax", 0, 0, "sysctl kernel.msgmax (per IPC namespace)",
	  "msgsnd: EINVAL (msgsz > MSGMAX)",
	  "msgsnd", EINVAL },
	{ "kernel.msgmnb", SYSCTL, "/proc/sys/kernel/msgmnb", 0, 0,
	  "sysctl kernel.msgmnb; msgctl IPC_SET msg_qbytes (raising needs CAP_SYS_RESOURCE)",
	  "msgsnd: blocks, or EAGAIN with IPC_NOWAIT (queue full)", NULL, 0 },
	{ "kernel.msgmni", SYSCTL, "/proc/sys/kernel/msgmni", 0, 0, "sysctl kernel.msgmni (per IPC namespace)",
	  "msgget: ENOSPC (queues > MSGMNI)",
	  "msgget", ENOSPC },
	{ "fs.mqueue.msg_max", SYSCTL, "/proc/sys/fs/mqueue/msg_max", 0, 0,
	  "sysctl fs.mqueue.msg_max (per IPC namespace)", "mq_open: EINVAL (mq_maxmsg > msg_max, unprivileged)",
	  "mq_open", EINVAL },
	{ "fs.mqueue.msgsize_max", SYSCTL, "/proc/sys/fs/mqueue/msgsize_max", 0, 0,
	  "sysctl fs.mqueue.msgsize_max (per IPC namespace)",
	  "mq_open: EINVAL (mq_msgsize > msgsize_max, unprivileged)",
	  "mq_open", EINVAL },
	{ "fs.mqueue.queues_max", SYSCTL, "/proc/sys/fs/mqueue/queues_max", 0, 0,
	  "sysctl fs.mqueue.queues_max (per IPC namespace)", "mq_open: ENOSPC (queues > queues_max, without CAP_SYS_RESOURCE)",
	  "mq_open", ENOSPC },
	{ "fs.mqueue.msg_default", SYSCTL, "/proc/sys/fs/mqueue/msg_default", 0, 0,
	  "sysctl fs.mqueue.msg_default", "(mq_maxmsg of mq_open without attributes)", NULL, 0 },
	{ "fs.mqueue.msgsize_default", SYSCTL, "/proc/sys/fs/mqueue/msgsize_default", 0, 0,
	  "sysctl fs.mqueue.msgsize_default", "(mq_msgsize of mq_open without attributes)", NULL, 0 },
	{ "RLIMIT_MSGQUEUE", RLIMIT, NULL, RLIMIT_MSGQUEUE, 0, "ulimit -q; setrlimit(RLIMIT_MSGQUEUE) (per user)",
	  "mq_open: EMFILE (bytes of the user's queues > limit)",
	  "mq_open", EMFILE },
	{ "RLIMIT_NOFILE", RLIMIT, NULL, RLIMIT_NOFILE, 0, "ulimit -n; setrlimit(RLIMIT_NOFILE) (per process)",
	  "shm_open, sem_open, mq_open: EMFILE (descriptors > limit)",
	  "open shm_open sem_open mq_open", EMFILE },
	{ "SEM_VALUE_MAX", CONSTANT, NULL, 0, SEM_VALUE_MAX, "fixed in glibc", "sem_post: EOVERFLOW",
	  "sem_post", EOVERFLOW },
	{ "/dev/shm size", DEVSHM, NULL, 0, 0, "mount -o remount,size=N /dev/shm",
	  "posix_fallocate: ENOSPC; a write to a page past what tmpfs holds: SIGBUS",
	  "posix_fallocate", ENOSPC },
};

/* The value as text: "32000", "unlimited", "not readable". */
static void value_of(const struct limit *l, char *buf, size_t size)
{
	unsigned long long v[4];
	struct statvfs vfs;
	struct rlimit rl;
	FILE *f;
	int n;

	snprintf(buf, size, "not readable");
	switch (l->source) {
	case SYSCTL:
	case SYSCTL_FIELD:
		if ((f = fopen(l->path, "re")) == NULL)
			return;
		n = fscanf(f, "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]);
		fclose(f);
		if (n > l->field)
			snprintf(buf, size, "%llu", v[l->field]);
		return;
	case RLIMIT:
		if (getrlimit(l->field, &rl) == 0) {
			if (rl.rlim_cur == RLIM_INFINITY)
				snprintf(buf, size, "unlimited");
			else
				snprintf(buf, size, "%llu%s", (unsigned long long)rl.rlim_cur,
					 l->field == RLIMIT_MSGQUEUE ? " bytes" : "");
		}
		return;
	case DEVSHM:
		if (statvfs("/dev/shm", &vfs) == 0)
			snprintf(buf, size, "%llu bytes", (unsigned long long)vfs.f_blocks * vfs.f_frsize);
		return;
	case CONSTANT:
		snprintf(buf, size, "%ld", l->constant);
		return;
	}
}

int compare_limits(enum compare_format fmt)
{
	char value[64];

	if (fmt == FMT_JSON)
		printf("[");
	else if (fmt == FMT_MARKDOWN)
		printf("| limit | value | change with | excess gives |\n|---|---|---|---|\n");
	else
		printf("%-26s %-22s %s\n", "limit", "value", "change with / excess gives");
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		const struct limit *l = &limits[i];

		value_of(l, value, sizeof(value));
		if (fmt == FMT_JSON) {
			printf("%s\n  {\"name\": ", i ? "," : "");
			json_str(stdout, l->name);
			printf(", \"value\": ");
			json_str(stdout, value);
			printf(", \"change_with\": ");
			json_str(stdout, l->change_with);
			printf(", \"excess_gives\": ");
			json_str(stdout, l->excess_gives);
			printf("}");
		} else if (fmt == FMT_MARKDOWN) {
			printf("| `%s` | %s | %s | %s |\n", l->name, value, l->change_with, l->excess_gives);
		} else {
			printf("%-26s %-22s %s\n%-49s %s\n", l->name, value, l->change_with, "", l->excess_gives);
		}
	}
	if (fmt == FMT_JSON)
		printf("]");
	return 0;
}

/* Is call (its first word: "mq_open (fs.mqueue.queues_max)" is mq_open)
 * one of the space-separated calls? */
static int call_in(const char *call, const char *calls)
{
	size_t len = strcspn(call, " (");

	for (const char *p = calls; *p != '\0'; p += strcspn(p, " "), p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");

		if (n == len && strncmp(p, call, len) == 0)
			return 1;
	}
	return 0;
}

const char *limit_behind(const char *call, int err, char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 0; call != NULL && i < sizeof(limits) / sizeof(limits[0]); i++) {
		const struct limit *l = &limits[i];

		if (l->calls == NULL || l->err != err || !call_in(call, l->calls))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " or " : "", l->name);
		if (used >= size)
			break;
	}
	return buf[0] != '\0' ? buf : NULL;
}
