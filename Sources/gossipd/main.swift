import ArgumentParser
import CCodePages
import Dispatch
import GossipAdmin
import GossipConfig
import GossipIdentity
import GossipNode
import GossipWire
import Synchronization
import Logging
import Prometheus

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

    @Option(
        name: .long,
        help: "trace, debug, info, notice, warning, error or critical (default: the file's log_level, else info); overrides log_level until the file's value changes.")
    var logLevel: String?

    @Option(name: .long, help: "text (one readable line per event) or json (one JSON object per line, for log collectors).")
    var logFormat: String = "text"

    @Option(name: .long, help: "Append every item the node takes in to this file (overrides record_file; docs/record-format.md).")
    var record: String?

    @Flag(name: .long, help: "Check the configuration, print the effective settings, and exit.")
    var checkConfig = false

    @Flag(name: .long, help: "Refuse the configuration on a warning (unknown key, misspelt [gossip] section): exit 2.")
    var strict = false

    func run() throws {
        // Checked before the file is read, so a usage error is one (exit 64).
        let commandLineLevel = try logLevel.map { text in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return level
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
        // --log-level wins over the file's log_level; a SIGHUP that finds log_level changed in the
        // file sets the switch every logger asks (Node.reload).
        let levelSwitch = LogLevelSwitch(
            commandLineLevel ?? Logger.Level(rawValue: loaded.configuration.logLevel) ?? .info)
        LoggingSystem.bootstrap { label in
            let handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            return SwitchedLogHandler(handler, levelSwitch: levelSwitch)
        }
        let logger = Logger(label: "gossipd")
        for warning in loaded.warnings { logger.warning("\(warning)") }
        var configuration = loaded.configuration
        if let record { configuration.recordPath = record }
        // The host key is loaded here, by the node as it will run, so --check-config refuses
        // exactly the keys a start would refuse.
        // Metrics are kept only for the admin endpoint's /metrics.
        let registry = configuration.adminAddress.map { _ in PrometheusCollectorRegistry() }
        let node: Node
        do {
            node = try Node(configuration: configuration, logger: logger, metrics: registry.map(AdminServer.metricsFactory))
        } catch {
            throw startFailure(error)
        }
        if checkConfig {
            print(describe(configuration, source: config ?? "<embedded default>", logLevel: levelSwitch.level))
            return
        }
        if config == nil { logger.notice("no --config given: using the embedded default configuration") }

        // The signal thread first, so that a signal during the start is handled, not lost (the
        // signals are blocked in every thread from the start of main: `SignalWaiter`).
        // The first SIGINT or SIGTERM stops gracefully (peers told, outboxes delivered, within
        // Node.shutdownGrace); a second one exits at once. SIGHUP reads the configuration again.
        let stop = DispatchSemaphore(value: 0)
        let stops = Mutex(0)
        let reloadNode = Mutex<Node?>(nil)
        let waiting = SignalWaiter.start(GossipDaemon.handledSignals) { signalNumber in
            if signalNumber == SIGHUP {
                // Under the lock, as the admin endpoint's reload: one at a time, whichever way asked.
                reloadNode.withLock { node in
                    guard let node else {
                        logger.notice("SIGHUP while the node is starting or stopping: the configuration is not read again")
                        return
                    }
                    _ = reload(node, via: "SIGHUP", logger: logger)
                }
                return
            }
            let count = stops.withLock { count -> Int in
                count += 1
                return count
            }
            if count > 1 {
                writeToStandardError("gossipd: signal \(signalNumber) again: exiting at once\n")
                _exit(128 + signalNumber)
            }
            logger.info("signal \(signalNumber): stopping (peers are told, modules get what is queued; a second signal exits at once)")
            node.cancelStart()  // a start still finding its proof of work gives up at once
            stop.signal()
        }
        guard waiting else {
            writeToStandardError("gossipd: cannot start the thread that takes signals: the system refused it\n")
            throw ExitCode(1)
        }
        signal(SIGPIPE, SIG_IGN)
        do {
            try node.start()
        } catch .cancelled {
            ServiceNotifier.notify("STOPPING=1")
            logger.info("stopped while starting")
            return
        } catch {
            throw startFailure(error)
        }
        reloadNode.withLock { $0 = node }  // reloads from here on (the admin endpoint's too)
        var admin: AdminServer?
        if let address = configuration.adminAddress, let registry {
            do {
                admin = try AdminServer(
                    address: address, node: node, registry: registry, logger: logger,
                    reload: { [self] in
                        // One reload at a time, whichever way it was asked for.
                        reloadNode.withLock { node in node.map { reload($0, via: "admin /reload", logger: logger) } }
                            ?? AdminServer.ReloadOutcome(loaded: false, message: "the node is stopping")
                    },
                    token: { node.apiToken })
            } catch {
                node.stop()
                writeToStandardError("gossipd: cannot listen on admin_address \(address): \(error)\n")
                throw ExitCode(1)
            }
            logger.info("admin endpoint serving", metadata: ["admin": "\(Endpoint(host: address.host, port: UInt16(admin!.port)))"])
        }
        // A stop asked for while the start finished is not told as ready first: the service manager
        // hears STOPPING=1 alone (a stop asked for after this check follows a READY=1, as it should).
        if stops.withLock({ $0 }) == 0 {
            ServiceNotifier.notify("READY=1\nSTATUS=serving: api \(node.apiPort), p2p \(node.p2pPort)")
        }
        // Where the page cache holds the binary in 2 MiB folios (gossip-bench code-pages), the code
        // is mapped with 2 MiB pages and the RSS counts them whole: say so, since it explains the RSS
        // (read before the start-up code is let go, which takes those mappings until they are used).
        let hugeKilobytes = gossip_code_pages_pmd_mapped_kb(0)
        if hugeKilobytes > 0 {
            logger.info(
                "code on 2 MiB pages (shared by every process of this binary; the RSS counts them whole)",
                metadata: ["kib": "\(hugeKilobytes)"])
        }
        // Started: the code that only starting runs need not stay mapped (`Sources/CCodePages`).
        // Not with GOSSIPD_KEEP_CODE_PAGES set: breakpoints set by then would go with the pages.
        if getenv("GOSSIPD_KEEP_CODE_PAGES") == nil {
            let released = gossip_release_code_pages()
            logger.debug("start-up code pages let go", metadata: ["segments": "\(released)"])
        }
        stop.wait()
        reloadNode.withLock { $0 = nil }  // no reload while stopping
        ServiceNotifier.notify("STOPPING=1")
        node.stop()  // /ready answers 503 from its start
        admin?.stop()
    }

    /// SIGHUP or the admin endpoint's POST /reload: reads the configuration file again and applies
    /// what can change while the node runs; a file that no longer loads changes nothing.
    private func reload(_ node: Node, via trigger: String, logger: Logger) -> AdminServer.ReloadOutcome {
        guard let config else {
            logger.notice("\(trigger): no --config file to read again; nothing changed")
            return AdminServer.ReloadOutcome(loaded: false, message: "no --config file to read again; nothing changed")
        }
        ServiceNotifier.notify("RELOADING=1")
        defer { ServiceNotifier.notify("READY=1") }
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(path: config, strict: strict)
        } catch {
            logger.error("\(trigger): \(error); the running configuration is unchanged")
            return AdminServer.ReloadOutcome(loaded: false, message: "\(error); the running configuration is unchanged")
        }
        for warning in loaded.warnings { logger.warning("\(trigger): \(warning)") }
        var configuration = loaded.configuration
        if let record { configuration.recordPath = record }  // as started: --record is no change
        let (applied, needsRestart) = node.reload(configuration)
        let appliedText = applied.isEmpty ? "nothing new" : applied.joined(separator: ", ")
        let restartText = needsRestart.isEmpty ? "nothing" : needsRestart.joined(separator: ", ")
        logger.notice(
            "\(trigger): configuration read again", metadata: ["applied": "\(appliedText)", "needs_restart": "\(restartText)"])
        return AdminServer.ReloadOutcome(loaded: true, message: "configuration read again: applied \(appliedText); needs a restart: \(restartText)")
    }

    /// Reports why the node cannot start and gives the exit status: a host key that cannot be
    /// used is a configuration error, like a bad value (2); anything else is 1.
    private func startFailure(_ error: Node.StartError) -> ExitCode {
        let prefix = error.isConfigurationError ? "\(config ?? "<embedded default>"): " : ""
        writeToStandardError("gossipd: \(prefix)\(error)\n")
        return ExitCode(error.isConfigurationError ? 2 : 1)
    }

    /// The effective settings, one `key = value` a line; a `log_level` that `--log-level`
    /// overrides says so.
    private func describe(_ configuration: NodeConfiguration, source: String, logLevel: Logger.Level) -> String {
        (["configuration: \(source)"]
            + ConfigurationKey.allCases.map { key in
                let value = key.value(in: configuration)
                if key == .logLevel && value != logLevel.rawValue {
                    return "\(key.name) = \(logLevel.rawValue) (--log-level; the file says \(value))"
                }
                return "\(key.name) = \(value)"
            })
            .joined(separator: "\n")
    }
}

extension GossipDaemon {
    /// The signals gossipd takes on its signal thread.
    static let handledSignals = [SIGINT, SIGTERM, SIGHUP]
}

// Before anything starts a thread: every thread inherits the blocked set, so these signals wait
// for the signal thread (`SignalWaiter`) and never take their default action elsewhere.
SignalWaiter.block(GossipDaemon.handledSignals)
GossipDaemon.main()
