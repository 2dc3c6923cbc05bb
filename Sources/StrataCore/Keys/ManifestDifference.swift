/// The difference between the inputs of two layers: what made a key change.
/// Each kind of input is compared on its own, so that a miss can be told as
/// "2 changed (glibc 2.38-1 → 2.38-2), base unchanged, recipe unchanged".
public struct ManifestDifference: Sendable, Codable, Equatable {
    /// A value that differs, as text.
    public struct Change: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
    }

    /// One dependency present in both sets with another version, release or hash.
    public struct DependencyChange: Sendable, Codable, Equatable {
        public var name: String
        public var from: Dependency
        public var to: Dependency
        /// Which parts of a dependency can differ.
        public enum Kind: String, Sendable, Codable, Equatable { case version, release, hash }
        /// Which of them differ.
        public var kinds: [Kind]
    }

    public struct Dependencies: Sendable, Codable, Equatable {
        public var changed: [DependencyChange] = []
        public var added: [Dependency] = []
        public var removed: [Dependency] = []
        public var isEmpty: Bool { changed.isEmpty && added.isEmpty && removed.isEmpty }
    }

    /// A mount at the same target on both sides whose kind, mode or content differs.
    public struct MountChange: Sendable, Codable, Equatable {
        public var target: String
        public var from: InputManifest.MountInput
        public var to: InputManifest.MountInput
        /// For an input mount whose content changed, when both digests'
        /// entry lists are known: "changed install-exact", "added x", "removed y".
        public var paths: [String]?
    }

    public struct Recipe: Sendable, Codable, Equatable {
        public var command: Change?
        /// Variables whose value differs, was added or removed ("" for absent).
        public var environment: [String: Change] = [:]
        public var mountsAdded: [InputManifest.MountInput] = []
        public var mountsRemoved: [InputManifest.MountInput] = []
        public var mountsChanged: [MountChange] = []
        public var network: Change?

        public var isEmpty: Bool {
            command == nil && environment.isEmpty && mountsAdded.isEmpty && mountsRemoved.isEmpty
                && mountsChanged.isEmpty && network == nil
        }

        enum CodingKeys: String, CodingKey {
            case command, environment, network
            case mountsAdded = "mounts_added"
            case mountsRemoved = "mounts_removed"
            case mountsChanged = "mounts_changed"
        }
    }

    /// Lines of an update layer's state that appeared or went away.
    public struct State: Sendable, Codable, Equatable {
        public var added: [String]
        public var removed: [String]
    }

    public var format: Change?
    public var role: Change?
    public var arch: Change?
    public var cacheVersion: Change?
    /// The base image's content digest.
    public var base: Change?
    /// The update layer under a deps layer, or an update layer's own state.
    public var update: State?
    /// The parent key differs for a reason not listed above (e.g. an update layer appeared).
    public var parent: Change?
    public var dependencies: Dependencies
    public var recipe: Recipe

    enum CodingKeys: String, CodingKey {
        case format, role, arch, base, update, parent, dependencies, recipe
        case cacheVersion = "cache_version"
    }

    public var isEmpty: Bool {
        format == nil && role == nil && arch == nil && cacheVersion == nil && base == nil && update == nil
            && parent == nil && dependencies.isEmpty && recipe.isEmpty
    }

    /// Compares two input manifests. `parents` looks a parent layer's inputs
    /// up, to tell a changed base image from a changed update state.
    public init(from old: InputManifest, to new: InputManifest, parents: (LayerKey) -> InputManifest?) {
        format = Self.change(old.format, new.format)
        role = Self.change(old.role.rawValue, new.role.rawValue)
        arch = Self.change(old.arch, new.arch)
        cacheVersion = Self.change(old.cacheVersion, new.cacheVersion)
        let oldChain = Self.chain(old, parents)
        let newChain = Self.chain(new, parents)
        base = Self.change(oldChain.image ?? "unknown", newChain.image ?? "unknown")
        if oldChain.state != newChain.state {
            update = Self.stateDifference(oldChain.state ?? "", newChain.state ?? "")
        }
        // A parent key also changes with the arch, cache_version or format
        // (they are in every key): report it only when nothing else explains it.
        if old.parent != new.parent && base == nil && update == nil && arch == nil && cacheVersion == nil && format == nil {
            parent = Change(from: old.parent?.hex ?? "none", to: new.parent?.hex ?? "none")
        }
        dependencies = Self.dependencyDifference(old.dependencies ?? [], new.dependencies ?? [])
        recipe = Self.recipeDifference(old.recipe, new.recipe)
    }

    /// The image digest and update state a manifest stands on (its own, or its parent's).
    private static func chain(_ manifest: InputManifest, _ parents: (LayerKey) -> InputManifest?) -> (image: String?, state: String?) {
        var image = manifest.imageDigest
        var state = manifest.state
        var next = manifest.parent
        var depth = 0
        while let key = next, depth < 4, let parent = parents(key) {
            image = image ?? parent.imageDigest
            state = state ?? parent.state
            next = parent.parent
            depth += 1
        }
        return (image, state)
    }

    private static func change<T: Equatable & CustomStringConvertible>(_ old: T, _ new: T) -> Change? {
        old == new ? nil : Change(from: old.description, to: new.description)
    }

    private static func stateDifference(_ old: String, _ new: String) -> State {
        let oldLines = Set(old.split(separator: "\n").map(String.init))
        let newLines = Set(new.split(separator: "\n").map(String.init))
        return State(added: newLines.subtracting(oldLines).sorted(), removed: oldLines.subtracting(newLines).sorted())
    }

    private static func dependencyDifference(_ old: [Dependency], _ new: [Dependency]) -> Dependencies {
        var result = Dependencies()
        let oldByName = Dictionary(grouping: old, by: \.name)
        let newByName = Dictionary(grouping: new, by: \.name)
        for name in Set(oldByName.keys).union(newByName.keys).sorted() {
            let before = Set(oldByName[name] ?? [])
            let after = Set(newByName[name] ?? [])
            if before == after { continue }
            if before.count == 1, after.count == 1, let from = before.first, let to = after.first {
                var kinds: [DependencyChange.Kind] = []
                if from.version != to.version { kinds.append(.version) }
                if from.release != to.release { kinds.append(.release) }
                if from.packageHash != to.packageHash { kinds.append(.hash) }
                result.changed.append(DependencyChange(name: name, from: from, to: to, kinds: kinds))
            } else {
                result.removed += before.subtracting(after).sorted()
                result.added += after.subtracting(before).sorted()
            }
        }
        return result
    }

    private static func recipeDifference(_ old: InputManifest.Recipe?, _ new: InputManifest.Recipe?) -> Recipe {
        var result = Recipe()
        result.command = change(old?.command ?? "", new?.command ?? "")
        let oldEnvironment = old?.environment ?? [:]
        let newEnvironment = new?.environment ?? [:]
        for name in Set(oldEnvironment.keys).union(newEnvironment.keys).sorted() {
            if let difference = change(oldEnvironment[name] ?? "", newEnvironment[name] ?? "") {
                result.environment[name] = difference
            }
        }
        let oldMounts = old?.mounts ?? []
        let newMounts = new?.mounts ?? []
        let oldTargets = Set(oldMounts.map(\.target))
        let newTargets = Set(newMounts.map(\.target))
        result.mountsAdded = newMounts.filter { !oldTargets.contains($0.target) }
        result.mountsRemoved = oldMounts.filter { !newTargets.contains($0.target) }
        for mount in newMounts {
            if let before = oldMounts.first(where: { $0.target == mount.target }), before != mount {
                result.mountsChanged.append(MountChange(target: mount.target, from: before, to: mount))
            }
        }
        result.network = change(old?.network ?? false, new?.network ?? false)
        return result
    }
}
