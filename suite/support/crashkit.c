/*
 * crashkit.c - see crashkit.h.
 */
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crashkit.h"
#include "fixture.h"

#define IPCMP_DEFAULT_BIN "build/ipcmp"

size_t kit_msg_fill(void *buf, size_t msg_max, uint64_t seq)
{
	size_t len = 8 + payload_len(seq, msg_max - 8);

	payload_fill(buf, len, seq);
	return len;
}

int64_t kit_msg_check(const void *buf, ssize_t len, size_t msg_max)
{
	uint64_t seq;

	if (len < 8 || (size_t)len > msg_max)
		return -1;
	seq = payload_seq(buf);
	if ((size_t)len != 8 + payload_len(seq, msg_max - 8) ||
	    payload_check(buf, (size_t)len, seq) != 0 || seq > INT64_MAX)
		return -1;
	return (int64_t)seq;
}

void *kit_shared(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

void kit_unshare(void *mem, size_t size)
{
	if (mem != NULL)
		munmap(mem, size);
}

unsigned kit_seed(void)
{
	static int seeded;
	static unsigned seed;

	if (!seeded) {
		const char *env = getenv("IPCMP_SEED");
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = env != NULL && *env != '\0' ? (unsigned)strtoul(env, NULL, 0) :
		       (unsigned)(ts.tv_nsec ^ ts.tv_sec ^ getpid());
		srandom(seed);
		seeded = 1;
	}
	return seed;
}

void kit_seed_print(const char *backend, const char *test)
{
	fprintf(stderr, "[seed] %s::%s: IPCMP_SEED=%u\n", backend, test, kit_seed());
}

unsigned kit_rand(unsigned n)
{
	kit_seed();
	return n == 0 ? 0 : (unsigned)random() % n;
}

void kit_sleep_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0)
		;
}

long kit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *kit_ipcmp_path(void)
{
	const char *p = getenv("IPCMP_BIN");

	return p != NULL && p[0] != '\0' ? p : IPCMP_DEFAULT_BIN;
}

int kit_run_ipcmp(const char *const argv[], char *out, size_t size)
{
	const char *path = kit_ipcmp_path();
	size_t used = 0;
	int fds[2], st;
	pid_t pid;

	if (access(path, X_OK) < 0)
		return -errno;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0) {
		int err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		char *args[16];
		size_t n = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		args[n++] = (char *)path;
		for (size_t i = 1; argv[i] != NULL && n < 15; i++)
			args[n++] = (char *)argv[i];
		args[n] = NULL;
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(126);
		execv(path, args);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char sink[256];
		char *dst = used + 1 < size ? out + used : sink;
		size_t room = used + 1 < size ? size - 1 - used : sizeof(sink);
		ssize_t n = read(fds[0], dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			used += (size_t)n;
	}
	close(fds[0]);
	if (size > 0)
		out[used] = '\0';
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

int kit_wait_sleeping(pid_t pid, int timeout_ms)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (int waited = 0; waited <= timeout_ms; waited++) {
		FILE *f = fopen(path, "re");
		char *p;

		if (f == NULL)
			return -errno;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* "pid (comm) S ...": the state follows the last ')' */
		if (p != NULL && (p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'S')
			return 1;
		kit_sleep_us(1000);
	}
	return 0;
}

int kit_is_sysv(const struct ipcmp_ops *ops)
{
	return strcmp(ops->family, "System V") == 0;
}

int kit_lock_value(const struct ipcmp_ops *ops, const char *name)
{
	char path[IPCMP_NAME_MAX + 32];
	sem_t *sem;
	int id, v;

	if (kit_is_sysv(ops)) {
		/* sysv/sysv_shm.c: enum { LOCK, ITEMS, SLOTS, PRODUCERS } */
		if ((id = semget(ipcmp_sysv_key(name), 0, 0)) < 0)
			return -errno;
		v = semctl(id, 0, GETVAL);
		return v < 0 ? -errno : v;
	}
	/* posix/posix_shm.c: /ipcmp.NAME.lock */
	ipcmp_posix_name(path, sizeof(path), name, "lock");
	if ((sem = sem_open(path, 0)) == SEM_FAILED)
		return -errno;
	if (sem_getvalue(sem, &v) < 0)
		v = -errno;
	sem_close(sem);
	return v;
}

int kit_lock_take(const struct ipcmp_ops *ops, const char *name)
{
	char path[IPCMP_NAME_MAX + 32];
	sem_t *sem;
	int rc = 0;

	if (kit_is_sysv(ops))
		return -EINVAL;
	ipcmp_posix_name(path, sizeof(path), name, "lock");
	if ((sem = sem_open(path, 0)) == SEM_FAILED)
		return -errno;
	if (sem_wait(sem) < 0)
		rc = -errno;
	sem_close(sem);
	return rc;
}
