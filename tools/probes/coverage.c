/*
 * coverage.c - `make coverage`: every process ends by writing its counts.
 *
 * gcov writes a process's counts at exit(), which a forked child skips
 * when it ends with _exit, as the probes', lessons', compare's and soak's
 * children do (and must: exit() would run the parent's atexit handlers and
 * flush its stdio twice). The coverage build links with -Wl,--wrap=_exit
 * and --wrap=raise, so that every call to _exit or raise(SIGKILL) in
 * ipcmp's code comes here first and writes the counts of the lines the
 * child ran. It lives in libprobes.a, which both programs link; other
 * builds leave it empty and wrap nothing. A child killed by another
 * process still writes nothing.
 */
#ifdef IPCMP_COVERAGE
#include <signal.h>
#include <sys/resource.h>

void __gcov_dump(void);
_Noreturn void __real__exit(int status);
_Noreturn void __wrap__exit(int status);
int __real_raise(int sig);
int __wrap_raise(int sig);

void __wrap__exit(int status)
{
	struct rlimit rl;

	/* the probes of EMFILE end with RLIMIT_NOFILE 0: gcov opens files */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	__gcov_dump();
	__real__exit(status);
}

/* raise(SIGKILL) is a child's end too (a lock holder that dies holding it) */
int __wrap_raise(int sig)
{
	if (sig == SIGKILL)
		__gcov_dump();
	return __real_raise(sig);
}
#else
typedef int coverage_unused;       /* ISO C: a translation unit declares something */
#endif
