#ifndef GOSSIP_CTHREADNAME_SHIM_H
#define GOSSIP_CTHREADNAME_SHIM_H

// Names the calling thread for `ps -L` and `top -H`: Linux's prctl(PR_SET_NAME), one system call.
// Swift's Glibc module exports neither prctl (a variadic function) nor pthread_setname_np (it needs
// _GNU_SOURCE); writing /proc/thread-self/comm instead walks a path and opens a file, which a node
// that starts a thread for every link paid on each one. The kernel keeps the first 15 bytes.
// Elsewhere there is none (-1).
#if defined(__linux__)
#include <sys/prctl.h>

// 0, or -1.
static inline int gossip_thread_set_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
#else
static inline int gossip_thread_set_name(const char *name) { return -1; }
#endif

#endif
