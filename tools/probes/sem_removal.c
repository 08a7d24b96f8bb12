/*
 * sem_removal.c - removing an object while a caller waits on it.
 *
 * SysV: IPC_RMID removes the set or queue at once and wakes every waiter
 *       with EIDRM (semop(2), msgrcv(2), msgsnd(2)).
 * POSIX: sem_unlink and mq_unlink remove the name only; the object lives
 *       until the last process closes it (sem_unlink(3), mq_unlink(3)), so
 *       a waiter keeps waiting and a later post or send still reaches it.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "probe_block.h"
#include "semantics.h"

static int removed_under_waiter(struct probe_obs *o, enum block_call call)
{
	struct blocker b;
	char kept[PROBE_TEXT];
	pid_t pid = -1;
	int status = 0, rc;

	if ((rc = block_setup(&b, call)) < 0 || (rc = block_start(&b, NULL, &pid)) < 0)
		goto out;
	if ((rc = block_remove(&b)) < 0)
		goto out;
	/* SysV: the object is gone and this fails; POSIX: it wakes the waiter */
	block_release(&b);
	rc = probe_reap(pid, probe_bound_ms(5000), &status);
	pid = -1;
	if (rc == -ETIMEDOUT) {
		probe_say(o, "still blocked after removal and %s", block_release_name(call));
		rc = 0;
	} else if (rc == 0) {
		snprintf(kept, sizeof(kept), "kept waiting; %s woke it", block_release_name(call));
		block_outcome(o, status, kept);
	}
out:
	if (pid > 0)
		probe_reap(pid, 0, &status);
	block_cleanup(&b);
	return rc;
}

static int removed_pair(struct probe_result *r, enum block_call sysv, enum block_call posix)
{
	int rc = removed_under_waiter(&r->sysv, sysv);

	return rc < 0 ? rc : removed_under_waiter(&r->posix, posix);
}

int probe_removed_semop(struct probe_result *r)
{
	return removed_pair(r, BLOCK_SEMOP, BLOCK_SEM_WAIT);
}

int probe_removed_semtimedop(struct probe_result *r)
{
	return removed_pair(r, BLOCK_SEMTIMEDOP, BLOCK_SEM_TIMEDWAIT);
}

int probe_removed_msgrcv(struct probe_result *r)
{
	return removed_pair(r, BLOCK_MSGRCV, BLOCK_MQ_RECEIVE);
}

int probe_removed_msgsnd(struct probe_result *r)
{
	return removed_pair(r, BLOCK_MSGSND, BLOCK_MQ_SEND);
}
