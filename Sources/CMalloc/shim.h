#ifndef GOSSIP_CMALLOC_SHIM_H
#define GOSSIP_CMALLOC_SHIM_H

// glibc's <malloc.h> (malloc_trim), which Swift's Glibc module does not export.
#if defined(__linux__)
#include <malloc.h>
static inline int gossip_malloc_trim(void) { return malloc_trim(0); }
#else
static inline int gossip_malloc_trim(void) { return 0; }
#endif

#endif
