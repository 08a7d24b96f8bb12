/*
 * damaged.c - channels that lost a part or whose header was overwritten:
 * ipcmp unlink and ipcmp clean remove every leftover that carries ipcmp's
 * marks, and census shows it as damaged (issue 8, defect 6: after
 * `ipcrm -m ID` under a live SysV channel its semaphore set stayed, unlink
 * failed, clean removed nothing, and the name could not be created again).
 *
 *   $ ./build/suite --filter 'sysv_shm/orphan*'
 */
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>

#include "backends.h"
#include "crashkit.h"
#include "ringmap.h"

#define SYSV_BACKENDS(X, ...) \
	X(sysv_shm, ipcmp_sysv_shm_ops, __VA_ARGS__) \
	X(sysv_msg, ipcmp_sysv_msg_ops, __VA_ARGS__)

/* `ipcrm -m ID` (sysv-shm) or `ipcrm -q ID` (sysv-msg) under an open handle:
 * the segment or queue goes, the semaphore set stays. */
static struct ipcmp_chan *orphan_the_set(const struct ipcmp_ops *ops, const char *name)
{
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, IPCMP_CONSUMER);
	key_t key = ipcmp_sysv_key(name);
	int id, rc;

	if (strcmp(ops->name, "sysv-shm") == 0) {
		id = shmget(key, 0, 0);
		rc = id < 0 || shmctl(id, IPC_RMID, NULL) < 0 ? -errno : 0;
	} else {
		id = msgget(key, 0);
		rc = id < 0 || msgctl(id, IPC_RMID, NULL) < 0 ? -errno : 0;
	}
	cr_assert(eq(int, rc, 0), "%s: remove the channel's %s from outside: %s", ops->name,
		  strcmp(ops->name, "sysv-shm") == 0 ? "segment" : "queue", strerror(-rc));
	return c;
}

static void create_again_ok(const struct ipcmp_ops *ops, const char *name)
{
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, 0);

	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* unlink removes the orphaned set (and says the channel was damaged: 1). */
BACKEND_TEST_ON(SYSV_BACKENDS, orphaned_set_unlink)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c = orphan_the_set(ops, name);
	int rc;

	ipcmp_close(c);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, IPCMP_DAMAGED), "%s: unlink a channel whose %s is gone: %s, want "
		  "IPCMP_DAMAGED", ops->name, strcmp(ops->name, "sysv-shm") == 0 ? "segment" : "queue",
		  rc < 0 ? ipcmp_strerror(rc) : "0");
	census_assert_clean();
	create_again_ok(ops, name);
}

/* clean removes the orphaned set; census lists it as damaged first. */
BACKEND_TEST_ON(SYSV_BACKENDS, orphaned_set_clean)
{
	static const char *const census[] = { "ipcmp", "census", NULL };
	static const char *const clean[] = { "ipcmp", "clean", NULL };
	static char out[65536];
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	int st;

	if (!fixture_isolated())
		cr_skip("%s: clean acts on the whole IPC namespace: needs a private one (root)",
			ops->name);
	c = orphan_the_set(ops, name);
	ipcmp_close(c);
	st = kit_run_ipcmp(census, out, sizeof(out));
	cr_assert(eq(int, st, 0), "%s: ipcmp census: status %d", ops->name, st);
	cr_assert(ne(ptr, strstr(out, "damaged"), NULL), "%s: census does not show the orphaned "
		  "set as damaged:\n%s", ops->name, out);
	st = kit_run_ipcmp(clean, out, sizeof(out));
	cr_assert(eq(int, st, 0), "%s: ipcmp clean: status %d:\n%s", ops->name, st, out);
	cr_assert(ne(ptr, strstr(out, "removing sem"), NULL), "%s: clean did not say it removed "
		  "the set:\n%s", ops->name, out);
	census_assert_clean();
	create_again_ok(ops, name);
}

/*
 * A ring header overwritten from its first byte (magic and name gone): the
 * channel's other objects still carry ipcmp's marks (SysV: the semaphore
 * set's mark under the key; POSIX: the semaphores' names), so unlink
 * removes it all, and says the channel was damaged.
 */
BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, corrupt_header_unlink)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c = chan_create_ok(ops, name, 64, 4, 0);
	struct ipcmp_ring_hdr *h;
	size_t size = 0;
	int err = 0, rc;

	chan_close_ok(c);
	h = ringmap_open(ops, name, &size, &err);
	cr_assert(ne(ptr, h, NULL), "%s: map the ring: %s", ops->name, strerror(-err));
	memset(h, 0xa5, 64);
	ringmap_close(ops, h, size);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, IPCMP_DAMAGED), "%s: unlink a channel with a corrupt header: %s, "
		  "want IPCMP_DAMAGED", ops->name, rc < 0 ? ipcmp_strerror(rc) : "0");
	census_assert_clean();
	create_again_ok(ops, name);
}

/* The channel loses its main object from outside (ipcrm, shm_unlink,
 * mq_unlink): what is left of it carries the marks census knows it by. */
static int remove_main_object(const struct ipcmp_ops *ops, const char *name)
{
	char path[IPCMP_NAME_MAX + 32];
	key_t key = ipcmp_sysv_key(name);
	int id;

	if (strcmp(ops->name, "sysv-shm") == 0)
		return (id = shmget(key, 0, 0)) < 0 || shmctl(id, IPC_RMID, NULL) < 0 ? -errno : 0;
	if (strcmp(ops->name, "sysv-msg") == 0)
		return (id = msgget(key, 0)) < 0 || msgctl(id, IPC_RMID, NULL) < 0 ? -errno : 0;
	if (strcmp(ops->name, "posix-shm") == 0) {
		ipcmp_posix_name(path, sizeof(path), name, "ring");
		return shm_unlink(path) < 0 ? -errno : 0;
	}
	ipcmp_posix_name(path, sizeof(path), name, NULL);
	return mq_unlink(path) < 0 ? -errno : 0;
}

/* The census lines of this backend: how many, and how many say damaged. */
static void census_lines(const struct ipcmp_ops *ops, int *lines, int *damaged)
{
	static const char *const census[] = { "ipcmp", "census", NULL };
	static char out[65536];
	char mine[64], bad[64];
	int st = kit_run_ipcmp(census, out, sizeof(out));

	cr_assert(eq(int, st, 0), "%s: ipcmp census: status %d", ops->name, st);
	snprintf(mine, sizeof(mine), "  %s ", ops->name);
	snprintf(bad, sizeof(bad), "  %s damaged", ops->name);
	*lines = *damaged = 0;
	for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		*lines += strstr(line, mine) != NULL;
		*damaged += strstr(line, bad) != NULL;
	}
}

/* census marks every leftover of a damaged channel damaged, on every
 * backend (POSIX leftovers have names, and used to be listed as whole
 * channels), and a whole channel not. */
/* posix-atomic is one object: when it goes, nothing is left to call damaged
 * (its overwritten header is corrupt.c's and ownership.c's). */
#define SEVERAL_OBJECTS(X, ...) \
	IPCMP_SUITE_LOCKED_SHM_BACKENDS(X, __VA_ARGS__) \
	IPCMP_SUITE_QUEUE_BACKENDS(X, __VA_ARGS__)

BACKEND_TEST_ON(SEVERAL_OBJECTS, census_shows_damaged)
{
	const char *name = fixture_name();
	int lines, damaged, rc;

	if (!fixture_isolated())
		cr_skip("%s: census lists the whole IPC namespace: needs a private one (root)",
			ops->name);
	chan_close_ok(chan_create_ok(ops, name, 64, 4, 0));
	census_lines(ops, &lines, &damaged);
	cr_assert(ne(int, lines, 0), "%s: census does not list the channel", ops->name);
	cr_assert(eq(int, damaged, 0), "%s: census calls a whole channel damaged", ops->name);

	rc = remove_main_object(ops, name);
	cr_assert(eq(int, rc, 0), "%s: remove the channel's main object: %s", ops->name, strerror(-rc));
	census_lines(ops, &lines, &damaged);
	cr_assert(ne(int, lines, 0), "%s: census lists nothing left of the channel", ops->name);
	cr_assert(eq(int, damaged, lines), "%s: census shows %d of the %d leftovers as damaged",
		  ops->name, damaged, lines);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, IPCMP_DAMAGED), "%s: unlink the damaged channel: %s", ops->name,
		  rc < 0 ? ipcmp_strerror(rc) : "0");
	census_assert_clean();
}
