/*
 * procinfo.c - see procinfo.h.
 *
 * /proc/self/fd has one entry per open descriptor (the directory stream
 * reading it adds one, the same every time); /proc/self/maps one line per
 * mapping: a SysV segment attached, a POSIX object or named semaphore
 * mapped. A channel that forgets close, shmdt, munmap or sem_close grows
 * one of them by one per cycle.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "fixture.h"
#include "procinfo.h"

union semun {                      /* SysV: the caller defines it (semctl(2)) */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static int fd_count(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (dir == NULL)
		return -errno;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* Lines of /proc/self/maps, and of them the shared mappings ("rw-s"):
 * every IPC object mapped is one of those. */
static int map_count(int *shared)
{
	char buf[4096];
	ssize_t len;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int n = 0, col = 0, field = 0;

	*shared = 0;
	if (fd < 0)
		return -errno;
	/* "start-end perms offset dev inode path": perms is the second field */
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < len; i++) {
			if (buf[i] == '\n') {
				n++;
				col = field = 0;
				continue;
			}
			if (buf[i] == ' ') {
				field++;
				col = 0;
				continue;
			}
			if (field == 1 && col++ == 3 && buf[i] == 's')
				(*shared)++;
		}
	if (len < 0)
		n = -errno;
	close(fd);
	return n;
}

void usage_take(struct usage *u)
{
	struct mallinfo2 mi = mallinfo2();

	u->fds = fd_count();
	u->maps = map_count(&u->shared);
	/* small blocks in use plus mmap'd large ones */
	u->heap = mi.uordblks + mi.hblkhd;
	cr_assert(ge(int, u->fds, 0), "procinfo: /proc/self/fd: %s", strerror(-u->fds));
	cr_assert(ge(int, u->maps, 0), "procinfo: /proc/self/maps: %s", strerror(-u->maps));
}

void usage_assert_same(const struct usage *u, const char *backend, const char *what)
{
	struct usage now;

	usage_take(&now);
	cr_assert(eq(int, now.fds, u->fds), "%s: %s: open descriptors %d before, %d after",
		  backend, what, u->fds, now.fds);
	cr_assert(eq(int, now.shared, u->shared), "%s: %s: shared mappings %d before, %d after",
		  backend, what, u->shared, now.shared);
	/* valgrind maps and unmaps its own as it goes: count all natively only */
	if (!fixture_valgrind())
		cr_assert(eq(int, now.maps, u->maps), "%s: %s: mappings %d before, %d after",
			  backend, what, u->maps, now.maps);
}

/*
 * glibc counts the chunks its per-thread cache (tcache) keeps after free as
 * in use, at most 7 per size class: so the heap in use is exact only up to
 * a bounded slack. The smallest chunk is 32 bytes, so one leaked block per
 * cycle grows it by 32 * cycles at least; growth under 16 * cycles is slack.
 */
void usage_assert_heap(const struct usage *u, size_t cycles, const char *backend,
		       const char *what)
{
	struct usage now;
	size_t grown;

	usage_take(&now);
	grown = now.heap > u->heap ? now.heap - u->heap : 0;
	cr_assert(lt(sz, grown, cycles * 16), "%s: %s: heap in use grew by %zu bytes in %zu "
		  "cycles (%zu before, %zu after)", backend, what, grown, cycles, u->heap,
		  now.heap);
}

int object_is_sysv(const struct ipcmp_census_entry *e)
{
	return strcmp(e->kind, "shm") == 0 || strcmp(e->kind, "sem") == 0 ||
	       strcmp(e->kind, "msg") == 0;
}

int object_of(const struct ipcmp_census_entry *e, const char *name)
{
	char buf[64];
	size_t len;

	if (object_is_sysv(e)) {
		snprintf(buf, sizeof(buf), "0x%08x", (unsigned)ipcmp_sysv_key(name));
		return strcmp(e->name, buf) == 0;
	}
	len = (size_t)snprintf(buf, sizeof(buf), IPCMP_POSIX_PREFIX "%s", name);
	return strncmp(e->name, buf, len) == 0 && (e->name[len] == '\0' || e->name[len] == '.');
}

void census_for(struct ipcmp_census *c, const char *name)
{
	size_t keep = 0;
	int rc = fixture_census(c);

	if (rc < 0) {
		kcensus_free(c);
		cr_fatal("census: %s", strerror(-rc));
	}
	if (fixture_isolated())
		return;
	for (size_t i = 0; i < c->n; i++)
		if (object_of(&c->e[i], name))
			c->e[keep++] = c->e[i];
	c->n = keep;
}

static int same_object(const struct ipcmp_census_entry *a, const struct ipcmp_census_entry *b)
{
	return strcmp(a->kind, b->kind) == 0 && strcmp(a->name, b->name) == 0;
}

size_t census_gained(const struct ipcmp_census *before, const struct ipcmp_census *after,
		     const char *name, struct ipcmp_census_entry *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < after->n; i++) {
		/* isolated, every new object is the channel's: a backend may
		 * derive a second key (sysv-msg's semaphores) */
		if ((!fixture_isolated() && !object_of(&after->e[i], name)) ||
		    kcensus_find(before, &after->e[i]))
			continue;
		if (n < max)
			out[n] = after->e[i];
		n++;
	}
	return n;
}

void census_assert_plus(const struct ipcmp_census *before, const char *name,
			const struct ipcmp_census_entry *extra, size_t nextra,
			const char *backend, const char *what)
{
	struct ipcmp_census now;
	char diff[1024] = "";
	size_t used = 0;
	int ndiff = 0;

	census_for(&now, name);
	for (size_t i = 0; i < now.n; i++) {
		int known = kcensus_find(before, &now.e[i]) != NULL;

		for (size_t j = 0; j < nextra && !known; j++)
			known = same_object(&now.e[i], &extra[j]);
		if (!known && used < sizeof(diff)) {
			used += (size_t)snprintf(diff + used, sizeof(diff) - used,
						 " left %s %s (mode %o);", now.e[i].kind,
						 now.e[i].name, now.e[i].mode);
			ndiff++;
		}
	}
	for (size_t i = 0; i < before->n; i++)
		if (kcensus_find(&now, &before->e[i]) == NULL && used < sizeof(diff)) {
			used += (size_t)snprintf(diff + used, sizeof(diff) - used, " removed %s %s;",
						 before->e[i].kind, before->e[i].name);
			ndiff++;
		}
	for (size_t j = 0; j < nextra; j++) {
		int found = 0;

		for (size_t i = 0; i < now.n && !found; i++)
			found = same_object(&now.e[i], &extra[j]);
		if (!found && used < sizeof(diff)) {
			used += (size_t)snprintf(diff + used, sizeof(diff) - used, " missing %s %s;",
						 extra[j].kind, extra[j].name);
			ndiff++;
		}
	}
	kcensus_free(&now);
	cr_assert(eq(int, ndiff, 0), "%s: %s: the IPC objects differ:%s", backend, what, diff);
}

static key_t entry_key(const struct ipcmp_census_entry *e)
{
	unsigned long key = strtoul(e->name, NULL, 16);

	return (key_t)(unsigned)key;
}

/* POSIX: glibc keeps shm objects as /dev/shm/NAME, named semaphores as
 * /dev/shm/sem.NAME (shm_overview(7), sem_overview(7)). */
static void shm_path(char *buf, size_t size, const struct ipcmp_census_entry *e)
{
	if (strcmp(e->kind, "posix-sem") == 0)
		snprintf(buf, size, "/dev/shm/sem.%s", e->name + 1);
	else
		snprintf(buf, size, "/dev/shm%s", e->name);
}

/* SysV: the id under the entry's key now (a remade object has a new id). */
static int sysv_id(const struct ipcmp_census_entry *e)
{
	key_t key = entry_key(e);
	int id;

	if (strcmp(e->kind, "shm") == 0)
		id = shmget(key, 0, 0);
	else if (strcmp(e->kind, "sem") == 0)
		id = semget(key, 0, 0);
	else
		id = msgget(key, 0);
	return id < 0 ? -errno : id;
}

int object_make(const struct ipcmp_census_entry *e)
{
	key_t key = entry_key(e);
	int id;

	if (strcmp(e->kind, "shm") == 0)
		id = shmget(key, e->size > 0 ? e->size : 1, IPC_CREAT | IPC_EXCL | 0600);
	else if (strcmp(e->kind, "sem") == 0)
		id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	else if (strcmp(e->kind, "msg") == 0)
		id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	else if (strcmp(e->kind, "posix-shm") == 0) {
		if ((id = shm_open(e->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
			close(id);
	} else if (strcmp(e->kind, "posix-sem") == 0) {
		sem_t *sem = sem_open(e->name, O_CREAT | O_EXCL, 0600, 0);

		if (sem == SEM_FAILED)
			return -errno;
		sem_close(sem);
		id = 0;
	} else if (strcmp(e->kind, "mqueue") == 0) {
		mqd_t mq = mq_open(e->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);

		if (mq == (mqd_t)-1)
			return -errno;
		mq_close(mq);
		id = 0;
	} else
		return -EINVAL;
	return id < 0 ? -errno : 0;
}

int object_remove(const struct ipcmp_census_entry *e)
{
	int id, rc;

	if (object_is_sysv(e)) {
		if ((id = sysv_id(e)) < 0)
			return id;
		if (strcmp(e->kind, "shm") == 0)
			rc = shmctl(id, IPC_RMID, NULL);
		else if (strcmp(e->kind, "sem") == 0)
			rc = semctl(id, 0, IPC_RMID);
		else
			rc = msgctl(id, IPC_RMID, NULL);
	} else if (strcmp(e->kind, "posix-shm") == 0)
		rc = shm_unlink(e->name);
	else if (strcmp(e->kind, "posix-sem") == 0)
		rc = sem_unlink(e->name);
	else if (strcmp(e->kind, "mqueue") == 0)
		rc = mq_unlink(e->name);
	else
		return -EINVAL;
	return rc < 0 ? -errno : 0;
}

/*
 * SysV: IPC_STAT needs read permission, which the owner of a 0000 object
 * lacks; *_STAT_ANY (Linux 4.17, shmctl(2)) reads the same by index without
 * the check, so the index whose id is ours is looked for.
 */
static int sysv_stat(const char *kind, int id, void *ds)
{
	int cmd_any, max, rc;

	if (strcmp(kind, "shm") == 0) {
		struct shm_info info;

		if (shmctl(id, IPC_STAT, ds) == 0)
			return 0;
		cmd_any = SHM_STAT_ANY;
		max = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info);
	} else if (strcmp(kind, "sem") == 0) {
		struct seminfo info;

		if (semctl(id, 0, IPC_STAT, (union semun){ .buf = ds }) == 0)
			return 0;
		cmd_any = SEM_STAT_ANY;
		max = semctl(0, 0, SEM_INFO, (union semun){ .buf = (void *)&info });
	} else {
		struct msginfo info;

		if (msgctl(id, IPC_STAT, ds) == 0)
			return 0;
		cmd_any = MSG_STAT_ANY;
		max = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&info);
	}
	if (errno != EACCES)
		return -errno;
	for (int idx = 0; idx <= max; idx++) {
		if (strcmp(kind, "shm") == 0)
			rc = shmctl(idx, cmd_any, ds);
		else if (strcmp(kind, "sem") == 0)
			rc = semctl(idx, 0, cmd_any, (union semun){ .buf = ds });
		else
			rc = msgctl(idx, cmd_any, ds);
		if (rc == id)
			return 0;
	}
	return -EACCES;
}

int object_chmod(const struct ipcmp_census_entry *e, unsigned mode)
{
	char path[NAME_MAX + 16];
	int id, rc;

	if (object_is_sysv(e)) {
		/* SysV: IPC_SET sets uid, gid and mode (and a queue's msg_qbytes)
		 * from the buffer: it must hold the current values (shmctl(2)) */
		union {
			struct shmid_ds shm;
			struct semid_ds sem;
			struct msqid_ds msg;
		} ds;

		memset(&ds, 0, sizeof(ds));
		if ((id = sysv_id(e)) < 0)
			return id;
		if ((rc = sysv_stat(e->kind, id, &ds)) < 0)
			return rc;
		if (strcmp(e->kind, "shm") == 0) {
			ds.shm.shm_perm.mode = mode;
			rc = shmctl(id, IPC_SET, &ds.shm);
		} else if (strcmp(e->kind, "sem") == 0) {
			ds.sem.sem_perm.mode = mode;
			rc = semctl(id, 0, IPC_SET, (union semun){ .buf = &ds.sem });
		} else {
			ds.msg.msg_perm.mode = mode;
			rc = msgctl(id, IPC_SET, &ds.msg);
		}
	} else if (strcmp(e->kind, "posix-shm") == 0 || strcmp(e->kind, "posix-sem") == 0) {
		shm_path(path, sizeof(path), e);
		rc = chmod(path, mode);
	} else if (strcmp(e->kind, "mqueue") == 0) {
		/* Linux: an mqd_t is a descriptor, and fchmod works on it
		 * (mq_overview(7)); opening needs read permission, so the owner
		 * of a 0000 queue fchmods a descriptor it kept open */
		mqd_t mq = mq_open(e->name, O_RDONLY | O_CLOEXEC);

		if (mq == (mqd_t)-1)
			return -errno;
		rc = fchmod(mq, mode);
		if (rc < 0)
			rc = -errno;
		mq_close(mq);
		return rc;
	} else
		return -EINVAL;
	return rc < 0 ? -errno : 0;
}

int object_stat(const struct ipcmp_census_entry *e, unsigned *mode, unsigned *uid)
{
	char path[NAME_MAX + 16];
	struct stat st;
	int id, fd;

	if (strcmp(e->kind, "shm") == 0) {
		struct shmid_ds ds;

		if ((id = sysv_id(e)) < 0)
			return id;
		if (shmctl(id, IPC_STAT, &ds) < 0)
			return -errno;
		*mode = ds.shm_perm.mode & 0777;
		*uid = ds.shm_perm.uid;
		return 0;
	}
	if (strcmp(e->kind, "sem") == 0) {
		struct semid_ds ds;

		if ((id = sysv_id(e)) < 0)
			return id;
		if (semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds }) < 0)
			return -errno;
		*mode = ds.sem_perm.mode & 0777;
		*uid = ds.sem_perm.uid;
		return 0;
	}
	if (strcmp(e->kind, "msg") == 0) {
		struct msqid_ds ds;

		if ((id = sysv_id(e)) < 0)
			return id;
		if (msgctl(id, IPC_STAT, &ds) < 0)
			return -errno;
		*mode = ds.msg_perm.mode & 0777;
		*uid = ds.msg_perm.uid;
		return 0;
	}
	if (strcmp(e->kind, "posix-shm") == 0) {
		if ((fd = shm_open(e->name, O_RDONLY | O_CLOEXEC, 0)) < 0)
			return -errno;
	} else if (strcmp(e->kind, "mqueue") == 0) {
		if ((fd = mq_open(e->name, O_RDONLY | O_CLOEXEC)) < 0)
			return -errno;
	} else if (strcmp(e->kind, "posix-sem") == 0) {
		/* POSIX: a named semaphore has no stat call of its own; its file */
		shm_path(path, sizeof(path), e);
		if (stat(path, &st) < 0)
			return -errno;
		*mode = st.st_mode & 0777;
		*uid = st.st_uid;
		return 0;
	} else
		return -EINVAL;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	*mode = st.st_mode & 0777;
	*uid = st.st_uid;
	return 0;
}

int drop_to_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		return -errno;
	return 0;
}
