#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import CThreadName
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The node's threads and condition variables on POSIX directly. Foundation's `Thread` and
// `NSCondition` live in the full Foundation library, which with its ICU data adds about 7 MiB to
// every gossipd process; FoundationEssentials (which swift-crypto loads anyway) has neither.

/// Starts a detached thread that runs `body`. `name` shows in `ps -L` and `top -H` (the kernel
/// keeps the first 15 bytes). Returns false if the system refused to create it (EAGAIN: out of
/// threads or memory); `body` then never runs, and the caller must clean up what it was for.
@discardableResult
func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let start = Unmanaged.passRetained(Start(name: name, body: body))
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let result = pthread_create(&thread, &attributes, { argument in
        let start = Unmanaged<Start>.fromOpaque((argument as UnsafeMutableRawPointer?)!).takeRetainedValue()  // optional on Glibc only
        setCurrentThreadName(start.name)
        start.body()
        return nil
    }, start.toOpaque())
    if result != 0 { start.release() }
    return result == 0
}

/// Names the calling thread (best effort). Glibc's `pthread_setname_np` is not visible to Swift
/// (it needs _GNU_SOURCE), so on Linux this calls prctl(PR_SET_NAME) through a shim.
private func setCurrentThreadName(_ name: String) {
    let truncated = String(decoding: name.utf8.prefix(15), as: UTF8.self)
    #if canImport(Glibc)
    _ = truncated.withCString { gossip_thread_set_name($0) }
    #else
    _ = pthread_setname_np(truncated)
    #endif
}

/// A mutex with a condition variable, used like `NSCondition`: `lock()`, then `wait()` in a loop
/// on the predicate, `signal()` or `broadcast()` after changing it, `unlock()`.
final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits for a signal; the lock must be held. May wake spuriously.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits for a signal until `deadline` (wall clock, as `NSCondition`); the lock must be held.
    /// Returns false if the deadline passed first. May wake spuriously.
    func wait(until deadline: Date) -> Bool {
        let seconds = deadline.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        var time = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
        return pthread_cond_timedwait(condition, mutex, &time) == 0
    }
}
