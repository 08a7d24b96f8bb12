/*
 * sem_names.c - how objects are named and where they show.
 *
 * SysV: an object is found by a key_t, a 32-bit number that ftok makes
 *       from a file's inode and device and the low 8 bits of proj_id, so
 *       different inputs can give one key (ftok(3)); IPC_PRIVATE always
 *       makes a new object; objects are listed in /proc/sysvipc (ipcs),
 *       per IPC namespace (sysvipc(7), ipc_namespaces(7)).
 * POSIX: a name "/name" of up to NAME_MAX characters (sem_open: 4 fewer,
 *       for its "sem." prefix); shared memory and semaphores are files in
 *       /dev/shm and follow the mount namespace, queues are in the mqueue
 *       filesystem of the IPC namespace (shm_overview(7), sem_overview(7),
 *       mq_overview(7), ipc_namespaces(7)).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "semantics.h"

#define PAGE 4096

/* Is there a line "key id ..." for this key and id in /proc/sysvipc/FILE? */
static int in_sysvipc(const char *path, int key, int id)
{
	char buf[512];
	FILE *f = fopen(path, "re");
	int found = 0, k, i;

	if (f == NULL)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f) != NULL)
		found = sscanf(buf, "%d %d", &k, &i) == 2 && k == key && i == id;
	fclose(f);
	return found;
}

int probe_where_listed(struct probe_result *r)
{
	char name[96], path[128];
	struct stat st;
	int id, fd, k = probe_sysv_key(), shm_file, sem_file;
	sem_t *sem;

	if ((id = shmget(k, PAGE, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_say(&r->sysv, "%s", in_sysvipc("/proc/sysvipc/shm", k, id) ? "in /proc/sysvipc/shm (ipcs -m)"
		  : "not in /proc/sysvipc/shm");
	shmctl(id, IPC_RMID, NULL);
	probe_posix_name(name, sizeof(name), "obj");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	shm_file = stat(path, &st) == 0;
	shm_unlink(name);
	close(fd);
	if ((sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0)) == SEM_FAILED)
		return -errno;
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	sem_file = stat(path, &st) == 0;
	sem_unlink(name);
	sem_close(sem);
	probe_say(&r->posix, "shm %s, semaphore %s", shm_file ? "/dev/shm/NAME" : "not in /dev/shm",
		  sem_file ? "/dev/shm/sem.NAME" : "not in /dev/shm");
	return 0;
}

/*
 * Queues: SysV lists them in /proc/sysvipc/msg; POSIX queues are files of
 * an mqueue filesystem, which is often not mounted. Root mounts one, in a
 * child with its own mount namespace, over /dev/shm (that child's only).
 */
#define MQUEUE_MAGIC 0x19800202

static char queue_name[96];

static int mqueue_file(struct probe_result *r)
{
	char path[128];
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/dev/shm", "none", MS_PRIVATE, NULL) < 0 ||
	    mount("mqueue", "/dev/shm", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return probe_skip(r, "needs root: mounting an mqueue filesystem: %s", probe_errno_name(errno));
	snprintf(path, sizeof(path), "/dev/shm%s", queue_name);
	probe_say(&r->posix, "%s", stat(path, &st) == 0 ? "a file of the mqueue filesystem"
		  : "not in the mqueue filesystem");
	return 0;
}

int probe_queue_listed(struct probe_result *r)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	char path[128];
	struct statfs fs;
	struct stat st;
	int k = probe_sysv_key(), id, rc = 0;
	mqd_t mq;

	if ((id = msgget(k, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_say(&r->sysv, "%s", in_sysvipc("/proc/sysvipc/msg", k, id) ? "in /proc/sysvipc/msg (ipcs -q)"
		  : "not in /proc/sysvipc/msg");
	msgctl(id, IPC_RMID, NULL);
	probe_posix_name(queue_name, sizeof(queue_name), "mq");
	if ((mq = mq_open(queue_name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
		return -errno;
	if (statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MQUEUE_MAGIC) {
		snprintf(path, sizeof(path), "/dev/mqueue%s", queue_name);
		probe_say(&r->posix, "%s", stat(path, &st) == 0 ? "a file of the mqueue filesystem"
			  : "not in the mqueue filesystem");
	} else if (geteuid() == 0) {
		struct probe_result seen;

		memset(&seen, 0, sizeof(seen));
		rc = probe_in_child(&seen, mqueue_file, 0, probe_bound_ms(5000));
		r->posix = seen.posix;
		if (rc == 1)
			memcpy(r->skip, seen.skip, sizeof(r->skip));
	} else {
		rc = probe_skip(r, "needs root, or an mqueue filesystem on /dev/mqueue, to list queues");
	}
	mq_unlink(queue_name);
	mq_close(mq);
	return rc;
}

int probe_key_collision(struct probe_result *r)
{
	char name[96], bare[96];
	int fd, fd2;
	key_t a = ftok("/", 1), b = ftok("/", 257);

	probe_say(&r->sysv, "ftok(\"/\", 1) %s ftok(\"/\", 257)", a == b ? "==" : "!=");
	probe_note(&r->sysv, "0x%08x, 0x%08x", (unsigned)a, (unsigned)b);
	probe_posix_name(name, sizeof(name), "shm");
	snprintf(bare, sizeof(bare), "%s", name + 1);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	/* POSIX leaves a name without its leading slash to the implementation */
	fd2 = shm_open(bare, O_RDWR | O_CREAT | O_EXCL, 0600);
	probe_say(&r->posix, "\"/NAME\" and \"NAME\": %s", fd2 < 0 && errno == EEXIST ? "one object"
		  : fd2 >= 0 ? "two objects" : probe_errno_name(errno));
	if (fd2 >= 0) {
		shm_unlink(bare);
		close(fd2);
	}
	shm_unlink(name);
	close(fd);
	return 0;
}

int probe_private_object(struct probe_result *r)
{
	char name[96];
	int a, b, fd, fd2;

	a = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	b = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	if (a >= 0 && b >= 0)
		probe_say(&r->sysv, "IPC_PRIVATE twice: %s", a != b ? "two objects" : "one object");
	else
		probe_say(&r->sysv, "IPC_PRIVATE: %s", probe_errno_name(errno));
	if (a >= 0)
		shmctl(a, IPC_RMID, NULL);
	if (b >= 0)
		shmctl(b, IPC_RMID, NULL);
	/* POSIX: no private name; a name is made private by removing it at once */
	probe_posix_name(name, sizeof(name), "shm");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	shm_unlink(name);
	fd2 = shm_open(name, O_RDWR, 0);
	probe_say(&r->posix, "no private name; unlinked at once: %s",
		  fd2 < 0 ? probe_errno_name(errno) : "still found");
	if (fd2 >= 0)
		close(fd2);
	close(fd);
	return 0;
}

/* The longest name the call takes, "/" plus n characters, n <= 300. */
static int longest(int kind)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	char name[320], tag[8];
	int best = -1;

	for (int n = 240; n <= 300; n++) {
		int ok;

		snprintf(tag, sizeof(tag), "%c", 's');
		probe_posix_name(name, sizeof(name), tag);
		size_t len = strlen(name);
		if (len > (size_t)n + 1)
			return -EINVAL;
		memset(name + len, 'x', (size_t)n + 1 - len);
		name[n + 1] = '\0';
		if (kind == 0) {
			int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

			if ((ok = fd >= 0)) {
				shm_unlink(name);
				close(fd);
			}
		} else if (kind == 1) {
			sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);

			if ((ok = s != SEM_FAILED)) {
				sem_unlink(name);
				sem_close(s);
			}
		} else {
			mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);

			if ((ok = q != (mqd_t)-1)) {
				mq_unlink(name);
				mq_close(q);
			}
		}
		if (!ok)
			return errno == ENAMETOOLONG ? best : -errno;
		best = n;
	}
	return best;
}

int probe_name_length(struct probe_result *r)
{
	int shm = longest(0), sem = longest(1), mq = longest(2);

	probe_say(&r->sysv, "a %zu-byte key_t, no name", sizeof(key_t));
	if (shm < 0 || sem < 0 || mq < 0)
		return shm < 0 ? shm : sem < 0 ? sem : mq;
	probe_say(&r->posix, "\"/\" + %d (shm), %d (sem), %d (mq); one more: ENAMETOOLONG", shm, sem, mq);
	return 0;
}

/*
 * Namespaces (root): a child makes a new IPC namespace, or a new mount
 * namespace with a fresh tmpfs on /dev/shm, and looks for objects its
 * parent made.
 */
struct seen {
	int key;
	char shm[96], mq[96];
	int flags;                   /* CLONE_NEWIPC or CLONE_NEWNS */
};

static struct seen seen;

static const char *found(int ok)
{
	return ok ? "visible" : errno == ENOENT ? "hidden (ENOENT)" : probe_errno_name(errno);
}

static int look_from_new_namespace(struct probe_result *r)
{
	int fd;
	mqd_t mq;

	if (unshare(seen.flags) < 0)
		return probe_skip(r, "needs CAP_SYS_ADMIN: unshare: %s", probe_errno_name(errno));
	if (seen.flags & CLONE_NEWNS) {
		/* only this mount point private: "/" may not be a mount (a chroot) */
		if (mount("none", "/dev/shm", "none", MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
			return probe_skip(r, "needs /dev/shm to be a mount point it can make "
					  "private (a chroot's may be a plain directory): mount: %s",
					  probe_errno_name(errno));
	}
	probe_say(&r->sysv, "shm segment %s", found(shmget(seen.key, 0, 0) >= 0));
	fd = shm_open(seen.shm, O_RDWR, 0);
	probe_say(&r->posix, "shm %s", found(fd >= 0));
	if (fd >= 0)
		close(fd);
	mq = mq_open(seen.mq, O_RDWR);
	snprintf(r->posix.observed + strlen(r->posix.observed),
		 sizeof(r->posix.observed) - strlen(r->posix.observed), "; mq %s", found(mq != (mqd_t)-1));
	if (mq != (mqd_t)-1)
		mq_close(mq);
	return 0;
}

static int from_namespace(struct probe_result *r, int flags)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	int id, fd, rc;
	mqd_t mq;

	if (geteuid() != 0)
		return probe_skip(r, "needs root: a new namespace needs CAP_SYS_ADMIN");
	seen.flags = flags;
	seen.key = probe_sysv_key();
	probe_posix_name(seen.shm, sizeof(seen.shm), "shm");
	probe_posix_name(seen.mq, sizeof(seen.mq), "mq");
	id = shmget(seen.key, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	fd = shm_open(seen.shm, O_RDWR | O_CREAT | O_EXCL, 0600);
	mq = mq_open(seen.mq, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (id < 0 || fd < 0 || mq == (mqd_t)-1)
		rc = -errno;
	else
		rc = probe_in_child(r, look_from_new_namespace, 0, probe_bound_ms(5000));
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (fd >= 0) {
		shm_unlink(seen.shm);
		close(fd);
	}
	if (mq != (mqd_t)-1) {
		mq_unlink(seen.mq);
		mq_close(mq);
	}
	return rc;
}

int probe_ipc_namespace(struct probe_result *r)
{
	return from_namespace(r, CLONE_NEWIPC);
}

int probe_mount_namespace(struct probe_result *r)
{
	return from_namespace(r, CLONE_NEWNS);
}
