#ifndef GOSSIP_CAFFINITY_SHIM_H
#define GOSSIP_CAFFINITY_SHIM_H

// The CPUs the calling thread may run on: Linux's sched_getaffinity and sched_setaffinity, which
// Swift's Glibc module does not export (they need _GNU_SOURCE), through their system calls.
// `mask` is a bit array, `bytes` long (a multiple of 8, at least the kernel's CPU mask): bit n % 8
// of byte n / 8 is CPU n. Elsewhere there is none (-1).
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>

// Fills `mask` with the calling thread's CPUs; the bytes the kernel wrote, or -1.
static inline long gossip_affinity_get(unsigned char *mask, unsigned long bytes) {
    return syscall(SYS_sched_getaffinity, 0, bytes, mask);
}

// Lets the calling thread run on the CPUs in `mask` only; 0, or -1.
static inline long gossip_affinity_set(const unsigned char *mask, unsigned long bytes) {
    return syscall(SYS_sched_setaffinity, 0, bytes, mask);
}
#else
static inline long gossip_affinity_get(unsigned char *mask, unsigned long bytes) { return -1; }
static inline long gossip_affinity_set(const unsigned char *mask, unsigned long bytes) { return -1; }
#endif

#endif
