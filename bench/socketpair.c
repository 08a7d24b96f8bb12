/*
 * socketpair.c - an AF_UNIX socketpair of type SOCK_SEQPACKET: a kernel
 * transport that keeps message boundaries, as the channels do, one send
 * and one recv a message.
 *
 * The send buffer is asked for capacity x size bytes (SO_SNDBUF, which
 * net.core.wmem_max caps); the report says what it got. Blocking send and
 * recv take no timeout; the watchdog that run.c arms in every side (alarm)
 * is their bound. One socketpair serves both directions of a round trip:
 * each end sends and receives.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct sockets {
	int fd[2];                 /* [0] the producer's (client's) end; -1: none */
};

/* Direction 0 goes from end 0 to end 1; direction 1 back. */
static int sock_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct sockets *k = t;

	while (send(k->fd[dir], buf, len, 0) < 0)
		if (errno != EINTR)
			return bench_fail(r, "send: %s", strerror(errno));
	return 0;
}

static ssize_t sock_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct sockets *k = t;
	ssize_t n;

	while ((n = recv(k->fd[!dir], buf, cap, 0)) < 0)
		if (errno != EINTR)
			return bench_fail(r, "recv: %s", strerror(errno));
	return n;
}

static const struct bench_transport sock_transport = {
	.put = sock_put,
	.get = sock_get,
};

int bench_socketpair(const struct bench_case *c, struct bench_sample *s)
{
	struct sockets k = { { -1, -1 } };
	int want = (int)(c->capacity * c->size), got = 0, rc;
	socklen_t len = sizeof(got);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, k.fd) < 0) {
		snprintf(s->error, sizeof(s->error), "socketpair: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++)
		setsockopt(k.fd[i], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	getsockopt(k.fd[0], SOL_SOCKET, SO_SNDBUF, &got, &len);
	snprintf(s->note, sizeof(s->note), "SO_SNDBUF %d bytes", got);
	rc = bench_transport(c, s, &sock_transport, &k);
	close(k.fd[0]);
	close(k.fd[1]);
	return rc;
}
