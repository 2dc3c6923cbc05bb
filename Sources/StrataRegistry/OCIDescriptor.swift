/// An OCI content descriptor: what a blob is, its digest and its size.
public struct OCIDescriptor: Sendable, Codable, Equatable {
    public var mediaType: String
    public var digest: String
    public var size: UInt64
    public var annotations: [String: String]?

    public init(mediaType: String, digest: String, size: UInt64, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
    }

    /// True for "sha256:" followed by 64 lowercase hex digits: the only
    /// algorithm strata verifies, and a digest safe to put in a URL or path.
    public static func isValidDigest(_ digest: String) -> Bool {
        guard digest.hasPrefix("sha256:") else { return false }
        let hex = digest.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
