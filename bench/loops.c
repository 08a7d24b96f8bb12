/*
 * loops.c - the stream and the round trip, written once for every message
 * transport (the backends and the plain loops): stamp, put, get, check,
 * time. A transport supplies only its put and get (bench.h).
 */
#include <stdlib.h>

#include "bench.h"

struct job {
	const struct bench_transport *ops;
	void *t;
};

static int prepare(struct bench_run *r, void *arg)
{
	struct job *j = arg;

	return j->ops->open != NULL ? j->ops->open(r, j->t, bench_side_of(r)) : 0;
}

static int finish(struct bench_run *r, struct job *j, unsigned char *buf, int rc)
{
	free(buf);
	if (j->ops->close != NULL && j->ops->close(r, j->t, bench_side_of(r)) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

static unsigned char *buffer(struct bench_run *r)
{
	size_t size = bench_case_of(r)->size;
	unsigned char *buf = malloc(size);

	if (buf == NULL)
		bench_fail(r, "no memory for %zu bytes", size);
	else
		memset(buf, 0xa5, size);
	return buf;
}

static int producer(struct bench_run *r, void *arg)
{
	struct job *j = arg;
	size_t size = bench_case_of(r)->size;
	unsigned char *buf = buffer(r);
	int rc = buf == NULL ? -1 : 0, last = 0;

	for (uint64_t seq = 0; rc == 0 && !last; seq++) {
		last = bench_last(r, seq);
		bench_stamp(buf, size, seq, last);
		rc = j->ops->put(r, j->t, 0, buf, size);
	}
	return finish(r, j, buf, rc);
}

static int consumer(struct bench_run *r, void *arg)
{
	struct job *j = arg;
	size_t size = bench_case_of(r)->size;
	unsigned char *buf = buffer(r);
	int rc = buf == NULL ? -1 : 0;
	uint64_t seq = 0;

	while (rc == 0) {
		ssize_t n = j->ops->get(r, j->t, 0, buf, size);

		rc = n < 0 ? -1 : bench_check(r, buf, n, seq++);
	}
	if (rc > 0)
		rc = bench_done(r, seq);
	return finish(r, j, buf, rc);
}

/* The client puts on direction 0 and gets the echo on 1; the server gets on
 * 0 and puts back on 1. */
static int client(struct bench_run *r, void *arg)
{
	struct job *j = arg;
	size_t size = bench_case_of(r)->size;
	unsigned char *buf = buffer(r);
	int rc = buf == NULL ? -1 : 0, last = 0;

	for (uint64_t seq = 0; rc >= 0 && !last; seq++) {
		ssize_t n;

		last = bench_last(r, seq);
		bench_stamp(buf, size, seq, last);
		if ((rc = j->ops->put(r, j->t, 0, buf, size)) < 0)
			break;
		n = j->ops->get(r, j->t, 1, buf, size);
		rc = n < 0 ? -1 : bench_check(r, buf, n, seq);
		bench_lap(r);
	}
	return finish(r, j, buf, rc);
}

static int server(struct bench_run *r, void *arg)
{
	struct job *j = arg;
	size_t size = bench_case_of(r)->size;
	unsigned char *buf = buffer(r);
	int rc = buf == NULL ? -1 : 0;

	for (uint64_t seq = 0; rc == 0; seq++) {
		ssize_t n = j->ops->get(r, j->t, 0, buf, size);

		if (n < 0 || (rc = bench_check(r, buf, n, seq)) < 0)
			rc = -1;
		else if (j->ops->put(r, j->t, 1, buf, size) < 0)
			rc = -1;
	}
	return finish(r, j, buf, rc);
}

int bench_transport(const struct bench_case *c, struct bench_sample *s,
		    const struct bench_transport *ops, void *t)
{
	struct job j = { ops, t };

	if (c->mode == BENCH_STREAM)
		return bench_pair(c, s, prepare, producer, consumer, &j);
	return bench_pair(c, s, prepare, client, server, &j);
}
