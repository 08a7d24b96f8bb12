/*
 * commands.c - the commands of ipcmp beyond create/send/recv/unlink, run
 * as a user runs them: compare (each section, each format), bench (one
 * small case), lesson (the list, one lesson), soak's options. Each must
 * exit 0, print what its --help promises, and leave nothing behind.
 *
 *   $ ./build/suite --filter 'commands/compare_*'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdtest.h"

/* Runs ipcmp argv, asserts the exit status, returns the run (output kept). */
static void run_ok(struct cli_run *r, const char *const argv[], int status)
{
	cmd_run(r, NULL, argv, status);
}

static void says(const struct cli_run *r, const char *text, const char *what)
{
	cmd_says(r->outbuf, text, what);
}

/* The limits section names every limit a create can run into (the same
 * table names them in create's errors: suite/limits.c), in each format. */
CMD_TEST(compare_limits_each_format)
{
	static const char *const fmts[] = { NULL, "--markdown", "--json" };
	static const char *const names[] = { "kernel.shmmni", "kernel.sem SEMMNI", "kernel.msgmni",
					     "fs.mqueue.queues_max", "RLIMIT_MSGQUEUE",
					     "RLIMIT_NOFILE", "/dev/shm size" };

	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		const char *argv[] = { "compare", "--only", "limits", fmts[f], NULL };
		struct cli_run r;

		run_ok(&r, argv, 0);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			says(&r, names[i], fmts[f] ? fmts[f] : "compare --only limits");
		if (fmts[f] != NULL && strcmp(fmts[f], "--json") == 0)
			cr_assert(r.outbuf[0] == '{', "commands: compare --json: %.60s", r.outbuf);
	}
}

/* The api, semantics and errno sections: each probe ran (exit 0: none
 * failed or saw what its row does not expect). Each section's printer in
 * each format; the probes are run once per section in all. */
CMD_TEST(compare_probes_each_format)
{
	static const char *const runs[][2] = { { NULL, "api,semantics,errno" },
					       { "--markdown", "api,semantics" },
					       { "--json", "api,errno" } };

	for (size_t f = 0; f < sizeof(runs) / sizeof(runs[0]); f++) {
		const char *argv[] = { "compare", "--only", runs[f][1], runs[f][0], NULL };
		struct cli_run r;

		run_ok(&r, argv, 0);
		says(&r, "sysv-shm", runs[f][1]);
	}
}

/* The speed section with a small run of each backend. */
CMD_TEST(compare_speed_small)
{
	const char *argv[] = { "compare", "--only", "speed", "--messages",
			       "500", "--runs", "1", NULL };
	struct cli_run r;

	run_ok(&r, argv, 0);
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++)
		says(&r, ipcmp_backends[i]->name, "compare --only speed");
}

/* compare refuses a section it has not. */
CMD_TEST(compare_unknown_section)
{
	const char *argv[] = { "compare", "--only", "nosuch", NULL };
	struct cli_run r;

	run_ok(&r, argv, 2);
	cr_assert(strstr(r.errbuf, "nosuch") != NULL, "commands: compare --only nosuch: %s", r.errbuf);
}

/* bench --list names every backend; one small case runs and is checked. */
CMD_TEST(bench_list_and_one_case)
{
	const char *list[] = { "bench", "--list", NULL };
	const char *one[] = { "bench", "--only", "sysv-shm,posix-mq", "--messages",
			      "200", "--reps", "1", "--sizes", "64",
			      NULL };
	const char *json[] = { "bench", "--only", "pipe", "--messages", "20", "--reps", "1",
			       "--sizes", "64", "--json", NULL };
	struct cli_run r;

	run_ok(&r, list, 0);
	for (size_t i = 0; ipcmp_backends[i] != NULL; i++)
		says(&r, ipcmp_backends[i]->name, "bench --list");
	run_ok(&r, one, 0);
	says(&r, "sysv-shm", "bench --only sysv-shm,posix-mq");
	says(&r, "posix-mq", "bench --only sysv-shm,posix-mq");
	run_ok(&r, json, 0);
	cr_assert(r.outbuf[0] == '{' || r.outbuf[0] == '[', "commands: bench --json: %.60s", r.outbuf);
}

/* lesson without a name lists the lessons; one runs briefly. */
CMD_TEST(lesson_list_and_one)
{
	const char *list[] = { "lesson", NULL };
	const char *one[] = { "lesson", "private", NULL };
	const char *json[] = { "lesson", "keys", "--json", NULL };
	struct cli_run r;

	run_ok(&r, list, 0);
	says(&r, "race", "lesson");
	says(&r, "keys", "lesson");
	run_ok(&r, one, 0);
	says(&r, "MAP_PRIVATE", "lesson private");
	run_ok(&r, json, 0);
	cr_assert(r.outbuf[0] == '{', "commands: lesson keys --json: %.60s", r.outbuf);
}

/* soak: --help, and its option errors (exit 2, naming the option). */
CMD_TEST(soak_options)
{
	static const struct {
		const char *argv[4];
		int status;
		const char *says;
	} cases[] = {
		{ { "soak", "--help" }, 0, NULL },
		{ { "soak", "--kills", "9" }, 2, "--kills" },
		{ { "soak", "--backend", "nosuch" }, 2, "nosuch" },
		{ { "soak", "--messages", "many" }, 2, "--messages" },
		{ { "soak", "extra" }, 2, "extra" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_run r;

		run_ok(&r, cases[i].argv, cases[i].status);
		if (cases[i].says == NULL)
			says(&r, "usage: ipcmp soak", "soak --help");
		else
			cr_assert(strstr(r.errbuf, cases[i].says) != NULL,
				  "commands: ipcmp soak %s: stderr does not name %s: %s",
				  cases[i].argv[1], cases[i].says, r.errbuf);
	}
}

/* An option a command refuses: exit 2, and stderr names what is wrong. */
static const struct {
	const char *argv[6];
	const char *says;
} refused[] = {
	{ { "lesson", "--processes", "1" }, "--processes" },
	{ { "lesson", "--iterations", "0" }, "--iterations" },
	{ { "lesson", "race", "keys" }, "one lesson NAME at a time" },
	{ { "lesson", "keys", "--json", "--markdown" }, "--json or --markdown, not both" },
	{ { "lesson", "nosuch" }, "unknown lesson 'nosuch'" },
	{ { "lesson", "--frobnicate" }, "--frobnicate" },
	{ { "bench", "--sizes", "10" }, "--sizes '10'" },
	{ { "bench", "--sizes", "64,32" }, "--sizes '64,32'" },
	{ { "bench", "--mode", "sideways" }, "--mode 'sideways'" },
	{ { "bench", "--reps", "0" }, "--reps '0'" },
};

CMD_TEST(options_refused)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct cli_run r;

		run_ok(&r, refused[i].argv, 2);
		cr_assert(strstr(r.errbuf, refused[i].says) != NULL,
			  "commands: ipcmp %s %s: stderr does not say \"%s\": %s", refused[i].argv[0],
			  refused[i].argv[1], refused[i].says, r.errbuf);
	}
}

/* lesson all --markdown: the page make docs writes, every lesson in it. */
CMD_TEST(lesson_all_markdown)
{
	const char *argv[] = { "lesson", "all", "--markdown", "--iterations", "1000", "--processes",
			       "2", NULL };
	static const char *const names[] = { "race", "reorder", "visibility", "false-sharing",
					     "private", "mapping", "unmap", "mode-0000", "keys" };
	struct cli_run r;
	char head[32];
	char *page = cmd_output(&r, NULL, argv, 0);   /* longer than a run keeps */

	cr_assert(strncmp(page, "# ipcmp lessons", 15) == 0, "commands: lesson all --markdown: %.80s",
		  page);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(head, sizeof(head), "## %s\n", names[i]);
		cr_assert(strstr(page, head) != NULL, "commands: lesson all --markdown has no \"%s\"",
			  names[i]);
	}
	free(page);
}

/* bench --markdown --svg --note: the page and the plot make docs writes. */
CMD_TEST(bench_markdown_and_plot)
{
	char svg[64], buf[64] = "";
	const char *argv[] = { "bench", "--only", "pipe", "--messages", "20", "--reps", "1",
			       "--sizes", "64", "--markdown", "--svg", svg, "--note", "commands-note",
			       NULL };
	struct cli_run r;
	FILE *f;

	snprintf(svg, sizeof(svg), "/tmp/ipcmp-commands-%ld.svg", (long)getpid());
	run_ok(&r, argv, 0);
	says(&r, "commands-note", "bench --markdown --note");
	says(&r, "pipe", "bench --markdown");
	f = fopen(svg, "re");
	cr_assert(f != NULL, "commands: bench --svg %s wrote no file", svg);
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	unlink(svg);
	cr_assert(strstr(buf, "<svg") != NULL || strstr(buf, "<?xml") != NULL,
		  "commands: bench --svg: the file starts \"%s\"", buf);
}
