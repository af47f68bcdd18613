#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads the node's INI configuration (parsed by libinih).
public enum ConfigurationLoader {
    /// Reads and parses the file at `path`. A relative `hostkey` is resolved against the file's folder.
    /// With `strict`, the first warning (an unknown key, a misspelt `[gossip]`, ...) is an error.
    public static func load(path: String, strict: Bool = false) throws(ConfigurationError) -> LoadedConfiguration {
        let bytes = try readConfigurationFile(path)
        return try parseBytes(bytes, source: path, baseDirectory: directory(of: path), strict: strict)
    }

    /// Parses configuration text. `source` names it in messages; a relative `hostkey` is resolved
    /// against `baseDirectory`, or against the current directory when it is nil. With `strict`,
    /// the first warning is an error.
    public static func parse(
        _ text: String, source: String = "<string>", baseDirectory: String? = nil, strict: Bool = false
    ) throws(ConfigurationError) -> LoadedConfiguration {
        let bytes = Array(text.utf8)
        if bytes.count > ConfigurationDefaults.maximumFileBytes {
            throw ConfigurationError(file: source, problem: tooLargeProblem(bytes.count))
        }
        return try parseBytes(bytes, source: source, baseDirectory: baseDirectory, strict: strict)
    }

    /// A ready config the daemon uses when started without --config: api 127.0.0.1:7001,
    /// p2p 127.0.0.1:6001, no bootstrapper, no hostkey.
    public static let embeddedDefault: String = """
        ; Built-in configuration of gossipd, used when it is started without --config.
        ; A single node on this machine that starts a network of its own.
        [gossip]
        cache_size = \(ConfigurationDefaults.cacheSize)
        degree = \(ConfigurationDefaults.degree)
        p2p_address = \(ConfigurationDefaults.embeddedP2PAddress)
        api_address = \(ConfigurationDefaults.embeddedAPIAddress)

        """

    // MARK: - Internals

    static func parseBytes(
        _ bytes: [UInt8], source: String, baseDirectory: String?, strict: Bool
    ) throws(ConfigurationError) -> LoadedConfiguration {
        try LibinihParser.parse(bytes, source: source, baseDirectory: baseDirectory, strict: strict).get()
    }

    static func tooLargeProblem(_ size: Int) -> String {
        "file too large (\(size) bytes, the limit is \(ConfigurationDefaults.maximumFileBytes))"
    }

    /// The folder of `path`, or nil when `path` has none (it is then relative to the current directory).
    static func directory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `path` unchanged when absolute or when there is no base, else `base/path`.
    static func resolve(_ path: String, against base: String?) -> String {
        guard !path.hasPrefix("/"), let base, !base.isEmpty else { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// The whole file, or an error naming the file and the reason (strerror text).
    static func readConfigurationFile(
        _ path: String, within timeLimit: Duration = readDeadline
    ) throws(ConfigurationError) -> [UInt8] {
        func fail(_ problem: String) -> ConfigurationError { ConfigurationError(file: path, problem: problem) }
        if path.utf8.contains(0) { throw fail("cannot open file (the path contains a NUL byte)") }
        // O_NONBLOCK: opening a named pipe that nobody writes to would otherwise wait forever,
        // before the node can take a signal. It stays non-blocking: a pipe with a writer
        // (`--config <(...)`) is read to its end, waiting in `poll` while its writer is silent,
        // and one without reads as empty.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 { throw fail("cannot open file (\(errorText(errno)))") }
        defer { close(descriptor) }

        var status = stat()
        if fstat(descriptor, &status) != 0 { throw fail("cannot open file (\(errorText(errno)))") }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw fail("cannot open file (\(errorText(EISDIR)))") }
        let limit = ConfigurationDefaults.maximumFileBytes
        if (status.st_mode & S_IFMT) == S_IFREG && Int(status.st_size) > limit {
            throw fail(tooLargeProblem(Int(status.st_size)))
        }

        // Read at most one byte more than the limit: a file that grew, or a pipe, is still caught.
        // Every read has a deadline: a pipe whose writer never closes must not hold the start (or
        // a reload) for good.
        let deadline = ContinuousClock.now + timeLimit
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count <= limit {
            let wanted = min(chunk.count, limit + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count > 0 {
                bytes.append(contentsOf: chunk[0..<count])
                continue
            }
            if count == 0 { break }
            let code = errno
            if code == EINTR { continue }
            guard code == EAGAIN || code == EWOULDBLOCK else { throw fail("cannot read file (\(errorText(code)))") }
            // A pipe whose writer has not written (or closed) yet: wait for it, up to the deadline.
            let left = deadline - ContinuousClock.now
            let milliseconds = max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            guard milliseconds > 0 else {
                throw fail("cannot read file (no end within \(timeLimit): a pipe whose writer does not close?)")
            }
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&ready, 1, Int32(clamping: milliseconds))  // EINTR or a timeout: the loop looks again
        }
        if bytes.count > limit { throw fail(tooLargeProblem(bytes.count)) }
        if bytes.isEmpty && (status.st_mode & S_IFMT) == S_IFIFO {
            throw fail("cannot read file (a named pipe that nobody had written to when it was opened)")
        }
        return bytes
    }

    /// How long reading the configuration may take in all: a file is read at once; a pipe's writer
    /// must have closed by then.
    static let readDeadline = Duration.seconds(10)

    /// nil when `path` names a readable regular file, else the strerror text of why not.
    static func unreadableReason(_ path: String) -> String? {
        if path.utf8.contains(0) { return "the path contains a NUL byte" }
        // O_NONBLOCK: a named pipe must not hold the start up (nobody may ever write to it).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 { return errorText(errno) }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) != 0 { return errorText(errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR { return errorText(EISDIR) }
        if (status.st_mode & S_IFMT) != S_IFREG { return "not a regular file" }
        return nil
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
