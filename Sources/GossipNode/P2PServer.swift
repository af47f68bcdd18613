import Crypto
import GossipCore
import GossipIdentity
import GossipSockets
import GossipWire

/// Accepts and dials peer connections and runs one reader thread per link, like the API side.
/// Readers decode frames into the core's events (the core runs the handshake, the overlay, the
/// spreading and anti-entropy); anything malformed closes the link and is counted.
final class P2PServer: Sendable {
    private let context: NodeContext
    private let accepting: AcceptLoop

    /// - Parameter listener: bound to the P2P address already (the node needs its port first).
    init(context: NodeContext, listener: Socket) {
        self.context = context
        let box = ServerBox()
        self.accepting = AcceptLoop(listener: listener, name: "p2p-accept", context: context) { socket in
            guard startThread(name: "p2p-read", { box.server?.serve(socket, outbound: false, dialed: nil) }) else {
                Self.refuseWithoutThread(socket, context: context)
                return
            }
        }
        box.server = self
        context.dialer.withLock { $0 = { [weak self] target in self?.dial(target) } }
    }

    var port: UInt16 { accepting.port }

    func start() {
        accepting.start()
    }

    /// Stops accepting new peer connections; the links stay.
    func stopAccepting() {
        accepting.stop()
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
        let started = startThread(name: "p2p-dial") { [self, context] in
            let timeout = context.limits.withLock { $0.connectTimeout }
            do {
                let socket = try Socket.connect(host: target.host, port: target.port, deadline: .now + timeout)
                serve(socket, outbound: true, dialed: target)
            } catch {
                context.withCore { core, now in core.dialFailed(target, now: now) }
                context.logger.debug("dial failed", metadata: ["target": "\(target)", "error": "\(error)"])
            }
        }
        if !started {
            context.abuseLog.log(level: .warning, "no thread for a dial to \(target): the system refused one")
            context.withCore { core, now in core.dialFailed(target, now: now) }
        }
    }

    /// Closes an accepted connection the node has no thread for (out of threads or memory).
    static func refuseWithoutThread(_ socket: Socket, context: NodeContext) {
        context.statistics.countClose(.noThread, kind: .peer)
        context.abuseLog.log(level: .warning, "closing peer connection from \(socket.remoteDescription): no thread for it")
        socket.close()
    }

    /// The reader of one link, from HELLO to close. It only turns frames into the core's events;
    /// ITEMs that are not duplicates go through the item queue (waiting while its peer lane is
    /// full, so TCP pushes back on the sender), or to the core on this thread while the item
    /// handler is idle (`NodeContext.handleAtOnce`); everything else to the core at once.
    private func serve(_ socket: Socket, outbound: Bool, dialed: Overlay.DialTarget?) {
        guard !context.isStopping.load(ordering: .acquiring) else {
            socket.close()  // a dial that finished after stop() began
            return
        }
        context.liveReaders.increment()
        defer { context.liveReaders.wrappingSubtract(1, ordering: .releasing) }
        let link = Connection(kind: .peer, number: context.makeConnectionNumber(), socket: socket, context: context)
        let id = link.linkID
        context.peerLinks.withLock { $0[id] = link }
        if context.isStopping.load(ordering: .acquiring) {
            link.terminate(.nodeStopping, detail: "node stopping")  // stop() may have missed it
        }
        context.statistics.peerLinksOpen.increment()
        var system = SystemRandomNumberGenerator()
        let nonce = (0..<PeerHello.nonceSize).map { _ in UInt8.random(in: 0...255, using: &system) }
        let remote = PeerAddress(host: socket.remoteHost, port: 0)
        let agreementKey = Curve25519.KeyAgreement.PrivateKey()  // this link's alone, from the system's CSPRNG
        context.withCore { core, now in
            core.linkOpened(id, outbound: outbound, dialed: dialed, remote: remote, nonce: nonce, agreementKey: agreementKey, now: now)
        }
        context.logger.debug("peer link opened", metadata: ["link": "\(link.label)", "remote": "\(link.remote)", "outbound": "\(outbound)"])

        var stream = FrameStream(socket: socket, frameTimeout: context.limits.withLock { $0.frameTimeout }, headerRule: .peer)
        // Opens the peer's frames once the handshake made the link's keys (an encrypted link).
        var opener: FrameOpener?
        // The peer, once the link is a neighbour (active): linked and lost are logged at info.
        var neighbour: PeerIdentity?
        reading: while !link.isClosing {  // stop at once when the node closed it
            let message: PeerMessage
            do {
                guard var frame = try stream.readFrame() else { break reading }
                link.framesIn.wrappingAdd(1, ordering: .relaxed)
                // Opened in place: the frame's body is this reader's alone.
                if opener != nil, !opener!.open(&frame) {
                    link.terminate(.decryptionFailed, detail: "frame \(opener!.counter) of type \(frame.type) did not open")
                    break reading
                }
                message = try PeerMessage(frame: frame)
                context.metrics?.countFrameIn(type: frame.type, bytes: frame.size)
            } catch let error as FrameStream.ReadError {
                link.terminate(for: error)
                break reading
            } catch let error as WireError {
                link.terminate(error.closeReason, detail: "\(error)")
                break reading
            } catch {
                break reading
            }
            if case .item(let item) = message {
                // The core drops duplicates here, which spares the queue and the handler a wake-up
                // each. The handler decides the first sightings, or this reader does in its stead
                // while it is idle (`handleAtOnce`).
                // The moment the core saw it doubles as when it was read (for the delivery metric).
                var read = Moment.zero
                let dropped = context.core.withLock { core in
                    read = context.clock.now()
                    return core.screenItem(item, on: id, now: read)
                }
                if let dropped {
                    context.perform(dropped)
                } else {
                    let entry = InboundItem.peer(id, item, read: read)
                    if context.handleAtOnce(entry) { continue reading }
                    guard context.itemQueue.push(entry, lane: InboundItem.peerLane) else {
                        // Closed: the node is stopping. Keep the link until its LEAVE goes out.
                        if context.isStopping.load(ordering: .acquiring) { continue reading }
                        break reading
                    }
                }
                continue
            }
            if message.type == .peerHello || message.type == .peerAuth {
                // The handshake. With a key that signs in milliseconds (RSA, P-384) the signatures
                // the core asks for are made, and the peer's checked, here with the core
                // unlocked, so a 4 ms RSA-4096 signature holds up no other link and no item. With
                // a key that signs in microseconds (P-256) the work is done within the same hold
                // of the lock: two more turns at a lock many threads want cost more than that (the
                // 300-process join of 2026-12-01). Slow work takes one of the node's few work
                // slots (`HandshakeWorkSlots`), so dialers cannot keep every CPU signing. The AUTH
                // that completes the handshake makes the link's keys: they go in while the core is
                // still locked, so no other thread can send on the link before its frames are
                // sealed, and before this reader takes the next frame, the peer's first sealed
                // one. Our own AUTH is written first, in clear.
                let signer = context.signer
                var event: (inout GossipProtocol, Moment) -> [GossipEffect] = { core, now in
                    core.received(peerMessage: message, on: id, now: now)
                }
                while true {
                    var work: HandshakeWork?
                    context.withCore({ core, now in
                        signer.signsQuickly ? core.doingHandshakeWork(event(&core, now), now: now) : event(&core, now)
                    }) { _, effects in
                        effects.removeAll { effect in
                            if case .handshakeWork(id, let asked) = effect {
                                work = asked
                                return true
                            }
                            guard case .send(let links, .auth(let auth)) = effect, links == [id] else { return false }
                            let bytes = PeerMessage.auth(auth).encoded()
                            context.metrics?.countFramesOut(type: MessageType.peerAuth.rawValue, frames: 1, bytes: bytes.count)
                            _ = link.send(bytes)
                            return true
                        }
                        for case .secureLink(_, let keys) in effects {
                            link.sender.secure(with: keys.sealer)
                            opener = keys.opener
                        }
                    }
                    guard let work, !link.isClosing,
                        let outcome = context.handshakeWorkSlots.run(while: { !link.isClosing }, { work.perform(with: signer) })
                    else { break }
                    event = { core, now in core.handshakeWorkDone(outcome, on: id, now: now) }
                }
                if opener != nil { stream.trailerSize = FrameSealer.tagSize }
                continue
            }
            if case .membership = message, neighbour == nil {
                // Membership steps are what make a link a neighbour: say so, once, at info.
                var linked: PeerIdentity?
                context.withCore({ core, now in core.received(peerMessage: message, on: id, now: now) }) { core, _ in
                    if core.overlay.isActive(id) { linked = core.overlay.identity(of: id) }
                }
                if let linked {
                    neighbour = linked
                    context.logger.info(
                        "peer linked", metadata: ["peer": "\(linked)", "remote": "\(link.remote)", "outbound": "\(outbound)", "link": "\(link.label)"])
                }
                continue
            }
            context.withCore { core, now in core.received(peerMessage: message, on: id, now: now) }
        }
        if let neighbour {
            let reason = link.closeReason.withLock { $0 }?.rawValue ?? "closed by the peer"
            context.logger.info("peer lost", metadata: ["peer": "\(neighbour)", "remote": "\(link.remote)", "reason": "\(reason)", "link": "\(link.label)"])
        }
        context.peerLinks.withLock { _ = $0.removeValue(forKey: id) }
        context.withCore { core, now in core.linkClosed(id, now: now) }
        if link.isFlushingBeforeClose {
            // The writer sends the last message and ends our side; wait for the peer's end.
            stream.socket.discardInput(until: .now + Connection.linger)
        }
        link.finishClosing()
        context.statistics.peerLinksOpen.wrappingSubtract(1, ordering: .relaxed)
        context.logger.debug("peer link closed", metadata: ["link": "\(link.label)"])
    }
}

/// Lets the accept loop reach its server without a reference cycle at construction.
private final class ServerBox: @unchecked Sendable {
    // Written once in P2PServer.init before the accept thread starts, read only afterwards.
    weak var server: P2PServer?
}
