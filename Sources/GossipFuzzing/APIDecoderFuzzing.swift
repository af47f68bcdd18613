import GossipWire

/// Fuzz target: the input as a stream of API frames, as a local module would send them.
///
/// Each frame the reader returns goes through `APIMessage(frame:)`. A message that decodes must
/// encode back to exactly the frame's bytes (the API layout keeps every bit, reserved ones
/// included), and those bytes must pass the same header rule and decode to the same value.
public func fuzzAPIDecoder(_ input: [UInt8]) {
    forEachFrame(in: input, rule: .apiFromModule) { frame in
        guard let message = try? APIMessage(frame: frame) else { return }

        let encoded = message.encoded()
        precondition(encoded.count == message.encodedSize, "encodedSize disagrees with encoded()")
        precondition(encoded == frame.encoded(), "re-encoding an API message changed its bytes")
        precondition(
            decodeOne(encoded, rule: .apiFromModule).flatMap { try? APIMessage(frame: $0) } == message,
            "an encoded API message does not decode to itself")
    }
}

/// Each frame a reader under `rule` takes out of `input`, until the input ends or a header is
/// impossible (which ends the stream, as it closes the connection).
func forEachFrame(in input: [UInt8], rule: HeaderRule, _ body: (Frame) -> Void) {
    var reader = FrameReader(headerRule: rule)
    reader.append(input)
    while let frame = try? reader.nextFrame() { body(frame) }
}

/// The single frame `bytes` holds under `rule`, or nil if the reader refuses them or they hold
/// anything but exactly one frame.
func decodeOne(_ bytes: [UInt8], rule: HeaderRule) -> Frame? {
    var reader = FrameReader(headerRule: rule)
    reader.append(bytes)
    guard let frame = try? reader.nextFrame(), reader.bufferedByteCount == 0 else { return nil }
    return frame
}
