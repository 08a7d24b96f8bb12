/* cli.h - what the subcommands of the ipcmp command share. */
#ifndef IPCMP_CLI_H
#define IPCMP_CLI_H

#include <stddef.h>

#include "ipcmp.h"

#define CLI_TIMEOUT_MS 30000       /* default bound on every wait of send and recv */

/* "ipcmp: CMD BACKEND "NAME": CALL: REASON" on stderr; returns 1 (the exit code). */
int cli_fail(const char *cmd, const struct ipcmp_ops *ops, const char *name, int rc);
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_number(const char *text, size_t max, size_t *out);

const char *cli_mqueue_view(char *dir, size_t size);   /* NULL: queues not visible */
void cli_mqueue_unview(const char *dir);

int cmd_compare(int argc, char **argv);
int cmd_census(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_lesson(int argc, char **argv);

#endif
