/*
 * ringmap.c - see ringmap.h.
 *
 * SysV: the segment is found by the channel's key: shmget(key, 0, 0), shmat.
 * POSIX: by its name: shm_open("/ipcmp.NAME.ring", posix-atomic's
 * "/ipcmp.NAME.atomic"), fstat for the size, mmap.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringmap.h"

static int is_sysv(const struct ipcmp_ops *ops)
{
	return strcmp(ops->family, "System V") == 0;
}

const char *ringmap_posix_suffix(const struct ipcmp_ops *ops)
{
	return strcmp(ops->name, "posix-atomic") == 0 ? "atomic" : "ring";
}

struct ipcmp_ring_hdr *ringmap_open(const struct ipcmp_ops *ops, const char *name,
				    size_t *size, int *err)
{
	char path[IPCMP_NAME_MAX + 32];
	struct shmid_ds ds;
	struct stat st;
	void *mem;
	int id, fd;

	if (is_sysv(ops)) {
		if ((id = shmget(ipcmp_sysv_key(name), 0, 0)) < 0 ||
		    shmctl(id, IPC_STAT, &ds) < 0 ||
		    (mem = shmat(id, NULL, 0)) == (void *)-1) {
			*err = -errno;
			return NULL;
		}
		*size = ds.shm_segsz;
		return mem;
	}
	if ((*err = ipcmp_posix_name(path, sizeof(path), name, ringmap_posix_suffix(ops))) < 0)
		return NULL;
	if ((fd = shm_open(path, O_RDWR | O_CLOEXEC, 0)) < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 ||
	    (mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
		    MAP_FAILED) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	close(fd);
	*size = (size_t)st.st_size;
	return mem;
}

void ringmap_close(const struct ipcmp_ops *ops, struct ipcmp_ring_hdr *hdr, size_t size)
{
	if (hdr == NULL)
		return;
	if (is_sysv(ops))
		shmdt(hdr);
	else
		munmap(hdr, size);
}
