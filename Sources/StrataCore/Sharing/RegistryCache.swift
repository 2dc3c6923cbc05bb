// Sharing/ — layers leaving and entering a store: export and import as
// files (LayerExchange), push and pull to an OCI registry (RegistryCache),
// and the checks a shared layer passes before it is renamed into place. May
// use: Support, Keys, Store, StrataOS, StrataRegistry.

import Foundation
import StrataOS
import StrataRegistry

/// An OCI registry as a layer cache shared by many stores. A layer is
/// pushed as an image tagged with its key: its blob and the blobs of the
/// layers it stands on (each also pushed under its own tag, parents first),
/// with a config that carries their input manifests. A pull fetches the
/// manifest, verifies every digest, extracts every missing layer of the
/// chain into temporary layers, and renames them into place only when all
/// of them are complete — any mismatch leaves nothing behind.
public final class RegistryCache {
    public let store: Store
    public let reference: RepositoryReference
    /// How long to wait for a layer's lock, in seconds.
    public let lockTimeout: Double
    /// How pushed blobs are compressed.
    public let compression: ArchiveExporter.Compression
    let layers: LayerStore
    private let client: RegistryClient

    /// `environment` is where credentials are looked up (STRATA_REGISTRY_*,
    /// DOCKER_CONFIG, REGISTRY_AUTH_FILE, HOME).
    public init(store: Store, reference: String, environment: [String: String], lockTimeout: Double = 3600,
                compression: ArchiveExporter.Compression = .zstd) throws(StrataError) {
        self.store = store
        self.lockTimeout = lockTimeout
        self.compression = compression
        layers = LayerStore(store: store)
        do {
            self.reference = try RepositoryReference(parsing: reference)
            client = try RegistryClient(reference: self.reference, credentials: CredentialStore(environment: environment),
                                        shouldStop: { Termination.signal != nil })
        } catch {
            throw Self.strataError(error)
        }
    }

    // MARK: Push

    /// Pushes the layer and the layers under it that the registry lacks.
    public func push(_ key: LayerKey, progress: ProgressSink? = nil) throws(StrataError) -> PushReport {
        let stopwatch = Stopwatch()
        let records = try layers.chain(key)
        var held: [FileLock] = []
        defer { held.forEach { $0.unlock() } }
        for record in records {
            held.append(try acquireLock(layers.lockPath(record.key), .shared, what: "layer \(record.key.short)", timeout: lockTimeout))
        }
        let scratch = try OwnedDirectory.create(in: store.layers, prefix: ".tmp-", store: store)
        defer {
            try? FileTree.remove(scratch.path)
            scratch.release()
        }
        var report = PushReport(reference: reference.description, key: key, layers: [])
        var chain: [SharedLayer] = []
        for record in records {
            let tag = record.key.hex
            if let existing = try remoteChain(tag: tag), let top = existing.last, top.key == record.key {
                chain = existing
                report.layers.append(.init(key: record.key, role: record.inputs.role, digest: top.digest, size: top.size, uploaded: false))
                continue
            }
            let blob = scratch.path + "/" + tag
            let shared = try layers.exportBlob(record, to: blob, compression: compression, progress: progress)
            chain.append(shared)
            ProgressReport.step("uploading layer \(record.key.short)", bytes: shared.size, to: progress)
            try registry { () throws(RegistryError) in
                try client.uploadBlob(.file(path: blob, size: shared.size), digest: shared.digest)
            }
            try? FileTree.removeFile(blob)
            try putImage(chain, tag: tag)
            report.layers.append(.init(key: record.key, role: record.inputs.role, digest: shared.digest, size: shared.size, uploaded: true))
            try StrataError.checkInterruption()
        }
        report.milliseconds = stopwatch.elapsedMilliseconds
        return report
    }

    private func putImage(_ chain: [SharedLayer], tag: String) throws(StrataError) {
        let config = SharedImageConfig(chain: chain).encoded()
        let configDescriptor = OCIDescriptor(mediaType: OCIMediaType.config, digest: HashingStream.digest(config), size: UInt64(config.count))
        let manifest = OCIManifest(config: configDescriptor, layers: chain.map(\.descriptor),
                                   annotations: ["org.opencontainers.image.title": "strata layer \(tag)"])
        try registry { () throws(RegistryError) in
            try client.uploadBlob(.bytes(config), digest: configDescriptor.digest)
            try client.putManifest(manifest, tag: tag)
        }
    }

    /// The verified layer descriptions of the image under `tag`, or nil.
    private func remoteChain(tag: String) throws(StrataError) -> [SharedLayer]? {
        guard let (manifest, _) = try registry({ () throws(RegistryError) in try client.fetchManifest(tag: tag) }) else { return nil }
        let bytes = try registry { () throws(RegistryError) in try client.fetchBlob(manifest.config) }
        let source = reference.tagged(tag)
        let config: SharedImageConfig
        do { config = try JSONDecoder().decode(SharedImageConfig.self, from: Data(bytes)) } catch {
            throw .input("\(source): the config is not one strata wrote (\(error)); was the tag pushed by another tool?")
        }
        let chain = config.strata.layers
        guard !chain.isEmpty, chain.count == manifest.layers.count, config.rootfs.diffIDs == chain.map(\.diffID),
              zip(chain, manifest.layers).allSatisfy({ $0.descriptor.digest == $1.digest && $0.size == $1.size && $0.mediaType == $1.mediaType })
        else {
            throw .input("\(source): the manifest, its config and its layer descriptions disagree; the image was altered; refused")
        }
        for (index, layer) in chain.enumerated() {
            try layer.validate(source: source)
            if index > 0 && (layer.below != chain[index - 1].key
                             || (layer.standsOn != nil && layer.inputs.parent != chain[index - 1].inputs.parent)) {
                throw .input("\(source): layer \(layer.key.short) does not stand on the layer below it in the image; refused")
            }
        }
        return chain
    }

    // MARK: Pull

    /// Pulls the layer and whatever of its chain the store lacks. Layers in
    /// `lockedByCaller` are ones whose exclusive lock the caller holds (a
    /// build that found its deps layer missing). Returns nil when the
    /// registry has no such tag.
    public func pull(_ key: LayerKey, lockedByCaller: Set<LayerKey> = [], progress: ProgressSink? = nil) throws(StrataError) -> PullReport? {
        let stopwatch = Stopwatch()
        let tag = key.hex
        guard let chain = try remoteChain(tag: tag) else { return nil }
        let source = reference.tagged(tag)
        StaleSweeper(store: store).sweep()
        guard chain.last?.key == key else {
            throw .input("\(source): the image under this tag is layer \(chain.last?.key.short ?? "?"), not \(key.short); refused")
        }
        var report = PullReport(reference: reference.description, key: key, layers: [])
        let missing = chain.filter { !layers.exists($0.key) }
        var arriving: Set<LayerKey> = []
        for layer in missing {
            try layers.requireParent(of: layer, alsoArriving: arriving)
            arriving.insert(layer.key)
        }
        var held: [FileLock] = []
        var staged: [StagedLayer] = []
        let scratch = try OwnedDirectory.create(in: store.layers, prefix: ".tmp-", store: store)
        defer {
            staged.forEach { layers.discard($0.pending) }
            try? FileTree.remove(scratch.path)
            scratch.release()
            held.forEach { $0.unlock() }
        }
        // Every blob is downloaded and verified before anything is extracted.
        var blobs: [LayerKey: String] = [:]
        for layer in missing {
            let path = scratch.path + "/" + layer.key.hex
            ProgressReport.step("downloading layer \(layer.key.short)", bytes: layer.size, to: progress)
            try registry { () throws(RegistryError) in try client.downloadBlob(layer.descriptor, to: path) }
            blobs[layer.key] = path
            try StrataError.checkInterruption()
        }
        for layer in chain {
            guard let blob = blobs[layer.key] else {
                report.layers.append(.init(key: layer.key, role: layer.inputs.role, digest: layer.digest, size: layer.size, pulled: false))
                continue
            }
            if !lockedByCaller.contains(layer.key) {
                held.append(try acquireLock(layers.lockPath(layer.key), .exclusive, what: "layer \(layer.key.short)", timeout: lockTimeout))
            }
            let present = layers.exists(layer.key)
            if !present { staged.append(try layers.stage(blob: blob, as: layer, source: source, progress: progress)) }
            try? FileTree.removeFile(blob)
            report.layers.append(.init(key: layer.key, role: layer.inputs.role, digest: layer.digest, size: layer.size, pulled: !present))
            try StrataError.checkInterruption()
        }
        PausePoint.importLayer.pauseIfRequested()
        while !staged.isEmpty {
            try layers.commit(staged.removeFirst())
        }
        report.milliseconds = stopwatch.elapsedMilliseconds
        return report
    }

    // MARK: Errors

    /// Runs a registry call, turning its error into strata's.
    @discardableResult
    private func registry<T>(_ body: () throws(RegistryError) -> T) throws(StrataError) -> T {
        do { return try body() } catch {
            try StrataError.checkInterruption()
            throw Self.strataError(error)
        }
    }

    /// Content and addresses that fail checks are bad input (exit 2); an
    /// unreachable, failing or refusing registry is the environment (exit 4).
    static func strataError(_ error: RegistryError) -> StrataError {
        switch error.kind {
        case .invalidInput, .invalidContent, .notFound: .input(error.message)
        case .unavailable, .unauthorized, .refused: .environment(error.message)
        }
    }
}
