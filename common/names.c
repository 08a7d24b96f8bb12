/*
 * names.c - channel names to POSIX object names and System V keys.
 *
 * SysV: objects are found by a key_t, a 32-bit number; ftok(3) derives one
 * from an existing file's inode, which would tie a channel to a file. We hash
 * the channel name instead (FNV-1a), so two channels can collide: the name is
 * stored in the channel and checked on open (-EPROTO on a mismatch).
 * POSIX: objects have names of their own, "/ipcmp.NAME" and "/ipcmp.NAME.SUFFIX"
 * (shm_open and mq_open take "/name"; sem_open's show up as /dev/shm/sem.*).
 * Each suffix belongs to one backend and one kind of object, and no suffix
 * ends another, so two backends' objects never share a name, whatever dots
 * the channel names hold:
 *   posix-shm  shm_open  /ipcmp.NAME.ring    sem_open /ipcmp.NAME.{lock,items,slots,takers}
 *   posix-mq   mq_open   /ipcmp.NAME         shm_open /ipcmp.NAME.mq
 *   posix-atomic                                 shm_open /ipcmp.NAME.atomic
 * SysV: both SysV backends key a channel's objects by ipcmp_sysv_key(NAME),
 * so a name is a channel of one of them at a time: the other's create gives
 * -EEXIST and its open and unlink never touch it (its own object is absent).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fnv.h"
#include "ipcmp.h"

int ipcmp_name_check(const char *name)
{
	size_t len;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return -EINVAL;
	len = strnlen(name, IPCMP_NAME_MAX + 1);
	if (len > IPCMP_NAME_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

int ipcmp_posix_name(char *buf, size_t size, const char *name, const char *suffix)
{
	int n;

	if (suffix != NULL)
		n = snprintf(buf, size, IPCMP_POSIX_PREFIX "%s.%s", name, suffix);
	else
		n = snprintf(buf, size, IPCMP_POSIX_PREFIX "%s", name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

key_t ipcmp_sysv_key(const char *name)
{
	uint32_t h = ipcmp_fnv1a(IPCMP_FNV_BASIS, "ipcmp:", 6);

	h = ipcmp_fnv1a(h, name, strlen(name)) & 0x7fffffff;   /* a positive key_t */
	if (h == 0)             /* 0 is IPC_PRIVATE */
		h = 1;
	return (key_t)h;
}

int ipcmp_posix_channel(const char *object, const char *suffix, char *channel, size_t size)
{
	size_t plen = strlen(IPCMP_POSIX_PREFIX), len;

	if (strncmp(object, IPCMP_POSIX_PREFIX, plen) != 0)
		return 0;
	object += plen;
	len = strlen(object);
	if (suffix != NULL) {
		size_t slen = strlen(suffix);

		if (len <= slen + 1 || object[len - slen - 1] != '.' ||
		    strcmp(object + len - slen, suffix) != 0)
			return 0;
		len -= slen + 1;
	}
	if (len >= size)
		return 0;
	memcpy(channel, object, len);
	channel[len] = '\0';
	return ipcmp_name_check(channel) == 0;
}
