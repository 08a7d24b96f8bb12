/*
 * unmap.c - the munmap leak: mapping shared memory in a loop and never
 * unmapping it. Closing the descriptor (POSIX) or removing the object
 * (shm_unlink, IPC_RMID) frees nothing while a mapping remains: the memory
 * lives until the last mapping goes, and it is invisible in /dev/shm.
 *
 *	for (...) {                            for (...) {
 *		fd = shm_open(...); ftruncate;         p = shmat(id, NULL, 0);
 *		p = mmap(..., fd, 0);                  use(p);
 *		close(fd); shm_unlink(...);            // no shmdt(p)
 *		use(p);                        }
 *		// no munmap(p, size)
 *	}
 *
 * The lesson counts what the kernel counts: lines in /proc/self/maps,
 * RssShmem in /proc/self/status (shared memory pages this process has
 * mapped), and for SysV the segment's attach count, shm_nattch (IPC_STAT;
 * the nattch column of `ipcs -m`). Then it does the fix and counts again.
 *
 *   $ ipcmp lesson unmap --iterations 200
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "census.h"
#include "lesson.h"

#define MAP_BYTES (256 * 1024)
#define ROUNDS_MAX 10000           /* well under vm.max_map_count (65530) */

static long rss_shmem_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssShmem: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long nattch(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) < 0 ? -errno : (long)ds.shm_nattch;
}

static void touch(volatile char *p)
{
	for (size_t off = 0; off < MAP_BYTES; off += 4096)
		p[off] = 1;
}

/* Our names in /dev/shm right now (the leaked objects are not there). */
static int names_in_dev_shm(void)
{
	struct ipcmp_census c;
	char prefix[64];
	int n = 0;

	snprintf(prefix, sizeof(prefix), "/ipcmp.lesson.%ld.", (long)getpid());
	if (ipcmp_census_take(&c, NULL) >= 0)
		for (size_t i = 0; i < c.n; i++)
			n += strncmp(c.e[i].name, prefix, strlen(prefix)) == 0;
	ipcmp_census_free(&c);
	return n;
}

static int posix_leak(struct unmap_result *r, void **maps)
{
	unsigned long k;
	int rc = 0;

	for (k = 0; k < r->rounds; k++) {
		char name[64];
		int fd = shm_open(lesson_posix_name(name, sizeof(name), "leak"),
				  O_RDWR | O_CREAT | O_EXCL, 0600);

		if (fd < 0) {
			rc = -errno;
			break;
		}
		shm_unlink(name);
		maps[k] = ftruncate(fd, MAP_BYTES) < 0 ? MAP_FAILED :
			mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (maps[k] == MAP_FAILED) {
			rc = -errno;
			break;
		}
		touch(maps[k]);
	}
	r->maps_leaking[LESSON_POSIX] = lesson_maps_count();
	r->rss_shmem_kb_leaking[LESSON_POSIX] = rss_shmem_kb();
	r->posix_names_left = names_in_dev_shm();
	while (k-- > 0)                    /* the fix: munmap what was mapped */
		munmap(maps[k], MAP_BYTES);
	r->maps_after[LESSON_POSIX] = lesson_maps_count();
	r->rss_shmem_kb_after[LESSON_POSIX] = rss_shmem_kb();
	return rc;
}

static int sysv_leak(struct unmap_result *r, void **maps)
{
	unsigned long k;
	void *anchor;
	int id, rc = 0;

	if ((id = shmget(IPC_PRIVATE, MAP_BYTES, IPC_CREAT | 0600)) < 0)
		return -errno;
	/* One attach of our own, then IPC_RMID: the segment lives while attached
	 * and goes with the last shmdt, even if the lesson is killed. */
	anchor = shmat(id, NULL, 0);
	rc = anchor == (void *)-1 ? -errno : 0;
	shmctl(id, IPC_RMID, NULL);
	if (rc < 0)
		return rc;
	for (k = 0; k < r->rounds; k++) {
		if ((maps[k] = shmat(id, NULL, 0)) == (void *)-1) {
			rc = -errno;
			break;
		}
		touch(maps[k]);
	}
	r->maps_leaking[LESSON_SYSV] = lesson_maps_count();
	r->rss_shmem_kb_leaking[LESSON_SYSV] = rss_shmem_kb();
	r->sysv_nattch_leaking = nattch(id);
	while (k-- > 0)                    /* the fix: shmdt every attach */
		shmdt(maps[k]);
	r->maps_after[LESSON_SYSV] = lesson_maps_count();
	r->rss_shmem_kb_after[LESSON_SYSV] = rss_shmem_kb();
	r->sysv_nattch_after = nattch(id);
	shmdt(anchor);
	return rc;
}

int lesson_unmap(const struct lesson_opts *o, struct unmap_result *r)
{
	void **maps;
	int rc;

	memset(r, 0, sizeof(*r));
	r->rounds = lesson_iterations(o, 64);
	if (r->rounds > ROUNDS_MAX)
		r->rounds = ROUNDS_MAX;
	r->bytes = MAP_BYTES;
	if ((maps = calloc(r->rounds, sizeof(*maps))) == NULL)
		return -ENOMEM;
	r->maps_before = lesson_maps_count();
	r->rss_shmem_kb_before = rss_shmem_kb();
	rc = posix_leak(r, maps);
	if (rc == 0)
		rc = sysv_leak(r, maps);
	free(maps);
	return rc;
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct unmap_result r;
	int rc = lesson_unmap(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "%lu mappings of %zu KiB each, every page touched, never unmapped:\n\n",
		   r.rounds, r.bytes / 1024);
	lesson_say(out, "  %-34s %10s %12s %8s\n", "", "maps lines", "RssShmem", "nattch");
	lesson_say(out, "  %-34s %10d %9ld kB %8s\n", "before", r.maps_before,
		   r.rss_shmem_kb_before, "");
	lesson_say(out, "  %-34s %10d %9ld kB %8s\n", "POSIX: shm_open+mmap, no munmap",
		   r.maps_leaking[LESSON_POSIX], r.rss_shmem_kb_leaking[LESSON_POSIX], "-");
	lesson_say(out, "  %-34s %10d %9ld kB %8s\n", "POSIX: after munmap of each",
		   r.maps_after[LESSON_POSIX], r.rss_shmem_kb_after[LESSON_POSIX], "-");
	lesson_say(out, "  %-34s %10d %9ld kB %8ld\n", "SysV: shmat, no shmdt",
		   r.maps_leaking[LESSON_SYSV], r.rss_shmem_kb_leaking[LESSON_SYSV],
		   r.sysv_nattch_leaking);
	lesson_say(out, "  %-34s %10d %9ld kB %8ld\n", "SysV: after shmdt of each",
		   r.maps_after[LESSON_SYSV], r.rss_shmem_kb_after[LESSON_SYSV], r.sysv_nattch_after);
	lesson_say(out, "\n  While leaking, /dev/shm held %d of the %lu POSIX objects: unlinked, closed,\n"
		   "  and still in memory. The SysV segment was IPC_RMID'd too; its nattch\n"
		   "  counts our one attach plus every leaked one.\n", r.posix_names_left, r.rounds);
	lesson_int(out, "rounds", (long long)r.rounds);
	lesson_int(out, "bytes", (long long)r.bytes);
	lesson_int(out, "maps_before", r.maps_before);
	lesson_int(out, "rss_shmem_kb_before", r.rss_shmem_kb_before);
	for (int f = 0; f < LESSON_FAMILIES; f++) {
		lesson_open(out, lesson_family[f]);
		lesson_int(out, "maps_leaking", r.maps_leaking[f]);
		lesson_int(out, "maps_after", r.maps_after[f]);
		lesson_int(out, "rss_shmem_kb_leaking", r.rss_shmem_kb_leaking[f]);
		lesson_int(out, "rss_shmem_kb_after", r.rss_shmem_kb_after[f]);
		lesson_close(out);
	}
	lesson_int(out, "sysv_nattch_leaking", r.sysv_nattch_leaking);
	lesson_int(out, "sysv_nattch_after", r.sysv_nattch_after);
	lesson_int(out, "posix_names_left", r.posix_names_left);
	return 0;
}

const struct lesson lesson_unmap_def = {
	.name = "unmap",
	.summary = "mapping in a loop without munmap/shmdt: the leak in /proc/self/maps and the kernel's counts",
	.intro =
	"A loop maps shared memory and forgets to unmap it, once with shm_open and\n"
	"mmap (closing and unlinking the object each time, as tidy code does), once\n"
	"with shmat on one segment. The process's map, its shared memory in use,\n"
	"and the segment's attach count are read while leaking and after the fix.\n",
	.why =
	"A mapping holds its object: close(fd), shm_unlink and IPC_RMID remove the\n"
	"name or key, not the memory, which stays until the last munmap or shmdt\n"
	"(or exit). So a loop that forgets munmap grows the process by one mapping\n"
	"and its pages each time, invisible in /dev/shm and `ipcs` (a removed\n"
	"segment shows key 0 and status dest), until mmap fails with ENOMEM at\n"
	"vm.max_map_count or the memory runs out. Each mmap needs its munmap, each\n"
	"shmat its shmdt.\n",
	.run = show,
};
