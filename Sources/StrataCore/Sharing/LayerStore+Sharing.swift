import Foundation
import StrataOS

/// A layer extracted and verified in `layers/.tmp-*`, waiting to be renamed
/// into place; discarded unless committed.
struct StagedLayer {
    let pending: PendingLayer
    let record: LayerRecord
}

extension LayerStore {
    /// The layer and the layers it stands on that are in this store, bottom
    /// first, ending with `key` (the base image is not a layer).
    func chain(_ key: LayerKey) throws(StrataError) -> [LayerRecord] {
        var chain: [LayerRecord] = []
        var next: LayerKey? = key
        while let current = next {
            guard let record = record(current) else {
                if current == key { throw .input("no layer with key '\(key.hex)'; see 'strata layers list' for the keys") }
                break
            }
            chain.insert(record, at: 0)
            // A base's key names an image, not a layer: the loop ends there.
            // An incremental deps layer stands on another deps layer first.
            next = record.below.flatMap { LayerKey(validating: $0.hex) }
            if chain.count > 64 { throw .environment("layer \(key.short) has a chain of parents more than 64 deep; the store is damaged") }
        }
        return chain
    }

    /// Writes a finished layer as an OCI image layer blob at `path`;
    /// returns its description. The caller holds the layer in use.
    func exportBlob(_ record: LayerRecord, to path: String, compression: ArchiveExporter.Compression,
                    progress: ProgressSink? = nil) throws(StrataError) -> SharedLayer {
        let digests: ArchiveDigests
        var meter = ProgressReport.Meter("packing layer \(record.key.short)", report: progress)
        defer { meter.finish() }
        do {
            digests = try ArchiveExporter(compression: compression, layout: .ociLayer).export(upper(record.key), to: path) { counts in
                meter.update(entries: counts.entries, bytes: counts.bytes)
            }
        } catch {
            try? FileTree.removeFile(path)
            throw .input("cannot export layer \(record.key.short): \(error)")
        }
        return SharedLayer(record: record, mediaType: SharedLayer.mediaType(for: compression), digests: digests)
    }

    /// Extracts a blob into a new temporary layer, as untrusted content, and
    /// checks that it hashes to what `shared` says. Nothing is renamed.
    func stage(blob path: String, as shared: SharedLayer, source: String, progress report: ProgressSink? = nil) throws(StrataError) -> StagedLayer {
        let pending = try begin()
        var meter = ProgressReport.Meter("unpacking layer \(shared.key.short)", report: report)
        defer { meter.finish() }
        do {
            let progress = try ArchiveImporter(source: .file(path), layout: .ociLayer, overlayAttributes: store.overlayAttributes)
                .extract(into: pending.upper) { counts in
                    meter.update(entries: counts.entries, bytes: counts.bytes)
                    return true
                }
            guard let digests = progress.digests else { throw StrataError.environment("\(path): the import did not finish") }
            if digests.digest != shared.digest {
                throw StrataError.input("\(source): layer \(shared.key.short)'s blob has digest \(digests.digest), not \(shared.digest); it was damaged or tampered with; nothing was stored")
            }
            if digests.diffID != shared.diffID {
                throw StrataError.input("\(source): layer \(shared.key.short)'s tar has diff id \(digests.diffID), not \(shared.diffID); it was damaged or tampered with; nothing was stored")
            }
        } catch let error as StrataError {
            discard(pending)
            throw error
        } catch {
            discard(pending)
            throw .input("\(source): layer \(shared.key.short) refused: \(error); nothing was stored")
        }
        return StagedLayer(pending: pending, record: shared.record)
    }

    /// Renames a staged layer into place (false when the key exists already).
    @discardableResult
    func commit(_ staged: StagedLayer) throws(StrataError) -> Bool {
        let committed: Bool
        do {
            committed = try commit(staged.pending, as: staged.record)
        } catch {
            discard(staged.pending)
            throw error
        }
        try adoptAsCurrentUpdate(staged.record)
        return committed
    }

    /// An update layer that arrives (pull, import) becomes the newest of its
    /// chain (its base and recipe) when the store has none for it, so that
    /// builds of a profile with that recipe find it as if `strata update`
    /// had made it, and `max_age` counts from when it was made.
    private func adoptAsCurrentUpdate(_ record: LayerRecord) throws(StrataError) {
        guard record.inputs.role == .update, let base = record.inputs.parent, let recipe = record.inputs.recipe else { return }
        let chain = UpdatePointer.chain(base: base, recipe: recipe)
        guard UpdatePointer.read(store: store, chain: chain) == nil else { return }
        try UpdatePointer(key: record.key, checked: Timestamp.parse(record.created) ?? Date(), previous: nil).write(store: store, chain: chain)
    }

    /// Throws the parent requirement: a layer can only enter a store that
    /// has what it stands on (its parent layer, or its base image's digest).
    func requireParent(of shared: SharedLayer, alsoArriving: Set<LayerKey>) throws(StrataError) {
        if let lower = shared.standsOn {
            guard LayerKey(validating: lower.hex) != nil else {
                throw .input("layer \(shared.key.short) names '\(lower.hex)' as the layer it stands on, which is not a layer key; refused")
            }
            if exists(lower) || alsoArriving.contains(lower) { return }
            throw .input("layer \(shared.key.short) is stacked on deps layer \(lower.short), which this store does not have; import or pull that layer first (an export writes it beside the file as FILE.below-1)")
        }
        guard let parent = shared.inputs.parent.flatMap({ LayerKey(validating: $0.hex) }) else {
            throw .input("layer \(shared.key.short) names no parent; only update and deps layers can be shared")
        }
        if exists(parent) || alsoArriving.contains(parent) { return }
        let baseKey = shared.inputs.imageDigest.map {
            InputManifest.base(imageDigest: $0, arch: shared.inputs.arch, cacheVersion: shared.inputs.cacheVersion).key
        }
        if baseKey == parent { return }
        throw .input("layer \(shared.key.short) stands on layer \(parent.short), which this store does not have; import or pull that layer first")
    }
}
