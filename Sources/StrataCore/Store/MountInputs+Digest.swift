import StrataOS

extension MountInputs {
    /// Digests the content of every input mount of `profile` (paths, types,
    /// modes, owners, bytes, link targets; not times). With `store`, the
    /// content digests of unchanged files are kept between builds in
    /// `cache/mounts/` (see `FileDigestCache`), so that a reused build reads
    /// only what changed.
    /// `withEntries` also lists every entry's digest (for `mounts.json` and
    /// explanations), which only a build that makes a layer needs.
    public static func digest(_ profile: Profile, store: Store? = nil, withEntries: Bool = true) throws(StrataError) -> MountInputs {
        var recipe: [InputManifest.MountInput] = []
        var entries: [String: [String: String]] = [:]
        for mount in profile.mounts {
            guard mount.kind == .input else {
                recipe.append(.init(target: mount.target, readonly: mount.readonly, kind: .cache, digest: nil))
                continue
            }
            guard (try? FileStatus.ifExists(mount.source)) != nil else {
                throw .input("\(profile.path): [[mount]] source \(mount.source) (target \(mount.target)) does not exist; create it or remove the mount")
            }
            let cachePath = store.map { $0.mountDigestCache(for: mount.source) }
            let cache = cachePath.map { FileDigestCache(serialized: (try? FileTree.readFile($0)) ?? []) }
            let summary = try during("digest the content of input mount \(mount.source)") {
                try TreeDigest.summary(of: mount.source, entries: withEntries, cache: cache)
            }
            if let cache, let cachePath, cache.changed {
                // Only a speed-up: a cache that cannot be written is read in full next time.
                let temporary = cachePath + ".tmp-" + randomIdentifier()
                if (try? FileTree.writeFile(temporary, cache.serialized())) != nil, (try? FileTree.rename(temporary, to: cachePath)) == nil {
                    _ = try? FileTree.remove(temporary)
                }
            }
            recipe.append(.init(target: mount.target, readonly: mount.readonly, kind: .input, digest: "sha256:" + summary.digest))
            entries[mount.target] = summary.entries ?? [:]
        }
        return MountInputs(recipe: recipe, entries: entries)
    }

    /// The paths of one input mount that differ between two digests of it:
    /// "changed install-exact", "added lib/new.sh", "removed old".
    static func changedPaths(from old: [String: String], to new: [String: String]) -> [String] {
        var changes: [String] = []
        for path in Set(old.keys).union(new.keys).sorted() {
            switch (old[path], new[path]) {
            case (nil, .some): changes.append("added \(path)")
            case (.some, nil): changes.append("removed \(path)")
            case (.some(let before), .some(let after)) where before != after:
                // A directory's record changes when its own mode or owner does;
                // its children are listed on their own.
                changes.append("changed \(path)")
            default: break
            }
        }
        return changes
    }
}
