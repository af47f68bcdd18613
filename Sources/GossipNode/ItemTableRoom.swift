/// How many entries gossipd's tables keyed by item ID (the seen set, the item cache, the
/// broadcast tree's memories of recent items) make room for at start, each at most its capacity.
///
/// A hashed table doubles when it is three quarters full, rehashing every entry into new memory.
/// Grown from empty, these tables grew together, on the same item at every node of a network
/// (its 13th, 25th, 49th and 97th since the start): at 300 processes on two CPUs those items
/// took 1.6 times as long as the others to reach every node on average, up to 2.8 times
/// (`docs/benchmarks.md`, "Tables that grew together"). With room for 512 the first 768 items
/// need no growth (a hashed table of 1,024 places; the tables' queues of insertion order reserve
/// as much); the room costs little memory until entries fill it. The simulator leaves it at 0:
/// 100,000 simulated nodes would each hold it.
enum ItemTableRoom {
    static let entries = 512
}
