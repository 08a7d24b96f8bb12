/*
 * census_cmd.c - `ipcmp census` lists the IPC objects of both families, as
 * `ipcs -a` and `ls /dev/shm` would together; `ipcmp clean` removes the
 * ones ipcmp made and nothing else.
 *
 * What counts as ipcmp's: each backend says whether an object is one of its
 * channels (ops->owns: POSIX by the name and its suffix, SysV objects, which
 * have no name, by a segment's ring header or a queue's header record), and
 * the channel's name goes to that backend's own unlink, which removes the
 * channel's other objects too. A leftover of a damaged channel (a SysV
 * semaphore set whose segment or queue is gone, or a segment whose header
 * was overwritten beside a marked set) has no channel name to give: it is
 * removed on its own, as is a POSIX object whose name starts "/ipcmp." that
 * no backend claims.
 */
#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "census.h"
#include "cli.h"

static const char usage_census[] =
	"usage: ipcmp census\n"
	"List the IPC objects of both families in this IPC namespace: kind, name\n"
	"or key, id, owner, mode, size, attached/open count, and the ipcmp channel\n"
	"it belongs to, as BACKEND NAME, or BACKEND damaged [NAME] for a channel\n"
	"that lost a part or whose header was overwritten (ipcmp clean removes it;\n"
	"a SysV leftover may not tell its NAME).\n";

static const char usage_clean[] =
	"usage: ipcmp clean [--dry-run]\n"
	"Remove the IPC objects that ipcmp made (POSIX names starting /ipcmp.,\n"
	"SysV objects with an ipcmp header) and nothing else.\n";

/*
 * POSIX message queues are listed only where an mqueue filesystem is
 * mounted. As root, mount one in a mount namespace of our own: the host's
 * mounts are untouched, and the IPC namespace (what we list) is the same.
 */
const char *cli_mqueue_view(char *dir, size_t size)
{
	const char *base = "/tmp";

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0)
		return NULL;
	/* in a chroot "/" is not a mount point: /dev/shm, where it is one */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		if (mount("none", "/dev/shm", "none", MS_REC | MS_PRIVATE, NULL) < 0)
			return NULL;
		base = "/dev/shm";
	}
	snprintf(dir, size, "%s/.ipcmp-mqueue.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		return NULL;
	if (mount("mqueue", dir, "mqueue", 0, NULL) < 0) {
		rmdir(dir);
		return NULL;
	}
	return dir;
}

void cli_mqueue_unview(const char *dir)
{
	if (dir != NULL && umount(dir) == 0)
		rmdir(dir);
}

static int help_only(int argc, char **argv, const char *cmd, const char *usage, int *dry_run)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (dry_run != NULL && strcmp(argv[i], "--dry-run") == 0) {
			*dry_run = 1;
			continue;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(cmd, usage, "unknown option '%s'", argv[i]);
		return cli_usage_error(cmd, usage, "unexpected '%s'", argv[i]);
	}
	return -1;
}

/* The backend whose channel this object is, the channel's name ("": a
 * leftover that does not tell it), and whether that channel is damaged. */
static const struct ipcmp_ops *owner(const struct ipcmp_census_entry *e, char *name, size_t size,
				     int *damaged)
{
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++) {
		const struct ipcmp_ops *ops = ipcmp_backends[i];
		int rc = ops->owns != NULL ? ops->owns(e->kind, e->name, e->id, name, size) : 0;

		if (rc == 1 || rc == IPCMP_OWNS_DAMAGED) {
			*damaged = rc == IPCMP_OWNS_DAMAGED;
			return ops;
		}
	}
	return NULL;
}

int cmd_census(int argc, char **argv)
{
	struct ipcmp_census c = { 0 };
	char dirbuf[64];
	const char *mqdir;
	int rc;

	if ((rc = help_only(argc, argv, "census", usage_census, NULL)) >= 0)
		return rc;
	mqdir = cli_mqueue_view(dirbuf, sizeof(dirbuf));
	rc = ipcmp_census_take(&c, mqdir);
	cli_mqueue_unview(mqdir);
	if (rc < 0) {
		fprintf(stderr, "ipcmp: census: %s\n", strerror(-rc));
		ipcmp_census_free(&c);
		return 1;
	}
	printf("%-10s %-36s %8s %6s %5s %10s %8s  %s\n", "kind", "name/key", "id", "owner",
	       "mode", "size", "attached", "channel");
	for (size_t i = 0; i < c.n; i++) {
		const struct ipcmp_census_entry *e = &c.e[i];
		char id[24] = "-", att[24] = "-", name[IPCMP_NAME_MAX + 8], channel[IPCMP_NAME_MAX + 32];
		int damaged = 0;
		const struct ipcmp_ops *ops = owner(e, name, sizeof(name), &damaged);

		if (e->id >= 0)
			snprintf(id, sizeof(id), "%ld", e->id);
		if (e->attached >= 0)
			snprintf(att, sizeof(att), "%ld", e->attached);
		if (ops == NULL)
			snprintf(channel, sizeof(channel), "-");
		else
			snprintf(channel, sizeof(channel), "%s%s%s%s", ops->name, damaged ? " damaged" : "",
				 name[0] != '\0' ? " " : "", name);
		printf("%-10s %-36s %8s %6u %04o %10lu %8s  %s\n", e->kind, e->name, id, e->uid,
		       e->mode, e->size, att, channel);
	}
	if (mqdir == NULL)
		printf("(POSIX message queues not listed: no mqueue filesystem could be mounted)\n");
	ipcmp_census_free(&c);
	return 0;
}

static int remove_entry(const struct ipcmp_census_entry *e, int dry_run)
{
	const struct ipcmp_ops *ops;
	char name[IPCMP_NAME_MAX + 8];
	int rc = 0, damaged = 0;

	if ((ops = owner(e, name, sizeof(name), &damaged)) == NULL &&
	    (e->name[0] != '/' ||
	     strncmp(e->name, IPCMP_POSIX_PREFIX, strlen(IPCMP_POSIX_PREFIX)) != 0))
		return 0;                  /* not ours */

	if (ops != NULL && name[0] != '\0')
		printf("%s %s %s (%s%s channel \"%s\")\n", dry_run ? "would remove" : "removing",
		       e->kind, e->name, damaged ? "damaged " : "", ops->name, name);
	else if (ops != NULL)
		printf("%s %s %s (leftover of a damaged %s channel)\n",
		       dry_run ? "would remove" : "removing", e->kind, e->name, ops->name);
	else
		printf("%s %s %s\n", dry_run ? "would remove" : "removing", e->kind, e->name);
	if (dry_run)
		return 1;
	if (ops != NULL && name[0] != '\0')
		rc = ipcmp_unlink(ops, name);
	else if (strcmp(e->kind, "shm") == 0)
		rc = shmctl((int)e->id, IPC_RMID, NULL) < 0 ? -errno : 0;
	else if (strcmp(e->kind, "sem") == 0)
		rc = semctl((int)e->id, 0, IPC_RMID) < 0 ? -errno : 0;
	else if (strcmp(e->kind, "msg") == 0)
		rc = msgctl((int)e->id, IPC_RMID, NULL) < 0 ? -errno : 0;
	else if (strcmp(e->kind, "posix-shm") == 0)
		rc = shm_unlink(e->name) < 0 ? -errno : 0;
	else if (strcmp(e->kind, "posix-sem") == 0)
		rc = sem_unlink(e->name) < 0 ? -errno : 0;
	else if (strcmp(e->kind, "mqueue") == 0)
		rc = mq_unlink(e->name) < 0 ? -errno : 0;
	if (rc == -EINVAL || rc == -EIDRM)  /* SysV: went with its channel */
		rc = 0;
	if (rc < 0 && rc != -ENOENT) {     /* ENOENT: went with its channel */
		fprintf(stderr, "ipcmp: clean %s %s: %s\n", e->kind, e->name, ipcmp_strerror(rc));
		return -1;
	}
	return 1;
}

int cmd_clean(int argc, char **argv)
{
	struct ipcmp_census c = { 0 };
	char dirbuf[64];
	const char *mqdir;
	int rc, dry_run = 0, failed = 0, removed = 0;

	if ((rc = help_only(argc, argv, "clean", usage_clean, &dry_run)) >= 0)
		return rc;
	mqdir = cli_mqueue_view(dirbuf, sizeof(dirbuf));
	if ((rc = ipcmp_census_take(&c, mqdir)) < 0) {
		fprintf(stderr, "ipcmp: clean: census: %s\n", strerror(-rc));
		failed = 1;
	}
	for (size_t i = 0; rc >= 0 && i < c.n; i++) {
		int r = remove_entry(&c.e[i], dry_run);
		failed |= r < 0;
		removed += r > 0;
	}
	cli_mqueue_unview(mqdir);
	ipcmp_census_free(&c);
	printf("%d object(s) %s\n", removed, dry_run ? "would be removed" : "removed");
	return failed;
}
