/*
 * fuzz/ring.c - libFuzzer over what ipcmp reads from untrusted bytes: a
 * shared-memory ring (header and slots: common/ring.c), a queue message's
 * frame (common/frame.c), channel names (common/names.c) and a limits file
 * (common/limits.c).
 *
 * The input is the whole mapping, copied into a heap block of exactly its
 * size, so AddressSanitizer reports any read or write past the end of
 * what a peer mapped. Its first byte chooses how much to make valid, so
 * the fuzzer reaches put and get without guessing the magic and the name:
 *   bit 0  a valid magic, version and name ("fuzz")
 *   bits 1-3  how many put/get rounds to run on an attached ring
 *   bit 4  puts carry a checksum
 *
 *   $ make fuzz                          (FUZZ_SECONDS=60 by default)
 *   $ build/fuzz/ring build/fuzz/crash-... (replays one input)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"
#include "ipcmp.h"
#include "ring.h"

#define NAME "fuzz"

static void fuzz_ring(const uint8_t *data, size_t size)
{
	struct ipcmp_ring r;
	unsigned char *mem, *buf;
	uint8_t mode = size > 0 ? data[0] : 0;
	size_t len;

	if (size < 1)
		return;
	len = size - 1;
	if ((mem = malloc(len > 0 ? len : 1)) == NULL)
		return;
	memcpy(mem, data + 1, len);
	if ((mode & 1) && len >= sizeof(struct ipcmp_ring_hdr)) {
		struct ipcmp_ring_hdr *h = (struct ipcmp_ring_hdr *)mem;

		h->magic = IPCMP_RING_MAGIC;
		h->version = IPCMP_RING_VERSION;
		memset(h->name, 0, sizeof(h->name));
		strcpy(h->name, NAME);
	}
	(void)ipcmp_ring_owned(mem, len, NAME);
	if (ipcmp_ring_attach(&r, mem, len, NAME) == 0 && (buf = malloc(r.msg_max + 1)) != NULL) {
		/* as chan.c calls them: get with room for msg_max, put of at
		 * most msg_max; the header may say anything in between */
		for (unsigned i = 0; i < (mode >> 1 & 7u); i++) {
			ssize_t n = ipcmp_ring_get(&r, buf, r.msg_max);

			if (n > (ssize_t)r.msg_max)
				abort();   /* get claims more than the buffer holds */
			(void)ipcmp_ring_check(&r);
			memset(buf, 'x', r.msg_max);
			(void)ipcmp_ring_put(&r, buf, (i * 7) % (r.msg_max + 1), 0, mode >> 4 & 1);
		}
		free(buf);
	}
	free(mem);
}

/* A queue message as msgrcv or mq_receive hands it over: two in a row, so
 * the second meets the sequence numbers the first left behind. */
static void fuzz_frame(const uint8_t *data, size_t size)
{
	struct ipcmp_frame_rx rx;
	size_t half = size / 2;
	ssize_t n;

	memset(&rx, 0, sizeof(rx));
	for (int i = 0; i < 2; i++) {
		const uint8_t *msg = data + (i ? half : 0);
		size_t len = i ? size - half : half;
		unsigned char *copy = malloc(len > 0 ? len : 1);

		if (copy == NULL)
			return;
		memcpy(copy, msg, len);
		n = ipcmp_frame_check(&rx, copy, len);
		if (n >= 0 && (size_t)n + IPCMP_FRAME_SIZE != len)
			abort();   /* the payload's length must be what followed the frame */
		free(copy);
	}
}

static void fuzz_name(const uint8_t *data, size_t size)
{
	char name[64], path[128];

	if (size >= sizeof(name))
		size = sizeof(name) - 1;
	memcpy(name, data, size);
	name[size] = '\0';
	if (ipcmp_name_check(name) == 0) {
		if (ipcmp_posix_name(path, sizeof(path), name, "slots") < 0)
			abort();   /* a valid name must fit an object name */
		(void)ipcmp_sysv_key(name);
	}
}

/* A limits file: the kernel's text, or anything a bind mount puts there. */
static void fuzz_limit(const uint8_t *data, size_t size)
{
	int fd = memfd_create("limit", MFD_CLOEXEC);
	char path[64];
	size_t val;

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)ipcmp_read_limit(path, &val);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ring(data, size);
	fuzz_frame(data, size);
	fuzz_name(data, size);
	fuzz_limit(data, size);
	return 0;
}
