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

    public func exists(_ key: LayerKey) -> Bool { record(key) != nil }

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

    /// Makes the pending layer durable and renames it to `layers/<key>`. When
    /// another build finished the same key first, ours is discarded and theirs
    /// kept: both have the same inputs. Returns false in that case.
    @discardableResult
    public func commit(_ pending: PendingLayer, as record: LayerRecord) throws(StrataError) -> Bool {
        let target = directory(record.key)
        return try during("finish layer \(record.key.short)") {
            try FileTree.remove(pending.work)
            let json = try CanonicalJSON.encodePretty(record)
            try FileTree.syncFileSystem(of: pending.directory)
            // The manifest is written last: a layer with a manifest is complete.
            try FileTree.writeFile(pending.directory + "/manifest.json", Array(json) + [10], sync: true)
            try FileTree.syncDirectory(pending.directory)
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
