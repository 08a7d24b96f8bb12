/*
 * errno_kit.h - what the errno probes (errno_shm.c, errno_sem.c,
 * errno_msg.c) share: a call made in a child, as another user, while
 * blocked, or under a lowered limit.
 *
 * A probe makes one call and returns the errno it saw (0: success), or
 * -errno when it could not set up, or PROBE_SKIPPED with the reason in
 * skip. Every helper here is bounded in time: a child that does not end is
 * killed, and the probe fails instead of hanging.
 */
#ifndef IPCMP_ERRNO_KIT_H
#define IPCMP_ERRNO_KIT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "probe.h"

#define KIT_NAME 300          /* room for a name longer than NAME_MAX */

/* The errno of a call that returned r: 0 when it succeeded. */
#define KIT_ERR(r) ((r) == -1 ? errno : 0)

/* A wait meant to run out: long enough for a parent to see the child block
 * in it (also under valgrind, IPCMP_VALGRIND=1), short enough for compare. */
int kit_wait_ms(void);

/* CLOCK_REALTIME now + ms: the absolute timeout of sem_timedwait, mq_*. */
struct timespec kit_deadline(int ms);

/*
 * Runs fn(arg) in a forked child and returns what fn returned (an errno,
 * 0..200), or -errno when the child failed to set up, died or did not end
 * in time. The child makes no change visible to the caller but the IPC
 * calls it makes.
 */
int kit_child(int (*fn)(void *), void *arg);

/* kit_child as user nobody (65534), with no supplementary groups.
 * PROBE_SKIPPED (skip says why) when this process cannot become nobody. */
int kit_as_nobody(int (*fn)(void *), void *arg, char *skip, size_t size);

/* kit_child with no file descriptor left to open: RLIMIT_NOFILE 0. */
int kit_child_no_fds(int (*fn)(void *), void *arg);

/* kit_child without CAP_SYS_RESOURCE in the effective set: the limits that
 * capability lifts (fs.mqueue.msg_max, kernel.msgmnb) bind then even root. */
int kit_without_sys_resource(int (*fn)(void *), void *arg);

/*
 * A call that blocks, and what happens to it while it blocks. The child
 * runs call (with a handler for SIGUSR1 installed when sig is set); once
 * /proc shows it asleep in syscall nr, the parent runs act (a removal) or
 * sends sig, then collects the errno the call ended with.
 */
struct kit_blocked {
	int (*call)(void *arg);      /* in the child: the blocking call's errno */
	long nr;                     /* the syscall it sleeps in (SYS_msgrcv, ...) */
	int (*act)(void *arg);       /* in the parent: 0, or -errno; NULL: none */
	int sig;                     /* sent to the child after act; 0: none */
	int restart;                 /* the handler has SA_RESTART */
	void *arg;
};
int kit_while_blocked(const struct kit_blocked *b);

/* 0 when this process is in a private IPC namespace (made below an ancestor),
 * where it may change the IPC sysctls; else PROBE_SKIPPED with the reason. */
int kit_private_ipc(char *skip, size_t size);

/* Writes value to /proc/sys/<path> (only in a private IPC namespace), and
 * keeps the old text in old (restore it with kit_sysctl_set). */
int kit_sysctl_set(const char *path, const char *value, char *old, size_t oldsize);
long kit_sysctl_long(const char *path);          /* first number, or -errno */

/* A name of len characters after the '/': "/ipcmp.probe.<pid>.<n>.xxxx". */
const char *kit_long_name(char *buf, size_t size, size_t len);

#endif
