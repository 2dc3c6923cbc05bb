import Crypto

/// A running SHA-256 and byte count over a stream that passes through.
public struct HashingStream {
    private var hash = SHA256()
    public private(set) var count: UInt64 = 0

    public init() {}

    /// The plain hex SHA-256 of `bytes` (64 digits), as layer keys are spelled.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).map { hexByte($0) }.joined()
    }

    /// "sha256:<hex>" of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> String {
        var stream = HashingStream()
        bytes.withUnsafeBytes { stream.update($0) }
        return stream.finish()
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hash.update(bufferPointer: bytes)
        count += UInt64(bytes.count)
    }

    /// "sha256:<hex>".
    public func finish() -> String {
        "sha256:" + hash.finalize().map { hexByte($0) }.joined()
    }
}
