/* cli.h - what the subcommands of the ipcmp command share. */
#ifndef IPCMP_CLI_H
#define IPCMP_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipcmp.h"

#define CLI_TIMEOUT_MS 30000       /* default bound on every wait of send and recv */
#define CLI_SLICE_MS 100           /* a signal is seen within this, also in a long wait */

/* "ipcmp: CMD BACKEND "NAME": CALL: REASON" on stderr; returns 1 (the exit code). */
int cli_fail(const char *cmd, const struct ipcmp_ops *ops, const char *name, int rc);
/* compare_limits.c: the kernel limits that make call fail with err, from
 * the table `ipcmp compare` prints ("kernel.shmall or kernel.shmmni"), or
 * NULL when no limit gives that error. */
const char *limit_behind(const char *call, int err, char *buf, size_t size);
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_number(const char *text, size_t max, size_t *out);
/* After getopt_long (optstring starting ':') returned '?' or ':': says what
 * is wrong with which option, as cli_usage_error; returns 2. */
int cli_option_error(const char *cmd, const char *usage, const struct option *longopts,
		     int c, int argc, char **argv);
/* The name of the option getopt_long just returned as c ("-b", "--mode"). */
const char *cli_option_name(const struct option *longopts, int c, int argc, char **argv);

/* cli_io.c: descriptors 0-2, signals, and waits that a signal ends. */
int cli_reserve_stdio(void);       /* first thing in main; 0 or -errno */
int cli_stdio_closed(int fd);      /* 1: fd (0-2) was closed when we started */
void cli_catch_signals(void);      /* SIGINT, SIGTERM, SIGPIPE set a flag */
int cli_caught(void);              /* the signal caught, or 0 */
void cli_catch_damage(const char *backend, const char *name);   /* SIGBUS, SIGABRT: says so, exits 1 */
/* ipcmp_send and ipcmp_recv within timeout_ms, in slices: -EINTR once a
 * signal was caught (nothing was sent or received then). */
int cli_send(struct ipcmp_chan *chan, const void *buf, size_t len, int timeout_ms);
ssize_t cli_recv(struct ipcmp_chan *chan, void *buf, size_t cap, int timeout_ms);
/* read(2) until cap bytes or end of file, write(2) all of buf: -errno,
 * -EINTR once a signal was caught. */
ssize_t cli_read_full(int fd, void *buf, size_t cap);
int cli_write_full(int fd, const void *buf, size_t len);
int cli_close_stdout(const char *cmd);   /* 0, or -errno after saying why */

const char *cli_mqueue_view(char *dir, size_t size);   /* NULL: queues not visible */
void cli_mqueue_unview(const char *dir);

int cmd_compare(int argc, char **argv);
int cmd_census(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_lesson(int argc, char **argv);
int cmd_soak(int argc, char **argv);

#endif
