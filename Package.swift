// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gossip",
    products: [
        .executable(name: "gossipd", targets: ["gossipd"]),
        .executable(name: "gossip", targets: ["gossip"]),
        .executable(name: "gossip-bench", targets: ["gossip-bench"]),
        .executable(name: "gossip-sim", targets: ["gossip-sim"]),
        .library(name: "GossipNode", targets: ["GossipNode"]),
        .library(name: "GossipClient", targets: ["GossipClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // libinih, the C INI parser, from the system (Debian: libinih-dev).
        .systemLibrary(
            name: "CInih",
            pkgConfig: "inih",
            providers: [.apt(["libinih-dev"])]
        ),
        // glibc's malloc_trim, to hand memory freed after a burst of connections back to the system.
        .systemLibrary(name: "CMalloc"),
        // Linux's timerfd: the protocol ticker sleeps on a timer other threads can move earlier.
        .systemLibrary(name: "CTimer"),
        // How gossipd's own code is mapped: the code only starting ran let go once started
        // (madvise), and a launcher's read of the binary into 2 MiB page-cache folios
        // (gossip-bench code-pages).
        .systemLibrary(name: "CCodePages"),
        // BoringSSL's AEAD functions as swift-crypto's copy of BoringSSL names them (see shim.h):
        // one ChaCha20-Poly1305 context per link direction instead of one per frame.
        .systemLibrary(name: "CBoringAEAD"),
        // BoringSSL's one-shot SHA-256, the same way: no digest object allocated per item hashed.
        .systemLibrary(name: "CBoringSHA256"),
        // sched_getaffinity/sched_setaffinity: gossipd counts the CPUs it may use; gossip-bench times loopback round trips on one CPU
        // and across two (the machine's pace, before a network run).
        .systemLibrary(name: "CAffinity"),
        // prctl(PR_SET_NAME): names a thread with one system call (gossipd starts one per link).
        .systemLibrary(name: "CThreadName"),
        // An eventually fair lock on Linux's futex (GossipNode's FairMutex): barging, with a handover
        // to the longest waiter about once a millisecond.
        .systemLibrary(name: "CFairLock"),
        // epoll and eventfd: gossip-bench serves hundreds of subscriber connections from a few threads.
        .systemLibrary(name: "CEpoll"),
        // Framing and every message type, API and P2P. Nothing else re-implements the wire format.
        .target(name: "GossipWire"),
        // The INI configuration: keys, defaults and limits in one place.
        .target(name: "GossipConfig", dependencies: ["CInih", "GossipCore", "GossipWire"]),
        // The protocol core with no sockets and no clocks: GossipProtocol (engine, membership, broadcast tree, handshake, anti-entropy).
        .target(
            name: "GossipCore",
            dependencies: [
                "GossipWire", "CBoringAEAD", "CBoringSHA256",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The node's identity: SHA-256 of its host key's public key (or an ephemeral one).
        .target(
            name: "GossipIdentity",
            dependencies: [
                "GossipWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Blocking POSIX sockets with deadlines, shared by the node, the client and the benchmark.
        .target(name: "GossipSockets", dependencies: ["GossipWire"]),
        // The daemon's runtime: API and P2P servers, item queue, handler, ticker, per-connection senders; drives the core.
        .target(
            name: "GossipNode",
            dependencies: [
                "GossipWire", "GossipConfig", "GossipCore", "GossipSockets", "GossipIdentity", "CMalloc", "CTimer", "CThreadName", "CAffinity", "CFairLock",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The admin HTTP endpoints (/metrics in Prometheus's format, /status, /ready, /reload, /tap)
        // on SwiftNIO's HTTP/1.1 codec: no Foundation in the daemon, no hand-written HTTP parser.
        .target(
            name: "GossipAdmin",
            dependencies: [
                "GossipNode", "GossipConfig", "GossipSockets",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // A deterministic discrete-event simulator that runs the protocol core over a simulated network.
        .target(
            name: "GossipSimulation",
            dependencies: [
                "GossipCore", "GossipWire", "GossipConfig",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "gossip-sim",
            dependencies: [
                "GossipSimulation", "GossipConfig", "GossipWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A blocking client of the Gossip API, for the CLI, the benchmark and tests.
        .target(
            name: "GossipClient",
            dependencies: [
                "GossipWire", "GossipSockets", "GossipCore", "GossipIdentity", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "gossipd",
            dependencies: [
                "GossipNode", "GossipAdmin", "GossipConfig", "GossipIdentity", "GossipWire", "CCodePages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // Release gossipd links the Swift runtime and FoundationEssentials statically: an idle
            // node then holds about 14 MiB instead of 17 MiB, which counts with many nodes on one
            // machine. Compiling this module with the flag too makes it name the static libraries'
            // own dependencies, so no flag is needed on the command line. Debug builds stay dynamic.
            // Its segments aligned to 2 MiB in the file and in memory (debug and release builds alike),
            // so that the kernel can map its code with 2 MiB pages where the page cache holds it in
            // 2 MiB folios (gossip-bench code-pages, Sources/CCodePages); the file grows by the
            // padding (about 1.5 MB).
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [
                .unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release)),
                .unsafeFlags(["-Xlinker", "-z", "-Xlinker", "max-page-size=0x200000"], .when(platforms: [.linux])),
            ]
        ),
        .executableTarget(
            name: "gossip",
            dependencies: [
                "GossipClient", "GossipWire", "GossipConfig", "GossipIdentity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "gossip-bench",
            dependencies: [
                "GossipNode", "GossipClient", "GossipConfig", "GossipCore", "GossipIdentity", "GossipWire", "GossipSockets",
                "GossipAdmin", "CAffinity", "CEpoll", "CCodePages", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The fuzz targets' code, built normally so tests replay the seed corpus (scripts/fuzz runs them).
        .target(
            name: "GossipFuzzing",
            dependencies: ["GossipWire", "GossipCore", "GossipConfig", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "GossipWireTests", dependencies: ["GossipWire"]),
        .testTarget(name: "GossipConfigTests", dependencies: ["GossipConfig"]),
        .testTarget(name: "GossipSocketsTests", dependencies: ["GossipSockets", "GossipWire"]),
        .testTarget(
            name: "GossipCoreTests", dependencies: ["GossipCore", "GossipWire", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "GossipSimulationTests", dependencies: ["GossipSimulation", "GossipCore", "GossipWire", "GossipConfig"]),
        .testTarget(
            name: "GossipIdentityTests",
            dependencies: ["GossipIdentity", "GossipWire", .product(name: "CryptoExtras", package: "swift-crypto")]),
        .testTarget(name: "GossipFuzzingTests", dependencies: ["GossipFuzzing", "GossipCore"]),
        .testTarget(
            name: "GossipNodeTests",
            dependencies: [
                "GossipNode", "GossipClient", "GossipConfig", "GossipCore", "GossipWire", "GossipSockets", "GossipSimulation",
                "GossipIdentity", "GossipAdmin", "CCodePages", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer executables, one per target, each only the `LLVMFuzzerTestOneInput` entry. Declared
// only when GOSSIP_FUZZ is set (scripts/fuzz sets it): they link solely with the fuzzer flags,
// so normal builds and tests must never see them.
if Context.environment["GOSSIP_FUZZ"] != nil {
    package.targets += ["fuzz-api-decoder", "fuzz-peer-decoder", "fuzz-frame-reader", "fuzz-handshake", "fuzz-config"].map {
        .executableTarget(name: $0, dependencies: ["GossipFuzzing"])
    }
}
