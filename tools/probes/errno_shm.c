/*
 * errno_shm.c - the errno probes of shared memory: shmget, shmat, shmdt,
 * shmctl (System V) and shm_open, shm_unlink, ftruncate, mmap, munmap
 * (POSIX). One probe a row of errno_rows.h: it makes what it needs, makes
 * the one call, removes everything, and returns the errno it saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errno_kit.h"
#include "errno_rows.h"

#define PROBE(test) int probe_##test(char *skip __attribute__((unused)), \
				     size_t size __attribute__((unused)))

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* SysV: a fresh segment of one page, 0600; its id or -errno. */
static int segment(int key)
{
	int id = shmget(key, page(), IPC_CREAT | IPC_EXCL | 0600);

	return id < 0 ? -errno : id;
}

static void segment_remove(int id)
{
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
}

/* SysV: a fresh segment (its id in *id), attached; NULL with errno set
 * when either fails, and nothing left behind. */
static void *segment_attached(int key, int *id)
{
	void *p;
	int err;

	if ((*id = segment(key)) < 0) {
		errno = -*id;
		return NULL;
	}
	if ((p = shmat(*id, NULL, 0)) != (void *)-1)
		return p;
	err = errno;
	segment_remove(*id);
	errno = err;
	return NULL;
}

/* POSIX: a fresh object of one page, 0600, open O_RDWR; its fd or -errno. */
static int object(const char *name)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)page()) < 0) {
		int err = errno;

		close(fd);
		shm_unlink(name);
		return -err;
	}
	return fd;
}

static void object_remove(const char *name, int fd)
{
	if (fd >= 0)
		close(fd);
	shm_unlink(name);
}

/* A call that should fail, but made an object: remove it too. */
static int shm_open_err(const char *name, int oflag)
{
	int fd = shm_open(name, oflag, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	if (oflag & O_CREAT)
		shm_unlink(name);
	return 0;
}

static int shmat_err(int id, const void *addr, int flags)
{
	void *p = shmat(id, addr, flags);

	if (p == (void *)-1)
		return errno;
	shmdt(p);
	return 0;
}

static int mmap_err(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/* ---- exists, missing ---- */

PROBE(shmget_exists)
{
	int key = probe_sysv_key(), id = segment(key), again, err;

	if (id < 0)
		return id;
	again = shmget(key, page(), IPC_CREAT | IPC_EXCL | 0600);
	err = KIT_ERR(again);
	segment_remove(id);
	return err;
}

PROBE(shm_open_exists)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = shm_open_err(name, O_CREAT | O_EXCL | O_RDWR);
	object_remove(name, fd);
	return err;
}

PROBE(shmget_missing)
{
	int id = shmget(probe_sysv_key(), page(), 0600), err = KIT_ERR(id);

	segment_remove(id);
	return err;
}

PROBE(shm_open_missing)
{
	char name[KIT_NAME];

	return shm_open_err(probe_posix_name(name, sizeof(name), "shm"), O_RDWR);
}

PROBE(shmctl_remove_again)
{
	int id = segment(probe_sysv_key());

	if (id < 0)
		return id;
	if (shmctl(id, IPC_RMID, NULL) < 0)
		return -errno;
	return KIT_ERR(shmctl(id, IPC_RMID, NULL));
}

PROBE(shm_unlink_missing)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm"));

	if (fd < 0)
		return fd;
	object_remove(name, fd);
	return KIT_ERR(shm_unlink(name));
}

/* ---- removed ---- */

/* SysV: IPC_RMID while attached marks the segment and makes its key
 * IPC_PRIVATE: the key finds nothing, though the segment lives on. */
PROBE(shmget_removed_key)
{
	int key = probe_sysv_key(), id, err;
	void *p = segment_attached(key, &id);

	if (p == NULL)
		return -errno;
	segment_remove(id);
	err = KIT_ERR(shmget(key, page(), 0600));
	shmdt(p);
	return err;
}

/* POSIX: the name is gone at once, while the mapping lives on. */
PROBE(shm_open_removed_name)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	object_remove(name, -1);
	err = shm_open_err(name, O_RDWR);
	close(fd);
	return err;
}

PROBE(shmat_removed)
{
	int id = segment(probe_sysv_key());

	if (id < 0)
		return id;
	segment_remove(id);
	return shmat_err(id, NULL, 0);
}

PROBE(mmap_removed)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	object_remove(name, -1);
	err = mmap_err(NULL, page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return err;
}

/* Linux only (shmctl(2), NOTES): a segment marked for deletion can still
 * be attached, by id, while someone else has it attached. */
PROBE(shmat_marked)
{
	int id, err;
	void *p = segment_attached(probe_sysv_key(), &id);

	if (p == NULL)
		return -errno;
	segment_remove(id);
	err = shmat_err(id, NULL, 0);
	shmdt(p);
	return err;
}

/* ---- no permission: nobody meets root's 0600 object ---- */

/* Root's fresh segment, met by fn(&id) as nobody. */
static int segment_as_nobody(int (*fn)(void *), char *skip, size_t size)
{
	int id = segment(probe_sysv_key()), err;

	if (id < 0)
		return id;
	err = kit_as_nobody(fn, &id, skip, size);
	segment_remove(id);
	return err;
}

/* Root's fresh object, met by fn(name) as nobody. */
static int object_as_nobody(int (*fn)(void *), char *skip, size_t size)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = kit_as_nobody(fn, name, skip, size);
	object_remove(name, fd);
	return err;
}

static int nobody_shmget(void *arg)
{
	int key = *(int *)arg;

	return KIT_ERR(shmget(key, page(), 0600));
}

PROBE(shmget_no_permission)
{
	int key = probe_sysv_key(), id = segment(key), err;

	if (id < 0)
		return id;
	err = kit_as_nobody(nobody_shmget, &key, skip, size);
	segment_remove(id);
	return err;
}

static int nobody_shm_open(void *arg)
{
	return shm_open_err(arg, O_RDWR);
}

PROBE(shm_open_no_permission)
{
	return object_as_nobody(nobody_shm_open, skip, size);
}

static int nobody_shmat(void *arg)
{
	return shmat_err(*(int *)arg, NULL, 0);
}

PROBE(shmat_no_permission)
{
	return segment_as_nobody(nobody_shmat, skip, size);
}

static int nobody_shmctl_stat(void *arg)
{
	struct shmid_ds ds;

	return KIT_ERR(shmctl(*(int *)arg, IPC_STAT, &ds));
}

PROBE(shmctl_stat_no_permission)
{
	return segment_as_nobody(nobody_shmctl_stat, skip, size);
}

static int nobody_shmctl_rmid(void *arg)
{
	return KIT_ERR(shmctl(*(int *)arg, IPC_RMID, NULL));
}

PROBE(shmctl_rmid_not_owner)
{
	return segment_as_nobody(nobody_shmctl_rmid, skip, size);
}

static int nobody_shm_unlink(void *arg)
{
	return KIT_ERR(shm_unlink(arg));
}

/* The kernel refuses with EPERM (/dev/shm is sticky, 1777); glibc turns
 * that into the EACCES that POSIX and the man page give. */
PROBE(shm_unlink_not_owner)
{
	return object_as_nobody(nobody_shm_unlink, skip, size);
}

/* ---- through a read-only handle ---- */

static int readonly_fd(const char *name, int *rw)
{
	int fd;

	if ((*rw = object(name)) < 0)
		return *rw;
	if ((fd = shm_open(name, O_RDONLY, 0)) < 0) {
		fd = -errno;
		object_remove(name, *rw);
	}
	return fd;
}

PROBE(mmap_write_readonly_fd)
{
	char name[KIT_NAME];
	int rw, fd = readonly_fd(probe_posix_name(name, sizeof(name), "shm"), &rw), err;

	if (fd < 0)
		return fd;
	err = mmap_err(NULL, page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	object_remove(name, rw);
	return err;
}

PROBE(ftruncate_readonly_fd)
{
	char name[KIT_NAME];
	int rw, fd = readonly_fd(probe_posix_name(name, sizeof(name), "shm"), &rw), err;

	if (fd < 0)
		return fd;
	err = KIT_ERR(ftruncate(fd, (off_t)(2 * page())));
	close(fd);
	object_remove(name, rw);
	return err;
}

/* ---- sizes ---- */

PROBE(shmget_too_big)
{
	long max = kit_sysctl_long("kernel/shmmax");
	unsigned long over;
	int id, err;

	if (max < 0)
		return (int)max;
	over = (unsigned long)max + 1;
	if (over == 0) {
		snprintf(skip, size, "kernel.shmmax is the largest size: no size is over it");
		return PROBE_SKIPPED;
	}
	id = shmget(probe_sysv_key(), over, IPC_CREAT | IPC_EXCL | 0600);
	err = KIT_ERR(id);
	segment_remove(id);
	return err;
}

/* RLIMIT_FSIZE binds a shared memory object as any file: SIGXFSZ, and
 * EFBIG once the signal is ignored. In a child: the limit stays there. */
static int ftruncate_over_fsize(void *arg)
{
	struct rlimit rl = { page(), page() };

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return -errno;
	return KIT_ERR(ftruncate(*(int *)arg, (off_t)(2 * page())));
}

PROBE(ftruncate_over_rlimit_fsize)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = kit_child(ftruncate_over_fsize, &fd);
	object_remove(name, fd);
	return err;
}

PROBE(shmget_larger_than_existing)
{
	int key = probe_sysv_key(), id = segment(key), err;

	if (id < 0)
		return id;
	err = KIT_ERR(shmget(key, 2 * page(), 0600));
	segment_remove(id);
	return err;
}

/* POSIX: the mapping may be longer than the object; touching the part
 * beyond it raises SIGBUS (mmap(2)), the call itself succeeds. */
PROBE(mmap_beyond_object)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = mmap_err(NULL, 4 * page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	object_remove(name, fd);
	return err;
}

PROBE(shmget_zero_size)
{
	int id = shmget(probe_sysv_key(), 0, IPC_CREAT | IPC_EXCL | 0600), err = KIT_ERR(id);

	segment_remove(id);
	return err;
}

PROBE(mmap_zero_length)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = mmap_err(NULL, 0, PROT_READ, MAP_SHARED, fd, 0);
	object_remove(name, fd);
	return err;
}

PROBE(ftruncate_negative)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = KIT_ERR(ftruncate(fd, -1));
	object_remove(name, fd);
	return err;
}

/* ---- kernel limits, lowered inside a private IPC namespace ---- */

/* Sets the sysctl to value, creates segments of pages pages until one
 * fails (at most 4), removes them, restores the sysctl. */
static int shm_exhaust(const char *sysctl, const char *value, size_t pages, char *skip,
		       size_t size)
{
	char old[64];
	int id[4], n = 0, err = 0, rc;

	if ((rc = kit_private_ipc(skip, size)) != 0)
		return rc;
	if ((rc = kit_sysctl_set(sysctl, value, old, sizeof(old))) < 0) {
		snprintf(skip, size, "cannot write /proc/sys/%s here: %s", sysctl, strerror(-rc));
		return PROBE_SKIPPED;
	}
	while (n < 4 && err == 0) {
		id[n] = shmget(probe_sysv_key(), pages * page(), IPC_CREAT | IPC_EXCL | 0600);
		err = KIT_ERR(id[n]);
		n++;
	}
	while (n-- > 0)
		segment_remove(id[n]);
	if ((rc = kit_sysctl_set(sysctl, old, NULL, 0)) < 0)
		return rc;
	return err;
}

PROBE(shmget_over_shmmni)
{
	return shm_exhaust("kernel/shmmni", "1", 1, skip, size);
}

PROBE(shmget_over_shmall)
{
	return shm_exhaust("kernel/shmall", "1", 2, skip, size);     /* pages */
}

static int shm_open_no_fd(void *arg)
{
	return shm_open_err(arg, O_CREAT | O_EXCL | O_RDWR);
}

PROBE(shm_open_over_rlimit_nofile)
{
	char name[KIT_NAME];
	int err = kit_child_no_fds(shm_open_no_fd, (void *)probe_posix_name(name, sizeof(name), "shm"));

	shm_unlink(name);
	return err;
}

/* ---- bad ids, descriptors, addresses, flags ---- */

PROBE(shmat_bad_id)
{
	return shmat_err(-1, NULL, 0);
}

PROBE(mmap_bad_fd)
{
	return mmap_err(NULL, page(), PROT_READ, MAP_SHARED, -1, 0);
}

PROBE(ftruncate_bad_fd)
{
	return KIT_ERR(ftruncate(-1, (off_t)page()));
}

PROBE(mmap_no_map_type)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = mmap_err(NULL, page(), PROT_READ, 0, fd, 0);
	object_remove(name, fd);
	return err;
}

/* An address that is mapped by no one: a page reserved, then released. */
static char *hole(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

PROBE(shmat_unaligned)
{
	int id = segment(probe_sysv_key()), err;
	char *p = hole(2 * page());

	if (id < 0)
		return id;
	err = p == NULL ? -ENOMEM : shmat_err(id, p + 1, 0);
	segment_remove(id);
	return err;
}

PROBE(mmap_fixed_unaligned)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;
	char *p = hole(2 * page());

	if (fd < 0)
		return fd;
	err = p == NULL ? -ENOMEM :
		mmap_err(p + 1, page(), PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	object_remove(name, fd);
	return err;
}

PROBE(shmdt_unaligned)
{
	int id, err;
	char *p = segment_attached(probe_sysv_key(), &id);

	if (p == NULL)
		return -errno;
	err = KIT_ERR(shmdt(p + 1));
	shmdt(p);
	segment_remove(id);
	return err;
}

PROBE(mmap_unaligned_offset)
{
	char name[KIT_NAME];
	int fd = object(probe_posix_name(name, sizeof(name), "shm")), err;

	if (fd < 0)
		return fd;
	err = mmap_err(NULL, page(), PROT_READ, MAP_SHARED, fd, 1);
	object_remove(name, fd);
	return err;
}

PROBE(shmdt_not_attached)
{
	char *p = mmap(NULL, page(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		return -errno;
	err = KIT_ERR(shmdt(p));
	munmap(p, page());
	return err;
}

/* POSIX: munmap of a range with no mapping is no error (munmap(2)). */
PROBE(munmap_not_mapped)
{
	char *p = hole(page());

	return p == NULL ? -ENOMEM : KIT_ERR(munmap(p, page()));
}

PROBE(shmat_remap_null)
{
	int id = segment(probe_sysv_key()), err;

	if (id < 0)
		return id;
	err = shmat_err(id, NULL, SHM_REMAP);
	segment_remove(id);
	return err;
}

/* ---- names and keys ---- */

/* SysV: IPC_PRIVATE always makes a new segment, IPC_CREAT or not. */
PROBE(shmget_private_key)
{
	int id = shmget(IPC_PRIVATE, page(), 0600), err = KIT_ERR(id);

	segment_remove(id);
	return err;
}

/* glibc strips the leading slashes and opens /dev/shm/NAME either way. */
PROBE(shm_open_no_slash)
{
	char name[KIT_NAME];

	return shm_open_err(probe_posix_name(name, sizeof(name), "shm") + 1,
			    O_CREAT | O_EXCL | O_RDWR);
}

PROBE(shm_open_slash_inside)
{
	char name[KIT_NAME];

	return shm_open_err(probe_posix_name(name, sizeof(name), "dir/shm"),
			    O_CREAT | O_EXCL | O_RDWR);
}

PROBE(shm_unlink_slash_inside)
{
	char name[KIT_NAME];

	return KIT_ERR(shm_unlink(probe_posix_name(name, sizeof(name), "dir/shm")));
}

PROBE(shm_open_name_too_long)
{
	char name[KIT_NAME];

	return shm_open_err(kit_long_name(name, sizeof(name), NAME_MAX + 1),
			    O_CREAT | O_EXCL | O_RDWR);
}

PROBE(shm_unlink_name_too_long)
{
	char name[KIT_NAME];

	return KIT_ERR(shm_unlink(kit_long_name(name, sizeof(name), NAME_MAX + 1)));
}
