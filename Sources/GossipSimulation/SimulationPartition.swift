import Crypto
import GossipCore
import GossipWire

/// A dial under way, kept at the dialer.
struct DialRecord: Sendable {
    var node: UInt32
    /// The dialer's end, reserved (closed) until the answer arrives.
    var endpoint: UInt32
    var target: Overlay.DialTarget
    /// The target's end once it accepted.
    var peerIndex: UInt32
    var targetNode: Int32
}

/// A SYN on its way to (or arrived at) the target's host.
struct SynRecord: Sendable {
    var dialer: UInt32
    var dialerEndpoint: UInt32
    var dialSlot: UInt32
    var target: UInt32
    var latencyMicroseconds: UInt32
    var startedAt: UInt64
}

/// What goes with an event for another partition.
enum OutgoingPayload: Sendable {
    case none
    case message(PeerMessage, item: Int32, hop: UInt8)
    case syn(SynRecord)
    case accepted(peerIndex: UInt32)
}

/// An event for another partition, handed over between windows.
struct Outgoing: Sendable {
    var event: Event
    var payload: OutgoingPayload
}

/// The nodes n with n % partitionCount == index, their links and their events. During a window a
/// partition touches only its own state (and reads `SharedState`); what it schedules for other
/// partitions waits in its outbox until the window ends. Every cross-node effect travels with at
/// least the network's minimum latency, so it is always due after the window.
///
/// `@unchecked Sendable`: a partition is used by one thread at a time, handed between the
/// coordinator and a worker by the pool's semaphores.
final class SimulationPartition: @unchecked Sendable {
    let index: Int
    let shared: SharedState
    let model: NetworkModel
    let partitionCount: Int

    /// Virtual nanoseconds of the event being handled.
    var clock: UInt64 = 0
    var queue = EventQueue()

    // Per local node (node = local * partitionCount + index).
    var protocols: [GossipProtocol?] = []
    /// Whether the node runs (its protocol exists). Kept apart because testing the optional
    /// itself would copy the whole protocol value.
    var isUp: [Bool] = []
    var nextTick: [UInt64] = []
    /// Latency, loss and nonces of the node's own actions.
    var random: [SeededRandom] = []
    /// Events the node scheduled, for the event order.
    var sequence: [UInt32] = []
    /// Links the node got so far (the high half of its LinkIDs).
    var linkSerial: [UInt32] = []

    var endpoints: [LinkEndpoint] = []

    // Messages in flight to this partition's endpoints.
    private var messages: [PeerMessage] = []
    private var messageCopies: [UInt32] = []
    private var messageItems: [Int32] = []
    private var messageHops: [UInt8] = []
    private var freeMessages: [UInt32] = []

    private var dials = SlotTable<DialRecord>()
    private var syns = SlotTable<SynRecord>()

    /// Nodes started by `.start` events since the coordinator last collected them, with the moment.
    var started: [(time: UInt64, node: Int)] = []

    /// Events for other partitions, by destination.
    var outbox: [[Outgoing]]

    var metrics = PartitionMetrics()
    /// Copies of the coordinator's item registry, updated between windows.
    var itemByID: [ItemID: Int32] = [:]
    /// The last items looked up: most sends and notifications in a row are about one item.
    private var recentItems: [(id: ItemID, index: Int32)] = []
    var itemAnnouncedAt: [UInt64] = []

    init(index: Int, shared: SharedState) {
        self.index = index
        self.shared = shared
        self.model = shared.model
        self.partitionCount = shared.partitionCount
        self.outbox = Array(repeating: [], count: shared.partitionCount)
    }

    var now: Moment { Moment(nanoseconds: clock) }

    func global(_ local: Int) -> Int { local * partitionCount + index }

    func local(_ node: Int) -> Int { node / partitionCount }

    /// Makes room for node `node` (which belongs here).
    func addNode(_ node: Int, seed: UInt64) {
        precondition(shared.partition(of: node) == index && local(node) == protocols.count, "nodes are added in order")
        protocols.append(nil)
        isUp.append(false)
        nextTick.append(.max)
        random.append(SeededRandom(seed: seed))
        sequence.append(0)
        linkSerial.append(0)
        metrics.addNode()
    }

    /// Schedules the start of local node `node` at `time` (its bootstrappers are known already).
    func scheduleStart(_ node: Int, at time: UInt64) {
        queue.insert(
            Event(
                time: time,
                order: Event.order(source: -1, sequence: UInt32(global(node)), kind: EventKind.start.rawValue),
                a: UInt32(node), b: 0))
    }

    /// Starts tracking a newly announced item.
    func registerItem(_ item: Int, id: ItemID, announcedAt: UInt64) {
        while metrics.items.count <= item { metrics.items.append(ItemTrace(nodes: protocols.count)) }
        while itemAnnouncedAt.count <= item { itemAnnouncedAt.append(0) }
        itemByID[id] = Int32(item)
        itemAnnouncedAt[item] = announcedAt
    }

    // MARK: Running

    /// Handles every event due before `end`.
    func runWindow(until end: UInt64) {
        while let event = queue.pop(before: end) {
            clock = event.time
            metrics.tallies.events += 1
            metrics.tallies.eventsByKind[Int(event.kind.rawValue)] += 1
            switch event.kind {
            case .deliver: deliver(to: Int(event.a), slot: event.b)
            case .close: peerClosed(Int(event.a))
            case .tick: tick(Int(event.a), at: event.time)
            case .syn: synArrived(event.a)
            case .reply: replyArrived(event.a, outcome: DialOutcome(rawValue: event.b) ?? .timedOut)
            case .validation: answer(Int(event.a), word: event.b)
            case .start:
                let node = Int(event.a)
                guard !shared.isDead[global(node)] else { break }  // killed before it started
                start(node, bootstrappers: shared.bootstrapLists[Int(shared.nodes[global(node)].bootstrapList)])
                started.append((clock, global(node)))
            }
        }
        metrics.tallies.peakPendingEvents = max(metrics.tallies.peakPendingEvents, queue.peakCount)
    }

    /// Takes in events other partitions scheduled for this one.
    func receive(_ incoming: [Outgoing]) {
        for var outgoing in incoming {
            switch outgoing.payload {
            case .none:
                break
            case .message(let message, let item, let hop):
                outgoing.event.b = store(message, copies: 1, item: item, hop: hop)
            case .syn(let syn):
                outgoing.event.a = syns.store(syn)
            case .accepted(let peerIndex):
                dials[outgoing.event.a].peerIndex = peerIndex
            }
            queue.insert(outgoing.event)
        }
    }

    // MARK: Scheduling

    /// Schedules an event caused by local node `local` for this partition.
    private func schedule(_ kind: EventKind, at time: UInt64, by local: Int, a: UInt32, b: UInt32 = 0) {
        sequence[local] &+= 1
        queue.insert(
            Event(
                time: time, order: Event.order(source: global(local), sequence: sequence[local], kind: kind.rawValue),
                a: a, b: b))
    }

    /// Schedules an event caused by local node `local` for partition `partition`: at once if that
    /// is this one, else through the outbox (it is due after the window anyway).
    private func schedule(
        _ kind: EventKind, at time: UInt64, by local: Int, for partition: Int, a: UInt32, b: UInt32 = 0,
        payload: OutgoingPayload
    ) {
        sequence[local] &+= 1
        let event = Event(
            time: time, order: Event.order(source: global(local), sequence: sequence[local], kind: kind.rawValue), a: a,
            b: b)
        if partition == index {
            receive([Outgoing(event: event, payload: payload)])
        } else {
            outbox[partition].append(Outgoing(event: event, payload: payload))
        }
    }

    /// When a segment sent now from `endpoint` arrives at the other end, or nil if it never does (a
    /// partition that does not heal). Loss delays it; a partition holds it until the heal; it never
    /// overtakes an earlier segment of the same direction.
    private func arrival(from endpoint: Int, local node: Int) -> UInt64? {
        let sender = endpoints[endpoint]
        var start = clock
        if shared.isPartitioned, !shared.canReach(Int(sender.node), Int(sender.peerNode)) {
            guard let healAt = shared.healAt else { return nil }
            start = max(clock, healAt)
        }
        let time = max(
            sender.lastArrival,
            start &+ UInt64(sender.latencyMicroseconds) * 1000 &+ model.lossDelay(using: &random[node]))
        endpoints[endpoint].lastArrival = time
        return time
    }

    /// The simulation's index of the item with this ID, if it is one of the run's.
    private func itemIndex(_ id: ItemID) -> Int32? {
        for recent in recentItems where recent.id == id { return recent.index }
        guard let index = itemByID[id] else { return nil }
        if recentItems.count == 4 { recentItems.removeFirst() }
        recentItems.append((id, index))
        return index
    }

    // MARK: Message store

    private func store(_ message: PeerMessage, copies: Int, item: Int32, hop: UInt8) -> UInt32 {
        if let slot = freeMessages.popLast() {
            let index = Int(slot)
            messages[index] = message
            messageCopies[index] = UInt32(copies)
            messageItems[index] = item
            messageHops[index] = hop
            return slot
        }
        messages.append(message)
        messageCopies.append(UInt32(copies))
        messageItems.append(item)
        messageHops.append(hop)
        return UInt32(messages.count - 1)
    }

    private func release(_ slot: UInt32, copies: Int) {
        guard copies > 0 else { return }
        let index = Int(slot)
        messageCopies[index] -= UInt32(copies)
        if messageCopies[index] == 0 {
            messages[index] = .ping(0)
            freeMessages.append(slot)
        }
    }

    // MARK: Events

    private func tick(_ node: Int, at time: UInt64) {
        guard nextTick[node] == time, isUp[node] else {
            metrics.tallies.staleTicks += 1
            return
        }
        nextTick[node] = .max
        perform(protocols[node]!.tick(now: now), at: node)
    }

    private func deliver(to endpoint: Int, slot: UInt32) {
        let index = Int(slot)
        let message = messages[index]
        let item = messageItems[index]
        let hop = messageHops[index]
        release(slot, copies: 1)
        let receiver = endpoints[endpoint]
        let node = local(Int(receiver.node))
        guard receiver.isOpen, isUp[node] else {
            metrics.tallies.messagesDropped += 1
            return
        }
        if item >= 0 { arrived(item: Int(item), at: node, hop: hop) }
        let link = LinkEndpoint.linkID(serial: receiver.serial, index: endpoint)
        perform(protocols[node]!.received(peerMessage: message, on: link, now: now), at: node)
    }

    /// Hop bookkeeping for an ITEM arriving at local node `node` from a node `hop` hops from the origin.
    private func arrived(item: Int, at node: Int, hop: UInt8) {
        guard metrics.items[item].hops[node] == ItemTrace.noHop else { return }
        metrics.items[item].hops[node] = hop == ItemTrace.noHop ? ItemTrace.noHop : min(hop + 1, ItemTrace.noHop - 1)
        if shared.modules[global(node)] == .unsubscribed {
            metrics.items[item].reach(node, now: clock, announcedAt: itemAnnouncedAt[item])
        }
    }

    private func peerClosed(_ endpoint: Int) {
        let node = local(Int(endpoints[endpoint].node))
        guard endpoints[endpoint].isOpen, isUp[node] else { return }
        endpoints[endpoint].isOpen = false
        perform(
            protocols[node]!.linkClosed(
                LinkEndpoint.linkID(serial: endpoints[endpoint].serial, index: endpoint), now: now), at: node)
    }

    /// A SYN reaches the target's host: accept, refuse, or let the dialer time out.
    private func synArrived(_ slot: UInt32) {
        let syn = syns.take(slot)
        let target = Int(syn.target)
        let dialer = Int(syn.dialer)
        let node = local(target)
        let dialerPartition = shared.partition(of: dialer)
        // The answer goes back from the target (its events, its order).
        if !shared.canReach(dialer, target) || (shared.isDead[target] && shared.configuration.crashMode == .silent) {
            metrics.tallies.dialsTimedOut += 1
            let at = max(syn.startedAt &+ model.connectTimeout, clock &+ model.lookahead)
            schedule(
                .reply, at: at, by: node, for: dialerPartition, a: syn.dialSlot, b: DialOutcome.timedOut.rawValue,
                payload: .none)
            return
        }
        guard isUp[node] else {
            metrics.tallies.dialsRefused += 1
            let at = clock &+ UInt64(syn.latencyMicroseconds) * 1000
            schedule(
                .reply, at: at, by: node, for: dialerPartition, a: syn.dialSlot, b: DialOutcome.refused.rawValue,
                payload: .none)
            return
        }
        linkSerial[node] &+= 1
        let endpoint = endpoints.count
        endpoints.append(
            LinkEndpoint(
                lastArrival: 0, node: UInt32(target), peerNode: syn.dialer, peerIndex: syn.dialerEndpoint,
                latencyMicroseconds: syn.latencyMicroseconds, serial: linkSerial[node], isOpen: true))
        metrics.tallies.linksOpened += 1
        // SYN-ACK first on this direction, so everything the target sends arrives after it.
        let at = arrival(from: endpoint, local: node) ?? (clock &+ UInt64(syn.latencyMicroseconds) * 1000)
        schedule(
            .reply, at: at, by: node, for: dialerPartition, a: syn.dialSlot, b: DialOutcome.accepted.rawValue,
            payload: .accepted(peerIndex: UInt32(endpoint)))
        perform(
            protocols[node]!.linkOpened(
                LinkEndpoint.linkID(serial: linkSerial[node], index: endpoint), outbound: false, dialed: nil,
                remote: NetworkModel.address(of: dialer), nonce: nonce(node), agreementKey: Self.agreementKey, now: now),
            at: node)
    }

    /// The answer to a dial reaches the dialer.
    private func replyArrived(_ slot: UInt32, outcome: DialOutcome) {
        let dial = dials.take(slot)
        let node = local(Int(dial.node))
        guard isUp[node] else { return }
        guard outcome == .accepted else {
            perform(protocols[node]!.dialFailed(dial.target, now: now), at: node)
            return
        }
        let endpoint = Int(dial.endpoint)
        linkSerial[node] &+= 1
        endpoints[endpoint].peerIndex = dial.peerIndex
        endpoints[endpoint].serial = linkSerial[node]
        endpoints[endpoint].isOpen = true
        perform(
            protocols[node]!.linkOpened(
                LinkEndpoint.linkID(serial: linkSerial[node], index: endpoint), outbound: true, dialed: dial.target,
                remote: NetworkModel.address(of: Int(dial.targetNode)), nonce: nonce(node), agreementKey: Self.agreementKey, now: now),
            at: node)
    }

    private func answer(_ node: Int, word: UInt32) {
        guard isUp[node] else { return }
        metrics.tallies.validationsAnswered += 1
        let validation = GossipValidation(messageID: UInt16(truncatingIfNeeded: word), isValid: word >> 16 == 1)
        perform(
            protocols[node]!.received(
                apiMessage: .validation(validation), from: Simulation.subscriberConnection, now: now), at: node)
    }

    /// Every simulated link's X25519 key: the simulator moves messages, not bytes, so nothing is
    /// sealed, and one fixed key keeps runs deterministic and spares a key per link.
    private static let agreementKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))

    private func nonce(_ node: Int) -> [UInt8] {
        let high = random[node].next()
        let low = random[node].next()
        return (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? high : low) >> (8 * UInt64($0 % 8))) }
    }

    // MARK: Scenario steps (called by the coordinator between windows)

    /// Starts local node `node` with these bootstrappers.
    func start(_ node: Int, bootstrappers: [Int]) {
        let global = self.global(node)
        let targets = bootstrappers.map { other in
            let address = NetworkModel.address(of: other)
            return Overlay.DialTarget(host: address.host, port: address.port)
        }
        var seeds = SeededRandom(seed: random[node].next())
        let state = shared.nodes[global]
        protocols[node] = GossipProtocol(
            configuration: shared.protocolConfigurations[Int(state.configuration)],
            signer: SimulatedSigner(index: global, mix: shared.identityMix),
            selfAddress: NetworkModel.address(of: global),
            bootstrappers: targets, random: &seeds, fixedItemIDs: true)
        isUp[node] = true
        if state.module != .unsubscribed {
            perform(protocols[node]!.moduleConnected(Simulation.subscriberConnection, now: now), at: node)
            perform(
                protocols[node]!.received(
                    apiMessage: .notify(GossipNotify(dataType: shared.configuration.dataType)),
                    from: Simulation.subscriberConnection,
                    now: now),
                at: node)
        }
        perform(protocols[node]!.tick(now: now), at: node)
    }

    /// Local node `node`'s announcer module announces; returns the effects (to perform once the
    /// item is registered) and the ID the core gave the item.
    func announce(_ announcement: GossipAnnounce, at node: Int, connectAnnouncer: Bool) -> ([GossipEffect], ItemID?) {
        if connectAnnouncer {
            perform(protocols[node]!.moduleConnected(Simulation.announcerConnection, now: now), at: node)
        }
        let effects = protocols[node]!.received(
            apiMessage: .announce(announcement), from: Simulation.announcerConnection, now: now)
        return (effects, protocols[node]!.engine.cache.newestIDs(1).last)
    }

    /// The origin of a registered item: it holds the item from the announcement, at hop 0.
    func markOrigin(_ node: Int, item: Int) {
        metrics.items[item].hops[node] = 0
        metrics.items[item].reach(node, now: clock, announcedAt: itemAnnouncedAt[item])
    }

    /// Kills local nodes `nodes`: they stop at once; their open links are reset (peers hear of
    /// it after the latency) or go silent, as the crash mode says.
    func kill(_ nodes: [Int]) {
        var dying = [Bool](repeating: false, count: protocols.count)
        for node in nodes {
            dying[node] = true
            isUp[node] = false
            protocols[node] = nil
            nextTick[node] = .max
        }
        for endpoint in endpoints.indices where endpoints[endpoint].isOpen {
            let node = local(Int(endpoints[endpoint].node))
            guard dying[node] else { continue }
            endpoints[endpoint].isOpen = false
            guard shared.configuration.crashMode == .reset else { continue }
            // The RST travels behind whatever this end sent, a SYN-ACK included, so a dialer whose
            // answer is still on its way opens the link and then sees it reset.
            let peerNode = Int(endpoints[endpoint].peerNode)
            guard !shared.isDead[peerNode], let at = arrival(from: endpoint, local: node) else { continue }
            schedule(
                .close, at: at, by: node, for: shared.partition(of: peerNode), a: endpoints[endpoint].peerIndex,
                payload: .none)
        }
    }

    // MARK: Effects

    func perform(_ effects: [GossipEffect], at node: Int) {
        for effect in effects {
            switch effect {
            case .send(let links, let message):
                send(message, on: links, from: node)
            case .notify(let connections, let notification, let item):
                notified(node, connections: connections, notification: notification, item: item)
            case .dial(let target):
                dial(target, from: node)
            case .closeLink(let link, let reason):
                close(link, at: node, reason: reason)
            case .closeModule(let connection, _):
                metrics.tallies.modulesClosed += 1
                perform(protocols[node]!.moduleDisconnected(connection, now: now), at: node)
            case .count(let counter, let amount):
                metrics.count(counter, amount, local: node)
            case .wake(let moment):
                let time = max(moment.nanoseconds, clock)
                if time < nextTick[node] {
                    nextTick[node] = time
                    schedule(.tick, at: time, by: node, a: UInt32(node))
                }
            case .secureLink:
                break  // messages are moved, not bytes: nothing to seal
            case .handshakeWork:
                // Done at once, in no simulated time, as before the core asked drivers for it.
                perform(protocols[node]!.doingHandshakeWork([effect], now: now), at: node)
            case .observed:
                break  // the simulator never switches observation on
            }
        }
    }

    private func send(_ message: PeerMessage, on links: [LinkID], from node: Int) {
        guard !links.isEmpty else { return }
        var item: Int32 = -1
        var hop = ItemTrace.noHop
        if case .item(let carried) = message, let known = itemIndex(carried.id) {
            item = known
            hop = metrics.items[Int(known)].hops[node]
        }
        metrics.sent(message, size: message.encodedSize, copies: links.count, local: node, item: item)
        let sender = global(node)
        var slot: UInt32?
        var unused = 0
        for link in links {
            let endpoint = LinkEndpoint.index(of: link)
            guard endpoint < endpoints.count, endpoints[endpoint].isOpen, Int(endpoints[endpoint].node) == sender else {
                metrics.tallies.messagesDropped += 1
                continue
            }
            let peerNode = Int(endpoints[endpoint].peerNode)
            guard !shared.isDead[peerNode], let at = arrival(from: endpoint, local: node) else {
                metrics.tallies.messagesDropped += 1
                continue
            }
            let peerIndex = endpoints[endpoint].peerIndex
            let partition = shared.partition(of: peerNode)
            if partition == index {
                if slot == nil {
                    slot = store(message, copies: links.count, item: item, hop: hop)
                    unused = links.count
                }
                unused -= 1
                schedule(.deliver, at: at, by: node, a: peerIndex, b: slot!)
            } else {
                schedule(
                    .deliver, at: at, by: node, for: partition, a: peerIndex,
                    payload: .message(message, item: item, hop: hop))
            }
        }
        if let slot { release(slot, copies: unused) }
    }

    private func notified(_ node: Int, connections: [ConnectionID], notification: GossipNotification, item id: ItemID) {
        guard connections.contains(Simulation.subscriberConnection) else { return }
        if let item = itemIndex(id) {
            let index = Int(item)
            metrics.items[index].notifications[node] &+= 1
            metrics.items[index].reach(node, now: clock, announcedAt: itemAnnouncedAt[index])
        }
        let verdict: UInt32
        switch shared.modules[global(node)] {
        case .valid: verdict = 1
        case .invalid: verdict = 0
        case .silent, .unsubscribed: return
        }
        schedule(
            .validation, at: clock &+ shared.validationDelay, by: node, a: UInt32(node),
            b: UInt32(notification.messageID) | verdict << 16)
    }

    private func dial(_ target: Overlay.DialTarget, from node: Int) {
        metrics.tallies.dials += 1
        let dialer = global(node)
        let targetNode = NetworkModel.node(host: target.host, port: target.port, nodeCount: shared.nodes.count)
        let latency = model.sampleLatency(using: &random[node])
        let endpoint = endpoints.count
        endpoints.append(
            LinkEndpoint(
                lastArrival: 0, node: UInt32(dialer), peerNode: UInt32(targetNode ?? 0), peerIndex: 0,
                latencyMicroseconds: latency,
                serial: 0, isOpen: false))
        let slot = dials.store(
            DialRecord(
                node: UInt32(dialer), endpoint: UInt32(endpoint), target: target, peerIndex: 0,
                targetNode: Int32(targetNode ?? -1)))
        guard let targetNode else {
            metrics.tallies.dialsTimedOut += 1  // nobody has that address: silence
            schedule(.reply, at: clock &+ model.connectTimeout, by: node, a: slot, b: DialOutcome.timedOut.rawValue)
            return
        }
        let syn = SynRecord(
            dialer: UInt32(dialer), dialerEndpoint: UInt32(endpoint), dialSlot: slot, target: UInt32(targetNode),
            latencyMicroseconds: latency, startedAt: clock)
        let at = clock &+ UInt64(latency) * 1000 &+ model.lossDelay(using: &random[node])
        schedule(.syn, at: at, by: node, for: shared.partition(of: targetNode), a: 0, payload: .syn(syn))
    }

    private func close(_ link: LinkID, at node: Int, reason: CloseReason) {
        let endpoint = LinkEndpoint.index(of: link)
        guard endpoint < endpoints.count, endpoints[endpoint].isOpen, Int(endpoints[endpoint].node) == global(node)
        else { return }
        metrics.closed(reason)
        endpoints[endpoint].isOpen = false
        perform(protocols[node]!.linkClosed(link, now: now), at: node)
        let peerNode = Int(endpoints[endpoint].peerNode)
        guard !shared.isDead[peerNode], let at = arrival(from: endpoint, local: node) else { return }
        let peerIndex = endpoints[endpoint].peerIndex
        schedule(.close, at: at, by: node, for: shared.partition(of: peerNode), a: peerIndex, payload: .none)
    }
}
