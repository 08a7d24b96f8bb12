/* shm_ring.c - see shm_ring.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm_ring.h"

/* POSIX: between the creator's shm_open and posix_fallocate the object is
 * empty; wait, bounded, for its size. */
static int object_size(int fd, size_t *size)
{
	struct timespec tick = { 0, 1000000 };
	struct stat st;

	for (struct ipcmp_until u = IPCMP_OPEN_UNTIL; !ipcmp_until_passed(&u); ipcmp_sleep(&tick)) {
		if (fstat(fd, &st) < 0)
			return ipcmp_fail("fstat", errno);
		if ((size_t)st.st_size >= sizeof(struct ipcmp_ring_hdr)) {
			*size = (size_t)st.st_size;
			return 0;
		}
	}
	return -EPROTO;
}

/* create found an object under the name: this channel's ring (-EEXIST,
 * perhaps still being made by another creator) or not (-EPROTO). */
static int existing(const char *path, const char *name)
{
	size_t size = 0;
	void *mem;
	int fd, rc;

	if ((fd = shm_open(path, O_RDONLY, 0)) < 0)
		return ipcmp_fail("shm_open", EEXIST);
	if ((rc = object_size(fd, &size)) < 0) {
		close(fd);
		return ipcmp_fail("shm_open", rc == -EPROTO ? EPROTO : EEXIST);
	}
	mem = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("shm_open", EEXIST);
	rc = ipcmp_ring_wait_ready(mem, size);
	if (rc != -EPROTO)
		rc = ipcmp_ring_owned(mem, size, name) ? -EEXIST : -EPROTO;
	munmap(mem, size);
	return ipcmp_fail("shm_open", -rc);
}

int ipcmp_shm_ring_create(struct ipcmp_ring *ring, const char *path, const char *name,
			  const struct ipcmp_attr *attr)
{
	size_t size = ipcmp_ring_size(attr->msg_max, attr->capacity);
	void *mem;
	int fd, rc;

	ring->hdr = NULL;
	/* POSIX: the umask applies to the mode, as for open(2). */
	if ((fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, attr->mode)) < 0)
		return errno == EEXIST ? existing(path, name) : ipcmp_fail("shm_open", errno);
	/* POSIX: reserve the pages now, so a full /dev/shm is ENOSPC here and
	 * not SIGBUS at the first write to the mapping. */
	if ((rc = posix_fallocate(fd, 0, (off_t)size)) != 0) {
		close(fd);
		shm_unlink(path);
		return ipcmp_fail("posix_fallocate", rc);
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);                      /* POSIX: the mapping outlives the descriptor */
	if (mem == MAP_FAILED) {
		rc = ipcmp_fail("mmap", errno);
		shm_unlink(path);
		return rc;
	}
	ipcmp_ring_init(ring, mem, size, name, attr->msg_max, attr->capacity);
	return 0;
}

int ipcmp_shm_ring_open(struct ipcmp_ring *ring, const char *path, const char *name)
{
	size_t size = 0;
	void *mem;
	int fd, rc;

	ring->hdr = NULL;
	if ((fd = shm_open(path, O_RDWR, 0)) < 0)
		return ipcmp_fail("shm_open", errno);
	if ((rc = object_size(fd, &size)) < 0) {
		close(fd);
		return rc;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("mmap", errno);
	ring->hdr = mem;
	ring->size = size;
	if ((rc = ipcmp_ring_wait_ready(mem, size)) < 0 ||
	    (rc = ipcmp_ring_attach(ring, mem, size, name)) < 0) {
		ipcmp_shm_ring_close(ring);
		return rc;
	}
	return 0;
}

int ipcmp_shm_ring_close(struct ipcmp_ring *ring)
{
	int rc = 0;

	/* POSIX: unmapping is the whole of detaching; the name may be gone already. */
	if (ring->hdr != NULL && munmap(ring->hdr, ring->size) < 0)
		rc = ipcmp_fail("munmap", errno);
	ring->hdr = NULL;
	return rc;
}

int ipcmp_shm_ring_holds(const char *path, const char *name)
{
	const size_t hdr = sizeof(struct ipcmp_ring_hdr);
	struct stat st;
	void *mem;
	int fd, rc;

	if ((fd = shm_open(path, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? IPCMP_SHM_RING_MISSING : ipcmp_fail("shm_open", errno);
	if (fstat(fd, &st) < 0) {
		rc = ipcmp_fail("fstat", errno);
		close(fd);
		return rc;
	}
	if ((size_t)st.st_size < hdr) {
		close(fd);
		return st.st_size == 0 ? IPCMP_SHM_RING_HALF_MADE : IPCMP_SHM_RING_FOREIGN;
	}
	mem = mmap(NULL, hdr, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return ipcmp_fail("mmap", errno);
	rc = ((struct ipcmp_ring_hdr *)mem)->magic == 0 ? IPCMP_SHM_RING_HALF_MADE :
	     ipcmp_ring_owned(mem, hdr, name) ? IPCMP_SHM_RING_OURS :
	     ipcmp_ring_sealed(mem, hdr, name) ? IPCMP_SHM_RING_OVERWRITTEN : IPCMP_SHM_RING_FOREIGN;
	munmap(mem, hdr);
	return rc;
}
