/// Why a layer is reused or built: on a miss, the closest existing layer
/// and what differs from it, as structured data and as one line for people.
public struct Explanation: Sendable, Codable, Equatable {
    /// The existing layer compared with; nil when the store has none of this role.
    public var closest: LayerKey?
    public var difference: ManifestDifference?
    public var summary: String

    /// For a layer that will be (or was) built: compares its inputs with every
    /// finished layer of the same role and picks the closest — the same
    /// parent chain and recipe first, then the most similar resolved set.
    ///
    /// `mountEntries` are the entry digests of the new layer's input mounts
    /// (`MountInputs.entries`): with them, a changed input mount is told by
    /// the paths that changed in it.
    static func forMiss(_ inputs: InputManifest, mountEntries: [String: [String: String]] = [:], in layers: LayerStore) -> Explanation {
        // Newest first: among equally close layers, the most recent is named.
        let records = ((try? layers.list()) ?? [])
            .filter { $0.inputs.role == inputs.role && $0.inputs.key != inputs.key }
            .sorted { $0.created > $1.created }
        let lookup = { (key: LayerKey) -> InputManifest? in LayerKey(validating: key.hex).flatMap(layers.record)?.inputs }
        let scored = records.map { record in
            (record, ManifestDifference(from: record.inputs, to: inputs, parents: lookup))
        }
        guard let (record, closestDifference) = scored.min(by: { distance($0.1) < distance($1.1) }) else {
            return Explanation(closest: nil, difference: nil,
                               summary: "\(inputs.role.rawValue) layer built: the store has no earlier \(inputs.role.rawValue) layer to compare with")
        }
        var difference = closestDifference
        if !difference.recipe.mountsChanged.isEmpty, let old = layers.mountEntries(record.key) {
            for index in difference.recipe.mountsChanged.indices {
                let target = difference.recipe.mountsChanged[index].target
                if let before = old[target], let after = mountEntries[target] {
                    difference.recipe.mountsChanged[index].paths = MountInputs.changedPaths(from: before, to: after)
                }
            }
        }
        let text = ExplanationText(role: inputs.role, difference: difference).parts
        return Explanation(closest: record.key, difference: difference,
                           summary: "\(inputs.role.rawValue) layer rebuilt: \(text) (closest: \(record.key.short))")
    }

    /// Lower is closer: a different chain or recipe weighs more than any
    /// number of changed dependencies.
    private static func distance(_ difference: ManifestDifference) -> (Int, Int) {
        var structural = 0
        for changed in [difference.format, difference.role, difference.arch, difference.cacheVersion, difference.base, difference.parent] where changed != nil {
            structural += 1
        }
        if difference.update != nil { structural += 1 }
        if !difference.recipe.isEmpty { structural += 1 }
        let dependencies = difference.dependencies.changed.count + difference.dependencies.added.count + difference.dependencies.removed.count
        return (structural, dependencies)
    }
}

/// The one-line form of a difference: "2 changed (glibc 2.38-1 → 2.38-2),
/// 1 added (libfoo 1.0), base unchanged, recipe unchanged".
struct ExplanationText {
    let role: InputManifest.Role
    let difference: ManifestDifference

    var parts: String {
        var parts: [String] = []
        let dependencies = difference.dependencies
        let versionChanges = dependencies.changed.filter { $0.kinds.contains(.version) || $0.kinds.contains(.release) }
        let hashChanges = dependencies.changed.filter { !$0.kinds.contains(.version) && !$0.kinds.contains(.release) }
        if !versionChanges.isEmpty {
            parts.append("\(versionChanges.count) changed (\(Self.list(versionChanges.map { "\($0.name) \(Self.version($0.from)) → \(Self.version($0.to))" })))")
        }
        if !hashChanges.isEmpty {
            parts.append("\(hashChanges.count) with a new package hash (\(Self.list(hashChanges.map { "\($0.name) \(Self.version($0.to)): \(DigestText.short($0.from.packageHash)) → \(DigestText.short($0.to.packageHash))" })))")
        }
        if !dependencies.added.isEmpty {
            parts.append("\(dependencies.added.count) added (\(Self.list(dependencies.added.map { "\($0.name) \(Self.version($0))" })))")
        }
        if !dependencies.removed.isEmpty {
            parts.append("\(dependencies.removed.count) removed (\(Self.list(dependencies.removed.map { "\($0.name) \(Self.version($0))" })))")
        }
        if let base = difference.base {
            parts.append("base image changed (\(DigestText.short(base.from)) → \(DigestText.short(base.to)))")
        } else {
            parts.append("base unchanged")
        }
        if let update = difference.update {
            var changes: [String] = []
            if !update.added.isEmpty { changes.append("+\(update.added.count): \(Self.list(update.added))") }
            if !update.removed.isEmpty { changes.append("−\(update.removed.count): \(Self.list(update.removed))") }
            parts.append("update state changed (\(changes.joined(separator: "; ")))")
        }
        if let parent = difference.parent {
            parts.append("parent layer changed (\(DigestText.short(parent.from)) → \(DigestText.short(parent.to)))")
        }
        if let arch = difference.arch { parts.append("arch changed (\(arch.from) → \(arch.to))") }
        if let cache = difference.cacheVersion { parts.append("cache_version changed (\(cache.from) → \(cache.to))") }
        if let format = difference.format { parts.append("strata layer format changed (\(format.from) → \(format.to))") }
        parts.append(recipeText)
        return parts.joined(separator: ", ")
    }

    /// "recipe changed (env DEB_BUILD_OPTIONS, mount added: …)".
    var recipeText: String {
        let recipe = difference.recipe
        if recipe.isEmpty { return "recipe unchanged" }
        var changes: [String] = []
        if recipe.command != nil { changes.append(role == .update ? "[update] run command" : "install command") }
        if !recipe.environment.isEmpty { changes.append("env " + recipe.environment.keys.sorted().joined(separator: " ")) }
        changes += recipe.mountsAdded.map { "mount added: \($0)" }
        changes += recipe.mountsRemoved.map { "mount removed: \($0)" }
        for change in recipe.mountsChanged {
            if let paths = change.paths, !paths.isEmpty, change.from.kind == change.to.kind, change.from.readonly == change.to.readonly {
                changes.append("mount \(change.target): \(Self.list(paths))")
            } else {
                changes.append("mount \(change.target): \(change.from) → \(change.to)")
            }
        }
        if let network = recipe.network { changes.append("network \(network.from) → \(network.to)") }
        return "recipe changed (\(changes.joined(separator: ", ")))"
    }

    static func version(_ dependency: Dependency) -> String {
        dependency.version + (dependency.release.map { "-\($0)" } ?? "")
    }

    /// At most five items, then a count of the rest.
    static func list(_ items: [String]) -> String {
        items.count <= 5 ? items.joined(separator: ", ") : items.prefix(5).joined(separator: ", ") + ", and \(items.count - 5) more"
    }
}

extension LayerStore {
    /// The difference between two finished layers' inputs.
    public func difference(from old: LayerRecord, to new: LayerRecord) -> ManifestDifference {
        ManifestDifference(from: old.inputs, to: new.inputs) { key in LayerKey(validating: key.hex).flatMap(self.record)?.inputs }
    }

    /// The one-line description of a difference, as build and plan print it.
    public func describe(_ difference: ManifestDifference, of new: LayerRecord) -> String {
        ExplanationText(role: new.inputs.role, difference: difference).parts
    }

    /// How an existing layer differs from the closest other layer of its role.
    public func explainAgainstOthers(_ record: LayerRecord) -> Explanation {
        var explanation = Explanation.forMiss(record.inputs, in: self)
        if let closest = explanation.closest, let difference = explanation.difference {
            explanation.summary = "compared with \(closest.short): " + ExplanationText(role: record.inputs.role, difference: difference).parts
        } else {
            explanation.summary = "the store has no other \(record.inputs.role.rawValue) layer to compare with"
        }
        return explanation
    }
}
