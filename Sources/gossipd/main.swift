import ArgumentParser
import Dispatch
import GossipConfig
import GossipIdentity
import GossipNode
import GossipWire
import Synchronization
import Logging

#if canImport(Glibc)
import Glibc
#endif

struct GossipDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossipd",
        abstract: "A peer-to-peer gossip node speaking the Gossip API (ANNOUNCE, NOTIFY, NOTIFICATION, VALIDATION).",
        discussion: """
            Without --config the node runs on an embedded default: API on 127.0.0.1:7001, P2P on \
            127.0.0.1:6001, no bootstrapper. Stop it with Ctrl-C or SIGTERM (a second one exits at once); SIGHUP reads --config again. See docs/configuration.md \
            for every key.
            """,
        version: GossipVersion.text)

    @Option(name: [.short, .long], help: "The INI configuration file ([gossip] section).")
    var config: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "text (one readable line per event) or json (one JSON object per line, for log collectors).")
    var logFormat: String = "text"

    @Option(name: .long, help: "Append every item the node takes in to this file (overrides record_file; docs/record-format.md).")
    var record: String?

    @Flag(name: .long, help: "Check the configuration, print the effective settings, and exit.")
    var checkConfig = false

    @Flag(name: .long, help: "Refuse the configuration on a warning (unknown key, misspelt [gossip] section): exit 2.")
    var strict = false

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        let json = logFormat == "json"
        let loaded: LoadedConfiguration
        do {
            if let config {
                loaded = try ConfigurationLoader.load(path: config, strict: strict)
            } else {
                loaded = try ConfigurationLoader.parse(
                    ConfigurationLoader.embeddedDefault, source: "<embedded default>", strict: strict)
            }
        } catch {
            writeToStandardError("gossipd: \(error)\n")
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gossipd")
        for warning in loaded.warnings { logger.warning("\(warning)") }
        var configuration = loaded.configuration
        if let record { configuration.recordPath = record }
        // The host key is loaded here, by the node as it will run, so --check-config refuses
        // exactly the keys a start would refuse.
        let node: Node
        do {
            node = try Node(configuration: configuration, logger: logger)
        } catch {
            throw startFailure(error)
        }
        if checkConfig {
            print(describe(configuration, source: config ?? "<embedded default>"))
            return
        }
        if config == nil { logger.notice("no --config given: using the embedded default configuration") }

        // Handlers first, so that no signal during the start takes the default action.
        // The first SIGINT or SIGTERM stops gracefully (peers told, outboxes delivered, within
        // Node.shutdownGrace); a second one exits at once. SIGHUP must not kill the node.
        let stop = DispatchSemaphore(value: 0)
        let signals = Mutex(0)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let count = signals.withLock { count -> Int in
                    count += 1
                    return count
                }
                if count > 1 {
                    writeToStandardError("gossipd: signal \(signalNumber) again: exiting at once\n")
                    _exit(128 + signalNumber)
                }
                logger.info("signal \(signalNumber): stopping (peers are told, modules get what is queued; a second signal exits at once)")
                stop.signal()
            }
            source.resume()
            sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let reloadNode = Mutex<Node?>(nil)
        hangup.setEventHandler {
            guard let node = reloadNode.withLock({ $0 }) else { return }
            reload(node, logger: logger)
        }
        hangup.resume()
        sources.append(hangup)
        signal(SIGPIPE, SIG_IGN)
        do {
            try node.start()
        } catch {
            throw startFailure(error)
        }
        reloadNode.withLock { $0 = node }
        ServiceNotifier.notify("READY=1\nSTATUS=serving: api \(node.apiPort), p2p \(node.p2pPort)")
        stop.wait()
        hangup.cancel()  // no reload while stopping
        reloadNode.withLock { $0 = nil }
        ServiceNotifier.notify("STOPPING=1")
        node.stop()
    }

    /// SIGHUP: reads the configuration file again and applies what can change while the node
    /// runs; a file that no longer loads changes nothing.
    private func reload(_ node: Node, logger: Logger) {
        guard let config else {
            logger.notice("SIGHUP: no --config file to read again; nothing changed")
            return
        }
        ServiceNotifier.notify("RELOADING=1")
        defer { ServiceNotifier.notify("READY=1") }
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(path: config, strict: strict)
        } catch {
            logger.error("SIGHUP: \(error); the running configuration is unchanged")
            return
        }
        for warning in loaded.warnings { logger.warning("SIGHUP: \(warning)") }
        var configuration = loaded.configuration
        if let record { configuration.recordPath = record }  // as started: --record is no change
        let (applied, needsRestart) = node.reload(configuration)
        logger.notice(
            "SIGHUP: configuration read again",
            metadata: [
                "applied": "\(applied.isEmpty ? "nothing new" : applied.joined(separator: ", "))",
                "needs_restart": "\(needsRestart.isEmpty ? "nothing" : needsRestart.joined(separator: ", "))",
            ])
    }

    /// Reports why the node cannot start and gives the exit status: a host key that cannot be
    /// used is a configuration error, like a bad value (2); anything else is 1.
    private func startFailure(_ error: Node.StartError) -> ExitCode {
        let prefix = error.isConfigurationError ? "\(config ?? "<embedded default>"): " : ""
        writeToStandardError("gossipd: \(prefix)\(error)\n")
        return ExitCode(error.isConfigurationError ? 2 : 1)
    }

    private func describe(_ configuration: NodeConfiguration, source: String) -> String {
        (["configuration: \(source)"] + ConfigurationKey.allCases.map { "\($0.name) = \($0.value(in: configuration))" })
            .joined(separator: "\n")
    }
}

GossipDaemon.main()
