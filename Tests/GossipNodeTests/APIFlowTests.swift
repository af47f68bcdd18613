import Foundation
import GossipCore
import GossipClient
import GossipNode
import GossipWire
import Testing

@Suite("API over real sockets")
struct APIFlowTests {
    @Test("subscribe, announce, notification, validation")
    func basicFlow() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 1337)
            let announcer = try node.connect()
            try announcer.announce(dataType: 1337, ttl: 4, data: [0xDE, 0xAD, 0xBE, 0xEF])
            let notification = try subscriber.expectNotification()
            #expect(notification.dataType == 1337)
            #expect(notification.data == [0xDE, 0xAD, 0xBE, 0xEF])
            #expect(node.pendingValidations == 1)
            try subscriber.validate(messageID: notification.messageID, isValid: true)
            #expect(waitUntil { node.pendingValidations == 0 })
            #expect(node.statistics.validationsValid == 1)
            #expect(announcer.staysQuiet(), "the announcer gets no copy of its own item")
        }
    }

    @Test("an announcer that writes and closes at once still has its item delivered")
    func announceThenClose() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 1337)
            let announcer = try node.connect()
            try announcer.announce(dataType: 1337, ttl: 4, data: [1, 2, 3])
            announcer.close()
            #expect(try subscriber.expectNotification().data == [1, 2, 3])
        }
    }

    @Test("three subscribers of one type all receive; a type nobody subscribed reaches no one")
    func threeSubscribers() throws {
        try withNode { node in
            let subscribers = try (0..<3).map { _ in try node.subscriber(of: 7) }
            let announcer = try node.connect()
            try announcer.announce(dataType: 8, ttl: 0, data: [8])
            try announcer.announce(dataType: 7, ttl: 0, data: [7])
            var ids = Set<UInt16>()
            for subscriber in subscribers {
                // The first thing each sees is the type-7 item: the type-8 item went nowhere.
                let notification = try subscriber.expectNotification()
                #expect(notification.dataType == 7)
                #expect(notification.data == [7])
                ids.insert(notification.messageID)
            }
            #expect(ids.count == 1, "one message ID per item, shared by its subscribers")
        }
    }

    @Test("a subscriber of several types gets each; an announcer subscribed to its own type gets no echo")
    func severalTypesAndNoEcho() throws {
        try withNode { node in
            let both = try node.subscriber(of: 1)
            try both.notify(dataType: 2)
            #expect(waitUntil { node.subscriberCount(of: 2) == 1 })
            let announcer = try node.subscriber(of: 1)
            try announcer.announce(dataType: 1, ttl: 0, data: [1])
            try announcer.announce(dataType: 2, ttl: 0, data: [2])
            #expect(try both.expectNotification().data == [1])
            #expect(try both.expectNotification().data == [2])
            #expect(announcer.staysQuiet())
        }
    }

    @Test("subscriptions end when the connection closes")
    func subscriptionEndsOnClose() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 5)
            subscriber.close()
            #expect(waitUntil { node.subscriberCount(of: 5) == 0 })
        }
    }

    @Test("an unanswered NOTIFICATION times out; a late answer is ignored and the connection stays")
    func validationTimeout() throws {
        try withNode(configure: { $0.validationTimeoutMilliseconds = 100 }) { node in
            let subscriber = try node.subscriber(of: 3)
            let announcer = try node.connect()
            try announcer.announce(dataType: 3, ttl: 0, data: [3])
            let notification = try subscriber.expectNotification()
            #expect(waitUntil { node.statistics.validationsTimedOut == 1 })
            try subscriber.validate(messageID: notification.messageID, isValid: true)
            #expect(waitUntil { node.statistics.validationsLate == 1 })
            try announcer.announce(dataType: 3, ttl: 0, data: [4])
            #expect(try subscriber.expectNotification().data == [4])
        }
    }

    @Test("a client that behaves exactly like the course's gossip_client.py works unchanged")
    func courseClient() throws {
        try withNode { node in
            // notify mode: NOTIFY 1337, then answer every NOTIFICATION valid, stop on anything else.
            let notifier = try node.connect()
            try notifier.sendRaw([0x00, 0x08, 0x01, 0xF5, 0x00, 0x00, 0x05, 0x39])
            #expect(waitUntil { node.subscriberCount(of: 1337) == 1 })
            // announce mode: ANNOUNCE 1337, TTL 4, deadbeef, close at once.
            for _ in 0..<3 {
                let announcer = try node.connect()
                try announcer.sendRaw([0x00, 0x0C, 0x01, 0xF4, 0x04, 0x00, 0x05, 0x39, 0xDE, 0xAD, 0xBE, 0xEF])
                announcer.close()
            }
            for _ in 0..<3 {
                let notification = try notifier.expectNotification()
                #expect(notification.dataType == 1337 && notification.data == [0xDE, 0xAD, 0xBE, 0xEF])
                let id = notification.messageID
                try notifier.sendRaw([0x00, 0x08, 0x01, 0xF7, UInt8(id >> 8), UInt8(id & 0xFF), 0x00, 0x01])
            }
            #expect(waitUntil { node.statistics.validationsValid == 3 })
            #expect(node.statistics.closedConnections.isEmpty)
        }
    }

    @Test("a STATUS query answers JSON with the node's identity and counters, to the asker only")
    func status() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 1)
            let asker = try node.connect()
            let json = try asker.status()
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
            #expect(object["identity"] as? String == node.identity.hex)
            #expect(object["api_port"] as? Int == Int(node.apiPort))
            #expect(object["statistics"] is [String: Any])
            #expect(subscriber.staysQuiet(), "the reply goes to the asker alone")
        }
    }

    @Test("the STATUS JSON decodes back to the same counters, close reasons included")
    func statusRoundTrip() throws {
        try withNode { node in
            let offender = try node.connect()
            try offender.sendRaw([0, 4, 0x01, 0xF3])
            #expect(offender.waitForClose())
            #expect(waitUntil { node.statistics.closed(.unknownType) == 1 })
            let json = try node.connect().status()
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let status = try decoder.decode(NodeStatus.self, from: Data(json))
            #expect(status.statistics.closedConnections == ["unknown_type": 1])
            #expect(status.identity == node.identity.hex)
        }
    }

    @Test("a STATUS query for the peers answers who the node is and whom it is linked to, nothing more, and the whole status decodes as it too")
    func peersStatus() throws {
        let network = TestNetwork()
        let a = try network.add()
        let b = try network.add(bootstrap: a)
        #expect(waitUntil(timeout: .seconds(10)) { a.establishedPeerCount == 1 })
        let asker = try a.connect()
        let json = try asker.status(.peers)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(Set(object.keys) == ["identity", "api_port", "p2p_address", "peers", "tree_peers", "view_size", "uptime_ms"])
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let brief = try decoder.decode(NodePeersStatus.self, from: Data(json))
        #expect(brief.identity == a.identity.hex && brief.apiPort == a.apiPort)
        #expect(brief.peers == [b.identity.description])
        #expect(brief.treePeers.allSatisfy { brief.peers.contains($0) })
        let full = try decoder.decode(NodePeersStatus.self, from: Data(asker.status()))
        #expect(full.identity == brief.identity && full.peers == brief.peers && full.p2pAddress == brief.p2pAddress)
        #expect(json.count < (try asker.status()).count, "the brief reply is the smaller")
        #expect(a.statistics.closedConnections.isEmpty, "the same connection asked both ways")
    }

    @Test("STATUS lists each link and each module with what passed over it, agreeing with what happened")
    func statusTables() throws {
        let network = TestNetwork()
        let a = try network.add()
        let b = try network.add(bootstrap: a)
        #expect(waitUntil(timeout: .seconds(10)) { a.establishedPeerCount == 1 })
        let subscriber = try a.subscriber(of: 1337)
        let announcer = try a.connect()
        try announcer.announce(dataType: 1337, ttl: 1, data: [1, 2, 3])
        let notification = try subscriber.expectNotification()
        try subscriber.validate(messageID: notification.messageID, isValid: true)
        #expect(waitUntil { a.statistics.peerItemsSent == 1 && a.statistics.validationsValid == 1 })

        let asker = try a.connect()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let status = try decoder.decode(NodeStatus.self, from: Data(asker.status()))
        #expect(status.uptimeMs >= 0)
        let link = try #require(status.links.first)
        #expect(status.links.count == 1 && link.peer == b.identity.description)
        #expect(link.state == "tree" || link.state == "neighbour")
        #expect(link.direction == "in", "b dialed a")
        #expect(link.framesIn >= 3 && link.framesOut >= 3, "HELLO, AUTH, the membership step, the ITEM: \(link)")
        #expect(link.address.hasPrefix("127.0.0.1:"))
        let subscribed = try #require(status.modules.first { $0.subscribedTypes == [1337] })
        #expect(subscribed.messagesIn == 2, "NOTIFY and VALIDATION")
        #expect(subscribed.messagesOut == 1, "the NOTIFICATION")
        let announcing = try #require(status.modules.first { $0.messagesIn == 1 && $0.subscribedTypes.isEmpty && $0.messagesOut == 0 })
        #expect(announcing.remote.hasPrefix("127.0.0.1:"))
        #expect(status.modules.count == 2, "subscriber and announcer; the asker, which only asked STATUS, is not a module")
        #expect(status.queuedAnnouncements == 0 && status.queuedPeerItems == 0)
    }
}
