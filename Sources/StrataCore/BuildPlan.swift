/// One layer of a plan: its key, its inputs, and whether the store has it.
public struct PlannedLayer: Sendable {
    public let role: InputManifest.Role
    public let key: LayerKey
    /// True when the store already holds it, so a build would reuse it.
    public let exists: Bool
    public let inputs: InputManifest
    /// For a layer that does not exist: why not, against the closest one that does.
    public var explanation: Explanation? = nil
}

import Foundation

/// The state of a profile's update layer when a plan was made.
public struct UpdateStatus: Sendable {
    /// The update layer in use, if there is one.
    public let key: LayerKey?
    /// When `strata update` last ran for it.
    public let checked: Date?
    /// `[update] max_age`, in seconds.
    public let maxAge: Double?

    public var ageSeconds: Double? { checked.map { Date().timeIntervalSince($0) } }
    /// No update layer yet, or one checked longer ago than max_age.
    public var stale: Bool {
        guard key != nil, let age = ageSeconds else { return true }
        return maxAge.map { age > $0 } ?? false
    }
}

/// What a build will use, computed before anything but the resolver runs:
/// a value that can be printed, compared and tested. `BuildSession` executes it.
public struct BuildPlan: Sendable {
    public let profile: Profile
    /// The absolute source directory, when the plan has one.
    public let source: String?
    public let image: ImageRecord
    public let base: PlannedLayer
    /// The profile's most recent update layer, when it has one.
    public let update: PlannedLayer?
    /// Set when the profile has an [update] table.
    public let updateStatus: UpdateStatus?
    /// The dependency layer; nil for a plan without a source (a bare shell).
    public let deps: PlannedLayer?
    /// The update layer's and the base's directories, topmost first.
    let parentLowers: [String]

    /// Where the deps layer's upper is (or will be, once created).
    let depsUpper: String?

    /// The directories to stack under the scratch layer, topmost first.
    var lowers: [String] {
        guard let deps, deps.exists, let depsUpper else { return parentLowers }
        return [depsUpper] + parentLowers
    }

    public var layers: [PlannedLayer] { [base] + [update, deps].compactMap { $0 } }

    /// The same plan, with the deps layer now existing.
    func withDepsReady() -> BuildPlan {
        guard let deps else { return self }
        return BuildPlan(profile: profile, source: source, image: image, base: base, update: update,
                         updateStatus: updateStatus,
                         deps: PlannedLayer(role: .deps, key: deps.key, exists: true, inputs: deps.inputs,
                                            explanation: deps.explanation),
                         parentLowers: parentLowers, depsUpper: depsUpper)
    }
    /// True when a build would create no layer.
    public var reusesEverything: Bool { layers.allSatisfy(\.exists) }
}
