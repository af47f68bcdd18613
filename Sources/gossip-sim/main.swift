#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Swift seeds its hash function per process, so the iteration order of sets and dictionaries
// differs from run to run. The simulator never lets that order decide anything, but the core
// might; so before anything else, re-run this very binary with deterministic hashing on.
if getenv("SWIFT_DETERMINISTIC_HASHING") == nil {
    setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv only returns on failure: carry on with per-process hashing.
}

GossipSimCommand.main()
