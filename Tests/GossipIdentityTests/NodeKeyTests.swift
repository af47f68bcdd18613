import CryptoExtras
import Foundation
import GossipWire
import Testing

@testable import GossipIdentity

@Suite("Node identity")
struct NodeKeyTests {
    @Test("an RSA host key gives the SHA-256 of its public key, the same every time")
    func rsaIdentity() throws {
        let pem = try NodeKey.generateRSAKeyPEM(bits: 2048)
        let first = try NodeKey.fromPEM(pem).identity
        let second = try NodeKey.fromPEM(pem).identity
        #expect(first == second)
        #expect(first.bytes.count == 32)
        let other = try NodeKey.fromPEM(try NodeKey.generateRSAKeyPEM(bits: 2048)).identity
        #expect(first != other)
    }

    @Test("a key file on disk is read; a missing or non-key file is a clear error")
    func loadingFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("hostkey.pem").path
        let pem = try NodeKey.generateRSAKeyPEM(bits: 2048)
        try pem.write(toFile: keyPath, atomically: true, encoding: .utf8)
        #expect(try NodeKey.load(hostkeyPath: keyPath).identity == NodeKey.fromPEM(pem).identity)

        #expect(throws: NodeKey.LoadError.self) { try NodeKey.load(hostkeyPath: directory.appendingPathComponent("missing").path) }
        let junk = directory.appendingPathComponent("junk.pem").path
        try "not a key".write(toFile: junk, atomically: true, encoding: .utf8)
        #expect(throws: NodeKey.LoadError.self) { try NodeKey.load(hostkeyPath: junk) }
    }

    @Test("a key that is there but unusable says why: an RSA key under 2048 bits, an encrypted key")
    func unusableKeys() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).pemRepresentation
        #expect {
            try NodeKey.fromPEM(small, source: "small.pem")
        } throws: { error in
            "\(error)" == "hostkey: 'small.pem' is an RSA key of 1024 bits; at least 2048 are needed (`gossip keygen` makes one)"
        }
        // The armour of a passphrase-protected PKCS#8 key (the body need not be real for the check).
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect {
            try NodeKey.fromPEM(encrypted, source: "enc.pem")
        } throws: { error in
            "\(error)".hasPrefix("hostkey: 'enc.pem' is encrypted with a passphrase; gossipd needs an unencrypted key")
        }
    }

    @Test("ephemeral keys give distinct 32-byte identities")
    func ephemeral() {
        let a = NodeKey.ephemeral().identity, b = NodeKey.ephemeral().identity
        #expect(a != b)
        #expect(a.bytes.count == 32)
        #expect(PeerIdentity(bytes: [1, 2, 3]) == nil)
    }

    @Test("a signature proves the signer's identity, and nothing else", arguments: ["p256", "rsa"])
    func signatures(kind: String) throws {
        let key = kind == "rsa" ? try NodeKey.fromPEM(NodeKey.generateRSAKeyPEM(bits: 2048)) : NodeKey.ephemeral()
        let message = Array("hello".utf8)
        let signature = try key.sign(message)
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: key.publicKeyDER) == key.identity)
        #expect(NodeKey.verify(signature: signature, of: Array("hellO".utf8), publicKeyDER: key.publicKeyDER) == nil, "another message")
        var tampered = signature
        tampered[tampered.count / 2] ^= 0x01
        #expect(NodeKey.verify(signature: tampered, of: message, publicKeyDER: key.publicKeyDER) == nil, "a changed signature")
        let other = NodeKey.ephemeral()
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: other.publicKeyDER) == nil, "another key")
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: [0x30, 0x00]) == nil, "junk key")
    }

    @Test("keys in AUTH as protocol.md 2.2 says: an EC point uncompressed only; an RSA key labelled rsaEncryption or RSASSA-PSS, its identity the hash of the bytes sent")
    func keyEncodings() throws {
        // Made with openssl: `ecparam -name prime256v1 -genkey`, `dgst -sha256 -sign` over the
        // message, and `ec -pubout -outform DER` without and with `-conv_form compressed`.
        func bytes(_ hex: String) -> [UInt8] {
            stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
        }
        let message = Array("gossip key encodings".utf8)
        let signature = bytes(
            "3045022100b7cee05c9a8921cefee829c519ac3746cb88c85904d100e00a10d789e518c38d02201b69066bfcd90e6fb793a3f0748a6d1f1df6a48074f2e1d92ce888daecba07fc")
        let uncompressed = bytes(
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004eb77a8742c5a454a0977d095907e4324722c06e9246b8125bc42344c908a3236"
                + "30b6f127c9d6e9b75d903d87d85c485db6b0ab9f6c8de0128f3c01cc6b61d615")
        let compressed = bytes("3039301306072a8648ce3d020106082a8648ce3d03010703220003eb77a8742c5a454a0977d095907e4324722c06e9246b8125bc42344c908a3236")
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: uncompressed) == PeerIdentity(publicKeyDER: uncompressed))
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: compressed) == nil)
        // An RSA key made by `genpkey -algorithm RSA-PSS` is labelled id-RSASSA-PSS; the same key
        // relabelled rsaEncryption verifies the same PSS signature too (`dgst -sha256 -sigopt
        // rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32`).
        let rsaSignature = bytes(
            "9143dd7b6b1d65bf4cb1efa04c5453b94c4761c2d613fa86e602700b5d153b08a7fb37939a165088531764fee9faef618c76"
            + "fb2680aae5f5d33afeea0a081a162c9389272d1c7dc445812acf2168351384f49756c7b6881b3360724ebeabeedf4c1b9e23"
            + "9c2082c00528583f9ac6604ef9e3f76469e70ae5fad808f6d1f013f42c3daab0a69e7546d989b0546861428ad77efa03ed44"
            + "dfe63972c51aad823884e460223725b1ce04c1caca7bf43cb60fc48291c6048b7e4e5c0a699c71b0e817a8d6908a19d809c3"
            + "cc671e13da00748d66c426fdf8f87d22e34ddd590d5a533021d945e1549bb5bc878fd802ab92cfd6c45213d9e71120d78085"
            + "9fbc2b428be6")
        let rsaEncryption = bytes(
            "30820122300d06092a864886f70d01010105000382010f003082010a0282010100a40d3b721b60cf73193a206eee90316540"
            + "5c2738593f446f9c8e73b7ae2ec401175c2273521bc96b3a4a3de08eb5fc332376f7a4bb7afe0afb799c7d50a2f912ba9ae0"
            + "c9a7fd61ecd97dc93b17b2a00d394b4bf24a8351da3a30d5784c49978dc7e5a3ae5be067262782d774b37f9b07b5ef12aee8"
            + "62fcaf0c1ea38149aa29fb5be454d663d7e4b479e1a3ed7da1a617945a777516e09a3162b8c2a79b76562e60b6f7be330f44"
            + "5494cd78a7fdfe5bceb7b0e5453bb402e3e89e9d93f64e4a52b686546af8f7d3547808503cfe1b17967e2db4df7b4dbdcea6"
            + "146a8bea350834036121ed33a5eea96360d63ac077c30f121c73e1822bd302d0e73ec95a194e690203010001")
        let rsassaPSS = bytes(
            "30820120300b06092a864886f70d01010a0382010f003082010a0282010100a40d3b721b60cf73193a206eee903165405c27"
            + "38593f446f9c8e73b7ae2ec401175c2273521bc96b3a4a3de08eb5fc332376f7a4bb7afe0afb799c7d50a2f912ba9ae0c9a7"
            + "fd61ecd97dc93b17b2a00d394b4bf24a8351da3a30d5784c49978dc7e5a3ae5be067262782d774b37f9b07b5ef12aee862fc"
            + "af0c1ea38149aa29fb5be454d663d7e4b479e1a3ed7da1a617945a777516e09a3162b8c2a79b76562e60b6f7be330f445494"
            + "cd78a7fdfe5bceb7b0e5453bb402e3e89e9d93f64e4a52b686546af8f7d3547808503cfe1b17967e2db4df7b4dbdcea6146a"
            + "8bea350834036121ed33a5eea96360d63ac077c30f121c73e1822bd302d0e73ec95a194e690203010001")
        #expect(NodeKey.verify(signature: rsaSignature, of: message, publicKeyDER: rsaEncryption) == PeerIdentity(publicKeyDER: rsaEncryption))
        #expect(NodeKey.verify(signature: rsaSignature, of: message, publicKeyDER: rsassaPSS) == PeerIdentity(publicKeyDER: rsassaPSS))
        #expect(PeerIdentity(publicKeyDER: rsassaPSS) != PeerIdentity(publicKeyDER: rsaEncryption), "two encodings, two identities")
    }
}
