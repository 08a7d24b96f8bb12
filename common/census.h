/*
 * census.h - which IPC objects the kernel holds right now.
 *
 * SysV: the kernel lists every segment, semaphore set and queue of this IPC
 * namespace in /proc/sysvipc/{shm,sem,msg}, one line each, by key and id.
 * POSIX: shared memory and named semaphores are files on the tmpfs at
 * /dev/shm ("sem.NAME" for a semaphore); message queues are files on an
 * mqueue filesystem, which is often not mounted (then queues are not listed).
 */
#ifndef IPCMP_CENSUS_H
#define IPCMP_CENSUS_H

#include <limits.h>
#include <stddef.h>

struct ipcmp_census_entry {
	char kind[12];             /* "shm", "sem", "msg", "posix-shm", "posix-sem", "mqueue" */
	char name[NAME_MAX + 2];   /* SysV: the key as 0x%08x; POSIX: "/name" as passed to *_open */
	long id;                   /* SysV: shmid, semid or msqid; POSIX: -1 */
	unsigned uid;              /* owner */
	unsigned mode;             /* permission bits */
	unsigned long size;        /* shm: bytes; sem, posix-sem: -; msg, mqueue: bytes queued */
	long attached;             /* shm: nattch; sem: nsems; msg: messages queued; else -1 */
};

struct ipcmp_census {
	size_t n;
	struct ipcmp_census_entry *e;   /* sorted by kind, then name, then id */
};

/*
 * Fills *c (free it with ipcmp_census_free, also after a failure). mqueue_dir
 * is where an mqueue filesystem is mounted; NULL: /dev/mqueue when it is one,
 * else queues are not listed. Returns the number of entries or -errno.
 */
int ipcmp_census_take(struct ipcmp_census *c, const char *mqueue_dir);
void ipcmp_census_free(struct ipcmp_census *c);

/* The entry of c with e's kind, name and id, or NULL. */
const struct ipcmp_census_entry *ipcmp_census_find(const struct ipcmp_census *c,
						   const struct ipcmp_census_entry *e);

#endif
