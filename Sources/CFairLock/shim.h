#ifndef GOSSIP_CFAIRLOCK_SHIM_H
#define GOSSIP_CFAIRLOCK_SHIM_H

// An eventually fair lock (the scheme of WebKit's WTF::Lock and Rust's parking_lot): a thread
// that finds the lock free takes it, even when others are asleep waiting for it (barging), except
// that about once a millisecond an unlock hands the lock straight to the thread that has waited
// longest. Linux only (futex); elsewhere a plain pthread mutex stands in.
//
// Why not Synchronization.Mutex: on Linux it is a priority-inheriting futex (FUTEX_LOCK_PI), whose
// unlock makes the first sleeping waiter the owner. With hundreds of threads on two CPUs that
// owner may not run for milliseconds, and every thread that wants the lock meanwhile sleeps too:
// a convoy (docs/benchmarks.md, "The core's lock without priority inheritance"; 35,000-83,000
// acquisitions a second against millions for a lock whose unlock lets a running thread take it).
// And why not a plain pthread mutex: there a thread that takes the lock rarely can wait behind the
// busy ones for seconds (an API reader answering STATUS during a 300-node join did); here it waits
// typically about half a millisecond for each waiter ahead of it, plus the scheduler's delay in
// waking it.
//
// The waiters are queued in the lock, oldest first (a woken waiter that lost the lock goes back to
// the front; waiters woken together that all lose come back in the order they run, so the head is
// about, not strictly, the oldest); each sleeps on a word of its own, on its own stack. The
// queue has a small lock of its own (a pthread mutex), taken only by the slow paths. The next
// handover is timed from when the thread handed the lock runs, not from the handover: with
// hundreds of threads on two CPUs, waking one can take longer than a millisecond, and handovers
// timed from the handover would follow one another, every unlock a handover (the convoy again).
//
// Unlike a POSIX mutex, a lock must not be destroyed by a thread right after it took it while
// another may still be in its unlock (the unlocker touches the queue's lock after the new owner
// may run): FairMutex frees it only when the last reference goes, when nobody holds it.
//
// Editing this file: an incremental `swift build` does not see a change to a system library's
// header (measured: the old code ran on); touch Sources/GossipNode/FairMutex.swift as well.
#if defined(__linux__)
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
    GOSSIP_FAIR_LOCKED = 1u,  // state: someone holds the lock
    GOSSIP_FAIR_PARKED = 2u,  // state: the queue is not empty (changed only with the queue's lock held)
    GOSSIP_FAIR_WAITING = 0u,  // waiter word: asleep in the queue
    GOSSIP_FAIR_WOKEN = 1u,    // waiter word: taken off the queue, to try for the lock again
    GOSSIP_FAIR_HANDED = 2u,   // waiter word: taken off the queue and given the lock
};

typedef struct gossip_fair_waiter {
    struct gossip_fair_waiter *next;
    uint32_t word;
} gossip_fair_waiter;

typedef struct {
    uint32_t state;
    pthread_mutex_t queue_lock;
    gossip_fair_waiter *head, *tail;
    int64_t fair_at;  // the first unlock at or after this moment hands the lock over (holder only)
    uint64_t random;  // xorshift state for the next fair_at (holder only)
    uint64_t handovers;  // unlocks that handed the lock to a waiter (for tests and benchmarks)
    int hands_over_always;  // for tests: every unlock with a waiter hands the lock over
} gossip_fair_lock;

static inline int64_t gossip_fair_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static inline void gossip_fair_lock_init(gossip_fair_lock *lock) {
    lock->state = 0;
    pthread_mutex_init(&lock->queue_lock, 0);
    lock->head = lock->tail = 0;
    lock->fair_at = 0;
    lock->random = (uint64_t)(uintptr_t)lock | 1;
    lock->handovers = 0;
    lock->hands_over_always = 0;
}

// For tests only, before any thread uses the lock: every unlock that finds a waiter hands over.
static inline void gossip_fair_lock_hand_over_always(gossip_fair_lock *lock) { lock->hands_over_always = 1; }

// The holder's: the first unlock from 0-1 ms on hands over.
static inline void gossip_fair_lock_next_handover(gossip_fair_lock *lock) {
    lock->random ^= lock->random << 13;
    lock->random ^= lock->random >> 7;
    lock->random ^= lock->random << 17;
    lock->fair_at = gossip_fair_now() + (int64_t)(lock->random % 1000000);
}

// Sleeps while *word is `value` (or until a spurious wake-up; the caller looks again). Any error
// but an interruption or a changed word is a broken futex (a seccomp filter, say): abort rather
// than spin.
static inline void gossip_fair_futex_wait(uint32_t *word, uint32_t value) {
    if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, 0, 0, 0) == -1 && errno != EINTR && errno != EAGAIN)
        abort();
}

// How many unlocks so far handed the lock to a waiter.
static inline uint64_t gossip_fair_lock_handovers(gossip_fair_lock *lock) {
    pthread_mutex_lock(&lock->queue_lock);
    uint64_t handovers = lock->handovers;
    pthread_mutex_unlock(&lock->queue_lock);
    return handovers;
}

static inline void gossip_fair_lock_destroy(gossip_fair_lock *lock) {
    pthread_mutex_destroy(&lock->queue_lock);
}

static inline void gossip_fair_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline void gossip_fair_lock_slow(gossip_fair_lock *lock) {
    gossip_fair_waiter me = {0, GOSSIP_FAIR_WAITING};
    int queued_before = 0;
    int spins = 0;
    for (;;) {
        uint32_t state = __atomic_load_n(&lock->state, __ATOMIC_RELAXED);
        if (!(state & GOSSIP_FAIR_LOCKED)) {
            if (__atomic_compare_exchange_n(&lock->state, &state, state | GOSSIP_FAIR_LOCKED, 0,
                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return;
            continue;
        }
        // Spin briefly (127 pauses at most) while nobody sleeps (a holder that runs lets go soon); with
        // sleepers, or after that, queue and sleep.
        if (!(state & GOSSIP_FAIR_PARKED) && spins < 7) {
            for (int i = 0; i < (1 << spins); i++) gossip_fair_pause();
            spins++;
            continue;
        }
        pthread_mutex_lock(&lock->queue_lock);
        // Mark the queue non-empty, unless the lock came free meanwhile (then try again).
        int parked = 0;
        state = __atomic_load_n(&lock->state, __ATOMIC_RELAXED);
        while (state & GOSSIP_FAIR_LOCKED) {
            if (__atomic_compare_exchange_n(&lock->state, &state, state | GOSSIP_FAIR_PARKED, 0,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                parked = 1;
                break;
            }
        }
        if (!parked) {
            pthread_mutex_unlock(&lock->queue_lock);
            continue;
        }
        me.next = 0;
        __atomic_store_n(&me.word, GOSSIP_FAIR_WAITING, __ATOMIC_RELAXED);
        if (!queued_before) {
            // Newcomers go to the back.
            queued_before = 1;
            if (lock->tail) lock->tail->next = &me; else lock->head = &me;
            lock->tail = &me;
        } else {
            // A waiter that was woken and lost the lock to a running thread goes back to the
            // front, so the head is always the one that has waited longest.
            me.next = lock->head;
            lock->head = &me;
            if (!lock->tail) lock->tail = &me;
        }
        pthread_mutex_unlock(&lock->queue_lock);
        uint32_t word;
        while ((word = __atomic_load_n(&me.word, __ATOMIC_ACQUIRE)) == GOSSIP_FAIR_WAITING)
            gossip_fair_futex_wait(&me.word, GOSSIP_FAIR_WAITING);
        if (word == GOSSIP_FAIR_HANDED) {
            // The unlocker left the lock held, for us; the next handover is timed from now.
            gossip_fair_lock_next_handover(lock);
            return;
        }
        spins = 0;
    }
}

static inline void gossip_fair_unlock_slow(gossip_fair_lock *lock) {
    pthread_mutex_lock(&lock->queue_lock);
    gossip_fair_waiter *waiter = lock->head;
    if (!waiter) {  // not reached: PARKED is set and cleared with the queue, under queue_lock
        __atomic_store_n(&lock->state, 0, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&lock->queue_lock);
        return;
    }
    lock->head = waiter->next;
    if (!lock->head) lock->tail = 0;
    uint32_t parked = lock->head ? GOSSIP_FAIR_PARKED : 0;
    uint32_t word;
    if (lock->hands_over_always || gossip_fair_now() >= lock->fair_at) {
        // Hand over: the lock stays held, now for the waiter, which times the next handover.
        lock->handovers++;
        __atomic_store_n(&lock->state, GOSSIP_FAIR_LOCKED | parked, __ATOMIC_RELAXED);
        word = GOSSIP_FAIR_HANDED;
    } else {
        // Let go: whoever runs first takes it, the woken waiter among them.
        __atomic_store_n(&lock->state, parked, __ATOMIC_RELEASE);
        word = GOSSIP_FAIR_WOKEN;
    }
    uint32_t *address = &waiter->word;
    __atomic_store_n(address, word, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock->queue_lock);
    // The waiter may already have seen its word and returned, its stack reused: a wake at that
    // address is then at most a spurious wake-up of another futex waiter there, which every futex
    // wait must (and ours does) take as such by looking at its word again. For a private futex the
    // kernel uses the address as a key only; no memory is read or written.
    syscall(SYS_futex, address, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static inline void gossip_fair_lock_lock(gossip_fair_lock *lock) {
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(&lock->state, &expected, GOSSIP_FAIR_LOCKED, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
        return;
    gossip_fair_lock_slow(lock);
}

// 1 if taken, 0 if held by another thread.
static inline int gossip_fair_lock_try(gossip_fair_lock *lock) {
    uint32_t state = __atomic_load_n(&lock->state, __ATOMIC_RELAXED);
    while (!(state & GOSSIP_FAIR_LOCKED)) {
        if (__atomic_compare_exchange_n(&lock->state, &state, state | GOSSIP_FAIR_LOCKED, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return 1;
    }
    return 0;
}

static inline void gossip_fair_lock_unlock(gossip_fair_lock *lock) {
    uint32_t expected = GOSSIP_FAIR_LOCKED;
    if (__atomic_compare_exchange_n(&lock->state, &expected, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        return;
    gossip_fair_unlock_slow(lock);
}
#else
#include <pthread.h>
#include <stdint.h>
typedef struct { pthread_mutex_t mutex; } gossip_fair_lock;
static inline void gossip_fair_lock_init(gossip_fair_lock *lock) { pthread_mutex_init(&lock->mutex, 0); }
static inline void gossip_fair_lock_destroy(gossip_fair_lock *lock) { pthread_mutex_destroy(&lock->mutex); }
static inline void gossip_fair_lock_lock(gossip_fair_lock *lock) { pthread_mutex_lock(&lock->mutex); }
static inline int gossip_fair_lock_try(gossip_fair_lock *lock) { return pthread_mutex_trylock(&lock->mutex) == 0; }
static inline void gossip_fair_lock_unlock(gossip_fair_lock *lock) { pthread_mutex_unlock(&lock->mutex); }
static inline uint64_t gossip_fair_lock_handovers(gossip_fair_lock *lock) { (void)lock; return 0; }
static inline void gossip_fair_lock_hand_over_always(gossip_fair_lock *lock) { (void)lock; }
#endif

#endif
