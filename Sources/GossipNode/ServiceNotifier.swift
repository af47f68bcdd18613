#if canImport(Glibc)
import Glibc
#endif

/// Tells a service manager how the daemon is doing, by systemd's notify protocol (sd_notify(3))
/// without linking libsystemd: one datagram of `KEY=VALUE` lines to the Unix socket named by
/// `NOTIFY_SOCKET`. With `Type=notify`, systemd considers gossipd started on `READY=1` (both
/// listeners are up) and stopping on `STOPPING=1`. Without `NOTIFY_SOCKET` nothing is sent.
public enum ServiceNotifier {
    /// Sends `state` (for example `"READY=1\nSTATUS=serving"`); false if there is no service
    /// manager to tell or the datagram could not be sent.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        guard let value = getenv("NOTIFY_SOCKET") else { return false }
        var path = Array(String(cString: value).utf8)
        guard !path.isEmpty else { return false }
        // "@name" is a socket in the abstract namespace: its address starts with a zero byte.
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.count <= MemoryLayout.size(ofValue: address.sun_path) else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        // Sound: sun_path is a fixed-size C array inside `address`, and `path` fits (checked above).
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            // Sound: sockaddr_un starts with the generic sockaddr header, as sendto(2) expects.
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, generic, length) }
            }
        }
        return sent == message.count
    }
}
