import Foundation

/// The benchmark's `print`: each line is flushed as it is printed, into a file or a pipe too. A
/// run takes minutes, and `tail -f` or `tee` should show each phase as it ends, not everything at
/// the end. (Making standard output line-buffered with `setvbuf` would need C's `stdout`, a
/// global variable Swift 6 lets this module touch only with an unsafe opt-out.)
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(items.map { "\($0)" }.joined(separator: separator), terminator: terminator)
    fflush(nil)
}
