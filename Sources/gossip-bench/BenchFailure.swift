/// A benchmark that could not run to its end (a node that did not start, an overlay that never
/// joined up): "Error: ..." and exit status 1, without the usage text a ValidationError brings.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
