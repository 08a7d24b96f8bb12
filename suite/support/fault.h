/*
 * fault.h - make one system call of the library fail, for the tests of its
 * error paths (suite/faults.c).
 *
 * The suite is linked with -Wl,--wrap= of the calls listed in the Makefile
 * (SUITE_WRAP): each reference to shmat, mmap, sem_open, malloc, ... in the
 * suite and in the library it links goes to a wrapper here, which calls
 * the real function unless armed. Armed, the Nth wrapped call from then on
 * fails as the system would (-1, MAP_FAILED, SEM_FAILED, NULL, ...) with
 * the given errno, without being made, and the calls after it run
 * normally. Run an operation with N = 1, 2, ... until the fault no longer
 * fires, and every call it makes has failed once (SQLite's and LTP's way
 * of reaching every unwind path). Calls made inside the C library (sem_open's
 * own mmap) are not wrapped: the library's own calls are what is tested.
 */
#ifndef SUITE_FAULT_H
#define SUITE_FAULT_H

void fault_arm(int nth, int err);  /* the nth wrapped call from now fails with err */
void fault_disarm(void);
/* The call the armed fault failed ("shmat"), or NULL when it has not fired. */
const char *fault_fired(void);
int fault_calls(void);             /* wrapped calls seen since fault_arm */
/* Wrapped calls so far that gave the kernel a timeout to arm: semtimedop
 * with one, sem_timedwait, mq_timedsend and mq_timedreceive with a
 * deadline other than 0 (a deadline already past, the library's try). */
int fault_timed_waits(void);

#endif
