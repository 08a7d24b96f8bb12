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
