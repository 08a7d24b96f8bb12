/*
 * cmd_channel.c - create and unlink on the edges cli.c does not reach: a
 * message size one byte over a backend's limit is refused before create
 * tries, naming the limit (the one at the limit is made); unlink of a
 * channel that lost a part removes the rest and says it was damaged.
 *
 *   $ ./build/suite --filter 'commands/create_*'
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "cmdtest.h"

/* Each backend: --msg-size one over ipcmp_limits' msg_max_limit: exit 1,
 * stderr names the size, the limit and where it comes from, nothing made;
 * at the limit itself (capacity 1) the channel is made. */
CMD_TEST(create_msg_size_over_limit)
{
	for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
		const struct ipcmp_ops *ops = ipcmp_backends[b];
		const char *name = fixture_name();
		char over[32], at[32], says[256];
		const char *too_big[] = { "create", "-b", ops->name, name, "--msg-size", over, NULL };
		const char *just[] = { "create", "-b", ops->name, name, "--msg-size", at, "--capacity", "1",
				       NULL };
		struct ipcmp_limits lim;
		struct cli_run r;

		limits_ok(ops, &lim);
		snprintf(over, sizeof(over), "%zu", lim.msg_max_limit + 1);
		snprintf(at, sizeof(at), "%zu", lim.msg_max_limit);
		cmd_run(&r, NULL, too_big, 1);
		snprintf(says, sizeof(says), "ipcmp: create %s \"%s\": --msg-size %s is over the limit %s (%s)\n",
			 ops->name, name, over, at, lim.msg_max_source);
		cr_assert(eq(str, r.errbuf, says), "commands: %s: create --msg-size %s said:\n%s", ops->name,
			  over, r.errbuf);
		census_assert_clean();
		cmd_run(&r, NULL, just, 0);
		chan_unlink_ok(ops, name);
	}
}

/* A sysv-shm channel whose set was removed (ipcrm -s): unlink removes the
 * segment, exits 0 and says the channel was damaged. */
CMD_TEST(unlink_damaged_channel)
{
	const char *name = fixture_name();
	const char *argv[] = { "unlink", "-b", "sysv-shm", name, NULL };
	key_t key = ipcmp_sysv_key(name);
	struct shmid_ds sd;
	struct cli_run r;
	char says[160];
	int shmid;

	chan_close_ok(chan_create_ok(ipcmp_backend("sysv-shm"), name, 64, 4, 0));
	shmid = shmget(key, 0, 0);
	cr_assert(ge(int, shmid, 0), "commands: shmget: %s", strerror(errno));
	cr_assert(eq(int, semctl(semget(key, 0, 0), 0, IPC_RMID), 0), "commands: semctl(IPC_RMID): %s",
		  strerror(errno));
	cmd_run(&r, NULL, argv, 0);
	snprintf(says, sizeof(says), "removed sysv-shm \"%s\", a damaged channel (a part was missing "
		 "or overwritten)\n", name);
	cr_assert(eq(str, r.outbuf, says), "commands: unlink of a damaged channel said: %s", r.outbuf);
	cr_assert(shmctl(shmid, IPC_STAT, &sd) < 0 && errno == EINVAL,
		  "commands: unlink left the damaged channel's segment");
}

/* lesson all --json: one JSON object a line, a line a lesson, in the
 * list's order, each with its numbers and "ok": true. */
CMD_TEST(lesson_all_json)
{
	const char *argv[] = { "lesson", "all", "--json", "--iterations", "1000", "--processes", "2",
			       NULL };
	const char *list[] = { "lesson", NULL };
	struct cli_run r, l;
	char *out, *line, *save, name[64];
	size_t n = 0;

	cmd_run(&l, NULL, list, 0);
	out = cmd_output(&r, NULL, argv, 0);
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save), n++) {
		const char *want = cmd_line(l.outbuf, "", n);
		struct json_doc d;

		cr_assert(want != NULL && *want != '\n', "commands: lesson all --json: line %zu: more "
			  "lessons than the list has", n);
		cmd_json(&d, line, "a line of lesson all --json");
		json_text(json_get(&d, json_root(&d), "lesson"), name, sizeof(name));
		cr_assert(strncmp(want, name, strlen(name)) == 0 && want[strlen(name)] == ' ',
			  "commands: lesson all --json: line %zu is lesson \"%s\", the list says %.40s", n,
			  name, want);
		cr_assert(json_get(&d, json_root(&d), "result") != NULL &&
			  json_get(&d, json_root(&d), "result")->type == JSON_OBJECT,
			  "commands: lesson %s --json: no result object", name);
		cr_assert(json_get(&d, json_root(&d), "ok") != NULL &&
			  json_get(&d, json_root(&d), "ok")->type == JSON_TRUE,
			  "commands: lesson %s --json: not ok", name);
		json_free(&d);
	}
	cr_assert(cmd_line(l.outbuf, "", n) != NULL && *cmd_line(l.outbuf, "", n) == '\n',
		  "commands: lesson all --json: %zu lessons, the list has more", n);
	free(out);
}
