/*
 * cmd_soak.c - `ipcmp soak`'s promises besides its checks (suite/soak.c
 * runs those, with kills, on each backend): without kills every message a
 * send accepted is delivered and no round aborts, however few messages are
 * asked (a round then carries fewer than --per-round, never fewer than
 * --procs); --seconds stops a long soak, says so, and fails it.
 *
 *   $ ./build/suite --filter 'commands/soak_*'
 */
#include <stdio.h>
#include <string.h>

#include "cmdtest.h"

struct summary {
	unsigned long rounds, accepted, delivered, aborted, kills, restarts, failures;
	double seconds;
};

/* The last line of a soak: "soak: seed S, R rounds, A messages accepted, ..." */
static void summary_of(const struct cli_run *r, struct summary *s)
{
	const char *line = strstr(r->outbuf, "soak: seed ");

	cr_assert(line != NULL, "commands: soak printed no summary; stderr: %s", r->errbuf);
	cr_assert(eq(int, sscanf(line, "soak: seed %*u, %lu rounds, %lu messages accepted, %lu delivered, "
				 "%lu rounds aborted (%*u of them wedged by a consumer's death), %lu kills, "
				 "%lu restarts, %*u lost in flight at a consumer's death, %lu failures, %lf s",
				 &s->rounds, &s->accepted, &s->delivered, &s->aborted, &s->kills,
				 &s->restarts, &s->failures, &s->seconds), 8),
		  "commands: soak summary: %s", line);
}

CMD_TEST(soak_without_kills_delivers_all)
{
	static const struct {
		const char *argv[14];
		unsigned long messages;
	} runs[] = {
		{ { "soak", "--backend", "posix-shm", "--messages", "8", "--procs", "4", "--kills", "0",
		    "--seed", "7" }, 8 },
		{ { "soak", "--backend", "sysv-msg", "--messages", "20", "--per-round", "1", "--procs", "4",
		    "--kills", "0", "--seed", "7" }, 20 },
	};

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct summary s;
		struct cli_run r;

		cmd_run(&r, NULL, runs[i].argv, 0);
		summary_of(&r, &s);
		cr_assert(s.accepted >= runs[i].messages && s.delivered == s.accepted && s.aborted == 0 &&
			  s.kills == 0 && s.restarts == 0 && s.failures == 0 && s.rounds >= 1,
			  "commands: soak %s --messages %lu without kills: %s", runs[i].argv[2],
			  runs[i].messages, r.outbuf);
	}
}

/* --seconds 1 on a soak of 10^8 messages: it stops after the round that
 * ran past the second (rounds of 2000 messages, a few ms each here: the
 * bound is 4 s, wide), says so, counts a failure, exits 1. */
CMD_TEST(soak_seconds_stops_it)
{
	const char *argv[] = { "soak", "--backend", "sysv-shm", "--messages", "100000000", "--per-round",
			       "2000", "--seconds", "1", "--kills", "0", "--seed", "7", NULL };
	struct summary s;
	struct cli_run r;

	cmd_run(&r, NULL, argv, 1);
	cmd_says(r.errbuf, "ipcmp soak: stopped after 1 s (--seconds)\n", "soak --seconds 1");
	summary_of(&r, &s);
	cr_assert(s.failures == 1 && s.accepted < 100000000 && s.seconds >= 1 && s.seconds < 4,
		  "commands: soak --seconds 1: %s", r.outbuf);
}
