/*
 * cleanup.c - what is left behind: the census after unlink, unlink under
 * open handles (each family's own rules), unlink twice, half-open
 * channels, and the `ipcmp census` and `ipcmp clean` commands.
 *
 * The IPC objects are counted by the census (fixture.h); the process's own
 * resources by its descriptors (/proc/self/fd) and its mappings of IPC
 * objects (/proc/self/maps: SysV segments show as "SYSV<key>", POSIX shm
 * and named semaphores as files under /dev/shm).
 *
 *   $ make build/suite build/ipcmp && ./build/suite --filter '*_shm/unlink_*'
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "census.h"
#include "crashkit.h"
#include "procinfo.h"

#define SHM_DEST_BIT 01000        /* SysV: shm_perm.mode flag, "marked for destruction" */

static int is_posix(const struct ipcmp_ops *ops)
{
	return strcmp(ops->family, "POSIX") == 0;
}

/* Descriptors this process holds. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert(ne(ptr, d, NULL), "opendir(/proc/self/fd)");
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;                  /* the one opendir holds */
}

/* Mappings of IPC objects in this process (not the heap or libraries,
 * which valgrind and malloc change at will). */
static int count_ipc_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	cr_assert(ne(ptr, f, NULL), "fopen(/proc/self/maps)");
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "/SYSV") != NULL || strstr(line, "/dev/shm/") != NULL;
	fclose(f);
	return n;
}

/* The objects the kernel lists, read by the suite itself (kcensus.h), not
 * by the census under test: isolated, all of the test's namespace;
 * otherwise those of `name` only (other processes make objects meanwhile). */
static int census_count(const char *name)
{
	struct ipcmp_census c;
	int n;

	census_for(&c, name);
	n = (int)c.n;
	kcensus_free(&c);
	return n;
}

/* SysV: the id of the segment under name's key, or -1: after IPC_RMID
 * its key is IPC_PRIVATE, so only the id tells it from other segments. */
static long segment_id(const char *name)
{
	struct ipcmp_census c;
	long id = -1;

	census_for(&c, name);
	for (size_t i = 0; i < c.n; i++)
		if (strcmp(c.e[i].kind, "shm") == 0 && object_of(&c.e[i], name))
			id = c.e[i].id;
	kcensus_free(&c);
	return id;
}

static void msg_send_ok(const struct ipcmp_ops *ops, struct ipcmp_chan *p, uint64_t seq,
			const char *when)
{
	char buf[64];
	size_t len = kit_msg_fill(buf, sizeof(buf), seq);
	int rc = ipcmp_send(p, buf, len, fixture_wait_ms());

	cr_assert(eq(int, rc, 0), "%s: send %s: %s (%s)", ops->name, when, ipcmp_strerror(rc),
		  ipcmp_call ? ipcmp_call : "-");
}

static void msg_recv_ok(const struct ipcmp_ops *ops, struct ipcmp_chan *q, uint64_t seq,
			const char *when)
{
	char *buf = malloc(q->msg_max);
	ssize_t n;

	cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
	n = ipcmp_recv(q, buf, q->msg_max, fixture_wait_ms());
	cr_assert(ge(long, (long)n, 0), "%s: recv %s: %s (%s)", ops->name, when,
		  ipcmp_strerror((int)n), ipcmp_call ? ipcmp_call : "-");
	cr_assert(eq(i64, kit_msg_check(buf, n, 64), (int64_t)seq), "%s: recv %s: not message %llu",
		  ops->name, when, (unsigned long long)seq);
	free(buf);
}

/*
 * The whole life of a channel, with traffic, leaves nothing: after close
 * and unlink the census is what it was, and the process holds no more
 * descriptors and no more IPC mappings than before. Catches a missing
 * IPC_RMID, shm_unlink or sem_unlink (census), a missing shmdt or munmap
 * (maps), a missing close (fds).
 */
BACKEND_TEST(unlink_restores_census)
{
	const char *name = fixture_name();
	int fds = count_fds(), maps = count_ipc_maps(), objs = census_count(name);
	struct ipcmp_chan *c, *p, *q;

	c = chan_create_ok(ops, name, 64, 4, 0);
	/* the census sees the channel, or its emptiness afterwards proves nothing */
	cr_assert(ge(int, census_count(name), objs + 1), "%s: census: the new channel is not listed",
		  ops->name);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	for (uint64_t i = 0; i < 3; i++)
		msg_send_ok(ops, p, i, "before close");
	for (uint64_t i = 0; i < 3; i++)
		msg_recv_ok(ops, q, i, "before close");
	chan_close_ok(p);
	chan_close_ok(q);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	census_assert_clean();
	cr_assert(eq(int, count_fds(), fds), "%s: descriptors left open after close", ops->name);
	cr_assert(eq(int, count_ipc_maps(), maps), "%s: IPC mappings left after close (%d, was %d)",
		  ops->name, count_ipc_maps(), maps);
}

/* Unlink twice gives -ENOENT, as does unlink of a name never made. */
BACKEND_TEST(unlink_twice)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c;
	int rc;

	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink of a name never made: %s", ops->name,
		  ipcmp_strerror(rc));
	c = chan_create_ok(ops, name, 64, 4, 0);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink twice: %s", ops->name, ipcmp_strerror(rc));
	cr_assert(eq(int, ipcmp_close(NULL), 0), "%s: close(NULL)", ops->name);
}

struct blocked {
	int ready;                 /* the child is about to wait */
	long rc;                   /* what its recv returned */
	int64_t seq;               /* the message it got, if any */
	long close_rc;
};

/* A consumer in a child, waiting for one message (fixture_wait_ms). */
static _Noreturn void blocked_receiver(const struct ipcmp_ops *ops, const char *name,
				       struct blocked *b)
{
	static char buf[64];
	struct ipcmp_chan *r;
	int rc;

	if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &r)) < 0)
		child_failf("receiver: open: %s", ipcmp_strerror(rc));
	__atomic_store_n(&b->ready, 1, __ATOMIC_SEQ_CST);
	b->rc = ipcmp_recv(r, buf, sizeof(buf), fixture_wait_ms());
	b->seq = b->rc >= 0 ? kit_msg_check(buf, b->rc, 64) : -1;
	b->close_rc = ipcmp_close(r);
	child_exit();
}

/*
 * Unlink while peers have the channel open, and one waits in recv.
 * System V: the objects are removed at once (IPC_RMID): the key is free for
 * a new channel, the handles get -EIDRM, and the waiting receiver wakes
 * with -EIDRM; a segment stays, marked for destruction, until its last
 * detach. POSIX: only the names go; the handles keep working, the waiting
 * receiver keeps its handle and gets the next message.
 */
BACKEND_TEST(unlink_while_open)
{
	/* static: the child forked below holds copies; its leak check must
	 * find them reachable */
	static struct ipcmp_chan *c, *p, *q, *c2, *x;
	const char *name = fixture_name();
	struct blocked *b = kit_shared(sizeof(*b));
	char buf[64];
	long shmid;
	pid_t pid;
	int rc;

	cr_assert(ne(ptr, b, NULL), "%s: mmap", ops->name);
	c = chan_create_ok(ops, name, 64, 4, 0);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	q = chan_open_ok(ops, name, IPCMP_CONSUMER);
	msg_send_ok(ops, p, 0, "before unlink");
	msg_recv_ok(ops, q, 0, "before unlink");

	if ((pid = child_start(0)) == 0)
		blocked_receiver(ops, name, b);
	for (int i = 0; i < fixture_wait_ms() && !__atomic_load_n(&b->ready, __ATOMIC_SEQ_CST); i++)
		kit_sleep_us(1000);
	/* Wait until it sleeps in the kernel; if it has not yet, the outcome
	 * below is the same (the call then finds the objects gone). */
	kit_wait_sleeping(pid, fixture_wait_ms());
	shmid = segment_id(name);
	chan_unlink_ok(ops, name);

	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &x);
	cr_assert(eq(int, rc, -ENOENT), "%s: open after unlink, handles still open: %s",
		  ops->name, ipcmp_strerror(rc));

	if (kit_is_sysv(ops)) {
		child_assert_ok(pid, 0, fixture_wait_ms() + 5000, "blocked receiver");
		cr_assert(eq(long, b->rc, -EIDRM), "%s: receiver blocked while the channel was "
			  "removed: %s, want -EIDRM", ops->name, ipcmp_strerror((int)b->rc));
		cr_assert(eq(long, b->close_rc, 0), "%s: close after removal: %s", ops->name,
			  ipcmp_strerror((int)b->close_rc));
		rc = ipcmp_send(p, "x", 1, 0);
		cr_assert(eq(int, rc, -EIDRM), "%s: send on a removed channel: %s", ops->name,
			  ipcmp_strerror(rc));
		rc = (int)ipcmp_recv(q, buf, sizeof(buf), 0);
		cr_assert(eq(int, rc, -EIDRM), "%s: recv on a removed channel: %s", ops->name,
			  ipcmp_strerror(rc));
		if (strcmp(ops->name, "sysv-shm") == 0) {
			/* SysV shm: the segment outlives IPC_RMID while attached,
			 * under key IPC_PRIVATE and with SHM_DEST set (shmctl(2)) */
			struct ipcmp_census cen;
			int dest = 0, n = kcensus_take(&cen, NULL);

			for (int i = 0; i < n; i++)
				if (strcmp(cen.e[i].kind, "shm") == 0 && cen.e[i].id == shmid &&
				    (cen.e[i].mode & SHM_DEST_BIT) &&
				    strcmp(cen.e[i].name, "0x00000000") == 0 &&
				    cen.e[i].attached == 3)
					dest++;
			kcensus_free(&cen);
			cr_assert(eq(int, dest, 1), "%s: census: no segment marked for destruction "
				  "with the 3 handles still attached", ops->name);
		}
		/* the key is free at once: a new channel of the same name */
		c2 = chan_create_ok(ops, name, 64, 4, 0);
		chan_close_ok(c2);
		chan_unlink_ok(ops, name);
		chan_close_ok(p);
		chan_close_ok(q);
		/* the last detach destroys the segment: the census is clean */
		chan_close_ok(c);
	} else {
		cr_assert(eq(int, is_posix(ops), 1), "%s: family %s", ops->name, ops->family);
		/* POSIX: nothing left under any name, though handles are open */
		census_assert_clean();
		/* the waiting receiver kept its handle: it gets the next message */
		msg_send_ok(ops, p, 1, "after unlink, to the waiting receiver");
		child_assert_ok(pid, 0, fixture_wait_ms() + 5000, "blocked receiver");
		cr_assert(eq(long, b->rc, (long)kit_msg_fill(buf, 64, 1)), "%s: receiver waiting "
			  "while the name was removed: %s", ops->name,
			  b->rc < 0 ? ipcmp_strerror((int)b->rc) : "wrong length");
		cr_assert(eq(i64, b->seq, 1), "%s: receiver after unlink: wrong message", ops->name);
		cr_assert(eq(long, b->close_rc, 0), "%s: close after unlink: %s", ops->name,
			  ipcmp_strerror((int)b->close_rc));
		/* the mapping still works for the open handles */
		msg_send_ok(ops, p, 2, "after unlink");
		msg_recv_ok(ops, q, 2, "after unlink");
		/* the name is free: a new, separate channel */
		c2 = chan_create_ok(ops, name, 64, 4, IPCMP_CONSUMER);
		msg_send_ok(ops, p, 3, "to the old channel");
		rc = (int)ipcmp_recv(c2, buf, sizeof(buf), 0);
		cr_assert(eq(int, rc, -EAGAIN), "%s: the new channel sees the old one's message: %s",
			  ops->name, rc < 0 ? ipcmp_strerror(rc) : "a message");
		chan_close_ok(c2);
		chan_unlink_ok(ops, name);
		chan_close_ok(p);
		chan_close_ok(q);
		chan_close_ok(c);
	}
	kit_unshare(b, sizeof(*b));
}

/* Removes one object of a shm channel behind its back (white box: the
 * SysV semaphore set under the channel's key; POSIX /ipcmp.NAME.items). */
static void remove_part(const struct ipcmp_ops *ops, const char *name)
{
	char path[IPCMP_NAME_MAX + 32];
	int id, rc;

	if (kit_is_sysv(ops)) {
		id = semget(ipcmp_sysv_key(name), 0, 0);
		rc = id < 0 ? -errno : semctl(id, 0, IPC_RMID) < 0 ? -errno : 0;
	} else {
		ipcmp_posix_name(path, sizeof(path), name, "items");
		rc = sem_unlink(path) < 0 ? -errno : 0;
	}
	cr_assert(eq(int, rc, 0), "%s: removing part of the channel: %s", ops->name, strerror(-rc));
}

/*
 * A half-open channel: one of its objects is gone. open fails, releases
 * what it got on the way (no descriptor, no mapping left), and returns no
 * handle; a handle open from before closes safely; unlink removes the rest
 * and says the channel was damaged (IPCMP_DAMAGED).
 */
BACKEND_TEST_ON(IPCMP_SUITE_LOCKED_SHM_BACKENDS, half_open_channel)
{
	const char *name = fixture_name();
	struct ipcmp_chan *c, *p, *x = (struct ipcmp_chan *)&x;
	int fds, maps, rc;

	c = chan_create_ok(ops, name, 64, 4, 0);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	fds = count_fds();
	maps = count_ipc_maps();
	remove_part(ops, name);
	rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &x);
	cr_assert(eq(int, rc, -ENOENT), "%s: open with a part missing: %s", ops->name,
		  ipcmp_strerror(rc));
	cr_assert(eq(ptr, x, NULL), "%s: a failed open returned a handle", ops->name);
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &x);
	cr_assert(eq(int, rc, -ENOENT), "%s: open (consumer) with a part missing: %s", ops->name,
		  ipcmp_strerror(rc));
	cr_assert(eq(int, count_fds(), fds), "%s: a failed open left a descriptor", ops->name);
	cr_assert(eq(int, count_ipc_maps(), maps), "%s: a failed open left a mapping (%d, was %d)",
		  ops->name, count_ipc_maps(), maps);
	/* SysV: the producer's close meets a removed set (-EIDRM, not an
	 * error at close); POSIX: its semaphores are still open, unlinked */
	chan_close_ok(p);
	chan_close_ok(c);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, IPCMP_DAMAGED), "%s: unlink a channel with a part missing: %s, want "
		  "IPCMP_DAMAGED", ops->name, rc < 0 ? ipcmp_strerror(rc) : "0");
}

/*
 * A create that fails half-way (an object of the channel's already
 * exists) removes what it made and nothing else; it must fail: creation is
 * exclusive (IPC_EXCL / O_EXCL), so a stale object is never adopted.
 */
BACKEND_TEST_ON(IPCMP_SUITE_LOCKED_SHM_BACKENDS, half_made_create)
{
	const char *name = fixture_name();
	char path[IPCMP_NAME_MAX + 32];
	struct ipcmp_attr attr = { .msg_max = 64, .capacity = 4 };
	struct ipcmp_chan *c = NULL;
	int objs = census_count(name), fds = count_fds(), maps = count_ipc_maps();
	sem_t *sem = SEM_FAILED;
	int semid = -1, rc;

	/* a stale semaphore under the channel's key or name (SysV: a set of
	 * one, so open could never take it for ours) */
	if (kit_is_sysv(ops)) {
		semid = semget(ipcmp_sysv_key(name), 1, IPC_CREAT | IPC_EXCL | 0600);
		cr_assert(ge(int, semid, 0), "%s: semget: %s", ops->name, strerror(errno));
	} else {
		ipcmp_posix_name(path, sizeof(path), name, "slots");
		sem = sem_open(path, O_CREAT | O_EXCL, 0600, 0);
		cr_assert(ne(ptr, sem, SEM_FAILED), "%s: sem_open: %s", ops->name, strerror(errno));
		sem_close(sem);
	}
	rc = ipcmp_create(ops, name, &attr, &c);
	if (rc == 0)
		ipcmp_close(c);
	cr_assert(eq(int, rc, -EEXIST), "%s: create over a stale semaphore: %s", ops->name,
		  rc == 0 ? "succeeded (not exclusive)" : ipcmp_strerror(rc));
	cr_assert(eq(ptr, c, NULL), "%s: a failed create returned a handle", ops->name);
	cr_assert(eq(int, census_count(name), objs + 1), "%s: a failed create left objects behind "
		  "(census %d, want %d: the stale one only)", ops->name, census_count(name), objs + 1);
	cr_assert(eq(int, count_fds(), fds), "%s: a failed create left a descriptor", ops->name);
	cr_assert(eq(int, count_ipc_maps(), maps), "%s: a failed create left a mapping", ops->name);
	if (kit_is_sysv(ops))
		rc = semctl(semid, 0, IPC_RMID) < 0 ? -errno : 0;
	else
		rc = sem_unlink(path) < 0 ? -errno : 0;
	cr_assert(eq(int, rc, 0), "%s: removing the stale semaphore (it should have survived): %s",
		  ops->name, strerror(-rc));
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink after a failed create: %s", ops->name,
		  ipcmp_strerror(rc));
}

/* One line of `ipcmp census`. */
struct cline {
	char kind[16], name[300], id[24], att[24];
	unsigned uid, mode;
	unsigned long size;
};

static int parse_line(const char *line, struct cline *l)
{
	return sscanf(line, "%15s %299s %23s %u %o %lu %23s", l->kind, l->name, l->id, &l->uid,
		      &l->mode, &l->size, l->att) == 7;
}

/* Checks one census line against the kernel, asked directly: IPC_STAT for
 * SysV, stat(2) of the file for POSIX shm and semaphores. 1: it agrees. */
static int line_true(const struct cline *l, char *why, size_t size)
{
	char path[NAME_MAX + 16];
	struct stat st;
	key_t key = (key_t)strtoul(l->name, NULL, 16);
	long id = strtol(l->id, NULL, 10), att = strtol(l->att, NULL, 10);

	if (strcmp(l->kind, "shm") == 0) {
		struct shmid_ds ds;
		if (shmctl((int)id, IPC_STAT, &ds) < 0)
			return snprintf(why, size, "shmctl: %s", strerror(errno)), 0;
		if (ds.shm_perm.__key != key || (ds.shm_perm.mode & 07777) != l->mode ||
		    ds.shm_segsz != l->size || (long)ds.shm_nattch != att ||
		    ds.shm_perm.uid != l->uid)
			return snprintf(why, size, "shmctl says key 0x%08x mode %04o size %zu "
					"nattch %lu uid %u", (unsigned)ds.shm_perm.__key,
					ds.shm_perm.mode & 07777, ds.shm_segsz,
					(unsigned long)ds.shm_nattch, ds.shm_perm.uid), 0;
		return 1;
	}
	if (strcmp(l->kind, "sem") == 0) {
		struct semid_ds ds;
		if (semctl((int)id, 0, IPC_STAT, &ds) < 0)
			return snprintf(why, size, "semctl: %s", strerror(errno)), 0;
		if (ds.sem_perm.__key != key || (ds.sem_perm.mode & 07777) != l->mode ||
		    (long)ds.sem_nsems != att || ds.sem_perm.uid != l->uid)
			return snprintf(why, size, "semctl says key 0x%08x mode %04o nsems %lu",
					(unsigned)ds.sem_perm.__key, ds.sem_perm.mode & 07777,
					(unsigned long)ds.sem_nsems), 0;
		return 1;
	}
	if (strcmp(l->kind, "msg") == 0) {
		struct msqid_ds ds;
		if (msgctl((int)id, IPC_STAT, &ds) < 0)
			return snprintf(why, size, "msgctl: %s", strerror(errno)), 0;
		if (ds.msg_perm.__key != key || (ds.msg_perm.mode & 07777) != l->mode ||
		    (long)ds.msg_qnum != att || ds.msg_perm.uid != l->uid)
			return snprintf(why, size, "msgctl says key 0x%08x mode %04o qnum %lu",
					(unsigned)ds.msg_perm.__key, ds.msg_perm.mode & 07777,
					(unsigned long)ds.msg_qnum), 0;
		return 1;
	}
	if (strcmp(l->kind, "posix-shm") == 0 || strcmp(l->kind, "posix-sem") == 0) {
		snprintf(path, sizeof(path), "/dev/shm/%s%s",
			 strcmp(l->kind, "posix-sem") == 0 ? "sem." : "", l->name + 1);
		if (stat(path, &st) < 0)
			return snprintf(why, size, "stat %.200s: %s", path, strerror(errno)), 0;
		if ((st.st_mode & 07777) != l->mode || st.st_uid != l->uid ||
		    (strcmp(l->kind, "posix-shm") == 0 && (unsigned long)st.st_size != l->size))
			return snprintf(why, size, "stat %.200s says mode %04o size %ld uid %u", path,
					st.st_mode & 07777, (long)st.st_size, st.st_uid), 0;
		return 1;
	}
	if (strcmp(l->kind, "mqueue") == 0) {
		mqd_t mq = mq_open(l->name, O_RDONLY);
		if (mq == (mqd_t)-1)
			return snprintf(why, size, "mq_open: %s", strerror(errno)), 0;
		mq_close(mq);
		return 1;
	}
	return snprintf(why, size, "unknown kind"), 0;
}

/* Objects of this IPC namespace, counted without the census code:
 * /proc/sysvipc lines and the files of /dev/shm. */
static int count_objects(void)
{
	static const char *const files[] = { "/proc/sysvipc/shm", "/proc/sysvipc/sem",
					      "/proc/sysvipc/msg" };
	char line[512];
	struct dirent *e;
	int n = 0;
	DIR *d;

	for (size_t i = 0; i < 3; i++) {
		FILE *f = fopen(files[i], "re");
		cr_assert(ne(ptr, f, NULL), "fopen %s", files[i]);
		while (fgets(line, sizeof(line), f) != NULL)
			n++;
		n--;                       /* the header */
		fclose(f);
	}
	d = opendir("/dev/shm");
	cr_assert(ne(ptr, d, NULL), "opendir /dev/shm");
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' && strncmp(e->d_name, "criterion", 9) != 0;
	closedir(d);
	return n;
}

static void run_ipcmp_ok(const struct ipcmp_ops *ops, const char *const argv[], char *out,
			 size_t size)
{
	int st = kit_run_ipcmp(argv, out, size);

	cr_assert(ge(int, st, 0), "%s: running %s: %s (build it: make build/ipcmp)", ops->name,
		  kit_ipcmp_path(), strerror(-st));
	cr_assert(eq(int, st, 0), "%s: ipcmp %s: exit status %d; output:\n%s", ops->name, argv[1],
		  st, out);
}

/*
 * `ipcmp census` lists every IPC object of the namespace, both families,
 * each line true to the kernel: kind, key or name, id, owner, mode, size,
 * attached count. Needs a private namespace: the host's objects come and go.
 */
BACKEND_TEST(census_command)
{
	static const char *const argv[] = { "ipcmp", "census", NULL };
	const char *name = fixture_name();
	static char out[65536];
	struct ipcmp_chan *c, *p;
	struct cline l;
	char why[256];
	int lines = 0, ours = 0, mq_listed = 1;

	if (!fixture_isolated())
		cr_skip("%s: census_command needs a private IPC namespace (run as root)", ops->name);
	c = chan_create_ok(ops, name, 64, 4, 0);
	p = chan_open_ok(ops, name, IPCMP_PRODUCER);
	run_ipcmp_ok(ops, argv, out, sizeof(out));
	for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strncmp(line, "kind ", 5) == 0)
			continue;
		if (strncmp(line, "(POSIX message queues not listed", 32) == 0) {
			mq_listed = 0;
			continue;
		}
		cr_assert(eq(int, parse_line(line, &l), 1), "%s: census line: %s", ops->name, line);
		cr_assert(eq(int, line_true(&l, why, sizeof(why)), 1), "%s: census line \"%s\": %s",
			  ops->name, line, why);
		lines++;
		ours += strcmp(l.kind, "mqueue") == 0;
	}
	/* every object of the namespace is listed: SysV and /dev/shm counted
	 * here, queues by opening the name the channel would use */
	cr_assert(eq(int, lines - ours, count_objects()), "%s: census lists %d objects (and %d "
		  "queues), the namespace holds %d", ops->name, lines - ours, ours, count_objects());
	cr_assert(ge(int, lines, 1), "%s: census: the channel is not listed", ops->name);
	cr_assert(eq(int, mq_listed, 1), "%s: census: POSIX message queues not listed", ops->name);
	chan_close_ok(p);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

struct foreign {
	int shm, shm2, sem, msg;
	char pshm[40], psem[40], pshm2[40], mq[40];
};

/* Objects ipcmp did not make, of every kind, some of them close to ours:
 * a POSIX name that starts "/ipcmp" without the dot, a segment of the size
 * of a ring. */
static void foreign_make(const struct ipcmp_ops *ops, struct foreign *f, key_t base)
{
	struct mq_attr ma = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct { long mtype; char text[8]; } m = { 1, "hello" };
	mqd_t mq;
	sem_t *sem;
	int fd;

	f->shm = shmget(base, 4096, IPC_CREAT | IPC_EXCL | 0600);
	f->shm2 = shmget(base + 1, 8320, IPC_CREAT | IPC_EXCL | 0644);
	f->sem = semget(base + 2, 4, IPC_CREAT | IPC_EXCL | 0600);
	f->msg = msgget(base + 3, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert(ge(int, f->shm, 0), "%s: foreign shmget: %s", ops->name, strerror(errno));
	cr_assert(ge(int, f->shm2, 0), "%s: foreign shmget: %s", ops->name, strerror(errno));
	cr_assert(ge(int, f->sem, 0), "%s: foreign semget: %s", ops->name, strerror(errno));
	cr_assert(ge(int, f->msg, 0), "%s: foreign msgget: %s", ops->name, strerror(errno));
	cr_assert(eq(int, msgsnd(f->msg, &m, sizeof(m.text), 0), 0), "%s: msgsnd", ops->name);
	snprintf(f->pshm, sizeof(f->pshm), "/foreign.%ld", (long)getpid());
	snprintf(f->pshm2, sizeof(f->pshm2), "/ipcmpx%ld", (long)getpid());
	snprintf(f->psem, sizeof(f->psem), "/notipcmp.%ld", (long)getpid());
	snprintf(f->mq, sizeof(f->mq), "/foreign.q%ld", (long)getpid());
	fd = shm_open(f->pshm, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert(ge(int, fd, 0), "%s: foreign shm_open: %s", ops->name, strerror(errno));
	cr_assert(eq(int, ftruncate(fd, 4096), 0), "%s: ftruncate", ops->name);
	close(fd);
	fd = shm_open(f->pshm2, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert(ge(int, fd, 0), "%s: foreign shm_open: %s", ops->name, strerror(errno));
	close(fd);
	sem = sem_open(f->psem, O_CREAT | O_EXCL, 0600, 1);
	cr_assert(ne(ptr, sem, SEM_FAILED), "%s: foreign sem_open: %s", ops->name, strerror(errno));
	sem_close(sem);
	mq = mq_open(f->mq, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	cr_assert(ne(int, (int)mq, -1), "%s: foreign mq_open: %s", ops->name, strerror(errno));
	mq_close(mq);
}

/* 1: every foreign object is still there. */
static int foreign_alive(const struct foreign *f, char *why, size_t size)
{
	struct shmid_ds sd;
	struct semid_ds md;
	struct msqid_ds qd;
	struct stat st;
	char path[64];
	mqd_t mq;

	if (shmctl(f->shm, IPC_STAT, &sd) < 0 || shmctl(f->shm2, IPC_STAT, &sd) < 0)
		return snprintf(why, size, "a SysV segment"), 0;
	if (semctl(f->sem, 0, IPC_STAT, &md) < 0)
		return snprintf(why, size, "the SysV semaphore set"), 0;
	if (msgctl(f->msg, IPC_STAT, &qd) < 0 || qd.msg_qnum != 1)
		return snprintf(why, size, "the SysV queue or its message"), 0;
	snprintf(path, sizeof(path), "/dev/shm%s", f->pshm);
	if (stat(path, &st) < 0)
		return snprintf(why, size, "%s", f->pshm), 0;
	snprintf(path, sizeof(path), "/dev/shm%s", f->pshm2);
	if (stat(path, &st) < 0)
		return snprintf(why, size, "%s", f->pshm2), 0;
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", f->psem + 1);
	if (stat(path, &st) < 0)
		return snprintf(why, size, "semaphore %s", f->psem), 0;
	if ((mq = mq_open(f->mq, O_RDONLY)) == (mqd_t)-1)
		return snprintf(why, size, "queue %s", f->mq), 0;
	mq_close(mq);
	return 1;
}

static void foreign_remove(const struct ipcmp_ops *ops, const struct foreign *f)
{
	int bad = 0;

	bad |= shmctl(f->shm, IPC_RMID, NULL) < 0;
	bad |= shmctl(f->shm2, IPC_RMID, NULL) < 0;
	bad |= semctl(f->sem, 0, IPC_RMID) < 0;
	bad |= msgctl(f->msg, IPC_RMID, NULL) < 0;
	bad |= shm_unlink(f->pshm) < 0;
	bad |= shm_unlink(f->pshm2) < 0;
	bad |= sem_unlink(f->psem) < 0;
	bad |= mq_unlink(f->mq) < 0;
	cr_assert(eq(int, bad, 0), "%s: removing the foreign objects", ops->name);
}

/*
 * `ipcmp clean` removes the channels ipcmp made, recognised by the POSIX
 * name prefix "/ipcmp." or the SysV ring header, and nothing else; with
 * --dry-run it removes nothing. Only in a private namespace: as root on
 * the host it would remove every ipcmp channel there.
 */
BACKEND_TEST(clean_command)
{
	static const char *const dry[] = { "ipcmp", "clean", "--dry-run", NULL };
	static const char *const wet[] = { "ipcmp", "clean", NULL };
	const char *name = fixture_name(), *name2 = fixture_name();
	struct ipcmp_chan *c, *x = NULL;
	struct foreign f;
	static char out[16384];
	char why[128];
	int objs, rc;

	if (!fixture_isolated())
		cr_skip("%s: clean_command needs a private IPC namespace (run as root): ipcmp "
			"clean removes every ipcmp channel it sees", ops->name);
	foreign_make(ops, &f, (key_t)(0x0f000000 | (getpid() & 0xffff) << 4));
	objs = census_count(name);
	c = chan_create_ok(ops, name, 64, 4, 0);
	chan_close_ok(c);
	c = chan_create_ok(ops, name2, 0, 0, 0);
	chan_close_ok(c);
	cr_assert(ge(int, census_count(name), objs + 1), "%s: census: the channels are not listed",
		  ops->name);

	run_ipcmp_ok(ops, dry, out, sizeof(out));
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &x);
	cr_assert(eq(int, rc, 0), "%s: clean --dry-run removed a channel: %s", ops->name,
		  ipcmp_strerror(rc));
	chan_close_ok(x);

	run_ipcmp_ok(ops, wet, out, sizeof(out));
	cr_assert(eq(int, foreign_alive(&f, why, sizeof(why)), 1),
		  "%s: ipcmp clean removed a foreign object: %s; its output:\n%s", ops->name, why,
		  out);
	cr_assert(eq(int, census_count(name), objs), "%s: ipcmp clean left ipcmp objects (census "
		  "%d, foreign %d); its output:\n%s", ops->name, census_count(name), objs, out);
	rc = ipcmp_unlink(ops, name);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink after clean: %s", ops->name, ipcmp_strerror(rc));
	rc = ipcmp_unlink(ops, name2);
	cr_assert(eq(int, rc, -ENOENT), "%s: unlink after clean: %s", ops->name, ipcmp_strerror(rc));
	foreign_remove(ops, &f);
}

/*
 * A test worker that dies in its test (a crash, Criterion's timeout, a
 * kill) never runs its .fini: unisolated (a plain user), its channel would
 * stay. The next test's init removes the channels of names "t<pid>-<n>"
 * whose pid no longer exists, found by their POSIX objects
 * (fixture_sweep_workers), and nothing of a worker that lives.
 *
 * The other workers sweep too, at every test's init: a channel named for
 * a pid already dead could be theirs to remove, even half made. So the
 * "dead" worker here is a child that still lives, which this sweep alone
 * is told is gone; whether a pid is gone is checked on its own.
 */
#define POSIX_BACKENDS(X, ...) \
	X(posix_shm, ipcmp_posix_shm_ops, __VA_ARGS__) \
	X(posix_atomic, ipcmp_posix_atomic_ops, __VA_ARGS__) \
	X(posix_mq, ipcmp_posix_mq_ops, __VA_ARGS__)

static pid_t sweep_child;

static int sweep_child_gone(pid_t pid)
{
	return pid == sweep_child;
}

BACKEND_TEST_ON(POSIX_BACKENDS, sweep_dead_worker)
{
	char dead[32], live[32];
	int hold[2], rc;

	cr_assert(eq(int, pipe(hold), 0), "pipe: %s", strerror(errno));
	sweep_child = fork();
	cr_assert(ge(int, sweep_child, 0), "fork: %s", strerror(errno));
	if (sweep_child == 0) {
		char c;

		close(hold[1]);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);   /* until the parent closes */
	}
	close(hold[0]);
	snprintf(dead, sizeof(dead), "t%ld-0", (long)sweep_child);
	snprintf(live, sizeof(live), "t%ld-99", (long)getpid());
	chan_close_ok(chan_create_ok(ops, dead, 64, 4, 0));
	chan_close_ok(chan_create_ok(ops, live, 64, 4, 0));
	rc = fixture_sweep_workers(sweep_child_gone);
	cr_assert(gt(int, rc, 0), "%s: the sweep found nothing of a dead worker's channel %s",
		  ops->name, dead);
	rc = ipcmp_unlink(ops, dead);
	cr_assert(eq(int, rc, -ENOENT), "%s: the dead worker's channel %s is still there: "
		  "unlink says %s", ops->name, dead, ipcmp_strerror(rc));
	rc = ipcmp_unlink(ops, live);
	cr_assert(eq(int, rc, 0), "%s: a live worker's channel %s was swept too: unlink says %s",
		  ops->name, live, ipcmp_strerror(rc));

	cr_assert(eq(int, fixture_worker_gone(sweep_child), 0), "a live child (pid %ld) is taken "
		  "for gone", (long)sweep_child);
	close(hold[1]);
	cr_assert(eq(int, waitpid(sweep_child, NULL, 0), sweep_child), "waitpid: %s",
		  strerror(errno));
	cr_assert(eq(int, fixture_worker_gone(sweep_child), 1), "a reaped child (pid %ld) is not "
		  "taken for gone", (long)sweep_child);
	cr_assert(eq(int, fixture_worker_gone(getpid()), 0), "this worker is taken for gone");
}
