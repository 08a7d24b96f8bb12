/*
 * cmdtest.c - see cmdtest.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdtest.h"
#include "crashkit.h"
#include "procinfo.h"

static const char *args_text(const char *const argv[], char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] != NULL && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? " " : "", argv[i]);
	return buf;
}

void cmd_run(struct cli_run *r, const struct cli_spec *spec, const char *const argv[], int status)
{
	char args[256];

	cli_start(r, spec, argv);
	cli_finish(r, 60000);
	cr_assert(eq(int, r->status, status), "commands: ipcmp %s: exit status %d, want %d; stderr: %s",
		  args_text(argv, args, sizeof(args)), r->status, status, r->errbuf);
}

char *cmd_output(struct cli_run *r, const struct cli_spec *spec, const char *const argv[], int status)
{
	char path[] = "/tmp/ipcmp-commands-out.XXXXXX", args[256];
	struct cli_spec s = spec != NULL ? *spec : (struct cli_spec){ 0 };
	char *text = NULL;
	long len;
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) < 0)
		cr_fatal("commands: mkstemp %s: %s", path, strerror(errno));
	close(fd);
	s.out = path;
	cli_start(r, &s, argv);
	cli_finish(r, 60000);
	if ((f = fopen(path, "re")) != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) != NULL) {
		text[fread(text, 1, (size_t)len, f)] = '\0';
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
	cr_assert(text != NULL, "commands: reading %s: %s", path, strerror(errno));
	cr_assert(eq(int, r->status, status), "commands: ipcmp %s: exit status %d, want %d; stderr: %s",
		  args_text(argv, args, sizeof(args)), r->status, status, r->errbuf);
	return text;
}

void cmd_says(const char *text, const char *part, const char *what)
{
	cr_assert(strstr(text, part) != NULL, "commands: %s does not say \"%s\":\n%.2000s", what, part,
		  text);
}

void cmd_json(struct json_doc *doc, const char *text, const char *what)
{
	if (json_parse(doc, text, strlen(text)) < 0)
		cr_fatal("commands: %s: not JSON: %s:\n%.2000s", what, doc->error, text);
}

const char *cmd_line(const char *text, const char *prefix, size_t n)
{
	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0 && n-- == 0)
			return p;
	return NULL;
}

void cmd_need_nobody(const char *what)
{
	const char *why = fixture_no_nobody();
	const char *path = kit_ipcmp_path();
	int st;
	pid_t pid;

	if (why != NULL)
		cr_skip("commands: %s: %s", what, why);
	/* the program and its directories must be open to nobody */
	if ((pid = fork()) == 0)
		fixture_exit(drop_to_nobody() < 0 ? 2 : access(path, X_OK) < 0 ? 1 : 0);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		cr_fatal("commands: %s: a child to become nobody failed", what);
	if (WEXITSTATUS(st) != 0)
		cr_skip("commands: %s: nobody (%u) cannot run %s (copy the build where it can: "
			"IPCMP_BIN)", what, NOBODY, path);
}
