/*
 * fixture.h - isolation, unique names, the census check, child processes
 * and message payloads for the suite.
 *
 * As root, every test runs in a private IPC and mount namespace with its
 * own tmpfs on /dev/shm and an mqueue filesystem mounted for the census, so
 * parallel tests never collide and the host never sees their objects.
 * Otherwise (a plain user, root without CAP_SYS_ADMIN, a chroot whose
 * mounts cannot be made private) names carry the pid and a counter, and
 * the census looks only at the objects those names map to. The census is
 * the suite's own reading of the kernel (kcensus.h).
 */
#ifndef SUITE_FIXTURE_H
#define SUITE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipcmp.h"

#define T_EXPIRE 200               /* ms: a wait that is meant to run out */

void fixture_init(void);           /* .init: namespaces, mounts, first census */
void fixture_fini(void);           /* .fini: removes what a failed test left */
void fixture_begin(const struct ipcmp_ops *ops);   /* first thing in a body;
						       NULL: a test of no backend */
/* Likewise for a test of no backend (a probe of tools/probes): label names
 * it in messages; when not isolated, the census also watches the probe
 * objects of this process (probe_posix_name, probe_sysv_key). */
void fixture_begin_probe(const char *label);

/* The kernel's IPC objects as the suite reads them (kcensus.h): isolated,
 * the namespace's; else all, plus the queue of every name the test made,
 * looked up by name when no mqueue filesystem lists queues. Returns the
 * count or -errno; free with kcensus_free. */
struct ipcmp_census;
int fixture_census(struct ipcmp_census *c);

/* Fails the test unless the census equals the one taken before the test. */
void census_assert_clean(void);

/* Removes what test workers that died in their test (a crash, Criterion's
 * timeout, a kill: their .fini never ran) left under their names
 * "t<pid>-<n>": the channels of this user, found by their POSIX objects,
 * whose pid gone() says is no more. Every unisolated test's init sweeps
 * with fixture_worker_gone. Returns how many objects led to a removal. */
int fixture_sweep_workers(int (*gone)(pid_t pid));
int fixture_worker_gone(pid_t pid);  /* 1: no process has this pid */

/* A fresh channel name, unique to this test; len 0: the natural length,
 * else padded to len characters (len <= IPCMP_NAME_MAX). */
const char *fixture_name(void);
const char *fixture_name_len(size_t len);

int fixture_isolated(void);        /* 1: private namespaces (root) */
/* What the fixture did, for --verbose: "isolated: ..." or "unisolated:
 * why" (not allowed to unshare; a chroot whose mounts cannot be made
 * private). */
const char *fixture_mode(void);
/* NULL when a child can become nobody (drop_to_nobody); else the reason
 * to skip a cross-user case: not root, or root of a user namespace. */
const char *fixture_no_nobody(void);
int fixture_valgrind(void);        /* IPCMP_VALGRIND is set */
size_t fixture_scale(size_t native, size_t valgrind);
int fixture_wait_ms(void);         /* a wait that is meant to succeed */

/* The calls every test makes, asserting success (message names the backend).
 * 0 for msg_max or capacity: the backend's default. */
struct ipcmp_chan *chan_create_ok(const struct ipcmp_ops *ops, const char *name,
				  size_t msg_max, size_t capacity, int flags);
struct ipcmp_chan *chan_open_ok(const struct ipcmp_ops *ops, const char *name, int flags);
void chan_close_ok(struct ipcmp_chan *chan);
void chan_unlink_ok(const struct ipcmp_ops *ops, const char *name);
void limits_ok(const struct ipcmp_ops *ops, struct ipcmp_limits *lim);

/*
 * Children: child_start forks; in the child (return 0) it has set
 * PR_SET_PDEATHSIG and must make no cr_* call; it ends with child_exit or
 * child_failf, which leaves a message for the parent. The parent collects
 * with child_assert_ok (bounded; kills the child when the time runs out).
 */
#define CHILD_MAX 16
pid_t child_start(int slot);
_Noreturn void child_exit(void);
_Noreturn void fixture_exit(int status);   /* _exit, coverage counts written first */
_Noreturn void child_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void child_assert_ok(pid_t pid, int slot, int timeout_ms, const char *what);

/* A child inherits the parent's handles and buffers but must not close the
 * handles (that would uncount the parent's producer). child_inherits keeps
 * a pointer in a global, so valgrind counts the block as reachable, not as
 * lost, when the child _exits. Call it before child_start. */
void child_inherits(const void *p);

/* Payloads derived from a sequence number: the first 8 bytes (as far as
 * they fit) are the number, the rest a pattern of it. */
size_t payload_len(uint64_t seq, size_t max);      /* 0..max, 0 and max often */
void payload_fill(void *buf, size_t len, uint64_t seq);
int payload_check(const void *buf, size_t len, uint64_t seq);   /* 0: intact */
uint64_t payload_seq(const void *buf);             /* len >= 8 */

#endif
