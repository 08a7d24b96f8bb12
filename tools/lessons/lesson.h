/*
 * lesson.h - `ipcmp lesson`: what shared memory does underneath, shown live.
 *
 * A lesson is a function that measures into a result struct (the suite
 * asserts on it, --json prints it) and a printer for a reader; its struct
 * lesson (name, summary, intro, why, run = measure then print) is listed
 * in lessons.c. Lessons fork real processes over both families' shared
 * memory, bound every wait, kill and reap their children on every path,
 * and remove every object they make. Memory under study is marked for
 * removal (IPC_RMID, shm_unlink) as soon as it is attached or mapped, so
 * even a killed lesson leaves none behind; only the objects whose name is
 * the lesson (mode-0000, keys) exist under a name for a moment.
 *
 * Measuring functions return 0 or -errno and never print; children end
 * with _exit and die with their parent (PR_SET_PDEATHSIG).
 */
#ifndef IPCMP_LESSON_H
#define IPCMP_LESSON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define LESSON_PROC_MAX 64
#define LESSON_TEXT 200

struct lesson_opts {
	unsigned processes;        /* 0: the lesson's default */
	unsigned long iterations;  /* 0: the lesson's default */
};

/* Where a printer writes: prose for a reader, or the numbers as JSON. */
struct lesson_out {
	FILE *f;
	int json;
	int depth;
	int first[8];
};

struct lesson {
	const char *name;
	const char *summary;       /* one line, for `ipcmp lesson` */
	const char *intro;         /* what it will show, a few lines */
	const char *why;           /* why it happened, after the numbers */
	int (*run)(const struct lesson_opts *, struct lesson_out *);   /* measure, print */
};

extern const struct lesson *const lessons[];   /* ends with NULL */
const struct lesson *lesson_find(const char *name);

/* Output: say() is prose (text only); the rest are JSON fields (JSON only). */
void lesson_say(struct lesson_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lesson_open(struct lesson_out *o, const char *key);   /* key NULL: in an array */
void lesson_close(struct lesson_out *o);
void lesson_array(struct lesson_out *o, const char *key);
void lesson_close_array(struct lesson_out *o);
void lesson_int(struct lesson_out *o, const char *key, long long v);
void lesson_num(struct lesson_out *o, const char *key, double v);
void lesson_str(struct lesson_out *o, const char *key, const char *v);

/* The memory under study, in either family. Removed from the namespace as
 * soon as it is mapped: it lives while mapped, and fork() shares it. */
enum { LESSON_SYSV, LESSON_POSIX, LESSON_FAMILIES };
struct lesson_mem {
	int family;
	size_t size;
	void *p;
	char name[64];             /* POSIX: the name it had; SysV: "shmid N" */
};
int lesson_mem_create(struct lesson_mem *m, int family, size_t size);
void lesson_mem_destroy(struct lesson_mem *m);
extern const char *const lesson_family[LESSON_FAMILIES];   /* "SysV shm", "POSIX shm" */

/* "/ipcmp.lesson.<pid>.<n>.<tag>": `ipcmp clean` knows the prefix. */
const char *lesson_posix_name(char *buf, size_t size, const char *tag);
key_t lesson_sysv_key(void);               /* unique to this process and call */

/*
 * A team of worker processes. Each is pinned to a CPU of its own when there
 * are enough (cpu i mod ncpu), waits at a start gate so that all begin
 * together, runs work(i, arg) and _exits with its return value (0: ok).
 * team_run starts them, opens the gate, and waits at most timeout_ms for
 * all of them; on any failure it kills and reaps every child.
 * Returns 0, -ETIMEDOUT, or -EPROTO (a worker failed: t->failed is its index).
 */
struct lesson_team {
	int n;
	int ncpu;                  /* CPUs this process may run on */
	int cpu[LESSON_PROC_MAX];  /* where worker i ran (-1: not pinned) */
	double seconds[LESSON_PROC_MAX];   /* worker i's own timing (lesson_clock) */
	int failed;
};
int lesson_team_run(struct lesson_team *t, int n, int (*work)(int i, void *arg), void *arg,
		    int timeout_ms);
void lesson_team_times(int i, double seconds);   /* in a worker: report its time */
/* In a worker's spin loop, each turn: -1 once deadline (lesson_clock) has
 * passed. With one CPU it yields at every turn (the other side must run
 * for the value to change), else only now and then. */
int lesson_spin(unsigned long turn, double deadline);
double lesson_team_max(const struct lesson_team *t);

/* One child running fn(arg), which _exits with its return value. Waiting
 * is bounded: after timeout_ms the child is killed and reaped, -ETIMEDOUT.
 * Else 0, and *status is waitpid's. */
pid_t lesson_child(int (*fn)(void *arg), void *arg);
int lesson_child_wait(pid_t pid, int timeout_ms, int *status);

int lesson_cpus(int *cpu, int max);        /* the CPUs we may run on; count */
double lesson_clock(void);                 /* CLOCK_MONOTONIC in seconds */
int lesson_valgrind(void);                 /* under memcheck (or IPCMP_VALGRIND set) */
unsigned lesson_processes(const struct lesson_opts *o, unsigned def);
unsigned long lesson_iterations(const struct lesson_opts *o, unsigned long def);

/* The line of /proc/self/maps that holds addr; 0 or -errno. */
int lesson_maps_line(const void *addr, char *line, size_t size);
int lesson_maps_count(void);               /* lines in /proc/self/maps, or -errno */

extern const struct lesson lesson_race_def, lesson_reorder_def, lesson_visibility_def,
	lesson_false_sharing_def, lesson_private_def, lesson_mapping_def, lesson_unmap_def,
	lesson_mode0000_def, lesson_keys_def;

/* ---- the lessons' results: what the suite asserts, what --json prints ---- */

enum { RACE_PLAIN, RACE_ATOMIC, RACE_SYSV_SEM, RACE_POSIX_SEM, RACE_METHODS };
struct race_row {
	int method;
	int family;                /* whose memory holds the counter */
	unsigned long long expected, final;
	double ns_per_increment;
};
#define RACE_ROWS 6
struct race_result {
	unsigned processes;
	unsigned long iterations; /* per process */
	int ncpu;
	struct race_row row[RACE_ROWS];
};
int lesson_race(const struct lesson_opts *, struct race_result *);

enum { REORDER_SB, REORDER_SB_FENCE, REORDER_MP, REORDER_MP_RELACQ, REORDER_TESTS };
struct reorder_row {
	int test;
	int family;
	unsigned long rounds;
	unsigned long forbidden;   /* rounds with the outcome SC forbids */
	unsigned long outcomes[4]; /* r0 r1 = 00 01 10 11 */
};
#define REORDER_ROWS (2 * REORDER_TESTS)
struct reorder_result {
	int ncpu;
	int pinned;                /* 1: the two processes on two CPUs */
	struct reorder_row row[REORDER_ROWS];
};
int lesson_reorder(const struct lesson_opts *, struct reorder_result *);
extern const char *const reorder_test_name[REORDER_TESTS];

enum { SPIN_PLAIN, SPIN_VOLATILE, SPIN_ATOMIC, SPIN_KINDS };
enum { SEEN, NEVER_SEEN, LEFT_EARLY };     /* what a spinning reader did */
struct visibility_result {
	int ncpu;
	int plain_outcome;         /* SEEN, NEVER_SEEN (killed), LEFT_EARLY (loop removed) */
	double plain_wait_ms;      /* how long we waited for it */
	unsigned long round_trips;
	double one_way_ns[SPIN_KINDS][LESSON_FAMILIES];   /* [SPIN_PLAIN] unused */
};
int lesson_visibility(const struct lesson_opts *, struct visibility_result *);

struct false_sharing_result {
	long line_size;
	const char *line_source;
	int ncpu;
	unsigned processes;        /* at most line_size / sizeof(long): one line holds all */
	unsigned long iterations;
	/* ns per increment while all the processes ran at once, and the share
	 * of the increments done so (a busy machine makes them take turns) */
	double same_line_ns[LESSON_FAMILIES], padded_ns[LESSON_FAMILIES];
	double same_line_together[LESSON_FAMILIES], padded_together[LESSON_FAMILIES];
	int counts_exact;          /* every counter reached its iterations */
};
int lesson_false_sharing(const struct lesson_opts *, struct false_sharing_result *);

struct private_result {
	/* POSIX: one object, the parent maps it MAP_SHARED, a child MAP_PRIVATE */
	int seen_before_own_write;     /* the child saw the parent's write */
	int own_value_after_write;     /* the child's page after its own write */
	int parent_write_after;        /* what the parent wrote later on that page */
	int other_page_still_shared;   /* the child still saw the parent on page 2 */
	int parent_saw_child_write;    /* 0: the child's private write stayed private */
	/* SysV: shmat(SHM_RDONLY) */
	int rdonly_read_ok;
	int rdonly_write_signal;       /* the signal that killed the writer (SIGSEGV) */
	char rdonly_maps[LESSON_TEXT]; /* its line in /proc/<child>/maps */
	char shared_maps[LESSON_TEXT], private_maps[LESSON_TEXT];
};
int lesson_private(const struct lesson_opts *, struct private_result *);

enum { SEG_TEXT, SEG_RODATA, SEG_DATA, SEG_BSS, SEG_HEAP, SEG_STACK, SEG_SYSV, SEG_POSIX,
       SEG_KINDS };
struct mapping_row {
	const void *addr;
	char perms[8];             /* "r-xp" */
	int file_backed;
	char line[LESSON_TEXT];
};
struct mapping_result {
	char exe[LESSON_TEXT];
	int lines;
	struct mapping_row row[SEG_KINDS];
};
int lesson_mapping(const struct lesson_opts *, struct mapping_result *);
extern const char *const mapping_kind[SEG_KINDS];

struct unmap_result {
	unsigned long rounds;
	size_t bytes;              /* per mapping */
	int maps_before, maps_leaking[LESSON_FAMILIES], maps_after[LESSON_FAMILIES];
	long rss_shmem_kb_before, rss_shmem_kb_leaking[LESSON_FAMILIES],
	     rss_shmem_kb_after[LESSON_FAMILIES];
	long sysv_nattch_leaking, sysv_nattch_after;
	int posix_names_left;      /* entries of ours in /dev/shm while leaking (0) */
};
int lesson_unmap(const struct lesson_opts *, struct unmap_result *);

struct mode0000_side {
	int create_err;            /* errno of the create with mode 0000 (0: created) */
	int first_handle_err;      /* using the creating handle/id */
	int reopen_err;            /* the owner opening it again */
	int reopen_noperm_err;     /* SysV: shmget(key, 0, 0) asks for no permission */
};
struct mode0000_result {
	int root;                  /* the lesson ran as euid 0 */
	struct mode0000_side self[LESSON_FAMILIES];    /* as this process */
	int plain_ran;             /* a plain user (nobody) ran the same steps */
	char plain_skip[LESSON_TEXT];
	struct mode0000_side plain[LESSON_FAMILIES];
	int valgrind;
};
int lesson_mode0000(const struct lesson_opts *, struct mode0000_result *);

struct keys_result {
	char path[LESSON_TEXT];
	unsigned long ino, dev;
	int proj;
	key_t by_hand, by_ftok;
	key_t dir_by_hand, dir_by_ftok;   /* the same for /dev/shm, another device */
	unsigned long dir_dev;
	unsigned long scanned;         /* files looked at for a collision */
	char collide[2][LESSON_TEXT];  /* two files whose keys are equal, "" if none */
	key_t collide_key;
	int collide_tried;             /* 0: the key was in use here already */
	int collide_same_segment;      /* shmget through the second found the first's */
	int private_ids_differ;        /* two IPC_PRIVATE segments: two ids */
	char ipcs_sysv[LESSON_TEXT];   /* /proc/sysvipc/shm, as ipcs -m shows it */
	char ipcs_private[LESSON_TEXT];
	char dev_shm[LESSON_TEXT];     /* the POSIX object in /dev/shm */
};
int lesson_keys(const struct lesson_opts *, struct keys_result *);

#endif
