/// How gossipd maps its own code (`gossipd --code-pages`; `Sources/CCodePages`,
/// docs/operations.md "Many nodes on one machine").
public enum CodePages: String, CaseIterable, Sendable {
    /// 4 KiB pages, and the code only starting ran let go once started: the smallest RSS. The
    /// default.
    case small
    /// 2 MiB pages where the page cache holds the code in 2 MiB folios (`gossip-bench code-pages`
    /// reads it so): a few TLB entries for all of it, which counts when hundreds of nodes share
    /// the machine's CPUs; RSS then counts each whole 2 MiB page mapped (shared by every node).
    case huge
}
