/*
 * crashkit.h - what the cleanup and crash tests share: numbered messages
 * that prove themselves intact, a page shared with children, the ipcmp
 * command run as a child, a look at a child's scheduler state, and (for the
 * shm backends only) a look at the lock semaphore from outside.
 *
 * Nothing here makes a cr_* call, so every function may run in a child.
 */
#ifndef SUITE_CRASHKIT_H
#define SUITE_CRASHKIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipcmp.h"

/* A message that carries its own sequence number: 8..msg_max bytes
 * (msg_max >= 8), the number first, then a pattern of it (fixture.h). */
size_t kit_msg_fill(void *buf, size_t msg_max, uint64_t seq);
/* The sequence number of an intact message, or -1 when it is torn, corrupt
 * or of the wrong length for its number. */
int64_t kit_msg_check(const void *buf, ssize_t len, size_t msg_max);

/* A zeroed MAP_SHARED | MAP_ANONYMOUS area a parent and its children see. */
void *kit_shared(size_t size);
void kit_unshare(void *mem, size_t size);

/* A random number in [0, n), from one seed per process: $IPCMP_SEED, or
 * the clock. Children forked after the first call continue the parent's
 * sequence. */
unsigned kit_rand(unsigned n);
unsigned kit_seed(void);
/* "test IPCMP_SEED=N" on stderr, so that a failure can be replayed. */
void kit_seed_print(const char *backend, const char *test);
void kit_sleep_us(unsigned us);
long kit_now_ms(void);              /* CLOCK_MONOTONIC */

/*
 * Runs the ipcmp command (build/ipcmp, or $IPCMP_BIN) with argv[1..] in a
 * child, its stdout into out (NUL-terminated, truncated to size - 1).
 * Returns its exit status (0..255), 1000 + signal when killed, or -errno.
 */
int kit_run_ipcmp(const char *const argv[], char *out, size_t size);
const char *kit_ipcmp_path(void);

/* 1 once pid sleeps in the kernel (state S in /proc/pid/stat), polling up
 * to timeout_ms; 0 if it never did, -errno if it is gone. */
int kit_wait_sleeping(pid_t pid, int timeout_ms);

/*
 * White box, shm backends only: the value of the channel's lock semaphore
 * (SysV: semaphore LOCK = 0 of the set under the channel's key; POSIX: the
 * named semaphore /ipcmp.NAME.lock), or -errno.
 */
int kit_lock_value(const struct ipcmp_ops *ops, const char *name);

/* posix-shm only: takes the channel's lock semaphore and keeps it (a
 * process that then dies is a dead lock holder: no undo). 0 or -errno. */
int kit_lock_take(const struct ipcmp_ops *ops, const char *name);

int kit_is_sysv(const struct ipcmp_ops *ops);

#endif
