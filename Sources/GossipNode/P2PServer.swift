import Foundation
import GossipCore
import GossipIdentity
import GossipSockets
import GossipWire

/// Accepts and dials peer connections and runs one reader thread per link, like the API side.
/// The first frame each way is HELLO; after it, PUSH/PULL go to the overlay, ITEMs into the
/// announce queue (waiting while it is full), PING is answered with PONG, and DIGEST/REQUEST run
/// anti-entropy against the engine's cache. Anything malformed closes the link and is counted.
final class P2PServer: Sendable {
    private let context: NodeContext
    private let accepting: AcceptLoop

    /// - Parameter listener: bound to the P2P address already (the node needs its port first).
    init(context: NodeContext, listener: Socket) {
        self.context = context
        let box = ServerBox()
        self.accepting = AcceptLoop(listener: listener, name: "p2p-accept", context: context) { socket in
            let thread = Thread { box.server?.serve(socket, outbound: false, dialed: nil) }
            thread.name = "p2p-read"
            thread.start()
        }
        box.server = self
    }

    var port: UInt16 { accepting.port }

    func start() {
        accepting.start()
    }

    /// Stops accepting and closes every link.
    func stop() {
        accepting.stop()
        for link in context.peerLinks.withLock({ Array($0.values) }) {
            link.terminate(.nodeStopping, detail: "node stopping")
        }
    }

    /// Dials `target` on a short-lived thread; the link joins the others once connected.
    func dial(_ target: Overlay.DialTarget) {
        let thread = Thread { [self, context] in
            let timeout = Duration.milliseconds(context.configuration.connectTimeoutMilliseconds)
            do {
                let socket = try Socket.connect(host: target.host, port: target.port, deadline: .now + timeout)
                serve(socket, outbound: true, dialed: target)
            } catch {
                context.statistics.dialsFailed.increment()
                context.overlay.withLock { $0.dialFailed(target) }
                context.logger.debug("dial failed", metadata: ["target": "\(target)", "error": "\(error)"])
            }
        }
        thread.name = "p2p-dial"
        thread.start()
    }

    /// The reader of one link, from HELLO to close.
    private func serve(_ socket: Socket, outbound: Bool, dialed: Overlay.DialTarget?) {
        guard !context.isStopping.load(ordering: .acquiring) else {
            socket.close()  // a dial that finished after stop() began
            return
        }
        context.liveReaders.increment()
        defer { context.liveReaders.wrappingSubtract(1, ordering: .releasing) }
        let link = Connection(kind: .peer, number: context.makeConnectionNumber(), socket: socket, context: context)
        context.peerLinks.withLock { $0[link.number] = link }
        context.statistics.peerLinksOpen.increment()
        link.sender.start(name: "p2p-send-\(link.number)")
        var system = SystemRandomNumberGenerator()
        let ourNonce = (0..<PeerHello.nonceSize).map { _ in UInt8.random(in: 0...255, using: &system) }
        let opened = context.overlay.withLock {
            $0.linkOpened(link.number, outbound: outbound, dialed: dialed, nonce: ourNonce, now: context.clock.now())
        }
        context.perform(opened, dialer: dial)
        context.logger.debug("peer link opened", metadata: ["link": "\(link.label)", "remote": "\(link.remote)", "outbound": "\(outbound)"])

        var stream = FrameStream(socket: socket, frameTimeout: .milliseconds(context.configuration.frameTimeoutMilliseconds))
        // The handshake, each way: HELLO (identity, address, nonce), then AUTH proving the identity.
        var theirHello: PeerHello?
        var authenticated = false
        reading: while link.closeReason.withLock({ $0 }) == nil {  // stop at once when the node closed it
            let message: PeerMessage
            do {
                guard let frame = try stream.readFrame() else { break reading }
                message = try PeerMessage(frame: frame)
            } catch let error as FrameStream.ReadError {
                link.terminate(for: error)
                break reading
            } catch let error as WireError {
                link.terminate(error.closeReason, detail: "\(error)")
                break reading
            } catch {
                break reading
            }
            let now = context.clock.now()
            let isTraffic = !(message.type == .peerPing || message.type == .peerPong)
            context.overlay.withLock { $0.received(on: link.number, now: now, isTraffic: isTraffic) }
            switch message {
            case .hello(var hello):
                guard theirHello == nil else {
                    link.terminate(.unexpectedHello, detail: "second HELLO")
                    break reading
                }
                guard hello.version == PeerHello.currentVersion else {
                    link.terminate(.versionMismatch, detail: "version \(hello.version)")
                    break reading
                }
                if hello.listenAddress.isUnspecified, let observed = PeerAddress(host: socket.remoteHost, port: hello.listenAddress.port) {
                    hello.listenAddress = observed  // a node listening on 0.0.0.0 is reached where it came from
                }
                theirHello = hello
                let signed = PeerAuth.signedBytes(
                    receiverNonce: hello.nonce, senderNonce: ourNonce, senderIdentity: context.identity.bytes,
                    receiverIdentity: hello.identity)
                guard let signature = try? context.key.sign(signed) else {
                    link.terminate(.authFailed, detail: "could not sign our AUTH")
                    break reading
                }
                link.send(PeerMessage.auth(PeerAuth(publicKey: context.key.publicKeyDER, signature: signature)).encoded())
                continue
            case .auth(let auth):
                guard let hello = theirHello else {
                    link.terminate(.helloMissing, detail: "AUTH before HELLO")
                    break reading
                }
                guard !authenticated else {
                    link.terminate(.unexpectedAuth, detail: "second AUTH")
                    break reading
                }
                let signed = PeerAuth.signedBytes(
                    receiverNonce: ourNonce, senderNonce: hello.nonce, senderIdentity: hello.identity,
                    receiverIdentity: context.identity.bytes)
                guard let proven = NodeKey.verify(signature: auth.signature, of: signed, publicKeyDER: auth.publicKey),
                    proven.bytes == hello.identity
                else {
                    link.terminate(.authFailed, detail: "AUTH does not prove identity \(hello.identity.prefix(8).hex)")
                    break reading
                }
                authenticated = true
                let actions = context.overlay.withLock { $0.receivedHello(hello, on: link.number, now: now) }
                context.perform(actions, dialer: dial)
                continue
            default:
                guard authenticated else {
                    link.terminate(.helloMissing, detail: "\(message.type) before the handshake completed")
                    break reading
                }
            }
            handle(message, on: link)
        }
        context.peerLinks.withLock { _ = $0.removeValue(forKey: link.number) }
        context.overlay.withLock { $0.linkClosed(link.number) }
        link.finishClosing()
        context.statistics.peerLinksOpen.wrappingSubtract(1, ordering: .relaxed)
        context.logger.debug("peer link closed", metadata: ["link": "\(link.label)"])
    }

    private func handle(_ message: PeerMessage, on link: Connection) {
        switch message {
        case .hello, .auth:
            break  // handled by the reader
        case .pull:
            let actions = context.overlay.withLock { $0.receivedPull(on: link.number) }
            context.perform(actions, dialer: dial)
        case .push(let push):
            context.overlay.withLock { $0.receivedPush(push, on: link.number) }
        case .item(let item):
            context.statistics.peerItemsReceived.increment()
            // Most copies of an item are duplicates; dropping them here spares the queue and the
            // handler a wake-up each. The handler still decides the first sightings.
            let now = context.clock.now()
            if context.engine.withLock({ $0.isKnown(item.id, fromPeer: link.number, now: now) }) {
                context.statistics.peerDuplicates.increment()
                return
            }
            let gossip = GossipItem(id: item.id, ttl: item.ttl, dataType: item.dataType, data: item.data)
            _ = context.announceQueue.push(.peer(link: link.number, gossip), lane: QueuedItem.peerLane)
        case .ping(let nonce):
            link.send(PeerMessage.pong(nonce).encoded())
        case .pong:
            break  // any frame already counted as a sign of life
        case .digest(let offered):
            let wanted = context.engine.withLock { $0.missing(from: offered) }
            let requested = Array(wanted.prefix(context.configuration.digestSize))
            if !requested.isEmpty {
                context.statistics.antiEntropyItemsPulled.increment(by: requested.count)
                link.send(PeerMessage.request(requested).encoded())
            }
        case .request(let ids):
            // Only what a digest could have offered: at most digest_size items per request.
            let items = context.engine.withLock { engine in
                ids.prefix(context.configuration.digestSize).compactMap { engine.cache[$0] }
            }
            for item in items {
                guard item.data.count <= PeerItem.maximumDataSize else { continue }
                let bytes = PeerMessage.item(PeerItem(id: item.id, ttl: item.ttl, dataType: item.dataType, data: item.data)).encoded()
                if link.send(bytes) { context.statistics.peerItemsSent.increment() }
            }
        }
    }
}

/// Lets the accept loop reach its server without a reference cycle at construction.
private final class ServerBox: @unchecked Sendable {
    // Written once in P2PServer.init before the accept thread starts, read only afterwards.
    weak var server: P2PServer?
}
