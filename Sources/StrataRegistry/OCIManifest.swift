import Foundation

/// An OCI image manifest: a config blob and layer blobs, bottom first.
public struct OCIManifest: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(config: OCIDescriptor, layers: [OCIDescriptor], annotations: [String: String]? = nil) {
        schemaVersion = 2
        mediaType = OCIMediaType.manifest
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// The same value gives the same bytes: keys sorted, no whitespace.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data())
    }
}
