/*
 * errno_rows.h - the paired errno table as one list: a row per situation
 * and call, the System V call's row next to its POSIX counterpart's, the
 * way LTP writes its per-call tables (msgsnd02.c, shmat02.c, mq_open01.c).
 *
 *	X(test, situation, family, call, expect, man page, disagrees, needs)
 *
 * expect is what the man page documents (0: the call succeeds); where this
 * kernel or glibc does otherwise, expect is what the system does and the
 * DIS_ text says how the page differs. errno_table.c expands the list into
 * probe_errno[]; suite/errno_table.c into one test per row, named by the
 * first column; each row's probe is probe_<test>() in errno_shm.c,
 * errno_sem.c or errno_msg.c.
 */
#ifndef IPCMP_ERRNO_ROWS_H
#define IPCMP_ERRNO_ROWS_H

#include <errno.h>

#include "probe.h"

#define SYSV "System V"
#define POSIX "POSIX"
#define ROOT_NS (PROBE_ROOT | PROBE_NAMESPACES)

/* Where the system disagrees with its man page. */
#define DIS_REMOVED_ID "lists EIDRM for a removed object; Linux frees the id at IPC_RMID, " \
	"so a later call finds no id: EINVAL (EIDRM only races a removal)"
#define DIS_NAME_PATH_MAX "says ENAMETOOLONG when the name exceeds PATH_MAX; glibc gives it " \
	"beyond NAME_MAX (255)"
#define DIS_SEM_LONG_OPEN "says ENAMETOOLONG for a name too long; beyond NAME_MAX glibc " \
	"gives EINVAL"
#define DIS_SEM_LONG_UNLINK "says ENAMETOOLONG for a name too long; beyond NAME_MAX glibc " \
	"gives ENOENT"
#define DIS_SEM_BADNAME "says ENOENT for a badly formed name with O_CREAT; glibc gives EINVAL"
#define DIS_MQ_UNLINK_NAME "lists no EINVAL; glibc rejects a name without a leading slash " \
	"with EINVAL"
#define DIS_SEM_READY "says the timeout is not checked when the semaphore can be locked at " \
	"once; glibc checks it first: EINVAL"
#define DIS_MQ_READY "says EINVAL only when the call would have blocked; the kernel " \
	"checks the timeout first"
#define DIS_SEMOP_TIMEOUT "lists no EINVAL for an invalid timeout; the kernel checks it " \
	"first, also when the operation could proceed"
#define DIS_SEM_RESTART "says sem_timedwait is restarted under SA_RESTART; a timed futex " \
	"wait is not: EINTR"
#define DIS_MQ_PRIO "lists no error for msg_prio >= MQ_PRIO_MAX; the kernel gives EINVAL"
#define DIS_MSGQUEUE_RLIMIT "names no error for RLIMIT_MSGQUEUE (getrlimit(2): \"enforced " \
	"for mq_open\"); the kernel gives EMFILE, listed only for RLIMIT_NOFILE"

#define PROBE_ERRNO_ROWS(X) \
	X(shmget_exists,              "exists",                        SYSV,  "shmget",     EEXIST,   "shmget(2)",    NULL, PROBE_ANY) \
	X(shm_open_exists,            "exists",                        POSIX, "shm_open",   EEXIST,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(semget_exists,              "exists",                        SYSV,  "semget",     EEXIST,   "semget(2)",    NULL, PROBE_ANY) \
	X(sem_open_exists,            "exists",                        POSIX, "sem_open",   EEXIST,   "sem_open(3)",  NULL, PROBE_ANY) \
	X(msgget_exists,              "exists",                        SYSV,  "msgget",     EEXIST,   "msgget(2)",    NULL, PROBE_ANY) \
	X(mq_open_exists,             "exists",                        POSIX, "mq_open",    EEXIST,   "mq_open(3)",   NULL, PROBE_ANY) \
	\
	X(shmget_missing,             "missing",                       SYSV,  "shmget",     ENOENT,   "shmget(2)",    NULL, PROBE_ANY) \
	X(shm_open_missing,           "missing",                       POSIX, "shm_open",   ENOENT,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(semget_missing,             "missing",                       SYSV,  "semget",     ENOENT,   "semget(2)",    NULL, PROBE_ANY) \
	X(sem_open_missing,           "missing",                       POSIX, "sem_open",   ENOENT,   "sem_open(3)",  NULL, PROBE_ANY) \
	X(msgget_missing,             "missing",                       SYSV,  "msgget",     ENOENT,   "msgget(2)",    NULL, PROBE_ANY) \
	X(mq_open_missing,            "missing",                       POSIX, "mq_open",    ENOENT,   "mq_open(3)",   NULL, PROBE_ANY) \
	\
	X(shmctl_remove_again,        "removed twice",                 SYSV,  "shmctl",     EINVAL,   "shmctl(2)",    DIS_REMOVED_ID, PROBE_ANY) \
	X(shm_unlink_missing,         "removed twice",                 POSIX, "shm_unlink", ENOENT,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(semctl_remove_again,        "removed twice",                 SYSV,  "semctl",     EINVAL,   "semctl(2)",    DIS_REMOVED_ID, PROBE_ANY) \
	X(sem_unlink_missing,         "removed twice",                 POSIX, "sem_unlink", ENOENT,   "sem_unlink(3)", NULL, PROBE_ANY) \
	X(msgctl_remove_again,        "removed twice",                 SYSV,  "msgctl",     EINVAL,   "msgctl(2)",    DIS_REMOVED_ID, PROBE_ANY) \
	X(mq_unlink_missing,          "removed twice",                 POSIX, "mq_unlink",  ENOENT,   "mq_unlink(3)", NULL, PROBE_ANY) \
	\
	X(shmget_removed_key,         "removed, open again",           SYSV,  "shmget",     ENOENT,   "shmget(2)",    NULL, PROBE_ANY) \
	X(shm_open_removed_name,      "removed, open again",           POSIX, "shm_open",   ENOENT,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(shmat_removed,              "removed, use the handle",       SYSV,  "shmat",      EINVAL,   "shmop(2)",     DIS_REMOVED_ID, PROBE_ANY) \
	X(mmap_removed,               "removed, use the handle",       POSIX, "mmap",       0,        "shm_open(3)",  NULL, PROBE_ANY) \
	X(semop_removed,              "removed, use the handle",       SYSV,  "semop",      EINVAL,   "semop(2)",     DIS_REMOVED_ID, PROBE_ANY) \
	X(sem_post_removed,           "removed, use the handle",       POSIX, "sem_post",   0,        "sem_unlink(3)", NULL, PROBE_ANY) \
	X(msgsnd_removed,             "removed, use the handle",       SYSV,  "msgsnd",     EINVAL,   "msgop(2)",     DIS_REMOVED_ID, PROBE_ANY) \
	X(mq_timedsend_removed,       "removed, use the handle",       POSIX, "mq_timedsend", 0,      "mq_unlink(3)", NULL, PROBE_ANY) \
	X(shmat_marked,               "removed while attached, attach", SYSV, "shmat",      0,        "shmctl(2)",    NULL, PROBE_ANY) \
	\
	X(semtimedop_removed_waiting, "removed while waiting",         SYSV,  "semtimedop", EIDRM,    "semop(2)",     NULL, PROBE_ANY) \
	X(sem_timedwait_unlinked_waiting, "removed while waiting",     POSIX, "sem_timedwait", ETIMEDOUT, "sem_unlink(3)", NULL, PROBE_ANY) \
	X(msgrcv_removed_waiting,     "removed while waiting",         SYSV,  "msgrcv",     EIDRM,    "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedreceive_unlinked_waiting, "removed while waiting",   POSIX, "mq_timedreceive", ETIMEDOUT, "mq_unlink(3)", NULL, PROBE_ANY) \
	X(msgsnd_removed_waiting,     "removed while waiting",         SYSV,  "msgsnd",     EIDRM,    "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedsend_unlinked_waiting, "removed while waiting",      POSIX, "mq_timedsend", ETIMEDOUT, "mq_unlink(3)", NULL, PROBE_ANY) \
	\
	X(semtimedop_timeout,         "timed out",                     SYSV,  "semtimedop", EAGAIN,   "semop(2)",     NULL, PROBE_ANY) \
	X(sem_timedwait_timeout,      "timed out",                     POSIX, "sem_timedwait", ETIMEDOUT, "sem_wait(3)", NULL, PROBE_ANY) \
	X(mq_timedreceive_timeout,    "timed out",                     POSIX, "mq_timedreceive", ETIMEDOUT, "mq_receive(3)", NULL, PROBE_ANY) \
	X(mq_timedsend_timeout,       "timed out",                     POSIX, "mq_timedsend", ETIMEDOUT, "mq_send(3)", NULL, PROBE_ANY) \
	\
	X(semop_nowait,               "would block, no wait",          SYSV,  "semop",      EAGAIN,   "semop(2)",     NULL, PROBE_ANY) \
	X(sem_trywait_nowait,         "would block, no wait",          POSIX, "sem_trywait", EAGAIN,  "sem_wait(3)",  NULL, PROBE_ANY) \
	X(msgrcv_nowait,              "would block, no wait",          SYSV,  "msgrcv",     ENOMSG,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedreceive_nonblock,   "would block, no wait",          POSIX, "mq_timedreceive", EAGAIN, "mq_receive(3)", NULL, PROBE_ANY) \
	X(msgsnd_nowait_full,         "would block, no wait",          SYSV,  "msgsnd",     EAGAIN,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedsend_nonblock_full, "would block, no wait",          POSIX, "mq_timedsend", EAGAIN, "mq_send(3)",   NULL, PROBE_ANY) \
	\
	X(semtimedop_interrupted,     "interrupted",                   SYSV,  "semtimedop", EINTR,    "semop(2)",     NULL, PROBE_ANY) \
	X(sem_timedwait_interrupted,  "interrupted",                   POSIX, "sem_timedwait", EINTR, "sem_wait(3)",  NULL, PROBE_ANY) \
	X(msgrcv_interrupted,         "interrupted",                   SYSV,  "msgrcv",     EINTR,    "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedreceive_interrupted, "interrupted",                  POSIX, "mq_timedreceive", EINTR, "mq_receive(3)", NULL, PROBE_ANY) \
	X(msgsnd_interrupted,         "interrupted",                   SYSV,  "msgsnd",     EINTR,    "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedsend_interrupted,   "interrupted",                   POSIX, "mq_timedsend", EINTR,  "mq_send(3)",   NULL, PROBE_ANY) \
	X(semtimedop_interrupted_restart, "interrupted, SA_RESTART",   SYSV,  "semtimedop", EINTR,    "signal(7)",    NULL, PROBE_ANY) \
	X(sem_timedwait_interrupted_restart, "interrupted, SA_RESTART", POSIX, "sem_timedwait", EINTR, "signal(7)",   DIS_SEM_RESTART, PROBE_ANY) \
	X(msgrcv_interrupted_restart, "interrupted, SA_RESTART",       SYSV,  "msgrcv",     EINTR,    "signal(7)",    NULL, PROBE_ANY) \
	X(mq_timedreceive_interrupted_restart, "interrupted, SA_RESTART", POSIX, "mq_timedreceive", ETIMEDOUT, "signal(7)", NULL, PROBE_ANY) \
	\
	X(semtimedop_bad_nsec,        "bad timeout (tv_nsec 1e9)",     SYSV,  "semtimedop", EINVAL,   "semop(2)",     DIS_SEMOP_TIMEOUT, PROBE_ANY) \
	X(sem_timedwait_bad_nsec,     "bad timeout (tv_nsec 1e9)",     POSIX, "sem_timedwait", EINVAL, "sem_wait(3)", NULL, PROBE_ANY) \
	X(mq_timedreceive_bad_nsec,   "bad timeout (tv_nsec 1e9)",     POSIX, "mq_timedreceive", EINVAL, "mq_receive(3)", NULL, PROBE_ANY) \
	X(mq_timedsend_bad_nsec,      "bad timeout (tv_nsec 1e9)",     POSIX, "mq_timedsend", EINVAL, "mq_send(3)",   NULL, PROBE_ANY) \
	X(semtimedop_bad_nsec_ready,  "bad timeout, would not block",  SYSV,  "semtimedop", EINVAL,   "semop(2)",     DIS_SEMOP_TIMEOUT, PROBE_ANY) \
	X(sem_timedwait_bad_nsec_ready, "bad timeout, would not block", POSIX, "sem_timedwait", EINVAL, "sem_wait(3)", DIS_SEM_READY, PROBE_ANY) \
	X(mq_timedreceive_bad_nsec_ready, "bad timeout, would not block", POSIX, "mq_timedreceive", EINVAL, "mq_receive(3)", DIS_MQ_READY, PROBE_ANY) \
	X(mq_timedsend_bad_nsec_ready, "bad timeout, would not block", POSIX, "mq_timedsend", EINVAL, "mq_send(3)",   DIS_MQ_READY, PROBE_ANY) \
	X(semtimedop_negative_timeout, "negative timeout (tv_sec -1)", SYSV,  "semtimedop", EINVAL,   "semop(2)",     DIS_SEMOP_TIMEOUT, PROBE_ANY) \
	X(sem_timedwait_negative_timeout, "negative timeout (tv_sec -1)", POSIX, "sem_timedwait", ETIMEDOUT, "sem_wait(3)", NULL, PROBE_ANY) \
	X(mq_timedreceive_negative_timeout, "negative timeout (tv_sec -1)", POSIX, "mq_timedreceive", EINVAL, "mq_receive(3)", NULL, PROBE_ANY) \
	\
	X(shmget_no_permission,       "no permission (another user, mode 0600)", SYSV,  "shmget",   EACCES, "shmget(2)",   NULL, PROBE_OTHER_UID) \
	X(shm_open_no_permission,     "no permission (another user, mode 0600)", POSIX, "shm_open", EACCES, "shm_open(3)", NULL, PROBE_OTHER_UID) \
	X(semget_no_permission,       "no permission (another user, mode 0600)", SYSV,  "semget",   EACCES, "semget(2)",   NULL, PROBE_OTHER_UID) \
	X(sem_open_no_permission,     "no permission (another user, mode 0600)", POSIX, "sem_open", EACCES, "sem_open(3)", NULL, PROBE_OTHER_UID) \
	X(msgget_no_permission,       "no permission (another user, mode 0600)", SYSV,  "msgget",   EACCES, "msgget(2)",   NULL, PROBE_OTHER_UID) \
	X(mq_open_no_permission,      "no permission (another user, mode 0600)", POSIX, "mq_open",  EACCES, "mq_open(3)",  NULL, PROBE_OTHER_UID) \
	X(shmat_no_permission,        "no permission, by id",          SYSV,  "shmat",      EACCES,   "shmop(2)",     NULL, PROBE_OTHER_UID) \
	X(semop_no_permission,        "no permission, by id",          SYSV,  "semop",      EACCES,   "semop(2)",     NULL, PROBE_OTHER_UID) \
	X(msgsnd_no_permission,       "no permission, by id",          SYSV,  "msgsnd",     EACCES,   "msgop(2)",     NULL, PROBE_OTHER_UID) \
	X(msgrcv_no_permission,       "no permission, by id",          SYSV,  "msgrcv",     EACCES,   "msgop(2)",     NULL, PROBE_OTHER_UID) \
	X(shmctl_stat_no_permission,  "no permission, by id",          SYSV,  "shmctl",     EACCES,   "shmctl(2)",    NULL, PROBE_OTHER_UID) \
	X(msgctl_stat_no_permission,  "no permission, by id",          SYSV,  "msgctl",     EACCES,   "msgctl(2)",    NULL, PROBE_OTHER_UID) \
	X(shmctl_rmid_not_owner,      "remove another user's object",  SYSV,  "shmctl",     EPERM,    "shmctl(2)",    NULL, PROBE_OTHER_UID) \
	X(shm_unlink_not_owner,       "remove another user's object",  POSIX, "shm_unlink", EACCES,   "shm_open(3)",  NULL, PROBE_OTHER_UID) \
	X(semctl_rmid_not_owner,      "remove another user's object",  SYSV,  "semctl",     EPERM,    "semctl(2)",    NULL, PROBE_OTHER_UID) \
	X(sem_unlink_not_owner,       "remove another user's object",  POSIX, "sem_unlink", EACCES,   "sem_unlink(3)", NULL, PROBE_OTHER_UID) \
	X(msgctl_rmid_not_owner,      "remove another user's object",  SYSV,  "msgctl",     EPERM,    "msgctl(2)",    NULL, PROBE_OTHER_UID) \
	X(mq_unlink_not_owner,        "remove another user's object",  POSIX, "mq_unlink",  EACCES,   "mq_unlink(3)", NULL, PROBE_OTHER_UID) \
	\
	X(mmap_write_readonly_fd,     "write through a read-only handle", POSIX, "mmap",    EACCES,   "mmap(2)",      NULL, PROBE_ANY) \
	X(ftruncate_readonly_fd,      "write through a read-only handle", POSIX, "ftruncate", EINVAL, "ftruncate(2)", NULL, PROBE_ANY) \
	X(mq_timedsend_readonly,      "write through a read-only handle", POSIX, "mq_timedsend", EBADF, "mq_send(3)", NULL, PROBE_ANY) \
	X(mq_timedreceive_writeonly,  "read through a write-only handle", POSIX, "mq_timedreceive", EBADF, "mq_receive(3)", NULL, PROBE_ANY) \
	\
	X(msgsnd_too_big,             "message too big",               SYSV,  "msgsnd",     EINVAL,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedsend_too_big,       "message too big",               POSIX, "mq_timedsend", EMSGSIZE, "mq_send(3)", NULL, PROBE_ANY) \
	X(msgrcv_small_buffer,        "receive buffer too small",      SYSV,  "msgrcv",     E2BIG,    "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedreceive_small_buffer, "receive buffer too small",    POSIX, "mq_timedreceive", EMSGSIZE, "mq_receive(3)", NULL, PROBE_ANY) \
	X(msgsnd_over_queue_bytes,    "message larger than the queue", SYSV,  "msgsnd",     EAGAIN,   "msgop(2)",     NULL, PROBE_ANY) \
	X(shmget_too_big,             "size over the limit",           SYSV,  "shmget",     EINVAL,   "shmget(2)",    NULL, PROBE_ANY) \
	X(ftruncate_over_rlimit_fsize, "size over the limit",          POSIX, "ftruncate",  EFBIG,    "getrlimit(2)", NULL, PROBE_ANY) \
	X(shmget_larger_than_existing, "larger than the object",       SYSV,  "shmget",     EINVAL,   "shmget(2)",    NULL, PROBE_ANY) \
	X(mmap_beyond_object,         "larger than the object",        POSIX, "mmap",       0,        "mmap(2)",      NULL, PROBE_ANY) \
	X(shmget_zero_size,           "zero size",                     SYSV,  "shmget",     EINVAL,   "shmget(2)",    NULL, PROBE_ANY) \
	X(mmap_zero_length,           "zero size",                     POSIX, "mmap",       EINVAL,   "mmap(2)",      NULL, PROBE_ANY) \
	X(ftruncate_negative,         "negative size",                 POSIX, "ftruncate",  EINVAL,   "ftruncate(2)", NULL, PROBE_ANY) \
	X(mq_open_zero_maxmsg,        "zero size",                     POSIX, "mq_open",    EINVAL,   "mq_open(3)",   NULL, PROBE_ANY) \
	\
	X(semget_over_semmsl,         "over a kernel limit (per object)", SYSV, "semget",   EINVAL,   "semget(2)",    NULL, PROBE_ANY) \
	X(mq_open_over_msg_max,       "over a kernel limit (per object)", POSIX, "mq_open", EINVAL,   "mq_open(3)",   NULL, PROBE_ANY) \
	X(semop_over_semopm,          "over a kernel limit (per call)", SYSV,  "semop",     E2BIG,    "semop(2)",     NULL, PROBE_ANY) \
	X(mq_open_over_msgsize_max,   "over a kernel limit (per object)", POSIX, "mq_open", EINVAL,   "mq_open(3)",   NULL, PROBE_ANY) \
	X(msgctl_raise_qbytes,        "over a kernel limit (per object)", SYSV, "msgctl",   EPERM,    "msgctl(2)",    NULL, PROBE_ANY) \
	X(shmget_over_shmmni,         "over a kernel limit (objects)", SYSV,  "shmget",     ENOSPC,   "shmget(2)",    NULL, ROOT_NS) \
	X(semget_over_semmni,         "over a kernel limit (objects)", SYSV,  "semget",     ENOSPC,   "semget(2)",    NULL, ROOT_NS) \
	X(msgget_over_msgmni,         "over a kernel limit (objects)", SYSV,  "msgget",     ENOSPC,   "msgget(2)",    NULL, ROOT_NS) \
	X(mq_open_over_queues_max,    "over a kernel limit (objects)", POSIX, "mq_open",    ENOSPC,   "mq_open(3)",   NULL, ROOT_NS) \
	X(shmget_over_shmall,         "over a kernel limit (total)",   SYSV,  "shmget",     ENOSPC,   "shmget(2)",    NULL, ROOT_NS) \
	X(semget_over_semmns,         "over a kernel limit (total)",   SYSV,  "semget",     ENOSPC,   "semget(2)",    NULL, ROOT_NS) \
	X(mq_open_over_rlimit_msgqueue, "over a kernel limit (total)", POSIX, "mq_open",    EMFILE,   "mq_open(3)",   DIS_MSGQUEUE_RLIMIT, PROBE_ANY) \
	X(shm_open_over_rlimit_nofile, "over RLIMIT_NOFILE",           POSIX, "shm_open",   EMFILE,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(sem_open_over_rlimit_nofile, "over RLIMIT_NOFILE",           POSIX, "sem_open",   EMFILE,   "sem_open(3)",  NULL, PROBE_ANY) \
	X(mq_open_over_rlimit_nofile, "over RLIMIT_NOFILE",            POSIX, "mq_open",    EMFILE,   "mq_open(3)",   NULL, PROBE_ANY) \
	\
	X(semop_over_semvmx,          "value overflow",                SYSV,  "semop",      ERANGE,   "semop(2)",     NULL, PROBE_ANY) \
	X(sem_post_overflow,          "value overflow",                POSIX, "sem_post",   EOVERFLOW, "sem_post(3)", NULL, PROBE_ANY) \
	X(semctl_setval_over_semvmx,  "initial value over the maximum", SYSV, "semctl",     ERANGE,   "semctl(2)",    NULL, PROBE_ANY) \
	X(sem_open_value_over_max,    "initial value over the maximum", POSIX, "sem_open",  EINVAL,   "sem_open(3)",  NULL, PROBE_ANY) \
	X(semctl_setval_negative,     "negative value",                SYSV,  "semctl",     ERANGE,   "semctl(2)",    NULL, PROBE_ANY) \
	\
	X(shmat_bad_id,               "bad id or descriptor",          SYSV,  "shmat",      EINVAL,   "shmop(2)",     NULL, PROBE_ANY) \
	X(mmap_bad_fd,                "bad id or descriptor",          POSIX, "mmap",       EBADF,    "mmap(2)",      NULL, PROBE_ANY) \
	X(semop_bad_id,               "bad id or descriptor",          SYSV,  "semop",      EINVAL,   "semop(2)",     NULL, PROBE_ANY) \
	X(ftruncate_bad_fd,           "bad id or descriptor",          POSIX, "ftruncate",  EBADF,    "ftruncate(2)", NULL, PROBE_ANY) \
	X(msgsnd_bad_id,              "bad id or descriptor",          SYSV,  "msgsnd",     EINVAL,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedsend_bad_mqd,       "bad id or descriptor",          POSIX, "mq_timedsend", EBADF,  "mq_send(3)",   NULL, PROBE_ANY) \
	X(msgrcv_bad_id,              "bad id or descriptor",          SYSV,  "msgrcv",     EINVAL,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedreceive_bad_mqd,    "bad id or descriptor",          POSIX, "mq_timedreceive", EBADF, "mq_receive(3)", NULL, PROBE_ANY) \
	X(semop_bad_index,            "semaphore index out of range",  SYSV,  "semop",      EFBIG,    "semop(2)",     NULL, PROBE_ANY) \
	X(semget_more_than_existing,  "more semaphores than the set has", SYSV, "semget",   EINVAL,   "semget(2)",    NULL, PROBE_ANY) \
	X(semop_zero_nsops,           "no operations",                 SYSV,  "semop",      EINVAL,   "semop(2)",     NULL, PROBE_ANY) \
	X(msgsnd_zero_mtype,          "bad message type or priority",  SYSV,  "msgsnd",     EINVAL,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mq_timedsend_prio_over_max, "bad message type or priority",  POSIX, "mq_timedsend", EINVAL, "mq_send(3)",   DIS_MQ_PRIO, PROBE_ANY) \
	X(msgrcv_copy_without_nowait, "bad flags",                     SYSV,  "msgrcv",     EINVAL,   "msgop(2)",     NULL, PROBE_ANY) \
	X(mmap_no_map_type,           "bad flags",                     POSIX, "mmap",       EINVAL,   "mmap(2)",      NULL, PROBE_ANY) \
	\
	X(shmat_unaligned,            "unaligned address",             SYSV,  "shmat",      EINVAL,   "shmop(2)",     NULL, PROBE_ANY) \
	X(mmap_fixed_unaligned,       "unaligned address",             POSIX, "mmap",       EINVAL,   "mmap(2)",      NULL, PROBE_ANY) \
	X(shmdt_unaligned,            "unaligned address",             SYSV,  "shmdt",      EINVAL,   "shmop(2)",     NULL, PROBE_ANY) \
	X(mmap_unaligned_offset,      "unaligned offset",              POSIX, "mmap",       EINVAL,   "mmap(2)",      NULL, PROBE_ANY) \
	X(shmdt_not_attached,         "detach what is not attached",   SYSV,  "shmdt",      EINVAL,   "shmop(2)",     NULL, PROBE_ANY) \
	X(munmap_not_mapped,          "detach what is not attached",   POSIX, "munmap",     0,        "munmap(2)",    NULL, PROBE_ANY) \
	X(shmat_remap_null,           "SHM_REMAP without an address",  SYSV,  "shmat",      EINVAL,   "shmop(2)",     NULL, PROBE_ANY) \
	\
	X(shmget_private_key,         "the private key, no IPC_CREAT", SYSV,  "shmget",     0,        "shmget(2)",    NULL, PROBE_ANY) \
	X(shm_open_no_slash,          "name without a leading slash",  POSIX, "shm_open",   0,        "shm_overview(7)", NULL, PROBE_ANY) \
	X(sem_open_no_slash,          "name without a leading slash",  POSIX, "sem_open",   0,        "sem_overview(7)", NULL, PROBE_ANY) \
	X(mq_open_no_slash,           "name without a leading slash",  POSIX, "mq_open",    EINVAL,   "mq_open(3)",   NULL, PROBE_ANY) \
	X(mq_unlink_no_slash,         "name without a leading slash",  POSIX, "mq_unlink",  EINVAL,   "mq_unlink(3)", DIS_MQ_UNLINK_NAME, PROBE_ANY) \
	X(shm_open_slash_inside,      "name with a second slash",      POSIX, "shm_open",   EINVAL,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(sem_open_slash_inside,      "name with a second slash",      POSIX, "sem_open",   EINVAL,   "sem_open(3)",  DIS_SEM_BADNAME, PROBE_ANY) \
	X(mq_open_slash_inside,       "name with a second slash",      POSIX, "mq_open",    EACCES,   "mq_open(3)",   NULL, PROBE_ANY) \
	X(shm_unlink_slash_inside,    "name with a second slash",      POSIX, "shm_unlink", ENOENT,   "shm_open(3)",  NULL, PROBE_ANY) \
	X(sem_open_just_slash,        "name \"/\"",                    POSIX, "sem_open",   EINVAL,   "sem_open(3)",  NULL, PROBE_ANY) \
	X(mq_open_just_slash,         "name \"/\"",                    POSIX, "mq_open",    ENOENT,   "mq_open(3)",   NULL, PROBE_ANY) \
	\
	X(shm_open_name_too_long,     "name too long",                 POSIX, "shm_open",   ENAMETOOLONG, "shm_open(3)", DIS_NAME_PATH_MAX, PROBE_ANY) \
	X(sem_open_name_too_long,     "name too long",                 POSIX, "sem_open",   EINVAL,   "sem_open(3)",  DIS_SEM_LONG_OPEN, PROBE_ANY) \
	X(mq_open_name_too_long,      "name too long",                 POSIX, "mq_open",    ENAMETOOLONG, "mq_open(3)", NULL, PROBE_ANY) \
	X(shm_unlink_name_too_long,   "name too long",                 POSIX, "shm_unlink", ENAMETOOLONG, "shm_open(3)", DIS_NAME_PATH_MAX, PROBE_ANY) \
	X(sem_unlink_name_too_long,   "name too long",                 POSIX, "sem_unlink", ENOENT,   "sem_unlink(3)", DIS_SEM_LONG_UNLINK, PROBE_ANY) \
	X(mq_unlink_name_too_long,    "name too long",                 POSIX, "mq_unlink",  ENAMETOOLONG, "mq_unlink(3)", NULL, PROBE_ANY) \
	X(sem_open_file_name_too_long, "name too long once \"sem.\" is added", POSIX, "sem_open", ENAMETOOLONG, "sem_open(3)", NULL, PROBE_ANY) \
	X(sem_unlink_file_name_too_long, "name too long once \"sem.\" is added", POSIX, "sem_unlink", ENAMETOOLONG, "sem_unlink(3)", NULL, PROBE_ANY)

#define PROBE_ERRNO_DECLARE_(test, ...) int probe_##test(char *skip, size_t size);
PROBE_ERRNO_ROWS(PROBE_ERRNO_DECLARE_)

#endif
