import GossipClient
import GossipCore
import GossipNode
import GossipWire
import Testing

/// Each bad input closes only the offending connection, is counted under its reason, and leaves the
/// node serving: a fresh subscriber/announcer pair still works afterwards.
@Suite("Malformed and abusive API input")
struct MalformedInputTests {
    typealias Case = BadInput

    static let cases: [Case] = [
        Case(name: "size field 0", bytes: [0, 0, 0x01, 0xF4], reason: .sizeBelowHeader),
        Case(name: "size field 3", bytes: [0, 3, 0x01, 0xF4], reason: .sizeBelowHeader),
        Case(name: "random garbage", bytes: [0x00, 0x01, 0xFF, 0x13, 0x37, 0x42], reason: .sizeBelowHeader),
        Case(name: "unknown type 499", bytes: [0, 4, 0x01, 0xF3], reason: .unknownType),
        Case(name: "P2P type 505 on the API port", bytes: [0, 8, 0x01, 0xF9, 0, 0, 0, 0], reason: .unknownType),
        Case(name: "type 65535", bytes: [0, 4, 0xFF, 0xFF], reason: .unknownType),
        Case(name: "NOTIFY of size 7", bytes: [0, 7, 0x01, 0xF5, 0, 0, 5], reason: .badSize),
        Case(name: "NOTIFY of size 9", bytes: [0, 9, 0x01, 0xF5, 0, 0, 5, 0x39, 0], reason: .badSize),
        Case(name: "VALIDATION of size 12", bytes: [0, 12, 0x01, 0xF7, 0, 1, 0, 1, 0, 0, 0, 0], reason: .badSize),
        Case(name: "VALIDATION of size 4", bytes: [0, 4, 0x01, 0xF7], reason: .badSize),
        Case(name: "ANNOUNCE shorter than 8", bytes: [0, 6, 0x01, 0xF4, 4, 0], reason: .badSize),
        Case(
            name: "NOTIFICATION sent by a module", bytes: [0, 9, 0x01, 0xF6, 0, 1, 0x05, 0x39, 0xAA],
            reason: .notificationFromModule),
        Case(name: "STATUS reply sent by a module", bytes: [0, 6, 0x02, 0x07, 0x7B, 0x7D], reason: .statusReplyFromModule),
        Case(name: "STATUS request with a body of two bytes", bytes: [0, 6, 0x02, 0x06, 1, 0], reason: .badSize),
        Case(name: "STATUS request for an unknown scope", bytes: [0, 5, 0x02, 0x06, 9], reason: .badSize),
        Case(name: "STATUS request with a scope of 0 (the whole status is 4 bytes)", bytes: [0, 5, 0x02, 0x06, 0], reason: .badSize),
        Case(name: "VALIDATION for an ID never sent", bytes: [0, 8, 0x01, 0xF7, 0x12, 0x34, 0, 1], reason: .unknownValidationID),
        Case(
            name: "a valid NOTIFY then a bad frame in the same write",
            bytes: [0, 8, 0x01, 0xF5, 0, 0, 0x05, 0x39, 0, 2, 0, 0], reason: .sizeBelowHeader),
        Case(
            name: "a valid ANNOUNCE then an unknown type in the same write",
            bytes: [0, 9, 0x01, 0xF4, 1, 0, 0x00, 0x63, 0x77, 0, 4, 0x02, 0x00], reason: .unknownType),
    ]

    @Test("a bad frame closes its connection and nothing else", arguments: cases)
    func badFrame(_ testCase: Case) throws {
        try withNode { node in
            let bystander = try node.subscriber(of: 98)
            let offender = try node.connect()
            try offender.sendRaw(testCase.bytes)
            #expect(offender.waitForClose(), "the node closes the offending connection")
            #expect(waitUntil { node.statistics.closed(testCase.reason) == 1 })
            #expect(node.statistics.closedConnections.values.reduce(0, +) == 1, "only the offender was closed")
            try assertStillServing(node, bystander: bystander)
        }
    }

    @Test("what a connection sent before its bad frame is still processed")
    func frameBeforeViolationCounts() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 0x63)
            let offender = try node.connect()
            try offender.sendRaw(Self.cases.last!.bytes)
            #expect(offender.waitForClose())
            #expect(try subscriber.expectNotification().data == [0x77])
        }
    }

    @Test("a subscription made before a violation ends with the connection")
    func subscriptionEndsOnViolation() throws {
        try withNode { node in
            let offender = try node.subscriber(of: 1337)
            try offender.sendRaw([0, 4, 0x01, 0xF3])
            #expect(offender.waitForClose())
            #expect(waitUntil { node.subscriberCount(of: 1337) == 0 })
        }
    }

    @Test("a VALIDATION for an ID sent to another connection closes the impostor only")
    func validationForSomeoneElsesID() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 1)
            let impostor = try node.connect()
            let announcer = try node.connect()
            try announcer.announce(dataType: 1, ttl: 0, data: [1])
            let notification = try subscriber.expectNotification()
            try impostor.validate(messageID: notification.messageID, isValid: false)
            #expect(impostor.waitForClose())
            #expect(waitUntil { node.statistics.closed(.unknownValidationID) == 1 })
            try subscriber.validate(messageID: notification.messageID, isValid: true)
            #expect(waitUntil { node.statistics.validationsValid == 1 })
            try assertStillServing(node, bystander: subscriber, dataType: 1)
        }
    }

    @Test("answering the same NOTIFICATION twice closes the connection")
    func duplicateValidation() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 1)
            let announcer = try node.connect()
            try announcer.announce(dataType: 1, ttl: 0, data: [1])
            let notification = try subscriber.expectNotification()
            try subscriber.validate(messageID: notification.messageID, isValid: true)
            try subscriber.validate(messageID: notification.messageID, isValid: true)
            #expect(subscriber.waitForClose())
            #expect(waitUntil { node.statistics.closed(.unknownValidationID) == 1 })
        }
    }

    @Test("a started frame that never completes is closed at the frame timeout; an idle client is not")
    func stalledFrame() throws {
        try withNode(configure: { $0.frameTimeoutMilliseconds = 150 }) { node in
            let idle = try node.subscriber(of: 4)
            let staller = try node.connect()
            try staller.sendRaw([0, 20, 0x01, 0xF4, 1])
            #expect(staller.waitForClose())
            #expect(node.statistics.closed(.frameTimeout) == 1)
            #expect(idle.staysQuiet(for: .milliseconds(300)), "an idle connection between frames stays open")
            try assertStillServing(node, bystander: idle, dataType: 4)
        }
    }

    @Test(
        "a header that cannot be valid closes the connection on its first 4 bytes, not at the frame timeout",
        arguments: [
            ([UInt8]([0, 200, 0x01, 0xF3]), CloseReason.unknownType),  // type 499, a body promised
            ([0, 100, 0x01, 0xF5], .badSize),  // NOTIFY is always 8 bytes
            ([0, 9, 0x02, 0x06], .badSize),  // STATUS request is 4 or 5 bytes
        ])
    func impossibleHeader(_ header: [UInt8], _ reason: CloseReason) throws {
        try withNode(configure: { $0.frameTimeoutMilliseconds = 60_000 }) { node in
            let offender = try node.connect()
            try offender.sendRaw(header)
            #expect(offender.waitForClose(), "closed long before the 60 s frame timeout")
            #expect(waitUntil { node.statistics.closed(reason) == 1 })
        }
    }

    @Test("a connection that closes in the middle of a frame is counted; the partial frame is dropped")
    func closedMidFrame() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 1337)
            let quitter = try node.connect()
            try quitter.sendRaw([0, 100, 0x01, 0xF4, 4, 0, 0x05, 0x39, 1, 2, 3])
            quitter.close()
            #expect(waitUntil { node.statistics.closed(.closedMidFrame) == 1 })
            #expect(subscriber.staysQuiet())
        }
    }

    @Test("at the connection limit an idle connection makes room for a newcomer; with none idle, the newcomer is refused")
    func connectionLimit() throws {
        try withNode(configure: { $0.maxAPIConnections = 2 }) { node in
            let first = try node.subscriber(of: 1)
            let idle = try node.connect()  // never sends a thing
            #expect(waitUntil { node.statistics.apiConnectionsOpen == 2 })
            let second = try node.connect()
            #expect(idle.waitForClose(), "the idle connection made room")
            #expect(waitUntil { node.statistics.closed(.idleEvicted) == 1 })
            try second.announce(dataType: 1, ttl: 0, data: [5])
            #expect(try first.expectNotification().data == [5], "the newcomer is served")
            let third = try node.connect()
            #expect(third.waitForClose(), "both connections in use: refused")
            #expect(node.statistics.closed(.tooManyConnections) == 1)
        }
    }

    @Test("200 idle API connections (the limit is 64) do not lock out a module or STATUS")
    func idleConnectionsDoNotLockOut() throws {
        try withNode(configure: { $0.maxAPIConnections = 64 }) { node in
            var idle: [GossipAPIClient] = []
            defer { for client in idle { client.close() } }
            for _ in 0..<200 { idle.append(try node.connect()) }
            let subscriber = try node.subscriber(of: 9)
            let announcer = try node.connect()
            try announcer.announce(dataType: 9, ttl: 0, data: [9])
            #expect(try subscriber.expectNotification().data == [9])
            let status = try node.connect()
            #expect(try status.status().count > 2, "STATUS still answers")
            #expect(waitUntil { node.statistics.closed(.idleEvicted) >= 200 - 64 + 3 })
        }
    }

    @Test("a subscriber that never reads is cut off at its outbox bound while another keeps receiving")
    func stuckSubscriber() throws {
        try withNode(configure: { $0.outboxCapacityBytes = 65_536 }) { node in
            let stuck = try node.subscriber(of: 9)
            let reader = try node.subscriber(of: 9)
            let announcer = try node.connect()
            // 40 MB in all: more than the stuck side's socket buffers and outbox can hold. The reader
            // keeps pace in windows of 8 items (32 KB), well inside its own outbox.
            let itemSize = 4000, window = 8, windows = 1250
            var received = 0
            for round in 0..<windows {
                for n in 0..<window {
                    var data = [UInt8](repeating: 0x5A, count: itemSize)
                    data[0] = UInt8((round * window + n) & 0xFF)
                    try announcer.announce(dataType: 9, ttl: 0, data: data)
                }
                for _ in 0..<window {
                    let notification = try reader.expectNotification(timeout: .seconds(10))
                    #expect(notification.data[0] == UInt8(received & 0xFF), "in order, none missing")
                    received += 1
                }
            }
            #expect(received == window * windows)
            #expect(waitUntil { node.statistics.closed(.outboxOverflow) == 1 })
            #expect(stuck.waitForClose(timeout: .seconds(10)))
        }
    }

    private func assertStillServing(_ node: Node, bystander: GossipAPIClient, dataType: UInt16 = 98) throws {
        let subscriber = try node.subscriber(of: 4242)
        let announcer = try node.connect()
        try announcer.announce(dataType: 4242, ttl: 0, data: [42])
        #expect(try subscriber.expectNotification().data == [42])
        try announcer.announce(dataType: dataType, ttl: 0, data: [43])
        #expect(try bystander.expectNotification().data == [43], "an earlier connection is unaffected")
    }
}

