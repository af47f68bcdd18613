/// The `api_token` check, shared by the API port (message 517) and the admin endpoints.
public enum APIToken {
    /// Whether `offered` is `expected`, compared without stopping at the first difference, so
    /// timing does not reveal how much of a guess was right (the lengths aside).
    public static func matches(_ offered: [UInt8], _ expected: [UInt8]) -> Bool {
        guard offered.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in offered.indices { difference |= offered[index] ^ expected[index] }
        return difference == 0
    }
}
