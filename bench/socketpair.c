/*
 * socketpair.c - an AF_UNIX stream socketpair, as most programs use one.
 *
 * A stream keeps no message boundaries: the receiver asks for exactly one
 * message's bytes with MSG_WAITALL, and the sender's blocking send moves
 * them all. (SOCK_SEQPACKET would keep boundaries, but refuses a message
 * larger than the send buffer with EMSGSIZE, and the kernel's buffer
 * accounting made 64 KiB messages fail there now and then.) The send
 * buffer is raised to capacity x size bytes where that is more than the
 * default (SO_SNDBUF, which net.core.wmem_max caps); the report says what
 * it got. Blocking send and
 * recv take no timeout; the watchdog that pair.c arms in every side (alarm)
 * is their bound. One socketpair serves both directions of a round trip.
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

	const unsigned char *b = buf;

	while (len > 0) {
		ssize_t n = send(k->fd[dir], b, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bench_fail(r, "send: %s", strerror(errno));
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t sock_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct sockets *k = t;
	ssize_t n;

	/* Every message has the case's size: wait for all of it. */
	while ((n = recv(k->fd[!dir], buf, bench_case_of(r)->size < cap ? bench_case_of(r)->size : cap,
			 MSG_WAITALL)) < 0)
		if (errno != EINTR)
			return bench_fail(r, "recv: %s", strerror(errno));
	if (n == 0)
		return bench_fail(r, "recv: end of stream");
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

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k.fd) < 0) {
		snprintf(s->error, sizeof(s->error), "socketpair: %s", strerror(errno));
		return -1;
	}
	/* Only ever raised: the kernel charges a small message's whole buffer
	 * (hundreds of bytes) against SO_SNDBUF, so capacity x size bytes would
	 * hold far fewer than capacity small messages. */
	getsockopt(k.fd[0], SOL_SOCKET, SO_SNDBUF, &got, &len);
	for (int i = 0; i < 2 && want > got; i++)
		setsockopt(k.fd[i], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	getsockopt(k.fd[0], SOL_SOCKET, SO_SNDBUF, &got, &len);
	snprintf(s->note, sizeof(s->note), "SO_SNDBUF %d bytes", got);
	rc = bench_transport(c, s, &sock_transport, &k);
	close(k.fd[0]);
	close(k.fd[1]);
	return rc;
}
