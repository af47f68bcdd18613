import NIOCore
import NIOHTTP1

/// One admin connection: reads one request (within its deadline), answers it
/// from `AdminRoutes`, and closes. A request body is read and dropped (no endpoint takes one).
final class AdminHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: AdminRoutes
    private var head: HTTPRequestHead?
    private var answered = false
    private let limit: TimeAmount
    private var deadline: Scheduled<Void>?

    init(routes: AdminRoutes, deadline: TimeAmount) {
        self.routes = routes
        self.limit = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: limit) {
            channel.close(promise: nil)  // a request that never completes holds nothing for long
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head, !answered else { return }
            answered = true
            switch routes.answer(head, from: context.channel.remoteAddress?.ipAddress ?? "") {
            case .whole(let response):
                respond(context: context, head: head, response)  // the deadline still runs: the answer must be taken too
            case .tap(let types):
                deadline?.cancel()  // a tap's client has AdminTap.stallLimit to keep reading instead
                startTap(context: context, head: head, types: types)
            }
        }
    }

    /// Sends the head of an endless answer (chunked: no length) and hands the channel to a tap.
    private func startTap(context: ChannelHandlerContext, head: HTTPRequestHead, types: Set<UInt16>) {
        let address = AdminServer.clientKey(context.channel.remoteAddress)
        guard routes.taps.enter(address) else {
            routes.refusals.refuse("admin tap refused: too many open", address: address)
            respond(context: context, head: head, AdminRoutes.Response(.serviceUnavailable, "too many taps are open (at most \(AdminTap.maximumTaps), \(AdminTap.maximumTaps / 2) from one address)"))
            return
        }
        let taps = routes.taps
        context.channel.closeFuture.whenComplete { _ in taps.leave(address) }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-ndjson")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        AdminTap.start(on: context.channel, observers: routes.node.itemObservers, types: types)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, _ response: AdminRoutes.Response) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
