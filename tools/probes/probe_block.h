/*
 * probe_block.h - the eight blocking calls of the two families, each set up
 * so that it blocks, for the probes that act on a blocked caller (removal,
 * signals, stop and continue).
 *
 *   SysV: semop, semtimedop (a semaphore at 0), msgrcv (an empty queue),
 *         msgsnd (a full queue)
 *   POSIX: sem_wait, sem_timedwait, mq_receive, mq_send (the same states)
 *
 * A child makes the call; the parent waits until it really sleeps in it
 * (probe_wait_in_call), acts, then releases it (posts, sends or receives)
 * and reads the outcome from the child's exit code.
 */
#ifndef IPCMP_PROBE_BLOCK_H
#define IPCMP_PROBE_BLOCK_H

#include <mqueue.h>
#include <semaphore.h>

#include "probe.h"

enum block_call {
	BLOCK_SEMOP, BLOCK_SEMTIMEDOP, BLOCK_MSGRCV, BLOCK_MSGSND,
	BLOCK_SEM_WAIT, BLOCK_SEM_TIMEDWAIT, BLOCK_MQ_RECEIVE, BLOCK_MQ_SEND,
};

struct blocker {
	enum block_call call;
	int id;                      /* SysV: semid or msqid; -1 */
	sem_t *sem;                  /* SEM_FAILED */
	mqd_t mq;                    /* (mqd_t)-1 */
	char name[96];               /* POSIX: the object's name */
	int removed;
};

int block_setup(struct blocker *b, enum block_call call);   /* 0 or -errno */
const char *block_release_name(enum block_call call);       /* "semop +1", "sem_post" */
int block_is_sysv(enum block_call call);
/* In the child: the call, with every wait far longer than the probe. 0 or errno. */
int block_call(struct blocker *b);
/* Forks the child that makes the call and waits until it sleeps in it. */
int block_start(struct blocker *b, void (*child_setup)(void), pid_t *pid);
/* Waits until the child pid sleeps in the call again (or has ended: -ECHILD). */
int block_wait(struct blocker *b, pid_t pid);
int block_remove(struct blocker *b);   /* IPC_RMID, sem_unlink, mq_unlink */
int block_release(struct blocker *b);  /* what lets the call complete */
void block_cleanup(struct blocker *b); /* safe in any state */

/* What a blocked child's exit said: "EIDRM", or kept_text for 0. */
void block_outcome(struct probe_obs *o, int status, const char *kept_text);

#endif
