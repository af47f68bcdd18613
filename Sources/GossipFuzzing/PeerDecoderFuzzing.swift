import GossipWire

/// Fuzz target: the input as a stream of P2P frames, as a peer would send them.
///
/// Each frame the reader returns goes through `PeerMessage(frame:)`. A message that decodes must
/// encode to a frame of the same type and size (reserved bits may come back as zero), and that
/// encoding must pass the peer header rule and decode to the same value.
public func fuzzPeerDecoder(_ input: [UInt8]) {
    forEachFrame(in: input, rule: .peer) { frame in
        guard let message = try? PeerMessage(frame: frame) else { return }

        let encoded = message.encoded()
        precondition(encoded.count == message.encodedSize, "encodedSize disagrees with encoded()")
        precondition(
            encoded.count == frame.size && message.type.rawValue == frame.type,
            "re-encoding a peer message changed its type or size")
        precondition(
            decodeOne(encoded, rule: .peer).flatMap { try? PeerMessage(frame: $0) } == message,
            "an encoded peer message does not decode to itself")
    }
}
