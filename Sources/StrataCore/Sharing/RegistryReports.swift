/// What `strata push` did, per layer of the chain (Docs/json.md).
public struct PushReport: Sendable, Encodable {
    public struct Layer: Sendable, Encodable {
        public var key: LayerKey
        public var role: InputManifest.Role
        public var digest: String
        public var size: UInt64
        /// False when the registry had the layer (its tag) already; a blob
        /// the registry had is not sent again either way.
        public var uploaded: Bool
    }

    public var reference: String
    public var key: LayerKey
    public var layers: [Layer]
    public var milliseconds = 0

    public var uploadedBytes: UInt64 { layers.filter(\.uploaded).reduce(0) { $0 + $1.size } }

    enum CodingKeys: String, CodingKey {
        case reference, key, layers
        case milliseconds = "duration_ms"
    }
}

/// What `strata pull` did, per layer of the chain (Docs/json.md).
public struct PullReport: Sendable, Encodable {
    public struct Layer: Sendable, Encodable {
        public var key: LayerKey
        public var role: InputManifest.Role
        public var digest: String
        public var size: UInt64
        /// False when the store had the layer already.
        public var pulled: Bool
    }

    public var reference: String
    public var key: LayerKey
    public var layers: [Layer]
    public var milliseconds = 0

    public var pulledBytes: UInt64 { layers.filter(\.pulled).reduce(0) { $0 + $1.size } }

    enum CodingKeys: String, CodingKey {
        case reference, key, layers
        case milliseconds = "duration_ms"
    }
}
