import Crypto
import GossipWire

extension GossipProtocol {
    // MARK: Links

    /// A connection opened: we dialed `dialed` (outbound), or a peer reached us. Both sides start
    /// with HELLO, carrying `nonce` (fresh random bytes from the driver) for the peer to sign.
    /// `agreementKey` is a fresh X25519 key for this link alone, from the driver (random in
    /// gossipd), whose public half our AUTH carries. `remote` is the address the connection came
    /// from, if known.
    public mutating func linkOpened(
        _ link: LinkID, outbound: Bool, dialed: Overlay.DialTarget?, remote: PeerAddress?, nonce: [UInt8],
        agreementKey: Curve25519.KeyAgreement.PrivateKey, now: Moment
    ) -> [GossipEffect] {
        handshakes[link] = Handshake(ourNonce: nonce, agreementKey: agreementKey, remote: remote, outbound: outbound)
        var effects: [GossipEffect] = []
        let flags = configuration.encryptsLinks ? 0 : PeerHello.plaintextFlag
        perform(
            overlay.linkOpened(link, outbound: outbound, dialed: dialed, remote: remote, nonce: nonce, helloFlags: flags, now: now),
            into: &effects)
        // A handshake deadline is now pending: make sure the driver wakes for it.
        let limit = min(configuration.overlay.handshakeTimeoutNanoseconds, configuration.overlay.peerTimeoutNanoseconds)
        let deadline = now.adding(nanoseconds: limit)
        if scheduledWake.map({ $0 > deadline }) ?? true {
            scheduledWake = deadline
            effects.append(.wake(at: deadline))
        }
        return effects
    }

    /// The node is shutting down: each neighbour gets a LEAVE and its link closes after it
    /// (`CloseReason.leaving`, so the driver sends what is queued first); the peers repair at
    /// once. From now on `tick` does nothing.
    public mutating func leave(now: Moment) -> [GossipEffect] {
        hasLeft = true
        var effects: [GossipEffect] = []
        perform(overlay.leave(), into: &effects, now: now)
        return effects
    }

    /// A dial failed before a connection existed.
    public mutating func dialFailed(_ target: Overlay.DialTarget, now: Moment) -> [GossipEffect] {
        overlay.dialFailed(target, now: now)
        var effects: [GossipEffect] = [.count(.dialsFailed, 1)]
        if overlay.takeTreeRequestFailure() { repairTree(into: &effects) }
        wakeForDials(now: now, into: &effects)
        return effects
    }

    /// A link closed, whoever closed it.
    public mutating func linkClosed(_ link: LinkID, now: Moment) -> [GossipEffect] {
        let wasTree = broadcast.isEager(link)
        forget(link)
        overlay.linkClosed(link, now: now)
        var effects: [GossipEffect] = []
        let treeRequestFailed = overlay.takeTreeRequestFailure()
        if wasTree || treeRequestFailed { repairTree(into: &effects) }
        wakeForDials(now: now, into: &effects)
        return effects
    }

    /// Drops every trace of `link` outside the overlay (closed, or being closed).
    mutating func forget(_ link: LinkID) {
        treeRequests.remove(link)
        handshakes[link] = nil
        authenticated.remove(link)
        broadcast.remove(link)
        answerBudget.remove(link)
        linkBudgets.remove(link)
        fairShare.remove(link)
    }

    /// Screens an ITEM as its frame arrives: nil if it must take the full path
    /// (`received(peerMessage:)`, after the driver's queue), or the effects of settling it here: a
    /// copy of an item this node already knows is dropped and counted, an ITEM before the
    /// handshake completed closes the link (so it can never be queued and handled after a later
    /// AUTH), and one on a closed link is ignored. Most copies are duplicates, so drivers that
    /// queue items spare the queue most of them; the full path applies the same rules again.
    public mutating func screenItem(_ item: GossipItem, on link: LinkID, now: Moment) -> [GossipEffect]? {
        guard authenticated.contains(link) else { return handshakes[link] == nil ? [] : [.closeLink(link, .helloMissing)] }
        overlay.received(on: link, now: now, isTraffic: true)
        guard engine.isKnown(item.id, fromPeer: link) else { return nil }
        var effects: [GossipEffect] = [.count(.peerItemsReceived, 1), .count(.peerDuplicates, 1)]
        if observesItems { observe(item, from: .peer(link), as: .duplicate, into: &effects) }
        duplicate(item, on: link, now: now, into: &effects)
        return effects
    }

    /// An ITEM that `screenItem` passed on its authenticated link and the driver queued: handled
    /// even if the link closed meanwhile, as a peer that sent items and then left still sent them.
    public mutating func receivedScreenedItem(_ item: GossipItem, on link: LinkID, now: Moment) -> [GossipEffect] {
        var effects: [GossipEffect] = [.count(.peerItemsReceived, 1)]
        received(item, on: link, now: now, into: &effects)
        return effects
    }

    // MARK: Messages

    /// A message from the peer on `link`. Until both HELLO and AUTH have arrived, only they are
    /// allowed; after that the overlay, the engine and anti-entropy take their share.
    public mutating func received(peerMessage message: PeerMessage, on link: LinkID, now: Moment) -> [GossipEffect] {
        guard authenticated.contains(link) else { return handshake(message, on: link, now: now) }
        var effects: [GossipEffect] = []
        let isTraffic = !(message.type == .peerPing || message.type == .peerPong)
        overlay.received(on: link, now: now, isTraffic: isTraffic)
        switch message {
        case .hello:
            effects.append(.closeLink(link, .unexpectedHello))
        case .auth:
            effects.append(.closeLink(link, .unexpectedAuth))
        case .pull where !linkBudgets.take(.pulls, on: link, now: now):
            effects.append(.count(.announcementsThrottled, 1))
        case .pull:
            perform(overlay.receivedPull(on: link), into: &effects)
        case .push(let push):
            overlay.receivedPush(push, on: link)
            wakeForDials(now: now, into: &effects)
        case .item(let item):
            effects.append(.count(.peerItemsReceived, 1))
            received(item, on: link, now: now, into: &effects)
        case .ping(let nonce):
            effects.append(.send([link], .pong(nonce)))
        case .pong:
            break  // any frame already counted as a sign of life
        case .digest where !linkBudgets.take(.digests, on: link, now: now):
            effects.append(.count(.announcementsThrottled, 1))
        case .request where !linkBudgets.take(.requests, on: link, now: now):
            effects.append(.count(.announcementsThrottled, 1))
        case .graft where !linkBudgets.take(.requests, on: link, now: now):
            // What costs is sending the items; the link still joins the tree, so that both ends
            // agree on it (the sender made it eager at its end).
            if overlay.isActive(link) { broadcast.grafted(link) }
            effects.append(.count(.announcementsThrottled, 1))
        case .ihave(let ids) where !linkBudgets.take(.announcedIDs, ids.count, on: link, now: now):
            effects.append(.count(.announcementsThrottled, ids.count))
        case .digest(let offered):
            // Items an IHAVE announced are left to their graft timers.
            let tree = broadcast
            let wanted = Array(engine.missing(from: offered, now: now).lazy.filter { !tree.isAwaiting($0) }.prefix(configuration.digestSize))
            if !wanted.isEmpty {
                for id in wanted { broadcast.pulled(id, from: link) }
                effects.append(.count(.antiEntropyItemsPulled, wanted.count))
                effects.append(.send([link], .request(wanted)))
            }
        case .request(let ids):
            // Only what a digest could have offered: at most digest_size items per request.
            sendCached(ids, on: link, now: now, into: &effects)
        case .membership(let membership):
            let sender = overlay.identity(of: link)  // before the overlay forgets a link it closes
            perform(
                overlay.receivedMembership(membership, on: link, now: now, treeLinks: broadcast.eagerLinks),
                into: &effects, now: now, request: (membership, link, sender))
            wakeForDials(now: now, into: &effects)
        case .ihave(let ids):
            guard overlay.isActive(link) else { break }  // announcements come over the tree's links only
            let engine = self.engine
            broadcast.announced(
                Array(ids.prefix(broadcast.configuration.maximumBatch)), on: link, now: now,
                isKnown: { engine.knows($0) || !engine.isFresh($0, now: now) })
            if let deadline = broadcast.nextDeadline { wake(by: deadline, into: &effects) }
        case .graft(let ids):
            guard overlay.isActive(link) else { break }
            broadcast.grafted(link)
            sendCached(Array(ids.prefix(broadcast.configuration.maximumBatch)), on: link, now: now, into: &effects)
        case .prune:
            if overlay.isActive(link) { broadcast.pruned(link) }
        case .cut where !linkBudgets.take(.cuts, on: link, now: now):
            effects.append(.count(.announcementsThrottled, 1))
        case .cut(let id, let weight):
            if overlay.isActive(link), let (target, message) = broadcast.cutRequested(id, weight: weight, from: link) {
                sendTreeMessage(message, on: target, into: &effects)
            }
        }
        return effects
    }

    /// A message on a link still in its handshake: HELLO, then AUTH; anything else closes it. The
    /// signatures are asked of the driver (`GossipEffect.handshakeWork`), and the handshake goes on
    /// in `handshakeWorkDone`.
    mutating func handshake(_ message: PeerMessage, on link: LinkID, now: Moment) -> [GossipEffect] {
        guard var handshake = handshakes[link] else { return [] }  // closed already
        overlay.received(on: link, now: now, isTraffic: true)
        switch message {
        case .hello(var hello):
            guard handshake.theirHello == nil else { return [.closeLink(link, .unexpectedHello)] }
            guard hello.version == PeerHello.currentVersion else { return [.closeLink(link, .versionMismatch)] }
            // Each end decides for itself, so nobody in the middle can talk two nodes into plain text.
            guard (hello.flags & PeerHello.plaintextFlag == 0) == configuration.encryptsLinks else {
                return [.closeLink(link, .encryptionMismatch)]
            }
            if hello.listenAddress.isUnspecified, let remote = handshake.remote,
                let observed = PeerAddress(ip: remote.ip, port: hello.listenAddress.port)
            {
                hello.listenAddress = observed  // a node listening on 0.0.0.0 is reached where it came from
            }
            handshake.theirHello = hello
            // A HELLO costs its sender nothing, and our signature may cost milliseconds: the side
            // that accepted signs only once the dialer's AUTH has shown its work and signature.
            if handshake.outbound { handshake.awaiting = .ourSignature(answering: nil) }
            handshakes[link] = handshake
            guard handshake.outbound else { return [] }
            return [.handshakeWork(link, .sign(ourSignedBytes(answering: hello, in: handshake)))]
        case .auth(let auth):
            guard let hello = handshake.theirHello else { return [.closeLink(link, .helloMissing)] }
            // An honest peer sends nothing while it waits for our AUTH, nor a second AUTH.
            guard handshake.awaiting == nil else { return [.closeLink(link, .unexpectedAuth)] }
            // The identity must have cost its owner the work this node asks for: one hash to check,
            // so it comes before the signature, which costs far more to verify.
            guard IdentityWork.isValid(auth.work, for: hello.identity, bits: configuration.identityWorkBits) else {
                return [.closeLink(link, .insufficientWork)]
            }
            handshake.awaiting = .theirSignature(auth)
            handshakes[link] = handshake
            let signed = PeerAuth.signedBytes(
                receiverNonce: handshake.ourNonce, senderNonce: hello.nonce, senderIdentity: hello.identity,
                receiverIdentity: identity, senderAgreementKey: auth.agreementKey)
            return [.handshakeWork(link, .verify(signature: auth.signature, message: signed, publicKey: auth.publicKey))]
        default:
            return [.closeLink(link, .helloMissing)]
        }
    }

    /// The driver did the work a handshake asked for (`GossipEffect.handshakeWork`). Our signature
    /// makes our AUTH; the peer's proven identity completes the handshake (a dialer) or, within
    /// what this identity and its host may make us sign, asks for our signature (the side that
    /// accepted). An outcome for a link that closed meanwhile, or that its handshake does not
    /// wait for, is ignored.
    public mutating func handshakeWorkDone(_ outcome: HandshakeWork.Outcome, on link: LinkID, now: Moment) -> [GossipEffect] {
        guard var handshake = handshakes[link], let hello = handshake.theirHello, let awaiting = handshake.awaiting else {
            return []
        }
        switch (awaiting, outcome) {
        case (.theirSignature(let auth), .verified(let proven)):
            guard proven == hello.identity else { return [.closeLink(link, .authFailed)] }
            guard !handshake.outbound else { return completeHandshake(on: link, theirAuth: auth, now: now, into: []) }
            // The dialer proved itself: now our AUTH, within what this identity and its host may
            // make us sign.
            guard handshakeBudget.take(for: hello.identity, from: handshake.remote, now: now) else {
                return [.closeLink(link, .handshakeThrottled)]
            }
            handshake.awaiting = .ourSignature(answering: auth)
            handshakes[link] = handshake
            return [.handshakeWork(link, .sign(ourSignedBytes(answering: hello, in: handshake)))]
        case (.ourSignature(let answering), .signed(let signature)):
            guard let signature else { return [.closeLink(link, .authFailed)] }
            let ours = PeerAuth(
                publicKey: signer.publicKey, signature: signature, work: signer.work, agreementKey: handshake.publicAgreementKey)
            handshake.awaiting = nil
            handshakes[link] = handshake
            // Our AUTH goes out in clear, before the link's keys.
            guard let answering else { return [.send([link], .auth(ours))] }
            return completeHandshake(on: link, theirAuth: answering, now: now, into: [.send([link], .auth(ours))])
        default:
            return []  // not what this handshake waits for: drivers report each work's own outcome
        }
    }

    /// `effects` with each `handshakeWork` done here, with this core's signer, and replaced in
    /// place by the effects of its outcome (which may ask for more): for a driver that does the
    /// work where it stands (the simulator, the fuzzer, gossipd with a key that signs in
    /// microseconds) rather than outside its lock.
    public mutating func doingHandshakeWork(_ effects: [GossipEffect], now: Moment) -> [GossipEffect] {
        guard effects.contains(where: { if case .handshakeWork = $0 { true } else { false } }) else { return effects }
        var done: [GossipEffect] = []
        for effect in effects {
            guard case .handshakeWork(let link, let work) = effect else {
                done.append(effect)
                continue
            }
            done += doingHandshakeWork(handshakeWorkDone(work.perform(with: signer), on: link, now: now), now: now)
        }
        return done
    }

    /// Both AUTHs are through: the link's keys, then the link is the overlay's.
    mutating func completeHandshake(
        on link: LinkID, theirAuth auth: PeerAuth, now: Moment, into effects: [GossipEffect]
    ) -> [GossipEffect] {
        guard let handshake = handshakes[link], let hello = handshake.theirHello else { return effects }
        var effects = effects
        if configuration.encryptsLinks {
            guard let keys = LinkKeys.derive(
                agreementKey: handshake.agreementKey, peerAgreementKey: auth.agreementKey,
                ourNonce: handshake.ourNonce, theirNonce: hello.nonce, ourIdentity: identity, theirIdentity: hello.identity)
            else { return [.closeLink(link, .authFailed)] }
            effects.append(.secureLink(link, keys))  // before anything else goes out on the link
        }
        handshakes[link] = nil
        authenticated.insert(link)
        perform(overlay.receivedHello(hello, on: link, now: now), into: &effects)
        return effects
    }

    /// What our AUTH for the peer whose HELLO is `hello` signs: both nonces, both identities and
    /// our agreement key.
    func ourSignedBytes(answering hello: PeerHello, in handshake: Handshake) -> [UInt8] {
        PeerAuth.signedBytes(
            receiverNonce: hello.nonce, senderNonce: handshake.ourNonce, senderIdentity: identity,
            receiverIdentity: hello.identity, senderAgreementKey: handshake.publicAgreementKey)
    }

    /// Sends the cached items among `ids` (at most `digestSize`, each once): only items found
    /// valid (or relayed unvalidated) and still within their TTL are cached. What the link may make
    /// us send is bounded by its `AnswerBudget`; items beyond it are withheld and counted.
    mutating func sendCached(_ ids: [ItemID], on link: LinkID, now: Moment, into effects: inout [GossipEffect]) {
        var sent: Set<ItemID> = []
        var withheld = 0
        for id in ids.prefix(configuration.digestSize) where sent.insert(id).inserted {  // each item once per ask
            guard let item = engine.cache[id], item.data.count <= GossipItem.maximumDataSize else { continue }
            guard answerBudget.spend(PeerMessage.item(item).encodedSize, on: link, now: now) else {
                withheld += 1
                continue
            }
            effects.append(.send([link], .item(item)))
        }
        if withheld > 0 { effects.append(.count(.answersWithheld, withheld)) }
    }

    /// Sends a PRUNE or CUT the broadcast tree decided on, and counts it.
    mutating func sendTreeMessage(_ message: PeerMessage, on link: LinkID, into effects: inout [GossipEffect]) {
        effects.append(.count(message == .prune ? .prunesSent : .cutsSent, 1))
        effects.append(.send([link], message))
    }

    /// A copy of a known item arrived on `link`: on an active link, the tree may cut a cycle. What
    /// a link's duplicates make this node send (PRUNE, CUT) is held to that link's budget.
    mutating func duplicate(_ item: GossipItem, on link: LinkID, now: Moment, into effects: inout [GossipEffect]) {
        guard overlay.isActive(link) else { return }
        broadcast.duplicateArrived(item.id, on: link, now: now)
        guard linkBudgets.take(.cuts, on: link, now: now),
            let (target, message) = broadcast.duplicate(item.id, from: link, carrying: item.path)
        else { return }
        sendTreeMessage(message, on: target, into: &effects)
    }

    /// The first copy of `item` came over `link`, with its path here: it is no longer missing.
    mutating func firstCopy(_ item: GossipItem, on link: LinkID, now: Moment, into effects: inout [GossipEffect]) {
        broadcast.delivered(item.id, from: overlay.isActive(link) ? link : nil, path: item.path, now: now)
    }

    /// Whether a new `item` on `link` is within the link's fair share (`FairShare`); items this
    /// node asked for always are.
    mutating func isWithinFairShare(_ item: GossipItem, on link: LinkID, now: Moment) -> Bool {
        if broadcast.wasAsked(item.id) { return true }
        let budget = engine.admissionState(for: item.dataType, now: now)
        return fairShare.admit(link, perSecond: budget.perSecond, congested: budget.congested, now: now)
    }

    /// An ITEM from a peer (its duplicate screen passed, or not yet applied): drop it if known;
    /// notify local subscribers and hold it for their verdict; or, with no subscribers for its
    /// type, relay it at once.
    mutating func received(_ item: GossipItem, on link: LinkID, now: Moment, into effects: inout [GossipEffect]) {
        // (A link that closed meanwhile has no budget left to keep: its queued items go through.)
        if !engine.knows(item.id) && authenticated.contains(link)
            && !(linkBudgets.take(.items, on: link, now: now) && isWithinFairShare(item, on: link, now: now))
        {
            effects.append(.count(.itemsThrottled, 1))  // a new item over this link's share
            if observesItems { observe(item, from: .peer(link), as: .dropped, into: &effects) }
            return
        }
        // The copy kept and sent on carries its path to here.
        var item = item
        let carried = item.path
        item.path = broadcast.path(carried, arrivingOn: overlay.isActive(link) ? link : nil, id: item.id)
        let received = engine.receive(item, fromPeer: link, now: now)
        if observesItems { observe(item, from: .peer(link), as: Self.observedOutcome(of: received), into: &effects) }
        switch received {
        case .duplicate:
            effects.append(.count(.peerDuplicates, 1))
            item.path = carried
            duplicate(item, on: link, now: now, into: &effects)
        case .unbound:
            effects.append(.closeLink(link, .itemIDMismatch))  // honest nodes never send one
        case .stale:
            effects.append(.count(.itemsStale, 1))
        case .throttled:
            effects.append(.count(.itemsThrottled, 1))
        case .noValidator:
            effects.append(.count(.itemsNoValidator, 1))
        case .awaitingValidation(let delivery, let evicted):
            firstCopy(item, on: link, now: now, into: &effects)
            effects.append(.notify(delivery.subscribers, delivery.notification, item: item.id))
            wakeForValidation(now: now, into: &effects)
            settle(evicted, into: &effects, now: now)
        case .relayed(let forward):
            firstCopy(item, on: link, now: now, into: &effects)
            effects.append(.count(.itemsRelayedUnvalidated, 1))
            if let forward { spread(forward, excluding: [link], now: now, into: &effects) }
        }
    }
}
