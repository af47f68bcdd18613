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
static inline bool gossip_ini_get_allow_inline_comments(void) { return ini_allow_inline_comments; }
static inline int gossip_ini_get_max_line(void) { return ini_max_line; }
static inline void gossip_ini_set_stop_on_first_error(bool stop) { ini_stop_on_first_error = stop; }
static inline bool gossip_ini_get_stop_on_first_error(void) { return ini_stop_on_first_error; }
static inline void gossip_ini_set_allow_no_value(bool allow) { ini_allow_no_value = allow; }
static inline bool gossip_ini_get_allow_no_value(void) { return ini_allow_no_value; }
static inline void gossip_ini_set_allow_bom(bool allow) { ini_allow_bom = allow; }
static inline bool gossip_ini_get_allow_bom(void) { return ini_allow_bom; }

#endif
