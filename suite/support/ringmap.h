/*
 * ringmap.h - reach the ring header of a shm backend's channel from outside
 * the backend, as another process could, to corrupt it on purpose.
 */
#ifndef SUITE_RINGMAP_H
#define SUITE_RINGMAP_H

#include <stddef.h>

#include "ipcmp.h"
#include "ring.h"

/* Maps the channel's object read-write; NULL on failure (-errno in *err). */
struct ipcmp_ring_hdr *ringmap_open(const struct ipcmp_ops *ops, const char *name,
				    size_t *size, int *err);
/* The suffix of a POSIX ring's object name: posix/posix_shm.c's "ring",
 * posix/posix_atomic.c's "atomic". */
const char *ringmap_posix_suffix(const struct ipcmp_ops *ops);
void ringmap_close(const struct ipcmp_ops *ops, struct ipcmp_ring_hdr *hdr, size_t size);

#endif
