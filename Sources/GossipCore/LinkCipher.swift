import Crypto
import GossipWire

/// The frame keys of one encrypted link, one per direction (docs/protocol.md section 4.5).
///
/// Both ends send an X25519 public key made for this link alone in their AUTH, signed with the
/// rest of the handshake. Each end combines its private key with the peer's public key; HKDF-SHA256
/// turns the shared secret into a 32-byte ChaChaPoly key per direction, labelled with the
/// sender's and the receiver's nonce and identity, so the two directions never share a key.
public struct LinkKeys: Equatable, Sendable {
    /// Seals what this node sends on the link.
    public var sealer: FrameSealer
    /// Opens what the peer sends.
    public var opener: FrameOpener

    /// The keys of a link from our agreement key and the peer's AUTH; nil if the peer's key is
    /// not a usable X25519 key (wrong length, or a low-order point that yields no secret).
    public static func derive(
        agreementKey: Curve25519.KeyAgreement.PrivateKey, peerAgreementKey: [UInt8],
        ourNonce: [UInt8], theirNonce: [UInt8], ourIdentity: PeerIdentity, theirIdentity: PeerIdentity
    ) -> LinkKeys? {
        guard let peerKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerAgreementKey),
            let secret = try? agreementKey.sharedSecretFromKeyAgreement(with: peerKey),
            // A low-order point (such as 32 zero bytes) gives the all-zero secret, which anyone
            // watching would know; swift-crypto does not refuse it, so this does.
            secret.withUnsafeBytes({ $0.contains { $0 != 0 } })
        else { return nil }
        func key(from senderNonce: [UInt8], _ receiverNonce: [UInt8], _ sender: PeerIdentity, _ receiver: PeerIdentity) -> SymmetricKey {
            secret.hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: Array("gossip-link-keys-v1".utf8),
                sharedInfo: senderNonce + receiverNonce + sender.bytes + receiver.bytes, outputByteCount: 32)
        }
        return LinkKeys(
            sealer: FrameSealer(key: key(from: ourNonce, theirNonce, ourIdentity, theirIdentity)),
            opener: FrameOpener(key: key(from: theirNonce, ourNonce, theirIdentity, ourIdentity)))
    }

    /// The same link's keys as the other end holds them, both counters at 0: its sealer uses our
    /// opener's key and its opener our sealer's. For tools and tests that play the peer.
    public var peerSide: LinkKeys {
        LinkKeys(sealer: FrameSealer(key: opener.cipher.key), opener: FrameOpener(key: sealer.cipher.key))
    }
}

/// Seals the frames one end sends: the 4-byte header stays as it was (its size still counts the
/// plaintext body) and is authenticated with the body; the body is encrypted and followed by a
/// 16-byte tag. Frames are numbered from 0 in the order they are sealed, which must be the order
/// they are written.
public struct FrameSealer: Equatable, Sendable {
    let cipher: ChaChaPolyContext
    /// The number of the next frame.
    public private(set) var counter: UInt64 = 0

    /// The bytes a sealed frame adds to the plaintext frame.
    public static let tagSize = ChaChaPolyContext.tagSize

    init(key: SymmetricKey) {
        self.cipher = ChaChaPolyContext(key: key)
    }

    /// Seals every whole frame in `frames` (concatenated plaintext frames, each with its header)
    /// and appends the results to `output`. A trailing partial frame is a programming error.
    public mutating func seal(_ frames: [UInt8], into output: inout [UInt8]) {
        var rest = frames[...]
        while !rest.isEmpty {
            precondition(rest.count >= Framing.headerSize, "sealing a partial frame")
            let size = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            precondition(size >= Framing.headerSize && size <= rest.count, "sealing a partial frame")
            let header = rest.prefix(Framing.headerSize)
            let body = rest[(rest.startIndex + Framing.headerSize)..<(rest.startIndex + size)]
            output.append(contentsOf: header)
            body.withUnsafeBytes { body in
                header.withUnsafeBytes { header in
                    cipher.seal(body, header: header, counter: counter, appendingTo: &output)
                }
            }
            // The counter cannot wrap: 2^64 frames would take centuries at any rate a link carries.
            counter += 1
            rest = rest[(rest.startIndex + size)...]
        }
    }
}

/// Opens the frames one end receives, in order: a frame that was altered, replayed, reordered,
/// cut short or sealed with another key does not open, and the link must close.
public struct FrameOpener: Equatable, Sendable {
    let cipher: ChaChaPolyContext
    /// The number of the next frame expected.
    public private(set) var counter: UInt64 = 0

    init(key: SymmetricKey) {
        self.cipher = ChaChaPolyContext(key: key)
    }

    /// The plaintext frame of a sealed one, as `FrameReader` read it with `trailerSize =
    /// FrameSealer.tagSize` (its body is the ciphertext and the tag); nil if it does not open.
    public mutating func open(_ sealed: Frame) -> Frame? {
        var frame = sealed
        return open(&frame) ? frame : nil
    }

    /// Opens `frame` in place (see `open(_:)`): true if it opened, and then its body is the
    /// plaintext. If not, the body is unspecified and the link must close. The node's readers use
    /// this: the body they read is their own, so no second buffer is made.
    public mutating func open(_ frame: inout Frame) -> Bool {
        guard frame.body.count >= FrameSealer.tagSize else { return false }
        let bodySize = frame.body.count - FrameSealer.tagSize
        let size = Framing.headerSize + bodySize
        // The clear header, on the stack: no allocation per frame on the reader's path.
        let header = (UInt8(size >> 8), UInt8(size & 0xFF), UInt8(frame.type >> 8), UInt8(frame.type & 0xFF))
        let counter = self.counter
        let opened = frame.body.withUnsafeMutableBytes { body in
            withUnsafeBytes(of: header) { header in cipher.open(inPlace: body, header: header, counter: counter) }
        }
        guard opened else { return false }
        frame.body.removeLast(FrameSealer.tagSize)
        self.counter += 1
        return true
    }
}
