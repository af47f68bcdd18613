#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GossipSockets
import Synchronization
import Testing

/// How a connected socket waits: a read without a deadline blocks in `recv` (one system call per
/// wake-up), and is still woken by `shutdown`; reads with a deadline and every write keep it.
// The limit only turns a hang into a failure. It is generous because its clock runs while a test
// waits for one of the test pool's threads: in the full suite on 2 cores, tests here that take
// under a second reported up to a minute.
@Suite("Socket waits and deadlines", .timeLimit(.minutes(5)))
struct SocketWaitTests {
    /// A connected pair on 127.0.0.1 (port chosen by the OS): the dialed end and the accepted end.
    static func connectedPair() throws -> (dialed: Socket, accepted: Socket) {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let dialed = try Socket.connect(host: "127.0.0.1", port: listener.localPort, deadline: .now + .seconds(5))
        let accepted = try listener.accept()
        return (dialed, accepted)
    }

    /// Runs `body` with a connected Unix-domain pair (client, accepted end) in a fresh temporary
    /// folder; closes both and removes the socket file after.
    static func withUnixPair(_ body: (Socket, Socket) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sk-\(UUID().uuidString.prefix(8))").path
        let listener = try Socket.listen(unixPath: path)
        defer { listener.close(); unlink(path) }
        let client = try Socket.connect(unixPath: path, deadline: .now + .seconds(5))
        let server = try listener.accept()
        defer { client.close(); server.close() }
        try body(client, server)
    }

    /// Whether `O_NONBLOCK` is set on the descriptor.
    static func isNonBlocking(_ socket: Socket) -> Bool {
        fcntl(socket.descriptor, F_GETFL) & O_NONBLOCK != 0
    }

    /// Runs `body` on a thread of its own; the returned function waits up to 10 s for its result
    /// (nil if it has not come by then: a call that should have returned is stuck).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> @Sendable () -> T? {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }.start()
        return {
            guard done.wait(timeout: .now() + 10) == .success else { return nil }
            return result.withLock { $0 }
        }
    }

    /// Waits up to 10 s until thread `tid` of this process sleeps (state S in its `stat`): the
    /// reader is inside its blocking call. False if it never did.
    static func waitUntilAsleep(_ tid: Int32) -> Bool {
        for _ in 0..<1_000 {
            if let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                stat[stat.index(close, offsetBy: 2)] == "S"
            {
                return true
            }
            usleep(10_000)
        }
        return false
    }

    /// A reader blocked in `receive` without a deadline on `reading` is woken by `shutdown`.
    static func expectShutdownWakesReader(_ reading: Socket) {
        let tid = Mutex<Int32>(0)
        let started = DispatchSemaphore(value: 0)
        let read = onThread {
            // "/proc/thread-self" links to "<pid>/task/<tid>" (Glibc's `gettid` is not imported).
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
            tid.withLock { $0 = Int32(link.split(separator: "/").last ?? "") ?? 0 }
            started.signal()
            return blockingRead(reading)
        }
        started.wait()
        // The only place the thread can sleep from here on is the read.
        #expect(waitUntilAsleep(tid.withLock { $0 }))
        reading.shutdown()
        #expect(read() == 0)
    }

    /// Reads once without a deadline: the byte count, or -1 on an error.
    static func blockingRead(_ socket: Socket) -> Int {
        var buffer = [UInt8](repeating: 0, count: 64)
        return buffer.withUnsafeMutableBytes { (try? socket.receive(into: $0, deadline: nil)) ?? -1 }
    }

    @Test("connected sockets block, on both ends, over TCP and a Unix-domain socket")
    func connectedSocketsBlock() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        #expect(!Self.isNonBlocking(dialed))
        #expect(!Self.isNonBlocking(accepted))

        try Self.withUnixPair { client, server in
            #expect(!Self.isNonBlocking(client))
            #expect(!Self.isNonBlocking(server))
        }
    }

    @Test("a read without a deadline returns the bytes that come, then 0 when the peer closes")
    func readWithoutDeadline() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        let read = Self.onThread { Self.blockingRead(accepted) }
        try dialed.send([1, 2, 3], deadline: .now + .seconds(5))
        #expect(read() == 3)
        let atEnd = Self.onThread { Self.blockingRead(accepted) }
        dialed.shutdownWrite()
        #expect(atEnd() == 0)
    }

    @Test("shutdown from another thread wakes a reader blocked without a deadline, over TCP")
    func shutdownWakesBlockedReader() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        Self.expectShutdownWakesReader(accepted)
    }

    @Test("shutdown from another thread wakes a reader blocked without a deadline, over a Unix-domain socket")
    func shutdownWakesBlockedUnixReader() throws {
        try Self.withUnixPair { _, server in Self.expectShutdownWakesReader(server) }
    }

    /// Expects `body` to give up with a timed-out `SocketError`.
    static func expectTimesOut(_ body: () throws -> Void) {
        do {
            try body()
            Issue.record("returned instead of timing out")
        } catch let error as SocketError {
            #expect(error.kind == .timedOut, "\(error)")
        } catch {
            Issue.record("threw \(error) instead of timing out")
        }
    }

    @Test("a read with a deadline and nothing to read times out instead of blocking")
    func readWithDeadlineTimesOut() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        var buffer = [UInt8](repeating: 0, count: 16)
        Self.expectTimesOut {
            try buffer.withUnsafeMutableBytes { _ = try accepted.receive(into: $0, deadline: .now + .milliseconds(100)) }
        }
    }

    @Test("a write to a peer that does not read times out at its deadline instead of blocking")
    func writeToStalledPeerTimesOut() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        // Small buffers on both ends (the kernel doubles and rounds them; a few tens of KB), so 4
        // MiB can never fit and the write must wait, and give up, whatever the host's defaults.
        var small: Int32 = 16_384
        setsockopt(dialed.descriptor, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(accepted.descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let bytes = [UInt8](repeating: 0xA5, count: 4 << 20)
        Self.expectTimesOut { try dialed.send(bytes, deadline: .now + .milliseconds(300)) }
    }

    @Test("receiveAvailable never waits: nil before bytes come, the bytes once they have, 0 after the peer closed")
    func receiveAvailableNeverWaits() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try accepted.receiveAvailable(into: buffer) == nil)
        try dialed.send([7, 8, 9], deadline: .now + .seconds(5))
        // Loopback delivers at once, but give the bytes a moment rather than race them.
        var got: Int?
        for _ in 0..<500 where got == nil {
            got = try accepted.receiveAvailable(into: buffer)
            if got == nil { Thread.sleep(forTimeInterval: 0.002) }
        }
        #expect(got == 3)
        #expect(Array(buffer.prefix(3)) == [7, 8, 9])
        dialed.shutdownWrite()
        var end: Int?
        for _ in 0..<500 where end == nil {
            end = try accepted.receiveAvailable(into: buffer)
            if end == nil { Thread.sleep(forTimeInterval: 0.002) }
        }
        #expect(end == 0)
    }

    @Test("sendAvailable never waits: it returns what the kernel took, 0 once the buffers are full")
    func sendAvailableNeverWaits() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
        var total = 0
        var sawFull = false
        for _ in 0..<256 {
            let written = try chunk.withUnsafeBytes { try dialed.sendAvailable($0) }
            total += written
            if written == 0 {
                sawFull = true
                break
            }
        }
        #expect(sawFull)
        #expect(total > 0)
    }
}
