import Crypto
import Foundation
import GossipCore
import GossipSockets
import GossipWire
import Synchronization
import Testing

@testable import GossipNode

/// The writer thread of a connection comes and goes with the work: none while the kernel takes
/// every write at once, one while a backlog waits, none again once idle.
@Suite("Connection sender")
struct ConnectionSenderTests {
    /// A connected pair on 127.0.0.1: the sender writes on `local`, the test reads `remote`. Both
    /// buffers are fixed small (which turns the kernel's tuning of them off), so a few MiB never
    /// fit in them at once, whatever `tcp_wmem` and `tcp_rmem` allow on the machine (a CI run of
    /// 2026-12-01 took 4 MiB at once with a `tcp_rmem` maximum of 32 MiB).
    private struct Pair {
        let local: Socket
        let remote: Socket

        init() throws {
            let listener = try Socket.listen(host: "127.0.0.1", port: 0)
            defer { listener.close() }
            local = try Socket.connect(host: "127.0.0.1", port: listener.localPort, deadline: ContinuousClock.now + .seconds(5))
            remote = try listener.accept()
            var size: Int32 = 64 * 1024
            setsockopt(local.descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(remote.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }

        /// Reads until `count` bytes came or the other side closed.
        func read(_ count: Int) throws -> [UInt8] {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while bytes.count < count {
                let got = try buffer.withUnsafeMutableBytes { try remote.receive(into: $0, deadline: ContinuousClock.now + .seconds(10)) }
                if got == 0 { break }
                bytes.append(contentsOf: buffer[..<got])
            }
            return bytes
        }
    }

    private func sender(on socket: Socket, idleExit: Duration = .milliseconds(50)) -> ConnectionSender {
        ConnectionSender(
            socket: socket, threadName: "test-send", capacityBytes: { 64 << 20 }, writeTimeout: .seconds(10), idleExit: idleExit,
            onWriteFailure: { _ in })
    }

    /// Enqueues 64 messages of 64 KiB, message `i` filled with `fill(i)`; returns their bytes.
    private func enqueueBlocks(_ sender: ConnectionSender, _ fill: (Int) -> UInt8) -> [UInt8] {
        var expected: [UInt8] = []
        for index in 0..<64 {
            let message = [UInt8](repeating: fill(index), count: 64 * 1024)
            expected += message
            #expect(sender.enqueue(message) == .queued)
        }
        return expected
    }

    /// Waits (bounded) for `condition`; the bound only keeps a broken build from hanging.
    private func eventually(_ condition: () -> Bool) -> Bool {
        let end = Date(timeIntervalSinceNow: 20)
        while Date() < end {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    @Test("small writes the kernel takes at once never start a writer thread")
    func noThreadWhenTheKernelTakesIt() throws {
        let pair = try Pair()
        let sender = sender(on: pair.local)
        var expected: [UInt8] = []
        for index in 0..<50 {
            let message = [UInt8](repeating: UInt8(index), count: 40)
            expected += message
            #expect(sender.enqueue(message) == .queued)
            #expect(!sender.hasWriterThread, "message \(index) went out without a thread")
        }
        #expect(try pair.read(expected.count) == expected)
        sender.stop()
        sender.waitUntilFinished()
    }

    @Test("a backlog starts the writer, which writes it all in order and ends once idle")
    func threadForBacklogOnly() throws {
        let pair = try Pair()
        let sender = sender(on: pair.local)
        // Nobody reads yet: the socket buffers fill and the rest has to wait for a writer.
        var expected = enqueueBlocks(sender) { UInt8($0) }
        #expect(sender.backlogBytes > 0, "the kernel did not take 4 MiB at once")
        #expect(sender.hasWriterThread, "queued bytes have a thread to write them")
        #expect(try pair.read(expected.count) == expected, "every byte, in order")
        #expect(eventually { sender.backlogBytes == 0 && !sender.hasWriterThread }, "the writer ended once idle")
        // And a second backlog starts a new one.
        expected = enqueueBlocks(sender) { UInt8(255 - $0) }
        #expect(try pair.read(expected.count) == expected)
        #expect(eventually { !sender.hasWriterThread })
        sender.stop()
        sender.waitUntilFinished()
    }

    @Test("stop ends a writer blocked on a full socket; waitUntilFinished returns")
    func stopWithBacklog() throws {
        let pair = try Pair()
        let sender = sender(on: pair.local, idleExit: .seconds(60))
        for _ in 0..<64 { _ = sender.enqueue([UInt8](repeating: 1, count: 64 * 1024)) }
        #expect(sender.hasWriterThread)
        sender.stop()
        pair.local.shutdown()  // what Connection.finishClosing does: wakes a writer waiting in poll
        sender.waitUntilFinished()
        #expect(!sender.hasWriterThread)
        #expect(sender.enqueue([1]) == .closed)
    }

    @Test("finish without a writer thread flushes, ends our direction, and lingers until stop")
    func finishWithoutThread() throws {
        let pair = try Pair()
        let sender = sender(on: pair.local)
        #expect(sender.enqueue([1, 2, 3]) == .queued)
        #expect(!sender.hasWriterThread)
        sender.finish(linger: .seconds(30))
        #expect(sender.enqueue([4]) == .closed, "no messages after finish")
        #expect(try pair.read(4) == [1, 2, 3], "the peer sees the message, then the end of the stream")
        #expect(eventually { sender.hasEndedOutput })
        #expect(sender.hasWriterThread, "lingering for the peer's close")
        sender.stop()
        sender.waitUntilFinished()
        #expect(!sender.hasWriterThread)
    }

    @Test("sealed messages, written at once or queued behind a backlog, all open at the peer in order")
    func sealedMessagesOpenInOrder() throws {
        let pair = try Pair()
        let sender = sender(on: pair.local)
        let keys = try #require(
            LinkKeys.derive(
                agreementKey: Curve25519.KeyAgreement.PrivateKey(),
                peerAgreementKey: Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation),
                ourNonce: Array(repeating: 1, count: 16), theirNonce: Array(repeating: 2, count: 16),
                ourIdentity: PeerIdentity(words: (1, 1, 1, 1)), theirIdentity: PeerIdentity(words: (2, 2, 2, 2))))
        sender.secure(with: keys.sealer)
        // Small frames (sealed in the sender's reused storage) and large ones, some two to a
        // message; nobody reads at first, so the later ones wait in the outbox: frames written at
        // once and frames queued must reach the peer in the order their counters say.
        var frames: [Frame] = []
        while frames.count < 600 {
            var message: [UInt8] = []
            for _ in 0..<(frames.count % 7 == 3 ? 2 : 1) {
                let index = frames.count
                let size = index % 5 == 2 ? 60_000 : index % 10 == 3 ? 3_000 : 36 + index % 5
                var body = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
                body[0] = UInt8(truncatingIfNeeded: index >> 8)
                let frame = Frame(type: 0x01FB, body: body)
                frames.append(frame)
                message += frame.encoded()
            }
            #expect(sender.enqueue(message) == .queued)
        }
        #expect(sender.hasWriterThread, "part of it had to wait in the outbox")
        let expectedBytes = frames.reduce(0) { $0 + $1.size + FrameSealer.tagSize }
        let bytes = try pair.read(expectedBytes)
        #expect(bytes.count == expectedBytes)
        var reader = FrameReader()
        reader.trailerSize = FrameSealer.tagSize
        reader.append(bytes)
        var opener = keys.peerSide.opener
        var opened: [Frame] = []
        while var frame = try reader.nextFrame() {
            guard opener.open(&frame) else { break }
            opened.append(frame)
        }
        #expect(opened.count == frames.count, "every frame opened")
        #expect(opened == frames, "in the order they were enqueued, unaltered")
        sender.stop()
        sender.waitUntilFinished()
    }
}
