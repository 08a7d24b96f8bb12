/*
 * shm_ring.h - the POSIX shared memory object that holds a ring.
 *
 * posix-shm and posix-atomic keep their ring (common/ring.h) in one object,
 * /ipcmp.NAME.SUFFIX, made, opened, inspected and removed the same way;
 * they differ in what guards it (named semaphores, or atomics and futex).
 * Read it beside sysv/sysv_shm.c, whose segment plays the same part.
 */
#ifndef IPCMP_SHM_RING_H
#define IPCMP_SHM_RING_H

#include "ipcmp.h"
#include "ring.h"

#define IPCMP_SHM_RING_PATH_LEN (sizeof(IPCMP_POSIX_PREFIX) + IPCMP_NAME_MAX + 8)

/* What an object's name holds, as unlink and owns see it. */
enum ipcmp_shm_ring_state {
	IPCMP_SHM_RING_MISSING,
	IPCMP_SHM_RING_OURS,
	IPCMP_SHM_RING_HALF_MADE,       /* empty or zeroed: a create cut short */
	IPCMP_SHM_RING_OVERWRITTEN,     /* its header rewritten; the seal still names it */
	IPCMP_SHM_RING_FOREIGN,         /* something else */
};

/* Makes the object at path exclusively and maps a ring initialised for name,
 * not yet marked ready. -EEXIST when this channel's ring is there (perhaps
 * still being made), -EPROTO when something else is; on failure nothing is
 * left. */
int ipcmp_shm_ring_create(struct ipcmp_ring *ring, const char *path, const char *name,
			  const struct ipcmp_attr *attr);

/* Maps the ring at path once its creator marked it ready; on failure
 * nothing stays mapped. */
int ipcmp_shm_ring_open(struct ipcmp_ring *ring, const char *path, const char *name);

/* Unmaps the ring, if mapped. */
int ipcmp_shm_ring_close(struct ipcmp_ring *ring);

/* An enum ipcmp_shm_ring_state, or -errno. */
int ipcmp_shm_ring_holds(const char *path, const char *name);

#endif
