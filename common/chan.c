/*
 * chan.c - the checks every backend shares, done once here: names, roles,
 * lengths, timeouts, defaults and limits, and the receive buffer that is
 * smaller than msg_max (the message is kept in the handle, not lost).
 */
#include <stdlib.h>
#include <string.h>

#include "ipcmp.h"

_Thread_local const char *ipcmp_call;

const struct ipcmp_ops *ipcmp_backend(const char *name)
{
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++)
		if (strcmp(ipcmp_backends[i]->name, name) == 0)
			return ipcmp_backends[i];
	return NULL;
}

int ipcmp_limits(const struct ipcmp_ops *ops, struct ipcmp_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	return ops->limits(lim);
}

static struct ipcmp_chan *chan_alloc(const struct ipcmp_ops *ops, const char *name, int flags)
{
	struct ipcmp_chan *chan = calloc(1, sizeof(*chan) + ops->priv_size);

	if (chan == NULL)
		return NULL;
	chan->ops = ops;
	strcpy(chan->name, name);       /* checked by ipcmp_name_check */
	chan->flags = flags;
	chan->spare_len = -1;
	return chan;
}

int ipcmp_create(const struct ipcmp_ops *ops, const char *name,
		 const struct ipcmp_attr *attr, struct ipcmp_chan **out)
{
	struct ipcmp_attr a = { 0 };
	struct ipcmp_limits lim;
	struct ipcmp_chan *chan;
	int rc;

	ipcmp_call = NULL;

	*out = NULL;
	if ((rc = ipcmp_name_check(name)) < 0)
		return rc;
	if (attr != NULL)
		a = *attr;
	if (a.flags & ~(IPCMP_PRODUCER | IPCMP_CONSUMER | IPCMP_CHECKSUM))
		return -EINVAL;
	if ((rc = ipcmp_limits(ops, &lim)) < 0)
		return rc;
	if (a.msg_max == 0)
		a.msg_max = lim.msg_max_default;
	if (a.capacity == 0)
		a.capacity = lim.capacity_default;
	if (a.mode == 0)
		a.mode = IPCMP_MODE_DEFAULT;
	if (a.msg_max > lim.msg_max_limit || a.capacity > lim.capacity_limit ||
	    (a.mode & ~(mode_t)0777) != 0)
		return -EINVAL;
	if ((chan = chan_alloc(ops, name, a.flags)) == NULL)
		return -ENOMEM;
	if ((rc = ops->create(chan, &a)) < 0) {
		free(chan);
		return rc;
	}
	*out = chan;
	return 0;
}

int ipcmp_open(const struct ipcmp_ops *ops, const char *name, int flags,
	       struct ipcmp_chan **out)
{
	struct ipcmp_chan *chan;
	int rc;

	ipcmp_call = NULL;

	*out = NULL;
	if ((rc = ipcmp_name_check(name)) < 0)
		return rc;
	if (flags & ~(IPCMP_PRODUCER | IPCMP_CONSUMER | IPCMP_CHECKSUM))
		return -EINVAL;
	if ((chan = chan_alloc(ops, name, flags)) == NULL)
		return -ENOMEM;
	if ((rc = ops->open(chan)) < 0) {
		free(chan);
		return rc;
	}
	*out = chan;
	return 0;
}

int ipcmp_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms)
{
	ipcmp_call = NULL;
	if (!(chan->flags & IPCMP_PRODUCER))
		return -EBADF;
	if (timeout_ms < 0 || (buf == NULL && len > 0))
		return -EINVAL;
	if (len > chan->msg_max)
		return -EMSGSIZE;
	return chan->ops->send(chan, buf, len, timeout_ms);
}

ssize_t ipcmp_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms)
{
	ssize_t n;

	ipcmp_call = NULL;

	if (!(chan->flags & IPCMP_CONSUMER))
		return -EBADF;
	if (timeout_ms < 0 || (buf == NULL && cap > 0))
		return -EINVAL;
	if (chan->spare_len < 0 && cap >= chan->msg_max)
		return chan->ops->recv(chan, buf, cap, timeout_ms);

	if (chan->spare_len < 0) {
		if (chan->spare == NULL && (chan->spare = malloc(chan->msg_max + 1)) == NULL)
			return -ENOMEM;
		n = chan->ops->recv(chan, chan->spare, chan->msg_max, timeout_ms);
		if (n < 0)
			return n;
		chan->spare_len = n;
	}
	if ((size_t)chan->spare_len > cap)
		return -EMSGSIZE;
	n = chan->spare_len;
	if (n > 0)
		memcpy(buf, chan->spare, (size_t)n);
	chan->spare_len = -1;
	return n;
}

/* A producer leaves its stream first (cleanly or as aborted), then the
 * handle's resources go, whatever the leave gave. */
static int chan_end(struct ipcmp_chan *chan, int abort)
{
	int rc = 0, rc2;

	ipcmp_call = NULL;
	if (chan == NULL)
		return 0;
	if (chan->flags & IPCMP_PRODUCER)
		rc = chan->ops->leave(chan, abort);
	rc2 = chan->ops->close(chan);
	free(chan->spare);
	free(chan);
	return rc < 0 ? rc : rc2;
}

int ipcmp_close(struct ipcmp_chan *chan)
{
	return chan_end(chan, 0);
}

int ipcmp_abort(struct ipcmp_chan *chan)
{
	return chan_end(chan, 1);
}

int ipcmp_unlink(const struct ipcmp_ops *ops, const char *name)
{
	int rc;

	ipcmp_call = NULL;
	rc = ipcmp_name_check(name);
	return rc < 0 ? rc : ops->unlink(name);
}

const char *ipcmp_strerror(int negative_errno)
{
	switch (negative_errno) {
	case IPCMP_EOS:
		return "End of stream";
	case -EPROTO:
		return "Not this channel (a foreign object or a key collision)";
	case -EBADMSG:
		return "Corrupt channel: a bad header, checksum or sequence number";
	case -ETIMEDOUT:
		return "Timed out";
	case -ENOTRECOVERABLE:
		return "Channel broken: its lock holder died";
	case IPCMP_ABORTED:
		return "Stream aborted: a producer died, failed or gave up";
	case -ESHUTDOWN:
		return "Stream over: the channel carries one stream (unlink and create it again)";
	default:
		return strerror(-negative_errno);
	}
}
