/*
 * sem_memory.c - shared memory: its size, its end, private and read-only
 * mappings.
 *
 * SysV: shmget fixes the size at create (a larger size later: EINVAL);
 *       shmat maps exactly the segment, rounded up to a page, so the next
 *       page is not mapped at all (SIGSEGV); every attach is shared;
 *       SHM_RDONLY attaches read-only (shmget(2), shmat(2)).
 * POSIX: shm_open makes an object of size 0 and ftruncate sets or changes
 *       it; mmap may map more than the object, and touching a whole page
 *       past its end gives SIGBUS; MAP_PRIVATE makes a copy-on-write view;
 *       a descriptor opened O_RDONLY cannot be mapped PROT_WRITE and
 *       MAP_SHARED: EACCES (shm_open(3), mmap(2)).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "semantics.h"

#define PAGE 4096
#define SMALL 100                    /* bytes asked for: less than a page */

/* One object of each family; ids start at their sentinels. */
struct objs {
	int key, id;
	int fd;
	char name[96];
};

static int objs_make(struct objs *o, size_t sysv_size)
{
	o->fd = -1;
	o->key = probe_sysv_key();
	if ((o->id = shmget(o->key, sysv_size, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return -errno;
	probe_posix_name(o->name, sizeof(o->name), "shm");
	if ((o->fd = shm_open(o->name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0) {
		int rc = -errno;

		shmctl(o->id, IPC_RMID, NULL);
		return rc;
	}
	return 0;
}

static void objs_free(struct objs *o)
{
	shmctl(o->id, IPC_RMID, NULL);
	shm_unlink(o->name);
	close(o->fd);
}

int probe_size_at_create(struct probe_result *r)
{
	struct shmid_ds ds;
	struct stat st;
	struct objs o;
	int rc;

	if ((rc = objs_make(&o, SMALL)) < 0)
		return rc;
	if (shmctl(o.id, IPC_STAT, &ds) == 0)
		probe_say(&r->sysv, "%zu bytes", (size_t)ds.shm_segsz);
	if (fstat(o.fd, &st) == 0)
		probe_say(&r->posix, "%lld bytes", (long long)st.st_size);
	objs_free(&o);
	return 0;
}

int probe_size_change(struct probe_result *r)
{
	struct stat st;
	struct objs o;
	int rc;

	if ((rc = objs_make(&o, PAGE)) < 0)
		return rc;
	/* SysV: the only way to name the size again is shmget on the key */
	rc = shmget(o.key, 2 * PAGE, 0600);
	probe_say(&r->sysv, "shmget with a larger size: %s", rc < 0 ? probe_errno_name(errno) : "0");
	rc = ftruncate(o.fd, PAGE) == 0 && ftruncate(o.fd, 2 * PAGE) == 0 && fstat(o.fd, &st) == 0;
	if (rc)
		probe_say(&r->posix, "ftruncate: %lld bytes", (long long)st.st_size);
	else
		probe_say(&r->posix, "ftruncate: %s", probe_errno_name(errno));
	objs_free(&o);
	return 0;
}

enum access { READ, WRITE };

/* In a child: read or write one byte at p; the child's end tells what
 * happened. */
static const char *touch(volatile char *p, enum access how)
{
	int status = 0;
	pid_t pid = probe_fork();

	if (pid < 0)
		return "fork failed";
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		probe_fault_expected();
		if (how == WRITE)
			p[0] = 1;
		else
			(void)*p;
		_exit(0);
	}
	if (probe_reap(pid, probe_bound_ms(5000), &status) < 0)
		return "timed out";
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return how == WRITE ? "written" : "readable";
	return probe_status_text(status);
}

int probe_touch_past_end(struct probe_result *r)
{
	const char *in_page, *next_page;
	struct objs o;
	char *p;
	int rc;

	if ((rc = objs_make(&o, SMALL)) < 0)
		return rc;
	/* SysV: reserve two pages, free them, attach the segment at the first:
	 * nothing in this thread maps the second in between */
	p = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 2 * PAGE) < 0 || shmat(o.id, p, 0) != p) {
		rc = -errno;
		goto out;
	}
	in_page = touch(p + SMALL, READ);
	next_page = touch(p + PAGE, READ);
	probe_say(&r->sysv, "%s", next_page);
	probe_note(&r->sysv, "byte %d of a %d-byte segment: %s (the page is mapped)", SMALL, SMALL, in_page);
	shmdt(p);
	/* POSIX: map two pages of a 100-byte object */
	if (ftruncate(o.fd, SMALL) < 0 ||
	    (p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, o.fd, 0)) == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	in_page = touch(p + SMALL, READ);
	next_page = touch(p + PAGE, READ);
	probe_say(&r->posix, "%s", next_page);
	probe_note(&r->posix, "byte %d of a %d-byte object: %s (the page is mapped)", SMALL, SMALL, in_page);
	munmap(p, 2 * PAGE);
out:
	objs_free(&o);
	return rc;
}

int probe_map_private(struct probe_result *r)
{
	volatile char *a, *b;
	struct objs o;
	int rc;

	if ((rc = objs_make(&o, PAGE)) < 0)
		return rc;
	/* SysV: two attaches of one segment; there is no private attach */
	a = shmat(o.id, NULL, 0);
	b = shmat(o.id, NULL, 0);
	if (a != (void *)-1 && b != (void *)-1) {
		a[0] = 7;
		probe_say(&r->sysv, "write %s the other attach", b[0] == 7 ? "seen through" : "not seen through");
	} else {
		rc = -errno;
	}
	if (a != (void *)-1)
		shmdt((void *)a);
	if (b != (void *)-1)
		shmdt((void *)b);
	if (rc < 0)
		goto out;
	/* POSIX: MAP_PRIVATE beside MAP_SHARED */
	if (ftruncate(o.fd, PAGE) < 0) {
		rc = -errno;
		goto out;
	}
	a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, o.fd, 0);
	b = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, o.fd, 0);
	if (a != MAP_FAILED && b != MAP_FAILED) {
		a[0] = 7;
		probe_say(&r->posix, "MAP_PRIVATE write %s the MAP_SHARED view",
			  b[0] == 7 ? "seen through" : "not seen through");
	} else {
		rc = -errno;
	}
	if (a != MAP_FAILED)
		munmap((void *)a, PAGE);
	if (b != MAP_FAILED)
		munmap((void *)b, PAGE);
out:
	objs_free(&o);
	return rc;
}

int probe_read_only(struct probe_result *r)
{
	struct objs o;
	char *p;
	int fd, rc;

	if ((rc = objs_make(&o, PAGE)) < 0)
		return rc;
	if ((p = shmat(o.id, NULL, SHM_RDONLY)) == (void *)-1) {
		rc = -errno;
		goto out;
	}
	probe_say(&r->sysv, "SHM_RDONLY, write: %s", touch(p, WRITE));
	shmdt(p);
	if (ftruncate(o.fd, PAGE) < 0 || (fd = shm_open(o.name, O_RDONLY, 0)) < 0) {
		rc = -errno;
		goto out;
	}
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	probe_say(&r->posix, "O_RDONLY, mmap PROT_WRITE: %s",
		  p == MAP_FAILED ? probe_errno_name(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	close(fd);
out:
	objs_free(&o);
	return rc;
}
