/*
 * permission.c - who may use and remove a channel, as the kernel enforces it.
 *
 * Every object a channel makes is looked at through the census (and its
 * own API: IPC_STAT, fstat), never by a name hard-coded here, so the tests
 * hold for any backend. Another user is `nobody` in a forked child (root
 * only: root bypasses the mode bits, CAP_IPC_OWNER / CAP_DAC_OVERRIDE).
 * Where the families differ, each is held to its own man page:
 *   SysV: the mode is taken as given (shmget(2): "the least significant 9
 *         bits of shmflg"); permission is checked at every operation
 *         (semop(2), msgsnd(2), msgrcv(2): EACCES).
 *   POSIX: the umask applies (shm_open(3), sem_open(3), mq_open(3): "as for
 *         open(2)"); permission is checked at open only, as for a file.
 *
 *   $ ./build/suite --filter 'sysv_shm/perm_*'   (or posix_shm, ...)
 */
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends.h"
#include "procinfo.h"

#define OBJ_MAX 16

static int is_sysv(const struct ipcmp_ops *ops)
{
	return strcmp(ops->family, "System V") == 0;
}

static void need_nobody(const struct ipcmp_ops *ops, const char *what)
{
	const char *why = fixture_no_nobody();

	if (why != NULL)
		cr_skip("%s: %s: %s", ops->name, what, why);
}

/* Creates a channel with mode (0: the default) and returns its objects. */
static struct ipcmp_chan *create_mode(const struct ipcmp_ops *ops, const char *name,
				      mode_t mode, int flags, struct ipcmp_census_entry *obj,
				      size_t *n)
{
	struct ipcmp_attr attr = { .mode = mode, .flags = flags };
	struct ipcmp_census before, after;
	struct ipcmp_chan *c = NULL;
	int rc;

	census_for(&before, name);
	rc = ipcmp_create(ops, name, &attr, &c);
	cr_assert(eq(int, rc, 0), "%s: create %s mode %o: %s (%s)", ops->name, name,
		  (unsigned)mode, ipcmp_strerror(rc), ipcmp_call ? ipcmp_call : "-");
	census_for(&after, name);
	*n = census_gained(&before, &after, name, obj, OBJ_MAX);
	kcensus_free(&before);
	kcensus_free(&after);
	cr_assert(ne(sz, *n, 0), "%s: create made no object the census shows", ops->name);
	cr_assert(le(sz, *n, (size_t)OBJ_MAX), "%s: create made %zu objects", ops->name, *n);
	return c;
}

/* Every object shows mode and owner uid, in the census and through its API. */
static void assert_modes(const struct ipcmp_ops *ops, const struct ipcmp_census_entry *obj,
			 size_t n, unsigned mode, unsigned uid, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		unsigned m = 0, u = 0;
		int rc;

		cr_assert(eq(u32, obj[i].mode, mode), "%s: %s: census: %s %s has mode %o, not %o",
			  ops->name, what, obj[i].kind, obj[i].name, obj[i].mode, mode);
		cr_assert(eq(u32, obj[i].uid, uid), "%s: %s: census: %s %s is uid %u's, not %u's",
			  ops->name, what, obj[i].kind, obj[i].name, obj[i].uid, uid);
		rc = object_stat(&obj[i], &m, &u);
		cr_assert(eq(int, rc, 0), "%s: %s: stat %s %s: %s", ops->name, what, obj[i].kind,
			  obj[i].name, strerror(-rc));
		cr_assert(eq(u32, m, mode), "%s: %s: %s %s: the kernel reports mode %o, not %o",
			  ops->name, what, obj[i].kind, obj[i].name, m, mode);
		cr_assert(eq(u32, u, uid), "%s: %s: %s %s: the kernel reports uid %u, not %u",
			  ops->name, what, obj[i].kind, obj[i].name, u, uid);
	}
}

static void chmod_all(const struct ipcmp_ops *ops, const struct ipcmp_census_entry *obj,
		      size_t n, unsigned mode)
{
	for (size_t i = 0; i < n; i++) {
		int rc = object_chmod(&obj[i], mode);

		cr_assert(eq(int, rc, 0), "%s: chmod %s %s %o: %s", ops->name, obj[i].kind,
			  obj[i].name, mode, strerror(-rc));
	}
}

/* mode 0 is IPCMP_MODE_DEFAULT, 0600: the owner alone (ipcmp.h). */
BACKEND_TEST(perm_default_mode)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	mode_t old = umask(022);           /* the usual umask: it leaves 0600 alone */
	struct ipcmp_chan *c;
	size_t n;

	c = create_mode(ops, name, 0, 0, obj, &n);
	umask(old);
	assert_modes(ops, obj, n, IPCMP_MODE_DEFAULT, (unsigned)geteuid(), "default mode");
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* An explicit mode is what the kernel shows (umask 0: nothing masked). */
BACKEND_TEST(perm_explicit_mode)
{
	static const mode_t modes[] = { 0640, 0604, 0660, 0620 };
	struct ipcmp_census_entry obj[OBJ_MAX];
	mode_t old = umask(0);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *name = fixture_name();
		struct ipcmp_chan *c;
		char what[32];
		size_t n;

		c = create_mode(ops, name, modes[i], 0, obj, &n);
		snprintf(what, sizeof(what), "mode %o", (unsigned)modes[i]);
		assert_modes(ops, obj, n, modes[i], (unsigned)geteuid(), what);
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
	}
	umask(old);
}

/*
 * POSIX: the umask clears bits of the mode, as for open(2) (shm_open(3):
 * "the low-order 9 bits of mode, except that those bits set in the process
 * file mode creation mask (see umask(2)) are cleared"; sem_open(3) and
 * mq_open(3) likewise). SysV: shmget(2), semget(2), msgget(2) take the low
 * 9 bits of the flags as they are; the umask plays no part.
 */
BACKEND_TEST(perm_umask)
{
	static const struct {
		mode_t umask, mode;
		unsigned sysv, posix;
	} cases[] = {
		{ 027, 0666, 0666, 0640 },
		{ 077, 0660, 0660, 0600 },
		{ 002, 0666, 0666, 0664 },
	};
	struct ipcmp_census_entry obj[OBJ_MAX];
	mode_t old = umask(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = fixture_name();
		unsigned want = is_sysv(ops) ? cases[i].sysv : cases[i].posix;
		struct ipcmp_chan *c;
		char what[64];
		size_t n;

		umask(cases[i].umask);
		c = create_mode(ops, name, cases[i].mode, 0, obj, &n);
		umask(0);
		snprintf(what, sizeof(what), "%s, umask %03o, mode %o", ops->family,
			 (unsigned)cases[i].umask, (unsigned)cases[i].mode);
		assert_modes(ops, obj, n, want, (unsigned)geteuid(), what);
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
	}
	umask(old);
}

/*
 * What nobody gets when it tries each object of a 0600 channel directly,
 * by the calls that attach, send, receive or open it. Returns NULL or what
 * went wrong. In a child: no cr_*.
 */
/* A child's message for its parent, cut at size (child_failf keeps the
 * first 255 bytes of it anyway). */
__attribute__((format(printf, 3, 4)))
static char *say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return why;
}

static const char *probe_denied(const struct ipcmp_census_entry *e, char *why, size_t size)
{
	/* memcheck does IPC_STAT before shmat itself, and that gives EINVAL
	 * (measured with valgrind 3.19); natively shmat gives EACCES (shmat(2)) */
	int shmat_err = fixture_valgrind() ? EINVAL : EACCES;
	int id = -1, rc, err, want;
	const char *call;

#define DENIED(expr, expect, name) do { \
		errno = 0; \
		rc = (expr) ? -1 : 0; \
		err = errno; \
		want = (expect); \
		call = (name); \
		if (rc == 0 || err != want) \
			goto wrong; \
	} while (0)

	if (object_is_sysv(e)) {
		key_t key = (key_t)strtoul(e->name, NULL, 16);

		/* the id is the way in, and finding it needs no permission */
		if (strcmp(e->kind, "shm") == 0)
			id = shmget(key, 0, 0);
		else if (strcmp(e->kind, "sem") == 0)
			id = semget(key, 0, 0);
		else
			id = msgget(key, 0);
		if (id < 0)
			return say(why, size, "%s %s: get: %s", e->kind, e->name,
				   strerror(errno));
	}
	if (strcmp(e->kind, "shm") == 0) {
		struct shmid_ds ds;

		DENIED(shmat(id, NULL, 0) == (void *)-1, shmat_err, "shmat");
		DENIED(shmat(id, NULL, SHM_RDONLY) == (void *)-1, shmat_err, "shmat(SHM_RDONLY)");
		DENIED(shmctl(id, IPC_STAT, &ds) < 0, EACCES, "shmctl(IPC_STAT)");
	} else if (strcmp(e->kind, "sem") == 0) {
		struct sembuf wait0 = { 0, 0, IPC_NOWAIT }, post = { 0, 1, IPC_NOWAIT };

		/* semop(2): waiting for zero needs read, changing alter permission */
		DENIED(semop(id, &wait0, 1) < 0, EACCES, "semop(wait for zero)");
		DENIED(semop(id, &post, 1) < 0, EACCES, "semop(+1)");
		DENIED(semctl(id, 0, GETVAL) < 0, EACCES, "semctl(GETVAL)");
	} else if (strcmp(e->kind, "msg") == 0) {
		struct { long mtype; char text[8]; } m = { 1, "x" };

		DENIED(msgsnd(id, &m, 1, IPC_NOWAIT) < 0, EACCES, "msgsnd");
		DENIED(msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT) < 0, EACCES, "msgrcv");
	} else if (strcmp(e->kind, "posix-shm") == 0) {
		int fd;

		DENIED((fd = shm_open(e->name, O_RDONLY, 0)) < 0, EACCES, "shm_open(O_RDONLY)");
		DENIED((fd = shm_open(e->name, O_RDWR, 0)) < 0, EACCES, "shm_open(O_RDWR)");
	} else if (strcmp(e->kind, "posix-sem") == 0) {
		DENIED(sem_open(e->name, 0) == SEM_FAILED, EACCES, "sem_open");
	} else if (strcmp(e->kind, "mqueue") == 0) {
		DENIED(mq_open(e->name, O_RDONLY) == (mqd_t)-1, EACCES, "mq_open(O_RDONLY)");
		DENIED(mq_open(e->name, O_WRONLY) == (mqd_t)-1, EACCES, "mq_open(O_WRONLY)");
	} else {
		return say(why, size, "%s %s: unknown kind", e->kind, e->name);
	}
#undef DENIED
	return NULL;
wrong:
	return say(why, size, "%s %s: %s as nobody: %s, not %s", e->kind, e->name, call,
		   rc == 0 ? "allowed" : strerror(err), strerror(want));
}

/*
 * Another user can neither open the channel nor reach any of its objects:
 * ipcmp_open gives -EACCES, and so does each system call that would attach,
 * send or receive (shmat(2), semop(2), msgsnd(2), msgrcv(2), shm_open(3),
 * sem_open(3), mq_open(3): EACCES). The message in it stays.
 */
BACKEND_TEST(perm_other_user)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	struct ipcmp_chan *c;
	char buf[64] = "";
	ssize_t got;
	size_t n;
	pid_t pid;
	int rc;

	need_nobody(ops, "another user");
	/* no handle open across the fork: the child must not inherit one */
	c = create_mode(ops, name, 0, 0, obj, &n);
	chan_close_ok(c);
	c = chan_open_ok(ops, name, IPCMP_PRODUCER);
	rc = ipcmp_send(c, "kept", 4, 0);
	cr_assert(eq(int, rc, 0), "%s: send: %s", ops->name, ipcmp_strerror(rc));
	chan_close_ok(c);

	if ((pid = child_start(0)) == 0) {
		static const int roles[] = { IPCMP_PRODUCER, IPCMP_CONSUMER,
					     IPCMP_PRODUCER | IPCMP_CONSUMER };
		char why[1024];
		struct ipcmp_chan *h;

		if ((rc = drop_to_nobody()) < 0)
			child_failf("drop to nobody: %s", strerror(-rc));
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			h = NULL;
			rc = ipcmp_open(ops, name, roles[i], &h);
			if (rc != -EACCES)
				child_failf("open (roles %d) as nobody: %s, not EACCES",
					    roles[i], rc == 0 ? "opened" : ipcmp_strerror(rc));
		}
		for (size_t i = 0; i < n; i++)
			if (probe_denied(&obj[i], why, sizeof(why)) != NULL)
				child_failf("%s", why);
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "nobody on a 0600 channel");

	c = chan_open_ok(ops, name, IPCMP_CONSUMER);
	got = ipcmp_recv(c, buf, c->msg_max < sizeof(buf) ? c->msg_max : sizeof(buf), 0);
	cr_assert(eq(long, (long)got, 4), "%s: recv the message after nobody tried: %s", ops->name,
		  got < 0 ? ipcmp_strerror((int)got) : "length");
	cr_assert(eq(int, memcmp(buf, "kept", 4), 0), "%s: recv: content", ops->name);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/*
 * Root bypasses the mode bits (capabilities(7): CAP_IPC_OWNER for SysV,
 * CAP_DAC_OVERRIDE for the POSIX files): a channel whose every object is
 * 0000 still opens, carries a message and is removed.
 */
BACKEND_TEST(perm_root_bypass)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	struct ipcmp_census now;
	struct ipcmp_chan *c, *h;
	char buf[64] = "";
	ssize_t got;
	size_t n, m;
	int rc;

	if (geteuid() != 0)
		cr_skip("%s: not root: only root bypasses the mode bits", ops->name);
	c = create_mode(ops, name, 0, 0, obj, &n);
	chan_close_ok(c);
	chmod_all(ops, obj, n, 0);
	/* the census shows 0000 everywhere, so the open below proves the bypass */
	census_for(&now, name);
	m = 0;
	for (size_t i = 0; i < now.n; i++)
		for (size_t j = 0; j < n; j++)
			if (strcmp(now.e[i].kind, obj[j].kind) == 0 &&
			    strcmp(now.e[i].name, obj[j].name) == 0) {
				cr_assert(eq(u32, now.e[i].mode, 0), "%s: %s %s: mode %o after chmod 0",
					  ops->name, now.e[i].kind, now.e[i].name, now.e[i].mode);
				m++;
			}
	kcensus_free(&now);
	cr_assert(eq(sz, m, n), "%s: %zu of %zu objects found after chmod", ops->name, m, n);

	h = chan_open_ok(ops, name, IPCMP_PRODUCER | IPCMP_CONSUMER);
	rc = ipcmp_send(h, "root", 4, 0);
	cr_assert(eq(int, rc, 0), "%s: send on a 0000 channel as root: %s", ops->name,
		  ipcmp_strerror(rc));
	got = ipcmp_recv(h, buf, h->msg_max < sizeof(buf) ? h->msg_max : sizeof(buf), 0);
	cr_assert(eq(long, (long)got, 4), "%s: recv on a 0000 channel as root: %s", ops->name,
		  got < 0 ? ipcmp_strerror((int)got) : "length");
	chan_close_ok(h);
	chan_unlink_ok(ops, name);
}

/*
 * Only the owner (or root) removes. The mode does not grant it: even on a
 * 0666 channel nobody gets, per object, EPERM from IPC_RMID (shmctl(2),
 * semctl(2), msgctl(2): "not the creator or owner, and not privileged"),
 * and EACCES or EPERM for a POSIX name (shm_unlink(3), sem_unlink(3),
 * mq_unlink(3) document EACCES; /dev/shm and the mqueue root are sticky
 * directories, where unlink(2) gives EPERM, which glibc turns into EACCES
 * for shm and semaphores and the kernel returns as is for queues).
 * nobody does remove its own channel, and root removes nobody's.
 */
static int denied_removal(const struct ipcmp_census_entry *e, char *why, size_t size)
{
	int rc = object_remove(e);

	if (object_is_sysv(e) ? rc == -EPERM : rc == -EACCES || rc == -EPERM)
		return 0;
	say(why, size, "remove %s %s as nobody: %s, not %s", e->kind, e->name,
	    rc == 0 ? "removed" : strerror(-rc), object_is_sysv(e) ? "EPERM" : "EACCES");
	return -1;
}

/* Bit cap of the effective set ("CapEff:" in /proc/self/status). */
static int have_cap(int cap)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long eff = 0;
	char line[256];

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (int)(eff >> cap & 1);
}

/*
 * Root removes nobody's channel, when privileged as the family requires:
 * SysV IPC_RMID of another user's object needs CAP_SYS_ADMIN, not uid 0
 * (shmctl(2), semctl(2), msgctl(2)): root without it (capsh
 * --drop=cap_sys_admin) gets EPERM, and nobody removes its own. POSIX:
 * unlinking another user's file in the sticky /dev/shm needs CAP_FOWNER.
 */
static void remove_nobodys(const struct ipcmp_ops *ops, const char *name)
{
	pid_t pid;
	int rc;

	if (!is_sysv(ops) || have_cap(CAP_SYS_ADMIN)) {
		chan_unlink_ok(ops, name);
		return;
	}
	rc = ipcmp_unlink(ops, name);
	if ((pid = child_start(0)) == 0) {
		if (drop_to_nobody() < 0 || ipcmp_unlink(ops, name) < 0)
			child_failf("nobody could not remove its own channel");
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "nobody removing its channel");
	cr_assert(eq(int, rc, -EPERM), "%s: root without CAP_SYS_ADMIN removing nobody's "
		  "channel: %s, not EPERM", ops->name, rc == 0 ? "removed" : ipcmp_strerror(rc));
}

BACKEND_TEST(perm_remove_owner_only)
{
	const char *root_name = fixture_name();
	const char *own_name = fixture_name();
	const char *left_name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX], mine[OBJ_MAX];
	struct ipcmp_census before, after;
	struct ipcmp_chan *c;
	mode_t old;
	size_t n, k;
	pid_t pid;

	need_nobody(ops, "another user");
	old = umask(0);
	c = create_mode(ops, root_name, 0666, 0, obj, &n);
	umask(old);
	chan_close_ok(c);
	census_for(&before, left_name);

	if ((pid = child_start(0)) == 0) {
		struct ipcmp_attr attr = { 0 };
		char why[1024];
		int rc;

		if ((rc = drop_to_nobody()) < 0)
			child_failf("drop to nobody: %s", strerror(-rc));
		rc = ipcmp_unlink(ops, root_name);
		if (rc != -EPERM && rc != -EACCES)
			child_failf("unlink root's 0666 channel as nobody: %s, not EPERM or EACCES",
				    rc == 0 ? "removed" : ipcmp_strerror(rc));
		for (size_t i = 0; i < n; i++)
			if (denied_removal(&obj[i], why, sizeof(why)) < 0)
				child_failf("%s", why);
		/* its own: made and removed; and one left for root */
		if ((rc = ipcmp_create(ops, own_name, &attr, &c)) < 0)
			child_failf("create as nobody: %s", ipcmp_strerror(rc));
		ipcmp_close(c);
		if ((rc = ipcmp_unlink(ops, own_name)) < 0)
			child_failf("unlink its own channel as nobody: %s", ipcmp_strerror(rc));
		if ((rc = ipcmp_create(ops, left_name, &attr, &c)) < 0)
			child_failf("create as nobody: %s", ipcmp_strerror(rc));
		ipcmp_close(c);
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "nobody removing");

	/* root's channel is whole: every object still there */
	census_for(&after, root_name);
	for (size_t i = 0; i < n; i++) {
		int found = 0;

		for (size_t j = 0; j < after.n && !found; j++)
			found = strcmp(after.e[j].kind, obj[i].kind) == 0 &&
				strcmp(after.e[j].name, obj[i].name) == 0;
		cr_assert(eq(int, found, 1), "%s: %s %s of root's channel is gone after nobody "
			  "tried to remove it", ops->name, obj[i].kind, obj[i].name);
	}
	kcensus_free(&after);
	census_for(&after, left_name);
	/* nobody's channel is nobody's, and root removes it */
	k = census_gained(&before, &after, left_name, mine, OBJ_MAX);
	kcensus_free(&before);
	kcensus_free(&after);
	cr_assert(ne(sz, k, 0), "%s: nobody's channel: no objects", ops->name);
	for (size_t i = 0; i < k && i < OBJ_MAX; i++)
		cr_assert(eq(u32, mine[i].uid, NOBODY), "%s: %s %s made by nobody is uid %u's",
			  ops->name, mine[i].kind, mine[i].name, mine[i].uid);
	remove_nobodys(ops, left_name);
	chan_unlink_ok(ops, root_name);
}

/*
 * A mode change after open. The owner opens its channel, then sets every
 * object to 0000 (as the owner may: IPC_SET, chmod):
 *   SysV checks permission at every operation: send and recv now give
 *        EACCES (semop(2), msgsnd(2), msgrcv(2));
 *   POSIX checks it at open only, as for a file: the open handle goes on
 *        working (open(2): the descriptor keeps the access it was opened
 *        with; mmap'd memory and semaphores need no further check).
 * A new open fails with EACCES on both. Runs as the owner without
 * privilege: nobody in a child when root (root would bypass the bits).
 * Returns NULL or what went wrong; no cr_* (it may run in a child).
 */
static const char *mode_change(const struct ipcmp_ops *ops, const char *name,
			       const struct ipcmp_census_entry *obj, size_t n,
			       char *why, size_t size)
{
	struct ipcmp_attr attr = { .flags = IPCMP_PRODUCER | IPCMP_CONSUMER };
	int sysv = is_sysv(ops);
	struct ipcmp_chan *c = NULL, *h = NULL;
	int kept[OBJ_MAX];                 /* mqueue: a descriptor to fchmod back */
	const char *bad = NULL;
	char buf[64];
	size_t cap;
	ssize_t got;
	int rc;

#define FAIL(...) do { snprintf(why, size, __VA_ARGS__); bad = why; goto out; } while (0)
	for (size_t i = 0; i < n; i++)
		kept[i] = -1;
	if ((rc = ipcmp_create(ops, name, &attr, &c)) < 0)
		return snprintf(why, size, "create: %s", ipcmp_strerror(rc)), why;
	/* mq_open needs read permission, fchmod on an mqd_t none (Linux: it is
	 * a descriptor): keep one to give the owner its 0600 back */
	for (size_t i = 0; i < n; i++)
		if (strcmp(obj[i].kind, "mqueue") == 0 &&
		    (kept[i] = mq_open(obj[i].name, O_RDONLY | O_CLOEXEC)) < 0)
			FAIL("mq_open %s: %s", obj[i].name, strerror(errno));
	cap = c->msg_max < sizeof(buf) ? c->msg_max : sizeof(buf);
	if ((rc = ipcmp_send(c, "one", 3, 0)) < 0)
		FAIL("send before chmod: %s", ipcmp_strerror(rc));
	for (size_t i = 0; i < n; i++)
		if ((rc = object_chmod(&obj[i], 0)) < 0)
			FAIL("chmod %s %s 0 as its owner: %s", obj[i].kind, obj[i].name,
			     strerror(-rc));

	rc = ipcmp_send(c, "two", 3, 0);
	if (rc != (sysv ? -EACCES : 0))
		FAIL("%s: send on the open handle after chmod 0: %s, not %s", ops->family,
		     rc == 0 ? "sent" : ipcmp_strerror(rc), sysv ? "EACCES" : "sent");
	got = ipcmp_recv(c, buf, cap, 0);
	if (got != (sysv ? -EACCES : 3))
		FAIL("%s: recv on the open handle after chmod 0: %s, not %s", ops->family,
		     got >= 0 ? "received" : ipcmp_strerror((int)got),
		     sysv ? "EACCES" : "the message");
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &h);
	if (rc != -EACCES)
		FAIL("open after chmod 0: %s, not EACCES", rc == 0 ? "opened" : ipcmp_strerror(rc));

	/* back to 0600: SysV finds "one" still there, POSIX has "two" next */
	for (size_t i = 0; i < n; i++)
		if ((rc = kept[i] >= 0 ? (fchmod(kept[i], 0600) < 0 ? -errno : 0) :
					 object_chmod(&obj[i], 0600)) < 0)
			FAIL("chmod %s %s 0600: %s", obj[i].kind, obj[i].name, strerror(-rc));
	got = ipcmp_recv(c, buf, cap, 0);
	if (got != 3 || memcmp(buf, sysv ? "one" : "two", 3) != 0)
		FAIL("recv after chmod 0600: %s", got < 0 ? ipcmp_strerror((int)got) : "wrong message");
out:
#undef FAIL
	/* restore the mode whatever happened, so the owner can remove it */
	for (size_t i = 0; i < n; i++) {
		if (kept[i] >= 0) {
			fchmod(kept[i], 0600);
			mq_close(kept[i]);
		} else
			object_chmod(&obj[i], 0600);
	}
	if ((rc = ipcmp_close(c)) < 0 && bad == NULL)
		bad = (snprintf(why, size, "close: %s", ipcmp_strerror(rc)), why);
	if ((rc = ipcmp_unlink(ops, name)) < 0 && bad == NULL)
		bad = (snprintf(why, size, "unlink: %s", ipcmp_strerror(rc)), why);
	return bad;
}

BACKEND_TEST(perm_mode_change_after_open)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	struct ipcmp_chan *c;
	const char *bad;
	char why[1024];
	size_t n;
	pid_t pid;

	/* learn the objects of a channel of this name, then make it anew as
	 * the unprivileged owner: the same names and keys */
	c = create_mode(ops, name, 0, 0, obj, &n);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	if (geteuid() != 0) {           /* already without privilege */
		bad = mode_change(ops, name, obj, n, why, sizeof(why));
		cr_assert(eq(ptr, (void *)bad, NULL), "%s: %s", ops->name, bad);
		return;
	}
	need_nobody(ops, "the owner without privilege");
	if ((pid = child_start(0)) == 0) {
		int rc = drop_to_nobody();

		if (rc < 0)
			child_failf("drop to nobody: %s", strerror(-rc));
		if ((bad = mode_change(ops, name, obj, n, why, sizeof(why))) != NULL)
			child_failf("%s", bad);
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "the owner after a mode change");
}
