import CoreMetrics
import GossipNode
import Logging
import NIOHTTP1
import Prometheus

/// What each admin path answers. The handler (`AdminHTTPHandler`) does the HTTP; this decides.
struct AdminRoutes: Sendable {
    let node: Node
    let registry: PrometheusCollectorRegistry
    let reload: @Sendable () -> AdminServer.ReloadOutcome
    let token: @Sendable () -> String?
    let logger: Logger
    let refusals: Refusals
    /// Taps open now, at most `AdminTap.maximumTaps` (and half of them from one address).
    let taps = AdminSlots(limit: AdminTap.maximumTaps, perAddress: AdminTap.maximumTaps / 2)

    /// Where refused requests are told: a log line at a bounded rate, and a counter.
    struct Refusals: Sendable {
        let log: RateLimitedLogger
        let count: CoreMetrics.Counter

        func refuse(_ message: String, address: String, path: String? = nil) {
            count.increment()
            var metadata: Logger.Metadata = ["remote": "\(address)"]
            if let path { metadata["path"] = "\(path.prefix(64))" }
            log.log(level: .notice, "\(message)", metadata: metadata)
        }
    }

    /// One whole answer.
    struct Response {
        var status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        var body: [UInt8]

        init(_ status: HTTPResponseStatus, _ text: String) {
            self.status = status
            self.body = Array((text + "\n").utf8)
        }

        init(_ status: HTTPResponseStatus, contentType: String, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    static let paths = ["/metrics", "/status", "/ready", "/reload", "/tap"]

    /// What a request asks for: one whole answer, or the tap's stream of items.
    enum Answer {
        case whole(Response)
        /// Start a tap with these types (empty: all).
        case tap(Set<UInt16>)
    }

    func answer(_ head: HTTPRequestHead, from remote: String) -> Answer {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.first == "/tap" else { return .whole(respond(to: head, from: remote)) }
        guard head.method == .GET else { return .whole(methodNotAllowed("GET")) }
        if let refusal = refuseWithoutToken(head, from: remote) { return .whole(refusal) }
        guard node.isReady else { return .whole(Response(.serviceUnavailable, "not running")) }
        var types: Set<UInt16> = []
        for pair in parts.dropFirst().first?.split(separator: "&") ?? [] {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            guard keyValue.first == "type", keyValue.count == 2 else {
                return .whole(Response(.badRequest, "unknown parameter \(pair); /tap takes type=T[,T...]"))
            }
            for text in keyValue[1].split(separator: ",") {
                guard let type = UInt16(text) else { return .whole(Response(.badRequest, "type must be 0 to 65535, got \(text)")) }
                types.insert(type)
            }
        }
        return .tap(types)
    }

    func respond(to head: HTTPRequestHead, from remote: String) -> Response {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let method = head.method
        switch path {
        case "/metrics":
            guard method == .GET || method == .HEAD else { return methodNotAllowed("GET") }
            node.exportMetrics()
            return Response(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
        case "/ready":
            guard method == .GET || method == .HEAD else { return methodNotAllowed("GET") }
            return node.isReady ? Response(.ok, "ready") : Response(.serviceUnavailable, "not ready")
        case "/status":
            guard method == .GET || method == .HEAD else { return methodNotAllowed("GET") }
            if let refusal = refuseWithoutToken(head, from: remote) { return refusal }
            guard let json = node.statusJSON else { return Response(.serviceUnavailable, "not running") }
            return Response(.ok, contentType: "application/json", body: json)
        case "/reload":
            guard method == .POST else { return methodNotAllowed("POST") }
            if let refusal = refuseWithoutToken(head, from: remote) { return refusal }
            let outcome = reload()
            return Response(outcome.loaded ? .ok : .unprocessableEntity, outcome.message)
        default:
            return Response(.notFound, "no such path; try \(Self.paths.joined(separator: ", "))")
        }
    }

    private func methodNotAllowed(_ allowed: String) -> Response {
        Response(.methodNotAllowed, "use \(allowed)")
    }

    /// 401 unless the request carries the API token (when the node has one).
    func refuseWithoutToken(_ head: HTTPRequestHead, from remote: String) -> Response? {
        guard let token = token() else { return nil }
        let offered = head.headers["authorization"].first.flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return String(parts[1])
        }
        if let offered, APIToken.matches(Array(offered.utf8), Array(token.utf8)) { return nil }
        refusals.refuse("admin request refused: no valid token", address: remote, path: head.uri)
        return Response(.unauthorized, "this node has api_token: send it as Authorization: Bearer <token>")
    }
}
