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
 *
 * make valgrind runs the rows in one worker instead (errno_rows, below).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "asserts.h"

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

/* What a probe returned, in words: an errno's name, or why it did not run. */
static const char *observed(int got, char *buf, size_t size)
{
	if (got >= 0)
		return probe_errno_name(got);
	snprintf(buf, size, "the probe could not set up: %s%s", strerror(-got),
		 got == -EAGAIN ? " (the call was never seen blocked)" :
		 got == -ECHILD ? " (a child of the probe died before it reported)" :
		 got == -ETIMEDOUT ? " (a child of the probe did not end in time: killed)" : "");
	return buf;
}

static void check_row(int row, const char *test)
{
	const struct errno_row *r = &probe_errno[row];
	char skip[PROBE_TEXT] = "", why[PROBE_TEXT];
	int got, want = expected(row, test);

	fixture_begin_probe(test);
	got = r->probe(skip, sizeof(skip));
	census_assert_clean();
	if (got == PROBE_SKIPPED)
		cr_skip("%s: %s", test, skip);
	cr_assert(eq(int, got, want), "%s: %s %s, %s: %s, expected %s (%s%s%s)", test,
		  r->family, r->call, r->situation, observed(got, why, sizeof(why)),
		  probe_errno_name(want), r->man_page,
		  r->disagrees != NULL ? ", which disagrees: " : "",
		  r->disagrees != NULL ? r->disagrees : "");
}

TestSuite(errno_table, .timeout = 120);

#define ROW_TEST_(test, ...) \
	Test(errno_table, test, .init = fixture_init, .fini = fixture_fini) \
	{ \
		check_row(ROW_##test, #test); \
	}
PROBE_ERRNO_ROWS(ROW_TEST_)

/*
 * Under memcheck a worker per row costs a second or more of start-up each,
 * so `make valgrind` leaves errno_table/ out and runs every row here, in one
 * worker, against the same expectations (the census is checked once, at
 * the end). Natively each row is its own test.
 */
#define ROW_NAME_(test, ...) #test,
static const char *const row_name[] = { PROBE_ERRNO_ROWS(ROW_NAME_) };

Test(errno_rows, all_in_one_worker, .init = fixture_init, .fini = fixture_fini, .timeout = 900)
{
	char skip[PROBE_TEXT], why[PROBE_TEXT];

	if (!fixture_valgrind())
		cr_skip("errno_rows: natively each row is its own test, errno_table/<row>");
	fixture_begin_probe("errno_rows");
	for (int row = 0; row < ROW_COUNT; row++) {
		const struct errno_row *r = &probe_errno[row];
		int want = expected(row, row_name[row]), got;

		got = r->probe(skip, sizeof(skip));
		if (got == PROBE_SKIPPED)
			continue;
		cr_expect(eq(int, got, want), "%s: %s %s, %s: %s, expected %s (%s)", row_name[row],
			  r->family, r->call, r->situation, observed(got, why, sizeof(why)),
			  probe_errno_name(want), r->man_page);
	}
	census_assert_clean();
}
