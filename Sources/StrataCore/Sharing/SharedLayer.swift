import Foundation
import StrataOS
import StrataRegistry

/// A layer on its way between stores: its record (key, creation time,
/// input manifest) and the digests of its OCI layer blob. `layers export`
/// writes it beside the blob as FILE.json; a pushed image carries one per
/// layer in its config. Nothing in it is trusted until `validate` passes
/// and the blob hashes to `digest` and `diff_id`.
public struct SharedLayer: Sendable, Codable, Equatable {
    public var key: LayerKey
    public var created: String
    public var inputs: InputManifest
    public var mediaType: String
    /// sha256 of the blob as stored (compressed).
    public var digest: String
    /// sha256 of the uncompressed tar.
    public var diffID: String
    public var size: UInt64
    /// For an incremental deps layer: the deps layer it is stacked on.
    public var standsOn: LayerKey?

    enum CodingKeys: String, CodingKey {
        case key, created, inputs, digest, size
        case standsOn = "stands_on"
        case mediaType = "media_type"
        case diffID = "diff_id"
    }

    init(record: LayerRecord, mediaType: String, digests: ArchiveDigests) {
        key = record.key
        created = record.created
        inputs = record.inputs
        self.mediaType = mediaType
        digest = digests.digest
        diffID = digests.diffID
        size = digests.size
        standsOn = record.standsOn
    }

    var record: LayerRecord { LayerRecord(key: key, created: created, inputs: inputs, standsOn: standsOn) }

    /// What lies directly below this layer in its image: the deps layer it
    /// is stacked on, else its parent.
    var below: LayerKey? { standsOn ?? inputs.parent }

    var descriptor: OCIDescriptor { OCIDescriptor(mediaType: mediaType, digest: digest, size: size) }

    /// The checks that need no blob: the key is the hash of the inputs, and
    /// the digests and media type are ones strata can verify. `source` names
    /// where the description came from, for the message.
    func validate(source: String) throws(StrataError) {
        guard inputs.key == key else {
            throw .input("\(source): layer \(key.short)'s input manifest hashes to \(inputs.key.short), not to its key; the description was altered; refused")
        }
        guard OCIDescriptor.isValidDigest(digest), OCIDescriptor.isValidDigest(diffID) else {
            throw .input("\(source): layer \(key.short) names digests strata cannot verify (\(digest), \(diffID)); only sha256 is read")
        }
        if let standsOn {
            guard LayerKey(validating: standsOn.hex) != nil, standsOn != key, inputs.role == .deps else {
                throw .input("\(source): layer \(key.short) says it stands on '\(standsOn.hex)', which is not another deps layer's key; refused")
            }
        }
        guard OCIMediaType.layerTypes.contains(mediaType) else {
            throw .input("\(source): layer \(key.short) has media type \(mediaType), not an OCI layer tar (plain, gzip or zstd)")
        }
    }

    static func mediaType(for compression: ArchiveExporter.Compression) -> String {
        switch compression {
        case .zstd: OCIMediaType.layerZstd
        case .gzip: OCIMediaType.layerGzip
        case .none: OCIMediaType.layerTar
        }
    }
}
