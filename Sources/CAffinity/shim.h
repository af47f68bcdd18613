#ifndef GOSSIP_CAFFINITY_SHIM_H
#define GOSSIP_CAFFINITY_SHIM_H

// The CPUs the calling thread may run on: Linux's sched_getaffinity and sched_setaffinity, which
// Swift's Glibc module does not export (they need _GNU_SOURCE), through their system calls.
// `mask` is an array of `words` unsigned longs, as the kernel reads it: CPU n is bit
// n % (8 * sizeof(unsigned long)) of word n / (8 * sizeof(unsigned long)). It must cover the
// kernel's CPU count (16 words: 1,024 CPUs, glibc's CPU_SETSIZE). Elsewhere there is none (-1).
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>

// Fills `mask` with the calling thread's CPUs; the bytes the kernel wrote, or -1.
static inline long gossip_affinity_get(unsigned long *mask, unsigned long words) {
    return syscall(SYS_sched_getaffinity, 0, words * sizeof(unsigned long), mask);
}

// Lets the calling thread run on the CPUs in `mask` only; 0, or -1.
static inline long gossip_affinity_set(const unsigned long *mask, unsigned long words) {
    return syscall(SYS_sched_setaffinity, 0, words * sizeof(unsigned long), mask);
}
#else
static inline long gossip_affinity_get(unsigned long *mask, unsigned long words) { return -1; }
static inline long gossip_affinity_set(const unsigned long *mask, unsigned long words) { return -1; }
#endif

#endif
