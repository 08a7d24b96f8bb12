/*
 * census.c - list the IPC objects of this IPC namespace (see census.h).
 *
 * SysV: /proc/sysvipc/{shm,sem,msg} hold one header line, then one line per
 * object; proc(5) documents the columns. The key is printed as a signed
 * decimal, the permissions in octal.
 * POSIX: the objects are files: shm_open makes /dev/shm/NAME, sem_open
 * /dev/shm/sem.NAME, mq_open a file on the mqueue filesystem whose content
 * reads "QSIZE:n NOTIFY:...". Criterion's own files in /dev/shm are skipped.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "census.h"
#include "ipcmp.h"

#define MQUEUE_FS_MAGIC 0x19800202     /* linux/magic.h MQUEUE_MAGIC */

static const char *const kind_order[] = {
	"shm", "sem", "msg", "posix-shm", "posix-sem", "mqueue", NULL,
};

static struct ipcmp_census_entry *census_add(struct ipcmp_census *c, size_t *cap)
{
	struct ipcmp_census_entry *e;

	if (c->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		if ((e = realloc(c->e, ncap * sizeof(*e))) == NULL)
			return NULL;
		c->e = e;
		*cap = ncap;
	}
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->id = -1;
	e->attached = -1;
	return e;
}

/* One /proc/sysvipc file; the columns differ per kind (proc(5)). */
static int census_sysv(struct ipcmp_census *c, size_t *cap, const char *kind)
{
	char path[32], line[512];
	struct ipcmp_census_entry *e;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", kind);
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	if (fgets(line, sizeof(line), f) == NULL) {        /* the header line */
		err = ferror(f) ? -EIO : 0;
		fclose(f);
		return err;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		int key, n;
		long id;
		unsigned mode, uid;
		unsigned long size = 0, count;

		if (strcmp(kind, "shm") == 0)
			/* key shmid perms size cpid lpid nattch uid ... */
			n = sscanf(line, "%d %ld %o %lu %*d %*d %lu %u", &key, &id, &mode,
				   &size, &count, &uid) == 6;
		else if (strcmp(kind, "sem") == 0)
			/* key semid perms nsems uid ... */
			n = sscanf(line, "%d %ld %o %lu %u", &key, &id, &mode, &count,
				   &uid) == 5;
		else
			/* key msqid perms cbytes qnum lspid lrpid uid ... */
			n = sscanf(line, "%d %ld %o %lu %lu %*d %*d %u", &key, &id, &mode,
				   &size, &count, &uid) == 6;
		if (!n) {
			err = -EPROTO;
			break;
		}
		if ((e = census_add(c, cap)) == NULL) {
			err = -ENOMEM;
			break;
		}
		strcpy(e->kind, kind);
		snprintf(e->name, sizeof(e->name), "0x%08x", (unsigned)key);
		e->id = id;
		e->uid = uid;
		e->mode = mode & 07777;
		e->size = size;
		e->attached = (long)count;
	}
	if (err == 0 && ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

/* "QSIZE:123 NOTIFY:0 SIGNO:0 NOTIFY_PID:0" */
static unsigned long mqueue_qsize(int dirfd, const char *file)
{
	char buf[128];
	unsigned long qsize = 0;
	ssize_t len;
	int fd;

	if ((fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len > 0) {
		buf[len] = '\0';
		sscanf(buf, "QSIZE:%lu", &qsize);
	}
	return qsize;
}

/* /dev/shm (shm and named semaphores) or an mqueue mount. */
static int census_dir(struct ipcmp_census *c, size_t *cap, const char *path, int mqueue)
{
	struct ipcmp_census_entry *e;
	struct dirent *d;
	struct stat st;
	int err = 0;
	DIR *dir;

	if ((dir = opendir(path)) == NULL)
		return -errno;
	while ((errno = 0, d = readdir(dir)) != NULL) {
		const char *kind = mqueue ? "mqueue" : "posix-shm";
		const char *name = d->d_name;

		if (name[0] == '.')
			continue;
		if (!mqueue && strncmp(name, "criterion", 9) == 0)
			continue;
		if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)       /* removed while we looked */
				continue;
			err = -errno;
			break;
		}
		if (!S_ISREG(st.st_mode))          /* the objects are regular files */
			continue;
		if (!mqueue && strncmp(name, "sem.", 4) == 0) {
			kind = "posix-sem";
			name += 4;
		}
		if ((e = census_add(c, cap)) == NULL) {
			err = -ENOMEM;
			break;
		}
		strcpy(e->kind, kind);
		snprintf(e->name, sizeof(e->name), "/%s", name);
		e->uid = st.st_uid;
		e->mode = st.st_mode & 07777;
		e->size = mqueue ? mqueue_qsize(dirfd(dir), d->d_name) : (unsigned long)st.st_size;
	}
	if (err == 0 && errno != 0)
		err = -errno;
	closedir(dir);
	return err;
}

static int kind_rank(const char *kind)
{
	int i;

	for (i = 0; kind_order[i] != NULL; i++)
		if (strcmp(kind_order[i], kind) == 0)
			break;
	return i;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct ipcmp_census_entry *a = pa, *b = pb;
	int d;

	if ((d = kind_rank(a->kind) - kind_rank(b->kind)) != 0)
		return d;
	if ((d = strcmp(a->name, b->name)) != 0)
		return d;
	return (a->id > b->id) - (a->id < b->id);
}

int ipcmp_census_take(struct ipcmp_census *c, const char *mqueue_dir)
{
	static const char *const sysv[] = { "shm", "sem", "msg" };
	struct statfs sfs;
	size_t cap = 0;
	int err;

	c->n = 0;
	c->e = NULL;
	for (size_t i = 0; i < sizeof(sysv) / sizeof(sysv[0]); i++)
		if ((err = census_sysv(c, &cap, sysv[i])) < 0)
			return err;
	/* A system without /dev/shm has no POSIX shm or named semaphores. */
	if ((err = census_dir(c, &cap, "/dev/shm", 0)) < 0 && err != -ENOENT)
		return err;
	if (mqueue_dir == NULL && statfs("/dev/mqueue", &sfs) == 0 &&
	    sfs.f_type == MQUEUE_FS_MAGIC)
		mqueue_dir = "/dev/mqueue";
	if (mqueue_dir != NULL && (err = census_dir(c, &cap, mqueue_dir, 1)) < 0)
		return err;
	if (c->n > 0)
		qsort(c->e, c->n, sizeof(c->e[0]), entry_cmp);
	return (int)c->n;
}

void ipcmp_census_free(struct ipcmp_census *c)
{
	free(c->e);
	c->e = NULL;
	c->n = 0;
}

const struct ipcmp_census_entry *ipcmp_census_find(const struct ipcmp_census *c,
						   const struct ipcmp_census_entry *e)
{
	for (size_t i = 0; i < c->n; i++)
		if (entry_cmp(&c->e[i], e) == 0)
			return &c->e[i];
	return NULL;
}
