import GossipFuzzing

/// libFuzzer's entry point (the fuzzer supplies `main`): one input per call, handed to `fuzzAPIDecoder`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // Sound: libFuzzer passes `size` readable bytes at `data` (which may be nil when size is 0),
    // valid for this call only; they are copied into an array before anything else runs.
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    fuzzAPIDecoder(input)
    return 0
}
