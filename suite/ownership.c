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
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <unistd.h>

#include "backends.h"
#include "ringmap.h"
#include "timing.h"

static const char *const suffixes[] = { NULL, "mq", "ring", "lock", "items", "slots", "atomic",
					"takers" };

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

/*
 * A foreign object under a channel's name or key: not this channel, so
 * -EPROTO (ipcmp.h), both when a channel of that name is created (a key
 * collision, not "File exists") and when it is opened, and promptly: an
 * object that stays zero-filled is not a channel being created, once
 * IPCMP_OPEN_WAIT_MS has passed. White box: the object each backend looks
 * at first (SysV: the segment or queue under ipcmp_sysv_key(name); POSIX:
 * the ring, or the queue, which without its state object is not ours).
 */
static int make_foreign(const struct ipcmp_ops *ops, const char *name, int zeroed, long *id)
{
	char path[IPCMP_NAME_MAX + 32];
	int fd;

	*id = -1;
	if (strcmp(ops->name, "sysv-shm") == 0) {
		char *mem;

		if ((*id = shmget(ipcmp_sysv_key(name), 4096, IPC_CREAT | IPC_EXCL | 0600)) < 0)
			return -errno;
		if (!zeroed) {
			if ((mem = shmat((int)*id, NULL, 0)) == (void *)-1)
				return -errno;
			memset(mem, 0x5a, 4096);
			shmdt(mem);
		}
		return 0;
	}
	if (strcmp(ops->name, "sysv-msg") == 0) {
		struct { long mtype; char text[8]; } m = { 7, "foreign" };

		if ((*id = msgget(ipcmp_sysv_key(name), IPC_CREAT | IPC_EXCL | 0600)) < 0)
			return -errno;
		return zeroed || msgsnd((int)*id, &m, sizeof(m.text), IPC_NOWAIT) == 0 ? 0 : -errno;
	}
	if (strcmp(ops->name, "posix-mq") == 0) {
		struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8 };
		mqd_t q;

		ipcmp_posix_name(path, sizeof(path), name, NULL);
		if ((q = mq_open(path, O_RDWR | O_CREAT | O_EXCL, 0600, &a)) == (mqd_t)-1)
			return -errno;
		fd = zeroed || mq_send(q, "foreign", 7, 5) == 0 ? 0 : -errno;
		mq_close(q);
		return fd;
	}
	ipcmp_posix_name(path, sizeof(path), name, ringmap_posix_suffix(ops));
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	if (ftruncate(fd, 4096) < 0 || (!zeroed && write(fd, "foreign!", 8) != 8)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static void remove_foreign(const struct ipcmp_ops *ops, const char *name, long id)
{
	char path[IPCMP_NAME_MAX + 32];

	if (strcmp(ops->name, "sysv-shm") == 0)
		shmctl((int)id, IPC_RMID, NULL);
	else if (strcmp(ops->name, "sysv-msg") == 0)
		msgctl((int)id, IPC_RMID, NULL);
	else if (strcmp(ops->name, "posix-mq") == 0) {
		ipcmp_posix_name(path, sizeof(path), name, NULL);
		mq_unlink(path);
	} else {
		ipcmp_posix_name(path, sizeof(path), name, ringmap_posix_suffix(ops));
		shm_unlink(path);
	}
}

static void foreign_one(const struct ipcmp_ops *ops, int zeroed)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c = NULL;
	long id, ms, t0;
	int rc;

	rc = make_foreign(ops, name, zeroed, &id);
	cr_assert(eq(int, rc, 0), "%s: make a foreign object: %s", ops->name, strerror(-rc));
	rc = ipcmp_create(ops, name, NULL, &c);
	cr_assert(eq(int, rc, -EPROTO), "%s: create over a %s foreign object: %s, want -EPROTO",
		  ops->name, zeroed ? "zero-filled" : "written", rc == 0 ? "created" : ipcmp_strerror(rc));
	t0 = timing_now_ms();
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
	ms = timing_now_ms() - t0;
	cr_assert(eq(int, rc, -EPROTO), "%s: open a %s foreign object: %s, want -EPROTO", ops->name,
		  zeroed ? "zero-filled" : "written", rc == 0 ? "opened" : ipcmp_strerror(rc));
	cr_assert(lt(long, ms, IPCMP_OPEN_WAIT_MS + timing_allowance_ms()), "%s: open a foreign object took %ld ms",
		  ops->name, ms);
	rc = ipcmp_unlink(ops, name);
	cr_assert(zeroed || rc == -EPROTO, "%s: unlink a written foreign object: %s, want -EPROTO",
		  ops->name, rc == 0 ? "removed it" : ipcmp_strerror(rc));
	if (rc != 0)
		remove_foreign(ops, name, id);
}

BACKEND_TEST(foreign_object)
{
	foreign_one(ops, 0);
	foreign_one(ops, 1);
}

/* posix-mq: something else at the state object's name, and no queue:
 * unlink leaves it (the name alone is not a channel). */
Test(posix_mq, foreign_state_kept, .init = fixture_init, .fini = fixture_fini, .timeout = 60)
{
	const struct ipcmp_ops *ops = &ipcmp_posix_mq_ops;
	char path[IPCMP_NAME_MAX + 32];
	const char *name;
	int fd, rc;

	fixture_begin(ops);
	name = fixture_name();
	ipcmp_posix_name(path, sizeof(path), name, "mq");
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert(ge(int, fd, 0), "%s: shm_open %s: %s", ops->name, path, strerror(errno));
	rc = ftruncate(fd, 4096) < 0 || write(fd, "not a state object", 18) != 18 ? -errno : 0;
	close(fd);
	cr_assert(eq(int, rc, 0), "%s: write %s: %s", ops->name, path, strerror(-rc));
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -EPROTO), "%s: unlink with a foreign object at %s: %s, want -EPROTO",
		  ops->name, path, rc == 0 ? "removed it" : ipcmp_strerror(rc));
	cr_assert(eq(int, shm_unlink(path), 0), "%s: the foreign object is gone: %s", ops->name,
		  strerror(errno));
	census_assert_clean();
}
