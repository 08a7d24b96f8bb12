/*
 * sem_signals.c - a signal arrives while a caller waits.
 *
 * signal(7), "Interruption of system calls and library functions by signal
 * handlers": SysV msgrcv, msgsnd, semop and semtimedop always fail with
 * EINTR, SA_RESTART or not; POSIX sem_wait, sem_timedwait, mq_receive,
 * mq_send are restarted when the handler has SA_RESTART, else EINTR.
 * "... by stop signals": semop and semtimedop fail with EINTR after
 * SIGSTOP and SIGCONT even with no handler; the others keep waiting.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_block.h"
#include "semantics.h"

enum interruption { HANDLER, HANDLER_RESTART, STOP_CONT };

static volatile sig_atomic_t *handled;   /* shared with the child */
static int handler_flags;

static void on_signal(int sig)
{
	(void)sig;
	(*handled)++;
}

static void install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = handler_flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		_exit(PROBE_EXIT_SETUP);
}

static int until_handled(int timeout_ms)
{
	struct timespec tick = { 0, 1000000 };

	for (int waited = 0; waited <= timeout_ms; waited++) {
		if (*handled > 0)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

static int interrupted(struct probe_obs *o, enum block_call call, enum interruption how)
{
	struct blocker b;
	pid_t pid = -1;
	int status = 0, rc, bound = probe_bound_ms(5000);

	handler_flags = how == HANDLER_RESTART ? SA_RESTART : 0;
	if ((rc = block_setup(&b, call)) < 0)
		goto out;
	*handled = 0;
	if ((rc = block_start(&b, how == STOP_CONT ? NULL : install_handler, &pid)) < 0)
		goto out;
	if (how == STOP_CONT) {
		kill(pid, SIGSTOP);
		if ((rc = probe_wait_state(pid, 'T', bound)) < 0)
			goto out;
		kill(pid, SIGCONT);
	} else {
		kill(pid, SIGUSR1);
		if ((rc = until_handled(bound)) < 0)
			goto out;
	}
	/* the child has resumed: it sleeps in the call again, or it has ended */
	if ((rc = block_wait(&b, pid)) < 0 && rc != -ECHILD)
		goto out;
	block_release(&b);
	rc = probe_reap(pid, bound, &status);
	pid = -1;
	if (rc == 0)
		block_outcome(o, status, how == STOP_CONT ? "kept waiting" : "restarted");
out:
	if (pid > 0)
		probe_reap(pid, 0, &status);
	block_cleanup(&b);
	return rc;
}

static int interrupted_pair(struct probe_result *r, enum block_call sysv,
			    enum block_call posix, enum interruption how)
{
	int rc;

	if ((handled = probe_shared(sizeof(*handled))) == NULL)
		return -errno;
	rc = interrupted(&r->sysv, sysv, how);
	if (rc >= 0)
		rc = interrupted(&r->posix, posix, how);
	probe_unshared((void *)handled, sizeof(*handled));
	handled = NULL;
	return rc;
}

#define SIGNAL_PROBES(id, sysv, posix) \
	int probe_signal_##id(struct probe_result *r) \
	{ return interrupted_pair(r, sysv, posix, HANDLER); } \
	int probe_restart_##id(struct probe_result *r) \
	{ return interrupted_pair(r, sysv, posix, HANDLER_RESTART); } \
	int probe_stopcont_##id(struct probe_result *r) \
	{ return interrupted_pair(r, sysv, posix, STOP_CONT); }

SIGNAL_PROBES(semop, BLOCK_SEMOP, BLOCK_SEM_WAIT)
SIGNAL_PROBES(semtimedop, BLOCK_SEMTIMEDOP, BLOCK_SEM_TIMEDWAIT)
SIGNAL_PROBES(msgrcv, BLOCK_MSGRCV, BLOCK_MQ_RECEIVE)
SIGNAL_PROBES(msgsnd, BLOCK_MSGSND, BLOCK_MQ_SEND)
