import Foundation

/// The decisions of a collection, without the store: which layer goes next
/// under a policy. Only a leaf may go (no remaining layer has it as its
/// parent or is stacked on it, so an incremental chain goes top first),
/// never one a build holds, least recently used first; under size or count
/// pressure any leaf, otherwise only one older than max_age.
struct GCSelection {
    struct Candidate: Equatable {
        let key: LayerKey
        /// Its parent, and the deps layer it is stacked on when built incrementally.
        let lowers: [LayerKey]
        let size: UInt64
        let lastUsed: Date
    }

    let policy: GCPolicy
    let now: Date
    private(set) var remaining: [LayerKey: Candidate]
    /// Layers a running build holds: never chosen again.
    private(set) var busy: Set<LayerKey> = []

    init(policy: GCPolicy, now: Date, candidates: [Candidate]) {
        self.policy = policy
        self.now = now
        remaining = Dictionary(candidates.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var remainingBytes: UInt64 { remaining.values.reduce(0) { $0 + $1.size } }

    /// True when no limit wants another layer gone.
    var limitsHold: Bool { !(overSize || overCount || remaining.values.contains(where: tooOld)) }

    /// The next layer to remove, or nil when the limits hold or only
    /// layers that may not go remain.
    func nextVictim() -> Candidate? {
        let parents = Set(remaining.values.flatMap(\.lowers))
        let pressure = overSize || overCount
        return remaining.values
            .filter { !parents.contains($0.key) && !busy.contains($0.key) && (pressure || tooOld($0)) }
            .min { ($0.lastUsed, $0.key.hex) < ($1.lastUsed, $1.key.hex) }
    }

    /// The layer is gone (or was gone already).
    mutating func removed(_ key: LayerKey) { remaining[key] = nil }

    /// A build holds the layer: it stays.
    mutating func keep(_ key: LayerKey) { busy.insert(key) }

    private var overSize: Bool { policy.maxSize.map { remainingBytes > $0 } ?? false }
    private var overCount: Bool { policy.keepLast.map { remaining.count > $0 } ?? false }

    private func tooOld(_ candidate: Candidate) -> Bool {
        policy.maxAge.map { now.timeIntervalSince(candidate.lastUsed) > $0 } ?? false
    }
}
