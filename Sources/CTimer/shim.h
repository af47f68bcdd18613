#ifndef GOSSIP_CTIMER_SHIM_H
#define GOSSIP_CTIMER_SHIM_H

// A one-shot monotonic timer a thread can sleep on while other threads move it: Linux's timerfd
// (<sys/timerfd.h>), which Swift's Glibc module does not export. Elsewhere there is none (-1).
#if defined(__linux__)
#include <sys/timerfd.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>

// A new timer on the clock the node's moments come from (time since boot), or -1.
static inline int gossip_timer_create(void) { return timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC); }

// Sets `timer` to fire once, `nanoseconds` from now (at least 1: a zero value would disarm it).
static inline int gossip_timer_arm(int timer, int64_t nanoseconds) {
    if (nanoseconds < 1) nanoseconds = 1;
    struct itimerspec setting = {{0, 0}, {(time_t)(nanoseconds / 1000000000), (long)(nanoseconds % 1000000000)}};
    return timerfd_settime(timer, 0, &setting, 0);
}

// Sleeps until `timer` fires (at once if it has fired since it was last armed), or at most
// `timeout_ms` milliseconds, so that a timer that could not be armed never stalls the caller.
// Returns 1 when it fired, 0 at the timeout, -1 on a signal or an error.
static inline int gossip_timer_wait(int timer, int timeout_ms) {
    struct pollfd ready = {timer, POLLIN, 0};
    int found = poll(&ready, 1, timeout_ms);
    if (found <= 0) return found;
    uint64_t expirations;
    return read(timer, &expirations, sizeof expirations) == sizeof expirations ? 1 : -1;
}

static inline void gossip_timer_close(int timer) { close(timer); }
#else
static inline int gossip_timer_create(void) { return -1; }
static inline int gossip_timer_arm(int timer, long long nanoseconds) { (void)timer; (void)nanoseconds; return -1; }
static inline int gossip_timer_wait(int timer, int timeout_ms) { (void)timer; (void)timeout_ms; return -1; }
static inline void gossip_timer_close(int timer) { (void)timer; }
#endif

#endif
