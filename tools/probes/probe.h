/*
 * probe.h - the differences between System V IPC and POSIX IPC, observed.
 *
 * A probe sets up one situation, runs the raw calls of each family (not the
 * channel API, when the difference is about the API itself) and reports what
 * each family did. The same probe feeds two users:
 *   - suite/semantics.c and suite/errno_table.c, which assert the outcome the
 *     man pages (or, where they disagree, the kernel) document, and
 *   - `ipcmp compare`, which prints what was observed on this machine.
 *
 * Probes return >= 0 or -errno like everything else in ipcmp, never print,
 * never exit, bound every blocking call, and remove every object they made
 * on every path. They may fork (children end with _exit and set
 * PR_SET_PDEATHSIG). They may assume nothing about isolation: the suite runs
 * them inside its fixture (private namespaces as root), compare runs each in
 * a forked child (private namespaces when it can) with a time limit.
 */
#ifndef IPCMP_PROBE_H
#define IPCMP_PROBE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define PROBE_TEXT 160

/* What one family did in a semantics probe. */
struct probe_obs {
	char observed[PROBE_TEXT];   /* the outcome, short and comparable: "EIDRM",
				      * "still works", "SIGBUS", "0600" */
	char detail[PROBE_TEXT];     /* optional: the numbers behind it */
};

struct probe_result {
	struct probe_obs sysv, posix;
	char skip[PROBE_TEXT];       /* set when the probe could not run here, and why */
};

/* What a probe needs from where it runs; a runner that cannot give it skips. */
enum probe_needs {
	PROBE_ANY = 0,
	PROBE_ROOT = 1,              /* euid 0 with capabilities over IPC objects */
	PROBE_OTHER_UID = 2,         /* can fork a child that becomes nobody (65534) */
	PROBE_NAMESPACES = 4,        /* can unshare(CLONE_NEWIPC | CLONE_NEWNS) */
};

/* What the man pages say each family does (compared with probe_obs.observed). */
struct probe_side {
	const char *calls;           /* the calls the probe makes, for the report */
	const char *expect;          /* the documented outcome: probe_obs.observed */
};

struct semantics_row {
	const char *id;              /* "remove_while_attached": the test's name */
	const char *title;           /* one line, for the report */
	const char *man_page;        /* where the expected outcomes are documented */
	struct probe_side sysv, posix;
	const char *disagrees;       /* NULL; or how this system differs from the man
				      * page (then expect is what the system does) */
	int needs;                   /* enum probe_needs, or'ed */
	int (*probe)(struct probe_result *);   /* 0 ran, 1 skipped (skip says why), -errno */
	const char *valgrind_differs;  /* NULL; or why memcheck changes what is
				      * observed (the suite runs the probe but
				      * does not judge it there) */
};

extern const struct semantics_row probe_semantics[];   /* ends with .id == NULL */

/* One errno row: one situation, one call of one family. */
struct errno_row {
	const char *situation;       /* "exists", "no permission", "name too long" */
	const char *family;          /* "System V" or "POSIX" */
	const char *call;            /* "shmget", "mq_timedsend" */
	int expect;                  /* the errno the man page gives; 0: success */
	const char *man_page;        /* "shmget(2)" */
	const char *disagrees;       /* NULL, or how the system differs from the man page */
	int needs;                   /* enum probe_needs */
	int (*probe)(char *skip, size_t size);  /* the errno observed (0: the call
				      * succeeded); < 0: could not set up (-errno);
				      * PROBE_SKIPPED: skip holds why */
};

#define PROBE_SKIPPED (-100000)

extern const struct errno_row probe_errno[];             /* ends with .situation == NULL */

/* Names for the objects a probe makes, unique to this process and call:
 * "/ipcmp.probe.<pid>.<n>.<tag>", and a SysV key derived from it. */
const char *probe_posix_name(char *buf, size_t size, const char *tag);
int probe_sysv_key(void);

/* "EACCES" for EACCES, "0" for 0, "errno 1234" for what has no name. */
const char *probe_errno_name(int err);

/*
 * Helpers every probe shares (probe_util.c).
 *
 * Children: probe_fork() returns 0 in a child that dies with its parent
 * (PR_SET_PDEATHSIG) and with an alarm (probe_bound_ms), so a call that
 * blocks forever still ends. A child reports one errno as its exit code
 * (0: the call succeeded), or PROBE_EXIT_* when it could not get there.
 */
#define PROBE_EXIT_SETUP 200         /* the child's own setup failed */
#define PROBE_EXIT_NOBODY 201        /* the child could not become nobody */

int probe_bound_ms(int native_ms);   /* scaled up under valgrind (IPCMP_VALGRIND) */
struct timespec probe_clock_after(clockid_t clock, int ms);   /* clock now + ms */
pid_t probe_fork(void);
/* Waits at most timeout_ms for pid; kills it then. 0, or -ETIMEDOUT (killed
 * and reaped), or -errno of waitpid. */
int probe_reap(pid_t pid, int timeout_ms, int *status);
/* "EINTR" for an exit code that is an errno, "0", "SIGSEGV", "timed out". */
const char *probe_status_text(int status);
/* Waits until pid sleeps in the system call nr (/proc/PID/syscall; the state
 * 'S' of /proc/PID/stat where that file cannot be read). 0, -ETIMEDOUT,
 * -ECHILD when pid ended first. */
int probe_wait_in_call(pid_t pid, long nr, int timeout_ms);
/* Waits until pid is in state (e.g. 'T': stopped). 0 or -ETIMEDOUT. */
int probe_wait_state(pid_t pid, char state, int timeout_ms);
/* Whether a child can act as nobody (65534): 1, or 0 with the reason. */
int probe_other_uid(char *why, size_t size);
int probe_become_nobody(void);       /* in a child: 0 or -errno */
/* In a child about to fault on purpose (SIGSEGV, SIGBUS are what a probe
 * observes): memcheck would count the access as an error. */
void probe_fault_expected(void);
/* A page shared with the children forked after it; probe_unshare frees it. */
void *probe_shared(size_t size);
void probe_unshared(void *p, size_t size);

/* Runs fn in a child (as nobody when as_nobody) that fills r, bounded by
 * timeout_ms: fn's 0, 1 (skipped) or -errno; -ETIMEDOUT; -ECHILD when the
 * child was killed by a signal. */
int probe_in_child(struct probe_result *r, int (*fn)(struct probe_result *), int as_nobody,
		   int timeout_ms);

void probe_say(struct probe_obs *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void probe_note(struct probe_obs *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int probe_skip(struct probe_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
