import Crypto
import Foundation
import GossipWire
import Testing

@testable import GossipCore

@Suite("ChaCha20-Poly1305 through BoringSSL's AEAD context")
struct ChaChaPolyContextTests {
    /// swift-crypto's sealing of `body` with our nonce layout: the reference the context must match.
    static func reference(_ body: [UInt8], header: [UInt8], counter: UInt64, key: SymmetricKey) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: counter.bigEndian) { nonce += $0 }
        let box = try ChaChaPoly.seal(body, using: key, nonce: ChaChaPoly.Nonce(data: nonce), authenticating: header)
        return Array(box.ciphertext) + Array(box.tag)
    }

    static func seal(_ context: ChaChaPolyContext, _ body: [UInt8], header: [UInt8], counter: UInt64, after prefix: [UInt8] = []) -> [UInt8] {
        var output = prefix
        body.withUnsafeBytes { body in
            header.withUnsafeBytes { header in context.seal(body, header: header, counter: counter, appendingTo: &output) }
        }
        return output
    }

    static func open(_ context: ChaChaPolyContext, _ sealed: [UInt8], header: [UInt8], counter: UInt64) -> [UInt8]? {
        var buffer = sealed
        let opened = buffer.withUnsafeMutableBytes { buffer in header.withUnsafeBytes { context.open(inPlace: buffer, header: $0, counter: counter) } }
        return opened ? Array(buffer.dropLast(ChaChaPolyContext.tagSize)) : nil
    }

    @Test("seals exactly as swift-crypto's ChaChaPoly does, and opens what it sealed, at every size and counter")
    func matchesSwiftCrypto() throws {
        var random = SeededRandom(seed: 8439)
        let key = SymmetricKey(size: .bits256)
        let context = ChaChaPolyContext(key: key)
        for size in [0, 1, 15, 16, 17, 63, 64, 65, 255, 1_000, 4_096, 65_531] {
            let counter = UInt64.random(in: 0...UInt64.max, using: &random)
            for counter in [0, 1, counter, UInt64.max] {
                let body = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
                let header = (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) }
                let expected = try Self.reference(body, header: header, counter: counter, key: key)
                let prefix: [UInt8] = [9, 9, 9]
                let sealed = Self.seal(context, body, header: header, counter: counter, after: prefix)
                #expect(Array(sealed.prefix(3)) == prefix, "what was in the output stays")
                #expect(Array(sealed.dropFirst(3)) == expected, "size \(size), counter \(counter)")
                #expect(Self.open(context, expected, header: header, counter: counter) == body)
            }
        }
    }

    @Test("RFC 8439's AEAD test vector (section 2.8.2)")
    func rfc8439Vector() throws {
        let key = SymmetricKey(data: LinkCipherTests.hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"))
        let nonce = LinkCipherTests.hex("070000004041424344454647"), aad = LinkCipherTests.hex("50515253c0c1c2c3c4c5c6c7")
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let ciphertext = LinkCipherTests.hex("""
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116
            """)
        let tag = LinkCipherTests.hex("1ae10b594f09e26a7e902ecbd0600691")
        var sealed: [UInt8] = []
        plaintext.withUnsafeBytes { body in
            aad.withUnsafeBytes { header in
                nonce.withUnsafeBytes { ChaChaPolyContext(key: key).seal(body, header: header, nonce: $0, appendingTo: &sealed) }
            }
        }
        #expect(sealed == ciphertext + tag)
    }

    @Test("frames sealed in one call, after what the output held, are the frames sealed one by one")
    func severalFramesInOneCall() {
        let keys = LinkKeys.derive(
            agreementKey: Curve25519.KeyAgreement.PrivateKey(), peerAgreementKey: Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation),
            ourNonce: Array(repeating: 1, count: 16), theirNonce: Array(repeating: 2, count: 16),
            ourIdentity: PeerIdentity(words: (1, 1, 1, 1)), theirIdentity: PeerIdentity(words: (2, 2, 2, 2)))!
        let messages: [PeerMessage] = [.ping(1), .prune, .pong(7), .ping(2)]
        var together = keys.sealer, oneByOne = keys.sealer
        var output: [UInt8] = [0xEE]
        together.seal(messages.flatMap { $0.encoded() }, into: &output)
        var expected: [UInt8] = [0xEE]
        for message in messages { oneByOne.seal(message.encoded(), into: &expected) }
        #expect(output == expected)
        #expect(together.counter == 4 && oneByOne.counter == 4)
        // And the peer opens them in order.
        var opener = keys.peerSide.opener
        var rest = output[1...]
        for message in messages {
            let size = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            let type = UInt16(rest[rest.startIndex + 2]) << 8 | UInt16(rest[rest.startIndex + 3])
            let wireSize = size + FrameSealer.tagSize
            let frame = Frame(type: type, body: Array(rest[(rest.startIndex + 4)..<(rest.startIndex + wireSize)]))
            #expect(opener.open(frame).flatMap { try? PeerMessage(frame: $0) } == message)
            rest = rest[(rest.startIndex + wireSize)...]
        }
        #expect(rest.isEmpty)
    }

    @Test("a sealed body altered, under another counter, header or key, or shorter than a tag does not open")
    func refusesWhatDoesNotMatch() {
        let key = SymmetricKey(size: .bits256)
        let context = ChaChaPolyContext(key: key)
        let body = Array("an item's bytes".utf8), header: [UInt8] = [0, 23, 2, 2]
        let sealed = Self.seal(context, body, header: header, counter: 7)
        #expect(Self.open(context, sealed, header: header, counter: 7) == body)
        for index in sealed.indices {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(Self.open(context, altered, header: header, counter: 7) == nil, "byte \(index) flipped")
        }
        #expect(Self.open(context, sealed, header: header, counter: 8) == nil)
        #expect(Self.open(context, sealed, header: [0, 23, 2, 3], counter: 7) == nil)
        #expect(Self.open(ChaChaPolyContext(key: SymmetricKey(size: .bits256)), sealed, header: header, counter: 7) == nil)
        #expect(Self.open(context, Array(sealed.prefix(15)), header: header, counter: 7) == nil)
        #expect(Self.open(context, Array(sealed.dropLast()), header: header, counter: 7) == nil)
        #expect(context == ChaChaPolyContext(key: key) && context != ChaChaPolyContext(key: SymmetricKey(size: .bits256)))
    }
}
