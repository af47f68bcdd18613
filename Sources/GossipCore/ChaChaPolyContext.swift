import CBoringAEAD
import Crypto

/// One direction's ChaCha20-Poly1305 key as a BoringSSL AEAD context, made once per link
/// direction and used for every frame: the same cipher and bytes as swift-crypto's
/// `ChaChaPoly.seal`/`open` (the tests check both against each other and RFC 8439's vector), which
/// set up a context, several `Data` buffers and generic calls for every frame. Under load those
/// cost more than the cipher: with 50 nodes on two cores, encryption added 15-26% to the nodes' CPU
/// while a build with the cipher calls replaced by copies ran like plain text.
///
/// `@unchecked Sendable`: the context is written once, by `init`, and freed by `deinit`; BoringSSL's
/// seal and open take it as `const` and keep no state in it between calls, so calls from any thread
/// are sound. Each `FrameSealer`/`FrameOpener` is in any case used by one thread at a time.
final class ChaChaPolyContext: Equatable, @unchecked Sendable {
    /// The key's bytes, kept for `==` and for `LinkKeys.peerSide`.
    let key: SymmetricKey
    private let context: OpaquePointer

    static let keySize = 32
    static let nonceSize = 12
    static let tagSize = 16

    /// A context for a 32-byte key. BoringSSL refuses only keys of another size, or fails only
    /// when out of memory; both are programming errors or fatal here.
    init(key: SymmetricKey) {
        precondition(key.bitCount == Self.keySize * 8, "a ChaChaPoly key has 32 bytes")
        self.key = key
        // The key bytes are read during the call only; BoringSSL copies them into the context.
        guard let context = key.withUnsafeBytes({ gossip_chachapoly_new($0.bindMemory(to: UInt8.self).baseAddress) }) else {
            fatalError("BoringSSL could not make a ChaCha20-Poly1305 context")
        }
        self.context = context
    }

    /// Two contexts are equal if their keys are (constant-time, as `SymmetricKey` compares).
    static func == (lhs: ChaChaPolyContext, rhs: ChaChaPolyContext) -> Bool {
        lhs.key == rhs.key
    }

    deinit {
        gossip_chachapoly_free(context)
    }

    /// Appends `body` sealed with the nonce of `counter` and authenticating `header`: the
    /// ciphertext (as long as `body`) and the 16-byte tag.
    func seal(_ body: UnsafeRawBufferPointer, header: UnsafeRawBufferPointer, counter: UInt64, appendingTo output: inout [UInt8]) {
        let start = output.count
        let sealedSize = body.count + Self.tagSize
        // Grow by the sealed size, then write into the new tail. The zero fill is overwritten.
        output.append(contentsOf: repeatElement(0, count: sealedSize))
        let sealed = Self.withNonce(counter) { nonce in
            output.withUnsafeMutableBufferPointer { out in
                // `out` is a distinct buffer from `body` and `header` (inout exclusivity), as
                // BoringSSL requires; it has room for exactly `sealedSize` bytes after `start`.
                gossip_chachapoly_seal(
                    context, out.baseAddress! + start, nonce, body.bindMemory(to: UInt8.self).baseAddress, body.count,
                    header.bindMemory(to: UInt8.self).baseAddress, header.count)
            }
        }
        // Sealing fails only for sizes BoringSSL cannot take (over 2^38 bytes): a programming error.
        precondition(sealed == 1, "BoringSSL refused to seal a frame")
    }

    /// The plaintext of `sealed` (ciphertext and tag) opened with the nonce of `counter`, checking
    /// `header` with it; nil if the tag does not match (altered, replayed, reordered, other key).
    func open(_ sealed: UnsafeRawBufferPointer, header: UnsafeRawBufferPointer, counter: UInt64) -> [UInt8]? {
        guard sealed.count >= Self.tagSize else { return nil }
        var opened = false
        let plaintext = [UInt8](unsafeUninitializedCapacity: sealed.count - Self.tagSize) { out, count in
            opened = Self.withNonce(counter) { nonce in
                gossip_chachapoly_open(
                    context, out.baseAddress, nonce, sealed.bindMemory(to: UInt8.self).baseAddress, sealed.count,
                    header.bindMemory(to: UInt8.self).baseAddress, header.count)
            } == 1
            // BoringSSL writes all of the plaintext, or zeroes on failure; a failed open keeps none.
            count = opened ? out.count : 0
        }
        return opened ? plaintext : nil
    }

    /// Calls `body` with the 12-byte nonce of `counter`: 4 zero bytes, then the counter as a
    /// big-endian u64 (docs/protocol.md section 4.5), on the stack.
    private static func withNonce<R>(_ counter: UInt64, _ body: (UnsafePointer<UInt8>) -> R) -> R {
        // Three u32s are laid out as 12 contiguous bytes (a homogeneous tuple has no padding).
        var nonce: (UInt32, UInt32, UInt32) = (0, UInt32(truncatingIfNeeded: counter >> 32).bigEndian, UInt32(truncatingIfNeeded: counter).bigEndian)
        return withUnsafeBytes(of: &nonce) { raw in
            body(raw.bindMemory(to: UInt8.self).baseAddress!)
        }
    }
}
