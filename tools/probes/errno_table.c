/* errno_table.c - the paired errno rows, one situation and call a row
 * (the list itself, one line a row, is errno_rows.h). */
#include <stddef.h>

#include "errno_rows.h"

#define PROBE_ERRNO_ROW_(test, situation, family, call, expect, man_page, disagrees, needs) \
	{ situation, family, call, expect, man_page, disagrees, needs, probe_##test },

const struct errno_row probe_errno[] = {
	PROBE_ERRNO_ROWS(PROBE_ERRNO_ROW_)
	{ .situation = NULL },
};
