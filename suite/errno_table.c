/*
 * errno_table.c - every row of the paired errno table is a test.
 *
 * The rows are tools/probes/errno_rows.h, one line each: a situation, a
 * call of one family, the errno its man page gives (or, where the system
 * disagrees with the page, the errno the system gives, and why). Each row
 * becomes Test(errno_table, <row>), which runs the row's probe inside the
 * fixture (private namespaces as root; the census check after) and asserts
 * the errno it observed; `ipcmp compare` prints the same probes' results.
 *
 *   $ ./build/suite --filter 'errno_table/[a-z]*' --verbose
 *   $ ./build/suite --filter 'errno_table/mq_open_*'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "census.h"
#include "errno_rows.h"
#include "fixture.h"

/*
 * Where memcheck itself changes the answer: valgrind wraps some calls and
 * fails them before the kernel sees them. The native answer stays the
 * row's; these hold only when IPCMP_VALGRIND is set (make valgrind).
 */
static const struct {
	const char *test;
	int expect;
} under_valgrind[] = {
	/* valgrind's shmat asks IPC_STAT for the size first; nobody may not */
	{ "shmat_no_permission", EINVAL },
	/* valgrind picks an address for a NULL shmaddr, so SHM_REMAP has one */
	{ "shmat_remap_null", 0 },
};

#define ROW_INDEX_(test, ...) ROW_##test,
enum { PROBE_ERRNO_ROWS(ROW_INDEX_) ROW_COUNT };

static int expected(int row, const char *test)
{
	if (fixture_valgrind())
		for (size_t i = 0; i < sizeof(under_valgrind) / sizeof(under_valgrind[0]); i++)
			if (strcmp(under_valgrind[i].test, test) == 0)
				return under_valgrind[i].expect;
	return probe_errno[row].expect;
}

/* Not isolated: the probes' objects are those named by this process's pid
 * (probe_posix_name) or keyed from it (probe_sysv_key). */
static int key_base;

static int probe_owns(const struct ipcmp_census_entry *e)
{
	char prefix[64];

	if (strcmp(e->kind, "shm") == 0 || strcmp(e->kind, "sem") == 0 ||
	    strcmp(e->kind, "msg") == 0)
		return (strtoul(e->name, NULL, 16) & ~0xffUL) == ((unsigned long)key_base & ~0xffUL);
	snprintf(prefix, sizeof(prefix), "/ipcmp.probe.%ld.", (long)getpid());
	return strncmp(e->name, prefix, strlen(prefix)) == 0;
}

static void check_row(int row, const char *test)
{
	const struct errno_row *r = &probe_errno[row];
	char skip[PROBE_TEXT] = "";
	int got, want;

	key_base = probe_sysv_key();
	fixture_begin_probes(test, probe_owns);
	got = r->probe(skip, sizeof(skip));
	census_assert_clean();
	if (got == PROBE_SKIPPED)
		cr_skip("%s: %s", test, skip);
	if (got < 0)
		cr_fatal("%s: %s %s (%s): the probe could not set up: %s%s", test, r->family,
			 r->call, r->situation, strerror(-got),
			 got == -EAGAIN ? " (the call was never seen blocked)" : "");
	want = expected(row, test);
	cr_assert(eq(int, got, want), "%s: %s %s, %s: %s, expected %s (%s%s%s)", test,
		  r->family, r->call, r->situation, probe_errno_name(got), probe_errno_name(want),
		  r->man_page, r->disagrees != NULL ? ", which disagrees: " : "",
		  r->disagrees != NULL ? r->disagrees : "");
}

TestSuite(errno_table, .timeout = 120);

#define ROW_TEST_(test, ...) \
	Test(errno_table, test, .init = fixture_init, .fini = fixture_fini) \
	{ \
		check_row(ROW_##test, #test); \
	}
PROBE_ERRNO_ROWS(ROW_TEST_)
