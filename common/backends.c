/* backends.c - the transports, in report order. */
#include <stddef.h>

#include "ipcmp.h"

extern const struct ipcmp_ops ipcmp_sysv_shm_ops;
extern const struct ipcmp_ops ipcmp_sysv_msg_ops;
extern const struct ipcmp_ops ipcmp_posix_shm_ops;
extern const struct ipcmp_ops ipcmp_posix_mq_ops;
extern const struct ipcmp_ops ipcmp_posix_atomic_ops;

const struct ipcmp_ops *const ipcmp_backends[] = {
	&ipcmp_sysv_shm_ops,
	&ipcmp_sysv_msg_ops,
	&ipcmp_posix_shm_ops,
	&ipcmp_posix_mq_ops,
	&ipcmp_posix_atomic_ops,
	NULL,
};

const char *const ipcmp_step_names[IPCMP_STEPS] = {
	[IPCMP_STEP_CREATE] = "create",
	[IPCMP_STEP_OPEN] = "open",
	[IPCMP_STEP_SIZE] = "size",
	[IPCMP_STEP_MAP] = "map",
	[IPCMP_STEP_OWNS] = "is it our channel",
	[IPCMP_STEP_JOIN] = "a producer joins",
	[IPCMP_STEP_LOCK] = "lock",
	[IPCMP_STEP_ROOM] = "wait for room",
	[IPCMP_STEP_PUBLISH] = "publish",
	[IPCMP_STEP_WAKE] = "wake",
	[IPCMP_STEP_DATA] = "wait for data",
	[IPCMP_STEP_END] = "end of stream",
	[IPCMP_STEP_ABORT] = "abort",
	[IPCMP_STEP_DEATH] = "a producer died",
	[IPCMP_STEP_DEAD_LOCK] = "the lock holder died",
	[IPCMP_STEP_CLOSE] = "close",
	[IPCMP_STEP_REMOVE] = "remove",
};
