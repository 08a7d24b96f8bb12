/*
 * raw_posix_mq.c - plain mq_send/mq_receive: what posix-mq is measured
 * against.
 *
 * One queue with mq_maxmsg = capacity and mq_msgsize = the size under
 * test, made exclusively and unlinked as soon as it is open (the
 * descriptor lives on and the children inherit it across fork). Two system
 * calls a message. A round trip uses two queues.
 *
 * POSIX: mq_timedsend and mq_timedreceive take an absolute CLOCK_REALTIME
 * deadline; one deadline, the case's bound, serves every call of a side, so
 * bounding the waits costs no clock reading a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct queues {
	mqd_t mqd[2];              /* (mqd_t)-1: none */
	struct timespec deadline;
};

static int queue_open(struct bench_run *r, void *t, int side)
{
	struct queues *q = t;

	(void)side;
	q->deadline = bench_deadline(r);
	return 0;
}

static int queue_put(struct bench_run *r, void *t, int dir, const void *buf, size_t len)
{
	struct queues *q = t;

	while (mq_timedsend(q->mqd[dir], buf, len, 0, &q->deadline) < 0)
		if (errno != EINTR)
			return bench_fail(r, "mq_timedsend: %s", strerror(errno));
	return 0;
}

static ssize_t queue_get(struct bench_run *r, void *t, int dir, void *buf, size_t cap)
{
	struct queues *q = t;
	ssize_t n;

	while ((n = mq_timedreceive(q->mqd[dir], buf, cap, NULL, &q->deadline)) < 0)
		if (errno != EINTR)
			return bench_fail(r, "mq_timedreceive: %s", strerror(errno));
	return n;
}

static const struct bench_transport queue_transport = {
	.open = queue_open,
	.put = queue_put,
	.get = queue_get,
};

int bench_raw_posix_mq(const struct bench_case *c, struct bench_sample *s)
{
	struct mq_attr attr = { .mq_maxmsg = (long)c->capacity, .mq_msgsize = (long)c->size };
	struct queues q = { .mqd = { (mqd_t)-1, (mqd_t)-1 } };
	char name[IPCMP_NAME_MAX + 32];
	int rc = 0;

	for (int i = 0, tries = 0; i < (c->mode == BENCH_ROUNDTRIP ? 2 : 1); i++) {
		snprintf(name, sizeof(name), "%s%s.%d", IPCMP_POSIX_PREFIX, c->tag, i);
		while ((q.mqd[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1 &&
		       bench_again(errno, &tries))
			;
		if (q.mqd[i] == (mqd_t)-1) {
			snprintf(s->error, sizeof(s->error), "mq_open(%s, maxmsg %zu, msgsize %zu): %s",
				 name, c->capacity, c->size, strerror(errno));
			rc = -1;
			break;
		}
		mq_unlink(name);
	}
	s->capacity = c->capacity;
	if (rc == 0)
		rc = bench_transport(c, s, &queue_transport, &q);
	for (int i = 0; i < 2; i++)
		if (q.mqd[i] != (mqd_t)-1)
			mq_close(q.mqd[i]);
	return rc;
}
