import ArgumentParser
import Dispatch
import Foundation
import GossipConfig
import GossipSockets
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension JoinMode: ExpressibleByArgument {
    /// The seed set of `--join seeds`: the first three nodes (nodes 1 and 2 bootstrap from node 0,
    /// every later node from all three; before `--join`, node 2 had nodes 0 and 1).
    static let benchSeedCount = 3

    /// The bootstrappers of node `index`, as indices of earlier nodes.
    func bootstrappers(of index: Int, using random: inout some RandomNumberGenerator) -> [Int] {
        if let fixed = fixedBootstrappers(of: index, seedCount: Self.benchSeedCount) { return fixed }
        return index == 0 ? [] : [Int.random(in: 0..<index, using: &random)]
    }
}

/// gossipd processes on 127.0.0.1 with generated INI files, in one process group of their own,
/// stopped by `stopAll` (also from a SIGINT, SIGTERM or SIGHUP handler: see `stopOnSignals`).
final class LocalNetwork: @unchecked Sendable {
    /// The gossipd binary next to this program (where `swift build` puts both): every
    /// subcommand's default for `--gossipd`.
    static var gossipdBesideThisProgram: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gossipd").path
    }

    let probeNodes: [ProbeNode]
    let folder: String
    /// Where the P2P and API ports came from, for the report.
    let portNote: String
    /// The process of node `index`, while it runs.
    func pid(_ index: Int) -> pid_t? { state.withLock { $0.running[index] } }

    /// Seconds `start` took to spawn every process.
    private(set) var spawnSeconds = 0.0

    private let gossipd: String
    private struct State {
        var running: [Int: pid_t] = [:]
        var exited: [Int: String] = [:]
        var stopping = false
        var group: pid_t = 0
    }
    private let state = Mutex(State())
    /// Held for the whole of `stopAll`, so a second caller waits until the first is done.
    private let stopLock = NSLock()
    /// The signal that stopped the nodes, or 0.
    private let signalled = Atomic<Int32>(0)

    private let logLevel: String

    /// Writes one INI file per node. Nothing runs until `start`.
    /// - Parameter logLevel: every node's `--log-level` (notice keeps 300 logs small).
    /// - Parameter apiSockets: give every node an `api_socket` in `folder` (`node<i>.sock`), for
    ///   the probe's modules to connect to.
    /// - Parameter nodeKeys: keys for some nodes alone (by index), over `extraKeys`.
    init(
        count: Int, join: JoinMode, folder: String, gossipd: String, extraKeys: [String: String], logLevel: String = "notice",
        apiSockets: Bool = false, nodeKeys: [Int: [String: String]] = [:]
    ) throws {
        self.folder = folder
        self.gossipd = gossipd
        self.logLevel = logLevel
        let (ports, note) = try Self.pickPorts(2 * count)
        portNote = note
        var random = SystemRandomNumberGenerator()
        var nodes: [ProbeNode] = []
        for index in 0..<count {
            let p2p = ports[2 * index], api = ports[2 * index + 1]
            let seeds = join.bootstrappers(of: index, using: &random).map { "127.0.0.1:\(ports[2 * $0])" }.joined(separator: ", ")
            var ini = "[gossip]\np2p_address = 127.0.0.1:\(p2p)\napi_address = 127.0.0.1:\(api)\n"
            if !seeds.isEmpty { ini += "bootstrapper = \(seeds)\n" }
            let socketPath = apiSockets ? "\(folder)/node\(index).sock" : nil
            if let socketPath { ini += "api_socket = \(socketPath)\n" }
            let keys = extraKeys.merging(nodeKeys[index] ?? [:]) { _, own in own }
            for (key, value) in keys.sorted(by: { $0.key < $1.key }) { ini += "\(key) = \(value)\n" }
            try ini.write(toFile: "\(folder)/node\(index).ini", atomically: true, encoding: .utf8)
            nodes.append(ProbeNode(index: index, host: "127.0.0.1", apiPort: api, pid: nil, p2pPort: p2p, apiSocketPath: socketPath))
        }
        probeNodes = nodes
    }

    /// 2N distinct free ports. Preferably below the kernel's ephemeral range
    /// (net.ipv4.ip_local_port_range), where no outgoing connection of the nodes or of this
    /// benchmark can take one between the check and the node's bind; each is bound once here to
    /// check it is free, and all are held until all are chosen.
    private static func pickPorts(_ count: Int) throws -> (ports: [UInt16], note: String) {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) } ?? []
        let ephemeral = range.count == 2 ? range[0]...range[1] : 32768...60999
        var held: [Socket] = []
        defer { held.forEach { $0.close() } }
        let floor = 10_000
        if ephemeral.lowerBound - floor >= 2 * count + 100 {
            // Start at a random place below the range, so two benchmarks rarely probe the same ports.
            let span = ephemeral.lowerBound - floor
            var port = floor + Int.random(in: 0..<(span - count))
            var tried = 0
            while held.count < count && tried < span {
                if let socket = try? Socket.listen(host: "127.0.0.1", port: UInt16(port)) { held.append(socket) }
                tried += 1
                port = port + 1 >= ephemeral.lowerBound ? floor : port + 1
            }
        }
        var note: String
        if held.count == count {
            let ports = held.map(\.localPort).sorted()
            note = "\(count) distinct free ports \(ports.first!)-\(ports.last!) on 127.0.0.1, below the ephemeral range \(ephemeral.lowerBound)-\(ephemeral.upperBound)"
        } else {
            held.forEach { $0.close() }
            held = []
            for _ in 0..<count { held.append(try Socket.listen(host: "127.0.0.1", port: 0)) }
            note = "\(count) distinct ports chosen by the OS (warning: inside the ephemeral range \(ephemeral.lowerBound)-\(ephemeral.upperBound), an outgoing connection may take one first)"
        }
        let ports = held.map(\.localPort)
        guard Set(ports).count == count, !ports.contains(0) else { throw BenchFailure("could not pick \(count) distinct free ports") }
        return (ports, note)
    }

    /// Spawns every node (node 0 first, and waits until it answers, so nobody dials a closed
    /// port), each in the process group of node 0, with its output in `node<i>.log`.
    /// Returns the nodes with their process IDs.
    func start(waitForFirst: (ProbeNode) -> Bool) throws -> [ProbeNode] {
        let begin = ContinuousClock.now
        var started: [ProbeNode] = []
        for node in probeNodes {
            guard let pid = try spawn(node.index) else { break }  // stopping: a signal came
            var withPID = node
            withPID.pid = pid
            started.append(withPID)
            if node.index == 0 && !waitForFirst(withPID) {
                print("warning: node 0 did not answer STATUS within 10 s; starting the others anyway")
            }
        }
        spawnSeconds = seconds(ContinuousClock.now - begin)
        return started
    }

    private func spawn(_ index: Int) throws -> pid_t? {
        let arguments = [gossipd, "--config", "\(folder)/node\(index).ini", "--log-level", logLevel]
        let logPath = "\(folder)/node\(index).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Our own process group: a Ctrl-C on the terminal reaches only the benchmark, which stops
        // the nodes itself; `kill -- -<group>` stops them all should the benchmark die.
        // Signals this process ignores or blocks (for its handlers) go back to the defaults.
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        return try state.withLock { state -> pid_t? in
            guard !state.stopping else { return nil }
            posix_spawnattr_setpgroup(&attributes, state.group)
            var pid: pid_t = 0
            let result = posix_spawn(&pid, gossipd, &actions, &attributes, argv, environ)
            guard result == 0 else {
                throw BenchFailure("cannot start node \(index) (\(gossipd)): \(String(cString: strerror(result)))")
            }
            if state.group == 0 { state.group = pid }
            state.running[index] = pid
            return pid
        }
    }

    var processGroup: pid_t { state.withLock { $0.group } }
    var runningCount: Int { state.withLock { $0.running.count } }

    /// Nodes that exited on their own since the last call (reaped here), with their exit status
    /// and the last line of their log.
    func reapExited() -> [(index: Int, why: String)] {
        let found: [(Int, String)] = state.withLock { state in
            var found: [(Int, String)] = []
            for (index, pid) in state.running {
                var status: Int32 = 0
                guard waitpid(pid, &status, WNOHANG) == pid else { continue }
                state.running[index] = nil
                let why = Self.describe(status) + ": " + lastLogLine(index)
                state.exited[index] = why
                found.append((index, why))
            }
            return found
        }
        return found.sorted { $0.0 < $1.0 }.map { (index: $0.0, why: $0.1) }
    }

    private func lastLogLine(_ index: Int) -> String {
        let text = (try? String(contentsOfFile: "\(folder)/node\(index).log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").last.map(String.init) ?? "(empty log)"
    }

    private static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }

    /// SIGKILLs one node and waits for it.
    func kill(_ index: Int) {
        guard let pid = state.withLock({ $0.running.removeValue(forKey: index) }) else { return }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Stops every node: SIGTERM, up to 5 s to exit, then SIGKILL for the rest; then checks that
    /// nothing is left in the nodes' process group. Safe to call twice and from a signal handler's
    /// thread: a second caller waits for the first.
    func stopAll() {
        stopLock.lock()
        defer { stopLock.unlock() }
        let (pids, group) = state.withLock { state in
            state.stopping = true
            defer { state.running = [:] }
            return (Array(state.running.values), state.group)
        }
        guard !pids.isEmpty else { return }
        let begin = ContinuousClock.now
        for pid in pids { Glibc.kill(pid, SIGTERM) }
        var left = Set(pids)
        while !left.isEmpty && ContinuousClock.now - begin < .seconds(5) {
            for pid in left {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { left.remove(pid) }
            }
            if !left.isEmpty { Thread.sleep(forTimeInterval: 0.02) }
        }
        let forced = left.count
        for pid in left {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        // Anything else in the group (there should be nothing) goes too.
        var remaining = "none left"
        if group > 0 && Glibc.kill(-group, 0) == 0 {
            Glibc.kill(-group, SIGKILL)
            remaining = "some were still in the group and got SIGKILL"
        }
        print(String(format: "stopped %d gossipd processes in %.1f s (%d needed SIGKILL); %@ in process group %d",
                     pids.count, seconds(ContinuousClock.now - begin), forced, remaining, group))
    }

    /// `stopAll` for the end of the run; if a signal handler is stopping the nodes, waits for it
    /// to end the process (with its status, 128 + signal) instead of returning.
    func finish() {
        stopAll()
        while signalled.load(ordering: .sequentiallyConsistent) != 0 { pause() }
    }

    /// Stops the nodes and exits (status 128 + signal) on SIGINT, SIGTERM or SIGHUP.
    /// Keep the returned sources alive for as long as the handlers should stay.
    ///
    /// SIGPIPE is ignored: output piped into a reader that quits early (`| head`) would otherwise
    /// end the benchmark at its next line and leave the nodes running. The run goes on to its end
    /// (its lines lost) and stops them.
    func stopOnSignals() -> [DispatchSourceSignal] {
        signal(SIGPIPE, SIG_IGN)
        return [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                signalled.store(number, ordering: .sequentiallyConsistent)
                print("\nsignal \(number): stopping the \(runningCount) gossipd processes")
                stopAll()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// Raises this process's limit of open files to the hard limit: the benchmark holds a
/// subscriber and an announcer connection per node, and the port check holds two sockets per node.
/// Returns a line for the report.
func raiseOpenFileLimit(needed: Int) -> String {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return "RLIMIT_NOFILE: unknown" }
    let before = limit.rlim_cur
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 { limit.rlim_cur = before }
    }
    var line = "RLIMIT_NOFILE \(limit.rlim_cur) (hard \(limit.rlim_max)"
    line += before == limit.rlim_cur ? ", unchanged)" : ", raised from \(before))"
    if Int(clamping: limit.rlim_cur) < needed { line += "; warning: about \(needed) needed" }
    return line
}

/// A warning when the nodes' threads (two per link, plus a dozen) would not fit under
/// kernel.pid_max or kernel.threads-max next to the threads already running, else nil.
func threadWarning(nodes: Int, linksPerNode: Int) -> String? {
    func read(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    // The fourth field of /proc/loadavg is running/total scheduling entities (threads).
    let inUse = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
        .split(separator: " ").dropFirst(3).first?.split(separator: "/").last.flatMap { Int($0) } ?? 0
    let limit = min(read("/proc/sys/kernel/pid_max") ?? .max, read("/proc/sys/kernel/threads-max") ?? .max)
    // A reader per link (a writer only while writes back up), a dozen threads of its own, and
    // the benchmark's two per node.
    let needed = nodes * (linksPerNode + 12) + 2 * nodes
    guard limit != .max, needed + inUse > limit * 9 / 10 else { return nil }
    return "warning: the nodes may need about \(needed) threads; \(inUse) run already and kernel.pid_max/threads-max allow \(limit)"
}
