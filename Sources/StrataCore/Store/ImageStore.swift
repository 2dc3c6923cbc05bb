import Foundation
import StrataOS

/// An imported base image: `images/<name>/rootfs` and `images/<name>/image.json`.
public struct ImageRecord: Sendable, Codable, Equatable {
    public var name: String
    /// The content digest of the rootfs (`TreeDigest`), "sha256:<hex>".
    public var digest: String
    /// Where it was imported from: a directory, an archive, or "standard input".
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

    /// Imports a root file system as image `name`: a directory, a tar
    /// archive (plain, gzip, xz, zstd, bzip2: detected from its content), or
    /// "-" for an archive on standard input. The image appears only complete:
    /// it is assembled in a temporary directory and renamed into place, so a
    /// failed, refused or interrupted import leaves nothing under `images/`.
    public func importImage(
        name: String, from source: String, progress: ProgressSink? = nil
    ) throws(StrataError) -> ImageRecord {
        try Self.validate(name: name)
        let origin = try ImageOrigin(source)
        let lock = try during("lock image \(name)") { try FileLock(path: lockPath(name)) }
        try during("lock image \(name)") { try lock.lock(.exclusive) }
        if (try? FileStatus.ifExists(directory(name))) != nil {
            throw .input("image '\(name)' exists already; remove it first with 'strata image rm \(name)' or pick another name")
        }
        StaleSweeper(store: store).sweep()
        let temporary = try OwnedDirectory.create(in: store.images, prefix: ".tmp-", store: store)
        defer { temporary.release() }
        do {
            let rootfs = temporary.path + "/rootfs"
            try fill(rootfs, from: origin, progress: progress)
            let digest = try during("digest \(rootfs)") { try TreeDigest.digest(of: rootfs) }
            let record = ImageRecord(name: name, digest: "sha256:" + digest, source: origin.description,
                                     importedAt: Timestamp.format(Date()))
            let json = try during("encode image.json") { try CanonicalJSON.encodePretty(record) }
            try during("write image.json") {
                try FileTree.writeFile(temporary.path + "/image.json", Array(json) + [10], sync: true)
                try FileTree.syncFileSystem(of: temporary.path)
                PausePoint.import.pauseIfRequested()
                try FileTree.rename(temporary.path, to: directory(name))
                try FileTree.syncDirectory(store.images)
            }
            return record
        } catch {
            try? FileTree.remove(temporary.path)
            throw error
        }
    }

    private func fill(_ rootfs: String, from origin: ImageOrigin, progress: ProgressSink?) throws(StrataError) {
        switch origin {
        case .directory(let path):
            do {
                try FileTree.copy(from: path, to: rootfs, image: true)
            } catch where store.privilege == .rootless && error.errno == .notPermitted {
                throw .input("copy \(path) into the store: \(error); without root strata cannot create device nodes outside /dev: remove them from the tree, or import the image as root")
            } catch {
                throw .system(error, while: "copy \(path) into the store")
            }
        case .archive(let archive):
            try during("create \(rootfs)") { try FileTree.makeDirectories(inside: "", path: rootfs) }
            var meter = ProgressReport.Meter("importing", report: progress)
            do {
                let total = try ArchiveImporter(source: archive, canCreateDevices: store.privilege == .root).extract(into: rootfs) { counts in
                    meter.update(entries: counts.entries, bytes: counts.bytes)
                    return Termination.signal == nil
                }
                meter.finish(entries: total.entries, bytes: total.bytes)
            } catch {
                try StrataError.checkInterruption()
                throw .input("\(error); nothing was imported")
            }
        }
    }

    /// Writes the image as a tar archive; "-" is standard output. A file is
    /// written under a temporary name and renamed when complete.
    public func export(_ name: String, to output: String, compression: ArchiveCompression,
                       progress: ProgressSink? = nil) throws(StrataError) {
        let record = try inspect(name)
        let lock = try during("lock image \(name)") { try FileLock(path: lockPath(name)) }
        try during("lock image \(name)") { try lock.lock(.shared) }
        let rootfs = self.rootfs(record.name)
        var meter = ProgressReport.Meter("exporting image \(name)", report: progress)
        defer { meter.finish() }
        let onEntry = { (counts: ArchiveImporter.Progress) in meter.update(entries: counts.entries, bytes: counts.bytes) }
        if output == "-" {
            do { try ArchiveExporter(compression: compression).export(rootfs, to: "-", onEntry: onEntry) } catch {
                throw .environment("export of image \(name) failed: \(error)")
            }
            return
        }
        let target = Store.absolute(output)
        let temporary = target + ".tmp-" + randomIdentifier()
        do {
            try ArchiveExporter(compression: compression).export(rootfs, to: temporary, onEntry: onEntry)
            try FileTree.rename(temporary, to: target)
        } catch {
            try? FileTree.removeFile(temporary)
            throw .environment("export of image \(name) to \(target) failed: \(error)")
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

    /// Removes an image, even one whose image.json is damaged.
    public func remove(_ name: String) throws(StrataError) {
        try Self.validate(name: name)
        guard (try? FileStatus.ifExists(directory(name))) != nil else {
            throw .input("no image named '\(name)' in \(store.images); see 'strata image list'")
        }
        let lock = try during("lock image \(name)") { try FileLock(path: lockPath(name)) }
        guard try during("lock image \(name)", { try lock.tryLock(.exclusive) }) else {
            throw .input("image '\(name)' is in use (\(LockHolders.describe(lock.holders()))); remove it when those builds are done")
        }
        StaleSweeper(store: store).sweep()
        // Moved out of its name first, to a temporary that the next run's sweep
        // finishes removing if this process is killed half-way.
        let doomed = try OwnedDirectory.claim(directory(name), in: store.images, prefix: ".tmp-", store: store)
        defer { doomed.release() }
        try during("remove image \(name)") { try FileTree.remove(doomed.path) }
    }

    static func validate(name: String) throws(StrataError) {
        if let problem = ProfileRules.imageNameProblem(name) { throw .input("image name '\(name)' \(problem)") }
    }
}
