/*
 * leak.c - what a channel takes, it gives back: descriptors, mappings, heap
 * and kernel objects, after a thousand cycles and on every error path.
 *
 * A cycle is create, open, send, recv (also into a small buffer and on an
 * empty or full channel), a failed create and a failed open, close and
 * unlink. After the cycles, /proc/self/fd, /proc/self/maps and the heap in
 * use (mallinfo2) are as before, and the census is as before. memcheck
 * (`make valgrind`) checks the heap byte by byte on top.
 *
 * A create that fails half-way is provoked from outside: an object the
 * create needs already exists (-EEXIST), or the kernel has no room for it
 * (-ENOSPC: a small tmpfs on /dev/shm, SysV limits set to 0 in the test's
 * own IPC namespace). Either way the census afterwards is the first census
 * plus only what the test made itself.
 *
 *   $ ./build/suite --filter 'posix_shm/leak_*'   (or sysv_shm, ...)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "backends.h"
#include "procinfo.h"

#define OBJ_MAX 16                 /* kernel objects of one channel, at most */
#define CYCLE_MSG_MAX 64

static size_t small_capacity(const struct ipcmp_ops *ops, size_t want)
{
	struct ipcmp_limits lim;

	limits_ok(ops, &lim);
	return want < lim.capacity_limit ? want : lim.capacity_limit;
}

/* The kernel objects a channel of `name` consists of on this backend, as
 * the census shows them right after create (name is left unused). */
static size_t channel_objects(const struct ipcmp_ops *ops, const char *name,
			      struct ipcmp_census_entry *out)
{
	struct ipcmp_census before, after;
	struct ipcmp_chan *c;
	size_t n;

	census_for(&before, name);
	c = chan_create_ok(ops, name, 0, 0, 0);
	census_for(&after, name);
	n = census_gained(&before, &after, name, out, OBJ_MAX);
	kcensus_free(&before);
	kcensus_free(&after);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	cr_assert(ne(sz, n, 0), "%s: create made no object the census shows", ops->name);
	cr_assert(le(sz, n, (size_t)OBJ_MAX), "%s: create made %zu objects", ops->name, n);
	return n;
}

/* One cycle; every step that must fail does, and leaves nothing. */
static void cycle(const struct ipcmp_ops *ops, const char *name, const char *missing,
		  size_t capacity)
{
	struct ipcmp_attr attr = { .msg_max = CYCLE_MSG_MAX, .capacity = capacity,
				   .flags = IPCMP_CONSUMER };
	struct ipcmp_chan *c = NULL, *p, *q, *x = NULL;
	char buf[CYCLE_MSG_MAX];
	ssize_t n;
	int rc;

	rc = ipcmp_create(ops, name, &attr, &c);
	cr_assert(eq(int, rc, 0), "%s: cycle: create: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_create(ops, name, &attr, &x);
	cr_assert(eq(int, rc, -EEXIST), "%s: cycle: create again: %s", ops->name,
		  ipcmp_strerror(rc));
	rc = ipcmp_open(ops, missing, IPCMP_PRODUCER, &x);
	cr_assert(eq(int, rc, -ENOENT), "%s: cycle: open missing: %s", ops->name,
		  ipcmp_strerror(rc));
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);

	n = ipcmp_recv(q, buf, sizeof(buf), 0);
	cr_assert(eq(long, (long)n, -EAGAIN), "%s: cycle: recv empty: %s", ops->name,
		  ipcmp_strerror((int)n));
	for (size_t i = 0; i < capacity; i++) {
		rc = ipcmp_send(p, "message", 7, 0);
		cr_assert(eq(int, rc, 0), "%s: cycle: send %zu: %s", ops->name, i,
			  ipcmp_strerror(rc));
	}
	rc = ipcmp_send(p, "full", 4, 0);
	cr_assert(eq(int, rc, -EAGAIN), "%s: cycle: send when full: %s", ops->name,
		  ipcmp_strerror(rc));
	/* a buffer smaller than msg_max: the handle keeps the message (chan.c) */
	n = ipcmp_recv(q, buf, 3, 0);
	cr_assert(eq(long, (long)n, -EMSGSIZE), "%s: cycle: recv into 3 bytes: %s", ops->name,
		  ipcmp_strerror((int)n));
	for (size_t i = 0; i < capacity; i++) {
		n = ipcmp_recv(i % 2 ? c : q, buf, i == 0 ? 7 : sizeof(buf), 0);
		cr_assert(eq(long, (long)n, 7), "%s: cycle: recv %zu: %ld (%s)", ops->name, i,
			  (long)n, n < 0 ? ipcmp_strerror((int)n) : "length");
	}
	chan_close_ok(p);
	chan_close_ok(q);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* N cycles leave the process and the kernel as they were. A leak of one
 * descriptor, mapping or heap block per cycle shows as N. */
BACKEND_TEST(leak_cycles)
{
	const char *name = fixture_name();
	const char *missing = fixture_name();
	size_t capacity = small_capacity(ops, 4);
	size_t cycles = fixture_scale(1000, 30);
	struct ipcmp_census before;
	struct usage u;

	/* the first cycle may set up what the C library keeps for good */
	cycle(ops, name, missing, capacity);
	census_for(&before, name);
	usage_take(&u);
	for (size_t i = 0; i < cycles; i++)
		cycle(ops, name, missing, capacity);
	usage_assert_same(&u, ops->name, "after the cycles");
	usage_assert_heap(&u, cycles, ops->name, "after the cycles");
	census_assert_plus(&before, name, NULL, 0, ops->name, "after the cycles");
	kcensus_free(&before);
}

/*
 * An object the create needs already exists, empty, made by someone else:
 * create fails (IPC_EXCL / O_EXCL) and removes whatever it made before it
 * got there. It says -EPROTO when it can look inside and sees no channel
 * there once IPCMP_OPEN_WAIT_MS has passed (a segment, ring, state object
 * or queue: ipcmp.h), -EEXIST for a semaphore, which has no content to
 * tell (a channel of the other SysV backend, under the same key, is one).
 * One object at a time, so every step of the create is the failing one
 * once: for sysv-shm a semaphore set under the channel's key fails semget
 * after shmget and shmat; for posix-shm /ipcmp.NAME.slots fails the third
 * sem_open after shm_open, mmap and two semaphores.
 */
BACKEND_TEST(leak_create_halfway)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	struct ipcmp_census before;
	size_t n = channel_objects(ops, name, obj);
	struct usage u;

	census_for(&before, name);
	usage_take(&u);
	for (size_t i = 0; i < n; i++) {
		struct ipcmp_chan *c = NULL;
		char what[32 + sizeof(obj[i].kind) + sizeof(obj[i].name)];
		int rc = object_make(&obj[i]);
		int want = strcmp(obj[i].kind, "sem") == 0 || strcmp(obj[i].kind, "posix-sem") == 0 ?
			   -EEXIST : -EPROTO;

		cr_assert(eq(int, rc, 0), "%s: make %s %s: %s", ops->name, obj[i].kind,
			  obj[i].name, strerror(-rc));
		rc = ipcmp_create(ops, name, NULL, &c);
		cr_assert(eq(int, rc, want), "%s: create with an empty %s %s there: %s, want %s",
			  ops->name, obj[i].kind, obj[i].name, ipcmp_strerror(rc),
			  ipcmp_strerror(want));
		cr_assert(eq(ptr, c, NULL), "%s: failed create: handle", ops->name);
		rc = snprintf(what, sizeof(what), "create failed on %s %s", obj[i].kind, obj[i].name);
		cr_assert(lt(int, rc, (int)sizeof(what)), "%s: description cut", ops->name);
		census_assert_plus(&before, name, &obj[i], 1, ops->name, what);
		usage_assert_same(&u, ops->name, what);
		rc = object_remove(&obj[i]);
		cr_assert(eq(int, rc, 0), "%s: remove %s %s: %s", ops->name, obj[i].kind,
			  obj[i].name, strerror(-rc));
	}
	kcensus_free(&before);
}

/*
 * What open says when one object of a channel is gone: no such channel
 * (-ENOENT), except for a POSIX queue whose state object is gone: a queue
 * under the channel's name with no state is what a stranger's queue looks
 * like, so it is not this channel (-EPROTO, ownership.c).
 */
static int missing_part_error(const struct ipcmp_ops *ops, const char *kind)
{
	static const struct {
		const char *backend, *kind;
		int err;
	} rows[] = {
		{ "posix-mq", "posix-shm", -EPROTO },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].backend, ops->name) == 0 && strcmp(rows[i].kind, kind) == 0)
			return rows[i].err;
	return -ENOENT;
}

/*
 * An object of the channel is gone (removed from outside): open fails
 * after it attached or mapped the others, and gives them back.
 */
BACKEND_TEST(leak_open_halfway)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	struct ipcmp_census before;
	size_t n = channel_objects(ops, name, obj);
	struct usage u;

	census_for(&before, name);
	usage_take(&u);
	for (size_t i = 0; i < n; i++) {
		struct ipcmp_chan *c = chan_create_ok(ops, name, 0, 0, 0);
		char what[32 + sizeof(obj[i].kind) + sizeof(obj[i].name)];
		int rc;

		chan_close_ok(c);
		rc = object_remove(&obj[i]);
		cr_assert(eq(int, rc, 0), "%s: remove %s %s: %s", ops->name, obj[i].kind,
			  obj[i].name, strerror(-rc));
		c = NULL;
		rc = ipcmp_open(ops, name, IPCMP_PRODUCER | IPCMP_CONSUMER, &c);
		cr_assert(eq(int, rc, missing_part_error(ops, obj[i].kind)),
			  "%s: open without its %s %s: %s", ops->name, obj[i].kind, obj[i].name,
			  rc < 0 ? ipcmp_strerror(rc) : "succeeded");
		cr_assert(eq(ptr, c, NULL), "%s: failed open: handle", ops->name);
		rc = snprintf(what, sizeof(what), "open failed without %s %s", obj[i].kind,
			      obj[i].name);
		cr_assert(lt(int, rc, (int)sizeof(what)), "%s: description cut", ops->name);
		usage_assert_same(&u, ops->name, what);
		/* what is left of the channel: unlink, then whatever unlink could
		 * not find without the missing object */
		ipcmp_unlink(ops, name);
		for (size_t j = 0; j < n; j++)
			object_remove(&obj[j]);
		census_assert_plus(&before, name, NULL, 0, ops->name, what);
	}
	kcensus_free(&before);
}

/* Limits of the test's own namespace (never the host's: the test runs
 * only isolated). */
static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (fputs(text, f) == EOF)
		rc = -EIO;
	if (fclose(f) == EOF && rc == 0)
		rc = -errno;
	return rc;
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	char *ok;

	cr_assert(ne(ptr, f, NULL), "open %s: %s", path, strerror(errno));
	ok = fgets(buf, (int)size, f);
	fclose(f);
	cr_assert(ne(ptr, ok, NULL), "read %s", path);
}

/* tmpfs: "size=" in bytes, rounded up to pages (tmpfs(5)). */
static void dev_shm_size(const char *backend, const char *size)
{
	int rc = mount("tmpfs", "/dev/shm", "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, size);

	cr_assert(eq(int, rc, 0), "%s: remount /dev/shm %s: %s", backend, size, strerror(errno));
}

/*
 * A create for which the kernel has no room fails with the kernel's error
 * and leaves nothing. Each kind of object the channel has is exhausted in
 * turn, in the test's private namespace:
 *   posix-shm, posix-sem  a tmpfs on /dev/shm of 64 KiB (the ring is larger:
 *                         posix_fallocate gives ENOSPC), then one page short
 *                         of the whole channel (the last object fails)
 *   sem   kernel.sem SEMMNS 0: semget ENOSPC (semget(2))
 *   shm   kernel.shmall 0: shmget ENOSPC (shmget(2))
 *   msg   kernel.msgmni 0: msgget ENOSPC (msgget(2))
 *   mqueue  RLIMIT_MSGQUEUE 0: mq_open EMFILE (the kernel's
 *         mqueue_get_inode; getrlimit(2): "enforced for mq_open"), or
 *         ENOSPC from a backend that checks the limit before mq_open
 */
BACKEND_TEST(leak_create_no_space)
{
	const char *name = fixture_name();
	struct ipcmp_census_entry obj[OBJ_MAX];
	struct ipcmp_census before;
	char old[128], text[160];
	size_t n, tried = 0;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long pages = 0;
	int tmpfs = 0, sem = 0, shm = 0, msg = 0, mq = 0;
	struct usage u;

	if (!fixture_isolated())
		cr_skip("%s: needs root's private namespaces: sets the IPC limits to 0",
			ops->name);
	n = channel_objects(ops, name, obj);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(obj[i].kind, "posix-", 6) == 0) {
			tmpfs = 1;
			/* tmpfs charges whole pages of data (a sem.* file holds a sem_t) */
			pages += (obj[i].size + (unsigned long)page - 1) / (unsigned long)page;
		}
		sem |= strcmp(obj[i].kind, "sem") == 0;
		shm |= strcmp(obj[i].kind, "shm") == 0;
		msg |= strcmp(obj[i].kind, "msg") == 0;
		mq |= strcmp(obj[i].kind, "mqueue") == 0;
	}
	census_for(&before, name);
	usage_take(&u);

#define NO_SPACE(err, what) NO_SPACE2(err, err, what)
#define NO_SPACE2(err, err2, what) do { \
		struct ipcmp_chan *c_ = NULL; \
		int rc_ = ipcmp_create(ops, name, NULL, &c_); \
		cr_assert(rc_ == -(err) || rc_ == -(err2), "%s: create, %s: %s (%s)", ops->name, \
			  what, ipcmp_strerror(rc_), ipcmp_call ? ipcmp_call : "-"); \
		census_assert_plus(&before, name, NULL, 0, ops->name, what); \
		usage_assert_same(&u, ops->name, what); \
		tried++; \
	} while (0)

	if (tmpfs) {
		/* the filler's name starts with '.': the census does not list it */
		static const char filler[] = "/dev/shm/.leak-filler";
		struct statfs sfs;
		unsigned long used;
		int fd;

		cr_assert(eq(int, statfs("/dev/shm", &sfs), 0), "%s: statfs /dev/shm", ops->name);
		used = (unsigned long)(sfs.f_blocks - sfs.f_bfree);
		if (pages * (unsigned long)page > 64 * 1024) {
			dev_shm_size(ops->name, "size=64k");
			NO_SPACE(ENOSPC, "/dev/shm of 64 KiB");
		}
		/* room for the channel, less the page a filler takes ("size=0"
		 * would mean no limit, so the filler, not the size, makes it short) */
		snprintf(text, sizeof(text), "size=%lu", (used + pages) * (unsigned long)page);
		dev_shm_size(ops->name, text);
		fd = open(filler, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		cr_assert(ge(int, fd, 0), "%s: %s: %s", ops->name, filler, strerror(errno));
		cr_assert(eq(int, posix_fallocate(fd, 0, page), 0), "%s: fill %s", ops->name, filler);
		close(fd);
		NO_SPACE(ENOSPC, "/dev/shm one page short of the channel");
		unlink(filler);
		dev_shm_size(ops->name, "size=50%");
	}
	if (sem) {
		unsigned long msl, mns, opm, mni;

		read_file("/proc/sys/kernel/sem", old, sizeof(old));
		cr_assert(eq(int, sscanf(old, "%lu %lu %lu %lu", &msl, &mns, &opm, &mni), 4),
			  "%s: kernel.sem: %s", ops->name, old);
		snprintf(text, sizeof(text), "%lu 0 %lu %lu", msl, opm, mni);
		cr_assert(eq(int, write_file("/proc/sys/kernel/sem", text), 0), "%s: kernel.sem",
			  ops->name);
		NO_SPACE(ENOSPC, "kernel.sem SEMMNS 0");
		cr_assert(eq(int, write_file("/proc/sys/kernel/sem", old), 0), "%s: kernel.sem",
			  ops->name);
	}
	if (shm) {
		read_file("/proc/sys/kernel/shmall", old, sizeof(old));
		cr_assert(eq(int, write_file("/proc/sys/kernel/shmall", "0"), 0),
			  "%s: kernel.shmall", ops->name);
		NO_SPACE(ENOSPC, "kernel.shmall 0");
		cr_assert(eq(int, write_file("/proc/sys/kernel/shmall", old), 0),
			  "%s: kernel.shmall", ops->name);
	}
	if (msg) {
		read_file("/proc/sys/kernel/msgmni", old, sizeof(old));
		cr_assert(eq(int, write_file("/proc/sys/kernel/msgmni", "0"), 0),
			  "%s: kernel.msgmni", ops->name);
		NO_SPACE(ENOSPC, "kernel.msgmni 0");
		cr_assert(eq(int, write_file("/proc/sys/kernel/msgmni", old), 0),
			  "%s: kernel.msgmni", ops->name);
	}
	if (mq) {
		struct rlimit rl, zero;

		cr_assert(eq(int, getrlimit(RLIMIT_MSGQUEUE, &rl), 0), "%s: getrlimit", ops->name);
		zero = rl;
		zero.rlim_cur = 0;
		cr_assert(eq(int, setrlimit(RLIMIT_MSGQUEUE, &zero), 0), "%s: setrlimit",
			  ops->name);
		NO_SPACE2(EMFILE, ENOSPC, "RLIMIT_MSGQUEUE 0");
		cr_assert(eq(int, setrlimit(RLIMIT_MSGQUEUE, &rl), 0), "%s: setrlimit",
			  ops->name);
	}
#undef NO_SPACE
#undef NO_SPACE2
	kcensus_free(&before);
	cr_assert(ne(sz, tried, 0), "%s: no object of the channel could be exhausted", ops->name);
	/* and with the room back, the channel can be made */
	chan_close_ok(chan_create_ok(ops, name, 0, 0, 0));
	chan_unlink_ok(ops, name);
}
