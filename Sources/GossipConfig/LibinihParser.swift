import CInih
import Synchronization
import GossipWire

/// The bridge to libinih. libinih does all the INI parsing; this file feeds it lines and
/// interprets the (section, key, value) triples it reports.
///
/// libinih's handler has no line number (INI_HANDLER_LINENO is a compile-time option and
/// Debian builds it off), and libinih 55 with its 200-byte stack buffer reads a longer line in
/// pieces, parsing each later piece as a line of its own (so a long comment could end in
/// `degree = 5` and set it, and every later line number would be off). So the text goes
/// through `ini_parse_stream` with a reader that hands libinih one physical line at a time:
/// the reader counts the lines (the handler runs for a line before the next one is read, so
/// the count is the handler's line), refuses over-long lines and NUL bytes, and stops.
enum LibinihParser {
    /// libinih's options are process-wide globals: every parse holds this lock.
    private static let lock = Mutex<Void>(())

    static func parse(
        _ bytes: [UInt8], source: String, baseDirectory: String?, strict: Bool
    ) -> Result<LoadedConfiguration, ConfigurationError> {
        lock.withLock { _ in
            let saved = (
                multiline: gossip_ini_get_allow_multiline(),
                inlineComments: gossip_ini_get_allow_inline_comments(),
                stopOnFirstError: gossip_ini_get_stop_on_first_error(),
                noValue: gossip_ini_get_allow_no_value(),
                bom: gossip_ini_get_allow_bom()
            )
            // Multiline off: an indented line is a key of its own, never a continuation of the one
            // before, so a repeated key always reaches the handler as a duplicate.
            gossip_ini_set_allow_multiline(false)
            gossip_ini_set_allow_inline_comments(true)
            gossip_ini_set_stop_on_first_error(true)
            gossip_ini_set_allow_no_value(false)
            gossip_ini_set_allow_bom(true)
            defer {
                gossip_ini_set_allow_multiline(saved.multiline)
                gossip_ini_set_allow_inline_comments(saved.inlineComments)
                gossip_ini_set_stop_on_first_error(saved.stopOnFirstError)
                gossip_ini_set_allow_no_value(saved.noValue)
                gossip_ini_set_allow_bom(saved.bom)
            }

            let context = ParseContext(bytes: bytes, source: source, baseDirectory: baseDirectory, strict: strict)
            let status = withExtendedLifetime(context) {
                let pointer = Unmanaged.passUnretained(context).toOpaque()
                return ini_parse_stream(
                    { buffer, size, stream in
                        guard let buffer, let stream else { return nil }
                        let context = Unmanaged<ParseContext>.fromOpaque(stream).takeUnretainedValue()
                        return context.readLine(into: buffer, capacity: Int(size))
                    },
                    pointer,
                    { user, section, name, value in
                        guard let user else { return 0 }
                        let context = Unmanaged<ParseContext>.fromOpaque(user).takeUnretainedValue()
                        return context.handle(section: section, name: name, value: value) ? 1 : 0
                    },
                    pointer
                )
            }
            return context.finish(status: status)
        }
    }
}

/// The state of one parse, reached from the C callbacks through libinih's `user` pointer.
private final class ParseContext {
    let bytes: [UInt8]
    let source: String
    let baseDirectory: String?
    /// Whether a warning is an error.
    let strict: Bool

    /// Where the reader continues.
    var position = 0
    /// The number of the line most recently handed to libinih (1-based).
    var line = 0
    /// The first error; once set, the reader stops and the handler refuses everything.
    var failure: ConfigurationError?
    /// The line of the latest `[section]` header (0 before the first): the one the handler's
    /// section comes from, as multi-line values are off.
    var sectionLine = 0
    /// The header line whose section name was last checked for a misspelt `[gossip]`.
    var checkedSectionLine = -1
    /// The first section that looks like a misspelt `[gossip]`, and its header line.
    var misspeltGossipSection: (name: String, line: Int)?

    var configuration = NodeConfiguration(
        apiAddress: Endpoint(host: "", port: 0), p2pAddress: Endpoint(host: "", port: 0))
    /// The line each key was set on.
    var seen: [ConfigurationKey: Int] = [:]
    var warnings: [String] = []
    /// Warnings beyond `ConfigurationDefaults.maximumWarnings`, counted but not kept.
    var warningsLeftOut = 0

    init(bytes: [UInt8], source: String, baseDirectory: String?, strict: Bool) {
        self.bytes = bytes
        self.source = source
        self.baseDirectory = baseDirectory
        self.strict = strict
    }

    // MARK: Reader

    /// libinih's reader: copies the next physical line (without a trailing "\r") and "\n"
    /// into `buffer`; nil at the end, or to stop after an over-long line or a NUL byte.
    func readLine(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> UnsafeMutablePointer<CChar>? {
        guard failure == nil, position < bytes.count else { return nil }
        let start = position
        let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
        var end = newline ?? bytes.count
        position = newline.map { $0 + 1 } ?? bytes.count
        line += 1
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if startsSection(bytes[start..<end]) { sectionLine = line }

        if bytes[start..<end].contains(0) {
            fail(section: nil, key: nil, "contains a NUL byte (is this a text file?)")
            return nil
        }
        let limit = min(ConfigurationDefaults.maximumLineBytes, capacity - 2)
        if end - start > limit {
            fail(section: nil, key: nil, "line longer than \(limit) bytes")
            return nil
        }
        bytes.withUnsafeBufferPointer { source in
            for offset in 0..<(end - start) {
                buffer[offset] = CChar(bitPattern: source[start + offset])
            }
        }
        buffer[end - start] = CChar(bitPattern: UInt8(ascii: "\n"))
        buffer[end - start + 1] = 0
        return buffer
    }

    /// Whether libinih takes `text` for a `[section]` header: its first byte that is not
    /// whitespace (nor, on line 1, the byte order mark) is `[`.
    func startsSection(_ text: ArraySlice<UInt8>) -> Bool {
        var text = text
        if line == 1 && text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        let first = text.first { !(($0 >= 9 && $0 <= 13) || $0 == UInt8(ascii: " ")) }
        return first == UInt8(ascii: "[")
    }

    // MARK: Handler

    /// libinih's handler for one `name = value` on line `line`; false records an error.
    func handle(
        section sectionPointer: UnsafePointer<CChar>?, name namePointer: UnsafePointer<CChar>?,
        value valuePointer: UnsafePointer<CChar>?
    ) -> Bool {
        guard failure == nil else { return false }
        guard let namePointer, let valuePointer else { return true }

        // Sections other than [gossip] and [global] belong to other modules: ignored, whatever
        // they hold, unless the name looks like a misspelt [gossip].
        let placement: ConfigurationPlacement
        let section: String?
        if let sectionPointer, sectionPointer.pointee != 0 {
            guard let text = String(validatingCString: sectionPointer) else { return true }
            switch trimmed(text).lowercased() {
            case "": (placement, section) = (.topLevel, nil)
            case "gossip": (placement, section) = (.gossip, "gossip")
            case "global": (placement, section) = (.global, "global")
            case let other:
                checkOtherSection(other)
                return failure == nil
            }
        } else {
            (placement, section) = (.topLevel, nil)
        }

        guard let rawName = String(validatingCString: namePointer) else {
            if placement == .gossip {
                fail(section: section, key: nil, "key name is not valid UTF-8")
                return false
            }
            return true
        }
        let name = trimmed(rawName).lowercased()
        if name.isEmpty {
            fail(section: section, key: nil, "malformed line (no key before '=')")
            return false
        }
        guard let key = ConfigurationKey(rawValue: name) else {
            // Top level and [global] are shared with other modules: their keys are not ours to judge.
            if placement == .gossip {
                warn(section: section, key: name, "unknown key", consequence: "ignored") {
                    Misspelling.key(for: name).map { "did you mean `\($0.name)`?" }
                }
            }
            return failure == nil
        }
        guard key.placements.contains(placement) else {
            warn(section: section, key: name, "belongs in [gossip]", consequence: "ignored here")
            return failure == nil
        }
        if let first = seen[key] {
            fail(section: section, key: name, "duplicate key (first set on line \(first))")
            return false
        }
        seen[key] = line
        guard let rawValue = String(validatingCString: valuePointer) else {
            fail(section: section, key: name, "value is not valid UTF-8")
            return false
        }
        return apply(trimmed(rawValue), to: key, section: section)
    }

    /// Warns, once for each header, when another module's section `name` looks like a misspelt
    /// `[gossip]` (`[gosip]`, `[gossips]`): its keys, meant for this node, are ignored. The
    /// check runs at the section's first key, so an empty section is never warned about.
    func checkOtherSection(_ name: String) {
        guard sectionLine != checkedSectionLine else { return }
        checkedSectionLine = sectionLine
        guard Misspelling.isGossipSection(name) else { return }
        if misspeltGossipSection == nil { misspeltGossipSection = (name, sectionLine) }
        warn(
            line: sectionLine, section: name, key: nil, "unknown section", consequence: "its keys are ignored",
            hint: { "did you mean [gossip]?" })
    }

    /// Checks `value` and stores it; false (with `failure` set) when it is not acceptable.
    func apply(_ value: String, to key: ConfigurationKey, section: String?) -> Bool {
        func reject(_ problem: String) -> Bool {
            fail(section: section, key: key.name, problem)
            return false
        }
        if let range = key.integerRange, let field = key.integerField {
            if value.isEmpty { return reject("empty value") }
            guard value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let number = Int(value, radix: 10), range.contains(number)
            else {
                return reject(
                    "must be an integer from \(range.lowerBound) to \(range.upperBound), got \(quotedForMessage(value))")
            }
            configuration[keyPath: field] = number
            return true
        }
        switch key {
        case .hostkey:
            // `hostkey =` means none, as `bootstrapper =` does.
            if value.isEmpty {
                configuration.hostkeyPath = nil
                return true
            }
            let path = ConfigurationLoader.resolve(value, against: baseDirectory)
            if let reason = ConfigurationLoader.unreadableReason(path) {
                return reject("cannot read \(quotedForMessage(path, limit: 400)) (\(reason))")
            }
            configuration.hostkeyPath = path
        case .apiAllow:
            var networks: [NetworkPrefix] = []
            for part in value.split(separator: ",") {
                let text = trimmed(String(part))
                guard !text.isEmpty else { continue }
                guard let network = NetworkPrefix(text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text) else {
                    return reject("not a network (address or address/length), got \(quotedForMessage(text))")
                }
                networks.append(network)
            }
            configuration.apiAllow = networks
        case .apiToken:
            if value.isEmpty {
                configuration.apiToken = nil
                return true
            }
            guard (16...255).contains(value.utf8.count), !value.contains(where: \.isWhitespace) else {
                return reject("a token is 16 to 255 bytes without spaces")
            }
            configuration.apiToken = value
        case .recordFile:
            configuration.recordPath = value.isEmpty ? nil : ConfigurationLoader.resolve(value, against: baseDirectory)
        case .profile:
            guard let profile = NetworkProfile(rawValue: value.lowercased()) else {
                return reject(
                    "must be one of \(NetworkProfile.allCases.map(\.rawValue).joined(separator: ", ")), got \(quotedForMessage(value))")
            }
            configuration.profile = profile
        case .apiSocket:
            if value.isEmpty {
                configuration.apiSocketPath = nil
                return true
            }
            let path = ConfigurationLoader.resolve(value, against: baseDirectory)
            guard path.utf8.count <= 107 else { return reject("a socket path is at most 107 bytes, got \(path.utf8.count)") }
            // The node binds the socket in a folder beside it first (`Socket.listen(unixPath:)`),
            // whose own path must fit too.
            let folder = path.lastIndex(of: "/").map { path[..<$0] } ?? "."
            guard folder.utf8.count <= 95 else {
                return reject("a socket's folder is at most 95 bytes (the node binds it in a folder beside it first), got \(folder.utf8.count)")
            }
            configuration.apiSocketPath = path
        case .adminAddress:
            if value.isEmpty {
                configuration.adminAddress = nil
                return true
            }
            do {
                configuration.adminAddress = try Endpoint(parsing: value)
            } catch {
                return reject("\(error.reason), got \(quotedForMessage(value))")
            }
        case .logLevel:
            let level = value.lowercased()
            guard ConfigurationDefaults.logLevels.contains(level) else {
                return reject(
                    "must be one of \(ConfigurationDefaults.logLevels.joined(separator: ", ")), got \(quotedForMessage(value))")
            }
            configuration.logLevel = level
        case .p2pAddress, .apiAddress:
            if value.isEmpty { return reject("empty value") }
            let endpoint: Endpoint
            do {
                endpoint = try Endpoint(parsing: value)
            } catch {
                return reject("\(error.reason), got \(quotedForMessage(value))")
            }
            if key == .p2pAddress { configuration.p2pAddress = endpoint } else { configuration.apiAddress = endpoint }
        case .bootstrapper:
            var list: [Endpoint] = []
            if !value.isEmpty {
                for (index, item) in value.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                    let entry = trimmed(String(item))
                    if entry.isEmpty { return reject("entry \(index + 1) of the list is empty") }
                    let endpoint: Endpoint
                    do {
                        endpoint = try Endpoint(parsing: entry)
                    } catch {
                        return reject("\(error.reason), got \(quotedForMessage(entry))")
                    }
                    if endpoint.port == 0 {
                        return reject("a bootstrapper needs a port from 1 to 65535, got \(quotedForMessage(entry))")
                    }
                    if list.contains(endpoint) {
                        warn(
                            section: section, key: key.name, "\(endpoint) is listed twice",
                            consequence: "the repeat is ignored")
                        if failure != nil { return false }
                    } else {
                        list.append(endpoint)
                    }
                }
            }
            configuration.bootstrappers = list
        default:
            return reject("internal error: no rule for this key")
        }
        return true
    }

    // MARK: Result

    func finish(status: Int32) -> Result<LoadedConfiguration, ConfigurationError> {
        if let failure { return .failure(failure) }
        switch status {
        case 0:
            break
        case 1...:
            return .failure(
                ConfigurationError(
                    file: source, line: Int(status),
                    problem: "malformed line (expected 'key = value', '[section]' or a comment)"))
        case -2:
            return .failure(ConfigurationError(file: source, problem: "out of memory while parsing"))
        default:
            return .failure(ConfigurationError(file: source, problem: "cannot open file (libinih status \(status))"))
        }
        for key in ConfigurationKey.allCases where key.isRequired && seen[key] == nil {
            var problem = "missing (required)"
            if let (name, line) = misspeltGossipSection {
                problem = "missing (required; is [\(name)] on line \(line) meant to be [gossip]?)"
            }
            return .failure(ConfigurationError(file: source, section: "gossip", key: key.name, problem: problem))
        }
        // The profile's defaults, where the file set no value of its own (wherever the line stood).
        configuration.profile.apply(to: &configuration, except: { seen[$0] != nil })
        if let (key, problem) = configuration.inconsistency {
            // Name the profile only where one of the two keys the check compares came from it.
            let profiled =
                configuration.profile != .lan && key == .pingIntervalMilliseconds
                && (seen[.pingIntervalMilliseconds] == nil || seen[.peerTimeoutMilliseconds] == nil)
            let fromProfile = profiled ? " (profile \(configuration.profile.rawValue) sets the timing keys the file leaves out)" : ""
            return .failure(ConfigurationError(file: source, section: "gossip", key: key.name, problem: problem + fromProfile))
        }
        if warningsLeftOut > 0 {
            warnings.append(
                formatMessage(
                    file: source, line: nil, section: nil, key: nil,
                    problem: "\(warningsLeftOut) more warnings not shown"))
        }
        return .success(LoadedConfiguration(configuration: configuration, warnings: warnings))
    }

    // MARK: Helpers

    func fail(line: Int? = nil, section: String?, key: String?, _ problem: String) {
        if failure == nil {
            failure = ConfigurationError(
                file: source, line: line ?? self.line, section: section, key: key, problem: problem)
        }
    }

    /// Records the warning `problem, consequence (hint)`, on `line` or the current one. In
    /// strict mode it is the error `problem, refused in strict mode (hint)` instead. `hint` is
    /// only worked out for a warning that is kept.
    func warn(
        line: Int? = nil, section: String?, key: String?, _ problem: String, consequence: String,
        hint: () -> String? = { nil }
    ) {
        if !strict && warnings.count == ConfigurationDefaults.maximumWarnings {
            warningsLeftOut += 1
            return
        }
        let suffix = hint().map { " (\($0))" } ?? ""
        if strict {
            fail(line: line, section: section, key: key, "\(problem), refused in strict mode" + suffix)
            return
        }
        let text = "\(problem), \(consequence)" + suffix
        warnings.append(formatMessage(file: source, line: line ?? self.line, section: section, key: key, problem: text))
    }
}

/// `text` without leading and trailing whitespace.
private func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
}
