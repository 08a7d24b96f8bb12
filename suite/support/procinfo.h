/*
 * procinfo.h - what a process and the kernel hold, for the leak and
 * permission tests: descriptors, mappings and heap of this process, and
 * the IPC objects of a channel as the census lists them, reached through
 * their own APIs (IPC_STAT / IPC_SET / IPC_RMID, shm_open, sem_open,
 * mq_open, chmod).
 *
 * Helpers return -errno and never assert, so they also serve in a forked
 * child (where no cr_* call is allowed); the usage_* and census_* ones
 * below assert and belong to the test worker only.
 */
#ifndef SUITE_PROCINFO_H
#define SUITE_PROCINFO_H

#include <stddef.h>

#include "census.h"
#include "kcensus.h"
#include "ipcmp.h"

/* What one process holds: /proc/self/fd entries, /proc/self/maps lines
 * (and the shared ones among them, where IPC objects are mapped), heap
 * bytes in use (mallinfo2; under valgrind memcheck checks the heap). */
struct usage {
	int fds;
	int maps;
	int shared;
	size_t heap;
};

void usage_take(struct usage *u);                   /* asserts */
/* Fails the test unless the descriptors and mappings are as in u. */
void usage_assert_same(const struct usage *u, const char *backend, const char *what);
/* Fails the test if the heap grew by a block per cycle since u (see
 * procinfo.c on glibc's tcache: the heap is exact only up to a slack). */
void usage_assert_heap(const struct usage *u, size_t cycles, const char *backend,
		       const char *what);

/*
 * The objects as the kernel lists them (kcensus.h: not the census under
 * test): isolated, every object of the private namespace; otherwise only
 * the objects of `name`, the channel under test (other tests run beside
 * us on the host). Asserts.
 */
void census_for(struct ipcmp_census *c, const char *name);

/* Does e belong to channel `name` (SysV: its key; POSIX: /ipcmp.NAME[.x])? */
int object_of(const struct ipcmp_census_entry *e, const char *name);

/*
 * The objects in after and not in before, copied to out (at most max);
 * returns how many there are. Not isolated, only those of `name`.
 */
size_t census_gained(const struct ipcmp_census *before, const struct ipcmp_census *after,
		     const char *name, struct ipcmp_census_entry *out, size_t max);

/* Fails the test unless census_for(name) now equals before (taken the same
 * way) plus exactly the objects extra (matched by kind and name: a remade
 * SysV object has a new id). */
void census_assert_plus(const struct ipcmp_census *before, const char *name,
			const struct ipcmp_census_entry *extra, size_t nextra,
			const char *backend, const char *what);

int object_is_sysv(const struct ipcmp_census_entry *e);

/* Makes an object of e's kind under e's name (exclusive, mode 0600). */
int object_make(const struct ipcmp_census_entry *e);
/* Removes the object of e's kind under e's name (SysV: looked up by key). */
int object_remove(const struct ipcmp_census_entry *e);
/* Sets the permission bits, as the owner or root may:
 * SysV IPC_SET; POSIX chmod of the file (mqueue: fchmod of the mqd_t). */
int object_chmod(const struct ipcmp_census_entry *e, unsigned mode);
/* The mode and owner the kernel reports through the object's own API:
 * SysV IPC_STAT; POSIX fstat of shm_open's fd / mq_open's mqd_t, stat of
 * the semaphore's file. */
int object_stat(const struct ipcmp_census_entry *e, unsigned *mode, unsigned *uid);

/* In a forked child only: become nobody (setgroups, setgid, setuid 65534). */
#define NOBODY 65534u
int drop_to_nobody(void);

#endif
