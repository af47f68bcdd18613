#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A point in time after which a blocking call gives up; nil waits forever.
public typealias Deadline = ContinuousClock.Instant

/// A stream socket (TCP, or Unix-domain for the API) with deadline-bounded blocking reads and writes.
///
/// Connected sockets block, but every write and every read with a deadline is made with
/// `MSG_DONTWAIT` and waits in `poll`, so each can carry a deadline; a read without one blocks
/// in `recv` itself: one system call per wake-up instead of three (a `recv` that finds nothing, a
/// `poll`, the `recv` that reads; 36% fewer system calls for a busy node, docs/benchmarks.md).
/// `shutdown()` from another thread wakes a waiting reader or writer either way.
/// The descriptor is closed exactly once, by `close()` or on deinit.
public final class Socket: Sendable {
    public let descriptor: Int32
    /// Guards the descriptor's life: once closed, its number may belong to another socket, so
    /// `shutdown` must never reach it.
    private let isClosed = Mutex<Bool>(false)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close()
    }

    // MARK: Listening and connecting

    /// Binds and listens on `host:port` (port 0 lets the OS choose; see `localPort`).
    public static func listen(host: String, port: UInt16, backlog: Int32 = 512) throws(SocketError) -> Socket {
        var lastError = SocketError("listen on \(host):\(port)", .resolution("no usable address"))
        for address in try resolve(host: host, port: port, passive: true) {
            guard let socket = open(address, error: &lastError) else { continue }
            let fd = socket.descriptor
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = address.withSockAddr { bind(fd, $0, $1) }
            guard bound == 0 else {
                lastError = .system("bind \(host):\(port)")
                continue
            }
            guard Glibc.listen(fd, backlog) == 0 else {
                lastError = .system("listen \(host):\(port)")
                continue
            }
            return socket
        }
        throw lastError
    }

    /// Binds and listens on a Unix-domain socket at `path`, whose file gets `mode` (0600: only this
    /// user may connect). A stale socket file left by an earlier run is replaced; any other file
    /// at `path` is an error. The folder of `path` must be writable (a staging folder is made
    /// there for a moment).
    public static func listen(unixPath path: String, mode: mode_t = 0o600, backlog: Int32 = 512) throws(SocketError) -> Socket {
        guard SocketAddress(unixPath: path) != nil else {
            throw SocketError("listen on \(path)", .resolution("not a usable socket path (empty, or over 107 bytes)"))
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw SocketError("listen on \(path)", .resolution("a file that is not a socket is in the way"))
            }
            // A socket file outlives the process that bound it: replace it only if nobody listens.
            let probe: Result<Socket, SocketError> = Result { () throws(SocketError) in try connect(unixPath: path, deadline: .now + .seconds(1)) }
            switch probe {
            case .success(let other):
                other.close()
                throw SocketError("listen on \(path)", .resolution("another process is listening there"))
            case .failure(let error) where error.kind == .system(ECONNREFUSED):
                unlink(path)
            case .failure(let error):
                throw error
            }
        }
        // Bound first in a private folder (0700) beside `path`, given `mode`, then moved into
        // place: nobody can connect before the mode is set, and no process-wide umask is touched.
        let slash = path.lastIndex(of: "/")
        let parent = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        guard parent.utf8.count + "/.gsXXXXXX/s".utf8.count <= 107 else {
            throw SocketError("listen on \(path)", .resolution("its folder's path is too long to stage the socket in (at most 95 bytes)"))
        }
        var template = Array("\(parent)/.gsXXXXXX".utf8CString)
        guard let folder = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) else {
            throw .system("mkdtemp beside \(path)")
        }
        defer { rmdir(folder) }
        let staging = folder + "/s"
        guard let stagingAddress = SocketAddress(unixPath: staging) else {
            throw SocketError("listen on \(path)", .resolution("the socket path is too long"))
        }
        var lastError = SocketError("listen on \(path)", .resolution("no socket"))
        guard let socket = open(stagingAddress, error: &lastError) else { throw lastError }
        guard stagingAddress.withSockAddr({ bind(socket.descriptor, $0, $1) }) == 0 else { throw .system("bind \(path)") }
        guard chmod(staging, mode) == 0 else {
            let error = SocketError.system("chmod \(path)")
            unlink(staging)
            throw error
        }
        guard rename(staging, path) == 0 else {
            let error = SocketError.system("rename into \(path)")
            unlink(staging)
            throw error
        }
        guard Glibc.listen(socket.descriptor, backlog) == 0 else { throw .system("listen \(path)") }
        return socket
    }

    /// Connects to the Unix-domain socket at `path`.
    public static func connect(unixPath path: String, deadline: Deadline) throws(SocketError) -> Socket {
        guard let address = SocketAddress(unixPath: path) else {
            throw SocketError("connect \(path)", .resolution("not a usable socket path (empty, or over 107 bytes)"))
        }
        var lastError = SocketError("connect \(path)", .resolution("no socket"))
        guard let socket = open(address, error: &lastError) else { throw lastError }
        socket.configureConnected()
        socket.setNonBlocking(true)  // for the connect's deadline
        let result = address.withSockAddr { Glibc.connect(socket.descriptor, $0, $1) }
        if result != 0 {
            // A Unix-domain connect does not go on in the background: EAGAIN means the listener's
            // backlog is full and nothing was connected, so it fails like any other error.
            guard errno == EINPROGRESS else { throw .system("connect \(path)") }
            try socket.wait(for: Int16(POLLOUT), until: deadline, operation: "connect \(path)")
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socket.descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
            guard code == 0 else { throw SocketError("connect \(path)", .system(code)) }
        }
        socket.setNonBlocking(false)
        return socket
    }

    /// Connects to `host:port`, trying each resolved address until one answers before `deadline`.
    public static func connect(host: String, port: UInt16, deadline: Deadline) throws(SocketError) -> Socket {
        var lastError = SocketError("connect \(host):\(port)", .resolution("no usable address"))
        for address in try resolve(host: host, port: port, passive: false) {
            guard let socket = open(address, error: &lastError) else { continue }
            let fd = socket.descriptor
            socket.configureConnected()
            socket.setNonBlocking(true)  // for the connect's deadline
            let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
            if result == 0 {
                socket.setNonBlocking(false)
                return socket
            }
            guard errno == EINPROGRESS else {
                lastError = .system("connect \(host):\(port)")
                continue
            }
            do {
                try socket.wait(for: Int16(POLLOUT), until: deadline, operation: "connect \(host):\(port)")
            } catch {
                lastError = error
                continue
            }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            if code == 0 {
                socket.setNonBlocking(false)
                return socket
            }
            lastError = SocketError("connect \(host):\(port)", .system(code))
        }
        throw lastError
    }

    /// A new TCP socket of `address`'s family, or nil with `error` set.
    private static func open(_ address: SocketAddress, error: inout SocketError) -> Socket? {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            error = .system("socket")
            return nil
        }
        return Socket(descriptor: fd)
    }

    /// Waits for the next connection; throws once the listener is shut down.
    public func accept() throws(SocketError) -> Socket {
        while true {
            let fd = Glibc.accept(descriptor, nil, nil)
            if fd >= 0 {
                let socket = Socket(descriptor: fd)
                socket.configureConnected()
                return socket
            }
            // Transient failures (a client that reset before we accepted, signals) do not stop the listener.
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: throw .system("accept (resources)")
            default: throw .system("accept")
            }
        }
    }

    /// Sets or clears `O_NONBLOCK`: set only while a connect is under way (its deadline is kept
    /// in `poll`); every later call that must not block says so with `MSG_DONTWAIT`.
    private func setNonBlocking(_ on: Bool) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    private func configureConnected() {
        var one: Int32 = 1
        // On a Unix-domain socket this fails harmlessly: there is no Nagle to turn off.
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Reading and writing

    /// Reads what is available into `buffer`, waiting until `deadline` (nil: forever) for at least one
    /// byte. Returns 0 when the other side closed.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline?) throws(SocketError) -> Int {
        // Without a deadline, `recv` itself waits (the socket blocks); with one, it must not, and
        // `poll` waits until the deadline.
        let flags = deadline == nil ? Int32(0) : Int32(MSG_DONTWAIT)
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, flags)
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), until: deadline, operation: "read")
            default: throw .system("read")
            }
        }
    }

    /// Writes all of `bytes`, waiting until `deadline` (nil: forever) whenever the peer's window is full.
    public func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline?) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a closed peer must give EPIPE here, not kill the process with SIGPIPE.
            // MSG_DONTWAIT: a full send buffer waits in `poll`, within the deadline.
            let count = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            if count > 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), until: deadline, operation: "write")
            case EPIPE, ECONNRESET: throw SocketError("write", .closed)
            default: throw .system("write")
            }
        }
    }

    /// Reads what has arrived into `buffer`, without waiting: the bytes read, 0 when the other
    /// side closed, nil when nothing has arrived yet (for a caller that waits elsewhere, in epoll).
    public func receiveAvailable(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int? {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw .system("read")
            }
        }
    }

    /// Writes what the kernel takes right now, without waiting: returns the bytes written (0 when
    /// the send buffer is full).
    public func sendAvailable(_ bytes: UnsafeRawBufferPointer) throws(SocketError) -> Int {
        guard !bytes.isEmpty else { return 0 }
        while true {
            let count = Glibc.send(descriptor, bytes.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            case EPIPE, ECONNRESET: throw SocketError("write", .closed)
            default: throw .system("write")
            }
        }
    }

    /// Writes all of `bytes`; see `send(_:deadline:)`.
    public func send(_ bytes: [UInt8], deadline: Deadline?) throws(SocketError) {
        do {
            try bytes.withUnsafeBytes { buffer in try self.send(buffer, deadline: deadline) }
        } catch let error as SocketError {
            throw error
        } catch {
            throw SocketError("write", .closed)
        }
    }

    private func wait(for events: Int16, until deadline: Deadline?, operation: String) throws(SocketError) {
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - .now
                if left <= .zero { throw SocketError(operation, .timedOut) }
                let (seconds, attoseconds) = left.components
                let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeout = Int32(clamping: milliseconds)
            }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, timeout)
            if ready > 0 { return }  // readable, writable, or an error/hang-up the next call will report
            if ready < 0 && errno != EINTR { throw .system("poll") }
        }
    }

    // MARK: Lifecycle

    /// Wakes every thread blocked on this socket and ends both directions; the descriptor stays
    /// open. Does nothing once the socket is closed.
    public func shutdown() {
        isClosed.withLock { closed in
            if !closed { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }

    /// Ends our direction only: the peer reads what was sent, then end of stream. Reading goes on.
    public func shutdownWrite() {
        isClosed.withLock { closed in
            if !closed { _ = Glibc.shutdown(descriptor, Int32(SHUT_WR)) }
        }
    }

    /// Reads and drops whatever arrives until the peer closes, the socket fails or `deadline`
    /// passes. Closing a socket with unread input makes the kernel send a reset, which can destroy
    /// data we sent last; draining first avoids that.
    public func discardInput(until deadline: Deadline) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = scratch.withUnsafeMutableBytes { buffer in (try? receive(into: buffer, deadline: deadline)) ?? 0 }
            if count == 0 { return }
        }
    }

    /// Closes the descriptor (once).
    public func close() {
        isClosed.withLock { closed in
            guard !closed else { return }
            closed = true
            _ = Glibc.close(descriptor)
        }
    }

    // MARK: Addresses

    /// The port this socket is bound to.
    public var localPort: UInt16 {
        address(using: getsockname)?.port ?? 0
    }

    /// The other side's numeric host, without brackets or port.
    public var remoteHost: String {
        address(using: getpeername)?.hostAndPort.host ?? ""
    }

    /// The other side's address as "host:port" ("[v6]:port" for IPv6).
    public var remoteDescription: String {
        address(using: getpeername)?.description ?? "unknown"
    }

    private func address(
        using call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // Sound: sockaddr_storage is large and aligned enough for any sockaddr the kernel writes.
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        return SocketAddress(storage: storage, length: length)
    }
}
