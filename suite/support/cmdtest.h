/*
 * cmdtest.h - the commands beyond create/send/recv/unlink (compare, bench,
 * lesson, soak, census, clean) run as a user runs them, in the suite
 * "commands": each test runs in the fixture and ends with its census check.
 * They run the command whole, probes and workers traced too, which is slow
 * under valgrind: there they skip (suite/cli.c and suite/usage.c run the
 * command under valgrind).
 */
#ifndef SUITE_CMDTEST_H
#define SUITE_CMDTEST_H

#include <stddef.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "clirun.h"
#include "fixture.h"
#include "json.h"

#define CMD_TEST(test, ...) \
	static void test##_body(void); \
	Test(commands, test, .init = fixture_init, .fini = fixture_fini, .timeout = 240, \
	     ##__VA_ARGS__) \
	{ \
		fixture_begin_probe("commands"); \
		if (fixture_valgrind()) \
			cr_skip("commands: compare, bench and lesson traced whole are slow " \
				"under valgrind (and some probes see valgrind's shmat: EINVAL " \
				"for EACCES); cli.c runs the command there"); \
		test##_body(); \
		census_assert_clean(); \
	} \
	static void test##_body(void)

/* Runs ipcmp argv (spec may be NULL) and asserts its exit status; what it
 * printed is in r (the first CLI_OUT_KEEP bytes). */
void cmd_run(struct cli_run *r, const struct cli_spec *spec, const char *const argv[], int status);
/* Likewise, with all of stdout returned (malloc'd, NUL-terminated; free it). */
char *cmd_output(struct cli_run *r, const struct cli_spec *spec, const char *const argv[], int status);
/* Asserts that text contains part; what names the run in the message. */
void cmd_says(const char *text, const char *part, const char *what);
/* Parses text as one JSON document, or fails the test saying why. */
void cmd_json(struct json_doc *doc, const char *text, const char *what);
/* The nth line of text that starts with prefix (n from 0), or NULL. */
const char *cmd_line(const char *text, const char *prefix, size_t n);
/* Skips the test unless a command can run as nobody here. */
void cmd_need_nobody(const char *what);

#endif
