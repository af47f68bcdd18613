import Dispatch
import GossipClient
import GossipConfig
import GossipCore
import GossipIdentity
import GossipWire
import Logging
import Synchronization
import Testing

@testable import GossipNode

/// A signer whose signatures wait until the test lets them go: a stand-in for a slow key (an
/// RSA-4096 signature takes about 4 ms).
final class HeldSigner: HandshakeSigner {
    let inner: any HandshakeSigner
    /// Signalled each time a signature starts.
    let entered = DispatchSemaphore(value: 0)
    /// Each signature waits for one signal.
    let release = DispatchSemaphore(value: 0)

    init(_ inner: any HandshakeSigner) { self.inner = inner }

    var identity: PeerIdentity { inner.identity }
    var publicKey: [UInt8] { inner.publicKey }
    var work: UInt64 { inner.work }

    func sign(_ message: [UInt8]) -> [UInt8]? {
        entered.signal()
        release.wait()
        return inner.sign(message)
    }

    func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity? {
        inner.verify(signature: signature, of: message, publicKey: publicKey)
    }
}

@Suite("Handshake work off the core's lock")
struct HandshakeWorkTests {
    @Test("while the node signs for a dialer, its core is free: a module's announcement reaches a local subscriber, and the dialer gets its AUTH once the signature is done")
    func signsWithTheCoreUnlocked() throws {
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        configuration.identityWorkBits = 0
        var logger = Logger(label: "held-signer")
        logger.logLevel = .critical
        let node = try Node(configuration: configuration, logger: logger)
        let signers = Mutex<HeldSigner?>(nil)
        node.signerWrapper.withLock { wrapper in
            wrapper = { inner in
                let held = HeldSigner(inner)
                signers.withLock { $0 = held }
                return held
            }
        }
        try node.start()
        defer { node.stop() }
        let held = try #require(signers.withLock { $0 })
        // Whatever happens below, the node's signature is let go before the node stops.
        defer { for _ in 0..<4 { held.release.signal() } }

        let subscriber = try node.subscriber(of: 7)
        defer { subscriber.close() }
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
        // The dialer's AUTH checked out and the node is now making its own signature, held.
        try #require(held.entered.wait(timeout: .now() + 10) == .success, "the node never signed for the dialer")

        let announcer = try node.connect()
        defer { announcer.close() }
        try announcer.announce(dataType: 7, ttl: 1, data: [1, 2, 3])
        let notification = try subscriber.expectNotification(timeout: .seconds(5))
        #expect(notification.data == [1, 2, 3], "the item went through the core while the signature was held")

        held.release.signal()
        try dial.join()
        #expect(answered.withLock { $0 } == true, "the dialer gets the node's AUTH once the signature is made")
    }
}
