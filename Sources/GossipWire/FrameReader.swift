/// Splits a byte stream into frames. Feed it whatever chunks the socket returns, in any split,
/// and take out whole frames as they complete.
///
/// The reader only checks the header (size at least 4, at most `maximumFrameSize`); the layout of
/// each type is checked by the message decoders.
public struct FrameReader: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0
    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = Framing.maximumMessageSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether a frame has started but not completed: the time it may take is bounded by the caller.
    public var hasPartialFrame: Bool { bufferedByteCount > 0 }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil if more bytes are needed.
    /// Throws if the header is impossible; the stream cannot be resynchronised after that.
    public mutating func nextFrame() throws(WireError) -> Frame? {
        guard bufferedByteCount >= Framing.headerSize else { return nil }
        let size = Int(buffer[readIndex]) << 8 | Int(buffer[readIndex + 1])
        guard size >= Framing.headerSize else { throw .sizeBelowHeader(size: size) }
        guard size <= maximumFrameSize else { throw .frameTooLarge(size: size, limit: maximumFrameSize) }
        guard bufferedByteCount >= size else { return nil }
        let type = UInt16(buffer[readIndex + 2]) << 8 | UInt16(buffer[readIndex + 3])
        let body = Array(buffer[(readIndex + Framing.headerSize)..<(readIndex + size)])
        readIndex += size
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return Frame(type: type, body: body)
    }

    /// Drops consumed bytes once they dominate the buffer, so it never grows past about two frames.
    private mutating func compactIfWorthwhile() {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
