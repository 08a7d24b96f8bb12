/*
 * cmd_lesson.c - `ipcmp lesson mode-0000` where it cannot become nobody:
 * as a plain user (its own rows are the plain user's) and as root of a
 * user namespace (root there has no CAP_IPC_OWNER over the IPC namespace
 * it did not make, but does have CAP_DAC_OVERRIDE over /dev/shm files of
 * a uid it maps: capabilities(7), user_namespaces(7)). The expected rows
 * are svipc(7)'s and shm_open(3)'s: a mode 0000 segment refuses shmat to
 * its owner without CAP_IPC_OWNER; a POSIX object's creating descriptor
 * works, a later open without CAP_DAC_OVERRIDE is refused.
 * suite/lessons.c asserts the lesson as root.
 *
 *   $ ./build/suite --filter 'commands/lesson_mode0000_*'
 */
#include <stdlib.h>
#include <string.h>

#include "cmdtest.h"

#define TEXT 256

/* result.self["SysV shm" | "POSIX shm"][step] */
static const char *step(const struct json_doc *d, const char *family, const char *what, char *buf)
{
	const struct json_value *res = json_get(d, json_root(d), "result");

	return json_text(json_get(d, json_get(d, json_get(d, res, "self"), family), what), buf, TEXT);
}

static void mode0000_rows(const struct json_doc *d, const char *posix_reopen, const char *what)
{
	char buf[TEXT];

	cr_assert(eq(str, (char *)step(d, "SysV shm", "create", buf), "ok"), "%s: SysV create", what);
	cr_assert(eq(str, (char *)step(d, "SysV shm", "first_handle", buf), "EACCES"),
		  "%s: shmat by the owner of a mode 0000 segment", what);
	cr_assert(eq(str, (char *)step(d, "SysV shm", "reopen_no_permission_asked", buf), "ok"),
		  "%s: shmget(key, 0, 0)", what);
	cr_assert(eq(str, (char *)step(d, "POSIX shm", "first_handle", buf), "ok"),
		  "%s: the creating descriptor", what);
	cr_assert(eq(str, (char *)step(d, "POSIX shm", "reopen", buf), (char *)posix_reopen),
		  "%s: shm_open(O_RDWR) again", what);
}

static char *run_json(struct cli_run *r, const struct cli_spec *spec, struct json_doc *d,
		      const char *what)
{
	const char *argv[] = { "lesson", "mode-0000", "--json", NULL };
	char *out = cmd_output(r, spec, argv, 0);

	cmd_json(d, out, what);
	cr_assert(json_get(d, json_root(d), "ok") != NULL &&
		  json_get(d, json_root(d), "ok")->type == JSON_TRUE, "%s: not ok: %s", what, out);
	return out;
}

CMD_TEST(lesson_mode0000_as_plain_user)
{
	struct cli_spec nobody = { .as_nobody = 1 };
	struct cli_run r;
	struct json_doc d;
	char buf[TEXT], *out;
	const struct json_value *res;

	cmd_need_nobody("lesson mode-0000 as nobody");
	out = run_json(&r, &nobody, &d, "lesson mode-0000 as nobody");
	res = json_get(&d, json_root(&d), "result");
	cr_assert(json_number(json_get(&d, res, "root")) == 0 &&
		  json_number(json_get(&d, res, "plain_ran")) == 0, "lesson mode-0000 as nobody: %s", out);
	cr_assert(eq(str, (char *)json_text(json_get(&d, res, "plain_skip"), buf, TEXT),
		     "already a plain user (uid 65534): the rows above are the plain user's"),
		  "lesson mode-0000 as nobody: plain_skip");
	mode0000_rows(&d, "EACCES", "lesson mode-0000 as nobody");
	json_free(&d);
	free(out);
}

CMD_TEST(lesson_mode0000_in_user_namespace)
{
	const char *argv[] = { "lesson", "mode-0000", NULL };
	struct cli_spec userns = { .in_user_ns = 1 };
	const char *why = cli_user_ns_why();
	struct cli_run r;
	struct json_doc d;
	char buf[TEXT], *out;
	const struct json_value *res;

	if (why != NULL)
		cr_skip("commands: lesson_mode0000_in_user_namespace: %s", why);
	out = run_json(&r, &userns, &d, "lesson mode-0000 in a user namespace");
	res = json_get(&d, json_root(&d), "result");
	cr_assert(json_number(json_get(&d, res, "root")) == 1 &&
		  json_number(json_get(&d, res, "plain_ran")) == 0, "lesson mode-0000 in a user "
		  "namespace: %s", out);
	cmd_says(json_text(json_get(&d, res, "plain_skip"), buf, TEXT), "cannot become nobody: ",
		 "lesson mode-0000 in a user namespace");
	mode0000_rows(&d, "ok", "lesson mode-0000 in a user namespace");
	json_free(&d);
	free(out);
	/* the text says why root was refused */
	cmd_run(&r, &userns, argv, 0);
	cmd_says(r.outbuf, "(refused although uid 0: this root lacks the capability over these\n",
		 "lesson mode-0000 in a user namespace");
}
