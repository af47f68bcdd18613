// TEMPORARY STUB until the config branch merges.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public init(host: String, port: UInt16) { self.host = host; self.port = port }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
public struct NodeConfiguration: Sendable, Equatable {
    public var hostkeyPath: String?
    public var cacheSize = 50
    public var degree = 30
    public var bootstrappers: [Endpoint] = []
    public var p2pAddress: Endpoint
    public var apiAddress: Endpoint
    public var validationTimeoutMilliseconds = 5000
    public var frameTimeoutMilliseconds = 5000
    public var writeTimeoutMilliseconds = 10000
    public var announceQueueCapacity = 4096
    public var outboxCapacityBytes = 4_194_304
    public var maxAPIConnections = 1024
    public init(apiAddress: Endpoint, p2pAddress: Endpoint) { self.apiAddress = apiAddress; self.p2pAddress = p2pAddress }
}
