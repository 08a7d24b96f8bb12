/*
 * limits.c - the kernel's IPC limits, read where the kernel publishes them:
 * /proc/sys/kernel (msgmax, msgmnb: SysV queues) and /proc/sys/fs/mqueue (POSIX
 * queues). Each is per IPC namespace, so a test that raised one inside its
 * own namespace reads its own value.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipcmp.h"

/* One number; no stdio, so no heap. */
int ipcmp_read_limit(const char *path, size_t *val)
{
	char text[32], *end;
	unsigned long v;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ipcmp_fail("open /proc/sys", errno);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return ipcmp_fail("read /proc/sys", n < 0 ? errno : EIO);
	text[n] = '\0';
	errno = 0;
	v = strtoul(text, &end, 10);
	if (end == text || errno != 0)
		return ipcmp_fail("read /proc/sys", EIO);
	*val = v;
	return 0;
}
