/*
 * keys.c - how the two families name their objects, and what goes wrong.
 *
 * SysV names an object by a key_t, a 32-bit number; processes that want the
 * same segment must agree on it. ftok(path, proj) makes one from a file
 * (glibc, sysvipc/ftok.c):
 *
 *	key = (st_ino & 0xffff) | (st_dev & 0xff) << 16 | (proj & 0xff) << 24
 *
 * 16 bits of the inode and 8 of the device: two different files easily give
 * the same key, and then two unrelated programs share (or fight over) one
 * segment. The lesson finds such a pair among the files of this machine.
 * IPC_PRIVATE (key 0) always makes a new object that no key can find: it is
 * shared by passing its id, or across fork.
 *
 * POSIX names an object by a path-like name, "/name", which is a file in the
 * /dev/shm tmpfs: `ls -l /dev/shm` lists them. SysV objects are listed by
 * `ipcs`, which reads /proc/sysvipc/shm.
 *
 *   $ ipcmp lesson keys
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "census.h"
#include "lesson.h"

#define PROJ 'L'
#define SCAN_MAX 20000

static key_t by_hand(const struct stat *st, int proj)
{
	return (key_t)((st->st_ino & 0xffff) | ((st->st_dev & 0xff) << 16) |
		       ((unsigned)(proj & 0xff) << 24));
}

struct file_key {
	key_t key;
	dev_t dev;
	ino_t ino;
	char *path;
};

/* nftw's callback has no argument: the search's state. */
static struct {
	struct file_key *f;
	size_t n;
	unsigned char *seen;       /* one bit per possible key (24 bits: proj fixed) */
	struct keys_result *r;
} search;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	key_t key = by_hand(st, PROJ);
	unsigned bit = (unsigned)key & 0xffffff;

	(void)ftw;
	/* FTW_PHYS: a symbolic link is not followed (ftok would use its target) */
	if (type != FTW_F || strlen(path) >= LESSON_TEXT)
		return 0;
	if (search.seen[bit / 8] & (1u << (bit % 8)))
		for (size_t i = 0; i < search.n; i++)
			if (search.f[i].key == key &&
			    (search.f[i].ino != st->st_ino || search.f[i].dev != st->st_dev)) {
				snprintf(search.r->collide[0], LESSON_TEXT, "%s", search.f[i].path);
				snprintf(search.r->collide[1], LESSON_TEXT, "%s", path);
				search.r->collide_key = key;
				return 1;          /* found: stop the walk */
			}
	search.seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
	if ((search.f[search.n].path = strdup(path)) == NULL)
		return 1;
	search.f[search.n].key = key;
	search.f[search.n].dev = st->st_dev;
	search.f[search.n].ino = st->st_ino;
	return ++search.n >= SCAN_MAX;
}

/* Walks the system's files until two give one key (the birthday paradox
 * says a few hundred should do; files made together have neighbouring
 * inodes, so it takes more). */
static void find_collision(struct keys_result *r)
{
	static const char *const dirs[] = { "/etc", "/usr" };

	search.f = calloc(SCAN_MAX, sizeof(*search.f));
	search.seen = calloc(1, (1u << 24) / 8);
	search.n = 0;
	search.r = r;
	for (size_t d = 0; search.f != NULL && search.seen != NULL &&
	     d < sizeof(dirs) / sizeof(dirs[0]) && r->collide[0][0] == '\0' && search.n < SCAN_MAX; d++)
		nftw(dirs[d], visit, 16, FTW_PHYS | FTW_MOUNT);
	r->scanned = (unsigned long)search.n + (r->collide[0][0] != '\0');
	for (size_t i = 0; search.f != NULL && i < search.n; i++)
		free(search.f[i].path);
	free(search.f);
	free(search.seen);
	memset(&search, 0, sizeof(search));
}

/* The segment through the first path, looked up through the second. */
static int collide(struct keys_result *r)
{
	key_t k1 = ftok(r->collide[0], PROJ), k2 = ftok(r->collide[1], PROJ);
	int id = shmget(k1, 4096, IPC_CREAT | IPC_EXCL | 0600);

	if (id < 0)
		return errno == EEXIST ? 0 : -errno;   /* in use already: not ours to touch */
	r->collide_tried = 1;
	r->collide_same_segment = k1 == k2 && shmget(k2, 0, 0) == id;
	shmctl(id, IPC_RMID, NULL);
	return 0;
}

/* The line `ipcs -m` prints for segment id, from /proc/sysvipc/shm. */
static void ipcs_line(int id, char *buf, size_t size)
{
	struct ipcmp_census c;

	snprintf(buf, size, "(not listed)");
	if (ipcmp_census_take(&c, NULL) >= 0)
		for (size_t i = 0; i < c.n; i++)
			if (strcmp(c.e[i].kind, "shm") == 0 && c.e[i].id == id)
				snprintf(buf, size, "%-10.10s %-8ld %-6u %-5o %-8lu %ld", c.e[i].name,
					 c.e[i].id, c.e[i].uid, c.e[i].mode, c.e[i].size, c.e[i].attached);
	ipcmp_census_free(&c);
}

static int segments(struct keys_result *r)
{
	key_t key = lesson_sysv_key();
	int keyed, p1, p2, rc = 0;

	keyed = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	p1 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	p2 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (keyed < 0 || p1 < 0 || p2 < 0)
		rc = -errno;
	else {
		r->private_ids_differ = p1 != p2;
		ipcs_line(keyed, r->ipcs_sysv, sizeof(r->ipcs_sysv));
		ipcs_line(p1, r->ipcs_private, sizeof(r->ipcs_private));
	}
	for (int id, i = 0; i < 3; i++)
		if ((id = i == 0 ? keyed : i == 1 ? p1 : p2) >= 0)
			shmctl(id, IPC_RMID, NULL);
	return rc;
}

static int posix_object(struct keys_result *r)
{
	char name[64], path[80];
	struct stat st;
	int fd, rc = 0;

	lesson_posix_name(name, sizeof(name), "keys");
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	if (ftruncate(fd, 4096) < 0 || stat(path, &st) < 0)
		rc = -errno;
	else
		snprintf(r->dev_shm, sizeof(r->dev_shm), "%04o uid %u %6lld bytes  %s",
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (long long)st.st_size, path);
	close(fd);
	shm_unlink(name);
	return rc;
}

int lesson_keys(const struct lesson_opts *o, struct keys_result *r)
{
	struct stat st;
	ssize_t n;
	int rc;

	(void)o;
	memset(r, 0, sizeof(*r));
	if ((n = readlink("/proc/self/exe", r->path, sizeof(r->path) - 1)) < 0)
		return -errno;
	r->path[n] = '\0';
	/* in a chroot the link names the file as seen from outside it; the
	 * link itself still leads to the running binary */
	if (stat(r->path, &st) < 0 && errno == ENOENT)
		snprintf(r->path, sizeof(r->path), "/proc/self/exe");
	if (stat(r->path, &st) < 0)
		return -errno;
	r->ino = (unsigned long)st.st_ino;
	r->dev = (unsigned long)st.st_dev;
	r->proj = PROJ;
	r->by_hand = by_hand(&st, PROJ);
	r->by_ftok = ftok(r->path, PROJ);
	if (stat("/dev/shm", &st) < 0)
		return -errno;
	r->dir_dev = (unsigned long)st.st_dev;
	r->dir_by_hand = by_hand(&st, PROJ);
	r->dir_by_ftok = ftok("/dev/shm", PROJ);
	find_collision(r);
	if (r->collide[0][0] != '\0' && (rc = collide(r)) < 0)
		return rc;
	if ((rc = segments(r)) < 0)
		return rc;
	return posix_object(r);
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct keys_result r;
	char key[16];
	int rc = lesson_keys(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "ftok(\"%s\", '%c'):\n"
		   "  st_ino = %lu (low 16 bits 0x%04lx), st_dev = 0x%lx (low 8 bits 0x%02lx), proj 0x%02x\n"
		   "  by hand: 0x%08x   ftok(): 0x%08x   %s\n",
		   r.path, r.proj, r.ino, r.ino & 0xffff, r.dev, r.dev & 0xff, r.proj,
		   (unsigned)r.by_hand, (unsigned)r.by_ftok, r.by_hand == r.by_ftok ? "(equal)" : "(DIFFER)");
	lesson_say(out, "ftok(\"/dev/shm\", '%c'), on a device whose low 8 bits are 0x%02lx:\n"
		   "  by hand: 0x%08x   ftok(): 0x%08x   %s\n\n", r.proj, r.dir_dev & 0xff,
		   (unsigned)r.dir_by_hand, (unsigned)r.dir_by_ftok,
		   r.dir_by_hand == r.dir_by_ftok ? "(equal)" : "(DIFFER)");
	if (r.collide[0][0] != '\0')
		lesson_say(out, "Two different files (of %lu looked at), one key 0x%08x:\n  %s\n  %s\n"
			   "  a segment created through the first, looked up through the second: %s\n\n",
			   r.scanned, (unsigned)r.collide_key, r.collide[0], r.collide[1],
			   !r.collide_tried ? "(key in use here; not tried)" :
			   r.collide_same_segment ? "the same segment" : "two segments");
	else
		lesson_say(out, "No two files with one key among the %lu files looked at.\n\n", r.scanned);
	lesson_say(out, "As `ipcs -m` lists them (key, shmid, owner uid, perms, bytes, nattch):\n"
		   "  keyed:       %s\n  IPC_PRIVATE: %s   (two IPC_PRIVATE segments: %s)\n\n",
		   r.ipcs_sysv, r.ipcs_private, r.private_ids_differ ? "two ids" : "ONE id");
	lesson_say(out, "A POSIX object as `ls -l /dev/shm` sees it:\n  %s\n", r.dev_shm);
	snprintf(key, sizeof(key), "0x%08x", (unsigned)r.by_ftok);
	lesson_str(out, "path", r.path);
	lesson_str(out, "ftok", key);
	lesson_int(out, "by_hand_equals_ftok", r.by_hand == r.by_ftok &&
		   r.dir_by_hand == r.dir_by_ftok);
	lesson_str(out, "collide_a", r.collide[0]);
	lesson_str(out, "collide_b", r.collide[1]);
	lesson_int(out, "collide_same_segment", r.collide_same_segment);
	lesson_int(out, "private_ids_differ", r.private_ids_differ);
	lesson_str(out, "ipcs_keyed", r.ipcs_sysv);
	lesson_str(out, "ipcs_private", r.ipcs_private);
	lesson_str(out, "dev_shm", r.dev_shm);
	return 0;
}

const struct lesson lesson_keys_def = {
	.name = "keys",
	.summary = "SysV keys: ftok's formula, two files that collide, IPC_PRIVATE; how ipcs and /dev/shm list objects",
	.intro =
	"A SysV object is found by a number, its key, often made by ftok() from a\n"
	"file. The lesson computes ftok's key by hand, finds two files on this\n"
	"machine that give the same key, makes IPC_PRIVATE segments, and shows how\n"
	"`ipcs` lists SysV segments and /dev/shm lists POSIX objects.\n",
	.why =
	"ftok keeps 16 bits of the inode and 8 of the device number: among a few\n"
	"hundred files two share a key (the birthday paradox), and programs that\n"
	"believed they had their own segment share one. IPC_PRIVATE (key 0) never\n"
	"collides, because no key can find it: pass the id, or fork. POSIX avoids\n"
	"keys entirely with names (\"/name\", a file on the /dev/shm tmpfs, listed\n"
	"and removed like files); a name can still clash, which is why O_EXCL and\n"
	"unique names matter in both families.\n",
	.run = show,
};
