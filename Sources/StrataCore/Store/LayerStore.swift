import Foundation
import StrataOS

/// What `layers/<key>/manifest.json` holds: the key, when it was made, the
/// input manifest the key was computed from, and what its upper held when it
/// was committed.
public struct LayerRecord: Sendable, Codable, Equatable {
    public var key: LayerKey
    public var created: String
    public var inputs: InputManifest
    /// Recorded at commit; nil in layers committed before strata recorded it.
    public var content: LayerContent?
    /// For a deps layer built incrementally: the deps layer whose upper lies
    /// directly below this one's (it holds the rest of the set). Not in the
    /// key: the layer is found by its full resolved set, whatever it stands on.
    public var standsOn: LayerKey?

    public init(key: LayerKey, created: String, inputs: InputManifest, content: LayerContent? = nil, standsOn: LayerKey? = nil) {
        self.key = key
        self.created = created
        self.inputs = inputs
        self.content = content
        self.standsOn = standsOn
    }

    enum CodingKeys: String, CodingKey {
        case key, created, inputs, content
        case standsOn = "stands_on"
    }

    /// What lies directly below this layer's upper: the deps layer it was
    /// stacked on, else its parent (the update layer, or the base's key).
    public var below: LayerKey? { standsOn ?? inputs.parent }
}

/// A layer's upper as it was committed: `TreeDigest` of its content, how
/// many entries it has and the bytes of its regular files. `layers verify`
/// recomputes it.
public struct LayerContent: Sendable, Codable, Equatable {
    public var digest: String
    public var files: Int
    public var bytes: UInt64

    init(_ summary: TreeSummary) {
        digest = "sha256:" + summary.digest
        files = summary.files
        bytes = summary.bytes
    }
}

/// What a directory under `layers/<key>` is: a sound layer, or one that must
/// never be used (and is rebuilt, listed as damaged, and removed by gc).
public enum LayerCondition: Sendable, Equatable {
    case sound(LayerRecord)
    /// Why it cannot be used, in a few words.
    case damaged(String)

    public var record: LayerRecord? {
        if case .sound(let record) = self { return record }
        return nil
    }
}

/// A layer being built: `layers/.tmp-<id>/{upper,work}`, owned by its builder.
public struct PendingLayer {
    let owned: OwnedDirectory
    public var directory: String { owned.path }
    public var upper: String { directory + "/upper" }
    public var work: String { directory + "/work" }
}

/// The finished layers of a store. A layer directory appears under its key
/// only by an atomic rename, after its content is complete and synced, and
/// is never modified afterwards.
public struct LayerStore: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public func directory(_ key: LayerKey) -> String { store.layers + "/" + key.hex }
    public func upper(_ key: LayerKey) -> String { directory(key) + "/upper" }

    /// The layer's record, or nil when no sound layer has this key.
    public func record(_ key: LayerKey) -> LayerRecord? {
        condition(key)?.record
    }

    /// True when a sound layer has this key; a damaged one is never used.
    public func exists(_ key: LayerKey) -> Bool {
        record(key) != nil
    }

    /// What is under `layers/<key>`, or nil when nothing is. A directory
    /// appears under its key only by an atomic rename of a complete layer,
    /// so anything short of that is damage (a disk error, a hand edit, a
    /// file system repaired after a crash), and so is a manifest that names
    /// another key: removing "its" layer would remove the wrong directory.
    /// A layer stacked on another (`stands_on`) is damaged when that one is
    /// gone or damaged: it holds only part of its set.
    public func condition(_ key: LayerKey) -> LayerCondition? {
        condition(key, depth: 0)
    }

    private func condition(_ key: LayerKey, depth: Int) -> LayerCondition? {
        let directory = directory(key)
        guard let status = try? FileStatus.ifExists(directory) else { return nil }
        guard status.kind == .directory else { return .damaged("layers/\(key.hex) is not a directory") }
        let bytes: [UInt8]
        do {
            bytes = try FileTree.readFile(directory + "/manifest.json")
        } catch {
            return .damaged(error.errno == .noSuchFileOrDirectory ? "manifest.json is missing" : "manifest.json cannot be read (\(error.errno))")
        }
        let record: LayerRecord
        do {
            record = try JSONDecoder().decode(LayerRecord.self, from: Data(bytes))
        } catch {
            return .damaged(bytes.isEmpty ? "manifest.json is empty" : "manifest.json cannot be decoded (truncated or edited)")
        }
        if record.key != key { return .damaged("manifest.json names layer \(record.key.short), not this one (copied from another layer?)") }
        if record.inputs.key != key { return .damaged("the inputs in manifest.json hash to \(record.inputs.key.short), not to the layer's key (edited?)") }
        guard (try? FileStatus.ifExists(upper(key)))??.kind == .directory else { return .damaged("upper/ is missing") }
        if let lower = record.standsOn {
            guard LayerKey(validating: lower.hex) != nil, lower != key else {
                return .damaged("manifest.json names '\(lower.hex)' as the layer it stands on, which is not a layer key")
            }
            guard depth < 64 else { return .damaged("it stands on a stack of more than 64 layers") }
            switch condition(lower, depth: depth + 1) {
            case nil: return .damaged("it stands on deps layer \(lower.short), which is gone")
            case .damaged(let why)?: return .damaged("it stands on deps layer \(lower.short), which is damaged (\(why))")
            case .sound?: break
            }
        }
        return .sound(record)
    }

    /// The sound layers; damaged ones are left out (see `entries()`).
    public func list() throws(StrataError) -> [LayerRecord] {
        try entries().compactMap(\.condition.record)
    }

    /// Every directory named like a key under `layers/`, sound or damaged.
    public func entries() throws(StrataError) -> [(key: LayerKey, condition: LayerCondition)] {
        let names = try during("list \(store.layers)") { try directoryEntries(store.layers) }
        return names.compactMap { LayerKey(validating: $0) }.compactMap { key in condition(key).map { (key, $0) } }
    }

    /// The entry digests of the layer's input mounts (`mounts.json`), when kept.
    func mountEntries(_ key: LayerKey) -> [String: [String: String]]? {
        guard let bytes = try? FileTree.readFile(directory(key) + "/mounts.json") else { return nil }
        return try? JSONDecoder().decode([String: [String: String]].self, from: Data(bytes))
    }

    /// Starts a new layer in a locked temporary directory.
    public func begin() throws(StrataError) -> PendingLayer {
        let owned = try OwnedDirectory.create(in: store.layers, prefix: ".tmp-", store: store)
        let pending = PendingLayer(owned: owned)
        do {
            try during("create a temporary layer in \(store.layers)") {
                for sub in [pending.upper, pending.work] { try FileTree.makeDirectory(sub) }
            }
        } catch {
            discard(pending)
            throw error
        }
        return pending
    }

    /// The lock a layer's users hold shared and its creator or remover exclusive.
    public func lockPath(_ key: LayerKey) -> String { store.locks + "/layer-" + key.hex + ".lock" }

    public func usage(_ key: LayerKey) -> LayerUsage? {
        guard let bytes = try? FileTree.readFile(directory(key) + "/usage.json") else { return nil }
        return try? BookkeepingJSON.decoder().decode(LayerUsage.self, from: Data(bytes))
    }

    /// Records one use of a layer (last use, count, profile, package).
    public func recordUse(_ key: LayerKey, profile: String, package: String?) throws(StrataError) {
        try during("record the use of layer \(key.short)") {
            let lock = try FileLock(path: store.locks + "/usage.lock")
            try lock.lock(.exclusive)
            defer { lock.unlock() }
            var usage = try self.usage(key) ?? LayerUsage(sizeBytes: DiskUsage.bytes(of: upper(key)))
            usage.recordUse(profile: profile, package: package, at: Date())
            let temporary = directory(key) + "/.usage.json.tmp"
            try FileTree.writeFile(temporary, Array(try BookkeepingJSON.encoder().encode(usage)) + [10])
            try FileTree.rename(temporary, to: directory(key) + "/usage.json")
        }
    }

    /// Layers built on `key`: those whose parent it is, and those stacked on it.
    public func children(of key: LayerKey) throws(StrataError) -> [LayerRecord] {
        try list().filter { $0.inputs.parent == key || $0.standsOn == key }
    }

    /// A deps layer and the deps layers it is stacked on, top first: its
    /// records, every one sound. Throws when a link is missing or damaged.
    public func stack(_ key: LayerKey) throws(StrataError) -> [LayerRecord] {
        var stack: [LayerRecord] = []
        var next: LayerKey? = key
        while let current = next {
            guard case .sound(let record) = condition(current) else {
                throw .environment("deps layer \(current.short)\(current == key ? "" : ", which layer \(key.short) stands on,") is missing or damaged; run 'strata layers verify --repair' and build again")
            }
            stack.append(record)
            next = record.standsOn
            if stack.count > 64 { throw .environment("layer \(key.short) stands on a stack of more than 64 layers; the store is damaged") }
        }
        return stack
    }

    /// Removes a finished layer whose exclusive lock the caller holds: renamed
    /// to a temporary name first (so it disappears from under its key at
    /// once), then deleted. Returns the bytes freed. The lock file goes too,
    /// unless the caller will go on using the lock (to make the layer anew):
    /// a lock taker that finds its file unlinked opens the new one
    /// (`FileLock`), which must not happen while the key is still being made.
    @discardableResult
    func remove(_ key: LayerKey, keepingLockFile: Bool = false) throws(StrataError) -> UInt64 {
        let size = usage(key)?.sizeBytes ?? ((try? DiskUsage.bytes(of: upper(key))) ?? 0)
        let doomed = try OwnedDirectory.claim(directory(key), in: store.layers, prefix: ".tmp-", store: store)
        try during("remove layer \(key.short)") { try FileTree.remove(doomed.path) }
        doomed.release()
        if !keepingLockFile { try? FileTree.removeFile(lockPath(key)) }
        return size
    }

    /// Makes the pending layer durable and renames it to `layers/<key>`, with
    /// the digest of its content in its manifest and, when given, the entry
    /// digests of its input mounts beside it. The caller holds the key's
    /// exclusive lock; a damaged layer under the key is removed first. When
    /// another build finished the same key first, ours is discarded and
    /// theirs kept: both have the same inputs. Returns false in that case.
    @discardableResult
    public func commit(
        _ pending: PendingLayer, as given: LayerRecord, mountEntries: [String: [String: String]] = [:]
    ) throws(StrataError) -> Bool {
        let target = directory(given.key)
        if case .damaged(let why) = condition(given.key) {
            do {
                try remove(given.key, keepingLockFile: true)
            } catch {
                throw .environment("layer \(given.key.short) is damaged (\(why)) and could not be removed to make room for the new one: \(error.message)")
            }
        }
        return try during("finish layer \(given.key.short)") {
            try FileTree.remove(pending.work)
            let usage = LayerUsage(sizeBytes: try DiskUsage.bytes(of: pending.upper))
            try FileTree.writeFile(pending.directory + "/usage.json", Array(try BookkeepingJSON.encoder().encode(usage)) + [10])
            if !mountEntries.isEmpty {
                try FileTree.writeFile(pending.directory + "/mounts.json", Array(try CanonicalJSON.encode(mountEntries)) + [10])
            }
            var record = given
            record.content = LayerContent(try TreeDigest.summary(of: pending.upper, entries: false))
            let json = try CanonicalJSON.encodePretty(record)
            try FileTree.syncFileSystem(of: pending.directory)
            // The manifest is written last: a layer with a manifest is complete.
            try FileTree.writeFile(pending.directory + "/manifest.json", Array(json) + [10], sync: true)
            try FileTree.syncDirectory(pending.directory)
            PausePoint.rename.pauseIfRequested()
            do {
                try FileTree.rename(pending.directory, to: target)
            } catch let error as SystemError where error.errno == .directoryNotEmpty || error.errno == .fileExists {
                discard(pending)
                return false
            }
            pending.owned.release()
            try FileTree.syncDirectory(store.layers)
            return true
        }
    }

    /// Throws the pending layer away.
    public func discard(_ pending: PendingLayer) {
        try? FileTree.remove(pending.directory)
        pending.owned.release()
    }
}

extension LayerStore {
    /// `strata layers rm`: removes a layer unless a build uses it. A layer
    /// that others are built on is refused, unless `withChildren`, which
    /// removes those first (and refuses if any of them is in use).
    public func removeRefusingInUse(_ key: LayerKey, withChildren: Bool) throws(StrataError) -> (keys: [LayerKey], bytes: UInt64) {
        let children = try children(of: key)
        if !children.isEmpty && !withChildren {
            let list = children.map(\.key.short).joined(separator: ", ")
            throw .input("layer \(key.short) has \(children.count) layer(s) built on it (\(list)); remove them first, or pass --force to remove them too")
        }
        var removed: [LayerKey] = []
        var bytes: UInt64 = 0
        for child in children {
            // Removed already, as the child of an earlier child (a stack over the same parent).
            if removed.contains(child.key) || condition(child.key) == nil { continue }
            let result = try removeRefusingInUse(child.key, withChildren: true)
            removed += result.keys
            bytes += result.bytes
        }
        let lock = try during("lock layer \(key.short)") { try FileLock(path: lockPath(key)) }
        guard try during("lock layer \(key.short)", { try lock.tryLock(.exclusive) }) else {
            throw .input("layer \(key.short) is in use (\(LockHolders.describe(lock.holders()))); remove it when those builds are done")
        }
        guard condition(key) != nil else {
            lock.unlock()
            throw .input("no layer with key '\(key.hex)': it was removed meanwhile (by gc or another layers rm)")
        }
        bytes += try remove(key)
        lock.unlock()
        return (removed + [key], bytes)
    }
}
