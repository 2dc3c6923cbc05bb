import Foundation
import Glibc
import StrataOS

/// What `layers/<key>/manifest.json` holds: the key, when it was made, and
/// the input manifest the key was computed from.
public struct LayerRecord: Sendable, Codable, Equatable {
    public var key: LayerKey
    public var created: String
    public var inputs: InputManifest
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

    /// The layer's record, or nil when no finished layer has this key.
    public func record(_ key: LayerKey) -> LayerRecord? {
        guard let bytes = try? FileTree.readFile(directory(key) + "/manifest.json") else { return nil }
        return try? JSONDecoder().decode(LayerRecord.self, from: Data(bytes))
    }

    /// A layer exists once its manifest does: the manifest is written last,
    /// and the directory appears under its key only by an atomic rename.
    public func exists(_ key: LayerKey) -> Bool {
        (try? FileStatus.ifExists(directory(key) + "/manifest.json")) != nil
    }

    public func list() throws(StrataError) -> [LayerRecord] {
        let names = try during("list \(store.layers)") { try directoryEntries(store.layers) }
        return names.compactMap { LayerKey(validating: $0) }.compactMap(record)
    }

    /// Starts a new layer in a locked temporary directory.
    public func begin() throws(StrataError) -> PendingLayer {
        let owned = try OwnedDirectory.create(in: store.layers, prefix: ".tmp-", store: store)
        let pending = PendingLayer(owned: owned)
        do {
            try during("create a temporary layer in \(store.layers)") {
                for sub in [pending.upper, pending.work] where mkdir(sub, 0o755) != 0 {
                    throw SystemError("create directory", path: sub)
                }
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

    /// Layers whose parent is `key`.
    public func children(of key: LayerKey) throws(StrataError) -> [LayerRecord] {
        try list().filter { $0.inputs.parent == key.hex }
    }

    /// Removes a finished layer whose exclusive lock the caller holds: renamed
    /// to a temporary name first (so it disappears from under its key at
    /// once), then deleted. Returns the bytes freed.
    @discardableResult
    func remove(_ key: LayerKey) throws(StrataError) -> UInt64 {
        let size = usage(key)?.sizeBytes ?? ((try? DiskUsage.bytes(of: directory(key))) ?? 0)
        let doomed = try OwnedDirectory.claim(directory(key), in: store.layers, prefix: ".tmp-", store: store)
        try during("remove layer \(key.short)") { try FileTree.remove(doomed.path) }
        doomed.release()
        _ = unlink(lockPath(key))
        return size
    }

    /// Makes the pending layer durable and renames it to `layers/<key>`. When
    /// another build finished the same key first, ours is discarded and theirs
    /// kept: both have the same inputs. Returns false in that case.
    @discardableResult
    public func commit(_ pending: PendingLayer, as record: LayerRecord) throws(StrataError) -> Bool {
        let target = directory(record.key)
        return try during("finish layer \(record.key.short)") {
            try FileTree.remove(pending.work)
            let usage = LayerUsage(sizeBytes: try DiskUsage.bytes(of: pending.upper))
            try FileTree.writeFile(pending.directory + "/usage.json", Array(try BookkeepingJSON.encoder().encode(usage)) + [10])
            let json = try CanonicalJSON.encodePretty(record)
            try FileTree.syncFileSystem(of: pending.directory)
            // The manifest is written last: a layer with a manifest is complete.
            try FileTree.writeFile(pending.directory + "/manifest.json", Array(json) + [10], sync: true)
            try FileTree.syncDirectory(pending.directory)
            PausePoint.rename.pauseIfRequested()
            if Glibc.rename(pending.directory, target) != 0 {
                let code = errno
                if code == ENOTEMPTY || code == EEXIST {
                    discard(pending)
                    return false
                }
                throw SystemError("rename \(pending.directory) to", path: target, errno: code)
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
            let result = try removeRefusingInUse(child.key, withChildren: true)
            removed += result.keys
            bytes += result.bytes
        }
        let lock = try during("lock layer \(key.short)") { try FileLock(path: lockPath(key)) }
        guard try during("lock layer \(key.short)", { try lock.tryLock(.exclusive) }) else {
            throw .input("layer \(key.short) is in use (\(LockHolders.describe(lock.holders()))); remove it when those builds are done")
        }
        bytes += try remove(key)
        lock.unlock()
        return (removed + [key], bytes)
    }
}
