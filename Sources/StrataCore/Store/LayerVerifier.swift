import StrataOS

/// What `strata layers verify` found for one layer.
public struct LayerVerification: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// The manifest is sound and the upper is what was committed.
        case sound
        /// Must never be used: see `problem`.
        case damaged
        /// The manifest is sound, but the layer was committed before strata
        /// recorded content digests, so its content cannot be checked.
        case unverified
    }

    public var key: LayerKey
    public var status: Status
    public var problem: String?
    /// With --repair: the damaged layer was removed.
    public var removed: Bool
    /// With --repair, for a damaged layer not removed: why not (in use).
    public var kept: String?
    /// What the upper holds now (absent when it could not be read).
    public var files: Int?
    public var bytes: UInt64?
}

/// `strata layers verify`: recomputes each layer's content digest and checks
/// its manifest, and with `repair`, removes the damaged ones under the same
/// locks as gc (never one a build holds).
public struct LayerVerifier {
    public let store: Store
    let layers: LayerStore
    let lockTimeout: Double

    public init(store: Store, lockTimeout: Double = 3600) {
        self.store = store
        self.layers = LayerStore(store: store)
        self.lockTimeout = lockTimeout
    }

    /// Every layer of the store, or those of `keys`.
    public func verify(_ keys: [LayerKey]? = nil, repair: Bool, progress: ProgressSink? = nil) throws(StrataError) -> [LayerVerification] {
        let targets: [LayerKey]
        if let keys {
            for key in keys where layers.condition(key) == nil {
                throw .input("no layer with key '\(key.hex)'; see 'strata layers list' for the keys")
            }
            targets = keys
        } else {
            targets = try layers.entries().map(\.key)
        }
        var results: [LayerVerification] = []
        for (index, key) in targets.enumerated() {
            ProgressReport.step("verifying layer \(index + 1)/\(targets.count) (\(key.short))", to: progress)
            results.append(try verifyOne(key, repair: repair))
        }
        if !targets.isEmpty { ProgressReport.step("verified \(targets.count) layer(s)", done: true, to: progress) }
        return results
    }

    private func verifyOne(_ key: LayerKey, repair: Bool) throws(StrataError) -> LayerVerification {
        // Shared, as a build holds it: no gc or rm removes the layer while it is read.
        let lock = try acquireLock(layers.lockPath(key), .shared, what: "layer \(key.short)", timeout: lockTimeout)
        var result = check(key)
        lock.unlock()
        guard repair, result.status == .damaged else { return result }
        guard try during("lock layer \(key.short)", { try lock.tryLock(.exclusive) }) else {
            result.kept = "in use (\(LockHolders.describe(lock.holders()))); run verify --repair again when those builds are done"
            return result
        }
        defer { lock.unlock() }
        // Between the two locks, another repair or gc may have removed the
        // layer, or a build may have made it anew.
        guard layers.condition(key) != nil else { return result }
        var current = check(key)
        guard current.status == .damaged else { return current }
        try layers.remove(key)
        current.removed = true
        return current
    }

    private func check(_ key: LayerKey) -> LayerVerification {
        var result = LayerVerification(key: key, status: .sound, problem: nil, removed: false, kept: nil, files: nil, bytes: nil)
        guard let condition = layers.condition(key) else {
            result.status = .damaged
            result.problem = "the layer directory is gone"
            return result
        }
        let record: LayerRecord
        switch condition {
        case .damaged(let why):
            result.status = .damaged
            result.problem = why
            return result
        case .sound(let sound):
            record = sound
        }
        let summary: TreeSummary
        do {
            summary = try TreeDigest.summary(of: layers.upper(key), entries: false)
        } catch {
            result.status = .damaged
            result.problem = "upper/ cannot be read: \(error)"
            return result
        }
        result.files = summary.files
        result.bytes = summary.bytes
        guard let expected = record.content else {
            result.status = .unverified
            result.problem = "committed before strata recorded content digests; nothing to compare with"
            return result
        }
        let found = LayerContent(summary)
        if found != expected {
            result.status = .damaged
            result.problem = "upper/ is not what was committed: \(found.files) entries and \(found.bytes) bytes (digest \(DigestText.short(found.digest))), committed with \(expected.files) entries and \(expected.bytes) bytes (digest \(DigestText.short(expected.digest)))"
        }
        return result
    }
}
