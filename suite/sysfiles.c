/*
 * sysfiles.c - what the library reads from the system's files, each one
 * missing, empty, malformed or odd: /proc/sysvipc and /dev/shm and an
 * mqueue directory (common/census.c), the limits under /proc/sys
 * (common/limits.c and the backends' limits), /proc/PID/stat (the
 * liveness check of common/stream.c), and the names it makes
 * (common/names.c).
 *
 * As root, the test runs in the fixture's private mount namespace and puts
 * its own files where the system's were (a tmpfs on /proc/sysvipc, a bind
 * mount over a /proc/sys or /proc/PID file): a /proc that a chroot or a
 * container may well provide. The IPC sysctls are written in the test's
 * own IPC namespace only. Without those namespaces such cases skip.
 *
 *   $ ./build/suite --filter 'sysfiles/?*'
 */
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "census.h"
#include "fault.h"
#include "fixture.h"
#include "frame.h"
#include "ipcmp.h"
#include "stream.h"

extern const struct ipcmp_ops ipcmp_sysv_msg_ops;
extern const struct ipcmp_ops ipcmp_posix_mq_ops;

TestSuite(sysfiles, .timeout = 60);

#define SYSFILES_TEST(test) \
	static void test##_body(void); \
	Test(sysfiles, test, .init = fixture_init, .fini = fixture_fini) \
	{ \
		fixture_begin_probe("sysfiles"); \
		test##_body(); \
		census_assert_clean(); \
	} \
	static void test##_body(void)

/* Mounts over /proc stay in this namespace: /proc is made private first
 * (on a systemd host it is shared, and would carry them to the host). */
static void need_namespaces(const char *why)
{
	if (!fixture_isolated())
		cr_skip("sysfiles: needs root's private mount and IPC namespaces (%s): %s",
			fixture_mode(), why);
	if (mount("none", "/proc", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		cr_skip("sysfiles: /proc cannot be made private (%s): not a mount point here?",
			strerror(errno));
}

/* 1 when path is a mount point of its own (its parent is on another fs). */
static int mount_point(const char *path, const char *parent)
{
	struct stat a, b;

	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);

	cr_assert(ge(int, fd, 0), "sysfiles: open %s: %s", path, strerror(errno));
	cr_assert(eq(long, (long)write(fd, text, len), (long)len), "sysfiles: write %s: %s", path,
		  strerror(errno));
	close(fd);
}

/* A directory of our own files: isolated, on the fixture's private tmpfs
 * (a name starting with '.' is the fixture's, not an object); else in /tmp. */
static char scratch[64];

static const char *scratch_dir(void)
{
	snprintf(scratch, sizeof(scratch), "%s/.sysfiles.XXXXXX",
		 fixture_isolated() ? "/dev/shm" : "/tmp");
	cr_assert(mkdtemp(scratch) != NULL, "sysfiles: mkdtemp: %s", strerror(errno));
	return scratch;
}

static void scratch_remove(const char *names[])
{
	char path[128];

	for (size_t i = 0; names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch, names[i]);
		unlink(path);
	}
	rmdir(scratch);
}

/* ---- /proc/sysvipc: the columns of proc(5), in a file of our own ---- */

#define SHM_HEAD "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
#define SEM_HEAD "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"
#define MSG_HEAD "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"

static void fake_sysvipc(const char *shm, const char *sem, const char *msg)
{
	char path[64];

	cr_assert(eq(int, mount("none", "/proc/sysvipc", "tmpfs", 0, "size=1m"), 0),
		  "sysfiles: mount tmpfs on /proc/sysvipc: %s", strerror(errno));
	if (shm != NULL)
		write_file("/proc/sysvipc/shm", shm);
	if (sem != NULL)
		write_file("/proc/sysvipc/sem", sem);
	snprintf(path, sizeof(path), "/proc/sysvipc/msg");
	if (msg != NULL)
		write_file(path, msg);
}

static void real_sysvipc(void)
{
	cr_assert(eq(int, umount2("/proc/sysvipc", MNT_DETACH), 0), "sysfiles: umount: %s",
		  strerror(errno));
}

static int census_sysv_only(struct ipcmp_census *c)
{
	int rc = ipcmp_census_take(c, NULL);
	size_t keep = 0;

	for (size_t i = 0; rc >= 0 && i < c->n; i++)
		if (strcmp(c->e[i].kind, "shm") == 0 || strcmp(c->e[i].kind, "sem") == 0 ||
		    strcmp(c->e[i].kind, "msg") == 0)
			c->e[keep++] = c->e[i];
	if (rc >= 0)
		c->n = keep;
	return rc;
}

/* One object of each kind, every column the census keeps. */
SYSFILES_TEST(census_reads_sysvipc_columns)
{
	struct ipcmp_census c;
	int rc;

	need_namespaces("it mounts its own /proc/sysvipc");
	fake_sysvipc(SHM_HEAD "      1234          5  1600                  4096   100   200      2  1000  1000  1000  1000 0 0 0 4096 0\n",
		     SEM_HEAD "        -1          7   644          3     0     0     0     0 0 0\n",
		     MSG_HEAD "        42          9   600         100          3     0     0   500   500   500   500 0 0 0\n");
	rc = census_sysv_only(&c);
	real_sysvipc();
	cr_assert(eq(int, rc, 3), "sysfiles: census of one object per kind: %d", rc);
	cr_assert(eq(int, (int)c.n, 3), "sysfiles: %zu SysV objects, want 3", c.n);
	cr_assert(eq(str, c.e[0].kind, "shm"), "sysfiles: first %s, want shm", c.e[0].kind);
	cr_assert(eq(str, c.e[0].name, "0x000004d2"), "sysfiles: shm key %s", c.e[0].name);
	cr_assert(eq(long, c.e[0].id, 5L), "sysfiles: shmid %ld", c.e[0].id);
	cr_assert(eq(u32, c.e[0].mode, 01600u), "sysfiles: shm mode %o", c.e[0].mode);
	cr_assert(eq(ulong, c.e[0].size, 4096ul), "sysfiles: shm size %lu", c.e[0].size);
	cr_assert(eq(long, c.e[0].attached, 2L), "sysfiles: nattch %ld", c.e[0].attached);
	cr_assert(eq(u32, c.e[0].uid, 1000u), "sysfiles: shm uid %u", c.e[0].uid);
	cr_assert(eq(str, c.e[1].name, "0xffffffff"), "sysfiles: sem key -1 as %s", c.e[1].name);
	cr_assert(eq(long, c.e[1].attached, 3L), "sysfiles: nsems %ld", c.e[1].attached);
	cr_assert(eq(u32, c.e[1].mode, 0644u), "sysfiles: sem mode %o", c.e[1].mode);
	cr_assert(eq(str, c.e[2].kind, "msg"), "sysfiles: third %s, want msg", c.e[2].kind);
	cr_assert(eq(ulong, c.e[2].size, 100ul), "sysfiles: cbytes %lu", c.e[2].size);
	cr_assert(eq(long, c.e[2].attached, 3L), "sysfiles: qnum %ld", c.e[2].attached);
	cr_assert(eq(u32, c.e[2].uid, 500u), "sysfiles: msg uid %u", c.e[2].uid);
	ipcmp_census_free(&c);
}

/* A line that is not the columns: -EPROTO, not a half-read census. An
 * empty file (not even the header) has no objects. */
SYSFILES_TEST(census_rejects_malformed_sysvipc)
{
	struct ipcmp_census c;
	int rc;

	need_namespaces("it mounts its own /proc/sysvipc");
	fake_sysvipc("", SEM_HEAD, MSG_HEAD "  not a queue line\n");
	rc = census_sysv_only(&c);
	ipcmp_census_free(&c);
	real_sysvipc();
	cr_assert(eq(int, rc, -EPROTO), "sysfiles: census over a malformed msg line: %s, "
		  "want EPROTO", strerror(-rc));
}

/* A kernel without one of the files (no CONFIG_SYSVIPC_... of that kind). */
SYSFILES_TEST(census_missing_sysvipc_file)
{
	struct ipcmp_census c;
	int rc;

	need_namespaces("it mounts its own /proc/sysvipc");
	fake_sysvipc(SHM_HEAD, SEM_HEAD, NULL);
	rc = census_sysv_only(&c);
	ipcmp_census_free(&c);
	real_sysvipc();
	cr_assert(eq(int, rc, -ENOENT), "sysfiles: census without /proc/sysvipc/msg: %s, "
		  "want ENOENT", strerror(-rc));
}

/* Enough objects to grow the list several times; with no memory for it,
 * -ENOMEM (and nothing to free but what census_free frees). */
SYSFILES_TEST(census_many_objects_and_no_memory)
{
	char text[64 * 100] = SHM_HEAD, line[100];
	struct ipcmp_census c;
	int rc;

	need_namespaces("it mounts its own /proc/sysvipc");
	for (int i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "%d %d 600 64 1 1 0 0 0 0 0 0 0 0 0 0\n", 100 + i, i);
		strcat(text, line);
	}
	fake_sysvipc(text, SEM_HEAD, MSG_HEAD);
	rc = census_sysv_only(&c);
	cr_assert(eq(int, (int)c.n, 40), "sysfiles: %zu of 40 segments listed (%d)", c.n, rc);
	for (size_t i = 1; i < c.n; i++)
		cr_assert(lt(int, strcmp(c.e[i - 1].name, c.e[i].name), 0),
			  "sysfiles: census not sorted by key at %zu", i);
	ipcmp_census_free(&c);
	fault_arm(2, ENOMEM);           /* the list's first growth is call 1 */
	rc = ipcmp_census_take(&c, NULL);
	fault_disarm();
	ipcmp_census_free(&c);
	real_sysvipc();
	cr_assert(eq(int, rc, -ENOMEM), "sysfiles: census with realloc failing: %s",
		  strerror(-rc));
}

/* In /dev/shm: files are objects ("sem." ones semaphores); directories and
 * Criterion's own files are not. Run out of memory on the POSIX list too. */
SYSFILES_TEST(census_dev_shm_entries)
{
	const char *names[] = { "adir", "criterion_x", "sem.one", "two", NULL };
	struct ipcmp_census c;
	int rc, sem = 0, shm = 0, other = 0;

	need_namespaces("it writes files into a /dev/shm of its own");
	cr_assert(eq(int, mkdir("/dev/shm/adir", 0700), 0), "sysfiles: mkdir: %s", strerror(errno));
	write_file("/dev/shm/criterion_x", "");
	write_file("/dev/shm/sem.one", "");
	write_file("/dev/shm/two", "12345");
	rc = ipcmp_census_take(&c, NULL);
	for (size_t i = 0; rc >= 0 && i < c.n; i++) {
		if (strcmp(c.e[i].kind, "posix-sem") == 0 && strcmp(c.e[i].name, "/one") == 0)
			sem++;
		else if (strcmp(c.e[i].kind, "posix-shm") == 0 && strcmp(c.e[i].name, "/two") == 0 &&
			 c.e[i].size == 5 && c.e[i].mode == 0600)
			shm++;
		else if (strncmp(c.e[i].kind, "posix", 5) == 0)
			other++;
	}
	ipcmp_census_free(&c);
	fault_arm(1, ENOMEM);
	rc = rc < 0 ? rc : ipcmp_census_take(&c, NULL) == -ENOMEM ? 0 : -EPROTO;
	fault_disarm();
	ipcmp_census_free(&c);
	for (size_t i = 0; names[i] != NULL; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/shm/%s", names[i]);
		unlink(path);
		rmdir(path);
	}
	cr_assert(eq(int, rc, 0), "sysfiles: census of /dev/shm: %s", strerror(-rc));
	cr_assert(eq(int, sem, 1), "sysfiles: sem.one listed %d times as posix-sem /one", sem);
	cr_assert(eq(int, shm, 1), "sysfiles: two listed %d times as posix-shm /two, 5 bytes", shm);
	cr_assert(eq(int, other, 0), "sysfiles: %d other POSIX entries (a directory, or "
		  "Criterion's file)", other);
}

/* The mqueue directory given: each file's QSIZE (mq_overview(7)); a file
 * that says nothing has 0 bytes queued; a directory that is not there is
 * an error. No namespaces needed: any directory will do. */
SYSFILES_TEST(census_mqueue_dir_files)
{
	const char *names[] = { "q1", "q2", NULL };
	const char *dir = scratch_dir();
	struct ipcmp_census c;
	char path[128];
	int rc, q1 = -1, q2 = -1;

	snprintf(path, sizeof(path), "%s/q1", dir);
	write_file(path, "QSIZE:77         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
	snprintf(path, sizeof(path), "%s/q2", dir);
	write_file(path, "");
	rc = ipcmp_census_take(&c, dir);
	for (size_t i = 0; rc >= 0 && i < c.n; i++) {
		if (strcmp(c.e[i].kind, "mqueue") != 0)
			continue;
		if (strcmp(c.e[i].name, "/q1") == 0)
			q1 = (int)c.e[i].size;
		if (strcmp(c.e[i].name, "/q2") == 0)
			q2 = (int)c.e[i].size;
	}
	ipcmp_census_free(&c);
	snprintf(path, sizeof(path), "%s/none", dir);
	cr_assert(eq(int, ipcmp_census_take(&c, path), -ENOENT), "sysfiles: census of a "
		  "missing mqueue directory");
	ipcmp_census_free(&c);
	scratch_remove(names);
	cr_assert(ge(int, rc, 2), "sysfiles: census with %s: %s", dir, strerror(-rc));
	cr_assert(eq(int, q1, 77), "sysfiles: q1 QSIZE:77 listed with %d bytes", q1);
	cr_assert(eq(int, q2, 0), "sysfiles: an empty q2 listed with %d bytes", q2);
}

/*
 * Without an mqueue directory given, the census looks at /dev/mqueue and
 * lists queues when an mqueue filesystem is mounted there; without
 * /dev/shm it lists no POSIX shm; with something else at /dev/shm it
 * fails. In a child, over a tmpfs on /dev of its own (mount namespace).
 */
static void dev_child(void)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct ipcmp_census c;
	int rc, queues = 0;
	mqd_t q;

	/* private, so that nothing reaches the host's /dev */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/dev", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", "/dev", "tmpfs", 0, "size=1m") < 0 ||
	    mkdir("/dev/mqueue", 0700) < 0 ||
	    mount("mqueue", "/dev/mqueue", "mqueue", 0, NULL) < 0)
		child_failf("sysfiles: a /dev of our own: %s", strerror(errno));
	if ((q = mq_open("/sysfiles", O_RDWR | O_CREAT | O_EXCL, 0600, &a)) == (mqd_t)-1)
		child_failf("sysfiles: mq_open: %s", strerror(errno));
	mq_close(q);
	rc = ipcmp_census_take(&c, NULL);
	for (size_t i = 0; rc >= 0 && i < c.n; i++)
		queues += strcmp(c.e[i].kind, "mqueue") == 0 && strcmp(c.e[i].name, "/sysfiles") == 0;
	ipcmp_census_free(&c);
	mq_unlink("/sysfiles");
	if (rc < 0)
		child_failf("sysfiles: census without /dev/shm: %s, want it to go on", strerror(-rc));
	if (queues != 1)
		child_failf("sysfiles: /sysfiles listed %d times from /dev/mqueue", queues);
	close(open("/dev/shm", O_WRONLY | O_CREAT, 0600));
	rc = ipcmp_census_take(&c, NULL);
	ipcmp_census_free(&c);
	if (rc != -ENOTDIR)
		child_failf("sysfiles: census with a file at /dev/shm: %s, want ENOTDIR",
			    strerror(-rc));
	child_exit();
}

SYSFILES_TEST(census_dev_mqueue_and_no_dev_shm)
{
	pid_t pid;

	need_namespaces("it mounts a /dev of its own");
	if (!mount_point("/dev", "/"))
		cr_skip("sysfiles: /dev is not a mount point here: a tmpfs over it could not "
			"be kept from the host");
	if ((pid = child_start(0)) == 0)
		dev_child();
	child_assert_ok(pid, 0, fixture_wait_ms(), "a /dev of its own");
}

SYSFILES_TEST(census_find_by_kind_name_id)
{
	struct ipcmp_census_entry e[2] = {
		{ .kind = "shm", .name = "0x00000001", .id = 3 },
		{ .kind = "posix-shm", .name = "/a", .id = -1 },
	};
	struct ipcmp_census c = { 2, e };
	struct ipcmp_census_entry probe = e[0];

	cr_assert(ipcmp_census_find(&c, &probe) == &e[0], "sysfiles: find shm 0x1 id 3");
	probe.id = 4;
	cr_assert(ipcmp_census_find(&c, &probe) == NULL, "sysfiles: found shm 0x1 by id 4");
	probe = e[1];
	strcpy(probe.kind, "posix-sem");
	cr_assert(ipcmp_census_find(&c, &probe) == NULL, "sysfiles: found a posix-sem /a");
	probe = e[1];
	cr_assert(ipcmp_census_find(&c, &probe) == &e[1], "sysfiles: find posix-shm /a");
}

/* ---- /proc/sys: one number a file ---- */

SYSFILES_TEST(read_limit_files)
{
	static const struct {
		const char *text;
		int rc;
		size_t val;
	} rows[] = {
		{ "16384\n", 0, 16384 },
		{ "", -EIO, 0 },                        /* nothing read */
		{ "many\n", -EIO, 0 },                  /* no number */
		{ "99999999999999999999999\n", -EIO, 0 },   /* ERANGE */
	};
	const char *names[] = { "limit", NULL };
	const char *dir = scratch_dir();
	char path[128];
	size_t val;
	int rc;

	snprintf(path, sizeof(path), "%s/limit", dir);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		write_file(path, rows[i].text);
		val = 7;
		rc = ipcmp_read_limit(path, &val);
		cr_assert(eq(int, rc, rows[i].rc), "sysfiles: read_limit of \"%s\": %s, want %s",
			  rows[i].text, strerror(-rc), strerror(-rows[i].rc));
		cr_assert(eq(sz, val, rows[i].rc == 0 ? rows[i].val : 7), "sysfiles: read_limit "
			  "of \"%s\" gave %zu", rows[i].text, val);
	}
	rc = ipcmp_read_limit(dir, &val);
	cr_assert(eq(int, rc, -EISDIR), "sysfiles: read_limit of a directory: %s", strerror(-rc));
	scratch_remove(names);
	rc = ipcmp_read_limit(path, &val);
	cr_assert(eq(int, rc, -ENOENT), "sysfiles: read_limit of a missing file: %s",
		  strerror(-rc));
}

/* A file of ours over a /proc/sys one, for the rest of the test. */
static void fake_sysctl(const char *sysctl, const char *text)
{
	char path[128], fake[128];

	snprintf(fake, sizeof(fake), "%s/%s", scratch, strrchr(sysctl, '/') + 1);
	write_file(fake, text);
	snprintf(path, sizeof(path), "/proc/sys/%s", sysctl);
	cr_assert(eq(int, mount(fake, path, "none", MS_BIND, NULL), 0), "sysfiles: bind %s: %s",
		  path, strerror(errno));
}

static void write_sysctl(const char *sysctl, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/%s", sysctl);
	write_file(path, value);
}

/* sysv-msg: a limit it cannot read stops create with that error. */
SYSFILES_TEST(limits_unreadable_sysctl)
{
	struct ipcmp_limits lim;
	int rc;

	need_namespaces("it mounts its own files over /proc/sys");
	scratch_dir();
	fake_sysctl("kernel/msgmnb", "lots\n");
	rc = ipcmp_limits(&ipcmp_sysv_msg_ops, &lim);
	umount2("/proc/sys/kernel/msgmnb", MNT_DETACH);
	cr_assert(eq(int, rc, -EIO), "sysfiles: sysv-msg limits with msgmnb \"lots\": %s",
		  strerror(-rc));
	fake_sysctl("fs/mqueue/msgsize_max", "\n");
	rc = ipcmp_limits(&ipcmp_posix_mq_ops, &lim);
	umount2("/proc/sys/fs/mqueue/msgsize_max", MNT_DETACH);
	cr_assert(eq(int, rc, -EIO), "sysfiles: posix-mq limits with an empty msgsize_max: %s",
		  strerror(-rc));
	scratch_remove((const char *[]){ "msgmnb", "msgsize_max", NULL });
}

/*
 * posix-mq: the *_default sysctls came with Linux 3.5; where they cannot
 * be read, the maxima are the defaults. A default of 0 (which the kernel
 * refuses to store, but a /proc/sys of someone else's may say) still gives
 * a usable channel: 1 message of at least 1 byte.
 */
SYSFILES_TEST(limits_mq_defaults_missing_or_zero)
{
	struct ipcmp_limits lim;
	size_t msg_max = 0;
	int rc;

	need_namespaces("it mounts its own files over /proc/sys");
	scratch_dir();
	cr_assert(eq(int, ipcmp_read_limit("/proc/sys/fs/mqueue/msg_max", &msg_max), 0),
		  "sysfiles: msg_max");
	fake_sysctl("fs/mqueue/msg_default", "x\n");
	fake_sysctl("fs/mqueue/msgsize_default", "x\n");
	rc = ipcmp_limits(&ipcmp_posix_mq_ops, &lim);
	umount2("/proc/sys/fs/mqueue/msg_default", MNT_DETACH);
	umount2("/proc/sys/fs/mqueue/msgsize_default", MNT_DETACH);
	cr_assert(eq(int, rc, 0), "sysfiles: posix-mq limits without defaults: %s", strerror(-rc));
	cr_assert(eq(sz, lim.capacity_default, msg_max < lim.capacity_limit ? msg_max :
		     lim.capacity_limit), "sysfiles: capacity default %zu, want fs.mqueue.msg_max "
		  "%zu (within the limit %zu)", lim.capacity_default, msg_max, lim.capacity_limit);
	fake_sysctl("fs/mqueue/msg_default", "0\n");
	fake_sysctl("fs/mqueue/msgsize_default", "0\n");
	rc = ipcmp_limits(&ipcmp_posix_mq_ops, &lim);
	umount2("/proc/sys/fs/mqueue/msg_default", MNT_DETACH);
	umount2("/proc/sys/fs/mqueue/msgsize_default", MNT_DETACH);
	cr_assert(eq(int, rc, 0), "sysfiles: posix-mq limits with defaults 0: %s", strerror(-rc));
	cr_assert(eq(sz, lim.capacity_default, (size_t)1), "sysfiles: capacity default %zu with "
		  "msg_default 0", lim.capacity_default);
	cr_assert(eq(sz, lim.msg_max_default, (size_t)1), "sysfiles: msg_max default %zu with "
		  "msgsize_default 0", lim.msg_max_default);
	scratch_remove((const char *[]){ "msg_default", "msgsize_default", NULL });
}

/* The largest msg_max a limit allows is accepted and carries a message of
 * that size; one more byte is refused. */
static void largest_works(const struct ipcmp_ops *ops, const struct ipcmp_limits *lim,
			  size_t capacity)
{
	struct ipcmp_attr attr = { .msg_max = lim->msg_max_limit, .capacity = capacity,
				   .flags = IPCMP_PRODUCER | IPCMP_CONSUMER };
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	char *buf = calloc(1, lim->msg_max_limit);
	int rc;

	cr_assert(buf != NULL, "sysfiles: calloc");
	rc = ipcmp_create(ops, name, &attr, &c);
	cr_assert(eq(int, rc, 0), "%s: create with msg_max %zu (the limit, %s): %s (%s)",
		  ops->name, attr.msg_max, lim->msg_max_source, ipcmp_strerror(rc),
		  ipcmp_call ? ipcmp_call : "-");
	rc = ipcmp_send(c, buf, lim->msg_max_limit, 0);
	cr_assert(eq(int, rc, 0), "%s: send of %zu bytes: %s", ops->name, lim->msg_max_limit,
		  ipcmp_strerror(rc));
	cr_assert(eq(long, (long)ipcmp_recv(c, buf, lim->msg_max_limit, 0),
		     (long)lim->msg_max_limit), "%s: recv of %zu bytes", ops->name,
		  lim->msg_max_limit);
	ipcmp_close(c);
	cr_assert(eq(int, ipcmp_unlink(ops, name), 0), "%s: unlink", ops->name);
	free(buf);
	attr.msg_max++;
	rc = ipcmp_create(ops, name, &attr, &c);
	cr_assert(eq(int, rc, -EINVAL), "%s: create with msg_max %zu, one past the limit: %s",
		  ops->name, attr.msg_max, ipcmp_strerror(rc));
}

/*
 * sysv-msg: a queue smaller than a message (kernel.msgmnb < kernel.msgmax)
 * bounds msg_max by msgmnb; a huge queue bounds the capacity by the
 * largest semaphore value (SEMVMX, 32767: semctl(2)), the default too.
 */
SYSFILES_TEST(limits_msgmnb_small_and_huge)
{
	struct ipcmp_limits lim;
	int rc;

	need_namespaces("it writes the IPC sysctls of its own IPC namespace");
	write_sysctl("kernel/msgmax", "8192\n");
	write_sysctl("kernel/msgmnb", "4096\n");
	rc = ipcmp_limits(&ipcmp_sysv_msg_ops, &lim);
	cr_assert(eq(int, rc, 0), "sysv-msg: limits with msgmnb 4096: %s", strerror(-rc));
	cr_assert(eq(str, (char *)lim.msg_max_source, "kernel.msgmnb"), "sysv-msg: msg_max bound by "
		  "%s with msgmnb 4096 < msgmax 8192", lim.msg_max_source);
	largest_works(&ipcmp_sysv_msg_ops, &lim, 1);
	write_sysctl("kernel/msgmnb", "2000000000\n");
	rc = ipcmp_limits(&ipcmp_sysv_msg_ops, &lim);
	cr_assert(eq(int, rc, 0), "sysv-msg: limits with msgmnb 2e9: %s", strerror(-rc));
	cr_assert(eq(sz, lim.capacity_limit, (size_t)32767), "sysv-msg: capacity limit %zu "
		  "(%s), want SEMVMX", lim.capacity_limit, lim.capacity_source);
	cr_assert(le(sz, lim.capacity_default, lim.capacity_limit), "sysv-msg: default %zu over "
		  "the limit", lim.capacity_default);
}

/* posix-mq: an RLIMIT_MSGQUEUE too small for the message size the
 * sysctls allow bounds msg_max, and the default with it. */
SYSFILES_TEST(limits_rlimit_msgqueue_small)
{
	/* past the charge of a 1-byte message, short of a 64-byte one: the
	 * default, halved down to 64 bytes, must still come under the limit */
	struct rlimit rl = { 128 + IPCMP_FRAME_SIZE, 128 + IPCMP_FRAME_SIZE };
	struct ipcmp_limits lim;
	pid_t pid;
	int rc;

	if ((pid = child_start(0)) == 0) {
		if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0)
			child_failf("sysfiles: setrlimit: %s", strerror(errno));
		rc = ipcmp_limits(&ipcmp_posix_mq_ops, &lim);
		if (rc < 0)
			child_failf("posix-mq: limits with RLIMIT_MSGQUEUE %lu: %s",
				    (unsigned long)rl.rlim_cur, strerror(-rc));
		if (strcmp(lim.msg_max_source, "RLIMIT_MSGQUEUE") != 0)
			child_failf("posix-mq: msg_max bound by %s with RLIMIT_MSGQUEUE %lu",
				    lim.msg_max_source, (unsigned long)rl.rlim_cur);
		if (lim.msg_max_default > lim.msg_max_limit || lim.msg_max_default == 0)
			child_failf("posix-mq: msg_max default %zu, limit %zu", lim.msg_max_default,
				    lim.msg_max_limit);
		child_exit();
	}
	child_assert_ok(pid, 0, fixture_wait_ms(), "a small RLIMIT_MSGQUEUE");
}

/* ---- /proc/PID/stat: liveness ---- */

/*
 * A stat that cannot be parsed says nothing: the start time is unknown (0)
 * and liveness falls back to kill(pid, 0), so a live process with any
 * start time asked for is alive. Parsed, the same start time would make it
 * a stranger under a reused pid.
 */
SYSFILES_TEST(pid_alive_unparsable_stat)
{
	static const char *const stats[] = {
		"",                                     /* nothing */
		"1234 no parenthesis S 1 2 3\n",        /* no command */
		"1234 (short) S 1 2 3\n",               /* fewer than 22 fields */
	};
	const char *names[] = { "stat", NULL };
	char path[64], fake[128];
	pid_t pid;
	int st;

	need_namespaces("it mounts its own file over /proc/PID/stat");
	cr_assert(eq(int, ipcmp_pid_alive(0, 0), 0), "sysfiles: pid 0 alive");
	cr_assert(eq(int, ipcmp_pid_alive(-1, 0), 0), "sysfiles: pid -1 alive");
	if ((pid = child_start(0)) == 0) {
		pause();
		child_exit();
	}
	scratch_dir();
	snprintf(fake, sizeof(fake), "%s/stat", scratch);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		uint64_t start;
		int alive;

		write_file(fake, stats[i]);
		cr_assert(eq(int, mount(fake, path, "none", MS_BIND, NULL), 0), "sysfiles: bind "
			  "over %s: %s", path, strerror(errno));
		start = ipcmp_pid_start(pid);
		alive = ipcmp_pid_alive(pid, 12345);
		umount2(path, MNT_DETACH);
		cr_assert(eq(u64, start, (uint64_t)0), "sysfiles: start time %llu from \"%s\"",
			  (unsigned long long)start, stats[i]);
		cr_assert(eq(int, alive, 1), "sysfiles: a live child with stat \"%s\" is dead",
			  stats[i]);
	}
	cr_assert(eq(int, ipcmp_pid_alive(pid, 12345), 0), "sysfiles: the real stat: a start "
		  "time of 12345 is not the child's");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	scratch_remove(names);
}

/* ---- names ---- */

SYSFILES_TEST(names_edges)
{
	char buf[IPCMP_NAME_MAX + 16], ch[8];

	/* found by search: FNV-1a of "ipcmp:ai_FbM" is 0 in its low 31 bits,
	 * and key 0 is IPC_PRIVATE, which makes a new object every time */
	cr_assert(eq(int, ipcmp_sysv_key("ai_FbM"), 1), "sysfiles: key of a name hashing to 0");
	cr_assert(eq(int, ipcmp_posix_name(buf, 8, "abcdef", NULL), -ENAMETOOLONG),
		  "sysfiles: /ipcmp.abcdef in 8 bytes");
	cr_assert(eq(int, ipcmp_posix_name(buf, sizeof(buf), "abc", "ring"), 0),
		  "sysfiles: /ipcmp.abc.ring");
	cr_assert(eq(str, buf, "/ipcmp.abc.ring"), "sysfiles: %s", buf);
	cr_assert(eq(int, ipcmp_posix_channel("/ipcmp.abcdefgh", NULL, ch, sizeof(ch)), 0),
		  "sysfiles: a channel name longer than the buffer");
	cr_assert(eq(int, ipcmp_posix_channel("/ipcmp.Az9_.-", NULL, ch, sizeof(ch)), 1),
		  "sysfiles: every kind of name character");
	cr_assert(eq(int, ipcmp_name_check("a b"), -EINVAL), "sysfiles: a space");
	cr_assert(eq(int, ipcmp_name_check("-a"), -EINVAL), "sysfiles: a leading dash");
	cr_assert(eq(int, ipcmp_name_check("Z~"), -EINVAL), "sysfiles: a tilde");
}
