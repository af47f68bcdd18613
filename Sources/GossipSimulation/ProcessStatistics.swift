#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Nanoseconds of a monotonic clock, for wall time only (never for simulated time).
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The process's peak resident set (VmHWM in /proc/self/status), in MiB; 0 where unavailable.
public func peakResidentMebibytes() -> Double {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard line.hasPrefix("VmHWM:") else { continue }
        let digits = line.dropFirst(6).filter { $0.isNumber }
        return (Double(String(digits)) ?? 0) / 1024  // kB
    }
    return 0
}

/// `value` with `places` decimals.
func format(_ value: Double, _ places: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    var text = "\(value < 0 && scaled > 0 ? "-" : "")\(whole)"
    if places > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: places - digits.count) + digits
    }
    return text
}

/// 1234567 as "1.2M", 12345 as "12.3k".
func abbreviated(_ value: Double) -> String {
    switch value {
    case 1e9...: "\(format(value / 1e9, 1))G"
    case 1e6...: "\(format(value / 1e6, 1))M"
    case 1e3...: "\(format(value / 1e3, 1))k"
    default: format(value, 0)
    }
}

/// `value` rounded to 6 significant digits, so reports print the same text on every run.
func significant(_ value: Double, digits: Int = 6) -> Double {
    guard value.isFinite, value != 0 else { return value.isFinite ? 0 : value }
    let magnitude = Int((log10(abs(value))).rounded(.down))
    let exponent = digits - 1 - magnitude
    var scale = 1.0
    for _ in 0..<abs(exponent) { scale *= 10 }
    return exponent >= 0 ? (value * scale).rounded() / scale : (value / scale).rounded() * scale
}
