import Foundation

/// Everything that can change what a resolver prints for a source, when the
/// profile lists the files it reads (`[deps] inputs`): the layer it runs over
/// (which holds the package index), the resolve command and format, `[env]`,
/// the input mounts' digests, and each listed file's digest. A resolution is
/// reused only under an identical key.
public struct ResolutionKey: Sendable, Equatable, Codable {
    /// Bumped when what goes into this key changes.
    static let currentFormat = 1

    public var format: Int
    /// The update layer, or the base, the resolver runs over.
    public var parent: LayerKey
    public var command: String
    public var output: ResolverFormat
    public var environment: [String: String]
    /// The input mounts (digests) and cache mounts (targets), as recipes see them.
    public var mounts: [InputManifest.MountInput]
    /// Each file the `inputs` patterns name, relative to the source, with its
    /// digest; a pattern that names nothing as "pattern <glob>": "none", so
    /// that a file appearing later changes the key too.
    public var files: [String: String]

    init(parent: LayerKey, profile: Profile, mounts: MountInputs, files: [String: String]) {
        format = Self.currentFormat
        self.parent = parent
        command = profile.deps.resolve
        output = profile.deps.format
        environment = profile.environment
        self.mounts = mounts.recipe
        self.files = files
    }

    /// SHA-256 of the canonical JSON, as a layer key is made.
    public var hex: String { CanonicalJSON.sha256Hex(self) }

    /// Why a resolution under `self` could not reuse one made under
    /// `earlier`, in words: "debian/control changed", "the parent layer
    /// changed (an update layer appeared or changed)".
    func reasons(against earlier: ResolutionKey) -> [String] {
        var reasons: [String] = []
        if format != earlier.format { reasons.append("strata's resolution format changed") }
        if parent != earlier.parent { reasons.append("the layer it runs over changed (\(earlier.parent.short) → \(parent.short))") }
        if command != earlier.command { reasons.append("[deps] resolve changed") }
        if output != earlier.output { reasons.append("[deps] format changed") }
        if environment != earlier.environment { reasons.append("[env] changed") }
        if mounts != earlier.mounts {
            let old = Dictionary(earlier.mounts.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
            let changed = mounts.filter { old[$0.target] != $0 }.map(\.target)
            reasons.append(changed.isEmpty ? "the [[mount]] entries changed" : "mount \(changed.joined(separator: ", ")) changed")
        }
        for (path, digest) in files.sorted(by: { $0.key < $1.key }) where earlier.files[path] != digest {
            reasons.append(earlier.files[path] == nil ? "\(path) added" : "\(path) changed")
        }
        for path in earlier.files.keys.sorted() where files[path] == nil {
            reasons.append("\(path) removed")
        }
        return reasons
    }
}
