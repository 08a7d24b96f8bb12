/*
 * backends.h - the backends the suite runs, and BACKEND_TEST, which writes
 * one test body and registers it once per backend.
 *
 * The Criterion suite name is the backend's (sysv_shm, posix_mq, ...), so a
 * failure reads "posix_shm::fifo_order" and --filter 'sysv_*' selects a
 * family. Not ParameterizedTest: its parameters are copied byte by byte into
 * an exec'd worker, where pointers (an ops table) are garbage under PIE
 * (measured with Criterion 2.4.1: a crash natively, a pass under valgrind).
 *
 *	BACKEND_TEST(fifo_order)                 every backend
 *	BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, corrupt_header)
 *	{ ... ops->send ... }                    the body, given ops
 *
 * Extra Criterion options follow the name: BACKEND_TEST(slow, .timeout = 300).
 * The generated test sets up the fixture (private namespaces, census),
 * runs the body, then checks the census: no test can forget the leak check.
 */
#ifndef SUITE_BACKENDS_H
#define SUITE_BACKENDS_H

#include <criterion/criterion.h>
#include "asserts.h"

#include "fixture.h"
#include "ipcmp.h"

extern const struct ipcmp_ops ipcmp_sysv_shm_ops;
extern const struct ipcmp_ops ipcmp_posix_shm_ops;
extern const struct ipcmp_ops ipcmp_sysv_msg_ops;
extern const struct ipcmp_ops ipcmp_posix_mq_ops;
extern const struct ipcmp_ops ipcmp_posix_atomic_ops;

/*
 * X(suite, ops_symbol, ...) once per backend; the trailing arguments are
 * passed through (the test name and its options).
 * Backends over a shared-memory ring (common/ring.h), whose header a test
 * can reach and corrupt:
 */
#define IPCMP_SUITE_SHM_BACKENDS(X, ...) \
	X(sysv_shm, ipcmp_sysv_shm_ops, __VA_ARGS__) \
	X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__) \
	X(posix_atomic, ipcmp_posix_atomic_ops, __VA_ARGS__)

/* The rings guarded by semaphores (a lock, items, slots): the tests of a
 * lock holder's death and of a channel missing one of its objects.
 * posix-atomic has no lock and one object. */
#define IPCMP_SUITE_LOCKED_SHM_BACKENDS(X, ...) \
	X(sysv_shm, ipcmp_sysv_shm_ops, __VA_ARGS__) \
	X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__)

/* Backends over a kernel message queue: the kernel holds the messages, so
 * there is no ring for another process to corrupt. A new backend goes in
 * one of the two lists, with its extern declaration above. */
#define IPCMP_SUITE_QUEUE_BACKENDS(X, ...) \
	X(sysv_msg, ipcmp_sysv_msg_ops, __VA_ARGS__) \
	X(posix_mq, ipcmp_posix_mq_ops, __VA_ARGS__)

#define IPCMP_SUITE_BACKENDS(X, ...) \
	IPCMP_SUITE_SHM_BACKENDS(X, __VA_ARGS__) \
	IPCMP_SUITE_QUEUE_BACKENDS(X, __VA_ARGS__)

/* One Test() for one backend: fixture, body, census check. The options end
 * with the fixture's, so they are never empty (C11 has no __VA_OPT__). */
#define BACKEND_TEST_ONE_(suite, ops_sym, test, ...) \
	Test(suite, test, __VA_ARGS__) \
	{ \
		fixture_begin(&ops_sym); \
		test(&ops_sym); \
		census_assert_clean(); \
	}

#define BACKEND_FIRST_(test, ...) test

/* BACKEND_TEST_ON(list, test, options...) */
#define BACKEND_TEST_ON(list, ...) \
	static void BACKEND_FIRST_(__VA_ARGS__, ~)(const struct ipcmp_ops *ops); \
	list(BACKEND_TEST_ONE_, __VA_ARGS__, .init = fixture_init, .fini = fixture_fini) \
	static void BACKEND_FIRST_(__VA_ARGS__, ~)(const struct ipcmp_ops *ops)

/* BACKEND_TEST(test, options...) */
#define BACKEND_TEST(...) BACKEND_TEST_ON(IPCMP_SUITE_BACKENDS, __VA_ARGS__)

#endif
