/*
 * compare_limits.c - this machine's IPC limits, each with what changes it
 * and the error its excess gives (the section "limits" of ipcmp compare).
 *
 * SysV limits are sysctls under kernel.* (per IPC namespace); POSIX queue
 * limits are under fs.mqueue.* (per IPC namespace) and RLIMIT_MSGQUEUE
 * (per user); POSIX shared memory and semaphores are files, bounded by the
 * size of the tmpfs on /dev/shm.
 */
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
	int field;                   /* SYSCTL_FIELD: which number of the file */
	long constant;
	const char *change_with;
	const char *excess_gives;
} limits[] = {
	{ "kernel.shmmax", SYSCTL, "/proc/sys/kernel/shmmax", 0, 0, "sysctl kernel.shmmax (per IPC namespace)",
	  "shmget: EINVAL (size > SHMMAX)" },
	{ "kernel.shmall", SYSCTL, "/proc/sys/kernel/shmall", 0, 0, "sysctl kernel.shmall (pages, per IPC namespace)",
	  "shmget: ENOSPC (all segments' pages > SHMALL)" },
	{ "kernel.shmmni", SYSCTL, "/proc/sys/kernel/shmmni", 0, 0, "sysctl kernel.shmmni (per IPC namespace)",
	  "shmget: ENOSPC (segments > SHMMNI)" },
	{ "kernel.sem SEMMSL", SYSCTL_FIELD, "/proc/sys/kernel/sem", 0, 0, "sysctl kernel.sem, 1st field",
	  "semget: EINVAL (nsems > SEMMSL)" },
	{ "kernel.sem SEMMNS", SYSCTL_FIELD, "/proc/sys/kernel/sem", 1, 0, "sysctl kernel.sem, 2nd field",
	  "semget: ENOSPC (semaphores in all sets > SEMMNS)" },
	{ "kernel.sem SEMOPM", SYSCTL_FIELD, "/proc/sys/kernel/sem", 2, 0, "sysctl kernel.sem, 3rd field",
	  "semop: E2BIG (nsops > SEMOPM)" },
	{ "kernel.sem SEMMNI", SYSCTL_FIELD, "/proc/sys/kernel/sem", 3, 0, "sysctl kernel.sem, 4th field",
	  "semget: ENOSPC (sets > SEMMNI)" },
	{ "SEMVMX", CONSTANT, NULL, 0, 32767, "fixed in the kernel", "semop, semctl SETVAL: ERANGE" },
	{ "kernel.msgmax", SYSCTL, "/proc/sys/kernel/msgmax", 0, 0, "sysctl kernel.msgmax (per IPC namespace)",
	  "msgsnd: EINVAL (msgsz > MSGMAX)" },
	{ "kernel.msgmnb", SYSCTL, "/proc/sys/kernel/msgmnb", 0, 0,
	  "sysctl kernel.msgmnb; msgctl IPC_SET msg_qbytes (raising needs CAP_SYS_RESOURCE)",
	  "msgsnd: blocks, or EAGAIN with IPC_NOWAIT (queue full)" },
	{ "kernel.msgmni", SYSCTL, "/proc/sys/kernel/msgmni", 0, 0, "sysctl kernel.msgmni (per IPC namespace)",
	  "msgget: ENOSPC (queues > MSGMNI)" },
	{ "fs.mqueue.msg_max", SYSCTL, "/proc/sys/fs/mqueue/msg_max", 0, 0,
	  "sysctl fs.mqueue.msg_max (per IPC namespace)", "mq_open: EINVAL (mq_maxmsg > msg_max, unprivileged)" },
	{ "fs.mqueue.msgsize_max", SYSCTL, "/proc/sys/fs/mqueue/msgsize_max", 0, 0,
	  "sysctl fs.mqueue.msgsize_max (per IPC namespace)",
	  "mq_open: EINVAL (mq_msgsize > msgsize_max, unprivileged)" },
	{ "fs.mqueue.queues_max", SYSCTL, "/proc/sys/fs/mqueue/queues_max", 0, 0,
	  "sysctl fs.mqueue.queues_max (per IPC namespace)", "mq_open: ENFILE (queues > queues_max)" },
	{ "fs.mqueue.msg_default", SYSCTL, "/proc/sys/fs/mqueue/msg_default", 0, 0,
	  "sysctl fs.mqueue.msg_default", "(mq_maxmsg of mq_open without attributes)" },
	{ "fs.mqueue.msgsize_default", SYSCTL, "/proc/sys/fs/mqueue/msgsize_default", 0, 0,
	  "sysctl fs.mqueue.msgsize_default", "(mq_msgsize of mq_open without attributes)" },
	{ "RLIMIT_MSGQUEUE", RLIMIT, NULL, 0, 0, "ulimit -q; setrlimit(RLIMIT_MSGQUEUE) (per user)",
	  "mq_open: EMFILE (bytes of the user's queues > limit)" },
	{ "SEM_VALUE_MAX", CONSTANT, NULL, 0, SEM_VALUE_MAX, "fixed in glibc", "sem_post: EOVERFLOW" },
	{ "/dev/shm size", DEVSHM, NULL, 0, 0, "mount -o remount,size=N /dev/shm",
	  "posix_fallocate: ENOSPC; a write to a page past what tmpfs holds: SIGBUS" },
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
		if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
			if (rl.rlim_cur == RLIM_INFINITY)
				snprintf(buf, size, "unlimited");
			else
				snprintf(buf, size, "%llu bytes", (unsigned long long)rl.rlim_cur);
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
