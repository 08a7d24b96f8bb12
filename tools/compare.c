/*
 * compare.c - `ipcmp compare`: System V IPC and POSIX IPC side by side,
 * every cell observed on this kernel and libc.
 *
 * Sections: the API map (the call each backend makes at each step of the
 * protocol), the semantics rows and the errno rows (tools/probes: the same
 * probes the suite asserts), this machine's limits, and a short speed
 * measure. Each probe runs in a forked child with a time limit (in a
 * private IPC and mount namespace when it may make one), so a probe that
 * hangs or crashes is a failed row, never a hung report.
 *
 *   $ ipcmp compare --only semantics
 *   $ ipcmp compare --json | jq '.semantics[] | select(.agrees == false)'
 */
#include <getopt.h>
#include <gnu/libc-version.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"
#include "probe.h"

#define PROBE_LIMIT_MS 20000       /* one probe; they take well under a second */

enum { SEC_API = 1, SEC_SEMANTICS = 2, SEC_ERRNO = 4, SEC_LIMITS = 8, SEC_SPEED = 16 };

static const struct {
	const char *name;
	int bit;
	const char *title;
} sections[] = {
	{ "api", SEC_API, "API map" },
	{ "semantics", SEC_SEMANTICS, "Semantics" },
	{ "errno", SEC_ERRNO, "Errno" },
	{ "limits", SEC_LIMITS, "Limits" },
	{ "speed", SEC_SPEED, "Speed" },
};

static const char usage_compare[] =
	"usage: ipcmp compare [--only LIST] [--no-speed] [--markdown | --json]\n"
	"                     [--messages N] [--runs N]\n"
	"System V IPC and POSIX IPC side by side, observed on this machine:\n"
	"  api        the call each backend makes at each step of the protocol\n"
	"  semantics  the documented differences, each observed by a probe\n"
	"  errno      the errno each family gives in the same situation\n"
	"  limits     this machine's limits, what changes them, what excess gives\n"
	"  speed      messages/s (median, min, max of --runs) and a 64-byte round trip\n"
	"  --only LIST    comma-separated sections (default: all)\n"
	"  --no-speed     all but speed (the quick part: a few seconds)\n"
	"  --markdown     Markdown (make docs writes docs/COMPARISON.md with it)\n"
	"  --json         one JSON object: system, api_map, semantics, errno, limits, speed\n"
	"  --messages N   messages a speed run moves (default 20000)\n"
	"  --runs N       speed runs per backend and size (default 3)\n"
	"Exit status 1 when a probe failed or observed what its row does not expect.\n";

/* The API map: one row a protocol step, one column a backend; each backend
 * names its own calls (ops->steps, next to its code). */
static const char *map_call(size_t step, size_t b, char *buf, size_t size)
{
	const struct ipcmp_step *st = ipcmp_backends[b]->steps;

	if (st == NULL || st[step].calls == NULL)
		return "?";
	if (st[step].how == NULL || st[step].how[0] == '\0')
		snprintf(buf, size, "%s", st[step].calls[0] != '\0' ? st[step].calls : "-");
	else if (st[step].calls[0] == '\0')
		snprintf(buf, size, "%s", st[step].how);
	else
		snprintf(buf, size, "%s: %s", st[step].calls, st[step].how);
	return buf;
}

static enum compare_format fmt;

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Markdown cells: a "|" would end the cell. */
static void md_cell(const char *s)
{
	fputs("| ", stdout);
	for (; s != NULL && *s != '\0'; s++)
		fputs(*s == '|' ? "\\|" : (char[2]){ *s, '\0' }, stdout);
	fputc(' ', stdout);
}

/* A Markdown cell: what was observed, and under it the calls that did it. */
static void md_observed(const char *observed, const char *calls)
{
	md_cell(observed);
	fputs("<br><sub>", stdout);
	for (; calls != NULL && *calls != '\0'; calls++)
		fputs(*calls == '|' ? "\\|" : (char[2]){ *calls, '\0' }, stdout);
	fputs("</sub> ", stdout);
}

/* ---- running a probe: a child, a pipe, a time limit ---- */

struct outcome {
	int rc;                      /* 0 ran, 1 skipped (r.skip says why), -errno */
	int seen;                    /* an errno row: the errno observed (0: success) */
	struct probe_result r;
	char failure[PROBE_TEXT];    /* set when the probe did not report */
};

struct job {
	const struct semantics_row *row;
	const struct errno_row *erow;
};

/* In the child, as root: a private IPC namespace, and a private tmpfs on
 * /dev/shm when /dev/shm is a mount point (not in every chroot). */
static void isolate(void)
{
	if (geteuid() != 0 || unshare(CLONE_NEWIPC | CLONE_NEWNS) < 0)
		return;
	if (mount("none", "/dev/shm", "none", MS_PRIVATE, NULL) == 0)
		mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

static void run_job(const struct job *job, struct outcome *out)
{
	struct pollfd p;
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (pipe(fds) < 0) {
		snprintf(out->failure, sizeof(out->failure), "pipe: %s", probe_errno_name(errno));
		return;
	}
	if ((pid = probe_fork()) == 0) {
		close(fds[0]);
		alarm(0);                  /* the parent's limit is the bound */
		isolate();
		if (job->row != NULL) {
			out->rc = job->row->probe(&out->r);
		} else {
			int e = job->erow->probe(out->r.skip, sizeof(out->r.skip));

			/* an errno row returns the errno seen, which may be 1 (EPERM) */
			out->rc = e == PROBE_SKIPPED ? 1 : e < 0 ? e : 0;
			out->seen = e;
			if (e >= 0)
				probe_say(&out->r.sysv, "%s", probe_errno_name(e));
		}
		_exit(write(fds[1], out, sizeof(*out)) == (ssize_t)sizeof(*out) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0) {
		snprintf(out->failure, sizeof(out->failure), "fork: %s", probe_errno_name(errno));
		close(fds[0]);
		return;
	}
	p.fd = fds[0];
	p.events = POLLIN;
	while (got < sizeof(*out) && poll(&p, 1, PROBE_LIMIT_MS) == 1 &&
	       (n = read(fds[0], (char *)out + got, sizeof(*out) - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	if (probe_reap(pid, got == sizeof(*out) ? PROBE_LIMIT_MS : 0, &status) == -ETIMEDOUT &&
	    got < sizeof(*out)) {
		snprintf(out->failure, sizeof(out->failure), "timed out after %d s", PROBE_LIMIT_MS / 1000);
		return;
	}
	if (got == sizeof(*out))
		return;
	memset(out, 0, sizeof(*out));
	if (WIFSIGNALED(status))
		snprintf(out->failure, sizeof(out->failure), "crashed: %s", probe_status_text(status));
	else
		snprintf(out->failure, sizeof(out->failure), "the probe reported nothing");
}

/* The cell of one family: observed, or why there is none. */
static const char *cell(const struct outcome *o, const struct probe_obs *obs, char *buf, size_t size)
{
	if (o->failure[0] != '\0')
		snprintf(buf, size, "FAILED: %s", o->failure);
	else if (o->rc == 1)
		snprintf(buf, size, "%s%s", strncmp(o->r.skip, "needs", 5) == 0 ? "" : "skipped: ", o->r.skip);
	else if (o->rc < 0)
		snprintf(buf, size, "FAILED: probe: %s", probe_errno_name(-o->rc));
	else
		snprintf(buf, size, "%s", obs->observed);
	return buf;
}

/* 1 when the row ran and both families did what the row expects */
static int as_expected(const struct semantics_row *row, const struct outcome *o)
{
	return o->failure[0] == '\0' && o->rc == 0 && strcmp(o->r.sysv.observed, row->sysv.expect) == 0 &&
	       strcmp(o->r.posix.observed, row->posix.expect) == 0;
}

static int broken(const struct outcome *o)
{
	return o->failure[0] != '\0' || o->rc < 0;
}

/* ---- sections ---- */

static void section_api(void)
{
	char call[256];
	size_t nb = 0;

	while (ipcmp_backends[nb] != NULL)
		nb++;
	if (fmt == FMT_JSON) {
		printf("[");
		for (size_t i = 0; i < IPCMP_STEPS; i++) {
			printf("%s\n  {\"step\": ", i ? "," : "");
			json_str(stdout, ipcmp_step_names[i]);
			for (size_t b = 0; b < nb; b++) {
				printf(", \"%s\": ", ipcmp_backends[b]->name);
				json_str(stdout, map_call(i, b, call, sizeof(call)));
			}
			printf("}");
		}
		printf("]");
		return;
	}
	if (fmt == FMT_MARKDOWN) {
		printf("| step ");
		for (size_t b = 0; b < nb; b++)
			printf("| %s ", ipcmp_backends[b]->name);
		printf("|\n|---");
		for (size_t b = 0; b < nb; b++)
			printf("|---");
		printf("|\n");
		for (size_t i = 0; i < IPCMP_STEPS; i++) {
			md_cell(ipcmp_step_names[i]);
			for (size_t b = 0; b < nb; b++)
				md_cell(map_call(i, b, call, sizeof(call)));
			printf("|\n");
		}
		return;
	}
	for (size_t i = 0; i < IPCMP_STEPS; i++) {
		printf("%s\n", ipcmp_step_names[i]);
		for (size_t b = 0; b < nb; b++)
			printf("  %-12s %s\n", ipcmp_backends[b]->name, map_call(i, b, call, sizeof(call)));
	}
}

static int section_semantics(void)
{
	char sv[2 * PROBE_TEXT], px[2 * PROBE_TEXT];
	int status = 0, n = 0;

	if (fmt == FMT_JSON)
		printf("[");
	else if (fmt == FMT_MARKDOWN)
		printf("| situation | System V | POSIX | man page |\n|---|---|---|---|\n");
	for (const struct semantics_row *row = probe_semantics; row->id != NULL; row++, n++) {
		struct job job = { .row = row };
		struct outcome o;
		int expected;

		run_job(&job, &o);
		expected = as_expected(row, &o);
		if (broken(&o) || (o.rc == 0 && !expected))
			status = 1;
		cell(&o, &o.r.sysv, sv, sizeof(sv));
		cell(&o, &o.r.posix, px, sizeof(px));
		if (fmt == FMT_JSON) {
			printf("%s\n  {\"id\": \"%s\", \"title\": ", n ? "," : "", row->id);
			json_str(stdout, row->title);
			printf(",\n   \"sysv\": {\"calls\": ");
			json_str(stdout, row->sysv.calls);
			printf(", \"observed\": ");
			json_str(stdout, sv);
			printf(", \"expected\": ");
			json_str(stdout, row->sysv.expect);
			printf("},\n   \"posix\": {\"calls\": ");
			json_str(stdout, row->posix.calls);
			printf(", \"observed\": ");
			json_str(stdout, px);
			printf(", \"expected\": ");
			json_str(stdout, row->posix.expect);
			printf("},\n   \"man_page\": ");
			json_str(stdout, row->man_page);
			printf(", \"agrees\": %s, \"disagrees\": ", row->disagrees == NULL ? "true" : "false");
			if (row->disagrees != NULL)
				json_str(stdout, row->disagrees);
			else
				printf("null");
			printf(", \"ran\": %s, \"as_expected\": %s}", o.rc == 0 && !broken(&o) ? "true" : "false",
			       expected ? "true" : "false");
		} else if (fmt == FMT_MARKDOWN) {
			char title[PROBE_TEXT + 64], man[PROBE_TEXT + 64];

			snprintf(title, sizeof(title), "**%s**: %s", row->id, row->title);
			snprintf(man, sizeof(man), "%s%s", row->man_page, row->disagrees ? " (disagrees: see below)" : "");
			md_cell(title);
			md_observed(sv, row->sysv.calls);
			md_observed(px, row->posix.calls);
			md_cell(man);
			printf("|%s\n", o.rc == 0 && !broken(&o) && !expected ? " UNEXPECTED" : "");
		} else {
			printf("%s: %s\n  System V  %s\n  POSIX     %s\n", row->id, row->title, sv, px);
			if (o.rc == 0 && !broken(&o) && !expected)
				printf("  UNEXPECTED: %s says System V \"%s\", POSIX \"%s\"\n", row->man_page,
				       row->sysv.expect, row->posix.expect);
			if (row->disagrees != NULL)
				printf("  differs from its man page: %s\n", row->disagrees);
		}
		fflush(stdout);
	}
	if (fmt == FMT_JSON) {
		printf("]");
	} else if (fmt == FMT_MARKDOWN) {
		printf("\nWhere this system disagrees with its man page:\n\n");
		for (const struct semantics_row *row = probe_semantics; row->id != NULL; row++)
			if (row->disagrees != NULL)
				printf("- **%s**: %s.\n", row->id, row->disagrees);
	}
	return status;
}

static const struct errno_row *first_disagreement(void)
{
	const struct errno_row *row = probe_errno;

	while (row->situation != NULL && row->disagrees == NULL)
		row++;
	return row;
}

static int section_errno(void)
{
	char obs[2 * PROBE_TEXT];
	int status = 0, n = 0;

	if (fmt == FMT_JSON)
		printf("[");
	else if (probe_errno[0].situation == NULL)
		printf("no rows\n");
	else if (fmt == FMT_MARKDOWN)
		printf("| situation | family | call | errno | man page |\n|---|---|---|---|---|\n");
	for (const struct errno_row *row = probe_errno; row->situation != NULL; row++, n++) {
		struct job job = { .erow = row };
		struct outcome o;

		int unexpected;

		run_job(&job, &o);
		unexpected = !broken(&o) && o.rc == 0 && o.seen != row->expect;
		if (broken(&o) || unexpected)
			status = 1;
		cell(&o, &o.r.sysv, obs, sizeof(obs));
		if (unexpected && fmt != FMT_JSON)
			snprintf(obs + strlen(obs), sizeof(obs) - strlen(obs), " (UNEXPECTED: %s says %s)",
				 row->man_page, probe_errno_name(row->expect));
		if (fmt == FMT_JSON) {
			printf("%s\n  {\"situation\": ", n ? "," : "");
			json_str(stdout, row->situation);
			printf(", \"family\": ");
			json_str(stdout, row->family);
			printf(", \"call\": ");
			json_str(stdout, row->call);
			printf(", \"errno\": ");
			json_str(stdout, obs);
			printf(", \"expected\": ");
			json_str(stdout, probe_errno_name(row->expect));
			printf(", \"man_page\": ");
			json_str(stdout, row->man_page);
			printf(", \"agrees\": %s}", row->disagrees == NULL ? "true" : "false");
		} else if (fmt == FMT_MARKDOWN) {
			md_cell(row->situation);
			md_cell(row->family);
			md_cell(row->call);
			md_cell(obs);
			md_cell(row->man_page);
			printf("|\n");
		} else {
			printf("%-34s %-9s %-16s %s\n", row->situation, row->family, row->call, obs);
		}
		fflush(stdout);
	}
	if (fmt == FMT_JSON) {
		printf("]");
		return status;
	}
	for (const struct errno_row *row = probe_errno; row->situation != NULL; row++)
		if (row->disagrees != NULL)
			printf(fmt == FMT_MARKDOWN ? "%s- %s, %s `%s`: differs from %s: %s.\n"
			       : "%s  %s, %s %s: differs from %s: %s\n",
			       row == first_disagreement() ? "\nWhere this system disagrees with its man page:\n\n" : "",
			       row->situation, row->family, row->call, row->man_page, row->disagrees);
	return status;
}

static void system_info(void)
{
	struct utsname u;
	char date[32];
	time_t t = time(NULL);

	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&t));
	if (fmt == FMT_JSON) {
		printf("\"system\": {\"kernel\": ");
		json_str(stdout, u.release);
		printf(", \"libc\": \"glibc %s\", \"uid\": %u, \"date\": \"%s\"}", gnu_get_libc_version(),
		       (unsigned)geteuid(), date);
	} else if (fmt == FMT_MARKDOWN) {
		printf("# System V IPC and POSIX IPC, side by side\n\n"
		       "Generated by `ipcmp compare --markdown` (`make docs`): every cell was observed on\n"
		       "Linux %s (%s), glibc %s, as uid %u, on %s.\n",
		       u.release, u.machine, gnu_get_libc_version(), (unsigned)geteuid(), date);
	} else {
		printf("ipcmp compare: Linux %s, glibc %s, uid %u\n", u.release, gnu_get_libc_version(),
		       (unsigned)geteuid());
	}
}

int cmd_compare(int argc, char **argv)
{
	enum { OPT_ONLY = 256, OPT_NO_SPEED, OPT_MARKDOWN, OPT_JSON, OPT_MESSAGES, OPT_RUNS };
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "no-speed", no_argument, NULL, OPT_NO_SPEED },
		{ "markdown", no_argument, NULL, OPT_MARKDOWN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "messages", required_argument, NULL, OPT_MESSAGES },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t messages = 20000, runs = 3;
	int want = SEC_API | SEC_SEMANTICS | SEC_ERRNO | SEC_LIMITS | SEC_SPEED;
	int c, status = 0;
	char *list, *tok, *save;

	fmt = FMT_TEXT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_compare, stdout);
			return 0;
		case OPT_ONLY:
			want = 0;
			list = strdup(optarg);
			for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
				size_t i = 0;

				while (i < sizeof(sections) / sizeof(sections[0]) && strcmp(sections[i].name, tok) != 0)
					i++;
				if (i == sizeof(sections) / sizeof(sections[0])) {
					status = cli_usage_error("compare", usage_compare, "no section '%s'", tok);
					free(list);
					return status;
				}
				want |= sections[i].bit;
			}
			free(list);
			break;
		case OPT_NO_SPEED:
			want &= ~SEC_SPEED;
			break;
		case OPT_MARKDOWN:
			fmt = FMT_MARKDOWN;
			break;
		case OPT_JSON:
			fmt = FMT_JSON;
			break;
		case OPT_MESSAGES:
		case OPT_RUNS:
			if (cli_number(optarg, c == OPT_RUNS ? 15 : (size_t)1 << 32,
				       c == OPT_RUNS ? &runs : &messages) < 0 ||
			    (c == OPT_RUNS ? runs : messages) == 0)
				return cli_usage_error("compare", usage_compare, "bad %s '%s' (1..%s)",
						       c == OPT_RUNS ? "--runs" : "--messages", optarg,
						       c == OPT_RUNS ? "15" : "4294967296");
			break;
		default:
			return cli_option_error("compare", usage_compare, longopts, c, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("compare", usage_compare, "unexpected '%s'", argv[optind]);

	if (fmt == FMT_JSON)
		printf("{");
	system_info();
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		static const char *const json_key[] = { "api_map", "semantics", "errno", "limits", "speed" };

		if (!(want & sections[i].bit))
			continue;
		if (fmt == FMT_JSON)
			printf(",\n\"%s\": ", json_key[i]);
		else
			printf(fmt == FMT_MARKDOWN ? "\n## %s\n\n" : "\n== %s ==\n", sections[i].title);
		fflush(stdout);
		switch (sections[i].bit) {
		case SEC_API:
			section_api();
			break;
		case SEC_SEMANTICS:
			status |= section_semantics();
			break;
		case SEC_ERRNO:
			status |= section_errno();
			break;
		case SEC_LIMITS:
			status |= compare_limits(fmt);
			break;
		case SEC_SPEED:
			status |= compare_speed(fmt, messages, (int)runs);
			break;
		}
	}
	if (fmt == FMT_JSON)
		printf("\n}\n");
	return status;
}
