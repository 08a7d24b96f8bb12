/*
 * ipcmp.h - one producer/consumer channel, four transports.
 *
 * A channel has a name, a message size limit (msg_max) and a capacity
 * (messages it holds), fixed when it is created. Messages are byte strings
 * of 0..msg_max bytes; boundaries are preserved; order is FIFO per producer;
 * each message is delivered exactly once.
 *
 * A channel carries one stream. It starts when the first producer opens
 * the channel. End of stream (IPCMP_EOS, distinct from an empty message) is
 * what a consumer gets once the channel is drained and every producer that
 * opened it has closed it. A producer that dies (a signal, SIGKILL), or
 * gives up with ipcmp_abort, aborts the stream: consumers get its messages,
 * then IPCMP_ABORTED, never end of stream. Once the stream has ended or
 * aborted, a producer that opens the channel is refused (-ESHUTDOWN): a
 * second stream needs a new channel (unlink, create). The same on every
 * backend; how each family learns of a death is in the backends.
 *
 * Every function returns >= 0 on success and -errno on failure; nothing
 * here prints or exits. Every wait is bounded by timeout_ms: 0 never
 * blocks (-EAGAIN when it would), > 0 waits at most that long (-ETIMEDOUT);
 * a call returns within timeout_ms + IPCMP_TIMEOUT_MARGIN_MS, also when a
 * peer died holding a lock (on an idle machine: scheduling delays add).
 * A signal handler that runs during a wait does not end it, with or without
 * SA_RESTART: the call goes on for what is left of timeout_ms (never
 * -EINTR); a caller that must stop on a signal uses short timeouts and
 * checks its own flag between calls, as the command line does.
 * The same situation gives the same error on every backend:
 *   -EMSGSIZE   message longer than msg_max, or a receive buffer too small
 *               for the next message (the message is kept for the next call)
 *   -ENOENT     no such channel          -EEXIST  channel already exists
 *   -EINVAL     bad name or argument     -ENAMETOOLONG  name too long
 *   -EBADMSG    corrupt channel header or ring (untrusted shared memory)
 *   -EPROTO     the object under this name or key is not this channel
 *               (foreign object, or a SysV key collision)
 *   -EBADF      send on a handle not opened as producer, recv likewise
 *   -EIDRM      SysV: the channel was removed under a waiting call
 *   -ESHUTDOWN  open as producer after the stream ended or aborted
 *   -ENOTRECOVERABLE  posix-shm: a process died holding the ring's lock
 */
#ifndef IPCMP_H
#define IPCMP_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define IPCMP_NAME_MAX 32          /* channel name: 1..32 of [A-Za-z0-9_.-] */
#define IPCMP_EOS (-ENODATA)       /* recv: end of stream, not an error */
#define IPCMP_ABORTED (-ECONNABORTED)  /* recv: a producer died, failed or aborted */
#define IPCMP_DAMAGED 1            /* unlink: removed a channel that had lost a part or
				      whose header was overwritten */
#define IPCMP_OWNS_DAMAGED 2       /* owns: a leftover of such a damaged channel */

#define IPCMP_PRODUCER 1           /* roles of a handle, for open and create */
#define IPCMP_CONSUMER 2
/* Open and create flag: a producer stamps each message with a checksum,
 * which every consumer checks (-EBADMSG on a mismatch), so a peer that
 * rewrites a message (in the ring, or taken from a queue and put back) is
 * caught. Every message carries its producer's sequence number: a
 * repeated or reordered message gives -EBADMSG; a lost one too, in a ring
 * at once, on a queue at end of stream, to a consumer that is then the only
 * one open (queue consumers each see a part of the numbers). */
#define IPCMP_CHECKSUM 4

#define IPCMP_MODE_DEFAULT 0600
/* Open (and create, over an existing object) wait at most this long for a
 * creator to finish; an object that does not look like a channel by then
 * (zero-filled, an empty queue) is foreign: -EPROTO. */
#define IPCMP_OPEN_WAIT_MS 250
#define IPCMP_TIMEOUT_MARGIN_MS 200   /* a call returns within timeout_ms + this */

struct ipcmp_attr {
	size_t msg_max;            /* largest message in bytes; 0: backend default */
	size_t capacity;           /* messages the channel holds; 0: backend default */
	mode_t mode;               /* permission bits; 0: IPCMP_MODE_DEFAULT */
	int flags;                 /* roles of the creating handle (may be 0) */
};

/* What a backend accepts on this machine, read from the kernel's limits. */
struct ipcmp_limits {
	size_t msg_max_default;
	size_t capacity_default;
	size_t msg_max_limit;      /* largest msg_max create accepts */
	size_t capacity_limit;     /* largest capacity create accepts */
	const char *msg_max_source;   /* the limit behind msg_max_limit, e.g. "fs.mqueue.msgsize_max" */
	const char *capacity_source;  /* likewise for capacity_limit */
};

struct ipcmp_chan {
	const struct ipcmp_ops *ops;
	char name[IPCMP_NAME_MAX + 1];
	size_t msg_max;            /* fixed at create; read from the channel on open */
	size_t capacity;
	int flags;                 /* IPCMP_PRODUCER | IPCMP_CONSUMER */
	void *spare;               /* recv into a small buffer: message kept here */
	ssize_t spare_len;         /* -1: nothing kept */
	pid_t aborter;             /* recv gave IPCMP_ABORTED: the producer that aborted
				      or died, when known (0: not) */
	_Alignas(max_align_t) unsigned char priv[];   /* ops->priv_size bytes */
};

/*
 * The steps of the protocol. Each backend names, in its own file next to
 * the code, the calls it makes at each (ops->steps); `ipcmp compare`
 * prints them side by side as the API map.
 */
enum ipcmp_step_id {
	IPCMP_STEP_CREATE, IPCMP_STEP_OPEN, IPCMP_STEP_SIZE, IPCMP_STEP_MAP,
	IPCMP_STEP_OWNS, IPCMP_STEP_JOIN, IPCMP_STEP_LOCK, IPCMP_STEP_ROOM,
	IPCMP_STEP_PUBLISH, IPCMP_STEP_WAKE, IPCMP_STEP_DATA, IPCMP_STEP_END,
	IPCMP_STEP_ABORT, IPCMP_STEP_DEATH, IPCMP_STEP_DEAD_LOCK, IPCMP_STEP_CLOSE,
	IPCMP_STEP_REMOVE,
	IPCMP_STEPS
};

struct ipcmp_step {
	const char *calls;         /* the functions called, "shmget, semget"; "": none */
	const char *how;           /* with what, or why none: "IPC_CREAT|IPC_EXCL" */
};

extern const char *const ipcmp_step_names[IPCMP_STEPS];   /* "create", "wait for room", ... */

/*
 * A backend: one file of static functions and this exported table.
 * Callers use the ipcmp_* functions below, which check names, lengths,
 * roles and timeouts once for every backend, so an operation here may
 * assume them: len <= chan->msg_max, cap >= chan->msg_max, timeout_ms >= 0,
 * a valid name, and the role the call needs.
 */
struct ipcmp_ops {
	const char *name;          /* "sysv-shm", "posix-mq", ... */
	const char *family;        /* "System V" or "POSIX" */
	const char *calls;         /* the system calls it uses, for reports */
	size_t priv_size;          /* backend state at chan->priv */
	int (*limits)(struct ipcmp_limits *);
	/* create and open fill in msg_max and capacity; on failure they have
	 * released everything they made, and close is not called */
	int (*create)(struct ipcmp_chan *, const struct ipcmp_attr *);
	int (*open)(struct ipcmp_chan *);
	int (*send)(struct ipcmp_chan *, const void *buf, size_t len, int timeout_ms);
	ssize_t (*recv)(struct ipcmp_chan *, void *buf, size_t cap, int timeout_ms);
	/* a producer handle leaves its stream, before close: cleanly, or
	 * (abort) so that consumers get IPCMP_ABORTED */
	int (*leave)(struct ipcmp_chan *, int abort);
	int (*close)(struct ipcmp_chan *);              /* releases the handle's resources */
	/* Removes the channel, after checking that its objects are this
	 * backend's channel (-EPROTO when not). -ENOENT when already gone. */
	int (*unlink)(const char *name);
	/* Is this object one of this backend's channels? kind, object and id
	 * as the census lists them (common/census.h). 1 with the channel's
	 * name; IPCMP_OWNS_DAMAGED when its channel lost a part or its header
	 * was overwritten, with the channel's name ("" when the leftover does
	 * not tell it); 0, or -errno. */
	int (*owns)(const char *kind, const char *object, long id, char *channel, size_t size);
	const struct ipcmp_step *steps;   /* IPCMP_STEPS entries, indexed by enum ipcmp_step_id */
};

/* The backends, in report order, NULL-terminated. */
extern const struct ipcmp_ops *const ipcmp_backends[];
const struct ipcmp_ops *ipcmp_backend(const char *name);   /* NULL if unknown */

int ipcmp_limits(const struct ipcmp_ops *, struct ipcmp_limits *);
int ipcmp_create(const struct ipcmp_ops *, const char *name,
		 const struct ipcmp_attr *, struct ipcmp_chan **out);
int ipcmp_open(const struct ipcmp_ops *, const char *name, int flags,
	       struct ipcmp_chan **out);
int ipcmp_send(struct ipcmp_chan *, const void *buf, size_t len, int timeout_ms);
ssize_t ipcmp_recv(struct ipcmp_chan *, void *buf, size_t cap, int timeout_ms);
int ipcmp_close(struct ipcmp_chan *);       /* NULL is fine; frees the handle */
/* Like close, but a producer's part of the stream ends as aborted, not
 * complete: consumers get IPCMP_ABORTED instead of end of stream. For a
 * producer that failed or was interrupted. NULL is fine; frees the handle. */
int ipcmp_abort(struct ipcmp_chan *);
int ipcmp_unlink(const struct ipcmp_ops *, const char *name);

/* names.c: the only place channel names become object names and keys. */
int ipcmp_name_check(const char *name);     /* 0, -EINVAL or -ENAMETOOLONG */
int ipcmp_posix_name(char *buf, size_t size, const char *name, const char *suffix);
key_t ipcmp_sysv_key(const char *name);
#define IPCMP_POSIX_PREFIX "/ipcmp."

/* The channel of a POSIX object name "/ipcmp.CHANNEL.suffix" (suffix NULL:
 * "/ipcmp.CHANNEL"): 1 with the channel's name, 0 when it is not one. */
int ipcmp_posix_channel(const char *object, const char *suffix, char *channel, size_t size);

/* limits.c: one number from /proc/sys ("/proc/sys/kernel/msgmnb"). */
int ipcmp_read_limit(const char *path, size_t *val);

/* clock.c: deadlines for the bounded waits. */
void ipcmp_deadline(struct timespec *abs, clockid_t clock, int timeout_ms);
int ipcmp_remaining(const struct timespec *abs, clockid_t clock, struct timespec *left);
void ipcmp_sleep(const struct timespec *t);   /* all of t, across signal handlers */

/* A call's deadline, timeout_ms from when the call first has to wait (its
 * first clock read); until then, dated is 0. */
struct ipcmp_until {
	clockid_t clock;
	int timeout_ms;
	int dated;
	struct timespec at;
};
#define IPCMP_UNTIL(clock, timeout_ms) { (clock), (timeout_ms), 0, { 0, 0 } }
/* An open's wait for its creator: timed, not counted in sleeps, which a
 * loaded machine stretches. */
#define IPCMP_OPEN_UNTIL IPCMP_UNTIL(CLOCK_MONOTONIC, IPCMP_OPEN_WAIT_MS)
const struct timespec *ipcmp_until_date(struct ipcmp_until *);     /* the deadline */
/* The end of the next slice: slice_ms from now, or the deadline if sooner
 * (one clock read, which dates the deadline too). */
struct timespec ipcmp_until_slice(struct ipcmp_until *, int slice_ms);
int ipcmp_until_passed(struct ipcmp_until *);
/* Dates the deadline ms after from. */
void ipcmp_until_extend(struct ipcmp_until *, const struct timespec *from, int ms);

/*
 * Whether a call tries without waiting first, where a try is a system call
 * (semop with IPC_NOWAIT, mq_timedsend with a past deadline): a try that
 * succeeds reads no clock and gives the kernel no timeout to arm; one that
 * fails is a call more, so after it the caller sets *pause to
 * IPCMP_TRY_PAUSE and the next that many calls wait at once. A side that
 * waits on every message pays one failed try in IPCMP_TRY_PAUSE + 1.
 */
#define IPCMP_TRY_PAUSE 16
int ipcmp_try_first(unsigned *pause);

const char *ipcmp_strerror(int negative_errno);   /* strerror plus our own codes */

/*
 * The system call behind the last error an ipcmp_* call returned in this
 * thread ("shm_open", "semtimedop"), or NULL when the error is ipcmp's own
 * check. The command line names it in its messages; backends set it with
 * ipcmp_fail() and never print.
 */
extern _Thread_local const char *ipcmp_call;

static inline int ipcmp_fail(const char *call, int err)
{
	ipcmp_call = call;
	return -err;
}

#endif
