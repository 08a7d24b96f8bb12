/*
 * fnv.h - FNV-1a, the one hash of ipcmp: SysV keys from names (names.c)
 * and message checksums (ring.c, frame.c). It catches a byte rewritten,
 * not a forger who recomputes it: it is no MAC.
 */
#ifndef IPCMP_FNV_H
#define IPCMP_FNV_H

#include <stddef.h>
#include <stdint.h>

#define IPCMP_FNV_BASIS 2166136261u
#define IPCMP_FNV_PRIME 16777619u

static inline uint32_t ipcmp_fnv1a(uint32_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * IPCMP_FNV_PRIME;
	return h;
}

#endif
