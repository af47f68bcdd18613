import Crypto
import Foundation
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
        sealed.withUnsafeBytes { sealed in header.withUnsafeBytes { context.open(sealed, header: $0, counter: counter) } }
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
