/* probe_util.c - names, keys and errno names that every probe shares. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static unsigned probe_counter;

const char *probe_posix_name(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/ipcmp.probe.%ld.%u.%s", (long)getpid(), probe_counter++, tag);
	return buf;
}

/* Keys in 0x7e000000..0x7effffff, from the pid and a counter: parallel probes
 * (the suite runs tests in parallel) do not share a key, and probes create with
 * IPC_EXCL, so a collision with a stranger's object is an error, not a mix-up. */
int probe_sysv_key(void)
{
	unsigned n = probe_counter++;

	return (int)(0x7e000000u | (((unsigned)getpid() & 0xffffu) << 8) | (n & 0xffu));
}

const char *probe_errno_name(int err)
{
	static _Thread_local char buf[24];
	const char *name;

	if (err == 0)
		return "0";
	if ((name = strerrorname_np(err)) != NULL)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}
