import GossipWire

/// Fuzz target: the frame reader fed the same stream in arbitrary chunks.
///
/// Input layout: byte 0 gives the number of chunk sizes `n` (1 to 16); the next `n` bytes are the
/// chunk sizes (1 to 256 each, used in turn); the rest is the stream. Invariants: the frames
/// returned, re-encoded and concatenated, are exactly the prefix of the stream consumed; what is
/// left is what the reader reports as buffered; and feeding the stream in one piece returns the
/// same frames and ends in the same error, if any.
public func fuzzFrameReader(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let sizeCount = Int(first % 16) + 1
    guard input.count > sizeCount else { return }
    let chunkSizes = input[1...sizeCount].map { Int($0) + 1 }
    let stream = Array(input[(sizeCount + 1)...])

    let chunked = readFrames(from: stream, chunkSizes: chunkSizes)
    let whole = readFrames(from: stream, chunkSizes: [max(stream.count, 1)])
    precondition(chunked.frames == whole.frames, "the chunk split changed the frames")
    precondition(chunked.error == whole.error, "the chunk split changed the error")

    let consumed = chunked.frames.flatMap { $0.encoded() }
    precondition(stream.starts(with: consumed), "the frames are not the stream's prefix")
    if chunked.error == nil {
        precondition(chunked.buffered == stream.count - consumed.count, "bytes were lost or duplicated")
    }
}

/// What one pass of a reader over a stream produced.
struct FrameReaderOutcome {
    var frames: [Frame] = []
    var error: WireError?
    /// The reader's buffered byte count at the end.
    var buffered = 0
}

/// Feeds `stream` to a fresh peer reader in chunks of `chunkSizes` (cycled), taking every complete
/// frame after each chunk, until the stream ends or the reader throws.
func readFrames(from stream: [UInt8], chunkSizes: [Int]) -> FrameReaderOutcome {
    var reader = FrameReader(headerRule: .peer)
    var outcome = FrameReaderOutcome()
    var offset = 0
    var chunkIndex = 0
    while offset < stream.count {
        let end = min(stream.count, offset + chunkSizes[chunkIndex % chunkSizes.count])
        // Alternate between the two append overloads: the socket path uses the raw-buffer one.
        if chunkIndex % 2 == 0 {
            reader.append(stream[offset..<end])
        } else {
            // Sound: the pointer is used only inside the closure, while the slice keeps its storage alive.
            stream[offset..<end].withUnsafeBytes { reader.append($0) }
        }
        offset = end
        chunkIndex += 1
        do {
            while let frame = try reader.nextFrame() { outcome.frames.append(frame) }
        } catch {
            outcome.error = error
            break
        }
    }
    outcome.buffered = reader.bufferedByteCount
    return outcome
}
