/*
 * report.c - the results as a terminal table, JSON, Markdown and an SVG
 * plot of throughput against message size.
 *
 * Ratios put each figure beside what it should be judged by: a backend
 * beside the plain loop over its family's raw calls, and every case beside
 * a pipe and the floors (memcpy for a stream; the futex wake round trip and
 * the cache-line ping-pong for a round trip). Throughput ratios above 1 are
 * faster than the reference; round-trip ratios (times) below 1 are.
 */
#include <gnu/libc-version.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const char check_text[] =
	"every message checked by the receiver: its length, and its sequence number\n"
	"stamped at its start, middle and end";

static void human(char *buf, size_t size, double v)
{
	if (v >= 1e9)
		snprintf(buf, size, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, size, "%.1fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
}

static void size_text(char *buf, size_t size, size_t bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		snprintf(buf, size, "%zu MiB", bytes / (1024 * 1024));
	else if (bytes >= 1024 && bytes % 1024 == 0)
		snprintf(buf, size, "%zu KiB", bytes / 1024);
	else
		snprintf(buf, size, "%zu B", bytes);
}

static const char *cap_text(char *buf, size_t size, const struct bench_result *r)
{
	if (r->capacity == 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%zu", r->capacity);
	return buf;
}

/* The figure a ratio is taken of: stream messages/s, round trip p50. */
static double figure(const struct bench_result *r)
{
	if (r == NULL || r->reps == 0)
		return 0;
	return r->mode == BENCH_STREAM ? r->mps[0] : r->p50[0];
}

static double ratio(const struct bench_report *rep, const struct bench_result *r, const char *to)
{
	const struct bench_result *o;

	if (to == NULL || strcmp(to, r->name) == 0)
		return 0;
	if (r->raw != NULL && strcmp(to, r->raw) == 0)
		return r->x_raw[0];    /* paired repetition by repetition (run.c) */
	o = bench_find(rep, to, r->mode, r->size);
	return figure(o) > 0 && figure(r) > 0 ? figure(r) / figure(o) : 0;
}

/* "0.91 [0.85, 0.97]": a backend's ratio to its raw loop, median [min, max]. */
static void x_raw_text(char *buf, size_t size, const struct bench_result *r)
{
	if (r->x_raw[0] <= 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f [%.2f, %.2f]", r->x_raw[0], r->x_raw[1], r->x_raw[2]);
}

static const char *const stream_refs[] = { "pipe", "memcpy" };
static const char *const rtt_refs[] = { "pipe", "futex", "cacheline" };

static void ratio_text(char *buf, size_t size, double x)
{
	if (x <= 0)
		snprintf(buf, size, "-");
	else if (x < 0.01)
		snprintf(buf, size, "%.4f", x);
	else if (x < 10)
		snprintf(buf, size, "%.2f", x);
	else
		snprintf(buf, size, "%.1f", x);
}

static void print_header(const struct bench_report *rep, FILE *f)
{
	const struct bench_options *o = &rep->opt;

	fprintf(f, "ipcmp bench: producer (client) on CPU %d, consumer (server) on CPU %d; ",
		rep->cpu[0], rep->cpu[1]);
	if (o->messages)
		fprintf(f, "%llu messages a case", (unsigned long long)o->messages);
	else
		fprintf(f, "%.2g s a case", o->seconds);
	fprintf(f, ",\n%d interleaved repetitions, each figure their median [min, max];\n%s.\n",
		o->reps, check_text);
	fprintf(f, "where: %s\nlimits: %s\n", rep->isolation, rep->limits);
}

/* Whether any case has figures for mode (and size, 0: any). */
static int any(const struct bench_report *rep, enum bench_mode mode, size_t size)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->r[i].mode == mode && (size == 0 || rep->r[i].size == size) &&
		    rep->r[i].reps > 0)
			return 1;
	return 0;
}

static void print_stream(const struct bench_report *rep, size_t size, FILE *f)
{
	char st[24];

	if (!any(rep, BENCH_STREAM, size))
		return;
	size_text(st, sizeof(st), size);
	fprintf(f, "\none-way throughput, %s messages (ratios of messages/s: above 1 is faster)\n", st);
	fprintf(f, "%-13s %-8s %4s  %-26s %9s  %-18s %7s %7s\n", "case", "kind", "cap",
		"messages/s [min, max]", "MB/s", "x raw [min, max]", "x pipe", "x memcpy");
	for (size_t i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		char m[3][16], mps[64], x[3][32], cap[24];

		if (r->mode != BENCH_STREAM || r->size != size || r->reps == 0)
			continue;
		for (int j = 0; j < 3; j++)
			human(m[j], sizeof(m[j]), r->mps[j]);
		snprintf(mps, sizeof(mps), "%s [%s, %s]", m[0], m[1], m[2]);
		x_raw_text(x[0], sizeof(x[0]), r);
		for (int j = 0; j < 2; j++)
			ratio_text(x[j + 1], sizeof(x[j + 1]), ratio(rep, r, stream_refs[j]));
		fprintf(f, "%-13s %-8s %4s  %-26s %9.1f  %-18s %7s %7s\n", r->name, r->kind,
			cap_text(cap, sizeof(cap), r), mps, r->mbps[0], x[0], x[1], x[2]);
	}
}

static void print_rtt(const struct bench_report *rep, FILE *f)
{
	if (!any(rep, BENCH_ROUNDTRIP, 0))
		return;
	fprintf(f, "\nround trip, %d B (microseconds; ratios of p50 times: below 1 is faster)\n",
		BENCH_RTT_SIZE);
	fprintf(f, "%-13s %-8s %4s  %-24s %-24s %-18s %6s %7s %7s\n", "case", "kind", "cap",
		"p50 [min, max]", "p99 [min, max]", "x raw [min, max]", "x pipe", "x futex",
		"x line");
	for (size_t i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		char p50[40], p99[40], x[4][32], cap[24];

		if (r->mode != BENCH_ROUNDTRIP || r->reps == 0)
			continue;
		snprintf(p50, sizeof(p50), "%.2f [%.2f, %.2f]", r->p50[0] / 1e3, r->p50[1] / 1e3,
			 r->p50[2] / 1e3);
		snprintf(p99, sizeof(p99), "%.2f [%.2f, %.2f]", r->p99[0] / 1e3, r->p99[1] / 1e3,
			 r->p99[2] / 1e3);
		x_raw_text(x[0], sizeof(x[0]), r);
		for (int j = 0; j < 3; j++)
			ratio_text(x[j + 1], sizeof(x[j + 1]), ratio(rep, r, rtt_refs[j]));
		fprintf(f, "%-13s %-8s %4s  %-24s %-24s %-18s %6s %7s %7s\n", r->name, r->kind,
			cap_text(cap, sizeof(cap), r), p50, p99, x[0], x[1], x[2], x[3]);
	}
}

static void print_notes(const struct bench_report *rep, FILE *f)
{
	int first = 1;

	for (size_t i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		const char *what = r->error[0] ? "FAILED" : r->skipped[0] ? "skipped" : "note";
		const char *text = r->error[0] ? r->error : r->skipped[0] ? r->skipped : r->note;
		char st[24];

		if (text[0] == '\0')
			continue;
		if (first)
			fprintf(f, "\nnotes:\n");
		first = 0;
		size_text(st, sizeof(st), r->size);
		fprintf(f, "  %-13s %-10s %-7s %s: %s\n", r->name,
			r->mode == BENCH_STREAM ? "stream" : "round trip", st, what, text);
	}
}

static void print_body(const struct bench_report *rep, FILE *f)
{
	for (size_t k = 0; k < rep->opt.nsizes; k++)
		print_stream(rep, rep->opt.sizes[k], f);
	print_rtt(rep, f);
	print_notes(rep, f);
}

void bench_print_table(const struct bench_report *rep, FILE *f)
{
	print_header(rep, f);
	print_body(rep, f);
	fprintf(f, "\nraw: the plain loop over the same family's calls (bench/raw_*.c), run beside\n"
		   "the backend in each repetition, x raw the median [min, max] of the\n"
		   "repetitions' ratios; line: the cache-line ping-pong; cap: messages in\n"
		   "flight the transport was made for. raw-sysv-2op: the plain ring with\n"
		   "sysv-shm's semops (two operations each, a lock under SEM_UNDO); raw-msg-sem:\n"
		   "the plain queue with sysv-msg's bounded waits (a semop beside each call);\n"
		   "their x raw is what that mechanism costs without the channel.\n");
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_triple(FILE *f, const char *key, const double v[3])
{
	fprintf(f, ", \"%s\": {\"median\": %.6g, \"min\": %.6g, \"max\": %.6g}", key, v[0], v[1], v[2]);
}

/* null: no reference to compare with in this run */
static void json_ratio(FILE *f, double x)
{
	if (x > 0)
		fprintf(f, "%.4g", x);
	else
		fprintf(f, "null");
}

void bench_print_json(const struct bench_report *rep, FILE *f)
{
	fprintf(f, "{\"cpus\": [%d, %d], \"reps\": %d, \"seconds\": %g, \"messages\": %llu",
		rep->cpu[0], rep->cpu[1], rep->opt.reps, rep->opt.messages ? 0 : rep->opt.seconds,
		(unsigned long long)rep->opt.messages);
	fprintf(f, ", \"where\": ");
	json_string(f, rep->isolation);
	fprintf(f, ", \"limits\": ");
	json_string(f, rep->limits);
	fprintf(f, ", \"check\": ");
	json_string(f, check_text);
	fprintf(f, ",\n \"results\": [");
	for (size_t i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];

		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_string(f, r->name);
		fprintf(f, ", \"kind\": ");
		json_string(f, r->kind);
		fprintf(f, ", \"family\": ");
		if (r->family)
			json_string(f, r->family);
		else
			fprintf(f, "null");
		fprintf(f, ", \"mode\": \"%s\", \"size\": %zu, \"capacity\": %zu, \"reps\": %d",
			r->mode == BENCH_STREAM ? "stream" : "roundtrip", r->size, r->capacity, r->reps);
		if (r->note[0]) {
			fprintf(f, ", \"note\": ");
			json_string(f, r->note);
		}
		if (r->skipped[0]) {
			fprintf(f, ", \"skipped\": ");
			json_string(f, r->skipped);
		}
		if (r->error[0]) {
			fprintf(f, ", \"error\": ");
			json_string(f, r->error);
		}
		if (r->reps > 0 && r->mode == BENCH_STREAM) {
			json_triple(f, "messages_per_s", r->mps);
			json_triple(f, "mb_per_s", r->mbps);
		} else if (r->reps > 0) {
			json_triple(f, "p50_ns", r->p50);
			json_triple(f, "p99_ns", r->p99);
		}
		if (r->reps > 0) {
			const char *const *refs = r->mode == BENCH_STREAM ? stream_refs : rtt_refs;
			int nrefs = r->mode == BENCH_STREAM ? 2 : 3;

			if (r->x_raw[0] > 0)
				json_triple(f, "x_raw", r->x_raw);
			fprintf(f, ", \"ratio\": {\"raw\": ");
			json_ratio(f, ratio(rep, r, r->raw));
			for (int j = 0; j < nrefs; j++) {
				fprintf(f, ", \"%s\": ", refs[j]);
				json_ratio(f, ratio(rep, r, refs[j]));
			}
			fprintf(f, "}, \"samples\": [");
			for (int k = 0; k < r->reps; k++)
				fprintf(f, "%s%.6g", k ? ", " : "", r->sample[k][0]);
			fprintf(f, "]");
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n ]}\n");
}

/* "AMD EPYC 7B13" from /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, size, "unknown");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, size, "%s", colon);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
}

void bench_print_markdown(const struct bench_report *rep, const char *svg, const char *note, FILE *f)
{
	char cpu[128], date[64];
	struct utsname u;
	time_t now = time(NULL);

	cpu_model(cpu, sizeof(cpu));
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(f, "# ipcmp bench\n\n"
		   "Generated by `make docs` (`ipcmp bench`), %s. Each backend moves\n"
		   "messages through the ipcmp API between two processes pinned to two CPUs,\n"
		   "beside plain loops over its family's raw calls and the baselines, in one\n"
		   "run; `make bench` measures the machine you are on.\n\n", date);
	if (note != NULL && note[0] != '\0')
		fprintf(f, "**%s**\n\n", note);
	fprintf(f, "| machine | |\n|---|---|\n");
	fprintf(f, "| CPU | %s |\n", cpu);
	fprintf(f, "| CPUs online | %ld |\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "| kernel | %s %s %s |\n", u.sysname, u.release, u.machine);
	fprintf(f, "| libc | glibc %s |\n", gnu_get_libc_version());
#ifdef __clang__
	fprintf(f, "| compiler | clang %s |\n\n", __clang_version__);
#else
	fprintf(f, "| compiler | gcc %s |\n\n", __VERSION__);
#endif
	/* the page and the plot sit side by side (docs/) */
	if (svg != NULL)
		fprintf(f, "![one-way throughput against message size](%s)\n\n",
			strrchr(svg, '/') ? strrchr(svg, '/') + 1 : svg);
	fprintf(f, "```text\n");
	bench_print_table(rep, f);
	fprintf(f, "```\n\n"
		   "How to read it: a backend's `x raw` is its messages/s over those of the\n"
		   "plain loop over the same calls (bench/raw_*.c): what the channel's protocol\n"
		   "costs. The two run side by side in every repetition, in turns first, and\n"
		   "`x raw` is the median [min, max] of the repetitions' ratios. `x pipe` puts\n"
		   "every case beside a pipe (medians over medians). memcpy is the copy ceiling of\n"
		   "one CPU; the futex round trip is the floor of any handoff where the other\n"
		   "side sleeps in the kernel, the cache-line ping-pong the floor of any handoff\n"
		   "through shared memory.\n");
}

/* --- the plot ------------------------------------------------------------ */

/* 10^d as "0.1", "1", "10", "100", "1k" ... "100G" */
static void axis_label(char *buf, size_t size, double d)
{
	static const char *const suffix[] = { "", "k", "M", "G" };
	int e = (int)d;

	if (e < 0)
		snprintf(buf, size, "%g", pow(10, e));
	else if (e / 3 < 4)
		snprintf(buf, size, "%.0f%s", pow(10, e % 3), suffix[e / 3]);
	else
		snprintf(buf, size, "1e%d", e);
}

#define W 960
#define H 600
#define PL 90                      /* plot area: left, right, top, bottom */
#define PR 700
#define PT 70
#define PB 520

static const char *color_of(const struct bench_result *r, int i)
{
	static const struct { const char *name, *color; } fixed[] = {
		{ "sysv-shm", "#1f77b4" }, { "raw-sysv-shm", "#1f77b4" },
		{ "sysv-msg", "#2ca02c" }, { "raw-sysv-msg", "#2ca02c" },
		{ "posix-shm", "#d62728" }, { "raw-posix-shm", "#d62728" },
		{ "posix-mq", "#9467bd" }, { "raw-posix-mq", "#9467bd" },
		{ "posix-atomic", "#ff7f0e" }, { "spsc-ring", "#ff7f0e" },
		{ "pipe", "#555555" }, { "socketpair", "#8c564b" }, { "memcpy", "#000000" },
	};
	static const char *const spare[] = { "#e377c2", "#bcbd22", "#17becf", "#7f7f7f" };

	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		if (strcmp(fixed[k].name, r->name) == 0)
			return fixed[k].color;
	return spare[i % 4];
}

/* Backends solid, their raw loops dashed, baselines dotted. */
static const char *dash_of(const struct bench_result *r)
{
	if (strcmp(r->kind, "backend") == 0)
		return "";
	if (strcmp(r->kind, "raw loop") == 0)
		return " stroke-dasharray=\"8,4\"";
	if (strcmp(r->kind, "floor") == 0)
		return " stroke-dasharray=\"2,3,8,3\"";
	return " stroke-dasharray=\"2,3\"";
}

int bench_write_svg(const struct bench_report *rep, const char *path)
{
	const struct bench_options *o = &rep->opt;
	double lo = 1e300, hi = 0, x0, x1, y0, y1;
	const char *names[32];
	size_t nn = 0;
	FILE *f;

	for (size_t i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		size_t k;

		if (r->mode != BENCH_STREAM || r->reps == 0)
			continue;
		lo = fmin(lo, r->mbps[1]);
		hi = fmax(hi, r->mbps[2]);
		for (k = 0; k < nn && strcmp(names[k], r->name) != 0; k++)
			;
		if (k == nn && nn < 32)
			names[nn++] = r->name;
	}
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (nn == 0) {
		lo = 1;
		hi = 10;
	}
	y0 = floor(log10(lo));
	y1 = ceil(log10(hi));
	if (y1 <= y0)
		y1 = y0 + 1;
	x0 = log2((double)o->sizes[0]);
	x1 = log2((double)o->sizes[o->nsizes - 1]);
	for (size_t k = 0; k < o->nsizes; k++) {
		x0 = fmin(x0, log2((double)o->sizes[k]));
		x1 = fmax(x1, log2((double)o->sizes[k]));
	}
	/* half an octave of margin: the sizes' marks stay inside the frame */
	x0 -= 0.5;
	x1 += 0.5;
#define X(v) (PL + (log2(v) - x0) / (x1 - x0) * (PR - PL))
#define Y(v) (PB - (log10(v) - y0) / (y1 - y0) * (PB - PT))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n", W, H, W, H);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"28\" font-size=\"17\" font-weight=\"bold\">ipcmp bench: "
		   "one-way throughput against message size</text>\n", PL);
	fprintf(f, "<text x=\"%d\" y=\"50\" fill=\"#444\">CPUs %d and %d; median of %d "
		   "interleaved repetitions, bar: min to max; both axes logarithmic</text>\n",
		PL, rep->cpu[0], rep->cpu[1], o->reps);
	/* decades on y, one per power of ten, with labels */
	for (double d = y0; d <= y1 + 1e-9; d++) {
		double y = PB - (d - y0) / (y1 - y0) * (PB - PT);
		char label[16];

		axis_label(label, sizeof(label), d);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
			PL, y, PR, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", PL - 8, y + 4, label);
	}
	for (size_t k = 0; k < o->nsizes; k++) {
		double x = X((double)o->sizes[k]);
		char label[24];

		size_text(label, sizeof(label), o->sizes[k]);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
			x, PT, x, PB);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, PB + 20, label);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n",
		PL, PT, PR - PL, PB - PT);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">message size (bytes, log scale)</text>\n",
		(PL + PR) / 2, PB + 45);
	fprintf(f, "<text transform=\"translate(24,%d) rotate(-90)\" text-anchor=\"middle\">"
		   "throughput, MB/s (log scale)</text>\n", (PT + PB) / 2);
	for (size_t k = 0; k < nn; k++) {
		const struct bench_result *first = NULL;
		/* each line a little aside, so the min-max bars do not hide each other */
		double dx = ((double)k - (double)(nn - 1) / 2) * 3;

		fprintf(f, "<g>\n<polyline fill=\"none\" stroke-width=\"%s\" points=\"",
			"2");
		for (size_t s = 0; s < o->nsizes; s++) {
			const struct bench_result *r = bench_find(rep, names[k], BENCH_STREAM, o->sizes[s]);

			if (r == NULL || r->reps == 0)
				continue;
			first = first ? first : r;
			fprintf(f, "%.1f,%.1f ", X((double)r->size) + dx, Y(r->mbps[0]));
		}
		fprintf(f, "\" stroke=\"%s\"%s/>\n", color_of(first, (int)k), dash_of(first));
		for (size_t s = 0; s < o->nsizes; s++) {
			const struct bench_result *r = bench_find(rep, names[k], BENCH_STREAM, o->sizes[s]);

			if (r == NULL || r->reps == 0)
				continue;
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
				X((double)r->size) + dx, Y(r->mbps[1]), X((double)r->size) + dx,
				Y(r->mbps[2]), color_of(first, (int)k));
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n",
				X((double)r->size) + dx, Y(r->mbps[0]), color_of(first, (int)k));
		}
		/* the legend entry */
		fprintf(f, "<line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
			PR + 20, PT + 10 + k * 22, PR + 60, PT + 10 + k * 22, color_of(first, (int)k),
			dash_of(first));
		fprintf(f, "<text x=\"%d\" y=\"%zu\">%s (%s)</text>\n</g>\n", PR + 68, PT + 14 + k * 22,
			names[k], first->kind);
	}
	fprintf(f, "</svg>\n");
#undef X
#undef Y
	return fclose(f) == 0 ? 0 : -1;
}
