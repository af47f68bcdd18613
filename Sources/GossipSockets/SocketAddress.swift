#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A resolved IPv4 or IPv6 socket address.
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// The address of a Unix-domain socket at `path`; nil if the path is empty or too long for
    /// `sockaddr_un` (107 bytes on Linux).
    public init?(unixPath path: String) {
        let bytes = Array(path.utf8)
        var address = sockaddr_un()
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        // Sound: sun_path is a fixed-size C array inside `address`; `bytes` and its terminating
        // zero fit (checked above).
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        var storage = sockaddr_storage()
        // Sound: sockaddr_un fits in sockaddr_storage, which is large enough for every sockaddr.
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: &address) { target.copyMemory(from: $0) }
        }
        self.init(storage: storage, length: socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1))
    }

    /// Whether this is a Unix-domain socket address.
    public var isUnix: Bool { family == AF_UNIX }

    /// Calls `body` with this address as the C API wants it.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = storage
        // Sound: sockaddr_storage is layout-compatible with every sockaddr_* and outlives the call.
        return withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// The numeric host and port.
    public var hostAndPort: (host: String, port: UInt16) {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let result = withSockAddr { address, length in
            getnameinfo(address, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                        NI_NUMERICHOST | NI_NUMERICSERV)
        }
        guard result == 0 else { return ("?", 0) }
        let hostString = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let serviceString = service.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (hostString, UInt16(serviceString) ?? 0)
    }

    public var port: UInt16 { hostAndPort.port }

    /// The IPv4 or IPv6 address bytes: 4 or 16 of them.
    public var addressBytes: [UInt8] {
        var copy = storage
        // Sound: the family tag says which sockaddr_* the storage holds.
        return withUnsafeBytes(of: &copy) { raw in
            if family == AF_INET {
                let offset = MemoryLayout<sockaddr_in>.offset(of: \sockaddr_in.sin_addr)!
                return Array(raw[offset..<offset + 4])
            } else {
                let offset = MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!
                return Array(raw[offset..<offset + 16])
            }
        }
    }

    public var description: String {
        if isUnix { return "unix socket" }  // a client's end has no path of its own
        let (host, port) = hostAndPort
        return family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Resolves a host name or numeric address to the socket addresses to try, in the resolver's order.
public func resolve(host: String, port: UInt16, passive: Bool) throws(SocketError) -> [SocketAddress] {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let first = list else {
        throw SocketError("resolve \(host)", .resolution(String(cString: gai_strerror(status))))
    }
    defer { freeaddrinfo(list) }
    var addresses: [SocketAddress] = []
    var cursor: UnsafeMutablePointer<addrinfo>? = first
    while let entry = cursor {
        if let address = entry.pointee.ai_addr, entry.pointee.ai_addrlen <= MemoryLayout<sockaddr_storage>.size {
            var storage = sockaddr_storage()
            // Sound: ai_addrlen bytes were checked to fit in sockaddr_storage.
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen)))
            }
            addresses.append(SocketAddress(storage: storage, length: entry.pointee.ai_addrlen))
        }
        cursor = entry.pointee.ai_next
    }
    return addresses
}
