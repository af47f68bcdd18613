import Foundation
import GossipSockets
import GossipWire
import Testing

/// How long a started frame may take: once its first byte has come, the rest must follow within
/// `frameTimeout` of the reader's waiting for it.
// The limit only turns a hang into a failure. It is generous because its clock runs while a test
// waits for one of the test pool's threads: in the full suite on 2 cores, tests here that take
// under a second reported up to a minute.
@Suite("Frame stream deadlines", .timeLimit(.minutes(5)))
struct FrameStreamDeadlineTests {
    static func bytes(_ type: UInt16, _ body: [UInt8]) -> [UInt8] { Frame(type: type, body: body).encoded() }

    @Test("a frame that stops halfway ends the read as a frame timeout, not an idle one")
    func partialFrameTimesOut() throws {
        let (dialed, accepted) = try SocketWaitTests.connectedPair()
        defer { dialed.close(); accepted.close() }
        var stream = FrameStream(socket: accepted, frameTimeout: .milliseconds(200))
        try dialed.send(Array(Self.bytes(0x01F4, [1, 2, 3, 4]).prefix(5)), deadline: .now + .seconds(5))
        do {
            let frame = try stream.readFrame(idleDeadline: .now + .seconds(20))
            Issue.record("a half-sent frame was returned: \(String(describing: frame))")
        } catch {
            guard case .frameTimedOut(let buffered) = error else {
                Issue.record("expected a frame timeout, got \(error)")
                return
            }
            #expect(buffered == 5, "the 5 bytes that came")
        }
    }

    @Test("a frame begun behind a returned one is timed from the next read, not while the caller works")
    func callerTimeIsNotThePeers() throws {
        let (dialed, accepted) = try SocketWaitTests.connectedPair()
        defer { dialed.close(); accepted.close() }
        var stream = FrameStream(socket: accepted, frameTimeout: .milliseconds(300))
        let first = Self.bytes(0x01F4, [1]), second = Self.bytes(0x01F5, [2, 3, 4, 5])
        try dialed.send(first + second.prefix(3), deadline: .now + .seconds(5))
        #expect(try stream.readFrame() == Frame(type: 0x01F4, body: [1]))
        // The caller works for longer than the frame timeout (as a reader does while the item
        // queue pushes back), and the rest of the second frame comes only after it reads again.
        usleep(600_000)
        let rest = Array(second.dropFirst(3))
        let sent = SocketWaitTests.onThread {
            usleep(100_000)
            return (try? dialed.send(rest, deadline: .now + .seconds(5))) != nil
        }
        #expect(try stream.readFrame() == Frame(type: 0x01F5, body: [2, 3, 4, 5]))
        #expect(sent() == true)
    }
}
