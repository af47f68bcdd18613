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

@Suite("Handshake work off the core's lock")
struct HandshakeWorkTests {
    @Test("while the node checks a dialer's signature, and while it makes its own, its core is free: a module's announcement reaches a local subscriber each time, and the dialer gets its AUTH once both are done")
    func signsWithTheCoreUnlocked() throws {
        let signers = Mutex<HeldSigner?>(nil)
        let hold = { (node: Node) in
            node.signerWrapper.withLock { wrapper in
                wrapper = { inner in
                    let held = HeldSigner(inner)
                    signers.withLock { $0 = held }
                    return held
                }
            }
        }
        try withNode(prepare: hold) { node in
            try Self.itemsGoOnWhileHeld(node, try #require(signers.withLock { $0 }))
        }
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
