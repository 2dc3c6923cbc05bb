import Foundation
import StrataOS

/// `strata layers export` and `layers import`: a layer as two files, the
/// OCI layer blob and its description (FILE.json), for stores that share no
/// registry. An import verifies the blob against the description and
/// renames the layer into place only when it is complete.
public struct LayerExchange {
    /// A layer written or read as files: its description and its blob.
    public struct File: Sendable {
        public let layer: SharedLayer
        /// The blob; its description is `descriptionPath(for:)` unless given.
        public let path: String
        /// For an import: false when the store had the layer already.
        public let imported: Bool
    }

    public let store: Store
    public let lockTimeout: Double
    let layers: LayerStore

    public init(store: Store, lockTimeout: Double = 3600) {
        self.store = store
        self.lockTimeout = lockTimeout
        layers = LayerStore(store: store)
    }

    /// The description file written beside an exported blob.
    public static func descriptionPath(for blob: String) -> String { blob + ".json" }

    /// Where the `n`th layer below an incremental deps layer exported to
    /// `blob` goes (n = 1: the one it is stacked on directly).
    public static func belowPath(for blob: String, _ n: Int) -> String { blob + ".below-\(n)" }

    /// Writes the layer's blob to `path` and its description to `path.json`,
    /// each through a temporary name, so a failed export leaves neither. An
    /// incremental deps layer brings the deps layers it is stacked on, as
    /// `path.below-1`, `path.below-2`, …: the files hold the whole stack.
    /// Returns the files written, the layer first.
    public func export(_ key: LayerKey, to path: String, compression: ArchiveExporter.Compression,
                       progress: ProgressSink? = nil) throws(StrataError) -> [File] {
        let lock = try acquireLock(layers.lockPath(key), .shared, what: "layer \(key.short)", timeout: lockTimeout)
        defer { lock.unlock() }
        guard let record = layers.record(key) else {
            throw .input("no layer with key '\(key.hex)'; see 'strata layers list' for the keys")
        }
        let stack = record.standsOn == nil ? [record] : try layers.stack(key)
        var held: [FileLock] = []
        defer { held.forEach { $0.unlock() } }
        for lower in stack.dropFirst() {
            held.append(try acquireLock(layers.lockPath(lower.key), .shared, what: "layer \(lower.key.short)", timeout: lockTimeout))
        }
        var files: [File] = []
        for (index, member) in stack.enumerated() {
            let file = index == 0 ? path : Self.belowPath(for: path, index)
            files.append(File(layer: try exportOne(member, to: file, compression: compression, progress: progress), path: file, imported: false))
        }
        return files
    }

    private func exportOne(_ record: LayerRecord, to path: String, compression: ArchiveExporter.Compression,
                           progress: ProgressSink?) throws(StrataError) -> SharedLayer {
        let temporary = path + ".tmp-\(CurrentProcess.id)"
        let descriptionTemporary = Self.descriptionPath(for: temporary)
        do {
            let shared = try layers.exportBlob(record, to: temporary, compression: compression, progress: progress)
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

    /// Imports a blob described by `description` (default: FILE.json). An
    /// incremental deps layer whose lower layers the store lacks brings them
    /// from `FILE.below-1`, `FILE.below-2`, … (as `export` wrote them), bottom
    /// first. Returns the files read, the layer first, each saying whether it
    /// was new to the store.
    public func importLayer(from path: String, description: String? = nil, progress: ProgressSink? = nil) throws(StrataError) -> [File] {
        var files: [File] = []
        var shared = try read(path, description: description)
        var layerPath = path
        var below = 0
        var described: [(SharedLayer, String)] = [(shared, path)]
        // Down the stack while the store lacks what the layer stands on.
        while let lower = shared.standsOn, !layers.exists(lower) {
            below += 1
            layerPath = Self.belowPath(for: path, below)
            guard (try? FileStatus.ifExists(Self.descriptionPath(for: layerPath))) != nil else { break }
            shared = try read(layerPath, description: nil)
            guard shared.key == lower else {
                throw .input("\(Self.descriptionPath(for: layerPath)) describes layer \(shared.key.short), but the layer above it stands on \(lower.short); the files do not belong together")
            }
            described.append((shared, layerPath))
        }
        for (layer, file) in described.reversed() {
            files.insert(File(layer: layer, path: file, imported: try importOne(layer, from: file, progress: progress)), at: 0)
        }
        return files
    }

    private func read(_ path: String, description: String?) throws(StrataError) -> SharedLayer {
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
        return shared
    }

    /// One described blob into the store; false when it was there already.
    private func importOne(_ shared: SharedLayer, from path: String, progress: ProgressSink?) throws(StrataError) -> Bool {
        if layers.exists(shared.key) { return false }
        StaleSweeper(store: store).sweep()
        try layers.requireParent(of: shared, alsoArriving: [])
        let lock = try acquireLock(layers.lockPath(shared.key), .exclusive, what: "layer \(shared.key.short)", timeout: lockTimeout)
        defer { lock.unlock() }
        if layers.exists(shared.key) { return false }
        let staged = try layers.stage(blob: path, as: shared, source: path, progress: progress)
        PausePoint.importLayer.pauseIfRequested()
        return try layers.commit(staged)
    }
}
