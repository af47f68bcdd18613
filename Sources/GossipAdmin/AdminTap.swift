import GossipCore
import GossipNode
import GossipWire
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials  // JSONEncoder; not Foundation (the daemon links FoundationEssentials only)
#else
import Foundation
#endif

/// One `/tap` stream: the items passing through the node, one JSON line each (`ItemTapLine`),
/// until the client goes away.
///
/// The tap is an observer (`ItemObservers`) with a bounded queue of its own, drained on the admin
/// event loop every `pollInterval`: it never blocks the node, and a tap that falls behind skips
/// items (and says how many in its next line) rather than slow anyone. While the client does not
/// read, nothing more is written to it (the channel's writability); a client that has not read
/// for `stallLimit` is cut off.
public enum AdminTap {
    /// Taps open at once; one more is refused (503).
    public static let maximumTaps = 4
    /// Items a tap may hold before it skips.
    public static let capacity = 4096
    /// Bytes of item data a tap may hold before it skips.
    public static let maximumBytes = 4 << 20
    static let pollInterval: TimeAmount = .milliseconds(20)
    /// A client that takes nothing for this long is cut off.
    public static let stallLimit: Duration = .seconds(10)

    /// Starts streaming on `channel`, whose response head has gone out; `types` empty: every type.
    static func start(on channel: any Channel, observers: ItemObservers, types: Set<UInt16>) {
        var filter: (@Sendable (ItemObservation) -> Bool)?
        if !types.isEmpty { filter = { types.contains($0.dataType) } }
        let observer = observers.attach(capacity: capacity, maximumBytes: maximumBytes, filter: filter)
        let state = NIOLoopBoundBox(TapState(), eventLoop: channel.eventLoop)
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: pollInterval, delay: pollInterval) { task in
            poll(channel, observer: observer, state: state, task: task)
        }
        channel.closeFuture.whenComplete { _ in
            task.cancel()
            observers.detach(observer)
        }
    }

    /// One round on the event loop: what the observer holds goes out, if the client is reading.
    private static func poll(_ channel: any Channel, observer: ItemObserver, state: NIOLoopBoundBox<TapState>, task: RepeatedTask) {
        guard channel.isActive else {
            task.cancel()
            return
        }
        guard channel.isWritable else {
            // The client is not reading: hold nothing more for it, and cut it off in the end.
            if state.value.stalledSince(.now) > stallLimit { channel.close(promise: nil) }
            return
        }
        state.value.resume()
        let batch = observer.nextBatch(maximum: 256, timeout: Duration.zero)
        guard !batch.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: batch.count * 160)
        for item in batch { buffer.writeBytes(line(item, encoder: state.value.encoder)) }
        channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }

    /// A JSON encoder as the tap's lines want it (snake case, keys sorted).
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// One JSON line for `item`.
    static func line(_ item: ObservedItem, encoder: JSONEncoder) -> [UInt8] {
        let observation = item.observation
        let from: String
        switch observation.source {
        case .local(let connection): from = "\(connection)"
        case .peer(let link): from = "\(link)"
        }
        let line = ItemTapLine(
            timeNs: item.unixNanoseconds, item: "\(observation.id)", outcome: "\(observation.outcome)", from: from,
            peer: observation.peer.map { "\($0)" }, type: observation.dataType, size: observation.data.count, ttl: observation.ttl,
            skipped: item.skippedBefore)
        return ((try? encoder.encode(line)).map(Array.init) ?? Array("{}".utf8)) + [UInt8(ascii: "\n")]
    }
}

/// What one tap remembers between polls (kept in a `NIOLoopBoundBox`: its event loop only).
struct TapState {
    private var stalled: ContinuousClock.Instant?
    /// One per tap, reused for every line.
    let encoder = AdminTap.makeEncoder()

    /// How long the client has not been taking what is written.
    mutating func stalledSince(_ now: ContinuousClock.Instant) -> Duration {
        if stalled == nil { stalled = now }
        return now - stalled!
    }

    mutating func resume() { stalled = nil }
}
