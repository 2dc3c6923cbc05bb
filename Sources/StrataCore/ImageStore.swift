import Foundation
import Glibc
import StrataOS

/// An imported base image: `images/<name>/rootfs` and `images/<name>/image.json`.
public struct ImageRecord: Sendable, Codable, Equatable {
    public var name: String
    /// The content digest of the rootfs (`TreeDigest`), "sha256:<hex>".
    public var digest: String
    /// Where it was imported from.
    public var source: String
    public var importedAt: String

    enum CodingKeys: String, CodingKey {
        case name, digest, source
        case importedAt = "imported_at"
    }
}

/// The images of a store.
public struct ImageStore: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public func directory(_ name: String) -> String { store.images + "/" + name }
    /// Builds hold it shared while they use the image; import and rm exclusive.
    public func lockPath(_ name: String) -> String { store.locks + "/image-" + name + ".lock" }
    public func rootfs(_ name: String) -> String { directory(name) + "/rootfs" }

    /// Copies a directory tree into the store as image `name`. The image
    /// appears only complete: it is assembled in a temporary directory and
    /// renamed into place.
    public func importDirectory(name: String, from source: String) throws(StrataError) -> ImageRecord {
        try Self.validate(name: name)
        let sourcePath = Store.absolute(source)
        guard let status = try? FileStatus.ifExists(sourcePath), status.kind == .directory else {
            throw .input("image source \(sourcePath) is not a directory; give the root directory of a file system tree (tar archives are not supported yet)")
        }
        let lock = try during("lock image \(name)") { try FileLock(path: lockPath(name)) }
        try during("lock image \(name)") { try lock.lock(.exclusive) }
        if (try? FileStatus.ifExists(directory(name))) != nil {
            throw .input("image '\(name)' exists already; remove it first with 'strata image rm \(name)' or pick another name")
        }
        let temporary = store.images + "/.tmp-\(name)-\(randomIdentifier())"
        do {
            try during("create \(temporary)") { try FileTree.makeDirectories(inside: "", path: temporary) }
            let rootfs = temporary + "/rootfs"
            try during("copy \(sourcePath) into the store") { try FileTree.copy(from: sourcePath, to: rootfs) }
            let digest = try during("digest \(rootfs)") { try TreeDigest.digest(of: rootfs) }
            let record = ImageRecord(name: name, digest: "sha256:" + digest, source: sourcePath,
                                     importedAt: ISO8601DateFormatter().string(from: Date()))
            let json = try during("encode image.json") { try CanonicalJSON.encodePretty(record) }
            try during("write image.json") {
                try FileTree.writeFile(temporary + "/image.json", Array(json) + [10], sync: true)
                try FileTree.syncFileSystem(of: temporary)
                try FileTree.rename(temporary, to: directory(name))
                try FileTree.syncDirectory(store.images)
            }
            return record
        } catch {
            try? FileTree.remove(temporary)
            throw error
        }
    }

    public func list() throws(StrataError) -> [ImageRecord] {
        let names = try during("list \(store.images)") { try directoryEntries(store.images) }
        return names.filter { !$0.hasPrefix(".") }.compactMap { try? inspect($0) }
    }

    public func inspect(_ name: String) throws(StrataError) -> ImageRecord {
        try Self.validate(name: name)
        let path = directory(name) + "/image.json"
        guard let bytes = try? FileTree.readFile(path) else {
            throw .input("no image named '\(name)' in \(store.images); import one with 'strata image import \(name) DIR' (see 'strata image list')")
        }
        do {
            return try JSONDecoder().decode(ImageRecord.self, from: Data(bytes))
        } catch {
            throw .environment("\(path) is damaged (\(error)); remove the image with 'strata image rm \(name)' and import it again")
        }
    }

    public func remove(_ name: String) throws(StrataError) {
        _ = try inspect(name)
        let lock = try during("lock image \(name)") { try FileLock(path: lockPath(name)) }
        guard try during("lock image \(name)", { try lock.tryLock(.exclusive) }) else {
            throw .input("image '\(name)' is in use (\(LockHolders.describe(lock.holders()))); remove it when those builds are done")
        }
        // Renamed first, so that a crash half-way never leaves a half-removed image under its name.
        let doomed = store.images + "/.rm-\(name)-\(randomIdentifier())"
        try during("remove image \(name)") {
            try FileTree.rename(directory(name), to: doomed)
            try FileTree.remove(doomed)
        }
    }

    static func validate(name: String) throws(StrataError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard let first = name.first, first != ".", first != "-", name.allSatisfy({ allowed.contains($0) }) else {
            throw .input("image name '\(name)' is not valid: use letters, digits, '.', '_' and '-', not starting with '.' or '-'")
        }
    }
}
