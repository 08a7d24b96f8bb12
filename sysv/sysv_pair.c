/* sysv_pair.c - see sysv_pair.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include "ipcmp.h"
#include "sysv_pair.h"

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

int ipcmp_sysv_set_is_ours(const struct ipcmp_sysv_pair *p, int semid)
{
	struct semid_ds sds;

	return semid >= 0 && semctl(semid, 0, IPC_STAT, (union semun){ .buf = &sds }) == 0 &&
	       sds.sem_nsems == (unsigned long)p->nsems && semctl(semid, p->mark_sem, GETVAL) == p->mark;
}

/* SysV objects have no names: a data object is ours when its header says
 * so, a set when it has our mark; either without the other, or a marked
 * set with an unreadable data object, is a damaged channel's leftover
 * (channel "" when no header names it). */
int ipcmp_sysv_pair_owns(const struct ipcmp_sysv_pair *p, const char *kind, const char *object,
			 long id, char *channel, size_t size)
{
	key_t key = (key_t)strtoul(object, NULL, 16);
	int held, marked;

	channel[0] = '\0';
	if (strcmp(kind, p->kind) == 0) {
		if ((held = p->holds((int)id, NULL, channel, size)) < 0)
			return held;
		marked = ipcmp_sysv_set_is_ours(p, semget(key, 0, 0));
		if (held == IPCMP_SYSV_OTHER)   /* named: the header is ours */
			return marked ? 1 : IPCMP_OWNS_DAMAGED;
		channel[0] = '\0';
		return marked ? IPCMP_OWNS_DAMAGED : 0;
	}
	if (strcmp(kind, "sem") != 0 || !ipcmp_sysv_set_is_ours(p, (int)id))
		return 0;
	if ((held = p->holds(p->get(key), NULL, channel, size)) < 0)
		return held;
	if (held == IPCMP_SYSV_OTHER)
		return 1;
	channel[0] = '\0';
	return IPCMP_OWNS_DAMAGED;
}
