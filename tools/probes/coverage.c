/*
 * coverage.c - `make coverage`: every process ends by writing its counts.
 *
 * gcov writes a process's counts at exit(), which a forked child skips
 * when it ends with _exit, as the probes', lessons', compare's and soak's
 * children do (and must: exit() would run the parent's atexit handlers and
 * flush its stdio twice). The coverage build links with -Wl,--wrap=_exit,
 * so that every call to _exit in ipcmp's code comes here first and writes
 * the counts of the lines the child ran. It lives in libprobes.a, which
 * both programs link; other builds leave it empty and never wrap _exit.
 * A child killed by a signal still writes nothing.
 */
#ifdef IPCMP_COVERAGE
void __gcov_dump(void);
_Noreturn void __real__exit(int status);
_Noreturn void __wrap__exit(int status);

void __wrap__exit(int status)
{
	__gcov_dump();
	__real__exit(status);
}
#else
typedef int coverage_unused;       /* ISO C: a translation unit declares something */
#endif
