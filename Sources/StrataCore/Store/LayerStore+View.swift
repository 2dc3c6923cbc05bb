import StrataOS

/// A deps layer's view: the layer and everything below it (the deps layers
/// it stands on, the update layer, the base image) merged into one directory
/// of hard links (`TreeFlattener`), so that a build's root is an overlay of
/// two layers, its scratch over the view, whatever the depth of the stack.
///
/// The view is kept in the layer's directory as `view-<stamp>`. The stamp
/// names the directories it was made from (the device and inode of each: a
/// layer or image made anew under the same key or name gets a new directory)
/// and the boot it was made in: a view is made in `layers/.tmp-<id>` (swept
/// if strata is killed) and renamed into place without a sync, so one made
/// before a power loss is never trusted after it. Views with another stamp
/// are removed when a new one is made (no build can be using them: builds
/// hold the layers of their stack, so those directories cannot change under
/// them), and every view goes with its layer. A view is a cache: never
/// exported, pushed or part of a key, and a build that cannot make one
/// stacks the layers.
extension LayerStore {
    /// The view of the deps layer `key`, whose stack is `lowers` (topmost
    /// first, `key`'s upper first), made when missing. The caller holds the
    /// layers of the stack, shared or exclusive.
    func view(of key: LayerKey, lowers: [String]) throws(StrataError) -> String {
        let name = "view-" + (try viewStamp(lowers))
        let view = directory(key) + "/" + name
        if try during("look for the view of layer \(key.short)", { try FileStatus.ifExists(view) })?.kind == .directory {
            return view
        }
        let owned = try OwnedDirectory.create(in: store.layers, prefix: ".tmp-", store: store)
        defer {
            try? FileTree.remove(owned.path)
            owned.release()
        }
        try during("make the view of layer \(key.short)") {
            try TreeFlattener.flatten(lowers, into: owned.path + "/view")
            do {
                try FileTree.rename(owned.path + "/view", to: view)
            } catch let error as SystemError where error.errno == .directoryNotEmpty || error.errno == .fileExists {
                return  // another build made it first, from the same layers
            }
            for stale in try directoryEntries(directory(key)) where stale.hasPrefix("view-") && stale != name {
                try? FileTree.rename(directory(key) + "/" + stale, to: owned.path + "/" + stale)
            }
        }
        return view
    }

    /// Sixteen hex digits of the SHA-256 of the boot's identifier and each
    /// directory's device and inode.
    private func viewStamp(_ lowers: [String]) throws(StrataError) -> String {
        var identities = [try during("read the boot identifier") { try HostMachine.bootIdentifier }]
        for lower in lowers {
            let status = try during("look at \(lower)") { try FileStatus(path: lower) }
            identities.append("\(status.device):\(status.inode)")
        }
        return String(HashingStream.hex(identities.joined(separator: "\n").utf8).prefix(16))
    }
}
