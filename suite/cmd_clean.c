/*
 * cmd_clean.c - `ipcmp clean` and `ipcmp census` on what cleanup.c does
 * not make: POSIX objects under ipcmp's prefix that no backend claims (a
 * name no channel can have), the leftovers of a SysV channel whose header
 * was overwritten, and the census as a plain user. Each object's fate is
 * asked of the kernel directly (IPC_STAT, /dev/shm, mq_open), not of the
 * census under test.
 *
 *   $ ./build/suite --filter 'commands/clean_*'
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdtest.h"

static void need_isolation(const char *test)
{
	if (!fixture_isolated())
		cr_skip("commands: %s needs a private IPC namespace (run as root): ipcmp clean "
			"removes every ipcmp object it sees", test);
}

struct strays {
	char shm[64], sem[64], mq[64];
};

/* 1: the stray POSIX objects are all there; 0: none is; -1: some. */
static int strays_there(const struct strays *s)
{
	char path[96];
	struct stat st;
	int n = 0;
	mqd_t q;

	snprintf(path, sizeof(path), "/dev/shm%s", s->shm);
	n += stat(path, &st) == 0;
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", s->sem + 1);
	n += stat(path, &st) == 0;
	if ((q = mq_open(s->mq, O_RDONLY)) != (mqd_t)-1) {
		n++;
		mq_close(q);
	}
	return n == 3 ? 1 : n == 0 ? 0 : -1;
}

/*
 * Objects under "/ipcmp." whose names no channel can have ('+' is not in
 * a channel name): no backend claims them, and clean removes them by kind,
 * each said on its line; --dry-run only says so.
 */
CMD_TEST(clean_unclaimed_posix_objects)
{
	static const char *const dry[] = { "clean", "--dry-run", NULL };
	static const char *const wet[] = { "clean", NULL };
	struct mq_attr ma = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	struct strays s;
	struct cli_run r;
	char line[128];
	sem_t *sem;
	mqd_t q;
	int fd;

	need_isolation("clean_unclaimed_posix_objects");
	snprintf(s.shm, sizeof(s.shm), "%sstray+%ld", IPCMP_POSIX_PREFIX, (long)getpid());
	snprintf(s.sem, sizeof(s.sem), "%sstray+%ld.sem", IPCMP_POSIX_PREFIX, (long)getpid());
	snprintf(s.mq, sizeof(s.mq), "%sstray+%ld.q", IPCMP_POSIX_PREFIX, (long)getpid());
	fd = shm_open(s.shm, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert(ge(int, fd, 0), "commands: shm_open %s: %s", s.shm, strerror(errno));
	close(fd);
	sem = sem_open(s.sem, O_CREAT | O_EXCL, 0600, 0);
	cr_assert(ne(ptr, sem, SEM_FAILED), "commands: sem_open %s: %s", s.sem, strerror(errno));
	sem_close(sem);
	q = mq_open(s.mq, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	cr_assert(ne(int, (int)q, -1), "commands: mq_open %s: %s", s.mq, strerror(errno));
	mq_close(q);

	cmd_run(&r, NULL, dry, 0);
	cr_assert(eq(int, strays_there(&s), 1), "commands: clean --dry-run removed a stray: %s", r.outbuf);
	snprintf(line, sizeof(line), "would remove posix-shm %s\n", s.shm);
	cmd_says(r.outbuf, line, "clean --dry-run");
	cmd_says(r.outbuf, "3 object(s) would be removed\n", "clean --dry-run");

	cmd_run(&r, NULL, wet, 0);
	snprintf(line, sizeof(line), "removing posix-shm %s\n", s.shm);
	cmd_says(r.outbuf, line, "clean");
	snprintf(line, sizeof(line), "removing posix-sem %s\n", s.sem);
	cmd_says(r.outbuf, line, "clean");
	snprintf(line, sizeof(line), "removing mqueue %s\n", s.mq);
	cmd_says(r.outbuf, line, "clean");
	cmd_says(r.outbuf, "3 object(s) removed\n", "clean");
	cr_assert(eq(int, strays_there(&s), 0), "commands: clean left a stray (%d): %s",
		  strays_there(&s), r.outbuf);
}

/*
 * A sysv-shm channel whose segment header was overwritten: its segment
 * and its marked set are the leftovers of a damaged channel, with no name
 * to give; clean says so and removes both (IPC_RMID by id).
 */
CMD_TEST(clean_damaged_sysv_leftovers)
{
	static const char *const wet[] = { "clean", NULL };
	const char *name = fixture_name();
	key_t key = ipcmp_sysv_key(name);
	struct shmid_ds sd;
	struct semid_ds md;
	struct cli_run r;
	char line[128];
	int shmid, semid;
	void *p;

	need_isolation("clean_damaged_sysv_leftovers");
	chan_close_ok(chan_create_ok(ipcmp_backend("sysv-shm"), name, 64, 4, 0));
	shmid = shmget(key, 0, 0);
	semid = semget(key, 0, 0);
	cr_assert(shmid >= 0 && semid >= 0, "commands: the channel's segment or set: %s", strerror(errno));
	p = shmat(shmid, NULL, 0);
	cr_assert(ne(ptr, p, (void *)-1), "commands: shmat: %s", strerror(errno));
	memset(p, 0x5a, 256);          /* the header: magic, name, sizes */
	shmdt(p);

	cmd_run(&r, NULL, wet, 0);
	snprintf(line, sizeof(line), "removing shm 0x%08x (leftover of a damaged sysv-shm channel)\n",
		 (unsigned)key);
	cmd_says(r.outbuf, line, "clean");
	snprintf(line, sizeof(line), "removing sem 0x%08x (leftover of a damaged sysv-shm channel)\n",
		 (unsigned)key);
	cmd_says(r.outbuf, line, "clean");
	cr_assert(shmctl(shmid, IPC_STAT, &sd) < 0 && errno == EINVAL, "commands: clean left the "
		  "damaged segment: %s", r.outbuf);
	cr_assert(semctl(semid, 0, IPC_STAT, &md) < 0 && errno == EINVAL, "commands: clean left the "
		  "damaged set: %s", r.outbuf);
}

/* Not root: the census lists what it can, and says that POSIX queues are
 * not among it (only root may mount an mqueue view of its own). */
CMD_TEST(census_as_plain_user)
{
	static const char *const argv[] = { "census", NULL };
	struct cli_spec nobody = { .as_nobody = 1 };
	struct cli_run r;

	cmd_need_nobody("census as nobody");
	cmd_run(&r, &nobody, argv, 0);
	cr_assert(eq(int, strncmp(r.outbuf, "kind ", 5), 0), "commands: census as nobody: %s", r.outbuf);
	cmd_says(r.outbuf, "(POSIX message queues not listed: no mqueue filesystem could be mounted)\n",
		 "census as nobody");
	cr_assert(eq(str, r.errbuf, ""), "commands: census as nobody: stderr: %s", r.errbuf);
}
