/*
 * ownership.c - a backend removes only its own channels.
 *
 * The object names of different backends never collide (common/names.c):
 * posix-mq's state object and posix-shm's ring used to share "/ipcmp.X.mq",
 * so `unlink -b posix-shm x.mq` broke a live posix-mq "x", and
 * `unlink -b posix-mq a` removed posix-shm "a.mq" (issue 8, defect 4).
 * Here every backend's unlink is tried on every other backend's channels,
 * under the same name and under names one suffix apart; the victim must
 * still open and carry a message afterwards.
 *
 *   $ ./build/suite --filter 'ownership/unlink_spares_other_backends'
 */
#include <stdio.h>
#include <string.h>

#include "backends.h"

static const char *const suffixes[] = { NULL, "mq", "ring", "lock", "items", "slots" };

/* a's channel still opens and answers (nothing has been sent on it). */
static void intact(const struct ipcmp_ops *a, const char *name, const struct ipcmp_ops *b,
		   const char *bname)
{
	struct ipcmp_chan *h;
	char buf[8];
	ssize_t n;
	int rc;

	rc = ipcmp_open(a, name, IPCMP_CONSUMER, &h);
	cr_assert(eq(int, rc, 0), "%s \"%s\": open after unlink -b %s \"%s\": %s", a->name, name,
		  b->name, bname, ipcmp_strerror(rc));
	n = ipcmp_recv(h, buf, h->msg_max < sizeof(buf) ? h->msg_max : sizeof(buf), 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s \"%s\": recv after unlink -b %s \"%s\": %s",
		  a->name, name, b->name, bname, n < 0 ? ipcmp_strerror((int)n) : "a message");
	chan_close_ok(h);
}

static void other_unlinks(const struct ipcmp_ops *a, const char *name, const struct ipcmp_ops *b,
			  const char *bname)
{
	int rc = ipcmp_unlink(b, bname);

	cr_assert(rc == -ENOENT || rc == -EPROTO, "unlink -b %s \"%s\" with %s \"%s\" there: %s, "
		  "want -ENOENT or -EPROTO", b->name, bname, a->name, name,
		  rc == 0 ? "removed something" : ipcmp_strerror(rc));
}

Test(ownership, unlink_spares_other_backends, .init = fixture_init, .fini = fixture_fini,
     .timeout = 60)
{
	fixture_begin(&ipcmp_posix_mq_ops);
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++) {
		const struct ipcmp_ops *a = ipcmp_backends[i];
		char base[64], longer[64];

		strcpy(base, fixture_name());

		for (size_t j = 0; ipcmp_backends[j] != NULL; j++) {
			const struct ipcmp_ops *b = ipcmp_backends[j];

			if (a == b)
				continue;
			for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
				struct ipcmp_chan *c;

				strcpy(longer, base);
				if (suffixes[k] != NULL) {
					strcat(longer, ".");
					strcat(longer, suffixes[k]);
				}
				/* a's channel "base.suffix", b unlinks "base" */
				c = chan_create_ok(a, longer, 8, 2, 0);
				chan_close_ok(c);
				other_unlinks(a, longer, b, base);
				intact(a, longer, b, base);
				chan_unlink_ok(a, longer);
				/* a's channel "base", b unlinks "base.suffix" */
				c = chan_create_ok(a, base, 8, 2, 0);
				chan_close_ok(c);
				other_unlinks(a, base, b, longer);
				intact(a, base, b, longer);
				chan_unlink_ok(a, base);
			}
		}
	}
	census_assert_clean();
}

/* posix-shm "x.mq" and posix-mq "x" are two channels: both are made, both
 * carry their own messages. */
Test(ownership, posix_names_coexist, .init = fixture_init, .fini = fixture_fini, .timeout = 60)
{
	const struct ipcmp_ops *shm = &ipcmp_posix_shm_ops, *mq = &ipcmp_posix_mq_ops;
	char x[64], xmq[64];
	struct ipcmp_chan *c;

	fixture_begin(mq);
	strcpy(x, fixture_name());
	strcpy(xmq, x);
	strcat(xmq, ".mq");
	c = chan_create_ok(mq, x, 8, 2, 0);
	chan_close_ok(c);
	c = chan_create_ok(shm, xmq, 8, 2, 0);
	chan_close_ok(c);
	intact(mq, x, shm, xmq);
	intact(shm, xmq, mq, x);
	chan_unlink_ok(shm, xmq);
	intact(mq, x, shm, xmq);
	chan_unlink_ok(mq, x);
	census_assert_clean();
}
