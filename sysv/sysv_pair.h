/*
 * sysv_pair.h - what sysv-shm and sysv-msg share: a channel is a pair of
 * objects under one key, the data object (a segment, a queue) and a set of
 * semaphores, and neither has a name to say whose it is.
 *
 * The data object says it with a header (the ring's, the queue's header
 * message), the set with its shape and a MARK semaphore that holds a
 * backend's constant for good. Either one without the other is a damaged
 * channel's leftover.
 */
#ifndef IPCMP_SYSV_PAIR_H
#define IPCMP_SYSV_PAIR_H

#include <sys/types.h>

/* What a data object holds, as its backend's holds() reads it. */
enum ipcmp_sysv_holds {
	IPCMP_SYSV_MISSING,             /* no object (id -1) */
	IPCMP_SYSV_OURS,                /* this channel's header */
	IPCMP_SYSV_OTHER,               /* another channel's: a key collision */
	IPCMP_SYSV_UNREADABLE,          /* no header we know: foreign or corrupt */
};

struct ipcmp_sysv_pair {
	const char *kind;               /* the census's kind of the data object */
	int (*get)(key_t key);          /* its id under key, -1 when none */
	/* An enum ipcmp_sysv_holds or -errno; the header's channel name in
	 * other. name NULL: any channel is IPCMP_SYSV_OTHER. */
	int (*holds)(int id, const char *name, char *other, size_t size);
	int nsems, mark_sem, mark;      /* the set's shape and its mark */
};

/* A set of the pair's shape with its mark. */
int ipcmp_sysv_set_is_ours(const struct ipcmp_sysv_pair *p, int semid);

/* The backend's .owns (ipcmp.h) for a pair. */
int ipcmp_sysv_pair_owns(const struct ipcmp_sysv_pair *p, const char *kind, const char *object,
			 long id, char *channel, size_t size);

#endif
