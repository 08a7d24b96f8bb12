/*
 * errors.c - the checks the library makes before any backend runs (chan.c),
 * on every backend: each bad argument gives the error ipcmp.h documents,
 * makes nothing, and leaves the channel as it was; each of ipcmp's own
 * codes has its own text.
 *
 *   $ ./build/suite --filter 'sysv_msg/bad_arguments'
 */
#include <string.h>

#include "backends.h"

#define BAD_FLAG 0x100             /* no such role or flag */

static void bad_create_arguments(const struct ipcmp_ops *ops)
{
	const char *name = fixture_name();
	struct ipcmp_attr flags = { .flags = BAD_FLAG };
	struct ipcmp_attr mode = { .mode = 01600 };
	struct ipcmp_chan *c = (struct ipcmp_chan *)&c;
	int rc;

	rc = ipcmp_create(ops, name, &flags, &c);
	cr_assert(eq(int, rc, -EINVAL), "%s: create with flags 0x%x: %s, want EINVAL", ops->name,
		  BAD_FLAG, ipcmp_strerror(rc));
	cr_assert(c == NULL, "%s: a failed create leaves *out set", ops->name);
	rc = ipcmp_create(ops, name, &mode, &c);
	cr_assert(eq(int, rc, -EINVAL), "%s: create with mode 01600 (not permission bits): %s, "
		  "want EINVAL", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
	cr_assert(eq(int, rc, -ENOENT), "%s: the refused creates made a channel: open gives %s",
		  ops->name, ipcmp_strerror(rc));
}

static void bad_call_arguments(const struct ipcmp_ops *ops)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, IPCMP_PRODUCER | IPCMP_CONSUMER);
	struct ipcmp_chan *o = (struct ipcmp_chan *)&o;
	char buf[64];
	ssize_t n;
	int rc;

	rc = ipcmp_open(ops, name, IPCMP_CONSUMER | BAD_FLAG, &o);
	cr_assert(eq(int, rc, -EINVAL), "%s: open with flag 0x%x: %s, want EINVAL", ops->name,
		  BAD_FLAG, ipcmp_strerror(rc));
	cr_assert(o == NULL, "%s: a failed open leaves *out set", ops->name);
	rc = ipcmp_send(c, "x", 1, -1);
	cr_assert(eq(int, rc, -EINVAL), "%s: send with timeout -1: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_send(c, NULL, 1, 0);
	cr_assert(eq(int, rc, -EINVAL), "%s: send of 1 byte from NULL: %s", ops->name,
		  ipcmp_strerror(rc));
	n = ipcmp_recv(c, buf, sizeof(buf), -1);
	cr_assert(eq(int, (int)n, -EINVAL), "%s: recv with timeout -1: %s", ops->name,
		  ipcmp_strerror((int)n));
	n = ipcmp_recv(c, NULL, 1, 0);
	cr_assert(eq(int, (int)n, -EINVAL), "%s: recv into NULL: %s", ops->name,
		  ipcmp_strerror((int)n));
	/* a small buffer goes through the spare message: empty is -EAGAIN */
	n = ipcmp_recv(c, buf, 8, 0);
	cr_assert(eq(int, (int)n, -EAGAIN), "%s: recv into 8 bytes from an empty channel: %s",
		  ops->name, ipcmp_strerror((int)n));
	/* none of them sent or took anything */
	rc = ipcmp_send(c, "ok", 2, 0);
	cr_assert(eq(int, rc, 0), "%s: send after the refused calls: %s", ops->name, ipcmp_strerror(rc));
	n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(int, (int)n, 2), "%s: recv after the refused calls: %s", ops->name,
		  ipcmp_strerror((int)n));
	n = ipcmp_recv(c, buf, sizeof(buf), 0);
	cr_assert(eq(int, (int)n, -EAGAIN), "%s: a refused call left a message: %zd", ops->name, n);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* One worker per backend: each is cheap, a worker under valgrind is not. */
BACKEND_TEST(bad_arguments)
{
	bad_create_arguments(ops);
	bad_call_arguments(ops);
}

/* ipcmp's own codes each have their own text, not strerror's. */
Test(errors, strerror_own_codes)
{
	static const int codes[] = { IPCMP_EOS, IPCMP_ABORTED, -EPROTO, -EBADMSG, -ETIMEDOUT,
				     -ENOTRECOVERABLE, -ESHUTDOWN };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *t = ipcmp_strerror(codes[i]);

		cr_assert(t != NULL && t[0] != '\0', "ipcmp_strerror(%d) is empty", codes[i]);
		if (codes[i] != -ETIMEDOUT)
			cr_assert(strcmp(t, strerror(-codes[i])) != 0,
				  "ipcmp_strerror(%d) is strerror's \"%s\"", codes[i], t);
		for (size_t j = 0; j < i; j++)
			cr_assert(strcmp(t, ipcmp_strerror(codes[j])) != 0,
				  "ipcmp_strerror(%d) and (%d) are both \"%s\"", codes[i], codes[j], t);
	}
	cr_assert(strcmp(ipcmp_strerror(-ENOENT), strerror(ENOENT)) == 0,
		  "ipcmp_strerror(-ENOENT) is not strerror's");
}
