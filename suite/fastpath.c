/*
 * fastpath.c - a call that need not wait gives the kernel no timeout.
 *
 * Every send and recv takes a timeout, but one that finds room or a
 * message at once should cost what the plain calls cost: no clock read,
 * and no timeout for the kernel to arm (semtimedop and mq_timed* read the
 * clock and convert the time even when they do not sleep). The backends
 * try first without one (SysV: IPC_NOWAIT; POSIX: sem_trywait, a
 * deadline already past for mq_timedsend/mq_timedreceive) and give a
 * timeout only to a call that must wait (common/ringchan.c,
 * posix/posix_mq.c, sysv/sysv_msg.c). The wrappers of support/fault.c
 * count the calls that were given one; a recv on the empty channel shows
 * that they are seen. posix-atomic waits with futex (syscall, not
 * wrapped) and makes no system call on its fast path at all: not here.
 *
 *   $ ./build/suite --filter 'sysv_shm/fast_path*'   (or posix_mq, ...)
 */
#include <string.h>

#include "backends.h"
#include "fault.h"

#define MESSAGES 4

#define WRAPPED_BACKENDS(X, ...) \
	IPCMP_SUITE_LOCKED_SHM_BACKENDS(X, __VA_ARGS__) \
	IPCMP_SUITE_QUEUE_BACKENDS(X, __VA_ARGS__)

BACKEND_TEST_ON(WRAPPED_BACKENDS, fast_path_arms_no_timeout)
{
	const char *name = fixture_name();
	struct ipcmp_chan *ch = chan_create_ok(ops, name, 64, 2 * MESSAGES,
					       IPCMP_PRODUCER | IPCMP_CONSUMER);
	char buf[64];
	int before = fault_timed_waits(), rc;
	ssize_t n;

	for (int i = 0; i < MESSAGES; i++) {
		rc = ipcmp_send(ch, "fast", 4, fixture_wait_ms());
		cr_assert(eq(int, rc, 0), "%s: send %d: %s", ops->name, i, ipcmp_strerror(rc));
	}
	for (int i = 0; i < MESSAGES; i++) {
		n = ipcmp_recv(ch, buf, sizeof(buf), fixture_wait_ms());
		cr_assert(eq(long, (long)n, 4L), "%s: recv %d: %s", ops->name, i,
			  ipcmp_strerror((int)n));
	}
	cr_assert(eq(int, fault_timed_waits() - before, 0), "%s: %d of %d sends and recvs that "
		  "found room or a message at once gave the kernel a timeout", ops->name,
		  fault_timed_waits() - before, 2 * MESSAGES);
	n = ipcmp_recv(ch, buf, sizeof(buf), 20);
	cr_assert(eq(long, (long)n, (long)-ETIMEDOUT), "%s: recv on the empty channel: %s",
		  ops->name, ipcmp_strerror((int)n));
	cr_assert(gt(int, fault_timed_waits() - before, 0), "%s: a recv that waited 20 ms gave "
		  "the kernel no timeout: the count does not see the backend's waits", ops->name);
	chan_close_ok(ch);
	chan_unlink_ok(ops, name);
}
