import Testing

@testable import GossipWire

@Suite("API messages")
struct APIMessageTests {
    static let samples: [APIMessage] = [
        .announce(GossipAnnounce(ttl: 4, reserved: 0, dataType: 1337, data: [0xDE, 0xAD, 0xBE, 0xEF])),
        .announce(GossipAnnounce(ttl: 0, reserved: 7, dataType: 0, data: [])),
        .announce(GossipAnnounce(ttl: 255, dataType: 65535, data: Array(repeating: 0xAB, count: GossipAnnounce.maximumDataSize))),
        .notify(GossipNotify(reserved: 0, dataType: 1337)),
        .notify(GossipNotify(reserved: 0xFFFF, dataType: 65535)),
        .notification(GossipNotification(messageID: 0, dataType: 1, data: [1, 2, 3])),
        .notification(GossipNotification(messageID: 65535, dataType: 2, data: [])),
        .validation(GossipValidation(messageID: 42, isValid: true)),
        .validation(GossipValidation(messageID: 65535, isValid: false, reserved: 0x7FFF)),
        .statusRequest(.full),
        .statusRequest(.peers),
    ]

    @Test("every message survives encode then decode", arguments: samples)
    func roundTrip(_ message: APIMessage) throws {
        let bytes = message.encoded()
        #expect(bytes.count == message.encodedSize)
        var reader = FrameReader()
        reader.append(bytes)
        let frame = try #require(try reader.nextFrame())
        #expect(try APIMessage(frame: frame) == message)
        #expect(reader.bufferedByteCount == 0)
    }

    @Test("the course client's ANNOUNCE is byte-exact")
    func courseAnnounceBytes() {
        let message = APIMessage.announce(GossipAnnounce(ttl: 4, dataType: 1337, data: [0xDE, 0xAD, 0xBE, 0xEF]))
        #expect(message.encoded() == [0x00, 0x0C, 0x01, 0xF4, 0x04, 0x00, 0x05, 0x39, 0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test("NOTIFY, NOTIFICATION and VALIDATION are byte-exact")
    func otherBytes() {
        #expect(APIMessage.notify(GossipNotify(dataType: 1337)).encoded() == [0, 8, 0x01, 0xF5, 0, 0, 0x05, 0x39])
        #expect(
            APIMessage.notification(GossipNotification(messageID: 0x0102, dataType: 1337, data: [9])).encoded()
                == [0, 9, 0x01, 0xF6, 1, 2, 0x05, 0x39, 9])
        #expect(APIMessage.validation(GossipValidation(messageID: 0x0102, isValid: true)).encoded() == [0, 8, 0x01, 0xF7, 1, 2, 0, 1])
        #expect(APIMessage.validation(GossipValidation(messageID: 0x0102, isValid: false)).encoded() == [0, 8, 0x01, 0xF7, 1, 2, 0, 0])
    }

    @Test("a STATUS request for everything keeps its 4 bytes; one for the peers adds its scope; a scope of 0 or 2 is refused")
    func statusRequestBytes() throws {
        #expect(APIMessage.statusRequest(.full).encoded() == [0, 4, 0x02, 0x06])
        #expect(APIMessage.statusRequest(.peers).encoded() == [0, 5, 0x02, 0x06, 1])
        #expect(throws: WireError.invalidField("STATUS scope 0; known: 1 (peers), or no byte for the whole status")) {
            try APIMessage(frame: Frame(type: 518, body: [0]))  // the whole status has one encoding: 4 bytes
        }
        #expect(throws: WireError.invalidField("STATUS scope 2; known: 1 (peers), or no byte for the whole status")) {
            try APIMessage(frame: Frame(type: 518, body: [2]))
        }
        #expect(throws: WireError.badSize(type: 518, size: 6, expected: "4 or 5")) {
            try APIMessage(frame: Frame(type: 518, body: [1, 0]))
        }
        #expect(HeaderRule.apiFromModule.check(518, 5) == nil)
        #expect(HeaderRule.apiFromModule.check(518, 6) == .badSize(type: 518, size: 6, expected: "4 or 5"))
    }

    @Test("the V bit is the lowest bit of byte 7; reserved bits do not make an item valid")
    func validationBit() throws {
        let reservedOnly = try APIMessage(frame: Frame(type: 503, body: [0, 1, 0xFF, 0xFE]))
        #expect(reservedOnly == .validation(GossipValidation(messageID: 1, isValid: false, reserved: 0x7FFF)))
        let vBitOnly = try APIMessage(frame: Frame(type: 503, body: [0, 1, 0x00, 0x01]))
        #expect(vBitOnly == .validation(GossipValidation(messageID: 1, isValid: true, reserved: 0)))
    }

    @Test(
        "sizes that disagree with the type's layout are rejected",
        arguments: [
            (UInt16(500), [UInt8]([4, 0, 5])),  // ANNOUNCE shorter than 8
            (UInt16(501), [UInt8]([0, 0, 5])),  // NOTIFY of 7
            (UInt16(501), [UInt8]([0, 0, 5, 57, 0])),  // NOTIFY of 9
            (UInt16(502), [UInt8]([0, 1])),  // NOTIFICATION shorter than 8
            (UInt16(503), [UInt8]([0, 1, 0])),  // VALIDATION of 7
            (UInt16(503), [UInt8]([0, 1, 0, 1, 0])),  // VALIDATION of 9
        ])
    func badSizes(type: UInt16, body: [UInt8]) {
        #expect(throws: WireError.self) { try APIMessage(frame: Frame(type: type, body: body)) }
    }

    @Test("unknown types are rejected", arguments: [UInt16(0), 499, 504, 505, 520, 65535])
    func unknownType(type: UInt16) {
        #expect(throws: WireError.unknownType(type)) { try APIMessage(frame: Frame(type: type, body: [0, 0, 0, 0])) }
    }
}
