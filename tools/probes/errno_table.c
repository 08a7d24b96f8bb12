/* errno_table.c - the paired errno rows, one situation and call a row. */
#include <stddef.h>

#include "probe.h"

const struct errno_row probe_errno[] = {
	{ .situation = NULL },
};
