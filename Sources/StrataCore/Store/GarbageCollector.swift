import Foundation
import StrataOS

/// What a collection removed (or would remove, in a dry run).
public struct GCReport: Sendable, Codable {
    public struct Entry: Sendable, Codable {
        public var key: LayerKey
        public var sizeBytes: UInt64
        public var lastUsed: Date
        /// Set for a damaged layer, which every collection removes: why it was damaged.
        public var damaged: String?
        enum CodingKeys: String, CodingKey {
            case key, damaged
            case sizeBytes = "size_bytes"
            case lastUsed = "last_used"
        }
    }

    public var dryRun: Bool
    public var removed: [Entry]
    public var freedBytes: UInt64
    /// Layers that a limit wanted gone but a running build was using.
    public var inUse: [LayerKey]
    public var remainingLayers: Int
    public var remainingBytes: UInt64
    /// False when in-use layers (or their parents) kept a limit from holding.
    public var limitsHold: Bool
    /// Cached resolutions (`[deps] inputs`) removed because the layer their
    /// resolver ran over is gone.
    public var removedResolutions = 0

    enum CodingKeys: String, CodingKey {
        case removed
        case dryRun = "dry_run"
        case freedBytes = "freed_bytes"
        case inUse = "in_use"
        case remainingLayers = "remaining_layers"
        case remainingBytes = "remaining_bytes"
        case limitsHold = "limits_hold"
        case removedResolutions = "removed_resolutions"
    }
}

/// Removes least-recently-used layers until the limits hold: never a layer
/// in use (a build holds its lock shared), and children before parents (a
/// layer is removed only when no remaining layer is built on it). Damaged
/// layers, which no build uses, are removed by every collection, whatever
/// the limits.
public struct GarbageCollector {
    public let store: Store
    let layers: LayerStore

    public init(store: Store) {
        self.store = store
        layers = LayerStore(store: store)
    }

    public func collect(_ policy: GCPolicy, dryRun: Bool, now: Date = Date()) throws(StrataError) -> GCReport {
        // One collector at a time.
        let gcLock = try during("lock the store for gc") { try FileLock(path: store.locks + "/gc.lock") }
        try during("lock the store for gc") { try gcLock.lock(.exclusive) }
        defer { gcLock.unlock() }

        var candidates: [GCSelection.Candidate] = []
        var damaged: [(key: LayerKey, why: String)] = []
        for (key, condition) in try layers.entries() {
            guard case .sound(let record) = condition else {
                if case .damaged(let why) = condition { damaged.append((key, why)) }
                continue
            }
            let usage = layers.usage(key)
            let created = Timestamp.parse(record.created) ?? now
            candidates.append(GCSelection.Candidate(
                key: key, lowers: [record.inputs.parent, record.standsOn].compactMap { $0 },
                size: usage?.sizeBytes ?? ((try? DiskUsage.bytes(of: layers.upper(key))) ?? 0),
                lastUsed: usage?.lastUsed ?? created))
        }
        var report = GCReport(dryRun: dryRun, removed: [], freedBytes: 0, inUse: [], remainingLayers: 0,
                              remainingBytes: 0, limitsHold: true)

        for (key, why) in damaged {
            let lock = try during("lock layer \(key.short)") { try FileLock(path: layers.lockPath(key)) }
            guard try during("lock layer \(key.short)", { try lock.tryLock(.exclusive) }) else {
                report.inUse.append(key)
                continue
            }
            // Still damaged under the lock? A build may have replaced it meanwhile.
            guard case .damaged = layers.condition(key) else {
                lock.unlock()
                continue
            }
            // The upper's own files: a view's links name other layers' files too.
            let size = (try? DiskUsage.bytes(of: layers.upper(key))) ?? 0
            let lastUsed = layers.usage(key)?.lastUsed ?? now
            if !dryRun { try layers.remove(key) }
            lock.unlock()
            report.removed.append(.init(key: key, sizeBytes: size, lastUsed: lastUsed, damaged: why))
            report.freedBytes += size
        }

        let listed = Set(candidates.map(\.key) + damaged.map(\.key))
        var selection = GCSelection(policy: policy, now: now, candidates: candidates)
        while let victim = selection.nextVictim() {
            let lock = try during("lock layer \(victim.key.short)") { try FileLock(path: layers.lockPath(victim.key)) }
            guard try during("lock layer \(victim.key.short)", { try lock.tryLock(.exclusive) }) else {
                selection.keep(victim.key)
                report.inUse.append(victim.key)
                continue
            }
            // A layer built on it since the listing (stacked by a build that
            // has finished): it is no leaf any more.
            if hasChild(victim.key, amongLayersNotIn: listed) {
                lock.unlock()
                selection.keep(victim.key)
                continue
            }
            // Another gc or a `layers rm` may have removed it since the listing.
            guard layers.condition(victim.key) != nil else {
                lock.unlock()
                selection.removed(victim.key)
                continue
            }
            if !dryRun { try layers.remove(victim.key) }
            lock.unlock()
            selection.removed(victim.key)
            report.removed.append(.init(key: victim.key, sizeBytes: victim.size, lastUsed: victim.lastUsed, damaged: nil))
            report.freedBytes += victim.size
        }
        report.remainingLayers = selection.remaining.count
        report.remainingBytes = selection.remainingBytes
        report.limitsHold = selection.limitsHold
        let images = (try? ImageStore(store: store).list()) ?? []
        report.removedResolutions = ResolutionCache(store: store)
            .sweep(layers: layers, imageDigests: Set(images.map(\.digest)), dryRun: dryRun)
        return report
    }

    /// True when a layer that was not in the listing (made since) has `key`
    /// as its parent or stands on it. Only the new layers are read: the
    /// listed ones were already counted by the selection.
    private func hasChild(_ key: LayerKey, amongLayersNotIn listed: Set<LayerKey>) -> Bool {
        let names = (try? directoryEntries(store.layers)) ?? []
        return names.compactMap { LayerKey(validating: $0) }.filter { !listed.contains($0) }.contains { other in
            guard let record = layers.record(other) else { return false }
            return record.inputs.parent == key || record.standsOn == key
        }
    }
}
