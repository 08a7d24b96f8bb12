/*
 * cmd_compare.c - `ipcmp compare` read back: each section in the formats
 * commands.c does not check, the JSON parsed whole and held to the tables
 * it is printed from (the probes' rows, the backends' steps), and the
 * comparison as a plain user, which skips what needs root and says why.
 *
 *   $ ./build/suite --filter 'commands/compare_*'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdtest.h"
#include "probe.h"
#include "procinfo.h"

#define TEXT 512

static size_t backend_count(void)
{
	size_t n = 0;

	while (ipcmp_backends[n] != NULL)
		n++;
	return n;
}

static const struct json_value *member(const struct json_doc *d, const struct json_value *obj,
				       const char *key, enum json_type type, const char *what)
{
	const struct json_value *v = json_get(d, obj, key);

	cr_assert(v != NULL, "commands: %s: no \"%s\"", what, key);
	cr_assert(eq(int, (int)v->type, (int)type), "commands: %s: \"%s\" is of JSON type %d, not %d",
		  what, key, (int)v->type, (int)type);
	return v;
}

static const char *member_text(const struct json_doc *d, const struct json_value *obj,
			       const char *key, char *buf, const char *what)
{
	return json_text(member(d, obj, key, JSON_STRING, what), buf, TEXT);
}

/* "system": the kernel, the libc and the uid the command ran as. */
static void system_is(const struct json_doc *d, unsigned uid, const char *what)
{
	const struct json_value *sys = member(d, json_root(d), "system", JSON_OBJECT, what);
	char buf[TEXT];

	cr_assert(eq(int, strncmp(member_text(d, sys, "libc", buf, what), "glibc ", 6), 0),
		  "commands: %s: system.libc is \"%s\"", what, buf);
	cr_assert(gt(sz, strlen(member_text(d, sys, "kernel", buf, what)), 0), "commands: %s: no kernel",
		  what);
	cr_assert(eq(u32, (unsigned)json_number(member(d, sys, "uid", JSON_NUMBER, what)), uid),
		  "commands: %s: system.uid", what);
}

/* --json --only api: one object a protocol step, in order, and for each
 * backend its own words for that step (ops->steps: the calls, and how). */
CMD_TEST(compare_api_map_json)
{
	const char *argv[] = { "compare", "--only", "api", "--json", NULL };
	struct cli_run r;
	struct json_doc d;
	char *out = cmd_output(&r, NULL, argv, 0);
	const struct json_value *map;
	char buf[TEXT];

	cmd_json(&d, out, "compare --only api --json");
	system_is(&d, (unsigned)geteuid(), "compare --json");
	cr_assert(json_get(&d, json_root(&d), "semantics") == NULL, "commands: --only api printed semantics");
	map = member(&d, json_root(&d), "api_map", JSON_ARRAY, "compare --json");
	cr_assert(eq(sz, map->count, IPCMP_STEPS), "commands: api_map has %zu steps, not %d", map->count,
		  IPCMP_STEPS);
	for (size_t i = 0; i < IPCMP_STEPS; i++) {
		const struct json_value *step = json_at(&d, map, i);

		cr_assert(eq(str, (char *)member_text(&d, step, "step", buf, "api_map"),
			     (char *)ipcmp_step_names[i]), "commands: api_map step %zu", i);
		cr_assert(eq(sz, step->count, backend_count() + 1), "commands: api_map %s: %zu members",
			  ipcmp_step_names[i], step->count);
		for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
			const struct ipcmp_step *st = &ipcmp_backends[b]->steps[i];
			const char *cell = member_text(&d, step, ipcmp_backends[b]->name, buf, "api_map");

			cr_assert(cell[0] != '\0', "commands: api_map %s %s is empty", ipcmp_step_names[i],
				  ipcmp_backends[b]->name);
			if (st->calls[0] != '\0')
				cmd_says(cell, st->calls, "an api_map cell");
			if (st->how != NULL && st->how[0] != '\0')
				cmd_says(cell, st->how, "an api_map cell");
		}
	}
	json_free(&d);
	free(out);
}

/*
 * Each semantics row as JSON: in the table's order, its documented
 * outcomes, whether the system agrees with its man page, and what was
 * observed. A row that ran observed what it expects (exit 0 says none did
 * otherwise); a row that did not run says why, in both cells, and never
 * FAILED. need_mask: rows that need any of these must not have run.
 */
static void semantics_json(const struct json_doc *d, int need_mask, const char *what)
{
	const struct json_value *rows = member(d, json_root(d), "semantics", JSON_ARRAY, what);
	char a[TEXT], b[TEXT];
	size_t n = 0, ran = 0;

	for (const struct semantics_row *row = probe_semantics; row->id != NULL; row++, n++) {
		const struct json_value *o = json_at(d, rows, n), *dis, *sv, *px, *ranv;
		int row_ran;

		cr_assert(o != NULL, "commands: %s: %zu semantics rows, the table has more", what, n);
		sv = member(d, o, "sysv", JSON_OBJECT, row->id);
		px = member(d, o, "posix", JSON_OBJECT, row->id);
		cr_assert(eq(str, (char *)member_text(d, o, "id", a, what), (char *)row->id),
			  "commands: %s: row %zu", what, n);
		cr_assert(eq(str, (char *)member_text(d, o, "title", a, row->id), (char *)row->title),
			  "commands: %s: %s title", what, row->id);
		cr_assert(eq(str, (char *)member_text(d, sv, "expected", a, row->id),
			     (char *)row->sysv.expect), "commands: %s: %s sysv.expected", what, row->id);
		cr_assert(eq(str, (char *)member_text(d, px, "expected", a, row->id),
			     (char *)row->posix.expect), "commands: %s: %s posix.expected", what, row->id);
		cr_assert(eq(str, (char *)member_text(d, sv, "calls", a, row->id), (char *)row->sysv.calls),
			  "commands: %s: %s sysv.calls", what, row->id);
		cr_assert(eq(str, (char *)member_text(d, o, "man_page", a, row->id), (char *)row->man_page),
			  "commands: %s: %s man_page", what, row->id);
		dis = json_get(d, o, "disagrees");
		cr_assert(dis != NULL && json_get(d, o, "agrees") != NULL, "commands: %s: %s", what, row->id);
		cr_assert(eq(int, json_get(d, o, "agrees")->type == JSON_TRUE, row->disagrees == NULL),
			  "commands: %s: %s agrees", what, row->id);
		if (row->disagrees == NULL)
			cr_assert(eq(int, (int)dis->type, JSON_NULL), "commands: %s: %s disagrees", what, row->id);
		else
			cr_assert(eq(str, (char *)json_text(dis, a, TEXT), (char *)row->disagrees),
				  "commands: %s: %s disagrees", what, row->id);
		member_text(d, sv, "observed", a, row->id);
		member_text(d, px, "observed", b, row->id);
		ranv = json_get(d, o, "ran");
		cr_assert(ranv != NULL && (ranv->type == JSON_TRUE || ranv->type == JSON_FALSE),
			  "commands: %s: %s: \"ran\" is not true or false", what, row->id);
		row_ran = ranv->type == JSON_TRUE;
		ran += row_ran;
		if (row_ran) {
			member(d, o, "as_expected", JSON_TRUE, row->id);
			cr_assert(eq(str, a, (char *)row->sysv.expect), "commands: %s: %s sysv observed",
				  what, row->id);
			cr_assert(eq(str, b, (char *)row->posix.expect), "commands: %s: %s posix observed",
				  what, row->id);
			cr_assert(eq(int, row->needs & need_mask, 0), "commands: %s: %s ran, though it "
				  "needs %d", what, row->id, row->needs);
		} else {
			cr_assert(strncmp(a, "needs ", 6) == 0 && strncmp(b, "needs ", 6) == 0,
				  "commands: %s: %s did not run and does not say what it needs: "
				  "\"%s\", \"%s\"", what, row->id, a, b);
		}
	}
	cr_assert(eq(sz, rows->count, n), "commands: %s: %zu semantics rows, the table has %zu", what,
		  rows->count, n);
	cr_assert(gt(sz, ran, n / 2), "commands: %s: only %zu of %zu semantics rows ran", what, ran, n);
}

/* Each errno row: its situation, call and documented errno; the errno
 * observed is that one, or the row says what it needs. */
static void errno_json(const struct json_doc *d, int need_mask, const char *what)
{
	const struct json_value *rows = member(d, json_root(d), "errno", JSON_ARRAY, what);
	char seen[TEXT], buf[TEXT];
	size_t n = 0;

	for (const struct errno_row *row = probe_errno; row->situation != NULL; row++, n++) {
		const struct json_value *o = json_at(d, rows, n);

		cr_assert(o != NULL, "commands: %s: %zu errno rows, the table has more", what, n);
		cr_assert(eq(str, (char *)member_text(d, o, "situation", buf, what), (char *)row->situation),
			  "commands: %s: errno row %zu", what, n);
		cr_assert(eq(str, (char *)member_text(d, o, "call", buf, what), (char *)row->call),
			  "commands: %s: errno row %zu", what, n);
		cr_assert(eq(str, (char *)member_text(d, o, "family", buf, what), (char *)row->family),
			  "commands: %s: errno row %zu", what, n);
		cr_assert(eq(str, (char *)member_text(d, o, "expected", buf, what),
			     (char *)probe_errno_name(row->expect)), "commands: %s: %s %s expected", what,
			  row->situation, row->call);
		member_text(d, o, "errno", seen, what);
		if (strncmp(seen, "needs ", 6) == 0)
			continue;
		cr_assert(eq(int, row->needs & need_mask, 0), "commands: %s: %s %s ran, though it needs %d",
			  what, row->situation, row->call, row->needs);
		cr_assert(eq(str, seen, (char *)probe_errno_name(row->expect)), "commands: %s: %s, %s: %s",
			  what, row->situation, row->call, seen);
	}
	cr_assert(eq(sz, rows->count, n), "commands: %s: %zu errno rows, the table has %zu", what,
		  rows->count, n);
}

CMD_TEST(compare_semantics_json)
{
	const char *argv[] = { "compare", "--only", "semantics", "--json", NULL };
	struct cli_run r;
	struct json_doc d;
	char *out = cmd_output(&r, NULL, argv, 0);

	cmd_json(&d, out, "compare --only semantics --json");
	semantics_json(&d, 0, "compare --only semantics --json");
	json_free(&d);
	free(out);
}

/*
 * As a plain user: the rows that need root, another user or a namespace
 * are skipped, each saying what it needs; every other row runs and agrees;
 * the command exits 0. Everything it made is gone (the census check).
 */
CMD_TEST(compare_as_plain_user)
{
	const char *argv[] = { "compare", "--only", "semantics,errno", "--json", NULL };
	struct cli_spec nobody = { .as_nobody = 1 };
	struct cli_run r;
	struct json_doc d;
	char *out;

	cmd_need_nobody("compare as nobody");
	out = cmd_output(&r, &nobody, argv, 0);
	cmd_json(&d, out, "compare as nobody");
	system_is(&d, NOBODY, "compare as nobody");
	semantics_json(&d, PROBE_ROOT | PROBE_OTHER_UID | PROBE_NAMESPACES, "compare as nobody");
	errno_json(&d, PROBE_ROOT | PROBE_OTHER_UID | PROBE_NAMESPACES, "compare as nobody");
	json_free(&d);
	free(out);
}

/* The errno section in Markdown: a header, a row per errno row, and the
 * rows where this system disagrees with its man page, each named. */
CMD_TEST(compare_errno_markdown)
{
	const char *argv[] = { "compare", "--only", "errno", "--markdown", NULL };
	struct cli_run r;
	static const char head[] = "\nWhere this system disagrees with its man page:\n\n";
	char *out = cmd_output(&r, NULL, argv, 0), want[TEXT];
	size_t n = 0, lines = 0, disagree = 0;

	cmd_says(out, "\n## Errno\n", "compare --only errno --markdown");
	cmd_says(out, "| situation | family | call | errno | man page |\n|---|---|---|---|---|\n",
		 "compare --only errno --markdown");
	for (const struct errno_row *row = probe_errno; row->situation != NULL; row++, n++) {
		const char *line;
		size_t len;

		/* the errno the man page gives, or (a row that needs what this
		 * run has not, e.g. root) what it needs */
		len = (size_t)snprintf(want, sizeof(want), "| %s | %s | %s | ", row->situation,
				       row->family, row->call);
		line = cmd_line(out, want, 0);
		cr_assert(line != NULL, "commands: compare --only errno --markdown: no row %s", want);
		snprintf(want, sizeof(want), "%s | %s |\n", probe_errno_name(row->expect), row->man_page);
		cr_assert(strncmp(line + len, want, strlen(want)) == 0 ||
			  (row->needs != 0 && strncmp(line + len, "needs ", 6) == 0),
			  "commands: compare --only errno --markdown: %.200s", line);
		if (row->disagrees != NULL) {
			/* the first under the heading, the heading once */
			snprintf(want, sizeof(want), "%s- %s, %s `%s`: differs from %s: %s.\n",
				 disagree++ ? "" : head, row->situation, row->family, row->call,
				 row->man_page, row->disagrees);
			cmd_says(out, want, "compare --only errno --markdown");
		}
	}
	if (disagree > 0)
		cr_assert(strstr(strstr(out, head) + 1, head) == NULL, "commands: compare --only errno "
			  "--markdown: the heading of the disagreements is printed more than once");
	while (cmd_line(out, "| ", lines) != NULL)
		lines++;
	cr_assert(eq(sz, lines, n + 1), "commands: compare --only errno --markdown: %zu table lines "
		  "for %zu rows", lines, n);
	free(out);
}

/* --no-speed takes speed out of what --only asked for. */
CMD_TEST(compare_no_speed)
{
	const char *argv[] = { "compare", "--only", "api,speed", "--no-speed", "--json", NULL };
	struct cli_run r;
	struct json_doc d;
	char *out = cmd_output(&r, NULL, argv, 0);

	cmd_json(&d, out, "compare --only api,speed --no-speed --json");
	cr_assert(json_get(&d, json_root(&d), "api_map") != NULL, "commands: --no-speed: no api_map");
	cr_assert(json_get(&d, json_root(&d), "speed") == NULL, "commands: --no-speed: speed ran");
	json_free(&d);
	free(out);
}

/*
 * The speed section as JSON: every backend at both sizes, in order, the
 * same capacity for all at a size, messages/s with min <= median <= max,
 * and a round-trip median at 64 bytes only. No timing is judged.
 */
CMD_TEST(compare_speed_json)
{
	static const size_t sizes[] = { 64, 1024 };
	const char *argv[] = { "compare", "--only", "speed", "--json", "--messages", "300", "--runs",
			       "3", NULL };
	struct cli_run r;
	struct json_doc d;
	char *out = cmd_output(&r, NULL, argv, 0), buf[TEXT];
	const struct json_value *rows;
	size_t nb = backend_count(), i = 0;

	cmd_json(&d, out, "compare --only speed --json");
	rows = member(&d, json_root(&d), "speed", JSON_ARRAY, "compare --json");
	cr_assert(eq(sz, rows->count, nb * 2), "commands: speed: %zu rows for %zu backends", rows->count, nb);
	for (size_t s = 0; s < 2; s++) {
		double capacity = -1;

		for (size_t b = 0; b < nb; b++, i++) {
			const struct json_value *o = json_at(&d, rows, i), *m, *rtt;
			const char *name = ipcmp_backends[b]->name;
			double med, min, max;

			cr_assert(eq(str, (char *)member_text(&d, o, "backend", buf, "speed"), (char *)name),
				  "commands: speed row %zu", i);
			cr_assert(eq(sz, (size_t)json_number(member(&d, o, "msg_bytes", JSON_NUMBER, name)),
				     sizes[s]), "commands: speed %s msg_bytes", name);
			if (capacity < 0)
				capacity = json_number(member(&d, o, "capacity", JSON_NUMBER, name));
			cr_assert(json_number(member(&d, o, "capacity", JSON_NUMBER, name)) == capacity &&
				  capacity >= 1 && capacity <= 64, "commands: speed %s: capacity differs "
				  "from the others' at %zu bytes", name, sizes[s]);
			m = member(&d, o, "msgs_per_s", JSON_OBJECT, name);
			med = json_number(member(&d, m, "median", JSON_NUMBER, name));
			min = json_number(member(&d, m, "min", JSON_NUMBER, name));
			max = json_number(member(&d, m, "max", JSON_NUMBER, name));
			cr_assert(min > 0 && min <= med && med <= max, "commands: speed %s %zu B: min %g, "
				  "median %g, max %g", name, sizes[s], min, med, max);
			rtt = json_get(&d, o, "rtt_us_p50");
			cr_assert(rtt != NULL && (s == 0 ? rtt->type == JSON_NUMBER && json_number(rtt) > 0
						  : rtt->type == JSON_NULL),
				  "commands: speed %s %zu B: rtt_us_p50", name, sizes[s]);
		}
	}
	json_free(&d);
	free(out);
}

/* The speed section in Markdown: the table's header, then a row per
 * backend and size, each with its numbers (a failed run would say so). */
CMD_TEST(compare_speed_markdown)
{
	const char *argv[] = { "compare", "--only", "speed", "--markdown", "--messages", "300",
			       "--runs", "1", NULL };
	struct cli_run r;
	char *out = cmd_output(&r, NULL, argv, 0), row[64];
	size_t nb = backend_count();

	cmd_says(out, "| backend | message bytes | capacity | messages/s median |", "compare speed --markdown");
	cmd_says(out, "300 messages a run, median of 1 runs", "compare speed --markdown");
	for (size_t b = 0; b < nb; b++)
		for (int s = 0; s < 2; s++) {
			const char *line;
			unsigned long bytes, cap, med, min, max;

			snprintf(row, sizeof(row), "| %s | ", ipcmp_backends[b]->name);
			line = cmd_line(out, row, (size_t)s);
			cr_assert(line != NULL, "commands: speed --markdown: no row %d of %s:\n%s", s,
				  ipcmp_backends[b]->name, out);
			cr_assert(eq(int, sscanf(line + strlen(row), "%lu | %lu | %lu | %lu | %lu |", &bytes,
						 &cap, &med, &min, &max), 5),
				  "commands: speed --markdown: %.120s", line);
			cr_assert(bytes == (s == 0 ? 64 : 1024) && med > 0 && min <= med && med <= max,
				  "commands: speed --markdown: %.120s", line);
		}
	free(out);
}

/*
 * In a user namespace where the command is root but uid 65534 is not
 * mapped (unshare -Ur, a rootless container): the rows that need another
 * user are skipped and say so; the rest run (it may still make IPC and
 * mount namespaces there) and agree; exit 0.
 */
CMD_TEST(compare_in_user_namespace)
{
	const char *argv[] = { "compare", "--only", "semantics,errno", "--json", NULL };
	struct cli_spec userns = { .in_user_ns = 1 };
	const char *why = cli_user_ns_why();
	struct cli_run r;
	struct json_doc d;
	char *out;

	if (why != NULL)
		cr_skip("commands: compare_in_user_namespace: %s", why);
	out = cmd_output(&r, &userns, argv, 0);
	cmd_json(&d, out, "compare in a user namespace");
	system_is(&d, 0, "compare in a user namespace");
	semantics_json(&d, PROBE_OTHER_UID, "compare in a user namespace");
	errno_json(&d, PROBE_OTHER_UID, "compare in a user namespace");
	json_free(&d);
	free(out);
}
