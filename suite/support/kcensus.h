/*
 * kcensus.h - the IPC objects the kernel holds, read by the suite itself.
 *
 * The leak checks must not learn a channel's objects from the code they
 * check: common/census.c is under test (ipcmp census, ipcmp clean), so a
 * census blind to message queues would make a leaked queue invisible to
 * every leak test. This reader shares no code with it; it fills the same
 * struct ipcmp_census, the vocabulary of the tests.
 *
 * SysV: /proc/sysvipc/{shm,sem,msg} of the reader's IPC namespace, read by
 * the column names of their header line (proc(5)).
 * POSIX: the files of /dev/shm ("sem.NAME" is a named semaphore) and of an
 * mqueue filesystem (mq_overview(7)): the fixture mounts one in its private
 * namespace; unisolated, /dev/mqueue when it is one. Without one the kernel
 * lists no queue at all (kcensus_queues() says so): a queue can then only
 * be looked up by its name (kcensus_add_queue), which the fixture does for
 * every name a test made.
 */
#ifndef SUITE_KCENSUS_H
#define SUITE_KCENSUS_H

#include "census.h"

/* Fills *c; mqueue_dir NULL: /dev/mqueue if an mqueue filesystem is
 * mounted there. Returns the number of entries or -errno; free *c with
 * kcensus_free in both cases. */
int kcensus_take(struct ipcmp_census *c, const char *mqueue_dir);
void kcensus_free(struct ipcmp_census *c);

/* The entry of c with e's kind, name and id, or NULL. */
const struct ipcmp_census_entry *kcensus_find(const struct ipcmp_census *c,
					      const struct ipcmp_census_entry *e);

/* 1 when kcensus_take(c, mqueue_dir) lists message queues. */
int kcensus_queues(const char *mqueue_dir);

/* Looks the queue name ("/NAME") up with mq_open and adds it to c when it
 * exists (also when it is not ours to open: EACCES). 1: added, 0: no such
 * queue, -errno. */
int kcensus_add_queue(struct ipcmp_census *c, const char *name);

#endif
