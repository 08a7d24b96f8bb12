/*
 * fixture.c - see fixture.h.
 *
 * Criterion runs each test in its own exec'd worker, so the namespaces made
 * here die with the worker, also when the test crashes: nothing the test
 * made can reach the host. .fini assertions never fail a test in Criterion
 * 2.4.1, so the census check is census_assert_clean(), which every
 * BACKEND_TEST calls after its body.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "fixture.h"
#include "kcensus.h"
#include "procinfo.h"

#define NAMES_MAX 64
#define SHM_DIR "/dev/shm"                     /* glibc's shm_open and sem_open use it */
#define MQUEUE_DIR SHM_DIR "/.census-mqueue"   /* in the private tmpfs; the census skips it */

struct child_report {
	char msg[256];
};

static struct {
	int isolated;
	char mode[512];            /* what isolate() did, and why */
	int setup_err;             /* -errno of the failed setup step */
	const char *setup_step;
	const struct ipcmp_ops *ops;
	const char *label;           /* a test of no backend */
	struct ipcmp_census before;
	unsigned names_made;
	char names[NAMES_MAX][IPCMP_NAME_MAX + 1];
	struct child_report *reports;   /* MAP_SHARED: children write, parent reads */
} fx;

static int child_slot = -1;          /* in a child: its report */
static const void *inherited[CHILD_MAX];   /* see child_inherits */

static const char *backend(void)
{
	return fx.ops != NULL ? fx.ops->name : fx.label != NULL ? fx.label : "fixture";
}

static int setup_fail(const char *step)
{
	fx.setup_err = -errno;
	fx.setup_step = step;
	return -1;
}

/*
 * The mount that holds /dev/shm, from /proc/self/mountinfo ("ID PARENT
 * MAJ:MIN ROOT MOUNTPOINT ..."): the longest mount point that is /dev/shm
 * or one of its parents. In a chroot the mounts outside it are not
 * listed: "/" is listed only when the chroot's root is a mount point.
 */
static int shm_holder(char *holder, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mnt[4096];
	size_t best = 0;

	if (f == NULL)
		return -errno;
	holder[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len;

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		len = strlen(mnt);
		if (strcmp(mnt, "/") != 0 && (strncmp(SHM_DIR, mnt, len) != 0 ||
					      (SHM_DIR[len] != '\0' && SHM_DIR[len] != '/')))
			continue;
		if (len >= best && len < size) {
			strcpy(holder, mnt);
			best = len;
		}
	}
	fclose(f);
	return holder[0] != '\0' ? 0 : -ENOENT;
}

/*
 * When allowed (root, or CAP_SYS_ADMIN): a private IPC namespace, and a
 * private mount namespace in which /dev/shm is a fresh tmpfs and an mqueue
 * filesystem shows our queues.
 * A new mount propagates to the peers of the mount it is made on, which
 * may be the host's (a shared "/", as systemd makes it): so that mount,
 * the one holding /dev/shm, is made private first, with all below it.
 * That is "/" itself, or in a chroot, whose root is not a mount point, a
 * /dev or /dev/shm mounted inside it (as Debian's build chroots have).
 * Where none can be made private, or unshare is refused, the test runs
 * unisolated: names carry the pid, and the census is filtered by them.
 */
static int isolate(void)
{
	char holder[256];
	int rc;

	if ((rc = shm_holder(holder, sizeof(holder))) == -ENOENT) {
		snprintf(fx.mode, sizeof(fx.mode), "unisolated: %s lies on the chroot's root, "
			 "which is not a mount point, so new mounts there cannot be kept "
			 "from the host", SHM_DIR);
		return 0;
	}
	if (rc < 0) {
		snprintf(fx.mode, sizeof(fx.mode), "unisolated: /proc/self/mountinfo: %s",
			 strerror(-rc));
		return 0;
	}
	if (unshare(CLONE_NEWIPC | CLONE_NEWNS) < 0) {
		snprintf(fx.mode, sizeof(fx.mode), "unisolated: unshare(CLONE_NEWIPC | "
			 "CLONE_NEWNS): %s", strerror(errno));
		return 0;
	}
	fx.isolated = 1;
	snprintf(fx.mode, sizeof(fx.mode), "isolated: private IPC and mount namespaces, %s "
		 "made private, a tmpfs on %s", holder, SHM_DIR);
	/* "none", not NULL: valgrind flags a NULL type */
	if (mount("none", holder, "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_fail("mount(MS_REC | MS_PRIVATE) of the mount holding " SHM_DIR);
	if (mount("tmpfs", SHM_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return setup_fail("mount(tmpfs, " SHM_DIR ")");
	if (mkdir(MQUEUE_DIR, 0700) < 0)
		return setup_fail("mkdir(" MQUEUE_DIR ")");
	/* the mqueue fs shows the queues of the mounter's IPC namespace */
	if (mount("mqueue", MQUEUE_DIR, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return setup_fail("mount(mqueue)");
	return 0;
}

/* Not isolated: the objects of the probes this process ran (probe.h): POSIX
 * names "/ipcmp.probe.<pid>." and keys 0x7e<pid & 0xffff>xx. */
static int probe_ours(const struct ipcmp_census_entry *e)
{
	unsigned key_base = 0x7e000000u | (((unsigned)getpid() & 0xffffu) << 8);
	unsigned key;
	char buf[64];

	if (fx.label == NULL)
		return 0;
	if (sscanf(e->name, "0x%x", &key) == 1 && e->name[0] == '0')
		return (key & 0xffffff00u) == key_base;
	snprintf(buf, sizeof(buf), "/ipcmp.probe.%ld.", (long)getpid());
	return strncmp(e->name, buf, strlen(buf)) == 0;
}

/* Not isolated: does this object belong to a name this test made? */
static int ours(const struct ipcmp_census_entry *e)
{
	char buf[64];
	size_t len;

	if (probe_ours(e))
		return 1;
	for (unsigned i = 0; i < fx.names_made && i < NAMES_MAX; i++) {
		const char *name = fx.names[i];

		if (strcmp(e->kind, "shm") == 0 || strcmp(e->kind, "sem") == 0 ||
		    strcmp(e->kind, "msg") == 0) {
			snprintf(buf, sizeof(buf), "0x%08x", (unsigned)ipcmp_sysv_key(name));
			if (strcmp(e->name, buf) == 0)
				return 1;
			continue;
		}
		/* "/ipcmp.NAME" or "/ipcmp.NAME.suffix" */
		len = (size_t)snprintf(buf, sizeof(buf), IPCMP_POSIX_PREFIX "%s", name);
		if (strncmp(e->name, buf, len) == 0 &&
		    (e->name[len] == '\0' || e->name[len] == '.'))
			return 1;
	}
	return 0;
}

/* The queue that names a test made would have (posix-mq's is "/ipcmp.NAME"),
 * looked up by name where no mqueue filesystem lists them: see kcensus.h. */
static int add_queues(struct ipcmp_census *c)
{
	char q[sizeof(IPCMP_POSIX_PREFIX) + IPCMP_NAME_MAX];
	int rc;

	for (unsigned i = 0; i < fx.names_made && i < NAMES_MAX; i++) {
		snprintf(q, sizeof(q), IPCMP_POSIX_PREFIX "%s", fx.names[i]);
		if ((rc = kcensus_add_queue(c, q)) < 0)
			return rc;
	}
	return (int)c->n;
}

int fixture_census(struct ipcmp_census *c)
{
	int rc = kcensus_take(c, fx.isolated ? MQUEUE_DIR : NULL);

	if (rc < 0 || fx.isolated || kcensus_queues(NULL))
		return rc;
	return add_queues(c);
}

static int census_now(struct ipcmp_census *c)
{
	size_t keep = 0;
	int rc;

	rc = fixture_census(c);
	if (rc < 0 || fx.isolated)
		return rc;
	for (size_t i = 0; i < c->n; i++)
		if (ours(&c->e[i]))
			c->e[keep++] = c->e[i];
	c->n = keep;
	return (int)keep;
}

/* The pid of a test worker's channel name "t<pid>-<n>", or 0. */
static pid_t worker_of(const char *channel)
{
	long pid;
	unsigned n;
	int end = 0;

	if (sscanf(channel, "t%ld-%u%n", &pid, &n, &end) != 2 || channel[end] != '\0' ||
	    pid <= 0 || pid > INT32_MAX)
		return 0;
	return (pid_t)pid;
}

static void remove_channel(const char *channel)
{
	char q[sizeof(IPCMP_POSIX_PREFIX) + IPCMP_NAME_MAX];

	for (size_t b = 0; ipcmp_backends[b] != NULL; b++)
		ipcmp_unlink(ipcmp_backends[b], channel);
	/* a queue without its state is no channel to ipcmp_unlink (-EPROTO),
	 * but the name is a test's */
	snprintf(q, sizeof(q), IPCMP_POSIX_PREFIX "%s", channel);
	mq_unlink(q);
}

/*
 * The POSIX objects show the channel's name ("/ipcmp.NAME" or
 * "/ipcmp.NAME.suffix"), and removing the channel by name removes its
 * System V objects too (their key is the name's). A channel of System V
 * objects alone is not found: its key is a hash of the name, and reading
 * each segment's header would attach to other tests' segments.
 */
int fixture_worker_gone(pid_t pid)
{
	/* a pid that exists, even reused, keeps its objects */
	return kill(pid, 0) < 0 && errno == ESRCH;
}

int fixture_sweep_workers(int (*gone)(pid_t pid))
{
	struct ipcmp_census c;
	char channel[IPCMP_NAME_MAX + 1];
	const size_t prefix = strlen(IPCMP_POSIX_PREFIX);
	int swept = 0;

	if (kcensus_take(&c, NULL) < 0) {
		kcensus_free(&c);
		return 0;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct ipcmp_census_entry *e = &c.e[i];
		size_t len;
		pid_t pid;

		if (e->id != -1 || e->uid != (unsigned)geteuid() ||
		    strncmp(e->name, IPCMP_POSIX_PREFIX, prefix) != 0)
			continue;
		len = strcspn(e->name + prefix, ".");
		if (len > IPCMP_NAME_MAX)
			continue;
		memcpy(channel, e->name + prefix, len);
		channel[len] = '\0';
		if ((pid = worker_of(channel)) != 0 && gone(pid)) {
			remove_channel(channel);
			swept++;
		}
	}
	kcensus_free(&c);
	return swept;
}

void fixture_init(void)
{
	int rc;

	memset(&fx, 0, sizeof(fx));
	if (isolate() < 0 && fx.setup_err != 0)
		return;
	if (!fx.isolated)
		fixture_sweep_workers(fixture_worker_gone);
	if (!fx.isolated && !kcensus_queues(NULL)) {
		size_t len = strlen(fx.mode);

		snprintf(fx.mode + len, sizeof(fx.mode) - len, "; no mqueue filesystem lists the "
			 "POSIX queues, so the census looks up the queue of each name made");
	}
	if ((rc = census_now(&fx.before)) < 0) {
		fx.setup_err = rc;
		fx.setup_step = "census";
	}
}

void fixture_fini(void)
{
	/* Isolated: the namespaces go with the worker. Otherwise remove what a
	 * failed test left under its names, on every backend. */
	if (!fx.isolated)
		for (unsigned i = 0; i < fx.names_made && i < NAMES_MAX; i++)
			remove_channel(fx.names[i]);
	kcensus_free(&fx.before);
	if (fx.reports != NULL)
		munmap(fx.reports, CHILD_MAX * sizeof(*fx.reports));
	fx.reports = NULL;
	memset(inherited, 0, sizeof(inherited));
}

void fixture_begin(const struct ipcmp_ops *ops)
{
	fx.ops = ops;
	if (fx.setup_err != 0)
		cr_fatal("%s: fixture: %s: %s", backend(), fx.setup_step, strerror(-fx.setup_err));
}

void fixture_begin_probe(const char *label)
{
	fx.label = label;
	if (fx.setup_err != 0)
		cr_fatal("%s: fixture: %s: %s", label, fx.setup_step, strerror(-fx.setup_err));
}

static size_t describe(char *buf, size_t size, size_t used, const char *what,
		       const struct ipcmp_census_entry *e)
{
	int n;

	if (used >= size)
		return used;
	n = snprintf(buf + used, size - used, " %s %s %s (id %ld, mode %o);", what, e->kind,
		     e->name, e->id, e->mode);
	return n < 0 ? used : used + (size_t)n;
}

void census_assert_clean(void)
{
	struct ipcmp_census after;
	char diff[1024] = "";
	size_t used = 0;
	int ndiff = 0;
	int rc = census_now(&after);

	if (rc < 0) {
		kcensus_free(&after);
		cr_fatal("%s: census: %s", backend(), strerror(-rc));
	}
	for (size_t i = 0; i < after.n; i++)
		if (kcensus_find(&fx.before, &after.e[i]) == NULL) {
			used = describe(diff, sizeof(diff), used, "left", &after.e[i]);
			ndiff++;
		}
	for (size_t i = 0; i < fx.before.n; i++)
		if (kcensus_find(&after, &fx.before.e[i]) == NULL) {
			used = describe(diff, sizeof(diff), used, "removed", &fx.before.e[i]);
			ndiff++;
		}
	kcensus_free(&after);
	cr_assert(eq(int, ndiff, 0), "%s: the IPC objects after the test differ from before:%s",
		  backend(), diff);
}

const char *fixture_name_len(size_t len)
{
	char *name;
	size_t n;

	cr_assert(lt(int, fx.names_made, NAMES_MAX), "%s: fixture: more than %d names",
		  backend(), NAMES_MAX);
	cr_assert(le(sz, len, (size_t)IPCMP_NAME_MAX), "%s: fixture: name length %zu",
		  backend(), len);
	name = fx.names[fx.names_made];
	n = (size_t)snprintf(name, IPCMP_NAME_MAX + 1, "t%ld-%u", (long)getpid(), fx.names_made);
	while (n < len)
		name[n++] = 'x';
	name[n] = '\0';
	fx.names_made++;
	return name;
}

const char *fixture_name(void)
{
	return fixture_name_len(0);
}

int fixture_isolated(void)
{
	return fx.isolated;
}

const char *fixture_mode(void)
{
	return fx.mode;
}

/*
 * Root bypasses the permission bits, so the cross-user tests drop to
 * nobody in a child. Root in a user namespace (unshare -Ur, a rootless
 * container) cannot: uid 65534 is not mapped there, and setgid/setuid give
 * EINVAL (user_namespaces(7)). A child tries it once per worker.
 */
const char *fixture_no_nobody(void)
{
	static char why[160];
	static int probed;
	int st = 0;
	pid_t pid;

	if (probed)
		return why[0] != '\0' ? why : NULL;
	probed = 1;
	if (geteuid() != 0) {
		snprintf(why, sizeof(why), "not root: becoming another user needs root");
		return why;
	}
	if ((pid = fork()) == 0) {
		int rc = drop_to_nobody();

		fixture_exit(rc < 0 ? -rc : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		snprintf(why, sizeof(why), "cannot become nobody: the probe child failed");
	else if (WEXITSTATUS(st) != 0)
		snprintf(why, sizeof(why), "cannot become nobody: setgroups/setgid/setuid(%u): %s%s",
			 NOBODY, strerror(WEXITSTATUS(st)), WEXITSTATUS(st) == EINVAL ?
			 " (the uid is not mapped: a user namespace)" : "");
	return why[0] != '\0' ? why : NULL;
}

int fixture_valgrind(void)
{
	const char *v = getenv("IPCMP_VALGRIND");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

size_t fixture_scale(size_t native, size_t valgrind)
{
	return fixture_valgrind() ? valgrind : native;
}

int fixture_wait_ms(void)
{
	return fixture_valgrind() ? 60000 : 10000;
}

struct ipcmp_chan *chan_create_ok(const struct ipcmp_ops *ops, const char *name,
				  size_t msg_max, size_t capacity, int flags)
{
	struct ipcmp_attr attr = { .msg_max = msg_max, .capacity = capacity, .flags = flags };
	struct ipcmp_chan *chan = NULL;
	int rc = ipcmp_create(ops, name, &attr, &chan);

	cr_assert(eq(int, rc, 0), "%s: create %s (msg_max %zu, capacity %zu): %s (%s)",
		  ops->name, name, msg_max, capacity, ipcmp_strerror(rc),
		  ipcmp_call ? ipcmp_call : "-");
	return chan;
}

struct ipcmp_chan *chan_open_ok(const struct ipcmp_ops *ops, const char *name, int flags)
{
	struct ipcmp_chan *chan = NULL;
	int rc = ipcmp_open(ops, name, flags, &chan);

	cr_assert(eq(int, rc, 0), "%s: open %s (flags %d): %s (%s)", ops->name, name, flags,
		  ipcmp_strerror(rc), ipcmp_call ? ipcmp_call : "-");
	return chan;
}

void chan_close_ok(struct ipcmp_chan *chan)
{
	const char *name = chan->ops->name;
	int rc = ipcmp_close(chan);

	cr_assert(eq(int, rc, 0), "%s: close: %s (%s)", name, ipcmp_strerror(rc),
		  ipcmp_call ? ipcmp_call : "-");
}

void chan_unlink_ok(const struct ipcmp_ops *ops, const char *name)
{
	int rc = ipcmp_unlink(ops, name);

	cr_assert(eq(int, rc, 0), "%s: unlink %s: %s (%s)", ops->name, name,
		  ipcmp_strerror(rc), ipcmp_call ? ipcmp_call : "-");
}

void limits_ok(const struct ipcmp_ops *ops, struct ipcmp_limits *lim)
{
	int rc = ipcmp_limits(ops, lim);

	cr_assert(eq(int, rc, 0), "%s: limits: %s", ops->name, ipcmp_strerror(rc));
}

void child_inherits(const void *p)
{
	for (size_t i = 0; i < CHILD_MAX; i++)
		if (inherited[i] == NULL || inherited[i] == p) {
			inherited[i] = p;
			return;
		}
	cr_fatal("%s: child_inherits: more than %d blocks", backend(), CHILD_MAX);
}

pid_t child_start(int slot)
{
	pid_t parent = getpid();
	pid_t pid;

	cr_assert(lt(int, slot, CHILD_MAX), "%s: child slot %d", backend(), slot);
	if (fx.reports == NULL) {
		void *m = mmap(NULL, CHILD_MAX * sizeof(*fx.reports), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			cr_fatal("%s: mmap: %s", backend(), strerror(errno));
		fx.reports = m;
	}
	fx.reports[slot].msg[0] = '\0';
	pid = fork();
	if (pid < 0)
		cr_fatal("%s: fork: %s", backend(), strerror(errno));
	if (pid == 0) {
		child_slot = slot;
		/* the child must not outlive the worker, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			fixture_exit(126);
	}
	return pid;
}

/* gcov keeps its counts in the process and writes them at exit(), which
 * _exit skips: the coverage build writes them first. */
#ifdef IPCMP_COVERAGE
void __gcov_dump(void);
#endif

_Noreturn void fixture_exit(int status)
{
#ifdef IPCMP_COVERAGE
	__gcov_dump();
#endif
	_exit(status);
}

_Noreturn void child_exit(void)
{
	fixture_exit(0);
}

_Noreturn void child_failf(const char *fmt, ...)
{
	va_list ap;

	if (fx.reports != NULL && child_slot >= 0) {
		va_start(ap, fmt);
		vsnprintf(fx.reports[child_slot].msg, sizeof(fx.reports[child_slot].msg), fmt, ap);
		va_end(ap);
	}
	fixture_exit(1);
}

void child_assert_ok(pid_t pid, int slot, int timeout_ms, const char *what)
{
	struct timespec tick = { 0, 1000000 };
	const char *msg = fx.reports != NULL ? fx.reports[slot].msg : "";
	int st = 0, waited = 0;
	pid_t rc;

	while ((rc = waitpid(pid, &st, WNOHANG)) == 0 && waited < timeout_ms) {
		nanosleep(&tick, NULL);
		waited++;
	}
	if (rc == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_fatal("%s: %s: still running after %d ms (killed)", backend(), what, timeout_ms);
	}
	if (rc < 0)
		cr_fatal("%s: %s: waitpid: %s", backend(), what, strerror(errno));
	if (WIFSIGNALED(st))
		cr_fatal("%s: %s: killed by signal %d", backend(), what, WTERMSIG(st));
	cr_assert(eq(int, WEXITSTATUS(st), 0), "%s: %s: %s", backend(), what,
		  msg[0] != '\0' ? msg : "failed");
}

size_t payload_len(uint64_t seq, size_t max)
{
	uint32_t h = (uint32_t)(seq * 2654435761u);

	switch (h >> 29) {
	case 0:
		return 0;
	case 1:
		return max;
	default:
		return (h >> 3) % (max + 1);
	}
}

static unsigned char pattern(uint64_t seq, size_t j)
{
	return (unsigned char)(seq * 31 + j * 7 + (seq >> 8) + (j >> 8));
}

void payload_fill(void *buf, size_t len, uint64_t seq)
{
	unsigned char *p = buf;

	for (size_t j = 0; j < len; j++)
		p[j] = j < 8 ? (unsigned char)(seq >> (8 * j)) : pattern(seq, j);
}

int payload_check(const void *buf, size_t len, uint64_t seq)
{
	const unsigned char *p = buf;

	for (size_t j = 0; j < len; j++)
		if (p[j] != (j < 8 ? (unsigned char)(seq >> (8 * j)) : pattern(seq, j)))
			return (int)j + 1;
	return 0;
}

uint64_t payload_seq(const void *buf)
{
	const unsigned char *p = buf;
	uint64_t seq = 0;

	for (int j = 7; j >= 0; j--)
		seq = seq << 8 | p[j];
	return seq;
}
