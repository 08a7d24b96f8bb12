/*
 * stream.c - end, abort and producer liveness (see stream.h).
 *
 * Orders that make the liveness check sound, with "live" the kernel's
 * count (SysV) or the registered processes alive (POSIX):
 *   join:  register (or count in the kernel) first, then joined + 1;
 *   leave: joined - 1 first, then unregister (or uncount);
 * so live >= joined at every moment unless a producer died. The check
 * reads the word, counts the live, and reads the word again: it decides
 * only if no join or leave finished in between (the generation moved).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcmp.h"
#include "stream.h"

_Static_assert(sizeof(struct ipcmp_stream) % 64 == 0, "the stream fills whole cache lines");

#define JOINED(w)  ((w) & 0xffffu)
#define GEN(w)     (((w) >> 16) & 0x3fffu)
#define STATE(w)   ((w) >> 30)
#define WORD(state, gen, joined) \
	(((uint32_t)(state) << 30) | (((gen) & 0x3fffu) << 16) | ((joined) & 0xffffu))

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define CAS(x, old, new) \
	__atomic_compare_exchange_n(&(x), &(old), (new), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

void ipcmp_stream_init(struct ipcmp_stream *st)
{
	memset(st, 0, sizeof(*st));
}

/* Field 22 of /proc/PID/stat, after the command name in parentheses, which
 * may itself hold spaces and parentheses; the state (field 3) comes too. */
static int read_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[32], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return -EIO;
	*state = p[2];
	p += 3;
	for (int field = 3; field < 22; field++)
		if ((p = strchr(p, ' ')) == NULL)
			return -EIO;
		else
			p++;
	*start = strtoull(p, NULL, 10);
	return 0;
}

uint64_t ipcmp_pid_start(pid_t pid)
{
	uint64_t start = 0;
	char state;

	return read_stat(pid, &state, &start) == 0 ? start : 0;
}

/*
 * /proc tells a zombie (dead, not yet reaped) and a new process under a
 * reused pid (another start time). Without it (a bare chroot, or hidepid),
 * kill(pid, 0) tells only whether the pid exists.
 */
int ipcmp_pid_alive(pid_t pid, uint64_t start)
{
	uint64_t now = 0;
	char state = 0;

	if (pid <= 0)
		return 0;
	if (read_stat(pid, &state, &now) < 0)
		return kill(pid, 0) == 0 || errno == EPERM;
	if (state == 'Z' || state == 'X')
		return 0;
	return start == 0 || now == start;
}

/*
 * glibc's getpid() is a system call (it stopped caching the pid in 2.25),
 * and a POSIX ring records its lock holder's pid at every lock. The pid is
 * cached once a process; a child of fork() forgets it (pthread_atfork),
 * so a handle inherited over fork records the child. Relaxed: the value
 * is this process's own, written before any other thread could need it
 * or rewritten with the same value; the fork handler runs in the child's
 * only thread.
 */
static pid_t self_pid;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void forget_self(void)
{
	__atomic_store_n(&self_pid, 0, __ATOMIC_RELAXED);
}

static void watch_forks(void)
{
	pthread_atfork(NULL, NULL, forget_self);
}

pid_t ipcmp_self(void)
{
	pid_t pid = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);

	if (pid == 0) {
		pthread_once(&self_once, watch_forks);
		pid = getpid();
		__atomic_store_n(&self_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

static int registry_claim(struct ipcmp_stream *st, pid_t pid)
{
	uint64_t start = ipcmp_pid_start(pid);

	for (int i = 0; i < IPCMP_STREAM_PRODUCERS; i++) {
		int32_t none = 0;

		if (LOAD(st->producer[i].pid) == 0 && CAS(st->producer[i].pid, none, (int32_t)pid)) {
			STORE(st->producer[i].start, start);
			return i;
		}
	}
	return -EUSERS;
}

static void registry_release(struct ipcmp_stream *st, int slot, pid_t pid)
{
	int32_t mine = (int32_t)pid;

	if (slot >= 0 && slot < IPCMP_STREAM_PRODUCERS)
		CAS(st->producer[slot].pid, mine, 0);
}

/* Registered producers alive; the first dead one in *dead. */
static int registry_live(struct ipcmp_stream *st, pid_t *dead)
{
	int live = 0;

	for (int i = 0; i < IPCMP_STREAM_PRODUCERS; i++) {
		pid_t pid = LOAD(st->producer[i].pid);

		if (pid == 0)
			continue;
		if (ipcmp_pid_alive(pid, LOAD(st->producer[i].start)))
			live++;
		else if (*dead == 0)
			*dead = pid;
	}
	return live;
}

int ipcmp_stream_join(struct ipcmp_stream *st, struct ipcmp_stream_member *m)
{
	pid_t pid = getpid();
	uint32_t w = LOAD(st->word);
	int slot;

	if (STATE(w) >= IPCMP_STREAM_ENDED)
		return -ESHUTDOWN;
	if ((slot = registry_claim(st, pid)) < 0)
		return slot;
	for (;;) {
		if (STATE(w) >= IPCMP_STREAM_ENDED || JOINED(w) == 0xffffu) {
			registry_release(st, slot, pid);
			return STATE(w) >= IPCMP_STREAM_ENDED ? -ESHUTDOWN : -EUSERS;
		}
		if (CAS(st->word, w, WORD(IPCMP_STREAM_OPEN, GEN(w) + 1, JOINED(w) + 1)))
			break;
	}
	m->pid = pid;
	m->slot = slot;
	return 0;
}

int ipcmp_stream_leave(struct ipcmp_stream *st, struct ipcmp_stream_member *m, int abort)
{
	uint32_t w = LOAD(st->word), state;
	int moved;

	if (m->pid == 0 || m->pid != getpid()) {
		m->pid = 0;
		return 0;
	}
	if (abort) {
		int32_t none = 0;

		CAS(st->aborter, none, (int32_t)m->pid);
	}
	do {
		state = STATE(w);
		if (abort && state != IPCMP_STREAM_ENDED)
			state = IPCMP_STREAM_ABORTED;
		else if (JOINED(w) <= 1 && state == IPCMP_STREAM_OPEN)
			state = IPCMP_STREAM_ENDED;
		moved = state != STATE(w);
	} while (!CAS(st->word, w, WORD(state, GEN(w) + 1, JOINED(w) > 0 ? JOINED(w) - 1 : 0)));
	registry_release(st, m->slot, m->pid);
	m->pid = 0;
	return moved;
}

int ipcmp_stream_over(const struct ipcmp_stream *st)
{
	uint32_t w = LOAD(st->word);

	return STATE(w) == IPCMP_STREAM_ENDED ? IPCMP_EOS :
	       STATE(w) == IPCMP_STREAM_ABORTED ? IPCMP_ABORTED : 0;
}

pid_t ipcmp_stream_aborter(const struct ipcmp_stream *st)
{
	return LOAD(st->aborter);
}

int ipcmp_stream_status(struct ipcmp_stream *st, ipcmp_live_fn live, void *arg, int *moved)
{
	uint32_t w = LOAD(st->word);
	pid_t dead = 0;
	int n;

	*moved = 0;
	if (STATE(w) != IPCMP_STREAM_OPEN)
		return ipcmp_stream_over(st);
	n = live != NULL ? live(arg) : registry_live(st, &dead);
	if (n < 0)
		return n;
	if ((uint32_t)n >= JOINED(w))
		return 0;
	if (live != NULL)               /* SysV: the kernel said; the registry names it */
		registry_live(st, &dead);
	if (LOAD(st->word) != w)        /* a join or leave finished meanwhile: look again later */
		return 0;
	if (dead != 0) {
		int32_t none = 0;

		CAS(st->aborter, none, (int32_t)dead);
	}
	if (CAS(st->word, w, WORD(IPCMP_STREAM_ABORTED, GEN(w) + 1, JOINED(w))))
		*moved = 1;
	return ipcmp_stream_over(st);
}
