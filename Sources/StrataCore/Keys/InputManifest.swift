// Keys/ — what a layer's key is made of (InputManifest, LayerKey), the
// resolved dependencies, the input mounts as recipes see them, and how two
// manifests differ (ManifestDifference). Pure values: nothing here reads the
// store or the disk. May use: Support, Profile.

import Foundation

/// What a layer is made of: every input that can change its content, and
/// nothing else. A layer's key is the SHA-256 of this value's canonical JSON,
/// and the value is stored beside the layer, so any miss can be explained as
/// a difference between two manifests.
public struct InputManifest: Sendable, Equatable, Codable {
    /// Bumped whenever the way strata builds or stores layers changes.
    public static let currentFormat = 1

    public enum Role: String, Sendable, Codable { case base, update, deps }

    /// The command that fills a layer and how it runs.
    public struct Recipe: Sendable, Equatable, Codable {
        public var command: String
        public var environment: [String: String]
        public var mounts: [MountInput]
        public var network: Bool
    }

    /// A `[[mount]]` as a layer's recipe sees it: an `input` mount by its
    /// target and the digest of its content, a `cache` mount by its target
    /// only. Never the host path, so that machines with other paths for the
    /// same content share keys.
    public struct MountInput: Sendable, Equatable, Codable, Hashable, CustomStringConvertible {
        public var target: String
        public var readonly: Bool
        /// nil only in manifests written before mount kinds existed.
        public var kind: Profile.MountKind?
        /// For an input mount: `TreeDigest` of its source, "sha256:<hex>".
        public var digest: String?
        /// Only in manifests written before mount kinds existed, which keyed
        /// every mount by its host path; kept so that their keys still verify.
        public var source: String?

        public init(target: String, readonly: Bool, kind: Profile.MountKind, digest: String?) {
            self.target = target
            self.readonly = readonly
            self.kind = kind
            self.digest = digest
        }

        public var description: String {
            switch kind {
            case .input: "input \(target) (\(digest.map { DigestText.short($0) } ?? "no digest"))"
            case .cache: "cache \(target)\(readonly ? " (read-only)" : "")"
            case nil: "\(source ?? "?") → \(target)"
            }
        }
    }

    public var format: Int
    public var role: Role
    /// The layer this one stands on; nil for a base.
    public var parent: LayerKey?
    /// The content digest of the base image the layer stands on.
    public var imageDigest: String?
    public var arch: String
    public var cacheVersion: Int
    /// For a deps layer: the resolved set.
    public var dependencies: [Dependency]?
    /// For an update layer: what its state command printed.
    public var state: String?
    public var recipe: Recipe?

    enum CodingKeys: String, CodingKey {
        case format, role, parent, arch, dependencies, state, recipe
        case imageDigest = "image_digest"
        case cacheVersion = "cache_version"
    }

    /// The key: SHA-256 over the canonical encoding. Any change to what
    /// that encoding produces for an existing manifest orphans every store
    /// and registry cache: see "When the layer format changes" in
    /// Docs/lifecycle.md before touching this type or CanonicalJSON.
    public var key: LayerKey { LayerKey(CanonicalJSON.sha256Hex(self)) }

    public static func base(imageDigest: String, arch: String, cacheVersion: Int) -> InputManifest {
        InputManifest(format: currentFormat, role: .base, parent: nil, imageDigest: imageDigest, arch: arch,
                      cacheVersion: cacheVersion, dependencies: nil, state: nil, recipe: nil)
    }

    /// An update layer: the base brought up to date. Its key covers what the
    /// state command printed, so an update that changes nothing keeps it.
    public static func update(
        parent: LayerKey, imageDigest: String, profile: Profile, update: Profile.Update, mounts: MountInputs, state: String
    ) -> InputManifest {
        InputManifest(
            format: currentFormat, role: .update, parent: parent, imageDigest: imageDigest, arch: profile.arch,
            cacheVersion: profile.cacheVersion, dependencies: nil, state: state,
            recipe: updateRecipe(profile: profile, update: update, mounts: mounts))
    }

    static func updateRecipe(profile: Profile, update: Profile.Update, mounts: MountInputs) -> Recipe {
        Recipe(command: update.run, environment: profile.environment, mounts: mounts.recipe, network: true)
    }

    public static func deps(
        parent: LayerKey, imageDigest: String, profile: Profile, mounts: MountInputs, resolved: ResolvedDependencies
    ) -> InputManifest {
        InputManifest(
            format: currentFormat, role: .deps, parent: parent, imageDigest: imageDigest, arch: profile.arch,
            cacheVersion: profile.cacheVersion, dependencies: resolved.dependencies, state: nil,
            recipe: Recipe(command: profile.deps.install, environment: profile.environment,
                           mounts: mounts.recipe, network: true))
    }
}

/// A layer key: 64 lowercase hex digits.
public struct LayerKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public let hex: String

    public init(_ hex: String) { self.hex = hex }

    /// Accepts a full key only; layer directories are named by it.
    public init?(validating text: String) {
        guard text.count == 64, text.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        hex = text
    }

    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        hex = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
