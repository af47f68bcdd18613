#if canImport(Glibc)
import Glibc
#endif
import GossipWire

/// Reads whole frames from a socket with buffered reads.
///
/// An idle connection may wait as long as it likes between frames (or until `idleDeadline`), but
/// once the first byte of a frame has arrived the rest must follow within `frameTimeout` of the
/// reader's waiting for it. (A frame begun in the bytes behind a returned one is timed from the
/// next `readFrame`: time the caller spends on the returned frame is not the peer's.)
public struct FrameStream: ~Copyable {
    public let socket: Socket
    private var reader: FrameReader
    private var buffer: UnsafeMutableRawBufferPointer
    private var frameStarted: Deadline?

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { reader.bufferedByteCount }
    public let frameTimeout: Duration

    /// Bytes after each frame's body that belong to it (`FrameReader.trailerSize`): an encrypted
    /// link's tag. Set between frames.
    public var trailerSize: Int {
        get { reader.trailerSize }
        set { reader.trailerSize = newValue }
    }

    public init(
        socket: Socket, frameTimeout: Duration, maximumFrameSize: Int = Framing.maximumMessageSize, headerRule: HeaderRule? = nil,
        bufferSize: Int = 65_536
    ) {
        self.socket = socket
        self.reader = FrameReader(maximumFrameSize: maximumFrameSize, headerRule: headerRule)
        // Owned by this stream alone and freed in deinit.
        self.buffer = .allocate(byteCount: bufferSize, alignment: 16)
        self.frameTimeout = frameTimeout
    }

    deinit {
        buffer.deallocate()
    }

    /// Why reading stopped.
    public enum ReadError: Error, Sendable {
        /// The other side closed in the middle of a frame.
        case closedMidFrame(bufferedBytes: Int)
        /// A started frame did not complete within the frame timeout.
        case frameTimedOut(bufferedBytes: Int)
        /// The idle deadline passed with no frame started.
        case idleTimedOut
        /// The header was impossible (size below 4 or over the limit).
        case malformed(WireError)
        /// The socket failed.
        case socket(SocketError)
    }

    /// True once the other side closed the connection (end of stream, a reset, or bytes that are
    /// no frame) within `timeout`; frames that arrive meanwhile are read and dropped. False if
    /// the connection stayed open that long.
    public mutating func closes(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                if try readFrame(idleDeadline: deadline) == nil { return true }
            } catch .idleTimedOut {
                return false
            } catch {
                return true
            }
        }
        return false
    }

    /// The next frame; nil when the other side closed cleanly between frames.
    public mutating func readFrame(idleDeadline: Deadline? = nil) throws(ReadError) -> Frame? {
        while true {
            do {
                if let frame = try reader.nextFrame() {
                    frameStarted = nil
                    return frame
                }
            } catch {
                throw .malformed(error)
            }
            // The clock is read only when a started frame must be waited for, not after every
            // `recv`: most reads bring whole frames. A frame left partial behind a returned one
            // starts its deadline when the caller asks for it, not while the caller works.
            if frameStarted == nil && reader.hasPartialFrame { frameStarted = .now }
            let deadline: Deadline? = frameStarted.map { $0 + frameTimeout } ?? idleDeadline
            let count: Int
            do {
                count = try socket.receive(into: buffer, deadline: deadline)
            } catch {
                if case .timedOut = error.kind {
                    throw frameStarted == nil ? .idleTimedOut : .frameTimedOut(bufferedBytes: reader.bufferedByteCount)
                }
                if case .system(let code) = error.kind, code == ECONNRESET, !reader.hasPartialFrame { return nil }
                throw .socket(error)
            }
            if count == 0 {
                if reader.hasPartialFrame { throw .closedMidFrame(bufferedBytes: reader.bufferedByteCount) }
                return nil
            }
            reader.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }
}
