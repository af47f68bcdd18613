internal import CBoringAEAD
import Crypto

/// One direction's ChaCha20-Poly1305 key as a BoringSSL AEAD context, made once per link
/// direction and used for every frame. The bytes are those of swift-crypto's `ChaChaPoly.seal`
/// (the tests check RFC 8439's AEAD vector and compare with `ChaChaPoly` at many sizes), but
/// `ChaChaPoly` sets up a context, several `Data` buffers and generic calls for every frame: a
/// small frame took 1.4-1.6 µs to seal or open that way and takes 0.2-0.25 µs here, and at 300
/// nodes on two cores the nodes' CPU fell by 15% (docs/benchmarks.md).
///
/// `@unchecked Sendable`: the context is written once, by `init`, and freed by `deinit`; BoringSSL
/// documents that seal and open may be called on one context from several threads at once
/// (include/openssl/aead.h: seal "may be called concurrently with itself or any other seal/open
/// function on the same EVP_AEAD_CTX"). Each `FrameSealer`/`FrameOpener` is in any case used by
/// one thread at a time.
final class ChaChaPolyContext: Equatable, @unchecked Sendable {
    /// The key's bytes, kept for `==` and for `LinkKeys.peerSide`.
    let key: SymmetricKey
    private let context: OpaquePointer

    /// The sizes `Sources/CBoringAEAD/shim.h` passes to BoringSSL (ChaCha20-Poly1305, RFC 8439).
    static let keySize = 32
    static let nonceSize = 12
    static let tagSize = 16

    /// A context for a 32-byte key. BoringSSL refuses only keys of another size, or fails only
    /// when out of memory; both are programming errors or fatal here.
    init(key: SymmetricKey) {
        precondition(key.bitCount == Self.keySize * 8, "a ChaChaPoly key has 32 bytes")
        self.key = key
        // The key bytes are read during the call only; BoringSSL copies them into the context.
        guard let context = key.withUnsafeBytes({ gossip_chachapoly_new($0.baseAddress) }) else {
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
    /// ciphertext (as long as `body`) and the 16-byte tag. `body` and `header` must not point into
    /// `output`'s storage (appending may move it).
    func seal(_ body: UnsafeRawBufferPointer, header: UnsafeRawBufferPointer, counter: UInt64, appendingTo output: inout [UInt8]) {
        Self.withNonce(counter) { seal(body, header: header, nonce: $0, appendingTo: &output) }
    }

    /// `seal` with any 12-byte nonce (the frames' nonces come from `withNonce`; the tests use RFC
    /// 8439's).
    func seal(_ body: UnsafeRawBufferPointer, header: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        precondition(nonce.count == Self.nonceSize, "a ChaChaPoly nonce has 12 bytes")
        let start = output.count
        // Grow by the sealed size, then write into the new tail. The zero fill is overwritten.
        output.append(contentsOf: repeatElement(0, count: body.count + Self.tagSize))
        let sealed = output.withUnsafeMutableBufferPointer { out in
            // The tail is new storage, so it overlaps neither `body` nor `header` (BoringSSL
            // allows no partial overlap), and it has room for exactly the sealed size.
            gossip_chachapoly_seal(
                context, out.baseAddress! + start, nonce.baseAddress, body.baseAddress, body.count, header.baseAddress, header.count)
        }
        // Sealing fails only for sizes BoringSSL cannot take (over 2^38 bytes): a programming error.
        precondition(sealed == 1, "BoringSSL refused to seal a frame")
    }

    /// Opens `buffer` (ciphertext, then the 16-byte tag) with the nonce of `counter`, checking
    /// `header` with it, and writes the plaintext over the ciphertext: true if the tag matched,
    /// and then the first `buffer.count - 16` bytes are the plaintext. If not, the bytes are
    /// unspecified (BoringSSL may have zeroed them). `header` must not point into `buffer`.
    ///
    /// In place, because a second buffer per frame cost more than the cipher when the reader's
    /// thread had just woken: made through a generic array initializer that looked its type up in
    /// the runtime's metadata cache on every call, it took a cold open from about 5 µs to 12-16 µs
    /// (`gossip-bench link --cold-calls`; docs/benchmarks.md, "Cost of security", "Opening in
    /// place").
    func open(inPlace buffer: UnsafeMutableRawBufferPointer, header: UnsafeRawBufferPointer, counter: UInt64) -> Bool {
        guard buffer.count >= Self.tagSize else { return false }
        // BoringSSL allows `out` to alias `in` exactly (aead.h; `check_alias`), which this is.
        return Self.withNonce(counter) { nonce in
            gossip_chachapoly_open(
                context, buffer.baseAddress, nonce.baseAddress, UnsafeRawPointer(buffer.baseAddress), buffer.count, header.baseAddress,
                header.count)
        } == 1
    }

    /// Calls `body` with the 12-byte nonce of `counter`: 4 zero bytes, then the counter as a
    /// big-endian u64 (docs/protocol.md section 4.5), on the stack.
    private static func withNonce<R>(_ counter: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        // Three u32s are laid out as 12 contiguous bytes (a homogeneous tuple has no padding).
        let nonce: (UInt32, UInt32, UInt32) = (0, UInt32(truncatingIfNeeded: counter >> 32).bigEndian, UInt32(truncatingIfNeeded: counter).bigEndian)
        return withUnsafeBytes(of: nonce) { body($0) }
    }
}
