import Foundation
import StrataOS

/// Resolutions kept for `[deps] inputs`: `cache/resolve/<key>.json` holds
/// the resolved set a resolver printed under a `ResolutionKey`, and
/// `cache/resolve/last-<id>.json` the key each profile and source was last
/// resolved under, so that a resolution that runs can say why. Both are
/// written whole and renamed into place; a file that cannot be read or
/// names another key is a miss, never a wrong resolution.
struct ResolutionCache {
    /// One cached resolution.
    struct Entry: Codable {
        var key: ResolutionKey
        /// The base image's digest, so that gc can tell when the layer the
        /// resolver ran over (the base itself, or an update layer) is gone.
        var imageDigest: String
        /// True when the resolver ran over the base image (no update layer).
        var overBase: Bool
        var dependencies: [Dependency]

        enum CodingKeys: String, CodingKey {
            case key, dependencies
            case imageDigest = "image_digest"
            case overBase = "over_base"
        }
    }

    let store: Store
    var directory: String { store.cache + "/resolve" }

    func path(_ key: ResolutionKey) -> String { directory + "/" + key.hex + ".json" }

    /// The cached resolved set under `key`, or nil.
    func lookup(_ key: ResolutionKey) -> ResolvedDependencies? {
        guard let bytes = try? FileTree.readFile(path(key)),
              let entry = try? JSONDecoder().decode(Entry.self, from: Data(bytes)), entry.key == key else { return nil }
        return ResolvedDependencies(entry.dependencies)
    }

    func save(_ resolved: ResolvedDependencies, under key: ResolutionKey, imageDigest: String, overBase: Bool) throws(StrataError) {
        let entry = Entry(key: key, imageDigest: imageDigest, overBase: overBase, dependencies: resolved.dependencies)
        try write(entry, to: path(key))
    }

    /// The key `source` was last resolved under with `profile`.
    func lastKey(profile: Profile, source: String) -> ResolutionKey? {
        guard let bytes = try? FileTree.readFile(lastPath(profile: profile, source: source)) else { return nil }
        return try? JSONDecoder().decode(ResolutionKey.self, from: Data(bytes))
    }

    func remember(_ key: ResolutionKey, profile: Profile, source: String) throws(StrataError) {
        try write(key, to: lastPath(profile: profile, source: source))
    }

    /// Removes the resolutions whose resolver ran over a layer the store no
    /// longer has (an update layer removed, a base image gone). Returns how
    /// many went.
    @discardableResult
    func sweep(layers: LayerStore, imageDigests: Set<String>, dryRun: Bool = false) -> Int {
        guard let names = try? directoryEntries(directory) else { return 0 }
        var removed = 0
        let hourAgo = Int(Date().timeIntervalSince1970) - 3600
        for name in names where name.hasPrefix(".tmp-") {
            // Left by a process killed while writing; a live writer renames within milliseconds.
            let file = directory + "/" + name
            if let status = try? FileStatus(path: file), status.modificationTime < hourAgo, !dryRun {
                try? FileTree.removeFile(file)
            }
        }
        for name in names where name.hasSuffix(".json") && !name.hasPrefix("last-") {
            let file = directory + "/" + name
            guard let bytes = try? FileTree.readFile(file),
                  let entry = try? JSONDecoder().decode(Entry.self, from: Data(bytes)) else {
                if dryRun || (try? FileTree.removeFile(file)) != nil { removed += 1 }
                continue
            }
            let parentGone = entry.overBase ? !imageDigests.contains(entry.imageDigest) : !layers.exists(entry.key.parent)
            if parentGone, dryRun || (try? FileTree.removeFile(file)) != nil { removed += 1 }
        }
        return removed
    }

    private func lastPath(profile: Profile, source: String) -> String {
        let id = HashingStream.hex((profile.path + "\0" + source).utf8).prefix(32)
        return directory + "/last-" + id + ".json"
    }

    private func write<T: Encodable>(_ value: T, to target: String) throws(StrataError) {
        let temporary = directory + "/.tmp-" + randomIdentifier()
        try during("write \(target)") {
            try FileTree.makeDirectory(directory, existingOK: true)
            do {
                try FileTree.writeFile(temporary, Array(try CanonicalJSON.encodePretty(value)) + [10])
                try FileTree.rename(temporary, to: target)
            } catch {
                try? FileTree.removeFile(temporary)
                throw error
            }
        }
    }
}
