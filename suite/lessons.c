/*
 * lessons.c - what each `ipcmp lesson` claims, checked on the same code the
 * command runs (build/liblessons.a).
 *
 * Where a lesson's claim is deterministic it is asserted: atomic and
 * semaphore counters are exact, a seq_cst fence forbids the store-buffering
 * outcome and release/acquire the message-passing one, MAP_PRIVATE copies
 * on write, a SHM_RDONLY write is a SIGSEGV, the program's text is mapped
 * r-x from its file, the leaked mappings are counted and go with the fix,
 * mode 0000 locks out a plain-user owner, ftok is its formula. Where it is a
 * measurement (lost updates, reorderings per million, nanoseconds, a
 * slowdown) only that it ran is checked: no timing assertions.
 *
 * Each test runs in the suite's fixture (as root: private IPC and mount
 * namespaces) and ends with its census check. Under valgrind the loops are
 * scaled down, and the memory-ordering counts are not asserted: memcheck
 * runs each process on a JIT, which changes the timing windows, not the
 * guarantees, but the tests there only check that the lesson ran.
 *
 *   $ ./build/suite --filter 'lessons/?*'
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "census.h"
#include "fixture.h"
#include "lesson.h"

TestSuite(lessons, .timeout = 240);

/* Nothing named by this test's lessons is left (not isolated, the census
 * check sees only the fixture's names; the lessons name theirs by pid). */
static void no_lesson_names_left(void)
{
	struct ipcmp_census c;
	char prefix[64];
	int rc, left = 0;

	snprintf(prefix, sizeof(prefix), "/ipcmp.lesson.%ld.", (long)getpid());
	rc = ipcmp_census_take(&c, NULL);
	for (size_t i = 0; rc >= 0 && i < c.n; i++)
		left += strncmp(c.e[i].name, prefix, strlen(prefix)) == 0;
	ipcmp_census_free(&c);
	cr_assert(ge(int, rc, 0), "lessons: census: %s", strerror(-rc));
	cr_assert(eq(int, left, 0), "lessons: %d objects named %s* left", left, prefix);
}

/* fixture, body, census: like BACKEND_TEST, without a backend */
#define LESSON_TEST(test) \
	static void test##_body(void); \
	Test(lessons, test, .init = fixture_init, .fini = fixture_fini) \
	{ \
		fixture_begin(NULL); \
		test##_body(); \
		no_lesson_names_left(); \
		census_assert_clean(); \
	} \
	static void test##_body(void)

static void ran(int rc, const char *lesson)
{
	cr_assert(eq(int, rc, 0), "lesson %s: %s", lesson,
		  rc == -ETIMEDOUT ? "a worker did not finish in time (killed)" :
		  rc == -EPROTO ? "a worker process failed" : strerror(-rc));
}

LESSON_TEST(race)
{
	struct lesson_opts o = { .processes = 2, .iterations = fixture_scale(1000000, 20000) };
	struct race_result r;

	ran(lesson_race(&o, &r), "race");
	for (int i = 0; i < RACE_ROWS; i++) {
		const struct race_row *w = &r.row[i];

		cr_assert(ne(u64, w->expected, 0), "race: row %d expected nothing", i);
		if (w->method == RACE_PLAIN)
			cr_assert(le(u64, w->final, w->expected),
				  "race: plain ++ on %s counted %llu of %llu: more than done",
				  lesson_family[w->family], w->final, w->expected);
		else
			cr_assert(eq(u64, w->final, w->expected),
				  "race: method %d on %s counted %llu of %llu: not exact", w->method,
				  lesson_family[w->family], w->final, w->expected);
	}
}

LESSON_TEST(reorder)
{
	struct lesson_opts o = { .iterations = fixture_scale(20000, 200) };
	struct reorder_result r;

	ran(lesson_reorder(&o, &r), "reorder");
	for (int i = 0; i < REORDER_ROWS; i++) {
		const struct reorder_row *w = &r.row[i];
		unsigned long sum = w->outcomes[0] + w->outcomes[1] + w->outcomes[2] + w->outcomes[3];

		cr_assert(eq(ulong, sum, w->rounds), "reorder: %s on %s: %lu outcomes for %lu rounds",
			  reorder_test_name[w->test], lesson_family[w->family], sum, w->rounds);
		if (fixture_valgrind() || (w->test != REORDER_SB_FENCE && w->test != REORDER_MP_RELACQ))
			continue;
		cr_assert(eq(ulong, w->forbidden, 0),
			  "reorder: %s on %s: %lu rounds gave the outcome the ordering forbids",
			  reorder_test_name[w->test], lesson_family[w->family], w->forbidden);
	}
}

LESSON_TEST(visibility)
{
	struct lesson_opts o = { .iterations = fixture_scale(20000, 200) };
	struct visibility_result r;

	ran(lesson_visibility(&o, &r), "visibility");
	cr_assert(le(int, r.plain_outcome, LEFT_EARLY), "visibility: plain outcome %d",
		  r.plain_outcome);
	for (int k = SPIN_VOLATILE; k < SPIN_KINDS; k++)
		for (int f = 0; f < LESSON_FAMILIES; f++)
			cr_assert(gt(dbl, r.one_way_ns[k][f], 0.0),
				  "visibility: load %d on %s: no time measured", k, lesson_family[f]);
}

LESSON_TEST(false_sharing)
{
	struct lesson_opts o = { .iterations = fixture_scale(1000000, 10000) };
	struct false_sharing_result r;

	ran(lesson_false_sharing(&o, &r), "false-sharing");
	cr_assert(ge(long, r.line_size, 16L), "false-sharing: line size %ld", r.line_size);
	cr_assert(eq(int, r.counts_exact, 1),
		  "false-sharing: a process's own counter did not reach %lu", r.iterations);
	for (int f = 0; f < LESSON_FAMILIES; f++) {
		cr_assert(ge(dbl, r.same_line_ns[f], 0.0), "false-sharing: %s: one line: %g ns",
			  lesson_family[f], r.same_line_ns[f]);
		cr_assert(ge(dbl, r.padded_ns[f], 0.0), "false-sharing: %s: padded: %g ns",
			  lesson_family[f], r.padded_ns[f]);
	}
}

LESSON_TEST(private_copy_on_write)
{
	struct private_result r;

	ran(lesson_private(NULL, &r), "private");
	cr_assert(eq(int, r.seen_before_own_write, 1),
		  "private: MAP_PRIVATE did not show the object's page before its own write");
	cr_assert(eq(int, r.own_value_after_write, 2),
		  "private: MAP_PRIVATE page after its own write shows %d, not its own 2",
		  r.own_value_after_write);
	cr_assert(eq(int, r.other_page_still_shared, 1),
		  "private: a page never written stopped showing the object");
	cr_assert(eq(int, r.parent_saw_child_write, 0),
		  "private: the MAP_PRIVATE write reached the object");
	cr_assert(not(eq(ptr, strstr(r.shared_maps, " rw-s "), NULL)),
		  "private: the MAP_SHARED line: %s", r.shared_maps);
	cr_assert(not(eq(ptr, strstr(r.private_maps, " rw-p "), NULL)),
		  "private: the MAP_PRIVATE line: %s", r.private_maps);
}

LESSON_TEST(private_sysv_rdonly)
{
	struct private_result r;

	ran(lesson_private(NULL, &r), "private");
	cr_assert(eq(int, r.rdonly_read_ok, 1), "private: SHM_RDONLY attach could not read");
	cr_assert(eq(int, r.rdonly_write_signal, SIGSEGV),
		  "private: a write through SHM_RDONLY ended with signal %d, not SIGSEGV",
		  r.rdonly_write_signal);
	cr_assert(not(eq(ptr, strstr(r.rdonly_maps, " r--s "), NULL)),
		  "private: the SHM_RDONLY line: %s", r.rdonly_maps);
}

LESSON_TEST(mapping)
{
	/* native: memcheck puts malloc's blocks and the stack in memory of its
	 * own (rwx), not in the process's [heap] and [stack] */
	static const struct { int kind; const char *perms; int file, native; } expect[] = {
		{ SEG_TEXT, "r-xp", 1, 0 },   /* code: executable, never writable, the file */
		{ SEG_RODATA, "r--p", 1, 0 },
		{ SEG_DATA, "rw-p", 1, 0 },
		{ SEG_BSS, "rw-p", -1, 0 },   /* file or anonymous: where the page ends */
		{ SEG_HEAP, "rw-p", 0, 1 },
		{ SEG_STACK, "rw-p", 0, 1 },
		{ SEG_SYSV, "rw-s", 1, 0 },   /* on the kernel's shm filesystem */
		{ SEG_POSIX, "rw-s", 1, 0 },  /* on /dev/shm */
	};
	struct mapping_result r;

	ran(lesson_mapping(NULL, &r), "mapping");
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct mapping_row *w = &r.row[expect[i].kind];

		if (expect[i].native && fixture_valgrind())
			continue;
		cr_assert(eq(str, (char *)w->perms, (char *)expect[i].perms), "mapping: %s: %s",
			  mapping_kind[expect[i].kind], w->line);
		if (expect[i].file >= 0)
			cr_assert(eq(int, w->file_backed, expect[i].file), "mapping: %s: %s",
				  mapping_kind[expect[i].kind], w->line);
	}
	cr_assert(not(eq(ptr, strstr(r.row[SEG_POSIX].line, "/dev/shm/ipcmp.lesson."), NULL)),
		  "mapping: the POSIX object's line: %s", r.row[SEG_POSIX].line);
	cr_assert(not(eq(ptr, strstr(r.row[SEG_SYSV].line, "/SYSV"), NULL)),
		  "mapping: the SysV segment's line: %s", r.row[SEG_SYSV].line);
}

LESSON_TEST(unmap)
{
	struct lesson_opts o = { .iterations = 32 };
	struct unmap_result r;
	long kb;
	struct statfs fs;
	/* POSIX objects count in RssShmem only on a tmpfs /dev/shm; in a
	 * chroot whose /dev/shm is a directory of its disk they are files */
	int shm_tmpfs = statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC;

	ran(lesson_unmap(&o, &r), "unmap");
	kb = (long)(r.rounds * (r.bytes / 1024));
	for (int f = 0; f < LESSON_FAMILIES; f++) {
		cr_assert(ge(int, r.maps_leaking[f] - r.maps_before, (int)r.rounds),
			  "unmap: %s: %d lines before, %d while leaking %lu", lesson_family[f],
			  r.maps_before, r.maps_leaking[f], r.rounds);
		cr_assert(ge(int, r.maps_leaking[f] - r.maps_after[f], (int)r.rounds),
			  "unmap: %s: %d lines after the fix, %d while leaking", lesson_family[f],
			  r.maps_after[f], r.maps_leaking[f]);
		if (f == LESSON_POSIX && !shm_tmpfs) {
			cr_log_info("unmap: /dev/shm is not a tmpfs here: POSIX pages are not shmem");
			continue;
		}
		cr_assert(ge(long, r.rss_shmem_kb_leaking[f] - r.rss_shmem_kb_after[f], kb),
			  "unmap: %s: RssShmem %ld kB leaking, %ld kB after: less than %ld kB freed",
			  lesson_family[f], r.rss_shmem_kb_leaking[f], r.rss_shmem_kb_after[f], kb);
	}
	cr_assert(eq(long, r.sysv_nattch_leaking, (long)r.rounds + 1),
		  "unmap: shm_nattch %ld while leaking %lu (+1 of our own)", r.sysv_nattch_leaking,
		  r.rounds);
	cr_assert(eq(long, r.sysv_nattch_after, 1L), "unmap: shm_nattch %ld after the fix",
		  r.sysv_nattch_after);
	cr_assert(eq(int, r.posix_names_left, 0),
		  "unmap: %d unlinked objects still named in /dev/shm", r.posix_names_left);
}

/* A plain-user owner of a mode 0000 object (SysV shmget(2), shmat(2);
 * POSIX shm_open(3), open(2)). memcheck calls IPC_STAT before shmat and
 * gets EINVAL from the kernel's refusal (see permission.c). */
static void locked_out(const struct mode0000_side *s, const char *who)
{
	int shmat_err = fixture_valgrind() ? EINVAL : EACCES;

	cr_assert(eq(int, s[LESSON_SYSV].create_err, 0), "mode-0000: %s: SysV create: %s", who,
		  strerror(s[LESSON_SYSV].create_err));
	cr_assert(eq(int, s[LESSON_SYSV].first_handle_err, shmat_err),
		  "mode-0000: %s: SysV shmat by the creator: %s", who,
		  strerror(s[LESSON_SYSV].first_handle_err));
	cr_assert(eq(int, s[LESSON_SYSV].reopen_noperm_err, 0),
		  "mode-0000: %s: shmget(key, 0, 0): %s", who, strerror(s[LESSON_SYSV].reopen_noperm_err));
	cr_assert(eq(int, s[LESSON_SYSV].reopen_err, EACCES), "mode-0000: %s: shmget(key, 0, 0600): %s",
		  who, strerror(s[LESSON_SYSV].reopen_err));
	cr_assert(eq(int, s[LESSON_POSIX].create_err, 0), "mode-0000: %s: POSIX create: %s", who,
		  strerror(s[LESSON_POSIX].create_err));
	cr_assert(eq(int, s[LESSON_POSIX].first_handle_err, 0),
		  "mode-0000: %s: POSIX creating fd: %s", who, strerror(s[LESSON_POSIX].first_handle_err));
	cr_assert(eq(int, s[LESSON_POSIX].reopen_err, EACCES), "mode-0000: %s: shm_open again: %s",
		  who, strerror(s[LESSON_POSIX].reopen_err));
}

LESSON_TEST(mode0000_plain_user)
{
	struct mode0000_result r;

	ran(lesson_mode0000(NULL, &r), "mode-0000");
	if (!r.root) {
		locked_out(r.self, "this plain user");
		return;
	}
	if (!r.plain_ran)
		cr_skip("mode-0000: the plain-user part: %s", r.plain_skip);
	locked_out(r.plain, "nobody");
}

/* Root's bypass holds where root has its capabilities over the objects: in
 * the fixture's own namespaces (in a user namespace too, which owns them). */
LESSON_TEST(mode0000_root)
{
	struct mode0000_result r;

	if (geteuid() != 0)
		cr_skip("mode-0000: not root: root's bypass needs root");
	if (!fixture_isolated())
		cr_skip("mode-0000: no private namespaces: root's capabilities may not cover the host's objects");
	ran(lesson_mode0000(NULL, &r), "mode-0000");
	for (int f = 0; f < LESSON_FAMILIES; f++) {
		cr_assert(eq(int, r.self[f].first_handle_err, 0), "mode-0000: root: %s first handle: %s",
			  lesson_family[f], strerror(r.self[f].first_handle_err));
		cr_assert(eq(int, r.self[f].reopen_err, 0), "mode-0000: root: %s open again: %s",
			  lesson_family[f], strerror(r.self[f].reopen_err));
	}
}

LESSON_TEST(keys_ftok)
{
	struct keys_result r;

	ran(lesson_keys(NULL, &r), "keys");
	cr_assert(eq(int, r.by_hand, r.by_ftok), "keys: ftok gave 0x%08x, the formula 0x%08x",
		  (unsigned)r.by_ftok, (unsigned)r.by_hand);
	cr_assert(eq(int, r.dir_by_hand, r.dir_by_ftok),
		  "keys: /dev/shm (dev 0x%lx): ftok gave 0x%08x, the formula 0x%08x", r.dir_dev,
		  (unsigned)r.dir_by_ftok, (unsigned)r.dir_by_hand);
	cr_assert(eq(int, r.private_ids_differ, 1), "keys: two IPC_PRIVATE segments, one id");
	cr_assert(eq(int, strncmp(r.ipcs_private, "0x00000000 ", 11), 0),
		  "keys: IPC_PRIVATE as listed: %s", r.ipcs_private);
	cr_assert(not(eq(ptr, strstr(r.dev_shm, "0600 "), NULL)), "keys: /dev/shm: %s", r.dev_shm);
}

LESSON_TEST(keys_collision)
{
	struct keys_result r;

	ran(lesson_keys(NULL, &r), "keys");
	if (r.collide[0][0] == '\0')
		cr_skip("keys: no two files with one key among %lu (a small root?)", r.scanned);
	if (!r.collide_tried)
		cr_skip("keys: the colliding key 0x%08x is in use here", (unsigned)r.collide_key);
	cr_assert(eq(int, r.collide_same_segment, 1),
		  "keys: %s and %s give one key, yet two segments", r.collide[0], r.collide[1]);
}
