import Dispatch
import GossipSockets
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening socket and the thread that accepts on it, shared by the API and P2P servers.
/// Running out of descriptors or memory pauses accepting briefly instead of ending it.
final class AcceptLoop: Sendable {
    let listener: Socket
    private let name: String
    private let context: NodeContext
    private let onAccept: @Sendable (Socket) -> Void
    private let done = DispatchSemaphore(value: 0)
    private let isStopped = Atomic<Bool>(false)

    init(listener: Socket, name: String, context: NodeContext, onAccept: @escaping @Sendable (Socket) -> Void) {
        self.listener = listener
        self.name = name
        self.context = context
        self.onAccept = onAccept
    }

    var port: UInt16 { listener.localPort }

    func start() {
        startThread(name: name) { [self] in
            run()
            done.signal()
        }
    }

    /// Stops accepting and waits for the thread; connections already accepted are the caller's.
    func stop() {
        guard !isStopped.exchange(true, ordering: .acquiringAndReleasing) else { return }  // once
        listener.shutdown()
        done.wait()
        listener.close()
    }

    private func run() {
        while true {
            do {
                onAccept(try listener.accept())
            } catch {
                guard case .system(let code) = error.kind, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) else {
                    return  // the listener was shut down
                }
                context.abuseLog.log(level: .warning, "\(name): accept failed: \(error); retrying shortly")
                usleep(50_000)
            }
        }
    }
}

extension Connection {
    /// Closes the connection for what went wrong while reading it; a clean close, a reset or our
    /// own shutdown is nobody's fault and is not counted.
    func terminate(for error: FrameStream.ReadError) {
        switch error {
        case .malformed(let wireError): terminate(wireError.closeReason, detail: "\(wireError)")
        case .frameTimedOut(let buffered): terminate(.frameTimeout, detail: "\(buffered) bytes of a frame, then silence")
        case .closedMidFrame(let buffered): terminate(.closedMidFrame, detail: "closed after \(buffered) bytes of a frame")
        case .idleTimedOut, .socket: break
        }
    }
}
