/*
 * cli.c - the ipcmp command itself, run as a child: signals during send
 * and recv, closed descriptors, write errors, option errors, --mode.
 *
 * What the command promises (tools/ipcmp.c): SIGINT, SIGTERM and SIGPIPE
 * end send and recv with exit status 128 + the signal, soon, not after
 * their --timeout; a send that is interrupted or fails aborts the stream
 * (ipcmp_abort), so a consumer sees an abort, never end of stream; stdin
 * or stdout closed at start is refused, never read or written through
 * another descriptor; every write error is an error; --mode is exact.
 *
 * Tests named abort_* check what consumers see after an interrupted or
 * failed send: IPCMP_ABORTED. They need the stream protocol to carry
 * aborts (common/chan.c: ipcmp_abort); until it does, they fail.
 *
 *   $ ./build/suite --filter 'cli/option_errors'   (the command's options)
 *   $ ./build/suite --filter '*_shm/send_*'        (one area on a family)
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "clirun.h"
#include "crashkit.h"
#include "procinfo.h"
#include "ringmap.h"

#define MSG 64                     /* small messages, a small channel: send fills it */
#define CAP 4
#define LONG_TIMEOUT "600000"      /* ms: longer than any bound here, so a prompt
				      exit cannot be the timeout running out */
#define OBJ_MAX 16

/* One channel for the command's tests that are not about a backend. */
#define CLI_SUITE(X, ...) X(cli, ipcmp_sysv_shm_ops, __VA_ARGS__)

/*
 * Under `make valgrind`, valgrind opens its --log-file before ipcmp runs,
 * on the lowest free descriptor: the one the test closed. ipcmp then finds
 * it open (and valgrind refuses it reads and writes), so "started with
 * descriptor 0 or 1 closed" cannot be made there; those cases run natively.
 * Tables of cases that are all alike run a sample under valgrind: each
 * process it traces costs about a second.
 */
#define VALGRIND_CLOSED_WHY "under valgrind, its --log-file takes the descriptor the test closes"
#define VALGRIND_STRIDE ((size_t)fixture_scale(1, 4))

/* Where a process sleeps is read from /proc/PID/stat (a bare chroot has
 * no /proc). */
static void need_proc(const struct ipcmp_ops *ops)
{
	if (access("/proc/self/stat", R_OK) < 0)
		cr_skip("%s: no /proc here: cannot tell when the command waits (%s)", ops->name,
			strerror(errno));
}

static int closed_untestable(const char *in, const char *out)
{
	return fixture_valgrind() && ((in != NULL && strcmp(in, CLI_CLOSED) == 0) ||
				      (out != NULL && strcmp(out, CLI_CLOSED) == 0));
}

static int has(const char *text, const char *part)
{
	return strstr(text, part) != NULL;
}

static void assert_status(const struct ipcmp_ops *ops, const struct cli_run *r, int want,
			  const char *what)
{
	cr_assert(eq(int, r->status, want), "%s: %s: exit status %d%s, not %d; stderr: %s",
		  ops->name, what, r->status % 1000, r->status >= 1000 ? " (signal)" : "", want,
		  r->errbuf);
}

static void assert_says(const struct ipcmp_ops *ops, const struct cli_run *r, const char *part,
			const char *what)
{
	cr_assert(has(r->errbuf, part), "%s: %s: stderr does not say \"%s\": %s", ops->name, what,
		  part, r->errbuf);
}

/*
 * Starts `ipcmp send` with more on its stdin than the channel holds, and
 * returns once a message of it arrived through cons (send is running, its
 * handlers installed) and send sleeps: with stdin full of data, the only
 * place it sleeps is the wait for room in the full channel, inside the
 * library. Seen asleep twice, 50 ms apart, so that it is not the moment
 * before it wakes for the room our recv made. Its stdin stays open.
 */
static void send_mid_stream(const struct ipcmp_ops *ops, const char *name, struct cli_run *r,
			    struct ipcmp_chan *cons)
{
	const char *const argv[] = { "send", "-b", ops->name, name, "--timeout", LONG_TIMEOUT, NULL };
	char data[MSG * (CAP + 4)], buf[MSG];
	ssize_t n;

	memset(data, 'd', sizeof(data));
	cli_start(r, NULL, argv);
	cli_feed(r, data, sizeof(data));   /* < a pipe's 64 KiB: never blocks */
	n = ipcmp_recv(cons, buf, sizeof(buf), fixture_wait_ms());
	cr_assert(eq(sz, (size_t)n, (size_t)MSG), "%s: no message from send: %s; its stderr: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "short", r->errbuf);
	for (int asleep = 0; asleep < 2; asleep++) {
		kit_sleep_us(50000);
		cr_assert(eq(int, kit_wait_sleeping(r->pid, fixture_wait_ms()), 1),
			  "%s: send never waited for room in a full channel", ops->name);
	}
}

/* Interrupts a send in mid-stream with sig; then a recv drains the channel.
 * Fills *rv with that recv. */
static void interrupt_send(const struct ipcmp_ops *ops, int sig, struct cli_run *rv)
{
	const char *name = fixture_name();
	char timeout[16];
	const char *const recv_argv[] = { "recv", "-b", ops->name, name, "--timeout", timeout, NULL };
	struct ipcmp_chan *c, *cons;
	struct cli_run r;
	char what[64];

	need_proc(ops);
	c = chan_create_ok(ops, name, MSG, CAP, 0);
	cons = chan_open_ok(ops, name, IPCMP_CONSUMER);
	send_mid_stream(ops, name, &r, cons);
	chan_close_ok(cons);
	kill(r.pid, sig);
	cli_wait_exit(&r, fixture_wait_ms());
	snprintf(what, sizeof(what), "send, %s in mid-stream", strsignal(sig));
	assert_status(ops, &r, 128 + sig, what);
	assert_says(ops, &r, "stream aborted", what);

	/* what is left of the stream, and how it ends; the recv's own timeout
	 * is half the bound we give it, so a timeout shows as "Timed out" */
	snprintf(timeout, sizeof(timeout), "%d", fixture_wait_ms() / 2);
	cli_run(rv, NULL, recv_argv);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* The interrupted send ended with the signal's status, and released its
 * place as a producer: the recv after it ends, it does not time out
 * (before, a POSIX producer interrupted stayed counted for good). */
static void send_interrupted(const struct ipcmp_ops *ops, int sig)
{
	struct cli_run rv;

	interrupt_send(ops, sig, &rv);
	cr_assert(lt(int, rv.status, 1000), "%s: recv after an interrupted send: killed by %d",
		  ops->name, rv.status - 1000);
	cr_assert(not(has(rv.errbuf, ipcmp_strerror(-ETIMEDOUT))),
		  "%s: recv after a send interrupted by %s timed out: the producer stayed counted; %s",
		  ops->name, strsignal(sig), rv.errbuf);
}

BACKEND_TEST(send_sigint_exits_130, .timeout = 120)
{
	send_interrupted(ops, SIGINT);
}

BACKEND_TEST(send_sigterm_exits_143, .timeout = 120)
{
	if (fixture_valgrind())
		cr_skip("%s: under valgrind only SIGINT (the same path; each traced process costs)",
			ops->name);
	send_interrupted(ops, SIGTERM);
}

/* Needs ipcmp_abort to abort (issue 8, the library half): an interrupted
 * send must not look like a complete stream to its consumer. */
static void send_interrupted_recv_fails(const struct ipcmp_ops *ops, int sig)
{
	struct cli_run rv;

	interrupt_send(ops, sig, &rv);
	cr_assert(ne(int, rv.status, 0),
		  "%s: recv exited 0 after a send interrupted by %s: it took an aborted stream for "
		  "a complete one (IPCMP_ABORTED expected, it got end of stream)",
		  ops->name, strsignal(sig));
	cr_assert(lt(int, rv.status, 1000), "%s: recv killed by %d", ops->name, rv.status - 1000);
	cr_assert(not(has(rv.errbuf, ipcmp_strerror(-ETIMEDOUT))),
		  "%s: recv timed out instead of seeing the abort: %s", ops->name, rv.errbuf);
}

BACKEND_TEST(abort_send_sigint_recv_fails, .timeout = 120)
{
	send_interrupted_recv_fails(ops, SIGINT);
}

BACKEND_TEST(abort_send_sigterm_recv_fails, .timeout = 120)
{
	if (fixture_valgrind())
		cr_skip("%s: under valgrind only SIGINT (the same path; each traced process costs)",
			ops->name);
	send_interrupted_recv_fails(ops, SIGTERM);
}

/*
 * A recv that waits (a producer has the channel open, nothing in it) ends
 * at once on SIGINT with 130, not when its --timeout runs out. Synchronised
 * on a message it wrote out: by then its handler is installed.
 */
BACKEND_TEST(recv_sigint_exits_130, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "recv", "-b", ops->name, name, "--timeout", LONG_TIMEOUT, NULL };
	struct ipcmp_chan *c, *prod;
	struct cli_run r;

	need_proc(ops);
	c = chan_create_ok(ops, name, MSG, CAP, 0);
	prod = chan_open_ok(ops, name, IPCMP_PRODUCER);
	cli_start(&r, NULL, argv);
	cr_assert(eq(int, ipcmp_send(prod, "first", 5, fixture_wait_ms()), 0), "%s: send", ops->name);
	cli_read_out(&r, 5, fixture_wait_ms());
	for (int asleep = 0; asleep < 2; asleep++) {   /* in the library's wait for data */
		kit_sleep_us(50000);
		cr_assert(eq(int, kit_wait_sleeping(r.pid, fixture_wait_ms()), 1),
			  "%s: recv never waited for the next message", ops->name);
	}
	kill(r.pid, SIGINT);
	cli_wait_exit(&r, fixture_wait_ms());
	assert_status(ops, &r, 128 + SIGINT, "recv waiting, SIGINT");
	cr_assert(eq(str, r.outbuf, "first"), "%s: recv wrote \"%s\"", ops->name, r.outbuf);
	chan_close_ok(prod);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* A send that waits for its stdin (a terminal, an idle pipe) ends on
 * SIGINT too: its own wait, poll(2), is the one interrupted. */
BACKEND_TEST_ON(CLI_SUITE, send_sigint_reading_stdin_exits_130, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "send", "-b", ops->name, name, "--timeout", LONG_TIMEOUT, NULL };
	struct ipcmp_chan *c;
	struct cli_run r;

	need_proc(ops);
	c = chan_create_ok(ops, name, MSG, CAP, 0);
	cli_start(&r, NULL, argv);
	for (int asleep = 0; asleep < 2; asleep++) {   /* in poll on its empty stdin */
		kit_sleep_us(50000);
		cr_assert(eq(int, kit_wait_sleeping(r.pid, fixture_wait_ms()), 1),
			  "%s: send never waited for its stdin", ops->name);
	}
	kill(r.pid, SIGINT);
	cli_wait_exit(&r, fixture_wait_ms());
	assert_status(ops, &r, 128 + SIGINT, "send waiting for stdin, SIGINT");
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* `ipcmp recv | head -c0`: the reader is gone; the write that finds it so
 * raises SIGPIPE, and recv ends with 128 + 13, the same as when killed by it
 * (a shell cannot tell), but having closed its handle. */
BACKEND_TEST(recv_sigpipe_exits_141, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "recv", "-b", ops->name, name, "--timeout", LONG_TIMEOUT, NULL };
	struct ipcmp_chan *c = chan_create_ok(ops, name, MSG, CAP, 0);
	struct ipcmp_chan *prod = chan_open_ok(ops, name, IPCMP_PRODUCER);
	struct cli_run r;

	cli_start(&r, NULL, argv);
	cli_close_fd(&r.out);
	cr_assert(eq(int, ipcmp_send(prod, "lost", 4, fixture_wait_ms()), 0), "%s: send", ops->name);
	cli_finish(&r, fixture_wait_ms());
	assert_status(ops, &r, 128 + SIGPIPE, "recv writing to a closed pipe");
	chan_close_ok(prod);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* `send <&-`: refused with a reason, and nothing is sent as data (posix-mq
 * used to read its own queue descriptor, then descriptor 0, as stdin). */
BACKEND_TEST(send_stdin_closed_refused, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "send", "-b", ops->name, name, NULL };
	const struct cli_spec closed_in = { .in = CLI_CLOSED };
	struct ipcmp_chan *c;
	char buf[MSG];
	struct cli_run r;
	ssize_t n;

	if (closed_untestable(closed_in.in, NULL))
		cr_skip("%s: %s", ops->name, VALGRIND_CLOSED_WHY);
	c = chan_create_ok(ops, name, MSG, CAP, IPCMP_CONSUMER);
	cli_run(&r, &closed_in, argv);
	assert_status(ops, &r, 1, "send <&-");
	assert_says(ops, &r, "stdin is closed", "send <&-");
	n = ipcmp_recv(c, buf, sizeof(buf), T_EXPIRE);
	cr_assert(lt(i64, (int64_t)n, 0), "%s: send <&- sent %zd bytes of data: \"%.*s\"", ops->name, n,
		  (int)(n > 0 ? n : 0), buf);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* `recv >&-`: refused before the channel is opened: no message is taken. */
BACKEND_TEST(recv_stdout_closed_refused, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "recv", "-b", ops->name, name, "--timeout", "0", NULL };
	const struct cli_spec closed_out = { .out = CLI_CLOSED };
	struct ipcmp_chan *c;
	char buf[MSG];
	struct cli_run r;
	ssize_t n;

	if (closed_untestable(NULL, closed_out.out))
		cr_skip("%s: %s", ops->name, VALGRIND_CLOSED_WHY);
	c = chan_create_ok(ops, name, MSG, CAP, IPCMP_PRODUCER | IPCMP_CONSUMER);
	cr_assert(eq(int, ipcmp_send(c, "kept", 4, 0), 0), "%s: send", ops->name);
	cli_run(&r, &closed_out, argv);
	assert_status(ops, &r, 1, "recv >&-");
	assert_says(ops, &r, "stdout is closed", "recv >&-");
	n = ipcmp_recv(c, buf, sizeof(buf), 0);
	cr_assert(eq(sz, (size_t)n, (size_t)4), "%s: the message recv >&- should have left: %s",
		  ops->name, n < 0 ? ipcmp_strerror((int)n) : "wrong length");
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* `recv > /dev/full`: every write error is an error, naming stdout. */
BACKEND_TEST(recv_full_device_fails, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "recv", "-b", ops->name, name, NULL };
	const struct cli_spec full = { .out = "/dev/full" };
	struct ipcmp_chan *c, *prod;
	struct cli_run r;

	if (access("/dev/full", W_OK) < 0)
		cr_skip("%s: no /dev/full here (a chroot without /dev?): %s", ops->name, strerror(errno));
	c = chan_create_ok(ops, name, MSG, CAP, 0);
	prod = chan_open_ok(ops, name, IPCMP_PRODUCER);
	cr_assert(eq(int, ipcmp_send(prod, "data", 4, 0), 0), "%s: send", ops->name);
	chan_close_ok(prod);
	cli_run(&r, &full, argv);
	assert_status(ops, &r, 1, "recv > /dev/full");
	assert_says(ops, &r, "write stdout: No space left on device", "recv > /dev/full");
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

/* Sends that fail: each exits 1 saying why, and must abort the stream. */
static const struct {
	const char *what;
	const char *in;            /* the command's stdin; NULL: a pipe fed `feed` bytes */
	size_t feed;
	const char *says;
} failing_sends[] = {
	{ "send <&-", CLI_CLOSED, 0, "stdin is closed" },
	{ "send < /", "/", 0, "read stdin: Is a directory" },
	{ "send, no reader, --timeout " "200", NULL, MSG * (CAP + 4), "Timed out" },
};

static void failing_send(const struct ipcmp_ops *ops, size_t i, const char *name, struct cli_run *r)
{
	const char *const argv[] = { "send", "-b", ops->name, name, "--timeout", "200", NULL };
	const struct cli_spec spec = { .in = failing_sends[i].in };
	char data[MSG * (CAP + 4)];

	memset(data, 'f', sizeof(data));
	cli_start(r, &spec, argv);
	if (failing_sends[i].feed > 0)
		cli_feed(r, data, failing_sends[i].feed);
	cli_finish(r, fixture_wait_ms());
}

BACKEND_TEST(send_failure_exits_1, .timeout = 120)
{
	for (size_t i = 0; i < sizeof(failing_sends) / sizeof(failing_sends[0]); i++) {
		const char *name;
		struct ipcmp_chan *c;
		struct cli_run r;

		if (closed_untestable(failing_sends[i].in, NULL))
			continue;
		name = fixture_name();
		c = chan_create_ok(ops, name, MSG, CAP, 0);

		failing_send(ops, i, name, &r);
		assert_status(ops, &r, 1, failing_sends[i].what);
		assert_says(ops, &r, failing_sends[i].says, failing_sends[i].what);
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
	}
}

/* Needs ipcmp_abort to abort (issue 8, the library half): after a failed
 * send, a consumer drains what it sent, then gets IPCMP_ABORTED. */
BACKEND_TEST(abort_failed_send_recv_fails, .timeout = 120)
{
	for (size_t i = 0; i < sizeof(failing_sends) / sizeof(failing_sends[0]); i++) {
		const char *name;
		struct ipcmp_chan *c;
		char buf[MSG];
		struct cli_run r;
		ssize_t n;

		if (closed_untestable(failing_sends[i].in, NULL))
			continue;
		name = fixture_name();
		c = chan_create_ok(ops, name, MSG, CAP, IPCMP_CONSUMER);

		failing_send(ops, i, name, &r);
		while ((n = ipcmp_recv(c, buf, sizeof(buf), fixture_wait_ms())) >= 0)
			;
		chan_close_ok(c);                 /* before the check: a failure leaks nothing */
		chan_unlink_ok(ops, name);
		cr_assert(eq(i64, (int64_t)n, (int64_t)IPCMP_ABORTED),
			  "%s: after a failed send (%s), the consumer got \"%s\", not the abort "
			  "(IPCMP_ABORTED): the failed send ended the stream as if complete",
			  ops->name, failing_sends[i].what, ipcmp_strerror((int)n));
	}
}

/*
 * --mode is exact on both families: the kernel's objects have the mode
 * asked for, whatever the umask (POSIX applies the umask to shm_open,
 * sem_open and mq_open; the command clears it while it creates).
 */
BACKEND_TEST(create_mode_exact, .timeout = 120)
{
	static const unsigned umasks[] = { 022, 077 };

	for (size_t i = 0; i < sizeof(umasks) / sizeof(umasks[0]); i++) {
		const char *name = fixture_name();
		const char *const argv[] = { "create", "-b", ops->name, name, "--mode", "0640", NULL };
		const struct cli_spec spec = { .set_umask = 1, .umask = umasks[i] };
		struct ipcmp_census_entry obj[OBJ_MAX];
		struct ipcmp_census before, after;
		struct cli_run r;
		char what[48];
		size_t n;

		snprintf(what, sizeof(what), "create --mode 0640, umask %03o", umasks[i]);
		census_for(&before, name);
		cli_run(&r, &spec, argv);
		census_for(&after, name);
		n = census_gained(&before, &after, name, obj, OBJ_MAX);
		ipcmp_census_free(&before);
		ipcmp_census_free(&after);
		assert_status(ops, &r, 0, what);
		cr_assert(ne(sz, n, 0), "%s: %s: no object in the census", ops->name, what);
		for (size_t j = 0; j < n && j < OBJ_MAX; j++) {
			unsigned mode = 0, uid = 0;
			int rc = object_stat(&obj[j], &mode, &uid);

			cr_assert(eq(int, rc, 0), "%s: %s: stat %s %s: %s", ops->name, what,
				  obj[j].kind, obj[j].name, strerror(-rc));
			cr_assert(eq(u32, mode, 0640u), "%s: %s: %s %s has mode %03o", ops->name,
				  what, obj[j].kind, obj[j].name, mode);
		}
		chan_unlink_ok(ops, name);
	}
}

/* A mode without u+rw is refused with the reason, and nothing is made. */
BACKEND_TEST_ON(CLI_SUITE, create_mode_refused, .timeout = 120)
{
	static const char *const modes[] = { "0000", "0400" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *name = fixture_name();
		const char *const argv[] = { "create", "-b", ops->name, name, "--mode", modes[i], NULL };
		struct ipcmp_chan *c = NULL;
		struct cli_run r;
		char what[32];
		int rc;

		snprintf(what, sizeof(what), "create --mode %s", modes[i]);
		cli_run(&r, NULL, argv);
		assert_status(ops, &r, 2, what);
		assert_says(ops, &r, "option '--mode'", what);
		assert_says(ops, &r, "u+rw", what);
		rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
		ipcmp_close(c);
		cr_assert(eq(int, rc, -ENOENT), "%s: %s made a channel anyway (open: %s)",
			  ops->name, what, ipcmp_strerror(rc));
	}
}

/* unlink needs no stdin or stdout: with both closed it still works. */
BACKEND_TEST(unlink_stdio_closed, .timeout = 120)
{
	const char *name = fixture_name();
	const char *const argv[] = { "unlink", "-b", ops->name, name, NULL };
	const struct cli_spec closed = { .in = CLI_CLOSED, .out = CLI_CLOSED };
	struct ipcmp_chan *c;
	struct cli_run r;
	int rc;

	if (closed_untestable(closed.in, closed.out))
		cr_skip("%s: %s", ops->name, VALGRIND_CLOSED_WHY);
	c = chan_create_ok(ops, name, MSG, CAP, 0);
	chan_close_ok(c);
	cli_run(&r, &closed, argv);
	assert_status(ops, &r, 0, "unlink <&- >&-");
	rc = ipcmp_open(ops, name, IPCMP_CONSUMER, &c);
	ipcmp_close(c);
	cr_assert(eq(int, rc, -ENOENT), "%s: the channel is still there (open: %s)", ops->name,
		  ipcmp_strerror(rc));
}

/* Each option error names the option and what is wrong with it. "NAME" in
 * argv stands for a fresh channel name (nothing is ever made with it). */
static const struct {
	const char *argv[8];
	const char *says;
} option_cases[] = {
	{ { "create", "-b" }, "ipcmp: create: option '-b' needs an argument (BACKEND)" },
	{ { "create", "--backend" }, "ipcmp: create: option '--backend' needs an argument (BACKEND)" },
	{ { "create", "-b", "sysv-shm", "--timeout", "5", "NAME" },
	  "ipcmp: create: option '--timeout' is not an option of create" },
	{ { "unlink", "-b", "sysv-shm", "NAME", "--mode", "0600" },
	  "ipcmp: unlink: option '--mode' is not an option of unlink" },
	{ { "create", "-b", "sysv-shm", "--frobnicate", "NAME" },
	  "ipcmp: create: unknown option '--frobnicate'" },
	{ { "send", "-q", "-b", "sysv-shm", "NAME" }, "ipcmp: send: unknown option '-q'" },
	{ { "create", "-b", "sysv-shm", "--m", "1", "NAME" }, "ipcmp: create: option '--m' is ambiguous" },
	{ { "recv", "--help=yes" }, "ipcmp: recv: option '--help' takes no argument" },
	{ { "send", "-b", "sysv-shm", "NAME", "--timeout" },
	  "ipcmp: send: option '--timeout' needs an argument (MS)" },
	{ { "send", "-b", "sysv-shm", "NAME", "--timeout", "soon" },
	  "ipcmp: send: option '--timeout' needs milliseconds from 0 to 86400000, not 'soon'" },
	{ { "create", "-b", "sysv-shm", "NAME", "--msg-size", "0" },
	  "ipcmp: create: option '--msg-size' needs bytes from 1 to 1073741824, not '0'" },
	{ { "create", "-b", "sysv-shm", "NAME", "--capacity", "-1" },
	  "ipcmp: create: option '--capacity' needs messages from 1 to 1073741824, not '-1'" },
	{ { "create", "-b", "sysv-shm", "NAME", "--mode", "0999" },
	  "ipcmp: create: option '--mode' needs octal permission bits from 0 to 0777, not '0999'" },
	{ { "recv", "-b", "sysv-shm", "NAME", "extra" },
	  "ipcmp: recv: unexpected 'extra' after the channel NAME" },
	{ { "unlink", "-b", "sysv-shm" }, "ipcmp: unlink: the channel NAME is missing" },
	{ { "unlink", "NAME" }, "ipcmp: unlink: option '-b BACKEND' is required" },
	{ { "unlink", "-b", "nosuch", "NAME" }, "ipcmp: unlink: unknown backend 'nosuch'" },
	{ { "backends", "--all" }, "ipcmp: backends: unknown option '--all'" },
	{ { "backends", "NAME" }, "ipcmp: backends: unexpected '" },
};

BACKEND_TEST_ON(CLI_SUITE, option_errors, .timeout = 300)
{
	const char *name = fixture_name();

	for (size_t i = 0; i < sizeof(option_cases) / sizeof(option_cases[0]); i += VALGRIND_STRIDE) {
		const char *argv[8] = { 0 };
		struct cli_run r;

		for (size_t j = 0; option_cases[i].argv[j] != NULL; j++)
			argv[j] = strcmp(option_cases[i].argv[j], "NAME") == 0 ? name :
				  option_cases[i].argv[j];
		cli_run(&r, NULL, argv);
		cr_assert(eq(int, r.status, 2), "cli: ipcmp %s %s...: exit status %d, not 2; stderr: %s",
			  argv[0], argv[1], r.status, r.errbuf);
		cr_assert(eq(int, strncmp(r.errbuf, option_cases[i].says, strlen(option_cases[i].says)), 0),
			  "cli: ipcmp %s %s...: stderr is\n%s\nnot\n%s", argv[0], argv[1], r.errbuf,
			  option_cases[i].says);
	}
	(void)ops;
}

BACKEND_TEST_ON(CLI_SUITE, help_exits_0, .timeout = 300)
{
	static const char *const cmds[] = { "create", "send", "recv", "unlink", "census", "clean",
					    "backends", "compare" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i += VALGRIND_STRIDE) {
		const char *const argv[] = { cmds[i], "--help", NULL };
		char usage[32];
		struct cli_run r;

		snprintf(usage, sizeof(usage), "usage: ipcmp %s", cmds[i]);
		cli_run(&r, NULL, argv);
		cr_assert(eq(int, r.status, 0), "cli: ipcmp %s --help: exit status %d; stderr: %s",
			  cmds[i], r.status, r.errbuf);
		cr_assert(eq(int, strncmp(r.outbuf, usage, strlen(usage)), 0),
			  "cli: ipcmp %s --help printed: %s", cmds[i], r.outbuf);
	}
	(void)ops;
}

BACKEND_TEST_ON(CLI_SUITE, unknown_command_exits_2, .timeout = 120)
{
	const char *const argv[] = { "frobnicate", NULL };
	struct cli_run r;

	cli_run(&r, NULL, argv);
	cr_assert(eq(int, r.status, 2), "cli: ipcmp frobnicate: exit status %d", r.status);
	cr_assert(has(r.errbuf, "unknown command 'frobnicate'"), "cli: stderr: %s", r.errbuf);
	(void)ops;
}

/* Every command that prints fails when its output cannot be written: to a
 * full device, or to a stdout closed at start (never to whatever file a
 * call opened in its place). stdin closed does not matter to census. */
BACKEND_TEST_ON(CLI_SUITE, output_errors_exit_1, .timeout = 300)
{
	static const struct {
		const char *argv[3];
		struct cli_spec spec;
		int status;
		const char *says;
	} cases[] = {
		{ { "census" }, { .out = "/dev/full" }, 1, "ipcmp: census: write stdout: No space left on device" },
		{ { "backends" }, { .out = "/dev/full" }, 1, "ipcmp: backends: write stdout: No space left on device" },
		{ { "send", "--help" }, { .out = "/dev/full" }, 1, "ipcmp: send: write stdout: No space left on device" },
		{ { "census" }, { .out = CLI_CLOSED }, 1, "ipcmp: census: write stdout: stdout is closed" },
		{ { "backends" }, { .out = CLI_CLOSED }, 1, "ipcmp: backends: write stdout: stdout is closed" },
		{ { "census" }, { .in = CLI_CLOSED }, 0, "" },
	};

	if (access("/dev/full", W_OK) < 0)
		cr_skip("cli: no /dev/full here (a chroot without /dev?): %s", strerror(errno));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_run r;

		if (closed_untestable(cases[i].spec.in, cases[i].spec.out))
			continue;
		cli_run(&r, &cases[i].spec, cases[i].argv);
		cr_assert(eq(int, r.status, cases[i].status), "cli: ipcmp %s (case %zu): exit status %d, not %d; stderr: %s",
			  cases[i].argv[0], i, r.status, cases[i].status, r.errbuf);
		cr_assert(has(r.errbuf, cases[i].says), "cli: ipcmp %s (case %zu): stderr is\n%s\nnot\n%s",
			  cases[i].argv[0], i, r.errbuf, cases[i].says);
	}
	(void)ops;
}

/*
 * send stamps each message with a checksum by default, and recv checks it:
 * a peer that rewrites a byte of a message in the ring, length and sequence
 * number left alone, makes recv fail and say the channel is corrupt, with
 * nothing written. With --no-checksum nothing can tell: recv delivers the
 * rewritten bytes as data and exits 0 (what the checksum is for).
 */
static void rewritten_slot(const struct ipcmp_ops *ops, const char *send_opt, struct cli_run *rv)
{
	static const char text[] = "hello from send";
	const char *name = fixture_name();
	const char *const send_argv[] = { "send", "-b", ops->name, name, send_opt, NULL };
	const char *const recv_argv[] = { "recv", "-b", ops->name, name, "--timeout", "0", NULL };
	struct ipcmp_chan *c = chan_create_ok(ops, name, MSG, CAP, 0);
	struct ipcmp_ring_hdr *h;
	unsigned char *slot, *hit;
	struct cli_run rs;
	size_t size;
	int err = 0;

	cli_start(&rs, NULL, send_argv);
	cli_feed(&rs, text, sizeof(text) - 1);
	cli_finish(&rs, fixture_wait_ms());
	assert_status(ops, &rs, 0, "send of one message");

	h = ringmap_open(ops, name, &size, &err);
	cr_assert(ne(ptr, h, NULL), "%s: map the ring: %s", ops->name, strerror(-err));
	slot = (unsigned char *)h + IPCMP_RING_SLOTS_OFFSET + (size_t)(h->head % h->capacity) * h->slot_size;
	hit = memchr(slot, 'h', h->slot_size);
	cr_assert(ne(ptr, hit, NULL), "%s: the message is not in its slot", ops->name);
	*hit = 'H';
	ringmap_close(ops, h, size);

	cli_run(rv, NULL, recv_argv);
	chan_close_ok(c);
	chan_unlink_ok(ops, name);
}

BACKEND_TEST_ON(IPCMP_SUITE_SHM_BACKENDS, recv_rewritten_message_fails, .timeout = 120)
{
	struct cli_run r;

	rewritten_slot(ops, NULL, &r);
	assert_status(ops, &r, 1, "recv of a message rewritten in the ring");
	assert_says(ops, &r, ipcmp_strerror(-EBADMSG), "recv of a message rewritten in the ring");
	cr_assert(eq(sz, r.out_total, (size_t)0), "%s: recv wrote %zu bytes of a corrupt message",
		  ops->name, r.out_total);

	rewritten_slot(ops, "--no-checksum", &r);
	assert_status(ops, &r, 0, "recv of a message rewritten in the ring, sent --no-checksum");
	cr_assert(eq(str, r.outbuf, "Hello from send"),
		  "%s: --no-checksum: recv wrote \"%s\", not the rewritten message", ops->name, r.outbuf);
}
