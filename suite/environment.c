/*
 * environment.c - what the fixture could isolate where the suite runs, and
 * that it did what it says.
 *
 * The suite runs as root, as a plain user, as root without CAP_SYS_ADMIN,
 * as root of a user namespace and in a chroot; it isolates what it can and
 * skips with a reason what it cannot. --verbose prints the choice:
 *
 *   $ ./build/suite --filter 'fixture/mode' --verbose
 *   [----] fixture: isolated: private IPC and mount namespaces, / made ...
 *   [----] fixture: cross-user tests: cannot become nobody: ...
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include "asserts.h"

#include "fixture.h"
#include "kcensus.h"
#include "procinfo.h"

/* The runner (the worker's parent) sees the host's objects; an isolated
 * worker's IPC namespace and /dev/shm are not the runner's. */
static int same_as_runner(const char *path)
{
	char theirs[64];
	struct stat a, b;

	snprintf(theirs, sizeof(theirs), "/proc/%ld/root%s", (long)getppid(), path);
	if (stat(path, &a) < 0 || stat(theirs, &b) < 0)
		return -1;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int same_ns_as_runner(const char *ns)
{
	char mine[64], theirs[64];
	struct stat a, b;

	snprintf(mine, sizeof(mine), "/proc/self/ns/%s", ns);
	snprintf(theirs, sizeof(theirs), "/proc/%ld/ns/%s", (long)getppid(), ns);
	if (stat(mine, &a) < 0 || stat(theirs, &b) < 0)
		return -1;
	return a.st_ino == b.st_ino;
}

Test(fixture, mode, .init = fixture_init, .fini = fixture_fini)
{
	const char *mode = fixture_mode();
	const char *why = fixture_no_nobody();

	cr_log_info("fixture: %s", mode);
	cr_log_info("fixture: cross-user tests: %s", why != NULL ? why : "run (as nobody)");
	if (!fixture_isolated()) {
		cr_assert(eq(int, strncmp(mode, "unisolated: ", 12), 0),
			  "fixture: not isolated, but says: %s", mode);
		cr_assert(gt(sz, strlen(mode), (size_t)12), "fixture: unisolated without a reason");
		return;
	}
	cr_assert(eq(int, strncmp(mode, "isolated: ", 10), 0), "fixture: isolated, but says: %s",
		  mode);
	cr_assert(eq(int, same_ns_as_runner("ipc"), 0),
		  "fixture: isolated, but the IPC namespace is the runner's");
	cr_assert(eq(int, same_ns_as_runner("mnt"), 0),
		  "fixture: isolated, but the mount namespace is the runner's");
	/* a file made in our /dev/shm is not in the runner's */
	cr_assert(eq(int, same_as_runner("/dev/shm"), 0),
		  "fixture: isolated, but /dev/shm is the runner's");
}

/* When the fixture says a child can become nobody, it can; when not, the
 * reason is given and the cross-user tests skip with it. */
Test(fixture, nobody, .init = fixture_init, .fini = fixture_fini)
{
	const char *why = fixture_no_nobody();
	pid_t pid;

	if (why != NULL) {
		cr_assert(gt(sz, strlen(why), (size_t)0), "fixture: no reason");
		cr_skip("fixture: %s", why);
	}
	if ((pid = child_start(0)) == 0) {
		int rc = drop_to_nobody();

		if (rc < 0)
			child_failf("drop to nobody: %s", strerror(-rc));
		if (getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY)
			child_failf("uid %u euid %u gid %u after the drop", (unsigned)getuid(),
				    (unsigned)geteuid(), (unsigned)getgid());
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "becoming nobody");
}

/* How many entries of c are the queue name. */
static int queues_named(const struct ipcmp_census *c, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += strcmp(c->e[i].kind, "mqueue") == 0 && strcmp(c->e[i].name, name) == 0;
	return n;
}

/*
 * The census that every leak check uses sees a POSIX queue wherever the
 * suite runs: isolated through the mqueue filesystem the fixture mounts;
 * unisolated, with no mqueue filesystem to list queues (a plain user, a
 * chroot), by looking up the queue of each name the test made. A census
 * blind to queues once let leak_open_halfway leave /ipcmp.t<pid>-0 behind
 * unseen: it learns a channel's objects from the census.
 */
Test(fixture, census_sees_queues, .init = fixture_init, .fini = fixture_fini)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct ipcmp_census c;
	char q[64];
	mqd_t mq;
	int seen;

	fixture_begin_probe("fixture");
	snprintf(q, sizeof(q), IPCMP_POSIX_PREFIX "%s", fixture_name());
	mq = mq_open(q, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	cr_assert(ne(int, (int)mq, -1), "fixture: mq_open %s: %s", q, strerror(errno));
	mq_close(mq);
	cr_assert(ge(int, fixture_census(&c), 0), "fixture: census");
	seen = queues_named(&c, q);
	kcensus_free(&c);
	mq_unlink(q);
	cr_assert(eq(int, seen, 1), "fixture: the census does not see the queue %s (%s)", q,
		  fixture_mode());
	cr_assert(ge(int, fixture_census(&c), 0), "fixture: census");
	seen = queues_named(&c, q);
	kcensus_free(&c);
	cr_assert(eq(int, seen, 0), "fixture: the census still sees the removed queue %s", q);
	census_assert_clean();
}
