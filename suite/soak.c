/*
 * soak.c - a small `ipcmp soak` on each backend: producers and consumers
 * SIGKILLed and restarted, every message checked (tools/soak.c says what).
 * `make soak` runs the long one (1M messages); this one runs a few rounds,
 * with a fixed seed, so that a failure replays with the same plan.
 *
 *   $ ./build/suite --filter 'posix_mq/soak_small'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "clirun.h"

#define SOAK_SEED "20261125"

BACKEND_TEST(soak_small, .timeout = 120)
{
	const char *messages = fixture_valgrind() ? "100" : "2000";
	const char *per_round = fixture_valgrind() ? "50" : "500";
	const char *argv[] = { "soak", "--backend", ops->name, "--messages", messages,
			       "--per-round", per_round, "--kills", "2", "--kill-ms", "5",
			       "--seed", SOAK_SEED, NULL };
	unsigned long rounds = 0, accepted = 0, kills = 0, failures = 1;
	struct cli_run r;
	const char *line;

	cli_start(&r, NULL, argv);
	cli_finish(&r, fixture_valgrind() ? 100000 : 30000);
	line = strstr(r.outbuf, "soak: seed");
	cr_assert(line != NULL, "%s: ipcmp soak printed no summary; stderr: %s", ops->name, r.errbuf);
	cr_assert(eq(int, sscanf(line, "soak: seed %*u, %lu rounds, %lu messages accepted", &rounds,
				 &accepted), 2), "%s: summary: %s", ops->name, line);
	if ((line = strstr(line, " kills,")) != NULL)
		while (line > r.outbuf && line[-1] != ' ')
			line--;
	cr_assert(line != NULL && sscanf(line, "%lu kills", &kills) == 1, "%s: no kills in: %s",
		  ops->name, r.outbuf);
	line = strstr(r.outbuf, " failures");
	while (line != NULL && line > r.outbuf && line[-1] != ' ')
		line--;
	cr_assert(line != NULL && sscanf(line, "%lu failures", &failures) == 1, "%s: %s",
		  ops->name, r.outbuf);
	cr_assert(eq(int, r.status, 0), "%s: ipcmp soak exited %d: %s%s", ops->name, r.status,
		  r.outbuf, r.errbuf);
	cr_assert(eq(u64, failures, 0), "%s: soak failures: %s%s", ops->name, r.outbuf, r.errbuf);
	cr_assert(accepted >= strtoul(messages, NULL, 10),
		  "%s: soak accepted %lu messages, asked for %s", ops->name, accepted, messages);
	cr_assert(kills >= 1, "%s: the soak killed nothing (seed " SOAK_SEED "): %s", ops->name,
		  r.outbuf);
}
