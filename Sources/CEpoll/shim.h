#ifndef GOSSIP_CEPOLL_SHIM_H
#define GOSSIP_CEPOLL_SHIM_H

// Waiting on many descriptors in one thread: Linux's epoll and eventfd, which Swift's Glibc module
// does not export. Each descriptor is registered with a 64-bit token, which a wait hands back for
// it (epoll_event's packed layout stays on this side). Elsewhere there is none (-1).
#if defined(__linux__)
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

// A new epoll instance, or -1.
static inline int gossip_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

// Watches `fd` for input (and its end) under `token`; 0, or -1.
static inline int gossip_epoll_add(int epoll, int fd, uint64_t token) {
    struct epoll_event event = {0};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = token;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

// Stops watching `fd`; 0, or -1.
static inline int gossip_epoll_remove(int epoll, int fd) { return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, 0); }

// Waits up to `timeout_ms` (-1: without end) until watched descriptors are ready, and writes up to
// `capacity` of their tokens to `tokens`: how many, 0 at the timeout, -1 on an error (errno; EINTR
// after a signal).
static inline int gossip_epoll_wait(int epoll, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int ready = epoll_wait(epoll, events, capacity, timeout_ms);
    for (int i = 0; i < ready; i++) tokens[i] = events[i].data.u64;
    return ready;
}

// A counter a thread can raise to wake another one waiting on it (in epoll), or -1.
static inline int gossip_signal_create(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
static inline void gossip_signal_raise(int signal) { uint64_t one = 1; (void)!write(signal, &one, sizeof one); }
static inline void gossip_signal_clear(int signal) { uint64_t count; (void)!read(signal, &count, sizeof count); }
#else
#include <stdint.h>
static inline int gossip_epoll_create(void) { return -1; }
static inline int gossip_epoll_add(int epoll, int fd, uint64_t token) { return -1; }
static inline int gossip_epoll_remove(int epoll, int fd) { return -1; }
static inline int gossip_epoll_wait(int epoll, uint64_t *tokens, int capacity, int timeout_ms) { return -1; }
static inline int gossip_signal_create(void) { return -1; }
static inline void gossip_signal_raise(int signal) { (void)signal; }
static inline void gossip_signal_clear(int signal) { (void)signal; }
#endif

#endif
