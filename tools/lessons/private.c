/*
 * private.c - MAP_SHARED and MAP_PRIVATE on one POSIX object, and SysV's
 * one variant, SHM_RDONLY.
 *
 * POSIX: the parent maps a two-page shm_open object MAP_SHARED, a child
 * maps the same object MAP_PRIVATE. A private mapping shows the object's
 * pages until the process writes one: then the kernel copies that page
 * (copy on write) and the process sees its copy from then on. The other
 * page, never written, still shows the parent's writes.
 *
 *	parent (MAP_SHARED)          child (MAP_PRIVATE)
 *	page0 = page1 = 1
 *	                             reads page0: 1 (the object's page)
 *	                             writes page0 = 2 (now its own copy)
 *	page0 = page1 = 3
 *	reads page0: 3 (not 2)       reads page0: 2, page1: 3
 *
 * SysV: shmat has no private variant; a segment is always shared. Its one
 * option is SHM_RDONLY, and a write through such an attachment is a
 * SIGSEGV, as for any read-only page.
 *
 *   $ ipcmp lesson private
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson.h"

#define STEP_MS 5000               /* bound on each step of the other side */

struct child_report {
	int seen_before, own_after, other_page;
	char maps[LESSON_TEXT];
};

/* Reads exactly len bytes within timeout_ms; 0 or -errno. */
static int recv_within(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		int rc = poll(&p, 1, timeout_ms);
		ssize_t n;

		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0)
			return -errno;
		if ((n = read(fd, (char *)buf + got, len - got)) <= 0)
			return n == 0 ? -EPIPE : -errno;
		got += (size_t)n;
	}
	return 0;
}

static int step(int fd)
{
	return write(fd, "s", 1) == 1 ? 0 : -errno;
}

struct private_child {
	int sock, fd;
	size_t page;
};

static int private_side(void *arg)
{
	struct private_child *c = arg;
	struct child_report rep = { 0 };
	char b;
	volatile int *priv = mmap(NULL, 2 * c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE, c->fd, 0);
	volatile int *page1;

	if (priv == MAP_FAILED)
		return 1;
	page1 = (volatile int *)((char *)priv + c->page);
	if (recv_within(c->sock, &b, 1, STEP_MS) < 0)
		return 1;
	rep.seen_before = priv[0];
	priv[0] = 2;                       /* the kernel copies page 0 here */
	if (step(c->sock) < 0 || recv_within(c->sock, &b, 1, STEP_MS) < 0)
		return 1;
	rep.own_after = priv[0];
	rep.other_page = page1[0];
	lesson_maps_line((const void *)priv, rep.maps, sizeof(rep.maps));
	return write(c->sock, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1;
}

static int posix_private(struct private_result *r)
{
	struct private_child c = { .page = (size_t)sysconf(_SC_PAGESIZE) };
	struct child_report rep;
	volatile int *shared = MAP_FAILED;
	char name[64], b;
	int sv[2] = { -1, -1 }, st, rc;
	pid_t pid = -1;

	lesson_posix_name(name, sizeof(name), "private");
	if ((c.fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return -errno;
	shm_unlink(name);
	if (ftruncate(c.fd, (off_t)(2 * c.page)) < 0 ||
	    (shared = mmap(NULL, 2 * c.page, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0)) == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		rc = -errno;
		goto out;
	}
	lesson_maps_line((const void *)shared, r->shared_maps, sizeof(r->shared_maps));
	c.sock = sv[1];
	if ((pid = lesson_child(private_side, &c)) < 0) {
		rc = pid;
		goto out;
	}
	shared[0] = 1;
	shared[c.page / sizeof(int)] = 1;
	if ((rc = step(sv[0])) < 0 || (rc = recv_within(sv[0], &b, 1, STEP_MS)) < 0)
		goto out;
	shared[0] = 3;
	shared[c.page / sizeof(int)] = 3;
	r->parent_write_after = 3;
	r->parent_saw_child_write = shared[0] == 2;
	if ((rc = step(sv[0])) < 0 || (rc = recv_within(sv[0], &rep, sizeof(rep), STEP_MS)) < 0)
		goto out;
	r->seen_before_own_write = rep.seen_before;
	r->own_value_after_write = rep.own_after;
	r->other_page_still_shared = rep.other_page == 3;
	memcpy(r->private_maps, rep.maps, sizeof(r->private_maps));
out:
	if (pid > 0 && lesson_child_wait(pid, STEP_MS, &st) == 0 && rc == 0 &&
	    (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = -EPROTO;
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	if (shared != MAP_FAILED)
		munmap((void *)shared, 2 * c.page);
	close(c.fd);
	return rc;
}

struct rdonly_child {
	int sock, shmid;
};

struct rdonly_report {
	int read_ok;
	char maps[LESSON_TEXT];
};

static int rdonly_side(void *arg)
{
	struct rdonly_child *c = arg;
	struct rlimit no_core = { 0, 0 };
	struct rdonly_report rep = { 0 };
	volatile int *p = shmat(c->shmid, NULL, SHM_RDONLY);

	setrlimit(RLIMIT_CORE, &no_core);  /* the crash below is the lesson */
	if (p == (void *)-1)
		return 1;
	rep.read_ok = p[0] == 42;
	lesson_maps_line((const void *)p, rep.maps, sizeof(rep.maps));
	if (write(c->sock, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		return 1;
	p[0] = 43;                         /* SIGSEGV: the page is read-only */
	return 0;
}

static int sysv_rdonly(struct private_result *r)
{
	struct rdonly_child c = { .shmid = -1 };
	struct rdonly_report rep;
	int sv[2] = { -1, -1 }, st, rc;
	volatile int *p = (void *)-1;
	pid_t pid;

	if ((c.shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) < 0)
		return -errno;
	p = shmat(c.shmid, NULL, 0);
	/* Marked for removal now; Linux still lets the child attach it by id
	 * (shmctl(2): a segment marked for destruction can be attached). */
	shmctl(c.shmid, IPC_RMID, NULL);
	if (p == (void *)-1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		rc = -errno;
		goto out;
	}
	p[0] = 42;
	c.sock = sv[1];
	if ((pid = lesson_child(rdonly_side, &c)) < 0) {
		rc = pid;
		goto out;
	}
	rc = recv_within(sv[0], &rep, sizeof(rep), STEP_MS);
	if (lesson_child_wait(pid, STEP_MS, &st) == 0 && rc == 0) {
		r->rdonly_read_ok = rep.read_ok;
		memcpy(r->rdonly_maps, rep.maps, sizeof(r->rdonly_maps));
		r->rdonly_write_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
out:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	if (p != (void *)-1)
		shmdt((const void *)p);
	return rc;
}

int lesson_private(const struct lesson_opts *o, struct private_result *r)
{
	int rc;

	(void)o;
	memset(r, 0, sizeof(*r));
	if ((rc = posix_private(r)) < 0)
		return rc;
	return sysv_rdonly(r);
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct private_result r;
	int rc = lesson_private(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "POSIX object, parent MAP_SHARED, child MAP_PRIVATE:\n"
		   "  child reads page 0 before writing it:     %d  (the parent's 1)\n"
		   "  child writes 2, parent then writes 3:\n"
		   "  child reads page 0 after its own write:   %d  (its own copy)\n"
		   "  child reads page 1, which it never wrote: %s\n"
		   "  parent reads page 0:                      %s\n",
		   r.seen_before_own_write, r.own_value_after_write,
		   r.other_page_still_shared ? "3  (still the object's page)" : "not 3",
		   r.parent_saw_child_write ? "2  (the child's write leaked!)" : "3  (the child's write stayed private)");
	lesson_say(out, "  in the parent's maps: %s\n  in the child's maps:  %s\n\n",
		   r.shared_maps, r.private_maps);
	lesson_say(out, "SysV segment attached with SHM_RDONLY in a child:\n"
		   "  reads: %s\n  in its maps: %s\n  a write: %s\n",
		   r.rdonly_read_ok ? "ok, sees the parent's 42" : "FAILED",
		   r.rdonly_maps, r.rdonly_write_signal ? strsignal(r.rdonly_write_signal) : "no signal");
	lesson_int(out, "seen_before_own_write", r.seen_before_own_write);
	lesson_int(out, "own_value_after_write", r.own_value_after_write);
	lesson_int(out, "other_page_still_shared", r.other_page_still_shared);
	lesson_int(out, "parent_saw_child_write", r.parent_saw_child_write);
	lesson_str(out, "shared_maps", r.shared_maps);
	lesson_str(out, "private_maps", r.private_maps);
	lesson_int(out, "rdonly_read_ok", r.rdonly_read_ok);
	lesson_int(out, "rdonly_write_signal", r.rdonly_write_signal);
	lesson_str(out, "rdonly_maps", r.rdonly_maps);
	return 0;
}

const struct lesson lesson_private_def = {
	.name = "private",
	.summary = "MAP_SHARED vs MAP_PRIVATE on a shm_open object (copy on write); SysV's SHM_RDONLY",
	.intro =
	"A POSIX shared memory object is mapped twice: MAP_SHARED by a parent,\n"
	"MAP_PRIVATE by its child. Who sees whose writes, page by page? Then a\n"
	"SysV segment attached read-only, and what a write through it does.\n",
	.why =
	"MAP_PRIVATE maps the object's pages read-only behind the scenes; the\n"
	"first write to a page faults and the kernel gives the process its own\n"
	"copy of that page alone (copy on write). Until then the process sees the\n"
	"object change; afterwards, never again for that page, and nobody sees its\n"
	"writes. In /proc/PID/maps the flag is the 4th letter: s shared, p private.\n"
	"SysV shmat has no private mode: a segment is always shared, and\n"
	"SHM_RDONLY maps it r--s, so a write is a protection fault (SIGSEGV).\n",
	.run = show,
};
