import Dispatch
import Foundation
import GossipSockets

import CAffinity

/// How fast this machine does what an item's wave at many local nodes is made of: a thread that
/// sends on loopback TCP and wakes another, which answers. Measured before the nodes start, so
/// that a run's figures can be set beside the machine's state (a shared VM runs the same work
/// up to a third slower in some hours; benchmarks.md, "An eighth sitting").
///
/// Twice: with both threads on one CPU (system calls, switches and the loopback path alone), and
/// with each on a CPU of its own, where every wake-up has to reach the other CPU (on a VM, an
/// interrupt the host delivers: here three to four times the cost).
enum LoopbackCalibration {
    /// Round trips per run, and runs.
    static let trips = 2000
    static let runs = 5

    struct Result {
        /// Microseconds per round trip with both threads on one CPU.
        var oneCPU: Double
        /// The same with the threads on two CPUs; nil on a machine that lets us use one.
        var twoCPUs: Double?
    }

    /// nil if the sockets could not be set up or the threads not placed.
    static func measure() -> Result? {
        let allowed = allowedCPUs()
        guard let first = allowed.first, let one = microsecondsPerRoundTrip(mainCPU: first, echoCPU: first) else { return nil }
        let two = allowed.count > 1 ? microsecondsPerRoundTrip(mainCPU: first, echoCPU: allowed[1]) : nil
        return Result(oneCPU: one, twoCPUs: two)
    }

    /// Microseconds per round trip of one byte each way between this thread (on `mainCPU`) and an
    /// echo thread (on `echoCPU`) over loopback TCP: the lowest mean of `runs` runs of `trips`.
    /// This thread's CPUs are as before when it returns.
    static func microsecondsPerRoundTrip(mainCPU: Int, echoCPU: Int) -> Double? {
        guard let listener = try? Socket.listen(host: "127.0.0.1", port: 0, backlog: 1),
            let client = try? Socket.connect(host: "127.0.0.1", port: listener.localPort, deadline: .now + .seconds(5)),
            let server = try? listener.accept()
        else { return nil }
        listener.close()
        defer { client.close() }
        // The echo: answers every byte until the client ends (or the sockets fail).
        let echoed = DispatchSemaphore(value: 0)
        let echo = Thread {
            _ = pin(to: [echoCPU])
            var byte: UInt8 = 0
            while true {
                let count = try? withUnsafeMutableBytes(of: &byte) { try server.receive(into: $0, deadline: nil) }
                guard count == 1, (try? withUnsafeBytes(of: byte) { try server.send($0, deadline: nil) }) != nil else { break }
            }
            server.close()
            echoed.signal()
        }
        echo.start()
        defer {
            client.shutdown()
            echoed.wait()
        }
        let before = allowedCPUs()
        guard pin(to: [mainCPU]) else { return nil }
        defer { _ = pin(to: before) }
        var best = Double.infinity
        var byte: UInt8 = 1
        for _ in 0..<runs {
            let start = ContinuousClock.now
            for _ in 0..<trips {
                guard (try? withUnsafeBytes(of: byte) { try client.send($0, deadline: nil) }) != nil,
                    (try? withUnsafeMutableBytes(of: &byte) { try client.receive(into: $0, deadline: .now + .seconds(5)) }) == 1
                else { return nil }
            }
            best = min(best, seconds(ContinuousClock.now - start) * 1e6 / Double(trips))
        }
        return best
    }

    /// The CPUs the calling thread may run on, lowest first (none if the system would not say).
    static func allowedCPUs() -> [Int] {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        let written = gossip_affinity_get(&mask, UInt(mask.count))
        guard written > 0 else { return [] }
        return (0..<min(Int(written), mask.count) * 8).filter { mask[$0 / 8] & UInt8(1 << ($0 % 8)) != 0 }
    }

    /// Lets the calling thread run on `cpus` only; false if the system refused.
    static func pin(to cpus: [Int]) -> Bool {
        var mask = [UInt8](repeating: 0, count: maskBytes)
        for cpu in cpus where cpu >= 0 && cpu < maskBytes * 8 { mask[cpu / 8] |= UInt8(1 << (cpu % 8)) }
        return !cpus.isEmpty && gossip_affinity_set(mask, UInt(mask.count)) == 0
    }

    /// Room for 1,024 CPUs, glibc's CPU_SETSIZE.
    private static let maskBytes = 128
}
