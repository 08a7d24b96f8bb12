/* compare.h - the sections of `ipcmp compare` and the output they share. */
#ifndef IPCMP_COMPARE_H
#define IPCMP_COMPARE_H

#include <stdio.h>

enum compare_format { FMT_TEXT, FMT_MARKDOWN, FMT_JSON };

/* Writes s as a JSON string literal, quotes included. */
void json_str(FILE *f, const char *s);

/* Each section prints itself in the format; JSON: the value of its key.
 * They return 0, or 1 when something in them failed. */
int compare_limits(enum compare_format fmt);
int compare_speed(enum compare_format fmt, size_t messages, int runs);

#endif
