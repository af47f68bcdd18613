import CAffinity
import Dispatch
import Foundation
import GossipSockets
import Synchronization

/// How fast this machine does what an item's wave at many local nodes is made of: a thread that
/// sends on loopback TCP and wakes another, which answers. Measured before the nodes start, so
/// that a run's figures can be set beside the machine's state (a shared VM runs the same work
/// up to a third slower in some hours; benchmarks.md, "Less work per item").
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

    /// nil if the sockets could not be set up, the threads not placed, or the calling thread's
    /// CPUs not read. The calling thread runs on the CPUs it had before when this returns (the
    /// processes it starts later inherit them); if they cannot be set back, it stops the program
    /// rather than run a benchmark on one CPU unawares.
    static func measure() -> Result? {
        guard let before = allowedMask(), let first = cpus(in: before).first else { return nil }
        defer {
            if allowedMask() != before, !set(mask: before) {
                fatalError("gossip-bench: could not give the main thread its CPUs back after timing loopback round trips")
            }
        }
        let allowed = cpus(in: before)
        guard let one = microsecondsPerRoundTrip(mainCPU: first, echoCPU: first, restore: before) else { return nil }
        let two = allowed.count > 1 ? microsecondsPerRoundTrip(mainCPU: first, echoCPU: allowed[1], restore: before) : nil
        return Result(oneCPU: one, twoCPUs: two)
    }

    /// Microseconds per round trip of one byte each way between this thread (on `mainCPU`) and an
    /// echo thread (on `echoCPU`) over loopback TCP: the lowest mean of `runs` runs of `trips`.
    /// This thread gets `restore` back before returning.
    static func microsecondsPerRoundTrip(mainCPU: Int, echoCPU: Int, restore: [UInt]) -> Double? {
        guard let listener = try? Socket.listen(host: "127.0.0.1", port: 0, backlog: 1),
            let client = try? Socket.connect(host: "127.0.0.1", port: listener.localPort, deadline: .now + .seconds(5)),
            let server = try? listener.accept()
        else { return nil }
        listener.close()
        defer { client.close() }
        // The echo: places itself, says whether it could, then answers every byte until the
        // client ends (or the sockets fail).
        let placed = DispatchSemaphore(value: 0)
        let echoPlaced = Mutex(false)
        let echoed = DispatchSemaphore(value: 0)
        let echo = Thread {
            echoPlaced.withLock { $0 = pin(to: [echoCPU]) }
            placed.signal()
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
        placed.wait()
        guard echoPlaced.withLock({ $0 }), pin(to: [mainCPU]) else { return nil }
        defer { _ = set(mask: restore) }
        var best = Double.infinity
        var byte: UInt8 = 1
        for _ in 0..<runs {
            let start = ContinuousClock.now
            for _ in 0..<trips {
                guard (try? withUnsafeBytes(of: byte) { try client.send($0, deadline: nil) }) != nil,
                    (try? withUnsafeMutableBytes(of: &byte) { try client.receive(into: $0, deadline: nil) }) == 1
                else { return nil }
            }
            best = min(best, seconds(ContinuousClock.now - start) * 1e6 / Double(trips))
        }
        return best
    }

    /// The calling thread's CPUs as the kernel's mask, or nil if the system would not say.
    static func allowedMask() -> [UInt]? {
        var mask = [UInt](repeating: 0, count: maskWords)
        return gossip_affinity_get(&mask, UInt(mask.count)) > 0 ? mask : nil
    }

    /// The CPUs in `mask`, lowest first.
    static func cpus(in mask: [UInt]) -> [Int] {
        (0..<mask.count * UInt.bitWidth).filter { mask[$0 / UInt.bitWidth] & (1 << UInt($0 % UInt.bitWidth)) != 0 }
    }

    /// Lets the calling thread run on `cpus` only; false if the system refused.
    static func pin(to cpus: [Int]) -> Bool {
        var mask = [UInt](repeating: 0, count: maskWords)
        for cpu in cpus where cpu >= 0 && cpu < maskWords * UInt.bitWidth {
            mask[cpu / UInt.bitWidth] |= 1 << UInt(cpu % UInt.bitWidth)
        }
        return !cpus.isEmpty && set(mask: mask)
    }

    /// Sets the calling thread's CPUs to `mask`; false if the system refused.
    static func set(mask: [UInt]) -> Bool {
        gossip_affinity_set(mask, UInt(mask.count)) == 0
    }

    /// Room for 1,024 CPUs, glibc's CPU_SETSIZE.
    private static let maskWords = 1024 / UInt.bitWidth
}
