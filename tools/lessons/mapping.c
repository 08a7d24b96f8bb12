/*
 * mapping.c - the running program's own memory, as the kernel lists it in
 * /proc/self/maps: one line per mapping, "start-end perms offset dev inode
 * path". The executable file itself is mapped several times, once per ELF
 * segment, each with the protection its contents need:
 *
 *	r-xp  the code (.text): executable, never writable
 *	r--p  constants (.rodata), ELF headers: read only
 *	rw-p  initialised data (.data): private, so writes are copied (COW)
 *	and .bss (zero-initialised): the tail of the data page, then anonymous
 *	memory (no file: nothing to read, the kernel hands out zero pages)
 *
 * Below them the heap, far above the stack, and wherever mmap put them, the
 * shared memory of both families: shmat's segment shows as /SYSV<key>, an
 * shm_open object as its /dev/shm file, both "s" (shared).
 *
 *   $ ipcmp lesson mapping
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lesson.h"

const char *const mapping_kind[SEG_KINDS] = {
	".text (code)", ".rodata (const)", ".data (int = 42)", ".bss (64K array end)",
	"heap (malloc)", "stack (a local)", "SysV segment", "POSIX object",
};

static const char rodata_sample[] = "a constant string";
static int data_sample = 42;
static char bss_sample[64 * 1024];   /* its end lies past the data's last page */

static void describe(struct mapping_row *row, const void *addr)
{
	char path[2] = "";

	row->addr = addr;
	if (lesson_maps_line(addr, row->line, sizeof(row->line)) < 0)
		return;
	/* start-end perms offset dev inode [path]: a file's path starts with /;
	 * anonymous memory has none, or a [name]. (Not the inode: a SysV
	 * segment's is its shmid, which can be 0.) */
	sscanf(row->line, "%*s %7s %*s %*s %*s %1s", row->perms, path);
	row->file_backed = path[0] == '/';
}

int lesson_mapping(const struct lesson_opts *o, struct mapping_result *r)
{
	struct lesson_mem sysv, posix;
	volatile int stack_sample = 0;
	char *heap = malloc(64);
	ssize_t n;
	int rc;

	(void)o;
	memset(r, 0, sizeof(*r));
	if (heap == NULL)
		return -ENOMEM;
	if ((n = readlink("/proc/self/exe", r->exe, sizeof(r->exe) - 1)) < 0) {
		free(heap);
		return -errno;
	}
	r->exe[n] = '\0';
	if ((rc = lesson_mem_create(&sysv, LESSON_SYSV, 4096)) < 0) {
		free(heap);
		return rc;
	}
	if ((rc = lesson_mem_create(&posix, LESSON_POSIX, 4096)) < 0) {
		lesson_mem_destroy(&sysv);
		free(heap);
		return rc;
	}
	bss_sample[0] = (char)data_sample;
	describe(&r->row[SEG_TEXT], (const void *)(uintptr_t)lesson_mapping);
	describe(&r->row[SEG_RODATA], rodata_sample);
	describe(&r->row[SEG_DATA], &data_sample);
	describe(&r->row[SEG_BSS], bss_sample + sizeof(bss_sample) - 1);
	describe(&r->row[SEG_HEAP], heap);
	describe(&r->row[SEG_STACK], (const void *)&stack_sample);
	describe(&r->row[SEG_SYSV], sysv.p);
	describe(&r->row[SEG_POSIX], posix.p);
	r->lines = lesson_maps_count();
	lesson_mem_destroy(&posix);
	lesson_mem_destroy(&sysv);
	free(heap);
	return 0;
}

static int show(const struct lesson_opts *o, struct lesson_out *out)
{
	struct mapping_result r;
	int rc = lesson_mapping(o, &r);

	if (rc < 0)
		return rc;
	lesson_say(out, "This process (%s) has %d mappings. Where its parts live:\n\n",
		   r.exe, r.lines);
	lesson_str(out, "exe", r.exe);
	lesson_int(out, "mappings", r.lines);
	lesson_array(out, "rows");
	for (int k = 0; k < SEG_KINDS; k++) {
		const struct mapping_row *w = &r.row[k];

		lesson_say(out, "  %-20s %-5s %-9s %s\n", mapping_kind[k], w->perms,
			   w->file_backed ? "file" : "anonymous", w->line);
		lesson_open(out, NULL);
		lesson_str(out, "kind", mapping_kind[k]);
		lesson_str(out, "perms", w->perms);
		lesson_int(out, "file_backed", w->file_backed);
		lesson_str(out, "line", w->line);
		lesson_close(out);
	}
	lesson_close_array(out);
	return 0;
}

const struct lesson lesson_mapping_def = {
	.name = "mapping",
	.summary = "the process's own map: text, rodata, data, bss, heap, stack, and both families' shm",
	.intro =
	"The lesson takes the address of a function, a constant, an initialised\n"
	"variable, a zeroed one, a malloc'd block, a local, a SysV segment and a\n"
	"POSIX object, and finds each in /proc/self/maps: the protection (r w x,\n"
	"s shared or p private) and whether a file backs it (an inode) or not.\n",
	.why =
	"exec() maps the program file in pieces, each with the least protection it\n"
	"needs: code r-x (never writable), constants r--, data rw- and private (a\n"
	"write copies the page; the file never changes). .bss is not in the file:\n"
	"it fills the rest of the last data page and then anonymous zero pages. A\n"
	"SysV segment is a file on the kernel's internal shm filesystem, named by\n"
	"its key (/SYSV00000000 for IPC_PRIVATE) and always shown (deleted); a\n"
	"POSIX object is a file on the /dev/shm tmpfs, (deleted) once unlinked.\n"
	"Both are mapped shared (s): that is what makes them shared memory.\n",
	.run = show,
};
