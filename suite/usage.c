/*
 * usage.c - what every command says before it does anything: its --help
 * (and -h) on stdout, exit 0; a wrong option or argument named on stderr,
 * exit 2, nothing on stdout, nothing made. The channel commands' option
 * errors are in cli.c; these are the others' (compare, bench, lesson,
 * soak, census, clean) and the command line's own. Cheap: they run under
 * valgrind too, a share of the cases each.
 *
 *   $ ./build/suite --filter 'usage/?*'
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "clirun.h"
#include "fixture.h"

#define USAGE_TEST(test) \
	static void test##_body(void); \
	Test(usage, test, .init = fixture_init, .fini = fixture_fini, .timeout = 240) \
	{ \
		fixture_begin_probe("usage"); \
		test##_body(); \
		census_assert_clean(); \
	} \
	static void test##_body(void)

#define STRIDE ((size_t)fixture_scale(1, 3))   /* under valgrind: every third case */

static const struct {
	const char *argv[3];
	const char *usage;         /* the start of stdout */
} helps[] = {
	{ { "--help" }, "usage: ipcmp COMMAND [OPTIONS]\n" },
	{ { "-h" }, "usage: ipcmp COMMAND [OPTIONS]\n" },
	{ { "help" }, "usage: ipcmp COMMAND [OPTIONS]\n" },
	{ { "compare", "-h" }, "usage: ipcmp compare [--only LIST]" },
	{ { "bench", "--help" }, "usage: ipcmp bench [--sizes LIST]" },
	{ { "bench", "-h" }, "usage: ipcmp bench [--sizes LIST]" },
	{ { "lesson", "--help" }, "usage: ipcmp lesson [NAME|all]" },
	{ { "lesson", "-h" }, "usage: ipcmp lesson [NAME|all]" },
	{ { "soak", "--help" }, "usage: ipcmp soak" },
	{ { "soak", "-h" }, "usage: ipcmp soak" },
	{ { "census", "-h" }, "usage: ipcmp census\n" },
	{ { "clean", "-h" }, "usage: ipcmp clean [--dry-run]\n" },
	{ { "backends", "-h" }, "usage: ipcmp backends" },
};

USAGE_TEST(help_every_command)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i += STRIDE) {
		struct cli_run r;

		cli_run(&r, NULL, helps[i].argv);
		cr_assert(eq(int, r.status, 0), "usage: ipcmp %s %s: exit status %d; stderr: %s",
			  helps[i].argv[0], helps[i].argv[1] ? helps[i].argv[1] : "", r.status, r.errbuf);
		cr_assert(eq(int, strncmp(r.outbuf, helps[i].usage, strlen(helps[i].usage)), 0),
			  "usage: ipcmp %s %s printed:\n%s", helps[i].argv[0],
			  helps[i].argv[1] ? helps[i].argv[1] : "", r.outbuf);
		cr_assert(eq(str, r.errbuf, ""), "usage: ipcmp %s %s: stderr: %s", helps[i].argv[0],
			  helps[i].argv[1] ? helps[i].argv[1] : "", r.errbuf);
	}
}

/* Without a command: the usage, on stderr (it is an error), exit 2. */
USAGE_TEST(no_command_exits_2)
{
	const char *const argv[] = { NULL };
	struct cli_run r;

	cli_run(&r, NULL, argv);
	cr_assert(eq(int, r.status, 2), "usage: ipcmp alone: exit status %d", r.status);
	cr_assert(eq(int, strncmp(r.errbuf, "usage: ipcmp COMMAND", 20), 0), "usage: ipcmp alone: "
		  "stderr: %s", r.errbuf);
	cr_assert(eq(str, r.outbuf, ""), "usage: ipcmp alone printed on stdout: %s", r.outbuf);
}

/* Each refused the same way: "ipcmp: CMD: what is wrong, with which option". */
static const struct {
	const char *argv[5];
	const char *says;          /* the first line of stderr, whole */
} refused[] = {
	{ { "compare", "--only" }, "ipcmp: compare: option '--only' needs an argument (LIST)" },
	{ { "compare", "--only", "api,nosuch" }, "ipcmp: compare: no section 'nosuch'" },
	{ { "compare", "--messages", "0" }, "ipcmp: compare: bad --messages '0' (1..4294967296)" },
	{ { "compare", "--runs", "16" }, "ipcmp: compare: bad --runs '16' (1..15)" },
	{ { "compare", "--json=yes" }, "ipcmp: compare: option '--json' takes no argument" },
	{ { "compare", "--m", "5" }, "ipcmp: compare: option '--m' is ambiguous" },
	{ { "compare", "-x" }, "ipcmp: compare: unknown option '-x'" },
	{ { "compare", "api" }, "ipcmp: compare: unexpected 'api'" },
	{ { "bench", "--sizes" }, "ipcmp: bench: option '--sizes' needs an argument (LIST)" },
	{ { "bench", "--sizes", "23" },
	  "ipcmp: bench: bad --sizes '23' (ascending, at most 8, each 24..16777216)" },
	{ { "bench", "--seconds", "0" }, "ipcmp: bench: bad --seconds '0' (0..600)" },
	{ { "bench", "--seconds", "601" }, "ipcmp: bench: bad --seconds '601' (0..600)" },
	{ { "bench", "--seconds", "1s" }, "ipcmp: bench: bad --seconds '1s' (0..600)" },
	{ { "bench", "--messages", "0" }, "ipcmp: bench: bad --messages '0'" },
	{ { "bench", "--list=all" }, "ipcmp: bench: option '--list' takes no argument" },
	{ { "bench", "--frob" }, "ipcmp: bench: unknown option '--frob'" },
	{ { "bench", "pipe" }, "ipcmp: bench: unexpected 'pipe'" },
	{ { "lesson", "--processes" }, "ipcmp: lesson: option '--processes' needs an argument (N)" },
	{ { "lesson", "--iterations", "x" }, "ipcmp: lesson: bad --iterations 'x'" },
	{ { "lesson", "--json=1", "keys" }, "ipcmp: lesson: option '--json' takes no argument" },
	{ { "soak", "--messages" }, "ipcmp: soak: option '--messages' needs an argument (N)" },
	{ { "soak", "--procs", "1" }, "ipcmp: soak: --procs: 2..32; --kills: 0..4" },
	{ { "soak", "--seed", "x" }, "ipcmp: soak: --seed: not a number: 'x'" },
	{ { "soak", "--seconds", "0" }, "ipcmp: soak: --seconds: not a number in range: '0'" },
	{ { "soak", "--frob" }, "ipcmp: soak: unknown option '--frob'" },
	{ { "census", "extra" }, "ipcmp: census: unexpected 'extra'" },
	{ { "census", "--dry-run" }, "ipcmp: census: unknown option '--dry-run'" },
	{ { "clean", "--frob" }, "ipcmp: clean: unknown option '--frob'" },
	{ { "clean", "--dry-run", "all" }, "ipcmp: clean: unexpected 'all'" },
};

USAGE_TEST(option_errors_every_command)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i += STRIDE) {
		const char *cmd = refused[i].argv[0], *arg = refused[i].argv[1];
		char hint[64];
		struct cli_run r;

		cli_run(&r, NULL, refused[i].argv);
		cr_assert(eq(int, r.status, 2), "usage: ipcmp %s %s: exit status %d, not 2; stderr: %s",
			  cmd, arg, r.status, r.errbuf);
		cr_assert(strncmp(r.errbuf, refused[i].says, strlen(refused[i].says)) == 0 &&
			  r.errbuf[strlen(refused[i].says)] == '\n',
			  "usage: ipcmp %s %s: stderr is\n%s\nnot\n%s", cmd, arg, r.errbuf, refused[i].says);
		snprintf(hint, sizeof(hint), "(see 'ipcmp %s --help')\n", cmd);
		cr_assert(strstr(r.errbuf, hint) != NULL, "usage: ipcmp %s %s: no %s", cmd, arg, hint);
		cr_assert(eq(str, r.outbuf, ""), "usage: ipcmp %s %s printed on stdout: %s", cmd, arg,
			  r.outbuf);
	}
}
