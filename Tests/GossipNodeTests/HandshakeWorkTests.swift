import Dispatch
import GossipClient
import GossipCore
import GossipIdentity
import GossipWire
import Synchronization
import Testing

@testable import GossipNode

/// A signer whose signatures and checks each wait until the test lets them go: a stand-in for a
/// slow key (an RSA-4096 signature takes about 4 ms).
final class HeldSigner: HandshakeSigner {
    let inner: any HandshakeSigner
    /// Signalled each time a signature or a check starts.
    let entered = DispatchSemaphore(value: 0)
    /// Each signature or check waits for one signal, until `releaseAll`.
    private let release = DispatchSemaphore(value: 0)
    private let released = Atomic<Bool>(false)

    init(_ inner: any HandshakeSigner) { self.inner = inner }

    var identity: PeerIdentity { inner.identity }
    var publicKey: [UInt8] { inner.publicKey }
    var work: UInt64 { inner.work }
    /// Slow by design, so the node leaves its lock for the work.
    var signsQuickly: Bool { false }

    /// Lets the one signature or check now waiting go on.
    func releaseOne() { release.signal() }

    /// Lets every signature and check go on from now on, and any waiting now.
    func releaseAll() {
        released.store(true, ordering: .sequentiallyConsistent)
        for _ in 0..<16 { release.signal() }
    }

    private func hold() {
        entered.signal()
        if !released.load(ordering: .sequentiallyConsistent) { release.wait() }
    }

    func sign(_ message: [UInt8]) -> [UInt8]? {
        hold()
        return inner.sign(message)
    }

    func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity? {
        hold()
        return inner.verify(signature: signature, of: message, publicKey: publicKey)
    }
}

/// Runs `body` with a node whose signer is a `HeldSigner` around its own, and whose slow
/// handshake work takes `slots` if given.
func withHeldSigner(slots: HandshakeWorkSlots? = nil, _ body: (Node, HeldSigner) throws -> Void) throws {
    let signers = Mutex<HeldSigner?>(nil)
    let prepare = { (node: Node) in
        if let slots { node.handshakeWorkSlots.withLock { $0 = slots } }
        node.signerWrapper.withLock { wrapper in
            wrapper = { inner in
                let held = HeldSigner(inner)
                signers.withLock { $0 = held }
                return held
            }
        }
    }
    try withNode(prepare: prepare) { node in try body(node, try #require(signers.withLock { $0 })) }
}

@Suite("Handshake work off the core's lock")
struct HandshakeWorkTests {
    @Test("while the node checks a dialer's signature, and while it makes its own, its core is free: a module's announcement reaches a local subscriber each time, and the dialer gets its AUTH once both are done")
    func signsWithTheCoreUnlocked() throws {
        try withHeldSigner { node, held in try Self.itemsGoOnWhileHeld(node, held) }
    }

    /// With the node's signer `held`: a dialer's handshake, and a module's item through the node
    /// at each held step.
    static func itemsGoOnWhileHeld(_ node: Node, _ held: HeldSigner) throws {
        defer { held.releaseAll() }  // before the node stops, whatever happens below

        let subscriber = try node.subscriber(of: 7)
        defer { subscriber.close() }
        let announcer = try node.connect()
        defer { announcer.close() }
        let dialerKey = NodeKey.ephemeral()
        let answered = Mutex<Bool?>(nil)  // whether the dialer got the node's AUTH
        let port = node.p2pPort
        let dial = BackgroundJob {
            let client = try PeerClient(
                host: "127.0.0.1", port: port, key: dialerKey, work: 0,
                listenAddress: PeerAddress(host: "127.0.0.1", port: 9)!, timeout: .seconds(20))
            answered.withLock { $0 = client.theirAuth != nil }
            client.close()
        }
        // (Should a step below fail, the held check or signature is let go above and the dialer
        // finishes or times out on its own thread.)
        // First the check of the dialer's AUTH, held; then the node's own signature, held.
        for (step, data) in [("checking the dialer's signature", [UInt8]([1, 2, 3])), ("making its own", [4, 5, 6])] {
            try #require(held.entered.wait(timeout: .now() + 10) == .success, "the node never got to \(step)")
            try announcer.announce(dataType: 7, ttl: 1, data: data)
            let notification = try subscriber.expectNotification(timeout: .seconds(5))
            #expect(notification.data == data, "the item went through the core while \(step) was held")
            held.releaseOne()
        }
        try dial.join()
        #expect(answered.withLock { $0 } == true, "the dialer gets the node's AUTH once the check and the signature are done")
    }
}

@Suite("Handshake work slots")
struct HandshakeWorkSlotsTests {
    @Test("with one slot, a second piece of work waits until the first is done, then runs")
    func oneAtATime() throws {
        let slots = HandshakeWorkSlots(count: 1)
        let firstIn = DispatchSemaphore(value: 0), firstGo = DispatchSemaphore(value: 0)
        let secondRan = Atomic<Bool>(false)
        let first = BackgroundJob {
            _ = slots.run(while: { true }) {
                firstIn.signal()
                firstGo.wait()
            }
        }
        try #require(firstIn.wait(timeout: .now() + 10) == .success)
        #expect(slots.occupancy == (1, 0))
        let second = BackgroundJob {
            _ = slots.run(while: { true }) { secondRan.store(true, ordering: .sequentiallyConsistent) }
        }
        #expect(waitUntil { slots.occupancy == (1, 1) }, "the second waits for the slot")
        let ranEarly = secondRan.load(ordering: .sequentiallyConsistent)
        #expect(!ranEarly, "ran while the only slot was taken")
        firstGo.signal()
        try first.join()
        try second.join()
        let ran = secondRan.load(ordering: .sequentiallyConsistent)
        #expect(ran, "ran once the slot was free")
        #expect(slots.occupancy == (0, 0))
    }

    @Test("work whose link closes while it waits for a slot is not done")
    func givesUpWhenNotWanted() throws {
        let slots = HandshakeWorkSlots(count: 1)
        let firstIn = DispatchSemaphore(value: 0), firstGo = DispatchSemaphore(value: 0)
        let first = BackgroundJob {
            _ = slots.run(while: { true }) {
                firstIn.signal()
                firstGo.wait()
            }
        }
        defer { firstGo.signal() }
        try #require(firstIn.wait(timeout: .now() + 10) == .success)
        let wanted = Atomic<Bool>(true)
        let result = Mutex<Int??>(nil)
        let second = BackgroundJob {
            let value = slots.run(while: { wanted.load(ordering: .sequentiallyConsistent) }) { 1 }
            result.withLock { $0 = .some(value) }
        }
        #expect(waitUntil { slots.occupancy == (1, 1) }, "the second waits for the slot")
        wanted.store(false, ordering: .sequentiallyConsistent)
        try second.join()
        #expect(result.withLock { $0 } == .some(nil), "gave up without running")
        #expect(slots.occupancy == (1, 0))
        firstGo.signal()
        try first.join()
        #expect(slots.occupancy == (0, 0))
    }

    @Test("a node with one work slot does one dialer's slow signature work at a time: the second dialer's waits until the first's is let go")
    func nodeBoundsConcurrentWork() throws {
        let slots = HandshakeWorkSlots(count: 1)
        try withHeldSigner(slots: slots) { node, held in
            defer { held.releaseAll() }
            let port = node.p2pPort
            let dials = (0..<2).map { _ in
                BackgroundJob {
                    let client = try PeerClient(
                        host: "127.0.0.1", port: port, key: NodeKey.ephemeral(), work: 0,
                        listenAddress: PeerAddress(host: "127.0.0.1", port: 9)!, timeout: .seconds(20))
                    client.close()
                }
            }
            try #require(held.entered.wait(timeout: .now() + 10) == .success, "the node never checked a dialer's signature")
            #expect(waitUntil(timeout: .seconds(10)) { slots.occupancy == (1, 1) }, "the other dialer's check waits for the slot")
            #expect(held.entered.wait(timeout: .now()) == .timedOut, "a second check began while the only slot was taken")
            held.releaseOne()
            try #require(held.entered.wait(timeout: .now() + 10) == .success, "the next piece of work began once the slot was free")
            held.releaseAll()
            for dial in dials { try dial.join() }
        }
    }
}
