/// The version of the package's programs (`gossipd`, `gossip`, `gossip-bench`, `gossip-sim`), in
/// one place so every `--version` prints the same.
public enum GossipVersion {
    /// The release, semantic versioning.
    public static let release = "0.1.0"
    /// What `--version` prints: the release and the P2P protocol version it speaks
    /// (``PeerHello/currentVersion``), e.g. `0.1.0 (P2P protocol 6)`.
    public static let text = "\(release) (P2P protocol \(PeerHello.currentVersion))"
}
