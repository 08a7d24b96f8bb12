/*
 * memcpy.c - memcpy bandwidth on one CPU: the ceiling of any transport that
 * copies the message (a shared-memory ring copies it twice, in and out; a
 * kernel queue copies it from the sender and to the receiver).
 *
 * One process stamps a source buffer, copies it to a destination buffer
 * and checks the destination, as a consumer checks a message; "messages"
 * are copies. The empty asm tells the compiler that the copy is observed,
 * so it cannot fold it into the check.
 */
#include <stdlib.h>

#include "bench.h"

static int copy_loop(struct bench_run *r, void *arg)
{
	size_t size = bench_case_of(r)->size;
	unsigned char *src = malloc(size), *dst = malloc(size);
	uint64_t seq = 0;
	int rc = 0, last = 0;

	(void)arg;
	if (src == NULL || dst == NULL) {
		free(src);
		free(dst);
		return bench_fail(r, "no memory for 2 x %zu bytes", size);
	}
	memset(src, 0xa5, size);
	memset(dst, 0x5a, size);
	while (!last && rc == 0) {
		last = bench_last(r, seq);
		bench_stamp(src, size, seq, last);
		memcpy(dst, src, size);
		__asm__ volatile("" : : "r"(dst) : "memory");
		rc = bench_check(r, dst, (ssize_t)size, seq++);
		rc = rc < 0 ? -1 : 0;
	}
	free(src);
	free(dst);
	return rc < 0 ? -1 : bench_done(r, seq);
}

int bench_memcpy(const struct bench_case *c, struct bench_sample *s)
{
	s->capacity = 0;
	return bench_single(c, s, copy_loop, NULL);
}
