import Testing

@testable import GossipFuzzing

@Suite("Handshake seed")
struct HandshakeSeedTests {
    /// The seeds' AUTH must pass, or the fuzzer would never get past the handshake.
    @Test("the seed HELLO and AUTH authenticate the peer")
    func seedAuthenticates() {
        var harness = HandshakeHarness()
        harness.deliver(.hello(SeedCorpus.peerHello))
        harness.deliver(.auth(SeedCorpus.peerAuth))
        #expect(harness.isLinkOpen)
        #expect(harness.core.overlay.identity(of: HandshakeHarness.link) == SeedCorpus.peerIdentity)
    }
}
