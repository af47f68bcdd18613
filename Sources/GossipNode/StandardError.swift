#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to standard error unbuffered, in as few `write` calls as the kernel allows
/// (gossipd does not link Foundation's FileHandle: see Threads.swift).
public func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}
