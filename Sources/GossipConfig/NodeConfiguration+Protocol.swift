import GossipCore

extension NodeConfiguration {
    /// The protocol core's settings from this configuration: what gossipd and gossip-sim both run.
    public var protocolConfiguration: GossipProtocol.Configuration {
        let milliseconds: (Int) -> UInt64 = { UInt64($0) * 1_000_000 }
        let shortest = [gossipIntervalMilliseconds, antiEntropyIntervalMilliseconds, pingIntervalMilliseconds].min()!
        return GossipProtocol.Configuration(
            engine: .init(
                cacheSize: cacheSize,
                validationTimeoutNanoseconds: milliseconds(validationTimeoutMilliseconds),
                seenCapacity: seenCapacity,
                seenTTLNanoseconds: milliseconds(seenTTLMilliseconds)),
            overlay: .init(
                degree: degree,
                degreeSlack: degreeSlack,
                viewCapacity: viewSize,
                maximumLinks: maxPeerConnections,
                gossipIntervalNanoseconds: milliseconds(gossipIntervalMilliseconds),
                antiEntropyIntervalNanoseconds: milliseconds(antiEntropyIntervalMilliseconds),
                pingIntervalNanoseconds: milliseconds(pingIntervalMilliseconds),
                peerTimeoutNanoseconds: milliseconds(peerTimeoutMilliseconds),
                idleTimeoutNanoseconds: milliseconds(linkIdleTimeoutMilliseconds),
                joinWalkLength: joinWalkLength,
                handshakeTimeoutNanoseconds: milliseconds(handshakeTimeoutMilliseconds),
                maximumHandshakes: maxPendingHandshakes,
                maximumLinksPerAddress: maxLinksPerIP,
                maximumLinksPerPrefix: maxLinksPerPrefix),
            broadcast: .init(
                announceIntervalNanoseconds: milliseconds(ihaveIntervalMilliseconds),
                graftTimeoutNanoseconds: milliseconds(graftTimeoutMilliseconds)),
            digestSize: digestSize,
            // Retries no deadline drives: often enough for the shortest interval, at most 100 Hz.
            tickIntervalNanoseconds: milliseconds(max(10, min(100, shortest / 4))),
            identityWorkBits: identityWorkBits,
            encryptsLinks: linkEncryption != 0)
    }

    /// The bootstrappers as the core's dial targets.
    public var bootstrapTargets: [Overlay.DialTarget] {
        bootstrappers.map { Overlay.DialTarget(host: $0.host, port: $0.port) }
    }
}
