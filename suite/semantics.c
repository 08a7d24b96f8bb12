/*
 * semantics.c - the documented differences between System V and POSIX IPC,
 * one test per row of tools/probes/semantics_table.c, named by its id.
 *
 * Each test runs the row's probe (the same one `ipcmp compare` prints) and
 * asserts, for each family, that what it observed is what the row expects:
 * the man page's outcome, or where the row says the system disagrees with
 * its man page, what the system does. A probe that cannot run here (another
 * user, a namespace) skips with its reason.
 *
 *   $ ./build/suite --filter 'semantics/restart_*'
 */
#include <string.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "fixture.h"
#include "semantics.h"

static const struct semantics_row *row_of(const char *id)
{
	for (const struct semantics_row *row = probe_semantics; row->id != NULL; row++)
		if (strcmp(row->id, id) == 0)
			return row;
	return NULL;
}

static void assert_row(const char *id)
{
	const struct semantics_row *row = row_of(id);
	struct probe_result r;
	int rc;

	fixture_begin_probe(id);
	if (row == NULL)
		cr_fatal("%s: no such row in probe_semantics[]", id);
	memset(&r, 0, sizeof(r));
	rc = row->probe(&r);
	if (rc == 1)
		cr_skip("%s: %s", id, r.skip);
	cr_assert(eq(int, rc, 0), "%s: the probe failed: %s", id, strerror(-rc));
	if (row->valgrind_differs != NULL && fixture_valgrind()) {
		census_assert_clean();
		cr_skip("%s: not judged under valgrind: %s", id, row->valgrind_differs);
	}
	cr_assert(eq(str, r.sysv.observed, (char *)row->sysv.expect),
		  "%s: System V: observed \"%s\"; %s: \"%s\"", id, r.sysv.observed,
		  row->disagrees != NULL ? "this system does" : row->man_page, row->sysv.expect);
	cr_assert(eq(str, r.posix.observed, (char *)row->posix.expect),
		  "%s: POSIX: observed \"%s\"; %s: \"%s\"", id, r.posix.observed,
		  row->disagrees != NULL ? "this system does" : row->man_page, row->posix.expect);
	census_assert_clean();
}

#define SEMANTICS_TEST_(id) \
	Test(semantics, id, .init = fixture_init, .fini = fixture_fini, .timeout = 120) \
	{ \
		assert_row(#id); \
	}

PROBE_SEMANTICS(SEMANTICS_TEST_)

/* The table and the list of tests are the same rows in the same order: no
 * row goes untested, no test looks for a row that is not there. */
Test(semantics, table_is_the_list)
{
#define SEMANTICS_ID_(id) #id,
	static const char *const ids[] = { PROBE_SEMANTICS(SEMANTICS_ID_) };
#undef SEMANTICS_ID_
	size_t n = 0;

	for (; probe_semantics[n].id != NULL; n++) {
		cr_assert(lt(sz, n, sizeof(ids) / sizeof(ids[0])), "semantics: row %s is not in PROBE_SEMANTICS",
			  probe_semantics[n].id);
		cr_assert(eq(str, (char *)probe_semantics[n].id, (char *)ids[n]),
			  "semantics: row %zu is %s, the list says %s", n, probe_semantics[n].id, ids[n]);
		cr_assert(not(eq(ptr, (void *)probe_semantics[n].sysv.expect, NULL)), "semantics: %s: no System V expect",
			  ids[n]);
		cr_assert(not(eq(ptr, (void *)probe_semantics[n].posix.expect, NULL)), "semantics: %s: no POSIX expect",
			  ids[n]);
	}
	cr_assert(eq(sz, n, sizeof(ids) / sizeof(ids[0])), "semantics: %zu rows, %zu in PROBE_SEMANTICS", n,
		  sizeof(ids) / sizeof(ids[0]));
}
