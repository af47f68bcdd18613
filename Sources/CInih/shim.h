#ifndef GOSSIP_CINIH_SHIM_H
#define GOSSIP_CINIH_SHIM_H

// The modulemap cannot name <ini.h> directly (its path would be relative to this folder).
#include <ini.h>
#include <stdbool.h>

// Debian builds libinih with its options as run-time globals; Swift 6 refuses to touch
// mutable C globals ("not concurrency-safe"), so they are reached through these accessors.
// Callers serialise all use of them (GossipConfig holds a lock around every parse).
static inline void gossip_ini_set_allow_multiline(bool allow) { ini_allow_multiline = allow; }
static inline bool gossip_ini_get_allow_multiline(void) { return ini_allow_multiline; }
static inline void gossip_ini_set_allow_inline_comments(bool allow) { ini_allow_inline_comments = allow; }
static inline int gossip_ini_get_max_line(void) { return ini_max_line; }

#endif
