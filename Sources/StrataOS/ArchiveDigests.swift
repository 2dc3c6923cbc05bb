/// What an archive's bytes hash to, both ways: `digest` over the bytes as
/// stored (compressed), `diffID` over the uncompressed tar stream — an OCI
/// layer's descriptor digest and its diff id. Both are "sha256:<hex>".
public struct ArchiveDigests: Sendable, Equatable {
    public var digest: String
    public var diffID: String
    /// Bytes as stored.
    public var size: UInt64
}
