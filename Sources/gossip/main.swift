import ArgumentParser
import Foundation
import GossipClient
import GossipConfig
import GossipIdentity
import GossipWire

struct GossipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip",
        abstract: "Talk to a gossip node's API: subscribe to a data type, announce an item, or replay a recording.",
        discussion: """
            Results (items, status JSON, identities) go to standard output; what gossip says about its \
            work, and errors, to standard error.

            Exit status:
              0   done
              1   failed: the node is unreachable, closed, or a P2P port; a file error;
                  announce data from a file or input that cannot be one item
              64  usage error: a bad option or value, no data for announce at a terminal
            Ctrl-C ends subscribe by the signal (the shell shows 130).

            Shell completions: gossip --generate-completion-script bash|zsh|fish
            """,
        version: GossipVersion.text,
        subcommands: [Subscribe.self, Announce.self, Replay.self, Status.self, Peers.self, Tap.self, Reload.self, Keygen.self])
}

struct APIOptions: ParsableArguments {
    @Option(name: .long, help: "The node's API address (host:port, [v6]:port, or unix:PATH for its api_socket).")
    var api: String = "127.0.0.1:7001"

    @OptionGroup var credentials: TokenOptions

    /// A malformed --api or an over-long --token is a usage error, reported with the command's own
    /// usage line (thrown from `run`, it would get the top level's).
    func validate() throws {
        _ = try target()
        if let token = credentials.token, token.utf8.count > APIMessage.maximumTokenSize {
            throw ValidationError("--token: a token is at most 255 bytes")
        }
    }

    /// Where --api points.
    enum Target {
        case socket(path: String)
        case tcp(Endpoint)
    }

    func target() throws(ValidationError) -> Target {
        if api.hasPrefix("unix:") {
            let path = String(api.dropFirst("unix:".count))
            guard !path.isEmpty else { throw ValidationError("--api: unix: needs the socket's path, e.g. unix:/run/gossipd/api.sock") }
            return .socket(path: path)
        }
        do {
            return .tcp(try Endpoint(parsing: api))
        } catch {
            throw ValidationError("--api: \(error)")
        }
    }

    func connect() throws -> GossipAPIClient {
        guard let (token, source) = try credentials.resolvedToken(), !token.isEmpty else { return try open() }
        // Not a usage error when the token came from a file or the environment: checked here, in `run`.
        guard token.utf8.count <= APIMessage.maximumTokenSize else { throw CLIError("\(source): a token is at most 255 bytes") }
        let client = try open()
        do {
            try client.present(token: token)
        } catch {
            client.close()
            throw CLIError("cannot send the token to \(api): \(error)")
        }
        return client
    }
}

/// The node's `api_token`, for the API port and the admin endpoints alike.
struct TokenOptions: ParsableArguments {
    @Option(name: .long, help: "The node's api_token, if it requires one (other users can read it in ps: prefer --token-file or GOSSIP_API_TOKEN).")
    var token: String?

    @Option(name: .long, help: "A file whose first line is the node's api_token.")
    var tokenFile: String?

    /// The token to present: --token, else --token-file's first line, else GOSSIP_API_TOKEN.
    func resolvedToken() throws -> (token: String, source: String)? {
        if let token { return (token, "--token") }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw CLIError("--token-file: cannot read \(tokenFile) (\(unreadable(tokenFile)))")
            }
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return (line.trimmingCharacters(in: .whitespaces), "--token-file")
        }
        if let token = ProcessInfo.processInfo.environment["GOSSIP_API_TOKEN"] { return (token, "GOSSIP_API_TOKEN") }
        return nil
    }
}

extension APIOptions {
    fileprivate func open() throws -> GossipAPIClient {
        switch try target() {
        case .socket(let path):
            do {
                return try GossipAPIClient(unixPath: path)
            } catch {
                throw CLIError("cannot connect to \(api): \(error)")
            }
        case .tcp(let endpoint):
            do {
                return try GossipAPIClient(host: endpoint.host, port: endpoint.port)
            } catch {
                throw CLIError("cannot connect to \(endpoint): \(error)")
            }
        }
    }

    /// Ends a connection that announced `what`: asks the node to confirm it took it (unless
    /// `confirm.noConfirm`), or only lets the node close (waiting at most `closeWait`); errors come
    /// out as `check` and `failure` word them.
    func finishAnnouncing(
        _ client: GossipAPIClient, _ confirm: ConfirmOption, what: String, timeout: Duration, closeWait: Duration
    ) throws(CLIError) {
        do {
            if confirm.noConfirm {
                try client.finishSending(timeout: closeWait)
            } else {
                try check(try client.confirm(timeout: timeout), what: what)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw failure(error, while: "announce")
        }
    }

    /// Fails when the node closed the connection instead of taking what was sent (a missing or
    /// wrong token, an address outside api_allow), and warns when it did not say.
    func check(_ confirmation: GossipAPIClient.Confirmation, what: String) throws(CLIError) {
        switch confirmation {
        case .taken:
            break
        case .closed:
            throw CLIError(
                "the node at \(api) closed the connection without taking \(what)\(Self.refusalHint) "
                    + "(a node without the STATUS extension, 518, closes too: --no-confirm)")
        case .unanswered:
            printToStandardError("warning: \(api) did not confirm \(what) (no answer to STATUS, 518): sent, not confirmed")
        }
    }

    /// Why a node may close a client's connection at once.
    static let refusalHint =
        ": it may require an api_token (--token-file, GOSSIP_API_TOKEN) or allow only some networks (api_allow), "
        + "be stopping, or this is not its api_address; its log says why"

    /// What to say when talking to the node at `api` failed: a P2P port is named as such.
    func failure(_ error: any Error, while doing: String) -> CLIError {
        if case GossipAPIClient.ReceiveError.peerHello = error {
            return CLIError("\(api) is a P2P port (the node answered with HELLO); use its api_address")
        }
        if case GossipAPIClient.ReceiveError.closed = error {
            return CLIError("\(doing) failed: the node at \(api) closed the connection\(Self.refusalHint)")
        }
        if case GossipAPIClient.ReceiveError.stream(.closedMidFrame) = error {
            return CLIError(
                "\(doing) failed: what \(api) sent is not the API's framing (is it the node's admin_address? that one speaks HTTP)")
        }
        return CLIError("\(doing) failed: \(error)")
    }
}

/// `--no-confirm` of the commands that announce (`announce`, `replay`).
struct ConfirmOption: ParsableArguments {
    @Flag(name: .long, help: "Do not ask the node to confirm with STATUS (518): for a node without that extension.")
    var noConfirm = false
}

/// Where the node's admin endpoints are (`admin_address`), and its token.
struct AdminOptions: ParsableArguments {
    @Option(name: .long, help: "The node's admin_address (host:port or [v6]:port).")
    var admin: String = "127.0.0.1:7080"

    @OptionGroup var credentials: TokenOptions

    func client() throws -> AdminClient {
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(parsing: admin)
        } catch {
            throw ValidationError("--admin: \(error)")
        }
        return AdminClient(host: endpoint.host, port: Int(endpoint.port), token: try credentials.resolvedToken()?.token)
    }
}

/// Reads a `--type` value. The options take the next word whatever it looks like, so `-1` comes
/// here and is refused as out of range rather than reported as a missing value.
func parseDataType(_ text: String) throws -> UInt16 {
    guard let value = UInt16(text) else { throw ValidationError("a data type is a whole number from 0 to 65535") }
    return value
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension GossipCommand {
    struct Subscribe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subscribe to a data type, print every NOTIFICATION, and answer it with a VALIDATION.",
            discussion: """
                Each item prints as one line on standard output: message ID, data type, size, and the data \
                (hex, or text with --text).

                Examples:
                  gossip subscribe --type 1337
                  gossip subscribe --type 1337 --type 1338 --text --count 10
                  gossip subscribe --api 127.0.0.1:7002 --type 1337 --reject
                """)

        @OptionGroup var options: APIOptions

        @Option(
            name: .long, parsing: .unconditionalSingleValue,
            help: "The data type to subscribe to (0-65535). Repeat for several.", transform: parseDataType)
        var type: [UInt16]

        @Flag(name: .long, help: "Answer every item as invalid (V = 0) instead of valid.")
        var reject = false

        @Flag(name: .long, help: "Do not answer at all (the node's validation timeout then decides).")
        var noAnswer = false

        @Option(name: .long, parsing: .unconditional, help: "Exit after this many items (at least 1).")
        var count: Int?

        @Flag(name: .long, help: "Print the data as UTF-8 text instead of hex.")
        var text = false

        @Flag(name: [.short, .long], help: "Do not say on standard error that the subscription is made.")
        var quiet = false

        func validate() throws {
            if type.isEmpty { throw ValidationError("give at least one --type") }
            if reject && noAnswer { throw ValidationError("--reject and --no-answer exclude each other") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        }

        func run() throws {
            let client = try options.connect()
            defer { client.close() }
            for dataType in type { try client.notify(dataType: dataType) }
            let types = (type.count == 1 ? "type " : "types ") + type.map(String.init).joined(separator: ", ")
            let waiting = count.map { "waiting for \($0) item\($0 == 1 ? "" : "s")" }
                ?? "waiting for items (Ctrl-C to stop)"
            let subscribed = "subscribed to \(types) at \(options.api); \(waiting)"
            var said = quiet
            // Whether the node kept the connection past its first 200 ms or sent an item: one it
            // refuses (a token, api_allow) closes at once.
            var settled = false
            var seen = 0
            while count.map({ seen < $0 }) ?? true {
                let message: APIMessage?
                do {
                    // A P2P port sends HELLO at once; an API sends nothing until an item, so say
                    // "subscribed" after an item or 200 ms of quiet.
                    message = try client.receive(timeout: settled ? nil : .milliseconds(200))
                } catch .timedOut {
                    settled = true
                    if !said { printToStandardError(subscribed) }
                    said = true
                    continue
                } catch {
                    throw options.failure(error, while: "receive")
                }
                guard let message else {
                    throw CLIError(settled ? "the node closed the connection" : "the node at \(options.api) closed the connection\(APIOptions.refusalHint)")
                }
                settled = true
                if !said {
                    said = true
                    printToStandardError(subscribed)
                }
                guard case .notification(let notification) = message else {
                    throw CLIError("unexpected message from the node: \(message.type)")
                }
                // Text from the network is escaped: control bytes must not reach the terminal (they
                // could retitle or clear it, or forge lines).
                let shown = text ? escapedForOneLine(String(decoding: notification.data, as: UTF8.self), escapingBackslash: true) : notification.data.hexString
                print("id=\(notification.messageID) type=\(notification.dataType) size=\(notification.data.count) data=\(shown)")
                fflush(nil)
                if !noAnswer { try client.validate(messageID: notification.messageID, isValid: !reject) }
                seen += 1
            }
        }
    }

    struct Announce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Announce one item. The data comes from the argument, --file, or standard input.",
            discussion: """
                Examples:
                  gossip announce --type 1337 hello
                  gossip announce --type 1337 --ttl 4 --hex deadbeef
                  printf 'hello' | gossip announce --type 1337 --api 127.0.0.1:7002
                """)

        @OptionGroup var options: APIOptions

        @Option(name: .long, parsing: .unconditional, help: "The item's data type (0-65535).", transform: parseDataType)
        var type: UInt16

        @Option(name: .long, parsing: .unconditional, help: "Hops the item may travel (0-255); 0 means unlimited.")
        var ttl: UInt8 = 0

        @Option(name: .long, help: "Read the data from this file.")
        var file: String?

        @Flag(name: .long, help: "The data argument (or input) is hex, e.g. deadbeef.")
        var hex = false

        @Flag(name: [.short, .long], help: "Do not say on standard error what was announced.")
        var quiet = false

        @OptionGroup var confirm: ConfirmOption

        @Argument(help: "The data, as text (or hex with --hex). Omit to use --file or standard input.")
        var data: String?

        func validate() throws {
            if data != nil && file != nil { throw ValidationError("give the data as an argument or with --file, not both") }
            if data == nil && file == nil && isatty(STDIN_FILENO) == 1 { throw ValidationError(Self.noDataAtTerminal) }
            // The argument is checked here, so a bad one gets this command's usage line; data read
            // from a file or standard input is checked in `run`.
            if let data { _ = try Self.bytes(of: Array(data.utf8), hex: hex) }
        }

        /// The item's data from what was given (decoded with --hex), or why it cannot be one item.
        static func bytes(of given: [UInt8], hex: Bool) throws(ValidationError) -> [UInt8] {
            var bytes = given
            if hex {
                let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
                guard let decoded = [UInt8](hex: text) else { throw ValidationError("the data is not valid hex") }
                bytes = decoded
            }
            guard bytes.count <= GossipAnnounce.maximumDataSize else {
                throw ValidationError("the data is \(bytes.count) bytes; one item holds at most \(GossipAnnounce.maximumDataSize)")
            }
            return bytes
        }

        /// Why `announce` refuses to wait for data typed at a terminal.
        static let noDataAtTerminal =
            "no data given and standard input is a terminal: pass the data as an argument, with --file, or pipe it in"

        func run() throws {
            let given: [UInt8]
            if let data {
                given = Array(data.utf8)
            } else if let file {
                guard let contents = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file) (\(unreadable(file)))") }
                given = Array(contents)
            } else {
                given = Array(FileHandle.standardInput.readDataToEndOfFile())
            }
            let bytes: [UInt8]
            do {
                bytes = try Self.bytes(of: given, hex: hex)
            } catch {
                // Not a usage error: the file or input holds what cannot be announced.
                throw CLIError("\(file ?? "standard input"): \(error.message)")
            }
            let client = try options.connect()
            defer { client.close() }
            do {
                try client.announce(dataType: type, ttl: ttl, data: bytes)
            } catch {
                throw options.failure(error, while: "announce")
            }
            try options.finishAnnouncing(client, confirm, what: "the item", timeout: .seconds(5), closeWait: .milliseconds(200))
            if !quiet {
                printToStandardError("announced \(bytes.count) bytes of type \(type) (ttl \(ttl)) to \(options.api)")
                if bytes.count > GossipItem.maximumDataSize {
                    printToStandardError(
                        "note: over \(GossipItem.maximumDataSize) bytes, the item reaches this node's own subscribers only, not other nodes")
                }
            }
        }
    }
}

extension GossipCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the node's status: identity, uptime, links, modules, occupancy and counters (STATUS, type 518).",
            discussion: """
                Without --json it prints tables a person can read; --json prints the node's JSON as \
                it is (docs/api.md describes every field), --compact on one line. --peers asks only \
                for the node's identity, ports and links (a small reply, for scripts that poll many \
                nodes) and prints its JSON.

                Examples:
                  gossip status
                  gossip status --api unix:/run/gossipd/api.sock
                  gossip status --api [::1]:7001 --json
                  gossip status --api 127.0.0.1:7002 --peers --compact
                """)

        @OptionGroup var options: APIOptions

        @Flag(name: .long, help: "Ask only for identity, ports, peers, tree peers, view size and uptime (STATUS scope 1); print that JSON.")
        var peers = false

        @Flag(name: .long, help: "Print the JSON the node sent, indented.")
        var json = false

        @Flag(name: .long, help: "Print the JSON the node sent, on one line.")
        var compact = false

        func run() throws {
            let status = try fetchStatus(options, scope: peers ? .peers : .full)
            if compact {
                print(String(decoding: status.raw, as: UTF8.self))
            } else if json || peers {
                let pretty = try JSONSerialization.data(withJSONObject: status.object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: pretty, as: UTF8.self))
            } else {
                print(StatusReport(status.object).text)
            }
        }
    }

    struct Peers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the node's peer links, one per line, like `serf members`.",
            discussion: """
                Columns: peer identity (16 hex digits), address, direction, state (tree, neighbour, \
                waiting, handshake), age, last heard, frames in and out.

                Examples:
                  gossip peers
                  gossip peers --api 127.0.0.1:7002
                """)

        @OptionGroup var options: APIOptions

        func run() throws {
            let status = try fetchStatus(options)
            print(StatusReport(status.object).linksTable)
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the node read its configuration file again (POST /reload on its admin_address), as SIGHUP does.",
            discussion: """
                Prints what the node applied and which changed keys need a restart. A file that no \
                longer loads changes nothing: the node says why and gossip exits 1.

                Examples:
                  gossip reload --admin 127.0.0.1:7080
                  gossip reload --admin 127.0.0.1:7080 --token-file /etc/gossipd/token
                """)

        @OptionGroup var options: AdminOptions

        func run() throws {
            let response: AdminClient.Response
            do {
                response = try options.client().request("POST", "/reload")
            } catch let error as ValidationError {
                throw error
            } catch {
                throw CLIError("cannot reach the admin endpoint at \(options.admin): \(error)")
            }
            let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard response.status == 200 else { throw CLIError("the node did not reload (HTTP \(response.status)): \(text)") }
            print(text)
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new RSA host key (PEM) for the INI `hostkey` key and print the node identity it gives.",
            discussion: """
                Examples:
                  gossip keygen --out hostkey.pem
                  gossip keygen --out hostkey.pem --bits 2048
                """)

        @Option(name: .long, help: "Where to write the key; refuses to overwrite.")
        var out: String

        @Option(name: .long, parsing: .unconditional, help: "Key size: 2048, 3072 or 4096.")
        var bits = 4096

        func validate() throws {
            guard [2048, 3072, 4096].contains(bits) else { throw ValidationError("--bits must be 2048, 3072 or 4096") }
        }

        func run() throws {
            guard !FileManager.default.fileExists(atPath: out) else { throw CLIError("\(out) exists; not overwriting it") }
            let pem = try NodeKey.generateRSAKeyPEM(bits: bits)
            // Created only if absent, readable by its owner alone from the start.
            let descriptor = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw CLIError("cannot write \(out) (\(String(cString: strerror(errno))))") }
            let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            do {
                try file.write(contentsOf: Data(pem.utf8))
                try file.close()
            } catch {
                try? file.close()
                unlink(out)  // no half-written key left to refuse the next try
                throw CLIError("cannot write \(out) (\(error.localizedDescription))")
            }
            print(try NodeKey.fromPEM(pem).identity.hex)
        }
    }
}

/// Why `path` cannot be opened for reading, in the system's words ("No such file or directory").
func unreadable(_ path: String) -> String {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK)
    if descriptor < 0 { return String(cString: strerror(errno)) }
    close(descriptor)
    return "not readable"
}

/// Prints `line` on standard error, where what `gossip` says about its work goes; standard output
/// holds only results (items, status JSON, identities).
func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
}

extension [UInt8] {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    init?(hex: String) {
        let characters = Array(hex.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = hexValue(characters[index]), let low = hexValue(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}

private func hexValue(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
    default: nil
    }
}

GossipCommand.main()

/// The node's STATUS reply, as sent and as a JSON object.
private func fetchStatus(_ options: APIOptions, scope: StatusScope = .full) throws -> (raw: [UInt8], object: [String: Any]) {
    let client = try options.connect()
    defer { client.close() }
    let raw: [UInt8]
    do {
        raw = try client.status(scope)
    } catch {
        throw options.failure(error, while: "status")
    }
    guard let object = try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
        throw CLIError("the node's STATUS reply is not a JSON object")
    }
    return (raw, object)
}
