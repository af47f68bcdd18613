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
public struct EndpointError: Error, CustomStringConvertible { public var description: String }
extension Endpoint {
    public init(parsing text: String) throws(EndpointError) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { throw EndpointError(description: "bad") }
        var host = String(text[..<colon]); if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host, port: port)
    }
}
public struct ConfigurationError: Error, CustomStringConvertible { public var description: String }
public struct LoadedConfiguration: Sendable { public var configuration: NodeConfiguration; public var warnings: [String] }
public enum ConfigurationLoader {
    public static func load(path: String) throws(ConfigurationError) -> LoadedConfiguration { throw ConfigurationError(description: "stub") }
    public static func parse(_ text: String, source: String = "<string>", baseDirectory: String? = nil) throws(ConfigurationError) -> LoadedConfiguration {
        LoadedConfiguration(configuration: NodeConfiguration(apiAddress: Endpoint(host: "127.0.0.1", port: 7001), p2pAddress: Endpoint(host: "127.0.0.1", port: 6001)), warnings: [])
    }
    public static let embeddedDefault = ""
}
