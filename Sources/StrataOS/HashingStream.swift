import Crypto

/// A running SHA-256 and byte count over a stream that passes through.
struct HashingStream {
    private var hash = SHA256()
    private(set) var count: UInt64 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hash.update(bufferPointer: bytes)
        count += UInt64(bytes.count)
    }

    /// "sha256:<hex>".
    func finish() -> String {
        "sha256:" + hash.finalize().map { hexByte($0) }.joined()
    }
}
