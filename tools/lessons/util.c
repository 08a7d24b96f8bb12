/* util.c - what every lesson shares: output, memory, worker teams, clocks. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "lesson.h"

const char *const lesson_family[LESSON_FAMILIES] = { "SysV shm", "POSIX shm" };

/* ---- output ---- */

void lesson_say(struct lesson_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

static void key(struct lesson_out *o, const char *k)
{
	if (!o->first[o->depth])
		fputs(", ", o->f);
	o->first[o->depth] = 0;
	if (k != NULL)
		fprintf(o->f, "\"%s\": ", k);
}

static void nest(struct lesson_out *o, const char *k, const char *bracket)
{
	if (!o->json)
		return;
	if (o->depth > 0)
		key(o, k);
	fputs(bracket, o->f);
	if (o->depth < 7)
		o->depth++;
	o->first[o->depth] = 1;
}

static void unnest(struct lesson_out *o, const char *bracket)
{
	if (!o->json)
		return;
	fputs(bracket, o->f);
	if (o->depth > 0)
		o->depth--;
}

void lesson_open(struct lesson_out *o, const char *k) { nest(o, k, "{"); }
void lesson_close(struct lesson_out *o) { unnest(o, "}"); }
void lesson_array(struct lesson_out *o, const char *k) { nest(o, k, "["); }
void lesson_close_array(struct lesson_out *o) { unnest(o, "]"); }

void lesson_int(struct lesson_out *o, const char *k, long long v)
{
	if (!o->json)
		return;
	key(o, k);
	fprintf(o->f, "%lld", v);
}

void lesson_num(struct lesson_out *o, const char *k, double v)
{
	if (!o->json)
		return;
	key(o, k);
	fprintf(o->f, "%.6g", v);
}

void lesson_str(struct lesson_out *o, const char *k, const char *v)
{
	if (!o->json)
		return;
	key(o, k);
	fputc('"', o->f);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fprintf(o->f, "\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			fprintf(o->f, "\\u%04x", *v);
		else
			fputc(*v, o->f);
	}
	fputc('"', o->f);
}

/* ---- names ---- */

static unsigned name_counter;

const char *lesson_posix_name(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/ipcmp.lesson.%ld.%u.%s", (long)getpid(), name_counter++, tag);
	return buf;
}

/* 0x7d000000..0x7dffffff: apart from the probes' range; created IPC_EXCL, so
 * a stranger's object under the same key is an error, never a mix-up. */
key_t lesson_sysv_key(void)
{
	return (key_t)(0x7d000000u | (((unsigned)getpid() & 0xffffu) << 8) |
		       (name_counter++ & 0xffu));
}

/* ---- memory ---- */

int lesson_mem_create(struct lesson_mem *m, int family, size_t size)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->family = family;
	m->size = size;
	if (family == LESSON_SYSV) {
		/* SysV: a segment has a key or IPC_PRIVATE, and an id; once marked
		 * IPC_RMID it goes when the last process detaches (fork attaches). */
		int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);

		if (id < 0)
			return -errno;
		m->p = shmat(id, NULL, 0);
		err = errno;
		shmctl(id, IPC_RMID, NULL);
		if (m->p == (void *)-1) {
			m->p = NULL;
			return -err;
		}
		snprintf(m->name, sizeof(m->name), "shmid %d", id);
		return 0;
	}
	/* POSIX: a name in /dev/shm and a file descriptor; once unlinked and
	 * closed, the memory lives while mapped (fork keeps the mapping). */
	lesson_posix_name(m->name, sizeof(m->name), "mem");
	int fd = shm_open(m->name, O_RDWR | O_CREAT | O_EXCL, 0600);

	if (fd < 0)
		return -errno;
	shm_unlink(m->name);
	if (ftruncate(fd, (off_t)size) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	m->p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (m->p == MAP_FAILED) {
		m->p = NULL;
		return -err;
	}
	return 0;
}

void lesson_mem_destroy(struct lesson_mem *m)
{
	if (m->p == NULL)
		return;
	if (m->family == LESSON_SYSV)
		shmdt(m->p);
	else
		munmap(m->p, m->size);
	m->p = NULL;
}

/* ---- clocks, CPUs, options ---- */

double lesson_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int lesson_cpus(int *cpu, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	return n > 0 ? n : 1;
}

int lesson_valgrind(void)
{
	const char *v = getenv("IPCMP_VALGRIND");

	return RUNNING_ON_VALGRIND || (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0);
}

unsigned lesson_processes(const struct lesson_opts *o, unsigned def)
{
	unsigned n = o != NULL && o->processes != 0 ? o->processes : def;

	return n < 2 ? 2 : n > LESSON_PROC_MAX ? LESSON_PROC_MAX : n;
}

unsigned long lesson_iterations(const struct lesson_opts *o, unsigned long def)
{
	return o != NULL && o->iterations != 0 ? o->iterations : def;
}

/* ---- worker teams ---- */

struct team_ctl {
	int n;
	atomic_int ready;
	atomic_int go;
	atomic_int running;
	double seconds[LESSON_PROC_MAX];
};

static struct team_ctl *team_ctl;
static int one_cpu;                /* the team shares one CPU */

int lesson_spin(unsigned long turn, double deadline)
{
	if (!one_cpu && (turn & 0x3ff) != 0)
		return 0;
	if (lesson_clock() > deadline)
		return -1;
	sched_yield();
	return 0;
}

void lesson_team_times(int i, double seconds)
{
	if (team_ctl != NULL && i >= 0 && i < LESSON_PROC_MAX)
		team_ctl->seconds[i] = seconds;
}

double lesson_team_max(const struct lesson_team *t)
{
	double max = 0;

	for (int i = 0; i < t->n; i++)
		if (t->seconds[i] > max)
			max = t->seconds[i];
	return max;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static _Noreturn void worker(struct team_ctl *ctl, int i, int cpu,
			     int (*work)(int, void *), void *arg, pid_t parent)
{
	double deadline = lesson_clock() + 10;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	atomic_fetch_add(&ctl->ready, 1);
	while (atomic_load(&ctl->go) == 0)
		if (lesson_clock() > deadline)
			_exit(124);
	/* The gate: the parent, waking to open it, may have taken one worker's
	 * CPU for a moment. Meet again, spinning, so that all are running when
	 * the last one arrives, and all start within a cache miss. */
	atomic_fetch_add(&ctl->running, 1);
	while (atomic_load(&ctl->running) < ctl->n)
		if (lesson_clock() > deadline)
			_exit(124);
	_exit(work(i, arg) & 0x7f);
}

/* Reaps every child in pid[0..n); kills all when one fails or time runs out. */
static int reap(pid_t *pid, int n, double deadline, int *failed)
{
	int left = n, rc = 0, st;

	while (left > 0) {
		for (int i = 0; i < n; i++) {
			if (pid[i] <= 0)
				continue;
			pid_t r = waitpid(pid[i], &st, WNOHANG);
			if (r == 0)
				continue;
			pid[i] = 0;
			left--;
			if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				if (rc == 0) {
					rc = -EPROTO;
					*failed = i;
				}
				deadline = 0;      /* stop the others now */
			}
		}
		if (left == 0)
			break;
		if (lesson_clock() > deadline) {
			if (rc == 0)
				rc = -ETIMEDOUT;
			for (int i = 0; i < n; i++)
				if (pid[i] > 0)
					kill(pid[i], SIGKILL);
			for (int i = 0; i < n; i++)
				if (pid[i] > 0)
					waitpid(pid[i], &st, 0);
			break;
		}
		sleep_ms(1);
	}
	return rc;
}

int lesson_team_run(struct lesson_team *t, int n, int (*work)(int i, void *arg), void *arg,
		    int timeout_ms)
{
	int cpus[LESSON_PROC_MAX];
	pid_t pid[LESSON_PROC_MAX];
	pid_t parent = getpid();
	double deadline;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->failed = -1;
	t->ncpu = lesson_cpus(cpus, LESSON_PROC_MAX);
	one_cpu = t->ncpu < 2;
	team_ctl = mmap(NULL, sizeof(*team_ctl), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (team_ctl == MAP_FAILED) {
		team_ctl = NULL;
		return -errno;
	}
	team_ctl->n = n;
	fflush(NULL);                      /* children must not flush our buffers */
	for (int i = 0; i < n; i++) {
		t->cpu[i] = t->ncpu >= 2 ? cpus[i % t->ncpu] : -1;
		pid[i] = fork();
		if (pid[i] == 0)
			worker(team_ctl, i, t->cpu[i], work, arg, parent);
		if (pid[i] < 0) {
			rc = -errno;
			for (int j = 0; j < i; j++)
				kill(pid[j], SIGKILL);
			reap(pid, i, 0, &t->failed);
			goto out;
		}
	}
	deadline = lesson_clock() + timeout_ms / 1000.0;
	while (atomic_load(&team_ctl->ready) < n && lesson_clock() < deadline)
		sleep_ms(1);
	atomic_store(&team_ctl->go, 1);
	rc = reap(pid, n, deadline, &t->failed);
	for (int i = 0; i < n; i++)
		t->seconds[i] = team_ctl->seconds[i];
out:
	munmap(team_ctl, sizeof(*team_ctl));
	team_ctl = NULL;
	return rc;
}

pid_t lesson_child(int (*fn)(void *arg), void *arg)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		_exit(fn(arg) & 0x7f);
	}
	return pid < 0 ? -errno : pid;
}

int lesson_child_wait(pid_t pid, int timeout_ms, int *status)
{
	double deadline = lesson_clock() + timeout_ms / 1000.0;
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) == 0 && lesson_clock() < deadline)
		sleep_ms(1);
	if (r > 0)
		return 0;
	if (r < 0)
		return -errno;
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -ETIMEDOUT;
}

/* ---- /proc/self/maps ---- */

int lesson_maps_line(const void *addr, char *line, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char buf[512];
	int rc = -ENOENT;

	if (f == NULL)
		return -errno;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		unsigned long lo, hi;

		if (sscanf(buf, "%lx-%lx", &lo, &hi) == 2 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			size_t o = 0;

			/* the line with its runs of blanks squeezed to one */
			for (char *c = buf; *c != '\0' && *c != '\n' && o + 1 < size; c++)
				if (*c != ' ' || (o > 0 && line[o - 1] != ' '))
					line[o++] = *c;
			line[o] = '\0';
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int lesson_maps_count(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0, c;

	if (f == NULL)
		return -errno;
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}
