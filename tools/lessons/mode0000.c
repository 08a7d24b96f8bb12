/*
 * mode0000.c - an object created with mode 0000: who can use it after?
 *
 *   SysV:  id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0000)   succeeds
 *          shmat(id, ...)              the creator too is checked: EACCES
 *          shmget(key, 0, 0)           finds it: asks for no permission
 *          shmget(key, 0, 0600)        EACCES
 *   POSIX: fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0000)   succeeds,
 *          and fd is read-write: a new file is not checked against its mode
 *          shm_open(name, O_RDWR)      EACCES, even for the owner
 *
 * Root passes every check (CAP_IPC_OWNER for SysV, CAP_DAC_OVERRIDE for the
 * /dev/shm file). So the lesson runs the steps as this process and, when it
 * is root, again in a child that became nobody (65534), the plain user.
 * The owner can always repair or remove it: shmctl(IPC_SET or IPC_RMID),
 * fchmod or shm_unlink.
 *
 *   $ ipcmp lesson mode-0000
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson.h"

#define NOBODY 65534
#define NOT_APPLICABLE (-1)

static int err_of(int rc)
{
	return rc < 0 ? errno : 0;
}

static void sysv_steps(struct mode0000_side *s)
{
	key_t key = lesson_sysv_key();
	int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0000);
	void *p;

	s->create_err = err_of(id);
	if (id < 0)
		return;
	p = shmat(id, NULL, 0);
	s->first_handle_err = p == (void *)-1 ? errno : 0;
	if (p != (void *)-1)
		shmdt(p);
	s->reopen_noperm_err = err_of(shmget(key, 0, 0));
	s->reopen_err = err_of(shmget(key, 0, 0600));
	shmctl(id, IPC_RMID, NULL);        /* the owner may, whatever the mode */
}

static void posix_steps(struct mode0000_side *s)
{
	char name[64];
	int fd, again;
	void *p;

	lesson_posix_name(name, sizeof(name), "mode0000");
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0000);
	s->create_err = err_of(fd);
	s->reopen_noperm_err = NOT_APPLICABLE;
	if (fd < 0)
		return;
	if (ftruncate(fd, 4096) < 0) {
		s->first_handle_err = errno;
	} else {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		s->first_handle_err = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	again = shm_open(name, O_RDWR, 0);
	s->reopen_err = err_of(again);
	if (again >= 0)
		close(again);
	close(fd);
	shm_unlink(name);                  /* the owner may: /dev/shm is sticky */
}

static void both(struct mode0000_side *side)
{
	sysv_steps(&side[LESSON_SYSV]);
	posix_steps(&side[LESSON_POSIX]);
}

/* What the nobody child hands back, through shared memory. */
struct nobody_report {
	struct mode0000_side side[LESSON_FAMILIES];
	const char *call;          /* the call that failed to make it nobody */
	int err;
};

/* In a child: become nobody, run the steps. Exit 2: could not. */
static int as_nobody(void *arg)
{
	struct nobody_report *rep = arg;

	rep->call = "setgroups";
	if (setgroups(0, NULL) == 0) {
		rep->call = "setgid";
		if (setgid(NOBODY) == 0) {
			rep->call = "setuid";
			if (setuid(NOBODY) == 0)
				rep->call = NULL;
		}
	}
	if (rep->call != NULL) {
		rep->err = errno;
		return 2;
	}
	both(rep->side);
	return 0;
}

int lesson_mode0000(const struct lesson_opts *o, struct mode0000_result *r)
{
	struct nobody_report *shared;
	pid_t pid;
	int st, rc;

	(void)o;
	memset(r, 0, sizeof(*r));
	r->root = geteuid() == 0;
	r->valgrind = lesson_valgrind();
	both(r->self);
	if (!r->root) {
		snprintf(r->plain_skip, sizeof(r->plain_skip),
			 "already a plain user (uid %ld): the rows above are the plain user's",
			 (long)geteuid());
		return 0;
	}
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -errno;
	if ((pid = lesson_child(as_nobody, shared)) < 0) {
		munmap(shared, sizeof(*shared));
		return pid;
	}
	rc = lesson_child_wait(pid, 5000, &st);
	if (rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		r->plain_ran = 1;
		memcpy(r->plain, shared->side, sizeof(r->plain));
	} else if (rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2) {
		snprintf(r->plain_skip, sizeof(r->plain_skip),
			 "cannot become nobody: %s: %s (%s)", shared->call, strerror(shared->err),
			 shared->err == EINVAL || shared->err == EPERM ?
			 "a user namespace, where uid 65534 is not mapped?" : "root without CAP_SETUID?");
	} else {
		rc = rc < 0 ? rc : -EPROTO;
	}
	munmap(shared, sizeof(*shared));
	return rc < 0 ? rc : 0;
}

static const char *outcome(int err)
{
	static _Thread_local char buf[4][48];
	static _Thread_local int next;
	char *b = buf[next++ & 3];

	if (err == NOT_APPLICABLE)
		return "-";
	if (err == 0)
		return "ok";
	snprintf(b, sizeof(buf[0]), "%s", strerrorname_np(err) ? strerrorname_np(err) : "?");
	return b;
}

static void table(struct lesson_out *out, const char *key, const char *who,
		  const struct mode0000_side *s)
{
	lesson_say(out, "  %s:\n", who);
	lesson_say(out, "    SysV  shmget(key, 4096, IPC_CREAT|IPC_EXCL|0000)  %s\n"
		   "          shmat(id) by the creator                   %s\n"
		   "          shmget(key, 0, 0)    (no permission asked) %s\n"
		   "          shmget(key, 0, 0600)                       %s\n",
		   outcome(s[LESSON_SYSV].create_err), outcome(s[LESSON_SYSV].first_handle_err),
		   outcome(s[LESSON_SYSV].reopen_noperm_err), outcome(s[LESSON_SYSV].reopen_err));
	lesson_say(out, "    POSIX shm_open(name, O_CREAT|O_EXCL|O_RDWR, 0000) %s\n"
		   "          ftruncate+mmap on that first fd            %s\n"
		   "          shm_open(name, O_RDWR) again               %s\n",
		   outcome(s[LESSON_POSIX].create_err), outcome(s[LESSON_POSIX].first_handle_err),
		   outcome(s[LESSON_POSIX].reopen_err));
	lesson_open(out, key);
	for (int f = 0; f < LESSON_FAMILIES; f++) {
		lesson_open(out, lesson_family[f]);
		lesson_str(out, "create", outcome(s[f].create_err));
		lesson_str(out, "first_handle", outcome(s[f].first_handle_err));
		lesson_str(out, "reopen", outcome(s[f].reopen_err));
		lesson_str(out, "reopen_no_permission_asked", outcome(s[f].reopen_noperm_err));
		lesson_close(out);
	}
	lesson_close(out);
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct mode0000_result r;
	char who[64];
	int rc = lesson_mode0000(o, &r);

	if (rc < 0)
		return rc;
	snprintf(who, sizeof(who), "as this process (uid %ld%s), the owner", (long)geteuid(),
		 r.root ? ", root" : "");
	table(out, "self", who, r.self);
	if (r.root && (r.self[LESSON_SYSV].first_handle_err != 0 ||
		       r.self[LESSON_POSIX].reopen_err != 0))
		lesson_say(out, "  (refused although uid 0: this root lacks the capability over these\n"
			   "   objects, as root of a user namespace does over the host's IPC namespace)\n");
	if (r.plain_ran)
		table(out, "nobody", "as nobody (uid 65534), the owner", r.plain);
	else
		lesson_say(out, "  as a plain user: not run: %s\n", r.plain_skip);
	if (r.valgrind)
		lesson_say(out, "  (under valgrind, shmat gives EINVAL, not EACCES: memcheck\n"
			   "   calls IPC_STAT itself first, and that is refused)\n");
	lesson_int(out, "root", r.root);
	lesson_int(out, "plain_ran", r.plain_ran);
	lesson_str(out, "plain_skip", r.plain_skip);
	return 0;
}

const struct lesson lesson_mode0000_def = {
	.name = "mode-0000",
	.summary = "an object created with mode 0000: the owner locked out, root not",
	.intro =
	"A SysV segment and a POSIX object are created with mode 0000 (a forgotten\n"
	"mode argument, or a umask of 0777). Then the owner uses the first handle\n"
	"and opens the object again; as root, and as a plain user.\n",
	.why =
	"Permission bits apply to the owner too: mode 0000 means nobody but a\n"
	"process with the capability to override (root: CAP_IPC_OWNER for SysV,\n"
	"CAP_DAC_OVERRIDE for the /dev/shm file) gets in. The families differ on\n"
	"the first handle: POSIX checks at open only, and the open that creates a\n"
	"file is not checked against the mode it gives, so the creator's fd works;\n"
	"SysV checks at every shmat, so even the creator cannot attach. Finding\n"
	"the segment (shmget with no permission bits asked) still works. The owner\n"
	"can always repair it (shmctl IPC_SET, fchmod) or remove it.\n",
	.run = show,
};
