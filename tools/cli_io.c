/*
 * cli_io.c - what send and recv need from the process around them: the
 * descriptors 0-2 kept out of the channel's reach, signals that end a
 * stream cleanly, and reads, writes and channel calls that return soon
 * after a signal.
 *
 * Signals: the handler only records the signal. It is installed without
 * SA_RESTART, so a read, write or poll of ours returns EINTR; but the
 * backends retry their own waits after EINTR (semtimedop, sem_timedwait,
 * mq_timedsend, mq_timedreceive), so a channel call is made in slices of
 * at most CLI_SLICE_MS within its timeout, and the flag is looked at
 * between slices. The same slices guard our own waits on stdin and
 * stdout: a signal caught just before poll() is seen one slice later.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t caught;
static unsigned closed_at_start;   /* bit fd set: descriptor fd was closed */

/*
 * A descriptor 0-2 that is closed when we start would be the next one a
 * call opens: mq_open's queue descriptor would become our stdin. Hold each
 * with /dev/null, opened the other way round (stdin write-only, stdout and
 * stderr read-only), so that reading or writing it still fails with EBADF
 * as it would have closed, and remember it for the error message.
 */
int cli_reserve_stdio(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		got = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
		if (got >= 0 && got != fd) {   /* lower ones are open: cannot happen */
			close(got);
			got = -1;
			errno = EBADF;
		}
		if (got < 0)
			return -errno;
		closed_at_start |= 1u << fd;
	}
	return 0;
}

int cli_stdio_closed(int fd)
{
	return fd >= 0 && fd <= STDERR_FILENO && (closed_at_start & (1u << fd)) != 0;
}

static void on_signal(int sig)
{
	caught = sig;
}

/* A signal ignored when we start stays ignored: a shell ignores SIGINT in
 * its background jobs, so that Ctrl-C reaches only the foreground one. */
void cli_catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;        /* no SA_RESTART: blocked calls return EINTR */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

/*
 * What another process can do to a channel that the library cannot catch,
 * and that ends in a signal (README, "Hostile peers"):
 *   SIGBUS:  a POSIX object shrunk under our mapping (ftruncate); the next
 *            touch of a page past the new end.
 *   SIGABRT: a named semaphore's file overwritten; glibc's sem_timedwait
 *            aborts ("The futex facility returned an unexpected error code").
 * The library installs no handler; the command says what happened and
 * exits 1. A producer that exits so is dead to its stream: aborted.
 */
static char bus_msg[200], abrt_msg[200];

static void on_damage(int sig)
{
	const char *m = sig == SIGBUS ? bus_msg : abrt_msg;
	ssize_t w = write(STDERR_FILENO, m, strlen(m));

	(void)w;
	_exit(1);
}

void cli_catch_damage(const char *backend, const char *name)
{
	struct sigaction sa;

	snprintf(bus_msg, sizeof(bus_msg), "ipcmp: %s \"%s\": the channel's shared memory was "
		 "truncated by another process (SIGBUS)\n", backend, name);
	snprintf(abrt_msg, sizeof(abrt_msg), "ipcmp: %s \"%s\": aborted (SIGABRT); glibc does "
		 "so when another process overwrote a semaphore of the channel\n", backend, name);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_damage;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
}

int cli_caught(void)
{
	return caught;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next slice of a wait that must end by deadline; 0 when it has. */
static int next_slice(long deadline)
{
	long left = deadline - now_ms();

	if (left <= 0)
		return 0;
	return left < CLI_SLICE_MS ? (int)left : CLI_SLICE_MS;
}

/* A slice that ran out is a timeout only once the whole timeout has;
 * -EINTR (a library that returns it) means: look at the flag, go on. */
int cli_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int slice, rc;

	if (timeout_ms == 0)
		return ipcmp_send(chan, buf, len, 0);
	while ((slice = next_slice(deadline)) > 0) {
		rc = ipcmp_send(chan, buf, len, slice);
		if (rc != -ETIMEDOUT && rc != -EINTR)
			return rc;
		if (caught)
			return -EINTR;
	}
	return -ETIMEDOUT;
}

ssize_t cli_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	ssize_t n;
	int slice;

	if (timeout_ms == 0)
		return ipcmp_recv(chan, buf, cap, 0);
	while ((slice = next_slice(deadline)) > 0) {
		n = ipcmp_recv(chan, buf, cap, slice);
		if (n != -ETIMEDOUT && n != -EINTR)
			return n;
		if (caught)
			return -EINTR;
	}
	return -ETIMEDOUT;
}

/* Waits until fd is ready, looking at the flag every slice; 0 or -EINTR. */
static int ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		if (caught)
			return -EINTR;
		int n = poll(&p, 1, CLI_SLICE_MS);

		if (n > 0)
			return 0;             /* POLLERR, POLLHUP: the call will say */
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

ssize_t cli_read_full(int fd, void *buf, size_t cap)
{
	size_t got = 0;
	int rc;

	while (got < cap) {
		ssize_t n;

		if ((rc = ready(fd, POLLIN)) < 0)
			return rc;
		n = read(fd, (char *)buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* At most PIPE_BUF bytes a write: after POLLOUT, a pipe takes that much
 * without blocking, so a write never sleeps past a signal. */
int cli_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	int rc;

	while (len > 0) {
		ssize_t n;

		if ((rc = ready(fd, POLLOUT)) < 0)
			return rc;
		n = write(fd, p, len < PIPE_BUF ? len : PIPE_BUF);
		if (n < 0 && caught)
			return -EINTR;        /* EPIPE with SIGPIPE caught */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The end of every command: what stdout still buffers is written, and a
 * failure to write it is the command's failure. */
int cli_close_stdout(const char *cmd)
{
	int bad = ferror(stdout), err;

	errno = 0;
	if (fclose(stdout) == 0 && !bad)
		return 0;
	err = errno != 0 ? errno : EIO;
	if (cli_stdio_closed(STDOUT_FILENO))
		fprintf(stderr, "ipcmp: %s: write stdout: stdout is closed\n", cmd);
	else
		fprintf(stderr, "ipcmp: %s: write stdout: %s\n", cmd, strerror(err));
	return -err;
}
