import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import GossipSockets

/// A blocking client of a node's admin HTTP endpoints (`admin_address`): one request per
/// connection, on SwiftNIO's HTTP/1.1 codec. `gossip reload` and `gossip tap` use it, and tests.
public struct AdminClient: Sendable {
    public let host: String
    public let port: Int
    /// Sent as `Authorization: Bearer <token>` (the node's `api_token`), if set.
    public var token: String?

    public init(host: String, port: Int, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }

    /// What came back.
    public struct Response: Sendable {
        public var status: Int
        /// The body; empty when the body was handed to `onBody` instead.
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case timedOut(Duration)
        case closedEarly
        case bodyTooLarge(Int)
        /// The connection could not be made: the system's reason ("Connection refused").
        case unreachable(String)
        /// What came back is not HTTP: the address is another port of the node (API or P2P).
        case notHTTP

        public var description: String {
            switch self {
            case .timedOut(let limit): "no complete answer within \(limit)"
            case .closedEarly: "the node closed the connection before answering (is this its admin_address?)"
            case .bodyTooLarge(let limit): "the answer is over \(limit) bytes"
            case .unreachable(let reason): reason
            case .notHTTP: "the answer is not HTTP: is this the node's admin_address? (its API and P2P ports speak the binary protocol)"
            }
        }

        /// The system's words for a failed connect, not NIO's structure.
        static func reason(_ error: any Error) -> String {
            var error = error
            if let failed = error as? NIOConnectionError, let first = failed.connectionErrors.first { error = first.error }
            if let io = error as? IOError, let text = strerror(io.errnoCode) { return String(cString: text) }
            return "\(error)"
        }
    }

    /// The largest body `request` keeps (a `/metrics` page is a few tens of KB).
    public static let maximumBody = 16 << 20

    /// Sends `method path` and waits for the whole answer, at most `timeout` (nil: no limit, for
    /// a stream such as `/tap`). With `onBody`, each piece of a successful (200) answer's body
    /// goes there as it arrives (on the client's thread) instead of into `Response.body`; it
    /// returns false to end the request there. A stream that the node ends is a complete answer.
    public func request(
        _ method: String = "GET", _ path: String, timeout: Duration? = .seconds(10),
        onBody: (@Sendable ([UInt8]) -> Bool)? = nil
    ) throws -> Response {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let promise = group.next().makePromise(of: Response.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, onBody: onBody))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(host: host, port: port).wait()
        } catch {
            promise.fail(error)  // a promise must be completed before it goes
            throw Failure.unreachable(Failure.reason(error))
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "0")
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        if let timeout {
            channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.totalNanoseconds)) {
                promise.fail(Failure.timedOut(timeout))
                channel.close(promise: nil)
            }
        }
        defer { channel.close(promise: nil) }
        return try promise.futureResult.wait()
    }
}

/// Gathers one response, or streams its body to `onBody`.
private final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<AdminClient.Response>
    private let onBody: (@Sendable ([UInt8]) -> Bool)?
    private var response: AdminClient.Response?
    /// Whether the body goes to `onBody` (an answer of 200 with `onBody` set).
    private var streaming = false
    /// Set once `onBody` said stop: parts the decoder still holds are dropped.
    private var finished = false

    init(promise: EventLoopPromise<AdminClient.Response>, onBody: (@Sendable ([UInt8]) -> Bool)?) {
        self.promise = promise
        self.onBody = onBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = AdminClient.Response(status: Int(head.status.code), body: [])
            streaming = onBody != nil && head.status == .ok
        case .body(var buffer):
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            if finished { return }
            if streaming, let onBody, let response {
                if !onBody(bytes) {
                    finished = true
                    promise.succeed(response)
                    context.close(promise: nil)
                }
            } else if (response?.body.count ?? 0) + bytes.count > AdminClient.maximumBody {
                promise.fail(AdminClient.Failure.bodyTooLarge(AdminClient.maximumBody))
                context.close(promise: nil)
            } else {
                response?.body += bytes
            }
        case .end:
            if let response { promise.succeed(response) } else { promise.fail(AdminClient.Failure.closedEarly) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // No effect once the answer is complete. A stream has no end but the connection's.
        if streaming, let response { promise.succeed(response) } else { promise.fail(AdminClient.Failure.closedEarly) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error is HTTPParserError ? AdminClient.Failure.notHTTP : error)
        context.close(promise: nil)
    }
}
