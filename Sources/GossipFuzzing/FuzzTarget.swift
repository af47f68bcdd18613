/// The fuzz targets, by the name of their executable and seed corpus folder (`fuzz/corpus/<name>`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    case apiDecoder = "fuzz-api-decoder"
    case peerDecoder = "fuzz-peer-decoder"
    case frameReader = "fuzz-frame-reader"
    case handshake = "fuzz-handshake"
    case config = "fuzz-config"

    /// Runs this target's fuzz function on one input.
    public func run(_ input: [UInt8]) {
        switch self {
        case .apiDecoder: fuzzAPIDecoder(input)
        case .peerDecoder: fuzzPeerDecoder(input)
        case .frameReader: fuzzFrameReader(input)
        case .handshake: fuzzHandshake(input)
        case .config: fuzzConfig(input)
        }
    }
}
