/*
 * soak.c - `ipcmp soak`: many rounds of producers and consumers on every
 * backend, with random SIGKILLs and restarts, checked message by message.
 *
 * A channel carries one stream, and a producer that dies aborts it, so the
 * soak runs rounds: each creates a channel, forks producers and consumers,
 * kills some at random (a killed consumer is restarted; a restarted
 * producer joins the stream or is refused, -ESHUTDOWN), and then checks
 * what the consumers logged in a shared anonymous mapping:
 *   - no message delivered twice, none that no send began, none corrupt,
 *     and each consumer saw each producer's messages in order;
 *   - a producer killed inside its stream: every consumer that lived to
 *     the end got IPCMP_ABORTED, never end of stream;
 *   - every consumer got end of stream: every message whose send returned
 *     0 was delivered exactly once (a consumer killed between its receive
 *     and its log loses at most that one message: counted, and allowed
 *     once per such kill);
 *   - after unlink, the census holds nothing of the round's channel.
 * Wedged: POSIX has no undo, so a consumer killed after it took the ring's
 * lock and before it recorded its pid there (or after it cleared its pid
 * and before it posted) leaves the lock taken with no holder to find dead;
 * the waiters give -ENOTRECOVERABLE once none is recorded for 500 ms
 * (common/ringchan.c), which ends the round as aborted. A wait that runs
 * out instead (-ETIMEDOUT) in a round where a consumer was killed is
 * counted apart as wedged; a timeout in a round without a consumer's death
 * is a failure.
 * Every wait is bounded; the kills are planned from the seed (printed), so
 * --seed replays the same plan (the interleaving is the scheduler's).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "cli.h"

#define MSG_MAX 64
#define CAPACITY 64
#define IDS_MAX 64                 /* producer identities per round, restarts included */
#define CONSUMERS_MAX 64
#define WAIT_MS 3000               /* every send and receive */
#define ROUND_MS 60000             /* a round that runs longer has hung */
#define KILLS_MAX 4

static const char usage_soak[] =
	"usage: ipcmp soak [--messages N] [--procs N] [--per-round N] [--kills N]\n"
	"                  [--kill-ms N] [--backend B] [--seed S] [--seconds N]\n"
	"Rounds of producers and consumers on each backend in turn, some of them\n"
	"SIGKILLed at random and restarted. Checks that every message a send\n"
	"accepted is delivered exactly once, or that the stream was reported\n"
	"aborted to every consumer; that nothing is delivered twice or out of a\n"
	"producer's order; and that no IPC object is left behind.\n"
	"  --messages N   messages to send in all (default 1000000)\n"
	"  --procs N      processes per round, half producers (default 8)\n"
	"  --per-round N  messages per round (default 10000)\n"
	"  --kills N      at most N kills per round (default 2)\n"
	"  --kill-ms N    the kills fall in the first N ms of a round (default 60)\n"
	"  --backend B    only this backend (default: all, in turn)\n"
	"  --seed S       replay the plan of kills of an earlier run\n"
	"  --seconds N    stop after N seconds, reporting what ran (default 240)\n"
	"Exit status 0 when every check held, 1 otherwise.\n";

enum pstate { P_NONE, P_JOINING, P_JOINED, P_LEAVING, P_LEFT };

struct plog {                      /* one producer identity */
	int state;                 /* enum pstate */
	int open_rc;
	int end_rc;                /* 0, or the send's error that made it abort */
	uint32_t attempted;        /* sends begun */
	uint32_t accepted;         /* sends that returned 0 */
};

struct clog {                      /* one consumer process */
	int end_rc;                /* IPCMP_EOS, IPCMP_ABORTED, other -errno; 1: running */
	uint32_t received;
	uint32_t disorder;         /* a producer's message before an earlier one */
	uint32_t corrupt;
};

struct shared {
	struct plog p[IDS_MAX];
	struct clog c[CONSUMERS_MAX];
	uint8_t seen[];            /* [IDS_MAX][quota]: deliveries of each message */
};

struct opts {
	unsigned long messages, per_round, seconds, kill_ms;
	unsigned procs, kills;
	const struct ipcmp_ops *only;
	uint64_t seed;
};

struct totals {
	unsigned long accepted, delivered, rounds, aborted, wedged, kills, restarts, in_flight, failures;
};


static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t payload(unsigned char *buf, uint32_t id, uint32_t seq)
{
	size_t len = 8 + (seq * 7u + id) % (MSG_MAX - 7);

	memcpy(buf, &id, 4);
	memcpy(buf + 4, &seq, 4);
	for (size_t i = 8; i < len; i++)
		buf[i] = (unsigned char)(id * 31u + seq + i);
	return len;
}

static _Noreturn void producer(const struct ipcmp_ops *ops, const char *name,
			       struct shared *sh, uint32_t id, uint32_t quota)
{
	struct plog *p = &sh->p[id];
	unsigned char buf[MSG_MAX];
	struct ipcmp_chan *c;
	int rc;

	__atomic_store_n(&p->state, P_JOINING, __ATOMIC_SEQ_CST);
	if ((rc = ipcmp_open(ops, name, IPCMP_PRODUCER, &c)) < 0) {
		p->open_rc = rc;
		__atomic_store_n(&p->state, P_LEFT, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	__atomic_store_n(&p->state, P_JOINED, __ATOMIC_SEQ_CST);
	for (uint32_t seq = 0; seq < quota; seq++) {
		size_t len = payload(buf, id, seq);

		__atomic_store_n(&p->attempted, seq + 1, __ATOMIC_SEQ_CST);
		if ((rc = ipcmp_send(c, buf, len, WAIT_MS)) < 0) {
			p->end_rc = rc;
			__atomic_store_n(&p->state, P_LEAVING, __ATOMIC_SEQ_CST);
			ipcmp_abort(c);
			__atomic_store_n(&p->state, P_LEFT, __ATOMIC_SEQ_CST);
			_exit(0);
		}
		__atomic_store_n(&p->accepted, seq + 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&p->state, P_LEAVING, __ATOMIC_SEQ_CST);
	ipcmp_close(c);
	__atomic_store_n(&p->state, P_LEFT, __ATOMIC_SEQ_CST);
	_exit(0);
}

static _Noreturn void consumer(const struct ipcmp_ops *ops, const char *name,
			       struct shared *sh, int slot, uint32_t quota)
{
	struct clog *cl = &sh->c[slot];
	int64_t last[IDS_MAX];
	unsigned char buf[MSG_MAX], want[MSG_MAX];
	struct ipcmp_chan *c;
	ssize_t n;
	int rc;

	for (int i = 0; i < IDS_MAX; i++)
		last[i] = -1;
	if ((rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c)) < 0) {
		cl->end_rc = rc;
		_exit(0);
	}
	while ((n = ipcmp_recv(c, buf, sizeof(buf), WAIT_MS)) >= 0) {
		uint32_t id, seq;

		if (n < 8) {
			cl->corrupt++;
			continue;
		}
		memcpy(&id, buf, 4);
		memcpy(&seq, buf + 4, 4);
		if (id >= IDS_MAX || seq >= quota || payload(want, id, seq) != (size_t)n ||
		    memcmp(want, buf, (size_t)n) != 0) {
			cl->corrupt++;
			continue;
		}
		__atomic_fetch_add(&sh->seen[(size_t)id * quota + seq], 1, __ATOMIC_SEQ_CST);
		cl->received++;
		if ((int64_t)seq <= last[id])
			cl->disorder++;
		last[id] = seq;
	}
	cl->end_rc = (int)n;
	ipcmp_close(c);
	_exit(0);
}

struct proc {
	pid_t pid;
	int consumer;              /* 1: consumer slot, 0: producer */
	int index;                 /* consumer slot, or producer identity */
	int killed;                /* SIGKILLed by us */
};

struct round {
	const struct ipcmp_ops *ops;
	char name[IPCMP_NAME_MAX + 1];
	struct shared *sh;
	uint32_t quota;
	unsigned nprod, ncons;
	struct proc proc[CONSUMERS_MAX + IDS_MAX];
	unsigned nproc, next_id, next_slot;
	unsigned consumer_kills, abort_required, abort_possible, restarts;
	int failed;
	char kills[160];           /* what was killed, for the failure report */
};

static void fail(struct round *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct round *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nipcmp: soak %s \"%s\": ", r->ops->name, r->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	r->failed++;
}

static int spawn(struct round *r, int is_consumer)
{
	struct proc *p = &r->proc[r->nproc];
	pid_t parent = getpid();

	if (r->nproc >= sizeof(r->proc) / sizeof(r->proc[0]) ||
	    (is_consumer ? r->next_slot >= CONSUMERS_MAX : r->next_id >= IDS_MAX))
		return -ENOSPC;
	p->consumer = is_consumer;
	p->index = is_consumer ? (int)r->next_slot++ : (int)r->next_id++;
	p->killed = 0;
	if (is_consumer)
		r->sh->c[p->index].end_rc = 1;
	fflush(NULL);
	if ((p->pid = fork()) < 0)
		return -errno;
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (is_consumer)
			consumer(r->ops, r->name, r->sh, p->index, r->quota);
		producer(r->ops, r->name, r->sh, (uint32_t)p->index, r->quota);
	}
	r->nproc++;
	return 0;
}

/* Kills one running process, chosen by the plan. */
static void kill_one(struct round *r, uint64_t pick, struct totals *t)
{
	unsigned live = 0, k;

	for (unsigned i = 0; i < r->nproc; i++)
		live += r->proc[i].pid > 0;
	if (live == 0)
		return;
	k = (unsigned)(pick % live);
	for (unsigned i = 0; i < r->nproc; i++) {
		struct proc *p = &r->proc[i];

		if (p->pid <= 0 || k-- != 0)
			continue;
		/* the state before the kill: only a producer inside its
		 * stream must abort it (joining or leaving: either outcome) */
		if (!p->consumer && __atomic_load_n(&r->sh->p[p->index].state, __ATOMIC_SEQ_CST) == P_JOINED)
			p->killed = 2;
		else
			p->killed = 1;
		kill(p->pid, SIGKILL);
		t->kills++;
		snprintf(r->kills + strlen(r->kills), sizeof(r->kills) - strlen(r->kills), " %s %d%s",
			 p->consumer ? "consumer" : "producer", p->index,
			 p->consumer ? "" : p->killed == 2 ? " (in its stream)" : " (joining or leaving)");
		return;
	}
}

/* Reaps what exited; a killed process is restarted (same role). */
static void reap(struct round *r, struct totals *t)
{
	for (unsigned i = 0; i < r->nproc; i++) {
		struct proc *p = &r->proc[i];
		int st;

		if (p->pid <= 0 || waitpid(p->pid, &st, WNOHANG) != p->pid)
			continue;
		p->pid = 0;
		if (!WIFSIGNALED(st)) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				fail(r, "a %s ended with status %d", p->consumer ? "consumer" : "producer", st);
			continue;
		}
		if (!p->killed) {
			fail(r, "a %s died of signal %d", p->consumer ? "consumer" : "producer",
			     WTERMSIG(st));
			continue;
		}
		if (p->consumer) {
			r->consumer_kills++;
			r->sh->c[p->index].end_rc = 0;   /* not judged */
		} else if (p->killed == 2) {
			r->abort_required = 1;
		} else {
			r->abort_possible = 1;  /* killed joining or leaving */
		}
		if (spawn(r, p->consumer) == 0) {
			r->restarts++;
			t->restarts++;
		}
	}
}

static unsigned running(const struct round *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nproc; i++)
		n += r->proc[i].pid > 0;
	return n;
}

static void check(struct round *r, struct totals *t)
{
	unsigned eos = 0, aborted = 0, other = 0, producer_errors = 0, wedged = 0;
	unsigned long lost = 0;

	for (unsigned s = 0; s < r->next_slot; s++) {
		const struct clog *c = &r->sh->c[s];

		t->delivered += c->received;
		if (c->corrupt || c->disorder)
			fail(r, "consumer %u: %u corrupt messages, %u out of a producer's order", s,
			     c->corrupt, c->disorder);
		if (c->end_rc == 0)
			continue;               /* killed */
		if (c->end_rc == IPCMP_EOS)
			eos++;
		else if (c->end_rc == IPCMP_ABORTED)
			aborted++;
		else if (c->end_rc == 1 || (c->end_rc == -ETIMEDOUT && r->consumer_kills == 0))
			fail(r, "consumer %u: %s: the stream neither ended nor aborted", s,
			     ipcmp_strerror(c->end_rc == 1 ? -ETIMEDOUT : c->end_rc));
		else if (c->end_rc == -ETIMEDOUT)
			wedged = 1;             /* see "wedged" in the header */
		else
			other++;                /* reported: e.g. a lock lost with its holder */
	}
	for (unsigned id = 0; id < r->next_id; id++) {
		const struct plog *p = &r->sh->p[id];

		t->accepted += p->accepted;
		producer_errors += p->end_rc != 0;
		if (p->open_rc != 0 && p->open_rc != -ESHUTDOWN)
			fail(r, "producer %u: open: %s", id, ipcmp_strerror(p->open_rc));
		for (uint32_t s = 0; s < r->quota; s++) {
			uint8_t n = r->sh->seen[(size_t)id * r->quota + s];

			if (n > 1)
				fail(r, "producer %u message %u delivered %u times", id, s, n);
			if (n > 0 && s >= p->attempted)
				fail(r, "producer %u message %u delivered, never sent", id, s);
			if (n == 0 && s < p->accepted)
				lost++;
		}
	}
	if (r->abort_required && eos > 0)
		fail(r, "a producer died inside the stream, and %u consumers got end of stream", eos);
	if (aborted > 0 && !r->abort_required && !r->abort_possible && producer_errors == 0 &&
	    other == 0)
		fail(r, "%u consumers got IPCMP_ABORTED, but no producer died or failed", aborted);
	if (aborted == 0 && other == 0 && eos > 0) {
		if (lost > r->consumer_kills)
			fail(r, "end of stream, but %lu accepted messages were never delivered "
			     "(%u consumers killed)", lost, r->consumer_kills);
		t->in_flight += lost;
	} else {
		t->aborted++;
	}
	t->wedged += wedged;
}

/* Objects of the round's channel that the census still shows. */
static int leftovers(const char *name, const char *mqdir)
{
	struct ipcmp_census c;
	char owner[IPCMP_NAME_MAX + 1];
	int n = 0, rc;

	if ((rc = ipcmp_census_take(&c, mqdir)) < 0) {
		ipcmp_census_free(&c);
		return rc;
	}
	for (size_t i = 0; i < c.n; i++)
		for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
			const struct ipcmp_ops *ops = ipcmp_backends[b];

			if (ops->owns(c.e[i].kind, c.e[i].name, c.e[i].id, owner, sizeof(owner)) == 1 &&
			    strcmp(owner, name) == 0) {
				n++;
				break;
			}
		}
	ipcmp_census_free(&c);
	return n;
}

static int run_round(const struct opts *o, const struct ipcmp_ops *ops, unsigned long no,
		     struct shared *sh, size_t shsize, const char *mqdir, struct totals *t)
{
	struct ipcmp_attr attr = { .msg_max = MSG_MAX, .capacity = CAPACITY, .mode = 0600 };
	struct round r = { .ops = ops, .sh = sh };
	struct ipcmp_limits lim;
	long plan[KILLS_MAX], start, deadline;
	uint64_t pick[KILLS_MAX];
	unsigned nkills = o->kills ? (unsigned)(next() % (o->kills + 1)) : 0, done = 0;
	struct ipcmp_chan *c;
	int rc;

	memset(sh, 0, shsize);
	r.nprod = o->procs / 2;
	r.ncons = o->procs - r.nprod;
	r.quota = (uint32_t)(o->per_round / r.nprod);
	snprintf(r.name, sizeof(r.name), "soak.%ld.%lu", (long)getpid(), no);
	for (unsigned k = 0; k < nkills; k++) {
		plan[k] = (long)(next() % o->kill_ms);   /* ms after the start */
		pick[k] = next();
	}
	/* posix-mq: fs.mqueue.msg_max (often 10) bounds the capacity */
	if ((rc = ipcmp_limits(ops, &lim)) < 0)
		return cli_fail("soak", ops, r.name, rc);
	if (lim.capacity_limit < attr.capacity)
		attr.capacity = lim.capacity_limit;
	if ((rc = ipcmp_create(ops, r.name, &attr, &c)) < 0)
		return cli_fail("soak", ops, r.name, rc);
	ipcmp_close(c);
	for (unsigned i = 0; i < r.ncons; i++)
		spawn(&r, 1);
	for (unsigned i = 0; i < r.nprod; i++)
		spawn(&r, 0);
	start = now_ms();
	deadline = start + ROUND_MS;
	while (running(&r) > 0) {
		struct timespec tick = { 0, 1000000 };

		while (done < nkills && now_ms() - start >= plan[done])
			kill_one(&r, pick[done++], t);
		reap(&r, t);
		if (now_ms() > deadline) {
			fail(&r, "still running after %d ms: killed", ROUND_MS);
			for (unsigned i = 0; i < r.nproc; i++)
				if (r.proc[i].pid > 0) {
					kill(r.proc[i].pid, SIGKILL);
					waitpid(r.proc[i].pid, NULL, 0);
					r.proc[i].pid = 0;
				}
			break;
		}
		nanosleep(&tick, NULL);
	}
	check(&r, t);
	if ((rc = ipcmp_unlink(ops, r.name)) < 0)
		fail(&r, "unlink: %s", ipcmp_strerror(rc));
	if ((rc = leftovers(r.name, mqdir)) != 0)
		fail(&r, "the census still shows %d of its objects after unlink", rc);
	if (r.failed)
		fprintf(stderr, "ipcmp: soak %s \"%s\": round %lu of seed %llu killed:%s\n", ops->name,
			r.name, no, (unsigned long long)o->seed, r.kills[0] ? r.kills : " nothing");
	t->rounds++;
	t->failures += (unsigned long)r.failed;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "messages", required_argument, NULL, 'm' }, { "procs", required_argument, NULL, 'p' },
		{ "per-round", required_argument, NULL, 'r' }, { "kills", required_argument, NULL, 'k' },
		{ "backend", required_argument, NULL, 'b' }, { "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' }, { "kill-ms", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t v;
	int ch;

	*o = (struct opts){ .messages = 1000000, .per_round = 10000, .seconds = 240, .kill_ms = 60,
			    .procs = 8, .kills = 2 };
	o->seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	while ((ch = getopt_long(argc, argv, ":b:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(usage_soak, stdout);
			return 0;
		case 'b':
			if ((o->only = ipcmp_backend(optarg)) == NULL)
				return cli_usage_error("soak", usage_soak, "unknown backend '%s'", optarg);
			continue;
		case 's':
			if (cli_number(optarg, SIZE_MAX, &v) < 0)
				return cli_usage_error("soak", usage_soak, "--seed: not a number: '%s'", optarg);
			o->seed = v;
			continue;
		case 'm': case 'p': case 'r': case 'k': case 't': case 'w':
			if (cli_number(optarg, 100000000, &v) < 0 || (v == 0 && ch != 'k'))
				return cli_usage_error("soak", usage_soak, "%s: not a number in range: '%s'",
						       cli_option_name(longopts, ch, argc, argv), optarg);
			if (ch == 'm')
				o->messages = v;
			else if (ch == 'p')
				o->procs = (unsigned)v;
			else if (ch == 'r')
				o->per_round = v;
			else if (ch == 'k')
				o->kills = (unsigned)v;
			else if (ch == 'w')
				o->kill_ms = v;
			else
				o->seconds = v;
			continue;
		default:
			return cli_option_error("soak", usage_soak, longopts, ch, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("soak", usage_soak, "unexpected '%s'", argv[optind]);
	if (o->procs < 2 || o->procs / 2 > IDS_MAX / 4 || o->kills > KILLS_MAX)
		return cli_usage_error("soak", usage_soak, "--procs: 2..%d; --kills: 0..%d",
				       IDS_MAX / 2, KILLS_MAX);
	if (o->per_round > o->messages)
		o->per_round = o->messages;
	if (o->per_round < o->procs)
		o->per_round = o->procs;
	return -1;
}

int cmd_soak(int argc, char **argv)
{
	struct totals t = { 0 };
	struct opts o;
	struct shared *sh;
	size_t shsize;
	char dirbuf[64];
	const char *mqdir;
	int progress = isatty(STDERR_FILENO), rc;
	long start = now_ms();
	size_t nbackends = 0;

	while (ipcmp_backends[nbackends] != NULL)
		nbackends++;
	if ((rc = parse(argc, argv, &o)) >= 0)
		return rc;
	rng = o.seed ? o.seed : 1;
	shsize = sizeof(*sh) + (size_t)IDS_MAX * (o.per_round / (o.procs / 2));
	sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "ipcmp: soak: mmap %zu bytes: %s\n", shsize, strerror(errno));
		return 1;
	}
	mqdir = cli_mqueue_view(dirbuf, sizeof(dirbuf));
	fprintf(stderr, "ipcmp soak: seed %llu (replay the kills: --seed %llu)\n",
		(unsigned long long)o.seed, (unsigned long long)o.seed);
	for (unsigned long no = 0; t.accepted < o.messages; no++) {
		const struct ipcmp_ops *ops = o.only ? o.only : ipcmp_backends[no % nbackends];
		if ((unsigned long)(now_ms() - start) > o.seconds * 1000) {
			fprintf(stderr, "%sipcmp soak: stopped after %lu s (--seconds)\n",
				progress ? "\n" : "", o.seconds);
			t.failures++;
			break;
		}
		if (no > 4 * (o.messages / o.per_round + 1) + 8) {
			fprintf(stderr, "%sipcmp soak: %lu rounds accepted only %lu messages\n",
				progress ? "\n" : "", no, t.accepted);
			t.failures++;
			break;
		}
		if (run_round(&o, ops, no, sh, shsize, mqdir, &t) != 0) {
			t.failures++;
			break;
		}
		if (progress)
			fprintf(stderr, "\rsoak: %lu/%lu messages, round %lu (%s), %lu kills, %lu failures ",
				t.accepted, o.messages, no + 1, ops->name, t.kills, t.failures);
	}
	if (progress)
		fputc('\n', stderr);
	cli_mqueue_unview(mqdir);
	munmap(sh, shsize);
	printf("soak: seed %llu, %lu rounds, %lu messages accepted, %lu delivered, %lu rounds "
	       "aborted (%lu of them wedged by a consumer's death), %lu kills, %lu restarts, "
	       "%lu lost in flight at a consumer's death, %lu failures, %.1f s\n",
	       (unsigned long long)o.seed, t.rounds, t.accepted, t.delivered, t.aborted, t.wedged,
	       t.kills, t.restarts, t.in_flight, t.failures,
	       (double)(now_ms() - start) / 1000);
	return t.failures ? 1 : 0;
}
