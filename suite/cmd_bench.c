/*
 * cmd_bench.c - `ipcmp bench` as a user runs it, tiny: one case each, a
 * few messages. Its JSON parsed: --mode keeps one half, --seconds bounds a
 * case by time; a plot it cannot write fails the run and names the file;
 * as a plain user it runs in the IPC namespace it is in, says so, and
 * leaves nothing there. No timing is judged. (suite/bench.c checks the
 * cases themselves through the library.)
 *
 *   $ ./build/suite --filter 'commands/bench_*'
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "cmdtest.h"
#include "procinfo.h"

#define TEXT 256

/* Every result of the run: named `name`, of mode `mode` (NULL: either), no
 * error, and for a stream a positive throughput. Returns how many. */
static size_t results_are(const struct json_doc *d, const char *name, const char *mode,
			  const char *what)
{
	const struct json_value *res = json_get(d, json_root(d), "results");
	char buf[TEXT];

	cr_assert(res != NULL && res->type == JSON_ARRAY && res->count > 0, "commands: %s: no results",
		  what);
	for (size_t i = 0; i < res->count; i++) {
		const struct json_value *o = json_at(d, res, i), *m;

		cr_assert(eq(str, (char *)json_text(json_get(d, o, "name"), buf, TEXT), (char *)name),
			  "commands: %s: result %zu", what, i);
		json_text(json_get(d, o, "mode"), buf, TEXT);
		if (mode != NULL)
			cr_assert(eq(str, buf, (char *)mode), "commands: %s: result %zu is a %s", what, i, buf);
		cr_assert(json_get(d, o, "error") == NULL && json_get(d, o, "skipped") == NULL,
			  "commands: %s: result %zu failed or was skipped: %.300s", what, i, o->text);
		if (strcmp(buf, "stream") == 0) {
			m = json_get(d, o, "messages_per_s");
			cr_assert(json_number(json_get(d, m, "median")) > 0, "commands: %s: result %zu: "
				  "%.300s", what, i, o->text);
		}
	}
	return res->count;
}

CMD_TEST(bench_mode_keeps_one_half)
{
	static const char *const modes[] = { "stream", "roundtrip" };

	for (size_t i = 0; i < 2; i++) {
		const char *argv[] = { "bench", "--only", "pipe", "--mode", modes[i], "--messages", "50",
				       "--reps", "1", "--sizes", "64,128", "--json", NULL };
		struct cli_run r;
		struct json_doc d;
		char *out = cmd_output(&r, NULL, argv, 0);

		cmd_json(&d, out, modes[i]);
		/* a stream at each size; one round trip, at 64 bytes */
		cr_assert(eq(sz, results_are(&d, "pipe", modes[i], modes[i]), i == 0 ? 2 : 1),
			  "commands: bench --mode %s: results", modes[i]);
		json_free(&d);
		free(out);
	}
}

/* --seconds: each case runs for that long, not for a count of messages
 * (the later of --messages and --seconds is the one that counts). */
CMD_TEST(bench_seconds)
{
	const char *argv[] = { "bench", "--only", "pipe", "--mode", "stream", "--messages", "100",
			       "--seconds", "0.05", "--reps", "1", "--sizes", "64", "--json", NULL };
	struct cli_run r;
	struct json_doc d;
	char *out = cmd_output(&r, NULL, argv, 0);

	cmd_json(&d, out, "bench --seconds 0.05");
	cr_assert(json_number(json_get(&d, json_root(&d), "seconds")) == 0.05 &&
		  json_number(json_get(&d, json_root(&d), "messages")) == 0,
		  "commands: bench --seconds 0.05: %.200s", out);
	cr_assert(eq(sz, results_are(&d, "pipe", "stream", "bench --seconds"), 1),
		  "commands: bench --seconds: one result");
	json_free(&d);
	free(out);
}

/* A plot that cannot be written: the table is printed, the run fails
 * (exit 1), and stderr names the file and why. */
CMD_TEST(bench_svg_unwritable)
{
	const char *argv[] = { "bench", "--only", "pipe", "--messages", "20", "--reps", "1",
			       "--sizes", "64", "--svg", "/nonexistent-ipcmp-dir/plot.svg", NULL };
	struct cli_run r;

	cmd_run(&r, NULL, argv, 1);
	cmd_says(r.outbuf, "pipe", "bench --svg (unwritable)");
	cmd_says(r.errbuf, "ipcmp: bench: write /nonexistent-ipcmp-dir/plot.svg: No such file or directory\n",
		 "bench --svg (unwritable)");
}

/*
 * As a plain user: not root, so no private namespace: bench says it ran
 * in the one it is in, with its limits; every case ran; nothing is left
 * (the census check of this test's namespace); and it says that it could
 * not count POSIX queues (only root may mount an mqueue view).
 */
CMD_TEST(bench_as_plain_user)
{
	const char *argv[] = { "bench", "--only", "sysv-shm,posix-shm,raw-sysv-shm", "--messages",
			       "50", "--reps", "1", "--sizes", "64", "--json", NULL };
	struct cli_spec nobody = { .as_nobody = 1 };
	struct cli_run r;
	struct json_doc d;
	char buf[TEXT], *out;
	const struct json_value *res;

	cmd_need_nobody("bench as nobody");
	out = cmd_output(&r, &nobody, argv, 0);
	cmd_json(&d, out, "bench as nobody");
	cr_assert(eq(str, (char *)json_text(json_get(&d, json_root(&d), "where"), buf, TEXT),
		     "the host's IPC namespace (not root): the host's limits"), "commands: bench as nobody");
	cmd_says(json_text(json_get(&d, json_root(&d), "limits"), buf, TEXT), "kernel.msgmnb ",
		 "bench as nobody: limits");
	res = json_get(&d, json_root(&d), "results");
	cr_assert(res != NULL && res->count == 6, "commands: bench as nobody: %zu results, not 3 "
		  "cases in 2 modes", res != NULL ? res->count : 0);
	for (size_t i = 0; i < res->count; i++)
		cr_assert(json_get(&d, json_at(&d, res, i), "error") == NULL, "commands: bench as nobody: "
			  "%.300s", json_at(&d, res, i)->text);
	cmd_says(r.errbuf, "ipcmp: bench: POSIX message queues are not in the census",
		 "bench as nobody: stderr");
	json_free(&d);
	free(out);
}

/* 1: the bench of pid has made an object (so it has taken its census). */
static int bench_started(pid_t pid)
{
	char prefix[48], line[256];
	struct dirent *e;
	int seen = 0;
	FILE *f;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "ipcmp.bench-%ld-", (long)pid);
	if ((d = opendir("/dev/shm")) != NULL) {
		while (!seen && (e = readdir(d)) != NULL)
			seen = strncmp(e->d_name, prefix, strlen(prefix)) == 0;
		closedir(d);
	}
	if (!seen && (f = fopen("/proc/sysvipc/shm", "re")) != NULL) {
		unsigned uid;

		while (!seen && fgets(line, sizeof(line), f) != NULL)
			seen = sscanf(line, "%*d %*d %*o %*u %*d %*d %*u %u", &uid) == 1 && uid == NOBODY;
		fclose(f);
	}
	return seen;
}

/*
 * As a plain user, bench counts as its own only the objects it made: its
 * POSIX names carry its pid, its SysV keys its channels' names, its
 * IPC_PRIVATE segments its uid. Others' objects that appear while it runs
 * (made here, by root, once bench has made its first: after its census)
 * are neither blamed nor touched: exit 0, each still there.
 */
CMD_TEST(bench_as_plain_user_ignores_others)
{
	const char *argv[] = { "bench", "--only", "sysv-shm,posix-shm,raw-sysv-shm", "--messages",
			       "500", "--reps", "1", "--sizes", "64", NULL };
	struct cli_spec nobody = { .as_nobody = 1 };
	char pshm[64], key_name[32];
	struct shmid_ds sd;
	struct cli_run r;
	int priv, keyed, fd, waited = 0;

	cmd_need_nobody("bench as nobody");
	cli_start(&r, &nobody, argv);
	while (!bench_started(r.pid) && waited++ < 10000)
		usleep(1000);
	snprintf(pshm, sizeof(pshm), "%sbench-%ld-x", IPCMP_POSIX_PREFIX, (long)r.pid + 1);
	snprintf(key_name, sizeof(key_name), "bench-%ld-0", (long)r.pid + 1);
	priv = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	keyed = shmget(ipcmp_sysv_key(key_name), 4096, IPC_CREAT | IPC_EXCL | 0600);
	fd = shm_open(pshm, O_RDWR | O_CREAT | O_EXCL, 0600);
	cli_finish(&r, 60000);
	cr_assert(priv >= 0 && keyed >= 0 && fd >= 0, "commands: making others' objects: %s",
		  strerror(errno));
	close(fd);
	cr_assert(eq(int, r.status, 0), "commands: bench as nobody, others' objects made during its "
		  "run (%s): exit %d; stderr: %s", waited < 10000 ? "after its first" : "not seen to "
		  "start", r.status, r.errbuf);
	cr_assert(strstr(r.errbuf, "left behind") == NULL, "commands: bench blamed others: %s", r.errbuf);
	cr_assert(shmctl(priv, IPC_RMID, &sd) == 0 && shmctl(keyed, IPC_RMID, &sd) == 0 &&
		  shm_unlink(pshm) == 0, "commands: bench as nobody touched others' objects: %s",
		  strerror(errno));
}
