/*
 * apimap.c - the API map that `ipcmp compare` prints is each backend's own
 * table (ops->steps, in its file next to the calls): every backend names a
 * call, or says why none, at every step of the protocol, and every call it
 * names is one its code makes, or the code it shares (the protocol in common/,
 * the POSIX ring object in posix/shm_ring.c).
 *
 *   $ ./build/suite --filter 'api_map/[a-z]*'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "ipcmp.h"

TestSuite(api_map, .timeout = 60);

Test(api_map, every_backend_every_step)
{
	for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
		const struct ipcmp_ops *ops = ipcmp_backends[b];

		cr_assert(ne(ptr, (void *)ops->steps, NULL), "%s: no steps in its table", ops->name);
		for (int i = 0; i < IPCMP_STEPS; i++) {
			const struct ipcmp_step *st = &ops->steps[i];

			cr_assert(ne(ptr, (void *)ipcmp_step_names[i], NULL), "step %d has no name", i);
			cr_assert(ne(ptr, (void *)st->calls, NULL), "%s: step \"%s\" missing", ops->name,
				  ipcmp_step_names[i]);
			cr_assert(st->calls[0] != '\0' || (st->how != NULL && st->how[0] != '\0'),
				  "%s: step \"%s\": no call, and no word on why", ops->name,
				  ipcmp_step_names[i]);
		}
	}
}

/* The whole of a file, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		char *more = realloc(text, len + 4097);
		size_t n;

		cr_assert(ne(ptr, more, NULL), "malloc");
		text = more;
		if ((n = fread(text + len, 1, 4096, f)) == 0)
			break;
		len += n;
	}
	text[len] = '\0';
	fclose(f);
	return text;
}

/* "sysv-shm" lives in sysv/sysv_shm.c, "posix-mq" in posix/posix_mq.c. */
static void source_of(const char *backend, char *path, size_t size)
{
	size_t dir = strcspn(backend, "-");

	snprintf(path, size, "%.*s/%s.c", (int)dir, backend, backend);
	for (char *p = path + dir + 1; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Does "call(" appear in the backend's file or in the protocol's? */
static int called(const char *backend_text, const char *const *common_text, const char *call)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "%s(", call);
	if (strstr(backend_text, needle) != NULL)
		return 1;
	for (; *common_text != NULL; common_text++)
		if (strstr(*common_text, needle) != NULL)
			return 1;
	return 0;
}

Test(api_map, named_calls_are_made)
{
	static const char *const protocol[] = { "common/ring.c", "common/ringchan.c", "common/stream.c",
						 "common/atomicring.c", "posix/shm_ring.c" };
#define NPROTOCOL (sizeof(protocol) / sizeof(protocol[0]))
	const char *common_text[NPROTOCOL + 1] = { NULL };     /* NULL-terminated */
	char path[64];

	if (access("common/ipcmp.h", R_OK) < 0)
		cr_skip("api_map: the sources are not in the current directory (run from the "
			"repository's top): cannot read the calls the code makes");
	for (size_t i = 0; i < NPROTOCOL; i++)
		cr_assert(ne(ptr, (void *)(common_text[i] = slurp(protocol[i])), NULL), "read %s",
			  protocol[i]);
	for (size_t b = 0; ipcmp_backends[b] != NULL; b++) {
		const struct ipcmp_ops *ops = ipcmp_backends[b];
		char *text;

		source_of(ops->name, path, sizeof(path));
		text = slurp(path);
		cr_assert(ne(ptr, text, NULL), "%s: its source %s cannot be read", ops->name, path);
		for (int i = 0; i < IPCMP_STEPS; i++) {
			const char *p = ops->steps[i].calls;

			while (p != NULL && *p != '\0') {
				char call[48];
				size_t n = strcspn(p, ", ");

				cr_assert(lt(sz, n, sizeof(call)), "%s: a call too long in \"%s\"", ops->name, p);
				memcpy(call, p, n);
				call[n] = '\0';
				for (size_t k = 0; k < n; k++)
					cr_assert(eq(int, name_char(call[k]), 1), "%s: step \"%s\": \"%s\" is not a function's name", ops->name,
						  ipcmp_step_names[i], call);
				cr_assert(called(text, common_text, call),
					  "%s: step \"%s\" names %s, which neither %s nor the shared code calls",
					  ops->name, ipcmp_step_names[i], call, path);
				p += n;
				p += strspn(p, ", ");
			}
		}
		free(text);
	}
	for (size_t i = 0; i < NPROTOCOL; i++)
		free((void *)common_text[i]);
}
