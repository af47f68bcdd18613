import Foundation
import GossipClient
import GossipConfig
import GossipNode
import GossipSockets
import GossipWire
import Testing

/// The API on a Unix-domain socket (`api_socket`): the same protocol, byte for byte, as on TCP.
@Suite("API on a Unix-domain socket", .serialized)
struct UnixSocketAPITests {
    /// A new folder of our own (short, so socket paths in it fit in 107 bytes).
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A node serving the API on a socket in a fresh temporary folder, too.
    static func withSocketNode(_ body: (Node, String) throws -> Void) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("gossip.sock").path
        try withNode(configure: { $0.apiSocketPath = path }) { node in try body(node, path) }
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file goes when the node stops")
    }

    /// Reads exactly `count` bytes from `socket` within a few seconds.
    static func read(_ count: Int, from socket: Socket) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: count)
        while bytes.count < count {
            let received = try buffer.withUnsafeMutableBytes {
                try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<(count - bytes.count)]), deadline: .now + .seconds(5))
            }
            guard received > 0 else { throw TestFailure.unexpected }
            bytes += buffer[..<received]
        }
        return bytes
    }

    @Test("the course client's byte sequence works over the socket, whose file only its owner may open")
    func courseBytes() throws {
        try Self.withSocketNode { node, path in
            var status = stat()
            #expect(lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK)
            #expect(status.st_mode & 0o777 == 0o600, "mode \(String(status.st_mode & 0o777, radix: 8))")

            let subscriber = try Socket.connect(unixPath: path, deadline: .now + .seconds(2))
            // GOSSIP NOTIFY for type 0x0539 (1337): size 8, type 501, reserved, data type.
            try subscriber.send([0x00, 0x08, 0x01, 0xF5, 0x00, 0x00, 0x05, 0x39], deadline: .now + .seconds(2))
            #expect(waitUntil { node.subscriberCount(of: 1337) == 1 })
            let announcer = try Socket.connect(unixPath: path, deadline: .now + .seconds(2))
            // GOSSIP ANNOUNCE: size 12, type 500, TTL 4, reserved, data type 1337, data "ab\r\n".
            try announcer.send([0x00, 0x0C, 0x01, 0xF4, 0x04, 0x00, 0x05, 0x39, 0x61, 0x62, 0x0D, 0x0A], deadline: .now + .seconds(2))
            // GOSSIP NOTIFICATION: size 12, type 502, message ID, data type 1337, the same data.
            let notification = try Self.read(12, from: subscriber)
            #expect(notification[0..<4] == [0x00, 0x0C, 0x01, 0xF6])
            #expect(notification[6...] == [0x05, 0x39, 0x61, 0x62, 0x0D, 0x0A])
            // GOSSIP VALIDATION with the message ID, valid bit set.
            try subscriber.send([0x00, 0x08, 0x01, 0xF7] + notification[4..<6] + [0x00, 0x01], deadline: .now + .seconds(2))
            #expect(waitUntil { node.statistics.validationsValid == 1 && node.pendingValidations == 0 })
            subscriber.close()
            announcer.close()
        }
    }

    @Test("a stale socket file from a crashed run is replaced; a regular file in the way is an error")
    func staleSocketFile() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("gossip.sock").path
        let stale = try Socket.listen(unixPath: path)
        stale.close()  // the file stays, as after a crash
        #expect(FileManager.default.fileExists(atPath: path))
        try withNode(configure: { $0.apiSocketPath = path }) { node in
            let client = try Socket.connect(unixPath: path, deadline: .now + .seconds(2))
            client.close()
        }
        // A socket someone still listens on is not taken over, and stays when the refused node goes.
        try withNode(configure: { $0.apiSocketPath = path }) { node in
            var configuration = NodeConfiguration(
                apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
            configuration.apiSocketPath = path
            configuration.identityWorkBits = 0
            let second = try Node(configuration: configuration)
            #expect(throws: Node.StartError.self) { try second.start() }
            second.stop()
            let client = try Socket.connect(unixPath: path, deadline: .now + .seconds(2))
            client.close()
            #expect(node.apiPort > 0)
        }
        let regular = folder.appendingPathComponent("notes.txt").path
        try "keep me".write(toFile: regular, atomically: true, encoding: .utf8)
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        configuration.apiSocketPath = regular
        configuration.identityWorkBits = 0
        let node = try Node(configuration: configuration)
        #expect(throws: Node.StartError.self) { try node.start() }
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "keep me", "the file is left alone")
    }

    @Test("gossip announce, subscribe and status reach a node by --api unix:PATH")
    func commandLine() throws {
        try Self.withSocketNode { node, path in
            let subscriber = try GossipAPIClient(unixPath: path)
            defer { subscriber.close() }
            try subscriber.notify(dataType: 4242)
            #expect(waitUntil { node.subscriberCount(of: 4242) == 1 })
            let cli = CommandLineTests()
            let announced = try cli.run("gossip", ["announce", "--api", "unix:\(path)", "--type", "4242", "--hex", "beef"])
            #expect(announced.status == 0, "\(announced.error)")
            #expect(announced.error.contains("unix:\(path)"), "it says where it announced")
            #expect(try subscriber.expectNotification().data == [0xBE, 0xEF])
            let status = try cli.run("gossip", ["status", "--api", "unix:\(path)"])
            #expect(status.status == 0 && status.output.contains(node.identity.hex), "\(status.error)")
            let missing = try cli.run("gossip", ["status", "--api", "unix:\(path).missing"])
            #expect(missing.status == 1 && missing.error.contains("cannot connect"))
        }
    }
}
