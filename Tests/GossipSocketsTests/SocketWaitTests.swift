#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GossipSockets
import Synchronization
import Testing

/// How a connected socket waits: a read without a deadline blocks in `recv` (one system call per
/// wake-up), and is still woken by `shutdown`; reads with a deadline and every write keep it.
@Suite("Socket waits and deadlines")
struct SocketWaitTests {
    /// A connected pair on 127.0.0.1 (port chosen by the OS): the dialed end and the accepted end.
    static func connectedPair() throws -> (dialed: Socket, accepted: Socket) {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let dialed = try Socket.connect(host: "127.0.0.1", port: listener.localPort, deadline: .now + .seconds(5))
        let accepted = try listener.accept()
        return (dialed, accepted)
    }

    /// Whether `O_NONBLOCK` is set on the descriptor.
    static func isNonBlocking(_ socket: Socket) -> Bool {
        fcntl(socket.descriptor, F_GETFL) & O_NONBLOCK != 0
    }

    /// Runs `body` on a thread of its own; the returned function waits for its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> @Sendable () -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }.start()
        return {
            done.wait()
            return result.withLock { $0! }
        }
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

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sk-\(UUID().uuidString.prefix(8))").path
        let listener = try Socket.listen(unixPath: path)
        defer { listener.close(); unlink(path) }
        let client = try Socket.connect(unixPath: path, deadline: .now + .seconds(5))
        let server = try listener.accept()
        defer { client.close(); server.close() }
        #expect(!Self.isNonBlocking(client))
        #expect(!Self.isNonBlocking(server))
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

    @Test("shutdown from another thread wakes a reader blocked without a deadline")
    func shutdownWakesBlockedReader() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        let started = DispatchSemaphore(value: 0)
        let read = Self.onThread {
            started.signal()
            return Self.blockingRead(accepted)
        }
        started.wait()
        // The reader may not be inside recv yet; shutdown works either way (a later recv sees end
        // of stream at once), which is what the node relies on when it closes a link.
        Thread.sleep(forTimeInterval: 0.05)
        accepted.shutdown()
        #expect(read() == 0)
    }

    @Test("a read with a deadline and nothing to read times out instead of blocking")
    func readWithDeadlineTimesOut() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect {
            try buffer.withUnsafeMutableBytes { _ = try accepted.receive(into: $0, deadline: .now + .milliseconds(100)) }
        } throws: { error in
            (error as? SocketError)?.kind == .timedOut
        }
    }

    @Test("a write to a peer that does not read times out at its deadline instead of blocking")
    func writeToStalledPeerTimesOut() throws {
        let (dialed, accepted) = try Self.connectedPair()
        defer { dialed.close(); accepted.close() }
        // Far more than loopback's socket buffers hold, so the write must wait, and give up.
        let bytes = [UInt8](repeating: 0xA5, count: 64 << 20)
        #expect {
            try dialed.send(bytes, deadline: .now + .milliseconds(300))
        } throws: { error in
            (error as? SocketError)?.kind == .timedOut
        }
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
