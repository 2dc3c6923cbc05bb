import Foundation
import StrataOS

/// `strata layers export` and `layers import`: a layer as two files, the
/// OCI layer blob and its description (FILE.json), for stores that share no
/// registry. An import verifies the blob against the description and
/// renames the layer into place only when it is complete.
public struct LayerExchange {
    public let store: Store
    public var lockTimeout: Double = 3600
    let layers: LayerStore

    public init(store: Store) {
        self.store = store
        layers = LayerStore(store: store)
    }

    /// The description file written beside an exported blob.
    public static func descriptionPath(for blob: String) -> String { blob + ".json" }

    /// Writes the layer's blob to `path` and its description to `path.json`,
    /// each through a temporary name, so a failed export leaves neither.
    public func export(_ key: LayerKey, to path: String, compression: ArchiveExporter.Compression) throws(StrataError) -> SharedLayer {
        let lock = try acquireLock(layers.lockPath(key), .shared, what: "layer \(key.short)", timeout: lockTimeout)
        defer { lock.unlock() }
        guard let record = layers.record(key) else {
            throw .input("no layer with key '\(key.hex)'; see 'strata layers list' for the keys")
        }
        let temporary = path + ".tmp-\(CurrentProcess.id)"
        let descriptionTemporary = Self.descriptionPath(for: temporary)
        do {
            let shared = try layers.exportBlob(record, to: temporary, compression: compression)
            try during("write \(Self.descriptionPath(for: path))") {
                try FileTree.writeFile(descriptionTemporary, Array(try CanonicalJSON.encodePretty(shared)) + [10])
                try FileTree.rename(temporary, to: path)
                try FileTree.rename(descriptionTemporary, to: Self.descriptionPath(for: path))
            }
            return shared
        } catch {
            try? FileTree.removeFile(temporary)
            try? FileTree.removeFile(descriptionTemporary)
            throw error
        }
    }

    /// Imports a blob described by `description` (default: FILE.json).
    /// Returns the description and whether the layer was new to the store.
    public func importLayer(from path: String, description: String? = nil) throws(StrataError) -> (layer: SharedLayer, imported: Bool) {
        let descriptionFile = description ?? Self.descriptionPath(for: path)
        let bytes = try during("read \(descriptionFile) (written by 'strata layers export' beside the blob; pass --description if it is elsewhere)") {
            try FileTree.readFile(descriptionFile)
        }
        let shared: SharedLayer
        do { shared = try JSONDecoder().decode(SharedLayer.self, from: Data(bytes)) } catch {
            throw .input("\(descriptionFile): not a layer description written by 'strata layers export' (\(error))")
        }
        try shared.validate(source: descriptionFile)
        guard (try? FileStatus.ifExists(path))??.kind == .regular else {
            throw .input("\(path) is not a file; give the blob written by 'strata layers export'")
        }
        if layers.exists(shared.key) { return (shared, false) }
        StaleSweeper(store: store).sweep()
        try layers.requireParent(of: shared, alsoArriving: [])
        let lock = try acquireLock(layers.lockPath(shared.key), .exclusive, what: "layer \(shared.key.short)", timeout: lockTimeout)
        defer { lock.unlock() }
        if layers.exists(shared.key) { return (shared, false) }
        let staged = try layers.stage(blob: path, as: shared, source: path)
        PausePoint.importLayer.pauseIfRequested()
        return (shared, try layers.commit(staged))
    }
}
