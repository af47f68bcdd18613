extension Duration {
    /// The duration in whole nanoseconds (what `TimeAmount`, `DispatchTime` and swift-metrics'
    /// timers take).
    public var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
