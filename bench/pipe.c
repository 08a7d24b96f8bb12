/*
 * pipe.c - a pipe: the baseline every kernel transport is compared with.
 *
 * The pipe's buffer is asked for capacity x size bytes (F_SETPIPE_SZ), as
 * far as fs.pipe-max-size allows without CAP_SYS_RESOURCE; the report says
 * what it got. A pipe is a byte stream: a message of more than PIPE_BUF
 * bytes may be read in pieces, so both sides loop until the whole message
 * has moved. Blocking read and write take no timeout; the watchdog that
 * pair.c arms in every side (alarm) is their bound. A round trip uses two
 * pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct pipes {
	int fd[2][2];              /* per direction: [0] read end, [1] write end; -1: none */
};

static int pipe_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct pipes *p = t;
	const unsigned char *b = buf;

	while (len > 0) {
		ssize_t n = write(p->fd[dir][1], b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bench_fail(r, "write: %s", strerror(errno));
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t pipe_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct pipes *p = t;
	unsigned char *b = buf;
	size_t got = 0;

	/* Every message has the case's size: read exactly that much. */
	while (got < bench_case_of(r)->size && got < cap) {
		ssize_t n = read(p->fd[dir][0], b + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bench_fail(r, "read: %s", strerror(errno));
		if (n == 0)
			return bench_fail(r, "read: end of file after %zu bytes", got);
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static const struct bench_transport pipe_transport = {
	.put = pipe_put,
	.get = pipe_get,
};

int bench_pipe(const struct bench_case *c, struct bench_sample *s)
{
	struct pipes p = { { { -1, -1 }, { -1, -1 } } };
	int rc = 0, size = 0;

	for (int i = 0; i < (c->mode == BENCH_ROUNDTRIP ? 2 : 1); i++) {
		if (pipe2(p.fd[i], O_CLOEXEC) < 0) {
			snprintf(s->error, sizeof(s->error), "pipe: %s", strerror(errno));
			rc = -1;
			break;
		}
		/* The kernel rounds up to a power of two pages; EPERM: over the
		 * unprivileged maximum, so halve until it fits. */
		for (size_t want = c->capacity * c->size; want >= 4096; want /= 2)
			if (fcntl(p.fd[i][1], F_SETPIPE_SZ, (int)want) >= 0)
				break;
		size = fcntl(p.fd[i][1], F_GETPIPE_SZ);
	}
	s->capacity = size > 0 ? (size_t)size / c->size : 0;
	snprintf(s->note, sizeof(s->note), "pipe buffer %d bytes", size);
	if (rc == 0)
		rc = bench_transport(c, s, &pipe_transport, &p);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (p.fd[i][j] >= 0)
				close(p.fd[i][j]);
	return rc;
}
