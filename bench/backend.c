/*
 * backend.c - a backend through the ipcmp API, as a program would use it.
 *
 * The parent creates the channel (exclusively, mode 0600, msg_max the size
 * under test, the capacity of the case); each side opens it in its role
 * before the release, and the producer's close ends the stream, which the
 * consumer must then see (IPCMP_EOS). A round trip uses two channels, the
 * second named with a "b" after the first. The parent closes and removes
 * the channels on every path.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define WAIT_MS (BENCH_WAIT_S * 1000)

struct chans {
	const struct ipcmp_ops *ops;
	char name[2][IPCMP_NAME_MAX + 1];   /* [0] producer -> consumer, [1] back */
	struct ipcmp_chan *dir[2];          /* in a side: its handle on each */
};

static int fail(struct bench_run *r, const char *what, const char *name, int rc)
{
	return bench_fail(r, "%s \"%s\": %s%s%s", what, name,
			  ipcmp_call ? ipcmp_call : "", ipcmp_call ? ": " : "", ipcmp_strerror(rc));
}

/* Side 0 produces on channel 0 and consumes on 1; side 1 the other way. */
static int chan_open(struct bench_run *r, void *t, int side)
{
	struct chans *ch = t;
	int n = bench_case_of(r)->mode == BENCH_ROUNDTRIP ? 2 : 1, rc;

	for (int i = 0; i < n; i++) {
		int role = (i == side) ? IPCMP_PRODUCER : IPCMP_CONSUMER;

		if ((rc = ipcmp_open(ch->ops, ch->name[i], role, &ch->dir[i])) < 0)
			return fail(r, "ipcmp_open", ch->name[i], rc);
	}
	return 0;
}

static int chan_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct chans *ch = t;
	int rc = ipcmp_send(ch->dir[dir], buf, len, WAIT_MS);

	return rc < 0 ? fail(r, "ipcmp_send", ch->name[dir], rc) : 0;
}

static ssize_t chan_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct chans *ch = t;
	ssize_t n = ipcmp_recv(ch->dir[dir], buf, cap, WAIT_MS);

	return n < 0 ? fail(r, "ipcmp_recv", ch->name[dir], (int)n) : n;
}

/* Producers close first; a stream's consumer then sees the end. */
static int chan_close(struct bench_run *r, void *t, int side)
{
	const struct bench_case *c = bench_case_of(r);
	struct chans *ch = t;
	unsigned char *buf;
	int rc = 0;

	if (c->mode == BENCH_STREAM && side == 1 && ch->dir[0] != NULL &&
	    (buf = malloc(c->size)) != NULL) {
		ssize_t n = ipcmp_recv(ch->dir[0], buf, c->size, WAIT_MS);

		free(buf);
		if (n >= 0)
			rc = bench_fail(r, "a message after the last one");
		else if (n != IPCMP_EOS)
			rc = fail(r, "ipcmp_recv (end of stream)", ch->name[0], (int)n);
	}
	for (int i = 0; i < 2; i++) {
		int e = ipcmp_close(ch->dir[i]);

		if (e < 0 && rc == 0)
			rc = fail(r, "ipcmp_close", ch->name[i], e);
		ch->dir[i] = NULL;
	}
	return rc;
}

static const struct bench_transport chan_transport = {
	.open = chan_open,
	.put = chan_put,
	.get = chan_get,
	.close = chan_close,
};

int bench_backend(const struct bench_case *c, struct bench_sample *s)
{
	struct ipcmp_attr attr = { .msg_max = c->size, .capacity = c->capacity };
	struct ipcmp_chan *made[2] = { NULL, NULL };
	struct chans ch = { .ops = c->ops };
	int n = c->mode == BENCH_ROUNDTRIP ? 2 : 1, rc = 0;

	for (int i = 0, tries = 0; i < n && rc == 0; i++) {
		snprintf(ch.name[i], sizeof(ch.name[i]), "%s%s", c->tag, i ? "b" : "");
		while ((rc = ipcmp_create(c->ops, ch.name[i], &attr, &made[i])) < 0 &&
		       bench_again(-rc, &tries))
			;
		if (rc < 0) {
			snprintf(s->error, sizeof(s->error),
				 "ipcmp_create \"%s\" (msg_max %zu, capacity %zu): %s%s%s",
				 ch.name[i], c->size, c->capacity, ipcmp_call ? ipcmp_call : "",
				 ipcmp_call ? ": " : "", ipcmp_strerror(rc));
			n = i;
		}
	}
	if (rc == 0) {
		s->capacity = made[0]->capacity;
		rc = bench_transport(c, s, &chan_transport, &ch);
	}
	for (int i = 0; i < n; i++) {
		int e;

		ipcmp_close(made[i]);
		if ((e = ipcmp_unlink(c->ops, ch.name[i])) < 0 && s->error[0] == '\0') {
			snprintf(s->error, sizeof(s->error), "ipcmp_unlink \"%s\": %s", ch.name[i],
				 ipcmp_strerror(e));
			rc = -1;
		}
	}
	return rc < 0 ? -1 : 0;
}
