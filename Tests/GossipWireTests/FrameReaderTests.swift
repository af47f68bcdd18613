import Testing

@testable import GossipWire

@Suite("Frame reader")
struct FrameReaderTests {
    /// A stream of several frames of different types and sizes, including an empty body.
    static let messages: [APIMessage] = [
        .notify(GossipNotify(dataType: 1)),
        .announce(GossipAnnounce(ttl: 3, dataType: 1, data: Array(0..<200))),
        .validation(GossipValidation(messageID: 7, isValid: true)),
        .notification(GossipNotification(messageID: 9, dataType: 2, data: [])),
        .announce(GossipAnnounce(ttl: 0, dataType: 9, data: Array(repeating: 0x55, count: 3000))),
    ]
    static let stream: [UInt8] = messages.flatMap { $0.encoded() }

    private func drain(_ reader: inout FrameReader) throws -> [APIMessage] {
        var out: [APIMessage] = []
        while let frame = try reader.nextFrame() { out.append(try APIMessage(frame: frame)) }
        return out
    }

    @Test("one byte at a time")
    func oneByteAtATime() throws {
        var reader = FrameReader()
        var decoded: [APIMessage] = []
        for byte in Self.stream {
            reader.append([byte])
            decoded += try drain(&reader)
        }
        #expect(decoded == Self.messages)
        #expect(!reader.hasPartialFrame)
    }

    @Test("all frames in one chunk")
    func oneChunk() throws {
        var reader = FrameReader()
        reader.append(Self.stream)
        #expect(try drain(&reader) == Self.messages)
    }

    @Test("every split point into two chunks")
    func everyTwoWaySplit() throws {
        for cut in 0...Self.stream.count {
            var reader = FrameReader()
            reader.append(Self.stream[..<cut])
            var decoded = try drain(&reader)
            reader.append(Self.stream[cut...])
            decoded += try drain(&reader)
            #expect(decoded == Self.messages, "split at \(cut)")
        }
    }

    @Test("chunks of every size from 1 to 64")
    func everyChunkSize() throws {
        for chunk in 1...64 {
            var reader = FrameReader()
            var decoded: [APIMessage] = []
            var start = 0
            while start < Self.stream.count {
                let end = min(start + chunk, Self.stream.count)
                reader.append(Self.stream[start..<end])
                decoded += try drain(&reader)
                start = end
            }
            #expect(decoded == Self.messages, "chunk size \(chunk)")
        }
    }

    @Test("a started frame is reported as partial until it completes")
    func partialFrame() throws {
        var reader = FrameReader()
        reader.append([0, 8, 0x01])
        #expect(reader.hasPartialFrame)
        #expect(try reader.nextFrame() == nil)
        reader.append([0xF5, 0, 0, 0x05])
        #expect(try reader.nextFrame() == nil)
        reader.append([0x39])
        #expect(try reader.nextFrame() == Frame(type: 501, body: [0, 0, 0x05, 0x39]))
        #expect(!reader.hasPartialFrame)
    }

    @Test("size fields below the header are rejected", arguments: [0, 1, 2, 3])
    func sizeBelowHeader(size: Int) {
        var reader = FrameReader()
        reader.append([0, UInt8(size), 0x01, 0xF4])
        #expect(throws: WireError.sizeBelowHeader(size: size)) { try reader.nextFrame() }
    }

    @Test("frames above the reader's limit are rejected before their body arrives")
    func tooLarge() {
        var reader = FrameReader(maximumFrameSize: 1024)
        reader.append([0x04, 0x01, 0x01, 0xF4])
        #expect(throws: WireError.frameTooLarge(size: 1025, limit: 1024)) { try reader.nextFrame() }
    }

    @Test("a header-only frame has an empty body")
    func headerOnly() throws {
        var reader = FrameReader()
        reader.append([0, 4, 0x01, 0xF4])
        #expect(try reader.nextFrame() == Frame(type: 500, body: []))
    }

    @Test("with a header rule, an impossible header is rejected as soon as its 4 bytes are in")
    func headerRule() {
        var peer = FrameReader(headerRule: .peer)
        peer.append([0, 100, 0x01, 0xF8])  // HELLO of 100 bytes: no body yet
        #expect(throws: WireError.badSize(type: 504, size: 100, expected: "exactly 74")) { try peer.nextFrame() }
        var unknown = FrameReader(headerRule: .peer)
        unknown.append([0, 8, 0x01, 0xF4])  // an API ANNOUNCE on the P2P port
        #expect(throws: WireError.unknownType(500)) { try unknown.nextFrame() }
        var api = FrameReader(headerRule: .apiFromModule)
        api.append([0, 20, 0x01, 0xF8])
        #expect(throws: WireError.unknownType(504)) { try api.nextFrame() }
        var fine = FrameReader(headerRule: .peer)
        fine.append(PeerMessage.ping(7).encoded().prefix(6))
        #expect((try? fine.nextFrame()) == .some(nil), "a possible header waits for its body")
        for message in [PeerMessage.ping(1), .prune, .ihave([ItemID(high: 1, low: 2)]), .push(PeerPush(listenAddress: PeerAddress(host: "127.0.0.1", port: 1)!, entries: []))] {
            let bytes = message.encoded()
            #expect(PeerMessage.checkHeader(type: UInt16(bytes[2]) << 8 | UInt16(bytes[3]), size: bytes.count) == nil, "\(message)")
        }
    }
}
