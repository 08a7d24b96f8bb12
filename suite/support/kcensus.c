/*
 * kcensus.c - see kcensus.h.
 *
 * The /proc/sysvipc files are read by the names in their header line, not
 * by position, so a kernel that adds or moves a column is read alike:
 *        key      shmid perms       size  cpid  lpid nattch   uid ...
 *        key      semid perms      nsems   uid ...
 *        key      msqid perms      cbytes       qnum lspid lrpid   uid ...
 * key is printed as a signed decimal, perms in octal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kcensus.h"

#define MQUEUE_MAGIC 0x19800202    /* the mqueue filesystem's f_type (linux/magic.h) */
#define COLS 32

static struct ipcmp_census_entry *add(struct ipcmp_census *c, size_t *cap)
{
	struct ipcmp_census_entry *e;

	if (c->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 32;

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

/* Splits line at blanks into at most COLS words; returns how many. */
static int words(char *line, char *w[COLS])
{
	int n = 0;

	for (char *tok = strtok(line, " \t\n"); tok != NULL && n < COLS; tok = strtok(NULL, " \t\n"))
		w[n++] = tok;
	return n;
}

static int column(char *head[], int ncol, const char *name)
{
	for (int i = 0; i < ncol; i++)
		if (strcmp(head[i], name) == 0)
			return i;
	return -1;
}

/* SysV: one /proc/sysvipc file. The id column is "shmid", "semid" or
 * "msqid"; the size "size" or "cbytes"; the count "nattch", "nsems" or
 * "qnum". */
static int sysv(struct ipcmp_census *c, size_t *cap, const char *kind, const char *idcol,
		const char *sizecol, const char *countcol)
{
	char path[32], header[512], line[512], *head[COLS], *w[COLS];
	int key, id, perms, uid, size, count, ncol, err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", kind);
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	if (fgets(header, sizeof(header), f) == NULL) {
		fclose(f);
		return -EPROTO;
	}
	ncol = words(header, head);
	key = column(head, ncol, "key");
	id = column(head, ncol, idcol);
	perms = column(head, ncol, "perms");
	uid = column(head, ncol, "uid");
	size = sizecol != NULL ? column(head, ncol, sizecol) : -1;
	count = column(head, ncol, countcol);
	if (key < 0 || id < 0 || perms < 0 || uid < 0 || count < 0 ||
	    (sizecol != NULL && size < 0)) {
		fclose(f);
		return -EPROTO;
	}
	while (err == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct ipcmp_census_entry *e;

		if (words(line, w) != ncol)
			err = -EPROTO;
		else if ((e = add(c, cap)) == NULL)
			err = -ENOMEM;
		else {
			strcpy(e->kind, kind);
			snprintf(e->name, sizeof(e->name), "0x%08x",
				 (unsigned)strtol(w[key], NULL, 10));
			e->id = strtol(w[id], NULL, 10);
			e->mode = (unsigned)strtoul(w[perms], NULL, 8) & 07777;
			e->uid = (unsigned)strtoul(w[uid], NULL, 10);
			e->size = size >= 0 ? strtoul(w[size], NULL, 10) : 0;
			e->attached = strtol(w[count], NULL, 10);
		}
	}
	fclose(f);
	return err;
}

/* POSIX: the files of a directory. In /dev/shm "sem.NAME" is the named
 * semaphore "/NAME" (sem_overview(7)), anything else the shm object
 * "/NAME"; an mqueue file is the queue "/NAME" and reads "QSIZE:n ...".
 * Names starting with '.' are the fixture's own, criterion* Criterion's. */
static int files(struct ipcmp_census *c, size_t *cap, const char *dir, int queues)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int err = 0;

	if (dp == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (err == 0 && (d = readdir(dp)) != NULL) {
		const char *name = d->d_name, *kind = queues ? "mqueue" : "posix-shm";
		struct ipcmp_census_entry *e;
		struct stat st;

		if (name[0] == '.' || (!queues && strncmp(name, "criterion", 9) == 0))
			continue;
		if (fstatat(dirfd(dp), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)        /* removed since readdir: gone */
				err = -errno;
			continue;
		}
		if (!queues && strncmp(name, "sem.", 4) == 0) {
			kind = "posix-sem";
			name += 4;
		}
		if ((e = add(c, cap)) == NULL) {
			err = -ENOMEM;
			break;
		}
		strcpy(e->kind, kind);
		snprintf(e->name, sizeof(e->name), "/%s", name);
		e->uid = st.st_uid;
		e->mode = st.st_mode & 07777;
		e->size = (unsigned long)st.st_size;
		if (queues) {
			char text[128] = "";
			int fd = openat(dirfd(dp), name, O_RDONLY | O_CLOEXEC);
			ssize_t len = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;

			if (fd >= 0)
				close(fd);
			e->size = 0;
			if (len > 0) {
				text[len] = '\0';
				sscanf(text, "QSIZE:%lu", &e->size);
			}
		}
	}
	closedir(dp);
	return err;
}

static const char *queue_dir(const char *mqueue_dir)
{
	struct statfs sfs;

	if (mqueue_dir != NULL)
		return mqueue_dir;
	if (statfs("/dev/mqueue", &sfs) == 0 && sfs.f_type == MQUEUE_MAGIC)
		return "/dev/mqueue";
	return NULL;
}

int kcensus_queues(const char *mqueue_dir)
{
	return queue_dir(mqueue_dir) != NULL;
}

int kcensus_add_queue(struct ipcmp_census *c, const char *name)
{
	size_t cap = c->n;             /* what is allocated is at least n */
	struct ipcmp_census_entry *e;
	struct stat st = { 0 };
	mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);

	if (q == (mqd_t)-1 && errno != EACCES)
		return errno == ENOENT ? 0 : -errno;
	if (q != (mqd_t)-1) {
		/* Linux: a queue descriptor is a file descriptor (mq_overview(7)) */
		fstat((int)q, &st);
		mq_close(q);
	}
	if ((e = add(c, &cap)) == NULL)
		return -ENOMEM;
	strcpy(e->kind, "mqueue");
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->uid = st.st_uid;
	e->mode = st.st_mode & 07777;
	e->size = 0;                   /* QSIZE is read from the filesystem only */
	return 1;
}

int kcensus_take(struct ipcmp_census *c, const char *mqueue_dir)
{
	const char *qdir = queue_dir(mqueue_dir);
	size_t cap = 0;
	int err;

	c->n = 0;
	c->e = NULL;
	if ((err = sysv(c, &cap, "shm", "shmid", "size", "nattch")) < 0 ||
	    (err = sysv(c, &cap, "sem", "semid", NULL, "nsems")) < 0 ||
	    (err = sysv(c, &cap, "msg", "msqid", "cbytes", "qnum")) < 0 ||
	    (err = files(c, &cap, "/dev/shm", 0)) < 0 ||
	    (qdir != NULL && (err = files(c, &cap, qdir, 1)) < 0))
		return err;
	return (int)c->n;
}

void kcensus_free(struct ipcmp_census *c)
{
	free(c->e);
	c->e = NULL;
	c->n = 0;
}

const struct ipcmp_census_entry *kcensus_find(const struct ipcmp_census *c,
					      const struct ipcmp_census_entry *e)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].kind, e->kind) == 0 && strcmp(c->e[i].name, e->name) == 0 &&
		    c->e[i].id == e->id)
			return &c->e[i];
	return NULL;
}
