/*
 * sizes.c - message size limits that are not powers of two.
 *
 * A ring slot holds a length and msg_max bytes; slots of an odd msg_max
 * must still start aligned for their length field. x86 forgives a
 * misaligned load, so natively this test only checks the round trip;
 * under `make sanitize` UBSan reports a misaligned access at once.
 *
 *   $ ./build/suite --filter 'posix_shm/odd_msg_max'
 */
#include <stdlib.h>

#include "backends.h"

BACKEND_TEST(odd_msg_max)
{
	static const size_t sizes[] = { 1, 7, 13, 1021 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const char *name = fixture_name();
		struct ipcmp_chan *c = chan_create_ok(ops, name, sizes[i], 3,
						      IPCMP_PRODUCER | IPCMP_CONSUMER);
		size_t max = c->msg_max;
		unsigned char *buf = malloc(max);
		ssize_t n;
		int rc;

		cr_assert(ne(ptr, buf, NULL), "%s: malloc", ops->name);
		cr_assert(eq(sz, max, sizes[i]), "%s: msg_max %zu asked, %zu made", ops->name,
			  sizes[i], max);
		/* around the ring more than once: every slot, every length */
		for (uint64_t seq = 0; seq < 12; seq++) {
			size_t len = seq % 3 == 0 ? max : seq % 3 == 1 ? 0 : max / 2;

			payload_fill(buf, len, seq);
			rc = ipcmp_send(c, buf, len, 0);
			cr_assert(eq(int, rc, 0), "%s: msg_max %zu: send %zu bytes: %s", ops->name,
				  max, len, ipcmp_strerror(rc));
			n = ipcmp_recv(c, buf, max, 0);
			cr_assert(eq(long, (long)n, (long)len), "%s: msg_max %zu: recv: %ld (%s)",
				  ops->name, max, (long)n, n < 0 ? ipcmp_strerror((int)n) : "length");
			cr_assert(eq(int, payload_check(buf, len, seq), 0),
				  "%s: msg_max %zu: message %llu: content", ops->name, max,
				  (unsigned long long)seq);
		}
		free(buf);
		chan_close_ok(c);
		chan_unlink_ok(ops, name);
	}
}
