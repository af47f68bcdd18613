/// One whole message as it came off the wire: its type and the bytes after the 4-byte header.
public struct Frame: Equatable, Sendable {
    public var type: UInt16
    public var body: [UInt8]

    public init(type: UInt16, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    /// The size field of this frame: header plus body.
    public var size: Int { Framing.headerSize + body.count }

    /// The frame's bytes, header included.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        let start = bytes.beginMessage(type)
        bytes.append(contentsOf: body)
        bytes.finishMessage(startingAt: start)
        return bytes
    }
}
